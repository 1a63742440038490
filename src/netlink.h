/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * rtnetlink over libmnl: the sockets, the parsers for untrusted kernel messages (neighbours,
 * links, addresses) and the builders for what we send (dump requests, our answers to misses).
 *
 * Parsers validate every length (header, family struct, each attribute against the family) and
 * return -EBADMSG for anything malformed; they never read outside the message. They do not decide
 * policy (who sent it, what to do): that is the caller's and the resolver's job.
 */

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-util.h"

struct mnl_socket;

/* The event socket: non-blocking, subscribed to RTNLGRP_NEIGH, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR
 * and RTNLGRP_IPV6_IFADDR, receive buffer rcvbuf (SO_RCVBUFFORCE, fallback SO_RCVBUF). */
int nl_open_events(int rcvbuf, struct mnl_socket **ret);
/* The command socket: non-blocking, no groups, NETLINK_EXT_ACK when the kernel has it; for dumps
 * and our RTM_NEWNEIGH answers. Both: close-on-exec, bound (kernel-assigned port id), rcvbuf <= 0
 * keeps the default; a negative errno on failure. */
int nl_open_command(int rcvbuf, struct mnl_socket **ret);
/* Attaches a classic BPF socket filter to the event socket that drops, inside the kernel, every
 * datagram whose first message names own_portid as its sender (nlmsg_pid): the kernel multicasts
 * the RTM_NEWNEIGH each of our answers causes to every listener, our own event socket included,
 * with the command socket's port id. So filtered, those echoes neither wake the daemon nor take
 * room in its receive buffer. Kernel events (nlmsg_pid 0) and other processes' changes pass.
 * 0 or a negative errno (the caller may go on without it: the echo is recognised in user space
 * too). own_portid 0 is refused (-EINVAL): it would drop the kernel's own events. */
int nl_filter_own_echoes(struct mnl_socket *events, uint32_t own_portid);
/* The classic BPF program nl_filter_own_echoes() attaches, NL_ECHO_FILTER_LEN instructions into
 * ret (for the unit tests, which run it on built messages). */
#define NL_ECHO_FILTER_LEN 4
struct sock_filter;
void nl_echo_filter(uint32_t own_portid, struct sock_filter *ret);
/* The same filter, and also dropping the neighbour messages (RTM_NEWNEIGH, RTM_DELNEIGH and the
 * kernel's misses, RTM_GETNEIGH) of the interfaces in foreign[]: ones this process has seen and
 * does not serve. With one arpd per interface (arpd@IFACE) every miss and every answer on any
 * interface would otherwise wake every instance. Only interfaces known to be foreign are dropped:
 * an interface not listed (new, unknown) passes, so a change of the set can only let through
 * what the process then ignores. At most NL_FOREIGN_MAX entries (more: the rest pass); a
 * neighbour message too short to carry its ndmsg passes. 0 or a negative errno; own_portid 0:
 * -EINVAL. */
#define NL_FOREIGN_MAX 64
#define NL_EVENTS_FILTER_LEN(n) (11 + (n))
int nl_filter_events(struct mnl_socket *events, uint32_t own_portid, const int *foreign, size_t n_foreign);
/* The program nl_filter_events() attaches: NL_EVENTS_FILTER_LEN(n) instructions (n =
 * MIN(n_foreign, NL_FOREIGN_MAX), returned) into ret. */
size_t nl_events_filter(uint32_t own_portid, const int *foreign, size_t n_foreign, struct sock_filter *ret);

struct nl_neigh {
        uint16_t type;        /* RTM_NEWNEIGH, RTM_DELNEIGH or RTM_GETNEIGH */
        uint16_t nlmsg_flags;
        uint32_t nlmsg_pid;
        uint32_t nlmsg_seq;
        int family;
        int ifindex;
        uint16_t state;       /* NUD_* */
        uint8_t flags;        /* NTF_* */
        uint8_t ndm_type;
        uint32_t ext_flags;   /* NDA_FLAGS_EXT, 0 if absent */
        bool has_dst;
        union in_addr_union dst;
        bool has_lladdr;
        struct lladdr lladdr;
        bool has_probes;
        uint32_t probes;      /* NDA_PROBES */
        uint8_t protocol;     /* NDA_PROTOCOL, 0 if absent */
};

struct nl_link {
        bool deleted;         /* RTM_DELLINK */
        int ifindex;
        char ifname[IFNAMSIZ];
        unsigned flags;       /* IFF_* */
        uint16_t type;        /* ARPHRD_* */
        struct lladdr hwaddr; /* IFLA_ADDRESS, may be empty */
};

struct nl_addr {
        bool deleted;         /* RTM_DELADDR */
        int ifindex;
        struct in_prefix prefix; /* IFA_LOCAL (or IFA_ADDRESS) with ifa_prefixlen */
        uint32_t flags;       /* IFA_F_*, including IFA_FLAGS */
};

/* True if a whole message starts at nlh within the len remaining received bytes (len may be
 * negative, as mnl_nlmsg_next() leaves it after an unpadded last message). Walk every receive
 * buffer with this, not with mnl_nlmsg_ok() or mnl_cb_run(): libmnl 1.0.4 compares nlmsg_len
 * through a signed cast, so it accepts nlmsg_len >= 2^31, and mnl_nlmsg_next() then aligns
 * 0xfffffffd..0xffffffff to 0 and never advances.
 *     for (nlh = buf; nl_msg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) ... */
