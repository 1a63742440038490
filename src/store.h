/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The persistent neighbour store: one LMDB environment (a single file plus its "-lock" file,
 * MDB_NOSUBDIR), shared by every arpd process and by readers such as arpctl. LMDB gives one
 * writer at a time across processes and readers that never block.
 *
 * Durability: the environment is opened MDB_NOSYNC, so a commit reaches the page cache (a SIGKILL
 * loses nothing committed) and store_sync() makes it durable (the daemon calls it every -p
 * seconds and on HUP/exit). A crash of the machine (power cut) may lose the commits since the last
 * store_sync() and may leave the file damaged (LMDB writes its meta page without ordering it after
 * the data pages): that is found at the next open (Damage), and a writer with recover_damaged
 * starts over with an empty store, so the interface is never left without its daemon; static
 * entries must then be loaded again. durable_commits (MDB_NOMETASYNC) instead flushes the data
 * pages at every commit, so a crash loses at most the last commits and never damages the file;
 * it costs one fdatasync per commit: 4-20x fewer commits per second at the daemon's batch sizes
 * on an ext4 virtual disk (bench/store-sync.sh), a stall the event loop cannot take while it
 * commits itself, so the daemon does not use it yet.
 *
 * The daemon's hot path never opens a write transaction per packet: it stages changes
 * (store_stage_put/delete, kept in a bounded in-memory overlay that store_get() consults first, so
 * an answer never waits for a commit) and store_flush() applies them all in one transaction.
 * Bulk loads use the explicit transaction API (all or nothing).
 *
 * Lost updates: a staged change was decided on the handle's read snapshot (store_get(), then
 * store_stage_*()). When a key is first staged, the store remembers the committed value the
 * snapshot held for it (or that there was none); store_flush() re-reads the key inside its write
 * transaction and writes the change only if that is still the committed value. If another writer
 * (another process, another handle, an explicit transaction) changed or deleted the record
 * meanwhile, the staged change is dropped and counted in conflicts: a newer record is never
 * overwritten, a deleted one never comes back. So call store_refresh() before deciding, not
 * between deciding and staging. The explicit transactions need no such check: they read and
 * write under the write lock.
 *
 * Bounds: the store records two bounds in its meta table, set when it is created (from the
 * options; defaults STORE_DEFAULT_MAX_ENTRIES in total and the same per interface, so that one
 * interface may use the whole store as before) or by store_set_limits(), and every writer
 * honours them whatever its own options say. When a commit leaves an interface with more
 * entries than the per-interface bound, that interface's own entries are evicted down to it;
 * when it leaves the store above the total bound, the excess is evicted from the interfaces that
 * gained entries in that commit, each at most by its own gain. So eviction never crosses
 * interfaces: a flood on one cannot evict another's entries (a full store can only make the
 * flooding interface replace its own). Within an interface the order is: negative entries first,
 * oldest negative window (neg_since) first -- expired ones therefore go first -- exactly: a small
 * index table ("neg", keyed by interface id, neg_since, family and address) holds the negative
 * records only, kept exact by every write in the same transaction. Then positive entries, least
 * recently seen (last_seen) first, approximately (there is no index of them: a per-record
 * index cost 40 of format 2's 147 bytes per entry): an interface of at most STORE_EVICT_EXACT
 * entries is read whole and the order is exact; a bigger one is sampled: each eviction reads
 * STORE_EVICT_SAMPLES random places of the interface's key range (uniform over its addresses of
 * each family; a place that lands behind a gap much wider than the mean spacing of the
 * addresses is drawn again, up to 3 times) and 4 records from each, keeps the 16 least recently
 * seen it met in that commit and evicts the least recently seen of those (equal times: the
 * lowest key, as the format-2 index ordered them). With evenly spread
 * addresses the evicted entry is then about as old as the oldest 1/30 of the interface (the unit
 * test measures a mean age rank of 5 % of 1,000); an entry written by the same commit goes only
 * if the samples found nothing older. Static entries and values this version cannot read are
 * never evicted (so statics alone may exceed a bound; sampling that finds nothing evictable
 * stops evicting for that commit). Each evicted entry costs a bounded number of B-tree
 * operations (STORE_EVICT_READS_MAX reads, one delete, two count updates), never a scan and
 * independent of the store's size; store_counters.evict_seeks counts the reads, beside
 * per-interface entry counts in the meta table. Each interface's evictions are also counted in
 * the store (store_iface_info()), by every writer. MDB_MAP_FULL grows the map (doubling from
 * 1 GiB up to 16 GiB, or the test-only options below), retrying once after each growth; at the
 * limit, store_flush() evicts from the interfaces of its staged changes in transactions of
 * their own (per interface max(staged, entries / 4), doubling, at most 4 rounds, halved while
 * the eviction itself does not fit; these evictions stay done) and retries, else fails with
 * -ENOSPC. Those evictions take negatives first, then runs of neighbouring keys from a random
 * place (scattered deletions would copy more pages than a full map has): not by age. It never
 * crashes and never loses or damages what was committed before otherwise.
 *
 * Interface ids: records are keyed by a small number for the interface name (record.h), not the
 * name. The meta table maps "ifid:NAME" to the id and "ifname:ID" back; the first write of a
 * name hands out "ifid-next" (1, 2, ...). A mapping is never changed or removed and ids are
 * never reused, so a cached mapping never goes stale and a key never changes its interface.
 * Listings walk the names in order (the "ifid:" keys) and each name's key range, so they still
 * come in name order.
 *
 * Space: a format-3 store loaded in key order (arpd -f, an upgrade) fills its pages: 45 bytes
 * per IPv4 entry on disk for 44 of LMDB leaf node (8-byte node header, 6-byte key, 27-byte
 * value, 1 of padding, a 2-byte slot) -- 97 % of each 4 KiB page is payload. Entries written in
 * random order split pages at random places and leave them about 2/3 full (1,000,000 shuffled
 * lines: 65 bytes per entry).
 *
 * Readers: LMDB keeps every page a read transaction may see until it ends, so no read
 * transaction lives long: store_get() reads a snapshot the caller renews with store_refresh() and
 * ends with store_release() when it goes idle; listings (store_foreach*) read STORE_LIST_CHUNK
 * records per transaction and resume by key, so a slow consumer (a pager) pins nothing; counts
 * are one short transaction. A process killed while it held a slot leaves it behind, pinning its
 * snapshot: store_open() and store_reader_check() clear such slots. A store file has
 * STORE_MAX_READERS slots (the first process to open it sets the size of its lock file): each
 * handle uses at most one for its snapshot plus one per listing or count in progress, so 1024
 * covers 128 daemon instances (3 each) and 600 concurrent readers such as arpctl --database and
 * arpd -l (1 each) with room to spare; MDB_READERS_FULL is -EUSERS.
 *
 * Handles: any number of Store handles, in any number of processes, may open the same file. Within
 * one process they share one LMDB environment (LMDB forbids opening it twice per process); a
 * handle opened read-only first makes a later writable open of the same file fail with -EBUSY.
 * LMDB allows one write transaction per process: while a StoreTxn is open, store_flush() and
 * store_txn_begin() on any handle of that file in this process return -EBUSY. Not thread-safe.
 * A handle inherited over fork() must not be used (or freed) in the child: open a new one.
 *
 * Format guard: a "meta" sub-database holds the store format version. A store written by a newer
 * format, a file that is not LMDB, or a corrupt one fails store_open() with a message that names
 * the file and what to do; it is never overwritten. Format 2 added the "lru" index, the counts
 * and the bounds. Format 3 (this one) keys records by interface id and stores record version 2
 * in the "entries" table, with the "neg" index instead of "lru" (a format-2 store of 1,000,000
 * entries: 147 bytes per entry on disk; format 3: 45). A writable open of a format-1 or -2
 * store upgrades it in one write transaction, all or nothing (a crash or kill during it leaves
 * the old store as it was, and the next writable open starts again): every record of "neigh" is
 * rewritten into "entries" (values this version cannot read are kept as they are; malformed
 * keys are dropped and counted in the log line), the counts are rebuilt, the options' bounds are
 * recorded where there are none, "neigh" and "lru" are deleted, and one log line says what was
 * done. Its memory grows with the store: LMDB keeps the transaction's dirty pages in memory,
 * about the size of the new table (1,000,000 entries: 44 MiB RssAnon at the peak, 0.2-3 s), and
 * spills them to the file only past 512 MiB of them. The file keeps its size (the old tables'
 * pages are free for later writes; LMDB never shrinks a file): mdb_copy -c of a stopped store
 * compacts it. Stop older arpd processes first: they refuse format 3 (an
 * arpd of format 2 says the store has a newer format). A read-only open of a format-1 or -2
 * store fails with -EPROTONOSUPPORT and a message saying how to upgrade it (it does not write).
 * The "history" table (MAC history, station.h) was added to format 2 without a format bump;
 * format 3 keeps it as "histories", keyed like the records (the upgrade re-keys the rows of a
 * format-2 "history" table and drops it). It is optional: a writable open creates it when
 * missing; a reader without it reads no histories. A writer that deletes or evicts records
 * without their history rows leaves stale rows: the stamp (the first_seen of the record it
 * belonged to) makes every reader ignore such a row (a record learned again gets a new
 * first_seen); it is replaced when that address gets a second MAC again, or deleted with its
 * record.
 *
 * Damage: the first open of a file in a process checks its structure (a read-only map of its
 * whole pages, lmdb-check.h) before LMDB maps any page but the two meta pages (lmdb-check.h: every page in use, inside the file and
 * well-formed), because LMDB itself trusts its pages: a file cut short or random bytes over a page
 * would make it crash (SIGBUS, SIGSEGV, abort) instead of returning an error. The check costs one
 * read of the file's pages in use (about 5 ms for 1,000,000 entries, 45 MB, from the page
 * cache). A
 * damaged file (an LMDB file that fails the check, or zeros where its meta pages belong; also an
 * arpd store whose format record is broken, or MDB_CORRUPTED / MDB_PAGE_NOTFOUND while it is
 * opened) fails with -EBADMSG and is left alone, unless the options say recover_damaged (and not
 * read_only): then it is renamed, with its lock file, to "PATH.damaged-YYYYmmddTHHMMSSZ" (a
 * suffix -2, -3, ... if that exists), one ARPD_MESSAGE_STORE_MOVED_ASIDE journal entry names both
 * paths and the reason, and a new empty store is created at PATH. Writers that start together
 * serialise this on a lock of the directory; a process that still has the old file open keeps
 * using it until it restarts. A file that is not an LMDB file at all, another program's LMDB
 * file or a newer store format is never moved: it is not ours to judge. Damage that appears
 * while a store is open (a page LMDB reports as MDB_CORRUPTED or MDB_PAGE_NOTFOUND) makes the
 * operations that meet it fail with -EBADMSG; the next recovering open deals with it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "record.h"
