/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <string.h>

#include "macro.h"
#include "station.h"
#include "tests.h"

#define T0 (1700000000ULL * USEC_PER_SEC)
#define SIX_MONTHS STATION_NEW_ACTIVITY_DEFAULT

static const struct station_options opts = { .new_activity_after = SIX_MONTHS };

static struct lladdr mac(uint8_t last) {
        struct lladdr l;
        const uint8_t b[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, last };

        lladdr_set(&l, b, sizeof(b));
        return l;
}

static struct record positive(uint8_t last, usec_t first, usec_t seen) {
        return (struct record) {
                .state = RECORD_POSITIVE, .source = SOURCE_ARP, .lladdr = mac(last), .first_seen = first,
                .last_seen = seen,
        };
}

/* Feeds mac(last) at now to (rec, hist) as the daemon does: classify, then the record and the
 * stored history it would write. */
static enum station_kind step(struct record *rec, bool *have_rec, struct station_history *hist, bool *have_hist,
                              uint8_t last, usec_t now) {
        struct station_result r;
        struct lladdr m = mac(last);

        station_classify(&opts, *have_rec ? rec : NULL, *have_hist ? hist : NULL, &m, now, &r);
        if (!*have_rec)
                *rec = positive(last, now, now);
        rec->lladdr = m;
        rec->last_seen = now;
        *have_rec = true;
        if (r.store_history) {
                *hist = r.history;
                *have_hist = true;
        }
        return r.kind;
}

static void test_kind_names(void) {
        for (unsigned k = 1; k < _STATION_KIND_MAX; k++)
                CHECK_INT_EQ(station_kind_from_string(station_kind_to_string(k)), k);
        CHECK(station_kind_to_string(STATION_NONE) == NULL);
        CHECK_INT_EQ(station_kind_from_string("flip flop"), -EINVAL);
}

static void test_new_station(void) {
        struct station_result r;
        struct lladdr a = mac(0xa);
        struct record neg = { .state = RECORD_NEGATIVE, .source = SOURCE_PROBE, .first_seen = T0, .last_seen = T0 };

        station_classify(&opts, NULL, NULL, &a, T0, &r);
        CHECK_INT_EQ(r.kind, STATION_NEW);
        CHECK_INT_EQ(r.history.n, 1);
        CHECK(!r.store_history); /* one MAC: the record is the whole history */

        /* a negative record from our own probe never had a MAC: still a new station */
        station_classify(&opts, &neg, NULL, &a, T0 + 1, &r);
        CHECK_INT_EQ(r.kind, STATION_NEW);
}

static void test_same_mac_no_event(void) {
        struct station_result r;
        struct record cur = positive(0xa, T0, T0 + 10);
        struct lladdr a = mac(0xa);

        station_classify(&opts, &cur, NULL, &a, T0 + 20, &r);
        CHECK_INT_EQ(r.kind, STATION_NONE);
        CHECK(!r.store_history);
        /* a negative record that kept its MAC (the kernel's FAILED), revived by the same MAC */
        cur.state = RECORD_NEGATIVE;
        station_classify(&opts, &cur, NULL, &a, T0 + 30, &r);
        CHECK_INT_EQ(r.kind, STATION_NONE);
}

static void test_new_activity_threshold(void) {
        struct station_result r;
        struct record cur = positive(0xa, T0, T0);
        struct lladdr a = mac(0xa);
        const struct station_options off = { 0 };

        /* arpwatch: more than the delta; exactly the delta is not new activity */
        station_classify(&opts, &cur, NULL, &a, T0 + SIX_MONTHS, &r);
        CHECK_INT_EQ(r.kind, STATION_NONE);
        station_classify(&opts, &cur, NULL, &a, T0 + SIX_MONTHS + 1, &r);
        CHECK_INT_EQ(r.kind, STATION_NEW_ACTIVITY);
        CHECK(r.idle == SIX_MONTHS + 1);
        CHECK(!r.store_history);
        station_classify(&off, &cur, NULL, &a, T0 + 10 * SIX_MONTHS, &r);
        CHECK_INT_EQ(r.kind, STATION_NONE);
        /* a clock stepped back is no activity */
        station_classify(&opts, &cur, NULL, &a, T0 - 1, &r);
        CHECK_INT_EQ(r.kind, STATION_NONE);
}

