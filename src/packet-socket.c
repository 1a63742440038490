/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "macro.h"
#include "packet-socket.h"

#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define VLAN_VID_MASK_ 0x0fff

/*
 * The filter around the protocol's program (see the header), classic BPF; ancillary loads read
 * the skb's metadata. The prefix looks at the bytes, the tail (reached where the protocol's
 * program accepts) at the metadata.
 *
 *   prefix
 *   0  ldh  [12]                EtherType (a frame shorter than 14 bytes is rejected here)
 *   1  jeq  #0x8100 -> 4        an in-band tag still in the frame
 *   2  jeq  #0x88a8 -> 4
 *   3  jeq  #0x9100 -> 4, else -> 5 (the protocol's program)
 *   4  ret  #18                 keep the header, for the reader to count
 *   the protocol's program; each "ret #k" with k > 0 becomes "ja tail"
 *   tail
 *   0  ld   vlan_avail          a tag in the metadata?
 *   1  jeq  #0 -> 5
 *   2  ld   vlan_tci
 *   3  and  #0x0fff             its VID
 *   4  jeq  #0 -> 5, else -> 9  VID 0: a priority tag, the native LAN
 *   5  ld   pkttype
 *   6  jeq  #PACKET_OTHERHOST -> 9
 *   7  jgt  #PACKET_MULTICAST -> 10
 *   8  ret  #0x40000            ours: the whole frame
 *   9  ret  #18                 tagged, or not for this host: the header, for the reader to decide
 *  10  ret  #0                  outgoing, looped back: drop
 */
#define PREFIX_VLAN 4
#define TAIL_SHORT 9
#define TAIL_REJECT 10
#define TO(target, here) ((uint8_t) ((target) - (here) - 1))
#define ACCEPT_ALL 0x40000

static const struct sock_filter filter_prefix[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_8021Q, TO(PREFIX_VLAN, 1), 0),
        /* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_8021AD, TO(PREFIX_VLAN, 2), 0),
        /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_QINQ_OLD, TO(PREFIX_VLAN, 3), TO(5, 3)),
        /* 4 */ BPF_STMT(BPF_RET | BPF_K, PACKET_FILTER_VLAN_SNAPLEN),
};

static const struct sock_filter filter_tail[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, TO(5, 1), 0),
        /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG),
        /* 3 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, VLAN_VID_MASK_),
        /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, TO(TAIL_SHORT, 4)),
        /* 5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
        /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OTHERHOST, TO(TAIL_SHORT, 6), 0),
        /* 7 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, PACKET_MULTICAST, TO(TAIL_REJECT, 7), 0),
        /* 8 */ BPF_STMT(BPF_RET | BPF_K, ACCEPT_ALL),
        /* 9 */ BPF_STMT(BPF_RET | BPF_K, PACKET_FILTER_VLAN_SNAPLEN),
        /* 10 */ BPF_STMT(BPF_RET | BPF_K, 0),
};

_Static_assert(ELEMENTSOF(filter_prefix) == PACKET_FILTER_PREFIX_LEN, "PACKET_FILTER_PREFIX_LEN out of date");
_Static_assert(ELEMENTSOF(filter_tail) == PACKET_FILTER_TAIL_LEN, "PACKET_FILTER_TAIL_LEN out of date");
_Static_assert(PREFIX_VLAN + 1 == PACKET_FILTER_PREFIX_LEN && TAIL_REJECT + 1 == PACKET_FILTER_TAIL_LEN,
               "filter labels out of date");

int packet_filter_compose(const struct sock_filter *filter, size_t filter_len, struct sock_filter *ret,
                          size_t size) {
        const size_t tail = PACKET_FILTER_PREFIX_LEN + filter_len;
        const size_t n = tail + PACKET_FILTER_TAIL_LEN;

        if (!filter || filter_len == 0 || !ret || n > size || n > BPF_MAXINSNS)
                return -EINVAL;
        memcpy(ret, filter_prefix, sizeof(filter_prefix));
        for (size_t i = 0; i < filter_len; i++) {
                struct sock_filter *insn = &ret[PACKET_FILTER_PREFIX_LEN + i];

                *insn = filter[i];
                if (BPF_CLASS(insn->code) != BPF_RET)
                        continue;
                if (insn->code != (BPF_RET | BPF_K))
                        return -EINVAL; /* only constant verdicts can be redirected */
                if (insn->k != 0) {
                        const uint32_t to_tail = (uint32_t) (tail - (PACKET_FILTER_PREFIX_LEN + i) - 1);
                        *insn = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JA, to_tail, 0, 0);
                }
        }
        memcpy(ret + tail, filter_tail, sizeof(filter_tail));
        return (int) n;
}

bool packet_frame_has_inband_tag(const uint8_t *data, size_t len) {
        uint16_t type;

        if (!data || len < ETH_HLEN)
                return false;
        type = (uint16_t) (data[12] << 8 | data[13]);
        return type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD || type == ETHERTYPE_QINQ_OLD;
}