#include "station.h"

typedef struct Store Store;
typedef struct StoreTxn StoreTxn;

#define STORE_FORMAT_VERSION 3
#define STORE_DEFAULT_MAX_ENTRIES 1000000
/* The range an operator may set either bound to (arpd --max-entries / --max-per-interface,
 * arpctl set-limits); store_set_limits() itself takes any value > 0. */
#define STORE_LIMIT_MIN 100ULL
#define STORE_LIMIT_MAX 100000000ULL
#define STORE_STAGE_MAX 4096
#define STORE_LIST_CHUNK 256   /* records per read transaction of a listing (Readers) */
#define STORE_MAX_READERS 1024 /* LMDB reader slots of a store file (Readers) */
#define STORE_EVICT_SAMPLES 8    /* random records read per evicted positive (Bounds) */
#define STORE_EVICT_EXACT 32     /* an interface with at most this many entries is read whole (Bounds) */
/* Most records eviction reads per evicted entry (Bounds): each sample up to 4 seeks (redrawn
 * behind a gap) and one to wrap around, then 3 steps; twice the samples for a commit's first
 * eviction of an interface, and its key range (6 reads) once. */
#define STORE_EVICT_READS_MAX (STORE_EVICT_SAMPLES * 8 * 2 + 6)

struct store_options {
        bool read_only;      /* MDB_RDONLY; the file must exist */
        /* With read_only: if the "-lock" file cannot be opened for writing (EACCES, EPERM: a reader
         * without write access, e.g. an unprivileged user reading arpd's store), open with MDB_NOLOCK
         * instead of failing. Such a reader takes no reader slot, so a writer committing meanwhile
         * may reuse pages it reads: meant for reading a store no process is writing (arpctl when
         * no arpd runs). */
        bool read_unlocked_if_denied;
        /* Never wait for another arpd process's write transaction: store_flush() (also the one a
         * full overlay triggers in store_stage_put()), store_set_limits() and store_txn_begin()
         * return -EAGAIN while one is open, and store_flush() keeps the staged changes for a
         * later try. Every arpd writer announces its write transactions with flock(LOCK_EX) on
         * the store file; a writer that does not (mdb_load, another LMDB program) can still make
         * this one wait. */
        bool write_nowait;
        bool recover_damaged; /* writers: move a damaged file aside and start a new one (Damage) */
        bool durable_commits; /* MDB_NOMETASYNC instead of MDB_NOSYNC (Durability); effective for
                               * the first handle of a file in the process */
        /* The bounds recorded when this open creates the store or upgrades a format-1 one (an
         * existing store keeps its own, see Bounds): 0 = STORE_DEFAULT_MAX_ENTRIES in total, and
         * per interface the total. */
        size_t max_entries;
        size_t max_per_iface;
        usec_t negative_timeout; /* unused since format 2 (negatives go first, oldest first) */
        /* Tests only (0 = defaults): the initial map size (default 1 GiB) and the limit it may grow
         * to (default 16 GiB). Effective for the first handle of a file in the process. */
        size_t initial_map_size;
        size_t max_map_size;
};

