/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <linux/neighbour.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "resolver.h"
#include "tests.h"

#ifndef NTF_EXT_MANAGED
#define NTF_EXT_MANAGED (1 << 0)
#endif

#define S USEC_PER_SEC
#define T0 ((usec_t) 1700000000 * S) /* a realistic CLOCK_REALTIME */
#define NOW (T0 + 1000 * S)
#define MONO ((usec_t) 5000 * S)

#define MAC_A "02:00:00:00:00:0a"
#define MAC_B "02:00:00:00:00:0b"
#define MAC_C "02:00:00:00:00:0c"

/* Counter lists in tables end with _STAT_MAX (the resolver never reports it). */
#define CNT(...) { __VA_ARGS__, _STAT_MAX }
#define NOCNT { _STAT_MAX }

/* ---- helpers ---- */

static struct lladdr mac(const char *s) {
        struct lladdr l = {};

        if (s && lladdr_from_string(s, &l) < 0) {
                fprintf(stderr, "bad test MAC %s\n", s);
                abort();
        }
        return l;
}

static int addr(const char *s, union in_addr_union *ret) {
        int family;

        if (in_addr_from_string(s, &family, ret) < 0) {
                fprintf(stderr, "bad test address %s\n", s);
                abort();
        }
        return family;
}

static struct resolver_config config(unsigned active_probes) {
        return (struct resolver_config) {
                .active_probes = active_probes,
                .negative_timeout = 60 * S,
                .learn_bogons = false,
                .touch_interval = 60 * S,
        };
}

/* Compares the result's counters with the _STAT_MAX-terminated list, as a multiset. */
static void check_counters(const char *name, const struct resolver_result *r, const enum stat_id *exp) {
        unsigned n_exp = 0;
        bool used[RESOLVER_MAX_COUNTERS] = {};
        bool ok = true;

        while (exp[n_exp] != _STAT_MAX)
                n_exp++;

        if (r->n_counters > RESOLVER_MAX_COUNTERS || r->n_counters != n_exp)
                ok = false;
        for (unsigned i = 0; ok && i < n_exp; i++) {
                bool found = false;

                for (unsigned j = 0; j < r->n_counters; j++)
                        if (!used[j] && r->counters[j] == exp[i]) {
                                used[j] = found = true;
                                break;
                        }
                if (!found)
                        ok = false;
        }
        if (ok)
                return;

        fprintf(stderr, "%s: counters differ: got", name);
        for (unsigned j = 0; j < r->n_counters && j < RESOLVER_MAX_COUNTERS; j++)
                fprintf(stderr, " %s", stat_name(r->counters[j]));
        fprintf(stderr, "; expected");
        for (unsigned i = 0; i < n_exp; i++)
                fprintf(stderr, " %s", stat_name(exp[i]));
        fprintf(stderr, "\n");
        tests_failed_++;
}

