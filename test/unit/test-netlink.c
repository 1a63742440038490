/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <net/if_arp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdalign.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "netlink.h"
#include "tests.h"
#include "test-bpf.h"
#include "test-netns.h"

#ifndef NDA_FLAGS_EXT
#define NDA_FLAGS_EXT 15
#endif

#define BUFSZ 4096
static alignas(8) uint8_t buf[BUFSZ];

/* A plain answer (no flags, no protocol, no override), as the builder took it before answers
 * carried the miss's flags. */
static int build_answer(void *b, size_t size, uint32_t seq, int ifindex, int family, const union in_addr_union *dst,
                        const struct lladdr *ll, bool ack) {
        struct nl_neigh_answer a = { .ifindex = ifindex, .family = family, .dst = *dst, .lladdr = *ll };

        return nl_build_neigh_answer(b, size, seq, &a, ack);
}

/* Parses a copy of the message in a heap block of exactly nlmsg_len bytes (at least the header),
 * so AddressSanitizer catches any read beyond what the message claims. */
static int parse_exact(int (*parse)(const struct nlmsghdr *, void *), const struct nlmsghdr *nlh, void *ret) {
        size_t len = MAX((size_t) nlh->nlmsg_len, sizeof(struct nlmsghdr));
        _cleanup_free_ void *copy = malloc(len);
        int r;

        if (!copy)
                abort();
        memcpy(copy, nlh, len);
        r = parse(copy, ret);
        return r;
}

static int parse_neigh_(const struct nlmsghdr *nlh, void *ret) {
        return nl_parse_neigh(nlh, ret);
}
static int parse_link_(const struct nlmsghdr *nlh, void *ret) {
        return nl_parse_link(nlh, ret);
}
static int parse_addr_(const struct nlmsghdr *nlh, void *ret) {
        return nl_parse_addr(nlh, ret);
}
#define PARSE_NEIGH(nlh, ret) parse_exact(parse_neigh_, (nlh), (ret))
#define PARSE_LINK(nlh, ret) parse_exact(parse_link_, (nlh), (ret))
#define PARSE_ADDR(nlh, ret) parse_exact(parse_addr_, (nlh), (ret))

static struct nlmsghdr *neigh_msg(uint16_t type, int family, int ifindex, uint16_t state, uint8_t flags) {
        struct nlmsghdr *nlh;
        struct ndmsg *ndm;

        memset(buf, 0, sizeof(buf));
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_MULTI;
        nlh->nlmsg_seq = 77;
        nlh->nlmsg_pid = 4242;
        ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
        ndm->ndm_family = (uint8_t) family;
        ndm->ndm_ifindex = ifindex;
        ndm->ndm_state = state;
        ndm->ndm_flags = flags;
        ndm->ndm_type = RTN_UNICAST;
        return nlh;
}

static struct nlmsghdr *link_msg(uint16_t type, int family, int ifindex, unsigned flags, uint16_t arphrd) {
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;

        memset(buf, 0, sizeof(buf));
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = (uint8_t) family;
        ifi->ifi_index = ifindex;
        ifi->ifi_flags = flags;
        ifi->ifi_type = arphrd;
        return nlh;
}

static struct nlmsghdr *addr_msg(uint16_t type, int family, unsigned ifindex, uint8_t prefixlen, uint8_t flags) {
        struct nlmsghdr *nlh;
        struct ifaddrmsg *ifa;

        memset(buf, 0, sizeof(buf));
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        ifa->ifa_family = (uint8_t) family;
        ifa->ifa_index = ifindex;
        ifa->ifa_prefixlen = prefixlen;
        ifa->ifa_flags = flags;
        return nlh;
}

static const uint8_t mac1[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t v4a[4] = { 198, 18, 0, 2 };
static const uint8_t v4b[4] = { 198, 18, 0, 99 };
static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x02 };
static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 };

/* A sentinel so a test can see that a failing parser left *ret alone. */
#define SENTINEL 0x5a

static void test_neigh_valid_ipv4(void) {
        struct nlmsghdr *nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 7, NUD_REACHABLE, NTF_ROUTER);
        struct nda_cacheinfo ci = { .ndm_confirmed = 1 };
        struct nl_neigh n;

        mnl_attr_put(nlh, NDA_DST, sizeof(v4a), v4a);
        mnl_attr_put(nlh, NDA_LLADDR, sizeof(mac1), mac1);
        mnl_attr_put(nlh, NDA_CACHEINFO, sizeof(ci), &ci); /* not ours: skipped */
        mnl_attr_put_u32(nlh, NDA_PROBES, 3);
        mnl_attr_put_u32(nlh, NDA_FLAGS_EXT, 0x2);
        mnl_attr_put_u16(nlh, 200, 1);                     /* unknown: skipped */

        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK_INT_EQ(n.type, RTM_NEWNEIGH);
        CHECK_INT_EQ(n.nlmsg_flags, NLM_F_MULTI);
        CHECK_INT_EQ(n.nlmsg_seq, 77);
        CHECK_INT_EQ(n.nlmsg_pid, 4242);
        CHECK_INT_EQ(n.family, AF_INET);
        CHECK_INT_EQ(n.ifindex, 7);
        CHECK_INT_EQ(n.state, NUD_REACHABLE);
        CHECK_INT_EQ(n.flags, NTF_ROUTER);
        CHECK_INT_EQ(n.ndm_type, RTN_UNICAST);
        CHECK(n.has_dst);
        CHECK(memcmp(n.dst.bytes, v4a, 4) == 0);
        CHECK(n.has_lladdr);
        CHECK_INT_EQ(n.lladdr.len, 6);
        CHECK(memcmp(n.lladdr.bytes, mac1, 6) == 0);
        CHECK(n.has_probes);
        CHECK_INT_EQ(n.probes, 3);
        CHECK_INT_EQ(n.ext_flags, 0x2);
}

static void test_neigh_valid_ipv6_and_miss(void) {
        struct nlmsghdr *nlh;
        struct nl_neigh n;

        nlh = neigh_msg(RTM_DELNEIGH, AF_INET6, 3, NUD_FAILED, 0);
        mnl_attr_put(nlh, NDA_DST, sizeof(v6a), v6a);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK_INT_EQ(n.type, RTM_DELNEIGH);
        CHECK_INT_EQ(n.family, AF_INET6);
        CHECK(n.has_dst);
        CHECK(memcmp(n.dst.bytes, v6a, 16) == 0);
        CHECK(!n.has_lladdr);
        CHECK(!n.has_probes);
        CHECK_INT_EQ(n.ext_flags, 0);

        /* The kernel's miss: RTM_GETNEIGH, INCOMPLETE, no lladdr, probes 0. */
        nlh = neigh_msg(RTM_GETNEIGH, AF_INET, 2, NUD_INCOMPLETE, 0);
        mnl_attr_put(nlh, NDA_DST, sizeof(v4a), v4a);
        mnl_attr_put_u32(nlh, NDA_PROBES, 0);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK_INT_EQ(n.type, RTM_GETNEIGH);
        CHECK_INT_EQ(n.state, NUD_INCOMPLETE);
        CHECK(!n.has_lladdr);
        CHECK(n.has_probes);
        CHECK_INT_EQ(n.probes, 0);

        /* No attributes at all (proxy entries may even have ifindex 0). */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 0, NUD_NOARP, NTF_PROXY);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK(!n.has_dst);
        CHECK_INT_EQ(n.ifindex, 0);
        CHECK_INT_EQ(n.flags, NTF_PROXY);
}

