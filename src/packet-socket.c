/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "macro.h"
#include "packet-socket.h"


static int set_int_option(int fd, int level, int name, int value) {
        if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
                return -errno;
        return 0;
}

static int packet_socket_open_internal(const struct packet_socket_params *p, const struct packet_ring_params *rp,
                                       struct packet_ring *ring) {
        struct sock_fprog prog = {
                .len = (unsigned short) p->filter_len,
                .filter = (struct sock_filter *) p->filter, /* the kernel only reads it */
        };
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(p->protocol),
                .sll_ifindex = p->ifindex,
        };
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (p->ifindex <= 0 || !p->filter || p->filter_len == 0 || p->filter_len > BPF_MAXINSNS)
                return -EINVAL;

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

unsigned packet_ring_drain(struct packet_ring *ring, unsigned max_blocks, packet_frame_cb cb, void *userdata) {
        unsigned frames = 0;

        if (!ring || !ring->map)
                return 0;
        for (unsigned b = 0; b < max_blocks; b++) {
                uint8_t *block = ring->map + (size_t) ring->next * ring->block_size;
                struct tpacket_block_desc *desc = (struct tpacket_block_desc *) block;
                struct tpacket_hdr_v1 *h1 = &desc->hdr.bh1;

                if (!(__atomic_load_n(&h1->block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
                        break;
                /* The kernel wrote this block; everything in it is bounded by the block. */
                size_t off = h1->offset_to_first_pkt;
                for (uint32_t i = 0; i < h1->num_pkts && off + sizeof(struct tpacket3_hdr) <= ring->block_size; i++) {
                        const struct tpacket3_hdr *h = (const struct tpacket3_hdr *) (block + off);

                        if ((size_t) h->tp_mac + h->tp_snaplen <= ring->block_size - off)
                                cb(block + off + h->tp_mac, h->tp_snaplen, h->tp_len > h->tp_snaplen, userdata);
                        frames++;
                        if (h->tp_next_offset == 0)
                                break;
                        off += h->tp_next_offset;
                }
                __atomic_store_n(&h1->block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
                ring->next = (ring->next + 1) % ring->n_blocks;
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
