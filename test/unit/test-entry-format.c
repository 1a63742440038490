/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entry-format.h"
#include "macro.h"
#include "store.h"
#include "tests.h"

static struct neigh_key key(const char *ifname, const char *addr) {
        struct neigh_key k;
        union in_addr_union a;
        int family;

        if (in_addr_from_string(addr, &family, &a) < 0 || neigh_key_make(&k, ifname, family, &a) < 0)
                abort();
        return k;
}

static void test_states(void) {
        CHECK_INT_EQ(entry_states_from_string(""), ENTRY_STATES_ALL);
        CHECK_INT_EQ(entry_states_from_string("any"), ENTRY_STATES_ALL);
        CHECK_INT_EQ(entry_states_from_string("learned"), ENTRY_STATES_LEARNED);
        CHECK_INT_EQ(entry_states_from_string("negative"), ENTRY_STATE_BIT(RECORD_NEGATIVE));
        CHECK_INT_EQ(entry_states_from_string("static"), ENTRY_STATE_BIT(RECORD_STATIC));
        CHECK_INT_EQ(entry_states_from_string("Static"), -EINVAL);
        CHECK_INT_EQ(entry_states_from_string("unknown"), -EINVAL);
        CHECK_INT_EQ(entry_family_from_number(4), AF_INET);
        CHECK_INT_EQ(entry_family_from_number(6), AF_INET6);
        CHECK_INT_EQ(entry_family_from_number(0), 0);
        CHECK_INT_EQ(entry_family_from_number(10), -EINVAL);
}

