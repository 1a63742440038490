/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The changes an operator makes to the store: add a static entry, delete an entry, flush the
 * entries a filter selects, load parsed entries. One implementation, used by the daemon's control
 * endpoint (through the manager), by arpctl on a store file (--database) and by "arpd -f", so the
 * rules are the same online and offline. Also the rules for what an operator may assert
 * (entry_key_parse(), entry_lladdr_parse()), with messages that name what is wrong.
 *
 * Transactions: add and delete are one write transaction each; an array load (entry_load()) is
 * one transaction (all or nothing); a streamed load (EntryLoad, below) checks a file whole and
 * then writes it in chunks, a pipe in one transaction; a flush runs in transactions of at most
 * ENTRY_FLUSH_CHUNK deletions, resuming by key after each, so memory and the time the write lock
 * is held stay bounded whatever the store's size (a flush that fails midway keeps the chunks
 * already committed and says how many).
 *
 * Reports: after a commit, the observer (may be NULL) is told each change (old: what was stored,
 * NULL if nothing; new: what is stored now, NULL if deleted) for at most limit changes per call;
 * the rest are counted and reported once through folded(). Old records are only looked up when
 * an observer is given.
 *
 * Errors: negative errno; -EINVAL for a value that is not a valid entry, -ENOENT for a delete of
 * an absent key, the store's errors otherwise (store.h). Nothing is logged here.
 */

#include <stdbool.h>
#include <stdint.h>

#include "entry-format.h"
#include "loadfile.h"
#include "record.h"
#include "store.h"

#define ENTRY_FLUSH_CHUNK 4096

struct entry_observer {
        void (*changed)(const struct neigh_key *k, const struct record *old, const struct record *new,
                        void *userdata);
        void (*folded)(uint64_t n, void *userdata); /* may be NULL */
        void *userdata;
        uint64_t limit; /* 0: no limit */
};

/* What an operator may assert (add, load), one rule for the endpoint, arpctl and arpd -f:
 *   - the interface name is one the kernel allows (ifname-util.h);
 *   - the address can be a neighbour: not unspecified (0.0.0.0/8, ::), loopback (127/8, ::1),
 *     multicast (224/4, ff00::/8), broadcast or reserved (240/4, 255.255.255.255) or IPv4-mapped
 *     (the addresses arpd never learns from the wire either: addr-util's *_is_bogus_sender());
 *   - the link-layer address is unicast, not all zero, and exactly as long as the link's
 *     addresses: link_len when the caller knows the link (a running arpd does), else 6 (Ethernet;
 *     ENTRY_LLADDR_DEFAULT_LEN).
 * Every reason is static text naming what is wrong. */
#define ENTRY_LLADDR_DEFAULT_LEN 6

/* ifname and address as an operator typed them to name an entry (show, delete: also one stored
 * before these rules). 0, or -EINVAL with *reason (may be NULL). */
int entry_key_parse(const char *ifname, const char *address, struct neigh_key *ret, const char **reason);
/* The same for an entry to assert (add): also entry_address_check(). */
int entry_static_key_parse(const char *ifname, const char *address, struct neigh_key *ret, const char **reason);
/* 0, or -EINVAL with *reason, for an address no neighbour can have. */
int entry_address_check(int family, const union in_addr_union *a, const char **reason);
/* A link-layer address for a static entry: hex octets, link_len of them (0: unknown link, 6).
 * 0 or -EINVAL with *reason. */
int entry_lladdr_parse(const char *s, size_t link_len, struct lladdr *ret, const char **reason);
/* The same rule for a parsed address. */
int entry_lladdr_check(const struct lladdr *ll, size_t link_len, const char **reason);
/* Checks every entry of a parsed load by these rules before anything is stored. link_len (may be
 * NULL: every link unknown) gives an interface's address length, 0 if unknown. 0, or -EINVAL
 * with err (errlen bytes) saying "name:line: reason". */
int entry_load_check(const struct load_list *l, const char *name, size_t (*link_len)(const char *ifname, void *userdata),
                     void *userdata, char *err, size_t errlen);

/* Stores a static entry (source "control") for k; first_seen is kept from an earlier record. */
int entry_add_static(Store *s, const struct neigh_key *k, const struct lladdr *ll, usec_t now_rt,
                     const struct entry_observer *o);
/* 0 or -ENOENT. */
int entry_delete(Store *s, const struct neigh_key *k, const struct entry_observer *o);
/* Deletes every entry f matches; *ret_count (may be NULL) is the number deleted, also on error. */
int entry_flush(Store *s, const struct entry_filter *f, const struct entry_observer *o, uint64_t *ret_count);
/* Stores n parsed entries in one transaction, with source "load", first_seen = last_seen = now_rt;
 * negative ones with neg_since = now_rt - age (clamped to 1). Every entry must name its interface
 * (resolve ifindexes first: loadfile_read() does) and have an address entry_address_check()
 * accepts and a link-layer address that is unicast and not zero (its length is
 * entry_load_check()'s business, which knows the links). Returns n, or a negative errno and
 * stores nothing; *ret_failed (may be NULL) is the index of the entry that failed, if one did. */
