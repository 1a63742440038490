/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "ndp-packet.h"


/* Byte offsets from the start of the Ethernet header. */
#define OFF_ETH_DST 0
#define OFF_ETH_SRC 6
#define OFF_ETH_TYPE 12
#define OFF_IP6 14
#define OFF_IP6_PLEN (OFF_IP6 + 4)
#define OFF_IP6_NEXT (OFF_IP6 + 6)
#define OFF_IP6_HOPS (OFF_IP6 + 7)
#define OFF_IP6_SRC (OFF_IP6 + 8)
#define OFF_IP6_DST (OFF_IP6 + 24)
#define OFF_ICMP (OFF_IP6 + NDP_IP6_HLEN) /* 54 */
/* Offsets inside the ICMPv6 message. */
#define ICMP_TYPE 0
#define ICMP_CODE 1
#define ICMP_CSUM 2
#define ICMP_FLAGS 4
#define ICMP_TARGET 8
#define ICMP_OPTIONS 24

#define IPPROTO_ICMPV6_ 58
#define HOP_LIMIT_ND 255
#define OPT_SLLA 1
#define OPT_TLLA 2
#define ETH_ALEN_ 6

#define BPF_ACCEPT_ALL 0x40000

static uint16_t get_be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) (v >> 8);
        p[1] = (uint8_t) v;
}

static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t len) {
        size_t i;

        for (i = 0; i + 1 < len; i += 2)
                sum += get_be16(p + i);
        if (i < len)
                sum += (uint32_t) p[i] << 8; /* an odd last byte is padded with zero */
        return sum;
}

uint16_t ndp_icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst, const void *msg, size_t len) {
        uint8_t tail[8] = {};
        uint64_t sum = 0;

        /* Pseudo-header: source, destination, upper-layer length (32 bits), 3 zero bytes, next
         * header. Sums are folded often enough not to overflow for any message up to 4 GiB. */
        tail[0] = (uint8_t) (len >> 24);
        tail[1] = (uint8_t) (len >> 16);
        tail[2] = (uint8_t) (len >> 8);
        tail[3] = (uint8_t) len;
        tail[7] = IPPROTO_ICMPV6_;
        sum += sum_bytes(0, src->s6_addr, 16);
        sum += sum_bytes(0, dst->s6_addr, 16);
        sum += sum_bytes(0, tail, sizeof(tail));
        for (size_t off = 0; off < len; off += 0x10000) {
                size_t n = MIN(len - off, (size_t) 0x10000);
                sum += sum_bytes(0, (const uint8_t *) msg + off, n);
        }
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t) ~sum;
}

static bool is_solicited_node(const struct in6_addr *a) {
        static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
        return memcmp(a->s6_addr, prefix, sizeof(prefix)) == 0;
}

void ndp_solicited_node(const struct in6_addr *target, struct in6_addr *ret_addr, uint8_t ret_mac[6]) {
        struct in6_addr a = {};

        a.s6_addr[0] = 0xff;
        a.s6_addr[1] = 0x02;
        a.s6_addr[11] = 0x01;
        a.s6_addr[12] = 0xff;
        memcpy(a.s6_addr + 13, target->s6_addr + 13, 3);
        if (ret_addr)
                *ret_addr = a;
        if (ret_mac) {
                /* RFC 2464 7: 33:33 followed by the last four bytes of the group address. */
                ret_mac[0] = 0x33;
                ret_mac[1] = 0x33;
                memcpy(ret_mac + 2, a.s6_addr + 12, 4);
        }
}

/* Walks the options; fills the link-layer address option of type want (the first one). */
static int parse_options(const uint8_t *o, size_t len, uint8_t want, struct ndp_frame *f) {
        size_t off = 0;

        while (off < len) {
                size_t olen;

                if (len - off < 2)
                        return -EBADMSG;
                olen = (size_t) o[off + 1] * 8;
                if (olen == 0 || olen > len - off)
                        return -EBADMSG; /* RFC 4861 4.6: a zero length must be discarded */
                if (o[off] == want) {
                        /* Ethernet: type, length 1, 6 address bytes (RFC 2464 8). */
                        if (o[off + 1] != 1)
                                return -EBADMSG;
                        if (!f->has_lladdr) {
                                f->has_lladdr = true;
                                lladdr_set(&f->lladdr, o + off + 2, ETH_ALEN_);
                        }
                }
                off += olen;
        }
        return 0;
}

