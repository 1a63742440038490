/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * AF_PACKET sockets for one protocol on one interface, shared by the ARP and the neighbour
 * discovery edges: the classic BPF filter is attached before bind() so no unfiltered frame is
 * ever queued, our own outgoing frames are not looped back (PACKET_IGNORE_OUTGOING), and frames
 * are read from a TPACKET_V3 ring (below).
 */

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

struct packet_socket_params {
        int ifindex;
        uint16_t protocol;                /* ETH_P_*, host order */
        const struct sock_filter *filter;
        size_t filter_len;
        int rcvbuf;                       /* bytes, 0 = default; SO_RCVBUFFORCE, then SO_RCVBUF (without a
                                           * ring: what queues for recv()/recvmmsg()) */
        bool allmulti;                    /* PACKET_MR_ALLMULTI for the socket's lifetime */
};

/* Sends one Ethernet frame (its first 6 bytes are the destination) out of ifindex. */
int packet_socket_send(int fd, int ifindex, uint16_t protocol, const void *frame, size_t len);

/* Frames the kernel dropped on this socket since the last call (PACKET_STATISTICS resets). */
int packet_socket_drops(int fd, uint64_t *ret);

/*
 * A TPACKET_V3 receive ring: the kernel copies accepted frames into blocks of a shared mapping
 * (in the sender's or the softirq's context), and user space walks whole blocks without a system
 * call per frame or per batch. A block is handed over when full or after retire_ms.
 */
struct packet_ring {
        uint8_t *map;
        size_t block_size;
        unsigned n_blocks;
        unsigned next;      /* the block to look at next */
};

struct packet_ring_params {
        size_t block_size;  /* a multiple of the page size */
        unsigned n_blocks;
        unsigned retire_ms; /* hand over a partly filled block after this long */
};

/* A non-blocking, close-on-exec socket, with a receive ring (set up before bind()) when rp and
 * ring are given. Returns the fd or a negative errno (-EPERM without CAP_NET_RAW, -ENODEV for an
 * unknown ifindex, -EINVAL for bad parameters). */
int packet_socket_open(const struct packet_socket_params *p, const struct packet_ring_params *rp,
                       struct packet_ring *ring);
void packet_ring_unmap(struct packet_ring *ring);

/* Calls cb for each frame (Ethernet header first, len bytes captured; truncated if the frame was
 * longer) in up to max_blocks ready blocks, handing each block back to the kernel after it.
 * Returns the number of frames. */
typedef void (*packet_frame_cb)(const uint8_t *frame, size_t len, bool truncated, void *userdata);
unsigned packet_ring_drain(struct packet_ring *ring, unsigned max_blocks, packet_frame_cb cb, void *userdata);
