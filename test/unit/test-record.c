/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "record.h"
#include "tests.h"

static struct record sample(void) {
        struct record r = {
                .state = RECORD_NEGATIVE,
                .source = SOURCE_KERNEL,
                .first_seen = 0x0102030405060708ULL,
                .last_seen = 0x1112131415161718ULL,
                .neg_since = 0x2122232425262728ULL,
                .probes = 0x31323334U,
        };
        static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };

        lladdr_set(&r.lladdr, mac, sizeof(mac));
        return r;
}

static bool record_equal(const struct record *a, const struct record *b) {
        return a->state == b->state && a->source == b->source && lladdr_equal(&a->lladdr, &b->lladdr) &&
               a->lladdr.len == b->lladdr.len && a->first_seen == b->first_seen && a->last_seen == b->last_seen &&
               a->neg_since == b->neg_since && a->probes == b->probes && a->flags == b->flags;
}

static void test_layout_v1(void) {
        struct record r = sample();
        uint8_t buf[RECORD_V1_SIZE + 8];

        CHECK_INT_EQ(RECORD_V1_SIZE, 68);
        memset(buf, 0xaa, sizeof(buf));
        CHECK_INT_EQ(record_encode_v1(&r, buf, sizeof(buf)), RECORD_V1_SIZE);
        CHECK_INT_EQ(buf[0], 1);
        CHECK_INT_EQ(buf[1], RECORD_NEGATIVE);
        CHECK_INT_EQ(buf[2], SOURCE_KERNEL);
        CHECK_INT_EQ(buf[3], 6);
        CHECK(memcmp(buf + 4, "\x02\x00\x5e\x10\x20\x30", 6) == 0);
        for (size_t i = 10; i < 36; i++)
                CHECK_INT_EQ(buf[i], 0); /* lladdr padding */
        CHECK(memcmp(buf + 36, "\x08\x07\x06\x05\x04\x03\x02\x01", 8) == 0); /* little-endian */
        CHECK(memcmp(buf + 44, "\x18\x17\x16\x15\x14\x13\x12\x11", 8) == 0);
        CHECK(memcmp(buf + 52, "\x28\x27\x26\x25\x24\x23\x22\x21", 8) == 0);
        CHECK(memcmp(buf + 60, "\x34\x33\x32\x31", 4) == 0);
        CHECK(memcmp(buf + 64, "\0\0\0\0", 4) == 0);
        CHECK_INT_EQ(buf[68], 0xaa); /* nothing written past the record */
}

static void test_roundtrip(void) {
        uint8_t buf[RECORD_MAX_SIZE];
        int n;
        struct record in, out;

        in = sample();
        CHECK((n = record_encode(&in, buf, sizeof(buf))) > 0);
        CHECK_INT_EQ(record_decode(buf, (size_t) n, &out), 0);
        CHECK(record_equal(&in, &out));

        /* extremes: a 32-byte link address, all-ones times */
        in = (struct record) { .state = RECORD_STATIC, .source = SOURCE_PROBE, .first_seen = UINT64_MAX,
                               .last_seen = UINT64_MAX, .neg_since = UINT64_MAX, .probes = UINT32_MAX };
        in.lladdr.len = LLADDR_MAX;
        for (size_t i = 0; i < LLADDR_MAX; i++)
                in.lladdr.bytes[i] = (uint8_t) (0xf0 ^ i);
        CHECK((n = record_encode(&in, buf, sizeof(buf))) > 0);
        CHECK_INT_EQ(record_decode(buf, (size_t) n, &out), 0);
        CHECK(record_equal(&in, &out));
        CHECK_INT_EQ(out.first_seen == UINT64_MAX, 1);

        /* empty link address (a negative entry) */
        in = (struct record) { .state = RECORD_NEGATIVE, .source = SOURCE_ARP };
        memset(&out, 0x55, sizeof(out));
        CHECK((n = record_encode(&in, buf, sizeof(buf))) > 0);
        CHECK_INT_EQ(record_decode(buf, (size_t) n, &out), 0);
        CHECK(record_equal(&in, &out));
        for (size_t i = 0; i < LLADDR_MAX; i++)
                CHECK_INT_EQ(out.lladdr.bytes[i], 0);

        /* every state and source */
        for (int st = RECORD_POSITIVE; st <= RECORD_STATIC; st++)
                for (int so = SOURCE_ARP; so <= SOURCE_PROBE; so++) {
                        in = sample();
                        in.state = st;
                        in.source = so;
                        CHECK((n = record_encode(&in, buf, sizeof(buf))) > 0);
                        CHECK_INT_EQ(record_decode(buf, (size_t) n, &out), 0);
                        CHECK(record_equal(&in, &out));
                }
}

