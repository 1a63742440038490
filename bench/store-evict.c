/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cost of eviction against the size of the store: one interface (eth1) is flooded past its
 * bound of B entries with new senders in batches of 200 (each batch evicts 200 of its oldest),
 * while the rest of the store holds N entries of other interfaces, for N = 0, 100,000 and
 * 1,000,000 (in interfaces of B entries each, within their bound). Reported: microseconds per flooded entry (a staged put, its share of the commit and
 * of the eviction), median [min-max] over R repetitions, and the ratio to N = 0. With the
 * per-interface index the ratio stays near 1 (B-tree depth aside); a scan per overflow would grow
 * with N. Run by bench/store-evict.sh against the build's static library; not a test.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "time-util.h"

static struct neigh_key key_n(const char *ifname, uint32_t i) {
        union in_addr_union a = {};
        struct neigh_key k = {};

        a.in.s_addr = htonl(0xc6120000u | (i & 0x1ffffu)); /* 198.18.0.0/15: 2^17 per interface */
        (void) neigh_key_make(&k, ifname, AF_INET, &a);
        return k;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

static double run(const char *dir, uint32_t others, uint32_t bound, uint32_t flood) {
        char path[4096], lock[4200];
        struct record r = { .state = RECORD_POSITIVE, .source = SOURCE_ARP };
        Store *s = NULL;
        usec_t t0;
        double us;

        snprintf(path, sizeof(path), "%s/store-evict.lmdb", dir);
        snprintf(lock, sizeof(lock), "%s-lock", path);
        unlink(path);
        unlink(lock);
        if (store_open(path, &(struct store_options) { .max_entries = 4000000, .max_per_iface = bound }, &s) < 0)
                exit(1);
        (void) lladdr_from_string("02:00:00:00:00:01", &r.lladdr);
        /* the others: interfaces of `bound` entries each, all within their bound */
        for (uint32_t i = 0; i < others; i++) {
                char ifname[16];
                snprintf(ifname, sizeof(ifname), "o%u", i / bound);
                r.last_seen = 1 + i;
                struct neigh_key k = key_n(ifname, i % bound);
                if (store_stage_put(s, &k, &r) < 0)
                        exit(1);
                if (store_staged(s) == STORE_STAGE_MAX && store_flush(s) < 0)
                        exit(1);
        }
        if (store_flush(s) < 0)
                exit(1);
        /* eth1 at its bound, then the flood */
        t0 = 0;
        for (uint32_t i = 0; i < bound + flood; i++) { /* bound + flood < 2^17: distinct keys */
                struct neigh_key k = key_n("eth1", i);

                if (i == bound) {
                        if (store_flush(s) < 0)
                                exit(1);
                        t0 = now_usec(CLOCK_MONOTONIC);
                }
                r.last_seen = 10000000 + i;
                if (store_stage_put(s, &k, &r) < 0)
                        exit(1);
                if (store_staged(s) == 200 && store_flush(s) < 0)
                        exit(1);
        }
        if (store_flush(s) < 0)
                exit(1);
        us = (double) (now_usec(CLOCK_MONOTONIC) - t0) / flood;
        if (store_get_counters(s)->evicted != flood) {
                fprintf(stderr, "expected %u evictions, got %llu\n", flood,
                        (unsigned long long) store_get_counters(s)->evicted);
                exit(1);
        }
        store_free(s);
        unlink(path);
        unlink(lock);
        return us;
}

int main(int argc, char **argv) {
        const char *dir = argc > 1 ? argv[1] : ".";
        unsigned reps = argc > 2 ? (unsigned) atoi(argv[2]) : 3;
        const uint32_t sizes[] = { 0, 100000, 1000000 };
        double base = 0;

        log_set_max_level(LOG_WARNING);
        if (reps < 1 || reps > 20)
                reps = 3;
        printf("%-22s %30s %8s\n", "other entries", "us per flooded entry, median [min-max]", "ratio");
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                double r[20];

                for (unsigned j = 0; j < reps; j++)
                        r[j] = run(dir, sizes[i], 10000, 50000);
                qsort(r, reps, sizeof(double), cmp_double);
                if (i == 0)
                        base = r[reps / 2];
                printf("%-22u %18.2f [%.2f-%.2f] %8.2f\n", sizes[i], r[reps / 2], r[0], r[reps - 1], r[reps / 2] / base);
        }
        return 0;
}
