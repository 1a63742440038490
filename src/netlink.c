/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>

#include "macro.h"
#include "netlink.h"

/* nl_build_dump() writes the family as the first byte of whichever header it puts. */
_Static_assert(offsetof(struct ndmsg, ndm_family) == 0, "ndm_family");
_Static_assert(offsetof(struct ifinfomsg, ifi_family) == 0, "ifi_family");
_Static_assert(offsetof(struct ifaddrmsg, ifa_family) == 0, "ifa_family");

/* linux/neighbour.h declares the NDA_* values as an enum, so this only triggers with headers that
 * predate the attribute (Linux < 5.16); the value is part of the kernel ABI. */
#ifndef NDA_FLAGS_EXT
#define NDA_FLAGS_EXT 15
#endif
#ifndef NTF_EXT_MANAGED
#define NTF_EXT_MANAGED (1 << 0)
#endif

static bool family_is_ip(int family) {
        return family == AF_INET || family == AF_INET6;
}

static void mnl_socket_closep(struct mnl_socket **nl) {
        if (*nl)
                (void) mnl_socket_close(*nl);
}

static int set_rcvbuf(int fd, int size) {
        if (size <= 0)
                return 0;
        /* SO_RCVBUFFORCE ignores rmem_max but needs CAP_NET_ADMIN; SO_RCVBUF is capped. */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) >= 0)
                return 0;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) >= 0)
                return 0;
        return negative_errno(errno);
}

static int nl_open(int rcvbuf, const unsigned *groups, size_t n_groups, bool ext_ack,
                   struct mnl_socket **ret) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        int r;

        nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (!nl)
                return negative_errno(errno);

        /* Before joining the groups, so no burst finds the default-sized buffer. */
        r = set_rcvbuf(mnl_socket_get_fd(nl), rcvbuf);
        if (r < 0)
                return r;

        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
                return negative_errno(errno);

        for (size_t i = 0; i < n_groups; i++) {
                int g = (int) groups[i];

                if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0)
                        return negative_errno(errno);
        }

        if (ext_ack) {
                int one = 1;

                /* Only makes the kernel's error messages more useful; old kernels lack it. */
                (void) mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
        }

        *ret = TAKE_PTR(nl);
        return 0;
}

int nl_open_events(int rcvbuf, struct mnl_socket **ret) {
        static const unsigned groups[] = {
                RTNLGRP_NEIGH,
                RTNLGRP_LINK,
                RTNLGRP_IPV4_IFADDR,
                RTNLGRP_IPV6_IFADDR,
        };

        return nl_open(rcvbuf, groups, ELEMENTSOF(groups), false, ret);
}

int nl_open_command(int rcvbuf, struct mnl_socket **ret) {
        return nl_open(rcvbuf, NULL, 0, true, ret);
}

void nl_echo_filter(uint32_t own_portid, struct sock_filter *ret) {
        /* Absolute loads read the datagram from its first byte (the nlmsghdr) and in network byte
         * order, while netlink headers are in host order: compare against the value as such a load
         * sees it. */
        const struct sock_filter code[NL_ECHO_FILTER_LEN] = {
                /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_pid)),
                /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(own_portid), 0, 1),
                /* 2 */ BPF_STMT(BPF_RET | BPF_K, 0),          /* ours: drop */
                /* 3 */ BPF_STMT(BPF_RET | BPF_K, 0xffffffffU), /* anything else: whole */
        };

        memcpy(ret, code, sizeof(code));
}

