/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * packet-socket's VLAN isolation and pkt_type rule: the pure verdict, the filter prefix run in an
 * interpreter, and (root) what a real ring reports for frames a peer sends tagged in-band: the
 * kernel untags them on receive and the ring must say so.
 */

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arp-packet.h"
#include "macro.h"
#include "packet-socket.h"
#include "tests.h"
#include "test-bpf.h"
#include "test-netns.h"

#define ACCEPT_ALL 0x40000
static const struct sock_filter accept_all[] = { BPF_STMT(BPF_RET | BPF_K, ACCEPT_ALL) };

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t mac_other[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0c };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* A 60-byte ARP request from mac_b, to dst. */
static void arp_frame(uint8_t f[60], const uint8_t *dst) {
        static const uint8_t body[] = { 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01 };

        memset(f, 0, 60);
        memcpy(f, dst, 6);
        memcpy(f + 6, mac_b, 6);
        memcpy(f + 12, body, sizeof(body));
        memcpy(f + 22, mac_b, 6);
        f[28] = 198, f[29] = 18, f[30] = 0, f[31] = 2;  /* sender 198.18.0.2 */
        f[38] = 198, f[39] = 18, f[40] = 0, f[41] = 1;  /* target 198.18.0.1 */
}

/* The same frame with a tag (tpid, tci) inserted after the MAC addresses (64 bytes). */
static void tag_frame(uint8_t out[64], const uint8_t in[60], uint16_t tpid, uint16_t tci) {
        memcpy(out, in, 12);
        out[12] = (uint8_t) (tpid >> 8), out[13] = (uint8_t) tpid;
        out[14] = (uint8_t) (tci >> 8), out[15] = (uint8_t) tci;
        memcpy(out + 16, in + 12, 48);
}