static void test_roundtrip_v1(void) {
        uint8_t buf[RECORD_V1_SIZE];
        struct record in, out;

        in = sample();
        CHECK_INT_EQ(record_encode_v1(&in, buf, sizeof(buf)), RECORD_V1_SIZE);
        CHECK_INT_EQ(record_decode(buf, sizeof(buf), &out), 0);
        CHECK(record_equal(&in, &out));

        /* extremes: a 32-byte link address, all-ones times */
        in = (struct record) { .state = RECORD_STATIC, .source = SOURCE_PROBE, .first_seen = UINT64_MAX,
                               .last_seen = UINT64_MAX, .neg_since = UINT64_MAX, .probes = UINT32_MAX };
        in.lladdr.len = LLADDR_MAX;
        for (size_t i = 0; i < LLADDR_MAX; i++)
                in.lladdr.bytes[i] = (uint8_t) (0xf0 ^ i);
        CHECK_INT_EQ(record_encode_v1(&in, buf, sizeof(buf)), RECORD_V1_SIZE);
        CHECK_INT_EQ(record_decode(buf, sizeof(buf), &out), 0);
        CHECK(record_equal(&in, &out));
        CHECK_INT_EQ(out.first_seen == UINT64_MAX, 1);

        /* empty link address (a negative entry) */
        in = (struct record) { .state = RECORD_NEGATIVE, .source = SOURCE_ARP };
        memset(&out, 0x55, sizeof(out));
        CHECK_INT_EQ(record_encode_v1(&in, buf, sizeof(buf)), RECORD_V1_SIZE);
        CHECK_INT_EQ(record_decode(buf, sizeof(buf), &out), 0);
        CHECK(record_equal(&in, &out));
        for (size_t i = 0; i < LLADDR_MAX; i++)
                CHECK_INT_EQ(out.lladdr.bytes[i], 0);

        /* every state and source */
        for (int st = RECORD_POSITIVE; st <= RECORD_STATIC; st++)
                for (int so = SOURCE_ARP; so <= SOURCE_PROBE; so++) {
                        in = sample();
                        in.state = st;
                        in.source = so;
                        CHECK_INT_EQ(record_encode_v1(&in, buf, sizeof(buf)), RECORD_V1_SIZE);
                        CHECK_INT_EQ(record_decode(buf, sizeof(buf), &out), 0);
                        CHECK(record_equal(&in, &out));
                }
}

static void test_encode_rejects_v1(void) {
        uint8_t buf[RECORD_V1_SIZE];
        struct record r;

        r = sample();
        CHECK_INT_EQ(record_encode_v1(&r, buf, RECORD_V1_SIZE - 1), -ENOBUFS);
        CHECK_INT_EQ(record_encode_v1(&r, buf, 0), -ENOBUFS);
        CHECK_INT_EQ(record_encode_v1(NULL, buf, sizeof(buf)), -EINVAL);
        CHECK_INT_EQ(record_encode_v1(&r, NULL, sizeof(buf)), -EINVAL);
        r.state = 0;
        CHECK_INT_EQ(record_encode_v1(&r, buf, sizeof(buf)), -EINVAL);
        r.state = 4;
        CHECK_INT_EQ(record_encode_v1(&r, buf, sizeof(buf)), -EINVAL);
        r = sample();
        r.source = 0;
        CHECK_INT_EQ(record_encode_v1(&r, buf, sizeof(buf)), -EINVAL);
        r.source = 7;
        CHECK_INT_EQ(record_encode_v1(&r, buf, sizeof(buf)), -EINVAL);
        r = sample();
        r.lladdr.len = LLADDR_MAX + 1;
        CHECK_INT_EQ(record_encode_v1(&r, buf, sizeof(buf)), -EINVAL);
        /* an invalid record with a short buffer: the record is the problem */
        CHECK_INT_EQ(record_encode_v1(&r, buf, 1), -EINVAL);
}

