/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <lmdb.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "store.h"
#include "tests.h"

static char tmpdir[] = "/tmp/test-store-XXXXXX";

static const char *tpath(const char *name) {
        static char buf[4][256];
        static unsigned i;
        char *p = buf[i++ % ELEMENTSOF(buf)];

        snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
        return p;
}

static bool exists(const char *p) {
        return access(p, F_OK) == 0;
}

static struct neigh_key key(const char *ifname, const char *addr) {
        union in_addr_union a = {};
        struct neigh_key k = {};
        int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

        CHECK(inet_pton(family, addr, &a) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, ifname, family, &a), 0);
        return k;
}

/* A key for test number i in 198.18.0.0/15 (distinct for every i < 2^17). */
static struct neigh_key key_n(const char *ifname, uint32_t i) {
        union in_addr_union a = {};
        struct neigh_key k = {};

        a.in.s_addr = htonl(0xc6120000u | (i & 0x1ffffu)); /* 198.18.0.0 + i */
        CHECK_INT_EQ(neigh_key_make(&k, ifname, AF_INET, &a), 0);
        return k;
}

static struct record rec(enum record_state state, usec_t last_seen, usec_t neg_since) {
        struct record r = {
                .state = state,
                .source = state == RECORD_STATIC ? SOURCE_LOAD : SOURCE_ARP,
                .first_seen = last_seen,
                .last_seen = last_seen,
                .neg_since = neg_since,
        };
        if (state != RECORD_NEGATIVE)
                CHECK_INT_EQ(lladdr_from_string("02:00:00:00:00:01", &r.lladdr), 0);
        return r;
}

static Store *open_opts(const char *name, const struct store_options *o) {
        Store *s = NULL;
        int r = store_open(tpath(name), o, &s);

        CHECK_INT_EQ(r, 0);
        return r < 0 ? NULL : s;
}

static Store *open_rw(const char *name) {
        return open_opts(name, &(struct store_options) {});
}

static size_t count(Store *s) {
        size_t n = (size_t) -1;
        CHECK_INT_EQ(store_count(s, &n), 0);
        return n;
}

static int put1(Store *s, const struct neigh_key *k, const struct record *r) {
        int q = store_stage_put(s, k, r);
        if (q < 0)
                return q;
        return store_flush(s);
}

static void *read_all(const char *p, size_t *size) {
        FILE *f = fopen(p, "re");
        char *buf = NULL;
        long n;

        if (!f)
                return NULL;
        if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
                buf = malloc((size_t) n + 1);
                if (buf && fread(buf, 1, (size_t) n, f) != (size_t) n)
                        buf = mfree(buf);
                *size = (size_t) n;
        }
        fclose(f);
        return buf;
}

static bool file_unchanged(const char *p, const void *before, size_t size) {
        size_t n = 0;
        _cleanup_free_ void *now = read_all(p, &n);

        return now && n == size && memcmp(now, before, size) == 0;
}

/* Writes a raw key/value into a sub-database with plain LMDB (no Store may be open on p). */
static int raw_put(const char *p, const char *db, const void *k, size_t klen, const void *v, size_t vlen) {
        MDB_env *env = NULL;
        MDB_txn *txn = NULL;
        MDB_dbi dbi;
        MDB_val kv = { klen, (void *) k }, vv = { vlen, (void *) v };
        int rc;

        rc = mdb_env_create(&env);
        if (rc == 0)
                rc = mdb_env_set_maxdbs(env, 4);
        if (rc == 0)
                rc = mdb_env_open(env, p, MDB_NOSUBDIR, 0644);
        if (rc == 0)
                rc = mdb_txn_begin(env, NULL, 0, &txn);
        if (rc == 0)
                rc = mdb_dbi_open(txn, db, db ? MDB_CREATE : 0, &dbi);
        if (rc == 0)
                rc = mdb_put(txn, dbi, &kv, &vv, 0);
        if (rc == 0) {
                rc = mdb_txn_commit(txn);
                txn = NULL;
        }
        mdb_txn_abort(txn);
        mdb_env_close(env);
        return rc;
}

/* True if p has a sub-database called name (plain LMDB; no Store may be writing). */
static bool raw_has_table(const char *p, const char *name) {
        MDB_env *env = NULL;
        MDB_txn *txn = NULL;
        MDB_dbi dbi;
        int rc;

        rc = mdb_env_create(&env);
        if (rc == 0)
                rc = mdb_env_set_maxdbs(env, 8);
        if (rc == 0)
                rc = mdb_env_open(env, p, MDB_NOSUBDIR | MDB_RDONLY, 0644);
        if (rc == 0)
                rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
        if (rc == 0)
                rc = mdb_dbi_open(txn, name, 0, &dbi);
        mdb_txn_abort(txn);
        mdb_env_close(env);
        return rc == 0;
}

/* ---- open, persistence ----------------------------------------------------------------------- */

static void test_open_create_reopen(void) {
        const char *p = tpath("sub/dir/a.lmdb");
        struct neigh_key k = key("eth0", "192.0.2.1");
        struct record r = rec(RECORD_POSITIVE, 1000, 0), out;
        struct stat st;
        Store *s = NULL;

        CHECK_INT_EQ(store_open(p, NULL, &s), 0);
        if (!s)
                return;
        CHECK_STR_EQ(store_path(s), p);
        CHECK(stat(tpath("sub/dir"), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);
        CHECK(exists(p));
        CHECK(exists(tpath("sub/dir/a.lmdb-lock")));
        CHECK_INT_EQ(count(s), 0);
        CHECK_INT_EQ(store_get(s, &k, &out), -ENOENT);
        CHECK_INT_EQ(put1(s, &k, &r), 1);
        CHECK_INT_EQ(store_sync(s), 0);
        CHECK_INT_EQ(store_get_counters(s)->commits, 1);
        s = store_free(s);
        CHECK(s == NULL);

        CHECK_INT_EQ(store_open(p, &(struct store_options) { .read_only = true }, &s), 0);
        if (!s)
                return;
        CHECK_INT_EQ(count(s), 1);
        CHECK_INT_EQ(store_get(s, &k, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_POSITIVE);
        CHECK_INT_EQ(out.last_seen, 1000);
        CHECK(lladdr_equal(&out.lladdr, &r.lladdr));
        /* read-only: no writes of any kind */
        CHECK_INT_EQ(store_stage_put(s, &k, &r), -EROFS);
        CHECK_INT_EQ(store_stage_delete(s, &k), -EROFS);
        CHECK_INT_EQ(store_staged(s), 0);
        CHECK_INT_EQ(store_flush(s), -EROFS);
        CHECK_INT_EQ(store_txn_begin(s, &(StoreTxn *) { NULL }), -EROFS);
        CHECK_INT_EQ(store_sync(s), 0);
        store_free(s);

        /* arguments */
        CHECK_INT_EQ(store_open(NULL, NULL, &s), -EINVAL);
        CHECK_INT_EQ(store_open("", NULL, &s), -EINVAL);
        CHECK_INT_EQ(store_open(tmpdir, NULL, &s), -EISDIR);
        CHECK(store_free(NULL) == NULL);
}

static void test_open_read_only_missing(void) {
        Store *s = NULL;
        int fd;

        CHECK_INT_EQ(store_open(tpath("missing.lmdb"), &(struct store_options) { .read_only = true }, &s), -ENOENT);
        CHECK(s == NULL);
        CHECK(!exists(tpath("missing.lmdb")));
        CHECK(!exists(tpath("missing.lmdb-lock")));
        CHECK_INT_EQ(store_open(tpath("nodir/missing.lmdb"), &(struct store_options) { .read_only = true }, &s),
                     -ENOENT);
        CHECK(!exists(tpath("nodir")));

        /* an empty file is no store yet: read-only refuses it, a writer makes it one */
        fd = open(tpath("empty.lmdb"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        CHECK(fd >= 0);
        safe_close(fd);
        CHECK_INT_EQ(store_open(tpath("empty.lmdb"), &(struct store_options) { .read_only = true }, &s), -ENOENT);
        s = open_rw("empty.lmdb");
        CHECK(s != NULL);
        store_free(s);
        s = open_opts("empty.lmdb", &(struct store_options) { .read_only = true });
        CHECK(s != NULL);
        store_free(s);
}

static void test_garbage_file(void) {
        const char *p = tpath("garbage.lmdb");
        uint8_t junk[3 * 4096 + 123];
        Store *s = NULL;
        FILE *f;

        srand(42);
        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (uint8_t) rand();
        f = fopen(p, "we");
        CHECK(f && fwrite(junk, 1, sizeof(junk), f) == sizeof(junk));
        if (f)
                fclose(f);

        CHECK_INT_EQ(store_open(p, NULL, &s), -EBADMSG);
        CHECK(s == NULL);
        CHECK(file_unchanged(p, junk, sizeof(junk)));
        CHECK_INT_EQ(store_open(p, &(struct store_options) { .read_only = true }, &s), -EBADMSG);
        CHECK(file_unchanged(p, junk, sizeof(junk)));

        /* a short file (less than a page) too */
        p = tpath("short.lmdb");
        f = fopen(p, "we");
        CHECK(f && fwrite(junk, 1, 100, f) == 100);
        if (f)
                fclose(f);
        CHECK_INT_EQ(store_open(p, NULL, &s), -EBADMSG);
        CHECK(file_unchanged(p, junk, 100));
}

static void test_not_an_arpd_store(void) {
        const char *p = tpath("foreign.lmdb");
        _cleanup_free_ void *before = NULL;
        size_t size = 0;
        Store *s = NULL;

        /* valid LMDB, but a plain key in the main database: not ours */
        CHECK_INT_EQ(raw_put(p, NULL, "hello", 5, "world", 5), 0);
        before = read_all(p, &size);
        CHECK(before != NULL);
        CHECK_INT_EQ(store_open(p, NULL, &s), -EBADMSG);
        CHECK_INT_EQ(store_open(p, &(struct store_options) { .read_only = true }, &s), -EBADMSG);
        CHECK(before && file_unchanged(p, before, size));
}

static void test_newer_format(void) {
        const char *p = tpath("newer.lmdb");
        uint8_t v999[4] = { 0xe7, 0x03, 0, 0 }, v0[4] = {}, v1[4] = { 1, 0, 0, 0 };
        _cleanup_free_ void *before = NULL;
        size_t size = 0;
        Store *s = open_rw("newer.lmdb");

        if (!s)
                return;
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key("eth0", "192.0.2.1") }, (struct record[]) { rec(RECORD_STATIC, 1, 0) }),
                     1);
        store_free(s);

        CHECK_INT_EQ(raw_put(p, "meta", "format", 6, v999, sizeof(v999)), 0);
        before = read_all(p, &size);
        CHECK_INT_EQ(store_open(p, NULL, &s), -EPROTONOSUPPORT);
        CHECK_INT_EQ(store_open(p, &(struct store_options) { .read_only = true }, &s), -EPROTONOSUPPORT);
        CHECK(before && file_unchanged(p, before, size));

        /* format 0 or a value of the wrong size: damaged */
        CHECK_INT_EQ(raw_put(p, "meta", "format", 6, v0, sizeof(v0)), 0);
        CHECK_INT_EQ(store_open(p, NULL, &s), -EBADMSG);
        CHECK_INT_EQ(raw_put(p, "meta", "format", 6, v1, 3), 0);
        CHECK_INT_EQ(store_open(p, NULL, &s), -EBADMSG);

        /* format 1 over format-3 tables: there is no "neigh" table to upgrade, so it is not taken
         * for an arpd store and left alone */
        CHECK_INT_EQ(raw_put(p, "meta", "format", 6, v1, sizeof(v1)), 0);
        free(before);
        before = read_all(p, &size);
        CHECK_INT_EQ(store_open(p, NULL, &s), -EBADMSG);
        CHECK(before && file_unchanged(p, before, size));
}

/* ---- damaged files --------------------------------------------------------------------------- */

static int count_cb(const struct neigh_key *k, const struct record *r, void *userdata) {
        (*(size_t *) userdata)++;
        return 0;
}

/* A store of n positive entries on eth0, closed again. */
static void make_store(const char *name, uint32_t n) {
        Store *s = open_rw(name);

        if (!s)
                return;
        for (uint32_t i = 0; i < n; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth0", i) },
                                             (struct record[]) { rec(RECORD_POSITIVE, 1000 + i, 0) }),
                             0);
        CHECK(store_flush(s) >= 0);
        store_free(s);
}

/* Overwrites [off, off + len) of p with pseudo-random bytes. */
static void scribble(const char *p, off_t off, size_t len, unsigned seed) {
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        uint8_t b[4096];

        CHECK(fd >= 0);
        srand(seed);
        while (len > 0) {
                size_t n = MIN(len, sizeof(b));
                for (size_t i = 0; i < n; i++)
                        b[i] = (uint8_t) rand();
                CHECK(pwrite(fd, b, n, off) == (ssize_t) n);
                off += (off_t) n;
                len -= n;
        }
}

static off_t file_size(const char *p) {
        struct stat st;
        return stat(p, &st) == 0 ? st.st_size : -1;
}