int nl_filter_own_echoes(struct mnl_socket *events, uint32_t own_portid) {
        struct sock_filter code[NL_ECHO_FILTER_LEN];
        const struct sock_fprog prog = { .len = ELEMENTSOF(code), .filter = code };

        if (!events || own_portid == 0)
                return -EINVAL;
        nl_echo_filter(own_portid, code);
        if (setsockopt(mnl_socket_get_fd(events), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
                return negative_errno(errno);
        return 0;
}

size_t nl_events_filter(uint32_t own_portid, const int *foreign, size_t n_foreign, struct sock_filter *ret) {
        size_t n = MIN(n_foreign, (size_t) NL_FOREIGN_MAX), len = NL_EVENTS_FILTER_LEN(n), k = 0;
        const size_t accept = len - 2, drop = len - 1; /* the last two instructions */
        const size_t check = 8;                          /* the ifindex load */

        /* Loads as in nl_echo_filter(): network byte order, so constants are compared as such a
         * load sees the host-order header fields. Jump offsets count from the next instruction. */
#define J(at, to) ((uint8_t) ((to) - (at) - 1))
        ret[k++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_pid));
        ret[k++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(own_portid), J(1, drop), 0);
        ret[k++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0);
        ret[k++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, NLMSG_HDRLEN + sizeof(struct ndmsg), 0,
                                                 J(3, accept));
        ret[k++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_H | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_type));
        ret[k++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(RTM_NEWNEIGH), J(5, check), 0);
        ret[k++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(RTM_DELNEIGH), J(6, check), 0);
        ret[k++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(RTM_GETNEIGH), 0, J(7, accept));
        ret[k++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                 NLMSG_HDRLEN + offsetof(struct ndmsg, ndm_ifindex));
        for (size_t i = 0; i < n; i++, k++)
                ret[k] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl((uint32_t) foreign[i]),
                                                       J(k, drop), 0);
#undef J
        ret[k++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, 0xffffffffU); /* accept: whole */
        ret[k++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, 0);           /* drop */
        assert(k == len);
        return n;
}