/* Version 2 (format 3): variable length, the negative fields only when set, flags kept. */
static void test_layout_v2(void) {
        struct record r = sample();
        uint8_t buf[RECORD_MAX_SIZE + 8];

        memset(buf, 0xaa, sizeof(buf));
        r.flags = RECORD_FLAG_ROUTER;
        CHECK_INT_EQ(record_encode(&r, buf, sizeof(buf)), 5 + 6 + 16 + 12);
        CHECK_INT_EQ(buf[0], 2);
        CHECK_INT_EQ(buf[1], RECORD_NEGATIVE);
        CHECK_INT_EQ(buf[2], SOURCE_KERNEL);
        CHECK_INT_EQ(buf[3], 0x81); /* router, negative fields follow */
        CHECK_INT_EQ(buf[4], 6);
        CHECK(memcmp(buf + 5, "\x02\x00\x5e\x10\x20\x30", 6) == 0);
        CHECK(memcmp(buf + 11, "\x08\x07\x06\x05\x04\x03\x02\x01", 8) == 0); /* little-endian */
        CHECK(memcmp(buf + 19, "\x18\x17\x16\x15\x14\x13\x12\x11", 8) == 0);
        CHECK(memcmp(buf + 27, "\x28\x27\x26\x25\x24\x23\x22\x21", 8) == 0);
        CHECK(memcmp(buf + 35, "\x34\x33\x32\x31", 4) == 0);
        CHECK_INT_EQ(buf[39], 0xaa); /* nothing written past the record */

        /* a positive with an Ethernet MAC: 27 bytes */
        r = sample();
        r.state = RECORD_POSITIVE;
        r.neg_since = 0;
        r.probes = 0;
        CHECK_INT_EQ(record_encode(&r, buf, sizeof(buf)), 27);
        CHECK_INT_EQ(buf[3], 0);
        CHECK_INT_EQ(record_encode(&r, buf, 26), -ENOBUFS);
}

static void test_decode_rejects_v2(void) {
        uint8_t good[RECORD_MAX_SIZE], buf[RECORD_MAX_SIZE + 8];
        struct record r = sample(), out;
        int n;

        r.flags = RECORD_FLAG_ROUTER;
        CHECK((n = record_encode(&r, good, sizeof(good))) == 39);
        CHECK_INT_EQ(record_decode(good, (size_t) n, &out), 0);
        CHECK(record_equal(&r, &out));
        CHECK_INT_EQ(out.flags, RECORD_FLAG_ROUTER);
        CHECK_INT_EQ(record_decode(good, (size_t) n - 1, &out), -EBADMSG);
        CHECK_INT_EQ(record_decode(good, 4, &out), -EBADMSG);
        memcpy(buf, good, (size_t) n);
        buf[n] = 0;
        CHECK_INT_EQ(record_decode(buf, (size_t) n + 1, &out), -EBADMSG);
        buf[3] = 0x01; /* no negative fields announced: 12 bytes too many */
        CHECK_INT_EQ(record_decode(buf, (size_t) n, &out), -EBADMSG);
        CHECK_INT_EQ(record_decode(buf, (size_t) n - 12, &out), 0);
        CHECK_INT_EQ(out.neg_since, 0);
        CHECK_INT_EQ(out.probes, 0);
        memcpy(buf, good, (size_t) n);
        buf[3] = 0x81 | 0x40; /* an unknown flag: ignored, not returned */
        CHECK_INT_EQ(record_decode(buf, (size_t) n, &out), 0);
        CHECK_INT_EQ(out.flags, RECORD_FLAG_ROUTER);
        static const struct {
                size_t off;
                uint8_t v;
        } bad[] = { { 1, 0 }, { 1, 4 }, { 2, 0 }, { 2, 7 }, { 4, LLADDR_MAX + 1 }, { 4, 7 }, { 4, 5 } };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                memcpy(buf, good, (size_t) n);
                buf[bad[i].off] = bad[i].v;
                CHECK_INT_EQ(record_decode(buf, (size_t) n, &out), -EBADMSG);
        }
        /* the flags of a version-1 value are 0 */
        CHECK_INT_EQ(record_encode_v1(&r, buf, sizeof(buf)), RECORD_V1_SIZE);
        CHECK_INT_EQ(record_decode(buf, RECORD_V1_SIZE, &out), 0);
        CHECK_INT_EQ(out.flags, 0);
}