#define CHECK_CASE(name, cond)                                                         \
        do {                                                                           \
                if (!(cond)) {                                                         \
                        fprintf(stderr, "%s:%d: [%s] failed: %s\n", __FILE__, __LINE__, \
                                name, #cond);                                          \
                        tests_failed_++;                                               \
                }                                                                      \
        } while (0)

#define CHECK_CASE_INT(name, a, b)                                                     \
        do {                                                                           \
                long long a_ = (long long) (a), b_ = (long long) (b);                  \
                if (a_ != b_) {                                                        \
                        fprintf(stderr, "%s:%d: [%s] %s == %s failed: %lld != %lld\n", \
                                __FILE__, __LINE__, name, #a, #b, a_, b_);             \
                        tests_failed_++;                                               \
                }                                                                      \
        } while (0)

/* A record as a table row describes it. */
enum rec_kind { R_NONE, R_POS, R_NEG, R_STATIC, R_GARBAGE };
struct rec_spec {
        enum rec_kind kind;
        enum record_source source;
        const char *mac;
        usec_t first, last, neg_since;
        uint32_t probes;
};

static bool rec_make(const struct rec_spec *s, struct record *r) {
        if (s->kind == R_NONE)
                return false;
        *r = (struct record) {
                .state = s->kind == R_POS      ? RECORD_POSITIVE :
                         s->kind == R_NEG      ? RECORD_NEGATIVE :
                         s->kind == R_STATIC   ? RECORD_STATIC :
                                                 (enum record_state) 99,
                .source = s->source,
                .lladdr = mac(s->mac),
                .first_seen = s->first,
                .last_seen = s->last,
                .neg_since = s->neg_since,
                .probes = s->probes,
        };
        return true;
}

static void check_record(const char *name, const struct record *got, const struct rec_spec *exp) {
        struct record e;

        CHECK_CASE(name, rec_make(exp, &e));
        CHECK_CASE_INT(name, got->state, e.state);
        CHECK_CASE_INT(name, got->source, e.source);
        CHECK_CASE(name, lladdr_equal(&got->lladdr, &e.lladdr));
        CHECK_CASE_INT(name, got->first_seen, e.first_seen);
        CHECK_CASE_INT(name, got->last_seen, e.last_seen);
        CHECK_CASE_INT(name, got->neg_since, e.neg_since);
        CHECK_CASE_INT(name, got->probes, e.probes);
}

/* ---- the wire ---- */

static const struct in_prefix *link_prefixes(size_t *n) {
        static struct in_prefix p[4];
        static bool init;

        if (!init) {
                p[0] = (struct in_prefix) { .prefixlen = 24 };
                p[0].family = addr("198.18.1.10", &p[0].addr);
                p[1] = (struct in_prefix) { .prefixlen = 24 };
                p[1].family = addr("192.0.2.1", &p[1].addr);
                p[2] = (struct in_prefix) { .prefixlen = 64 };
                p[2].family = addr("2001:db8::1", &p[2].addr);
                p[3] = (struct in_prefix) { .prefixlen = 64 };
                p[3].family = addr("fe80::1", &p[3].addr);
                init = true;
        }
        *n = ELEMENTSOF(p);
        return p;
}

enum link_kind { L_FULL, L_V4_ONLY, L_EMPTY };

struct observe_case {
        const char *name;
        bool learn_bogons;
        bool no_override;     /* an NA without the Override flag */
        usec_t touch_interval; /* 0 here means "the default 60 s" unless touch_zero */
        bool touch_zero;
        enum link_kind link;
        int family_override;
        const char *ip;
        const char *mac;      /* NULL: empty lladdr */
        const char *eth_src;  /* NULL: unknown */
        enum record_source source;
        struct rec_spec cur;
        enum resolver_write write;
        struct rec_spec exp;  /* for WRITE_PUT */
        enum resolver_event event;
        const char *old_mac;  /* for events */
        enum stat_id counters[RESOLVER_MAX_COUNTERS + 1];
};

static const struct observe_case observe_cases[] = {
        /* learning */
        { "new arp", .ip = "198.18.1.20", .mac = MAC_A, .source = SOURCE_ARP,
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, NOW, NOW },
          .counters = CNT(STAT_ARP_NEW) },
        { "new ndp", .ip = "2001:db8::5", .mac = MAC_A, .source = SOURCE_NDP,
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_NDP, MAC_A, NOW, NOW },
          .counters = CNT(STAT_NDP_NEW) },
        { "new link-local v6", .ip = "fe80::5", .mac = MAC_A, .source = SOURCE_NDP,
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_NDP, MAC_A, NOW, NOW },
          .counters = CNT(STAT_NDP_NEW) },
        { "link-local v6 on a link without IPv6 prefixes", .link = L_V4_ONLY, .ip = "fe80::5",
          .mac = MAC_A, .source = SOURCE_NDP, .write = WRITE_PUT,
          .exp = { R_POS, SOURCE_NDP, MAC_A, NOW, NOW }, .counters = CNT(STAT_NDP_NEW) },
        { "link-local v6 on a link without any prefix", .link = L_EMPTY, .ip = "fe80::1:2:3:4",
          .mac = MAC_A, .source = SOURCE_NDP, .write = WRITE_PUT,
          .exp = { R_POS, SOURCE_NDP, MAC_A, NOW, NOW }, .counters = CNT(STAT_NDP_NEW) },
        { "febf:: is still link-local (fe80::/10)", .link = L_EMPTY, .ip = "febf::1", .mac = MAC_A,
          .source = SOURCE_NDP, .write = WRITE_PUT, .exp = { R_POS, SOURCE_NDP, MAC_A, NOW, NOW },
          .counters = CNT(STAT_NDP_NEW) },
        { "fec0:: is not link-local", .link = L_EMPTY, .ip = "fec0::1", .mac = MAC_A,
          .source = SOURCE_NDP, .counters = CNT(STAT_REJ_OUT_OF_SUBNET) },
        { "ndp mac changed", .ip = "2001:db8::5", .mac = MAC_B, .source = SOURCE_NDP,
          .cur = { R_POS, SOURCE_NDP, MAC_A, T0, NOW - 1 * S },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_NDP, MAC_B, T0, NOW },
          .event = EVENT_MAC_CHANGED, .old_mac = MAC_A, .counters = CNT(STAT_NDP_CHANGED) },
        /* RFC 4861 7.2.5: an NA with O=0 does not replace a known binding */
        { "ndp O=0, other mac: kept", .no_override = true, .ip = "2001:db8::5", .mac = MAC_B,
          .source = SOURCE_NDP, .cur = { R_POS, SOURCE_NDP, MAC_A, T0, NOW - 1 * S },
          .counters = CNT(STAT_NDP_NO_OVERRIDE) },
        { "ndp O=0, new: learned", .no_override = true, .ip = "2001:db8::5", .mac = MAC_B,
          .source = SOURCE_NDP, .write = WRITE_PUT, .exp = { R_POS, SOURCE_NDP, MAC_B, NOW, NOW },
          .counters = CNT(STAT_NDP_NEW) },
        { "ndp O=0, same mac: touch", .no_override = true, .ip = "2001:db8::5", .mac = MAC_A,
          .source = SOURCE_NDP, .cur = { R_POS, SOURCE_NDP, MAC_A, T0, NOW - 100 * S },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_NDP, MAC_A, T0, NOW }, .counters = NOCNT },
        { "ndp O=0, negative: revived", .no_override = true, .ip = "2001:db8::5", .mac = MAC_B,
          .source = SOURCE_NDP, .cur = { R_NEG, SOURCE_PROBE, MAC_A, T0, T0, NOW - S, 1 },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_NDP, MAC_B, T0, NOW }, .counters = CNT(STAT_NDP_REVIVED) },
        { "ndp negative revived", .ip = "2001:db8::5", .mac = MAC_A, .source = SOURCE_NDP,
          .cur = { R_NEG, SOURCE_PROBE, NULL, T0, T0, NOW - S, 1 },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_NDP, MAC_A, T0, NOW },
          .counters = CNT(STAT_NDP_REVIVED) },
        { "ndp same mac, recent: nothing", .ip = "2001:db8::5", .mac = MAC_A, .source = SOURCE_NDP,
          .cur = { R_POS, SOURCE_KERNEL, MAC_A, T0, NOW - S }, .counters = NOCNT },
        { "ndp eth mismatch", .ip = "2001:db8::5", .mac = MAC_A, .eth_src = MAC_B,
          .source = SOURCE_NDP, .write = WRITE_PUT, .exp = { R_POS, SOURCE_NDP, MAC_A, NOW, NOW },
          .counters = CNT(STAT_NDP_NEW, STAT_NDP_ETH_MISMATCH) },
        { "ndp static conflict", .ip = "2001:db8::5", .mac = MAC_B, .source = SOURCE_NDP,
          .cur = { R_STATIC, SOURCE_LOAD, MAC_A, T0, T0 },
          .event = EVENT_STATIC_CONFLICT, .old_mac = MAC_A,
          .counters = CNT(STAT_REJ_STATIC_CONFLICT) },
        { "ndp multicast mac", .ip = "2001:db8::5", .mac = "33:33:00:00:00:01", .source = SOURCE_NDP,
          .counters = CNT(STAT_REJ_SENDER_MAC) },
        { "ndp zero mac", .ip = "2001:db8::5", .mac = "00:00:00:00:00:00", .source = SOURCE_NDP,
          .counters = CNT(STAT_REJ_SENDER_MAC) },
        { "ndp unspecified sender (DAD)", .ip = "::", .mac = MAC_A, .source = SOURCE_NDP,
          .counters = CNT(STAT_REJ_DAD_PROBE) },
        { "ndp loopback sender", .ip = "::1", .mac = MAC_A, .source = SOURCE_NDP,
          .counters = CNT(STAT_REJ_SENDER_IP) },
        { "new in second prefix", .ip = "192.0.2.77", .mac = MAC_A, .source = SOURCE_ARP,
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, NOW, NOW },
          .counters = CNT(STAT_ARP_NEW) },
        { "unknown record state is treated as absent", .ip = "198.18.1.20", .mac = MAC_A,
          .source = SOURCE_ARP, .cur = { R_GARBAGE, SOURCE_ARP, MAC_B, T0, T0 },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, NOW, NOW },
          .counters = CNT(STAT_ARP_NEW) },

        /* rejections, one counter each */
        { "dad probe v4", .ip = "0.0.0.0", .mac = MAC_A, .counters = CNT(STAT_REJ_DAD_PROBE) },
        { "dad probe v6", .ip = "::", .mac = MAC_A, .counters = CNT(STAT_REJ_DAD_PROBE) },
        { "dad probe wins over zero mac", .ip = "0.0.0.0", .mac = "00:00:00:00:00:00",
          .counters = CNT(STAT_REJ_DAD_PROBE) },
        { "zero mac", .ip = "198.18.1.20", .mac = "00:00:00:00:00:00",
          .counters = CNT(STAT_REJ_SENDER_MAC) },
        { "multicast mac", .ip = "198.18.1.20", .mac = "01:00:5e:00:00:01",
          .counters = CNT(STAT_REJ_SENDER_MAC) },
        { "broadcast mac", .ip = "198.18.1.20", .mac = "ff:ff:ff:ff:ff:ff",
          .counters = CNT(STAT_REJ_SENDER_MAC) },
        { "empty mac", .ip = "198.18.1.20", .mac = NULL, .counters = CNT(STAT_REJ_SENDER_MAC) },
        { "bad mac wins over bogus ip", .ip = "127.0.0.1", .mac = "00:00:00:00:00:00",
          .counters = CNT(STAT_REJ_SENDER_MAC) },
        { "loopback sender", .ip = "127.0.0.1", .mac = MAC_A, .counters = CNT(STAT_REJ_SENDER_IP) },
        { "this-network sender", .ip = "0.1.2.3", .mac = MAC_A, .counters = CNT(STAT_REJ_SENDER_IP) },
        { "multicast sender", .ip = "224.0.0.1", .mac = MAC_A, .counters = CNT(STAT_REJ_SENDER_IP) },
        { "limited broadcast sender", .ip = "255.255.255.255", .mac = MAC_A,
          .counters = CNT(STAT_REJ_SENDER_IP) },
        { "class e sender", .ip = "240.1.1.1", .mac = MAC_A, .counters = CNT(STAT_REJ_SENDER_IP) },
        { "subnet broadcast /24", .ip = "198.18.1.255", .mac = MAC_A,
          .counters = CNT(STAT_REJ_SENDER_IP) },
        { "subnet broadcast of the second prefix", .ip = "192.0.2.255", .mac = MAC_A,
          .counters = CNT(STAT_REJ_SENDER_IP) },
        { "v6 loopback", .ip = "::1", .mac = MAC_A, .counters = CNT(STAT_REJ_SENDER_IP) },
        { "v6 multicast", .ip = "ff02::1", .mac = MAC_A, .counters = CNT(STAT_REJ_SENDER_IP) },
        { "v6 v4-mapped", .ip = "::ffff:198.18.1.20", .mac = MAC_A,
          .counters = CNT(STAT_REJ_SENDER_IP) },
        { "bogus ip wins over subnet", .ip = "127.0.0.1", .mac = MAC_A, .link = L_EMPTY,
          .counters = CNT(STAT_REJ_SENDER_IP) },
        { "out of subnet v4", .ip = "198.18.2.5", .mac = MAC_A,
          .counters = CNT(STAT_REJ_OUT_OF_SUBNET) },
        { "out of subnet v6", .ip = "2001:db9::5", .mac = MAC_A,
          .counters = CNT(STAT_REJ_OUT_OF_SUBNET) },
        { "v6 on a v4-only link", .ip = "2001:db8::5", .mac = MAC_A, .link = L_V4_ONLY,
          .counters = CNT(STAT_REJ_OUT_OF_SUBNET) },
        { "link without prefixes", .ip = "198.18.1.20", .mac = MAC_A, .link = L_EMPTY,
          .counters = CNT(STAT_REJ_OUT_OF_SUBNET) },
        { "unknown family", .family_override = AF_UNIX, .ip = "198.18.1.20", .mac = MAC_A,
          .counters = CNT(STAT_REJ_MALFORMED) },
        { "rejection does not touch the record", .ip = "198.18.1.20", .mac = "01:00:5e:00:00:01",
          .cur = { R_POS, SOURCE_ARP, MAC_A, T0, T0 }, .counters = CNT(STAT_REJ_SENDER_MAC) },

        /* --learn-bogons lifts the subnet rule only */
        { "learn-bogons: out of subnet learned", .learn_bogons = true, .ip = "198.18.2.5",
          .mac = MAC_A, .source = SOURCE_ARP, .write = WRITE_PUT,
          .exp = { R_POS, SOURCE_ARP, MAC_A, NOW, NOW }, .counters = CNT(STAT_ARP_NEW) },
        { "learn-bogons: link without prefixes", .learn_bogons = true, .link = L_EMPTY,
          .ip = "2001:db9::5", .mac = MAC_A, .source = SOURCE_NDP, .write = WRITE_PUT,
          .exp = { R_POS, SOURCE_NDP, MAC_A, NOW, NOW }, .counters = CNT(STAT_NDP_NEW) },
        { "learn-bogons: loopback still rejected", .learn_bogons = true, .ip = "127.0.0.1",
          .mac = MAC_A, .counters = CNT(STAT_REJ_SENDER_IP) },
        { "learn-bogons: subnet broadcast still rejected", .learn_bogons = true,
          .ip = "198.18.1.255", .mac = MAC_A, .counters = CNT(STAT_REJ_SENDER_IP) },
        { "learn-bogons: dad still rejected", .learn_bogons = true, .ip = "0.0.0.0", .mac = MAC_A,
          .counters = CNT(STAT_REJ_DAD_PROBE) },

        /* Ethernet source vs ARP sender */
        { "eth mismatch learned and counted", .ip = "198.18.1.20", .mac = MAC_A, .eth_src = MAC_B,
          .source = SOURCE_ARP, .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, NOW, NOW },
          .counters = CNT(STAT_ARP_NEW, STAT_ARP_ETH_MISMATCH) },
        { "eth match not counted", .ip = "198.18.1.20", .mac = MAC_A, .eth_src = MAC_A,
          .source = SOURCE_ARP, .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, NOW, NOW },
          .counters = CNT(STAT_ARP_NEW) },
        { "eth mismatch on an unchanged binding", .ip = "198.18.1.20", .mac = MAC_A,
          .eth_src = MAC_B, .source = SOURCE_ARP,
          .cur = { R_POS, SOURCE_ARP, MAC_A, T0, NOW - 10 * S },
          .counters = CNT(STAT_ARP_ETH_MISMATCH) },
        { "eth mismatch not counted on a rejected frame", .ip = "198.18.2.5", .mac = MAC_A,
          .eth_src = MAC_B, .counters = CNT(STAT_REJ_OUT_OF_SUBNET) },

        /* touch interval */
        { "same mac, recently seen: no write", .ip = "198.18.1.20", .mac = MAC_A,
          .source = SOURCE_ARP, .cur = { R_POS, SOURCE_ARP, MAC_A, T0, NOW - 59 * S },
          .counters = NOCNT },
        { "same mac, touch due: last_seen refreshed, source kept", .ip = "198.18.1.20",
          .mac = MAC_A, .source = SOURCE_ARP,
          .cur = { R_POS, SOURCE_KERNEL, MAC_A, T0, NOW - 60 * S },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_KERNEL, MAC_A, T0, NOW },
          .counters = NOCNT },
        { "same mac, last_seen in the future: rewritten", .ip = "198.18.1.20", .mac = MAC_A,
          .source = SOURCE_ARP, .cur = { R_POS, SOURCE_ARP, MAC_A, T0, NOW + 3600 * S },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, T0, NOW }, .counters = NOCNT },
        { "touch interval 0: every frame rewrites", .touch_zero = true, .ip = "198.18.1.20",
          .mac = MAC_A, .source = SOURCE_ARP, .cur = { R_POS, SOURCE_ARP, MAC_A, T0, NOW },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, T0, NOW }, .counters = NOCNT },
        { "custom touch interval", .touch_interval = 5 * S, .ip = "198.18.1.20", .mac = MAC_A,
          .source = SOURCE_ARP, .cur = { R_POS, SOURCE_ARP, MAC_A, T0, NOW - 5 * S },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, T0, NOW }, .counters = NOCNT },

        /* change */
        { "mac changed", .ip = "198.18.1.20", .mac = MAC_B, .source = SOURCE_ARP,
          .cur = { R_POS, SOURCE_KERNEL, MAC_A, T0, NOW - 1 * S },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_B, T0, NOW },
          .event = EVENT_MAC_CHANGED, .old_mac = MAC_A, .counters = CNT(STAT_ARP_CHANGED) },
        { "mac changed, length differs", .ip = "198.18.1.20", .mac = MAC_B, .source = SOURCE_ARP,
          .cur = { R_POS, SOURCE_ARP, "02:00:00:00:00:0b:00:01", T0, T0 },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_B, T0, NOW },
          .event = EVENT_MAC_CHANGED, .old_mac = "02:00:00:00:00:0b:00:01",
          .counters = CNT(STAT_ARP_CHANGED) },

        /* revive */
        { "negative revived", .ip = "198.18.1.20", .mac = MAC_B, .source = SOURCE_ARP,
          .cur = { R_NEG, SOURCE_KERNEL, MAC_A, T0, T0 + S, NOW - 10 * S, 2 },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_B, T0, NOW },
          .counters = CNT(STAT_ARP_REVIVED) },
        { "expired negative revived", .ip = "198.18.1.20", .mac = MAC_A, .source = SOURCE_ARP,
          .cur = { R_NEG, SOURCE_PROBE, NULL, T0, T0, T0, 3 },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, T0, NOW },
          .counters = CNT(STAT_ARP_REVIVED) },
        { "negative without first_seen revived", .ip = "198.18.1.20", .mac = MAC_A,
          .source = SOURCE_ARP, .cur = { R_NEG, SOURCE_PROBE, NULL, 0, 0, NOW - S, 1 },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, NOW, NOW },
          .counters = CNT(STAT_ARP_REVIVED) },

        /* static */
        { "static same mac, recent", .ip = "198.18.1.20", .mac = MAC_A, .source = SOURCE_ARP,
          .cur = { R_STATIC, SOURCE_LOAD, MAC_A, T0, NOW - S }, .counters = NOCNT },
        { "static same mac, touch due", .ip = "198.18.1.20", .mac = MAC_A, .source = SOURCE_ARP,
          .cur = { R_STATIC, SOURCE_LOAD, MAC_A, T0, NOW - 61 * S },
          .write = WRITE_PUT, .exp = { R_STATIC, SOURCE_LOAD, MAC_A, T0, NOW }, .counters = NOCNT },
        { "static conflict", .ip = "198.18.1.20", .mac = MAC_B, .source = SOURCE_ARP,
          .cur = { R_STATIC, SOURCE_CONTROL, MAC_A, T0, T0 },
          .event = EVENT_STATIC_CONFLICT, .old_mac = MAC_A,
          .counters = CNT(STAT_REJ_STATIC_CONFLICT) },
        { "static conflict with eth mismatch", .ip = "198.18.1.20", .mac = MAC_B,
          .eth_src = MAC_C, .source = SOURCE_ARP, .cur = { R_STATIC, SOURCE_LOAD, MAC_A, T0, T0 },
          .event = EVENT_STATIC_CONFLICT, .old_mac = MAC_A,
          .counters = CNT(STAT_REJ_STATIC_CONFLICT, STAT_ARP_ETH_MISMATCH) },
};

