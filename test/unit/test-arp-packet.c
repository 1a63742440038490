/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arp-packet.h"
#include "macro.h"
#include "packet-socket.h"
#include "tests.h"
#include "test-bpf.h"
#include "test-netns.h"

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t mac_c[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0c };

static struct in_addr ip4(const char *s) {
        struct in_addr a = {};
        CHECK(inet_pton(AF_INET, s, &a) == 1);
        return a;
}

/* Writes an ARP frame field by field (independent of the builder under test). */
static void make_frame(uint8_t f[ARP_FRAME_LEN], const uint8_t *eth_dst, const uint8_t *eth_src, uint16_t op,
                       const uint8_t *sha, const char *spa, const uint8_t *tha, const char *tpa) {
        struct in_addr s = ip4(spa), t = ip4(tpa);

        memcpy(f + 0, eth_dst, 6);
        memcpy(f + 6, eth_src, 6);
        f[12] = 0x08, f[13] = 0x06;
        f[14] = 0x00, f[15] = 0x01;
        f[16] = 0x08, f[17] = 0x00;
        f[18] = 6, f[19] = 4;
        f[20] = (uint8_t) (op >> 8), f[21] = (uint8_t) op;
        memcpy(f + 22, sha, 6);
        memcpy(f + 28, &s, 4);
        memcpy(f + 32, tha, 6);
        memcpy(f + 38, &t, 4);
}

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero[6] = {};

static void good_request(uint8_t f[ARP_FRAME_LEN]) {
        make_frame(f, bcast, mac_a, 1, mac_a, "198.18.0.1", zero, "198.18.0.2");
}

/* Runs the ARP filter as the socket does (wrapped by packet-socket's prefix and tail), on an
 * untagged broadcast. */
static bool bpf_accepts(const uint8_t *pkt, size_t len) {
        size_t n;
        const struct sock_filter *prog = arp_filter_program(&n);
        uint32_t r = bpf_run_socket(prog, n, pkt, len, &BPF_META_BROADCAST);

        /* Accepting means keeping at least the whole frame. */
        CHECK(r == 0 || r >= len);
        return r != 0;
}

static void test_filter_shape(void) {
        size_t n = 0;
        const struct sock_filter *prog = arp_filter_program(&n);

        bpf_check_shape(prog, n);
        CHECK(arp_filter_program(NULL) == prog);
}

/* Checks parse and filter agree on a frame, and that parse fills every field. */
static void expect_good(const uint8_t *f, size_t len, uint16_t op, const uint8_t *eth_dst, const uint8_t *sha,
                        const char *spa, const uint8_t *tha, const char *tpa) {
        struct arp_frame a;

        memset(&a, 0x5a, sizeof(a));
        CHECK_INT_EQ(arp_frame_parse(f, len, &a), 0);
        CHECK_INT_EQ(a.op, op);
        CHECK_INT_EQ(a.eth_dst.len, 6);
        CHECK(memcmp(a.eth_dst.bytes, eth_dst, 6) == 0);
        CHECK_INT_EQ(a.eth_src.len, 6);
        CHECK(memcmp(a.eth_src.bytes, f + 6, 6) == 0);
        CHECK_INT_EQ(a.sha.len, 6);
        CHECK(memcmp(a.sha.bytes, sha, 6) == 0);
        CHECK_INT_EQ(a.tha.len, 6);
        CHECK(memcmp(a.tha.bytes, tha, 6) == 0);
        CHECK_INT_EQ(a.spa.s_addr, ip4(spa).s_addr);
        CHECK_INT_EQ(a.tpa.s_addr, ip4(tpa).s_addr);
        CHECK(bpf_accepts(f, len));
}

