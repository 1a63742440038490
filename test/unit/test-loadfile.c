/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entry-ops.h"
#include "loadfile.h"
#include "log.h"
#include "macro.h"
#include "store.h"
#include "test-netns.h"
#include "tests.h"

#define MAC5 "02:00:00:00:00:05"
#define NOW ((usec_t) 1700000000 * USEC_PER_SEC + 123456)

struct expect {
        const char *line;
        const char *ifname; /* NULL for classic lines */
        int ifindex;
        const char *addr;
        int state;
        const char *lladdr; /* "" for none */
        unsigned long long neg_age_sec;
};

static void check_entry(const char *line, const struct load_entry *e, const struct expect *x) {
        char a[IN_ADDR_STRLEN], l[LLADDR_STRLEN];
        int fam = 0;
        union in_addr_union u;
        int before = tests_failed_;

        CHECK_STR_EQ(e->ifname, x->ifname ? x->ifname : "");
        CHECK_INT_EQ(e->ifindex, x->ifindex);
        CHECK_INT_EQ(in_addr_from_string(x->addr, &fam, &u), 0);
        CHECK_INT_EQ(e->family, fam);
        CHECK_STR_EQ(in_addr_to_string(e->family, &e->addr, a), x->addr);
        CHECK_INT_EQ(e->state, x->state);
        CHECK_STR_EQ(lladdr_to_string(&e->lladdr, l), x->lladdr);
        CHECK_INT_EQ(e->neg_age, x->neg_age_sec * USEC_PER_SEC);
        if (tests_failed_ != before)
                fprintf(stderr, "  (line: \"%s\")\n", line);
}

/* format_line(parse(line)) parses back to the same entry. */
static void check_roundtrip(const struct load_entry *e) {
        struct neigh_key k = { .family = e->family, .addr = e->addr };
        struct record r = { .state = e->state, .source = SOURCE_LOAD, .lladdr = e->lladdr };
        struct load_entry back;
        const char *err = NULL;
        char *text = NULL;
        size_t size = 0;
        FILE *f;

        /* a clock far enough from the epoch for any age the parser accepts (100 years) */
        usec_t now = NOW + 200ULL * 365 * 24 * 3600 * USEC_PER_SEC;

        snprintf(k.ifname, sizeof(k.ifname), "%s", e->ifname[0] ? e->ifname : "classic0");
        if (e->state == RECORD_NEGATIVE)
                r.neg_since = now - e->neg_age;
        f = open_memstream(&text, &size);
        CHECK(f != NULL);
        if (!f)
                return;
        loadfile_format_line(f, &k, &r, now);
        CHECK(fclose(f) == 0);
        CHECK_INT_EQ(loadfile_parse_line(text, &back, &err), 1);
        CHECK_STR_EQ(back.ifname, k.ifname);
        CHECK_INT_EQ(back.ifindex, 0);
        CHECK_INT_EQ(back.family, e->family);
        CHECK(in_addr_equal(e->family, &back.addr, &e->addr));
        CHECK_INT_EQ(back.state, e->state);
        CHECK(lladdr_equal(&back.lladdr, &e->lladdr));
        CHECK_INT_EQ(back.neg_age, e->neg_age);
        free(text);
}

static void expect_good(const struct expect *x) {
        struct load_entry e;
        const char *err = "unset";
        int r;

        memset(&e, 0x5a, sizeof(e));
        r = loadfile_parse_line(x->line, &e, &err);
        if (r != 1) {
                fprintf(stderr, "rejected (%d, %s): \"%s\"\n", r, err ? err : "(null)", x->line);
                CHECK(false);
                return;
        }
        CHECK(err == NULL);
        check_entry(x->line, &e, x);
        check_roundtrip(&e);
}