struct store_counters {
        uint64_t commits;
        uint64_t evicted;
        uint64_t map_full;       /* MDB_MAP_FULL events handled */
        uint64_t bad_records;    /* undecodable or unknown-version values met */
        uint64_t conflicts;      /* staged changes dropped: the record changed since (Lost updates) */
        uint64_t stale_readers;  /* reader slots of dead processes cleared (Readers) */
        uint64_t evict_seeks;    /* index entries eviction read: one per evicted entry, plus
                                  * any stale ones (Bounds) */
};

/* Opens (creating it and its parent directories, mode 0755, if needed, unless read_only) the store
 * at path. Errors are logged with the path and advice; returns -ENOENT (read_only and missing or
 * empty), -EACCES, -EPROTONOSUPPORT (newer format), -EBADMSG (damaged, not LMDB, or an LMDB file
 * that is not an arpd store), -EBUSY (see Handles) or another negative errno. A file refused with
 * -EPROTONOSUPPORT or -EBADMSG is not modified (LMDB may create its "<path>-lock" file); with
 * recover_damaged a damaged one is moved aside instead and the open succeeds (Damage). */
int store_open(const char *path, const struct store_options *opts, Store **ret);
/* Aborts any open transaction and closes; staged but unflushed changes are lost (call
 * store_flush() first). An open StoreTxn is aborted but its handle must still be ended with
 * store_txn_commit() (which then returns -ESTALE) or store_txn_abort(). Accepts NULL. Returns NULL. */