static void test_verdict(void) {
        uint8_t f[60], t[64];
        struct packet_frame pf;

        arp_frame(f, bcast);
        pf = (struct packet_frame){ .data = f, .len = sizeof(f), .pkt_type = PACKET_BROADCAST };
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_LEARN);
        CHECK_INT_EQ(packet_frame_check(&pf, NULL), PACKET_FRAME_LEARN);
        pf.pkt_type = PACKET_MULTICAST;
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_LEARN);
        arp_frame(f, mac_a);
        pf.pkt_type = PACKET_HOST;
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_LEARN);

        /* to another unicast MAC (promiscuous), our own, looped back, kernel-internal: ignored */
        arp_frame(f, mac_other);
        const uint8_t not_ours[] = { PACKET_OTHERHOST, PACKET_OUTGOING, PACKET_LOOPBACK, PACKET_USER,
                                     PACKET_KERNEL, 200 };
        for (size_t i = 0; i < ELEMENTSOF(not_ours); i++) {
                pf.pkt_type = not_ours[i];
                CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_NOT_OURS);
                CHECK_INT_EQ(packet_frame_check(&pf, NULL), PACKET_FRAME_NOT_OURS);
        }
        /* OUTGOING and the rest stay ignored whatever the destination */
        arp_frame(f, bcast);
        pf.pkt_type = PACKET_OUTGOING;
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_NOT_OURS);
        pf.pkt_type = PACKET_LOOPBACK;
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_NOT_OURS);

        /* OTHERHOST although addressed to this host: the kernel's mark of another VLAN's frame */
        pf.pkt_type = PACKET_OTHERHOST;
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_VLAN);        /* broadcast */
        f[0] = 0x33, f[1] = 0x33;
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_VLAN);        /* multicast */
        CHECK_INT_EQ(packet_frame_check(&pf, NULL), PACKET_FRAME_VLAN);
        arp_frame(f, mac_a);
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_VLAN);        /* our MAC */
        CHECK_INT_EQ(packet_frame_check(&pf, NULL), PACKET_FRAME_NOT_OURS);     /* no MAC to compare */
        CHECK_INT_EQ(packet_frame_check(&pf, mac_b), PACKET_FRAME_NOT_OURS);
        pf.len = 5; /* too short to hold a destination */
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_NOT_OURS);

        /* the kernel's VLAN metadata: a non-zero VID is another VLAN's, whatever pkt_type says */
        const uint8_t types[] = { PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST };
        arp_frame(f, bcast);
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                pf = (struct packet_frame){ .data = f, .len = sizeof(f), .pkt_type = types[i], .vlan_valid = true,
                                            .vlan_tci = 100, .vlan_tpid = 0x8100 };
                CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_VLAN);
                pf.vlan_tci = 0xf001; /* priority 7, DEI, VID 1 */
                CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_VLAN);
                pf.vlan_tci = 4095;
                CHECK_INT_EQ(packet_frame_check(&pf, NULL), PACKET_FRAME_VLAN);
        }
        /* VID 0 (a priority tag) is the native LAN; a TCI without VLAN_VALID means nothing */
        pf = (struct packet_frame){ .data = f, .len = sizeof(f), .pkt_type = PACKET_BROADCAST, .vlan_valid = true,
                                    .vlan_tci = 0xe000 };
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_LEARN);
        pf.vlan_valid = false;
        pf.vlan_tci = 100;
        CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_LEARN);

        /* an in-band tag still in the bytes, any VID (the parsers do not look through tags) */
        const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100 };
        for (size_t i = 0; i < ELEMENTSOF(tpids); i++) {
                tag_frame(t, f, tpids[i], 0);
                CHECK(packet_frame_has_inband_tag(t, sizeof(t)));
                CHECK(packet_frame_has_inband_tag(t, ETH_HLEN));
                pf = (struct packet_frame){ .data = t, .len = sizeof(t), .pkt_type = PACKET_BROADCAST };
                CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_VLAN);
                pf.len = ETH_HLEN - 1; /* too short to carry an EtherType */
                CHECK_INT_EQ(packet_frame_check(&pf, mac_a), PACKET_FRAME_LEARN);
        }
        CHECK(!packet_frame_has_inband_tag(f, sizeof(f)));
        CHECK(!packet_frame_has_inband_tag(t, ETH_HLEN - 1));
        CHECK(!packet_frame_has_inband_tag(NULL, 64));
        f[12] = 0x86, f[13] = 0xdd;
        CHECK(!packet_frame_has_inband_tag(f, sizeof(f)));
        f[12] = 0x81, f[13] = 0x01;
        CHECK(!packet_frame_has_inband_tag(f, sizeof(f)));
}

#define WRAP (PACKET_FILTER_PREFIX_LEN + PACKET_FILTER_TAIL_LEN)