static void test_observe_table(void) {
        size_t n_full;
        const struct in_prefix *full = link_prefixes(&n_full);

        for (size_t i = 0; i < ELEMENTSOF(observe_cases); i++) {
                const struct observe_case *t = &observe_cases[i];
                struct resolver_config c = config(0);
                struct link_view link = { .ifname = "eth0", .prefixes = full, .n_prefixes = n_full };
                struct observation o = { .source = t->source, .no_override = t->no_override };
                struct record cur_rec, *cur = NULL;
                struct resolver_result r;

                if (t->link == L_V4_ONLY)
                        link.n_prefixes = 2; /* the IPv4 ones come first */
                else if (t->link == L_EMPTY)
                        link = (struct link_view) { .ifname = "eth0" };
                c.learn_bogons = t->learn_bogons;
                if (t->touch_zero)
                        c.touch_interval = 0;
                else if (t->touch_interval > 0)
                        c.touch_interval = t->touch_interval;

                o.family = addr(t->ip, &o.addr);
                if (t->family_override)
                        o.family = t->family_override;
                o.lladdr = mac(t->mac);
                o.eth_src = mac(t->eth_src);
                if (rec_make(&t->cur, &cur_rec))
                        cur = &cur_rec;

                memset(&r, 0xaa, sizeof(r)); /* the entry point must reset everything */
                resolver_observe(&c, &link, &o, cur, NOW, &r);

                check_counters(t->name, &r, t->counters);
                CHECK_CASE_INT(t->name, r.write, t->write);
                CHECK_CASE_INT(t->name, r.reply, REPLY_NONE);
                CHECK_CASE(t->name, !r.probe);
                CHECK_CASE_INT(t->name, r.event, t->event);
                if (t->write == WRITE_PUT)
                        check_record(t->name, &r.record, &t->exp);
                if (t->event != EVENT_NONE) {
                        struct lladdr old = mac(t->old_mac), seen = mac(t->mac);

                        CHECK_CASE(t->name, lladdr_equal(&r.old_lladdr, &old));
                        CHECK_CASE(t->name, lladdr_equal(&r.record.lladdr, &seen));
                        if (t->event == EVENT_STATIC_CONFLICT)
                                CHECK_CASE(t->name, lladdr_equal(&r.answer_lladdr, &seen));
                }
                if (t->event == EVENT_NONE)
                        CHECK_CASE_INT(t->name, r.old_lladdr.len, 0);
        }
}

/* ---- the kernel's neighbour table ---- */

struct kernel_case {
        const char *name;
        bool deleted;
        enum neigh_origin origin;
        uint32_t pid;
        bool from_self;
        bool quiet_kernel;   /* mcast_solicit=0: the kernel does not broadcast itself */
        usec_t max_age;
        int family_override;
        const char *ip;
        uint16_t state;
        uint8_t flags;
        uint32_t ext_flags;
        bool has_lladdr;
        const char *mac;
        struct rec_spec cur;
        enum resolver_write write;
        struct rec_spec exp;
        enum resolver_event event;
        const char *old_mac;
        enum stat_id counters[RESOLVER_MAX_COUNTERS + 1];
};

#define POS_A { R_POS, SOURCE_ARP, MAC_A, T0, NOW - 10 * S }

