/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * AF_PACKET sockets for one protocol on one interface, shared by the ARP and the neighbour
 * discovery edges: the classic BPF filter is attached before bind() so no unfiltered frame is
 * ever queued, our own outgoing frames are not looped back (PACKET_IGNORE_OUTGOING), and frames
 * are read from a TPACKET_V3 ring (below).
 *
 * VLAN isolation and pkt_type, one rule for ARP and NDP alike: a frame teaches the interface it
 * arrived on only if it was addressed to that interface on its own, untagged LAN.
 *
 *   PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, untagged -> PACKET_FRAME_LEARN (the parser
 *       and the resolver decide the rest).
 *   Tagged -> PACKET_FRAME_VLAN: never learned, counted (rejected_vlan). Tagged means: the ring
 *       says the kernel took a tag with VID != 0 off (TP_STATUS_VLAN_VALID); or an 802.1Q
 *       (0x8100), 802.1ad (0x88a8) or old QinQ (0x9100) header is still in the frame's bytes; or
 *       the frame is PACKET_OTHERHOST although addressed to this host (a group address, or the
 *       interface's own MAC). The last is how a tagged frame looks by the time an ETH_P_ARP /
 *       ETH_P_IPV6 socket sees it (Linux 6.x): the kernel untags every frame on receive, and where
 *       no VLAN device takes a non-zero VID it marks the frame PACKET_OTHERHOST and clears the tag
 *       from the metadata before protocol sockets get it (ETH_P_ALL sockets see it before that,
 *       with the tag in the ring). A priority tag (VID 0) is the native
 *       LAN: the kernel removes it, and VID 0 metadata counts as untagged.
 *   PACKET_OTHERHOST to another unicast MAC (seen in promiscuous mode; a tagged one looks the
 *       same), PACKET_OUTGOING (our own frames, also kept out by PACKET_IGNORE_OUTGOING),
 *       PACKET_LOOPBACK and anything else -> PACKET_FRAME_NOT_OURS: ignored without a count, as
 *       the kernel's own ARP and IPv6 input ignore them.
 *
 * Where it is checked: in both places. packet_socket_open() wraps the protocol's BPF program
 * (packet_filter_compose()): frames with an in-band tag, and PACKET_OTHERHOST or tagged frames
 * that pass the protocol's checks, are accepted cut to PACKET_FILTER_VLAN_SNAPLEN bytes (a BPF
 * drop is counted nowhere, so what must be counted has to reach the ring, but only its header);
 * outgoing and looped-back frames are dropped in the kernel. The reader applies
 * packet_frame_check() to every frame from the ring's metadata before any parser sees it: the
 * filter is an optimisation, not the trust boundary. The filter cannot tell a tagged frame to
 * this host's MAC from promiscuous traffic (it does not know the MAC); the reader can. Cost per
 * frame: a few loads and compares in the kernel and in the reader.
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

/* The instructions packet_socket_open() puts before and after every protocol's filter (see above),
 * and what the filter keeps of a frame for the reader to decide on: the Ethernet header and one
 * in-band tag. */
#define PACKET_FILTER_PREFIX_LEN 5
#define PACKET_FILTER_TAIL_LEN 11
#define PACKET_FILTER_VLAN_SNAPLEN 18

/* Writes the program packet_socket_open() attaches: the prefix, then filter with every accepting
 * "ret #k" (k > 0) turned into a jump to the tail, then the tail. filter must end each path in a
 * constant return (ret #0 drops). Exposed so tests can run it without a socket. Returns the number
 * of instructions written, or -EINVAL if filter is empty, returns the accumulator, or the result
 * would not fit into size or into BPF_MAXINSNS. */
int packet_filter_compose(const struct sock_filter *filter, size_t filter_len, struct sock_filter *ret,
                          size_t size);

/* One received frame as the ring describes it. */
struct packet_frame {
        const uint8_t *data;    /* the Ethernet header first */
        size_t len;             /* bytes captured */
        bool truncated;         /* the frame was longer than len (a filter's snap length, a block) */
        uint8_t pkt_type;       /* PACKET_HOST, PACKET_BROADCAST, ... (sockaddr_ll.sll_pkttype) */
        bool vlan_valid;        /* TP_STATUS_VLAN_VALID: the kernel took a tag off */
        uint16_t vlan_tci;      /* that tag's TCI (priority 3 bits, DEI 1, VID 12) */
        uint16_t vlan_tpid;     /* its TPID (0x8100, 0x88a8), 0 if the kernel did not say */
};

enum packet_frame_verdict {
        PACKET_FRAME_LEARN,     /* for this host, broadcast or multicast, untagged: parse it */
        PACKET_FRAME_VLAN,      /* another VLAN's (as far as can be told): count it, learn nothing */
        PACKET_FRAME_NOT_OURS,  /* another host's, our own, looped back: ignore it */
};

/* True if the frame's own bytes start with an Ethernet header whose EtherType is a VLAN tag's
 * (0x8100, 0x88a8, 0x9100), whatever its VID. Frames shorter than 14 bytes: false. */
bool packet_frame_has_inband_tag(const uint8_t *data, size_t len);

/* The rule above, pure: what f may teach on an interface whose MAC is own_mac (6 bytes; NULL if
 * it has none: a tagged frame to it then counts as not ours). */
enum packet_frame_verdict packet_frame_check(const struct packet_frame *f, const uint8_t *own_mac);

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
        uint32_t next_pkt;  /* packet_ring_drain_frames(): the frame of that block to go on with */
        size_t next_off;    /* and its offset in the block (valid when next_pkt > 0) */
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

/* Calls cb for each frame in up to max_blocks ready blocks, with the kernel's metadata (pkt_type,
 * VLAN tag) filled in; handing each block back to the kernel after it. Every frame is passed,
 * whatever its verdict: the caller applies packet_frame_check(). Returns the number of frames. */
typedef void (*packet_frame_cb)(const struct packet_frame *f, void *userdata);
unsigned packet_ring_drain(struct packet_ring *ring, unsigned max_blocks, packet_frame_cb cb, void *userdata);
/* The same, bounded by frames instead of blocks: calls cb for at most max_frames frames and stops
 * there, inside a block if need be (that block stays with user space, so the socket stays
 * readable); the next call goes on with the frame after. So one call's work has a fixed bound
 * however full the blocks are (a flood fills a 64 KiB block with ~450 frames). */
unsigned packet_ring_drain_frames(struct packet_ring *ring, unsigned max_frames, packet_frame_cb cb,
                                  void *userdata);