static void test_decode_rejects_v1(void) {
        uint8_t good[RECORD_V1_SIZE], buf[RECORD_V1_SIZE + 16];
        struct record r = sample(), out;

        CHECK_INT_EQ(record_encode_v1(&r, good, sizeof(good)), RECORD_V1_SIZE);

        CHECK_INT_EQ(record_decode(good, 0, &out), -EBADMSG);
        CHECK_INT_EQ(record_decode(NULL, 0, &out), -EBADMSG);
        CHECK_INT_EQ(record_decode(good, sizeof(good), NULL), -EINVAL);
        CHECK_INT_EQ(record_decode(good, 1, &out), -EBADMSG);
        CHECK_INT_EQ(record_decode(good, RECORD_V1_SIZE - 1, &out), -EBADMSG);
        memcpy(buf, good, sizeof(good));
        memset(buf + RECORD_V1_SIZE, 0, 16);
        CHECK_INT_EQ(record_decode(buf, RECORD_V1_SIZE + 1, &out), -EBADMSG);

        /* unknown versions, whatever the size: not ours to read */
        buf[0] = 3;
        CHECK_INT_EQ(record_decode(buf, RECORD_V1_SIZE, &out), -EPROTONOSUPPORT);
        CHECK_INT_EQ(record_decode(buf, sizeof(buf), &out), -EPROTONOSUPPORT);
        CHECK_INT_EQ(record_decode(buf, 1, &out), -EPROTONOSUPPORT);
        buf[0] = 0;
        CHECK_INT_EQ(record_decode(buf, RECORD_V1_SIZE, &out), -EPROTONOSUPPORT);
        buf[0] = 0xff;
        CHECK_INT_EQ(record_decode(buf, RECORD_V1_SIZE, &out), -EPROTONOSUPPORT);

        static const struct {
                size_t off;
                uint8_t v;
        } bad[] = {
                { 1, 0 }, { 1, 4 }, { 1, 0xff },           /* state */
                { 2, 0 }, { 2, 7 }, { 2, 0xff },           /* source */
                { 3, LLADDR_MAX + 1 }, { 3, 0xff },        /* lladdr_len */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                memcpy(buf, good, sizeof(good));
                buf[bad[i].off] = bad[i].v;
                CHECK_INT_EQ(record_decode(buf, RECORD_V1_SIZE, &out), -EBADMSG);
        }

        /* reserved word and lladdr padding are ignored, and never leak into the result */
        memcpy(buf, good, sizeof(good));
        memset(buf + 64, 0xee, 4);
        memset(buf + 4 + 6, 0x77, LLADDR_MAX - 6);
        CHECK_INT_EQ(record_decode(buf, RECORD_V1_SIZE, &out), 0);
        CHECK(record_equal(&r, &out));
        CHECK_INT_EQ(out.lladdr.bytes[6], 0);
        CHECK_INT_EQ(out.lladdr.bytes[LLADDR_MAX - 1], 0);

        /* the boundary values that are valid */
        memcpy(buf, good, sizeof(good));
        buf[3] = LLADDR_MAX;
        CHECK_INT_EQ(record_decode(buf, RECORD_V1_SIZE, &out), 0);
        CHECK_INT_EQ(out.lladdr.len, LLADDR_MAX);
}