int ndp_frame_parse(const void *buf, size_t len, struct ndp_frame *ret) {
        const uint8_t *p = buf, *icmp;
        struct ndp_frame f = {};
        size_t plen;
        int r;

        if (!p || len < NDP_FRAME_MIN)
                return -EBADMSG;
        if (get_be16(p + OFF_ETH_TYPE) != ETH_P_IPV6 || (p[OFF_IP6] >> 4) != 6)
                return -EBADMSG;
        if (p[OFF_IP6_NEXT] != IPPROTO_ICMPV6_ || p[OFF_IP6_HOPS] != HOP_LIMIT_ND)
                return -EBADMSG;
        plen = get_be16(p + OFF_IP6_PLEN);
        if (plen < NDP_ICMP_MIN || plen > len - OFF_ICMP)
                return -EBADMSG;

        icmp = p + OFF_ICMP;
        if ((icmp[ICMP_TYPE] != NDP_TYPE_NS && icmp[ICMP_TYPE] != NDP_TYPE_NA) || icmp[ICMP_CODE] != 0)
                return -EBADMSG;

        lladdr_set(&f.eth_dst, p + OFF_ETH_DST, ETH_ALEN_);
        lladdr_set(&f.eth_src, p + OFF_ETH_SRC, ETH_ALEN_);
        memcpy(&f.src, p + OFF_IP6_SRC, 16);
        memcpy(&f.dst, p + OFF_IP6_DST, 16);
        memcpy(&f.target, icmp + ICMP_TARGET, 16);
        f.type = icmp[ICMP_TYPE];
        if (f.type == NDP_TYPE_NA)
                f.na_flags = icmp[ICMP_FLAGS] & (NDP_NA_FLAG_ROUTER | NDP_NA_FLAG_SOLICITED | NDP_NA_FLAG_OVERRIDE);

        if (ndp_icmp6_checksum(&f.src, &f.dst, icmp, plen) != 0)
                return -EBADMSG;
        if (IN6_IS_ADDR_MULTICAST(&f.target) || IN6_IS_ADDR_MULTICAST(&f.src))
                return -EBADMSG;

        r = parse_options(icmp + ICMP_OPTIONS, plen - ICMP_OPTIONS, f.type == NDP_TYPE_NS ? OPT_SLLA : OPT_TLLA, &f);
        if (r < 0)
                return r;

        if (f.type == NDP_TYPE_NS && IN6_IS_ADDR_UNSPECIFIED(&f.src) &&
            (!is_solicited_node(&f.dst) || f.has_lladdr))
                return -EBADMSG;
        if (f.type == NDP_TYPE_NA && IN6_IS_ADDR_MULTICAST(&f.dst) && (f.na_flags & NDP_NA_FLAG_SOLICITED))
                return -EBADMSG;

        if (ret)
                *ret = f;
        return 0;
}

bool ndp_frame_binding(const struct ndp_frame *f, struct in6_addr *ret_addr, struct lladdr *ret_lladdr) {
        if (!f->has_lladdr)
                return false;
        if (f->type == NDP_TYPE_NS) {
                if (IN6_IS_ADDR_UNSPECIFIED(&f->src))
                        return false; /* duplicate address detection: nobody owns src yet */
                *ret_addr = f->src;
        } else if (f->type == NDP_TYPE_NA)
                *ret_addr = f->target;
        else
                return false;
        *ret_lladdr = f->lladdr;
        return true;
}

