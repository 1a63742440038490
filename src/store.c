/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "arpd-catalog.h"
#include "check-receipt.h"
#include "lmdb-check.h"
#include "log.h"
#include "macro.h"
#include "fs-util.h"
#include "store.h"

/*
 * Internal convention: helpers that talk to LMDB return LMDB's own codes (0, MDB_* or a positive
 * errno, as LMDB does); the public functions convert them once with store_errno().
 */

#define STORE_INITIAL_MAP_SIZE ((size_t) 1 << 30)
#define STORE_MAX_MAP_SIZE ((size_t) MIN((uint64_t) 16 << 30, (uint64_t) SIZE_MAX / 2))
#define STORE_MAP_FULL_ROUNDS 4

#define META_DB "meta"
#define ENTRIES_DB "entries" /* format 3: the records */
#define NEG_DB "neg"         /* format 3: the index of negative records (Bounds) */
#define NEIGH_DB "neigh"     /* formats 1 and 2: the records (upgraded) */
#define INDEX_DB "lru"       /* format 2: the index of every record (dropped by the upgrade) */
#define STORE_MAX_DBS 8
#define HISTORY_DB "histories"  /* format 3: per-address MAC history (station.h), see "MAC history" below */
#define HISTORY_V2_DB "history" /* format 2: the same, keyed by name (re-keyed by the upgrade) */
#define META_FORMAT_KEY "format"
#define META_IFID_PREFIX "ifid:"     /* + name: its id (u64) */
#define META_IFNAME_PREFIX "ifname:" /* + id (4 bytes, big-endian): the name */
#define META_IFID_NEXT "ifid-next"   /* the next id to hand out (u64; ids are never reused) */
#define META_LIMIT_TOTAL "limit:total"
#define META_LIMIT_IFACE "limit:iface"
#define META_COUNT_PREFIX "count:"
#define META_EVICTED_PREFIX "evicted:"
#define NEG_KEY_MAX (4 + 8 + 1 + 16) /* ifid, neg_since, family, address */
/* Sampled eviction of positives (store.h, "Bounds"). */
#define EVICT_SAMPLES STORE_EVICT_SAMPLES /* random key positions read per evicted entry */
#define EVICT_STEPS 4                      /* records read from each position to find an evictable one */
#define EVICT_REDRAWS 3                    /* new places drawn for a sample that landed behind a gap */
#define EVICT_POOL 16                      /* the best candidates kept between evictions of one commit */
#define EVICT_EXACT STORE_EVICT_EXACT      /* an interface this small is read whole: exact */

/* Overlay: open addressing, linear probing, load factor <= 1/2. Slots are only ever cleared all
 * at once (after a flush), so a staged delete is a tombstone flag, never an empty slot. */
#define STAGE_SLOTS (2 * STORE_STAGE_MAX)
_Static_assert((STAGE_SLOTS & (STAGE_SLOTS - 1)) == 0, "STAGE_SLOTS must be a power of two");

/* What a staged change was decided on: the committed value of its key in the handle's read
 * snapshot when the key was first staged. The write transaction re-checks it (store.h, "Lost
 * updates"). A value of another size than ours (a newer record version) is kept as its length and
 * a hash. */
enum stage_base {
        BASE_ABSENT, /* no record */
        BASE_VALUE,  /* base_value holds it */
        BASE_OTHER,  /* base_len bytes hashing to base_hash */
};

struct stage_slot {
        uint8_t key_len; /* 0: free */
        bool deleted;    /* staged delete */
        uint8_t base;    /* enum stage_base */
        uint8_t value_len;
        uint8_t base_value_len;
        uint8_t key[KEY_V1_MAX_SIZE]; /* in memory: the format-1 key (name, family, address) */
        uint8_t value[RECORD_MAX_SIZE];
        uint8_t base_value[RECORD_MAX_SIZE];
        uint32_t base_len, base_hash;
};

/* Staged MAC histories ("MAC history" at the end of this file): one per key, at most one per
 * staged record, so never more than STORE_STAGE_MAX; index: open addressing over slot + 1. */
struct history_slot {
        uint8_t key_len;
        uint8_t key[KEY_V1_MAX_SIZE]; /* in memory: the format-1 key, like the staged records */
        struct station_history h;
};
struct history_stage {
        struct history_slot *slots; /* STORE_STAGE_MAX, allocated when first used */
        uint32_t *index;            /* STAGE_SLOTS */
        size_t n;
};

/* One LMDB environment per file and process, shared by every Store handle on it: LMDB forbids
 * opening the same environment twice in one process (closing one would drop the other's locks). */
typedef struct StoreEnv StoreEnv;
/* The file as it was when it last passed the page check (lmdb-check.h, check-receipt.h): by a
 * walk, by a receipt, or since then by this process's own commits only (due: a receipt for the
 * state they left is still to be written, at close). */
struct page_check {
        bool ok, due;
        struct stat st;
        uint64_t txnid;
};

struct StoreEnv {
        StoreEnv *next;
        MDB_env *env;
        struct page_check checked;
        char *receipt_path; /* "STORE-checked" */
        MDB_dbi dbi_meta, dbi_neigh, dbi_neg; /* ENTRIES_DB, NEG_DB */
        /* Interface ids seen committed (store.h, "Interface ids"): a mapping never changes once
         * committed, so these never go stale. */
        struct ifid_entry {
                uint8_t name[IFNAMSIZ];
                uint32_t id;
        } *ifids;
        size_t n_ifids, n_ifids_max;
        MDB_dbi dbi_history;  /* valid if has_history */
        bool has_history;
        dev_t dev;
        ino_t ino;
        pid_t pid; /* an environment inherited over fork() is not ours to use */
        bool read_only;
        bool writing;         /* a write transaction of this process is open */
        unsigned n_iterating; /* store_foreach() cursors open: the map must not move */
        size_t map_max;
        unsigned n_ref;
        Store *stores;
};

struct Store {
        Store *next_in_env;
        StoreEnv *e;
        char *path;
        bool read_only;
        bool write_nowait;

        MDB_txn *rtxn; /* the long-lived read snapshot (reset/renewed), NULL until first used */
        bool rtxn_active;

        StoreTxn *txn; /* the open explicit transaction, if any */
        bool warned_full;

        struct stage_slot *slots;
        /* Per slot: 0 free, else its key's hash with the top bit set. A lookup probes this small
         * array (32 KiB) and reads a slot's key only when the hash matches, so a key that is not
         * staged (every frame of a new sender) costs no cache miss in the 1.4 MiB of slots. */
        uint32_t *tags;
        struct stage_slot last_read; /* the key store_get() last read from the snapshot and what it
                                      * found there (key_len 0: none): the base if it is staged next */
        uint32_t *order; /* slot indexes in staging order */
        size_t n_staged;

        /* Interfaces that gained entries in the open write transaction (enforce_limits()). */
        struct grown {
                uint8_t ifname[IFNAMSIZ];
                size_t n;
                size_t uncounted; /* added in this transaction, not yet in its count (counts_flush()) */
        } *grown;
        size_t n_grown, n_grown_max;
        uint64_t index_touched; /* B-tree reads eviction made (store_counters.evict_seeks) */
        uint64_t rng;           /* eviction's samples (splitmix64) */
        unsigned room_shrink;   /* evict_for_room(): evict n >> room_shrink */

        struct history_stage hist; /* staged MAC histories (MAC history) */

        struct store_counters counters;
};

struct StoreTxn {
        Store *s; /* NULL once the store was freed under it */
        MDB_txn *txn;
        int error; /* first LMDB error: the transaction can only be aborted */
        /* store_txn_put() of keys past the table's last one (a load in key order: arpd -l's
         * order, or a new store filled interface by interface in rising addresses) appends through
         * this cursor (MDB_APPEND: no search, no read of an old record, full pages) until a key
         * is not past it; then no_append, and every put searches as before. */
        MDB_cursor *append;
        bool no_append;
};

static StoreEnv *store_envs;

/* MAC history: the functions of its section (at the end of this file). */
static int history_table_open(MDB_txn *txn, bool read_only, MDB_dbi *ret, bool *present);
static int history_apply_staged(Store *s, MDB_txn *txn);
static int history_del(Store *s, MDB_txn *txn, const uint8_t *key, size_t klen);
static void history_stage_clear(Store *s);

/* ---- the writer announcement ------------------------------------------------------------------
 * Every write transaction of an arpd process (store_flush, store_set_limits, store_txn_begin) is
 * announced with flock(LOCK_EX) on the store file, taken before LMDB's writer mutex and held until
 * the transaction ends. LMDB has no way to try its mutex; the announcement lets a write_nowait
 * handle see another arpd process's transaction and return -EAGAIN instead of waiting for it.
 * flock() and LMDB's fcntl() locks on the lock file are independent. */
static int writer_lock(Store *s) {
        int fd, rc;

        rc = mdb_env_get_fd(s->e->env, &fd);
        if (rc != 0)
                return -EBADF;
        while (flock(fd, LOCK_EX | (s->write_nowait ? LOCK_NB : 0)) < 0)
                if (errno != EINTR)
                        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        return 0;
}

static void writer_unlock(Store *s) {
        int fd;

        if (mdb_env_get_fd(s->e->env, &fd) == 0)
                (void) flock(fd, LOCK_UN);
}

static int meta_read_u64(MDB_txn *txn, MDB_dbi dbi, const char *prefix, const uint8_t *ifname16, uint64_t *ret);
static int meta_write_u64(MDB_txn *txn, MDB_dbi dbi, const char *prefix, const uint8_t *ifname16, uint64_t x);
static int upgrade_to_3(MDB_txn *txn, MDB_dbi meta, MDB_dbi old, MDB_dbi entries, MDB_dbi neg, size_t *moved,
                        size_t *dropped);
static int upgrade_history(MDB_txn *txn, MDB_dbi meta, size_t *moved);

static int store_errno(int rc) {
        switch (rc) {
        case MDB_SUCCESS:
                return 0;
        case MDB_KEYEXIST:
                return -EEXIST;
        case MDB_NOTFOUND:
                return -ENOENT;
        case MDB_PAGE_NOTFOUND:
        case MDB_CORRUPTED:
        case MDB_PANIC:
        case MDB_VERSION_MISMATCH:
        case MDB_INVALID:
        case MDB_INCOMPATIBLE:
                return -EBADMSG;
        case MDB_MAP_FULL:
        case MDB_DBS_FULL:
        case MDB_PAGE_FULL:
                return -ENOSPC;
        case MDB_READERS_FULL:
        case MDB_TLS_FULL:
                return -EUSERS;
        case MDB_TXN_FULL:
        case MDB_CURSOR_FULL:
                return -E2BIG;
        case MDB_MAP_RESIZED:
                return -EAGAIN;
        case MDB_BAD_RSLOT:
        case MDB_BAD_TXN:
        case MDB_BAD_VALSIZE:
                return -EINVAL;
        case MDB_BAD_DBI:
                return -ESTALE;
        default:
                return rc > 0 ? -rc : -EIO;
        }
}

/* The file is not an LMDB environment we can read, or it is damaged: never touch it. */
static bool rc_is_corruption(int rc) {
        return store_errno(rc) == -EBADMSG;
}

/* ---- the process-wide environment table ------------------------------------------------------ */

static StoreEnv *env_find(dev_t dev, ino_t ino) {
        pid_t pid = getpid();

        for (StoreEnv *e = store_envs; e; e = e->next)
                if (e->pid == pid && e->dev == dev && e->ino == ino)
                        return e;
        return NULL;
}

/* Ends every handle's read snapshot (they renew lazily), so the map may be moved. */
static void env_reset_snapshots(StoreEnv *e) {
        for (Store *s = e->stores; s; s = s->next_in_env)
                if (s->rtxn_active) {
                        mdb_txn_reset(s->rtxn);
                        s->rtxn_active = false;
                        s->last_read.key_len = 0;
                }
}

static int env_set_mapsize(StoreEnv *e, size_t size) {
        if (e->writing || e->n_iterating > 0)
                return EBUSY;
        env_reset_snapshots(e);
        return mdb_env_set_mapsize(e->env, size);
}

/* Another process grew the map beyond ours: adopt its size (MDB_MAP_RESIZED). */
static int env_adopt_mapsize(StoreEnv *e) {
        return env_set_mapsize(e, 0);
}

/* Doubles the map, up to map_max. MDB_MAP_FULL if it is already that big. */
static int env_grow(StoreEnv *e, const char *path) {
        MDB_envinfo info;
        size_t size;
        int rc;

        rc = mdb_env_info(e->env, &info);
        if (rc != 0)
                return rc;
        if (info.me_mapsize >= e->map_max)
                return MDB_MAP_FULL;
        size = info.me_mapsize > e->map_max / 2 ? e->map_max : info.me_mapsize * 2;
        rc = env_set_mapsize(e, size);
        if (rc == 0)
                log_info("Store %s: map size grown to %zu KiB.", path, size / 1024);
        return rc;
}

/* mdb_txn_commit(), keeping pc: a commit of this process on the state pc names leaves a file
 * that needs no walk either (what LMDB writes itself is sound); anything else in between (a
 * commit of another process, any other write) and pc no longer holds. */
static int commit_checked(struct page_check *pc, MDB_env *env, MDB_txn *txn) {
        uint64_t id = mdb_txn_id(txn); /* the snapshot this transaction began on + 1 */
        bool chained = false;
        MDB_envinfo info;
        struct stat st;
        int fd = -1, rc;

        if (pc->ok && id == pc->txnid + 1 && mdb_env_get_fd(env, &fd) == 0 && fstat(fd, &st) == 0)
                chained = check_receipt_same_state(&st, &pc->st);
        rc = mdb_txn_commit(txn);
        pc->ok = false;
        if (!chained || rc != 0 || mdb_env_info(env, &info) != 0 || fstat(fd, &st) < 0)
                return rc;
        if (info.me_last_txnid == id - 1 && check_receipt_same_state(&st, &pc->st))
                pc->ok = true; /* nothing to write: nothing written */
        else if (info.me_last_txnid == id) {
                pc->ok = pc->due = true;
                pc->st = st;
                pc->txnid = id;
        }
        return rc;
}

/* At close: the receipt for the state this process's commits left, if nothing else wrote since. */
static void env_write_receipt(StoreEnv *e) {
        MDB_envinfo info;
        struct stat st;
        int fd, r;

        if (!e->checked.ok || !e->checked.due || e->pid != getpid() || mdb_env_get_fd(e->env, &fd) != 0 ||
            fstat(fd, &st) < 0 || !check_receipt_same_state(&st, &e->checked.st) ||
            mdb_env_info(e->env, &info) != 0 || info.me_last_txnid != e->checked.txnid)
                return;
        r = check_receipt_write(e->receipt_path, &st, e->checked.txnid);
        if (r < 0)
                log_debug_errno(r, "Cannot write the page check's receipt %s: %m", e->receipt_path);
}

static int env_txn_begin(StoreEnv *e, unsigned flags, MDB_txn **ret) {
        int rc = mdb_txn_begin(e->env, NULL, flags, ret);

        if (rc == MDB_MAP_RESIZED) {
                rc = env_adopt_mapsize(e);
                if (rc == 0)
                        rc = mdb_txn_begin(e->env, NULL, flags, ret);
        }
        return rc;
}

/* What one attempt to open a file found; see store_open(). */
struct open_ctx {
        bool recover;  /* a damaged file will be moved aside: report it there, not here */
        char why[256]; /* what is damaged */
        int stale_readers; /* reader slots of dead processes cleared */
};

/* Internally, a damaged file is -EUCLEAN (the public functions say -EBADMSG). */
static int log_damaged(struct open_ctx *c, const char *path, const char *why) {
        snprintf(c->why, sizeof(c->why), "%s", why);
        if (!c->recover)
                log_error("Store %s is damaged (%s). Move it aside to start a new one, or restore it from a backup "
                          "(the daemon moves a damaged store aside by itself when it starts).",
                          path, why);
        return -EUCLEAN;
}