static void test_parse_good(void) {
        uint8_t f[60] = {};

        good_request(f);
        expect_good(f, ARP_FRAME_LEN, ARP_OP_REQUEST, bcast, mac_a, "198.18.0.1", zero, "198.18.0.2");

        /* reply, unicast */
        make_frame(f, mac_a, mac_b, 2, mac_b, "198.18.0.2", mac_a, "198.18.0.1");
        expect_good(f, ARP_FRAME_LEN, ARP_OP_REPLY, mac_a, mac_b, "198.18.0.2", mac_a, "198.18.0.1");

        /* gratuitous: a request for one's own address */
        make_frame(f, bcast, mac_c, 1, mac_c, "198.18.0.3", zero, "198.18.0.3");
        expect_good(f, ARP_FRAME_LEN, ARP_OP_REQUEST, bcast, mac_c, "198.18.0.3", zero, "198.18.0.3");

        /* gratuitous reply */
        make_frame(f, bcast, mac_c, 2, mac_c, "198.18.0.3", bcast, "198.18.0.3");
        expect_good(f, ARP_FRAME_LEN, ARP_OP_REPLY, bcast, mac_c, "198.18.0.3", bcast, "198.18.0.3");

        /* minimum Ethernet frame: 18 bytes of padding, with junk in them */
        good_request(f);
        memset(f + ARP_FRAME_LEN, 0xee, sizeof(f) - ARP_FRAME_LEN);
        expect_good(f, sizeof(f), ARP_OP_REQUEST, bcast, mac_a, "198.18.0.1", zero, "198.18.0.2");

        /* parse without an output struct still validates */
        CHECK_INT_EQ(arp_frame_parse(f, sizeof(f), NULL), 0);
}

static void expect_bad(const uint8_t *f, size_t len, const char *what) {
        struct arp_frame a = {};

        if (arp_frame_parse(f, len, &a) != -EBADMSG) {
                fprintf(stderr, "parse accepted: %s\n", what);
                CHECK(false);
        }
        if (bpf_accepts(f, len)) {
                fprintf(stderr, "filter accepted: %s\n", what);
                CHECK(false);
        }
}

static void test_parse_bad(void) {
        uint8_t good[60], f[60];
        char what[64];

        good_request(good);
        memset(good + ARP_FRAME_LEN, 0, sizeof(good) - ARP_FRAME_LEN);

        /* every truncation, on an exact-size heap copy so ASan catches a read past the end */
        for (size_t len = 0; len < ARP_FRAME_LEN; len++) {
                uint8_t *h = malloc(len ? len : 1);
                CHECK(h != NULL);
                if (!h)
                        return;
                memcpy(h, good, len);
                snprintf(what, sizeof(what), "truncated to %zu", len);
                expect_bad(h, len, what);
                free(h);
        }
        CHECK_INT_EQ(arp_frame_parse(NULL, 42, NULL), -EBADMSG);

        struct {
                size_t off;
                uint8_t val;
                const char *what;
        } mutations[] = {
                { 13, 0x08, "EtherType 0x0808" },
                { 13, 0x00, "EtherType 0x0800 (IPv4)" },
                { 12, 0x86, "EtherType 0x8606" },
                { 15, 0x06, "htype 6 (IEEE 802)" },
                { 14, 0x01, "htype 0x0101" },
                { 16, 0x86, "ptype 0x8600" },
                { 17, 0xdd, "ptype 0x08dd" },
                { 18, 8, "hlen 8" },
                { 18, 0, "hlen 0" },
                { 19, 16, "plen 16" },
                { 19, 0, "plen 0" },
                { 21, 0, "op 0" },
                { 21, 3, "op 3 (RARP request)" },
                { 21, 4, "op 4" },
                { 20, 1, "op 0x0101" },
                { 20, 0xff, "op 0xff01" },
        };
        for (size_t i = 0; i < ELEMENTSOF(mutations); i++) {
                memcpy(f, good, sizeof(f));
                f[mutations[i].off] = mutations[i].val;
                expect_bad(f, ARP_FRAME_LEN, mutations[i].what);
                expect_bad(f, sizeof(f), mutations[i].what); /* padding does not help */
        }

        /* op 2 in the low byte with a high byte set is not a reply */
        memcpy(f, good, sizeof(f));
        f[20] = 1, f[21] = 2;
        expect_bad(f, sizeof(f), "op 0x0102");
        /* an 802.1Q tag in front of the ARP header */
        memcpy(f, good, sizeof(f));
        memmove(f + 16, good + 12, ARP_FRAME_LEN - 12);
        f[12] = 0x81, f[13] = 0x00, f[14] = 0x00, f[15] = 0x05;
        CHECK_INT_EQ(arp_frame_parse(f, sizeof(f), NULL), -EBADMSG);
        /* the ARP filter alone rejects it; the socket's prefix keeps its header, to be counted */
        size_t n;
        const struct sock_filter *prog = arp_filter_program(&n);
        CHECK_INT_EQ(bpf_run(prog, n, f, sizeof(f), &BPF_META_BROADCAST), 0);
        CHECK_INT_EQ(bpf_run_socket(prog, n, f, sizeof(f), &BPF_META_BROADCAST), PACKET_FILTER_VLAN_SNAPLEN);
}