static void test_neigh_lladdr_lengths(void) {
        uint8_t big[LLADDR_MAX + 1];
        struct nlmsghdr *nlh;
        struct nl_neigh n;

        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (uint8_t) (i + 1);

        /* 0 bytes: present but empty -> has_lladdr false */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_DST, 4, v4a);
        mnl_attr_put(nlh, NDA_LLADDR, 0, NULL);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK(!n.has_lladdr);
        CHECK_INT_EQ(n.lladdr.len, 0);

        /* 20 bytes (InfiniBand) */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_LLADDR, 20, big);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK(n.has_lladdr);
        CHECK_INT_EQ(n.lladdr.len, 20);
        CHECK(memcmp(n.lladdr.bytes, big, 20) == 0);

        /* exactly LLADDR_MAX */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_LLADDR, LLADDR_MAX, big);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK_INT_EQ(n.lladdr.len, LLADDR_MAX);
        CHECK(memcmp(n.lladdr.bytes, big, LLADDR_MAX) == 0);

        /* 33 bytes */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_LLADDR, LLADDR_MAX + 1, big);
        memset(&n, SENTINEL, sizeof(n));
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);
        CHECK_INT_EQ(n.ifindex, 0x5a5a5a5a); /* untouched on failure */
}

static void test_neigh_dst_lengths(void) {
        struct nlmsghdr *nlh;
        struct nl_neigh n;

        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_DST, 16, v6a);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);

        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_DST, 3, v4a);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);

        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_DST, 5, v6a);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);

        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET6, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_DST, 4, v4a);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);

        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET6, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_DST, 0, NULL);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);
}

static void test_neigh_u32_attrs(void) {
        uint64_t eight = 1;
        struct nlmsghdr *nlh;
        struct nl_neigh n;

        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put_u16(nlh, NDA_PROBES, 1);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);

        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_PROBES, sizeof(eight), &eight);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);

        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_FLAGS_EXT, sizeof(eight), &eight);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);

        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put_u8(nlh, NDA_FLAGS_EXT, 1);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);
}

static void test_neigh_bad_headers(void) {
        struct nlmsghdr *nlh;
        struct nl_neigh n;

        /* shorter than struct nlmsghdr */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        nlh->nlmsg_len = 8;
        CHECK_INT_EQ(nl_parse_neigh(nlh, &n), -EBADMSG);
        nlh->nlmsg_len = 0;
        CHECK_INT_EQ(nl_parse_neigh(nlh, &n), -EBADMSG);

        /* header but a short ndmsg */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(struct ndmsg) - 1;
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);
        nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);
        nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(struct ndmsg);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);

        /* wrong message types */
        nlh = neigh_msg(RTM_NEWLINK, AF_INET, 1, NUD_STALE, 0);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EPROTONOSUPPORT);
        nlh = neigh_msg(NLMSG_DONE, AF_INET, 1, NUD_STALE, 0);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EPROTONOSUPPORT);
        nlh = neigh_msg(RTM_NEWADDR, AF_INET, 1, NUD_STALE, 0);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EPROTONOSUPPORT);

        /* families we do not handle, even with attributes that would be invalid for IPv4 */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_BRIDGE, 1, NUD_PERMANENT, NTF_SELF);
        mnl_attr_put(nlh, NDA_LLADDR, sizeof(mac1), mac1);
        mnl_attr_put(nlh, NDA_DST, 16, v6a);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EPROTONOSUPPORT);
        nlh = neigh_msg(RTM_NEWNEIGH, AF_UNSPEC, 1, NUD_STALE, 0);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EPROTONOSUPPORT);
        nlh = neigh_msg(RTM_NEWNEIGH, AF_PACKET, 1, NUD_STALE, 0);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EPROTONOSUPPORT);

        /* negative ifindex */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, -1, NUD_STALE, 0);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);
}

static void test_neigh_truncated_attrs(void) {
        struct nlmsghdr *nlh;
        struct nlattr *attr;
        struct nl_neigh n;

        /* attribute claims more than the message holds */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_DST, 4, v4a);
        mnl_attr_put(nlh, NDA_LLADDR, 6, mac1);
        nlh->nlmsg_len -= 4; /* cut the last attribute short: nla_len 10, 4 bytes left of it */
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);

        /* nla_len larger than the message */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        attr = (struct nlattr *) ((uint8_t *) nlh + nlh->nlmsg_len);
        mnl_attr_put(nlh, NDA_DST, 4, v4a);
        attr->nla_len = 200;
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);

        /* nla_len shorter than the attribute header */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        attr = (struct nlattr *) ((uint8_t *) nlh + nlh->nlmsg_len);
        mnl_attr_put(nlh, NDA_DST, 4, v4a);
        attr->nla_len = 2;
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);

        /* 1..3 trailing bytes that cannot hold an attribute header */
        for (unsigned extra = 1; extra <= 3; extra++) {
                nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
                mnl_attr_put(nlh, NDA_DST, 4, v4a);
                nlh->nlmsg_len += extra;
                CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), -EBADMSG);
        }

        /* an unaligned message whose last attribute ends exactly at nlmsg_len is fine */
        nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 1, NUD_STALE, 0);
        mnl_attr_put(nlh, NDA_LLADDR, 6, mac1);
        nlh->nlmsg_len -= 2; /* drop the padding */
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK_INT_EQ(n.lladdr.len, 6);
}

static void test_link(void) {
        uint8_t big[LLADDR_MAX + 1] = {};
        struct nlmsghdr *nlh;
        struct nl_link l;

        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 5, IFF_UP | IFF_BROADCAST, ARPHRD_ETHER);
        mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "veth0");
        mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac1), mac1);
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), 0);
        CHECK(!l.deleted);
        CHECK_INT_EQ(l.ifindex, 5);
        CHECK_STR_EQ(l.ifname, "veth0");
        CHECK_INT_EQ(l.flags, IFF_UP | IFF_BROADCAST);
        CHECK_INT_EQ(l.type, ARPHRD_ETHER);
        CHECK_INT_EQ(l.hwaddr.len, 6);
        CHECK(memcmp(l.hwaddr.bytes, mac1, 6) == 0);

        /* RTM_DELLINK, no address, 15-character name */
        nlh = link_msg(RTM_DELLINK, AF_UNSPEC, 9, 0, ARPHRD_NONE);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "abcdefghijklmno");
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), 0);
        CHECK(l.deleted);
        CHECK_STR_EQ(l.ifname, "abcdefghijklmno");
        CHECK_INT_EQ(l.hwaddr.len, 0);

        /* payload longer than the name: the NUL within IFNAMSIZ counts */
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 9, 0, ARPHRD_ETHER);
        mnl_attr_put(nlh, IFLA_IFNAME, 20, "abc\0zzzzzzzzzzzzzzzz");
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), 0);
        CHECK_STR_EQ(l.ifname, "abc");

        /* IFLA_ADDRESS of 32 accepted, 33 rejected */
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 9, 0, ARPHRD_INFINIBAND);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "ib0");
        mnl_attr_put(nlh, IFLA_ADDRESS, LLADDR_MAX, big);
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), 0);
        CHECK_INT_EQ(l.hwaddr.len, LLADDR_MAX);
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 9, 0, ARPHRD_INFINIBAND);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "ib0");
        mnl_attr_put(nlh, IFLA_ADDRESS, LLADDR_MAX + 1, big);
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EBADMSG);

        /* missing name */
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 5, 0, ARPHRD_ETHER);
        mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac1), mac1);
        memset(&l, SENTINEL, sizeof(l));
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EBADMSG);
        CHECK_INT_EQ(l.ifindex, 0x5a5a5a5a);

        /* unterminated names */
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 5, 0, ARPHRD_ETHER);
        mnl_attr_put(nlh, IFLA_IFNAME, 5, "veth0");
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EBADMSG);
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 5, 0, ARPHRD_ETHER);
        mnl_attr_put(nlh, IFLA_IFNAME, 17, "abcdefghijklmnop"); /* NUL at offset 16 */
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EBADMSG);
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 5, 0, ARPHRD_ETHER);
        mnl_attr_put(nlh, IFLA_IFNAME, 16, "abcdefghijklmnop");
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EBADMSG);

        /* empty names */
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 5, 0, ARPHRD_ETHER);
        mnl_attr_put(nlh, IFLA_IFNAME, 0, NULL);
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EBADMSG);
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 5, 0, ARPHRD_ETHER);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "");
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EBADMSG);

        /* bad ifindex, other families, wrong types, short headers, truncated attribute */
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 0, 0, ARPHRD_ETHER);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EBADMSG);
        nlh = link_msg(RTM_DELLINK, AF_BRIDGE, 5, 0, ARPHRD_ETHER);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EPROTONOSUPPORT);
        nlh = link_msg(RTM_NEWLINK, AF_INET6, 5, 0, ARPHRD_ETHER);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EPROTONOSUPPORT);
        nlh = link_msg(RTM_NEWNEIGH, AF_UNSPEC, 5, 0, ARPHRD_ETHER);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EPROTONOSUPPORT);
        nlh = link_msg(RTM_GETLINK, AF_UNSPEC, 5, 0, ARPHRD_ETHER);
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EPROTONOSUPPORT);
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 5, 0, ARPHRD_ETHER);
        nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg) - 1;
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EBADMSG);
        nlh->nlmsg_len = 4;
        CHECK_INT_EQ(nl_parse_link(nlh, &l), -EBADMSG);
        nlh = link_msg(RTM_NEWLINK, AF_UNSPEC, 5, 0, ARPHRD_ETHER);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
        nlh->nlmsg_len -= 4;
        CHECK_INT_EQ(PARSE_LINK(nlh, &l), -EBADMSG);
}

