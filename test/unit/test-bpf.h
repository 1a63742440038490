/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A classic BPF interpreter for the opcodes arpd's socket filters use, so the unit tests can run
 * the exact programs packet_socket_open() attaches (packet_filter_compose()) without a socket.
 * The skb metadata the ancillary loads read (pkt_type, the VLAN tag the kernel took off) is
 * passed in; like the kernel, a load past the frame's end rejects the frame.
 */

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"
#include "packet-socket.h"
#include "tests.h"

struct bpf_meta {
        uint32_t pkt_type;     /* PACKET_HOST, ... */
        bool vlan_present;
        uint16_t vlan_tci;
};

/* An untagged broadcast: what most of the tests' frames are. */
#define BPF_META_BROADCAST ((struct bpf_meta){ .pkt_type = PACKET_BROADCAST })

static inline uint32_t bpf_run(const struct sock_filter *prog, size_t n, const uint8_t *pkt, size_t len,
                               const struct bpf_meta *meta) {
        uint32_t a = 0;

        for (size_t pc = 0; pc < n; pc++) {
                const struct sock_filter *i = &prog[pc];

                switch (i->code) {
                case BPF_LD | BPF_W | BPF_LEN:
                        a = (uint32_t) len;
                        break;
                case BPF_LD | BPF_W | BPF_ABS:
                        if (i->k == (uint32_t) (SKF_AD_OFF + SKF_AD_PKTTYPE))
                                a = meta->pkt_type;
                        else if (i->k == (uint32_t) (SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT))
                                a = meta->vlan_present;
                        else if (i->k == (uint32_t) (SKF_AD_OFF + SKF_AD_VLAN_TAG))
                                a = meta->vlan_present ? meta->vlan_tci : 0;
                        else if (i->k >= (uint32_t) SKF_AD_OFF) {
                                fprintf(stderr, "unexpected ancillary load 0x%x at %zu\n", i->k, pc);
                                CHECK(false);
                                return 0;
                        } else {
                                if ((size_t) i->k + 4 > len)
                                        return 0;
                                a = (uint32_t) pkt[i->k] << 24 | (uint32_t) pkt[i->k + 1] << 16 |
                                    (uint32_t) pkt[i->k + 2] << 8 | pkt[i->k + 3];
                        }
                        break;
                case BPF_LD | BPF_H | BPF_ABS:
                        if ((size_t) i->k + 2 > len)
                                return 0; /* as the kernel: an out-of-bounds load rejects */
                        a = (uint32_t) pkt[i->k] << 8 | pkt[i->k + 1];
                        break;
                case BPF_LD | BPF_B | BPF_ABS:
                        if ((size_t) i->k + 1 > len)
                                return 0;
                        a = pkt[i->k];
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        a &= i->k;
                        break;
                case BPF_JMP | BPF_JA:
                        pc += i->k;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        pc += a == i->k ? i->jt : i->jf;
                        break;
                case BPF_JMP | BPF_JGE | BPF_K:
                        pc += a >= i->k ? i->jt : i->jf;
                        break;
                case BPF_JMP | BPF_JGT | BPF_K:
                        pc += a > i->k ? i->jt : i->jf;
                        break;
                case BPF_RET | BPF_K:
                        return i->k;
                default:
                        fprintf(stderr, "unexpected BPF opcode 0x%x at %zu\n", i->code, pc);
                        CHECK(false);
                        return 0;
                }
        }
        fprintf(stderr, "BPF program ran off its end\n");
        CHECK(false);
        return 0;
}

/* Every jump stays inside the program, and it ends in a return. */
static inline void bpf_check_shape(const struct sock_filter *prog, size_t n) {
        CHECK(prog != NULL);
        CHECK(n > 0 && n <= BPF_MAXINSNS);
        if (!prog || n == 0)
                return;
        for (size_t i = 0; i < n; i++)
                if (prog[i].code == (BPF_JMP | BPF_JA))
                        CHECK(i + 1 + prog[i].k < n);
                else if (BPF_CLASS(prog[i].code) == BPF_JMP) {
                        CHECK(i + 1 + prog[i].jt < n);
                        CHECK(i + 1 + prog[i].jf < n);
                }
        CHECK_INT_EQ(BPF_CLASS(prog[n - 1].code), BPF_RET);
}

/* Runs a protocol's filter as the socket runs it: wrapped by packet-socket's prefix and tail. */
static inline uint32_t bpf_run_socket(const struct sock_filter *filter, size_t filter_len, const uint8_t *pkt,
                                      size_t len, const struct bpf_meta *meta) {
        struct sock_filter prog[PACKET_FILTER_PREFIX_LEN + 64 + PACKET_FILTER_TAIL_LEN];
        int n = packet_filter_compose(filter, filter_len, prog, ELEMENTSOF(prog));

        CHECK(n > 0);
        if (n <= 0)
                return 0;
        bpf_check_shape(prog, (size_t) n);
        return bpf_run(prog, (size_t) n, pkt, len, meta);
}
