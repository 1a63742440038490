/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Ethernet/IPv4 ARP frames: the parser for untrusted frames, the builder for our own probes, and
 * the packet socket that carries them (classic BPF filter, PACKET_IGNORE_OUTGOING, a large
 * receive buffer, batched reads with recvmmsg).
 *
 * The BPF program lets through only frames that are at least 42 bytes long with EtherType 0x0806,
 * htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4 and op 1 (request) or 2 (reply). The parser
 * re-checks all of it (the filter is an optimisation, not a trust boundary).
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

/* The classic BPF program arp_socket_open() attaches (described above; accepted frames are
 * returned whole, rejected ones cut to 0 bytes). Exposed so tests can run it without a socket.
 * Returns the instructions and stores their number in *ret_len. */
struct sock_filter;
const struct sock_filter *arp_filter_program(size_t *ret_len);

/* Opens a non-blocking, close-on-exec AF_PACKET/SOCK_RAW socket for ETH_P_ARP bound to ifindex,
 * with the filter attached before bind (so nothing unfiltered is queued), PACKET_IGNORE_OUTGOING
 * and a receive buffer of rcvbuf bytes (SO_RCVBUFFORCE, falling back to SO_RCVBUF).
 * Returns the fd or a negative errno (-EPERM without CAP_NET_RAW). */
int arp_socket_open(int ifindex, int rcvbuf);

#define ARP_RX_BATCH 64
#define ARP_RX_SNAPLEN 128
struct arp_rx_batch {
        uint8_t buf[ARP_RX_BATCH][ARP_RX_SNAPLEN];
        size_t len[ARP_RX_BATCH];
        unsigned n;
};
/* Reads up to ARP_RX_BATCH frames with one recvmmsg(). Returns the number read (0 when nothing
 * is queued) or a negative errno. */
int arp_socket_recv_batch(int fd, struct arp_rx_batch *b);

/* Sends one frame out of ifindex. 0 or a negative errno. */
int arp_socket_send(int fd, int ifindex, const void *frame, size_t len);

/* Frames the kernel dropped on this socket since the last call (PACKET_STATISTICS, which resets
 * on read). 0 or a negative errno. */
int arp_socket_drops(int fd, uint64_t *ret);