static void test_build(void) {
        uint8_t buf[64], f[ARP_FRAME_LEN];
        struct arp_frame a;

        /* broadcast request: Ethernet destination ff.., target MAC zero */
        memset(buf, 0x77, sizeof(buf));
        CHECK_INT_EQ(arp_frame_build_request(buf, sizeof(buf), mac_a, ip4("198.18.0.1"), ip4("198.18.0.9"), NULL),
                     ARP_FRAME_LEN);
        CHECK_INT_EQ(buf[ARP_FRAME_LEN], 0x77); /* nothing written past the frame */
        make_frame(f, bcast, mac_a, 1, mac_a, "198.18.0.1", zero, "198.18.0.9");
        CHECK(memcmp(buf, f, ARP_FRAME_LEN) == 0);
        CHECK_INT_EQ(arp_frame_parse(buf, ARP_FRAME_LEN, &a), 0);
        CHECK_INT_EQ(a.op, ARP_OP_REQUEST);
        CHECK(lladdr_is_broadcast(&a.eth_dst));
        CHECK(lladdr_is_zero(&a.tha));
        CHECK(memcmp(a.eth_src.bytes, mac_a, 6) == 0 && memcmp(a.sha.bytes, mac_a, 6) == 0);
        CHECK_INT_EQ(a.spa.s_addr, ip4("198.18.0.1").s_addr);
        CHECK_INT_EQ(a.tpa.s_addr, ip4("198.18.0.9").s_addr);
        CHECK(bpf_accepts(buf, ARP_FRAME_LEN));

        /* unicast probe: addressed to the MAC we expect */
        CHECK_INT_EQ(arp_frame_build_request(buf, ARP_FRAME_LEN, mac_b, ip4("198.19.255.254"), ip4("198.18.1.2"),
                                             mac_c),
                     ARP_FRAME_LEN);
        make_frame(f, mac_c, mac_b, 1, mac_b, "198.19.255.254", mac_c, "198.18.1.2");
        CHECK(memcmp(buf, f, ARP_FRAME_LEN) == 0);
        CHECK_INT_EQ(arp_frame_parse(buf, ARP_FRAME_LEN, &a), 0);
        CHECK(memcmp(a.eth_dst.bytes, mac_c, 6) == 0);
        CHECK(memcmp(a.tha.bytes, mac_c, 6) == 0);
        CHECK_INT_EQ(a.spa.s_addr, ip4("198.19.255.254").s_addr);

        /* too small */
        memset(buf, 0x77, sizeof(buf));
        CHECK_INT_EQ(arp_frame_build_request(buf, ARP_FRAME_LEN - 1, mac_a, ip4("198.18.0.1"), ip4("198.18.0.2"),
                                             NULL),
                     -ENOBUFS);
        CHECK_INT_EQ(buf[0], 0x77);
        CHECK_INT_EQ(arp_frame_build_request(NULL, 64, mac_a, ip4("198.18.0.1"), ip4("198.18.0.2"), NULL),
                     -ENOBUFS);
}