static int log_not_lmdb(const char *path, const char *why) {
        log_error("Store %s is not an LMDB file arpd can read (%s). Move it aside to start a new one, "
                  "or point arpd at the right file.",
                  path, why);
        return -EBADMSG;
}

static int log_not_ours(const char *path, const char *why) {
        log_error("Store %s is an LMDB file but not an arpd store (%s). Move it aside to start a new one, "
                  "or point arpd at the right file.",
                  path, why);
        return -EBADMSG;
}

/* Checks the format guard; writes it into a new, empty environment. Returns a negative errno
 * (logged) or 0, leaving the DBI handles in *meta and *neigh. The transaction is the caller's. */
static int write_format(MDB_txn *txn, MDB_dbi meta) {
        MDB_val k = { strlen(META_FORMAT_KEY), (void *) META_FORMAT_KEY }, v;
        uint8_t buf[4];

        for (size_t i = 0; i < 4; i++)
                buf[i] = (uint8_t) ((uint32_t) STORE_FORMAT_VERSION >> (8 * i));
        v = (MDB_val) { sizeof(buf), buf };
        return mdb_put(txn, meta, &k, &v, 0);
}

/* Records the bounds of the options, where the store has none yet. */
static int write_initial_limits(MDB_txn *txn, MDB_dbi meta, const struct store_options *o) {
        uint64_t total = o->max_entries > 0 ? o->max_entries : STORE_DEFAULT_MAX_ENTRIES, have = 0;
        uint64_t per = o->max_per_iface > 0 ? MIN((uint64_t) o->max_per_iface, total) : total;
        int rc = meta_read_u64(txn, meta, META_LIMIT_TOTAL, NULL, &have);

        if (rc == 0 && have == 0)
                rc = meta_write_u64(txn, meta, META_LIMIT_TOTAL, NULL, total);
        if (rc == 0)
                rc = meta_read_u64(txn, meta, META_LIMIT_IFACE, NULL, &have);
        if (rc == 0 && have == 0)
                rc = meta_write_u64(txn, meta, META_LIMIT_IFACE, NULL, per);
        return rc;
}

static int open_failed(struct open_ctx *c, const char *path, int rc) {
        return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                    : log_error_errno(store_errno(rc), "Cannot read store %s: %m", path);
}

static int env_check_format(struct open_ctx *c, MDB_txn *txn, const char *path, const struct store_options *o,
                            MDB_dbi *meta, MDB_dbi *neigh, MDB_dbi *neg) {
        MDB_val k = { strlen(META_FORMAT_KEY), (void *) META_FORMAT_KEY }, v;
        bool read_only = o->read_only;
        size_t moved = 0, dropped = 0, histories = 0;
        MDB_dbi old, lru;
        uint32_t format;
        usec_t t0;
        int rc;

        rc = mdb_dbi_open(txn, META_DB, 0, meta);
        if (rc == MDB_NOTFOUND) {
                MDB_dbi main_dbi;
                MDB_stat st;

                /* Only an empty environment becomes a store: never add our tables to someone
                 * else's file. */
                rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
                if (rc == 0)
                        rc = mdb_stat(txn, main_dbi, &st);
                if (rc != 0)
                        return open_failed(c, path, rc);
                if (st.ms_entries > 0)
                        return log_not_ours(path, "no \"" META_DB "\" table");
                if (read_only)
                        return log_error_errno(ENOENT, "Store %s is empty: no arpd store was written there yet.", path);

                rc = mdb_dbi_open(txn, META_DB, MDB_CREATE, meta);
                if (rc == 0)
                        rc = mdb_dbi_open(txn, ENTRIES_DB, MDB_CREATE, neigh);
                if (rc == 0)
                        rc = mdb_dbi_open(txn, NEG_DB, MDB_CREATE, neg);
                if (rc == 0)
                        rc = write_format(txn, *meta);
                if (rc == 0)
                        rc = write_initial_limits(txn, *meta, o);
                if (rc != 0)
                        return log_error_errno(store_errno(rc), "Cannot initialise store %s: %m", path);
                log_info("Created store %s (format %d).", path, STORE_FORMAT_VERSION);
                return 0;
        }
        if (rc == MDB_INCOMPATIBLE)
                return log_not_ours(path, "\"" META_DB "\" is not a table");
        if (rc != 0)
                return open_failed(c, path, rc);

        rc = mdb_get(txn, *meta, &k, &v);
        if (rc == MDB_NOTFOUND)
                return log_not_ours(path, "no format version");
        if (rc != 0)
                return open_failed(c, path, rc);
        if (v.mv_size != 4)
                return log_damaged(c, path, "the format version record has the wrong size");
        format = 0;
        for (size_t i = 0; i < 4; i++)
                format |= (uint32_t) ((const uint8_t *) v.mv_data)[i] << (8 * i);
        if (format > STORE_FORMAT_VERSION) {
                log_error("Store %s has format version %u, but this arpd only understands version %d and older. "
                          "Use a newer arpd, or move the file aside to start a new store.",
                          path, format, STORE_FORMAT_VERSION);
                return -EPROTONOSUPPORT;
        }
        if (format == 0)
                return log_damaged(c, path, "format version 0");

        if (format == STORE_FORMAT_VERSION) {
                rc = mdb_dbi_open(txn, ENTRIES_DB, 0, neigh);
                if (rc == 0)
                        rc = mdb_dbi_open(txn, NEG_DB, 0, neg);
                if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
                        return log_damaged(c, path, "format 3 without its \"" ENTRIES_DB "\" and \"" NEG_DB "\" tables");
                if (rc != 0)
                        return open_failed(c, path, rc);
                return 0;
        }

        /* Format 1 or 2: the records of "neigh" move to "entries" with format-3 keys and values. */
        rc = mdb_dbi_open(txn, NEIGH_DB, 0, &old);
        if (rc == MDB_NOTFOUND)
                return log_not_ours(path, "no \"" NEIGH_DB "\" table");
        if (rc == MDB_INCOMPATIBLE)
                return log_not_ours(path, "\"" NEIGH_DB "\" is not a table");
        if (rc != 0)
                return open_failed(c, path, rc);
        if (read_only) {
                log_error("Store %s has format %u, which this arpd reads only after upgrading it to format %d. "
                          "Start the daemon on it once (or run \"arpd -b %s -f /dev/null\" as its owner): the first "
                          "writable open upgrades it.",
                          path, format, STORE_FORMAT_VERSION, path);
                return -EPROTONOSUPPORT;
        }
        t0 = now_usec(CLOCK_MONOTONIC);
        rc = mdb_dbi_open(txn, ENTRIES_DB, MDB_CREATE, neigh);
        if (rc == 0)
                rc = mdb_drop(txn, *neigh, 0); /* nothing an interrupted attempt left counts */
        if (rc == 0)
                rc = mdb_dbi_open(txn, NEG_DB, MDB_CREATE, neg);
        if (rc == 0)
                rc = mdb_drop(txn, *neg, 0);
        if (rc == 0)
                rc = upgrade_to_3(txn, *meta, old, *neigh, *neg, &moved, &dropped);
        if (rc == 0)
                rc = upgrade_history(txn, *meta, &histories);
        if (rc == 0)
                rc = mdb_drop(txn, old, 1);
        if (rc == 0) {
                rc = mdb_dbi_open(txn, INDEX_DB, 0, &lru);
                if (rc == 0)
                        rc = mdb_drop(txn, lru, 1);
                else if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
                        rc = 0;
        }
        if (rc == 0)
                rc = write_initial_limits(txn, *meta, o);
        if (rc == 0)
                rc = write_format(txn, *meta);
        if (rc != 0)
                return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                            : log_error_errno(store_errno(rc), "Cannot upgrade store %s: %m", path);
        log_info("Store %s upgraded from format %u to %d in one transaction: %zu entries rewritten, %zu with a "
                 "malformed key dropped, %zu MAC histories moved (%.0f ms).",
                 path, format, STORE_FORMAT_VERSION, moved, dropped, histories,
                 (double) (now_usec(CLOCK_MONOTONIC) - t0) / USEC_PER_MSEC);
        return 0;
}

static void mdb_env_closep(MDB_env **env) {
        if (*env)
                mdb_env_close(*env);
}

/* The structural check of lmdb-check.h, before LMDB reads any page beyond the meta pages: under a
 * read transaction, so that no writer in another process reuses the pages being checked. */
static int env_check_pages(struct open_ctx *c, MDB_env *env, int fd, const char *path, const char *receipt,
                           struct page_check *pc) {
        bool walked = false;
        char why[200];
        int r = -ESTALE;

        for (unsigned attempt = 0; r == -ESTALE && attempt < 8; attempt++) {
                MDB_txn *txn = NULL;
                int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);

                if (rc != 0)
                        return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                                    : log_error_errno(store_errno(rc), "Cannot read store %s: %m", path);
                /* the state before the walk: a writer that changes the file meanwhile changes it */
                pc->txnid = mdb_txn_id(txn);
                if (fstat(fd, &pc->st) < 0)
                        r = -errno;
                else if (check_receipt_valid(receipt, &pc->st, pc->txnid))
                        r = LMDB_CHECK_OK;
                else {
                        walked = true;
                        r = lmdb_check_file(fd, pc->txnid, why, sizeof(why));
                }
                mdb_txn_abort(txn);
        }
        pc->ok = r == LMDB_CHECK_OK;
        if (pc->ok && walked) {
                int q = check_receipt_write(receipt, &pc->st, pc->txnid);

                if (q < 0)
                        log_debug_errno(q, "Cannot write the page check's receipt %s: %m", receipt);
        } else if (pc->ok)
                log_debug("Store %s: unchanged since its pages were last checked (%s); not walked again.", path,
                          receipt);
        if (r < 0)
                return log_error_errno(r, "Cannot check store %s: %m", path);
        if (r == LMDB_CHECK_DAMAGED)
                return log_damaged(c, path, why);
        if (r == LMDB_CHECK_UNSUPPORTED)
                return log_not_lmdb(path, why);
        return 0;
}

static int env_open(struct open_ctx *c, const char *path, const struct store_options *o, StoreEnv **ret) {
        _cleanup_(mdb_env_closep) MDB_env *env = NULL;
        _cleanup_close_ int cfd = -EBADF;
        unsigned flags = MDB_NOSUBDIR | MDB_NOTLS | (o->durable_commits ? MDB_NOMETASYNC : MDB_NOSYNC) |
                         (o->read_only ? MDB_RDONLY : 0);
        size_t map_max = o->max_map_size > 0 ? o->max_map_size : STORE_MAX_MAP_SIZE;
        size_t map_initial = o->initial_map_size > 0 ? o->initial_map_size : STORE_INITIAL_MAP_SIZE;
        MDB_dbi meta = 0, neigh = 0, neg = 0, history = 0;
        _cleanup_free_ char *receipt = NULL;
        struct page_check pc = {};
        bool has_history = false;
        MDB_txn *txn = NULL;
        StoreEnv *e;
        struct stat st;
        bool existed;
        char why[200];
        int rc, r, fd;

        map_initial = MIN(map_initial, map_max);
        if (asprintf(&receipt, "%s-checked", path) < 0)
                return log_oom();

        /* Before LMDB maps the file: its meta pages (lmdb-check.h). */
        cfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (cfd < 0 && errno != ENOENT)
                return log_error_errno(errno, "Cannot open store %s: %m", path);
        existed = cfd >= 0;
        if (existed) {
                r = lmdb_check_meta(cfd, why, sizeof(why));
                if (r < 0)
                        return log_error_errno(r, "Cannot read store %s: %m", path);
                if (r == LMDB_CHECK_DAMAGED)
                        return log_damaged(c, path, why);
                if (r == LMDB_CHECK_NOT_LMDB)
                        return log_not_lmdb(path, "no LMDB meta page");
                if (r == LMDB_CHECK_UNSUPPORTED)
                        return log_not_lmdb(path, why);
                existed = r == LMDB_CHECK_OK; /* else empty: LMDB makes it a new environment */
        }

        rc = mdb_env_create(&env);
        if (rc == 0)
                rc = mdb_env_set_maxreaders(env, STORE_MAX_READERS);
        if (rc == 0)
                rc = mdb_env_set_maxdbs(env, STORE_MAX_DBS);
        if (rc == 0)
                rc = mdb_env_set_mapsize(env, map_initial);
        if (rc != 0)
                return log_error_errno(store_errno(rc), "Cannot set up store %s: %m", path);

        rc = mdb_env_open(env, path, flags, 0644);
        if ((rc == EACCES || rc == EPERM) && o->read_only && o->read_unlocked_if_denied) {
                /* A failed mdb_env_open() leaves only mdb_env_close() to do: start over. */
                mdb_env_close(TAKE_PTR(env));
                rc = mdb_env_create(&env);
                if (rc == 0)
                        rc = mdb_env_set_maxdbs(env, STORE_MAX_DBS);
                if (rc == 0)
                        rc = mdb_env_set_mapsize(env, map_initial);
                if (rc == 0)
                        rc = mdb_env_open(env, path, flags | MDB_NOLOCK, 0644);
                if (rc == 0)
                        log_debug("Store %s: no write access to its lock file; reading without a reader slot.", path);
        }
        if (rc != 0) {
                if (rc_is_corruption(rc))
                        return log_damaged(c, path, mdb_strerror(rc));
                return log_error_errno(store_errno(rc), "Cannot open store %s: %m", path);
        }
        /* Slots of processes that died (SIGKILL) would pin their snapshot's pages for good. */
        rc = mdb_reader_check(env, &c->stale_readers);
        if (rc != 0)
                log_warning_errno(store_errno(rc), "Store %s: cannot check its reader slots: %m", path);
        else if (c->stale_readers > 0)
                log_info("Store %s: cleared %d reader slot%s of processes that are gone.", path, c->stale_readers,
                         c->stale_readers == 1 ? "" : "s");
        if (existed) {
                r = env_check_pages(c, env, cfd, path, receipt, &pc);
                if (r < 0)
                        return r;
        }

        rc = mdb_txn_begin(env, NULL, o->read_only ? MDB_RDONLY : 0, &txn);
        if (rc != 0)
                return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                            : log_error_errno(store_errno(rc), "Cannot read store %s: %m", path);
        r = env_check_format(c, txn, path, o, &meta, &neigh, &neg);
        if (r < 0) {
                mdb_txn_abort(txn); /* nothing is written to a file we refuse */
                return r;
        }
        rc = history_table_open(txn, o->read_only, &history, &has_history);
        if (rc != 0) {
                mdb_txn_abort(txn);
                return log_error_errno(store_errno(rc), "Cannot open the history table of store %s: %m", path);
        }
        rc = commit_checked(&pc, env, txn); /* also makes the DBI handles available to every transaction */
        if (rc != 0)
                return log_error_errno(store_errno(rc), "Cannot initialise store %s: %m", path);

        rc = mdb_env_get_fd(env, &fd);
        if (rc != 0 || fstat(fd, &st) < 0)
                return log_error_errno(rc != 0 ? store_errno(rc) : -errno, "Cannot stat store %s: %m", path);

        e = calloc(1, sizeof(*e));
        if (!e)
                return log_oom();
        *e = (StoreEnv) {
                .env = TAKE_PTR(env),
                .checked = pc,
                .receipt_path = TAKE_PTR(receipt),
                .dbi_meta = meta,
                .dbi_neigh = neigh,
                .dbi_neg = neg,
                .dbi_history = history,
                .has_history = has_history,
                .dev = st.st_dev,
                .ino = st.st_ino,
                .pid = getpid(),
                .read_only = o->read_only,
                .map_max = map_max,
                .next = store_envs,
        };
        store_envs = e;
        *ret = e;
        return 0;
}

