/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "ndp-packet.h"
#include "packet-socket.h"
#include "tests.h"
#include "test-bpf.h"
#include "test-netns.h"

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t mcast_all_nodes[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };

static struct in6_addr ip6(const char *s) {
        struct in6_addr a = {};
        CHECK(inet_pton(AF_INET6, s, &a) == 1);
        return a;
}

static bool addr_is(const struct in6_addr *a, const char *s) {
        struct in6_addr b = ip6(s);
        return IN6_ARE_ADDR_EQUAL(a, &b);
}

/* The reference checksum, written out the long way: a pseudo-header buffer followed by the
 * message, summed as 16-bit big-endian words (independent of the code under test). */
static uint16_t ref_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg, size_t len) {
        uint8_t buf[2048] = {};
        uint32_t sum = 0;
        size_t n;

        CHECK(len + 40 < sizeof(buf));
        memcpy(buf, src, 16);
        memcpy(buf + 16, dst, 16);
        buf[34] = (uint8_t) (len >> 8);
        buf[35] = (uint8_t) len;
        buf[39] = 58;
        memcpy(buf + 40, msg, len);
        n = 40 + len + (len & 1);
        for (size_t i = 0; i < n; i += 2)
                sum += (uint32_t) buf[i] << 8 | buf[i + 1];
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t) ~sum;
}

/* A frame as built by make(); fields can be changed and fix() recomputes length and checksum. */
struct tframe {
        uint8_t b[256];
        size_t len;     /* Ethernet frame length */
};

static void fix(struct tframe *f) {
        size_t plen = f->len - 54;
        f->b[18] = (uint8_t) (plen >> 8);
        f->b[19] = (uint8_t) plen;
        f->b[56] = f->b[57] = 0;
        uint16_t c = ref_checksum(f->b + 22, f->b + 38, f->b + 54, plen);
        f->b[56] = (uint8_t) (c >> 8);
        f->b[57] = (uint8_t) c;
}

/* Ethernet + IPv6 + NS/NA (+ one link-layer option of type opt with mac, if opt != 0). */
static void make(struct tframe *f, uint8_t type, const uint8_t *eth_dst, const uint8_t *eth_src, const char *src,
                 const char *dst, uint8_t flags, const char *target, uint8_t opt, const uint8_t *mac) {
        struct in6_addr s = ip6(src), d = ip6(dst), t = ip6(target);

        memset(f, 0, sizeof(*f));
        memcpy(f->b, eth_dst, 6);
        memcpy(f->b + 6, eth_src, 6);
        f->b[12] = 0x86, f->b[13] = 0xdd;
        f->b[14] = 0x60;
        f->b[20] = 58;  /* next header */
        f->b[21] = 255; /* hop limit */
        memcpy(f->b + 22, &s, 16);
        memcpy(f->b + 38, &d, 16);
        f->b[54] = type;
        f->b[58] = flags;
        memcpy(f->b + 62, &t, 16);
        f->len = 78;
        if (opt) {
                f->b[78] = opt;
                f->b[79] = 1;
                memcpy(f->b + 80, mac, 6);
                f->len = 86;
        }
        fix(f);
}

static void good_ns(struct tframe *f) {
        uint8_t group[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x02 };
        make(f, 135, group, mac_a, "2001:db8::1", "ff02::1:ff00:2", 0, "2001:db8::2", 1, mac_a);
}

static void good_na(struct tframe *f) {
        make(f, 136, mac_a, mac_b, "2001:db8::2", "2001:db8::1", NDP_NA_FLAG_SOLICITED | NDP_NA_FLAG_OVERRIDE,
             "2001:db8::2", 2, mac_b);
}

static bool bpf_accepts(const uint8_t *pkt, size_t len) {
        size_t n;
        const struct sock_filter *prog = ndp_filter_program(&n);
        /* as the socket runs it: wrapped by packet-socket's prefix and tail, on an untagged multicast */
        uint32_t r = bpf_run_socket(prog, n, pkt, len, &(struct bpf_meta){ .pkt_type = PACKET_MULTICAST });

        CHECK(r == 0 || r >= len);
        return r != 0;
}