static void test_addr(void) {
        struct nlmsghdr *nlh;
        struct nl_addr a;

        /* IPv4 point-to-point: IFA_LOCAL wins over IFA_ADDRESS (the peer) */
        nlh = addr_msg(RTM_NEWADDR, AF_INET, 4, 24, IFA_F_PERMANENT);
        mnl_attr_put(nlh, IFA_ADDRESS, 4, v4b);
        mnl_attr_put(nlh, IFA_LOCAL, 4, v4a);
        mnl_attr_put_strz(nlh, IFA_LABEL, "eth0");
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), 0);
        CHECK(!a.deleted);
        CHECK_INT_EQ(a.ifindex, 4);
        CHECK_INT_EQ(a.prefix.family, AF_INET);
        CHECK_INT_EQ(a.prefix.prefixlen, 24);
        CHECK(memcmp(a.prefix.addr.bytes, v4a, 4) == 0);
        CHECK_INT_EQ(a.flags, IFA_F_PERMANENT);

        /* IPv4 with IFA_ADDRESS only; IFA_FLAGS overrides ifa_flags */
        nlh = addr_msg(RTM_DELADDR, AF_INET, 4, 32, IFA_F_PERMANENT);
        mnl_attr_put(nlh, IFA_ADDRESS, 4, v4b);
        mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NOPREFIXROUTE | IFA_F_SECONDARY);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), 0);
        CHECK(a.deleted);
        CHECK_INT_EQ(a.prefix.prefixlen, 32);
        CHECK(memcmp(a.prefix.addr.bytes, v4b, 4) == 0);
        CHECK_INT_EQ(a.flags, IFA_F_NOPREFIXROUTE | IFA_F_SECONDARY);

        /* IPv6: IFA_ADDRESS; and IFA_LOCAL when the kernel sends a peer */
        nlh = addr_msg(RTM_NEWADDR, AF_INET6, 4, 64, 0);
        mnl_attr_put(nlh, IFA_ADDRESS, 16, v6a);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), 0);
        CHECK_INT_EQ(a.prefix.family, AF_INET6);
        CHECK_INT_EQ(a.prefix.prefixlen, 64);
        CHECK(memcmp(a.prefix.addr.bytes, v6a, 16) == 0);
        nlh = addr_msg(RTM_NEWADDR, AF_INET6, 4, 128, 0);
        mnl_attr_put(nlh, IFA_LOCAL, 16, v6a);
        mnl_attr_put(nlh, IFA_ADDRESS, 16, v6b);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), 0);
        CHECK_INT_EQ(a.prefix.prefixlen, 128);
        CHECK(memcmp(a.prefix.addr.bytes, v6a, 16) == 0);

        /* prefix length limits */
        nlh = addr_msg(RTM_NEWADDR, AF_INET, 4, 33, 0);
        mnl_attr_put(nlh, IFA_LOCAL, 4, v4a);
        memset(&a, SENTINEL, sizeof(a));
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EBADMSG);
        CHECK_INT_EQ(a.ifindex, 0x5a5a5a5a);
        nlh = addr_msg(RTM_NEWADDR, AF_INET6, 4, 129, 0);
        mnl_attr_put(nlh, IFA_ADDRESS, 16, v6a);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EBADMSG);

        /* no address, wrong lengths */
        nlh = addr_msg(RTM_NEWADDR, AF_INET, 4, 24, 0);
        mnl_attr_put_u32(nlh, IFA_FLAGS, 0);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EBADMSG);
        nlh = addr_msg(RTM_NEWADDR, AF_INET, 4, 24, 0);
        mnl_attr_put(nlh, IFA_ADDRESS, 16, v6a);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EBADMSG);
        nlh = addr_msg(RTM_NEWADDR, AF_INET6, 4, 64, 0);
        mnl_attr_put(nlh, IFA_ADDRESS, 16, v6a);
        mnl_attr_put(nlh, IFA_LOCAL, 4, v4a);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EBADMSG);
        nlh = addr_msg(RTM_NEWADDR, AF_INET, 4, 24, 0);
        mnl_attr_put(nlh, IFA_LOCAL, 4, v4a);
        mnl_attr_put_u16(nlh, IFA_FLAGS, 1);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EBADMSG);

        /* ifindex, families, types, short headers, truncation */
        nlh = addr_msg(RTM_NEWADDR, AF_INET, 0, 24, 0);
        mnl_attr_put(nlh, IFA_LOCAL, 4, v4a);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EBADMSG);
        nlh = addr_msg(RTM_NEWADDR, AF_INET, 0x80000000u, 24, 0);
        mnl_attr_put(nlh, IFA_LOCAL, 4, v4a);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EBADMSG);
        nlh = addr_msg(RTM_NEWADDR, AF_PACKET, 4, 24, 0);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EPROTONOSUPPORT);
        nlh = addr_msg(RTM_NEWROUTE, AF_INET, 4, 24, 0);
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EPROTONOSUPPORT);
        nlh = addr_msg(RTM_NEWADDR, AF_INET, 4, 24, 0);
        nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(struct ifaddrmsg) - 1;
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EBADMSG);
        nlh->nlmsg_len = 15;
        CHECK_INT_EQ(nl_parse_addr(nlh, &a), -EBADMSG);
        nlh = addr_msg(RTM_NEWADDR, AF_INET, 4, 24, 0);
        mnl_attr_put(nlh, IFA_LOCAL, 4, v4a);
        nlh->nlmsg_len -= 1;
        CHECK_INT_EQ(PARSE_ADDR(nlh, &a), -EBADMSG);
}