Store *store_free(Store *s);
const char *store_path(const Store *s);
const struct store_counters *store_get_counters(const Store *s);

/* Makes the next store_get() see everything committed so far (by any process): it ends the
 * snapshot, and the next read takes a fresh one (so nothing is held until then). Cheap. */
int store_refresh(Store *s);
/* Ends the read snapshot, so it pins no pages while the caller is idle; the next store_get() (or
 * store_stage_*()) takes a fresh one. The daemon calls it at the end of each wakeup: never
 * between a store_get() and the store_stage_*() decided on it (Lost updates). Cheap. */
void store_release(Store *s);
/* Clears the reader slots of processes that died holding one (mdb_reader_check; store_open()
 * does it too). Returns how many were cleared (also counted in stale_readers) or a negative errno.
 * Cheap (one pass over the slot table); the daemon calls it periodically. */
int store_reader_check(Store *s);
/* Looks k up: staged changes first, then the read snapshot. 0 found, -ENOENT, -EPROTONOSUPPORT
 * or -EBADMSG for a value this version cannot read (counted in bad_records). ret may be NULL. */
int store_get(Store *s, const struct neigh_key *k, struct record *ret);

/* Stage a change; if the overlay is full (STORE_STAGE_MAX) it is flushed first, and if that flush
 * fails its error is returned and this change is not staged either. -EROFS on a read-only store. */