static void test_sequence(void) {
        struct record rec = {};
        struct station_history h = {};
        bool have_rec = false, have_hist = false;
        char s[LLADDR_STRLEN];

        /* A B A C A B: arpwatch's db.c gives new, changed, flip flop, changed, flip flop, reused */
        CHECK_INT_EQ(step(&rec, &have_rec, &h, &have_hist, 0xa, T0 + 1), STATION_NEW);
        CHECK(!have_hist);
        CHECK_INT_EQ(step(&rec, &have_rec, &h, &have_hist, 0xb, T0 + 2), STATION_CHANGED);
        CHECK(have_hist);
        CHECK_INT_EQ(h.n, 2);
        CHECK(h.stamp == T0 + 1);
        CHECK_INT_EQ(step(&rec, &have_rec, &h, &have_hist, 0xb, T0 + 3), STATION_NONE);
        CHECK_INT_EQ(step(&rec, &have_rec, &h, &have_hist, 0xa, T0 + 4), STATION_FLIP_FLOP);
        CHECK_INT_EQ(step(&rec, &have_rec, &h, &have_hist, 0xc, T0 + 5), STATION_CHANGED);
        CHECK_INT_EQ(step(&rec, &have_rec, &h, &have_hist, 0xa, T0 + 6), STATION_FLIP_FLOP);
        CHECK_INT_EQ(step(&rec, &have_rec, &h, &have_hist, 0xb, T0 + 7), STATION_REUSED_OLD);
        CHECK_INT_EQ(h.n, 3);
        CHECK_STR_EQ(lladdr_to_string(&h.mac[0].lladdr, s), "02:00:5e:10:00:0b");
        CHECK_STR_EQ(lladdr_to_string(&h.mac[1].lladdr, s), "02:00:5e:10:00:0a");
        CHECK_STR_EQ(lladdr_to_string(&h.mac[2].lladdr, s), "02:00:5e:10:00:0c");
        /* first seen kept, last seen updated; the one seen at T0 + 3 took the record's touch */
        CHECK(h.mac[0].first_seen == T0 + 2 && h.mac[0].last_seen == T0 + 7);
        CHECK(h.mac[1].first_seen == T0 + 1 && h.mac[1].last_seen == T0 + 6);
        CHECK(h.mac[2].first_seen == T0 + 5 && h.mac[2].last_seen == T0 + 5);
}

static void test_bounded(void) {
        struct record rec = {};
        struct station_history h = {};
        bool have_rec = false, have_hist = false;

        for (unsigned i = 0; i < 3 * STATION_HISTORY_MAX; i++)
                (void) step(&rec, &have_rec, &h, &have_hist, (uint8_t) (0x10 + i), T0 + i);
        CHECK_INT_EQ(h.n, STATION_HISTORY_MAX);
        /* the oldest still kept is the K-th newest; one older than that is a changed address again */
        CHECK_INT_EQ(step(&rec, &have_rec, &h, &have_hist, (uint8_t) (0x10 + 3 * STATION_HISTORY_MAX - STATION_HISTORY_MAX),
                          T0 + 100),
                     STATION_REUSED_OLD);
        CHECK_INT_EQ(step(&rec, &have_rec, &h, &have_hist, 0x10, T0 + 101), STATION_CHANGED);
        CHECK_INT_EQ(h.n, STATION_HISTORY_MAX);
}

static void test_stale_stamp_ignored(void) {
        struct station_result r;
        struct record cur = positive(0xa, T0 + 50, T0 + 50); /* learned again after a delete */
        struct station_history old = { .stamp = T0, .n = 2 };
        struct lladdr b = mac(0xb);

        old.mac[0] = (struct station_mac) { mac(0xa), T0 + 1, T0 + 2 };
        old.mac[1] = (struct station_mac) { mac(0xb), T0, T0 };
        station_classify(&opts, &cur, &old, &b, T0 + 60, &r);
        CHECK_INT_EQ(r.kind, STATION_CHANGED); /* not a flip flop of a history that is not its own */
        old.stamp = T0 + 50;
        station_classify(&opts, &cur, &old, &b, T0 + 60, &r);
        CHECK_INT_EQ(r.kind, STATION_FLIP_FLOP);
}

static void test_view_static_over_history(void) {
        struct station_history v, old = { .stamp = T0, .n = 2 };
        struct record st = positive(0xc, T0, T0 + 9);

        st.state = RECORD_STATIC;
        old.mac[0] = (struct station_mac) { mac(0xa), T0 + 1, T0 + 2 };
        old.mac[1] = (struct station_mac) { mac(0xb), T0, T0 };
        station_history_view(&st, &old, &v);
        CHECK_INT_EQ(v.n, 3);
        CHECK(lladdr_equal(&v.mac[0].lladdr, &st.lladdr));
        station_history_view(NULL, &old, &v);
        CHECK_INT_EQ(v.n, 0);

        /* the static entry's own MAC again is nothing (another MAC never reaches the classifier:
         * the resolver makes it a static conflict and stores nothing) */
        struct station_result r;
        station_classify(&opts, &st, &old, &st.lladdr, T0 + 10, &r);
        CHECK_INT_EQ(r.kind, STATION_NONE);
        CHECK(!r.store_history);
}