static void test_build_answer(void) {
        union in_addr_union dst = {}, dst6 = {};
        struct lladdr ll = {}, ll7 = {};
        uint8_t seven[7] = { 1, 2, 3, 4, 5, 6, 7 };
        struct nl_neigh n;
        uint8_t before[BUFSZ];
        int len, need;

        memcpy(dst.bytes, v4a, 4);
        memcpy(dst6.bytes, v6a, 16);
        lladdr_set(&ll, mac1, sizeof(mac1));
        lladdr_set(&ll7, seven, sizeof(seven));

        memset(buf, 0xaa, sizeof(buf));
        len = build_answer(buf, sizeof(buf), 1234, 6, AF_INET, &dst, &ll, true);
        need = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ndmsg)) + MNL_ATTR_HDRLEN + 4 + MNL_ATTR_HDRLEN + 8;
        CHECK_INT_EQ(len, need);
        CHECK_INT_EQ(((struct nlmsghdr *) buf)->nlmsg_len, need);
        CHECK_INT_EQ(PARSE_NEIGH((struct nlmsghdr *) buf, &n), 0);
        CHECK_INT_EQ(n.type, RTM_NEWNEIGH);
        CHECK_INT_EQ(n.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
        CHECK_INT_EQ(n.nlmsg_seq, 1234);
        CHECK_INT_EQ(n.nlmsg_pid, 0);
        CHECK_INT_EQ(n.family, AF_INET);
        CHECK_INT_EQ(n.ifindex, 6);
        CHECK_INT_EQ(n.state, NUD_STALE);
        CHECK_INT_EQ(n.flags, 0);
        CHECK(n.has_dst);
        CHECK(in_addr_equal(AF_INET, &n.dst, &dst));
        CHECK(n.has_lladdr);
        CHECK(lladdr_equal(&n.lladdr, &ll));
        CHECK(!n.has_probes);
        /* padding after the 6-byte lladdr is zeroed, not left over */
        CHECK_INT_EQ(buf[need - 1], 0);
        CHECK_INT_EQ(buf[need - 2], 0);

        /* without ack, IPv6, odd lladdr length */
        len = build_answer(buf, sizeof(buf), 9, 2, AF_INET6, &dst6, &ll7, false);
        CHECK(len > 0);
        CHECK_INT_EQ(PARSE_NEIGH((struct nlmsghdr *) buf, &n), 0);
        CHECK_INT_EQ(n.nlmsg_flags, NLM_F_REQUEST);
        CHECK_INT_EQ(n.family, AF_INET6);
        CHECK_INT_EQ(n.state, NUD_STALE);
        CHECK(in_addr_equal(AF_INET6, &n.dst, &dst6));
        CHECK(lladdr_equal(&n.lladdr, &ll7));

        /* exact size works, one byte less is -ENOBUFS and writes nothing */
        CHECK_INT_EQ(build_answer(buf, need, 1, 6, AF_INET, &dst, &ll, true), need);
        memset(buf, 0xaa, sizeof(buf));
        memcpy(before, buf, sizeof(before));
        CHECK_INT_EQ(build_answer(buf, need - 1, 1, 6, AF_INET, &dst, &ll, true), -ENOBUFS);
        CHECK(memcmp(before, buf, sizeof(buf)) == 0);
        CHECK_INT_EQ(build_answer(buf, 0, 1, 6, AF_INET, &dst, &ll, true), -ENOBUFS);

        /* what cannot be encoded */
        CHECK_INT_EQ(build_answer(buf, sizeof(buf), 1, 6, AF_PACKET, &dst, &ll, true), -EINVAL);
        CHECK_INT_EQ(build_answer(buf, sizeof(buf), 1, 0, AF_INET, &dst, &ll, true), -EINVAL);
        CHECK_INT_EQ(build_answer(buf, sizeof(buf), 1, -3, AF_INET, &dst, &ll, true), -EINVAL);
        ll.len = 0;
        CHECK_INT_EQ(build_answer(buf, sizeof(buf), 1, 6, AF_INET, &dst, &ll, true), -EINVAL);
        ll.len = LLADDR_MAX + 1;
        CHECK_INT_EQ(build_answer(buf, sizeof(buf), 1, 6, AF_INET, &dst, &ll, true), -EINVAL);
        ll.len = LLADDR_MAX;
        CHECK(build_answer(buf, sizeof(buf), 1, 6, AF_INET, &dst, &ll, true) > 0);
        CHECK_INT_EQ(PARSE_NEIGH((struct nlmsghdr *) buf, &n), 0);
        CHECK_INT_EQ(n.lladdr.len, LLADDR_MAX);
}

/* What an answer sends back: the miss's flags that the kernel would otherwise clear, our protocol,
 * and never NLM_F_CREATE. */
static void test_build_answer_flags(void) {
        struct nl_neigh_answer a = {
                .ifindex = 4,
                .family = AF_INET6,
                .flags = NTF_EXT_LEARNED | NTF_ROUTER | NTF_USE | NTF_PROXY,
                .protocol = ARPD_NEIGH_PROTOCOL,
        };
        const struct nlmsghdr *nlh = (const struct nlmsghdr *) buf;
        struct nl_neigh n;
        int len, remaining;

        memcpy(a.dst.bytes, v6a, 16);
        lladdr_set(&a.lladdr, mac1, sizeof(mac1));

        CHECK_INT_EQ(nl_neigh_answer_count(&a), 1);
        len = nl_build_neigh_answer(buf, sizeof(buf), 7, &a, false);
        CHECK(len > 0);
        CHECK_INT_EQ(nlh->nlmsg_len, len);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK_INT_EQ(n.nlmsg_flags, NLM_F_REQUEST);           /* no CREATE, no REPLACE */
        CHECK_INT_EQ(n.flags, NTF_EXT_LEARNED | NTF_ROUTER);  /* USE / PROXY never echoed */
        CHECK_INT_EQ(n.protocol, ARPD_NEIGH_PROTOCOL);
        CHECK_INT_EQ(n.ext_flags, 0);
        CHECK(n.has_lladdr);

        a.override = true;
        CHECK(nl_build_neigh_answer(buf, sizeof(buf), 7, &a, true) > 0);
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK_INT_EQ(n.nlmsg_flags, NLM_F_REQUEST | NLM_F_REPLACE | NLM_F_ACK);

        /* managed: the answer without the flag (the kernel ignores the lladdr of a managed update),
         * then a flags-only message with it */
        a.override = false;
        a.flags = 0;
        a.ext_flags = NTF_EXT_MANAGED | (1u << 5);
        CHECK_INT_EQ(nl_neigh_answer_count(&a), 2);
        len = nl_build_neigh_answer(buf, sizeof(buf), 20, &a, false);
        CHECK(len > 0);
        remaining = len;
        CHECK(nl_msg_ok(nlh, remaining));
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK_INT_EQ(n.nlmsg_seq, 20);
        CHECK(n.has_lladdr);
        CHECK_INT_EQ(n.ext_flags, 1u << 5);
        CHECK_INT_EQ(n.protocol, ARPD_NEIGH_PROTOCOL);
        nlh = mnl_nlmsg_next(nlh, &remaining);
        CHECK(nl_msg_ok(nlh, remaining));
        CHECK_INT_EQ(PARSE_NEIGH(nlh, &n), 0);
        CHECK_INT_EQ(n.nlmsg_seq, 21);
        CHECK_INT_EQ(n.type, RTM_NEWNEIGH);
        CHECK(!n.has_lladdr);
        CHECK_INT_EQ(n.ext_flags, NTF_EXT_MANAGED | (1u << 5));
        CHECK(in_addr_equal(AF_INET6, &n.dst, &a.dst));
        nlh = mnl_nlmsg_next(nlh, &remaining);
        CHECK_INT_EQ(remaining, 0);
        /* exact size, one byte less */
        CHECK_INT_EQ(nl_build_neigh_answer(buf, (size_t) len, 20, &a, false), len);
        CHECK_INT_EQ(nl_build_neigh_answer(buf, (size_t) len - 1, 20, &a, false), -ENOBUFS);
        CHECK_INT_EQ(nl_build_neigh_answer(buf, sizeof(buf), 20, NULL, false), -EINVAL);
}

