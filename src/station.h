/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Station events and per-address MAC history: pure decisions and the history's byte layout. No
 * sockets, no LMDB, no clock reads: the caller passes the record, the stored history and the time.
 * Only this header, addr-util, record and time-util may be included here.
 *
 * The history of one address (one neighbour key) is the list of the last STATION_HISTORY_MAX
 * link-layer addresses it used, newest first, each with the time it was first and last seen
 * (CLOCK_REALTIME usec). The record is the authority for the newest one: an address that only ever
 * had one MAC has no stored history (its record's lladdr, first_seen and last_seen are the whole
 * history), and the stored list's newest entry takes its last_seen from the record, which is
 * touched more often than the history is written.
 *
 * A stored history belongs to the record whose first_seen it carries as its stamp: a history
 * whose stamp differs (its record was deleted by a writer that does not keep histories and the
 * address was learned again) is ignored, as if there were none.
 *
 * Classification (station_classify), as arpwatch 2.1a15's db.c does it, of a learned MAC for an
 * address (a positive record is about to be stored with it):
 *   no record, or a record without a MAC (a negative one from a probe)  -> STATION_NEW
 *   the newest MAC again, idle for more than new_activity_after (now - its last_seen)
 *                                                                        -> STATION_NEW_ACTIVITY
 *   the newest MAC again otherwise                                       -> STATION_NONE
 *   the second-newest MAC                                                -> STATION_FLIP_FLOP
 *   the third-newest or an older one                                     -> STATION_REUSED_OLD
 *   a MAC not in the history                                             -> STATION_CHANGED
 * A MAC seen again moves to the front (its first_seen kept, last_seen = now); a new one is put in
 * front with first_seen = last_seen = now, and the oldest entry is dropped beyond
 * STATION_HISTORY_MAX. new_activity_after 0 turns STATION_NEW_ACTIVITY off. Static entries never
 * reach the classifier: a static entry is not learned, and a frame that contradicts one is
 * STATION_STATIC_CONFLICT (resolver.h) instead. STATION_ANSWER_LATE comes from the resolver too
 * (ANSWERS_LATE). STATION_FOLDED is the summary of events the rate limit folded.
 *
 * Stored history, version 1 (little-endian, variable length):
 *     [0] u8 version (1)   [1] u8 n (2..STATION_HISTORY_MAX)   [2] u64 stamp (the record's first_seen)
 *     then n entries, newest first: u8 lladdr_len (1..32), lladdr_len bytes, u64 first_seen,
 *     u64 last_seen
 * A value whose version byte is not one we know is -EPROTONOSUPPORT; any other inconsistency
 * (size, n, lengths, a MAC listed twice) is -EBADMSG.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#include "addr-util.h"
#include "record.h"
#include "time-util.h"

#define STATION_HISTORY_MAX 8
#define STATION_HISTORY_VERSION 1
#define STATION_HISTORY_ENCODED_MAX (10 + STATION_HISTORY_MAX * (1 + LLADDR_MAX + 16))
/* arpwatch's NEWACTIVITY_DELTA: six months of 30 days */
#define STATION_NEW_ACTIVITY_DEFAULT (180ULL * 24 * 3600 * USEC_PER_SEC)

enum station_kind {
        STATION_NONE = 0,
        STATION_NEW,             /* an address never seen before on that interface */
        STATION_NEW_ACTIVITY,    /* the same MAC again after a long idle */
        STATION_CHANGED,         /* a MAC never seen for this address */
        STATION_FLIP_FLOP,       /* the second-newest MAC again */
        STATION_REUSED_OLD,      /* the third-newest or an older MAC again */
        STATION_STATIC_CONFLICT, /* a frame or the kernel contradicts a static entry */
        STATION_ANSWER_LATE,     /* the kernel gave up although arpd answered */
        STATION_FOLDED,          /* summary: events the rate limit did not report one by one */
        _STATION_KIND_MAX,
};

struct station_mac {
        struct lladdr lladdr;
        usec_t first_seen;
        usec_t last_seen;
};

struct station_history {
        usec_t stamp; /* the record's first_seen (see above) */
        unsigned n;
        struct station_mac mac[STATION_HISTORY_MAX]; /* newest first */
};

struct station_options {
        usec_t new_activity_after; /* 0: never STATION_NEW_ACTIVITY */
};

struct station_result {
        enum station_kind kind;
        struct lladdr old_lladdr;        /* the newest MAC before (for CHANGED, FLIP_FLOP, REUSED_OLD) */
        usec_t idle;                     /* NEW_ACTIVITY: how long the MAC was not seen */
        struct station_history history;  /* the history after this observation */
        bool store_history;              /* history has more than one MAC and changed: store it */
};

/* One station event as the daemon reports it (journal, D-Bus, arpctl monitor). */
struct station_event {
        enum station_kind kind;
        char ifname[IFNAMSIZ];
        int family;                   /* AF_UNSPEC for STATION_FOLDED */
        union in_addr_union addr;
        struct lladdr lladdr;         /* the MAC seen (ANSWER_LATE: the one answered) */
        struct lladdr old_lladdr;     /* the newest before (CHANGED, FLIP_FLOP, REUSED_OLD), the
                                       * static entry's (STATIC_CONFLICT); else empty */
        enum record_source source;    /* who told (0 for FOLDED) */
        usec_t time;                  /* CLOCK_REALTIME */
        usec_t idle;                  /* NEW_ACTIVITY: how long the MAC was silent */
        uint64_t folded[_STATION_KIND_MAX]; /* FOLDED: events of each kind not reported one by one */
};

/* "new-station", "new-activity", "mac-changed", "flip-flop", "reused-old", "static-conflict",
 * "answer-late", "folded"; NULL for STATION_NONE and unknown values. */
const char *station_kind_to_string(enum station_kind k);
int station_kind_from_string(const char *s); /* -EINVAL if unknown */

/* The history as it stands: stored (NULL: none) if its stamp matches cur, merged with the record
 * (see above). cur NULL or without a MAC: empty (n = 0) unless a valid stored history exists. */
void station_history_view(const struct record *cur, const struct station_history *stored,
                          struct station_history *ret);

/* Classifies mac, seen at now_rt for the address whose record is cur (NULL: none) and whose stored
 * history is stored (NULL: none). *ret is zeroed first. */
void station_classify(const struct station_options *o, const struct record *cur,
                      const struct station_history *stored, const struct lladdr *mac, usec_t now_rt,
                      struct station_result *ret);

/* Returns the bytes written or -ENOBUFS, -EINVAL (n outside 2..STATION_HISTORY_MAX, an empty or
 * too long lladdr). */
int station_history_encode(const struct station_history *h, void *buf, size_t size);
/* 0, -EPROTONOSUPPORT, -EBADMSG. */
int station_history_decode(const void *buf, size_t size, struct station_history *ret);