int nl_filter_events(struct mnl_socket *events, uint32_t own_portid, const int *foreign, size_t n_foreign) {
        struct sock_filter code[NL_EVENTS_FILTER_LEN(NL_FOREIGN_MAX)];
        struct sock_fprog prog = { .filter = code };

        if (!events || own_portid == 0 || (n_foreign > 0 && !foreign))
                return -EINVAL;
        prog.len = (unsigned short) NL_EVENTS_FILTER_LEN(nl_events_filter(own_portid, foreign, n_foreign, code));
        if (setsockopt(mnl_socket_get_fd(events), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
                return negative_errno(errno);
        return 0;
}

bool nl_msg_ok(const struct nlmsghdr *nlh, int len) {
        /* len goes negative when mnl_nlmsg_next() steps over an unpadded last message. */
        return len >= (int) sizeof(struct nlmsghdr) &&
               nlh->nlmsg_len >= sizeof(struct nlmsghdr) &&
               nlh->nlmsg_len <= (unsigned) len;
}

/* Checks that the message is one of the two or three types the parser accepts and that it holds
 * at least the family header. -EPROTONOSUPPORT for another type, -EBADMSG if too short. */
static int check_header(const struct nlmsghdr *nlh, size_t family_hdr, const uint16_t *types,
                        size_t n_types) {
        bool known = false;

        /* > INT_MAX: see nl_msg_ok(); libmnl's own check lets such lengths through. */
        if (nlh->nlmsg_len < sizeof(struct nlmsghdr) || nlh->nlmsg_len > INT_MAX)
                return -EBADMSG;
        for (size_t i = 0; i < n_types; i++)
                if (nlh->nlmsg_type == types[i])
                        known = true;
        if (!known)
                return -EPROTONOSUPPORT;
        if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(family_hdr))
                return -EBADMSG;
        return 0;
}

/* Walks the attributes that follow the family header, bounded by the exact nlmsg_len.
 * mnl_attr_parse() is not used on purpose: it stops silently at a truncated attribute, and it
 * bounds the walk by the aligned length, which may lie beyond the received bytes. Here leftover
 * bytes that do not form a whole attribute make the message malformed. Every attribute is handed
 * to cb, which validates it (mnl_attr_validate*) and returns 0 or a negative errno. */
static int walk_attrs(const struct nlmsghdr *nlh, size_t family_hdr,
                      int (*cb)(const struct nlattr *attr, void *userdata), void *userdata) {
        const uint8_t *base = (const uint8_t *) nlh;
        size_t len = nlh->nlmsg_len, off = MNL_NLMSG_HDRLEN + MNL_ALIGN(family_hdr);

        while (off < len) {
                const struct nlattr *attr = (const struct nlattr *) (base + off);
                int r;

                /* What mnl_attr_ok() checks, spelled out here so that sanitizers see the reads. */
                if (len - off < sizeof(struct nlattr) || attr->nla_len < sizeof(struct nlattr) ||
                    attr->nla_len > len - off)
                        return -EBADMSG;
                r = cb(attr, userdata);
                if (r < 0)
                        return r;
                off += MNL_ALIGN(attr->nla_len);
        }
        return 0;
}

static int attr_get_u32(const struct nlattr *attr, uint32_t *ret) {
        if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
                return -EBADMSG;
        *ret = mnl_attr_get_u32(attr);
        return 0;
}

static int attr_get_in_addr(const struct nlattr *attr, int family, union in_addr_union *ret) {
        size_t size = family_addr_size(family);

        if (size == 0 || mnl_attr_validate2(attr, MNL_TYPE_BINARY, size) < 0)
                return -EBADMSG;
        *ret = (union in_addr_union) {};
        memcpy(ret->bytes, mnl_attr_get_payload(attr), size);
        return 0;
}

static int attr_get_lladdr(const struct nlattr *attr, struct lladdr *ret) {
        uint16_t len = mnl_attr_get_payload_len(attr);

        if (len > LLADDR_MAX)
                return -EBADMSG;
        *ret = (struct lladdr) {};
        lladdr_set(ret, mnl_attr_get_payload(attr), len);
        return 0;
}

static int neigh_attr_cb(const struct nlattr *attr, void *userdata) {
        struct nl_neigh *n = userdata;
        int r;

        switch (mnl_attr_get_type(attr)) {
        case NDA_DST:
                r = attr_get_in_addr(attr, n->family, &n->dst);
                if (r < 0)
                        return r;
                n->has_dst = true;
                return 0;
        case NDA_LLADDR:
                r = attr_get_lladdr(attr, &n->lladdr);
                if (r < 0)
                        return r;
                n->has_lladdr = n->lladdr.len > 0;
                return 0;
        case NDA_PROBES:
                r = attr_get_u32(attr, &n->probes);
                if (r < 0)
                        return r;
                n->has_probes = true;
                return 0;
        case NDA_FLAGS_EXT:
                return attr_get_u32(attr, &n->ext_flags);
        case NDA_PROTOCOL:
                if (mnl_attr_get_payload_len(attr) != 1)
                        return -EBADMSG;
                n->protocol = mnl_attr_get_u8(attr);
                return 0;
        default:
                return 0; /* NDA_CACHEINFO, NDA_VLAN, ...: not ours */
        }
}

int nl_parse_neigh(const struct nlmsghdr *nlh, struct nl_neigh *ret) {
        static const uint16_t types[] = { RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH };
        const struct ndmsg *ndm;
        struct nl_neigh n;
        int r;

        r = check_header(nlh, sizeof(struct ndmsg), types, ELEMENTSOF(types));
        if (r < 0)
                return r;

        ndm = mnl_nlmsg_get_payload(nlh);
        /* Bridge FDB entries (AF_BRIDGE) arrive on RTNLGRP_NEIGH too. */
        if (!family_is_ip(ndm->ndm_family))
                return -EPROTONOSUPPORT;
        if (ndm->ndm_ifindex < 0)
                return -EBADMSG;

        n = (struct nl_neigh) {
                .type = nlh->nlmsg_type,
                .nlmsg_flags = nlh->nlmsg_flags,
                .nlmsg_pid = nlh->nlmsg_pid,
                .nlmsg_seq = nlh->nlmsg_seq,
                .family = ndm->ndm_family,
                .ifindex = ndm->ndm_ifindex,
                .state = ndm->ndm_state,
                .flags = ndm->ndm_flags,
                .ndm_type = ndm->ndm_type,
        };

        r = walk_attrs(nlh, sizeof(struct ndmsg), neigh_attr_cb, &n);
        if (r < 0)
                return r;

        *ret = n;
        return 0;
}

struct link_parse {
        struct nl_link link;
        bool has_ifname;
};

static int link_attr_cb(const struct nlattr *attr, void *userdata) {
        struct link_parse *p = userdata;

        switch (mnl_attr_get_type(attr)) {
        case IFLA_IFNAME: {
                uint16_t len = mnl_attr_get_payload_len(attr);
                const char *name = mnl_attr_get_payload(attr);

                /* A non-empty name, NUL-terminated within IFNAMSIZ bytes. */
                if (len == 0 || name[0] == '\0' || !memchr(name, '\0', MIN((size_t) len, (size_t) IFNAMSIZ)))
                        return -EBADMSG;
                memset(p->link.ifname, 0, sizeof(p->link.ifname));
                strncpy(p->link.ifname, name, sizeof(p->link.ifname) - 1);
                p->has_ifname = true;
                return 0;
        }
        case IFLA_ADDRESS:
                return attr_get_lladdr(attr, &p->link.hwaddr);
        default:
                return 0;
        }
}

int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *ret) {
        static const uint16_t types[] = { RTM_NEWLINK, RTM_DELLINK };
        const struct ifinfomsg *ifi;
        struct link_parse p;
        int r;

        r = check_header(nlh, sizeof(struct ifinfomsg), types, ELEMENTSOF(types));
        if (r < 0)
                return r;

        ifi = mnl_nlmsg_get_payload(nlh);
        /* The bridge (AF_BRIDGE) and IPv6 (AF_INET6) send their own per-port/per-device
         * RTM_NEWLINK/RTM_DELLINK; an AF_BRIDGE RTM_DELLINK only means "left the bridge". */
        if (ifi->ifi_family != AF_UNSPEC)
                return -EPROTONOSUPPORT;
        if (ifi->ifi_index <= 0)
                return -EBADMSG;

        p = (struct link_parse) {
                .link = {
                        .deleted = nlh->nlmsg_type == RTM_DELLINK,
                        .ifindex = ifi->ifi_index,
                        .flags = ifi->ifi_flags,
                        .type = ifi->ifi_type,
                },
        };

        r = walk_attrs(nlh, sizeof(struct ifinfomsg), link_attr_cb, &p);
        if (r < 0)
                return r;
        if (!p.has_ifname)
                return -EBADMSG;

        *ret = p.link;
        return 0;
}