/* ---- damaged files ------------------------------------------------------------------------------ */

/* The process that has the environment at path open (LMDB holds a shared lock on the first byte
 * of its lock file while it does), or 0. */
static pid_t env_user(const char *path) {
        _cleanup_free_ char *lock = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

        if (asprintf(&lock, "%s-lock", path) < 0)
                return 0;
        fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
                return 0;
        return fl.l_pid;
}

/* Renames path (and its lock file) to "path.damaged-YYYYmmddTHHMMSSZ[-N]" and logs that. */
static int move_aside(const char *path, const char *why) {
        char stamp[32], dst[PATH_MAX], dst_lock[PATH_MAX + 8], lock[PATH_MAX + 8], f_store[PATH_MAX + 16],
                f_moved[PATH_MAX + 32], f_why[320], msg[2 * PATH_MAX + 512];
        const char *fields[] = { f_store, f_moved, f_why };
        struct tm tm;
        time_t now = time(NULL);
        pid_t user = env_user(path);
        unsigned n;

        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
        for (n = 1; n <= 100; n++) {
                if (n == 1)
                        snprintf(dst, sizeof(dst), "%s.damaged-%s", path, stamp);
                else
                        snprintf(dst, sizeof(dst), "%s.damaged-%s-%u", path, stamp, n);
                if (renameat2(AT_FDCWD, path, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
                        break;
                if (errno != EEXIST)
                        return log_error_errno(errno, "Store %s is damaged (%s) and cannot be moved aside to %s: %m",
                                               path, why, dst);
        }
        if (n > 100)
                return log_error_errno(EEXIST, "Store %s is damaged (%s) and cannot be moved aside: %m", path, why);
        snprintf(lock, sizeof(lock), "%s-lock", path);
        snprintf(dst_lock, sizeof(dst_lock), "%s-lock", dst);
        if (rename(lock, dst_lock) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Cannot move the lock file %s aside too: %m", lock);

        snprintf(f_store, sizeof(f_store), "STORE=%s", path);
        snprintf(f_moved, sizeof(f_moved), "STORE_MOVED_TO=%s", dst);
        snprintf(f_why, sizeof(f_why), "REASON=%s", why);
        n = (unsigned) snprintf(msg, sizeof(msg),
                                "Store %s is damaged (%s): moved it aside to %s, starting with an empty store.", path,
                                why, dst);
        if (user > 0 && n < sizeof(msg))
                snprintf(msg + n, sizeof(msg) - n,
                         " Process %d still has the damaged store open and keeps using it until it restarts.", (int) user);
        log_event(LOG_ERR, ARPD_MESSAGE_STORE_MOVED_ASIDE, msg, fields, ELEMENTSOF(fields));
        return 0;
}

/* env_open(), and for c->recover a damaged file moved aside and a new one started. */
static int env_open_recovering(struct open_ctx *c, const char *path, const struct store_options *o, StoreEnv **ret) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        char *slash;
        int r;

        r = env_open(c, path, o, ret);
        if (r != -EUCLEAN || !c->recover)
                return r == -EUCLEAN ? -EBADMSG : r;

        /* Instances that start together all find the damage: the first moves the file aside
         * (under a lock on its directory), the others then open its successor. */
        dir = strdup(path);
        if (!dir)
                return log_oom();
        slash = strrchr(dir, '/');
        if (slash)
                *(slash == dir ? slash + 1 : slash) = '\0';
        dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || flock(dfd, LOCK_EX) < 0)
                return log_error_errno(errno, "Store %s is damaged (%s), and its directory cannot be locked: %m", path,
                                       c->why);
        r = env_open(c, path, o, ret);
        if (r != -EUCLEAN)
                return r;
        r = move_aside(path, c->why);
        if (r < 0)
                return r;
        c->recover = false; /* a new file found damaged is reported, never moved in a loop */
        r = env_open(c, path, o, ret);
        return r == -EUCLEAN ? -EBADMSG : r;
}

static void env_unref(StoreEnv *e, Store *s) {
        for (Store **p = &e->stores; *p; p = &(*p)->next_in_env)
                if (*p == s) {
                        *p = s->next_in_env;
                        break;
                }
        if (--e->n_ref > 0)
                return;
        for (StoreEnv **p = &store_envs; *p; p = &(*p)->next)
                if (*p == e) {
                        *p = e->next;
                        break;
                }
        env_write_receipt(e);
        mdb_env_close(e->env);
        free(e->receipt_path);
        free(e->ifids);
        free(e);
}

/* ---- open, close ----------------------------------------------------------------------------- */

int store_open(const char *path, const struct store_options *opts, Store **ret) {
        struct store_options o = opts ? *opts : (struct store_options) {};
        _cleanup_(store_freep) Store *s = NULL;
        StoreEnv *e = NULL;
        struct stat st;
        int r;

        if (!path || !*path || !ret)
                return -EINVAL;

        s = calloc(1, sizeof(*s));
        if (!s)
                return log_oom();
        *s = (Store) {
                .read_only = o.read_only,
                .write_nowait = o.write_nowait,
                .rng = now_usec(CLOCK_MONOTONIC) ^ ((uint64_t) getpid() << 32) ^ (uintptr_t) s,
        };
        s->path = strdup(path);
        if (!s->path)
                return log_oom();
        if (!o.read_only) {
                s->slots = calloc(STAGE_SLOTS, sizeof(struct stage_slot));
                s->tags = calloc(STAGE_SLOTS, sizeof(uint32_t));
                s->order = calloc(STORE_STAGE_MAX, sizeof(uint32_t));
                if (!s->slots || !s->tags || !s->order)
                        return log_oom();
        }

        if (stat(path, &st) < 0) {
                if (errno != ENOENT)
                        return log_error_errno(errno, "Cannot access store %s: %m", path);
                /* Checked here, before LMDB creates a lock file beside a file that is not there. */
                if (o.read_only)
                        return log_error_errno(ENOENT, "Store %s does not exist.", path);
                r = mkdir_parents(path, 0755);
                if (r < 0)
                        return log_error_errno(r, "Cannot create the directory for store %s: %m", path);
        } else {
                if (S_ISDIR(st.st_mode))
                        return log_error_errno(EISDIR, "Store %s is a directory, not a file.", path);
                if (!S_ISREG(st.st_mode))
                        return log_error_errno(EINVAL, "Store %s is not a regular file.", path);
                if (o.read_only && st.st_size == 0)
                        return log_error_errno(ENOENT, "Store %s is empty: no arpd store was written there yet.", path);
                e = env_find(st.st_dev, st.st_ino);
        }

        if (e) {
                if (e->read_only && !o.read_only)
                        return log_error_errno(EBUSY, "Store %s is already open read-only in this process.", path);
                e->n_ref++;
        } else {
                struct open_ctx c = { .recover = o.recover_damaged && !o.read_only };

                r = env_open_recovering(&c, path, &o, &e);
                if (r < 0)
                        return r;
                e->n_ref = 1;
                s->counters.stale_readers += (uint64_t) c.stale_readers;
        }
        s->e = e;
        s->next_in_env = e->stores;
        e->stores = s;

        *ret = TAKE_PTR(s);
        return 0;
}

Store *store_free(Store *s) {
        if (!s)
                return NULL;
        if (s->txn) {
                /* Detach the open explicit transaction: it aborts now, its handle stays valid
                 * until store_txn_commit()/store_txn_abort() frees it. */
                mdb_txn_abort(s->txn->txn);
                s->txn->txn = NULL;
                s->txn->append = NULL; /* freed with its transaction */
                s->txn->s = NULL;
                s->e->writing = false;
                writer_unlock(s);
        }
        if (s->rtxn)
                mdb_txn_abort(s->rtxn);
        if (s->e)
                env_unref(s->e, s);
        free(s->slots);
        free(s->tags);
        free(s->hist.slots);
        free(s->hist.index);
        free(s->order);
        free(s->grown);
        free(s->path);
        free(s);
        return NULL;
}

const char *store_path(const Store *s) {
        return s ? s->path : NULL;
}

const struct store_counters *store_get_counters(const Store *s) {
        return s ? &s->counters : NULL;
}

/* ---- the read snapshot ----------------------------------------------------------------------- */

static void store_snapshot_reset(Store *s) {
        if (s->rtxn_active) {
                mdb_txn_reset(s->rtxn);
                s->rtxn_active = false;
        }
        s->last_read.key_len = 0;
}

static int store_snapshot(Store *s) {
        int rc;

        if (s->rtxn_active)
                return 0;
        for (unsigned attempt = 0;; attempt++) {
                if (s->rtxn) {
                        rc = mdb_txn_renew(s->rtxn);
                        if (rc != 0) {
                                mdb_txn_abort(s->rtxn);
                                s->rtxn = NULL;
                        }
                } else
                        rc = mdb_txn_begin(s->e->env, NULL, MDB_RDONLY, &s->rtxn);
                if (rc == 0) {
                        s->rtxn_active = true;
                        return 0;
                }
                if (rc != MDB_MAP_RESIZED || attempt > 0)
                        return rc;
                rc = env_adopt_mapsize(s->e);
                if (rc != 0)
                        return rc;
        }
}

int store_refresh(Store *s) {
        if (!s)
                return -EINVAL;
        store_snapshot_reset(s); /* the next read takes a fresh snapshot: nothing is held until then */
        return 0;
}

void store_release(Store *s) {
        if (s)
                store_snapshot_reset(s);
}

int store_reader_check(Store *s) {
        int dead = 0, rc;

        if (!s)
                return -EINVAL;
        rc = mdb_reader_check(s->e->env, &dead);
        if (rc != 0)
                return store_errno(rc);
        if (dead > 0) {
                s->counters.stale_readers += (uint64_t) dead;
                log_info("Store %s: cleared %d reader slot%s of processes that are gone.", s->path, dead,
                         dead == 1 ? "" : "s");
        }
        return dead;
}

/* ---- interface ids (store.h, "Interface ids") ------------------------------------------------- */

/* A linear search; a hit moves one place forward, so the interfaces in use come first. */
static const struct ifid_entry *ifid_cached_name(StoreEnv *e, const uint8_t *name16) {
        for (size_t i = 0; i < e->n_ifids; i++)
                if (memcmp(e->ifids[i].name, name16, IFNAMSIZ) == 0) {
                        if (i > 0) {
                                struct ifid_entry t = e->ifids[i - 1];
                                e->ifids[i - 1] = e->ifids[i];
                                e->ifids[i] = t;
                                i--;
                        }
                        return &e->ifids[i];
                }
        return NULL;
}

/* Remembers a mapping read from committed data (a read transaction): it never changes. */
static void ifid_cache(StoreEnv *e, const uint8_t *name16, uint32_t id) {
        if (ifid_cached_name(e, name16))
                return;
        if (e->n_ifids == e->n_ifids_max) {
                size_t n = MAX((size_t) 8, 2 * e->n_ifids_max);
                struct ifid_entry *p = realloc(e->ifids, n * sizeof(*p));
                if (!p)
                        return; /* only a cache */
                e->ifids = p;
                e->n_ifids_max = n;
        }
        memcpy(e->ifids[e->n_ifids].name, name16, IFNAMSIZ);
        e->ifids[e->n_ifids++].id = id;
}

static size_t ifname_meta_key(uint8_t buf[32], uint32_t id) {
        size_t n = strlen(META_IFNAME_PREFIX);

        memcpy(buf, META_IFNAME_PREFIX, n);
        for (int i = 3; i >= 0; i--)
                buf[n++] = (uint8_t) (id >> (8 * i));
        return n;
}

/* The id of interface name16. committed: txn is a read transaction (what it finds may be
 * cached). create (write transactions only): hand out a new id if it has none. 0, MDB_NOTFOUND
 * or an LMDB code. */
static int ifid_lookup_in(StoreEnv *e, MDB_txn *txn, MDB_dbi meta, bool committed, const uint8_t *name16,
                          bool create, uint32_t *ret) {
        const struct ifid_entry *c = e ? ifid_cached_name(e, name16) : NULL;
        uint8_t kb[32];
        uint64_t id, next;
        int rc;

        if (c) {
                *ret = c->id;
                return 0;
        }
        rc = meta_read_u64(txn, meta, META_IFID_PREFIX, name16, &id);
        if (rc != 0)
                return rc;
        if (id > 0 && id <= IFID_MAX) {
                if (committed && e)
                        ifid_cache(e, name16, (uint32_t) id);
                *ret = (uint32_t) id;
                return 0;
        }
        if (id > IFID_MAX)
                return MDB_CORRUPTED;
        if (!create)
                return MDB_NOTFOUND;
        rc = meta_read_u64(txn, meta, META_IFID_NEXT, NULL, &next);
        if (rc != 0)
                return rc;
        next = MAX(next, (uint64_t) 1);
        if (next > IFID_MAX)
                return MDB_MAP_FULL; /* 2^30 interface names in one store: never reused, so full */
        rc = meta_write_u64(txn, meta, META_IFID_PREFIX, name16, next);
        if (rc == 0) {
                MDB_val k = { ifname_meta_key(kb, (uint32_t) next), kb },
                        v = { strnlen((const char *) name16, IFNAMSIZ), (void *) name16 };
                rc = mdb_put(txn, meta, &k, &v, 0);
        }
        if (rc == 0)
                rc = meta_write_u64(txn, meta, META_IFID_NEXT, NULL, next + 1);
        if (rc != 0)
                return rc;
        *ret = (uint32_t) next;
        return 0;
}

static int ifid_lookup(StoreEnv *e, MDB_txn *txn, bool committed, const uint8_t *name16, bool create,
                       uint32_t *ret) {
        return ifid_lookup_in(e, txn, e->dbi_meta, committed, name16, create, ret);
}

/* The format-3 key of an in-memory (format-1) key lkey. MDB_NOTFOUND if its interface has no id
 * and create is false; MDB_BAD_VALSIZE for a malformed lkey. */
static int key_to_disk(StoreEnv *e, MDB_txn *txn, bool committed, const uint8_t *lkey, size_t llen, bool create,
                       uint8_t out[KEY_MAX_SIZE], size_t *olen) {
        struct neigh_key k;
        uint32_t id;
        int rc, n;

        if (neigh_key_decode_v1(lkey, llen, &k) < 0)
                return MDB_BAD_VALSIZE;
        rc = ifid_lookup(e, txn, committed, lkey, create, &id);
        if (rc != 0)
                return rc;
        n = neigh_key_encode(&k, id, out, KEY_MAX_SIZE);
        if (n < 0)
                return MDB_BAD_VALSIZE;
        *olen = (size_t) n;
        return 0;
}

/* mdb_get() of the record of in-memory key lkey. */
static int table_get(Store *s, MDB_txn *txn, bool committed, const uint8_t *lkey, size_t llen, MDB_val *v) {
        uint8_t dk[KEY_MAX_SIZE];
        size_t dl;
        int rc = key_to_disk(s->e, txn, committed, lkey, llen, false, dk, &dl);

        if (rc == 0) {
                MDB_val k = { dl, dk };
                rc = mdb_get(txn, s->e->dbi_neigh, &k, v);
        }
        return rc;
}

/* ---- the staged overlay ---------------------------------------------------------------------- */

static uint32_t hash_bytes(const uint8_t *k, size_t n) {
        uint32_t h = 2166136261u; /* FNV-1a */

        for (size_t i = 0; i < n; i++) {
                h ^= k[i];
                h *= 16777619u;
        }
        return h ^ (h >> 16);
}

static uint32_t stage_tag(const uint8_t *key, size_t len) {
        return hash_bytes(key, len) | 0x80000000u;
}

/* The slot holding key, or the free slot where it belongs (*found tells which); tag is
 * stage_tag(key, len). */
static size_t stage_lookup_tag(const Store *s, const uint8_t *key, size_t len, uint32_t tag, bool *found) {
        size_t i = tag & (STAGE_SLOTS - 1);

        for (;; i = (i + 1) & (STAGE_SLOTS - 1)) {
                if (s->tags[i] == 0) {
                        *found = false;
                        return i;
                }
                if (s->tags[i] == tag && s->slots[i].key_len == len && memcmp(s->slots[i].key, key, len) == 0) {
                        *found = true;
                        return i;
                }
        }
}

static size_t stage_lookup(const Store *s, const uint8_t *key, size_t len, bool *found) {
        return stage_lookup_tag(s, key, len, stage_tag(key, len), found);
}

static void stage_clear(Store *s) {
        for (size_t i = 0; i < s->n_staged; i++) {
                s->slots[s->order[i]].key_len = 0;
                s->tags[s->order[i]] = 0;
        }
        s->n_staged = 0;
        history_stage_clear(s);
}

/* Records v (NULL: no record) as slot's base. */
static void stage_set_base(struct stage_slot *slot, const MDB_val *v) {
        if (!v)
                slot->base = BASE_ABSENT;
        else if (v->mv_size <= RECORD_MAX_SIZE) {
                slot->base = BASE_VALUE;
                slot->base_value_len = (uint8_t) v->mv_size;
                memcpy(slot->base_value, v->mv_data, v->mv_size);
        } else {
                slot->base = BASE_OTHER;
                slot->base_len = (uint32_t) MIN(v->mv_size, (size_t) UINT32_MAX);
                slot->base_hash = hash_bytes(v->mv_data, v->mv_size);
        }
}

/* True if v (NULL: no record) is still slot's base. */
static bool stage_base_matches(const struct stage_slot *slot, const MDB_val *v) {
        switch (slot->base) {
        case BASE_ABSENT:
                return !v;
        case BASE_VALUE:
                return v && v->mv_size == slot->base_value_len &&
                       memcmp(v->mv_data, slot->base_value, slot->base_value_len) == 0;
        default:
                return v && v->mv_size == slot->base_len && hash_bytes(v->mv_data, v->mv_size) == slot->base_hash;
        }
}

/* Finds or adds the slot for key; flushes first when a new key does not fit. A new slot's base is
 * read from the read snapshot the caller decided on, before that flush renews it. */
static int stage_slot_get(Store *s, const uint8_t *key, size_t len, struct stage_slot **ret) {
        struct stage_slot *slot, base = {};
        uint32_t tag = stage_tag(key, len);
        MDB_val vv;
        bool found;
        size_t i;
        int rc;

        i = stage_lookup_tag(s, key, len, tag, &found);
        if (!found && s->last_read.key_len == len && memcmp(s->last_read.key, key, len) == 0)
                base = s->last_read; /* the read the decision was made on: no second lookup */
        else if (!found) {
                rc = store_snapshot(s);
                if (rc == 0)
                        rc = table_get(s, s->rtxn, true, key, len, &vv);
                if (rc != 0 && rc != MDB_NOTFOUND)
                        return store_errno(rc);
                stage_set_base(&base, rc == 0 ? &vv : NULL);
        }
        if (!found && s->n_staged >= STORE_STAGE_MAX) {
                int r = store_flush(s);
                if (r < 0)
                        return r;
                i = stage_lookup_tag(s, key, len, tag, &found);
        }
        slot = &s->slots[i];
        if (!found) {
                s->tags[i] = tag;
                slot->key_len = (uint8_t) len;
                memcpy(slot->key, key, len);
                slot->base = base.base;
                slot->base_value_len = base.base_value_len;
                memcpy(slot->base_value, base.base_value, sizeof(base.base_value));
                slot->base_len = base.base_len;
                slot->base_hash = base.base_hash;
                s->order[s->n_staged++] = (uint32_t) i;
        }
        *ret = slot;
        return 0;
}

int store_stage_put(Store *s, const struct neigh_key *k, const struct record *r) {
        uint8_t key[KEY_V1_MAX_SIZE], value[RECORD_MAX_SIZE];
        struct stage_slot *slot;
        int klen, vlen, q;

        if (!s || !k || !r)
                return -EINVAL;
        if (s->read_only)
                return -EROFS;
        klen = neigh_key_encode_v1(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        vlen = record_encode(r, value, sizeof(value));
        if (vlen < 0)
                return vlen;
        q = stage_slot_get(s, key, (size_t) klen, &slot);
        if (q < 0)
                return q;
        memcpy(slot->value, value, (size_t) vlen);
        slot->value_len = (uint8_t) vlen;
        slot->deleted = false;
        return 0;
}

int store_stage_delete(Store *s, const struct neigh_key *k) {
        uint8_t key[KEY_V1_MAX_SIZE];
        struct stage_slot *slot;
        int klen, q;

        if (!s || !k)
                return -EINVAL;
        if (s->read_only)
                return -EROFS;
        klen = neigh_key_encode_v1(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        q = stage_slot_get(s, key, (size_t) klen, &slot);
        if (q < 0)
                return q;
        slot->deleted = true;
        return 0;
}

size_t store_staged(const Store *s) {
        return s ? s->n_staged : 0;
}

/* ---- reads ----------------------------------------------------------------------------------- */

static int decode_counted(Store *s, const MDB_val *v, struct record *ret) {
        struct record tmp;
        int r = record_decode(v->mv_data, v->mv_size, ret ?: &tmp);

        if (r < 0)
                s->counters.bad_records++;
        return r;
}

int store_get(Store *s, const struct neigh_key *k, struct record *ret) {
        uint8_t key[KEY_V1_MAX_SIZE];
        struct record tmp;
        MDB_val vv;
        int klen, rc;

        if (!s || !k)
                return -EINVAL;
        klen = neigh_key_encode_v1(k, key, sizeof(key));
        if (klen < 0)
                return klen;

        if (s->n_staged > 0) {
                bool found;
                size_t i = stage_lookup(s, key, (size_t) klen, &found);

                if (found)
                        return s->slots[i].deleted ? -ENOENT
                                                   : record_decode(s->slots[i].value, s->slots[i].value_len,
                                                                   ret ?: &tmp);
        }

        rc = store_snapshot(s);
        if (rc != 0)
                return store_errno(rc);
        rc = table_get(s, s->rtxn, true, key, (size_t) klen, &vv);
        if (!s->read_only && (rc == 0 || rc == MDB_NOTFOUND)) {
                memcpy(s->last_read.key, key, (size_t) klen);
                s->last_read.key_len = (uint8_t) klen;
                stage_set_base(&s->last_read, rc == 0 ? &vv : NULL);
        }
        if (rc != 0)
                return store_errno(rc);
        return decode_counted(s, &vv, ret);
}

static int count_entries(MDB_txn *txn, MDB_dbi dbi, size_t *ret) {
        MDB_stat st;
        int rc = mdb_stat(txn, dbi, &st);

        if (rc == 0)
                *ret = st.ms_entries;
        return rc;
}

int store_count(Store *s, size_t *ret) {
        MDB_txn *txn = NULL;
        int rc;

        if (!s || !ret)
                return -EINVAL;
        rc = env_txn_begin(s->e, MDB_RDONLY, &txn);
        if (rc != 0)
                return store_errno(rc);
        rc = count_entries(txn, s->e->dbi_neigh, ret);
        mdb_txn_abort(txn);
        return store_errno(rc);
}

/* ---- the index, the counts and the bounds -------------------------------------------------- */

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
        int c = memcmp(a, b, MIN(alen, blen));
        return c != 0 ? c : (alen > blen) - (alen < blen);
}

static uint64_t get_u64(const MDB_val *v) {
        uint64_t x = 0;

        if (v->mv_size == 8)
                for (size_t i = 0; i < 8; i++)
                        x |= (uint64_t) ((const uint8_t *) v->mv_data)[i] << (8 * i);
        return x;
}

static void put_u64(uint8_t b[8], uint64_t x) {
        for (size_t i = 0; i < 8; i++)
                b[i] = (uint8_t) (x >> (8 * i));
}

/* A meta key: prefix, then (for per-interface keys) the name without its padding. */
static size_t meta_key(uint8_t *buf, const char *prefix, const uint8_t *ifname16) {
        size_t n = strlen(prefix);

        memcpy(buf, prefix, n);
        if (ifname16) {
                size_t l = strnlen((const char *) ifname16, IFNAMSIZ);
                memcpy(buf + n, ifname16, l);
                n += l;
        }
        return n;
}

static int meta_read_u64(MDB_txn *txn, MDB_dbi dbi, const char *prefix, const uint8_t *ifname16, uint64_t *ret) {
        uint8_t kb[32 + IFNAMSIZ];
        MDB_val k = { meta_key(kb, prefix, ifname16), kb }, v;
        int rc = mdb_get(txn, dbi, &k, &v);

        *ret = rc == 0 ? get_u64(&v) : 0;
        return rc == MDB_NOTFOUND ? 0 : rc;
}

static int meta_write_u64(MDB_txn *txn, MDB_dbi dbi, const char *prefix, const uint8_t *ifname16, uint64_t x) {
        uint8_t kb[32 + IFNAMSIZ], vb[8];
        MDB_val k = { meta_key(kb, prefix, ifname16), kb }, v = { sizeof(vb), vb };

        put_u64(vb, x);
        return mdb_put(txn, dbi, &k, &v, 0);
}

static int meta_add(MDB_txn *txn, MDB_dbi dbi, const char *prefix, const uint8_t *ifname16, int64_t delta) {
        uint64_t x;
        int rc = meta_read_u64(txn, dbi, prefix, ifname16, &x);

        if (rc != 0)
                return rc;
        x = delta < 0 && (uint64_t) -delta > x ? 0 : x + (uint64_t) delta;
        return meta_write_u64(txn, dbi, prefix, ifname16, x);
}

/* The negative-index key of the record v at disk key dk (store.h, "Bounds"): 0 for a record
 * that is not negative (or a value this version cannot read). */
static size_t neg_key(const uint8_t *dk, size_t dl, const MDB_val *v, uint8_t out[NEG_KEY_MAX]) {
        struct record r;
        int pl;

        if (record_decode(v->mv_data, v->mv_size, &r) < 0 || r.state != RECORD_NEGATIVE)
                return 0;
        pl = ifid_decode(dk, dl, NULL);
        if (pl < 0 || dl <= (size_t) pl || dl - (size_t) pl > 17)
                return 0;
        memcpy(out, dk, (size_t) pl);
        for (int i = 7; i >= 0; i--)
                out[pl + 7 - i] = (uint8_t) (r.neg_since >> (8 * i)); /* big-endian: oldest first */
        memcpy(out + pl + 8, dk + pl, dl - (size_t) pl);
        return dl + 8;
}

/* Notes that ifname16 gained an entry in this write transaction (the total bound is enforced
 * on the interfaces that grew). ENOMEM (an LMDB-style code) if it cannot. */
static int note_growth_uncounted(Store *s, const uint8_t *ifname16, bool uncounted) {
        for (size_t i = 0; i < s->n_grown; i++)
                if (memcmp(s->grown[i].ifname, ifname16, IFNAMSIZ) == 0) {
                        s->grown[i].n++;
                        s->grown[i].uncounted += uncounted;
                        return 0;
                }
        if (s->n_grown == s->n_grown_max) {
                size_t n = MAX((size_t) 8, 2 * s->n_grown_max);
                struct grown *g = realloc(s->grown, n * sizeof(*g));
                if (!g)
                        return ENOMEM;
                s->grown = g;
                s->n_grown_max = n;
        }
        memcpy(s->grown[s->n_grown].ifname, ifname16, IFNAMSIZ);
        s->grown[s->n_grown].uncounted = uncounted;
        s->grown[s->n_grown++].n = 1;
        return 0;
}

static int note_growth(Store *s, const uint8_t *ifname16) {
        return note_growth_uncounted(s, ifname16, false);
}

/* Adds the entries this transaction added (table_put(), txn_append()) to their interfaces' counts,
 * in one write per interface instead of one per entry: before anything reads or lowers a count
 * (enforce_limits(), which every commit runs, and disk_del()). */
static int counts_flush(Store *s, MDB_txn *txn) {
        int rc = 0;

        for (size_t i = 0; rc == 0 && i < s->n_grown; i++)
                if (s->grown[i].uncounted > 0) {
                        rc = meta_add(txn, s->e->dbi_meta, META_COUNT_PREFIX, s->grown[i].ifname,
                                      (int64_t) s->grown[i].uncounted);
                        s->grown[i].uncounted = 0;
                }
        return rc;
}

/* Deletes the record old at disk key dk of interface name16, its negative-index entry and its
 * count. */
static int disk_del(Store *s, MDB_txn *txn, const uint8_t *name16, const uint8_t *dk, size_t dl, const MDB_val *old) {
        uint8_t nk[NEG_KEY_MAX];
        MDB_val k = { dl, (void *) dk };
        size_t nl = neg_key(dk, dl, old, nk);
        int rc = counts_flush(s, txn); /* the count it lowers holds every entry added before */

        if (rc != 0)
                return rc;

        if (nl > 0) {
                MDB_val nkv = { nl, nk };
                rc = mdb_del(txn, s->e->dbi_neg, &nkv, NULL);
                if (rc != 0 && rc != MDB_NOTFOUND)
                        return rc;
        }
        rc = mdb_del(txn, s->e->dbi_neigh, &k, NULL);
        if (rc == 0)
                rc = meta_add(txn, s->e->dbi_meta, META_COUNT_PREFIX, name16, -1);
        if (rc == 0)
                rc = history_del(s, txn, dk, dl);
        return rc;
}

/* Every write to the records goes through these two, so the negative index and the counts stay
 * exact within the same transaction. lkey is the in-memory key; old is the value the key holds
 * now (NULL: none). */
static int table_put(Store *s, MDB_txn *txn, const uint8_t *lkey, size_t llen, const uint8_t *value, size_t vlen,
                     const MDB_val *old) {
        uint8_t dk[KEY_MAX_SIZE], nk[NEG_KEY_MAX];
        MDB_val v = { vlen, (void *) value }, e = { 0, NULL };
        size_t dl, nl;
        int rc;

        rc = key_to_disk(s->e, txn, false, lkey, llen, true, dk, &dl);
        if (rc != 0)
                return rc;
        MDB_val k = { dl, dk };
        if (old && (nl = neg_key(dk, dl, old, nk)) > 0) {
                MDB_val nkv = { nl, nk };
                rc = mdb_del(txn, s->e->dbi_neg, &nkv, NULL);
                if (rc != 0 && rc != MDB_NOTFOUND)
                        return rc;
        }
        rc = mdb_put(txn, s->e->dbi_neigh, &k, &v, 0);
        if (rc == 0 && (nl = neg_key(dk, dl, &v, nk)) > 0) {
                MDB_val nkv = { nl, nk };
                rc = mdb_put(txn, s->e->dbi_neg, &nkv, &e, 0);
        }
        if (rc == 0 && !old)
                rc = note_growth_uncounted(s, lkey, true); /* counted by counts_flush() */
        return rc;
}

static int table_del(Store *s, MDB_txn *txn, const uint8_t *lkey, size_t llen, const MDB_val *old) {
        uint8_t dk[KEY_MAX_SIZE];
        size_t dl;
        int rc = key_to_disk(s->e, txn, false, lkey, llen, false, dk, &dl);

        if (rc != 0)
                return rc;
        return disk_del(s, txn, lkey, dk, dl, old);
}

/* ---- eviction ---------------------------------------------------------------------------------- */

/* An eviction candidate: its disk key and its place in the order (class 0 negative by
 * neg_since, 1 positive by last_seen). */
struct cand {
        uint8_t key[KEY_MAX_SIZE];
        uint8_t len;
        uint8_t cls;
        uint64_t t;
};

static uint64_t rng_next(Store *s) {
        uint64_t z = (s->rng += 0x9e3779b97f4a7c15u); /* splitmix64 */

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
}

/* The place of value v in the eviction order; false if it is never evicted (static, or a
 * value this version cannot read). */
static bool evict_rank(const MDB_val *v, uint8_t *cls, uint64_t *t) {
        struct record r;

        if (record_decode(v->mv_data, v->mv_size, &r) < 0 || r.state == RECORD_STATIC)
                return false;
        *cls = r.state == RECORD_NEGATIVE ? 0 : 1;
        *t = r.state == RECORD_NEGATIVE ? r.neg_since : r.last_seen;
        return true;
}

/* The order of eviction: class, time, then the key (records of one time go in key order, as
 * with format 2's index). */
static bool cand_before_key(uint8_t cls, uint64_t t, const uint8_t *key, size_t len, const struct cand *b) {
        if (cls != b->cls)
                return cls < b->cls;
        if (t != b->t)
                return t < b->t;
        return key_cmp(key, len, b->key, b->len) < 0;
}

static bool cand_before(const struct cand *a, const struct cand *b) {
        return cand_before_key(a->cls, a->t, a->key, a->len, b);
}

/* Adds the record k/v to the pool of at most cap candidates, keeping the first in the order. */
static void pool_add(struct cand *pool, size_t *n, size_t cap, const MDB_val *k, const MDB_val *v) {
        uint8_t cls;
        uint64_t t;
        size_t at;

        if (k->mv_size > KEY_MAX_SIZE || !evict_rank(v, &cls, &t))
                return;
        for (size_t i = 0; i < *n; i++)
                if (pool[i].len == k->mv_size && memcmp(pool[i].key, k->mv_data, k->mv_size) == 0)
                        return;
        if (*n < cap)
                at = (*n)++;
        else {
                at = 0;
                for (size_t i = 1; i < *n; i++)
                        if (cand_before(&pool[at], &pool[i]))
                                at = i; /* the last in the order */
                if (!cand_before_key(cls, t, k->mv_data, k->mv_size, &pool[at]))
                        return;
        }
        memcpy(pool[at].key, k->mv_data, k->mv_size);
        pool[at].len = (uint8_t) k->mv_size;
        pool[at].cls = cls;
        pool[at].t = t;
}

/* One family's keys of an interface, for sampling: the first and last address, and the place
 * of an address as a number, the 8 bytes from the first one where lo and hi differ (d, m). */
struct fam_range {
        bool present;
        uint8_t fb;
        size_t asz;
        uint8_t lo[16], hi[16];
        size_t d, m;
        uint64_t x, y;     /* the places of lo and hi */
        uint64_t spacing;  /* (y - x) / entries: the mean distance between two addresses */
};

static uint64_t fam_place(const struct fam_range *f, const uint8_t *addr) {
        uint64_t x = 0;

        for (size_t i = 0; i < f->m; i++)
                x = x << 8 | addr[f->d + i];
        return x;
}

/* A key of interface prefix pre at a random place of family f (*place), into out. */
static size_t sample_key(Store *s, const uint8_t *pre, size_t pl, const struct fam_range *f, uint8_t *out,
                         uint64_t *place) {
        uint8_t *a = out + pl + 1;
        uint64_t r = rng_next(s);

        memcpy(out, pre, pl);
        out[pl] = f->fb;
        memcpy(a, f->lo, f->asz);
        *place = f->x;
        if (f->m > 0) {
                if (f->y - f->x != UINT64_MAX)
                        r = f->x + r % (f->y - f->x + 1);
                for (size_t i = 0; i < f->m; i++)
                        a[f->d + f->m - 1 - i] = (uint8_t) (r >> (8 * i));
                for (size_t j = f->d + f->m; j < f->asz; j++)
                        a[j] = (uint8_t) rng_next(s);
                *place = r;
        }
        return pl + 1 + f->asz;
}

static bool key_in(const MDB_val *k, const uint8_t *pre, size_t pl, uint8_t fb, size_t asz) {
        return k->mv_size == pl + 1 + asz && memcmp(k->mv_data, pre, pl) == 0 && ((const uint8_t *) k->mv_data)[pl] == fb;
}

/* The first and last address of one family of the interface with prefix pre (entries in all). */
static int fam_range_read(Store *s, MDB_cursor *c, const uint8_t *pre, size_t pl, uint64_t entries,
                          struct fam_range *f) {
        uint8_t seek[KEY_MAX_SIZE];
        MDB_val k = { pl + 1, seek }, v;
        int rc;

        memcpy(seek, pre, pl);
        seek[pl] = f->fb;
        f->present = false;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        s->index_touched++;
        if (rc == MDB_NOTFOUND || (rc == 0 && !key_in(&k, pre, pl, f->fb, f->asz)))
                return 0;
        if (rc != 0)
                return rc;
        memcpy(f->lo, (const uint8_t *) k.mv_data + pl + 1, f->asz);
        seek[pl] = (uint8_t) (f->fb + 1);
        k = (MDB_val) { pl + 1, seek };
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        s->index_touched++;
        if (rc == 0)
                rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
        else if (rc == MDB_NOTFOUND)
                rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
        s->index_touched++;
        if (rc != 0)
                return rc;
        if (!key_in(&k, pre, pl, f->fb, f->asz))
                memcpy(f->hi, f->lo, f->asz);
        else
                memcpy(f->hi, (const uint8_t *) k.mv_data + pl + 1, f->asz);
        f->d = 0;
        while (f->d < f->asz && f->lo[f->d] == f->hi[f->d])
                f->d++;
        f->m = MIN((size_t) 8, f->asz - f->d);
        f->x = fam_place(f, f->lo);
        f->y = fam_place(f, f->hi);
        f->spacing = (f->y - f->x) / MAX(entries, (uint64_t) 1);
        f->present = true;
        return 0;
}

/* One sample: the evictable ones of the EVICT_STEPS records from a random place in family f,
 * into the pool. A place that lands behind a gap far wider than the mean spacing (one
 * subnet's addresses after another's) is drawn again, up to EVICT_REDRAWS times, so the record
 * after the gap is not sampled far more often than the others. */
static int sample_one(Store *s, MDB_cursor *c, const uint8_t *pre, size_t pl, const struct fam_range *f,
                      struct cand *pool, size_t *n) {
        uint8_t seek[KEY_MAX_SIZE];
        MDB_val k, v;
        int rc = 0;

        for (unsigned draw = 0; draw <= EVICT_REDRAWS; draw++) {
                uint64_t place;

                k = (MDB_val) { sample_key(s, pre, pl, f, seek, &place), seek };
                rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
                s->index_touched++;
                if (rc == MDB_NOTFOUND || (rc == 0 && !key_in(&k, pre, pl, f->fb, f->asz))) {
                        /* past the last address (random bytes after it): wrap to the first */
                        memcpy(seek + pl + 1, f->lo, f->asz);
                        k = (MDB_val) { pl + 1 + f->asz, seek };
                        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
                        s->index_touched++;
                        break;
                }
                if (rc != 0)
                        return rc;
                if (fam_place(f, (const uint8_t *) k.mv_data + pl + 1) - place <= 8 * f->spacing + 1)
                        break;
        }
        for (unsigned step = 0; rc == 0 && step < EVICT_STEPS; step++) {
                if (!key_in(&k, pre, pl, f->fb, f->asz))
                        return 0;
                pool_add(pool, n, EVICT_POOL, &k, &v);
                if (step + 1 < EVICT_STEPS) {
                        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
                        s->index_touched++;
                }
        }
        return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Evicts the pool's first candidate (removing it from the pool). */
static int evict_cand(Store *s, MDB_txn *txn, const uint8_t *ifname16, size_t pl, struct cand *pool, size_t *n) {
        uint8_t nk[NEG_KEY_MAX];
        size_t best = 0;
        int rc;

        for (size_t i = 1; i < *n; i++)
                if (cand_before(&pool[i], &pool[best]))
                        best = i;
        struct cand c = pool[best];
        pool[best] = pool[--(*n)];
        if (c.cls == 0) { /* a negative the index missed: its index entry, if any, goes too */
                memcpy(nk, c.key, pl);
                for (int i = 7; i >= 0; i--)
                        nk[pl + 7 - (size_t) i] = (uint8_t) (c.t >> (8 * i));
                memcpy(nk + pl + 8, c.key + pl, c.len - pl);
                MDB_val nkv = { (size_t) c.len + 8, nk };
                rc = mdb_del(txn, s->e->dbi_neg, &nkv, NULL);
                if (rc != 0 && rc != MDB_NOTFOUND)
                        return rc;
        }
        MDB_val k = { c.len, c.key };
        rc = mdb_del(txn, s->e->dbi_neigh, &k, NULL);
        if (rc == 0)
                rc = meta_add(txn, s->e->dbi_meta, META_COUNT_PREFIX, ifname16, -1);
        if (rc == 0)
                rc = history_del(s, txn, c.key, c.len);
        return rc;
}

/* At the map size limit: evicts up to n evictable records in key order from a random place of
 * the interface with prefix pre (wrapping around once), so that whole pages are freed: scattered
 * deletions would copy every page they touch, which a full map has no room for. Reads at most
 * 4 n + EVICT_EXACT records. */
static int evict_run(Store *s, MDB_txn *txn, MDB_cursor *c, const uint8_t *ifname16, const uint8_t *pre, size_t pl,
                     const struct fam_range *fr, size_t n, bool run_random, size_t *done) {
        const struct fam_range *f = fr[0].present && fr[1].present ? &fr[rng_next(s) & 1] : fr[0].present ? &fr[0] : &fr[1];
        uint8_t seek[KEY_MAX_SIZE];
        uint64_t place;
        MDB_val k = { run_random ? sample_key(s, pre, pl, f, seek, &place) : pl, run_random ? seek : (void *) pre }, v;
        size_t budget = 4 * n + EVICT_EXACT, np = 0;
        bool wrapped = false;
        struct cand one;
        int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);

        while (budget-- > 0 && *done < n) {
                s->index_touched++;
                if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size <= pl || memcmp(k.mv_data, pre, pl) != 0))) {
                        if (wrapped)
                                return 0;
                        wrapped = true; /* on from the interface's first key */
                        k = (MDB_val) { pl, (void *) pre };
                        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
                        continue;
                }
                if (rc != 0)
                        return rc;
                np = 0;
                pool_add(&one, &np, 1, &k, &v);
                if (np == 0) {
                        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
                        continue;
                }
                rc = evict_cand(s, txn, ifname16, pl, &one, &np);
                if (rc != 0)
                        return rc;
                (*done)++;
                k = (MDB_val) { one.len, one.key }; /* the next one after it */
                rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        }
        return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Evicts up to n of ifname16's entries: negatives first from the negative index, oldest window
 * first (exact); then positives, the least recently seen of a sample (store.h, "Bounds"). Only
 * that interface's keys are read, and each eviction reads a bounded number of records: no scan. */