static void test_strings(void) {
        CHECK_STR_EQ(record_state_to_string(RECORD_POSITIVE), "positive");
        CHECK_STR_EQ(record_state_to_string(RECORD_NEGATIVE), "negative");
        CHECK_STR_EQ(record_state_to_string(RECORD_STATIC), "static");
        CHECK_STR_EQ(record_state_to_string(0), "unknown");
        CHECK_STR_EQ(record_state_to_string(4), "unknown");
        CHECK_STR_EQ(record_state_to_string(-1), "unknown");
        CHECK_STR_EQ(record_source_to_string(SOURCE_ARP), "arp");
        CHECK_STR_EQ(record_source_to_string(SOURCE_KERNEL), "kernel");
        CHECK_STR_EQ(record_source_to_string(SOURCE_LOAD), "load");
        CHECK_STR_EQ(record_source_to_string(SOURCE_NDP), "ndp");
        CHECK_STR_EQ(record_source_to_string(SOURCE_CONTROL), "control");
        CHECK_STR_EQ(record_source_to_string(SOURCE_PROBE), "probe");
        CHECK_STR_EQ(record_source_to_string(0), "unknown");
        CHECK_STR_EQ(record_source_to_string(7), "unknown");

        for (int i = RECORD_POSITIVE; i <= RECORD_STATIC; i++)
                CHECK_INT_EQ(record_state_from_string(record_state_to_string(i)), i);
        for (int i = SOURCE_ARP; i <= SOURCE_PROBE; i++)
                CHECK_INT_EQ(record_source_from_string(record_source_to_string(i)), i);
        CHECK_INT_EQ(record_state_from_string("unknown"), -EINVAL);
        CHECK_INT_EQ(record_state_from_string("Static"), -EINVAL);
        CHECK_INT_EQ(record_state_from_string(""), -EINVAL);
        CHECK_INT_EQ(record_state_from_string(NULL), -EINVAL);
        CHECK_INT_EQ(record_source_from_string("arp "), -EINVAL);
        CHECK_INT_EQ(record_source_from_string("unknown"), -EINVAL);
        CHECK_INT_EQ(record_source_from_string(NULL), -EINVAL);
}

static struct neigh_key key(const char *ifname, const char *addr) {
        union in_addr_union a = {};
        struct neigh_key k;
        int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

        CHECK(inet_pton(family, addr, &a) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, ifname, family, &a), 0);
        return k;
}

static void test_key_make(void) {
        union in_addr_union a;
        struct neigh_key k;

        memset(&a, 0x5a, sizeof(a));
        memset(&k, 0xcc, sizeof(k));
        CHECK_INT_EQ(neigh_key_make(&k, "eth0", AF_INET, &a), 0);
        CHECK_STR_EQ(k.ifname, "eth0");
        CHECK_INT_EQ(k.family, AF_INET);
        CHECK_INT_EQ(k.addr.bytes[3], 0x5a);
        CHECK_INT_EQ(k.addr.bytes[4], 0); /* beyond an IPv4 address: zero */
        CHECK_INT_EQ(k.addr.bytes[15], 0);
        CHECK_INT_EQ(k.ifname[IFNAMSIZ - 1], 0);
        CHECK_INT_EQ(neigh_key_make(&k, "eth0", AF_INET6, &a), 0);
        CHECK_INT_EQ(k.addr.bytes[15], 0x5a);

        CHECK_INT_EQ(neigh_key_make(&k, "123456789012345", AF_INET, &a), 0); /* 15 characters */
        CHECK_STR_EQ(k.ifname, "123456789012345");
        CHECK_INT_EQ(neigh_key_make(&k, "1234567890123456", AF_INET, &a), -EINVAL);
        CHECK_INT_EQ(neigh_key_make(&k, "", AF_INET, &a), -EINVAL);
        CHECK_INT_EQ(neigh_key_make(&k, NULL, AF_INET, &a), -EINVAL);
        CHECK_INT_EQ(neigh_key_make(&k, "eth0", AF_UNSPEC, &a), -EINVAL);
        CHECK_INT_EQ(neigh_key_make(&k, "eth0", AF_PACKET, &a), -EINVAL);
        CHECK_INT_EQ(neigh_key_make(&k, "eth0", AF_INET, NULL), -EINVAL);
        CHECK_INT_EQ(neigh_key_make(NULL, "eth0", AF_INET, &a), -EINVAL);
}