static void test_compose(void) {
        struct sock_filter prog[WRAP + 3];
        static const struct sock_filter two_ways[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
                BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 42, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, 1000),
                BPF_STMT(BPF_RET | BPF_K, 0),
        };
        static const struct sock_filter ret_a[] = { BPF_STMT(BPF_RET | BPF_A, 0) };
        static struct sock_filter big[BPF_MAXINSNS], out[BPF_MAXINSNS + WRAP];

        CHECK_INT_EQ(packet_filter_compose(accept_all, 1, prog, ELEMENTSOF(prog)), WRAP + 1);
        bpf_check_shape(prog, WRAP + 1);
        /* the protocol's accept now leads to the tail */
        CHECK_INT_EQ(prog[PACKET_FILTER_PREFIX_LEN].code, BPF_JMP | BPF_JA);
        CHECK_INT_EQ(prog[PACKET_FILTER_PREFIX_LEN].k, 0);
        CHECK_INT_EQ(packet_filter_compose(two_ways, ELEMENTSOF(two_ways), prog, ELEMENTSOF(prog)), -EINVAL);
        CHECK_INT_EQ(packet_filter_compose(two_ways, ELEMENTSOF(two_ways), out, ELEMENTSOF(out)), WRAP + 4);
        bpf_check_shape(out, WRAP + 4);
        CHECK_INT_EQ(out[PACKET_FILTER_PREFIX_LEN + 2].code, BPF_JMP | BPF_JA);
        CHECK_INT_EQ(out[PACKET_FILTER_PREFIX_LEN + 3].code, BPF_RET | BPF_K); /* a drop stays a drop */
        CHECK_INT_EQ(out[PACKET_FILTER_PREFIX_LEN + 3].k, 0);
        uint8_t f[60];
        arp_frame(f, bcast);
        CHECK_INT_EQ(bpf_run(out, WRAP + 4, f, sizeof(f), &BPF_META_BROADCAST), ACCEPT_ALL);
        CHECK_INT_EQ(bpf_run(out, WRAP + 4, f, 41, &BPF_META_BROADCAST), 0);

        CHECK_INT_EQ(packet_filter_compose(ret_a, 1, out, ELEMENTSOF(out)), -EINVAL);
        CHECK_INT_EQ(packet_filter_compose(accept_all, 1, prog, WRAP), -EINVAL);
        CHECK_INT_EQ(packet_filter_compose(NULL, 1, prog, ELEMENTSOF(prog)), -EINVAL);
        CHECK_INT_EQ(packet_filter_compose(accept_all, 0, prog, ELEMENTSOF(prog)), -EINVAL);
        CHECK_INT_EQ(packet_filter_compose(accept_all, 1, NULL, ELEMENTSOF(prog)), -EINVAL);
        /* the result must fit into what the kernel takes */
        for (size_t i = 0; i < ELEMENTSOF(big); i++)
                big[i] = accept_all[0];
        CHECK_INT_EQ(packet_filter_compose(big, BPF_MAXINSNS - WRAP, out, ELEMENTSOF(out)), BPF_MAXINSNS);
        CHECK_INT_EQ(packet_filter_compose(big, BPF_MAXINSNS - WRAP + 1, out, ELEMENTSOF(out)), -EINVAL);
}

static uint32_t run_wrapped(const uint8_t *f, size_t len, struct bpf_meta m) {
        return bpf_run_socket(accept_all, ELEMENTSOF(accept_all), f, len, &m);
}