struct addr_parse {
        int family;
        bool has_local, has_address;
        union in_addr_union local, address;
        bool has_flags;
        uint32_t flags;
};

static int addr_attr_cb(const struct nlattr *attr, void *userdata) {
        struct addr_parse *p = userdata;
        int r;

        switch (mnl_attr_get_type(attr)) {
        case IFA_LOCAL:
                r = attr_get_in_addr(attr, p->family, &p->local);
                if (r < 0)
                        return r;
                p->has_local = true;
                return 0;
        case IFA_ADDRESS:
                r = attr_get_in_addr(attr, p->family, &p->address);
                if (r < 0)
                        return r;
                p->has_address = true;
                return 0;
        case IFA_FLAGS:
                r = attr_get_u32(attr, &p->flags);
                if (r < 0)
                        return r;
                p->has_flags = true;
                return 0;
        default:
                return 0;
        }
}

int nl_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *ret) {
        static const uint16_t types[] = { RTM_NEWADDR, RTM_DELADDR };
        const struct ifaddrmsg *ifa;
        struct addr_parse p;
        int r;

        r = check_header(nlh, sizeof(struct ifaddrmsg), types, ELEMENTSOF(types));
        if (r < 0)
                return r;

        ifa = mnl_nlmsg_get_payload(nlh);
        if (!family_is_ip(ifa->ifa_family))
                return -EPROTONOSUPPORT;
        if (ifa->ifa_prefixlen > family_addr_size(ifa->ifa_family) * 8)
                return -EBADMSG;
        if (ifa->ifa_index == 0 || ifa->ifa_index > INT_MAX)
                return -EBADMSG;

        p = (struct addr_parse) {
                .family = ifa->ifa_family,
        };
        r = walk_attrs(nlh, sizeof(struct ifaddrmsg), addr_attr_cb, &p);
        if (r < 0)
                return r;
        /* On a point-to-point address IFA_ADDRESS is the peer and IFA_LOCAL our own address (for
         * IPv6 too); otherwise the kernel sends IFA_ADDRESS (and, for IPv4, an equal IFA_LOCAL). */
        if (!p.has_local && !p.has_address)
                return -EBADMSG;

        *ret = (struct nl_addr) {
                .deleted = nlh->nlmsg_type == RTM_DELADDR,
                .ifindex = (int) ifa->ifa_index,
                .prefix = {
                        .family = ifa->ifa_family,
                        .prefixlen = ifa->ifa_prefixlen,
                        .addr = p.has_local ? p.local : p.address,
                },
                .flags = p.has_flags ? p.flags : ifa->ifa_flags,
        };
        return 0;
}