static void test_key_codec_v1(void) {
        uint8_t buf[KEY_V1_MAX_SIZE + 4], bad[KEY_V1_MAX_SIZE];
        struct neigh_key k = key("eth0", "192.0.2.10"), k6 = key("wlan-guest", "2001:db8::1"), out;

        memset(buf, 0xaa, sizeof(buf));
        CHECK_INT_EQ(neigh_key_encode_v1(&k, buf, sizeof(buf)), 21);
        CHECK(memcmp(buf, "eth0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
        CHECK_INT_EQ(buf[16], 4);
        CHECK(memcmp(buf + 17, "\xc0\x00\x02\x0a", 4) == 0);
        CHECK_INT_EQ(buf[21], 0xaa);
        CHECK_INT_EQ(neigh_key_decode_v1(buf, 21, &out), 0);
        CHECK(neigh_key_equal(&k, &out));
        CHECK_STR_EQ(out.ifname, "eth0");
        CHECK_INT_EQ(out.family, AF_INET);

        CHECK_INT_EQ(neigh_key_encode_v1(&k6, buf, sizeof(buf)), 33);
        CHECK_INT_EQ(buf[16], 6);
        CHECK(memcmp(buf + 17, "\x20\x01\x0d\xb8", 4) == 0);
        CHECK_INT_EQ(buf[32], 1);
        CHECK_INT_EQ(neigh_key_decode_v1(buf, 33, &out), 0);
        CHECK(neigh_key_equal(&k6, &out));
        CHECK_INT_EQ(out.family, AF_INET6);

        /* encode rejections */
        CHECK_INT_EQ(neigh_key_encode_v1(&k6, buf, 32), -EINVAL);
        CHECK_INT_EQ(neigh_key_encode_v1(&k, buf, 20), -EINVAL);
        CHECK_INT_EQ(neigh_key_encode_v1(&k, buf, 21), 21);
        CHECK_INT_EQ(neigh_key_encode_v1(NULL, buf, sizeof(buf)), -EINVAL);
        out = k;
        out.family = AF_UNSPEC;
        CHECK_INT_EQ(neigh_key_encode_v1(&out, buf, sizeof(buf)), -EINVAL);
        out = k;
        out.ifname[0] = '\0';
        CHECK_INT_EQ(neigh_key_encode_v1(&out, buf, sizeof(buf)), -EINVAL);
        out = k;
        memset(out.ifname, 'x', IFNAMSIZ); /* not terminated */
        CHECK_INT_EQ(neigh_key_encode_v1(&out, buf, sizeof(buf)), -EINVAL);

        /* decode rejections */
        CHECK_INT_EQ(neigh_key_encode_v1(&k, bad, sizeof(bad)), 21);
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 20, &out), -EBADMSG);
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 22, &out), -EBADMSG);
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 33, &out), -EBADMSG); /* IPv4 family with 16 bytes */
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 16, &out), -EBADMSG);
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 0, &out), -EBADMSG);
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 21, NULL), -EINVAL);
        bad[16] = 6;
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 21, &out), -EBADMSG); /* IPv6 family with 4 bytes */
        bad[16] = 5;
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 21, &out), -EBADMSG);
        bad[16] = 2; /* AF_INET's value is not the family byte: 4 is */
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 21, &out), -EBADMSG);
        bad[16] = 0;
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 21, &out), -EBADMSG);
        bad[16] = 4;
        bad[6] = 'x'; /* garbage after the name's NUL */
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 21, &out), -EBADMSG);
        bad[6] = 0;
        bad[0] = 0; /* empty name */
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 21, &out), -EBADMSG);
        memset(bad, 'y', IFNAMSIZ); /* 16 characters, no NUL */
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 21, &out), -EBADMSG);
        bad[IFNAMSIZ - 1] = 0; /* 15 characters: fine */
        CHECK_INT_EQ(neigh_key_decode_v1(bad, 21, &out), 0);
        CHECK_STR_EQ(out.ifname, "yyyyyyyyyyyyyyy");
}