static int evict_iface(Store *s, MDB_txn *txn, const uint8_t *ifname16, size_t n, bool for_room, size_t *evicted) {
        struct cand pool[EVICT_EXACT];
        struct fam_range fr[2] = { { .fb = 4, .asz = 4 }, { .fb = 6, .asz = 16 } };
        uint8_t pre[4];
        MDB_cursor *c = NULL;
        size_t done = 0, np = 0;
        uint64_t count = 0;
        uint32_t id;
        int rc, pl;

        rc = ifid_lookup(s->e, txn, false, ifname16, false, &id);
        if (rc == MDB_NOTFOUND || n == 0)
                return 0;
        if (rc != 0)
                return rc;
        pl = ifid_encode(id, pre);
        if (pl < 0)
                return MDB_CORRUPTED;

        rc = mdb_cursor_open(txn, s->e->dbi_neg, &c);
        if (rc != 0)
                return rc;
        while (done < n) {
                uint8_t dk[KEY_MAX_SIZE], ik[NEG_KEY_MAX];
                MDB_val k = { (size_t) pl, pre }, v, nk, nv;
                size_t dl, il;

                rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
                if (rc == MDB_NOTFOUND) {
                        rc = 0;
                        break;
                }
                if (rc != 0)
                        break;
                if (k.mv_size <= (size_t) pl + 9 || k.mv_size > NEG_KEY_MAX || memcmp(k.mv_data, pre, (size_t) pl) != 0)
                        break; /* no more negatives of this interface */
                s->index_touched++;
                dl = k.mv_size - 8;
                memcpy(dk, pre, (size_t) pl);
                memcpy(dk + pl, (const uint8_t *) k.mv_data + pl + 8, dl - (size_t) pl);
                il = k.mv_size;
                memcpy(ik, k.mv_data, il);
                rc = mdb_cursor_del(c, 0);
                if (rc != 0)
                        break;
                nk = (MDB_val) { dl, dk };
                rc = mdb_get(txn, s->e->dbi_neigh, &nk, &nv);
                s->index_touched++;
                if (rc == MDB_NOTFOUND) {
                        rc = 0;
                        continue; /* a stale index entry: gone with it */
                }
                if (rc != 0)
                        break;
                {
                        uint8_t cur[NEG_KEY_MAX];
                        if (neg_key(dk, dl, &nv, cur) != il || memcmp(cur, ik, il) != 0)
                                continue; /* stale: the record moved on (and has its own entry, if negative) */
                }
                rc = mdb_del(txn, s->e->dbi_neigh, &nk, NULL);
                if (rc == 0)
                        rc = meta_add(txn, s->e->dbi_meta, META_COUNT_PREFIX, ifname16, -1);
                if (rc == 0)
                        rc = history_del(s, txn, dk, dl);
                if (rc != 0)
                        break;
                done++;
        }
        mdb_cursor_close(c);
        c = NULL;

        if (rc == 0 && done < n)
                rc = meta_read_u64(txn, s->e->dbi_meta, META_COUNT_PREFIX, ifname16, &count);
        if (rc == 0 && done < n && count > 0)
                rc = mdb_cursor_open(txn, s->e->dbi_neigh, &c);
        if (rc == 0 && c && count <= EVICT_EXACT) {
                /* small: read it whole (at most EVICT_EXACT records), the order is exact */
                MDB_val k = { (size_t) pl, pre }, v;

                rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
                for (unsigned i = 0; rc == 0 && i <= EVICT_EXACT; i++) {
                        s->index_touched++;
                        if (k.mv_size <= (size_t) pl || memcmp(k.mv_data, pre, (size_t) pl) != 0)
                                break;
                        pool_add(pool, &np, EVICT_EXACT, &k, &v);
                        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
                }
                if (rc == MDB_NOTFOUND)
                        rc = 0;
                while (rc == 0 && done < n && np > 0) {
                        rc = evict_cand(s, txn, ifname16, (size_t) pl, pool, &np);
                        if (rc == 0)
                                done++;
                }
        } else if (rc == 0 && c) {
                for (size_t f = 0; rc == 0 && f < 2; f++)
                        rc = fam_range_read(s, c, pre, (size_t) pl, count, &fr[f]);
                if (rc == 0 && for_room && (fr[0].present || fr[1].present))
                        rc = evict_run(s, txn, c, ifname16, pre, (size_t) pl, fr, n, true, &done);
                while (rc == 0 && !for_room && done < n && (fr[0].present || fr[1].present)) {
                        /* an empty pool (the first eviction) draws twice as many */
                        for (unsigned i = 0, k = np == 0 ? 2 * EVICT_SAMPLES : EVICT_SAMPLES; rc == 0 && i < k; i++) {
                                const struct fam_range *f = fr[0].present && fr[1].present ? &fr[i & 1]
                                                            : fr[0].present                 ? &fr[0]
                                                                                            : &fr[1];
                                rc = sample_one(s, c, pre, (size_t) pl, f, pool, &np);
                        }
                        if (rc != 0 || np == 0)
                                break; /* nothing evictable found where it looked */
                        rc = evict_cand(s, txn, ifname16, (size_t) pl, pool, &np);
                        if (rc == 0)
                                done++;
                }
        }
        if (c)
                mdb_cursor_close(c);
        if (rc == 0 && done > 0)
                rc = meta_add(txn, s->e->dbi_meta, META_EVICTED_PREFIX, ifname16, (int64_t) done);
        *evicted += done;
        return rc;
}

