/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>

#include "arp-packet.h"
#include "macro.h"


/* Byte offsets in an Ethernet/IPv4 ARP frame (Ethernet header included). */
#define OFF_ETH_DST 0
#define OFF_ETH_SRC 6
#define OFF_ETH_TYPE 12
#define OFF_HTYPE 14
#define OFF_PTYPE 16
#define OFF_HLEN 18
#define OFF_PLEN 19
#define OFF_OP 20
#define OFF_SHA 22
#define OFF_SPA 28
#define OFF_THA 32
#define OFF_TPA 38

#define ARP_HTYPE_ETHER 1
#define ARP_PTYPE_IPV4 0x0800
#define ETH_ALEN_ 6
#define IPV4_ALEN 4

/* What an accepting filter returns: "keep up to 256 KiB", i.e. the whole frame. */
#define BPF_ACCEPT_ALL 0x40000

static uint16_t get_be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) (v >> 8);
        p[1] = (uint8_t) v;
}

int arp_frame_parse(const void *buf, size_t len, struct arp_frame *ret) {
        const uint8_t *p = buf;
        struct arp_frame f = {};
        uint16_t op;

        if (!p || len < ARP_FRAME_LEN)
                return -EBADMSG;
        if (get_be16(p + OFF_ETH_TYPE) != ETH_P_ARP || get_be16(p + OFF_HTYPE) != ARP_HTYPE_ETHER ||
            get_be16(p + OFF_PTYPE) != ARP_PTYPE_IPV4 || p[OFF_HLEN] != ETH_ALEN_ ||
            p[OFF_PLEN] != IPV4_ALEN)
                return -EBADMSG;
        op = get_be16(p + OFF_OP);
        if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
                return -EBADMSG;

        lladdr_set(&f.eth_dst, p + OFF_ETH_DST, ETH_ALEN_);
        lladdr_set(&f.eth_src, p + OFF_ETH_SRC, ETH_ALEN_);
        f.op = op;
        lladdr_set(&f.sha, p + OFF_SHA, ETH_ALEN_);
        memcpy(&f.spa, p + OFF_SPA, IPV4_ALEN);
        lladdr_set(&f.tha, p + OFF_THA, ETH_ALEN_);
        memcpy(&f.tpa, p + OFF_TPA, IPV4_ALEN);
        if (ret)
                *ret = f;
        return 0;
}

int arp_frame_build_request(void *buf, size_t size, const uint8_t src_mac[6], struct in_addr src_ip,
                            struct in_addr target_ip, const uint8_t *dst_mac) {
        static const uint8_t broadcast[ETH_ALEN_] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        uint8_t *p = buf;

        if (!p || size < ARP_FRAME_LEN)
                return -ENOBUFS;

        memset(p, 0, ARP_FRAME_LEN);
        memcpy(p + OFF_ETH_DST, dst_mac ? dst_mac : broadcast, ETH_ALEN_);
        memcpy(p + OFF_ETH_SRC, src_mac, ETH_ALEN_);
        put_be16(p + OFF_ETH_TYPE, ETH_P_ARP);
        put_be16(p + OFF_HTYPE, ARP_HTYPE_ETHER);
        put_be16(p + OFF_PTYPE, ARP_PTYPE_IPV4);
        p[OFF_HLEN] = ETH_ALEN_;
        p[OFF_PLEN] = IPV4_ALEN;
        put_be16(p + OFF_OP, ARP_OP_REQUEST);
        memcpy(p + OFF_SHA, src_mac, ETH_ALEN_);
        memcpy(p + OFF_SPA, &src_ip, IPV4_ALEN);
        /* Target hardware address: unknown for a broadcast request (zero, as RFC 826 leaves it);
         * a unicast probe names the MAC it expects to answer. */
        if (dst_mac)
                memcpy(p + OFF_THA, dst_mac, ETH_ALEN_);
        memcpy(p + OFF_TPA, &target_ip, IPV4_ALEN);
        return ARP_FRAME_LEN;
}

/*
 * The socket filter, classic BPF. Offsets are from the start of the Ethernet header (SOCK_RAW).
 * Each check jumps to "reject" (ret 0: the frame is dropped before it is queued) on failure.
 *
 *   0  ld   len                 frame length
 *   1  jge  #42                 shorter than Ethernet + ARP header: reject
 *   2  ldh  [12]                EtherType
 *   3  jeq  #0x0806             ARP
 *   4  ldh  [14]                hardware type
 *   5  jeq  #1                  Ethernet
 *   6  ldh  [16]                protocol type
 *   7  jeq  #0x0800             IPv4
 *   8  ldb  [18]                hardware address length
 *   9  jeq  #6
 *  10  ldb  [19]                protocol address length
 *  11  jeq  #4
 *  12  ldh  [20]                operation
 *  13  jeq  #1 -> accept        request
 *  14  jeq  #2 -> accept        reply, else reject
 *  15  ret  #0x40000            accept: the whole frame
 *  16  ret  #0                  reject
 */
#define FILTER_ACCEPT 15
#define FILTER_REJECT 16
/* Jump offsets are relative to the next instruction. */
#define TO(target, here) ((uint8_t) ((target) - (here) - 1))

static const struct sock_filter arp_filter[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, ARP_FRAME_LEN, 0, TO(FILTER_REJECT, 1)),
        /* 2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, OFF_ETH_TYPE),
        /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 0, TO(FILTER_REJECT, 3)),
        /* 4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, OFF_HTYPE),
        /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARP_HTYPE_ETHER, 0, TO(FILTER_REJECT, 5)),
        /* 6 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, OFF_PTYPE),
        /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARP_PTYPE_IPV4, 0, TO(FILTER_REJECT, 7)),
        /* 8 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, OFF_HLEN),
        /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_ALEN_, 0, TO(FILTER_REJECT, 9)),
        /* 10 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, OFF_PLEN),
        /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPV4_ALEN, 0, TO(FILTER_REJECT, 11)),
        /* 12 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, OFF_OP),
        /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARP_OP_REQUEST, TO(FILTER_ACCEPT, 13), 0),
        /* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARP_OP_REPLY, 0, TO(FILTER_REJECT, 14)),
        /* 15 */ BPF_STMT(BPF_RET | BPF_K, BPF_ACCEPT_ALL),
        /* 16 */ BPF_STMT(BPF_RET | BPF_K, 0),
};

_Static_assert(ELEMENTSOF(arp_filter) == FILTER_REJECT + 1, "filter labels out of date");

const struct sock_filter *arp_filter_program(size_t *ret_len) {
        if (ret_len)
                *ret_len = ELEMENTSOF(arp_filter);
        return arp_filter;
}