enum packet_frame_verdict packet_frame_check(const struct packet_frame *f, const uint8_t *own_mac) {
        if ((f->vlan_valid && (f->vlan_tci & VLAN_VID_MASK_) != 0) || packet_frame_has_inband_tag(f->data, f->len))
                return PACKET_FRAME_VLAN;
        switch (f->pkt_type) {
        case PACKET_HOST:
        case PACKET_BROADCAST:
        case PACKET_MULTICAST:
                return PACKET_FRAME_LEARN;
        case PACKET_OTHERHOST:
                /* Addressed to this host (a group, or its own MAC), yet "another host's": only the
                 * kernel's VLAN path does that, for a tag it had no device for. */
                if (f->data && f->len >= ETH_ALEN &&
                    ((f->data[0] & 1) || (own_mac && memcmp(f->data, own_mac, ETH_ALEN) == 0)))
                        return PACKET_FRAME_VLAN;
                return PACKET_FRAME_NOT_OURS;
        default:
                return PACKET_FRAME_NOT_OURS;
        }
}

static int set_int_option(int fd, int level, int name, int value) {
        if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
                return -errno;
        return 0;
}

static int packet_socket_open_internal(const struct packet_socket_params *p, const struct packet_ring_params *rp,
                                       struct packet_ring *ring) {
        _cleanup_free_ struct sock_filter *insns = NULL;
        struct sock_fprog prog = {};
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(p->protocol),
                .sll_ifindex = p->ifindex,
        };
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (p->ifindex <= 0 || !p->filter || p->filter_len == 0 || p->filter_len > BPF_MAXINSNS)
                return -EINVAL;
        const size_t n_insns = PACKET_FILTER_PREFIX_LEN + p->filter_len + PACKET_FILTER_TAIL_LEN;
        insns = calloc(n_insns, sizeof(*insns));
        if (!insns)
                return -ENOMEM;
        r = packet_filter_compose(p->filter, p->filter_len, insns, n_insns);
        if (r < 0)
                return r;
        prog = (struct sock_fprog){ .len = (unsigned short) r, .filter = insns };

        /* Protocol 0: the socket receives nothing until bind() names the protocol below, so no
         * frame can be queued before the filter is in place. */
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
                return -errno;

        /* Our own probes leave through this socket's interface; we do not want them back. */
        r = set_int_option(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
        if (r < 0)
                return r;

        if (p->rcvbuf > 0) {
                /* SO_RCVBUFFORCE exceeds rmem_max but needs CAP_NET_ADMIN. */
                r = set_int_option(fd, SOL_SOCKET, SO_RCVBUFFORCE, p->rcvbuf);
                if (r < 0) {
                        r = set_int_option(fd, SOL_SOCKET, SO_RCVBUF, p->rcvbuf);
                        if (r < 0)
                                return r;
                }
        }

        if (rp) {
                /* The ring must exist before bind(): frames queue nowhere else. */
                struct tpacket_req3 req = {
                        .tp_block_size = (unsigned) rp->block_size,
                        .tp_block_nr = rp->n_blocks,
                        .tp_frame_size = 2048, /* only a sizing hint for TPACKET_V3 */
                        .tp_frame_nr = (unsigned) (rp->block_size / 2048 * rp->n_blocks),
                        .tp_retire_blk_tov = rp->retire_ms,
                };
                void *map;

                r = set_int_option(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3);
                if (r < 0)
                        return r;
                if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
                        return -errno;
                map = mmap(NULL, rp->block_size * rp->n_blocks, PROT_READ | PROT_WRITE, MAP_SHARED,
                           fd, 0);
                if (map == MAP_FAILED)
                        return -errno;
                *ring = (struct packet_ring){
                        .map = map,
                        .block_size = rp->block_size,
                        .n_blocks = rp->n_blocks,
                };
        }

        if (bind(fd, (const struct sockaddr *) &sll, sizeof(sll)) < 0) {
                r = -errno;
                if (rp)
                        packet_ring_unmap(ring);
                return r;
        }

        if (p->allmulti) {
                struct packet_mreq mr = {
                        .mr_ifindex = p->ifindex,
                        .mr_type = PACKET_MR_ALLMULTI,
                };
                if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
                        r = -errno;
                        if (rp)
                                packet_ring_unmap(ring);
                        return r;
                }
        }

        return TAKE_FD(fd);
}

int packet_socket_open(const struct packet_socket_params *p, const struct packet_ring_params *rp,
                       struct packet_ring *ring) {
        long page = sysconf(_SC_PAGESIZE);

        if (!rp != !ring)
                return -EINVAL;
        if (rp && (rp->n_blocks == 0 || rp->block_size == 0 || page <= 0 || rp->block_size % (size_t) page != 0 ||
                   rp->block_size > UINT32_MAX))
                return -EINVAL;
        if (ring)
                *ring = (struct packet_ring){};
        return packet_socket_open_internal(p, rp, ring);
}