/* The one "NAME.damaged-*" file beside NAME (not its lock file), or NULL. */
static char *moved_aside(const char *name) {
        char pattern[300];
        glob_t g = {};
        char *found = NULL;
        unsigned n = 0;

        snprintf(pattern, sizeof(pattern), "%s.damaged-*", tpath(name));
        if (glob(pattern, 0, NULL, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc; i++) {
                        size_t l = strlen(g.gl_pathv[i]);
                        if (l > 5 && strcmp(g.gl_pathv[i] + l - 5, "-lock") == 0)
                                continue;
                        n++;
                        free(found);
                        found = strdup(g.gl_pathv[i]);
                }
        globfree(&g);
        CHECK_INT_EQ(n, found ? 1 : 0);
        return found;
}

/* A damaged file: readers and plain writers fail with -EBADMSG and leave it alone; a writer with
 * recover_damaged moves it (and its lock file) aside and starts an empty store. */
static void check_damaged(const char *name, const char *what) {
        const char *p = tpath(name);
        _cleanup_free_ void *before = NULL;
        _cleanup_free_ char *aside = NULL;
        char lock[300];
        size_t size = 0;
        Store *s = NULL;

        fprintf(stderr, "  %s: %s\n", name, what);
        before = read_all(p, &size);
        CHECK(before != NULL);
        CHECK_INT_EQ(store_open(p, &(struct store_options) { .read_only = true }, &s), -EBADMSG);
        CHECK_INT_EQ(store_open(p, NULL, &s), -EBADMSG);
        CHECK(s == NULL);
        CHECK(before && file_unchanged(p, before, size));
        CHECK(moved_aside(name) == NULL);

        CHECK_INT_EQ(store_open(p, &(struct store_options) { .recover_damaged = true }, &s), 0);
        if (!s)
                return;
        CHECK_INT_EQ(count(s), 0);
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key_n("eth0", 1) }, (struct record[]) { rec(RECORD_STATIC, 1, 0) }), 1);
        store_free(s);
        aside = moved_aside(name);
        CHECK(aside != NULL);
        if (!aside)
                return;
        CHECK(before && file_unchanged(aside, before, size)); /* kept as it was, for inspection */
        snprintf(lock, sizeof(lock), "%s-lock", aside);
        CHECK(exists(lock));
        /* the new store is a good one, for every kind of reader */
        s = open_opts(name, &(struct store_options) { .read_only = true });
        if (s)
                CHECK_INT_EQ(count(s), 1);
        store_free(s);
        CHECK(remove(aside) == 0 && remove(lock) == 0);
}

static void test_damaged_truncated(void) {
        const char *p = tpath("cut.lmdb");

        make_store("cut.lmdb", 300);
        CHECK(file_size(p) >= 28 * 1024);
        CHECK(truncate(p, 8 * 1024) == 0);
        check_damaged("cut.lmdb", "28 KiB or more cut to 8 KiB");

        make_store("cut2.lmdb", 300);
        CHECK(truncate(tpath("cut2.lmdb"), file_size(tpath("cut2.lmdb")) - 4096) == 0);
        check_damaged("cut2.lmdb", "the last page cut off");

        make_store("cut3.lmdb", 300);
        CHECK(truncate(tpath("cut3.lmdb"), 4096 + 100) == 0);
        check_damaged("cut3.lmdb", "cut inside the second meta page");
}

static void test_damaged_garbage(void) {
        const char *p = tpath("junk.lmdb");

        make_store("junk.lmdb", 300);
        scribble(p, 2 * 4096, (size_t) file_size(p) - 2 * 4096, 1);
        check_damaged("junk.lmdb", "random bytes over every data page");

        make_store("meta0.lmdb", 300);
        scribble(tpath("meta0.lmdb"), 0, 4096, 2);
        check_damaged("meta0.lmdb", "random bytes over meta page 0");

        make_store("meta1.lmdb", 300);
        scribble(tpath("meta1.lmdb"), 4096 + 16, 64, 3);
        check_damaged("meta1.lmdb", "random bytes inside meta page 1");

        make_store("zero.lmdb", 300);
        {
                _cleanup_close_ int fd = open(tpath("zero.lmdb"), O_WRONLY | O_CLOEXEC);
                uint8_t z[8192] = {};
                CHECK(fd >= 0 && pwrite(fd, z, sizeof(z), 0) == sizeof(z));
        }
        check_damaged("zero.lmdb", "zeros over both meta pages");
}

/* The page check's receipt (check-receipt.h): a walk that passed writes one; a file unchanged
 * since opens without a walk (the receipt is not rewritten: same inode); this process's own
 * commits leave a receipt for the state they wrote; a receipt of another boot or one anybody
 * may write is not trusted; damage after a receipt is still found. */
static ino_t receipt_ino(const char *p) {
        char r[300];
        struct stat st;

        snprintf(r, sizeof(r), "%s-checked", p);
        return stat(r, &st) == 0 ? st.st_ino : 0;
}

static void open_close_ro(const char *name) {
        Store *s = open_opts(name, &(struct store_options) { .read_only = true });

        if (s)
                CHECK_INT_EQ(count(s), 300);
        store_free(s);
}

static void test_page_check_receipt(void) {
        const char *p = tpath("rcpt.lmdb");
        char r[300], text[300];
        ino_t i1, i2, i3;
        Store *s;

        snprintf(r, sizeof(r), "%s-checked", p);
        make_store("rcpt.lmdb", 300);
        CHECK(!exists(r)); /* a store this process created was never walked */
        open_close_ro("rcpt.lmdb");
        i1 = receipt_ino(p);
        CHECK(i1 != 0);
        open_close_ro("rcpt.lmdb");
        CHECK(receipt_ino(p) == i1); /* unchanged: not walked */

        /* this process's commit on the checked state: a new receipt, for the state it left */
        s = open_rw("rcpt.lmdb");
        if (s) {
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth0", 0) },
                                             (struct record[]) { rec(RECORD_POSITIVE, 5000, 0) }), 0);
                CHECK(store_flush(s) >= 0);
        }
        store_free(s);
        i2 = receipt_ino(p);
        CHECK(i2 != 0 && i2 != i1);
        open_close_ro("rcpt.lmdb");
        CHECK(receipt_ino(p) == i2);

        /* a receipt of another boot: walked (and a new receipt written) */
        {
                _cleanup_close_ int fd = open(r, O_RDWR | O_CLOEXEC);
                ssize_t n = fd >= 0 ? pread(fd, text, sizeof(text) - 1, 0) : -1;
                char *b = n > 0 ? strstr((text[n] = '\0', text), "boot=") : NULL;

                CHECK(b != NULL);
                if (b) {
                        b[5] = b[5] == '0' ? '1' : '0';
                        CHECK(pwrite(fd, text, (size_t) n, 0) == n);
                }
        }
        i2 = receipt_ino(p);
        open_close_ro("rcpt.lmdb");
        i3 = receipt_ino(p);
        CHECK(i3 != 0 && i3 != i2);
        /* one anybody may write: not trusted */
        CHECK(chmod(r, 0666) == 0);
        open_close_ro("rcpt.lmdb");
        CHECK(receipt_ino(p) != i3);
        i3 = receipt_ino(p);
        open_close_ro("rcpt.lmdb");
        CHECK(receipt_ino(p) == i3);

        /* damage after the receipt: found as before */
        scribble(p, 2 * 4096, (size_t) file_size(p) - 2 * 4096, 7);
        check_damaged("rcpt.lmdb", "random bytes over every data page, after a receipt");
}

/* Random bytes over one page at a time, many times: never a signal, and every open either works
 * or fails with -EBADMSG (a page that was free is harmless). Each round runs in a child, so a
 * crash is seen as one. */
static void test_damaged_never_crashes(void) {
        unsigned opened = 0, refused = 0, crashed = 0;

        for (unsigned seed = 0; seed < 60; seed++) {
                const char *p = tpath("fuzz.lmdb");
                char lock[300];
                int status = 0;
                off_t pages;
                pid_t pid;

                make_store("fuzz.lmdb", 400);
                pages = file_size(p) / 4096;
                srand(seed);
                {
                        off_t pg = 2 + rand() % (pages - 2);
                        size_t len = seed % 3 == 0 ? 4096 : seed % 3 == 1 ? 16 : 256;
                        scribble(p, pg * 4096 + (seed % 3 == 2 ? rand() % 3800 : 0), len, seed);
                }
                pid = fork();
                CHECK(pid >= 0);
                if (pid == 0) {
                        Store *s = NULL;
                        int r;

                        log_set_max_level(LOG_CRIT);
                        alarm(20);
                        r = store_open(p, &(struct store_options) { .read_only = true }, &s);
                        if (r == -EBADMSG)
                                _exit(2);
                        if (r < 0)
                                _exit(1);
                        (void) store_foreach(s, NULL, 0, count_cb, &(size_t) { 0 });
                        for (uint32_t i = 0; i < 400; i++)
                                (void) store_get(s, (struct neigh_key[]) { key_n("eth0", i) }, NULL);
                        store_free(s);
                        _exit(0);
                }
                CHECK(waitpid(pid, &status, 0) == pid);
                if (WIFSIGNALED(status)) {
                        crashed++;
                        fprintf(stderr, "  seed %u: signal %d\n", seed, WTERMSIG(status));
                } else if (WEXITSTATUS(status) == 0)
                        opened++;
                else if (WEXITSTATUS(status) == 2)
                        refused++;
                else
                        CHECK(!"unexpected exit status");
                snprintf(lock, sizeof(lock), "%s-lock", p);
                (void) remove(p);
                (void) remove(lock);
        }
        fprintf(stderr, "  60 single-page scribbles: %u refused as damaged, %u harmless, %u crashed\n", refused,
                opened, crashed);
        CHECK_INT_EQ(crashed, 0);
        CHECK(refused > 0);
}

/* Not damage: files that are not ours are refused and left where they are, recovery or not. */
static void test_damaged_not_ours(void) {
        const struct store_options rec_opts = { .recover_damaged = true };
        uint8_t v999[4] = { 0xe7, 0x03, 0, 0 };
        Store *s = NULL;

        scribble(tpath("notlmdb.lmdb"), 0, 3 * 4096, 9);
        CHECK_INT_EQ(store_open(tpath("notlmdb.lmdb"), &rec_opts, &s), -EBADMSG);
        CHECK(exists(tpath("notlmdb.lmdb")) && moved_aside("notlmdb.lmdb") == NULL);

        CHECK_INT_EQ(raw_put(tpath("foreign2.lmdb"), NULL, "hello", 5, "world", 5), 0);
        CHECK_INT_EQ(store_open(tpath("foreign2.lmdb"), &rec_opts, &s), -EBADMSG);
        CHECK(moved_aside("foreign2.lmdb") == NULL);

        make_store("newer2.lmdb", 3);
        CHECK_INT_EQ(raw_put(tpath("newer2.lmdb"), "meta", "format", 6, v999, sizeof(v999)), 0);
        CHECK_INT_EQ(store_open(tpath("newer2.lmdb"), &rec_opts, &s), -EPROTONOSUPPORT);
        CHECK(moved_aside("newer2.lmdb") == NULL);
}

/* The check must not call a healthy store damaged: after churn (pages freed and reused), and
 * while another process keeps committing. */
static void test_check_healthy(void) {
        const char *p = tpath("churn.lmdb");
        int status = 0;
        Store *s = open_rw("churn.lmdb");
        pid_t pid;

        if (!s)
                return;
        for (uint32_t round = 0; round < 20; round++) {
                for (uint32_t i = 0; i < 2000; i++) {
                        struct neigh_key k = key_n(round % 2 ? "eth1" : "eth0", (i * 7919 + round * 31) % 5000);
                        if ((i + round) % 3 == 0)
                                CHECK_INT_EQ(store_stage_delete(s, &k), 0);
                        else
                                CHECK_INT_EQ(store_stage_put(s, &k, (struct record[]) { rec(RECORD_POSITIVE, round, 0) }), 0);
                }
                CHECK(store_flush(s) >= 0);
        }
        store_free(s);
        s = open_opts("churn.lmdb", &(struct store_options) { .read_only = true });
        store_free(s);

        /* a writer commits while children open (and so check) the file */
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                Store *w = NULL;
                int ok = store_open(p, NULL, &w) == 0;
                usec_t until = now_usec(CLOCK_MONOTONIC) + 2 * USEC_PER_SEC;

                for (uint32_t i = 0; ok && now_usec(CLOCK_MONOTONIC) < until; i++) {
                        ok = store_stage_put(w, (struct neigh_key[]) { key_n("eth2", i % 3000) },
                                             (struct record[]) { rec(RECORD_POSITIVE, i, 0) }) == 0;
                        if (ok && i % 50 == 0)
                                ok = store_flush(w) >= 0 && store_stage_delete(w, (struct neigh_key[]) { key_n("eth2", (i / 2) % 3000) }) == 0;
                }
                store_free(w);
                _exit(ok ? 0 : 1);
        }
        for (unsigned i = 0; i < 40; i++) {
                pid_t c = fork();
                int st = 0;

                CHECK(c >= 0);
                if (c == 0) {
                        Store *r = NULL;
                        _exit(store_open(p, &(struct store_options) { .read_only = i % 2 == 0 }, &r) == 0 ? 0 : 1);
                }
                CHECK(waitpid(c, &st, 0) == c);
                CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(moved_aside("churn.lmdb") == NULL);

        /* durable commits (MDB_NOMETASYNC): the same store, the same contents */
        s = open_opts("durable.lmdb", &(struct store_options) { .durable_commits = true });
        if (s)
                CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key_n("eth0", 7) }, (struct record[]) { rec(RECORD_STATIC, 1, 0) }), 1);
        store_free(s);
        s = open_opts("durable.lmdb", &(struct store_options) { .read_only = true });
        if (s)
                CHECK_INT_EQ(count(s), 1);
        store_free(s);
}

/* ---- overlay, flush, delete ------------------------------------------------------------------ */