static void test_parse_ours(void) {
        static const struct expect good[] = {
                /* exactly what -l prints */
                { "eth0            198.18.0.5                              " MAC5 "\n", "eth0", 0, "198.18.0.5",
                  RECORD_POSITIVE, MAC5, 0 },
                { "eth0            198.18.0.5                              " MAC5 " static\n", "eth0", 0,
                  "198.18.0.5", RECORD_STATIC, MAC5, 0 },
                { "eth0            198.18.0.5                              FAILED: 17s ago\n", "eth0", 0,
                  "198.18.0.5", RECORD_NEGATIVE, "", 17 },
                { "br-lan 2001:db8::5 " MAC5, "br-lan", 0, "2001:db8::5", RECORD_POSITIVE, MAC5, 0 },
                { "br-lan 2001:db8::5 FAILED: 0s ago", "br-lan", 0, "2001:db8::5", RECORD_NEGATIVE, "", 0 },
                { "eth0 198.18.0.5 FAILED: 3153600000s ago", "eth0", 0, "198.18.0.5", RECORD_NEGATIVE, "",
                  3153600000ULL }, /* 100 years: the limit */
                { "eth0 198.18.0.5 FAILED", "eth0", 0, "198.18.0.5", RECORD_NEGATIVE, "", 0 },
                /* any blank separation, CRLF, trailing comments */
                { "\teth0\t198.18.0.5   \t" MAC5 "\t", "eth0", 0, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
                { "eth0 198.18.0.5 " MAC5 "\r\n", "eth0", 0, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
                { "eth0 198.18.0.5 " MAC5 " static\r\n", "eth0", 0, "198.18.0.5", RECORD_STATIC, MAC5, 0 },
                { "eth0 198.18.0.5 FAILED: 5s ago\r\n", "eth0", 0, "198.18.0.5", RECORD_NEGATIVE, "", 5 },
                { "eth0 198.18.0.5 " MAC5 " # the router", "eth0", 0, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
                { "eth0 198.18.0.5 " MAC5 " static #pinned", "eth0", 0, "198.18.0.5", RECORD_STATIC, MAC5, 0 },
                /* MAC spellings normalise; any link-layer length up to 32 */
                { "eth0 198.18.0.5 2:0:0:0:0:5", "eth0", 0, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
                { "eth0 198.18.0.5 02:AB:cd:00:00:05", "eth0", 0, "198.18.0.5", RECORD_POSITIVE,
                  "02:ab:cd:00:00:05", 0 },
                { "ib0 198.18.0.5 80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bb:cc", "ib0", 0,
                  "198.18.0.5", RECORD_POSITIVE, "80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bb:cc", 0 },
                /* interface names: 15 characters, odd but legal characters */
                { "br-0123456789ab 198.18.0.5 " MAC5, "br-0123456789ab", 0, "198.18.0.5", RECORD_POSITIVE,
                  MAC5, 0 },
                { "eth0.100 198.18.0.5 " MAC5, "eth0.100", 0, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
                { "a#b 198.18.0.5 " MAC5, "a#b", 0, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                expect_good(&good[i]);
}

static void test_parse_classic(void) {
        static const struct expect good[] = {
                { "2 198.18.0.5 " MAC5, NULL, 2, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
                { "  17\t198.19.255.1\t02:00:00:00:00:FF\r\n", NULL, 17, "198.19.255.1", RECORD_POSITIVE,
                  "02:00:00:00:00:ff", 0 },
                { "2147483647 198.18.0.5 " MAC5 " # max ifindex", NULL, 2147483647, "198.18.0.5", RECORD_POSITIVE,
                  MAC5, 0 },
                { "007 198.18.0.5 " MAC5, NULL, 7, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
                /* the classic arpd -l prints negative entries like this */
                { "2 198.18.0.6 FAILED: 12sec ago", NULL, 2, "198.18.0.6", RECORD_NEGATIVE, "", 12 },
                { "2 198.18.0.6 FAILED: 3s ago", NULL, 2, "198.18.0.6", RECORD_NEGATIVE, "", 3 },
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                expect_good(&good[i]);
}

static void test_parse_ip_neigh(void) {
        static const struct expect good[] = {
                { "198.18.0.5 dev eth0 lladdr " MAC5 " REACHABLE", "eth0", 0, "198.18.0.5", RECORD_POSITIVE, MAC5,
                  0 },
                { "198.18.0.5 dev eth0 lladdr " MAC5 " STALE\n", "eth0", 0, "198.18.0.5", RECORD_POSITIVE, MAC5,
                  0 },
                { "198.18.0.5 dev eth0 lladdr " MAC5 " DELAY", "eth0", 0, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
                { "198.18.0.5 dev eth0 lladdr " MAC5 " PROBE", "eth0", 0, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
                { "198.18.0.5 dev eth0 lladdr " MAC5 " NOARP", "eth0", 0, "198.18.0.5", RECORD_POSITIVE, MAC5, 0 },
                { "198.18.0.5 dev eth0 lladdr " MAC5 " PERMANENT", "eth0", 0, "198.18.0.5", RECORD_STATIC, MAC5,
                  0 },
                { "198.18.0.5 dev eth0 FAILED", "eth0", 0, "198.18.0.5", RECORD_NEGATIVE, "", 0 },
                { "198.18.0.5 dev eth0 lladdr " MAC5 " FAILED", "eth0", 0, "198.18.0.5", RECORD_NEGATIVE, "", 0 },
                { "fe80::5 dev eth0 lladdr " MAC5 " router STALE", "eth0", 0, "fe80::5", RECORD_POSITIVE, MAC5, 0 },
                { "2001:db8::5 dev wlan0 lladdr " MAC5 " extern_learn REACHABLE\r\n", "wlan0", 0, "2001:db8::5",
                  RECORD_POSITIVE, MAC5, 0 },
                { "2001:db8::5 dev wlan0 lladdr " MAC5 " router proxy extern_learn offload managed PERMANENT",
                  "wlan0", 0, "2001:db8::5", RECORD_STATIC, MAC5, 0 },
                { "2001:db8::6 dev eth0 FAILED # gone", "eth0", 0, "2001:db8::6", RECORD_NEGATIVE, "", 0 },
        };
        static const char *const skipped[] = {
                "198.18.0.5 dev eth0 INCOMPLETE",
                "2001:db8::5 dev eth0 INCOMPLETE\r\n",
                "198.18.0.5 dev eth0 NONE",
                "198.18.0.5 dev eth0 router INCOMPLETE",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                expect_good(&good[i]);
        for (size_t i = 0; i < ELEMENTSOF(skipped); i++) {
                struct load_entry e = { .ifindex = 42 };
                const char *err = "unset";
                CHECK_INT_EQ(loadfile_parse_line(skipped[i], &e, &err), 0);
                CHECK(err == NULL);
                CHECK_INT_EQ(e.ifindex, 42); /* untouched */
        }
}

static void test_parse_skip(void) {
        static const char *const lines[] = {
                "", "\n", "\r\n", "   ", " \t \r\n", "#", "# a comment", "   # indented comment\n",
                ("#eth0 198.18.0.5 " MAC5), "\t#\t", "# eth0 198.18.0.5 positive entry without a link-layer address",
        };

        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                const char *err = "unset";
                int r = loadfile_parse_line(lines[i], NULL, &err);
                if (r != 0)
                        fprintf(stderr, "not skipped: \"%s\"\n", lines[i]);
                CHECK_INT_EQ(r, 0);
                CHECK(err == NULL);
        }
}

static void test_parse_bad(void) {
        static const struct {
                const char *line;
                const char *reason;
        } bad[] = {
                /* addresses */
                { "eth0 198.18.0.256 " MAC5, "invalid IP address '198.18.0.256'" },
                { "eth0 198.18.0 " MAC5, "invalid IP address '198.18.0'" },
                { "eth0 2001:db8::g " MAC5, "invalid IP address '2001:db8::g'" },
                { "eth0 fe80::1%eth0 " MAC5, "invalid IP address 'fe80::1%eth0'" },
                { "eth0 " MAC5 " " MAC5, "invalid IP address '" MAC5 "'" },
                { "198.18.0.999 dev eth0 FAILED", "invalid IP address '198.18.0.999'" },
                { "2 2001:db8::5 " MAC5, "invalid IPv4 address '2001:db8::5'" },
                /* MACs */
                { "eth0 198.18.0.5 02:00:00:00:00:zz", "invalid MAC address '02:00:00:00:00:zz'" },
                { "eth0 198.18.0.5 02:00:00:00:00:05:", "invalid MAC address '02:00:00:00:00:05:'" },
                { "eth0 198.18.0.5 020:00:00:00:00:05", "invalid MAC address '020:00:00:00:00:05'" },
                { "eth0 198.18.0.5 02-00-00-00-00-05", "invalid MAC address '02-00-00-00-00-05'" },
                { "eth0 198.18.0.5 00:00:00:00:00:00", "invalid MAC address (all zero) '00:00:00:00:00:00'" },
                { "eth0 198.18.0.5 reachable", "invalid MAC address 'reachable'" },
                { "2 198.18.0.5 02:00:00:00:05", "invalid MAC address '02:00:00:00:05'" },
                { "2 198.18.0.5 02:00:00:00:00:05:06", "invalid MAC address '02:00:00:00:00:05:06'" },
                { "198.18.0.5 dev eth0 lladdr zz STALE", "invalid MAC address 'zz'" },
                /* field counts and trailing junk */
                { "eth0", "too few fields" },
                { "eth0 198.18.0.5", "too few fields" },
                { "eth0 198.18.0.5 " MAC5 " foo", "unexpected field 'foo'" },
                { "eth0 198.18.0.5 " MAC5 " static extra", "unexpected field 'extra'" },
                { "eth0 198.18.0.5 " MAC5 " static#x", "unexpected field 'static#x'" },
                { "eth0 198.18.0.5 " MAC5 " Static", "unexpected field 'Static'" },
                { "2", "too few fields" },
                { "2 198.18.0.5", "too few fields" },
                { "2 198.18.0.5 " MAC5 " static", "unexpected field 'static'" },
                { "a b c d e f g h i j k l m n o p q", "too many fields" },
                /* negative entries */
                { "eth0 198.18.0.5 FAILED: 17 ago", "invalid negative entry age '17'" },
                { "eth0 198.18.0.5 FAILED: s ago", "invalid negative entry age 's'" },
                { "eth0 198.18.0.5 FAILED: -1s ago", "invalid negative entry age '-1s'" },
                { "eth0 198.18.0.5 FAILED: 1.5s ago", "invalid negative entry age '1.5s'" },
                { "eth0 198.18.0.5 FAILED: 3153600001s ago", "negative entry age out of range '3153600001s'" },
                { "eth0 198.18.0.5 FAILED: 99999999999999999999999s ago",
                  "invalid negative entry age '99999999999999999999999s'" },
                { "eth0 198.18.0.5 FAILED: 17s", "expected 'FAILED: Ns ago'" },
                { "eth0 198.18.0.5 FAILED:", "expected 'FAILED: Ns ago'" },
                { "eth0 198.18.0.5 FAILED: 17s since", "unexpected field 'since'" },
                { "eth0 198.18.0.5 FAILED: 17s ago x", "unexpected field 'x'" },
                { "eth0 198.18.0.5 FAILED x", "unexpected field 'x'" },
                /* interface names */
                { "verylonginterface0 198.18.0.5 " MAC5,
                  "interface name longer than 15 characters 'verylonginterface0'" },
                { "br-0123456789abc 198.18.0.5 " MAC5, "interface name longer than 15 characters 'br-0123456789abc'" },
                { "eth/0 198.18.0.5 " MAC5, "invalid interface name 'eth/0'" },
                { "eth0:1 198.18.0.5 " MAC5, "invalid interface name 'eth0:1'" },
                { ". 198.18.0.5 " MAC5, "invalid interface name '.'" },
                { ".. 198.18.0.5 " MAC5, "invalid interface name '..'" },
                { "eth\001 198.18.0.5 " MAC5, "invalid interface name 'eth?'" },
                { "198.18.0.5 dev averylonginterface FAILED",
                  "interface name longer than 15 characters 'averylonginterface'" },
                /* ifindexes */
                { "0 198.18.0.5 " MAC5, "invalid ifindex '0'" },
                { "2147483648 198.18.0.5 " MAC5, "invalid ifindex '2147483648'" },
                { "99999999999999999999999 198.18.0.5 " MAC5, "invalid ifindex '99999999999999999999999'" },
                /* ip neigh */
                { "198.18.0.5 dev eth0 lladdr " MAC5 " BOGUS", "unknown neighbour state 'BOGUS'" },
                { "198.18.0.5 dev eth0 lladdr " MAC5 " stale", "unknown neighbour state 'stale'" },
                { "198.18.0.5 dev eth0 lladdr " MAC5 " REACHABLE extra", "unexpected field 'extra'" },
                { "198.18.0.5 dev eth0 lladdr " MAC5 " router", "missing neighbour state" },
                { "198.18.0.5 dev eth0 lladdr " MAC5, "missing neighbour state" },
                { "198.18.0.5 dev eth0", "missing neighbour state" },
                { "198.18.0.5 dev eth0 lladdr", "missing MAC address after 'lladdr'" },
                { "198.18.0.5 dev", "missing interface name after 'dev'" },
                { "198.18.0.5 dev eth0 REACHABLE", "missing link-layer address for state 'REACHABLE'" },
                { "198.18.0.5 dev eth0 PERMANENT", "missing link-layer address for state 'PERMANENT'" },
                { "198.18.0.5 dev eth0 router lladdr " MAC5 " STALE", "unexpected field '" MAC5 "'" },
                { "198.18.0.5 dev eth0 lladdr " MAC5 " STALE PERMANENT", "unexpected field 'PERMANENT'" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct load_entry e = { .ifindex = 42 };
                const char *err = NULL;
                int r = loadfile_parse_line(bad[i].line, &e, &err);
                if (r != -EINVAL)
                        fprintf(stderr, "accepted (%d): \"%s\"\n", r, bad[i].line);
                CHECK_INT_EQ(r, -EINVAL);
                CHECK_STR_EQ(err, bad[i].reason);
                CHECK_INT_EQ(e.ifindex, 42); /* ret untouched on error */
                /* error may be NULL */
                CHECK_INT_EQ(loadfile_parse_line(bad[i].line, NULL, NULL), -EINVAL);
        }

        /* a long field is quoted in part */
        char line[400];
        const char *err = NULL;
        memset(line, 'x', sizeof(line));
        memcpy(line, "eth0 198.18.0.5 ", 16);
        line[sizeof(line) - 1] = '\0';
        CHECK_INT_EQ(loadfile_parse_line(line, NULL, &err), -EINVAL);
        CHECK(err && strncmp(err, "invalid MAC address 'xxxx", 25) == 0);
        CHECK(err && strlen(err) < 100 && strstr(err, "...'") != NULL);
        CHECK_INT_EQ(loadfile_parse_line(NULL, NULL, &err), -EINVAL);
}

static char *format(const struct neigh_key *k, const struct record *r, usec_t now) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        CHECK(f != NULL);
        if (!f)
                return NULL;
        loadfile_format_line(f, k, r, now);
        fclose(f);
        return text;
}

/* Names the kernel allows round-trip, digits first included; only a first field of nothing but
 * digits is an ifindex, and an interface named so is written in the ip neigh form. */
static void test_digit_names(void) {
        const char *lines[] = { "0eth 198.18.0.5 " MAC5, "2x 198.18.0.5 " MAC5 " static", "198.18.0.5 dev 2eth FAILED",
                                "198.18.0.5 dev 123 lladdr " MAC5 " STALE" };
        const char *names[] = { "0eth", "2x", "2eth", "123" };

        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                struct load_entry e = {};
                const char *err = NULL;

                CHECK_INT_EQ(loadfile_parse_line(lines[i], &e, &err), 1);
                CHECK_STR_EQ(e.ifname, names[i]);
                CHECK_INT_EQ(e.ifindex, 0);
                check_roundtrip(&e);
        }
        struct load_entry e = {};
        CHECK_INT_EQ(loadfile_parse_line("12 198.18.0.5 " MAC5, &e, NULL), 1);
        CHECK_INT_EQ(e.ifindex, 12);

        struct neigh_key k = { .ifname = "123", .family = AF_INET };
        struct record r = { .state = RECORD_STATIC, .source = SOURCE_LOAD };
        CHECK(inet_pton(AF_INET, "198.18.0.5", &k.addr.in) == 1);
        CHECK_INT_EQ(lladdr_from_string(MAC5, &r.lladdr), 0);
        char *s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "198.18.0.5 dev 123 lladdr " MAC5 " PERMANENT\n");
        free(s);
        r.state = RECORD_NEGATIVE;
        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "198.18.0.5 dev 123 FAILED\n");
        free(s);
}

/* The router flag: read from our lines and ip neigh's, written after the MAC, read back. */
static void test_router(void) {
        static const struct {
                const char *line;
                enum record_state state;
                unsigned flags;
        } cases[] = {
                { "eth0 198.18.0.5 " MAC5 " router", RECORD_POSITIVE, RECORD_FLAG_ROUTER },
                { "eth0 198.18.0.5 " MAC5 " router static", RECORD_STATIC, RECORD_FLAG_ROUTER },
                { "eth0 198.18.0.5 " MAC5, RECORD_POSITIVE, 0 },
                { "fe80::5 dev eth0 lladdr " MAC5 " router STALE", RECORD_POSITIVE, RECORD_FLAG_ROUTER },
                { "fe80::5 dev eth0 lladdr " MAC5 " proxy router PERMANENT", RECORD_STATIC, RECORD_FLAG_ROUTER },
                { "fe80::5 dev eth0 lladdr " MAC5 " extern_learn STALE", RECORD_POSITIVE, 0 },
                { "fe80::5 dev eth0 lladdr " MAC5 " router FAILED", RECORD_NEGATIVE, 0 },
        };
        static const char *const bad[] = {
                "eth0 198.18.0.5 " MAC5 " static router", /* the flag comes first, as -l writes it */
                "eth0 198.18.0.5 " MAC5 " router router",
                "eth0 198.18.0.5 FAILED router",
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct load_entry e = {};
                const char *err = NULL;

                CHECK_INT_EQ(loadfile_parse_line(cases[i].line, &e, &err), 1);
                CHECK_INT_EQ(e.state, cases[i].state);
                CHECK_INT_EQ(e.flags, cases[i].flags);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK_INT_EQ(loadfile_parse_line(bad[i], NULL, NULL), -EINVAL);

        struct neigh_key k = { .ifname = "eth0", .family = AF_INET };
        struct record r = { .state = RECORD_STATIC, .source = SOURCE_LOAD, .flags = RECORD_FLAG_ROUTER };
        struct load_entry e = {};
        char *s;

        CHECK(inet_pton(AF_INET, "198.18.0.5", &k.addr.in) == 1);
        CHECK_INT_EQ(lladdr_from_string(MAC5, &r.lladdr), 0);
        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "eth0            198.18.0.5                              " MAC5 " router static\n");
        CHECK_INT_EQ(loadfile_parse_line(s, &e, NULL), 1);
        CHECK_INT_EQ(e.flags, RECORD_FLAG_ROUTER);
        CHECK_INT_EQ(e.state, RECORD_STATIC);
        free(s);
        r.state = RECORD_POSITIVE;
        memcpy(k.ifname, "42\0", 3); /* the ip neigh form */
        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "198.18.0.5 dev 42 lladdr " MAC5 " router STALE\n");
        CHECK_INT_EQ(loadfile_parse_line(s, &e, NULL), 1);
        CHECK_INT_EQ(e.flags, RECORD_FLAG_ROUTER);
        free(s);
}

static void test_format(void) {
        struct neigh_key k = { .ifname = "eth0", .family = AF_INET };
        struct record r = { .state = RECORD_POSITIVE, .source = SOURCE_ARP };
        char *s;

        CHECK(inet_pton(AF_INET, "198.18.0.5", &k.addr.in) == 1);
        CHECK_INT_EQ(lladdr_from_string(MAC5, &r.lladdr), 0);

        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "eth0            198.18.0.5                              " MAC5 "\n");
        free(s);

        r.state = RECORD_STATIC;
        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "eth0            198.18.0.5                              " MAC5 " static\n");
        free(s);

        r.state = RECORD_NEGATIVE;
        r.neg_since = NOW - 17 * USEC_PER_SEC - 900 * USEC_PER_MSEC; /* 17.9 s: whole seconds shown */
        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "eth0            198.18.0.5                              FAILED: 17s ago\n");
        free(s);
        r.neg_since = NOW + USEC_PER_SEC; /* clock stepped back */
        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "eth0            198.18.0.5                              FAILED: 0s ago\n");
        free(s);
        r.neg_since = 0;
        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "eth0            198.18.0.5                              FAILED: 0s ago\n");
        free(s);

        /* IPv6, long names and addresses just push the columns */
        k.family = AF_INET6;
        snprintf(k.ifname, sizeof(k.ifname), "br-0123456789ab");
        CHECK(inet_pton(AF_INET6, "2001:db80:1234:5678:9abc:def0:1234:5678", &k.addr.in6) == 1);
        r.state = RECORD_POSITIVE;
        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "br-0123456789ab 2001:db80:1234:5678:9abc:def0:1234:5678 " MAC5 "\n");
        free(s);

        /* records with no loadable form become comments */
        k.family = AF_INET;
        snprintf(k.ifname, sizeof(k.ifname), "eth0");
        CHECK(inet_pton(AF_INET, "198.18.0.5", &k.addr.in) == 1);
        r.lladdr.len = 0;
        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "# eth0 198.18.0.5 positive entry without a link-layer address\n");
        CHECK_INT_EQ(loadfile_parse_line(s, NULL, NULL), 0);
        free(s);
        r.state = 9;
        s = format(&k, &r, NOW);
        CHECK_STR_EQ(s, "# eth0 198.18.0.5 unknown state 9\n");
        CHECK_INT_EQ(loadfile_parse_line(s, NULL, NULL), 0);
        free(s);
}

/* ---- loading into a real store, as arpd -f does: loadfile_read(), then entry_load() ---- */

static char tmpdir[] = "/tmp/test-loadfile-XXXXXX";

static Store *open_store(const char *name) {
        char path[256];
        Store *s = NULL;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        CHECK_INT_EQ(store_open(path, &(struct store_options){}, &s), 0);
        return s;
}

/* Reads f and stores what it holds in one transaction; logs the reason of a failure. */
static int load_file(Store *s, FILE *f, const char *name, usec_t now) {
        struct load_list l = {};
        char err[512];
        int r;

        r = loadfile_read(f, name, &l, err, sizeof(err));
        if (r < 0) {
                log_error("%s", err);
                return r;
        }
        r = entry_load(s, l.entries, l.n, now, NULL, NULL);
        load_list_done(&l);
        return r;
}

/* Runs load_file on text, capturing what it logs. */
static int load_text(Store *s, const char *text, char *log, size_t log_size) {
        char logpath[256];
        FILE *f = fmemopen((void *) text, strlen(text), "r");
        int saved, fd, r;

        CHECK(f != NULL);
        if (!f)
                return -ENOMEM;
        snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
        fflush(stderr);
        saved = dup(STDERR_FILENO);
        fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(saved >= 0 && fd >= 0);
        dup2(fd, STDERR_FILENO);
        close(fd);
        r = load_file(s, f, "test.list", NOW);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        fclose(f);

        log[0] = '\0';
        FILE *lf = fopen(logpath, "re");
        if (lf) {
                size_t n = fread(log, 1, log_size - 1, lf);
                log[n] = '\0';
                fclose(lf);
        }
        return r;
}

static size_t count(Store *s) {
        size_t n = 999;
        CHECK_INT_EQ(store_count(s, &n), 0);
        return n;
}

static int dump_cb(const struct neigh_key *k, const struct record *r, void *userdata) {
        loadfile_format_line(userdata, k, r, NOW);
        return 0;
}

static char *dump(Store *s) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        CHECK(f != NULL);
        if (!f)
                return NULL;
        CHECK_INT_EQ(store_refresh(s), 0);
        CHECK_INT_EQ(store_foreach(s, NULL, 0, dump_cb, f), 0);
        fclose(f);
        return text;
}

