/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cost of LMDB's sync modes for the store's batched commits: one write transaction of B
 * records (21-byte keys, 68-byte values, as the store writes them) per commit, C commits, in
 * MDB_NOSYNC (no flush at commit; the daemon calls mdb_env_sync every -p seconds), MDB_NOMETASYNC
 * (data pages flushed at every commit, the meta page not: a crash may lose the last commits but
 * cannot leave a meta page pointing at unwritten pages) and LMDB's default (both flushed).
 * Reported as commits per second, median [min-max] over R repetitions, and the ratio to NOSYNC.
 * Run by bench/store-sync.sh; not part of the test suite.
 */

#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

/* Commits per second for one mode. */
static double run(const char *path, unsigned flags, unsigned batch, unsigned commits) {
        MDB_env *env = NULL;
        MDB_txn *txn;
        MDB_dbi dbi;
        char lock[4096];
        double t0, t;
        uint32_t seq = 0;

        snprintf(lock, sizeof(lock), "%s-lock", path);
        unlink(path);
        unlink(lock);
        if (mdb_env_create(&env) || mdb_env_set_mapsize(env, (size_t) 1 << 30) ||
            mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOTLS | flags, 0644)) {
                fprintf(stderr, "cannot open %s\n", path);
                exit(1);
        }
        if (mdb_txn_begin(env, NULL, 0, &txn) || mdb_dbi_open(txn, NULL, 0, &dbi) || mdb_txn_commit(txn))
                exit(1);
        t0 = now();
        for (unsigned c = 0; c < commits; c++) {
                if (mdb_txn_begin(env, NULL, 0, &txn))
                        exit(1);
                for (unsigned i = 0; i < batch; i++) {
                        uint8_t k[21] = { 'e', 't', 'h', '0' }, v[68] = { 1, 1, 1, 6 };
                        uint32_t x = (seq++ * 2654435761u) % 100000; /* scattered, 100,000 distinct */
                        MDB_val kv = { sizeof(k), k }, vv = { sizeof(v), v };

                        k[16] = 4;
                        memcpy(k + 17, &x, 4);
                        memcpy(v + 44, &seq, 4);
                        if (mdb_put(txn, dbi, &kv, &vv, 0))
                                exit(1);
                }
                if (mdb_txn_commit(txn))
                        exit(1);
        }
        t = now() - t0;
        mdb_env_close(env);
        unlink(path);
        unlink(lock);
        return commits / t;
}

int main(int argc, char **argv) {
        const char *path = argc > 1 ? argv[1] : "store-sync.lmdb";
        unsigned reps = argc > 2 ? (unsigned) atoi(argv[2]) : 5;
        const unsigned batches[] = { 1, 100, 1000 };
        const struct {
                const char *name;
                unsigned flags;
        } modes[] = { { "MDB_NOSYNC", MDB_NOSYNC }, { "MDB_NOMETASYNC", MDB_NOMETASYNC }, { "full sync", 0 } };

        if (reps < 1 || reps > 50)
                reps = 5;
        printf("%-16s %8s %28s %10s\n", "mode", "batch", "commits/s median [min-max]", "vs NOSYNC");
        for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
                double base = 0;
                for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
                        double r[50];
                        unsigned commits = batches[b] == 1 ? 400 : batches[b] == 100 ? 200 : 50;

                        /* interleave the modes' repetitions so drift hits all alike */
                        for (unsigned i = 0; i < reps; i++)
                                r[i] = run(path, modes[m].flags, batches[b], commits);
                        qsort(r, reps, sizeof(double), cmp_double);
                        if (m == 0)
                                base = r[reps / 2];
                        printf("%-16s %8u %12.0f [%.0f-%.0f] %10.2f\n", modes[m].name, batches[b], r[reps / 2], r[0],
                               r[reps - 1], r[reps / 2] / base);
                }
        }
        return 0;
}