int store_stage_put(Store *s, const struct neigh_key *k, const struct record *r);
int store_stage_delete(Store *s, const struct neigh_key *k);
size_t store_staged(const Store *s);
/* Applies all staged changes in one write transaction (plus eviction) and ends the read
 * snapshot (the next store_get() reads a fresh one, which sees the commit). Changes whose record
 * another writer changed since are dropped (Lost updates). Returns the number of changes written
 * (>= 0; staged minus conflicts) or a negative errno, in which case the staged changes are dropped
 * and the store is unchanged (what was committed before stays; only evictions made to get room at
 * the map size limit are kept). -EROFS, -EBUSY (see Handles); -EAGAIN (write_nowait: another
 * arpd process is writing), with the staged changes kept. */
int store_flush(Store *s);
/* mdb_env_sync(force). 0 on a read-only store (nothing to write). */
int store_sync(Store *s);
/* Number of committed records (all interfaces, both families; staged changes not included). */
int store_count(Store *s, size_t *ret);

struct store_limits {
        uint64_t max_entries;   /* total */
        uint64_t max_per_iface; /* each interface */
};
/* The bounds recorded in the store (defaults for a format-1 store opened read-only). */
int store_get_limits(Store *s, struct store_limits *ret);
/* Records new bounds (a 0 field keeps its value, except that a per-interface bound equal to the
 * total follows a new total; max_per_iface is capped at max_entries) and cuts every interface
 * down to the per-interface bound now, each from its own entries; if the store still holds more
 * than the total, the interfaces with the most entries are cut to one common level, each from
 * its own entries, until it fits (the smaller ones keep theirs; statics stay). Flushes the
 * staged changes first.
 * Returns the number of entries evicted (>= 0), -EROFS, -EBUSY (see Handles), -EINVAL. */
int store_set_limits(Store *s, const struct store_limits *l);
/* The bounds store_set_limits(s, want) records in a store whose bounds are cur (the rule above):
 * a caller that finds them equal to cur has nothing to write. */
struct store_limits store_limits_merge(const struct store_limits *cur, const struct store_limits *want);

struct store_iface_info {
        uint64_t entries; /* committed records of the interface, all states */
        uint64_t evicted; /* evicted from it since the store was created (every writer) */
};
/* The counts the store keeps for ifname (zeros for an interface it never saw, and for every one
 * in a format-1 store opened read-only). */
int store_iface_info(Store *s, const char *ifname, struct store_iface_info *ret);