static void put(StoreTxn *t, const char *ifname, const char *addr, int state, const char *mac, usec_t neg_since) {
        struct neigh_key k;
        struct record r = { .state = state, .source = SOURCE_ARP, .first_seen = 5, .last_seen = 6,
                            .neg_since = neg_since, .probes = 2 };
        union in_addr_union a;
        int family;

        CHECK_INT_EQ(in_addr_from_string(addr, &family, &a), 0);
        CHECK_INT_EQ(neigh_key_make(&k, ifname, family, &a), 0);
        if (mac)
                CHECK_INT_EQ(lladdr_from_string(mac, &r.lladdr), 0);
        CHECK_INT_EQ(store_txn_put(t, &k, &r), 0);
}

static void test_load_roundtrip(void) {
        Store *a = open_store("a.lmdb"), *b = open_store("b.lmdb");
        StoreTxn *t = NULL;
        char log[4096];
        char *text_a, *text_b;

        if (!a || !b)
                return;
        CHECK_INT_EQ(store_txn_begin(a, &t), 0);
        put(t, "eth0", "198.18.0.5", RECORD_POSITIVE, MAC5, 0);
        put(t, "eth0", "198.18.0.6", RECORD_STATIC, "02:00:00:00:00:06", 0);
        put(t, "eth0", "198.18.0.7", RECORD_NEGATIVE, NULL, NOW - 42 * USEC_PER_SEC);
        put(t, "eth0", "2001:db8::5", RECORD_POSITIVE, MAC5, 0);
        put(t, "eth1", "198.19.0.1", RECORD_NEGATIVE, "02:00:00:00:00:09", NOW - 3 * USEC_PER_SEC);
        put(t, "ib0", "198.19.1.1", RECORD_STATIC, "80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bb:cc", 0);
        CHECK_INT_EQ(store_txn_commit(t), 0);

        text_a = dump(a);
        CHECK(text_a && strstr(text_a, "FAILED: 42s ago") && strstr(text_a, " static\n"));
        CHECK_INT_EQ(load_text(b, text_a ? text_a : "", log, sizeof(log)), 6);
        CHECK_INT_EQ(count(b), 6);
        text_b = dump(b);
        CHECK_STR_EQ(text_b, text_a);

        /* what load stored, record by record */
        struct neigh_key k;
        struct record r;
        union in_addr_union u;
        CHECK(inet_pton(AF_INET, "198.18.0.7", &u.in) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, "eth0", AF_INET, &u), 0);
        CHECK_INT_EQ(store_get(b, &k, &r), 0);
        CHECK_INT_EQ(r.state, RECORD_NEGATIVE);
        CHECK_INT_EQ(r.source, SOURCE_LOAD);
        CHECK_INT_EQ(r.first_seen, NOW);
        CHECK_INT_EQ(r.last_seen, NOW);
        CHECK_INT_EQ(r.neg_since, NOW - 42 * USEC_PER_SEC);
        CHECK_INT_EQ(r.probes, 0);
        CHECK_INT_EQ(r.lladdr.len, 0);
        CHECK(inet_pton(AF_INET, "198.18.0.6", &u.in) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, "eth0", AF_INET, &u), 0);
        CHECK_INT_EQ(store_get(b, &k, &r), 0);
        CHECK_INT_EQ(r.state, RECORD_STATIC);
        CHECK_INT_EQ(r.source, SOURCE_LOAD);
        CHECK_INT_EQ(r.neg_since, 0);
        CHECK_STR_EQ(lladdr_to_string(&r.lladdr, (char[LLADDR_STRLEN]){}), "02:00:00:00:00:06");

        free(text_a);
        free(text_b);
        store_free(a);
        store_free(b);
}

