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
#define NEIGH_DB "neigh"
#define INDEX_DB "lru"
#define HISTORY_DB "history" /* per-address MAC history (station.h), see "MAC history" below */
#define META_FORMAT_KEY "format"
#define META_LIMIT_TOTAL "limit:total"
#define META_LIMIT_IFACE "limit:iface"
#define META_COUNT_PREFIX "count:"
#define META_EVICTED_PREFIX "evicted:"
#define INDEX_KEY_MAX (IFNAMSIZ + 1 + 8 + 1 + 16) /* ifname, class, time, family, address */

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
        uint8_t key[KEY_MAX_SIZE];
        uint8_t value[RECORD_V1_SIZE];
        uint8_t base_value[RECORD_V1_SIZE];
        uint32_t base_len, base_hash;
};

/* Staged MAC histories ("MAC history" at the end of this file): one per key, at most one per
 * staged record, so never more than STORE_STAGE_MAX; index: open addressing over slot + 1. */
struct history_slot {
        uint8_t key_len;
        uint8_t key[KEY_MAX_SIZE];
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
struct StoreEnv {
        StoreEnv *next;
        MDB_env *env;
        MDB_dbi dbi_meta, dbi_neigh, dbi_index; /* dbi_index: format 2, writable handles */
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
        struct stage_slot last_read; /* the key store_get() last read from the snapshot and what it
                                      * found there (key_len 0: none): the base if it is staged next */
        uint32_t *order; /* slot indexes in staging order */
        size_t n_staged;

        /* Interfaces that gained entries in the open write transaction (enforce_limits()). */
        struct grown {
                uint8_t ifname[IFNAMSIZ];
                size_t n;
        } *grown;
        size_t n_grown, n_grown_max;
        uint64_t index_touched; /* index entries eviction read (store_counters.evict_seeks) */

        struct history_stage hist; /* staged MAC histories (MAC history) */

