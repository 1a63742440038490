/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The changes an operator makes to the store: add a static entry, delete an entry, flush the
 * entries a filter selects, load parsed entries. One implementation, used by the daemon's control
 * endpoint (through the manager), by arpctl on a store file (--database) and by "arpd -f", so the
 * rules are the same online and offline. Also the rules for what an operator may assert
 * (entry_key_parse(), entry_lladdr_parse()), with messages that name what is wrong.
 *
 * Transactions: add and delete are one write transaction each; a load is one transaction (all or
 * nothing); a flush runs in transactions of at most ENTRY_FLUSH_CHUNK deletions, resuming by key
 * after each, so memory and the time the write lock is held stay bounded whatever the store's
 * size (a flush that fails midway keeps the chunks already committed and says how many).
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

/* ifname and address as an operator typed them: an interface name (ifname-util.h) and an IPv4 or
 * IPv6 literal. 0, or -EINVAL with *reason (static text, may be NULL) naming the field. */
int entry_key_parse(const char *ifname, const char *address, struct neigh_key *ret, const char **reason);
/* A link-layer address for a static entry: 1..LLADDR_MAX hex octets, not all zero, not multicast
 * or broadcast. 0 or -EINVAL with *reason. */
int entry_lladdr_parse(const char *s, struct lladdr *ret, const char **reason);

/* Stores a static entry (source "control") for k; first_seen is kept from an earlier record. */
int entry_add_static(Store *s, const struct neigh_key *k, const struct lladdr *ll, usec_t now_rt,
                     const struct entry_observer *o);
/* 0 or -ENOENT. */
int entry_delete(Store *s, const struct neigh_key *k, const struct entry_observer *o);
/* Deletes every entry f matches; *ret_count (may be NULL) is the number deleted, also on error. */
int entry_flush(Store *s, const struct entry_filter *f, const struct entry_observer *o, uint64_t *ret_count);
/* Stores n parsed entries in one transaction, with source "load", first_seen = last_seen = now_rt;
 * negative ones with neg_since = now_rt - age (clamped to 1). Every entry must name its interface
 * (resolve ifindexes first: loadfile_read() does). Returns n, or a negative errno and stores
 * nothing; *ret_failed (may be NULL) is the index of the entry that failed, if one did. */
int entry_load(Store *s, const struct load_entry *entries, size_t n, usec_t now_rt, const struct entry_observer *o,
               size_t *ret_failed);