static void test_load_errors(void) {
        Store *s = open_store("c.lmdb");
        char log[4096], text[512], lo[IF_NAMESIZE] = {};

        if (!s)
                return;

        /* one broken line: nothing stored, the line is named */
        CHECK_INT_EQ(load_text(s,
                               "# header\n"
                               "eth0 198.18.0.5 " MAC5 "\n"
                               "eth0 198.18.0.6 02:00:00:00:00:zz\n"
                               "eth0 198.18.0.7 FAILED: 1s ago\n",
                               log, sizeof(log)),
                     -EINVAL);
        CHECK(strstr(log, "test.list:3: invalid MAC address '02:00:00:00:00:zz'") != NULL);
        CHECK_INT_EQ(count(s), 0);

        /* the last line, without a newline */
        CHECK_INT_EQ(load_text(s, "eth0 198.18.0.5 " MAC5 "\n\neth0 198.18.0.6 " MAC5 " bogus", log, sizeof(log)),
                     -EINVAL);
        CHECK(strstr(log, "test.list:3: unexpected field 'bogus'") != NULL);
        CHECK_INT_EQ(count(s), 0);

        /* an unknown ifindex */
        CHECK_INT_EQ(load_text(s, "eth0 198.18.0.5 " MAC5 "\n2147483647 198.18.0.6 " MAC5 "\n", log, sizeof(log)),
                     -ENODEV);
        CHECK(strstr(log, "test.list:2:") != NULL && strstr(log, "ifindex 2147483647") != NULL);
        CHECK_INT_EQ(count(s), 0);

        /* a NUL byte inside a line */
        static const char nul[] = "eth0 198.18.0.5 " MAC5 "\neth0\0 198.18.0.6 " MAC5 "\n";
        FILE *f = fmemopen((void *) nul, sizeof(nul) - 1, "r");
        CHECK(f != NULL);
        if (f) {
                int saved_level = log_get_max_level();
                log_set_max_level(LOG_CRIT); /* keep the expected error out of the test log */
                CHECK_INT_EQ(load_file(s, f, "nul.list", NOW), -EINVAL);
                log_set_max_level(saved_level);
                fclose(f);
        }
        CHECK_INT_EQ(count(s), 0);

        /* a line up to LOADFILE_LINE_MAX bytes is read whole and rejected by its content; a longer
         * one is rejected as too long (the reader keeps a bounded buffer) */
        char *big = malloc(2 * LOADFILE_LINE_MAX);
        CHECK(big != NULL);
        if (big) {
                size_t n = LOADFILE_LINE_MAX - 1; /* with its newline: LOADFILE_LINE_MAX bytes */
                memset(big, ' ', n);
                memcpy(big, "eth0 198.18.0.5", 15);
                memcpy(big + n - 5, "junk\n", 6);
                CHECK_INT_EQ(load_text(s, big, log, sizeof(log)), -EINVAL);
                CHECK(strstr(log, "test.list:1: invalid MAC address 'junk'") != NULL);
                n = LOADFILE_LINE_MAX + 100;
                memset(big, ' ', n);
                memcpy(big, "eth0 198.18.0.5", 15);
                memcpy(big + n - 5, "junk\n", 6);
                CHECK_INT_EQ(load_text(s, big, log, sizeof(log)), -EINVAL);
                CHECK(strstr(log, "test.list:1: line longer than 65536 bytes") != NULL);
                free(big);
        }

        /* empty input, comments only: nothing to do */
        CHECK_INT_EQ(load_text(s, "", log, sizeof(log)), 0);
        CHECK_INT_EQ(load_text(s, "# nothing\n\n198.18.0.9 dev eth0 INCOMPLETE\n", log, sizeof(log)), 0);
        CHECK_INT_EQ(count(s), 0);

        /* a good file with every format, classic ifindex 1 (the loopback in every namespace) */
        CHECK(if_indextoname(1, lo) != NULL);
        snprintf(text, sizeof(text),
                 "1 198.18.0.5 " MAC5 "\r\n"
                 "198.18.0.6 dev eth0 lladdr 02:00:00:00:00:06 router REACHABLE\n"
                 "2001:db8::7 dev eth0 lladdr 02:00:00:00:00:07 PERMANENT\n"
                 "198.18.0.8 dev eth0 INCOMPLETE\n"
                 "eth1 198.18.0.9 FAILED: 10s ago # dead\n"
                 "eth1 198.18.0.9 02:00:00:00:00:09 static\n"); /* a later line wins */
        CHECK_INT_EQ(load_text(s, text, log, sizeof(log)), 5);
        CHECK_INT_EQ(count(s), 4);

        struct neigh_key k;
        struct record r;
        union in_addr_union u;
        char ll[LLADDR_STRLEN];
        CHECK(inet_pton(AF_INET, "198.18.0.5", &u.in) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, lo, AF_INET, &u), 0);
        CHECK_INT_EQ(store_get(s, &k, &r), 0);
        CHECK_INT_EQ(r.state, RECORD_POSITIVE);
        CHECK_STR_EQ(lladdr_to_string(&r.lladdr, ll), MAC5);
        CHECK(inet_pton(AF_INET, "198.18.0.9", &u.in) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, "eth1", AF_INET, &u), 0);
        CHECK_INT_EQ(store_get(s, &k, &r), 0);
        CHECK_INT_EQ(r.state, RECORD_STATIC);
        CHECK(inet_pton(AF_INET6, "2001:db8::7", &u.in6) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, "eth0", AF_INET6, &u), 0);
        CHECK_INT_EQ(store_get(s, &k, &r), 0);
        CHECK_INT_EQ(r.state, RECORD_STATIC);
        CHECK_INT_EQ(r.source, SOURCE_LOAD);

        /* a failing load leaves what an earlier one stored */
        CHECK_INT_EQ(load_text(s, "eth2 198.18.0.10 " MAC5 "\nbroken\n", log, sizeof(log)), -EINVAL);
        CHECK(strstr(log, "test.list:2: too few fields") != NULL);
        CHECK_INT_EQ(count(s), 4);

        CHECK_INT_EQ(entry_load(s, NULL, 0, NOW, NULL, NULL), 0);
        store_free(s);
}