static const struct packet_ring_params small_ring = {
        .block_size = 16 * 4096,
        .n_blocks = 4,
        .retire_ms = 5,
};

static struct packet_socket_params arp_params(int ifindex) {
        struct packet_socket_params p = { .ifindex = ifindex, .protocol = ETH_P_ARP };

        p.filter = arp_filter_program(&p.filter_len);
        return p;
}

static void count_frame(const struct packet_frame *f, void *userdata) {
        (*(unsigned *) userdata)++;
}

static void test_socket_args(void) {
        struct packet_socket_params p = arp_params(0);
        struct packet_ring_params odd = small_ring;
        struct packet_ring ring = {};
        uint64_t drops;
        uint8_t f[ARP_FRAME_LEN] = {};
        unsigned n = 0;

        CHECK_INT_EQ(packet_socket_open(&p, &small_ring, &ring), -EINVAL); /* ifindex 0 */
        p.ifindex = -3;
        CHECK_INT_EQ(packet_socket_open(&p, &small_ring, &ring), -EINVAL);
        p = arp_params(1);
        odd.block_size = 4096 + 1; /* not a multiple of the page size */
        CHECK_INT_EQ(packet_socket_open(&p, &odd, &ring), -EINVAL);
        odd = small_ring;
        odd.n_blocks = 0;
        CHECK_INT_EQ(packet_socket_open(&p, &odd, &ring), -EINVAL);
        CHECK_INT_EQ(packet_socket_open(&p, &small_ring, NULL), -EINVAL); /* ring params but no ring */
        p.filter = NULL;
        CHECK_INT_EQ(packet_socket_open(&p, NULL, NULL), -EINVAL);
        CHECK_INT_EQ(packet_socket_send(-1, 1, ETH_P_ARP, f, sizeof(f)), -EINVAL);
        CHECK_INT_EQ(packet_socket_send(0, 1, ETH_P_ARP, f, 13), -EINVAL);
        CHECK_INT_EQ(packet_socket_drops(-1, &drops), -EINVAL);
        /* a ring that was never mapped yields nothing */
        CHECK_INT_EQ(packet_ring_drain(&ring, 4, count_frame, &n), 0);
        CHECK_INT_EQ(n, 0);

        /* Not a packet socket: the error comes back negative. */
        int fds[2];
        CHECK(pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
        CHECK(packet_socket_drops(fds[0], &drops) < 0);
        safe_close(fds[0]);
        safe_close(fds[1]);

        if (geteuid() != 0) {
                /* Without CAP_NET_RAW the kernel refuses the socket. */
                p = arp_params(1);
                CHECK_INT_EQ(packet_socket_open(&p, &small_ring, &ring), -EPERM);
        }
}

/* ---- socket test in a private network namespace (root only) ---- */

static int raw_send(int fd, int ifindex, const uint8_t *f, size_t len) {
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_ifindex = ifindex,
                .sll_halen = 6,
        };
        memcpy(sll.sll_addr, f, 6);
        return sendto(fd, f, len, 0, (struct sockaddr *) &sll, sizeof(sll)) == (ssize_t) len ? 0 : -errno;
}

struct collected {
        uint8_t frames[8][128];
        size_t len[8];
        unsigned n, seen;
};

static void collect_frame(const struct packet_frame *f, void *userdata) {
        struct collected *c = userdata;

        CHECK(!f->truncated);
        CHECK_INT_EQ(packet_frame_check(f, mac_a), PACKET_FRAME_LEARN);
        c->seen++;
        if (c->n < ELEMENTSOF(c->frames) && f->len <= sizeof(c->frames[0])) {
                memcpy(c->frames[c->n], f->data, f->len);
                c->len[c->n++] = f->len;
        }
}

/* Drains the ring for up to ms milliseconds, or until want frames arrived (then a short grace
 * period to catch anything unexpected behind them). */