static int read_limits(Store *s, MDB_txn *txn, struct store_limits *l) {
        uint64_t total = 0, per = 0;
        int rc = meta_read_u64(txn, s->e->dbi_meta, META_LIMIT_TOTAL, NULL, &total);

        if (rc == 0)
                rc = meta_read_u64(txn, s->e->dbi_meta, META_LIMIT_IFACE, NULL, &per);
        l->max_entries = total > 0 ? total : STORE_DEFAULT_MAX_ENTRIES;
        l->max_per_iface = per > 0 ? per : l->max_entries;
        return rc;
}

/* Enforces the bounds recorded in the store after this transaction's changes: each interface
 * that grew is cut to the per-interface bound, then the excess over the total bound is taken
 * from the interfaces that grew, each at most by its own growth: never from another one. */
static int enforce_limits(Store *s, MDB_txn *txn, size_t *evicted) {
        struct store_limits l;
        size_t total, excess;
        int rc;

        *evicted = 0;
        rc = counts_flush(s, txn);
        if (rc == 0)
                rc = read_limits(s, txn, &l);
        for (size_t i = 0; rc == 0 && i < s->n_grown; i++) {
                uint64_t n = 0;
                size_t e = 0;

                rc = meta_read_u64(txn, s->e->dbi_meta, META_COUNT_PREFIX, s->grown[i].ifname, &n);
                if (rc == 0 && n > l.max_per_iface)
                        rc = evict_iface(s, txn, s->grown[i].ifname, n - l.max_per_iface, false, &e);
                s->grown[i].n -= MIN(s->grown[i].n, e); /* what it still owes the total bound */
                *evicted += e;
        }
        if (rc == 0)
                rc = count_entries(txn, s->e->dbi_neigh, &total);
        if (rc != 0 || total <= l.max_entries)
                return rc;
        excess = total - l.max_entries;
        for (size_t i = 0; rc == 0 && excess > 0 && i < s->n_grown; i++) {
                size_t e = 0;
                rc = evict_iface(s, txn, s->grown[i].ifname, MIN(excess, s->grown[i].n), false, &e);
                excess -= MIN(excess, e);
                *evicted += e;
        }
        return rc;
}