/* A stream that hands out one line per read and renames the loopback (ifindex 1) to "lx0" just
 * before it hands out the second line: a load that looked the ifindex up per line would store the
 * later lines under the new name. */
struct rename_stream {
        const char *const *lines;
        size_t next;
};

static ssize_t rename_stream_read(void *cookie, char *buf, size_t size) {
        struct rename_stream *rs = cookie;
        const char *l = rs->lines[rs->next];
        size_t n;

        if (!l)
                return 0;
        if (rs->next == 1) {
                _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                struct ifreq ifr = {};

                snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", "lo");
                snprintf(ifr.ifr_newname, sizeof(ifr.ifr_newname), "%s", "lx0");
                if (fd < 0 || ioctl(fd, SIOCSIFNAME, &ifr) < 0) {
                        fprintf(stderr, "cannot rename lo: %m\n");
                        _exit(1);
                }
        }
        n = MIN(strlen(l), size);
        memcpy(buf, l, n);
        rs->next++;
        return (ssize_t) n;
}

static void child_ifindex_once(void) {
        static const char *const lines[] = { "1 198.18.0.5 " MAC5 "\n", "1 198.18.0.6 " MAC5 "\n",
                                             "1 198.18.0.7 FAILED: 3sec ago\n", NULL };
        struct rename_stream rs = { .lines = lines };
        char path[256], *text;
        Store *s = NULL;
        FILE *f;
        int r;

        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "unshare(CLONE_NEWNET): %m\n");
                _exit(77);
        }
        snprintf(path, sizeof(path), "%s/ifindex.lmdb", tmpdir);
        CHECK_INT_EQ(store_open(path, &(struct store_options){}, &s), 0);
        f = fopencookie(&rs, "r", (cookie_io_functions_t){ .read = rename_stream_read });
        CHECK(s && f);
        if (!s || !f)
                _exit(1);
        r = load_file(s, f, "ifindex.list", NOW);
        fclose(f);
        CHECK_INT_EQ(r, 3);
        CHECK_INT_EQ(rs.next, 3); /* the rename really happened in the middle of the load */
        text = dump(s);
        /* all three under the name ifindex 1 had when the load met it */
        CHECK(text && strstr(text, "lo              198.18.0.5 ") && strstr(text, "lo              198.18.0.6 ") &&
              strstr(text, "lo              198.18.0.7 ") && !strstr(text, "lx0"));
        if (text && strstr(text, "lx0"))
                fprintf(stderr, "stored:\n%s", text);
        free(text);
        store_free(s);
        _exit(tests_failed_ ? 1 : 0);
}

