/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Ethernet/IPv4 ARP frames: the parser for untrusted frames, the builder for our own probes, and
 * the classic BPF filter for the packet socket that carries them (packet-socket.h).
 *
 * The BPF program lets through only frames that are at least 42 bytes long with EtherType 0x0806,
 * htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4 and op 1 (request) or 2 (reply). The parser
 * re-checks all of it (the filter is an optimisation, not a trust boundary). packet_socket_open()
 * wraps the program with the VLAN and pkt_type checks common to ARP and NDP (packet-socket.h).
 */

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-util.h"

#define ARP_FRAME_LEN 42 /* 14 Ethernet + 28 ARP */
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_frame {
        struct lladdr eth_dst, eth_src; /* 6 bytes each */
        uint16_t op;                    /* host order */
        struct lladdr sha, tha;         /* 6 bytes each */
        struct in_addr spa, tpa;
};

/* Parses an Ethernet frame (starting at the destination MAC). 0, or -EBADMSG for anything that is
 * not a well-formed Ethernet/IPv4 ARP request or reply (trailing padding is allowed). */
int arp_frame_parse(const void *buf, size_t len, struct arp_frame *ret);

/* Builds a 42-byte ARP request "who has target_ip, tell src_ip" from src_mac to dst_mac (NULL =
 * broadcast). Returns the length, or -ENOBUFS if size < ARP_FRAME_LEN. */
int arp_frame_build_request(void *buf, size_t size, const uint8_t src_mac[6], struct in_addr src_ip,
                            struct in_addr target_ip, const uint8_t *dst_mac);

/* The classic BPF program for the ARP packet socket (described above; accepted frames are
 * returned whole, rejected ones cut to 0 bytes). Exposed so tests can run it without a socket.
 * Returns the instructions and stores their number in *ret_len. */
struct sock_filter;
const struct sock_filter *arp_filter_program(size_t *ret_len);
