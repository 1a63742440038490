/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Addresses, link-layer addresses, prefixes and the time helpers. */

#include <arpa/inet.h>
#include <errno.h>

#include "addr-util.h"
#include "macro.h"
#include "tests.h"
#include "time-util.h"

static struct in_addr a4(const char *s) {
        struct in_addr a;
        inet_pton(AF_INET, s, &a);
        return a;
}

/* The hand-written IPv4 formatter prints what inet_ntop() prints, for every octet value in every
 * position. */
static void test_in4_to_string(void) {
        char buf[IN_ADDR_STRLEN], want[INET_ADDRSTRLEN];

        for (unsigned v = 0; v < 256; v++)
                for (unsigned pos = 0; pos < 4; pos++) {
                        union in_addr_union u = { .bytes = { 198, 18, 0, 1 } };

                        u.bytes[pos] = (uint8_t) v;
                        inet_ntop(AF_INET, &u.in, want, sizeof(want));
                        CHECK_STR_EQ(in_addr_to_string(AF_INET, &u, buf), want);
                }
        union in_addr_union z = {}, m = { .bytes = { 255, 255, 255, 255 } };
        CHECK_STR_EQ(in_addr_to_string(AF_INET, &z, buf), "0.0.0.0");
        CHECK_STR_EQ(in_addr_to_string(AF_INET, &m, buf), "255.255.255.255");
}

static void test_in_addr(void) {
        union in_addr_union u, v;
        char buf[IN_ADDR_STRLEN];
        int family = 0;

        CHECK_INT_EQ(in_addr_from_string("198.18.0.1", &family, &u), 0);
        CHECK_INT_EQ(family, AF_INET);
        CHECK_STR_EQ(in_addr_to_string(AF_INET, &u, buf), "198.18.0.1");
        CHECK_INT_EQ(in_addr_from_string("2001:db8::2", &family, &v), 0);
        CHECK_INT_EQ(family, AF_INET6);
        CHECK_STR_EQ(in_addr_to_string(AF_INET6, &v, buf), "2001:db8::2");
        CHECK_INT_EQ(in_addr_from_string("198.18.0.256", &family, &u), -EINVAL);
        CHECK_INT_EQ(in_addr_from_string("", &family, &u), -EINVAL);
        CHECK_INT_EQ(in_addr_from_string("198.18.0.1 ", &family, &u), -EINVAL);
        CHECK_INT_EQ(in_addr_from_string_family("2001:db8::2", AF_INET, &u), -EINVAL);
        CHECK_INT_EQ(in_addr_from_string_family("198.18.0.1", 99, &u), -EINVAL);
        CHECK_STR_EQ(in_addr_to_string(99, &u, buf), "?");
        in_addr_from_string("198.18.0.1", &family, &u);
        in_addr_from_string("198.18.0.1", &family, &v);
        CHECK(in_addr_equal(AF_INET, &u, &v));
        CHECK(!in_addr_equal(99, &u, &v));
        CHECK_INT_EQ(family_addr_size(AF_INET), 4);
        CHECK_INT_EQ(family_addr_size(AF_INET6), 16);
        CHECK_INT_EQ(family_addr_size(AF_UNIX), 0);
}

static void test_lladdr(void) {
        struct lladdr l, m;
        char buf[LLADDR_STRLEN];

        CHECK_INT_EQ(lladdr_from_string("02:AA:0:00:0f:ff", &l), 0);
        CHECK_INT_EQ(l.len, 6);
        CHECK_STR_EQ(lladdr_to_string(&l, buf), "02:aa:00:00:0f:ff");
        CHECK_INT_EQ(lladdr_from_string("02", &l), 0);
        CHECK_INT_EQ(l.len, 1);
        const char *bad[] = { "", ":", "02:", ":02", "02::03", "0g", "123", "02-00-00-00-00-01", "02:00 ", " 02" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (lladdr_from_string(bad[i], &l) != -EINVAL) {
                        fprintf(stderr, "accepted bad MAC '%s'\n", bad[i]);
                        tests_failed_++;
                }
        }
        /* 32 octets is the limit, 33 is rejected */
        char long32[32 * 3], long33[33 * 3];
        for (int i = 0; i < 32; i++)
                memcpy(long32 + i * 3, i < 31 ? "ab:" : "ab\0", 3);
        for (int i = 0; i < 33; i++)
                memcpy(long33 + i * 3, i < 32 ? "ab:" : "ab\0", 3);
        CHECK_INT_EQ(lladdr_from_string(long32, &l), 0);
        CHECK_INT_EQ(l.len, 32);
        CHECK_INT_EQ(lladdr_from_string(long33, &l), -EINVAL);

        lladdr_from_string("ff:ff:ff:ff:ff:ff", &l);
        CHECK(lladdr_is_broadcast(&l) && lladdr_is_multicast(&l) && !lladdr_is_zero(&l));
        lladdr_from_string("01:00:5e:00:00:01", &l);
        CHECK(!lladdr_is_broadcast(&l) && lladdr_is_multicast(&l));
        lladdr_from_string("00:00:00:00:00:00", &l);
        CHECK(lladdr_is_zero(&l) && !lladdr_is_multicast(&l));
        lladdr_from_string("02:00:00:00:00:01", &l);
        CHECK(!lladdr_is_zero(&l) && !lladdr_is_multicast(&l) && !lladdr_is_broadcast(&l));
        m = l;
        CHECK(lladdr_equal(&l, &m));
        m.len = 5;
        CHECK(!lladdr_equal(&l, &m));
        uint8_t big[40] = { 1 };
        lladdr_set(&m, big, sizeof(big));
        CHECK_INT_EQ(m.len, LLADDR_MAX);
}