static void test_build_dump(void) {
        static const struct {
                uint16_t type;
                size_t hdr;
        } cases[] = {
                { RTM_GETNEIGH, sizeof(struct ndmsg) },
                { RTM_GETLINK, sizeof(struct ifinfomsg) },
                { RTM_GETADDR, sizeof(struct ifaddrmsg) },
        };
        struct nl_neigh n;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct nlmsghdr *nlh = (const struct nlmsghdr *) buf;
                size_t need = MNL_NLMSG_HDRLEN + cases[i].hdr;
                const uint8_t *payload;
                bool rest_zero = true;

                memset(buf, 0xaa, sizeof(buf));
                CHECK_INT_EQ(nl_build_dump(buf, sizeof(buf), cases[i].type, AF_INET6, 55 + i), need);
                CHECK_INT_EQ(nlh->nlmsg_len, need);
                CHECK_INT_EQ(nlh->nlmsg_type, cases[i].type);
                CHECK_INT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
                CHECK_INT_EQ(nlh->nlmsg_seq, 55 + i);
                CHECK_INT_EQ(nlh->nlmsg_pid, 0);
                payload = mnl_nlmsg_get_payload(nlh);
                CHECK_INT_EQ(payload[0], AF_INET6);
                for (size_t k = 1; k < cases[i].hdr; k++)
                        if (payload[k] != 0)
                                rest_zero = false;
                CHECK(rest_zero);

                CHECK_INT_EQ(nl_build_dump(buf, need, cases[i].type, AF_UNSPEC, 1), need);
                CHECK_INT_EQ(payload[0], AF_UNSPEC);
                CHECK_INT_EQ(nl_build_dump(buf, need - 1, cases[i].type, AF_UNSPEC, 1), -ENOBUFS);
        }

        CHECK_INT_EQ(nl_build_dump(buf, sizeof(buf), RTM_NEWNEIGH, AF_INET, 1), -EINVAL);
        CHECK_INT_EQ(nl_build_dump(buf, sizeof(buf), RTM_GETROUTE, AF_INET, 1), -EINVAL);
        CHECK_INT_EQ(nl_build_dump(buf, sizeof(buf), RTM_GETNEIGH, -1, 1), -EINVAL);
        CHECK_INT_EQ(nl_build_dump(buf, sizeof(buf), RTM_GETNEIGH, 256, 1), -EINVAL);

        /* a neighbour dump request is itself a well-formed RTM_GETNEIGH */
        CHECK(nl_build_dump(buf, sizeof(buf), RTM_GETNEIGH, AF_INET, 3) > 0);
        CHECK_INT_EQ(PARSE_NEIGH((struct nlmsghdr *) buf, &n), 0);
        CHECK_INT_EQ(n.type, RTM_GETNEIGH);
        CHECK_INT_EQ(n.family, AF_INET);
        CHECK(!n.has_dst);
}

static void test_msg_ok(void) {
        struct nlmsghdr *nlh = (struct nlmsghdr *) buf;
        const struct nlmsghdr *it;
        unsigned n = 0;
        int len;

        memset(buf, 0, sizeof(buf));
        nlh->nlmsg_len = 20;
        CHECK(nl_msg_ok(nlh, 20));
        CHECK(nl_msg_ok(nlh, 100));
        CHECK(!nl_msg_ok(nlh, 19));
        CHECK(!nl_msg_ok(nlh, 15));
        CHECK(!nl_msg_ok(nlh, 0));
        CHECK(!nl_msg_ok(nlh, -3));
        nlh->nlmsg_len = 15;
        CHECK(!nl_msg_ok(nlh, 100));
        /* what libmnl 1.0.4's mnl_nlmsg_ok() lets through */
        nlh->nlmsg_len = 0x80000010u;
        CHECK(!nl_msg_ok(nlh, 100));
        nlh->nlmsg_len = 0xffffffffu;
        CHECK(!nl_msg_ok(nlh, 100));

        /* a walk: two messages, the second unpadded and last; then a truncated third */
        memset(buf, 0, sizeof(buf));
        nlh = (struct nlmsghdr *) buf;
        nlh->nlmsg_len = 24;
        nlh = (struct nlmsghdr *) (buf + 24);
        nlh->nlmsg_len = 17;
        len = 24 + 17;
        for (it = (const struct nlmsghdr *) buf; nl_msg_ok(it, len); it = mnl_nlmsg_next(it, &len))
                n++;
        CHECK_INT_EQ(n, 2);
        CHECK(len < 0);
        len = 24 + 16;
        n = 0;
        for (it = (const struct nlmsghdr *) buf; nl_msg_ok(it, len); it = mnl_nlmsg_next(it, &len))
                n++;
        CHECK_INT_EQ(n, 1);
}

static void test_huge_nlmsg_len(void) {
        /* A message claiming 2^31 bytes in a buffer full of valid unknown attributes: the parser
         * must refuse the length, not walk past the allocation (ASan would see it). */
        _cleanup_free_ uint8_t *big = malloc(BUFSZ);
        struct nlmsghdr *nlh;
        struct ndmsg *ndm;
        struct nl_neigh n;
        struct nl_link l;
        struct nl_addr a;

        CHECK(big);
        if (!big)
                return;
        memset(big, 0, BUFSZ);
        nlh = mnl_nlmsg_put_header(big);
        nlh->nlmsg_type = RTM_NEWNEIGH;
        ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(struct ndmsg));
        ndm->ndm_family = AF_INET;
        ndm->ndm_ifindex = 1; /* at the same offset as ifi_index and ifa_index */
        while (nlh->nlmsg_len + 8 <= BUFSZ)
                mnl_attr_put_u32(nlh, 200, 0);
        while (nlh->nlmsg_len + 4 <= BUFSZ)
                mnl_attr_put(nlh, 201, 0, NULL);
        CHECK_INT_EQ(nlh->nlmsg_len, BUFSZ); /* attributes up to the very last byte */
        nlh->nlmsg_len = 0x80000000u;
        CHECK_INT_EQ(nl_parse_neigh(nlh, &n), -EBADMSG);
        nlh->nlmsg_len = 0xffffffffu;
        CHECK_INT_EQ(nl_parse_neigh(nlh, &n), -EBADMSG);
        nlh->nlmsg_type = RTM_NEWLINK;
        ndm->ndm_family = AF_UNSPEC;
        CHECK_INT_EQ(nl_parse_link(nlh, &l), -EBADMSG);
        ndm->ndm_family = AF_INET;
        nlh->nlmsg_type = RTM_NEWADDR;
        CHECK_INT_EQ(nl_parse_addr(nlh, &a), -EBADMSG);
}

/* ---- end to end, in a private network namespace (root only) ---- */

static void mnl_socket_closep_(struct mnl_socket **nl) {
        if (*nl)
                (void) mnl_socket_close(*nl);
}

static int wait_readable(int fd, int timeout_ms) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, timeout_ms);

        return r < 0 ? -errno : r;
}