static void test_staging(void) {
        struct neigh_key k1 = key("eth0", "192.0.2.1"), k2 = key("eth0", "192.0.2.2"), k3 = key("eth0", "192.0.2.3");
        struct record r1 = rec(RECORD_POSITIVE, 10, 0), r2 = rec(RECORD_NEGATIVE, 20, 20), out;
        Store *s = open_rw("stage.lmdb");

        if (!s)
                return;
        CHECK_INT_EQ(store_flush(s), 0); /* nothing staged */
        CHECK_INT_EQ(store_get_counters(s)->commits, 0);

        CHECK_INT_EQ(store_stage_put(s, &k1, &r1), 0);
        CHECK_INT_EQ(store_staged(s), 1);
        CHECK_INT_EQ(store_get(s, &k1, &out), 0); /* seen before any commit */
        CHECK_INT_EQ(out.last_seen, 10);
        CHECK_INT_EQ(store_get(s, &k1, NULL), 0);
        CHECK_INT_EQ(count(s), 0);
        CHECK_INT_EQ(store_stage_put(s, &k1, &r2), 0); /* same key: replaced in place */
        CHECK_INT_EQ(store_staged(s), 1);
        CHECK_INT_EQ(store_get(s, &k1, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_NEGATIVE);
        CHECK_INT_EQ(store_stage_put(s, &k2, &r1), 0);
        CHECK_INT_EQ(store_get(s, &k3, &out), -ENOENT);
        CHECK_INT_EQ(store_flush(s), 2);
        CHECK_INT_EQ(store_staged(s), 0);
        CHECK_INT_EQ(count(s), 2);
        CHECK_INT_EQ(store_get(s, &k1, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_NEGATIVE);
        CHECK_INT_EQ(out.neg_since, 20);

        /* a staged delete hides the committed record until and after the flush */
        CHECK_INT_EQ(store_stage_delete(s, &k1), 0);
        CHECK_INT_EQ(store_get(s, &k1, &out), -ENOENT);
        CHECK_INT_EQ(count(s), 2);
        CHECK_INT_EQ(store_stage_delete(s, &k3), 0); /* deleting what does not exist is fine */
        CHECK_INT_EQ(store_flush(s), 2);
        CHECK_INT_EQ(store_get(s, &k1, &out), -ENOENT);
        CHECK_INT_EQ(store_get(s, &k2, &out), 0);
        CHECK_INT_EQ(count(s), 1);

        /* put then delete of one key is one change: the delete wins */
        CHECK_INT_EQ(store_stage_put(s, &k3, &r1), 0);
        CHECK_INT_EQ(store_stage_delete(s, &k3), 0);
        CHECK_INT_EQ(store_staged(s), 1);
        CHECK_INT_EQ(store_flush(s), 1);
        CHECK_INT_EQ(store_get(s, &k3, &out), -ENOENT);
        /* delete then put: the put wins */
        CHECK_INT_EQ(store_stage_delete(s, &k2), 0);
        CHECK_INT_EQ(store_stage_put(s, &k2, &r2), 0);
        CHECK_INT_EQ(store_get(s, &k2, &out), 0);
        CHECK_INT_EQ(store_flush(s), 1);
        CHECK_INT_EQ(store_get(s, &k2, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_NEGATIVE);

        /* invalid input is refused, nothing staged */
        struct neigh_key bad = k1;
        bad.family = AF_UNSPEC;
        CHECK_INT_EQ(store_stage_put(s, &bad, &r1), -EINVAL);
        CHECK_INT_EQ(store_stage_delete(s, &bad), -EINVAL);
        CHECK_INT_EQ(store_get(s, &bad, &out), -EINVAL);
        struct record badr = r1;
        badr.state = 9;
        CHECK_INT_EQ(store_stage_put(s, &k1, &badr), -EINVAL);
        CHECK_INT_EQ(store_staged(s), 0);
        CHECK_INT_EQ(store_get_counters(s)->commits, 4);

        /* unflushed changes are lost on close */
        CHECK_INT_EQ(store_stage_put(s, &k3, &r1), 0);
        store_free(s);
        s = open_rw("stage.lmdb");
        if (s)
                CHECK_INT_EQ(store_get(s, &k3, &out), -ENOENT);
        store_free(s);
}

static void test_stage_overflow(void) {
        Store *s = open_rw("overflow.lmdb");
        struct record r = rec(RECORD_POSITIVE, 5, 0), out;

        if (!s)
                return;
        for (uint32_t i = 0; i < STORE_STAGE_MAX; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth0", i) }, &r), 0);
        CHECK_INT_EQ(store_staged(s), STORE_STAGE_MAX);
        CHECK_INT_EQ(count(s), 0);
        /* re-staging a staged key does not need room */
        CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth0", 7) }, &r), 0);
        CHECK_INT_EQ(store_staged(s), STORE_STAGE_MAX);
        /* a new one flushes the overlay first */
        CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth0", 50000) }, &r), 0);
        CHECK_INT_EQ(store_staged(s), 1);
        CHECK_INT_EQ(count(s), STORE_STAGE_MAX);
        CHECK_INT_EQ(store_get_counters(s)->commits, 1);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 50000) }, &out), 0);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", STORE_STAGE_MAX - 1) }, &out), 0);
        CHECK_INT_EQ(store_stage_delete(s, (struct neigh_key[]) { key_n("eth0", 0) }), 0);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 0) }, &out), -ENOENT);
        CHECK_INT_EQ(store_staged(s), 2);
        CHECK_INT_EQ(store_flush(s), 2);
        CHECK_INT_EQ(count(s), STORE_STAGE_MAX);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 0) }, &out), -ENOENT);
        store_free(s);
}

/* ---- iteration ------------------------------------------------------------------------------- */

struct collect {
        char text[4096];
        size_t n;
        size_t stop_after; /* 0 = never */
        int stop_with;
};

static int collect_cb(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct collect *c = userdata;
        char a[IN_ADDR_STRLEN];
        size_t l = strlen(c->text);

        snprintf(c->text + l, sizeof(c->text) - l, "%s%s/%s", l ? " " : "", k->ifname,
                 in_addr_to_string(k->family, &k->addr, a));
        c->n++;
        if (c->stop_after && c->n >= c->stop_after)
                return c->stop_with;
        return 0;
}

static const char *list(Store *s, const char *ifname, int family) {
        static struct collect c;

        c = (struct collect) {};
        CHECK_INT_EQ(store_foreach(s, ifname, family, collect_cb, &c), 0);
        return c.text;
}

static void test_foreach_order_filters(void) {
        static const char *const adds[][2] = {
                { "eth1", "2001:db8::10" }, { "eth0", "198.18.0.10" },  { "eth10", "198.18.0.1" },
                { "eth0", "2001:db8::9" },  { "eth1", "198.18.1.1" },  { "eth0", "198.18.0.2" },
                { "eth0", "198.19.0.1" },  { "a", "2001:db8::1" },   { "eth0", "::1" },
                { "eth1", "198.18.0.255" },   { "eth0", "198.18.1.0" },   { "eth0", "2001:db8::" },
        };
        Store *s = open_rw("order.lmdb");
        struct record r = rec(RECORD_POSITIVE, 1, 0);
        struct collect c;

        if (!s)
                return;
        for (size_t i = 0; i < ELEMENTSOF(adds); i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key(adds[i][0], adds[i][1]) }, &r), 0);
        CHECK_STR_EQ(list(s, NULL, 0), ""); /* only committed records are listed */
        CHECK_INT_EQ(store_flush(s), (int) ELEMENTSOF(adds));

        CHECK_STR_EQ(list(s, NULL, 0),
                     "a/2001:db8::1 eth0/198.18.0.2 eth0/198.18.0.10 eth0/198.18.1.0 eth0/198.19.0.1 eth0/::1 "
                     "eth0/2001:db8:: eth0/2001:db8::9 eth1/198.18.0.255 eth1/198.18.1.1 eth1/2001:db8::10 "
                     "eth10/198.18.0.1");
        CHECK_STR_EQ(list(s, "eth1", 0), "eth1/198.18.0.255 eth1/198.18.1.1 eth1/2001:db8::10");
        CHECK_STR_EQ(list(s, "eth0", AF_INET6), "eth0/::1 eth0/2001:db8:: eth0/2001:db8::9");
        CHECK_STR_EQ(list(s, "eth0", AF_INET), "eth0/198.18.0.2 eth0/198.18.0.10 eth0/198.18.1.0 eth0/198.19.0.1");
        CHECK_STR_EQ(list(s, "eth10", AF_INET6), "");
        CHECK_STR_EQ(list(s, "eth", 0), "");
        CHECK_STR_EQ(list(s, "zz", 0), "");
        CHECK_STR_EQ(list(s, NULL, AF_INET6),
                     "a/2001:db8::1 eth0/::1 eth0/2001:db8:: eth0/2001:db8::9 eth1/2001:db8::10");
        CHECK_STR_EQ(list(s, NULL, AF_INET),
                     "eth0/198.18.0.2 eth0/198.18.0.10 eth0/198.18.1.0 eth0/198.19.0.1 eth1/198.18.0.255 eth1/198.18.1.1 "
                     "eth10/198.18.0.1");

        /* stopping early, aborting */
        c = (struct collect) { .stop_after = 2, .stop_with = 7 };
        CHECK_INT_EQ(store_foreach(s, NULL, 0, collect_cb, &c), 7);
        CHECK_INT_EQ(c.n, 2);
        c = (struct collect) { .stop_after = 1, .stop_with = -EIO };
        CHECK_INT_EQ(store_foreach(s, "eth1", 0, collect_cb, &c), -EIO);
        CHECK_STR_EQ(c.text, "eth1/198.18.0.255");

        /* bad filters */
        CHECK_INT_EQ(store_foreach(s, "", 0, collect_cb, &c), -EINVAL);
        CHECK_INT_EQ(store_foreach(s, "1234567890123456", 0, collect_cb, &c), -EINVAL);
        CHECK_INT_EQ(store_foreach(s, NULL, AF_PACKET, collect_cb, &c), -EINVAL);
        CHECK_INT_EQ(store_foreach(s, NULL, 0, NULL, &c), -EINVAL);
        store_free(s);
}

/* ---- records this version cannot read -------------------------------------------------------- */

static void test_unknown_version(void) {
        const char *p = tpath("future.lmdb");
        struct neigh_key k1 = key("eth0", "192.0.2.1"), k2 = key("eth0", "192.0.2.2"), k3 = key("eth0", "192.0.2.3"),
                         k4 = key("eth0", "192.0.2.4");
        uint8_t kb[KEY_MAX_SIZE], v2[80] = { 3 }, v1short[10] = { 1, 1, 1, 6 };
        struct record out;
        int kl;
        Store *s = open_opts("future.lmdb", &(struct store_options) { .max_entries = 2 });

        if (!s)
                return;
        CHECK_INT_EQ(store_stage_put(s, &k1, (struct record[]) { rec(RECORD_POSITIVE, 1, 0) }), 0);
        CHECK_INT_EQ(store_stage_put(s, &k4, (struct record[]) { rec(RECORD_POSITIVE, 2, 0) }), 0);
        CHECK_INT_EQ(store_flush(s), 2);
        store_free(s);

        /* eth0 is the store's first interface: id 1 */
        kl = neigh_key_encode(&k2, 1, kb, sizeof(kb));
        CHECK_INT_EQ(raw_put(p, "entries", kb, (size_t) kl, v2, sizeof(v2)), 0);
        kl = neigh_key_encode(&k3, 1, kb, sizeof(kb));
        CHECK_INT_EQ(raw_put(p, "entries", kb, (size_t) kl, v1short, sizeof(v1short)), 0);
        CHECK_INT_EQ(raw_put(p, "entries", "\x01junk", 5, v2, sizeof(v2)), 0); /* a malformed key of eth0 */

        s = open_opts("future.lmdb", &(struct store_options) { .max_entries = 2 });
        if (!s)
                return;
        CHECK_INT_EQ(store_get(s, &k2, &out), -EPROTONOSUPPORT);
        CHECK_INT_EQ(store_get_counters(s)->bad_records, 1);
        CHECK_INT_EQ(store_get(s, &k3, &out), -EBADMSG);
        CHECK_INT_EQ(store_get_counters(s)->bad_records, 2);
        CHECK_INT_EQ(store_get(s, &k1, &out), 0);
        CHECK_STR_EQ(list(s, NULL, 0), "eth0/192.0.2.1 eth0/192.0.2.4");
        CHECK_INT_EQ(store_get_counters(s)->bad_records, 5);
        CHECK_STR_EQ(list(s, "eth0", AF_INET), "eth0/192.0.2.1 eth0/192.0.2.4");
        CHECK_INT_EQ(count(s), 5);

        /* eviction never removes what it cannot read, nor another interface's entries: over the
         * bound of 2, the interface that grew pays with its own readable entries */
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key("eth1", "192.0.2.9") }, (struct record[]) { rec(RECORD_POSITIVE, 3, 0) }),
                     1);
        CHECK_INT_EQ(count(s), 5);
        CHECK_STR_EQ(list(s, NULL, 0), "eth0/192.0.2.1 eth0/192.0.2.4");
        CHECK_INT_EQ(store_get_counters(s)->evicted, 1);
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key("eth0", "192.0.2.5") }, (struct record[]) { rec(RECORD_POSITIVE, 5, 0) }),
                     1);
        CHECK_STR_EQ(list(s, NULL, 0), "eth0/192.0.2.4 eth0/192.0.2.5");
        CHECK_INT_EQ(store_get(s, &k2, &out), -EPROTONOSUPPORT);
        CHECK_INT_EQ(store_get(s, &k3, &out), -EBADMSG);
        CHECK_INT_EQ(store_get_counters(s)->evicted, 2);

        /* a staged put replaces an unreadable record (the caller decides to) */
        CHECK_INT_EQ(put1(s, &k2, (struct record[]) { rec(RECORD_STATIC, 4, 0) }), 1);
        CHECK_INT_EQ(store_get(s, &k2, &out), 0);
        store_free(s);
}

/* Interface ids are handed out in the order names are first written, not in name order: the
 * listing still comes in name order, resumes across interfaces, and ids of two bytes (the 128th
 * name on) work like one-byte ones. */
static int stop_after_one(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct neigh_key *last = userdata;

        (void) r;
        *last = *k;
        return 1;
}

