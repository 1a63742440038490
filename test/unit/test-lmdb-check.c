/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <fcntl.h>
#include <ftw.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lmdb-check.h"
#include "macro.h"
#include "tests.h"

static char tmpdir[] = "/tmp/test-lmdb-check-XXXXXX";

static const char *tpath(const char *name) {
        static char buf[4][256];
        static unsigned i;
        char *p = buf[i++ % ELEMENTSOF(buf)];

        snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
        return p;
}

/* An LMDB file written with plain LMDB: n keys in the main database and, if named, n in a named
 * one (with sorted duplicates if dupsort). Returns the last txnid. */
static size_t make_env(const char *p, unsigned n, const char *named, bool dupsort) {
        MDB_env *env = NULL;
        MDB_txn *txn = NULL;
        MDB_dbi main_dbi, sub;
        MDB_envinfo info = {};
        char lock[300];

        snprintf(lock, sizeof(lock), "%s-lock", p);
        (void) unlink(p); /* never LMDB on a file a test damaged */
        (void) unlink(lock);
        CHECK_INT_EQ(mdb_env_create(&env), 0);
        CHECK_INT_EQ(mdb_env_set_maxdbs(env, 4), 0);
        CHECK_INT_EQ(mdb_env_open(env, p, MDB_NOSUBDIR, 0644), 0);
        for (unsigned round = 0; round < 3; round++) {
                CHECK_INT_EQ(mdb_txn_begin(env, NULL, 0, &txn), 0);
                CHECK_INT_EQ(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
                if (named)
                        CHECK_INT_EQ(mdb_dbi_open(txn, named, MDB_CREATE | (dupsort ? MDB_DUPSORT : 0), &sub), 0);
                for (unsigned i = 0; i < n; i++) {
                        char k[32], v[64];
                        MDB_val kv = { (size_t) snprintf(k, sizeof(k), "key-%06u", i), k },
                                vv = { (size_t) snprintf(v, sizeof(v), "value-%u-%u", round, i), v };
                        if (!named)
                                CHECK_INT_EQ(mdb_put(txn, main_dbi, &kv, &vv, 0), 0);
                        else
                                CHECK_INT_EQ(mdb_put(txn, sub, &kv, &vv, 0), 0);
                        if (round == 2 && i % 3 == 0 && !dupsort)
                                CHECK_INT_EQ(mdb_del(txn, named ? sub : main_dbi, &kv, NULL), 0); /* a free list */
                }
                CHECK_INT_EQ(mdb_txn_commit(txn), 0);
        }
        CHECK_INT_EQ(mdb_env_info(env, &info), 0);
        mdb_env_close(env);
        return info.me_last_txnid;
}

static int check_path(const char *p, uint64_t txnid, char *why, size_t size) {
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        int r;

        CHECK(fd >= 0);
        r = lmdb_check_meta(fd, why, size);
        if (r != LMDB_CHECK_OK)
                return r;
        return lmdb_check_file(fd, txnid, why, size);
}

static void overwrite(const char *p, off_t off, const void *b, size_t n) {
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

        CHECK(fd >= 0 && pwrite(fd, b, n, off) == (ssize_t) n);
}

static void test_good_files(void) {
        char why[256];
        size_t txnid;

        txnid = make_env(tpath("plain.lmdb"), 2000, NULL, false);
        CHECK_INT_EQ(check_path(tpath("plain.lmdb"), 0, why, sizeof(why)), LMDB_CHECK_OK);
        CHECK_INT_EQ(check_path(tpath("plain.lmdb"), txnid, why, sizeof(why)), LMDB_CHECK_OK);
        CHECK_INT_EQ(check_path(tpath("plain.lmdb"), txnid + 5, why, sizeof(why)), -ESTALE);

        make_env(tpath("named.lmdb"), 3000, "things", false);
        CHECK_INT_EQ(check_path(tpath("named.lmdb"), 0, why, sizeof(why)), LMDB_CHECK_OK);
}

static void test_not_lmdb(void) {
        uint8_t junk[8192], zero[8192] = {}, swapped[4096] = {};
        char why[256];

        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (uint8_t) (i * 131 + 7);
        overwrite(tpath("empty.lmdb"), 0, "", 0);
        CHECK_INT_EQ(check_path(tpath("empty.lmdb"), 0, why, sizeof(why)), LMDB_CHECK_EMPTY);
        overwrite(tpath("junk.lmdb"), 0, junk, sizeof(junk));
        CHECK_INT_EQ(check_path(tpath("junk.lmdb"), 0, why, sizeof(why)), LMDB_CHECK_NOT_LMDB);
        overwrite(tpath("zero.lmdb"), 0, zero, sizeof(zero));
        CHECK_INT_EQ(check_path(tpath("zero.lmdb"), 0, why, sizeof(why)), LMDB_CHECK_DAMAGED);
        /* another byte order: LMDB, but not ours to read */
        swapped[sizeof(size_t) + 2] = 0x08;
        swapped[sizeof(size_t) + 8] = 0xbe, swapped[sizeof(size_t) + 9] = 0xef;
        swapped[sizeof(size_t) + 10] = 0xc0, swapped[sizeof(size_t) + 11] = 0xde;
        overwrite(tpath("swapped.lmdb"), 0, swapped, sizeof(swapped));
        CHECK_INT_EQ(check_path(tpath("swapped.lmdb"), 0, why, sizeof(why)), LMDB_CHECK_UNSUPPORTED);
        /* sorted duplicates: a valid LMDB file this check does not read -- never called damaged */
        make_env(tpath("dupsort.lmdb"), 100, "dups", true);
        CHECK_INT_EQ(check_path(tpath("dupsort.lmdb"), 0, why, sizeof(why)), LMDB_CHECK_UNSUPPORTED);
}

/* The main database's root page in the current meta page (offsets: lmdb-check.h). */
static off_t main_root(const char *p) {
        const size_t w = sizeof(size_t), h = w + 8, dbs = h + 8 + 2 * w, db = 8 + 5 * w;
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        size_t root[2] = {}, txnid[2] = {};

        for (int i = 0; i < 2; i++) {
                CHECK(pread(fd, &root[i], w, i * 4096 + (off_t) (dbs + db + 8 + 4 * w)) == (ssize_t) w);
                CHECK(pread(fd, &txnid[i], w, i * 4096 + (off_t) (dbs + 2 * db + w)) == (ssize_t) w);
        }
        return (off_t) root[txnid[1] > txnid[0] ? 1 : 0];
}

static void test_damage(void) {
        const char *p = tpath("dam.lmdb");
        uint8_t page[4096];
        char why[256];
        struct stat st;
        _cleanup_close_ int fd = -EBADF;

        make_env(p, 2000, NULL, false);
        CHECK(stat(p, &st) == 0 && st.st_size > 8 * 4096);

        /* cut short */
        CHECK(truncate(p, st.st_size - 4096) == 0);
        CHECK_INT_EQ(check_path(p, 0, why, sizeof(why)), LMDB_CHECK_DAMAGED);
        CHECK(strstr(why, "cut short") != NULL);

        /* the root page with another page's number in its header */
        make_env(p, 2000, NULL, false);
        off_t root = main_root(p);
        CHECK(root >= 2 && root < st.st_size / 4096);
        fd = open(p, O_RDWR | O_CLOEXEC);
        CHECK(fd >= 0 && pread(fd, page, sizeof(page), root * 4096) == sizeof(page));
        page[0] ^= 0x40;
        CHECK(pwrite(fd, page, sizeof(page), root * 4096) == sizeof(page));
        fd = safe_close(fd);
        CHECK_INT_EQ(check_path(p, 0, why, sizeof(why)), LMDB_CHECK_DAMAGED);

        /* a node offset pointing outside its page */
        make_env(p, 2000, NULL, false);
        root = main_root(p);
        fd = open(p, O_RDWR | O_CLOEXEC);
        CHECK(fd >= 0 && pread(fd, page, sizeof(page), root * 4096) == sizeof(page));
        page[sizeof(size_t) + 8] = 0xfe, page[sizeof(size_t) + 9] = 0x7f; /* the first node at 32766 */
        CHECK(pwrite(fd, page, sizeof(page), root * 4096) == sizeof(page));
        fd = safe_close(fd);
        CHECK_INT_EQ(check_path(p, 0, why, sizeof(why)), LMDB_CHECK_DAMAGED);

        /* one meta page overwritten: found by the meta check alone */
        make_env(p, 100, NULL, false);
        memset(page, 0x5a, sizeof(page));
        overwrite(p, 4096, page, sizeof(page));
        fd = open(p, O_RDONLY | O_CLOEXEC);
        CHECK_INT_EQ(lmdb_check_meta(fd, why, sizeof(why)), LMDB_CHECK_DAMAGED);
        CHECK(strstr(why, "meta page 1") != NULL);
        CHECK_STR_EQ(lmdb_check_to_string(LMDB_CHECK_DAMAGED), "damaged");
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p) < 0 ? -errno : 0;
}

int main(void) {
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        TEST_RUN(test_good_files);
        TEST_RUN(test_not_lmdb);
        TEST_RUN(test_damage);
        if (nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
                fprintf(stderr, "cleaning up %s failed\n", tmpdir);
        TEST_EXIT();
}