static unsigned collect(int fd, struct packet_ring *ring, struct collected *c, unsigned want, int ms) {
        bool grace = false;

        for (unsigned rounds = 0; rounds < 1000; rounds++) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                if (poll(&pfd, 1, grace ? 200 : ms) <= 0)
                        break;
                (void) packet_ring_drain(ring, small_ring.n_blocks, collect_frame, c);
                if (c->seen >= want)
                        grace = true;
        }
        return c->seen;
}

static void netns_child(void) {
        uint8_t good1[ARP_FRAME_LEN], good2[60] = {}, bad[ARP_FRAME_LEN], own[ARP_FRAME_LEN];
        struct packet_socket_params p;
        struct packet_ring ring = {};
        struct collected c = {};
        _cleanup_close_ int fd = -EBADF, tx = -EBADF;
        int ifa, ifb, r;
        uint64_t drops = 99;

        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "SKIP: unshare(CLONE_NEWNET): %m\n");
                exit(77);
        }
        /* Only inside the namespace we just created. */
        /* arpt-a is mac_a: a frame to mac_a is for this host, one to another unicast MAC is not. */
        if (system("ip link add arpt-a address 02:00:00:00:00:0a type veth peer name arpt-b && "
                   "ip link set arpt-a up && ip link set arpt-b up") != 0) {
                fprintf(stderr, "SKIP: cannot create a veth pair\n");
                exit(77);
        }
        ifa = (int) if_nametoindex("arpt-a");
        ifb = (int) if_nametoindex("arpt-b");
        CHECK(ifa > 0 && ifb > 0);
        CHECK_INT_EQ(wait_running("arpt-a"), 0);
        CHECK_INT_EQ(wait_running("arpt-b"), 0);

        /* an interface that does not exist */
        p = arp_params(ifa + ifb + 1000);
        CHECK_INT_EQ(packet_socket_open(&p, &small_ring, &ring), -ENODEV);
        CHECK(ring.map == NULL); /* nothing left mapped */

        p = arp_params(ifa);
        fd = packet_socket_open(&p, &small_ring, &ring);
        CHECK(fd >= 0);
        if (fd < 0)
                exit(1);
        CHECK(ring.map != NULL);
        int flags = fcntl(fd, F_GETFL), fdflags = fcntl(fd, F_GETFD);
        CHECK(flags >= 0 && (flags & O_NONBLOCK));
        CHECK(fdflags >= 0 && (fdflags & FD_CLOEXEC));
        int v = 0;
        socklen_t sl = sizeof(v);
        CHECK(getsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, &sl) == 0);
        CHECK_INT_EQ(v, TPACKET_V3);
        /* Outgoing frames reach only ETH_P_ALL taps in today's kernels, so the option cannot be
         * observed through traffic on an ETH_P_ARP socket (see below); check it is set. */
        int ign = 0;
        sl = sizeof(ign);
        CHECK(getsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &ign, &sl) == 0);
        CHECK_INT_EQ(ign, 1);

        CHECK_INT_EQ(packet_ring_drain(&ring, small_ring.n_blocks, collect_frame, &c), 0); /* nothing yet */

        tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: send only */
        CHECK(tx >= 0);

        make_frame(good1, bcast, mac_b, 1, mac_b, "198.18.0.2", zero, "198.18.0.1");
        make_frame(bad, bcast, mac_c, 1, mac_c, "198.18.0.3", zero, "198.18.0.1");
        bad[18] = 8; /* hlen 8 */
        make_frame(good2, mac_a, mac_c, 2, mac_c, "198.18.0.3", mac_a, "198.18.0.1");
        CHECK_INT_EQ(arp_frame_build_request(own, sizeof(own), mac_a, ip4("198.18.0.1"), ip4("198.18.0.7"), NULL),
                     ARP_FRAME_LEN);

        CHECK_INT_EQ(raw_send(tx, ifb, good1, sizeof(good1)), 0);
        CHECK_INT_EQ(raw_send(tx, ifb, bad, sizeof(bad)), 0);
        /* Outgoing on the socket's own interface, from another socket and from the socket itself:
         * neither may come back. */
        CHECK_INT_EQ(raw_send(tx, ifa, own, sizeof(own)), 0);
        CHECK_INT_EQ(packet_socket_send(fd, ifa, ETH_P_ARP, own, sizeof(own)), 0);
        CHECK_INT_EQ(raw_send(tx, ifb, good2, sizeof(good2)), 0);    /* padded to 60 */

        unsigned n = collect(fd, &ring, &c, 2, 3000);
        CHECK_INT_EQ(n, 2);
        bool seen1 = false, seen2 = false;
        for (unsigned i = 0; i < c.n; i++) {
                struct arp_frame a;

                r = arp_frame_parse(c.frames[i], c.len[i], &a);
                CHECK_INT_EQ(r, 0);
                if (r < 0)
                        continue;
                if (c.len[i] == ARP_FRAME_LEN && memcmp(c.frames[i], good1, ARP_FRAME_LEN) == 0)
                        seen1 = true;
                else if (c.len[i] == sizeof(good2) && memcmp(c.frames[i], good2, sizeof(good2)) == 0)
                        seen2 = true;
                else {
                        fprintf(stderr, "unexpected frame from %02x\n", a.sha.bytes[5]);
                        CHECK(false);
                }
        }
        CHECK(seen1 && seen2);

        /* Several queued frames come out of one block in one drain. */
        c = (struct collected){};
        for (int i = 0; i < 5; i++)
                CHECK_INT_EQ(raw_send(tx, ifb, good1, sizeof(good1)), 0);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        CHECK_INT_EQ(poll(&pfd, 1, 3000), 1);
        usleep(50 * 1000);
        CHECK_INT_EQ(packet_ring_drain(&ring, small_ring.n_blocks, collect_frame, &c), 5);
        for (unsigned i = 0; i < c.n; i++) {
                CHECK_INT_EQ(c.len[i], ARP_FRAME_LEN);
                CHECK(memcmp(c.frames[i], good1, ARP_FRAME_LEN) == 0);
        }
        CHECK_INT_EQ(packet_ring_drain(&ring, small_ring.n_blocks, collect_frame, &c), 0);

        /* More frames than the ring holds: the excess is dropped and counted, never corrupted,
         * and the ring keeps working after it was drained. */
        c = (struct collected){};
        unsigned flood = 4000; /* 4 blocks of 64 KiB hold about 1,500 ARP frames */
        for (unsigned i = 0; i < flood; i++)
                CHECK_INT_EQ(raw_send(tx, ifb, good1, sizeof(good1)), 0);
        usleep(50 * 1000);
        unsigned got = 0;
        for (int round = 0; round < 20; round++)
                got += packet_ring_drain(&ring, small_ring.n_blocks, count_frame, &c.seen);
        CHECK_INT_EQ(packet_socket_drops(fd, &drops), 0);
        CHECK(got > 0 && got < flood);
        CHECK_INT_EQ(got + drops, flood);
        c = (struct collected){};
        CHECK_INT_EQ(raw_send(tx, ifb, good2, sizeof(good2)), 0);
        CHECK_INT_EQ(collect(fd, &ring, &c, 1, 3000), 1);
        CHECK(c.n == 1 && c.len[0] == sizeof(good2) && memcmp(c.frames[0], good2, sizeof(good2)) == 0);
        CHECK_INT_EQ(packet_socket_drops(fd, &drops), 0);
        CHECK_INT_EQ(drops, 0);

        packet_ring_unmap(&ring);
        CHECK(ring.map == NULL);
        exit(tests_failed_ ? 1 : 0);
}

static void test_socket_netns(void) {
        run_netns_child(netns_child, "the packet socket test");
}

int main(void) {
        TEST_RUN(test_filter_shape);
        TEST_RUN(test_parse_good);
        TEST_RUN(test_parse_bad);
        TEST_RUN(test_build);
        TEST_RUN(test_socket_args);
        TEST_RUN(test_socket_netns);
        TEST_EXIT();
}