/* Moves the rows of a format-2 "history" table (keyed by name) into the format-3 one (keyed by
 * interface id) in txn, and drops the old table. A row with a malformed key is dropped. */
static int upgrade_history(MDB_txn *txn, MDB_dbi meta, size_t *moved) {
        MDB_dbi old, hist;
        MDB_cursor *c = NULL;
        MDB_val k, v;
        int rc;

        *moved = 0;
        rc = mdb_dbi_open(txn, HISTORY_V2_DB, 0, &old);
        if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
                return 0;
        if (rc == 0)
                rc = mdb_dbi_open(txn, HISTORY_DB, MDB_CREATE, &hist);
        if (rc == 0)
                rc = mdb_cursor_open(txn, old, &c);
        if (rc != 0)
                return rc;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
                uint8_t dk[KEY_MAX_SIZE];
                struct neigh_key key;
                uint32_t id;
                int dl;

                if (neigh_key_decode_v1(k.mv_data, k.mv_size, &key) < 0)
                        continue;
                rc = ifid_lookup_in(NULL, txn, meta, false, k.mv_data, true, &id);
                if (rc != 0)
                        break;
                dl = neigh_key_encode(&key, id, dk, sizeof(dk));
                if (dl < 0)
                        continue;
                MDB_val dkv = { (size_t) dl, dk };
                rc = mdb_put(txn, hist, &dkv, &v, 0);
                if (rc != 0)
                        break;
                (*moved)++;
        }
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND)
                rc = 0;
        if (rc == 0)
                rc = mdb_drop(txn, old, 1);
        return rc;
}

/* Rewrites the records of a format-1 or -2 table old into entries and neg (format 3) in txn,
 * with new counts. A record whose key is malformed is dropped (counted in *dropped); a value
 * this version cannot read is kept as it is. */
static int upgrade_to_3(MDB_txn *txn, MDB_dbi meta, MDB_dbi old, MDB_dbi entries, MDB_dbi neg, size_t *moved,
                        size_t *dropped) {
        struct upg_iface {
                uint8_t name[IFNAMSIZ];
                uint32_t id;
                uint64_t n;
        } *ifs = NULL;
        size_t n_ifs = 0, cur = SIZE_MAX;
        MDB_cursor *c = NULL;
        MDB_val k, v;
        int rc;

        *moved = *dropped = 0;
        /* counts a format-2 writer left start over */
        rc = mdb_cursor_open(txn, meta, &c);
        if (rc != 0)
                return rc;
        for (;;) {
                k = (MDB_val) { strlen(META_COUNT_PREFIX), (void *) META_COUNT_PREFIX };
                rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
                if (rc != 0 || k.mv_size < strlen(META_COUNT_PREFIX) ||
                    memcmp(k.mv_data, META_COUNT_PREFIX, strlen(META_COUNT_PREFIX)) != 0)
                        break;
                rc = mdb_cursor_del(c, 0);
                if (rc != 0)
                        break;
        }
        mdb_cursor_close(c);
        if (rc != 0 && rc != MDB_NOTFOUND)
                return rc;

        rc = mdb_cursor_open(txn, old, &c);
        if (rc != 0)
                return rc;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
                uint8_t dk[KEY_MAX_SIZE], nk[NEG_KEY_MAX], val[RECORD_MAX_SIZE];
                MDB_val dkv, nv = v, e = { 0, NULL };
                struct neigh_key key;
                struct record r;
                size_t nl;
                int q, dl;

                if (neigh_key_decode_v1(k.mv_data, k.mv_size, &key) < 0) {
                        (*dropped)++;
                        continue;
                }
                /* the old table is in name order: one interface after the other */
                if (cur == SIZE_MAX || memcmp(ifs[cur].name, k.mv_data, IFNAMSIZ) != 0) {
                        struct upg_iface *p = realloc(ifs, (n_ifs + 1) * sizeof(*ifs));
                        if (!p) {
                                rc = ENOMEM;
                                break;
                        }
                        ifs = p;
                        cur = n_ifs++;
                        memcpy(ifs[cur].name, k.mv_data, IFNAMSIZ);
                        ifs[cur].n = 0;
                        rc = ifid_lookup_in(NULL, txn, meta, false, ifs[cur].name, true, &ifs[cur].id);
                        if (rc != 0)
                                break;
                }
                dl = neigh_key_encode(&key, ifs[cur].id, dk, sizeof(dk));
                if (dl < 0) {
                        (*dropped)++;
                        continue;
                }
                if (record_decode(v.mv_data, v.mv_size, &r) == 0) {
                        q = record_encode(&r, val, sizeof(val));
                        if (q > 0)
                                nv = (MDB_val) { (size_t) q, val };
                }
                dkv = (MDB_val) { (size_t) dl, dk };
                rc = mdb_put(txn, entries, &dkv, &nv, MDB_APPEND); /* ids follow the name order */
                if (rc == MDB_KEYEXIST)
                        rc = mdb_put(txn, entries, &dkv, &nv, 0);
                if (rc == 0 && (nl = neg_key(dk, (size_t) dl, &nv, nk)) > 0) {
                        MDB_val nkv = { nl, nk };
                        rc = mdb_put(txn, neg, &nkv, &e, 0);
                }
                if (rc != 0)
                        break;
                ifs[cur].n++;
                (*moved)++;
        }
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND)
                rc = 0;
        for (size_t i = 0; rc == 0 && i < n_ifs; i++)
                rc = meta_add(txn, meta, META_COUNT_PREFIX, ifs[i].name, (int64_t) ifs[i].n);
        free(ifs);
        return rc;
}

/* ---- writes ---------------------------------------------------------------------------------- */

static int order_cmp(const void *a, const void *b, void *userdata) {
        const struct stage_slot *slots = userdata;
        const struct stage_slot *x = &slots[*(const uint32_t *) a], *y = &slots[*(const uint32_t *) b];

        return key_cmp(x->key, x->key_len, y->key, y->key_len);
}

static void log_conflict(const Store *s, const struct stage_slot *slot) {
        struct neigh_key key;
        char a[IN_ADDR_STRLEN];

        if (neigh_key_decode_v1(slot->key, slot->key_len, &key) < 0)
                return;
        log_debug("Store %s: %s %s was changed by another writer since it was read; dropping this %s.", s->path,
                  key.ifname, in_addr_to_string(key.family, &key.addr, a), slot->deleted ? "delete" : "update");
}

/* Writes the staged changes whose key still holds the committed value they were decided on;
 * the others are dropped and counted in *conflicts. */
static int apply_staged(Store *s, MDB_txn *txn, size_t *conflicts) {
        *conflicts = 0;
        for (size_t i = 0; i < s->n_staged; i++) {
                struct stage_slot *slot = &s->slots[s->order[i]];
                MDB_val cur;
                int rc;

                rc = table_get(s, txn, false, slot->key, slot->key_len, &cur);
                if (rc != 0 && rc != MDB_NOTFOUND)
                        return rc;
                if (!stage_base_matches(slot, rc == 0 ? &cur : NULL)) {
                        log_conflict(s, slot);
                        (*conflicts)++;
                        continue;
                }
                if (slot->deleted)
                        rc = rc == 0 ? table_del(s, txn, slot->key, slot->key_len, &cur) : 0;
                else
                        rc = table_put(s, txn, slot->key, slot->key_len, slot->value, slot->value_len,
                                       rc == 0 ? &cur : NULL);
                if (rc != 0)
                        return rc;
        }
        return 0;
}

/* At the map size limit: evicts from the interfaces of the staged changes only, from each
 * max(its staged changes, its entries / 8) << round entries. */
static int evict_for_room(Store *s, MDB_txn *txn, int round, size_t *evicted) {
        int rc = 0;

        s->n_grown = 0;
        for (size_t i = 0; rc == 0 && i < s->n_staged; i++)
                rc = note_growth(s, s->slots[s->order[i]].key); /* here: staged changes per interface */
        for (size_t i = 0; rc == 0 && i < s->n_grown; i++) {
                uint64_t n = 0;

                rc = meta_read_u64(txn, s->e->dbi_meta, META_COUNT_PREFIX, s->grown[i].ifname, &n);
                if (rc == 0)
                        rc = evict_iface(s, txn, s->grown[i].ifname,
                                         MAX(MIN(n, MAX(s->grown[i].n, n / 4) << round) >> s->room_shrink, (size_t) 1),
                                         true, evicted);
        }
        s->n_grown = 0;
        return rc;
}

/* One write transaction. round < 0: the staged changes plus the bounds. round >= 0: only evict,
 * to make room after MDB_MAP_FULL (evict_for_room()). */
static int store_write(Store *s, int round, size_t *evicted, size_t *conflicts) {
        MDB_txn *txn = NULL;
        int rc;

        *evicted = *conflicts = 0;
        rc = env_txn_begin(s->e, 0, &txn);
        if (rc != 0)
                return rc;
        s->e->writing = true;
        s->n_grown = 0;
        s->index_touched = 0;
        if (round < 0) {
                rc = apply_staged(s, txn, conflicts);
                if (rc == 0)
                        rc = history_apply_staged(s, txn);
                if (rc == 0)
                        rc = enforce_limits(s, txn, evicted);
        } else
                rc = evict_for_room(s, txn, round, evicted);
        if (rc == 0)
                rc = commit_checked(&s->e->checked, s->e->env, txn);
        else
                mdb_txn_abort(txn);
        s->e->writing = false;
        if (rc == 0) {
                s->counters.commits++;
                s->counters.evicted += *evicted;
                s->counters.conflicts += *conflicts;
                s->counters.evict_seeks += s->index_touched;
        } else
                *evicted = *conflicts = 0;
        return rc;
}

int store_flush(Store *s) {
        size_t n, evicted, conflicts = 0, room = 0;
        int rc;

        if (!s)
                return -EINVAL;
        if (s->read_only)
                return -EROFS;
        if (s->n_staged == 0)
                return 0;
        if (s->e->writing)
                return -EBUSY; /* LMDB has one writer per process; ours is busy */
        rc = writer_lock(s);
        if (rc < 0)
                return rc; /* -EAGAIN (write_nowait): another arpd writes; nothing is dropped */

        n = s->n_staged;
        qsort_r(s->order, n, sizeof(uint32_t), order_cmp, s->slots); /* sorted puts touch fewer pages */
        store_snapshot_reset(s); /* pin no old pages while writing */

        rc = store_write(s, -1, &evicted, &conflicts);
        if (rc == MDB_MAP_FULL) {
                s->counters.map_full++;
                /* Grow (doubling) and retry, as long as the limit allows. */
                while (rc == MDB_MAP_FULL && env_grow(s->e, s->path) == 0)
                        rc = store_write(s, -1, &evicted, &conflicts);
                /* At the size limit: make room by eviction in transactions of their own (pages freed
                 * by a commit are only reusable by later ones), then try again. */
                for (int round = 0, shrink = 0; rc == MDB_MAP_FULL && round < STORE_MAP_FULL_ROUNDS; round++) {
                        size_t e = 0, c;

                        env_reset_snapshots(s->e);
                        s->room_shrink = 0;
                        rc = store_write(s, round, &e, &c);
                        /* the eviction itself needs pages (copies of the ones it changes): if even
                         * that does not fit, evict less at a time */
                        while (rc == MDB_MAP_FULL && shrink++ < 8) {
                                s->room_shrink++;
                                rc = store_write(s, round, &e, &c);
                        }
                        room += e;
                        if (rc == 0 && e == 0) {
                                rc = MDB_MAP_FULL; /* nothing left to evict */
                                break;
                        }
                        if (rc == 0)
                                rc = store_write(s, -1, &evicted, &conflicts);
                        else if (rc != MDB_MAP_FULL)
                                break;
                }
                if (room > 0) {
                        /* Warn once per handle: at the limit this repeats on every flush. */
                        log_full_errno(s->warned_full ? LOG_DEBUG : LOG_WARNING, 0,
                                       "Store %s is full at its size limit: evicted %zu entries to make room.",
                                       s->path, room);
                        s->warned_full = true;
                }
        }
        writer_unlock(s);
        stage_clear(s); /* the snapshot stays ended: the next read takes a fresh one, and an idle
                         * daemon pins nothing after its last commit */
        if (rc != 0)
                return store_errno(rc);
        return (int) (n - conflicts);
}

int store_sync(Store *s) {
        if (!s)
                return -EINVAL;
        if (s->read_only)
                return 0; /* nothing of ours to write */
        return store_errno(mdb_env_sync(s->e->env, 1));
}

/* ---- bounds ------------------------------------------------------------------------------------ */

static int ifname16_make(const char *ifname, uint8_t out[IFNAMSIZ]) {
        size_t n = ifname ? strnlen(ifname, IFNAMSIZ) : 0;

        if (n == 0 || n >= IFNAMSIZ)
                return -EINVAL;
        memset(out, 0, IFNAMSIZ);
        memcpy(out, ifname, n);
        return 0;
}