/* Calls cb once for every interface the store keeps counts for (one that has or had entries
 * since format 2: a count or an eviction recorded), in name order, from one short read
 * transaction that ends before the first call. cb returns 0 to continue, > 0 to stop (returned),
 * < 0 to abort (returned). 0 on a format-1 store opened read-only (it keeps no counts). */
typedef int (*store_iface_cb_t)(const char *ifname, const struct store_iface_info *info, void *userdata);
int store_foreach_iface(Store *s, store_iface_cb_t cb, void *userdata);

/* Iterates in key order over what is committed. ifname NULL = all interfaces; family 0 = both.
 * The records are read in chunks of STORE_LIST_CHUNK, each in a short read transaction of its
 * own that ends before the callback sees them (Readers): a record is listed at most once, in
 * strictly increasing key order, as it was when its chunk was read; records changed by others
 * during a long listing may show their old or new state, and one added behind the cursor is not
 * listed. The callback may use the store (even write). It returns 0 to continue, > 0 to stop
 * early (returned), < 0 to abort (returned). Values that cannot be decoded are skipped and
 * counted, with one warning naming the key. */
typedef int (*store_foreach_t)(const struct neigh_key *k, const struct record *r, void *userdata);
int store_foreach(Store *s, const char *ifname, int family, store_foreach_t cb, void *userdata);
/* The same, starting strictly after the key after (NULL: from the start of the range), for paged
 * listings that resume where the previous page ended. */
int store_foreach_after(Store *s, const char *ifname, int family, const struct neigh_key *after,
                        store_foreach_t cb, void *userdata);

/* Per-address MAC history (station.h), in a table of its own ("history"). Stage a history beside
 * the store_stage_put() of its record (after it): store_flush() writes it in the same transaction,
 * only if the committed record then holds the history's newest MAC, stamped with that record's
 * first_seen (station.h). A history row is deleted with its record (delete, flush, eviction).
 * -EINVAL (fewer than 2 MACs), -EROFS, -EOPNOTSUPP (no history table: cannot happen on a writable
 * handle). */
int store_stage_history(Store *s, const struct neigh_key *k, const struct station_history *h);
/* The stored history of k as staged or in the read snapshot (like store_get()): 0, -ENOENT (none:
 * the address never had a second MAC, or the store has no history table), -EPROTONOSUPPORT or
 * -EBADMSG for a row this version cannot read. Pass it to station_history_view() with the record:
 * the row may be stale (its stamp tells). */
int store_history_get(Store *s, const struct neigh_key *k, struct station_history *ret);

/* Explicit write transaction, for all-or-nothing bulk changes (arpd -f, arpctl load). It sees its
 * own changes, not the staged overlay. After an error other than -ENOENT (e.g. -ENOSPC when the map
 * is full: it is grown for a retry) every later call fails and commit aborts, storing nothing.
 * The commit enforces max_entries like store_flush(). -EROFS, -EBUSY (see Handles).
 * Puts in key order are cheap: while each key lies past the last one of the table (a load in
 * arpd -l's order, or a new store filled interface by interface in rising addresses), it is
 * appended without a search or a read of an old record, and the interface counts are added at
 * the commit; from the first key that does not, every put of the transaction searches. */
int store_txn_begin(Store *s, StoreTxn **ret);
int store_txn_put(StoreTxn *t, const struct neigh_key *k, const struct record *r);
int store_txn_delete(StoreTxn *t, const struct neigh_key *k); /* 0 or -ENOENT */
int store_txn_get(StoreTxn *t, const struct neigh_key *k, struct record *ret);
int store_txn_commit(StoreTxn *t); /* frees t in every case */
void store_txn_abort(StoreTxn *t); /* frees t; accepts NULL */

DEFINE_TRIVIAL_CLEANUP_FUNC(Store *, store_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(StoreTxn *, store_txn_abort);