/* Format 3: interface id, family, address. */
static void test_key_codec3(void) {
        uint8_t buf[KEY_MAX_SIZE + 4];
        struct neigh_key k = key("eth0", "192.0.2.10"), k6 = key("wlan-guest", "2001:db8::1"), out;
        uint32_t id;

        memset(buf, 0xaa, sizeof(buf));
        CHECK_INT_EQ(neigh_key_encode(&k, 1, buf, sizeof(buf)), 6);
        CHECK(memcmp(buf, "\x01\x04\xc0\x00\x02\x0a", 6) == 0);
        CHECK_INT_EQ(buf[6], 0xaa);
        CHECK_INT_EQ(neigh_key_decode(buf, 6, &id, &out), 0);
        CHECK_INT_EQ(id, 1);
        CHECK_INT_EQ(out.family, AF_INET);
        CHECK_STR_EQ(out.ifname, "");
        CHECK(memcmp(out.addr.bytes, k.addr.bytes, 4) == 0);

        CHECK_INT_EQ(neigh_key_encode(&k6, 0x7f, buf, sizeof(buf)), 18);
        CHECK_INT_EQ(neigh_key_encode(&k6, 0x80, buf, sizeof(buf)), 19);
        CHECK(memcmp(buf, "\x80\x80\x06", 3) == 0);
        CHECK_INT_EQ(neigh_key_decode(buf, 19, &id, &out), 0);
        CHECK_INT_EQ(id, 0x80);
        CHECK_INT_EQ(out.family, AF_INET6);
        CHECK_INT_EQ(neigh_key_encode(&k6, 0x3fff, buf, sizeof(buf)), 19);
        CHECK(memcmp(buf, "\xbf\xff", 2) == 0);
        CHECK_INT_EQ(neigh_key_encode(&k6, 0x4000, buf, sizeof(buf)), 21);
        CHECK(memcmp(buf, "\xc0\x00\x40\x00\x06", 5) == 0);
        CHECK_INT_EQ(neigh_key_decode(buf, 21, &id, &out), 0);
        CHECK_INT_EQ(id, 0x4000);
        CHECK_INT_EQ(neigh_key_encode(&k6, IFID_MAX, buf, sizeof(buf)), 21);
        CHECK_INT_EQ(neigh_key_decode(buf, 21, &id, &out), 0);
        CHECK_INT_EQ(id, IFID_MAX);

        /* rejections */
        CHECK_INT_EQ(neigh_key_encode(&k, 0, buf, sizeof(buf)), -EINVAL);
        CHECK_INT_EQ(neigh_key_encode(&k, IFID_MAX + 1, buf, sizeof(buf)), -EINVAL);
        CHECK_INT_EQ(neigh_key_encode(&k, 1, buf, 5), -EINVAL);
        CHECK_INT_EQ(neigh_key_encode(&k6, 0x4000, buf, 20), -EINVAL);
        CHECK_INT_EQ(neigh_key_decode("\x00\x04\xc0\x00\x02\x0a", 6, &id, &out), -EBADMSG); /* id 0 */
        CHECK_INT_EQ(neigh_key_decode("\x80\x05\x04\xc0\x00\x02\x0a", 7, &id, &out), -EBADMSG); /* long form of 5 */
        CHECK_INT_EQ(neigh_key_decode("\x01\x06\xc0\x00\x02\x0a", 6, &id, &out), -EBADMSG); /* IPv6, 4 bytes */
        CHECK_INT_EQ(neigh_key_decode("\x01\x05\xc0\x00\x02\x0a", 6, &id, &out), -EBADMSG);
        CHECK_INT_EQ(neigh_key_decode("\x01\x04\xc0\x00\x02", 5, &id, &out), -EBADMSG);
        CHECK_INT_EQ(neigh_key_decode("\xc0", 1, &id, &out), -EBADMSG);
        CHECK_INT_EQ(neigh_key_decode(buf, 0, &id, &out), -EBADMSG);

        /* the order: by id (whatever its length), then family, then address */
        uint8_t a[KEY_MAX_SIZE], b[KEY_MAX_SIZE];
        static const uint32_t ids[] = { 1, 2, 0x7f, 0x80, 0x81, 0x3fff, 0x4000, 0x10000, IFID_MAX };
        struct neigh_key hi = key("x", "255.255.255.255"), lo6 = key("x", "::");
        for (size_t i = 0; i + 1 < ELEMENTSOF(ids); i++) {
                int la = neigh_key_encode(&hi, ids[i], a, sizeof(a)), lb = neigh_key_encode(&k, ids[i + 1], b, sizeof(b));
                CHECK(memcmp(a, b, (size_t) MIN(la, lb)) < 0);
        }
        CHECK_INT_EQ(neigh_key_encode(&hi, 9, a, sizeof(a)), 6);
        CHECK_INT_EQ(neigh_key_encode(&lo6, 9, b, sizeof(b)), 18);
        CHECK(memcmp(a, b, 6) < 0);
}