int nl_build_dump(void *buf, size_t size, uint16_t type, int family, uint32_t seq) {
        struct nlmsghdr *nlh;
        uint8_t *family_byte;
        size_t hdr;

        switch (type) {
        case RTM_GETNEIGH:
                hdr = sizeof(struct ndmsg);
                break;
        case RTM_GETLINK:
                hdr = sizeof(struct ifinfomsg);
                break;
        case RTM_GETADDR:
                hdr = sizeof(struct ifaddrmsg);
                break;
        default:
                return -EINVAL;
        }
        if (family < 0 || family > UINT8_MAX)
                return -EINVAL;
        if (!buf || size < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdr))
                return -ENOBUFS;

        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = seq;

        /* The family byte comes first in each of the three structs; the rest stays zero. */
        family_byte = mnl_nlmsg_put_extra_header(nlh, hdr);
        family_byte[0] = (uint8_t) family;

        return (int) nlh->nlmsg_len;
}

/* The flags user space may send back (NTF_USE, NTF_PROXY... must not be echoed). */
#define ANSWER_NDM_FLAGS (NTF_EXT_LEARNED | NTF_ROUTER)

unsigned nl_neigh_answer_count(const struct nl_neigh_answer *a) {
        return a && (a->ext_flags & NTF_EXT_MANAGED) ? 2 : 1;
}

static size_t neigh_msg_size(size_t addr_size, size_t lladdr_len, bool protocol, bool ext) {
        return MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ndmsg)) +
               MNL_ATTR_HDRLEN + MNL_ALIGN(addr_size) +
               (lladdr_len > 0 ? MNL_ATTR_HDRLEN + MNL_ALIGN(lladdr_len) : 0) +
               (protocol ? MNL_ATTR_HDRLEN + MNL_ALIGN(1) : 0) +
               (ext ? MNL_ATTR_HDRLEN + MNL_ALIGN(4) : 0);
}

/* One RTM_NEWNEIGH at buf (which has room); lladdr NULL: flags only. */
static size_t put_neigh_msg(void *buf, uint32_t seq, const struct nl_neigh_answer *a, const struct lladdr *lladdr,
                            uint32_t ext_flags, bool ack) {
        struct nlmsghdr *nlh;
        struct ndmsg *ndm;

        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_NEWNEIGH;
        nlh->nlmsg_flags = NLM_F_REQUEST | (a->override ? NLM_F_REPLACE : 0) | (ack ? NLM_F_ACK : 0);
        nlh->nlmsg_seq = seq;

        ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
        ndm->ndm_family = (uint8_t) a->family;
        ndm->ndm_ifindex = a->ifindex;
        ndm->ndm_state = NUD_STALE;
        ndm->ndm_flags = a->flags & ANSWER_NDM_FLAGS;

        mnl_attr_put(nlh, NDA_DST, family_addr_size(a->family), a->dst.bytes);
        if (lladdr)
                mnl_attr_put(nlh, NDA_LLADDR, lladdr->len, lladdr->bytes);
        if (a->protocol != 0)
                mnl_attr_put_u8(nlh, NDA_PROTOCOL, a->protocol);
        if (ext_flags != 0)
                mnl_attr_put_u32(nlh, NDA_FLAGS_EXT, ext_flags);
        return nlh->nlmsg_len;
}

int nl_build_neigh_answer(void *buf, size_t size, uint32_t seq, const struct nl_neigh_answer *a, bool ack) {
        size_t addr_size, need, first;
        uint32_t ext;
        bool managed;

        if (!a)
                return -EINVAL;
        addr_size = family_addr_size(a->family);
        if (addr_size == 0 || a->ifindex <= 0 || a->lladdr.len == 0 || a->lladdr.len > LLADDR_MAX)
                return -EINVAL;

        managed = a->ext_flags & NTF_EXT_MANAGED;
        ext = a->ext_flags & ~(uint32_t) NTF_EXT_MANAGED;
        first = neigh_msg_size(addr_size, a->lladdr.len, a->protocol != 0, ext != 0);
        need = first + (managed ? neigh_msg_size(addr_size, 0, a->protocol != 0, true) : 0);
        if (!buf || size < need)
                return -ENOBUFS;

        /* libmnl before 1.0.5 leaves attribute padding as it found it: no stale bytes out. */
        memset(buf, 0, need);
        put_neigh_msg(buf, seq, a, &a->lladdr, ext, ack);
        if (managed)
                put_neigh_msg((uint8_t *) buf + first, seq + 1, a, NULL, a->ext_flags, ack);
        return (int) need;
}