        struct store_counters counters;
};

struct StoreTxn {
        Store *s; /* NULL once the store was freed under it */
        MDB_txn *txn;
        int error; /* first LMDB error: the transaction can only be aborted */
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
static int upgrade_v1(MDB_txn *txn, MDB_dbi meta, MDB_dbi neigh, MDB_dbi index, size_t *indexed);

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

static int env_check_format(struct open_ctx *c, MDB_txn *txn, const char *path, const struct store_options *o,
                            MDB_dbi *meta, MDB_dbi *neigh, MDB_dbi *index) {
        MDB_val k = { strlen(META_FORMAT_KEY), (void *) META_FORMAT_KEY }, v;
        bool read_only = o->read_only;
        uint32_t format;
        size_t indexed = 0;
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
                        return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                                    : log_error_errno(store_errno(rc), "Cannot read store %s: %m", path);
                if (st.ms_entries > 0)
                        return log_not_ours(path, "no \"" META_DB "\" table");
                if (read_only)
                        return log_error_errno(ENOENT, "Store %s is empty: no arpd store was written there yet.", path);

                rc = mdb_dbi_open(txn, META_DB, MDB_CREATE, meta);
                if (rc == 0)
                        rc = mdb_dbi_open(txn, NEIGH_DB, MDB_CREATE, neigh);
                if (rc == 0)
                        rc = mdb_dbi_open(txn, INDEX_DB, MDB_CREATE, index);
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
                return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                            : log_error_errno(store_errno(rc), "Cannot read store %s: %m", path);

        rc = mdb_get(txn, *meta, &k, &v);
        if (rc == MDB_NOTFOUND)
                return log_not_ours(path, "no format version");
        if (rc != 0)
                return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                            : log_error_errno(store_errno(rc), "Cannot read store %s: %m", path);
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

        rc = mdb_dbi_open(txn, NEIGH_DB, 0, neigh);
        if (rc == MDB_NOTFOUND)
                return log_not_ours(path, "no \"" NEIGH_DB "\" table");
        if (rc == MDB_INCOMPATIBLE)
                return log_not_ours(path, "\"" NEIGH_DB "\" is not a table");
        if (rc != 0)
                return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                            : log_error_errno(store_errno(rc), "Cannot read store %s: %m", path);

        if (format >= 2) {
                rc = mdb_dbi_open(txn, INDEX_DB, 0, index);
                if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
                        return log_damaged(c, path, "format 2 without its \"" INDEX_DB "\" index");
                if (rc != 0)
                        return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                                    : log_error_errno(store_errno(rc), "Cannot read store %s: %m", path);
                return 0;
        }
        if (read_only)
                return 0; /* format 1 reads the same; only writers need the index */

        /* Format 1: build the eviction index and the counts, record the bounds (store.h). */
        rc = mdb_dbi_open(txn, INDEX_DB, MDB_CREATE, index);
        if (rc == 0)
                rc = mdb_drop(txn, *index, 0); /* nothing a format-1 writer left behind counts */
        if (rc == 0)
                rc = upgrade_v1(txn, *meta, *neigh, *index, &indexed);
        if (rc == 0)
                rc = write_initial_limits(txn, *meta, o);
        if (rc == 0)
                rc = write_format(txn, *meta);
        if (rc != 0)
                return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                            : log_error_errno(store_errno(rc), "Cannot upgrade store %s: %m", path);
        log_info("Store %s upgraded from format %u to %d: %zu entries indexed for eviction.", path, format,
                 STORE_FORMAT_VERSION, indexed);
        return 0;
}

static void mdb_env_closep(MDB_env **env) {
        if (*env)
                mdb_env_close(*env);
}

/* The structural check of lmdb-check.h, before LMDB reads any page beyond the meta pages: under a
 * read transaction, so that no writer in another process reuses the pages being checked. */
static int env_check_pages(struct open_ctx *c, MDB_env *env, int fd, const char *path) {
        char why[200];
        int r = -ESTALE;

        for (unsigned attempt = 0; r == -ESTALE && attempt < 8; attempt++) {
                MDB_txn *txn = NULL;
                int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);

                if (rc != 0)
                        return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                                    : log_error_errno(store_errno(rc), "Cannot read store %s: %m", path);
                r = lmdb_check_file(fd, mdb_txn_id(txn), why, sizeof(why));
                mdb_txn_abort(txn);
        }
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
        MDB_dbi meta = 0, neigh = 0, index = 0, history = 0;
        bool has_history = false;
        MDB_txn *txn = NULL;
        StoreEnv *e;
        struct stat st;
        bool existed;
        char why[200];
        int rc, r, fd;

        map_initial = MIN(map_initial, map_max);

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
                rc = mdb_env_set_maxdbs(env, 4);
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
                        rc = mdb_env_set_maxdbs(env, 4);
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
                r = env_check_pages(c, env, cfd, path);
                if (r < 0)
                        return r;
        }

        rc = mdb_txn_begin(env, NULL, o->read_only ? MDB_RDONLY : 0, &txn);
        if (rc != 0)
                return rc_is_corruption(rc) ? log_damaged(c, path, mdb_strerror(rc))
                                            : log_error_errno(store_errno(rc), "Cannot read store %s: %m", path);
        r = env_check_format(c, txn, path, o, &meta, &neigh, &index);
        if (r < 0) {
                mdb_txn_abort(txn); /* nothing is written to a file we refuse */
                return r;
        }
        rc = history_table_open(txn, o->read_only, &history, &has_history);
        if (rc != 0) {
                mdb_txn_abort(txn);
                return log_error_errno(store_errno(rc), "Cannot open the history table of store %s: %m", path);
        }
        rc = mdb_txn_commit(txn); /* also makes the DBI handles available to every transaction */
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
                .dbi_meta = meta,
                .dbi_neigh = neigh,
                .dbi_index = index,
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
        mdb_env_close(e->env);
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
        };
        s->path = strdup(path);
        if (!s->path)
                return log_oom();
        if (!o.read_only) {
                s->slots = calloc(STAGE_SLOTS, sizeof(struct stage_slot));
                s->order = calloc(STORE_STAGE_MAX, sizeof(uint32_t));
                if (!s->slots || !s->order)
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
                s->txn->s = NULL;
                s->e->writing = false;
                writer_unlock(s);
        }
        if (s->rtxn)
                mdb_txn_abort(s->rtxn);
        if (s->e)
                env_unref(s->e, s);
        free(s->slots);
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