static void test_ifids(void) {
        Store *s = open_rw("ifids.lmdb");
        struct record r = rec(RECORD_POSITIVE, 1, 0), out;
        struct neigh_key last = {};
        char name[IFNAMSIZ];
        size_t n = 0;

        if (!s)
                return;
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key("eth9", "198.18.0.9") }, &r), 1);
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key("eth1", "2001:db8::1") }, &r), 1);
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key("eth1", "198.18.0.1") }, &r), 1);
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key("aa", "198.18.0.3") }, &r), 1);
        CHECK_STR_EQ(list(s, NULL, 0), "aa/198.18.0.3 eth1/198.18.0.1 eth1/2001:db8::1 eth9/198.18.0.9");
        CHECK_STR_EQ(list(s, NULL, AF_INET6), "eth1/2001:db8::1");
        CHECK_STR_EQ(list(s, "eth1", AF_INET), "eth1/198.18.0.1");
        CHECK_STR_EQ(list(s, "nothere", 0), "");
        /* paging: one at a time, from the key the last page ended with */
        {
                static struct collect c;
                struct neigh_key *after = NULL;

                c = (struct collect) {};
                for (int i = 0; i < 10; i++) {
                        int q = store_foreach_after(s, NULL, 0, after, stop_after_one, &last);
                        if (q == 0)
                                break;
                        CHECK_INT_EQ(q, 1);
                        CHECK_INT_EQ(collect_cb(&last, &r, &c), 0);
                        after = &last;
                }
                CHECK_STR_EQ(c.text, "aa/198.18.0.3 eth1/198.18.0.1 eth1/2001:db8::1 eth9/198.18.0.9");
                /* after a name the store does not know: on from the next one */
                c = (struct collect) {};
                CHECK_INT_EQ(store_foreach_after(s, NULL, 0, (struct neigh_key[]) { key("eth5", "198.18.0.1") },
                                                 collect_cb, &c), 0);
                CHECK_STR_EQ(c.text, "eth9/198.18.0.9");
                c = (struct collect) {};
                CHECK_INT_EQ(store_foreach_after(s, NULL, AF_INET, (struct neigh_key[]) { key("eth1", "2001:db8::1") },
                                                 collect_cb, &c), 0);
                CHECK_STR_EQ(c.text, "eth9/198.18.0.9");
        }

        /* 300 names: ids past 127 take two bytes */
        for (unsigned i = 0; i < 300; i++) {
                snprintf(name, sizeof(name), "v%u", i);
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key(name, "198.18.1.1") }, &r), 0);
                if (i % 50 == 49)
                        CHECK_INT_EQ(store_flush(s), 50);
        }
        CHECK_INT_EQ(count(s), 304);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key("v299", "198.18.1.1") }, &out), 0);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key("v299", "198.18.1.2") }, &out), -ENOENT);
        CHECK_STR_EQ(list(s, "v200", 0), "v200/198.18.1.1");
        CHECK_INT_EQ(store_foreach(s, NULL, 0, count_cb, &n), 0);
        CHECK_INT_EQ(n, 304);
        store_free(s);

        /* the ids stay with their names in the file: reopened, and after a delete of all */
        s = open_rw("ifids.lmdb");
        if (!s)
                return;
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key("eth9", "198.18.0.9") }, &out), 0);
        CHECK_INT_EQ(store_stage_delete(s, (struct neigh_key[]) { key("eth9", "198.18.0.9") }), 0);
        CHECK_INT_EQ(store_flush(s), 1);
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key("eth9", "198.18.0.10") }, &r), 1);
        CHECK_STR_EQ(list(s, "eth9", 0), "eth9/198.18.0.10");
        store_free(s);

        /* a meta table with a name that holds a NUL (damage, forgery) is no interface: a listing
         * walks past it instead of coming back to it for ever (found by fuzz-lmdb-check) */
        {
                uint8_t id1[8] = { 1 };
                CHECK_INT_EQ(raw_put(tpath("ifids.lmdb"), "meta", "ifid:eth1\0", 10, id1, sizeof(id1)), 0);
                CHECK_INT_EQ(raw_put(tpath("ifids.lmdb"), "meta", "ifid:\0", 6, id1, sizeof(id1)), 0);
        }
        s = open_opts("ifids.lmdb", &(struct store_options) { .read_only = true });
        if (!s)
                return;
        n = 0;
        CHECK_INT_EQ(store_foreach(s, NULL, 0, count_cb, &n), 0);
        CHECK_INT_EQ(n, 304);
        store_free(s);
}

/* ---- eviction -------------------------------------------------------------------------------- */

static void test_eviction_order(void) {
        usec_t now = now_usec(CLOCK_REALTIME), min = 60 * USEC_PER_SEC;
        struct neigh_key st = key("eth0", "198.18.0.1"), pold = key("eth0", "198.18.0.2"), pmid = key("eth0", "198.18.0.3"),
                         nexp = key("eth0", "198.18.0.4"), nexp2 = key("eth0", "198.18.0.5"), nfresh = key("eth0", "198.18.0.6"),
                         pnew = key("eth0", "198.18.0.7"), pnew2 = key("eth0", "198.18.0.8");
        Store *s = open_opts("evict.lmdb", &(struct store_options) { .max_entries = 6, .max_per_iface = 4 });
        struct store_iface_info info;
        struct record out;

        if (!s)
                return;
        /* static oldest of all; negatives by their window, whenever they were last seen */
        CHECK_INT_EQ(store_stage_put(s, &st, (struct record[]) { rec(RECORD_STATIC, 1, 0) }), 0);
        CHECK_INT_EQ(store_stage_put(s, &pold, (struct record[]) { rec(RECORD_POSITIVE, now - 100 * min, 0) }), 0);
        CHECK_INT_EQ(store_stage_put(s, &pmid, (struct record[]) { rec(RECORD_POSITIVE, now - 50 * min, 0) }), 0);
        CHECK_INT_EQ(store_stage_put(s, &nexp, (struct record[]) { rec(RECORD_NEGATIVE, now, now - 3 * min) }), 0);
        CHECK_INT_EQ(store_stage_put(s, &nexp2, (struct record[]) { rec(RECORD_NEGATIVE, now, now - 2 * min) }), 0);
        CHECK_INT_EQ(store_stage_put(s, &nfresh, (struct record[]) { rec(RECORD_NEGATIVE, now - 150 * min, now - 1000) }),
                     0);
        CHECK_INT_EQ(store_flush(s), 6);
        /* 6 > 4 per interface: the two oldest negative windows go first */
        CHECK_INT_EQ(count(s), 4);
        CHECK_INT_EQ(store_get_counters(s)->evicted, 2);
        CHECK_INT_EQ(store_get(s, &nexp, &out), -ENOENT);
        CHECK_INT_EQ(store_get(s, &nexp2, &out), -ENOENT);

        /* then the last negative, then the least recently seen positive; the static stays */
        CHECK_INT_EQ(put1(s, &pnew, (struct record[]) { rec(RECORD_POSITIVE, now, 0) }), 1);
        CHECK_INT_EQ(store_get(s, &nfresh, &out), -ENOENT);
        CHECK_INT_EQ(store_get(s, &pold, &out), 0);
        CHECK_INT_EQ(put1(s, &pnew2, (struct record[]) { rec(RECORD_POSITIVE, now, 0) }), 1);
        CHECK_INT_EQ(store_get(s, &pold, &out), -ENOENT);
        CHECK_STR_EQ(list(s, NULL, 0), "eth0/198.18.0.1 eth0/198.18.0.3 eth0/198.18.0.7 eth0/198.18.0.8");
        CHECK_INT_EQ(store_get_counters(s)->evicted, 4);
        /* seen again: a record moves to the young end of the order */
        CHECK_INT_EQ(put1(s, &pmid, (struct record[]) { rec(RECORD_POSITIVE, now + min, 0) }), 1);
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key("eth0", "198.18.0.9") }, (struct record[]) { rec(RECORD_POSITIVE, now, 0) }),
                     1);
        CHECK_STR_EQ(list(s, "eth0", 0), "eth0/198.18.0.1 eth0/198.18.0.3 eth0/198.18.0.8 eth0/198.18.0.9");

        /* the total bound (6) is taken from the interface that grew, never from eth0 */
        for (uint32_t i = 0; i < 3; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth1", i) },
                                             (struct record[]) { rec(RECORD_POSITIVE, now + i, 0) }),
                             0);
        CHECK_INT_EQ(store_flush(s), 3);
        CHECK_INT_EQ(count(s), 6);
        CHECK_STR_EQ(list(s, "eth1", 0), "eth1/198.18.0.1 eth1/198.18.0.2");
        CHECK_STR_EQ(list(s, "eth0", 0), "eth0/198.18.0.1 eth0/198.18.0.3 eth0/198.18.0.8 eth0/198.18.0.9");

        /* statics are never evicted, even beyond both bounds */
        for (uint32_t i = 100; i < 106; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth2", i) },
                                             (struct record[]) { rec(RECORD_STATIC, 1, 0) }),
                             0);
        CHECK_INT_EQ(store_flush(s), 6);
        CHECK_INT_EQ(count(s), 12);
        CHECK_INT_EQ(store_get(s, &st, &out), 0);

        /* the counts and evictions per interface, kept in the store */
        CHECK_INT_EQ(store_iface_info(s, "eth0", &info), 0);
        CHECK_INT_EQ(info.entries, 4);
        CHECK_INT_EQ(info.evicted, 5);
        CHECK_INT_EQ(store_iface_info(s, "eth1", &info), 0);
        CHECK_INT_EQ(info.entries, 2);
        CHECK_INT_EQ(info.evicted, 1);
        CHECK_INT_EQ(store_iface_info(s, "eth2", &info), 0);
        CHECK_INT_EQ(info.entries, 6);
        CHECK_INT_EQ(info.evicted, 0);
        CHECK_INT_EQ(store_iface_info(s, "nothere", &info), 0);
        CHECK_INT_EQ(info.entries, 0);
        CHECK_INT_EQ(store_iface_info(s, "", &info), -EINVAL);
        CHECK_INT_EQ(store_get_counters(s)->evicted, 6);
        /* small interfaces are read whole: a bounded number of reads per eviction */
        CHECK(store_get_counters(s)->evict_seeks <= 6 * (STORE_EVICT_EXACT + 2));
        store_free(s);

        /* exactly the excess: one over the bound evicts one, never the newest */
        s = open_opts("evict-one.lmdb", &(struct store_options) { .max_entries = 128 });
        if (!s)
                return;
        for (uint32_t i = 0; i < 128; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth0", i) },
                                             (struct record[]) { rec(RECORD_POSITIVE, 1000 + i, 0) }),
                             0);
        CHECK_INT_EQ(store_flush(s), 128);
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key_n("eth0", 500) }, (struct record[]) { rec(RECORD_POSITIVE, 5000, 0) }),
                     1);
        CHECK_INT_EQ(count(s), 128);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 500) }, &out), 0);
        CHECK_INT_EQ(store_get_counters(s)->evicted, 1);
        store_free(s);

        /* beyond STORE_EVICT_EXACT entries the order is sampled: the least recently seen of
         * STORE_EVICT_SAMPLES random records (and of the best ones seen before in that commit) goes.
         * 100 evictions from 1,000: the evicted are old ones, none of the newest 200 (each
         * eviction would need all of its samples and its pool there: p < 1e-5 for all 100), and
         * their mean age rank is far below the median (expected about 1/9 of the range). */
        s = open_opts("evict-sampled.lmdb", &(struct store_options) { .max_entries = 1000 });
        if (!s)
                return;
        for (uint32_t i = 0; i < 1000; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth0", i) },
                                             (struct record[]) { rec(RECORD_POSITIVE, 1000 + i, 0) }),
                             0);
        CHECK_INT_EQ(store_flush(s), 1000);
        for (uint32_t i = 0; i < 100; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth0", 5000 + i) },
                                             (struct record[]) { rec(RECORD_POSITIVE, 100000 + i, 0) }),
                             0);
        CHECK_INT_EQ(store_flush(s), 100);
        CHECK_INT_EQ(count(s), 1000);
        {
                uint64_t rank_sum = 0, gone = 0;

                for (uint32_t i = 0; i < 1000; i++)
                        if (store_get(s, (struct neigh_key[]) { key_n("eth0", i) }, &out) == -ENOENT) {
                                rank_sum += i;
                                gone++;
                                CHECK(i < 800);
                        }
                CHECK_INT_EQ(gone, 100);
                CHECK(gone > 0 && rank_sum / gone < 250);
                fprintf(stderr, "  sampled eviction: mean age rank of the evicted %" PRIu64 " of 1000\n",
                        gone ? rank_sum / gone : 0);
                for (uint32_t i = 0; i < 100; i++)
                        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 5000 + i) }, &out), 0);
        }
        store_free(s);
}

/* A flood of distinct senders on one interface: it stays at its bound, the other interface loses
 * nothing, and every eviction reads exactly one index entry, of the flooded interface, however
 * big the store is. */