int ndp_build_ns(void *buf, size_t size, const uint8_t src_mac[6], const struct in6_addr *src_ip,
                 const struct in6_addr *target, const uint8_t *dst_mac) {
        uint8_t *p = buf, *icmp;
        struct in6_addr dst;
        uint8_t group_mac[ETH_ALEN_];
        const size_t plen = NDP_ICMP_MIN + 8;

        if (!p || size < NDP_NS_PROBE_LEN)
                return -ENOBUFS;
        if (!src_mac || !src_ip || !target || IN6_IS_ADDR_MULTICAST(target) || IN6_IS_ADDR_UNSPECIFIED(target) ||
            IN6_IS_ADDR_MULTICAST(src_ip))
                return -EINVAL;

        if (dst_mac)
                dst = *target; /* RFC 4861 7.2.2: a unicast NS goes to the target itself */
        else
                ndp_solicited_node(target, &dst, group_mac);

        memset(p, 0, NDP_NS_PROBE_LEN);
        memcpy(p + OFF_ETH_DST, dst_mac ? dst_mac : group_mac, ETH_ALEN_);
        memcpy(p + OFF_ETH_SRC, src_mac, ETH_ALEN_);
        put_be16(p + OFF_ETH_TYPE, ETH_P_IPV6);

        p[OFF_IP6] = 0x60; /* version 6, traffic class 0, flow label 0 */
        put_be16(p + OFF_IP6_PLEN, (uint16_t) plen);
        p[OFF_IP6_NEXT] = IPPROTO_ICMPV6_;
        p[OFF_IP6_HOPS] = HOP_LIMIT_ND;
        memcpy(p + OFF_IP6_SRC, src_ip, 16);
        memcpy(p + OFF_IP6_DST, &dst, 16);

        icmp = p + OFF_ICMP;
        icmp[ICMP_TYPE] = NDP_TYPE_NS;
        icmp[ICMP_CODE] = 0;
        memcpy(icmp + ICMP_TARGET, target, 16);
        icmp[ICMP_OPTIONS] = OPT_SLLA;
        icmp[ICMP_OPTIONS + 1] = 1; /* in units of 8 bytes */
        memcpy(icmp + ICMP_OPTIONS + 2, src_mac, ETH_ALEN_);
        put_be16(icmp + ICMP_CSUM, ndp_icmp6_checksum(src_ip, &dst, icmp, plen));
        return NDP_NS_PROBE_LEN;
}

/*
 * The socket filter, classic BPF, offsets from the start of the Ethernet header.
 *
 *   0  ld   len
 *   1  jge  #78                 shorter than Ethernet + IPv6 + the fixed NS/NA part: reject
 *   2  ldh  [12]                EtherType
 *   3  jeq  #0x86dd             IPv6
 *   4  ldb  [20]                next header
 *   5  jeq  #58                 ICMPv6 directly after the fixed header
 *   6  ldb  [54]                ICMPv6 type
 *   7  jeq  #135 -> accept      Neighbor Solicitation
 *   8  jeq  #136 -> accept      Neighbor Advertisement, else reject
 *   9  ret  #0x40000
 *  10  ret  #0
 */
#define FILTER_ACCEPT 9
#define FILTER_REJECT 10
#define TO(target, here) ((uint8_t) ((target) - (here) - 1))

static const struct sock_filter ndp_filter[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, NDP_FRAME_MIN, 0, TO(FILTER_REJECT, 1)),
        /* 2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, OFF_ETH_TYPE),
        /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, TO(FILTER_REJECT, 3)),
        /* 4 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, OFF_IP6_NEXT),
        /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6_, 0, TO(FILTER_REJECT, 5)),
        /* 6 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, OFF_ICMP + ICMP_TYPE),
        /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NDP_TYPE_NS, TO(FILTER_ACCEPT, 7), 0),
        /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NDP_TYPE_NA, 0, TO(FILTER_REJECT, 8)),
        /* 9 */ BPF_STMT(BPF_RET | BPF_K, BPF_ACCEPT_ALL),
        /* 10 */ BPF_STMT(BPF_RET | BPF_K, 0),
};

_Static_assert(ELEMENTSOF(ndp_filter) == FILTER_REJECT + 1, "filter labels out of date");

const struct sock_filter *ndp_filter_program(size_t *ret_len) {
        if (ret_len)
                *ret_len = ELEMENTSOF(ndp_filter);
        return ndp_filter;
}