static void test_key_equal(void) {
        struct neigh_key a = key("eth0", "192.0.2.1"), b = a;

        CHECK(neigh_key_equal(&a, &b));
        CHECK(neigh_key_equal(&a, &a));
        b.addr.bytes[10] = 0x99; /* beyond an IPv4 address: not part of the identity */
        CHECK(neigh_key_equal(&a, &b));
        b = key("eth1", "192.0.2.1");
        CHECK(!neigh_key_equal(&a, &b));
        b = key("eth0", "192.0.2.2");
        CHECK(!neigh_key_equal(&a, &b));
        b = key("eth0", "::ffff:192.0.2.1");
        CHECK(!neigh_key_equal(&a, &b));
        b = a;
        b.family = AF_INET6;
        CHECK(!neigh_key_equal(&a, &b));
        CHECK(!neigh_key_equal(&a, NULL));
        CHECK(!neigh_key_equal(NULL, &a));

        struct neigh_key c = key("eth0", "2001:db8::1"), d = key("eth0", "2001:db8::2");
        CHECK(!neigh_key_equal(&c, &d));
        d = key("eth0", "2001:db8::1");
        CHECK(neigh_key_equal(&c, &d));
}

/* Encoded keys compare bytewise as documented: interface, then family, then numeric address. */
static int enc_cmp(const char *if1, const char *a1, const char *if2, const char *a2) {
        struct neigh_key x = key(if1, a1), y = key(if2, a2);
        uint8_t bx[KEY_V1_MAX_SIZE], by[KEY_V1_MAX_SIZE];
        int lx = neigh_key_encode_v1(&x, bx, sizeof(bx)), ly = neigh_key_encode_v1(&y, by, sizeof(by));
        int c = memcmp(bx, by, (size_t) (lx < ly ? lx : ly));

        return c != 0 ? c : lx - ly;
}

static void test_key_order(void) {
        CHECK(enc_cmp("eth0", "198.18.0.2", "eth0", "198.18.0.10") < 0);
        CHECK(enc_cmp("eth0", "198.18.0.255", "eth0", "198.18.1.0") < 0);
        CHECK(enc_cmp("eth0", "255.255.255.255", "eth0", "::") < 0);
        CHECK(enc_cmp("eth0", "2001:db8::9", "eth0", "2001:db8::10") < 0);
        CHECK(enc_cmp("eth0", "255.255.255.255", "eth1", "0.0.0.1") < 0);
        CHECK(enc_cmp("eth1", "2001:db8::1", "eth10", "198.18.0.1") < 0);
        CHECK(enc_cmp("eth1", "198.18.0.1", "eth1", "198.18.0.1") == 0);
}

int main(void) {
        TEST_RUN(test_layout_v1);
        TEST_RUN(test_layout_v2);
        TEST_RUN(test_roundtrip);
        TEST_RUN(test_roundtrip_v1);
        TEST_RUN(test_encode_rejects_v1);
        TEST_RUN(test_decode_rejects_v1);
        TEST_RUN(test_decode_rejects_v2);
        TEST_RUN(test_strings);
        TEST_RUN(test_key_make);
        TEST_RUN(test_key_codec_v1);
        TEST_RUN(test_key_codec3);
        TEST_RUN(test_key_equal);
        TEST_RUN(test_key_order);
        TEST_EXIT();
}
