/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The store's MAC history table (store.h, "MAC history" in store.c). */

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <lmdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "store.h"
#include "tests.h"

static char tmpdir[] = "/tmp/test-store-history-XXXXXX";
static char path[300];

static struct neigh_key key(const char *addr) {
        union in_addr_union a = {};
        struct neigh_key k = {};

        CHECK(inet_pton(AF_INET, addr, &a) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, "a0", AF_INET, &a), 0);
        return k;
}

static struct lladdr mac(uint8_t last) {
        struct lladdr l;
        const uint8_t b[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, last };

        lladdr_set(&l, b, sizeof(b));
        return l;
}

static struct record positive(uint8_t last, usec_t first, usec_t seen) {
        return (struct record) { .state = RECORD_POSITIVE, .source = SOURCE_ARP, .lladdr = mac(last),
                                 .first_seen = first, .last_seen = seen };
}

static struct station_history two(uint8_t newest, uint8_t older) {
        struct station_history h = { .stamp = 1, .n = 2 };

        h.mac[0] = (struct station_mac) { mac(newest), 20, 30 };
        h.mac[1] = (struct station_mac) { mac(older), 10, 15 };
        return h;
}

static Store *open_rw(void) {
        Store *s = NULL;

        CHECK_INT_EQ(store_open(path, &(struct store_options) {}, &s), 0);
        return s;
}

static void test_staged_then_committed(void) {
        _cleanup_(store_freep) Store *s = open_rw();
        struct neigh_key k = key("198.18.0.10");
        struct record r = positive(0xb, 10, 20);
        struct station_history h = two(0xb, 0xa), got;

        CHECK_INT_EQ(store_history_get(s, &k, &got), -ENOENT);
        CHECK_INT_EQ(store_stage_put(s, &k, &r), 0);
        CHECK_INT_EQ(store_stage_history(s, &k, &h), 0);
        /* staged: visible before the commit (the next frame of the same batch is classified on it) */
        CHECK_INT_EQ(store_history_get(s, &k, &got), 0);
        CHECK_INT_EQ(got.n, 2);
        CHECK_INT_EQ(store_flush(s), 1);
        CHECK_INT_EQ(store_history_get(s, &k, &got), 0);
        CHECK_INT_EQ(got.n, 2);
        CHECK(got.stamp == 10); /* the committed record's first_seen */
        CHECK(lladdr_equal(&got.mac[0].lladdr, &r.lladdr));
        CHECK(got.mac[1].first_seen == 10 && got.mac[1].last_seen == 15);

        /* fewer than two MACs is never a history row */
        h.n = 1;
        CHECK_INT_EQ(store_stage_history(s, &k, &h), -EINVAL);
}

static void test_dropped_when_record_disagrees(void) {
        _cleanup_(store_freep) Store *s = open_rw();
        struct neigh_key k = key("198.18.0.11"), k2 = key("198.18.0.12");
        struct record r = positive(0xc, 10, 20);
        struct station_history h = two(0xb, 0xa), got;

        /* the record holds another MAC than the history's newest: not written */
        CHECK_INT_EQ(store_stage_put(s, &k, &r), 0);
        CHECK_INT_EQ(store_stage_history(s, &k, &h), 0);
        /* no record at all: not written either */
        CHECK_INT_EQ(store_stage_history(s, &k2, &h), 0);
        CHECK_INT_EQ(store_flush(s), 1);
        CHECK_INT_EQ(store_history_get(s, &k, &got), -ENOENT);
        CHECK_INT_EQ(store_history_get(s, &k2, &got), -ENOENT);
}