static void test_filter(void) {
        struct tframe f;
        size_t n = 0;
        const struct sock_filter *prog = ndp_filter_program(&n);

        bpf_check_shape(prog, n);

        good_ns(&f);
        CHECK(bpf_accepts(f.b, f.len));
        good_na(&f);
        CHECK(bpf_accepts(f.b, f.len));
        CHECK(!bpf_accepts(f.b, 77)); /* too short */
        /* other ICMPv6 types: echo request, router solicitation/advertisement, redirect */
        const uint8_t others[] = { 128, 129, 133, 134, 137, 0, 255 };
        for (size_t i = 0; i < ELEMENTSOF(others); i++) {
                good_na(&f);
                f.b[54] = others[i];
                CHECK(!bpf_accepts(f.b, f.len));
        }
        good_ns(&f);
        f.b[20] = 0; /* hop-by-hop options header in front */
        CHECK(!bpf_accepts(f.b, f.len));
        good_ns(&f);
        f.b[20] = 17; /* UDP */
        CHECK(!bpf_accepts(f.b, f.len));
        good_ns(&f);
        f.b[12] = 0x08, f.b[13] = 0x00; /* IPv4 */
        CHECK(!bpf_accepts(f.b, f.len));
        good_ns(&f);
        f.b[12] = 0x08, f.b[13] = 0x06; /* ARP */
        CHECK(!bpf_accepts(f.b, f.len));
}

static void test_checksum(void) {
        struct tframe f;
        struct in6_addr s, d;

        good_na(&f);
        memcpy(&s, f.b + 22, 16);
        memcpy(&d, f.b + 38, 16);
        /* a message carrying its correct checksum sums to 0; the field itself is reproduced */
        CHECK_INT_EQ(ndp_icmp6_checksum(&s, &d, f.b + 54, f.len - 54), 0);
        uint16_t stored = (uint16_t) (f.b[56] << 8 | f.b[57]);
        f.b[56] = f.b[57] = 0;
        CHECK_INT_EQ(ndp_icmp6_checksum(&s, &d, f.b + 54, f.len - 54), stored);
        /* odd length: the last byte counts as the high half of a word */
        uint8_t odd[3] = { 0x12, 0x34, 0x56 };
        CHECK_INT_EQ(ndp_icmp6_checksum(&s, &d, odd, 3), ref_checksum(s.s6_addr, d.s6_addr, odd, 3));
}

static void expect_parse(const struct tframe *f, size_t len, const char *what, int expected) {
        struct ndp_frame n;
        uint8_t *h = malloc(len ? len : 1); /* exact size: ASan catches a read past the end */

        CHECK(h != NULL);
        if (!h)
                return;
        memcpy(h, f->b, len);
        int r = ndp_frame_parse(h, len, &n);
        if (r != expected) {
                fprintf(stderr, "%s: parse returned %d, expected %d\n", what, r, expected);
                CHECK(false);
        }
        free(h);
}
#define expect_bad(f, what) expect_parse((f), (f)->len, (what), -EBADMSG)