static void test_flood_one_interface(void) {
        Store *s = open_opts("flood.lmdb", &(struct store_options) { .max_entries = 100000, .max_per_iface = 1000 });
        struct store_iface_info info;
        uint64_t seeks_small = 0, evicted_small = 0, seeks_big = 0;

        if (!s)
                return;
        for (uint32_t i = 0; i < 500; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth0", i) },
                                             (struct record[]) { rec(RECORD_POSITIVE, 1 + i, 0) }),
                             0);
        CHECK_INT_EQ(store_flush(s), 500);
        for (uint32_t round = 0; round < 2; round++) {
                uint64_t e0 = store_get_counters(s)->evicted, s0 = store_get_counters(s)->evict_seeks;

                if (round == 1) /* the same flood with a store ten times bigger around it */
                        for (uint32_t i = 0; i < 50000; i++) {
                                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n(i % 2 ? "eth2" : "eth3", i) },
                                                             (struct record[]) { rec(RECORD_STATIC, 1, 0) }),
                                             0);
                                if (store_staged(s) == STORE_STAGE_MAX)
                                        CHECK(store_flush(s) > 0);
                        }
                /* forged senders, newer than everything eth0 has */
                for (uint32_t i = 0; i < 20000; i++) {
                        CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth1", round * 20000 + i) },
                                                     (struct record[]) { rec(RECORD_POSITIVE, 100000 + round * 20000 + i, 0) }),
                                     0);
                        if (store_staged(s) == 200)
                                CHECK_INT_EQ(store_flush(s), 200);
                }
                CHECK(store_flush(s) >= 0);
                CHECK_INT_EQ(store_iface_info(s, "eth1", &info), 0);
                CHECK_INT_EQ(info.entries, 1000); /* at its bound */
                CHECK_INT_EQ(store_iface_info(s, "eth0", &info), 0);
                CHECK_INT_EQ(info.entries, 500); /* all of eth0 */
                CHECK_INT_EQ(info.evicted, 0);
                for (uint32_t i = 0; i < 500; i++)
                        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", i) }, NULL), 0);
                /* structural: each eviction read a bounded number of records (samples, steps from
                 * each, the interface's key range once per commit), all of eth1's */
                uint64_t ev = store_get_counters(s)->evicted - e0, sk = store_get_counters(s)->evict_seeks - s0;
                CHECK(sk <= ev * STORE_EVICT_READS_MAX);
                if (round == 0) {
                        CHECK_INT_EQ(ev, 19000);
                        seeks_small = sk;
                        evicted_small = ev;
                } else {
                        CHECK_INT_EQ(ev, 20000);
                        seeks_big = sk;
                }
                fprintf(stderr, "  flood round %u: %" PRIu64 " evicted with %" PRIu64 " index reads, store %zu entries\n", round,
                        ev, sk, count(s));
        }
        /* the same reads per eviction with a store ten times bigger around the flood (within 25 %) */
        CHECK(seeks_small > 0 && evicted_small > 0);
        CHECK(seeks_small * 4 * 20000 <= seeks_big * 5 * evicted_small && seeks_big * 4 * evicted_small <=
                                                                               seeks_small * 5 * 20000);
        CHECK_INT_EQ(store_iface_info(s, "eth1", &info), 0);
        CHECK_INT_EQ(info.evicted, 39000);
        store_free(s);
}

static int iface_row(const char *ifname, const struct store_iface_info *info, void *userdata) {
        char *buf = userdata;
        size_t n = strlen(buf);

        snprintf(buf + n, 256 - n, "%s:%llu/%llu ", ifname, (unsigned long long) info->entries,
                 (unsigned long long) info->evicted);
        return 0;
}

/* The bounds live in the store: another writer's options do not change them; store_set_limits()
 * does, and cuts each interface from its own entries. */
static void test_limits_recorded(void) {
        const char *p = tpath("limits.lmdb");
        struct store_limits l = {};
        int status = 0;
        Store *s = open_opts("limits.lmdb", &(struct store_options) { .max_entries = 100 });
        pid_t pid;

        if (!s)
                return;
        CHECK_INT_EQ(store_get_limits(s, &l), 0);
        CHECK_INT_EQ(l.max_entries, 100);
        CHECK_INT_EQ(l.max_per_iface, 100);
        store_free(s);

        /* another process with other options (as arpctl --database would be) */
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                Store *cs = NULL;
                bool ok = store_open(p, &(struct store_options) { .max_entries = 5 }, &cs) == 0;

                for (uint32_t i = 0; ok && i < 50; i++)
                        ok = store_stage_put(cs, (struct neigh_key[]) { key_n(i % 2 ? "eth0" : "eth1", i) },
                                             (struct record[]) { rec(RECORD_POSITIVE, 1 + i, 0) }) == 0;
                ok = ok && store_flush(cs) == 50 && store_get_counters(cs)->evicted == 0;
                store_free(cs);
                _exit(ok ? 0 : 1);
        }
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        s = open_rw("limits.lmdb");
        if (!s)
                return;
        CHECK_INT_EQ(count(s), 50);
        CHECK_INT_EQ(store_set_limits(s, &(struct store_limits) { .max_per_iface = 10 }), 30);
        CHECK_INT_EQ(count(s), 20);
        {
                char buf[256] = "";
                CHECK_INT_EQ(store_foreach_iface(s, iface_row, buf), 0);
                CHECK_STR_EQ(buf, "eth0:10/15 eth1:10/15 ");
        }
        CHECK_STR_EQ(list(s, "eth0", 0),
                     "eth0/198.18.0.31 eth0/198.18.0.33 eth0/198.18.0.35 eth0/198.18.0.37 eth0/198.18.0.39 "
                     "eth0/198.18.0.41 eth0/198.18.0.43 eth0/198.18.0.45 eth0/198.18.0.47 eth0/198.18.0.49");
        CHECK_INT_EQ(store_get_limits(s, &l), 0);
        CHECK_INT_EQ(l.max_entries, 100);
        CHECK_INT_EQ(l.max_per_iface, 10);
        /* 10 -> 8 each (capped at the total), then 16 > 8 in total: 4 each */
        CHECK_INT_EQ(store_set_limits(s, &(struct store_limits) { .max_entries = 8 }), 12);
        CHECK_INT_EQ(count(s), 8);
        CHECK_INT_EQ(store_get_limits(s, &l), 0);
        CHECK_INT_EQ(l.max_per_iface, 8); /* capped at the total */
        {
                char buf[256] = "";
                CHECK_INT_EQ(store_foreach_iface(s, iface_row, buf), 0);
                CHECK_STR_EQ(buf, "eth0:4/21 eth1:4/21 ");
        }
        /* per == total: a per-interface bound of its own no more, so it follows the total */
        CHECK_INT_EQ(store_set_limits(s, &(struct store_limits) { .max_entries = 300 }), 0);
        CHECK_INT_EQ(store_get_limits(s, &l), 0);
        CHECK_INT_EQ(l.max_entries, 300);
        CHECK_INT_EQ(l.max_per_iface, 300);
        CHECK_INT_EQ(store_set_limits(s, &(struct store_limits) { .max_per_iface = 20 }), 0);
        CHECK_INT_EQ(store_set_limits(s, &(struct store_limits) { .max_entries = 400 }), 0);
        CHECK_INT_EQ(store_get_limits(s, &l), 0);
        CHECK_INT_EQ(l.max_per_iface, 20); /* one of its own: kept */
        CHECK_INT_EQ(store_set_limits(s, &(struct store_limits) { .max_entries = 8 }), 0);
        CHECK_INT_EQ(store_get_limits(s, &l), 0);
        CHECK_INT_EQ(store_set_limits(NULL, &l), -EINVAL);
        store_free(s);
        s = open_opts("limits.lmdb", &(struct store_options) { .read_only = true });
        if (s) {
                CHECK_INT_EQ(store_set_limits(s, &l), -EROFS);
                CHECK_INT_EQ(store_get_limits(s, &l), 0);
                CHECK_INT_EQ(l.max_entries, 8);
        }
        store_free(s);
}

/* A total bound lowered below what is stored cuts the largest interfaces first, to one common
 * level, each from its own oldest entries; a small interface keeps all of its own. */
static void test_limits_total_cut(void) {
        Store *s = open_opts("cut.lmdb", &(struct store_options) { .max_entries = 1000 });
        char buf[256] = "";

        if (!s)
                return;
        for (uint32_t i = 0; i < 60; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth0", i) },
                                             (struct record[]) { rec(RECORD_POSITIVE, 1 + i, 0) }), 0);
        for (uint32_t i = 0; i < 30; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth1", 100 + i) },
                                             (struct record[]) { rec(RECORD_POSITIVE, 1 + i, 0) }), 0);
        for (uint32_t i = 0; i < 5; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("eth2", 200 + i) },
                                             (struct record[]) { rec(RECORD_POSITIVE, 1 + i, 0) }), 0);
        CHECK_INT_EQ(store_flush(s), 95);
        /* 60 + 30 + 5 = 95 > 46: eth2 keeps 5, eth0 and eth1 cut to 20 each, the one left over to eth0 */
        CHECK_INT_EQ(store_set_limits(s, &(struct store_limits) { .max_entries = 46, .max_per_iface = 46 }), 49);
        CHECK_INT_EQ(store_foreach_iface(s, iface_row, buf), 0);
        CHECK_STR_EQ(buf, "eth0:21/39 eth1:20/10 eth2:5/0 ");
        CHECK_INT_EQ(count(s), 46);
        /* the oldest went */
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 38) }, NULL), -ENOENT);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 39) }, NULL), 0);
        store_free(s);
}

/* A format-1 store (no index, no counts, no bounds) is upgraded by the first writer and read as
 * it is by readers; nothing in it is lost or misread. */
static void test_upgrade_v1(void) {
        const char *p = tpath("v1.lmdb");
        uint8_t v1[4] = { 1, 0, 0, 0 }, kb[KEY_V1_MAX_SIZE], vb[RECORD_V1_SIZE];
        _cleanup_free_ void *before = NULL;
        struct store_iface_info info;
        struct store_limits l;
        size_t size = 0;
        Store *s;

        /* what arpd 1 wrote: the format record and the records, nothing else */
        CHECK_INT_EQ(raw_put(p, "meta", "format", 6, v1, sizeof(v1)), 0);
        for (uint32_t i = 0; i < 40; i++) {
                struct neigh_key k = key_n(i < 30 ? "eth0" : "eth1", i);
                int kl = neigh_key_encode_v1(&k, kb, sizeof(kb));
                CHECK(record_encode_v1((struct record[]) { rec(i % 10 == 0 ? RECORD_STATIC : RECORD_POSITIVE, 100 + i, 0) }, vb,
                                    sizeof(vb)) == RECORD_V1_SIZE);
                CHECK_INT_EQ(raw_put(p, "neigh", kb, (size_t) kl, vb, sizeof(vb)), 0);
        }

        /* a reader does not upgrade: it says what to do */
        before = read_all(p, &size);
        CHECK_INT_EQ(store_open(p, &(struct store_options) { .read_only = true }, &s), -EPROTONOSUPPORT);
        CHECK(before && file_unchanged(p, before, size));

        s = open_opts("v1.lmdb", &(struct store_options) { .max_entries = 1000, .max_per_iface = 25 });
        if (!s)
                return;
        /* upgraded: counted, bounded by the options given now; nothing evicted by the upgrade */
        CHECK_INT_EQ(count(s), 40);
        CHECK_INT_EQ(store_iface_info(s, "eth0", &info), 0);
        CHECK_INT_EQ(info.entries, 30);
        CHECK_INT_EQ(store_iface_info(s, "eth1", &info), 0);
        CHECK_INT_EQ(info.entries, 10);
        CHECK_INT_EQ(store_get_limits(s, &l), 0);
        CHECK_INT_EQ(l.max_entries, 1000);
        CHECK_INT_EQ(l.max_per_iface, 25);
        /* the index works: the next eth0 entry cuts eth0 to 25, its oldest learned ones first */
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key_n("eth0", 99) }, (struct record[]) { rec(RECORD_POSITIVE, 999, 0) }), 1);
        CHECK_INT_EQ(store_iface_info(s, "eth0", &info), 0);
        CHECK_INT_EQ(info.entries, 25);
        CHECK_INT_EQ(info.evicted, 6);
        for (uint32_t i = 1; i <= 6; i++)
                CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", i) }, NULL), -ENOENT);
        for (uint32_t i = 0; i < 30; i += 10)
                CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", i) }, NULL), 0); /* statics */
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 7) }, NULL), 0);
        CHECK_STR_EQ(list(s, "eth1", 0),
                     "eth1/198.18.0.30 eth1/198.18.0.31 eth1/198.18.0.32 eth1/198.18.0.33 eth1/198.18.0.34 "
                     "eth1/198.18.0.35 eth1/198.18.0.36 eth1/198.18.0.37 eth1/198.18.0.38 eth1/198.18.0.39");
        store_free(s);

        /* opened again: format 3 now, no second upgrade, the same counts */
        s = open_rw("v1.lmdb");
        if (s) {
                CHECK_INT_EQ(store_iface_info(s, "eth0", &info), 0);
                CHECK_INT_EQ(info.entries, 25);
                CHECK_INT_EQ(count(s), 35);
        }
        store_free(s);
}


/* A format-2 store written by the arpd before format 3 (test/unit/fixtures/README.md): a reader
 * is told to upgrade it, the first writer upgrades it in one transaction, and every record,
 * count, bound and the order of the negatives survive. */
