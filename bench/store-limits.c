/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Records the bounds of a store (store_set_limits(): the total and the per-interface bound that
 * every writer honours), creating the store if it does not exist. bench/bench.py's W5 uses it to
 * give the flooded interface a bound smaller than the flood. arpd has no option for the
 * per-interface bound; this calls the same library function a command for it would.
 *
 *   store-limits DB MAX_ENTRIES MAX_PER_IFACE
 *
 * Built by bench/run against the build's static library (like bench/store-evict.sh); not a test.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

int main(int argc, char **argv) {
        struct store_limits l = {}, got = {};
        Store *s = NULL;
        int r;

        if (argc != 4) {
                fprintf(stderr, "usage: store-limits DB MAX_ENTRIES MAX_PER_IFACE\n");
                return 2;
        }
        l.max_entries = strtoull(argv[2], NULL, 10);
        l.max_per_iface = strtoull(argv[3], NULL, 10);
        r = store_open(argv[1], &(struct store_options) { .max_entries = l.max_entries,
                                                          .max_per_iface = l.max_per_iface }, &s);
        if (r < 0)
                return 1;
        r = store_set_limits(s, &l);
        if (r >= 0)
                r = store_get_limits(s, &got);
        if (r < 0) {
                fprintf(stderr, "store-limits: %s\n", strerror(-r));
                store_free(s);
                return 1;
        }
        printf("max_entries=%llu max_per_iface=%llu\n", (unsigned long long) got.max_entries,
               (unsigned long long) got.max_per_iface);
        store_free(s);
        return 0;
}