static const struct kernel_case kernel_cases[] = {
        /* nothing to do */
        { "deleted", .deleted = true, .ip = "198.18.1.20", .state = NUD_STALE, .has_lladdr = true,
          .mac = MAC_B, .cur = POS_A, .counters = NOCNT },
        { "deleted failed", .deleted = true, .ip = "198.18.1.20", .state = NUD_FAILED,
          .cur = POS_A, .counters = NOCNT },
        { "deleted proxy", .deleted = true, .ip = "198.18.1.20", .state = NUD_NONE,
          .flags = NTF_PROXY, .counters = NOCNT },

        /* skipped */
        { "proxy", .ip = "198.18.1.20", .state = NUD_STALE, .flags = NTF_PROXY, .has_lladdr = true,
          .mac = MAC_A, .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "noarp", .ip = "198.18.1.20", .state = NUD_NOARP, .has_lladdr = true, .mac = MAC_A,
          .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "none", .ip = "198.18.1.20", .state = NUD_NONE, .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "bogus address", .ip = "127.0.0.1", .state = NUD_REACHABLE, .has_lladdr = true,
          .mac = MAC_A, .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "bogus v6 address", .ip = "ff02::1", .state = NUD_REACHABLE, .has_lladdr = true,
          .mac = MAC_A, .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "unknown family", .family_override = AF_UNIX, .ip = "198.18.1.20",
          .state = NUD_REACHABLE, .has_lladdr = true, .mac = MAC_A,
          .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "zero lladdr", .ip = "198.18.1.20", .state = NUD_REACHABLE, .has_lladdr = true,
          .mac = "00:00:00:00:00:00", .cur = POS_A, .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "multicast lladdr", .ip = "198.18.1.20", .state = NUD_STALE, .has_lladdr = true,
          .mac = "33:33:00:00:00:01", .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "broadcast lladdr", .ip = "198.18.1.20", .state = NUD_STALE, .has_lladdr = true,
          .mac = "ff:ff:ff:ff:ff:ff", .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "reachable without lladdr", .ip = "198.18.1.20", .state = NUD_REACHABLE,
          .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "permanent with empty lladdr", .ip = "198.18.1.20", .state = NUD_PERMANENT,
          .has_lladdr = true, .mac = NULL, .counters = CNT(STAT_KERNEL_SKIPPED) },
        { "unknown state", .ip = "198.18.1.20", .state = 0x100, .has_lladdr = true, .mac = MAC_A,
          .counters = CNT(STAT_KERNEL_SKIPPED) },

        /* transitional: silent */
        { "incomplete", .ip = "198.18.1.20", .state = NUD_INCOMPLETE, .counters = NOCNT },
        { "incomplete with lladdr", .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .has_lladdr = true, .mac = MAC_A, .counters = NOCNT },
        { "probe without lladdr", .ip = "198.18.1.20", .state = NUD_PROBE, .cur = POS_A,
          .counters = NOCNT },
        { "delay without lladdr", .ip = "198.18.1.20", .state = NUD_DELAY, .counters = NOCNT },

        /* failures */
        { "admin delete", .origin = NEIGH_ORIGIN_EVENT, .pid = 4242, .ip = "198.18.1.20",
          .state = NUD_FAILED, .cur = POS_A, .counters = CNT(STAT_KERNEL_ADMIN_DELETE) },
        { "admin delete of unknown", .origin = NEIGH_ORIGIN_EVENT, .pid = 4242,
          .ip = "198.18.1.20", .state = NUD_FAILED, .counters = CNT(STAT_KERNEL_ADMIN_DELETE) },
        { "failed, positive -> negative", .origin = NEIGH_ORIGIN_EVENT, .ip = "198.18.1.20",
          .state = NUD_FAILED, .cur = POS_A, .write = WRITE_PUT,
          .exp = { R_NEG, SOURCE_KERNEL, MAC_A, T0, NOW - 10 * S, NOW, 0 },
          .counters = CNT(STAT_KERNEL_FAILED) },
        { "failed in a dump (pid set) -> negative", .origin = NEIGH_ORIGIN_DUMP, .pid = 4242,
          .ip = "198.18.1.20", .state = NUD_FAILED, .cur = POS_A, .write = WRITE_PUT,
          .exp = { R_NEG, SOURCE_KERNEL, MAC_A, T0, NOW - 10 * S, NOW, 0 },
          .counters = CNT(STAT_KERNEL_FAILED) },
        { "failed, unknown -> negative", .ip = "198.18.1.20", .state = NUD_FAILED,
          .write = WRITE_PUT, .exp = { R_NEG, SOURCE_KERNEL, NULL, NOW, NOW, NOW, 0 },
          .counters = CNT(STAT_KERNEL_FAILED) },
        { "failed v6, unknown -> negative", .ip = "fe80::7", .state = NUD_FAILED,
          .write = WRITE_PUT, .exp = { R_NEG, SOURCE_KERNEL, NULL, NOW, NOW, NOW, 0 },
          .counters = CNT(STAT_KERNEL_FAILED) },
        { "failed, valid negative kept", .ip = "198.18.1.20", .state = NUD_FAILED,
          .cur = { R_NEG, SOURCE_PROBE, NULL, T0, T0, NOW - 30 * S, 2 },
          .counters = CNT(STAT_KERNEL_FAILED) },
        { "failed, expired negative renewed", .ip = "198.18.1.20", .state = NUD_FAILED,
          .cur = { R_NEG, SOURCE_PROBE, MAC_A, T0, T0 + S, NOW - 60 * S, 3 },
          .write = WRITE_PUT, .exp = { R_NEG, SOURCE_KERNEL, MAC_A, T0, T0 + S, NOW, 0 },
          .counters = CNT(STAT_KERNEL_FAILED) },
        { "failed, static untouched", .ip = "198.18.1.20", .state = NUD_FAILED,
          .cur = { R_STATIC, SOURCE_LOAD, MAC_A, T0, T0 }, .counters = CNT(STAT_KERNEL_FAILED) },
        /* with mcast_solicit=0 only arpd could have answered: a late answer, not a dead host */
        { "failed, positive, kernel quiet: answer late, kept", .quiet_kernel = true,
          .ip = "198.18.1.20", .state = NUD_FAILED, .cur = POS_A, .counters = CNT(STAT_ANSWERS_LATE),
          .event = EVENT_ANSWER_LATE, .mac = MAC_A, .old_mac = MAC_A },
        { "failed in a dump, positive, kernel quiet: kept", .quiet_kernel = true,
          .origin = NEIGH_ORIGIN_DUMP, .pid = 4242, .ip = "198.18.1.20", .state = NUD_FAILED,
          .cur = POS_A, .counters = CNT(STAT_ANSWERS_LATE), .event = EVENT_ANSWER_LATE,
          .mac = MAC_A, .old_mac = MAC_A },
        { "failed, expired positive, kernel quiet: not late, kept", .quiet_kernel = true,
          .max_age = 5 * S, .ip = "198.18.1.20", .state = NUD_FAILED, .cur = POS_A,
          .counters = CNT(STAT_KERNEL_FAILED) },
        { "failed, unknown, kernel quiet -> negative", .quiet_kernel = true, .ip = "198.18.1.20",
          .state = NUD_FAILED, .write = WRITE_PUT, .exp = { R_NEG, SOURCE_KERNEL, NULL, NOW, NOW, NOW, 0 },
          .counters = CNT(STAT_KERNEL_FAILED) },
        { "failed, negative renewed, kernel quiet", .quiet_kernel = true, .ip = "198.18.1.20",
          .state = NUD_FAILED, .cur = { R_NEG, SOURCE_PROBE, MAC_A, T0, T0 + S, NOW - 60 * S, 3 },
          .write = WRITE_PUT, .exp = { R_NEG, SOURCE_KERNEL, MAC_A, T0, T0 + S, NOW, 0 },
          .counters = CNT(STAT_KERNEL_FAILED) },

        /* learning */
        { "reachable, new", .ip = "198.18.1.20", .state = NUD_REACHABLE, .has_lladdr = true,
          .mac = MAC_A, .write = WRITE_PUT, .exp = { R_POS, SOURCE_KERNEL, MAC_A, NOW, NOW },
          .counters = CNT(STAT_KERNEL_NEW) },
        { "stale, new", .ip = "198.18.1.20", .state = NUD_STALE, .has_lladdr = true,
          .mac = MAC_A, .write = WRITE_PUT, .exp = { R_POS, SOURCE_KERNEL, MAC_A, NOW, NOW },
          .counters = CNT(STAT_KERNEL_NEW) },
        { "permanent, new", .ip = "198.18.1.20", .state = NUD_PERMANENT, .has_lladdr = true,
          .mac = MAC_A, .write = WRITE_PUT, .exp = { R_POS, SOURCE_KERNEL, MAC_A, NOW, NOW },
          .counters = CNT(STAT_KERNEL_NEW) },
        /* DELAY/PROBE: the kernel's timers, often on an entry arpd answered: no evidence */
        { "delay with lladdr, unknown: not learned", .ip = "198.18.1.20", .state = NUD_DELAY,
          .has_lladdr = true, .mac = MAC_A, .counters = NOCNT },
        { "probe with lladdr, unknown: not learned", .ip = "198.18.1.20", .state = NUD_PROBE,
          .has_lladdr = true, .mac = MAC_A, .counters = NOCNT },
        { "probe with another mac: no change", .ip = "198.18.1.20", .state = NUD_PROBE,
          .has_lladdr = true, .mac = MAC_B, .cur = POS_A, .counters = NOCNT },
        { "v6 reachable, new", .ip = "fe80::5", .state = NUD_REACHABLE, .has_lladdr = true,
          .mac = MAC_A, .write = WRITE_PUT, .exp = { R_POS, SOURCE_KERNEL, MAC_A, NOW, NOW },
          .counters = CNT(STAT_KERNEL_NEW) },
        { "negative -> positive", .ip = "198.18.1.20", .state = NUD_REACHABLE, .has_lladdr = true,
          .mac = MAC_B, .cur = { R_NEG, SOURCE_KERNEL, MAC_A, T0, T0 + S, NOW - S, 1 },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_KERNEL, MAC_B, T0, NOW },
          .counters = CNT(STAT_KERNEL_NEW) },
        { "our answer comes back as stale: no-op", .ip = "198.18.1.20", .state = NUD_STALE,
          .has_lladdr = true, .mac = MAC_A, .cur = POS_A, .counters = NOCNT },
        /* the echo of our own answer is no evidence: never a touch, never anything */
        { "our answer's echo, touch due: nothing", .from_self = true, .pid = 777, .ip = "198.18.1.20",
          .state = NUD_STALE, .has_lladdr = true, .mac = MAC_A,
          .cur = { R_POS, SOURCE_ARP, MAC_A, T0, NOW - 120 * S }, .counters = NOCNT },
        { "our answer's echo, unknown: nothing", .from_self = true, .pid = 777, .ip = "198.18.1.20",
          .state = NUD_STALE, .has_lladdr = true, .mac = MAC_A, .counters = NOCNT },
        /* the kernel's timers move entries in use to DELAY and PROBE: no evidence */
        { "delay, same mac, touch due: no touch", .ip = "198.18.1.20", .state = NUD_DELAY,
          .has_lladdr = true, .mac = MAC_A, .cur = { R_POS, SOURCE_ARP, MAC_A, T0, NOW - 120 * S },
          .counters = NOCNT },
        { "probe, same mac, touch due: no touch", .ip = "198.18.1.20", .state = NUD_PROBE,
          .has_lladdr = true, .mac = MAC_A, .cur = { R_POS, SOURCE_ARP, MAC_A, T0, NOW - 120 * S },
          .counters = NOCNT },
        { "same mac, touch due", .ip = "198.18.1.20", .state = NUD_REACHABLE, .has_lladdr = true,
          .mac = MAC_A, .cur = { R_POS, SOURCE_ARP, MAC_A, T0, NOW - 120 * S },
          .write = WRITE_PUT, .exp = { R_POS, SOURCE_ARP, MAC_A, T0, NOW }, .counters = NOCNT },
        { "changed", .ip = "198.18.1.20", .state = NUD_REACHABLE, .has_lladdr = true,
          .mac = MAC_B, .cur = POS_A, .write = WRITE_PUT,
          .exp = { R_POS, SOURCE_KERNEL, MAC_B, T0, NOW }, .event = EVENT_MAC_CHANGED,
          .old_mac = MAC_A, .counters = CNT(STAT_KERNEL_CHANGED) },
        { "static same", .ip = "198.18.1.20", .state = NUD_STALE, .has_lladdr = true, .mac = MAC_A,
          .cur = { R_STATIC, SOURCE_LOAD, MAC_A, T0, NOW - S }, .counters = NOCNT },
        { "static same, touch due", .ip = "198.18.1.20", .state = NUD_STALE, .has_lladdr = true,
          .mac = MAC_A, .cur = { R_STATIC, SOURCE_LOAD, MAC_A, T0, T0 }, .write = WRITE_PUT,
          .exp = { R_STATIC, SOURCE_LOAD, MAC_A, T0, NOW }, .counters = NOCNT },
        { "static conflict", .ip = "198.18.1.20", .state = NUD_REACHABLE, .has_lladdr = true,
          .mac = MAC_B, .cur = { R_STATIC, SOURCE_LOAD, MAC_A, T0, T0 },
          .event = EVENT_STATIC_CONFLICT, .old_mac = MAC_A,
          .counters = CNT(STAT_REJ_STATIC_CONFLICT) },

        /* another control plane's entries: learned and counted */
        { "ext_learned, new", .ip = "198.18.1.20", .state = NUD_REACHABLE, .flags = NTF_EXT_LEARNED,
          .has_lladdr = true, .mac = MAC_A, .write = WRITE_PUT,
          .exp = { R_POS, SOURCE_KERNEL, MAC_A, NOW, NOW },
          .counters = CNT(STAT_KERNEL_NEW, STAT_KERNEL_FOREIGN) },
        { "managed, new", .ip = "198.18.1.20", .state = NUD_REACHABLE, .ext_flags = NTF_EXT_MANAGED,
          .has_lladdr = true, .mac = MAC_A, .write = WRITE_PUT,
          .exp = { R_POS, SOURCE_KERNEL, MAC_A, NOW, NOW },
          .counters = CNT(STAT_KERNEL_NEW, STAT_KERNEL_FOREIGN) },
        { "ext_learned, unchanged", .ip = "198.18.1.20", .state = NUD_REACHABLE,
          .flags = NTF_EXT_LEARNED, .has_lladdr = true, .mac = MAC_A, .cur = POS_A,
          .counters = CNT(STAT_KERNEL_FOREIGN) },
        { "managed, changed", .ip = "198.18.1.20", .state = NUD_STALE, .ext_flags = NTF_EXT_MANAGED,
          .has_lladdr = true, .mac = MAC_B, .cur = POS_A, .write = WRITE_PUT,
          .exp = { R_POS, SOURCE_KERNEL, MAC_B, T0, NOW }, .event = EVENT_MAC_CHANGED,
          .old_mac = MAC_A, .counters = CNT(STAT_KERNEL_CHANGED, STAT_KERNEL_FOREIGN) },
        { "unrelated ext flag bit ignored", .ip = "198.18.1.20", .state = NUD_REACHABLE,
          .ext_flags = 1u << 5, .has_lladdr = true, .mac = MAC_A, .write = WRITE_PUT,
          .exp = { R_POS, SOURCE_KERNEL, MAC_A, NOW, NOW }, .counters = CNT(STAT_KERNEL_NEW) },
};