static void test_parse_good(void) {
        struct tframe f;
        struct ndp_frame n;
        struct in6_addr a;
        struct lladdr l;

        good_ns(&f);
        memset(&n, 0x5a, sizeof(n));
        CHECK_INT_EQ(ndp_frame_parse(f.b, f.len, &n), 0);
        CHECK_INT_EQ(n.type, NDP_TYPE_NS);
        CHECK_INT_EQ(n.na_flags, 0);
        CHECK(addr_is(&n.src, "2001:db8::1"));
        CHECK(addr_is(&n.dst, "ff02::1:ff00:2"));
        CHECK(addr_is(&n.target, "2001:db8::2"));
        CHECK(n.has_lladdr && n.lladdr.len == 6 && memcmp(n.lladdr.bytes, mac_a, 6) == 0);
        CHECK(n.eth_src.len == 6 && memcmp(n.eth_src.bytes, mac_a, 6) == 0);
        CHECK(n.eth_dst.len == 6 && n.eth_dst.bytes[0] == 0x33);
        /* NS teaches the sender: source -> SLLA */
        CHECK(ndp_frame_binding(&n, &a, &l));
        CHECK(IN6_ARE_ADDR_EQUAL(&a, &n.src));
        CHECK(memcmp(l.bytes, mac_a, 6) == 0);

        good_na(&f);
        CHECK_INT_EQ(ndp_frame_parse(f.b, f.len, &n), 0);
        CHECK_INT_EQ(n.type, NDP_TYPE_NA);
        CHECK_INT_EQ(n.na_flags, NDP_NA_FLAG_SOLICITED | NDP_NA_FLAG_OVERRIDE);
        /* NA teaches the target: target -> TLLA */
        CHECK(ndp_frame_binding(&n, &a, &l));
        CHECK(addr_is(&a, "2001:db8::2"));
        CHECK(memcmp(l.bytes, mac_b, 6) == 0);

        /* unsolicited NA to all nodes, for a link-local target */
        make(&f, 136, mcast_all_nodes, mac_b, "fe80::b", "ff02::1", NDP_NA_FLAG_OVERRIDE, "fe80::b", 2, mac_b);
        CHECK_INT_EQ(ndp_frame_parse(f.b, f.len, &n), 0);
        CHECK(ndp_frame_binding(&n, &a, &l));

        /* Ethernet padding after the payload is ignored */
        good_na(&f);
        memset(f.b + f.len, 0xee, 20);
        CHECK_INT_EQ(ndp_frame_parse(f.b, f.len + 20, &n), 0);

        /* unknown options (a nonce, type 14) are skipped; the SLLA after it is found */
        good_ns(&f);
        memmove(f.b + 86, f.b + 78, 8);
        memset(f.b + 78, 0, 8);
        f.b[78] = 14, f.b[79] = 1;
        f.len = 94;
        fix(&f);
        CHECK_INT_EQ(ndp_frame_parse(f.b, f.len, &n), 0);
        CHECK(n.has_lladdr && memcmp(n.lladdr.bytes, mac_a, 6) == 0);

        /* a TLLA option in an NS (or SLLA in an NA) is not what that message carries: ignored */
        make(&f, 135, mac_b, mac_a, "2001:db8::1", "2001:db8::2", 0, "2001:db8::2", 2, mac_a);
        CHECK_INT_EQ(ndp_frame_parse(f.b, f.len, &n), 0);
        CHECK(!n.has_lladdr);
        CHECK(!ndp_frame_binding(&n, &a, &l)); /* a unicast NS without SLLA teaches nothing */

        /* NA without TLLA: valid, teaches nothing */
        make(&f, 136, mac_a, mac_b, "2001:db8::2", "2001:db8::1", NDP_NA_FLAG_SOLICITED, "2001:db8::2", 0, NULL);
        CHECK_INT_EQ(ndp_frame_parse(f.b, f.len, &n), 0);
        CHECK(!ndp_frame_binding(&n, &a, &l));

        /* DAD: NS from :: to the solicited-node group, no SLLA: valid, teaches nothing */
        uint8_t group[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x07 };
        make(&f, 135, group, mac_a, "::", "ff02::1:ff00:7", 0, "2001:db8::7", 0, NULL);
        CHECK_INT_EQ(ndp_frame_parse(f.b, f.len, &n), 0);
        CHECK(!ndp_frame_binding(&n, &a, &l));

        CHECK_INT_EQ(ndp_frame_parse(f.b, f.len, NULL), 0);
}