static void test_upgrade_fixture(void) {
        const char *dir = getenv("ARPD_TEST_FIXTURES"), *p = tpath("fixture2.lmdb");
        _cleanup_free_ char *src = NULL;
        _cleanup_free_ void *fixture = NULL, *before = NULL;
        struct store_iface_info info;
        struct store_limits l;
        struct record out;
        size_t size = 0;
        Store *s = NULL;
        FILE *f;

        if (!dir) {
                fprintf(stderr, "  (ARPD_TEST_FIXTURES not set: run it with meson test)\n");
                return;
        }
        if (sizeof(size_t) != 8 || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__) {
                fprintf(stderr, "  (the fixture is a 64-bit little-endian LMDB file: skipped here)\n");
                return;
        }
        CHECK(asprintf(&src, "%s/store-format2.lmdb", dir) > 0);
        fixture = read_all(src, &size);
        CHECK(fixture != NULL);
        if (!fixture)
                return;
        f = fopen(p, "we");
        CHECK(f && fwrite(fixture, 1, size, f) == size);
        if (f)
                fclose(f);

        /* a format-2 MAC history row (keyed by name) for wlan-guest0/198.18.0.1 */
        {
                struct station_history h = { .stamp = 1, .n = 2 };
                struct neigh_key hk = key("wlan-guest0", "198.18.0.1");
                uint8_t kb[KEY_V1_MAX_SIZE], hb[STATION_HISTORY_ENCODED_MAX];
                int kl = neigh_key_encode_v1(&hk, kb, sizeof(kb)), hl;

                lladdr_from_string("02:00:00:00:02:01", &h.mac[0].lladdr);
                lladdr_from_string("02:00:00:00:02:99", &h.mac[1].lladdr);
                h.mac[0].first_seen = h.mac[0].last_seen = 2;
                h.mac[1].first_seen = h.mac[1].last_seen = 1;
                hl = station_history_encode(&h, hb, sizeof(hb));
                CHECK(kl > 0 && hl > 0);
                CHECK_INT_EQ(raw_put(p, "history", kb, (size_t) kl, hb, (size_t) hl), 0);
        }

        before = read_all(p, &size);
        CHECK_INT_EQ(store_open(p, &(struct store_options) { .read_only = true }, &s), -EPROTONOSUPPORT);
        CHECK(before && file_unchanged(p, before, size));

        s = open_opts("fixture2.lmdb", &(struct store_options) { .max_entries = 5000 });
        if (!s)
                return;
        CHECK_INT_EQ(count(s), 8);
        CHECK_STR_EQ(list(s, NULL, 0), "eth0/192.0.2.1 eth0/192.0.2.2 eth0/192.0.2.3 eth0/2001:db8::1 eth0/2001:db8::2 "
                                       "wlan-guest0/198.18.0.1 wlan-guest0/198.18.0.2 wlan-guest0/2001:db8:1::1");
        CHECK_STR_EQ(list(s, "wlan-guest0", AF_INET6), "wlan-guest0/2001:db8:1::1");
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key("eth0", "192.0.2.2") }, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_STATIC);
        CHECK_INT_EQ(out.lladdr.len, 6);
        CHECK_INT_EQ(out.lladdr.bytes[5], 2);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key("eth0", "192.0.2.3") }, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_NEGATIVE);
        CHECK(out.neg_since > 0);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key("wlan-guest0", "2001:db8:1::1") }, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_POSITIVE);
        CHECK_INT_EQ(out.source, SOURCE_LOAD);
        CHECK(out.first_seen > 0 && out.last_seen >= out.first_seen);
        /* the MAC history moved with its record */
        {
                struct station_history h;

                CHECK_INT_EQ(store_history_get(s, (struct neigh_key[]) { key("wlan-guest0", "198.18.0.1") }, &h), 0);
                CHECK_INT_EQ(h.n, 2);
                CHECK_INT_EQ(h.mac[1].lladdr.bytes[5], 0x99);
                CHECK_INT_EQ(store_history_get(s, (struct neigh_key[]) { key("eth0", "192.0.2.1") }, &h), -ENOENT);
        }
        /* the store's own bounds, not the options' */
        CHECK_INT_EQ(store_get_limits(s, &l), 0);
        CHECK_INT_EQ(l.max_entries, 1000);
        CHECK_INT_EQ(store_iface_info(s, "eth0", &info), 0);
        CHECK_INT_EQ(info.entries, 5);
        CHECK_INT_EQ(store_iface_info(s, "wlan-guest0", &info), 0);
        CHECK_INT_EQ(info.entries, 3);
        /* the negatives are indexed: a bound of 4 per interface takes eth0's oldest negative window */
        CHECK_INT_EQ(store_set_limits(s, &(struct store_limits) { .max_per_iface = 4 }), 1);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key("eth0", "192.0.2.3") }, &out), -ENOENT);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key("eth0", "2001:db8::2") }, &out), 0);
        store_free(s);

        /* the old tables are gone; opened again, format 3 needs no second upgrade */
        CHECK(raw_has_table(p, "entries"));
        CHECK(raw_has_table(p, "neg"));
        CHECK(!raw_has_table(p, "neigh"));
        CHECK(!raw_has_table(p, "lru"));
        CHECK(!raw_has_table(p, "history"));
        CHECK(raw_has_table(p, "histories"));
        s = open_opts("fixture2.lmdb", &(struct store_options) { .read_only = true });
        if (s)
                CHECK_INT_EQ(count(s), 7);
        store_free(s);
}

/* ---- explicit transactions ------------------------------------------------------------------- */

static void test_txn(void) {
        struct neigh_key k1 = key("eth0", "192.0.2.1"), k2 = key("eth0", "192.0.2.2"), k3 = key("eth0", "192.0.2.3");
        struct record r = rec(RECORD_STATIC, 7, 0), out;
        StoreTxn *t = NULL, *t2 = NULL;
        Store *s = open_rw("txn.lmdb");

        if (!s)
                return;
        CHECK_INT_EQ(put1(s, &k3, &r), 1);

        /* abort stores nothing */
        CHECK_INT_EQ(store_txn_begin(s, &t), 0);
        CHECK_INT_EQ(store_txn_put(t, &k1, &r), 0);
        CHECK_INT_EQ(store_txn_get(t, &k1, &out), 0);
        CHECK_INT_EQ(store_txn_delete(t, &k3), 0);
        CHECK_INT_EQ(store_txn_get(t, &k3, &out), -ENOENT);
        store_txn_abort(t);
        CHECK_INT_EQ(count(s), 1);
        CHECK_INT_EQ(store_get(s, &k1, &out), -ENOENT);
        CHECK_INT_EQ(store_get(s, &k3, &out), 0);
        store_txn_abort(NULL);

        /* commit stores all */
        CHECK_INT_EQ(store_txn_begin(s, &t), 0);
        CHECK_INT_EQ(store_txn_begin(s, &t2), -EBUSY); /* one writer per process */
        CHECK_INT_EQ(store_stage_put(s, &k2, &r), 0);
        CHECK_INT_EQ(store_flush(s), -EBUSY);
        CHECK_INT_EQ(store_staged(s), 1); /* still staged */
        CHECK_INT_EQ(store_txn_put(t, &k1, &r), 0);
        CHECK_INT_EQ(store_txn_put(t, &k2, (struct record[]) { rec(RECORD_POSITIVE, 9, 0) }), 0);
        CHECK_INT_EQ(store_txn_delete(t, &k3), 0);
        CHECK_INT_EQ(store_txn_delete(t, &k3), -ENOENT);
        CHECK_INT_EQ(store_txn_get(t, &k2, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_POSITIVE);
        CHECK_INT_EQ(store_get(s, &k1, &out), -ENOENT); /* not committed yet */
        CHECK_INT_EQ(store_txn_put(t, &(struct neigh_key) {}, &r), -EINVAL);
        CHECK_INT_EQ(store_txn_commit(t), 0); /* a failed argument check does not spoil the txn */
        CHECK_INT_EQ(count(s), 2);
        CHECK_INT_EQ(store_get(s, &k1, &out), 0);
        CHECK_INT_EQ(store_get(s, &k3, &out), -ENOENT);
        /* the overlay still wins over the commit until the flush, which drops it: k2 was staged
         * when it had no record, and the transaction has written one since */
        CHECK_INT_EQ(store_get(s, &k2, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_STATIC);
        CHECK_INT_EQ(store_flush(s), 0);
        CHECK_INT_EQ(store_get_counters(s)->conflicts, 1);
        CHECK_INT_EQ(store_get(s, &k2, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_POSITIVE);
        CHECK_INT_EQ(store_txn_commit(NULL), -EINVAL);

        /* freeing the store under an open transaction: it is aborted */
        CHECK_INT_EQ(store_txn_begin(s, &t), 0);
        CHECK_INT_EQ(store_txn_put(t, &k3, &r), 0);
        store_free(s);
        CHECK_INT_EQ(store_txn_put(t, &k3, &r), -ESTALE);
        CHECK_INT_EQ(store_txn_commit(t), -ESTALE);
        s = open_rw("txn.lmdb");
        if (s)
                CHECK_INT_EQ(store_get(s, &k3, &out), -ENOENT);
        store_free(s);
}

/* store_txn_put() appends keys past the table's last one (a load in key order) and searches for
 * the others: both in one transaction give the same records and per-interface counts as the
 * search alone, with a delete, an overwrite and an abort among them. */
static void test_txn_append(void) {
        struct store_iface_info info;
        struct record out;
        StoreTxn *t = NULL;
        Store *s = open_rw("append.lmdb");

        if (!s)
                return;
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key_n("eth1", 5) }, (struct record[]) { rec(RECORD_STATIC, 1, 0) }), 1);

        /* an aborted transaction of appends leaves nothing, counts included */
        CHECK_INT_EQ(store_txn_begin(s, &t), 0);
        for (uint32_t i = 0; i < 50; i++)
                CHECK_INT_EQ(store_txn_put(t, (struct neigh_key[]) { key_n("eth2", i) },
                                           (struct record[]) { rec(RECORD_POSITIVE, 100 + i, 0) }), 0);
        store_txn_abort(t);
        CHECK_INT_EQ(count(s), 1);
        CHECK_INT_EQ(store_iface_info(s, "eth2", &info), 0);
        CHECK_INT_EQ(info.entries, 0);

        CHECK_INT_EQ(store_txn_begin(s, &t), 0);
        for (uint32_t i = 0; i < 200; i++) /* eth2: a new interface id, past eth1's keys */
                CHECK_INT_EQ(store_txn_put(t, (struct neigh_key[]) { key_n("eth2", i) },
                                           (struct record[]) { rec(i % 7 == 0 ? RECORD_NEGATIVE : RECORD_POSITIVE,
                                                                   100 + i, i % 7 == 0 ? 100 + i : 0) }),
                             0);
        /* an existing key (an overwrite), then keys before the last one: searched */
        CHECK_INT_EQ(store_txn_put(t, (struct neigh_key[]) { key_n("eth2", 50) },
                                   (struct record[]) { rec(RECORD_STATIC, 5000, 0) }), 0);
        CHECK_INT_EQ(store_txn_put(t, (struct neigh_key[]) { key_n("eth1", 1) },
                                   (struct record[]) { rec(RECORD_POSITIVE, 7, 0) }), 0);
        CHECK_INT_EQ(store_txn_delete(t, (struct neigh_key[]) { key_n("eth2", 10) }), 0);
        CHECK_INT_EQ(store_txn_put(t, (struct neigh_key[]) { key_n("eth2", 300) },
                                   (struct record[]) { rec(RECORD_POSITIVE, 7, 0) }), 0);
        CHECK_INT_EQ(store_txn_commit(t), 0);

        CHECK_INT_EQ(count(s), 1 + 1 + 200 + 1 - 1);
        CHECK_INT_EQ(store_iface_info(s, "eth2", &info), 0);
        CHECK_INT_EQ(info.entries, 200);
        CHECK_INT_EQ(store_iface_info(s, "eth1", &info), 0);
        CHECK_INT_EQ(info.entries, 2);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth2", 50) }, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_STATIC);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth2", 10) }, &out), -ENOENT);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth2", 14) }, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_NEGATIVE);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth2", 199) }, &out), 0);
        CHECK_INT_EQ(out.last_seen, 299);
        /* appends alone: counted at the commit */
        CHECK_INT_EQ(store_txn_begin(s, &t), 0);
        for (uint32_t i = 0; i < 50; i++)
                CHECK_INT_EQ(store_txn_put(t, (struct neigh_key[]) { key_n("eth3", i) },
                                           (struct record[]) { rec(RECORD_POSITIVE, 100 + i, 0) }), 0);
        CHECK_INT_EQ(store_txn_commit(t), 0);
        CHECK_INT_EQ(store_iface_info(s, "eth3", &info), 0);
        CHECK_INT_EQ(info.entries, 50);
        store_free(s);

        /* the file passes the page check (entry counts of every table, the negative index's too),
         * and a per-interface bound sees the appended entries: 200 cut to 150, negatives first */
        s = open_opts("append.lmdb", &(struct store_options) { .read_only = true });
        if (s)
                CHECK_INT_EQ(count(s), 252);
        store_free(s);
        s = open_rw("append.lmdb");
        if (!s)
                return;
        CHECK_INT_EQ(store_set_limits(s, &(struct store_limits) { .max_per_iface = 150 }), 50);
        CHECK_INT_EQ(store_iface_info(s, "eth2", &info), 0);
        CHECK_INT_EQ(info.entries, 150);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth2", 14) }, &out), -ENOENT);
        store_free(s);
}

/* ---- map full -------------------------------------------------------------------------------- */