/* Classic "ifindex ip mac" lines: each ifindex is resolved once per load, so one load maps it to
 * one name even if the interface is renamed while the file is being read. */
static void test_load_ifindex_once(void) {
        run_netns_child(child_ifindex_once, "ifindex resolved once per load");
}

/* A load has no entry limit of its own: the store's max_entries bounds what it keeps. */
static void test_load_store_bound(void) {
        char path[256], log[4096];
        size_t size = 0;
        char *text = NULL;
        FILE *f = open_memstream(&text, &size);
        Store *s = NULL;

        CHECK(f != NULL);
        if (!f)
                return;
        for (int i = 0; i < 300; i++)
                fprintf(f, "eth0 198.18.%d.%d " MAC5 "\n", i / 256, i % 256);
        fclose(f);
        snprintf(path, sizeof(path), "%s/bound.lmdb", tmpdir);
        CHECK_INT_EQ(store_open(path, &(struct store_options){ .max_entries = 100 }, &s), 0);
        if (s) {
                CHECK_INT_EQ(load_text(s, text, log, sizeof(log)), 300);
                CHECK_INT_EQ(count(s), 100);
        }
        store_free(s);
        free(text);
}

/* The IPv4 fast path accepts exactly what inet_pton(AF_INET) accepts, with the same value. */
static void test_parse_in4(void) {
        static const char *const cases[] = {
                /* the parser's bounds, then malformed and valid forms inside 192.0.2.0/24 and
                 * 198.18.0.0/15 only (the tests' address rule) */
                "0.0.0.0", "255.255.255.255", "192.0.2.4", "198.18.0.1", "256.0.2.1", "192.0.2", "192.0.2.4.5",
                "0192.0.2.4", "192.00.2.4", "192.0.2.04", "00.0.2.1", "192..2.3", ".192.0.2", "192.0.2.",
                "192.0.2.255", "192.0.2.256", "999.0.2.1", "192.0.2.4a", "0xc0.0.2.4", "192.0.2.-4", "+192.0.2.4",
                "192.0.2.0", "198.19.0.10", "2001:db8::1", "::ffff:192.0.2.4", "192.0.2.4/24", "",
        };
        unsigned seed = 14;

        for (size_t i = 0; i < ELEMENTSOF(cases) + 20000; i++) {
                char addr[32], line[128];
                struct load_entry e;
                struct in_addr want;
                int ok, r;

                if (i < ELEMENTSOF(cases))
                        snprintf(addr, sizeof(addr), "%s", cases[i]);
                else {
                        /* random strings of digits and dots, up to 15 characters */
                        size_t n = 1 + (seed = seed * 1103515245 + 12345) % 15;
                        for (size_t k = 0; k < n; k++) {
                                seed = seed * 1103515245 + 12345;
                                addr[k] = (seed >> 16) % 4 == 0 ? '.' : (char) ('0' + (seed >> 8) % 10);
                        }
                        addr[n] = '\0';
                }
                if (!addr[0])
                        continue;
                ok = inet_pton(AF_INET, addr, &want) == 1;
                snprintf(line, sizeof(line), "1 %s 02:00:00:00:00:05", addr); /* classic: IPv4 only */
                r = loadfile_parse_line(line, &e, NULL);
                CHECK_INT_EQ(r, ok ? 1 : -EINVAL);
                if (ok && r == 1) {
                        CHECK_INT_EQ(e.family, AF_INET);
                        CHECK(memcmp(&e.addr.in, &want, 4) == 0);
                }
                snprintf(line, sizeof(line), "eth0 %s 02:00:00:00:00:05", addr); /* ours: IPv4 or IPv6 */
                r = loadfile_parse_line(line, &e, NULL);
                if (ok) {
                        CHECK_INT_EQ(r, 1);
                        CHECK(r != 1 || (e.family == AF_INET && memcmp(&e.addr.in, &want, 4) == 0));
                }
                if (tests_failed_) {
                        fprintf(stderr, "  (address: \"%s\")\n", addr);
                        break;
                }
        }
}