static void test_parse_bad(void) {
        struct tframe f, g;

        /* every truncation of a good NS */
        good_ns(&g);
        for (size_t len = 0; len < g.len; len++) {
                char what[48];
                snprintf(what, sizeof(what), "truncated to %zu", len);
                expect_parse(&g, len, what, -EBADMSG);
        }
        CHECK_INT_EQ(ndp_frame_parse(NULL, 100, NULL), -EBADMSG);

        good_ns(&f);
        f.b[21] = 254;
        fix(&f);
        expect_bad(&f, "hop limit 254 (routed)");
        good_ns(&f);
        f.b[21] = 1;
        fix(&f);
        expect_bad(&f, "hop limit 1");

        good_na(&f);
        f.b[55] = 1;
        fix(&f);
        expect_bad(&f, "code 1");

        good_na(&f);
        f.b[57] ^= 1;
        expect_bad(&f, "checksum off by one bit");
        good_na(&f);
        f.b[70] ^= 0x80; /* target changed, checksum not */
        expect_bad(&f, "target changed after the checksum");
        good_na(&f);
        f.b[23] ^= 1; /* IPv6 source changed: the pseudo-header is covered */
        expect_bad(&f, "source changed after the checksum");

        good_na(&f);
        f.b[14] = 0x40;
        fix(&f);
        expect_bad(&f, "IP version 4 in an IPv6 header");
        good_na(&f);
        f.b[12] = 0x08, f.b[13] = 0x00;
        expect_bad(&f, "EtherType IPv4");
        good_na(&f);
        f.b[20] = 0;
        fix(&f);
        expect_bad(&f, "hop-by-hop extension header");
        good_na(&f);
        f.b[54] = 128;
        fix(&f);
        expect_bad(&f, "echo request");
        good_na(&f);
        f.b[54] = 137;
        fix(&f);
        expect_bad(&f, "redirect");

        /* ICMPv6 length < 24: payload length 20 (still inside a long enough frame) */
        good_na(&f);
        f.len = 74;
        fix(&f);
        f.len = 86;
        expect_bad(&f, "ICMPv6 length 20");
        /* payload length beyond the frame */
        good_na(&f);
        f.b[19] += 8;
        expect_bad(&f, "payload length beyond the frame");

        /* target multicast */
        make(&f, 136, mac_a, mac_b, "2001:db8::2", "2001:db8::1", 0, "ff02::1", 2, mac_b);
        expect_bad(&f, "multicast target (NA)");
        make(&f, 135, mac_b, mac_a, "2001:db8::1", "2001:db8::2", 0, "ff05::2", 1, mac_a);
        expect_bad(&f, "multicast target (NS)");
        /* multicast source */
        make(&f, 136, mcast_all_nodes, mac_b, "ff02::2", "ff02::1", 0, "2001:db8::2", 2, mac_b);
        expect_bad(&f, "multicast source");

        /* option with length 0 */
        good_ns(&f);
        f.b[79] = 0;
        fix(&f);
        expect_bad(&f, "option length 0");
        /* option running past the message */
        good_ns(&f);
        f.b[79] = 2;
        fix(&f);
        expect_bad(&f, "option length 2 in 8 bytes");
        /* a lone option byte after the SLLA */
        good_ns(&f);
        f.b[86] = 14;
        f.len = 87;
        fix(&f);
        expect_bad(&f, "truncated option header");
        /* link-layer option that is not 6 bytes of Ethernet */
        good_ns(&f);
        f.b[79] = 2;
        f.len = 94;
        fix(&f);
        expect_bad(&f, "SLLA of 16 bytes");
        good_na(&f);
        f.b[79] = 2;
        f.len = 94;
        fix(&f);
        expect_bad(&f, "TLLA of 16 bytes");

        /* DAD with an SLLA, and DAD to a unicast destination */
        uint8_t group[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x07 };
        make(&f, 135, group, mac_a, "::", "ff02::1:ff00:7", 0, "2001:db8::7", 1, mac_a);
        expect_bad(&f, "DAD NS with SLLA");
        make(&f, 135, mac_b, mac_a, "::", "2001:db8::7", 0, "2001:db8::7", 0, NULL);
        expect_bad(&f, "DAD NS to a unicast address");

        /* solicited NA to a multicast destination */
        make(&f, 136, mcast_all_nodes, mac_b, "2001:db8::2", "ff02::1", NDP_NA_FLAG_SOLICITED, "2001:db8::2", 2, mac_b);
        expect_bad(&f, "solicited NA to all nodes");
}

