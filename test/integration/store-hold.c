/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * store-hold PATH SECONDS: holds a write transaction on the store at PATH for SECONDS, as a large
 * "arpctl --database load" does (the same store_txn_begin()), printing "held" once it has it,
 * then aborts it (nothing is written). A test helper for test-write-lock.sh.
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"

int main(int argc, char **argv) {
        struct store_options so = {};
        Store *s = NULL;
        StoreTxn *t = NULL;
        int r;

        if (argc != 3) {
                fprintf(stderr, "usage: store-hold PATH SECONDS\n");
                return 2;
        }
        r = store_open(argv[1], &so, &s);
        if (r < 0)
                return 1;
        r = store_txn_begin(s, &t);
        if (r < 0) {
                fprintf(stderr, "store-hold: cannot begin a write transaction: %d\n", r);
                store_free(s);
                return 1;
        }
        printf("held\n");
        fflush(stdout);
        sleep((unsigned) atoi(argv[2]));
        store_txn_abort(t);
        store_free(s);
        return 0;
}