static void test_filter(void) {
        uint8_t f[60], t[64];

        arp_frame(f, bcast);
        /* ours and untagged: whole */
        CHECK_INT_EQ(run_wrapped(f, sizeof(f), (struct bpf_meta){ .pkt_type = PACKET_HOST }), ACCEPT_ALL);
        CHECK_INT_EQ(run_wrapped(f, sizeof(f), (struct bpf_meta){ .pkt_type = PACKET_BROADCAST }), ACCEPT_ALL);
        CHECK_INT_EQ(run_wrapped(f, sizeof(f), (struct bpf_meta){ .pkt_type = PACKET_MULTICAST }), ACCEPT_ALL);
        /* OTHERHOST: only the header, the reader tells another VLAN's from another host's */
        CHECK_INT_EQ(run_wrapped(f, sizeof(f), (struct bpf_meta){ .pkt_type = PACKET_OTHERHOST }),
                     PACKET_FILTER_VLAN_SNAPLEN);
        /* outgoing, looped back: dropped in the kernel */
        CHECK_INT_EQ(run_wrapped(f, sizeof(f), (struct bpf_meta){ .pkt_type = PACKET_OUTGOING }), 0);
        CHECK_INT_EQ(run_wrapped(f, sizeof(f), (struct bpf_meta){ .pkt_type = PACKET_LOOPBACK }), 0);
        CHECK_INT_EQ(run_wrapped(f, sizeof(f), (struct bpf_meta){ .pkt_type = PACKET_KERNEL }), 0);
        /* a tag in the metadata: only the header, for the reader to count */
        CHECK_INT_EQ(run_wrapped(f, sizeof(f),
                                 (struct bpf_meta){ .pkt_type = PACKET_OTHERHOST, .vlan_present = true,
                                                    .vlan_tci = 100 }),
                     PACKET_FILTER_VLAN_SNAPLEN);
        CHECK_INT_EQ(run_wrapped(f, sizeof(f),
                                 (struct bpf_meta){ .pkt_type = PACKET_BROADCAST, .vlan_present = true,
                                                    .vlan_tci = 0xa005 }),
                     PACKET_FILTER_VLAN_SNAPLEN);
        /* VID 0: untagged as far as learning goes, pkt_type decides */
        CHECK_INT_EQ(run_wrapped(f, sizeof(f),
                                 (struct bpf_meta){ .pkt_type = PACKET_BROADCAST, .vlan_present = true,
                                                    .vlan_tci = 0xe000 }),
                     ACCEPT_ALL);
        /* in-band tags */
        tag_frame(t, f, 0x8100, 100);
        CHECK_INT_EQ(run_wrapped(t, sizeof(t), BPF_META_BROADCAST), PACKET_FILTER_VLAN_SNAPLEN);
        tag_frame(t, f, 0x88a8, 7);
        CHECK_INT_EQ(run_wrapped(t, sizeof(t), (struct bpf_meta){ .pkt_type = PACKET_OTHERHOST }),
                     PACKET_FILTER_VLAN_SNAPLEN);
        tag_frame(t, f, 0x9100, 0);
        CHECK_INT_EQ(run_wrapped(t, sizeof(t), BPF_META_BROADCAST), PACKET_FILTER_VLAN_SNAPLEN);
        /* shorter than an Ethernet header: rejected */
        CHECK_INT_EQ(run_wrapped(f, ETH_HLEN - 1, BPF_META_BROADCAST), 0);
        CHECK_INT_EQ(run_wrapped(f, ETH_HLEN, BPF_META_BROADCAST), ACCEPT_ALL);

        /* The protocol's checks come before the metadata's: a non-ARP OTHERHOST frame does not
         * reach the ring, an in-band tagged one does (its bytes cannot pass the ARP checks). */
        size_t n;
        const struct sock_filter *arp = arp_filter_program(&n);
        CHECK(bpf_run_socket(arp, n, f, sizeof(f), &BPF_META_BROADCAST) >= sizeof(f));
        CHECK_INT_EQ(bpf_run_socket(arp, n, f, sizeof(f), &(struct bpf_meta){ .pkt_type = PACKET_OTHERHOST }),
                     PACKET_FILTER_VLAN_SNAPLEN);
        f[21] = 3; /* op 3 */
        CHECK_INT_EQ(bpf_run_socket(arp, n, f, sizeof(f), &BPF_META_BROADCAST), 0);
        CHECK_INT_EQ(bpf_run_socket(arp, n, f, sizeof(f), &(struct bpf_meta){ .pkt_type = PACKET_OTHERHOST }), 0);
        CHECK_INT_EQ(bpf_run_socket(arp, n, f, sizeof(f),
                                    &(struct bpf_meta){ .pkt_type = PACKET_OTHERHOST, .vlan_present = true,
                                                        .vlan_tci = 100 }),
                     0);
        tag_frame(t, f, 0x8100, 100);
        CHECK_INT_EQ(bpf_run_socket(arp, n, t, sizeof(t), &BPF_META_BROADCAST), PACKET_FILTER_VLAN_SNAPLEN);
}

/* ---- a real ring on a veth pair (root) ---- */

static const struct packet_ring_params small_ring = {
        .block_size = 16 * 4096,
        .n_blocks = 4,
        .retire_ms = 5,
};

struct seen {
        unsigned n;
        struct packet_frame f[8];
        uint8_t data[8][64];
};

static void keep_frame(const struct packet_frame *f, void *userdata) {
        struct seen *s = userdata;

        if (s->n >= ELEMENTSOF(s->f))
                return;
        s->f[s->n] = *f;
        memcpy(s->data[s->n], f->data, MIN(f->len, sizeof(s->data[0])));
        s->f[s->n].data = s->data[s->n];
        s->n++;
}

/* Counts frames numbered by their sender's last byte (10, 11, ...), checking their order. */
struct seq {
        unsigned n;
        bool in_order;
};