static void test_build(void) {
        uint8_t buf[128], mac[6];
        struct in6_addr src = ip6("fe80::a"), t = ip6("2001:db8::12:3456"), group;
        struct ndp_frame n;

        ndp_solicited_node(&t, &group, mac);
        CHECK(addr_is(&group, "ff02::1:ff12:3456"));
        CHECK(memcmp(mac, (uint8_t[]){ 0x33, 0x33, 0xff, 0x12, 0x34, 0x56 }, 6) == 0);

        memset(buf, 0x77, sizeof(buf));
        CHECK_INT_EQ(ndp_build_ns(buf, sizeof(buf), mac_a, &src, &t, NULL), NDP_NS_PROBE_LEN);
        CHECK_INT_EQ(buf[NDP_NS_PROBE_LEN], 0x77);
        /* the checksum, verified independently */
        CHECK_INT_EQ(ref_checksum(buf + 22, buf + 38, buf + 54, NDP_NS_PROBE_LEN - 54), 0);
        CHECK_INT_EQ(buf[21], 255);
        CHECK(bpf_accepts(buf, NDP_NS_PROBE_LEN));
        CHECK_INT_EQ(ndp_frame_parse(buf, NDP_NS_PROBE_LEN, &n), 0);
        CHECK_INT_EQ(n.type, NDP_TYPE_NS);
        CHECK(memcmp(n.eth_dst.bytes, mac, 6) == 0);
        CHECK(memcmp(n.eth_src.bytes, mac_a, 6) == 0);
        CHECK(IN6_ARE_ADDR_EQUAL(&n.src, &src));
        CHECK(IN6_ARE_ADDR_EQUAL(&n.dst, &group));
        CHECK(IN6_ARE_ADDR_EQUAL(&n.target, &t));
        CHECK(n.has_lladdr && memcmp(n.lladdr.bytes, mac_a, 6) == 0);

        /* unicast verification probe: to the target itself at the MAC we hold */
        CHECK_INT_EQ(ndp_build_ns(buf, NDP_NS_PROBE_LEN, mac_a, &src, &t, mac_b), NDP_NS_PROBE_LEN);
        CHECK_INT_EQ(ref_checksum(buf + 22, buf + 38, buf + 54, NDP_NS_PROBE_LEN - 54), 0);
        CHECK_INT_EQ(ndp_frame_parse(buf, NDP_NS_PROBE_LEN, &n), 0);
        CHECK(memcmp(n.eth_dst.bytes, mac_b, 6) == 0);
        CHECK(IN6_ARE_ADDR_EQUAL(&n.dst, &t));

        /* refused */
        memset(buf, 0x77, sizeof(buf));
        CHECK_INT_EQ(ndp_build_ns(buf, NDP_NS_PROBE_LEN - 1, mac_a, &src, &t, NULL), -ENOBUFS);
        CHECK_INT_EQ(buf[0], 0x77);
        struct in6_addr mc = ip6("ff02::1"), un = ip6("::");
        CHECK_INT_EQ(ndp_build_ns(buf, sizeof(buf), mac_a, &src, &mc, NULL), -EINVAL);
        CHECK_INT_EQ(ndp_build_ns(buf, sizeof(buf), mac_a, &src, &un, NULL), -EINVAL);
        CHECK_INT_EQ(ndp_build_ns(buf, sizeof(buf), mac_a, &mc, &t, NULL), -EINVAL);
}

/* ---- against the real kernel, in a private network namespace (root only) ---- */

static const struct packet_ring_params small_ring = {
        .block_size = 16 * 4096,
        .n_blocks = 4,
        .retire_ms = 5,
};

static int ndp_open(int ifindex, struct packet_ring *ring) {
        struct packet_socket_params p = { .ifindex = ifindex, .protocol = ETH_P_IPV6, .allmulti = true };

        p.filter = ndp_filter_program(&p.filter_len);
        return packet_socket_open(&p, &small_ring, ring);
}

struct wanted {
        uint8_t type;
        bool found;
        struct ndp_frame frame;
};

static void check_frame(const struct packet_frame *pf, void *userdata) {
        struct wanted *w = userdata;
        struct ndp_frame f;

        CHECK(!pf->truncated);
        CHECK_INT_EQ(packet_frame_check(pf, mac_a), PACKET_FRAME_LEARN);
        /* everything the filter passes from the kernel must parse */
        CHECK_INT_EQ(ndp_frame_parse(pf->data, pf->len, &f), 0);
        if (!w->found && f.type == w->type) {
                w->frame = f;
                w->found = true;
        }
}

/* Waits up to ms for a frame of the given type that parses; 0 and *ret, or -ETIMEDOUT. */
static int wait_ndp(int fd, struct packet_ring *ring, uint8_t type, int ms, struct ndp_frame *ret) {
        struct wanted w = { .type = type };

        for (int waited = 0; waited < ms; waited += 50) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 50) <= 0)
                        continue;
                (void) packet_ring_drain(ring, small_ring.n_blocks, check_frame, &w);
                if (w.found) {
                        *ret = w.frame;
                        return 0;
                }
        }
        return -ETIMEDOUT;
}

static void count_frame(const struct packet_frame *f, void *userdata) {
        (*(unsigned *) userdata)++;
}

static char child_ns[64]; /* b's named namespace, removed at the child's exit */

static void remove_child_ns(void) {
        char cmd[128];

        if (child_ns[0] == '\0')
                return;
        snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", child_ns);
        (void) !system(cmd);
}