static void test_map_full(void) {
        const struct store_options o = { .initial_map_size = 128 * 1024, .max_map_size = 1024 * 1024 };
        struct record out;
        struct stat st;
        Store *s = open_opts("full.lmdb", &o);
        int failed = 0, r;

        if (!s)
                return;
        for (uint32_t i = 0; i < 100; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("static", i) },
                                             (struct record[]) { rec(RECORD_STATIC, 1, 0) }),
                             0);
        CHECK_INT_EQ(store_flush(s), 100);

        /* a flood much bigger than the map: grows, then evicts the oldest learned entries */
        for (uint32_t i = 0; i < 60000; i++) {
                r = store_stage_put(s, (struct neigh_key[]) { key_n("eth0", i) },
                                    (struct record[]) { rec(RECORD_POSITIVE, 1000 + i, 0) });
                if (r < 0) {
                        failed++;
                        fprintf(stderr, "put at %u: %d count %zu\n", i, r, count(s));
                }
                if (i % 1000 == 999) {
                        r = store_flush(s);
                        if (r < 0) {
                                failed++;
                                fprintf(stderr, "flush at %u: %d, count %zu\n", i, r, count(s));
                        }
                }
        }
        CHECK_INT_EQ(failed, 0);
        CHECK(store_get_counters(s)->map_full > 0);
        CHECK(store_get_counters(s)->evicted > 0);
        for (uint32_t i = 0; i < 100; i++)
                CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("static", i) }, &out), 0);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 59999) }, &out), 0); /* the newest */
        /* at the map size limit eviction takes runs of neighbouring keys (store.h, "Bounds"): which
         * ones is random, not the oldest */
        CHECK(stat(tpath("full.lmdb"), &st) == 0 && (size_t) st.st_size <= o.max_map_size);
        fprintf(stderr, "  map full: %zu entries left, %" PRIu64 " evicted, %" PRIu64 " map-full events, file %lld KiB\n",
                count(s), store_get_counters(s)->evicted, store_get_counters(s)->map_full,
                (long long) st.st_size / 1024);

        /* what cannot be evicted does not fit: the flush fails cleanly, nothing committed is lost */
        size_t before = count(s);
        uint64_t commits = store_get_counters(s)->commits;
        for (uint32_t i = 0; i < 3000; i++)
                CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("static2", i) },
                                             (struct record[]) { rec(RECORD_STATIC, 1, 0) }),
                             0);
        /* evicting every learned entry may or may not make room for 3000 statics: either way the
         * statics committed earlier survive */
        r = store_flush(s);
        CHECK(r == 3000 || r == -ENOSPC);
        CHECK_INT_EQ(store_staged(s), 0);
        if (r == -ENOSPC)
                CHECK(store_get(s, (struct neigh_key[]) { key_n("static2", 0) }, &out) == -ENOENT);
        for (uint32_t i = 0; i < 100; i++)
                CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("static", i) }, &out), 0);
        fprintf(stderr, "  static flood: flush %d, %zu -> %zu entries, %" PRIu64 " commits\n", r, before, count(s),
                store_get_counters(s)->commits - commits);

        /* 30000 statics can never fit in 1 MiB */
        for (uint32_t i = 0; i < 30000; i++) {
                r = store_stage_put(s, (struct neigh_key[]) { key_n("static3", i) },
                                    (struct record[]) { rec(RECORD_STATIC, 1, 0) });
                if (r < 0)
                        break;
        }
        CHECK_INT_EQ(r, -ENOSPC); /* an automatic flush failed */
        for (uint32_t i = 0; i < 100; i++)
                CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("static", i) }, &out), 0);

        /* and the store is still usable */
        CHECK_INT_EQ(store_stage_put(s, (struct neigh_key[]) { key_n("static", 0) },
                                     (struct record[]) { rec(RECORD_STATIC, 2, 0) }),
                     0);
        CHECK_INT_EQ(store_flush(s), 1);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("static", 0) }, &out), 0);
        CHECK_INT_EQ(out.last_seen, 2);
        store_free(s);

        /* explicit transactions: -ENOSPC, nothing stored, the map grown for a retry */
        s = open_opts("full-txn.lmdb", &(struct store_options) { .initial_map_size = 64 * 1024, .max_map_size = 4 << 20 });
        if (!s)
                return;
        StoreTxn *t = NULL;
        CHECK_INT_EQ(store_txn_begin(s, &t), 0);
        r = 0;
        for (uint32_t i = 0; i < 3000 && r == 0; i++)
                r = store_txn_put(t, (struct neigh_key[]) { key_n("eth0", i) }, (struct record[]) { rec(RECORD_STATIC, 1, 0) });
        CHECK_INT_EQ(r, -ENOSPC);
        CHECK_INT_EQ(store_txn_put(t, (struct neigh_key[]) { key_n("eth1", 0) }, (struct record[]) { rec(RECORD_STATIC, 1, 0) }),
                     -ENOSPC);
        CHECK_INT_EQ(store_txn_commit(t), -ENOSPC);
        CHECK_INT_EQ(count(s), 0);
        /* 3000 entries need some 400 KiB: each failed try grows the map, a later one fits */
        int tries = 1;
        do {
                tries++;
                CHECK_INT_EQ(store_txn_begin(s, &t), 0);
                r = 0;
                for (uint32_t i = 0; i < 3000 && r == 0; i++)
                        r = store_txn_put(t, (struct neigh_key[]) { key_n("eth0", i) },
                                          (struct record[]) { rec(RECORD_STATIC, 1, 0) });
                if (r == 0)
                        r = store_txn_commit(t);
                else
                        store_txn_abort(t);
        } while (r == -ENOSPC && tries < 10);
        CHECK(tries > 2);
        CHECK_INT_EQ(r, 0);
        CHECK_INT_EQ(count(s), 3000);
        store_free(s);
}

/* ---- several handles, several processes ------------------------------------------------------ */

static void test_two_handles_used(Store *a, Store *b) {
        struct neigh_key k1 = key("eth0", "192.0.2.1"), k2 = key("eth0", "192.0.2.2");
        struct record r = rec(RECORD_POSITIVE, 42, 0), out;
        Store *ro;

        CHECK_INT_EQ(store_get(b, &k1, &out), -ENOENT); /* b's snapshot starts here */
        CHECK_INT_EQ(store_stage_put(a, &k1, &r), 0);
        CHECK_INT_EQ(store_get(b, &k1, &out), -ENOENT); /* staged in a, not visible to b */
        CHECK_INT_EQ(store_flush(a), 1);
        CHECK_INT_EQ(store_get(b, &k1, &out), -ENOENT); /* b still reads its old snapshot */
        CHECK_INT_EQ(store_refresh(b), 0);
        CHECK_INT_EQ(store_get(b, &k1, &out), 0);
        CHECK_INT_EQ(out.last_seen, 42);
        CHECK_INT_EQ(put1(b, &k2, &r), 1);
        CHECK_INT_EQ(store_refresh(a), 0);
        CHECK_INT_EQ(store_get(a, &k2, &out), 0);

        /* a read-only handle of the same file in the same process */
        ro = open_opts("shared.lmdb", &(struct store_options) { .read_only = true });
        if (!ro)
                return;
        CHECK_INT_EQ(store_get(ro, &k2, &out), 0);
        /* the others keep working after one handle is closed */
        store_free(a);
        CHECK_INT_EQ(store_stage_delete(b, &k1), 0);
        CHECK_INT_EQ(store_flush(b), 1);
        CHECK_INT_EQ(store_get(ro, &k1, &out), 0); /* old snapshot */
        CHECK_INT_EQ(store_refresh(ro), 0);
        CHECK_INT_EQ(store_get(ro, &k1, &out), -ENOENT);
        store_free(ro);
}

static void test_two_handles(void) {
        Store *a = open_rw("shared.lmdb"), *b = open_rw("shared.lmdb"), *ro;

        if (a && b)
                test_two_handles_used(a, b); /* frees a */
        else
                store_free(a);
        store_free(b);

        /* read-only first, then a writer in the same process: refused */
        ro = open_opts("shared.lmdb", &(struct store_options) { .read_only = true });
        CHECK_INT_EQ(store_open(tpath("shared.lmdb"), NULL, &a), -EBUSY);
        store_free(ro);
        /* once it is closed, a writer may open it */
        a = open_rw("shared.lmdb");
        CHECK(a != NULL);
        store_free(a);
}

static void test_two_processes(void) {
        struct neigh_key k1 = key("eth0", "198.18.9.1"), k2 = key("eth0", "198.18.9.2");
        struct record out;
        int to_child[2], to_parent[2], status = 0;
        char c = 0;
        Store *s = open_rw("procs.lmdb");
        pid_t pid;

        if (!s)
                return;
        CHECK(pipe2(to_child, O_CLOEXEC) == 0 && pipe2(to_parent, O_CLOEXEC) == 0);
        CHECK_INT_EQ(store_get(s, &k1, &out), -ENOENT);

        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                /* the child: its own handle (the parent's is not usable here) */
                Store *cs = NULL;
                int ok = store_open(tpath("procs.lmdb"), NULL, &cs) == 0;

                ok = ok && put1(cs, &k1, (struct record[]) { rec(RECORD_POSITIVE, 11, 0) }) == 1;
                ok = ok && write(to_parent[1], "w", 1) == 1; /* committed */
                ok = ok && read(to_child[0], &c, 1) == 1;     /* the parent committed k2 */
                ok = ok && store_refresh(cs) == 0 && store_get(cs, &k2, &out) == 0 && out.last_seen == 22;
                store_free(cs);
                _exit(ok ? 0 : 1);
        }
        CHECK(read(to_parent[0], &c, 1) == 1);
        CHECK_INT_EQ(store_get(s, &k1, &out), -ENOENT); /* old snapshot */
        CHECK_INT_EQ(store_refresh(s), 0);
        CHECK_INT_EQ(store_get(s, &k1, &out), 0);
        CHECK_INT_EQ(out.last_seen, 11);
        CHECK_INT_EQ(put1(s, &k2, (struct record[]) { rec(RECORD_POSITIVE, 22, 0) }), 1);
        CHECK(write(to_child[1], "p", 1) == 1);
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK_INT_EQ(count(s), 2);
        store_free(s);
        for (int i = 0; i < 2; i++) {
                safe_close(to_child[i]);
                safe_close(to_parent[i]);
        }
}

/* Lost updates: another process (a child with its own handle, as arpctl --database would be) writes
 * between this handle's decision and its flush. The staged change is dropped, never written over
 * the other process's record. */
static void test_no_lost_updates(void) {
        struct neigh_key k1 = key("eth0", "198.18.7.1"), k2 = key("eth0", "198.18.7.2"),
                         k3 = key("eth0", "198.18.7.3"), k4 = key("eth0", "198.18.7.4");
        struct record learned = rec(RECORD_POSITIVE, 100, 0), newer = rec(RECORD_POSITIVE, 200, 0), out;
        int to_child[2], to_parent[2], status = 0;
        Store *s = open_rw("lost.lmdb");
        char c = 0;
        pid_t pid;

        if (!s)
                return;
        CHECK(pipe2(to_child, O_CLOEXEC) == 0 && pipe2(to_parent, O_CLOEXEC) == 0);
        CHECK_INT_EQ(put1(s, &k2, &learned), 1);
        CHECK_INT_EQ(put1(s, &k3, &learned), 1);

        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                /* the other writer: its own handle, an explicit transaction like arpctl --database */
                struct record st = rec(RECORD_STATIC, 300, 0);
                StoreTxn *t = NULL;
                Store *cs = NULL;
                int ok = read(to_child[0], &c, 1) == 1; /* the parent has decided and staged */

                ok = ok && store_open(tpath("lost.lmdb"), NULL, &cs) == 0;
                ok = ok && store_txn_begin(cs, &t) == 0;
                ok = ok && store_txn_put(t, &k1, &st) == 0;     /* a static entry added */
                ok = ok && store_txn_delete(t, &k2) == 0;       /* an entry deleted */
                ok = ok && store_txn_put(t, &k3, &st) == 0;     /* a learned entry made static */
                ok = ok && store_txn_commit(t) == 0;
                store_free(cs);
                ok = ok && write(to_parent[1], "c", 1) == 1;
                _exit(ok ? 0 : 1);
        }

        /* decisions on the current snapshot, staged for the next flush */
        CHECK_INT_EQ(store_refresh(s), 0);
        CHECK_INT_EQ(store_get(s, &k1, &out), -ENOENT);
        CHECK_INT_EQ(store_stage_put(s, &k1, &learned), 0); /* learned from a frame */
        CHECK_INT_EQ(store_get(s, &k2, &out), 0);
        CHECK_INT_EQ(store_stage_put(s, &k2, &newer), 0);   /* seen again */
        CHECK_INT_EQ(store_get(s, &k3, &out), 0);
        CHECK_INT_EQ(store_stage_delete(s, &k3), 0);        /* invalidated */
        CHECK_INT_EQ(store_get(s, &k4, &out), -ENOENT);
        CHECK_INT_EQ(store_stage_put(s, &k4, &learned), 0); /* nobody else touches k4 */
        CHECK_INT_EQ(store_stage_put(s, &k4, &newer), 0);   /* staged twice: still decided on "none" */

        CHECK(write(to_child[1], "d", 1) == 1);
        CHECK(read(to_parent[0], &c, 1) == 1);
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        CHECK_INT_EQ(store_flush(s), 1); /* only k4 */
        CHECK_INT_EQ(store_get_counters(s)->conflicts, 3);
        CHECK_INT_EQ(store_get(s, &k1, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_STATIC);              /* not reverted to the learned entry */
        CHECK_INT_EQ(store_get(s, &k2, &out), -ENOENT);      /* the delete holds */
        CHECK_INT_EQ(store_get(s, &k3, &out), 0);
        CHECK_INT_EQ(out.state, RECORD_STATIC);              /* not deleted by the stale decision */
        CHECK_INT_EQ(store_get(s, &k4, &out), 0);
        CHECK_INT_EQ(out.last_seen, 200);

        /* decided on the new snapshot, the same kind of change goes through */
        CHECK_INT_EQ(store_stage_delete(s, &k1), 0);
        CHECK_INT_EQ(store_flush(s), 1);
        CHECK_INT_EQ(store_get(s, &k1, &out), -ENOENT);
        CHECK_INT_EQ(store_get_counters(s)->conflicts, 3);
        store_free(s);
        for (int i = 0; i < 2; i++) {
                safe_close(to_child[i]);
                safe_close(to_parent[i]);
        }
}

/* The overlay fills up while a decision is pending: the flush that makes room renews the snapshot,
 * but the pending change keeps the base it was decided on. Two handles of one process. */
static void test_lost_update_overflow(void) {
        struct neigh_key k = key("eth1", "198.18.8.1");
        struct record r = rec(RECORD_POSITIVE, 100, 0), out;
        Store *a = open_rw("lost2.lmdb"), *b = open_rw("lost2.lmdb");

        if (a && b) {
                CHECK_INT_EQ(store_get(a, &k, &out), -ENOENT);    /* a decides on "none" ... */
                CHECK_INT_EQ(put1(b, &k, (struct record[]) { rec(RECORD_STATIC, 1, 0) }), 1); /* b adds it */
                for (uint32_t i = 0; i < STORE_STAGE_MAX; i++)
                        CHECK_INT_EQ(store_stage_put(a, (struct neigh_key[]) { key_n("eth0", i) }, &r), 0);
                CHECK_INT_EQ(store_stage_put(a, &k, &r), 0);       /* ... stages it: the overlay is flushed first */
                CHECK_INT_EQ(store_get_counters(a)->conflicts, 0);
                CHECK_INT_EQ(store_flush(a), 0);
                CHECK_INT_EQ(store_get_counters(a)->conflicts, 1);
                CHECK_INT_EQ(store_get(a, &k, &out), 0);
                CHECK_INT_EQ(out.state, RECORD_STATIC);
                CHECK_INT_EQ(count(a), STORE_STAGE_MAX + 1);
        }
        store_free(a);
        store_free(b);
}