static void test_deleted_with_record(void) {
        _cleanup_(store_freep) Store *s = open_rw();
        struct neigh_key k = key("198.18.0.13"), k2 = key("198.18.0.14");
        struct record r = positive(0xb, 10, 20);
        struct station_history h = two(0xb, 0xa), got;
        StoreTxn *t = NULL;

        CHECK_INT_EQ(store_stage_put(s, &k, &r), 0);
        CHECK_INT_EQ(store_stage_history(s, &k, &h), 0);
        CHECK_INT_EQ(store_stage_put(s, &k2, &r), 0);
        CHECK_INT_EQ(store_stage_history(s, &k2, &h), 0);
        CHECK_INT_EQ(store_flush(s), 2);
        /* an operator's delete (arpctl delete, flush) */
        CHECK_INT_EQ(store_txn_begin(s, &t), 0);
        CHECK_INT_EQ(store_txn_delete(t, &k), 0);
        CHECK_INT_EQ(store_txn_commit(t), 0);
        CHECK_INT_EQ(store_refresh(s), 0);
        CHECK_INT_EQ(store_history_get(s, &k, &got), -ENOENT);
        /* the daemon's staged delete (an invalidated binding) */
        CHECK_INT_EQ(store_stage_delete(s, &k2), 0);
        CHECK_INT_EQ(store_flush(s), 1);
        CHECK_INT_EQ(store_history_get(s, &k2, &got), -ENOENT);
}

static void test_evicted_with_record(void) {
        _cleanup_(store_freep) Store *s = open_rw();
        struct neigh_key k = key("198.18.0.20"), k2 = key("198.18.0.21");
        struct record old = positive(0xb, 10, 20), young = positive(0xb, 100, 200);
        struct station_history h = two(0xb, 0xa), got;

        CHECK_INT_EQ(store_stage_put(s, &k, &old), 0);
        CHECK_INT_EQ(store_stage_history(s, &k, &h), 0);
        CHECK_INT_EQ(store_flush(s), 1);
        CHECK_INT_EQ(store_history_get(s, &k, &got), 0);
        /* a bound of one entry per interface evicts the least recently seen: k, with its history */
        CHECK_INT_EQ(store_stage_put(s, &k2, &young), 0);
        CHECK_INT_EQ(store_flush(s), 1);
        CHECK(store_set_limits(s, &(struct store_limits) { .max_entries = 1, .max_per_iface = 1 }) >= 1);
        CHECK_INT_EQ(store_refresh(s), 0);
        CHECK_INT_EQ(store_get(s, &k, NULL), -ENOENT);
        CHECK_INT_EQ(store_history_get(s, &k, &got), -ENOENT);
        CHECK_INT_EQ(store_set_limits(s, &(struct store_limits) { .max_entries = 1000, .max_per_iface = 1000 }), 0);
}

static void test_read_only_reader(void) {
        struct neigh_key k = key("198.18.0.30");
        struct record r = positive(0xb, 10, 20);
        struct station_history h = two(0xb, 0xa), got;
        {
                _cleanup_(store_freep) Store *s = open_rw();
                CHECK_INT_EQ(store_stage_put(s, &k, &r), 0);
                CHECK_INT_EQ(store_stage_history(s, &k, &h), 0);
                CHECK_INT_EQ(store_flush(s), 1);
        }
        _cleanup_(store_freep) Store *ro = NULL;
        CHECK_INT_EQ(store_open(path, &(struct store_options) { .read_only = true }, &ro), 0);
        CHECK_INT_EQ(store_history_get(ro, &k, &got), 0);
        CHECK_INT_EQ(got.n, 2);
        CHECK_INT_EQ(store_stage_history(ro, &k, &h), -EROFS);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

int main(void) {
        if (!mkdtemp(tmpdir))
                return 1;
        snprintf(path, sizeof(path), "%s/store", tmpdir);
        TEST_RUN(test_staged_then_committed);
        TEST_RUN(test_dropped_when_record_disagrees);
        TEST_RUN(test_deleted_with_record);
        TEST_RUN(test_evicted_with_record);
        TEST_RUN(test_read_only_reader);
        nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
        TEST_EXIT();
}