static void netns_child(void) {
        _cleanup_close_ int fd = -EBADF;
        struct packet_ring ring = {};
        struct ndp_frame f;
        struct in6_addr a;
        struct lladdr l;
        uint8_t probe[NDP_NS_PROBE_LEN];
        char *nsb = child_ns, cmd[1024];
        int ifa;

        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "SKIP: unshare(CLONE_NEWNET): %m\n");
                exit(77);
        }
        /* a stays in this private namespace; b gets a named one of its own (removed below), so
         * the two kernels talk over the wire and not through the local routing table. */
        snprintf(child_ns, sizeof(child_ns), "arpd-ndpt-%d", (int) getpid());
        atexit(remove_child_ns);
        snprintf(cmd, sizeof(cmd),
                 "ip netns add %1$s && ip link add ndpt-a address 02:00:00:00:00:0a type veth peer name ndpt-b "
                 "address 02:00:00:00:00:0b && ip link set ndpt-b netns %1$s && "
                 "sysctl -qw net.ipv6.conf.ndpt-a.disable_ipv6=0 && "
                 "ip netns exec %1$s sysctl -qw net.ipv6.conf.ndpt-b.disable_ipv6=0 && "
                 "ip addr add 2001:db8::a/64 dev ndpt-a nodad && "
                 "ip -n %1$s addr add 2001:db8::b/64 dev ndpt-b nodad && "
                 "ip link set ndpt-a up && ip -n %1$s link set ndpt-b up", nsb);
        if (system(cmd) != 0) {
                fprintf(stderr, "SKIP: cannot set up an IPv6 veth pair\n");
                exit(77);
        }
        ifa = (int) if_nametoindex("ndpt-a");
        CHECK(ifa > 0);
        CHECK_INT_EQ(wait_running("ndpt-a"), 0);

        CHECK_INT_EQ(ndp_open(ifa + 1000, &ring), -ENODEV);
        fd = ndp_open(ifa, &ring);
        CHECK(fd >= 0);
        if (fd < 0)
                exit(1);
        CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
        unsigned none = 0;
        CHECK_INT_EQ(packet_ring_drain(&ring, small_ring.n_blocks, count_frame, &none), 0);

        /* Our probe from a, for b's address: b's kernel must accept it (checksum, hop limit,
         * solicited-node group) and answer with an NA carrying its MAC, which we parse. */
        struct in6_addr src = ip6("2001:db8::a"), target = ip6("2001:db8::b");
        CHECK_INT_EQ(ndp_build_ns(probe, sizeof(probe), mac_a, &src, &target, NULL), NDP_NS_PROBE_LEN);
        CHECK_INT_EQ(packet_socket_send(fd, ifa, ETH_P_IPV6, probe, sizeof(probe)), 0);
        CHECK_INT_EQ(wait_ndp(fd, &ring, NDP_TYPE_NA, 3000, &f), 0);
        CHECK(ndp_frame_binding(&f, &a, &l));
        CHECK(IN6_ARE_ADDR_EQUAL(&a, &target));
        CHECK(l.len == 6 && memcmp(l.bytes, mac_b, 6) == 0);
        CHECK(f.na_flags & NDP_NA_FLAG_SOLICITED);

        /* b's kernel resolving an unknown address sends an NS to a solicited-node group a has not
         * joined: seen thanks to the all-multicast membership, and it teaches b's binding. */
        snprintf(cmd, sizeof(cmd), "ip netns exec %s ping -6 -c1 -W1 2001:db8::99 >/dev/null 2>&1", nsb);
        (void) !system(cmd); /* fails: nobody has that address */
        CHECK_INT_EQ(wait_ndp(fd, &ring, NDP_TYPE_NS, 3000, &f), 0);
        CHECK(addr_is(&f.target, "2001:db8::99"));
        CHECK(ndp_frame_binding(&f, &a, &l));
        CHECK(l.len == 6 && memcmp(l.bytes, mac_b, 6) == 0);
        packet_ring_unmap(&ring);
        exit(tests_failed_ ? 1 : 0);
}

static void test_socket_netns(void) {
        struct packet_ring ring = {};

        CHECK_INT_EQ(ndp_open(0, &ring), -EINVAL);
        CHECK_INT_EQ(packet_socket_send(-1, 1, ETH_P_IPV6, "x", 1), -EINVAL);
        run_netns_child(netns_child, "the packet socket test");
}

int main(void) {
        TEST_RUN(test_filter);
        TEST_RUN(test_checksum);
        TEST_RUN(test_parse_good);
        TEST_RUN(test_parse_bad);
        TEST_RUN(test_build);
        TEST_RUN(test_socket_netns);
        TEST_EXIT();
}