static void test_prefix(void) {
        struct in_prefix p;

        CHECK_INT_EQ(entry_prefix_from_string("198.18.0.0/24", &p), 0);
        CHECK_INT_EQ(p.family, AF_INET);
        CHECK_INT_EQ(p.prefixlen, 24);
        CHECK_INT_EQ(entry_prefix_from_string("198.18.0.7", &p), 0);
        CHECK_INT_EQ(p.prefixlen, 32);
        CHECK_INT_EQ(entry_prefix_from_string("2001:db8::/32", &p), 0);
        CHECK_INT_EQ(p.family, AF_INET6);
        CHECK_INT_EQ(p.prefixlen, 32);
        CHECK_INT_EQ(entry_prefix_from_string("198.18.0.0/0", &p), 0);
        CHECK_INT_EQ(p.prefixlen, 0);
        const char *bad[] = { "", "/24", "198.18.0.0/33", "198.18.0.0/", "198.18.0.0/-1", "198.18.0.0/ 8",
                              "198.18.0.0/8x", "2001:db8::/129", "foo/8", "198.18.0.300", "198.18.0.0/0024" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (entry_prefix_from_string(bad[i], &p) != -EINVAL) {
                        fprintf(stderr, "%s:%d: prefix '%s' accepted\n", __FILE__, __LINE__, bad[i]);
                        tests_failed_++;
                }
}

static void test_filter(void) {
        struct record pos = { .state = RECORD_POSITIVE, .source = SOURCE_ARP };
        struct record neg = { .state = RECORD_NEGATIVE, .source = SOURCE_KERNEL };
        struct neigh_key k4 = key("a0", "198.18.0.7"), k6 = key("b0", "2001:db8::7");
        struct entry_filter f = {};

        CHECK(entry_filter_match(&f, &k4, &pos));
        CHECK(entry_filter_match(&f, &k6, &neg));
        strcpy(f.ifname, "a0");
        CHECK(entry_filter_match(&f, &k4, &pos));
        CHECK(!entry_filter_match(&f, &k6, &pos));
        f = (struct entry_filter) { .family = AF_INET6 };
        CHECK(!entry_filter_match(&f, &k4, &pos));
        CHECK(entry_filter_match(&f, &k6, &pos));
        f = (struct entry_filter) { .states = ENTRY_STATE_BIT(RECORD_NEGATIVE) };
        CHECK(!entry_filter_match(&f, &k4, &pos));
        CHECK(entry_filter_match(&f, &k4, &neg));
        f = (struct entry_filter) { .has_prefix = true };
        CHECK_INT_EQ(entry_prefix_from_string("198.18.0.0/29", &f.prefix), 0);
        CHECK(entry_filter_match(&f, &k4, &pos));
        CHECK(!entry_filter_match(&f, &k6, &pos));
        CHECK_INT_EQ(entry_prefix_from_string("198.18.0.8/29", &f.prefix), 0);
        CHECK(!entry_filter_match(&f, &k4, &pos));

        /* by link-layer address: exactly this one (length included); none never matches */
        struct record withmac = pos;
        CHECK_INT_EQ(lladdr_from_string("02:00:5e:10:00:0a", &withmac.lladdr), 0);
        f = (struct entry_filter) { .has_lladdr = true };
        CHECK_INT_EQ(lladdr_from_string("02:00:5e:10:00:0a", &f.lladdr), 0);
        CHECK(entry_filter_match(&f, &k4, &withmac));
        CHECK(!entry_filter_match(&f, &k4, &neg));
        CHECK_INT_EQ(lladdr_from_string("02:00:5e:10:00:0a:00", &f.lladdr), 0);
        CHECK(!entry_filter_match(&f, &k4, &withmac));
        CHECK_INT_EQ(lladdr_from_string("02:00:5e:10:00:0b", &f.lladdr), 0);
        CHECK(!entry_filter_match(&f, &k4, &withmac));
}

/* ip's state words, as "arpctl dump nud STATE" takes them, and back. */
static void test_nud(void) {
        CHECK_INT_EQ(entry_states_from_nud("stale"), ENTRY_STATE_BIT(RECORD_POSITIVE));
        CHECK_INT_EQ(entry_states_from_nud("STALE"), ENTRY_STATE_BIT(RECORD_POSITIVE));
        CHECK_INT_EQ(entry_states_from_nud("failed"), ENTRY_STATE_BIT(RECORD_NEGATIVE));
        CHECK_INT_EQ(entry_states_from_nud("permanent"), ENTRY_STATE_BIT(RECORD_STATIC));
        CHECK_INT_EQ(entry_states_from_nud("all"), ENTRY_STATES_ALL);
        CHECK_INT_EQ(entry_states_from_nud("learned"), ENTRY_STATES_LEARNED);
        CHECK_INT_EQ(entry_states_from_nud("static"), ENTRY_STATE_BIT(RECORD_STATIC));
        CHECK_INT_EQ(entry_states_from_nud(""), -EINVAL);
        CHECK_INT_EQ(entry_states_from_nud("reachable"), -EINVAL);
        CHECK_STR_EQ(entry_state_to_nud(RECORD_POSITIVE), "STALE");
        CHECK_STR_EQ(entry_state_to_nud(RECORD_NEGATIVE), "FAILED");
        CHECK_STR_EQ(entry_state_to_nud(RECORD_STATIC), "PERMANENT");
}

static void test_cursor(void) {
        struct neigh_key k = key("eth0", "2001:db8::1"), back;
        char buf[ENTRY_CURSOR_MAX];

        CHECK_STR_EQ(entry_cursor_format(&k, buf), "eth0/2001:db8::1");
        CHECK_INT_EQ(entry_cursor_parse(buf, &back), 0);
        CHECK(neigh_key_equal(&k, &back));
        const char *bad[] = { "", "eth0", "/198.18.0.1", "eth0/", "eth0/x", "averyveryverylongname/198.18.0.1",
                              "et h0/198.18.0.1" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (entry_cursor_parse(bad[i], &back) != -EINVAL) {
                        fprintf(stderr, "%s:%d: cursor '%s' accepted\n", __FILE__, __LINE__, bad[i]);
                        tests_failed_++;
                }
}

static void test_json(void) {
        struct record r = { .state = RECORD_NEGATIVE, .source = SOURCE_KERNEL, .first_seen = 5, .last_seen = 6,
                            .neg_since = 7, .probes = 2 };
        struct neigh_key k = key("a\"0", "198.18.0.7");
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        entry_format_json(f, &k, &r, false, 0, NULL);
        fclose(f);
        CHECK_STR_EQ(buf, "{\"dst\":\"198.18.0.7\",\"dev\":\"a\\\"0\",\"state\":[\"FAILED\"],\"arpd_state\":\"negative\","
                          "\"family\":4,\"source\":\"kernel\",\"first_seen_usec\":5,\"last_seen_usec\":6,"
                          "\"neg_since_usec\":7,\"probes\":2}");
        free(buf);

        /* pretty, nested at indent 2: the same fields, one per line */
        buf = NULL;
        f = open_memstream(&buf, &len);
        r = (struct record) { .state = RECORD_STATIC, .source = SOURCE_LOAD, .first_seen = 5, .last_seen = 6 };
        lladdr_from_string("02:00:5e:10:00:0a", &r.lladdr);
        k = key("a0", "2001:db8::7");
        entry_format_json(f, &k, &r, true, 2, NULL);
        fclose(f);
        CHECK_STR_EQ(buf, "{\n    \"dst\": \"2001:db8::7\",\n    \"dev\": \"a0\",\n    \"lladdr\": \"02:00:5e:10:00:0a\",\n"
                          "    \"state\": [\"PERMANENT\"],\n    \"arpd_state\": \"static\",\n    \"family\": 6,\n"
                          "    \"source\": \"load\",\n    \"first_seen_usec\": 5,\n    \"last_seen_usec\": 6,\n"
                          "    \"probes\": 0\n  }");
        free(buf);

        /* a router: "router": null after the lladdr, as ip -j neigh prints it */
        r.flags = RECORD_FLAG_ROUTER;
        r.state = RECORD_POSITIVE;
        buf = NULL;
        f = open_memstream(&buf, &len);
        entry_format_json(f, &k, &r, false, 0, NULL);
        fclose(f);
        CHECK(strstr(buf, "\"lladdr\":\"02:00:5e:10:00:0a\",\"router\":null,\"state\":[\"STALE\"]") != NULL);
        free(buf);
        buf = NULL;
        f = open_memstream(&buf, &len);
        entry_format_json(f, &k, &r, true, 0, NULL);
        fclose(f);
        CHECK(strstr(buf, "\"lladdr\": \"02:00:5e:10:00:0a\",\n  \"router\": null,\n  \"state\"") != NULL);
        free(buf);
}

/* The packed wire form carries every field of both families and rejects what is not an entry. */
static void test_packed(void) {
        struct record r = { .state = RECORD_STATIC, .source = SOURCE_CONTROL, .first_seen = 0x0102030405060708ULL,
                            .last_seen = UINT64_MAX, .neg_since = 3, .probes = 0xfffffffeU };
        struct neigh_key k = key("br-lan.100", "2001:db8::1:2"), k2;
        struct record r2;
        uint8_t buf[ENTRY_PACKED_SIZE];
        char a[IN_ADDR_STRLEN], l[LLADDR_STRLEN];

        CHECK_INT_EQ(lladdr_from_string("02:00:5e:10:00:00:00:01", &r.lladdr), 0);
        entry_pack(&k, &r, buf);
        CHECK_INT_EQ(buf[16], 6);
        CHECK_INT_EQ(buf[19], 8);
        CHECK_INT_EQ(entry_unpack(buf, &k2, &r2), 0);
        CHECK(neigh_key_equal(&k, &k2));
        CHECK_STR_EQ(in_addr_to_string(k2.family, &k2.addr, a), "2001:db8::1:2");
        CHECK_STR_EQ(lladdr_to_string(&r2.lladdr, l), "02:00:5e:10:00:00:00:01");
        CHECK_INT_EQ(r2.state, RECORD_STATIC);
        CHECK_INT_EQ(r2.source, SOURCE_CONTROL);
        CHECK(r2.first_seen == r.first_seen);
        CHECK(r2.last_seen == r.last_seen);
        CHECK(r2.neg_since == 3);
        CHECK(r2.probes == 0xfffffffeU);

        k = key("e0", "198.18.0.7");
        r = (struct record) { .state = RECORD_NEGATIVE, .source = SOURCE_PROBE, .neg_since = 9 };
        entry_pack(&k, &r, buf);
        CHECK_INT_EQ(entry_unpack(buf, &k2, &r2), 0);
        CHECK_STR_EQ(in_addr_to_string(k2.family, &k2.addr, a), "198.18.0.7");
        CHECK_STR_EQ(k2.ifname, "e0");
        CHECK_INT_EQ(r2.lladdr.len, 0);
        CHECK_INT_EQ(r2.state, RECORD_NEGATIVE);

        uint8_t bad[ENTRY_PACKED_SIZE];
        memcpy(bad, buf, sizeof(bad));
        bad[16] = 5; /* family */
        CHECK_INT_EQ(entry_unpack(bad, &k2, &r2), -EBADMSG);
        memcpy(bad, buf, sizeof(bad));
        bad[17] = 9; /* state */
        CHECK_INT_EQ(entry_unpack(bad, &k2, &r2), -EBADMSG);
        memcpy(bad, buf, sizeof(bad));
        bad[18] = 0; /* source */
        CHECK_INT_EQ(entry_unpack(bad, &k2, &r2), -EBADMSG);
        memcpy(bad, buf, sizeof(bad));
        bad[19] = LLADDR_MAX + 1;
        CHECK_INT_EQ(entry_unpack(bad, &k2, &r2), -EBADMSG);
        memcpy(bad, buf, sizeof(bad));
        memset(bad, 'x', IFNAMSIZ); /* no NUL */
        CHECK_INT_EQ(entry_unpack(bad, &k2, &r2), -EBADMSG);
        memcpy(bad, buf, sizeof(bad));
        bad[0] = '\0'; /* empty name */
        CHECK_INT_EQ(entry_unpack(bad, &k2, &r2), -EBADMSG);
}

struct page {
        size_t n, limit;
        struct neigh_key last;
};

static int page_one(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct page *p = userdata;

        p->last = *k;
        return ++p->n >= p->limit ? 1 : 0;
}

/* store_foreach_after() resumes strictly after the cursor: pages cover every key exactly once. */
static void test_paging(void) {
        char dir[] = "/tmp/test-entry-format.XXXXXX", path[64];
        Store *s = NULL;
        StoreTxn *t = NULL;
        size_t total = 0;

        if (!mkdtemp(dir))
                abort();
        snprintf(path, sizeof(path), "%s/db", dir);
        CHECK_INT_EQ(store_open(path, &(struct store_options) {}, &s), 0);
        CHECK_INT_EQ(store_txn_begin(s, &t), 0);
        for (int i = 0; i < 25; i++) {
                char a[32];
                struct record r = { .state = RECORD_POSITIVE, .source = SOURCE_LOAD, .lladdr = { 6, { 2, 0, 0, 0, 0, 1 } } };
                snprintf(a, sizeof(a), "198.18.0.%d", i + 1);
                struct neigh_key k = key(i % 2 ? "b0" : "a0", a);
                CHECK_INT_EQ(store_txn_put(t, &k, &r), 0);
        }
        CHECK_INT_EQ(store_txn_commit(t), 0);

        struct page p = { .limit = 4 };
        bool have = false;
        struct neigh_key after;
        for (int round = 0; round < 20; round++) {
                p.n = 0;
                int r = store_foreach_after(s, NULL, 0, have ? &after : NULL, page_one, &p);
                total += p.n;
                if (r == 0)
                        break;
                after = p.last;
                have = true;
        }
        CHECK_INT_EQ(total, 25);

        /* Within one interface, and with a cursor before that interface's range. */
        total = 0;
        have = false;
        after = key("a0", "198.18.0.1");
        p = (struct page) { .limit = 1000 };
        CHECK_INT_EQ(store_foreach_after(s, "b0", 0, &after, page_one, &p), 0);
        CHECK_INT_EQ(p.n, 12);
        p = (struct page) { .limit = 1000 };
        after = key("b0", "198.18.0.2");
        CHECK_INT_EQ(store_foreach_after(s, "b0", 0, &after, page_one, &p), 0);
        CHECK_INT_EQ(p.n, 11);
        p = (struct page) { .limit = 1000 };
        after = key("c0", "198.18.0.2");
        CHECK_INT_EQ(store_foreach_after(s, "b0", 0, &after, page_one, &p), 0);
        CHECK_INT_EQ(p.n, 0);

        store_free(s);
        unlink(path);
        snprintf(path, sizeof(path), "%s/db-lock", dir);
        unlink(path);
        rmdir(dir);
}

int main(void) {
        TEST_RUN(test_states);
        TEST_RUN(test_prefix);
        TEST_RUN(test_filter);
        TEST_RUN(test_nud);
        TEST_RUN(test_cursor);
        TEST_RUN(test_json);
        TEST_RUN(test_packed);
        TEST_RUN(test_paging);
        TEST_EXIT();
}