/* The MAC fast path ("xx:xx:xx:xx:xx:xx") accepts exactly what lladdr_from_string() accepts, with
 * the same value, and rejects an all-zero one the same way. */
static void test_parse_mac48(void) {
        static const char *const cases[] = {
                "02:00:5e:10:00:01", "02:AB:cd:Ef:00:01", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff",
                "02:4g:5e:10:00:01", "02-00-5e-10-00-01", "02:00:5e:10:00:0", "02:00:5e:10:00:011",
                "02:00:5e:10:0:001", "2:0:5e:10:00:01", "02:00:5e:10:00:01:", ":02:00:5e:10:00:0", "02::5e:10:00:011",
        };
        static const char alphabet[] = "0123456789abcdefABCDEFgG:-";
        unsigned seed = 48;

        for (size_t i = 0; i < ELEMENTSOF(cases) + 20000; i++) {
                char mac[32], line[128];
                struct load_entry e;
                struct lladdr want;
                int ok, r;

                if (i < ELEMENTSOF(cases))
                        snprintf(mac, sizeof(mac), "%s", cases[i]);
                else {
                        /* random 17-character strings, mostly of the right shape */
                        for (size_t k = 0; k < 17; k++) {
                                seed = seed * 1103515245 + 12345;
                                mac[k] = k % 3 == 2 && (seed >> 16) % 64 != 0 ? ':'
                                                                               : alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
                        }
                        mac[17] = '\0';
                }
                ok = lladdr_from_string(mac, &want) == 0 && !lladdr_is_zero(&want);
                snprintf(line, sizeof(line), "eth0 198.18.0.1 %s", mac);
                r = loadfile_parse_line(line, &e, NULL);
                CHECK_INT_EQ(r, ok ? 1 : -EINVAL);
                if (ok && r == 1)
                        CHECK(e.lladdr.len == want.len && memcmp(e.lladdr.bytes, want.bytes, want.len) == 0);
                snprintf(line, sizeof(line), "1 198.18.0.1 %s", mac); /* classic: exactly 6 octets */
                r = loadfile_parse_line(line, &e, NULL);
                CHECK_INT_EQ(r, ok && want.len == 6 ? 1 : -EINVAL);
                if (tests_failed_) {
                        fprintf(stderr, "  (MAC: \"%s\")\n", mac);
                        break;
                }
        }
}

/* ---- streaming: LoadReader and EntryLoad ---- */

/* A source that hands out at most 7 bytes per call and says -EAGAIN every other call: lines are
 * split across reads and the reader resumes after -EAGAIN without losing anything. */
struct trickle {
        const char *text;
        size_t off;
        unsigned calls;
};

static ssize_t trickle_read(void *userdata, void *buf, size_t n) {
        struct trickle *t = userdata;
        size_t k = MIN(MIN(n, (size_t) 7), strlen(t->text) - t->off);

        if (t->calls++ % 2 == 0)
                return -EAGAIN;
        memcpy(buf, t->text + t->off, k);
        t->off += k;
        return (ssize_t) k;
}

static void test_reader_pieces(void) {
        static const char text[] = "eth0 198.18.0.1 02:00:00:00:00:01\n# comment\n\n"
                                   "198.18.0.2 dev eth1 lladdr 02:00:00:00:00:02 STALE\r\n"
                                   "eth2 198.18.0.3 FAILED: 5s ago"; /* no newline at the end */
        struct trickle t = { .text = text };
        LoadReader *rd = NULL;
        struct load_entry e;
        unsigned again = 0, n = 0;
        int r;

        CHECK_INT_EQ(load_reader_new("pieces", trickle_read, &t, &rd), 0);
        while ((r = load_reader_next(rd, &e)) != 0) {
                if (r == -EAGAIN) {
                        again++;
                        CHECK(again < 1000);
                        if (again >= 1000)
                                break;
                        continue;
                }
                CHECK_INT_EQ(r, 1);
                if (r != 1)
                        break;
                n++;
                if (n == 1)
                        CHECK_STR_EQ(e.ifname, "eth0");
                if (n == 2) {
                        CHECK_STR_EQ(e.ifname, "eth1");
                        CHECK_INT_EQ(load_reader_line(rd), 4);
                }
                if (n == 3) {
                        CHECK_STR_EQ(e.ifname, "eth2");
                        CHECK_INT_EQ(e.state, RECORD_NEGATIVE);
                        CHECK_INT_EQ(load_reader_line(rd), 5);
                }
        }
        CHECK_INT_EQ(n, 3);
        CHECK(again > 0);
        CHECK_INT_EQ(load_reader_entries(rd), 3);
        CHECK_INT_EQ(load_reader_bytes(rd), strlen(text));
        CHECK_INT_EQ(load_reader_next(rd, &e), 0); /* stays at the end */
        CHECK_INT_EQ(load_reader_can_rewind(rd), false);
        CHECK_INT_EQ(load_reader_rewind(rd), -ESPIPE);
        load_reader_free(rd);

        /* an error is sticky and names the line */
        struct trickle bad = { .text = "eth0 198.18.0.1 02:00:00:00:00:01\neth0 198.18.0.2 zz\neth0 198.18.0.3 02:00:00:00:00:03\n" };
        CHECK_INT_EQ(load_reader_new("bad", trickle_read, &bad, &rd), 0);
        n = 0;
        while ((r = load_reader_next(rd, &e)) == -EAGAIN || r == 1)
                n += r == 1;
        CHECK_INT_EQ(n, 1);
        CHECK_INT_EQ(r, -EINVAL);
        CHECK_STR_EQ(load_reader_error(rd), "bad:2: invalid MAC address 'zz'");
        CHECK_INT_EQ(load_reader_next(rd, &e), -EINVAL);
        load_reader_free(rd);
}