static void test_bogus(void) {
        const char *bogus[] = { "0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.5", "239.1.1.1", "240.0.0.1", "255.255.255.255" };
        const char *good[] = { "198.18.0.1", "192.0.2.1", "1.0.0.0", "223.255.255.255" };

        for (size_t i = 0; i < ELEMENTSOF(bogus); i++)
                CHECK(in4_addr_is_bogus_sender(a4(bogus[i])));
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                CHECK(!in4_addr_is_bogus_sender(a4(good[i])));

        struct in6_addr a;
        inet_pton(AF_INET6, "::", &a);
        CHECK(in6_addr_is_bogus_sender(&a));
        inet_pton(AF_INET6, "::1", &a);
        CHECK(in6_addr_is_bogus_sender(&a));
        inet_pton(AF_INET6, "ff02::1", &a);
        CHECK(in6_addr_is_bogus_sender(&a));
        inet_pton(AF_INET6, "::ffff:198.18.0.1", &a);
        CHECK(in6_addr_is_bogus_sender(&a));
        inet_pton(AF_INET6, "2001:db8::1", &a);
        CHECK(!in6_addr_is_bogus_sender(&a));
        inet_pton(AF_INET6, "fe80::1", &a);
        CHECK(!in6_addr_is_bogus_sender(&a));
}

static void test_prefix(void) {
        struct in_prefix p = { .family = AF_INET, .prefixlen = 24, .addr.in = a4("198.18.0.1") };
        union in_addr_union u;

        u.in = a4("198.18.0.200");
        CHECK(in_prefix_contains(&p, AF_INET, &u));
        u.in = a4("198.18.1.1");
        CHECK(!in_prefix_contains(&p, AF_INET, &u));
        CHECK(!in_prefix_contains(&p, AF_INET6, &u));
        p.prefixlen = 23;
        CHECK(in_prefix_contains(&p, AF_INET, &u));
        p.prefixlen = 0;
        CHECK(in_prefix_contains(&p, AF_INET, &u));
        p.prefixlen = 33;
        CHECK(!in_prefix_contains(&p, AF_INET, &u));
        p.prefixlen = 32;
        u.in = a4("198.18.0.1");
        CHECK(in_prefix_contains(&p, AF_INET, &u));

        p.prefixlen = 24;
        CHECK(in4_prefix_is_broadcast(&p, a4("198.18.0.255")));
        CHECK(!in4_prefix_is_broadcast(&p, a4("198.18.0.254")));
        CHECK(!in4_prefix_is_broadcast(&p, a4("198.18.1.255")));
        p.prefixlen = 31; /* point-to-point: no broadcast address */
        CHECK(!in4_prefix_is_broadcast(&p, a4("198.18.0.1")));
        p.prefixlen = 30;
        CHECK(in4_prefix_is_broadcast(&p, a4("198.18.0.3")));

        struct in_prefix p6 = { .family = AF_INET6, .prefixlen = 64 };
        inet_pton(AF_INET6, "2001:db8::1", &p6.addr.in6);
        inet_pton(AF_INET6, "2001:db8::ffff:1", &u.in6);
        CHECK(in_prefix_contains(&p6, AF_INET6, &u));
        inet_pton(AF_INET6, "2001:db8:0:1::1", &u.in6);
        CHECK(!in_prefix_contains(&p6, AF_INET6, &u));
}

static void test_time(void) {
        usec_t u;
        char buf[32];

        CHECK_INT_EQ(parse_seconds("30", &u), 0);
        CHECK_INT_EQ(u, 30 * USEC_PER_SEC);
        CHECK_INT_EQ(parse_seconds("0.5", &u), 0);
        CHECK_INT_EQ(u, USEC_PER_SEC / 2);
        CHECK_INT_EQ(parse_seconds("0", &u), 0);
        CHECK_INT_EQ(u, 0);
        const char *bad[] = { "", "-1", "+1", " 1", "1 ", "1s", "abc", "nan", "inf", "0x10", "1e3", ".", "1.2.3" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (parse_seconds(bad[i], &u) != -EINVAL) {
                        fprintf(stderr, "parse_seconds accepted '%s'\n", bad[i]);
                        tests_failed_++;
                }
        }
        CHECK_INT_EQ(parse_seconds("99999999999999999999", &u), -ERANGE);
        CHECK_INT_EQ(parse_seconds(".5", &u), 0);
        CHECK_STR_EQ(format_age(5 * USEC_PER_SEC, buf, sizeof(buf)), "5s");
        CHECK_STR_EQ(format_age(125 * USEC_PER_SEC, buf, sizeof(buf)), "2min 5s");
        CHECK_STR_EQ(format_age(7260 * USEC_PER_SEC, buf, sizeof(buf)), "2h 1min");
        CHECK_STR_EQ(format_age(90000 * USEC_PER_SEC, buf, sizeof(buf)), "1d 1h");
        CHECK(now_usec(CLOCK_MONOTONIC) > 0);
}

int main(void) {
        TEST_RUN(test_in_addr);
        TEST_RUN(test_in4_to_string);
        TEST_RUN(test_lladdr);
        TEST_RUN(test_bogus);
        TEST_RUN(test_prefix);
        TEST_RUN(test_time);
        TEST_EXIT();
}