/* ---- the staged overlay ---------------------------------------------------------------------- */

static uint32_t hash_bytes(const uint8_t *k, size_t n) {
        uint32_t h = 2166136261u; /* FNV-1a */

        for (size_t i = 0; i < n; i++) {
                h ^= k[i];
                h *= 16777619u;
        }
        return h ^ (h >> 16);
}

/* The slot holding key, or the free slot where it belongs (*found tells which). */
static size_t stage_lookup(const Store *s, const uint8_t *key, size_t len, bool *found) {
        size_t i = hash_bytes(key, len) & (STAGE_SLOTS - 1);

        for (;; i = (i + 1) & (STAGE_SLOTS - 1)) {
                const struct stage_slot *slot = &s->slots[i];

                if (slot->key_len == 0) {
                        *found = false;
                        return i;
                }
                if (slot->key_len == len && memcmp(slot->key, key, len) == 0) {
                        *found = true;
                        return i;
                }
        }
}

static void stage_clear(Store *s) {
        for (size_t i = 0; i < s->n_staged; i++)
                s->slots[s->order[i]].key_len = 0;
        s->n_staged = 0;
        history_stage_clear(s);
}

/* Records v (NULL: no record) as slot's base. */
static void stage_set_base(struct stage_slot *slot, const MDB_val *v) {
        if (!v)
                slot->base = BASE_ABSENT;
        else if (v->mv_size == RECORD_V1_SIZE) {
                slot->base = BASE_VALUE;
                memcpy(slot->base_value, v->mv_data, RECORD_V1_SIZE);
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
                return v && v->mv_size == RECORD_V1_SIZE && memcmp(v->mv_data, slot->base_value, RECORD_V1_SIZE) == 0;
        default:
                return v && v->mv_size == slot->base_len && hash_bytes(v->mv_data, v->mv_size) == slot->base_hash;
        }
}

/* Finds or adds the slot for key; flushes first when a new key does not fit. A new slot's base is
 * read from the read snapshot the caller decided on, before that flush renews it. */
static int stage_slot_get(Store *s, const uint8_t *key, size_t len, struct stage_slot **ret) {
        struct stage_slot *slot, base = {};
        MDB_val kv = { len, (void *) key }, vv;
        bool found;
        size_t i;
        int rc;

        i = stage_lookup(s, key, len, &found);
        if (!found && s->last_read.key_len == len && memcmp(s->last_read.key, key, len) == 0)
                base = s->last_read; /* the read the decision was made on: no second lookup */
        else if (!found) {
                rc = store_snapshot(s);
                if (rc == 0)
                        rc = mdb_get(s->rtxn, s->e->dbi_neigh, &kv, &vv);
                if (rc != 0 && rc != MDB_NOTFOUND)
                        return store_errno(rc);
                stage_set_base(&base, rc == 0 ? &vv : NULL);
        }
        if (!found && s->n_staged >= STORE_STAGE_MAX) {
                int r = store_flush(s);
                if (r < 0)
                        return r;
                i = stage_lookup(s, key, len, &found);
        }
        slot = &s->slots[i];
        if (!found) {
                slot->key_len = (uint8_t) len;
                memcpy(slot->key, key, len);
                slot->base = base.base;
                memcpy(slot->base_value, base.base_value, sizeof(base.base_value));
                slot->base_len = base.base_len;
                slot->base_hash = base.base_hash;
                s->order[s->n_staged++] = (uint32_t) i;
        }
        *ret = slot;
        return 0;
}