static void write_file(const char *path, const char *text, const char *mode) {
        FILE *f = fopen(path, mode);

        CHECK(f != NULL);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

struct counting_observer {
        unsigned changed, folded_calls;
        uint64_t folded;
};

static void count_changed(const struct neigh_key *k, const struct record *old, const struct record *new, void *u) {
        ((struct counting_observer *) u)->changed++;
}

static void count_folded(uint64_t n, void *u) {
        ((struct counting_observer *) u)->folded += n;
        ((struct counting_observer *) u)->folded_calls++;
}

static size_t count_entries(Store *s) {
        size_t n = 0;

        CHECK_INT_EQ(store_count(s, &n), 0);
        return n;
}

/* A file: checked whole first (nothing written while checking), then written in chunks; the
 * observer sees its limit one by one and the rest folded. */
static void test_entry_load_chunks(void) {
        char path[256], text[4096] = "", line[96];
        Store *s = open_store("chunks.lmdb");
        struct counting_observer co = {};
        struct entry_observer o = { .changed = count_changed, .folded = count_folded, .userdata = &co, .limit = 4 };
        LoadReader *rd = NULL;
        EntryLoad *l = NULL;
        char err[512];
        int fd, r, steps = 0;

        for (int i = 1; i <= 10; i++) {
                snprintf(line, sizeof(line), "eth0 198.18.0.%d 02:00:00:00:00:%02x\n", i, i);
                strcat(text, line);
        }
        snprintf(path, sizeof(path), "%s/chunks.txt", tmpdir);
        write_file(path, text, "w");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        CHECK_INT_EQ(load_reader_new_fd("chunks.txt", fd, &rd), 0);
        CHECK(load_reader_can_rewind(rd));
        CHECK_INT_EQ(entry_load_new(s, rd, NOW, &o, NULL, NULL, &l), 0);
        entry_load_set_chunk(l, 3);
        while ((r = entry_load_step(l, 1, err, sizeof(err))) > 0) {
                steps++;
                if (entry_load_checking(l))
                        CHECK_INT_EQ(count_entries(s), 0);
        }
        CHECK_INT_EQ(r, 0);
        CHECK(steps >= 20); /* 10 lines checked, 10 written */
        CHECK_INT_EQ(entry_load_committed(l), 10);
        CHECK_INT_EQ(count_entries(s), 10);
        CHECK_INT_EQ(co.changed, 4);
        CHECK_INT_EQ(co.folded, 6);
        entry_load_free(l);
        load_reader_free(rd);

        /* the file changes between the passes: the chunks written stay, the error says so */
        CHECK_INT_EQ(lseek(fd, 0, SEEK_SET), 0);
        CHECK_INT_EQ(load_reader_new_fd("chunks.txt", fd, &rd), 0);
        CHECK_INT_EQ(entry_load_new(s, rd, NOW, NULL, NULL, NULL, &l), 0);
        entry_load_set_chunk(l, 3);
        while (entry_load_checking(l) && (r = entry_load_step(l, 1, err, sizeof(err))) > 0)
                ;
        write_file(path, "eth0 198.18.0.99 zz\n", "a");
        while ((r = entry_load_step(l, 1, err, sizeof(err))) > 0)
                ;
        CHECK_INT_EQ(r, -EINVAL);
        CHECK(strstr(err, "chunks.txt:11: invalid MAC address 'zz'") != NULL);
        CHECK(strstr(err, "the input changed during the load") != NULL);
        CHECK(strstr(err, "after 9 entries were stored") != NULL);
        if (!strstr(err, "after 9 entries"))
                fprintf(stderr, "err: %s\n", err);
        entry_load_free(l);
        load_reader_free(rd);
        close(fd);

        /* a bad last line: the check pass finds it, nothing is written */
        snprintf(path, sizeof(path), "%s/bad.txt", tmpdir);
        write_file(path, "eth1 198.18.1.1 02:00:00:00:01:01\neth1 198.18.1.2 02:00:00:00:01:02\neth1 224.0.0.1 02:00:00:00:01:03\n", "w");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        CHECK_INT_EQ(load_reader_new_fd("bad.txt", fd, &rd), 0);
        CHECK_INT_EQ(entry_load_new(s, rd, NOW, NULL, NULL, NULL, &l), 0);
        entry_load_set_chunk(l, 1);
        while ((r = entry_load_step(l, 1, err, sizeof(err))) > 0)
                ;
        CHECK_INT_EQ(r, -EINVAL);
        CHECK_STR_EQ(err, "bad.txt:3: multicast address, not a neighbour");
        CHECK_INT_EQ(entry_load_committed(l), 0);
        CHECK_INT_EQ(count_entries(s), 10);
        entry_load_free(l);
        load_reader_free(rd);
        close(fd);

        /* a pipe: one transaction, aborted by a bad last line */
        int p[2];
        CHECK_INT_EQ(pipe(p), 0);
        const char *ptext = "eth2 198.18.2.1 02:00:00:00:02:01\neth2 198.18.2.2 02:00:00:00:02:02\nbroken\n";
        CHECK_INT_EQ(write(p[1], ptext, strlen(ptext)), (ssize_t) strlen(ptext));
        close(p[1]);
        CHECK_INT_EQ(load_reader_new_fd("pipe", p[0], &rd), 0);
        CHECK(!load_reader_can_rewind(rd));
        CHECK_INT_EQ(entry_load_new(s, rd, NOW, NULL, NULL, NULL, &l), 0);
        entry_load_set_chunk(l, 1); /* no chunks for a pipe */
        while ((r = entry_load_step(l, 1, err, sizeof(err))) > 0)
                ;
        CHECK_INT_EQ(r, -EINVAL);
        CHECK_STR_EQ(err, "pipe:3: too few fields");
        CHECK_INT_EQ(entry_load_written(l), 2);
        CHECK_INT_EQ(entry_load_committed(l), 0);
        entry_load_free(l);
        CHECK_INT_EQ(count_entries(s), 10);
        load_reader_free(rd);
        close(p[0]);
        store_free(s);
}

static void test_load(void) {
        char cmd[128];

        CHECK(mkdtemp(tmpdir) != NULL);
        test_load_roundtrip();
        test_load_errors();
        test_load_ifindex_once();
        test_load_store_bound();
        test_entry_load_chunks();
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        CHECK(system(cmd) == 0);
}

int main(void) {
        TEST_RUN(test_parse_ours);
        TEST_RUN(test_parse_classic);
        TEST_RUN(test_parse_ip_neigh);
        TEST_RUN(test_parse_skip);
        TEST_RUN(test_parse_bad);
        TEST_RUN(test_format);
        TEST_RUN(test_router);
        TEST_RUN(test_digit_names);
        TEST_RUN(test_parse_in4);
        TEST_RUN(test_parse_mac48);
        TEST_RUN(test_reader_pieces);
        TEST_RUN(test_load);
        TEST_EXIT();
}