/* Reads the dump answer for seq until NLMSG_DONE; returns the number of neighbours seen. */
static int read_dump(struct mnl_socket *nl, uint32_t seq) {
        static alignas(8) uint8_t rx[65536];
        int count = 0;

        for (;;) {
                const struct nlmsghdr *nlh;
                ssize_t n;
                int len;

                if (wait_readable(mnl_socket_get_fd(nl), 5000) <= 0)
                        return -ETIMEDOUT;
                n = mnl_socket_recvfrom(nl, rx, sizeof(rx));
                if (n < 0)
                        return -errno;
                len = (int) n;
                for (nlh = (const struct nlmsghdr *) rx; nl_msg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
                        struct nl_neigh ne;

                        if (nlh->nlmsg_seq != seq)
                                continue;
                        if (nlh->nlmsg_type == NLMSG_DONE)
                                return count;
                        if (nlh->nlmsg_type == NLMSG_ERROR)
                                return -EIO;
                        if (nl_parse_neigh(nlh, &ne) == 0)
                                count++;
                }
        }
}

/* Reads until the ack for seq; returns its error code (0 = success). */
static int read_ack(struct mnl_socket *nl, uint32_t seq) {
        static alignas(8) uint8_t rx[8192];

        for (;;) {
                const struct nlmsghdr *nlh;
                ssize_t n;
                int len;

                if (wait_readable(mnl_socket_get_fd(nl), 5000) <= 0)
                        return -ETIMEDOUT;
                n = mnl_socket_recvfrom(nl, rx, sizeof(rx));
                if (n < 0)
                        return -errno;
                len = (int) n;
                for (nlh = (const struct nlmsghdr *) rx; nl_msg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
                        const struct nlmsgerr *e;

                        if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != seq)
                                continue;
                        if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*e))
                                return -EBADMSG;
                        e = mnl_nlmsg_get_payload(nlh);
                        return e->error;
                }
        }
}