int store_stage_put(Store *s, const struct neigh_key *k, const struct record *r) {
        uint8_t key[KEY_MAX_SIZE], value[RECORD_V1_SIZE];
        struct stage_slot *slot;
        int klen, q;

        if (!s || !k || !r)
                return -EINVAL;
        if (s->read_only)
                return -EROFS;
        klen = neigh_key_encode(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        q = record_encode(r, value, sizeof(value));
        if (q < 0)
                return q;
        q = stage_slot_get(s, key, (size_t) klen, &slot);
        if (q < 0)
                return q;
        memcpy(slot->value, value, sizeof(value));
        slot->deleted = false;
        return 0;
}

int store_stage_delete(Store *s, const struct neigh_key *k) {
        uint8_t key[KEY_MAX_SIZE];
        struct stage_slot *slot;
        int klen, q;

        if (!s || !k)
                return -EINVAL;
        if (s->read_only)
                return -EROFS;
        klen = neigh_key_encode(k, key, sizeof(key));
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
        uint8_t key[KEY_MAX_SIZE];
        struct record tmp;
        MDB_val kv, vv;
        int klen, rc;

        if (!s || !k)
                return -EINVAL;
        klen = neigh_key_encode(k, key, sizeof(key));
        if (klen < 0)
                return klen;

        if (s->n_staged > 0) {
                bool found;
                size_t i = stage_lookup(s, key, (size_t) klen, &found);

                if (found)
                        return s->slots[i].deleted ? -ENOENT
                                                   : record_decode(s->slots[i].value, RECORD_V1_SIZE, ret ?: &tmp);
        }

        rc = store_snapshot(s);
        if (rc != 0)
                return store_errno(rc);
        kv = (MDB_val) { (size_t) klen, key };
        rc = mdb_get(s->rtxn, s->e->dbi_neigh, &kv, &vv);
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

/* The LRU index key of a record (store.h, "Bounds"): 0 for one that is never evicted (static, or
 * a value this version cannot read). */
static size_t index_key(const uint8_t *key, size_t klen, const MDB_val *v, uint8_t out[INDEX_KEY_MAX]) {
        struct record r;
        uint64_t t;
        size_t n = 0;

        if (klen <= IFNAMSIZ + 1 || klen > KEY_MAX_SIZE || record_decode(v->mv_data, v->mv_size, &r) < 0 ||
            r.state == RECORD_STATIC)
                return 0;
        t = r.state == RECORD_NEGATIVE ? r.neg_since : r.last_seen;
        memcpy(out, key, IFNAMSIZ);
        n = IFNAMSIZ;
        out[n++] = r.state == RECORD_NEGATIVE ? 0 : 1;
        for (int i = 7; i >= 0; i--)
                out[n++] = (uint8_t) (t >> (8 * i)); /* big-endian: oldest first */
        memcpy(out + n, key + IFNAMSIZ, klen - IFNAMSIZ);
        return n + klen - IFNAMSIZ;
}

/* Notes that ifname16 gained an entry in this write transaction (the total bound is enforced
 * on the interfaces that grew). ENOMEM (an LMDB-style code) if it cannot. */
static int note_growth(Store *s, const uint8_t *ifname16) {
        for (size_t i = 0; i < s->n_grown; i++)
                if (memcmp(s->grown[i].ifname, ifname16, IFNAMSIZ) == 0) {
                        s->grown[i].n++;
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
        s->grown[s->n_grown++].n = 1;
        return 0;
}

/* Every write to the neighbour table goes through these two, so the index and the counts stay
 * exact within the same transaction. old is the value the key holds now (NULL: none). */
static int table_put(Store *s, MDB_txn *txn, const uint8_t *key, size_t klen, const uint8_t *value, size_t vlen,
                     const MDB_val *old) {
        uint8_t ik[INDEX_KEY_MAX];
        MDB_val k = { klen, (void *) key }, v = { vlen, (void *) value }, e = { 0, NULL };
        size_t il;
        int rc;

        if (old && (il = index_key(key, klen, old, ik)) > 0) {
                MDB_val ikv = { il, ik };
                rc = mdb_del(txn, s->e->dbi_index, &ikv, NULL);
                if (rc != 0 && rc != MDB_NOTFOUND)
                        return rc;
        }
        rc = mdb_put(txn, s->e->dbi_neigh, &k, &v, 0);
        if (rc == 0 && (il = index_key(key, klen, &v, ik)) > 0) {
                MDB_val ikv = { il, ik };
                rc = mdb_put(txn, s->e->dbi_index, &ikv, &e, 0);
        }
        if (rc == 0 && !old && klen > IFNAMSIZ)
                rc = meta_add(txn, s->e->dbi_meta, META_COUNT_PREFIX, key, 1);
        if (rc == 0 && !old && klen > IFNAMSIZ)
                rc = note_growth(s, key);
        return rc;
}

static int table_del(Store *s, MDB_txn *txn, const uint8_t *key, size_t klen, const MDB_val *old) {
        uint8_t ik[INDEX_KEY_MAX];
        MDB_val k = { klen, (void *) key };
        size_t il = index_key(key, klen, old, ik);
        int rc;

        if (il > 0) {
                MDB_val ikv = { il, ik };
                rc = mdb_del(txn, s->e->dbi_index, &ikv, NULL);
                if (rc != 0 && rc != MDB_NOTFOUND)
                        return rc;
        }
        rc = mdb_del(txn, s->e->dbi_neigh, &k, NULL);
        if (rc == 0 && klen > IFNAMSIZ)
                rc = meta_add(txn, s->e->dbi_meta, META_COUNT_PREFIX, key, -1);
        if (rc == 0)
                rc = history_del(s, txn, key, klen);
        return rc;
}

/* Evicts up to n of ifname16's entries in index order (negative first, then the least recently
 * seen), touching only that interface's index entries. Each costs one seek: no scan. */
static int evict_iface(Store *s, MDB_txn *txn, const uint8_t *ifname16, size_t n, size_t *evicted) {
        MDB_cursor *c = NULL;
        size_t done = 0;
        int rc;

        rc = mdb_cursor_open(txn, s->e->dbi_index, &c);
        if (rc != 0)
                return rc;
        while (done < n) {
                uint8_t key[KEY_MAX_SIZE], ik[INDEX_KEY_MAX];
                MDB_val k = { IFNAMSIZ, (void *) ifname16 }, v, nk, nv;
                size_t klen;

                rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
                if (rc == MDB_NOTFOUND) {
                        rc = 0;
                        break;
                }
                if (rc != 0)
                        break;
                if (k.mv_size <= IFNAMSIZ + 9 || k.mv_size > INDEX_KEY_MAX || memcmp(k.mv_data, ifname16, IFNAMSIZ) != 0)
                        break; /* no more of this interface */
                s->index_touched++;
                /* the neighbour key: the name, then family and address after class and time */
                klen = k.mv_size - 9;
                memcpy(key, k.mv_data, IFNAMSIZ);
                memcpy(key + IFNAMSIZ, (const uint8_t *) k.mv_data + IFNAMSIZ + 9, klen - IFNAMSIZ);
                memcpy(ik, k.mv_data, k.mv_size);
                size_t il = k.mv_size;
                rc = mdb_cursor_del(c, 0);
                if (rc != 0)
                        break;
                nk = (MDB_val) { klen, key };
                rc = mdb_get(txn, s->e->dbi_neigh, &nk, &nv);
                if (rc == MDB_NOTFOUND) {
                        rc = 0;
                        continue; /* a stale index entry: gone with it */
                }
                if (rc != 0)
                        break;
                {
                        uint8_t cur[INDEX_KEY_MAX];
                        if (index_key(key, klen, &nv, cur) != il || memcmp(cur, ik, il) != 0)
                                continue; /* stale: the record moved on (and has its own entry) */
                }
                rc = mdb_del(txn, s->e->dbi_neigh, &nk, NULL);
                if (rc == 0)
                        rc = meta_add(txn, s->e->dbi_meta, META_COUNT_PREFIX, key, -1);
                if (rc == 0)
                        rc = history_del(s, txn, key, klen);
                if (rc != 0)
                        break;
                done++;
        }
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
        rc = read_limits(s, txn, &l);
        for (size_t i = 0; rc == 0 && i < s->n_grown; i++) {
                uint64_t n = 0;
                size_t e = 0;

                rc = meta_read_u64(txn, s->e->dbi_meta, META_COUNT_PREFIX, s->grown[i].ifname, &n);
                if (rc == 0 && n > l.max_per_iface)
                        rc = evict_iface(s, txn, s->grown[i].ifname, n - l.max_per_iface, &e);
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
                rc = evict_iface(s, txn, s->grown[i].ifname, MIN(excess, s->grown[i].n), &e);
                excess -= MIN(excess, e);
                *evicted += e;
        }
        return rc;
}

/* Builds the index and the counts of a format-1 store (they did not exist) in txn. */
static int upgrade_v1(MDB_txn *txn, MDB_dbi meta, MDB_dbi neigh, MDB_dbi index, size_t *indexed) {
        MDB_cursor *c = NULL;
        MDB_val k, v;
        int rc;

        *indexed = 0;
        /* counts a format-2 writer may have left (a store written back to format 1) start over */
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

        rc = mdb_cursor_open(txn, neigh, &c);
        if (rc != 0)
                return rc;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
                uint8_t ik[INDEX_KEY_MAX];
                MDB_val e = { 0, NULL };
                size_t il;
                int q;

                if (k.mv_size <= IFNAMSIZ || k.mv_size > KEY_MAX_SIZE)
                        continue;
                q = meta_add(txn, meta, META_COUNT_PREFIX, k.mv_data, 1);
                il = index_key(k.mv_data, k.mv_size, &v, ik);
                if (q == 0 && il > 0) {
                        MDB_val ikv = { il, ik };
                        q = mdb_put(txn, index, &ikv, &e, 0);
                        (*indexed)++;
                }
                if (q != 0) {
                        rc = q;
                        break;
                }
        }
        mdb_cursor_close(c);
        return rc == MDB_NOTFOUND ? 0 : rc;
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

        if (neigh_key_decode(slot->key, slot->key_len, &key) < 0)
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
                MDB_val k = { slot->key_len, slot->key }, cur;
                int rc;

                rc = mdb_get(txn, s->e->dbi_neigh, &k, &cur);
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
                        rc = table_put(s, txn, slot->key, slot->key_len, slot->value, RECORD_V1_SIZE,
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
                        rc = evict_iface(s, txn, s->grown[i].ifname, MIN(n, MAX(s->grown[i].n, n / 8) << round),
                                         evicted);
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
                rc = mdb_txn_commit(txn);
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
                for (int round = 0; rc == MDB_MAP_FULL && round < STORE_MAP_FULL_ROUNDS; round++) {
                        size_t e = 0, c;

                        env_reset_snapshots(s->e);
                        rc = store_write(s, round, &e, &c);
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
                uint64_t total = l->max_entries > 0 ? l->max_entries : cur.max_entries;
                /* a per-interface bound equal to the total (none of its own) follows the total */
                uint64_t per = l->max_per_iface > 0                  ? l->max_per_iface
                               : cur.max_per_iface == cur.max_entries ? total
                                                                      : cur.max_per_iface;

                cur.max_entries = total;
                cur.max_per_iface = MIN(per, total);
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
                rc = evict_iface(s, txn, name, n - cur.max_per_iface, &evicted);
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
                rc = mdb_txn_commit(txn);
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
                        rc = evict_iface(s, txn, (const uint8_t *) rows[i].name, rows[i].info.entries - keep, evicted);
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

static void warn_bad_value(const Store *s, const MDB_val *k, int r) {
        struct neigh_key key;
        char a[IN_ADDR_STRLEN];

        if (neigh_key_decode(k->mv_data, k->mv_size, &key) < 0)
                return;
        log_warning_errno(r, "Store %s: skipping the record for %s %s, which this arpd cannot read: %m", s->path,
                          key.ifname, in_addr_to_string(key.family, &key.addr, a));
}

int store_foreach(Store *s, const char *ifname, int family, store_foreach_t cb, void *userdata) {
        return store_foreach_after(s, ifname, family, NULL, cb, userdata);
}

struct list_item {
        struct neigh_key key;
        struct record rec;
};

/* The range a listing walks and where it stands: raw key bytes, so that it resumes by key. */
struct list_pos {
        uint8_t prefix[IFNAMSIZ + 1];
        size_t plen;
        int fb;                /* family key byte, 0 = both */
        uint8_t at[KEY_MAX_SIZE];
        size_t at_len;         /* 0: not started */
        bool after_at;         /* resume strictly after at (else at it or after) */
        bool done;
};

/* Collects up to max records from pos on, in one short read transaction, into items. */
static int list_chunk(Store *s, struct list_pos *pos, struct list_item *items, size_t max, size_t *n) {
        uint8_t seek[IFNAMSIZ + 1];
        MDB_cursor *c = NULL;
        MDB_txn *txn = NULL;
        MDB_cursor_op op;
        MDB_val k, v;
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

        if (pos->at_len > 0) {
                k = (MDB_val) { pos->at_len, pos->at };
                op = MDB_SET_RANGE;
        } else {
                k = (MDB_val) { pos->plen, pos->prefix };
                op = pos->plen > 0 ? MDB_SET_RANGE : MDB_FIRST;
        }
        while (*n < max) {
                struct list_item *it = &items[*n];

                rc = mdb_cursor_get(c, &k, &v, op);
                op = MDB_NEXT;
                if (rc == MDB_NOTFOUND) {
                        rc = 0;
                        pos->done = true;
                        break;
                }
                if (rc != 0)
                        break;
                if (pos->plen > 0 && (k.mv_size < pos->plen || memcmp(k.mv_data, pos->prefix, pos->plen) != 0)) {
                        pos->done = true; /* past this interface (and family) */
                        break;
                }
                if (pos->after_at && k.mv_size == pos->at_len && memcmp(k.mv_data, pos->at, k.mv_size) == 0)
                        continue; /* strictly after */
                pos->after_at = false;
                if (pos->plen == 0 && pos->fb > 0 && k.mv_size > IFNAMSIZ) {
                        uint8_t have = ((const uint8_t *) k.mv_data)[IFNAMSIZ];
                        if (have != pos->fb) {
                                /* Jump to the wanted family of this interface, or past it. */
                                memcpy(seek, k.mv_data, IFNAMSIZ);
                                seek[IFNAMSIZ] = have < pos->fb ? (uint8_t) pos->fb : 0xff;
                                k = (MDB_val) { sizeof(seek), seek };
                                op = MDB_SET_RANGE;
                                continue;
                        }
                }
                /* From here on this key counts as seen. */
                pos->at_len = MIN(k.mv_size, sizeof(pos->at));
                memcpy(pos->at, k.mv_data, pos->at_len);
                pos->after_at = true;
                if (neigh_key_decode(k.mv_data, k.mv_size, &it->key) < 0) {
                        s->counters.bad_records++;
                        log_warning("Store %s: skipping an entry with a malformed key (%zu bytes).", s->path,
                                    k.mv_size);
                        continue;
                }
                int r = decode_counted(s, &v, &it->rec);
                if (r < 0) {
                        warn_bad_value(s, &k, r);
                        continue;
                }
                (*n)++;
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
                memcpy(pos.prefix, ifname, n);
                pos.plen = IFNAMSIZ;
                if (pos.fb > 0)
                        pos.prefix[pos.plen++] = (uint8_t) pos.fb;
        }
        if (after) {
                int len = neigh_key_encode(after, pos.at, sizeof(pos.at));
                /* Resume only from a key inside the range; before it, start at the range. */
                if (len > 0 && memcmp(pos.at, pos.prefix, MIN(pos.plen, (size_t) len)) >= 0) {
                        pos.at_len = (size_t) len;
                        pos.after_at = true;
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

int store_txn_put(StoreTxn *t, const struct neigh_key *k, const struct record *r) {
        uint8_t key[KEY_MAX_SIZE], value[RECORD_V1_SIZE];
        MDB_val kv, vv;
        int klen, q, rc;

        q = txn_check(t);
        if (q < 0)
                return q;
        if (!k || !r)
                return -EINVAL;
        klen = neigh_key_encode(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        q = record_encode(r, value, sizeof(value));
        if (q < 0)
                return q;
        kv = (MDB_val) { (size_t) klen, key };
        rc = mdb_get(t->txn, t->s->e->dbi_neigh, &kv, &vv);
        if (rc == 0 || rc == MDB_NOTFOUND)
                rc = table_put(t->s, t->txn, key, (size_t) klen, value, sizeof(value), rc == 0 ? &vv : NULL);
        return rc == 0 ? 0 : txn_fail(t, rc);
}

int store_txn_delete(StoreTxn *t, const struct neigh_key *k) {
        uint8_t key[KEY_MAX_SIZE];
        MDB_val kv, vv;
        int klen, q, rc;

        q = txn_check(t);
        if (q < 0)
                return q;
        if (!k)
                return -EINVAL;
        klen = neigh_key_encode(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        kv = (MDB_val) { (size_t) klen, key };
        rc = mdb_get(t->txn, t->s->e->dbi_neigh, &kv, &vv);
        if (rc == MDB_NOTFOUND)
                return -ENOENT;
        if (rc == 0)
                rc = table_del(t->s, t->txn, key, (size_t) klen, &vv);
        return rc == 0 ? 0 : txn_fail(t, rc);
}

int store_txn_get(StoreTxn *t, const struct neigh_key *k, struct record *ret) {
        uint8_t key[KEY_MAX_SIZE];
        MDB_val kv, vv;
        int klen, q, rc;

        q = txn_check(t);
        if (q < 0)
                return q;
        if (!k)
                return -EINVAL;
        klen = neigh_key_encode(k, key, sizeof(key));
        if (klen < 0)
                return klen;
        kv = (MDB_val) { (size_t) klen, key };
        rc = mdb_get(t->txn, t->s->e->dbi_neigh, &kv, &vv);
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
                if (commit && rc == 0)
                        rc = enforce_limits(s, t->txn, &evicted);
                if (commit && rc == 0)
                        rc = mdb_txn_commit(t->txn);
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
 * MAC, keyed by the neighbour key (neigh_key_encode(), as the "neigh" table). It is written only in
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
        uint8_t key[KEY_MAX_SIZE];
        struct history_slot *slot;
        size_t pos = 0;
        int klen;

        if (!s || !k || !h || h->n < 2 || h->n > STATION_HISTORY_MAX)
                return -EINVAL;
        if (s->read_only)
                return -EROFS;
        if (!s->e->has_history)
                return -EOPNOTSUPP;
        klen = neigh_key_encode(k, key, sizeof(key));
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
        uint8_t key[KEY_MAX_SIZE];
        struct history_slot *slot;
        MDB_val kv, vv;
        int klen, rc, r;

        if (!s || !k || !ret)
                return -EINVAL;
        klen = neigh_key_encode(k, key, sizeof(key));
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
        kv = (MDB_val) { (size_t) klen, key };
        rc = mdb_get(s->rtxn, s->e->dbi_history, &kv, &vv);
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
                MDB_val k = { slot->key_len, slot->key }, cur;
                uint8_t buf[STATION_HISTORY_ENCODED_MAX];
                struct station_history h = slot->h;
                struct record rec;
                int rc, n;

                rc = mdb_get(txn, s->e->dbi_neigh, &k, &cur);
                if (rc == MDB_NOTFOUND)
                        continue;
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
