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
/* The command socket: non-blocking, no groups; for dumps and our RTM_NEWNEIGH answers. */
int nl_open_command(int rcvbuf, struct mnl_socket **ret);

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

/* Each: 0, or -EBADMSG (malformed), -EPROTONOSUPPORT (well-formed but a family/type we do not
 * handle: the caller skips it silently). */
int nl_parse_neigh(const struct nlmsghdr *nlh, struct nl_neigh *ret);
int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *ret);
int nl_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *ret);

/* Each builder writes one message into buf and returns its length, or -ENOBUFS. */
/* RTM_GETNEIGH / RTM_GETLINK / RTM_GETADDR dump request for family (AF_UNSPEC = all). */
int nl_build_dump(void *buf, size_t size, uint16_t type, int family, uint32_t seq);
/* RTM_NEWNEIGH, NLM_F_CREATE|NLM_F_REPLACE, NUD_STALE, NDA_DST + NDA_LLADDR: our answer to a
 * miss. With ack, NLM_F_ACK is set. */
int nl_build_neigh_answer(void *buf, size_t size, uint32_t seq, int ifindex, int family,
                          const union in_addr_union *dst, const struct lladdr *lladdr, bool ack);