/* NTF_ROUTER in the kernel's entry becomes the record's router flag, and its absence clears it;
 * a record that changes only in that flag is written. */
static void test_kernel_router(void) {
        struct resolver_config c = config(0);
        struct neigh_event ev = { .kernel_broadcasts = true, .state = NUD_REACHABLE, .flags = NTF_ROUTER, .has_lladdr = true };
        struct record cur = { .state = RECORD_POSITIVE, .source = SOURCE_NDP, .first_seen = NOW - 10, .last_seen = NOW - 5 };
        struct resolver_result r;

        ev.family = addr("2001:db8::1", &ev.addr);
        ev.lladdr = mac(MAC_A);
        cur.lladdr = mac(MAC_A);

        resolver_kernel_event(&c, &ev, NULL, NOW, &r); /* new */
        CHECK_INT_EQ(r.write, WRITE_PUT);
        CHECK_INT_EQ(r.record.flags, RECORD_FLAG_ROUTER);

        resolver_kernel_event(&c, &ev, &cur, NOW, &r); /* known, not a router yet: only the flag */
        CHECK_INT_EQ(r.write, WRITE_PUT);
        CHECK_INT_EQ(r.record.flags, RECORD_FLAG_ROUTER);
        CHECK_INT_EQ(r.record.last_seen, NOW - 5);
        CHECK_INT_EQ(r.record.source, SOURCE_NDP);

        cur.flags = RECORD_FLAG_ROUTER;
        resolver_kernel_event(&c, &ev, &cur, NOW, &r); /* nothing new */
        CHECK_INT_EQ(r.write, WRITE_NONE);

        ev.flags = 0; /* no longer a router */
        resolver_kernel_event(&c, &ev, &cur, NOW, &r);
        CHECK_INT_EQ(r.write, WRITE_PUT);
        CHECK_INT_EQ(r.record.flags, 0);

        cur.state = RECORD_STATIC; /* an operator's entry stays as it was loaded */
        resolver_kernel_event(&c, &ev, &cur, NOW, &r);
        CHECK_INT_EQ(r.write, WRITE_NONE);
}

static void test_kernel_table(void) {
        for (size_t i = 0; i < ELEMENTSOF(kernel_cases); i++) {
                const struct kernel_case *t = &kernel_cases[i];
                struct resolver_config c = config(0);
                struct neigh_event ev = {
                        .deleted = t->deleted,
                        .origin = t->origin,
                        .nlmsg_pid = t->pid,
                        .from_self = t->from_self,
                        .kernel_broadcasts = !t->quiet_kernel,
                        .state = t->state,
                        .flags = t->flags,
                        .ext_flags = t->ext_flags,
                        .has_lladdr = t->has_lladdr,
                };
                struct record cur_rec, *cur = NULL;
                struct resolver_result r;

                ev.family = addr(t->ip, &ev.addr);
                if (t->family_override)
                        ev.family = t->family_override;
                if (t->has_lladdr)
                        ev.lladdr = mac(t->mac);
                c.max_age = t->max_age;
                if (rec_make(&t->cur, &cur_rec))
                        cur = &cur_rec;

                memset(&r, 0x55, sizeof(r));
                resolver_kernel_event(&c, &ev, cur, NOW, &r);

                check_counters(t->name, &r, t->counters);
                CHECK_CASE_INT(t->name, r.write, t->write);
                CHECK_CASE_INT(t->name, r.reply, REPLY_NONE);
                CHECK_CASE(t->name, !r.probe);
                CHECK_CASE_INT(t->name, r.event, t->event);
                if (t->write == WRITE_PUT)
                        check_record(t->name, &r.record, &t->exp);
                if (t->event != EVENT_NONE) {
                        struct lladdr old = mac(t->old_mac), seen = mac(t->mac);

                        CHECK_CASE(t->name, lladdr_equal(&r.old_lladdr, &old));
                        CHECK_CASE(t->name, lladdr_equal(&r.record.lladdr, &seen));
                        if (t->event == EVENT_STATIC_CONFLICT)
                                CHECK_CASE(t->name, lladdr_equal(&r.answer_lladdr, &seen));
                }
        }
}

/* ---- the kernel's misses ---- */

struct miss_case {
        const char *name;
        unsigned active_probes;
        usec_t max_age;
        usec_t verify_sent;  /* our outstanding verification probe */
        enum miss_probe probe_when;
        const char *kernel_mac; /* the miss's NDA_LLADDR */
        bool override;
        bool verify_started, verify_done, deferred;
        bool bucket_empty;
        int family_override;
        const char *ip;
        uint16_t state;
        bool has_probes;
        uint32_t probes;
        struct rec_spec cur;
        enum resolver_write write;
        struct rec_spec exp;
        bool reply;
        const char *answer;
        bool probe;
        enum stat_id counters[RESOLVER_MAX_COUNTERS + 1];
};

#define NEG_VALID(n) { R_NEG, SOURCE_KERNEL, MAC_A, T0, T0 + S, NOW - 30 * S, n }
#define NEG_EXPIRED(n) { R_NEG, SOURCE_KERNEL, MAC_A, T0, T0 + S, NOW - 60 * S, n }