int store_get_limits(Store *s, struct store_limits *ret) {
        MDB_txn *txn = NULL;
        int rc;

        if (!s || !ret)
                return -EINVAL;
        rc = env_txn_begin(s->e, MDB_RDONLY, &txn);
        if (rc != 0)
                return store_errno(rc);
        rc = read_limits(s, txn, ret);
        mdb_txn_abort(txn);
        return store_errno(rc);
}

static int cut_to_total(Store *s, MDB_txn *txn, uint64_t total, size_t *evicted);

struct store_limits store_limits_merge(const struct store_limits *cur, const struct store_limits *want) {
        uint64_t total = want->max_entries > 0 ? want->max_entries : cur->max_entries;
        /* a per-interface bound equal to the total (none of its own) follows the total */
        uint64_t per = want->max_per_iface > 0                  ? want->max_per_iface
                       : cur->max_per_iface == cur->max_entries ? total
                                                                : cur->max_per_iface;

        return (struct store_limits) { .max_entries = total, .max_per_iface = MIN(per, total) };
}

int store_set_limits(Store *s, const struct store_limits *l) {
        size_t plen = strlen(META_COUNT_PREFIX), evicted = 0;
        uint8_t kb[32 + IFNAMSIZ];
        struct store_limits cur;
        MDB_cursor *c = NULL;
        MDB_txn *txn = NULL;
        MDB_val k, v;
        int rc, r;

        if (!s || !l)
                return -EINVAL;
        if (s->read_only)
                return -EROFS;
        if (s->e->writing)
                return -EBUSY;
        r = store_flush(s);
        if (r < 0)
                return r;
        store_snapshot_reset(s);
        r = writer_lock(s);
        if (r < 0)
                return r;
        rc = env_txn_begin(s->e, 0, &txn);
        if (rc != 0) {
                writer_unlock(s);
                return store_errno(rc);
        }
        s->e->writing = true;
        s->index_touched = 0;
        rc = read_limits(s, txn, &cur);
        if (rc == 0) {
                cur = store_limits_merge(&cur, l);
                rc = meta_write_u64(txn, s->e->dbi_meta, META_LIMIT_TOTAL, NULL, cur.max_entries);
        }
        if (rc == 0)
                rc = meta_write_u64(txn, s->e->dbi_meta, META_LIMIT_IFACE, NULL, cur.max_per_iface);
        /* every interface over the new bound, from its own entries */
        if (rc == 0)
                rc = mdb_cursor_open(txn, s->e->dbi_meta, &c);
        k = (MDB_val) { plen, (void *) META_COUNT_PREFIX };
        for (MDB_cursor_op op = MDB_SET_RANGE; rc == 0; op = MDB_NEXT) {
                uint8_t name[IFNAMSIZ] = {};
                uint64_t n;

                rc = mdb_cursor_get(c, &k, &v, op);
                if (rc != 0 || k.mv_size <= plen || k.mv_size - plen >= IFNAMSIZ ||
                    memcmp(k.mv_data, META_COUNT_PREFIX, plen) != 0)
                        break;
                n = get_u64(&v);
                if (n <= cur.max_per_iface)
                        continue;
                memcpy(name, (const uint8_t *) k.mv_data + plen, k.mv_size - plen);
                mdb_cursor_close(c); /* evicting rewrites the meta table under the cursor */
                c = NULL;
                rc = evict_iface(s, txn, name, n - cur.max_per_iface, false, &evicted);
                if (rc == 0)
                        rc = mdb_cursor_open(txn, s->e->dbi_meta, &c);
                k = (MDB_val) { meta_key(kb, META_COUNT_PREFIX, name), kb };
                op = MDB_SET_RANGE; /* and on from this one (now within its bound) */
                if (rc == 0)
                        rc = mdb_cursor_get(c, &k, &v, op);
        }
        if (c)
                mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND)
                rc = 0;
        if (rc == 0)
                rc = cut_to_total(s, txn, cur.max_entries, &evicted);
        if (rc == 0)
                rc = commit_checked(&s->e->checked, s->e->env, txn);
        else
                mdb_txn_abort(txn);
        s->e->writing = false;
        writer_unlock(s);
        if (rc != 0)
                return store_errno(rc);
        s->counters.commits++;
        s->counters.evicted += evicted;
        s->counters.evict_seeks += s->index_touched;
        return (int) MIN(evicted, (size_t) INT32_MAX);
}

int store_iface_info(Store *s, const char *ifname, struct store_iface_info *ret) {
        uint8_t name[IFNAMSIZ];
        MDB_txn *txn = NULL;
        int rc, r;

        if (!s || !ret)
                return -EINVAL;
        r = ifname16_make(ifname, name);
        if (r < 0)
                return r;
        rc = env_txn_begin(s->e, MDB_RDONLY, &txn);
        if (rc != 0)
                return store_errno(rc);
        rc = meta_read_u64(txn, s->e->dbi_meta, META_COUNT_PREFIX, name, &ret->entries);
        if (rc == 0)
                rc = meta_read_u64(txn, s->e->dbi_meta, META_EVICTED_PREFIX, name, &ret->evicted);
        mdb_txn_abort(txn);
        return store_errno(rc);
}

struct iface_row {
        char name[IFNAMSIZ];
        struct store_iface_info info;
};

/* Adds the interfaces named by the meta keys "PREFIX<name>" to rows (kept in name order), with
 * their value as entries (count:) or evicted (evicted:). */
static int collect_ifaces(MDB_txn *txn, MDB_dbi meta, const char *prefix, bool evicted, struct iface_row **rows,
                          size_t *n) {
        size_t plen = strlen(prefix);
        MDB_cursor *c = NULL;
        MDB_val k = { plen, (void *) prefix }, v;
        int rc;

        rc = mdb_cursor_open(txn, meta, &c);
        for (MDB_cursor_op op = MDB_SET_RANGE; rc == 0; op = MDB_NEXT) {
                char name[IFNAMSIZ] = {};
                size_t i;

                rc = mdb_cursor_get(c, &k, &v, op);
                if (rc != 0 || k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
                        break;
                if (k.mv_size == plen || k.mv_size - plen >= IFNAMSIZ || v.mv_size != 8)
                        continue; /* not a per-interface key we wrote */
                memcpy(name, (const uint8_t *) k.mv_data + plen, k.mv_size - plen);
                for (i = 0; i < *n && strcmp((*rows)[i].name, name) < 0; i++)
                        ;
                if (i == *n || strcmp((*rows)[i].name, name) != 0) {
                        struct iface_row *nr = realloc(*rows, (*n + 1) * sizeof(**rows));
                        if (!nr) {
                                mdb_cursor_close(c);
                                return ENOMEM;
                        }
                        *rows = nr;
                        memmove(nr + i + 1, nr + i, (*n - i) * sizeof(*nr));
                        nr[i] = (struct iface_row) {};
                        memcpy(nr[i].name, name, sizeof(name));
                        (*n)++;
                }
                if (evicted)
                        (*rows)[i].info.evicted = get_u64(&v);
                else
                        (*rows)[i].info.entries = get_u64(&v);
        }
        if (c)
                mdb_cursor_close(c);
        return rc == MDB_NOTFOUND ? 0 : rc;
}

static uint64_t capped_sum(const struct iface_row *rows, size_t n, uint64_t level) {
        uint64_t sum = 0;

        for (size_t i = 0; i < n; i++)
                sum += MIN(rows[i].info.entries, level);
        return sum;
}

/* store_set_limits() with a total below the entries stored: the interfaces with the most entries
 * are cut first, each from its own entries, down to one common level (the highest that fits;
 * what is left over goes one entry each to the first of them in name order), so the smaller
 * ones keep theirs. Statics stay, so the store may stay above the bound. */
static int cut_to_total(Store *s, MDB_txn *txn, uint64_t total, size_t *evicted) {
        _cleanup_free_ struct iface_row *rows = NULL;
        uint64_t sum = 0, lo = 0, hi = 0, slack;
        size_t n = 0;
        int rc;

        rc = collect_ifaces(txn, s->e->dbi_meta, META_COUNT_PREFIX, false, &rows, &n);
        if (rc != 0)
                return rc;
        for (size_t i = 0; i < n; i++) {
                sum += rows[i].info.entries;
                hi = MAX(hi, rows[i].info.entries);
        }
        if (sum <= total)
                return 0;
        while (lo < hi) {
                uint64_t mid = lo + (hi - lo + 1) / 2;

                if (capped_sum(rows, n, mid) <= total)
                        lo = mid;
                else
                        hi = mid - 1;
        }
        slack = total - capped_sum(rows, n, lo);
        for (size_t i = 0; i < n && rc == 0; i++) {
                uint64_t keep = lo;

                if (rows[i].info.entries <= lo)
                        continue;
                if (slack > 0) {
                        keep++;
                        slack--;
                }
                if (rows[i].info.entries > keep)
                        rc = evict_iface(s, txn, (const uint8_t *) rows[i].name, rows[i].info.entries - keep, false, evicted);
        }
        return rc;
}

int store_foreach_iface(Store *s, store_iface_cb_t cb, void *userdata) {
        _cleanup_free_ struct iface_row *rows = NULL;
        MDB_txn *txn = NULL;
        size_t n = 0;
        int rc, r = 0;

        if (!s || !cb)
                return -EINVAL;
        rc = env_txn_begin(s->e, MDB_RDONLY, &txn);
        if (rc != 0)
                return store_errno(rc);
        rc = collect_ifaces(txn, s->e->dbi_meta, META_COUNT_PREFIX, false, &rows, &n);
        if (rc == 0)
                rc = collect_ifaces(txn, s->e->dbi_meta, META_EVICTED_PREFIX, true, &rows, &n);
        mdb_txn_abort(txn);
        if (rc != 0)
                return rc == ENOMEM ? -ENOMEM : store_errno(rc);
        for (size_t i = 0; i < n && r == 0; i++)
                r = cb(rows[i].name, &rows[i].info, userdata);
        return r;
}

/* ---- iteration ------------------------------------------------------------------------------- */

static int family_key_byte(int family) {
        return family == AF_INET ? 4 : family == AF_INET6 ? 6 : -1;
}

static void warn_bad_value(const Store *s, const struct neigh_key *key, int r) {
        char a[IN_ADDR_STRLEN];

        log_warning_errno(r, "Store %s: skipping the record for %s %s, which this arpd cannot read: %m", s->path,
                          key->ifname, in_addr_to_string(key->family, &key->addr, a));
}

int store_foreach(Store *s, const char *ifname, int family, store_foreach_t cb, void *userdata) {
        return store_foreach_after(s, ifname, family, NULL, cb, userdata);
}

struct list_item {
        struct neigh_key key;
        struct record rec;
};

/* Where a listing stands: interfaces in name order (from the meta table's "ifid:" keys), in
 * each its keys in order; resumed by the in-memory key, so that it survives transactions. */
struct list_pos {
        uint8_t name[IFNAMSIZ]; /* the interface being listed */
        bool have_name;
        bool single;            /* only that one (ifname given) */
        int fb;                 /* family key byte, 0 = both */
        uint8_t at[KEY_V1_MAX_SIZE];
        size_t at_len;          /* 0: not started in this interface */
        bool after_at;          /* resume strictly after at (else at it or after) */
        bool skip_name;         /* start with the interface after name */
        bool done;
};

/* The first interface name after name16 (NULL: the first of all) that has an id. 0 or
 * MDB_NOTFOUND. */
static int next_ifname(Store *s, MDB_txn *txn, const uint8_t *name16, uint8_t out[IFNAMSIZ]) {
        size_t plen = strlen(META_IFID_PREFIX);
        uint8_t kb[32 + IFNAMSIZ];
        MDB_val k = { meta_key(kb, META_IFID_PREFIX, name16), kb }, v;
        MDB_cursor *c = NULL;
        int rc = mdb_cursor_open(txn, s->e->dbi_meta, &c);

        if (rc != 0)
                return rc;
        size_t want = k.mv_size;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc == 0 && name16 && k.mv_size == want && memcmp(k.mv_data, kb, want) == 0)
                rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
        while (rc == 0) {
                if (k.mv_size <= plen || memcmp(k.mv_data, META_IFID_PREFIX, plen) != 0) {
                        rc = MDB_NOTFOUND;
                        break;
                }
                /* A name of 1..15 bytes without a NUL: anything else (a damaged or forged meta
                 * table) is not an interface, and would not lead past itself. */
                /* ... and, where a damaged page puts keys out of order, after name16: names only
                 * ever increase, so the walk ends. */
                if (k.mv_size - plen < IFNAMSIZ && !memchr((const uint8_t *) k.mv_data + plen, 0, k.mv_size - plen) &&
                    (!name16 || key_cmp(k.mv_data, k.mv_size, kb, want) > 0)) {
                        memset(out, 0, IFNAMSIZ);
                        memcpy(out, (const uint8_t *) k.mv_data + plen, k.mv_size - plen);
                        break;
                }
                rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
        }
        mdb_cursor_close(c);
        return rc;
}

/* Lists pos's interface from where it stands; *iface_done when it has no more. */
static int list_iface(Store *s, MDB_txn *txn, MDB_cursor *c, struct list_pos *pos, struct list_item *items, size_t max,
                      size_t *n, bool *iface_done) {
        uint8_t pre[4 + 1], seek[KEY_MAX_SIZE];
        uint32_t id, kid;
        MDB_cursor_op op = MDB_SET_RANGE;
        MDB_val k, v;
        size_t plen;
        int rc, pl;

        *iface_done = false;
        rc = ifid_lookup(s->e, txn, true, pos->name, false, &id);
        if (rc == MDB_NOTFOUND) {
                *iface_done = true;
                return 0;
        }
        if (rc != 0)
                return rc;
        pl = ifid_encode(id, pre);
        if (pl < 0)
                return MDB_CORRUPTED;
        plen = (size_t) pl;
        if (pos->fb > 0)
                pre[plen++] = (uint8_t) pos->fb;
        if (pos->at_len > 0) {
                size_t dl;
                rc = key_to_disk(s->e, txn, true, pos->at, pos->at_len, false, seek, &dl);
                if (rc != 0)
                        return rc;
                k = (MDB_val) { dl, seek };
        } else
                k = (MDB_val) { plen, pre };

        while (*n < max) {
                struct list_item *it = &items[*n];

                rc = mdb_cursor_get(c, &k, &v, op);
                op = MDB_NEXT;
                if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size < plen || memcmp(k.mv_data, pre, plen) != 0))) {
                        *iface_done = true; /* past this interface (and family) */
                        return 0;
                }
                if (rc != 0)
                        return rc;
                if (neigh_key_decode(k.mv_data, k.mv_size, &kid, &it->key) < 0 || kid != id) {
                        s->counters.bad_records++;
                        log_warning("Store %s: skipping an entry with a malformed key (%zu bytes).", s->path,
                                    k.mv_size);
                        continue;
                }
                memcpy(it->key.ifname, pos->name, IFNAMSIZ);
                {
                        uint8_t lk[KEY_V1_MAX_SIZE];
                        int ll = neigh_key_encode_v1(&it->key, lk, sizeof(lk));

                        if (ll < 0)
                                continue;
                        /* Strictly after: also where a damaged page puts keys out of order, so
                         * that a listing always ends (each key it lists is greater than the last). */
                        if (pos->after_at && key_cmp(lk, (size_t) ll, pos->at, pos->at_len) <= 0)
                                continue;
                        /* From here on this key counts as seen. */
                        memcpy(pos->at, lk, (size_t) ll);
                        pos->at_len = (size_t) ll;
                        pos->after_at = true;
                }
                int r = decode_counted(s, &v, &it->rec);
                if (r < 0) {
                        warn_bad_value(s, &it->key, r);
                        continue;
                }
                (*n)++;
        }
        return 0;
}