/* Reads the event socket until match() accepts a message (it decodes into its userdata). */
static int read_event(struct mnl_socket *nl, bool (*match)(const struct nlmsghdr *nlh, void *userdata),
                      void *userdata) {
        static alignas(8) uint8_t rx[65536];

        for (;;) {
                const struct nlmsghdr *nlh;
                ssize_t n;
                int len;

                if (wait_readable(mnl_socket_get_fd(nl), 5000) <= 0)
                        return -ETIMEDOUT;
                n = mnl_socket_recvfrom(nl, rx, sizeof(rx));
                if (n < 0)
                        return -errno;
                len = (int) n;
                for (nlh = (const struct nlmsghdr *) rx; nl_msg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
                        if (match(nlh, userdata))
                                return 0;
        }
}

struct neigh_match {
        union in_addr_union dst;
        struct nl_neigh n;
};
static bool match_neigh(const struct nlmsghdr *nlh, void *userdata) {
        struct neigh_match *m = userdata;

        return nlh->nlmsg_type == RTM_NEWNEIGH && nl_parse_neigh(nlh, &m->n) == 0 &&
               m->n.family == AF_INET && m->n.has_dst && in_addr_equal(AF_INET, &m->n.dst, &m->dst);
}

struct addr_match {
        union in_addr_union addr;
        struct nl_addr a;
};
static bool match_addr(const struct nlmsghdr *nlh, void *userdata) {
        struct addr_match *m = userdata;

        return nlh->nlmsg_type == RTM_NEWADDR && nl_parse_addr(nlh, &m->a) == 0 &&
               m->a.prefix.family == AF_INET && in_addr_equal(AF_INET, &m->a.prefix.addr, &m->addr);
}

struct link_match {
        const char *ifname;
        struct nl_link l;
};
static bool match_link(const struct nlmsghdr *nlh, void *userdata) {
        struct link_match *m = userdata;

        return nlh->nlmsg_type == RTM_NEWLINK && nl_parse_link(nlh, &m->l) == 0 &&
               strcmp(m->l.ifname, m->ifname) == 0 && !(m->l.flags & IFF_UP);
}

/* The one line `ip -d neigh show ADDR dev arpdt0` prints, or "" (in the netns child). */
static void neigh_show(const char *addr, char *line, size_t size) {
        char cmd[128];
        FILE *p;

        line[0] = '\0';
        snprintf(cmd, sizeof(cmd), "ip -d neigh show %s dev arpdt0", addr);
        p = popen(cmd, "r");
        if (!p)
                return;
        if (!fgets(line, (int) size, p))
                line[0] = '\0';
        pclose(p);
}

/* Sends one answer and returns the kernel's verdict (0 or a negative errno); every message of it
 * is acknowledged, the first error wins. */
static int send_answer(struct mnl_socket *cmd, uint32_t seq, const char *addr, const char *mac, uint8_t flags,
                       uint32_t ext_flags) {
        struct nl_neigh_answer a = {
                .ifindex = (int) if_nametoindex("arpdt0"),
                .family = AF_INET,
                .flags = flags,
                .ext_flags = ext_flags,
                .protocol = ARPD_NEIGH_PROTOCOL,
        };
        int len, r = 0;

        inet_pton(AF_INET, addr, &a.dst.in);
        if (lladdr_from_string(mac, &a.lladdr) < 0)
                return -EINVAL;
        len = nl_build_neigh_answer(buf, sizeof(buf), seq, &a, true);
        if (len < 0 || mnl_socket_sendto(cmd, buf, (size_t) len) != len)
                return -EIO;
        for (unsigned i = 0; i < nl_neigh_answer_count(&a); i++) {
                int q = read_ack(cmd, seq + i);
                if (q < 0 && r == 0)
                        r = q;
        }
        return r;
}

/* What the kernel does with our answers (checked on this machine's kernel, in the private netns). */
static void check_answer_semantics(struct mnl_socket *cmd) {
        char line[512];

        /* No NLM_F_CREATE: an entry the kernel does not hold is not created. */
        CHECK_INT_EQ(send_answer(cmd, 100, "198.18.0.20", "02:00:00:00:00:20", 0, 0), -ENOENT);
        neigh_show("198.18.0.20", line, sizeof(line));
        CHECK_STR_EQ(line, "");

        /* An INCOMPLETE entry takes our MAC, and shows our protocol. */
        CHECK_INT_EQ(system("ip neigh add 198.18.0.21 dev arpdt0 nud incomplete"), 0);
        CHECK_INT_EQ(send_answer(cmd, 110, "198.18.0.21", "02:00:00:00:00:21", 0, 0), 0);
        neigh_show("198.18.0.21", line, sizeof(line));
        CHECK(strstr(line, "lladdr 02:00:00:00:00:21") && strstr(line, "STALE"));
        CHECK(strstr(line, "proto 44"));

        /* A MAC the kernel validated (REACHABLE, PERMANENT...) is not overridden. */
        CHECK_INT_EQ(system("ip neigh add 198.18.0.22 dev arpdt0 lladdr 02:00:00:00:00:22 nud reachable"), 0);
        CHECK_INT_EQ(send_answer(cmd, 120, "198.18.0.22", "02:00:00:00:00:99", 0, 0), 0);
        neigh_show("198.18.0.22", line, sizeof(line));
        CHECK(strstr(line, "lladdr 02:00:00:00:00:22"));

        /* extern_learn survives when the miss's flags are sent back */
        CHECK_INT_EQ(system("ip neigh add 198.18.0.23 dev arpdt0 extern_learn nud incomplete"), 0);
        CHECK_INT_EQ(send_answer(cmd, 130, "198.18.0.23", "02:00:00:00:00:23", NTF_EXT_LEARNED, 0), 0);
        neigh_show("198.18.0.23", line, sizeof(line));
        CHECK(strstr(line, "lladdr 02:00:00:00:00:23") && strstr(line, "extern_learn"));

        /* managed survives, and the lladdr is still taken (two messages) */
        CHECK_INT_EQ(system("ip neigh add 198.18.0.24 dev arpdt0 managed"), 0);
        CHECK_INT_EQ(send_answer(cmd, 140, "198.18.0.24", "02:00:00:00:00:24", 0, NTF_EXT_MANAGED), 0);
        neigh_show("198.18.0.24", line, sizeof(line));
        CHECK(strstr(line, "lladdr 02:00:00:00:00:24") && strstr(line, "managed"));

        /* an answer without NDA_PROTOCOL keeps another control plane's protocol */
        CHECK_INT_EQ(system("ip neigh add 198.18.0.26 dev arpdt0 nud incomplete protocol 11"), 0);
        {
                struct nl_neigh_answer a = { .ifindex = (int) if_nametoindex("arpdt0"), .family = AF_INET };
                int len;

                inet_pton(AF_INET, "198.18.0.26", &a.dst.in);
                CHECK_INT_EQ(lladdr_from_string("02:00:00:00:00:26", &a.lladdr), 0);
                len = nl_build_neigh_answer(buf, sizeof(buf), 160, &a, true);
                CHECK(len > 0 && mnl_socket_sendto(cmd, buf, (size_t) len) == len);
                CHECK_INT_EQ(read_ack(cmd, 160), 0);
        }
        neigh_show("198.18.0.26", line, sizeof(line));
        CHECK(strstr(line, "lladdr 02:00:00:00:00:26") && (strstr(line, "proto 11") || strstr(line, "proto zebra")));

        /* the router flag stays although the answer does not repeat it (no override) */
        CHECK_INT_EQ(system("ip neigh add 198.18.0.25 dev arpdt0 lladdr 02:00:00:00:00:25 nud stale router"), 0);
        neigh_show("198.18.0.25", line, sizeof(line));
        CHECK(strstr(line, "router"));
        CHECK_INT_EQ(send_answer(cmd, 150, "198.18.0.25", "02:00:00:00:00:25", 0, 0), 0);
        neigh_show("198.18.0.25", line, sizeof(line));
        CHECK(strstr(line, "lladdr 02:00:00:00:00:25") && strstr(line, "router"));
        if (tests_failed_)
                fprintf(stderr, "last neighbour line: %s\n", line);
}

static void netns_child(void) {
        _cleanup_(mnl_socket_closep_) struct mnl_socket *ev = NULL, *cmd = NULL;
        union in_addr_union dst = {};
        struct lladdr ll = {};
        struct neigh_match nm = {};
        struct addr_match am = {};
        struct link_match lm = { .ifname = "arpdt1" };
        socklen_t sl = sizeof(int);
        int rcvbuf = 0;
        char line[512] = "";
        FILE *p;
        int ifindex, len, r;
        bool found = false;

        tests_failed_ = 0; /* count only what fails in here; the parent reports the exit code */
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "SKIP netns: unshare(CLONE_NEWNET): %m\n");
                _exit(77);
        }
        /* Everything below happens inside the new, private namespace only. */
        r = system("ip link add arpdt0 type veth peer name arpdt1 && "
                   "ip link set arpdt0 up && ip link set arpdt1 up && "
                   "ip addr add 198.18.0.1/24 dev arpdt0");
        if (r != 0) {
                fprintf(stderr, "SKIP netns: cannot create a veth pair (ip: %d)\n", r);
                _exit(77);
        }
        ifindex = (int) if_nametoindex("arpdt0");
        CHECK(ifindex > 0);

        CHECK_INT_EQ(nl_open_events(1 << 24, &ev), 0);
        CHECK_INT_EQ(nl_open_command(1 << 20, &cmd), 0);
        if (!ev || !cmd)
                _exit(1);
        CHECK(fcntl(mnl_socket_get_fd(cmd), F_GETFL) & O_NONBLOCK);
        CHECK(fcntl(mnl_socket_get_fd(ev), F_GETFD) & FD_CLOEXEC);
        CHECK(mnl_socket_get_portid(cmd) != 0);
        /* as root SO_RCVBUFFORCE applies: beyond net.core.rmem_max, doubled by the kernel */
        CHECK(getsockopt(mnl_socket_get_fd(ev), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &sl) >= 0);
        CHECK(rcvbuf >= 1 << 24);

        len = nl_build_dump(buf, sizeof(buf), RTM_GETNEIGH, AF_INET, 1);
        CHECK(len > 0);
        CHECK_INT_EQ(mnl_socket_sendto(cmd, buf, (size_t) len), len);
        CHECK(read_dump(cmd, 1) >= 0);

        /* an answer never creates an entry: it answers the kernel's own (see below) */
        CHECK_INT_EQ(system("ip neigh add 198.18.0.2 dev arpdt0 nud incomplete"), 0);
        inet_pton(AF_INET, "198.18.0.2", &dst.in);
        CHECK_INT_EQ(lladdr_from_string("02:aa:bb:cc:dd:ee", &ll), 0);
        len = build_answer(buf, sizeof(buf), 2, ifindex, AF_INET, &dst, &ll, true);
        CHECK(len > 0);
        CHECK_INT_EQ(mnl_socket_sendto(cmd, buf, (size_t) len), len);
        CHECK_INT_EQ(read_ack(cmd, 2), 0);

        p = popen("ip -4 neigh show dev arpdt0", "r");
        CHECK(p);
        if (p) {
                while (fgets(line, sizeof(line), p))
                        if (strstr(line, "198.18.0.2 lladdr 02:aa:bb:cc:dd:ee") && strstr(line, "STALE"))
                                found = true;
                pclose(p);
        }
        CHECK(found);

        nm.dst = dst;
        CHECK_INT_EQ(read_event(ev, match_neigh, &nm), 0);
        CHECK_INT_EQ(nm.n.ifindex, ifindex);
        CHECK_INT_EQ(nm.n.state, NUD_STALE);
        CHECK(nm.n.has_lladdr);
        CHECK(lladdr_equal(&nm.n.lladdr, &ll));

        check_answer_semantics(cmd);

        /* the address and link groups */
        inet_pton(AF_INET, "198.19.0.1", &am.addr.in);
        CHECK_INT_EQ(system("ip addr add 198.19.0.1/25 dev arpdt1"), 0);
        CHECK_INT_EQ(read_event(ev, match_addr, &am), 0);
        CHECK_INT_EQ(am.a.ifindex, (int) if_nametoindex("arpdt1"));
        CHECK_INT_EQ(am.a.prefix.prefixlen, 25);
        CHECK(!am.a.deleted);
        CHECK_INT_EQ(system("ip link set arpdt1 down"), 0);
        CHECK_INT_EQ(read_event(ev, match_link, &lm), 0);
        CHECK_INT_EQ(lm.l.ifindex, (int) if_nametoindex("arpdt1"));
        CHECK_INT_EQ(lm.l.type, ARPHRD_ETHER);
        CHECK_INT_EQ(lm.l.hwaddr.len, 6);

        /* The kernel rejects an answer on a missing interface: a real error comes back. */
        len = build_answer(buf, sizeof(buf), 3, 999999, AF_INET, &dst, &ll, true);
        CHECK_INT_EQ(mnl_socket_sendto(cmd, buf, (size_t) len), len);
        CHECK_INT_EQ(read_ack(cmd, 3), -ENODEV);

        _exit(tests_failed_ ? 1 : 0);
}

static void test_netns_end_to_end(void) {
        run_netns_child(netns_child, "the netns end-to-end check");
}