static const struct miss_case miss_cases[] = {
        /* INCOMPLETE */
        { "answer positive", .ip = "198.18.1.20", .state = NUD_INCOMPLETE, .cur = POS_A,
          .reply = true, .answer = MAC_A, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "answer positive with -a", .active_probes = 3, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .cur = POS_A, .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "answer static", .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .cur = { R_STATIC, SOURCE_LOAD, MAC_B, T0, T0 }, .reply = true, .answer = MAC_B,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "answer v6", .ip = "fe80::5", .state = NUD_INCOMPLETE, .cur = POS_A, .reply = true,
          .answer = MAC_A, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "unknown, passive", .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_UNKNOWN) },
        { "expired negative, passive", .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .cur = NEG_EXPIRED(0), .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_UNKNOWN) },
        { "valid negative, passive: suppressed", .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .cur = NEG_VALID(0), .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_SUPPRESSED) },
        { "unknown: probe, negative created", .active_probes = 3, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .write = WRITE_PUT,
          .exp = { R_NEG, SOURCE_PROBE, NULL, NOW, NOW, NOW, 1 }, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_SENT) },
        { "valid negative below -a: probe, count up", .active_probes = 3, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .cur = NEG_VALID(1), .write = WRITE_PUT,
          .exp = { R_NEG, SOURCE_KERNEL, MAC_A, T0, T0 + S, NOW - 30 * S, 2 }, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_SENT) },
        { "valid negative from the kernel (0 probes): probe", .active_probes = 1,
          .ip = "198.18.1.20", .state = NUD_INCOMPLETE, .cur = NEG_VALID(0), .write = WRITE_PUT,
          .exp = { R_NEG, SOURCE_KERNEL, MAC_A, T0, T0 + S, NOW - 30 * S, 1 }, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_SENT) },
        { "valid negative at -a: suppressed", .active_probes = 3, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .cur = NEG_VALID(3),
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_SUPPRESSED) },
        { "valid negative above -a: suppressed", .active_probes = 3, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .cur = NEG_VALID(7),
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_SUPPRESSED) },
        { "expired negative: new window", .active_probes = 3, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .cur = NEG_EXPIRED(3), .write = WRITE_PUT,
          .exp = { R_NEG, SOURCE_KERNEL, MAC_A, T0, T0 + S, NOW, 1 }, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_SENT) },
        { "negative in the future: new window", .active_probes = 3, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .cur = { R_NEG, SOURCE_PROBE, NULL, T0, T0, NOW + 10 * S, 3 },
          .write = WRITE_PUT, .exp = { R_NEG, SOURCE_PROBE, NULL, T0, T0, NOW, 1 }, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_SENT) },
        { "unknown, no token: rate limited, nothing written", .active_probes = 3,
          .bucket_empty = true, .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_RATELIMITED) },
        { "valid negative, no token: entry untouched", .active_probes = 3, .bucket_empty = true,
          .ip = "198.18.1.20", .state = NUD_INCOMPLETE, .cur = NEG_VALID(1),
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_RATELIMITED) },
        { "suppressed needs no token", .active_probes = 3, .bucket_empty = true,
          .ip = "198.18.1.20", .state = NUD_INCOMPLETE, .cur = NEG_VALID(3),
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_SUPPRESSED) },
        { "answer needs no token", .active_probes = 3, .bucket_empty = true, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .cur = POS_A, .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "incomplete ignores NDA_PROBES", .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .has_probes = true, .probes = 3, .cur = POS_A, .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },

        /* IPv6: the same decisions */
        { "v6 known: answer", .ip = "2001:db8::20", .state = NUD_INCOMPLETE, .cur = POS_A,
          .reply = true, .answer = MAC_A, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "v6 unknown: probe, negative created", .active_probes = 1, .ip = "2001:db8::20",
          .state = NUD_INCOMPLETE, .write = WRITE_PUT,
          .exp = { R_NEG, SOURCE_PROBE, NULL, NOW, NOW, NOW, 1 }, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_SENT) },
        { "v6 valid negative at -a: suppressed", .active_probes = 1, .ip = "2001:db8::20",
          .state = NUD_INCOMPLETE, .cur = NEG_VALID(1),
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_SUPPRESSED) },
        { "v6 unknown, no token: rate limited", .active_probes = 1, .bucket_empty = true,
          .ip = "fe80::20", .state = NUD_INCOMPLETE,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_RATELIMITED) },
        { "v6 probe with evidence: invalidate", .ip = "2001:db8::20", .state = NUD_PROBE,
          .has_probes = true, .probes = 3, .cur = POS_A, .write = WRITE_DELETE,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_INVALIDATED) },

        /* PROBE */
        { "probe with evidence: invalidate", .ip = "198.18.1.20", .state = NUD_PROBE,
          .has_probes = true, .probes = 3, .cur = POS_A, .write = WRITE_DELETE,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_INVALIDATED) },
        { "probe with evidence, -a: invalidate, no probe", .active_probes = 2, .ip = "198.18.1.20",
          .state = NUD_PROBE, .has_probes = true, .probes = 1, .cur = POS_A, .write = WRITE_DELETE,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_INVALIDATED) },
        { "probe without evidence, passive: verified", .ip = "198.18.1.20", .state = NUD_PROBE,
          .has_probes = true, .probes = 0, .cur = POS_A, .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED) },
        { "probe, NDA_PROBES absent: verified", .ip = "198.18.1.20", .state = NUD_PROBE,
          .has_probes = false, .probes = 9, .cur = POS_A, .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED) },
        { "probe without evidence, -a: verification probe", .active_probes = 2,
          .ip = "198.18.1.20", .state = NUD_PROBE, .has_probes = true, .probes = 0, .cur = POS_A,
          .reply = true, .answer = MAC_A, .probe = true, .verify_started = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED, STAT_PROBES_SENT) },
        { "probe without evidence, -a, no token", .active_probes = 2, .bucket_empty = true,
          .ip = "198.18.1.20", .state = NUD_PROBE, .cur = POS_A, .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED,
                          STAT_PROBES_RATELIMITED) },
        { "probe with evidence, static: answered", .ip = "198.18.1.20", .state = NUD_PROBE,
          .has_probes = true, .probes = 5, .cur = { R_STATIC, SOURCE_LOAD, MAC_B, T0, T0 },
          .reply = true, .answer = MAC_B, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "probe with evidence for another MAC, static: answered, override", .ip = "198.18.1.20",
          .state = NUD_PROBE, .has_probes = true, .probes = 5, .kernel_mac = MAC_A,
          .cur = { R_STATIC, SOURCE_LOAD, MAC_B, T0, T0 }, .reply = true, .answer = MAC_B, .override = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "probe with evidence, static, -a: answered, no probe", .active_probes = 2,
          .ip = "198.18.1.20", .state = NUD_PROBE, .has_probes = true, .probes = 5,
          .cur = { R_STATIC, SOURCE_LOAD, MAC_B, T0, T0 }, .reply = true, .answer = MAC_B,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "probe without evidence, static, -a: verified", .active_probes = 1,
          .ip = "198.18.1.20", .state = NUD_PROBE, .cur = { R_STATIC, SOURCE_LOAD, MAC_B, T0, T0 },
          .reply = true, .answer = MAC_B, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED, STAT_PROBES_SENT) },
        { "probe, no record, passive: unknown", .ip = "198.18.1.20", .state = NUD_PROBE,
          .has_probes = true, .probes = 3, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_UNKNOWN) },
        { "probe, no record, -a: as incomplete", .active_probes = 2, .ip = "198.18.1.20",
          .state = NUD_PROBE, .has_probes = true, .probes = 3, .write = WRITE_PUT,
          .exp = { R_NEG, SOURCE_PROBE, NULL, NOW, NOW, NOW, 1 }, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_SENT) },
        { "probe, valid negative: suppressed", .active_probes = 2, .ip = "198.18.1.20",
          .state = NUD_PROBE, .has_probes = true, .probes = 3, .cur = NEG_VALID(2),
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_SUPPRESSED) },

        /* only the MAC that failed is invalidated */
        { "probe with evidence for our MAC: invalidate", .ip = "198.18.1.20", .state = NUD_PROBE,
          .has_probes = true, .probes = 3, .kernel_mac = MAC_A, .cur = POS_A, .write = WRITE_DELETE,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_INVALIDATED) },
        { "probe with evidence for another MAC: ours answered, override", .ip = "198.18.1.20",
          .state = NUD_PROBE, .has_probes = true, .probes = 3, .kernel_mac = MAC_B, .cur = POS_A,
          .reply = true, .answer = MAC_A, .override = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "probe with evidence for another MAC, ours expired: not answered", .max_age = 5 * S,
          .ip = "198.18.1.20", .state = NUD_PROBE, .has_probes = true, .probes = 3,
          .kernel_mac = MAC_B, .cur = POS_A, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_EXPIRED) },

        /* verification probes */
        { "verification outstanding, not yet due: answered, no second probe", .active_probes = 2,
          .verify_sent = NOW - 2 * S, .ip = "198.18.1.20", .state = NUD_PROBE, .cur = POS_A,
          .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED) },
        { "verification unanswered in time: invalidate", .active_probes = 2,
          .verify_sent = NOW - 5 * S, .ip = "198.18.1.20", .state = NUD_PROBE, .cur = POS_A,
          .write = WRITE_DELETE, .verify_done = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_INVALIDATED) },
        { "verification answered (evidence since): answered, new probe", .active_probes = 2,
          .verify_sent = NOW - 20 * S, .ip = "198.18.1.20", .state = NUD_PROBE, .cur = POS_A,
          .reply = true, .answer = MAC_A, .probe = true, .verify_started = true, .verify_done = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED, STAT_PROBES_SENT) },
        { "verification of a static entry is never outstanding", .active_probes = 1,
          .verify_sent = NOW - 5 * S, .ip = "198.18.1.20", .state = NUD_PROBE,
          .cur = { R_STATIC, SOURCE_LOAD, MAC_B, T0, T0 }, .reply = true, .answer = MAC_B, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED, STAT_PROBES_SENT) },
        { "verification probe the link cannot send", .active_probes = 2, .probe_when = MISS_PROBE_NEVER,
          .ip = "198.18.1.20", .state = NUD_PROBE, .cur = POS_A, .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED, STAT_PROBES_UNSENT) },
        { "verification is never deferred", .active_probes = 2, .probe_when = MISS_PROBE_LATER,
          .ip = "198.18.1.20", .state = NUD_PROBE, .cur = POS_A, .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED, STAT_PROBES_UNSENT) },

        /* maximum age of a binding without evidence (POS_A: last seen 10 s ago) */
        { "young enough: answered", .max_age = 11 * S, .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .cur = POS_A, .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "expired, passive: not answered", .max_age = 10 * S, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .cur = POS_A, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_EXPIRED) },
        { "expired, -a: probed, MAC kept in the negative entry", .max_age = 10 * S, .active_probes = 1,
          .ip = "198.18.1.20", .state = NUD_INCOMPLETE, .cur = POS_A, .write = WRITE_PUT,
          .exp = { R_NEG, SOURCE_ARP, MAC_A, T0, NOW - 10 * S, NOW, 1 }, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_SENT) },
        { "expired PROBE without evidence, passive: not answered", .max_age = 5 * S, .ip = "198.18.1.20",
          .state = NUD_PROBE, .cur = POS_A, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_EXPIRED) },
        { "static never expires", .max_age = S, .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .cur = { R_STATIC, SOURCE_LOAD, MAC_B, T0, T0 }, .reply = true, .answer = MAC_B,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "last seen in the future: not expired", .max_age = S, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .cur = { R_POS, SOURCE_ARP, MAC_A, T0, NOW + 100 * S }, .reply = true,
          .answer = MAC_A, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },

        /* a probe that cannot be sent is not a probe */
        { "unknown, link cannot probe: unsent, nothing written", .active_probes = 1,
          .probe_when = MISS_PROBE_NEVER, .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_UNSENT) },
        { "unknown, sockets not open yet: deferred, nothing written", .active_probes = 1,
          .probe_when = MISS_PROBE_LATER, .ip = "198.18.1.20", .state = NUD_INCOMPLETE, .deferred = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_DEFERRED) },
        { "known, sockets not open yet: answered", .active_probes = 1, .probe_when = MISS_PROBE_LATER,
          .ip = "198.18.1.20", .state = NUD_INCOMPLETE, .cur = POS_A, .reply = true, .answer = MAC_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_ANSWERED) },
        { "valid negative, link cannot probe: entry untouched", .active_probes = 3,
          .probe_when = MISS_PROBE_NEVER, .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .cur = NEG_VALID(1), .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_UNSENT) },

        /* bad */
        { "reachable", .ip = "198.18.1.20", .state = NUD_REACHABLE, .cur = POS_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_BAD) },
        { "stale", .ip = "198.18.1.20", .state = NUD_STALE, .cur = POS_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_BAD) },
        { "delay", .ip = "198.18.1.20", .state = NUD_DELAY,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_BAD) },
        { "none", .active_probes = 3, .ip = "198.18.1.20", .state = NUD_NONE,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_BAD) },
        { "failed", .ip = "198.18.1.20", .state = NUD_FAILED, .cur = POS_A,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_BAD) },
        { "incomplete|probe", .ip = "198.18.1.20", .state = NUD_INCOMPLETE | NUD_PROBE,
          .cur = POS_A, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_BAD) },
        { "bad family", .family_override = AF_UNIX, .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .cur = POS_A, .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_BAD) },
        { "positive without mac", .ip = "198.18.1.20", .state = NUD_INCOMPLETE,
          .cur = { R_POS, SOURCE_ARP, NULL, T0, T0 },
          .counters = CNT(STAT_REQ_RECEIVED, STAT_REQ_BAD) },
        { "garbage record state: as none", .active_probes = 1, .ip = "198.18.1.20",
          .state = NUD_INCOMPLETE, .cur = { R_GARBAGE, SOURCE_ARP, MAC_A, T0, T0 },
          .write = WRITE_PUT, .exp = { R_NEG, SOURCE_PROBE, NULL, NOW, NOW, NOW, 1 }, .probe = true,
          .counters = CNT(STAT_REQ_RECEIVED, STAT_PROBES_SENT) },
};

static void test_miss_table(void) {
        for (size_t i = 0; i < ELEMENTSOF(miss_cases); i++) {
                const struct miss_case *t = &miss_cases[i];
                struct resolver_config c = config(t->active_probes);
                struct miss m = { .state = t->state, .has_probes = t->has_probes, .probes = t->probes,
                                  .probe_when = t->probe_when, .verify_sent = t->verify_sent };
                struct record cur_rec, cur_copy, *cur = NULL;
                struct token_bucket b;
                double tokens_before;
                struct resolver_result r;

                m.family = addr(t->ip, &m.addr);
                if (t->family_override)
                        m.family = t->family_override;
                if (rec_make(&t->cur, &cur_rec))
                        cur = &cur_rec;
                cur_copy = cur_rec;
                c.max_age = t->max_age;
                c.verify_timeout = 3 * S;
                if (t->kernel_mac) {
                        m.has_lladdr = true;
                        m.lladdr = mac(t->kernel_mac);
                }

                token_bucket_init(&b, 1, 3, MONO);
                if (t->bucket_empty)
                        while (token_bucket_take(&b, MONO))
                                ;
                tokens_before = b.tokens;

                memset(&r, 0xaa, sizeof(r));
                resolver_miss(&c, &m, cur, NOW, MONO, &b, &r);

                check_counters(t->name, &r, t->counters);
                CHECK_CASE(t->name, r.n_counters > 0 && r.counters[0] == STAT_REQ_RECEIVED);
                CHECK_CASE_INT(t->name, r.write, t->write);
                CHECK_CASE_INT(t->name, r.reply, t->reply ? REPLY_ANSWER : REPLY_NONE);
                CHECK_CASE_INT(t->name, r.probe, t->probe);
                CHECK_CASE_INT(t->name, r.event, EVENT_NONE);
                CHECK_CASE_INT(t->name, r.override, t->override);
                CHECK_CASE_INT(t->name, r.verify_started, t->verify_started);
                CHECK_CASE_INT(t->name, r.verify_done, t->verify_done);
                CHECK_CASE_INT(t->name, r.probe_deferred, t->deferred);
                if (t->reply) {
                        struct lladdr want = mac(t->answer);

                        CHECK_CASE(t->name, lladdr_equal(&r.answer_lladdr, &want));
                }
                if (t->write == WRITE_PUT)
                        check_record(t->name, &r.record, &t->exp);
                /* A token is taken exactly when a probe is sent. */
                CHECK_CASE(t->name, b.tokens == tokens_before - (t->probe ? 1.0 : 0.0));
                /* The stored record is input only. */
                if (cur)
                        CHECK_CASE(t->name, memcmp(cur, &cur_copy, sizeof(cur_copy)) == 0);
        }
}