/* Collects up to max records from pos on, in one short read transaction, into items. */
static int list_chunk(Store *s, struct list_pos *pos, struct list_item *items, size_t max, size_t *n) {
        MDB_cursor *c = NULL;
        MDB_txn *txn = NULL;
        int rc;

        *n = 0;
        rc = env_txn_begin(s->e, MDB_RDONLY, &txn);
        if (rc != 0)
                return rc;
        rc = mdb_cursor_open(txn, s->e->dbi_neigh, &c);
        if (rc != 0) {
                mdb_txn_abort(txn);
                return rc;
        }
        s->e->n_iterating++;

        if (!pos->have_name) {
                rc = next_ifname(s, txn, NULL, pos->name);
                if (rc == MDB_NOTFOUND) {
                        rc = 0;
                        pos->done = true;
                }
                pos->have_name = rc == 0 && !pos->done;
        }
        while (rc == 0 && !pos->done && *n < max) {
                bool iface_done = pos->skip_name;

                pos->skip_name = false;
                if (!iface_done)
                        rc = list_iface(s, txn, c, pos, items, max, n, &iface_done);
                if (rc != 0 || !iface_done)
                        break;
                if (pos->single) {
                        pos->done = true;
                        break;
                }
                rc = next_ifname(s, txn, pos->name, pos->name);
                if (rc == MDB_NOTFOUND) {
                        rc = 0;
                        pos->done = true;
                }
                pos->at_len = 0;
                pos->after_at = false;
        }
        mdb_cursor_close(c);
        mdb_txn_abort(txn);
        s->e->n_iterating--;
        return rc;
}

int store_foreach_after(Store *s, const char *ifname, int family, const struct neigh_key *after,
                        store_foreach_t cb, void *userdata) {
        _cleanup_free_ struct list_item *items = NULL;
        struct list_pos pos = {};
        int rc, r = 0;

        if (!s || !cb)
                return -EINVAL;
        if (family != 0) {
                pos.fb = family_key_byte(family);
                if (pos.fb < 0)
                        return -EINVAL;
        }
        if (ifname) {
                size_t n = strnlen(ifname, IFNAMSIZ);
                if (n == 0 || n >= IFNAMSIZ)
                        return -EINVAL;
                memcpy(pos.name, ifname, n);
                pos.have_name = pos.single = true;
        }
        if (after) {
                uint8_t lk[KEY_V1_MAX_SIZE];
                int len = neigh_key_encode_v1(after, lk, sizeof(lk));

                if (len > 0) {
                        int c = memcmp(lk, pos.name, IFNAMSIZ);

                        if (!pos.single || c == 0) {
                                /* resume in after's interface (its family, if that one is listed) */
                                bool before_range = pos.fb > 0 && lk[IFNAMSIZ] < pos.fb;
                                bool past_range = pos.fb > 0 && lk[IFNAMSIZ] > pos.fb;

                                memcpy(pos.name, lk, IFNAMSIZ);
                                pos.have_name = true;
                                if (past_range && pos.single)
                                        pos.done = true;
                                else if (past_range)
                                        pos.skip_name = true; /* nothing left in this one */
                                else if (!before_range) {
                                        memcpy(pos.at, lk, (size_t) len);
                                        pos.at_len = (size_t) len;
                                        pos.after_at = true;
                                }
                        } else if (c > 0)
                                pos.done = true; /* after the one interface listed */
                }
        }
        items = malloc(STORE_LIST_CHUNK * sizeof(struct list_item));
        if (!items)
                return -ENOMEM;

        /* Each chunk in a read transaction of its own, ended before the callbacks run: a slow
         * consumer pins no pages, and a callback may use the store. */
        while (r == 0 && !pos.done) {
                size_t n;

                rc = list_chunk(s, &pos, items, STORE_LIST_CHUNK, &n);
                if (rc != 0)
                        return store_errno(rc);
                for (size_t i = 0; i < n && r == 0; i++)
                        r = cb(&items[i].key, &items[i].rec, userdata);
        }
        return r;
}

/* ---- explicit transactions ------------------------------------------------------------------- */

int store_txn_begin(Store *s, StoreTxn **ret) {
        StoreTxn *t;
        int rc;

        if (!s || !ret)
                return -EINVAL;
        if (s->read_only)
                return -EROFS;
        if (s->e->writing)
                return -EBUSY;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        rc = writer_lock(s);
        if (rc < 0) {
                free(t);
                return rc;
        }
        rc = env_txn_begin(s->e, 0, &t->txn);
        if (rc != 0) {
                writer_unlock(s);
                free(t);
                return store_errno(rc);
        }
        t->s = s;
        s->txn = t;
        s->e->writing = true;
        s->n_grown = 0;
        s->index_touched = 0;
        *ret = t;
        return 0;
}

/* Remembers the first error: after it LMDB only allows the transaction to be aborted. */
static int txn_fail(StoreTxn *t, int rc) {
        if (rc == MDB_MAP_FULL)
                t->s->counters.map_full++;
        if (t->error == 0)
                t->error = rc;
        return store_errno(rc);
}

static int txn_check(StoreTxn *t) {
        if (!t)
                return -EINVAL;
        if (!t->s)
                return -ESTALE; /* the store was freed */
        if (t->error != 0)
                return store_errno(t->error);
        return 0;
}

/* table_put() of a new record whose key lies past the table's last one (StoreTxn.append):
 * MDB_KEYEXIST, with nothing written, for a key that does not. */
static int txn_append(StoreTxn *t, const uint8_t *lkey, size_t llen, const uint8_t *value, size_t vlen) {
        Store *s = t->s;
        uint8_t dk[KEY_MAX_SIZE], nk[NEG_KEY_MAX];
        MDB_val v = { vlen, (void *) value }, e = { 0, NULL };
        size_t dl, nl;
        int rc;

        rc = key_to_disk(s->e, t->txn, false, lkey, llen, true, dk, &dl);
        if (rc == 0 && !t->append)
                rc = mdb_cursor_open(t->txn, s->e->dbi_neigh, &t->append);
        if (rc != 0)
                return rc;
        MDB_val k = { dl, dk };
        rc = mdb_cursor_put(t->append, &k, &v, MDB_APPEND);
        if (rc == 0 && (nl = neg_key(dk, dl, &v, nk)) > 0) {
                MDB_val nkv = { nl, nk };
                rc = mdb_put(t->txn, s->e->dbi_neg, &nkv, &e, 0);
        }
        if (rc == 0)
                rc = note_growth_uncounted(s, lkey, true);
        return rc;
}

int store_txn_put(StoreTxn *t, const struct neigh_key *k, const struct record *r) {
        uint8_t key[KEY_V1_MAX_SIZE], value[RECORD_MAX_SIZE];
        MDB_val vv;
        int klen, q, rc;

        q = txn_check(t);
        if (q < 0)
                return q;
        if (!k || !r)
                return -EINVAL;
        klen = neigh_key_encode_v1(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        q = record_encode(r, value, sizeof(value));
        if (q < 0)
                return q;
        if (!t->no_append) {
                rc = txn_append(t, key, (size_t) klen, value, (size_t) q);
                if (rc != MDB_KEYEXIST)
                        return rc == 0 ? 0 : txn_fail(t, rc);
                t->no_append = true;
        }
        rc = table_get(t->s, t->txn, false, key, (size_t) klen, &vv);
        if (rc == 0 || rc == MDB_NOTFOUND)
                rc = table_put(t->s, t->txn, key, (size_t) klen, value, (size_t) q, rc == 0 ? &vv : NULL);
        return rc == 0 ? 0 : txn_fail(t, rc);
}

int store_txn_delete(StoreTxn *t, const struct neigh_key *k) {
        uint8_t key[KEY_V1_MAX_SIZE];
        MDB_val vv;
        int klen, q, rc;

        q = txn_check(t);
        if (q < 0)
                return q;
        if (!k)
                return -EINVAL;
        klen = neigh_key_encode_v1(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        rc = table_get(t->s, t->txn, false, key, (size_t) klen, &vv);
        if (rc == MDB_NOTFOUND)
                return -ENOENT;
        if (rc == 0)
                rc = table_del(t->s, t->txn, key, (size_t) klen, &vv);
        return rc == 0 ? 0 : txn_fail(t, rc);
}

int store_txn_get(StoreTxn *t, const struct neigh_key *k, struct record *ret) {
        uint8_t key[KEY_V1_MAX_SIZE];
        MDB_val vv;
        int klen, q, rc;

        q = txn_check(t);
        if (q < 0)
                return q;
        if (!k)
                return -EINVAL;
        klen = neigh_key_encode_v1(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        rc = table_get(t->s, t->txn, false, key, (size_t) klen, &vv);
        if (rc != 0)
                return rc == MDB_NOTFOUND ? -ENOENT : txn_fail(t, rc);
        return decode_counted(t->s, &vv, ret);
}

/* Ends t's LMDB transaction (committing if asked and possible) and frees t. */
static int txn_end(StoreTxn *t, bool commit) {
        Store *s = t->s;
        size_t evicted = 0;
        int rc = t->error;

        if (s) {
                if (t->append)
                        mdb_cursor_close(TAKE_PTR(t->append));
                if (commit && rc == 0)
                        rc = enforce_limits(s, t->txn, &evicted);
                if (commit && rc == 0)
                        rc = commit_checked(&s->e->checked, s->e->env, t->txn);
                else
                        mdb_txn_abort(t->txn);
                s->txn = NULL;
                s->e->writing = false;
                writer_unlock(s);
                if (commit && rc == 0) {
                        s->counters.commits++;
                        s->counters.evicted += evicted;
                        s->counters.evict_seeks += s->index_touched;
                }
                if (rc == MDB_MAP_FULL)
                        (void) env_grow(s->e, s->path); /* so that a retry may fit */
                store_snapshot_reset(s); /* the next store_get() sees this commit */
        } else if (commit)
                rc = ESTALE;
        free(t);
        return commit ? store_errno(rc) : 0;
}

int store_txn_commit(StoreTxn *t) {
        if (!t)
                return -EINVAL;
        return txn_end(t, true);
}

void store_txn_abort(StoreTxn *t) {
        if (t)
                (void) txn_end(t, false);
}

/* ---- MAC history ------------------------------------------------------------------------------
 * The "history" table holds station.h's encoded history of an address that has had more than one
 * MAC, keyed by the neighbour key (neigh_key_encode(), as the "entries" table). It is written only in
 * the write transaction of store_flush(), after the staged records, and only for a key whose
 * committed record then exists and holds the history's newest MAC (else the staged history is
 * dropped: its record changed or went away meanwhile); its stamp is the first_seen of that
 * committed record. A row is deleted with its record (table_del(), evict_iface()). The table is
 * created by the first writable open of this version (store.h, "Format guard"); a read-only
 * handle on a store without it reads no histories. */

static int history_table_open(MDB_txn *txn, bool read_only, MDB_dbi *ret, bool *present) {
        int rc = mdb_dbi_open(txn, HISTORY_DB, read_only ? 0 : MDB_CREATE, ret);

        *present = rc == 0;
        if (rc == MDB_NOTFOUND && read_only)
                return 0;
        return rc;
}

static struct history_slot *history_lookup(const Store *s, const uint8_t *key, size_t len, size_t *ret_pos) {
        size_t mask = STAGE_SLOTS - 1, pos;

        if (!s->hist.index)
                return NULL;
        for (pos = hash_bytes(key, len) & mask;; pos = (pos + 1) & mask) {
                uint32_t v = s->hist.index[pos];

                if (v == 0) {
                        if (ret_pos)
                                *ret_pos = pos;
                        return NULL;
                }
                struct history_slot *slot = &s->hist.slots[v - 1];
                if (slot->key_len == len && memcmp(slot->key, key, len) == 0)
                        return slot;
        }
}

static void history_stage_clear(Store *s) {
        if (s->hist.n > 0)
                memset(s->hist.index, 0, STAGE_SLOTS * sizeof(uint32_t));
        s->hist.n = 0;
}

int store_stage_history(Store *s, const struct neigh_key *k, const struct station_history *h) {
        uint8_t key[KEY_V1_MAX_SIZE];
        struct history_slot *slot;
        size_t pos = 0;
        int klen;

        if (!s || !k || !h || h->n < 2 || h->n > STATION_HISTORY_MAX)
                return -EINVAL;
        if (s->read_only)
                return -EROFS;
        if (!s->e->has_history)
                return -EOPNOTSUPP;
        klen = neigh_key_encode_v1(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        if (!s->hist.slots) {
                s->hist.slots = calloc(STORE_STAGE_MAX, sizeof(*s->hist.slots));
                s->hist.index = calloc(STAGE_SLOTS, sizeof(uint32_t));
                if (!s->hist.slots || !s->hist.index)
                        return -ENOMEM;
        }
        slot = history_lookup(s, key, (size_t) klen, &pos);
        if (!slot) {
                if (s->hist.n >= STORE_STAGE_MAX)
                        return -ENOBUFS; /* more histories than records staged: a caller's bug */
                slot = &s->hist.slots[s->hist.n];
                s->hist.index[pos] = (uint32_t) ++s->hist.n;
                slot->key_len = (uint8_t) klen;
                memcpy(slot->key, key, (size_t) klen);
        }
        slot->h = *h;
        return 0;
}

int store_history_get(Store *s, const struct neigh_key *k, struct station_history *ret) {
        uint8_t key[KEY_V1_MAX_SIZE], dk[KEY_MAX_SIZE];
        size_t dl;
        struct history_slot *slot;
        MDB_val kv, vv;
        int klen, rc, r;

        if (!s || !k || !ret)
                return -EINVAL;
        klen = neigh_key_encode_v1(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        slot = history_lookup(s, key, (size_t) klen, NULL);
        if (slot) {
                *ret = slot->h;
                return 0;
        }
        if (!s->e->has_history)
                return -ENOENT;
        rc = store_snapshot(s);
        if (rc != 0)
                return store_errno(rc);
        rc = key_to_disk(s->e, s->rtxn, true, key, (size_t) klen, false, dk, &dl);
        if (rc == 0) {
                kv = (MDB_val) { dl, dk };
                rc = mdb_get(s->rtxn, s->e->dbi_history, &kv, &vv);
        }
        if (rc != 0)
                return store_errno(rc);
        r = station_history_decode(vv.mv_data, vv.mv_size, ret);
        if (r < 0)
                s->counters.bad_records++;
        return r;
}

static int history_apply_staged(Store *s, MDB_txn *txn) {
        for (size_t i = 0; i < s->hist.n; i++) {
                struct history_slot *slot = &s->hist.slots[i];
                uint8_t dk[KEY_MAX_SIZE];
                size_t dl = 0;
                MDB_val k, cur;
                uint8_t buf[STATION_HISTORY_ENCODED_MAX];
                struct station_history h = slot->h;
                struct record rec;
                int rc, n;

                rc = table_get(s, txn, false, slot->key, slot->key_len, &cur);
                if (rc == MDB_NOTFOUND)
                        continue;
                if (rc == 0)
                        rc = key_to_disk(s->e, txn, false, slot->key, slot->key_len, false, dk, &dl);
                k = (MDB_val) { dl, dk };
                if (rc != 0)
                        return rc;
                if (record_decode(cur.mv_data, cur.mv_size, &rec) < 0 || !lladdr_equal(&rec.lladdr, &h.mac[0].lladdr))
                        continue;
                h.stamp = rec.first_seen;
                n = station_history_encode(&h, buf, sizeof(buf));
                if (n < 0)
                        continue;
                MDB_val v = { (size_t) n, buf };
                rc = mdb_put(txn, s->e->dbi_history, &k, &v, 0);
                if (rc != 0)
                        return rc;
        }
        return 0;
}

static int history_del(Store *s, MDB_txn *txn, const uint8_t *key, size_t klen) {
        MDB_val k = { klen, (void *) key };
        int rc;

        if (!s->e->has_history)
                return 0;
        rc = mdb_del(txn, s->e->dbi_history, &k, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
}