int entry_load(Store *s, const struct load_entry *entries, size_t n, usec_t now_rt, const struct entry_observer *o,
               size_t *ret_failed);

/* The store's bounds (store.h, Bounds), as arpctl set-limits, the SetLimits method and arpd's
 * --max-entries / --max-per-interface change them: want's fields 0 = keep (a per-interface bound
 * equal to the total follows a new total), others STORE_LIMIT_MIN..STORE_LIMIT_MAX (-EINVAL
 * otherwise; a per-interface bound above the total is capped at it). Each interface above the
 * new per-interface bound is cut down to it now, from its own entries in eviction order; a total
 * bound below the current count cuts the largest interfaces first, to one common level
 * (store_set_limits()). *before and *after (may be NULL) get
 * the bounds before and after, *evicted (may be NULL) the entries evicted. */
int entry_set_limits(Store *s, const struct store_limits *want, struct store_limits *before, struct store_limits *after,
                     uint64_t *evicted);

/* ---- a load as a stream (arpd -f, arpctl load, the endpoint's LoadFd) ------------------------
 *
 * Nothing of the input is kept in memory but the LoadReader's buffer, and no error in the input
 * stores anything:
 *   - a rewindable input (a regular file, load_reader_can_rewind()) is read twice: a first pass
 *     checks every line (the parser's rules, then entry_load_check()'s) and writes nothing; the
 *     second writes in transactions of ENTRY_LOAD_CHUNK entries, so LMDB's dirty pages, and the
 *     time this process holds the write lock at once, stay bounded too. Should the store fail
 *     during the second pass (disk or map full at its limit, an I/O error) or the file change
 *     between the passes, the chunks committed before stay (like a flush's), and the error says
 *     how many entries were stored;
 *   - any other input (a pipe, a terminal) is read once into one transaction: an error anywhere
 *     aborts it, so nothing of the load is stored; memory is LMDB's dirty pages of that
 *     transaction (bounded by the store's bounds and the input, not by a chunk).
 * While a transaction is open this process cannot write the store otherwise (store.h, Handles:
 * store_flush() returns -EBUSY) and other arpd processes wait for the file's write lock. The
 * observer's reports (up to its limit; the rest folded) are given after each commit. */
#define ENTRY_LOAD_CHUNK 65536
typedef struct EntryLoad EntryLoad;
typedef size_t (*entry_link_len_t)(const char *ifname, void *userdata);

/* rd (not owned) stays in use until the load ends. link_len (may be NULL: every link unknown, 6
 * octets) as in entry_load_check(); o (may be NULL) is copied. Nothing is written yet. s may be
 * NULL for a rewindable input: the load then only checks (entry_load_step() returns 0 when every
 * line passed), and entry_load_set_store() lets it go on to write (arpd -f: a refused file creates
 * no store). */
int entry_load_new(Store *s, LoadReader *rd, usec_t now_rt, const struct entry_observer *o, entry_link_len_t link_len,
                   void *userdata, EntryLoad **ret);
/* Does at most max lines' worth of work (0: no limit). Returns 1 if there is more to do, 0 when
 * the load is done (everything committed), -EAGAIN when rd's source has nothing now (call again),
 * or an error, with err (errlen bytes) saying "name:line: reason" or what failed (and, after
 * chunks were committed, how many entries they stored). After an error only entry_load_free()
 * remains. */
int entry_load_step(EntryLoad *l, size_t max, char *err, size_t errlen);
void entry_load_set_store(EntryLoad *l, Store *s);
/* The entries per transaction of the second pass (0: ENTRY_LOAD_CHUNK); a step ends after each
 * commit. */
void entry_load_set_chunk(EntryLoad *l, size_t n);
/* true while the first pass (checking) runs. */
bool entry_load_checking(const EntryLoad *l);
/* Entries written (committed or in the open transaction) and committed so far. */
uint64_t entry_load_written(const EntryLoad *l);
uint64_t entry_load_committed(const EntryLoad *l);
/* Aborts what is not committed; accepts NULL. */
EntryLoad *entry_load_free(EntryLoad *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(EntryLoad *, entry_load_free);

/* The whole input of rd (a blocking source) in the order above: open_store is called when the
 * store is first needed (after the check pass for a rewindable input: a refused file never opens
 * it; at once otherwise) and returns it (the caller keeps and frees it, after this returns);
 * progress (may be NULL) is called every few thousand lines. Returns the number of entries
 * stored, or a negative errno with err saying why ("" if open_store failed: it says why itself);
 * *ret_committed (may be NULL) is how many entries were stored, also on error (only chunks of a
 * file's second pass can have been). */
struct entry_load_io {
        int (*open_store)(Store **ret, void *userdata);
        void (*progress)(const EntryLoad *l, const LoadReader *rd, void *userdata);
        void *userdata;
};
int64_t entry_load_stream(LoadReader *rd, usec_t now_rt, const struct entry_load_io *io, uint64_t *ret_committed,
                          char *err, size_t errlen);