static void test_miss_null_bucket(void) {
        struct resolver_config c = config(2);
        struct miss m = { .state = NUD_INCOMPLETE };
        struct resolver_result r;

        m.family = addr("198.18.1.20", &m.addr);
        resolver_miss(&c, &m, NULL, NOW, MONO, NULL, &r);
        CHECK_INT_EQ(r.write, WRITE_NONE);
        CHECK(!r.probe);
        CHECK_INT_EQ(r.n_counters, 2);
        CHECK_INT_EQ(r.counters[1], STAT_PROBES_RATELIMITED);
}

/* ---- scenarios: a tiny in-memory store driven over time ---- */

struct sim {
        struct resolver_config c;
        struct token_bucket bucket;
        bool have;
        struct record rec;
        unsigned probes_sent;
        unsigned suppressed;
};

static void sim_apply(struct sim *s, const struct resolver_result *r) {
        if (r->write == WRITE_PUT) {
                s->rec = r->record;
                s->have = true;
        } else if (r->write == WRITE_DELETE)
                s->have = false;
        if (r->probe)
                s->probes_sent++;
        for (unsigned i = 0; i < r->n_counters; i++)
                if (r->counters[i] == STAT_REQ_SUPPRESSED)
                        s->suppressed++;
}

static void sim_miss(struct sim *s, usec_t now_rt, usec_t now_mono, struct resolver_result *r) {
        struct miss m = { .state = NUD_INCOMPLETE };

        m.family = addr("198.18.1.77", &m.addr);
        resolver_miss(&s->c, &m, s->have ? &s->rec : NULL, now_rt, now_mono, &s->bucket, r);
        sim_apply(s, r);
}

static void test_suppression_after_n_probes(void) {
        static const unsigned ns[] = { 1, 2, 3, 5, 100 };

        for (size_t k = 0; k < ELEMENTSOF(ns); k++) {
                unsigned n = ns[k];
                struct sim s = { .c = config(n) };
                struct resolver_result r;
                usec_t t;

                token_bucket_init(&s.bucket, 1000, 1000, 0);

                /* A miss every 100 ms for 59.9 s: exactly n probes, all in one window. */
                for (t = 0; t < 60 * S; t += 100 * USEC_PER_MSEC)
                        sim_miss(&s, NOW + t, t, &r);
                CHECK_INT_EQ(s.probes_sent, n);
                CHECK_INT_EQ(s.suppressed, 600 - n);
                CHECK(s.have && s.rec.state == RECORD_NEGATIVE);
                CHECK_INT_EQ(s.rec.probes, n);
                CHECK_INT_EQ(s.rec.neg_since, NOW);

                /* The kernel's own failure inside the window does not restart it. */
                {
                        struct neigh_event ev = { .state = NUD_FAILED };

                        ev.family = addr("198.18.1.77", &ev.addr);
                        resolver_kernel_event(&s.c, &ev, &s.rec, NOW + 59 * S, &r);
                        CHECK_INT_EQ(r.write, WRITE_NONE);
                        CHECK_INT_EQ(r.n_counters, 1);
                        CHECK_INT_EQ(r.counters[0], STAT_KERNEL_FAILED);
                }

                /* The window is over at exactly neg_since + n: a new one starts with one probe. */
                sim_miss(&s, NOW + 60 * S, 60 * S, &r);
                CHECK(r.probe);
                CHECK_INT_EQ(s.probes_sent, n + 1);
                CHECK_INT_EQ(s.rec.probes, 1);
                CHECK_INT_EQ(s.rec.neg_since, NOW + 60 * S);

                /* And the second window again allows exactly n. */
                for (t = 60 * S + 1; t < 120 * S; t += 100 * USEC_PER_MSEC)
                        sim_miss(&s, NOW + t, t, &r);
                CHECK_INT_EQ(s.probes_sent, 2 * n);
        }
}

static void test_ratelimit_does_not_count_on_entry(void) {
        struct sim s = { .c = config(3) };
        struct resolver_result r;

        token_bucket_init(&s.bucket, 1, 1, 0);

        sim_miss(&s, NOW, 0, &r);
        CHECK(r.probe);
        CHECK_INT_EQ(s.rec.probes, 1);

        /* No token for the next second: rate limited, the entry keeps its count. */
        for (usec_t t = 1; t < S; t += 50 * USEC_PER_MSEC) {
                sim_miss(&s, NOW + t, t, &r);
                CHECK(!r.probe);
                CHECK_INT_EQ(r.write, WRITE_NONE);
                CHECK_INT_EQ(r.counters[1], STAT_PROBES_RATELIMITED);
        }
        CHECK_INT_EQ(s.rec.probes, 1);

        /* A token again: the second probe of the window. */
        sim_miss(&s, NOW + S, S, &r);
        CHECK(r.probe);
        CHECK_INT_EQ(s.rec.probes, 2);
        CHECK_INT_EQ(s.rec.neg_since, NOW);
        sim_miss(&s, NOW + 2 * S, 2 * S, &r);
        CHECK_INT_EQ(s.rec.probes, 3);
        /* Used up: suppressed, and suppression takes no token. */
        sim_miss(&s, NOW + 3 * S, 3 * S, &r);
        CHECK_INT_EQ(r.counters[1], STAT_REQ_SUPPRESSED);
        CHECK(token_bucket_take(&s.bucket, 3 * S)); /* the token earned since 2 s is still there */
        CHECK_INT_EQ(s.probes_sent, 3);
}

static void test_lifecycle(void) {
        struct sim s = { .c = config(0) };
        struct resolver_result r;
        size_t n;
        const struct in_prefix *p = link_prefixes(&n);
        struct link_view link = { .ifname = "eth0", .prefixes = p, .n_prefixes = n };
        struct observation o = { .source = SOURCE_ARP };
        struct neigh_event ev = { .state = NUD_FAILED };
        struct miss m = { .state = NUD_PROBE, .has_probes = true };

        token_bucket_init(&s.bucket, 1, 3, 0);
        o.family = addr("198.18.1.77", &o.addr);
        ev.family = addr("198.18.1.77", &ev.addr);
        m.family = addr("198.18.1.77", &m.addr);

        /* The kernel gives up: negative, misses suppressed. */
        resolver_kernel_event(&s.c, &ev, NULL, NOW, &r);
        sim_apply(&s, &r);
        CHECK(s.have && s.rec.state == RECORD_NEGATIVE);
        sim_miss(&s, NOW + S, S, &r);
        CHECK_INT_EQ(s.suppressed, 1);

        /* The host speaks: revived, answered. */
        o.lladdr = mac(MAC_A);
        resolver_observe(&s.c, &link, &o, &s.rec, NOW + 2 * S, &r);
        sim_apply(&s, &r);
        CHECK_INT_EQ(r.counters[0], STAT_ARP_REVIVED);
        CHECK_INT_EQ(s.rec.state, RECORD_POSITIVE);
        CHECK_INT_EQ(s.rec.neg_since, 0);
        CHECK_INT_EQ(s.rec.probes, 0);
        CHECK_INT_EQ(s.rec.first_seen, NOW);
        sim_miss(&s, NOW + 3 * S, 3 * S, &r);
        CHECK_INT_EQ(r.reply, REPLY_ANSWER);

        /* Our answer comes back from the kernel as STALE: nothing to do. */
        ev = (struct neigh_event) { .state = NUD_STALE, .has_lladdr = true, .lladdr = mac(MAC_A) };
        ev.family = addr("198.18.1.77", &ev.addr);
        resolver_kernel_event(&s.c, &ev, &s.rec, NOW + 4 * S, &r);
        CHECK_INT_EQ(r.write, WRITE_NONE);
        CHECK_INT_EQ(r.n_counters, 0);

        /* PROBE without evidence keeps it, with evidence drops it. */
        m.probes = 0;
        resolver_miss(&s.c, &m, &s.rec, NOW + 5 * S, 5 * S, &s.bucket, &r);
        sim_apply(&s, &r);
        CHECK(s.have);
        CHECK_INT_EQ(r.reply, REPLY_ANSWER);
        m.probes = 3;
        resolver_miss(&s.c, &m, &s.rec, NOW + 6 * S, 6 * S, &s.bucket, &r);
        sim_apply(&s, &r);
        CHECK(!s.have);
        CHECK_INT_EQ(r.reply, REPLY_NONE);

        /* Gone: nothing known any more. */
        sim_miss(&s, NOW + 7 * S, 7 * S, &r);
        CHECK_INT_EQ(r.counters[1], STAT_REQ_UNKNOWN);
}

static void test_static_never_invalidated(void) {
        struct resolver_config c = config(3);
        struct record st = { .state = RECORD_STATIC, .source = SOURCE_LOAD, .lladdr = mac(MAC_A),
                             .first_seen = T0, .last_seen = T0 };
        struct miss m = { .state = NUD_PROBE, .has_probes = true };
        struct neigh_event ev = { .state = NUD_FAILED };
        struct token_bucket b;
        struct resolver_result r;

        token_bucket_init(&b, 1, 3, 0);
        m.family = addr("198.18.1.20", &m.addr);
        ev.family = m.family;
        ev.addr = m.addr;

        for (uint32_t p = 0; p <= 10; p++) {
                m.probes = p;
                resolver_miss(&c, &m, &st, NOW, 0, &b, &r);
                CHECK_INT_EQ(r.reply, REPLY_ANSWER);
                CHECK(r.write != WRITE_DELETE);
        }
        for (int origin = NEIGH_ORIGIN_EVENT; origin <= NEIGH_ORIGIN_DUMP; origin++) {
                ev.origin = origin;
                resolver_kernel_event(&c, &ev, &st, NOW, &r);
                CHECK_INT_EQ(r.write, WRITE_NONE);
        }
}