static void test_encoding(void) {
        struct station_history h = { .stamp = 0x0102030405060708ULL, .n = 3 }, d;
        uint8_t buf[STATION_HISTORY_ENCODED_MAX];
        struct lladdr ib;
        uint8_t ibb[20];
        int n;

        memset(ibb, 0x42, sizeof(ibb));
        lladdr_set(&ib, ibb, sizeof(ibb)); /* InfiniBand: 20 bytes */
        h.mac[0] = (struct station_mac) { mac(1), 11, 12 };
        h.mac[1] = (struct station_mac) { ib, 21, 22 };
        h.mac[2] = (struct station_mac) { mac(3), 31, UINT64_MAX };
        n = station_history_encode(&h, buf, sizeof(buf));
        CHECK_INT_EQ(n, 10 + 3 * 17 + 6 + 20 + 6);
        CHECK_INT_EQ(buf[0], 1);
        CHECK_INT_EQ(buf[1], 3);
        CHECK_INT_EQ(buf[2], 0x08); /* little-endian */
        CHECK_INT_EQ(station_history_decode(buf, (size_t) n, &d), 0);
        CHECK_INT_EQ(d.n, 3);
        CHECK(d.stamp == h.stamp);
        for (unsigned i = 0; i < 3; i++)
                CHECK(lladdr_equal(&d.mac[i].lladdr, &h.mac[i].lladdr) && d.mac[i].first_seen == h.mac[i].first_seen &&
                      d.mac[i].last_seen == h.mac[i].last_seen);

        CHECK_INT_EQ(station_history_encode(&h, buf, (size_t) n - 1), -ENOBUFS);
        CHECK_INT_EQ(station_history_decode(buf, (size_t) n - 1, &d), -EBADMSG); /* cut short */
        CHECK_INT_EQ(station_history_decode(buf, 0, &d), -EBADMSG);
        buf[n] = 0;
        CHECK_INT_EQ(station_history_decode(buf, (size_t) n + 1, &d), -EBADMSG); /* trailing bytes */
        buf[1] = 1;
        CHECK_INT_EQ(station_history_decode(buf, (size_t) n, &d), -EBADMSG); /* one MAC is never stored */
        buf[1] = STATION_HISTORY_MAX + 1;
        CHECK_INT_EQ(station_history_decode(buf, (size_t) n, &d), -EBADMSG);
        buf[1] = 3;
        buf[10] = 0;
        CHECK_INT_EQ(station_history_decode(buf, (size_t) n, &d), -EBADMSG); /* empty MAC */
        buf[10] = LLADDR_MAX + 1;
        CHECK_INT_EQ(station_history_decode(buf, (size_t) n, &d), -EBADMSG);
        buf[0] = 2;
        CHECK_INT_EQ(station_history_decode(buf, (size_t) n, &d), -EPROTONOSUPPORT); /* a newer arpd's */

        /* a MAC listed twice is inconsistent */
        struct station_history dup = { .stamp = 1, .n = 2 };
        dup.mac[0] = (struct station_mac) { mac(1), 1, 2 };
        dup.mac[1] = (struct station_mac) { mac(1), 3, 4 };
        n = station_history_encode(&dup, buf, sizeof(buf));
        CHECK(n > 0);
        CHECK_INT_EQ(station_history_decode(buf, (size_t) n, &d), -EBADMSG);

        h.n = 1;
        CHECK_INT_EQ(station_history_encode(&h, buf, sizeof(buf)), -EINVAL);
        h.n = STATION_HISTORY_MAX + 1;
        CHECK_INT_EQ(station_history_encode(&h, buf, sizeof(buf)), -EINVAL);
        h.n = 2;
        h.mac[1].lladdr.len = 0;
        CHECK_INT_EQ(station_history_encode(&h, buf, sizeof(buf)), -EINVAL);

        /* the largest history fits the documented bound */
        h.n = STATION_HISTORY_MAX;
        for (unsigned i = 0; i < STATION_HISTORY_MAX; i++) {
                uint8_t big[LLADDR_MAX];
                memset(big, (int) i + 1, sizeof(big));
                lladdr_set(&h.mac[i].lladdr, big, sizeof(big));
        }
        n = station_history_encode(&h, buf, sizeof(buf));
        CHECK_INT_EQ(n, STATION_HISTORY_ENCODED_MAX);
        CHECK_INT_EQ(station_history_decode(buf, (size_t) n, &d), 0);
}

int main(void) {
        TEST_RUN(test_kind_names);
        TEST_RUN(test_new_station);
        TEST_RUN(test_same_mac_no_event);
        TEST_RUN(test_new_activity_threshold);
        TEST_RUN(test_sequence);
        TEST_RUN(test_bounded);
        TEST_RUN(test_stale_stamp_ignored);
        TEST_RUN(test_view_static_over_history);
        TEST_RUN(test_encoding);
        TEST_EXIT();
}