static void count_seq(const struct packet_frame *f, void *userdata) {
        struct seq *q = userdata;

        if (q->n == 0)
                q->in_order = true;
        if (f->len < 32 || f->data[31] != 10 + q->n)
                q->in_order = false;
        q->n++;
}

/* Sends one frame out of ifb and collects what a's ring shows within ms (then 100 ms more). */
static unsigned send_and_collect(int tx, int ifb, int fd, struct packet_ring *ring, const uint8_t *frame,
                                 size_t len, struct seen *s, int ms) {
        struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifb, .sll_halen = 6 };

        *s = (struct seen){};
        memcpy(sll.sll_addr, frame, 6);
        CHECK(sendto(tx, frame, len, 0, (struct sockaddr *) &sll, sizeof(sll)) == (ssize_t) len);
        for (int waited = 0; waited < ms; waited += 20) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 20) > 0)
                        (void) packet_ring_drain(ring, small_ring.n_blocks, keep_frame, s);
                if (s->n > 0 && waited >= 100)
                        break;
        }
        return s->n;
}

static void netns_child(void) {
        struct packet_socket_params p = { .protocol = ETH_P_ARP };
        struct packet_ring ring = {};
        _cleanup_close_ int fd = -EBADF, tx = -EBADF;
        uint8_t f[60], t[64], qq[68];
        struct seen s;
        int ifa, ifb;

        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "SKIP: unshare(CLONE_NEWNET): %m\n");
                exit(77);
        }
        /* no IPv6: only the test's frames on the wire */
        if (system("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 && "
                   "ip link add pktt-a address 02:00:00:00:00:0a type veth peer name pktt-b "
                   "address 02:00:00:00:00:0b && ip link set pktt-a up && ip link set pktt-b up") != 0) {
                fprintf(stderr, "SKIP: cannot create a veth pair\n");
                exit(77);
        }
        ifa = (int) if_nametoindex("pktt-a");
        ifb = (int) if_nametoindex("pktt-b");
        CHECK(ifa > 0 && ifb > 0);
        CHECK_INT_EQ(wait_running("pktt-a"), 0);
        CHECK_INT_EQ(wait_running("pktt-b"), 0);

        p.ifindex = ifa;
        p.filter = arp_filter_program(&p.filter_len);
        fd = packet_socket_open(&p, &small_ring, &ring);
        CHECK(fd >= 0);
        tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        CHECK(tx >= 0);
        if (fd < 0 || tx < 0)
                exit(1);

        /* untagged broadcast and unicast to a: learnable, whole */
        arp_frame(f, bcast);
        CHECK_INT_EQ(send_and_collect(tx, ifb, fd, &ring, f, sizeof(f), &s, 2000), 1);
        CHECK_INT_EQ(s.f[0].pkt_type, PACKET_BROADCAST);
        CHECK(!s.f[0].vlan_valid && !s.f[0].truncated && s.f[0].len == sizeof(f));
        CHECK_INT_EQ(packet_frame_check(&s.f[0], mac_a), PACKET_FRAME_LEARN);
        arp_frame(f, mac_a);
        CHECK_INT_EQ(send_and_collect(tx, ifb, fd, &ring, f, sizeof(f), &s, 2000), 1);
        CHECK_INT_EQ(s.f[0].pkt_type, PACKET_HOST);
        CHECK(!s.f[0].truncated && s.f[0].len == sizeof(f));
        CHECK_INT_EQ(packet_frame_check(&s.f[0], mac_a), PACKET_FRAME_LEARN);

        /* untagged unicast to another host (veth delivers it like a promiscuous NIC): its header
         * only, and not ours */
        arp_frame(f, mac_other);
        CHECK_INT_EQ(send_and_collect(tx, ifb, fd, &ring, f, sizeof(f), &s, 2000), 1);
        CHECK_INT_EQ(s.f[0].pkt_type, PACKET_OTHERHOST);
        CHECK(s.f[0].truncated && s.f[0].len == PACKET_FILTER_VLAN_SNAPLEN);
        CHECK_INT_EQ(packet_frame_check(&s.f[0], mac_a), PACKET_FRAME_NOT_OURS);

        /* Tagged in-band for VLAN 100 (802.1Q) and 200 (802.1ad), broadcast and to a's MAC: the
         * kernel untags on receive, has no VLAN device, marks the frame OTHERHOST (its metadata
         * may or may not keep the tag); the filter keeps only its header; the verdict is VLAN. */
        const struct {
                uint16_t tpid, tci;
                const uint8_t *dst;
        } tagged[] = {
                { 0x8100, 0x2000 | 100, bcast }, /* priority 1 */
                { 0x88a8, 200, bcast },
                { 0x8100, 100, mac_a },
                { 0x8100, 4094, mac_a },
        };
        for (size_t i = 0; i < ELEMENTSOF(tagged); i++) {
                arp_frame(f, tagged[i].dst);
                tag_frame(t, f, tagged[i].tpid, tagged[i].tci);
                CHECK_INT_EQ(send_and_collect(tx, ifb, fd, &ring, t, sizeof(t), &s, 2000), 1);
                CHECK_INT_EQ(s.f[0].pkt_type, PACKET_OTHERHOST);
                CHECK_INT_EQ(s.f[0].len, PACKET_FILTER_VLAN_SNAPLEN);
                CHECK(s.f[0].truncated);
                CHECK(memcmp(s.f[0].data, f, 14) == 0); /* the tag is no longer in the bytes */
                if (s.f[0].vlan_valid)
                        CHECK_INT_EQ(s.f[0].vlan_tci & 0x0fff, tagged[i].tci & 0x0fff);
                CHECK_INT_EQ(packet_frame_check(&s.f[0], mac_a), PACKET_FRAME_VLAN);
        }
        /* tagged to another host: indistinguishable from promiscuous traffic, and not ours */
        arp_frame(f, mac_other);
        tag_frame(t, f, 0x8100, 100);
        CHECK_INT_EQ(send_and_collect(tx, ifb, fd, &ring, t, sizeof(t), &s, 2000), 1);
        CHECK_INT_EQ(packet_frame_check(&s.f[0], mac_a), PACKET_FRAME_NOT_OURS);

        /* a priority tag (VID 0) is the native LAN: the kernel removes it, the frame is learnable */
        arp_frame(f, bcast);
        tag_frame(t, f, 0x8100, 0xa000);
        CHECK_INT_EQ(send_and_collect(tx, ifb, fd, &ring, t, sizeof(t), &s, 2000), 1);
        CHECK_INT_EQ(s.f[0].pkt_type, PACKET_BROADCAST);
        CHECK(s.f[0].len >= ARP_FRAME_LEN && !s.f[0].truncated);
        CHECK(memcmp(s.f[0].data, f, ARP_FRAME_LEN) == 0);
        CHECK_INT_EQ(packet_frame_check(&s.f[0], mac_a), PACKET_FRAME_LEARN);

        /* a priority tag around a VLAN 300 tag: the inner tag is taken off too, and counts */
        memcpy(qq, t, 16);
        qq[16] = 0x81, qq[17] = 0x00, qq[18] = 0x01, qq[19] = 0x2c;
        memcpy(qq + 20, t + 16, 48);
        CHECK_INT_EQ(send_and_collect(tx, ifb, fd, &ring, qq, sizeof(qq), &s, 2000), 1);
        CHECK_INT_EQ(s.f[0].pkt_type, PACKET_OTHERHOST);
        CHECK_INT_EQ(packet_frame_check(&s.f[0], mac_a), PACKET_FRAME_VLAN);

        /* Where the tag is still in the metadata the ring reports it: an ETH_P_ALL socket sees
         * frames before the kernel clears it (the protocol sockets above see them after). */
        _cleanup_close_ int all = -EBADF;
        struct packet_ring all_ring = {};
        struct packet_socket_params pa = {
                .ifindex = ifa,
                .protocol = ETH_P_ALL,
                .filter = accept_all,
                .filter_len = ELEMENTSOF(accept_all),
        };
        all = packet_socket_open(&pa, &small_ring, &all_ring);
        CHECK(all >= 0);
        arp_frame(f, bcast);
        tag_frame(t, f, 0x88a8, 0x4000 | 321);
        CHECK_INT_EQ(send_and_collect(tx, ifb, all, &all_ring, t, sizeof(t), &s, 2000), 1);
        CHECK(s.f[0].vlan_valid);
        CHECK_INT_EQ(s.f[0].vlan_tci, 0x4000 | 321);
        CHECK_INT_EQ(s.f[0].vlan_tpid, 0x88a8);
        CHECK_INT_EQ(s.f[0].len, PACKET_FILTER_VLAN_SNAPLEN);
        CHECK(memcmp(s.f[0].data, f, 14) == 0);
        CHECK_INT_EQ(packet_frame_check(&s.f[0], mac_a), PACKET_FRAME_VLAN);
        /* and an untagged one has no tag */
        CHECK_INT_EQ(send_and_collect(tx, ifb, all, &all_ring, f, sizeof(f), &s, 2000), 1);
        CHECK(!s.f[0].vlan_valid && s.f[0].vlan_tpid == 0 && s.f[0].len == sizeof(f));
        CHECK_INT_EQ(packet_frame_check(&s.f[0], mac_a), PACKET_FRAME_LEARN);
        packet_ring_unmap(&all_ring);

        /* A bounded drain (what the daemon does per wakeup): 20 frames in one block, taken 3 at a
         * time, in order, none twice; the socket stays readable while frames are left in a block
         * user space holds; packet_ring_drain() goes on from where a bounded drain stopped. */
        for (int round = 0; round < 2; round++) {
                struct seq seq = {}, old = {};
                unsigned got = 0, calls = 0, n;

                /* what the tests above left in the ring (the frames the ETH_P_ALL socket was for) */
                (void) usleep(50 * 1000);
                (void) packet_ring_drain(&ring, small_ring.n_blocks, count_seq, &old);
                for (int i = 0; i < 20; i++) {
                        struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifb, .sll_halen = 6 };

                        arp_frame(f, bcast);
                        f[31] = (uint8_t) (10 + i); /* sender 198.18.0.(10 + i): the frame's number */
                        memcpy(sll.sll_addr, bcast, 6);
                        CHECK(sendto(tx, f, sizeof(f), 0, (struct sockaddr *) &sll, sizeof(sll)) == (ssize_t) sizeof(f));
                }
                for (int waited = 0; waited < 2000 && got < 20; waited += 20) {
                        struct pollfd pf = { .fd = fd, .events = POLLIN };

                        if (poll(&pf, 1, 20) <= 0)
                                continue;
                        if (round == 1 && got == 5) {
                                n = packet_ring_drain(&ring, small_ring.n_blocks, count_seq, &seq);
                        } else {
                                n = packet_ring_drain_frames(&ring, round == 1 ? 5 : 3, count_seq, &seq);
                                CHECK(n <= (round == 1 ? 5u : 3u));
                        }
                        got += n;
                        calls += n > 0;
                }
                CHECK_INT_EQ(got, 20);
                CHECK_INT_EQ(seq.n, 20);
                CHECK(seq.in_order);
                CHECK(calls >= (round == 1 ? 2u : 7u));
                CHECK_INT_EQ(packet_ring_drain_frames(&ring, 3, count_seq, &seq), 0);
        }

        packet_ring_unmap(&ring);
        exit(tests_failed_ ? 1 : 0);
}

static void test_ring_netns(void) {
        run_netns_child(netns_child, "the VLAN ring test");
}

int main(void) {
        TEST_RUN(test_verdict);
        TEST_RUN(test_compose);
        TEST_RUN(test_filter);
        TEST_RUN(test_ring_netns);
        TEST_EXIT();
}