static void test_negative_valid(void) {
        struct resolver_config c = config(0);
        struct record n = { .state = RECORD_NEGATIVE, .neg_since = NOW };
        struct record p = { .state = RECORD_POSITIVE, .lladdr = mac(MAC_A), .neg_since = NOW };

        CHECK(resolver_negative_valid(&c, &n, NOW));
        CHECK(resolver_negative_valid(&c, &n, NOW + 60 * S - 1));
        CHECK(!resolver_negative_valid(&c, &n, NOW + 60 * S));
        CHECK(!resolver_negative_valid(&c, &n, NOW + 3600 * S));
        CHECK(!resolver_negative_valid(&c, &n, NOW - 1)); /* window in the future */
        CHECK(!resolver_negative_valid(&c, &p, NOW));
        CHECK(!resolver_negative_valid(&c, NULL, NOW));
        c.negative_timeout = 0;
        CHECK(!resolver_negative_valid(&c, &n, NOW));
        c.negative_timeout = USEC_INFINITY;
        CHECK(resolver_negative_valid(&c, &n, NOW + 365 * 86400 * S));
        CHECK(!resolver_negative_valid(&c, &n, NOW - S)); /* even an endless window starts at neg_since */
}

/* ---- token bucket ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void) {
        /* xorshift64* */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 0x2545f4914f6cdd1dULL;
}

static void test_bucket_basics(void) {
        struct token_bucket b;

        /* Starts full: burst takes at once, then none. */
        token_bucket_init(&b, 1, 3, 100 * S);
        CHECK(token_bucket_take(&b, 100 * S));
        CHECK(token_bucket_take(&b, 100 * S));
        CHECK(token_bucket_take(&b, 100 * S));
        CHECK(!token_bucket_take(&b, 100 * S));
        /* Exactly one token after exactly 1/rate. */
        CHECK(!token_bucket_take(&b, 101 * S - 1));
        CHECK(token_bucket_take(&b, 101 * S));
        CHECK(!token_bucket_take(&b, 101 * S));

        /* Capped at burst after a long idle time. */
        {
                unsigned n = 0;

                while (token_bucket_take(&b, 10000 * S))
                        n++;
                CHECK_INT_EQ(n, 3);
        }

        /* Fractional rate. */
        token_bucket_init(&b, 0.5, 1, 0);
        CHECK(token_bucket_take(&b, 0));
        CHECK(!token_bucket_take(&b, S));
        CHECK(token_bucket_take(&b, 2 * S));

        /* burst 0 behaves as 1; rate 0 never refills. */
        token_bucket_init(&b, 0, 0, 0);
        CHECK(token_bucket_take(&b, 0));
        CHECK(!token_bucket_take(&b, 0));
        CHECK(!token_bucket_take(&b, 1000000 * S));
}

static void test_bucket_one_second(void) {
        struct token_bucket b;
        unsigned ok = 0;

        /* -R 1 -B 3: 1000 calls spread over one second of simulated time. */
        token_bucket_init(&b, 1, 3, MONO);
        for (unsigned i = 0; i < 1000; i++)
                ok += token_bucket_take(&b, MONO + (usec_t) i * S / 999);
        CHECK_INT_EQ(ok, 4); /* burst 3, plus the one token earned by t = 1 s */
}

static void test_bucket_no_refill_by_calls(void) {
        struct token_bucket b;
        unsigned ok = 0;

        token_bucket_init(&b, 1, 3, 0);
        while (token_bucket_take(&b, 0))
                ;

        /* Half a second of hammering: still nothing (no refill because of calls). */
        for (usec_t t = 1; t < S / 2; t += 100)
                ok += token_bucket_take(&b, t);
        CHECK_INT_EQ(ok, 0);

        /* Calls every 1 ms for 10 s: about one success per second, neither starved nor inflated. */
        for (usec_t t = S / 2; t <= 10 * S; t += USEC_PER_MSEC)
                ok += token_bucket_take(&b, t);
        CHECK(ok >= 9 && ok <= 10);
}

static void test_bucket_time_backwards(void) {
        struct token_bucket b;

        token_bucket_init(&b, 1, 3, 10 * S);
        while (token_bucket_take(&b, 10 * S))
                ;
        CHECK(!token_bucket_take(&b, 5 * S));
        CHECK(!token_bucket_take(&b, 0));
        CHECK(!token_bucket_take(&b, 10 * S));      /* no credit for the way back */
        CHECK(!token_bucket_take(&b, 11 * S - 1));
        CHECK(token_bucket_take(&b, 11 * S));
        CHECK(!token_bucket_take(&b, 11 * S));
}

/* Random call times: no window [t_i, t_j] between two successful takes holds more than
 * burst + rate * (t_j - t_i) of them, and the bucket is not starved. */
static void test_bucket_window_property(void) {
        static const struct {
                double rate;
                unsigned burst;
        } cfgs[] = { { 1, 3 }, { 0.5, 1 }, { 10, 5 }, { 2.5, 7 }, { 100, 1 } };
        enum { CALLS = 40000 };
        static usec_t ok_at[CALLS];

        for (size_t k = 0; k < ELEMENTSOF(cfgs); k++) {
                double rate = cfgs[k].rate, burst = cfgs[k].burst;
                usec_t mean_gap = (usec_t) (0.1 * S / rate), t = 7 * S, busy = 0;
                struct token_bucket b;
                size_t n_ok = 0;
                bool ok = true;

                token_bucket_init(&b, rate, cfgs[k].burst, t);
                for (unsigned i = 0; i < CALLS; i++) {
                        uint64_t x = rng();

                        /* Mostly small gaps, sometimes bursts at the same instant, sometimes pauses. */
                        if (x % 10 == 0)
                                t += 0;
                        else if (x % 97 == 0)
                                t += (usec_t) (x >> 32) % (usec_t) (20 * S / rate);
                        else {
                                usec_t gap = (x >> 16) % (2 * mean_gap + 1);

                                t += gap;
                                busy += gap;
                        }
                        if (token_bucket_take(&b, t))
                                ok_at[n_ok++] = t;
                }

                for (size_t i = 0; ok && i < n_ok; i++)
                        for (size_t j = i; j < n_ok; j++) {
                                double allowed = burst + rate * (double) (ok_at[j] - ok_at[i]) / S;

                                if ((double) (j - i + 1) > allowed + 1e-6) {
                                        fprintf(stderr, "rate %g burst %g: %zu takes in %" PRIu64
                                                " us, allowed %g\n", rate, burst, j - i + 1,
                                                ok_at[j] - ok_at[i], allowed);
                                        ok = false;
                                        break;
                                }
                        }
                CHECK(ok);

                /* Outside the pauses demand is well above the rate: the bucket must deliver
                 * close to it (it is not starved by frequent calls). */
                {
                        double span = (double) (t - 7 * S) / S;

                        CHECK((double) n_ok >= 0.9 * rate * (double) busy / S);
                        CHECK((double) n_ok <= burst + rate * span + 1e-6);
                }
        }
}

/* A probe the caller could not send is undone: no probe, unsent, no negative entry. */
static void test_probe_not_sent(void) {
        struct resolver_config c = config(1);
        struct miss m = { .state = NUD_INCOMPLETE };
        struct token_bucket b;
        struct resolver_result r;
        struct record pos;
        const enum stat_id unsent[] = { STAT_REQ_RECEIVED, STAT_PROBES_UNSENT, _STAT_MAX };
        const enum stat_id verify_unsent[] = { STAT_REQ_RECEIVED, STAT_REQ_ANSWERED, STAT_REQ_VERIFIED,
                                               STAT_PROBES_UNSENT, _STAT_MAX };

        m.family = addr("198.18.1.20", &m.addr);
        token_bucket_init(&b, 1, 3, MONO);
        resolver_miss(&c, &m, NULL, NOW, MONO, &b, &r);
        CHECK(r.probe);
        CHECK_INT_EQ(r.write, WRITE_PUT);
        resolver_probe_not_sent(&r);
        CHECK(!r.probe);
        CHECK_INT_EQ(r.write, WRITE_NONE);
        check_counters("probe not sent", &r, unsent);
        resolver_probe_not_sent(&r); /* idempotent */
        check_counters("probe not sent twice", &r, unsent);

        /* a verification probe: the answer stays */
        CHECK(rec_make(&(struct rec_spec) POS_A, &pos));
        m.state = NUD_PROBE;
        resolver_miss(&c, &m, &pos, NOW, MONO, &b, &r);
        CHECK(r.probe && r.verify_started);
        resolver_probe_not_sent(&r);
        CHECK(!r.probe && !r.verify_started);
        CHECK_INT_EQ(r.reply, REPLY_ANSWER);
        check_counters("verification not sent", &r, verify_unsent);
}

/* A deferred probe: as an INCOMPLETE miss, without REQ_RECEIVED and without an answer. */
static void test_deferred_probe(void) {
        struct resolver_config c = config(1);
        struct token_bucket b;
        struct resolver_result r;
        struct record cur;
        const enum stat_id sent[] = { STAT_PROBES_SENT, _STAT_MAX };
        const enum stat_id none[] = { _STAT_MAX };
        const enum stat_id suppressed[] = { STAT_REQ_SUPPRESSED, _STAT_MAX };

        token_bucket_init(&b, 1, 3, MONO);
        resolver_deferred_probe(&c, NULL, NOW, MONO, &b, &r);
        CHECK(r.probe);
        CHECK_INT_EQ(r.reply, REPLY_NONE);
        CHECK_INT_EQ(r.write, WRITE_PUT);
        CHECK_INT_EQ(r.record.state, RECORD_NEGATIVE);
        CHECK_INT_EQ(r.record.probes, 1);
        check_counters("deferred, unknown", &r, sent);

        /* learned meanwhile: nothing */
        CHECK(rec_make(&(struct rec_spec) POS_A, &cur));
        resolver_deferred_probe(&c, &cur, NOW, MONO, &b, &r);
        CHECK(!r.probe);
        CHECK_INT_EQ(r.write, WRITE_NONE);
        check_counters("deferred, learned", &r, none);

        /* its probes used up meanwhile (the kernel failed it and it was probed): suppressed */
        CHECK(rec_make(&(struct rec_spec) NEG_VALID(1), &cur));
        resolver_deferred_probe(&c, &cur, NOW, MONO, &b, &r);
        CHECK(!r.probe);
        check_counters("deferred, suppressed", &r, suppressed);
}

int main(void) {
        TEST_RUN(test_observe_table);
        TEST_RUN(test_kernel_table);
        TEST_RUN(test_kernel_router);
        TEST_RUN(test_miss_table);
        TEST_RUN(test_probe_not_sent);
        TEST_RUN(test_deferred_probe);
        TEST_RUN(test_miss_null_bucket);
        TEST_RUN(test_suppression_after_n_probes);
        TEST_RUN(test_ratelimit_does_not_count_on_entry);
        TEST_RUN(test_lifecycle);
        TEST_RUN(test_static_never_invalidated);
        TEST_RUN(test_negative_valid);
        TEST_RUN(test_bucket_basics);
        TEST_RUN(test_bucket_one_second);
        TEST_RUN(test_bucket_no_refill_by_calls);
        TEST_RUN(test_bucket_time_backwards);
        TEST_RUN(test_bucket_window_property);
        TEST_EXIT();
}