bool nl_msg_ok(const struct nlmsghdr *nlh, int len);

/* Each: 0, or -EBADMSG (malformed), -EPROTONOSUPPORT (well-formed but a family/type we do not
 * handle: the caller skips it silently). *ret is only written on success.
 * nlh must have passed nl_msg_ok() against the received bytes: nlmsg_len bounds every read.
 * A message of another nlmsg_type than the parser's own (neigh: RTM_NEW/DEL/GETNEIGH; link:
 * RTM_NEW/DELLINK; addr: RTM_NEW/DELADDR) is -EPROTONOSUPPORT. Bytes after the last attribute that
 * do not form a whole attribute are -EBADMSG; unknown attributes are skipped.
 * neigh: family AF_INET/AF_INET6 only (AF_BRIDGE fdb entries share the group); NDA_DST exactly
 *        4/16 bytes, NDA_LLADDR 0..LLADDR_MAX (0 leaves has_lladdr false), NDA_PROBES and
 *        NDA_FLAGS_EXT exactly 4 bytes, NDA_PROTOCOL exactly 1 byte.
 * link:  family AF_UNSPEC only (the bridge's and IPv6's own per-port RTM_NEW/DELLINK are
 *        -EPROTONOSUPPORT); ifindex > 0; IFLA_IFNAME required, non-empty and NUL-terminated
 *        within IFNAMSIZ; IFLA_ADDRESS optional, at most LLADDR_MAX bytes.
 * addr:  family AF_INET/AF_INET6; prefixlen <= 32/128; ifindex > 0; IFA_LOCAL if present (it is
 *        our side of a point-to-point address, for IPv6 too) else IFA_ADDRESS, one of them
 *        required, exactly 4/16 bytes; IFA_FLAGS (u32) overrides ifa_flags. */
int nl_parse_neigh(const struct nlmsghdr *nlh, struct nl_neigh *ret);
int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *ret);
int nl_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *ret);

/* Each builder writes one message into buf and returns its length, or -ENOBUFS (buf too small,
 * nothing written), or -EINVAL (a type/family/ifindex/lladdr it cannot encode). */
/* RTM_GETNEIGH / RTM_GETLINK / RTM_GETADDR dump request for family (AF_UNSPEC = all). */
int nl_build_dump(void *buf, size_t size, uint16_t type, int family, uint32_t seq);
/* arpd's own NDA_PROTOCOL number ("proto 44" in `ip neigh show`), carried by every answer so that
 * operators and other control planes can tell arpd's entries apart. Not used by iproute2's
 * rt_protos nor by the kernel's RTPROT_* list. */
#define ARPD_NEIGH_PROTOCOL 44

/* Our answer to one miss. */
struct nl_neigh_answer {
        int ifindex;
        int family;
        union in_addr_union dst;
        struct lladdr lladdr;  /* 1..LLADDR_MAX bytes */
        uint8_t flags;         /* the miss's ndm_flags; only NTF_EXT_LEARNED and NTF_ROUTER are sent */
        uint32_t ext_flags;    /* the miss's NDA_FLAGS_EXT (NTF_EXT_MANAGED...) */
        uint8_t protocol;      /* NDA_PROTOCOL; 0 = none (the kernel keeps the entry's own) */
        bool override;         /* NLM_F_REPLACE: replace a valid entry's different MAC */
};

/* Our answer to a miss: RTM_NEWNEIGH, NUD_STALE, NDA_DST + NDA_LLADDR, NDA_PROTOCOL (if set),
 * NDA_FLAGS_EXT (if any flag but NTF_EXT_MANAGED is set), ndm_flags as the miss reported them
 * (NTF_EXT_LEARNED, NTF_ROUTER). The kernel treats every RTM_NEWNEIGH from user space as an
 * administrative update, which rewrites the entry's NTF_EXT_LEARNED and NTF_EXT_MANAGED flags to
 * what the message says: sending back what the miss reported keeps them.
 * NLM_F_REQUEST only, never NLM_F_CREATE: an entry the kernel dropped meanwhile is not created
 * again (the kernel says ENOENT). NLM_F_REPLACE only with a->override: without it the kernel
 * takes our MAC for an entry that is not valid (INCOMPLETE, FAILED) and for one holding the same
 * MAC, but keeps a different MAC it has validated itself, and keeps the router flag.
 * An update that carries NTF_EXT_MANAGED makes the kernel ignore the lladdr and only start its
 * own resolution; so a managed entry gets two messages: the answer without the flag, then a
 * flags-only message (no NDA_LLADDR, seq + 1) that sets it again.
 * With ack, NLM_F_ACK is set on each. family AF_INET/AF_INET6, ifindex > 0, lladdr
 * 1..LLADDR_MAX bytes. Returns the total length of the one or two messages. */
int nl_build_neigh_answer(void *buf, size_t size, uint32_t seq, const struct nl_neigh_answer *a, bool ack);
/* How many messages (and so sequence numbers) nl_build_neigh_answer() uses for a: 1 or 2. */
unsigned nl_neigh_answer_count(const struct nl_neigh_answer *a);