/* The event socket's filter, run on the messages it meets: the echo of our own answer (nlmsg_pid =
 * our command socket's port id) is dropped, the kernel's events (pid 0) and another process's
 * changes pass whole, whatever the port id's bytes (endianness). */
static void test_echo_filter(void) {
        static const uint32_t own_ids[] = { 4242, 0x12345678, 0x80000001, 1 };
        struct sock_filter prog[NL_ECHO_FILTER_LEN];
        union in_addr_union dst = {};
        struct lladdr ll = {};
        struct nlmsghdr *nlh = (struct nlmsghdr *) buf;

        memcpy(dst.bytes, v4a, 4);
        lladdr_set(&ll, mac1, sizeof(mac1));
        for (size_t i = 0; i < ELEMENTSOF(own_ids); i++) {
                uint32_t own = own_ids[i];
                int len = build_answer(buf, sizeof(buf), 7, 6, AF_INET, &dst, &ll, false);

                CHECK(len > 0);
                nl_echo_filter(own, prog);
                nlh->nlmsg_pid = own; /* the kernel's echo of our answer */
                CHECK_INT_EQ(bpf_run(prog, ELEMENTSOF(prog), buf, (size_t) len, &BPF_META_BROADCAST), 0);
                nlh->nlmsg_pid = 0; /* the kernel's own event */
                CHECK_INT_EQ(bpf_run(prog, ELEMENTSOF(prog), buf, (size_t) len, &BPF_META_BROADCAST), 0xffffffffU);
                nlh->nlmsg_pid = own + 1; /* another process (ip neigh) */
                CHECK_INT_EQ(bpf_run(prog, ELEMENTSOF(prog), buf, (size_t) len, &BPF_META_BROADCAST), 0xffffffffU);
                nlh->nlmsg_pid = __builtin_bswap32(own); /* the same bytes reversed: not ours */
                if (__builtin_bswap32(own) != own)
                        CHECK_INT_EQ(bpf_run(prog, ELEMENTSOF(prog), buf, (size_t) len, &BPF_META_BROADCAST),
                                     0xffffffffU);
        }
        CHECK_INT_EQ(nl_filter_own_echoes(NULL, 4242), -EINVAL);
}

/* The event socket's filter with foreign interfaces: our echoes are dropped as before; the
 * neighbour messages (RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH) of a foreign ifindex are dropped;
 * those of any other ifindex, link and address messages, and a neighbour message too short to
 * name its interface pass whole. */
static void test_events_filter(void) {
        static const int foreign[] = { 1, 7, 0x01020304 };
        struct sock_filter prog[NL_EVENTS_FILTER_LEN(NL_FOREIGN_MAX)];
        union in_addr_union dst = {};
        struct lladdr ll = {};
        struct nlmsghdr *nlh = (struct nlmsghdr *) buf;
        const uint32_t own = 0x12345678;
        size_t n, len_prog;
        int len;

        memcpy(dst.bytes, v4a, 4);
        lladdr_set(&ll, mac1, sizeof(mac1));
        n = nl_events_filter(own, foreign, ELEMENTSOF(foreign), prog);
        CHECK_INT_EQ(n, ELEMENTSOF(foreign));
        len_prog = NL_EVENTS_FILTER_LEN(n);
        for (int ifindex = 1; ifindex <= 9; ifindex++) {
                bool is_foreign = ifindex == 1 || ifindex == 7;
                static const uint16_t types[] = { RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH };

                for (size_t t = 0; t < ELEMENTSOF(types); t++) {
                        len = build_answer(buf, sizeof(buf), 7, ifindex, AF_INET, &dst, &ll, false);
                        CHECK(len > 0);
                        nlh->nlmsg_type = types[t];
                        nlh->nlmsg_pid = 0; /* the kernel's event or miss */
                        CHECK_INT_EQ(bpf_run(prog, len_prog, buf, (size_t) len, &BPF_META_BROADCAST),
                                     is_foreign ? 0 : 0xffffffffU);
                        nlh->nlmsg_pid = own; /* our echo: dropped whatever the interface */
                        CHECK_INT_EQ(bpf_run(prog, len_prog, buf, (size_t) len, &BPF_META_BROADCAST), 0);
                }
                /* another message type with the same bytes where ndm_ifindex would be: passes */
                len = build_answer(buf, sizeof(buf), 7, ifindex, AF_INET, &dst, &ll, false);
                nlh->nlmsg_type = RTM_NEWLINK;
                nlh->nlmsg_pid = 0;
                CHECK_INT_EQ(bpf_run(prog, len_prog, buf, (size_t) len, &BPF_META_BROADCAST), 0xffffffffU);
        }
        /* the ifindex with its bytes reversed is not foreign */
        len = build_answer(buf, sizeof(buf), 7, 0x04030201, AF_INET, &dst, &ll, false);
        nlh->nlmsg_pid = 0;
        CHECK_INT_EQ(bpf_run(prog, len_prog, buf, (size_t) len, &BPF_META_BROADCAST), 0xffffffffU);
        /* too short to carry an ndmsg: passes (user space counts it as malformed) */
        len = build_answer(buf, sizeof(buf), 7, 1, AF_INET, &dst, &ll, false);
        CHECK_INT_EQ(bpf_run(prog, len_prog, buf, NLMSG_HDRLEN + 4, &BPF_META_BROADCAST), 0xffffffffU);
        /* no foreign interfaces: the echo filter alone */
        n = nl_events_filter(own, NULL, 0, prog);
        CHECK_INT_EQ(n, 0);
        len = build_answer(buf, sizeof(buf), 7, 1, AF_INET, &dst, &ll, false);
        nlh->nlmsg_pid = 0;
        CHECK_INT_EQ(bpf_run(prog, NL_EVENTS_FILTER_LEN(0), buf, (size_t) len, &BPF_META_BROADCAST), 0xffffffffU);
        nlh->nlmsg_pid = own;
        CHECK_INT_EQ(bpf_run(prog, NL_EVENTS_FILTER_LEN(0), buf, (size_t) len, &BPF_META_BROADCAST), 0);
        CHECK_INT_EQ(nl_filter_events(NULL, own, NULL, 0), -EINVAL);

        /* the kernel accepts the program at its largest (it checks every jump) */
        struct mnl_socket *ev = NULL;
        int many[NL_FOREIGN_MAX + 5];
        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                many[i] = (int) i + 100;
        if (nl_open_events(0, &ev) == 0) {
                CHECK_INT_EQ(nl_filter_events(ev, own, many, ELEMENTSOF(many)), 0);
                CHECK_INT_EQ(nl_filter_events(ev, own, NULL, 0), 0);
                mnl_socket_close(ev);
        }
        CHECK_INT_EQ(nl_events_filter(own, many, ELEMENTSOF(many), prog), NL_FOREIGN_MAX);
}

int main(void) {
        TEST_RUN(test_neigh_valid_ipv4);
        TEST_RUN(test_neigh_valid_ipv6_and_miss);
        TEST_RUN(test_neigh_lladdr_lengths);
        TEST_RUN(test_neigh_dst_lengths);
        TEST_RUN(test_neigh_u32_attrs);
        TEST_RUN(test_neigh_bad_headers);
        TEST_RUN(test_neigh_truncated_attrs);
        TEST_RUN(test_link);
        TEST_RUN(test_addr);
        TEST_RUN(test_build_answer);
        TEST_RUN(test_build_answer_flags);
        TEST_RUN(test_echo_filter);
        TEST_RUN(test_events_filter);
        TEST_RUN(test_build_dump);
        TEST_RUN(test_msg_ok);
        TEST_RUN(test_huge_nlmsg_len);
        TEST_RUN(test_netns_end_to_end);
        TEST_EXIT();
}