void packet_ring_unmap(struct packet_ring *ring) {
        if (ring && ring->map)
                (void) munmap(ring->map, ring->block_size * ring->n_blocks);
        if (ring)
                *ring = (struct packet_ring){};
}

/* Walks the ready block at ring->next from the frame the last call stopped at, calling cb for at
 * most budget frames; hands the block back to the kernel once every frame of it was seen.
 * Returns the frames seen; *done says whether the block was handed back (false: none was ready,
 * or the budget ended inside it). */
static unsigned drain_block(struct packet_ring *ring, unsigned budget, packet_frame_cb cb, void *userdata, bool *done) {
        uint8_t *block = ring->map + (size_t) ring->next * ring->block_size;
        struct tpacket_block_desc *desc = (struct tpacket_block_desc *) block;
        struct tpacket_hdr_v1 *h1 = &desc->hdr.bh1;
        unsigned frames = 0;
        bool end = false;

        *done = false;
        if (!(__atomic_load_n(&h1->block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
                return 0;
        if (ring->next_pkt == 0)
                ring->next_off = h1->offset_to_first_pkt;
        /* The kernel wrote this block; everything in it is bounded by the block. */
        while (frames < budget) {
                size_t off = ring->next_off;

                if (ring->next_pkt >= h1->num_pkts || off + TPACKET3_HDRLEN > ring->block_size) {
                        end = true;
                        break;
                }
                const struct tpacket3_hdr *h = (const struct tpacket3_hdr *) (block + off);
                /* the frame's sockaddr_ll sits between the header and the frame */
                const struct sockaddr_ll *sll = (const struct sockaddr_ll *) (block + off + TPACKET_ALIGN(sizeof(*h)));

                if (h->tp_mac >= TPACKET3_HDRLEN && (size_t) h->tp_mac + h->tp_snaplen <= ring->block_size - off) {
                        const struct packet_frame f = {
                                .data = block + off + h->tp_mac,
                                .len = h->tp_snaplen,
                                .truncated = h->tp_len > h->tp_snaplen,
                                .pkt_type = sll->sll_pkttype,
                                .vlan_valid = h->tp_status & TP_STATUS_VLAN_VALID,
                                .vlan_tci = h->hv1.tp_vlan_tci,
                                .vlan_tpid = h->tp_status & TP_STATUS_VLAN_TPID_VALID ? h->hv1.tp_vlan_tpid : 0,
                        };
                        cb(&f, userdata);
                }
                frames++;
                ring->next_pkt++;
                if (h->tp_next_offset == 0) {
                        end = true;
                        break;
                }
                ring->next_off = off + h->tp_next_offset;
        }
        if (!end && ring->next_pkt >= h1->num_pkts)
                end = true;
        if (end) {
                __atomic_store_n(&h1->block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
                ring->next = (ring->next + 1) % ring->n_blocks;
                ring->next_pkt = 0;
                ring->next_off = 0;
                *done = true;
        }
        return frames;
}

unsigned packet_ring_drain(struct packet_ring *ring, unsigned max_blocks, packet_frame_cb cb, void *userdata) {
        unsigned frames = 0;
        bool done = true;

        if (!ring || !ring->map)
                return 0;
        for (unsigned b = 0; b < max_blocks && done; b++)
                frames += drain_block(ring, UINT_MAX, cb, userdata, &done);
        return frames;
}

unsigned packet_ring_drain_frames(struct packet_ring *ring, unsigned max_frames, packet_frame_cb cb,
                                  void *userdata) {
        unsigned frames = 0;
        bool done = true;

        if (!ring || !ring->map)
                return 0;
        while (frames < max_frames && done) {
                unsigned n = drain_block(ring, max_frames - frames, cb, userdata, &done);

                frames += n;
                if (n == 0 && !done)
                        break; /* no block ready */
        }
        return frames;
}

int packet_socket_send(int fd, int ifindex, uint16_t protocol, const void *frame, size_t len) {
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(protocol),
                .sll_ifindex = ifindex,
                .sll_halen = ETH_ALEN,
        };
        ssize_t n;

        if (fd < 0 || ifindex <= 0 || !frame || len < ETH_HLEN)
                return -EINVAL;

        memcpy(sll.sll_addr, frame, ETH_ALEN); /* the Ethernet destination */
        n = sendto(fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *) &sll, sizeof(sll));
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

int packet_socket_drops(int fd, uint64_t *ret) {
        struct tpacket_stats st = {};
        socklen_t sl = sizeof(st);

        if (fd < 0 || !ret)
                return -EINVAL;
        if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) < 0)
                return -errno;
        *ret = st.tp_drops;
        return 0;
}