/* ---- reader hygiene -------------------------------------------------------------------------- */

/* A child that opens the store, takes a read snapshot and is then killed with SIGKILL. */
static void reader_killed(const char *p) {
        int to_parent[2], status = 0;
        char c = 0;
        pid_t pid;

        CHECK(pipe2(to_parent, O_CLOEXEC) == 0);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                Store *cs = NULL;
                struct record out;

                if (store_open(p, NULL, &cs) < 0)
                        _exit(1);
                (void) store_get(cs, (struct neigh_key[]) { key_n("eth0", 1) }, &out); /* takes a slot */
                (void) !write(to_parent[1], "r", 1);
                for (;;)
                        pause();
        }
        CHECK(read(to_parent[0], &c, 1) == 1);
        CHECK(kill(pid, SIGKILL) == 0);
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        safe_close(to_parent[0]);
        safe_close(to_parent[1]);
}

static void test_stale_reader_cleared(void) {
        const char *p = tpath("stale.lmdb");
        Store *s = open_rw("stale.lmdb"); /* holds the environment open, as a running daemon does */
        int status = 0;
        pid_t pid;

        if (!s)
                return;
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key_n("eth0", 1) }, (struct record[]) { rec(RECORD_STATIC, 1, 0) }), 1);
        store_release(s);

        /* the next process to open the store clears the dead one's slot */
        reader_killed(p);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                Store *cs = NULL;
                if (store_open(p, &(struct store_options) { .read_only = true }, &cs) < 0)
                        _exit(100);
                _exit((int) MIN(store_get_counters(cs)->stale_readers, 99));
        }
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK_INT_EQ(WEXITSTATUS(status), 1);
        CHECK_INT_EQ(store_reader_check(s), 0); /* nothing left */

        /* and the periodic check of a process that has it open */
        reader_killed(p);
        CHECK_INT_EQ(store_reader_check(s), 1);
        CHECK_INT_EQ(store_get_counters(s)->stale_readers, 1);
        CHECK_INT_EQ(store_reader_check(s), 0);
        CHECK_INT_EQ(store_reader_check(NULL), -EINVAL);

        /* store_release() ends the snapshot; the next get takes a fresh one */
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 1) }, NULL), 0);
        store_release(s);
        store_release(s);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 1) }, NULL), 0);
        store_release(NULL);
        store_free(s);
}

struct reader_count {
        pid_t pid;
        int active;
};

static int reader_line(const char *msg, void *ctx) {
        struct reader_count *c = ctx;
        int pid = 0;
        size_t l = strlen(msg);

        /* "       pid     thread     txnid": "-" for a slot whose transaction is reset */
        if (sscanf(msg, "%d", &pid) == 1 && pid == c->pid && !(l >= 2 && msg[l - 2] == '-'))
                c->active++;
        return 0;
}

/* Read snapshots of process pid that are open now, seen from another process (mdb_stat -r). */
static int active_readers(const char *p, pid_t pid) {
        int status = 0;
        pid_t child = fork();

        CHECK(child >= 0);
        if (child == 0) {
                struct reader_count c = { .pid = pid };
                MDB_env *env = NULL;

                if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 4) != 0 ||
                    mdb_env_open(env, p, MDB_NOSUBDIR | MDB_RDONLY, 0644) != 0)
                        _exit(100);
                (void) mdb_reader_list(env, reader_line, &c);
                _exit(c.active);
        }
        CHECK(waitpid(child, &status, 0) == child);
        CHECK(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* No read snapshot outlives its use: after a flush and after store_release() none is open. */
static void test_idle_pins_nothing(void) {
        const char *p = tpath("idle.lmdb");
        Store *s = open_rw("idle.lmdb");
        size_t n = 0;

        if (!s)
                return;
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key_n("eth0", 1) }, (struct record[]) { rec(RECORD_STATIC, 1, 0) }), 1);
        CHECK_INT_EQ(active_readers(p, getpid()), 0); /* a flush leaves none */
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 1) }, NULL), 0);
        CHECK_INT_EQ(active_readers(p, getpid()), 1); /* store_get() took one */
        store_release(s);
        CHECK_INT_EQ(active_readers(p, getpid()), 0);
        CHECK_INT_EQ(store_foreach(s, NULL, 0, count_cb, &n), 0);
        CHECK_INT_EQ(store_count(s, &n), 0);
        CHECK_INT_EQ(active_readers(p, getpid()), 0); /* listings and counts end theirs */
        store_free(s);
}

struct slow_ctx {
        int go_fd;
        size_t n;
};

static int slow_cb(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct slow_ctx *c = userdata;

        if (c->n++ == 0)
                CHECK(write(c->go_fd, "g", 1) == 1);
        usleep(300);
        return 0;
}

/* A listing with a slow consumer while another process rewrites the same records: the pages the
 * writer frees are reused, so the file stays within twice the size the same churn reaches with no
 * listing (one long read transaction would pin every old page: the file would grow with every
 * commit). */
static void churn(Store *w, uint32_t *i, unsigned commits, bool *ok) {
        for (unsigned c = 0; *ok && c < commits; c++) {
                for (unsigned j = 0; *ok && j < 500; j++, (*i)++)
                        *ok = store_stage_put(w, (struct neigh_key[]) { key_n("eth0", (*i * 7919) % 5000) },
                                              (struct record[]) { rec(RECORD_POSITIVE, 5000 + *i, 0) }) == 0;
                *ok = *ok && store_flush(w) == 500;
        }
}

static void test_slow_listing_pins_nothing(void) {
        const char *p = tpath("slow.lmdb");
        int to_child[2], to_parent[2], status = 0;
        struct slow_ctx ctx = {};
        off_t steady, after;
        Store *s;
        pid_t pid;
        char c;

        make_store("slow.lmdb", 5000);
        s = open_opts("slow.lmdb", &(struct store_options) { .read_only = true });
        if (!s)
                return;
        CHECK(pipe2(to_child, O_CLOEXEC) == 0 && pipe2(to_parent, O_CLOEXEC) == 0);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct pollfd pfd = { .fd = to_child[0], .events = POLLIN };
                Store *w = NULL;
                unsigned commits = 0;
                uint32_t i = 0;
                bool ok = store_open(p, NULL, &w) == 0;

                churn(w, &i, 200, &ok); /* the steady state, with no listing */
                ok = ok && write(to_parent[1], "w", 1) == 1;
                ok = ok && read(to_child[0], &c, 1) == 1; /* the listing started */
                for (; ok && commits < 3000 && poll(&pfd, 1, 0) == 0; commits++)
                        churn(w, &i, 1, &ok);
                store_free(w);
                fprintf(stderr, "  slow listing: %u commits of 500 records during it\n", commits);
                _exit(ok && commits >= 50 ? 0 : 1);
        }
        CHECK(read(to_parent[0], &c, 1) == 1);
        steady = file_size(p);
        ctx.go_fd = to_child[1];
        CHECK_INT_EQ(store_foreach(s, NULL, 0, slow_cb, &ctx), 0);
        CHECK_INT_EQ(ctx.n, 5000);
        CHECK(write(to_child[1], "s", 1) == 1);
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        after = file_size(p);
        fprintf(stderr, "  slow listing: file %lld KiB in the steady state, %lld KiB after the listing\n",
                (long long) steady / 1024, (long long) after / 1024);
        CHECK(after <= 2 * steady);
        store_free(s);
        for (int k = 0; k < 2; k++) {
                safe_close(to_child[k]);
                safe_close(to_parent[k]);
        }
}

/* Another process grows the map beyond this one's: adopted on the next snapshot (MDB_MAP_RESIZED). */
static void test_map_resized_elsewhere(void) {
        const struct store_options small = { .initial_map_size = 128 * 1024, .max_map_size = 128 * 1024 };
        struct record out;
        int status = 0;
        Store *s = open_opts("resize.lmdb", &small);
        pid_t pid;

        if (!s)
                return;
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key_n("eth0", 0) }, (struct record[]) { rec(RECORD_STATIC, 1, 0) }), 1);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth0", 0) }, &out), 0);

        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                Store *cs = NULL;
                int ok = store_open(tpath("resize.lmdb"),
                                    &(struct store_options) { .initial_map_size = 128 * 1024, .max_map_size = 8 << 20 },
                                    &cs) == 0;
                for (uint32_t i = 1; ok && i <= 10000; i++) {
                        ok = store_stage_put(cs, (struct neigh_key[]) { key_n("eth1", i) },
                                             (struct record[]) { rec(RECORD_STATIC, 1, 0) }) == 0;
                        if (ok && i % 1000 == 0)
                                ok = store_flush(cs) == 1000;
                }
                ok = ok && store_get_counters(cs)->evicted == 0;
                store_free(cs);
                _exit(ok ? 0 : 1);
        }
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        CHECK_INT_EQ(store_refresh(s), 0);
        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n("eth1", 10000) }, &out), 0);
        CHECK_INT_EQ(count(s), 10001);
        CHECK_INT_EQ(put1(s, (struct neigh_key[]) { key_n("eth0", 1) }, (struct record[]) { rec(RECORD_STATIC, 1, 0) }), 1);
        CHECK_INT_EQ(count(s), 10002);
        CHECK_STR_EQ(list(s, "eth0", 0), "eth0/198.18.0.0 eth0/198.18.0.1");
        store_free(s);
}

/* ---- benchmark (printed, not asserted) ------------------------------------------------------- */

static double elapsed(usec_t since) {
        return (double) (now_usec(CLOCK_MONOTONIC) - since) / 1e6;
}

static void test_benchmark(void) {
        const uint32_t n = 100000;
        struct record r = rec(RECORD_POSITIVE, 1, 0), out;
        struct stat st;
        Store *s = open_rw("bench.lmdb");

        if (!s)
                return;
        for (int pass = 0; pass < 2; pass++) {
                double stage_s = 0, flush_s = 0, get_s;
                uint64_t commits = store_get_counters(s)->commits;
                usec_t t0;

                for (uint32_t i = 0; i < n; i++) {
                        /* scatter the keys: a daemon sees addresses in no particular order */
                        uint32_t x = (i * 2654435761u) & 0x1ffff; /* a permutation of 0 .. 2^17 - 1 */
                        struct neigh_key k = key_n(i % 4 ? "eth0" : "eth1", x);

                        r.last_seen = 1000 + i + pass * n;
                        t0 = now_usec(CLOCK_MONOTONIC);
                        if (store_staged(s) == STORE_STAGE_MAX) {
                                CHECK_INT_EQ(store_flush(s), STORE_STAGE_MAX);
                                flush_s += elapsed(t0);
                                t0 = now_usec(CLOCK_MONOTONIC);
                        }
                        CHECK_INT_EQ(store_stage_put(s, &k, &r), 0);
                        stage_s += elapsed(t0);
                }
                t0 = now_usec(CLOCK_MONOTONIC);
                CHECK(store_flush(s) > 0);
                flush_s += elapsed(t0);
                CHECK_INT_EQ(count(s), n);

                t0 = now_usec(CLOCK_MONOTONIC);
                for (uint32_t i = 0; i < n; i++) {
                        uint32_t x = (i * 2654435761u) & 0x1ffff; /* a permutation of 0 .. 2^17 - 1 */
                        CHECK_INT_EQ(store_get(s, (struct neigh_key[]) { key_n(i % 4 ? "eth0" : "eth1", x) }, &out), 0);
                }
                get_s = elapsed(t0);
                CHECK(stat(tpath("bench.lmdb"), &st) == 0);
                fprintf(stderr,
                        "  benchmark pass %d (%s): %u staged puts %.3f s + %" PRIu64 " flushes %.3f s = %.0f puts/s; "
                        "%u gets %.3f s; file %lld KiB\n",
                        pass + 1, pass == 0 ? "new keys" : "same keys again", n, stage_s,
                        store_get_counters(s)->commits - commits, flush_s, n / (stage_s + flush_s), n, get_s,
                        (long long) st.st_size / 1024);
        }
        store_free(s);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p) < 0 ? -errno : 0;
}

int main(void) {
        umask(022);
        log_set_max_level(getenv("STORE_TEST_DEBUG") ? LOG_DEBUG : LOG_WARNING);
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        TEST_RUN(test_open_create_reopen);
        TEST_RUN(test_open_read_only_missing);
        TEST_RUN(test_garbage_file);
        TEST_RUN(test_not_an_arpd_store);
        TEST_RUN(test_newer_format);
        TEST_RUN(test_upgrade_fixture);
        TEST_RUN(test_ifids);
        TEST_RUN(test_damaged_truncated);
        TEST_RUN(test_damaged_garbage);
        TEST_RUN(test_page_check_receipt);
        TEST_RUN(test_damaged_never_crashes);
        TEST_RUN(test_damaged_not_ours);
        TEST_RUN(test_check_healthy);
        TEST_RUN(test_staging);
        TEST_RUN(test_stage_overflow);
        TEST_RUN(test_foreach_order_filters);
        TEST_RUN(test_unknown_version);
        TEST_RUN(test_eviction_order);
        TEST_RUN(test_flood_one_interface);
        TEST_RUN(test_limits_recorded);
        TEST_RUN(test_limits_total_cut);
        TEST_RUN(test_upgrade_v1);
        TEST_RUN(test_txn);
        TEST_RUN(test_txn_append);
        TEST_RUN(test_map_full);
        TEST_RUN(test_two_handles);
        TEST_RUN(test_two_processes);
        TEST_RUN(test_no_lost_updates);
        TEST_RUN(test_lost_update_overflow);
        TEST_RUN(test_stale_reader_cleared);
        TEST_RUN(test_idle_pins_nothing);
        TEST_RUN(test_slow_listing_pins_nothing);
        TEST_RUN(test_map_resized_elsewhere);
        TEST_RUN(test_benchmark);
        if (nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
                fprintf(stderr, "cleaning up %s failed\n", tmpdir);
        TEST_EXIT();
}
