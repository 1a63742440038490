/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The manager owns the event loop, the store, the rtnetlink state (arpd-rtnl.h) and the links
 * (arpd-link.h). This file pair is its lifecycle and
 * its plumbing: start and stop, the list of links, commit batching (store changes are staged and
 * committed together, at the latest MANAGER_COMMIT_DELAY_USEC after the first one; while another
 * process holds the store's write lock a commit is deferred, never waited for, and answers come
 * from the snapshot and the staged changes), timers and signals, and the two narrow APIs the
 * control endpoint (arpd-control.h) uses — the manager itself knows nothing about the endpoint,
 * which arpd.c starts and which subscribes to the manager:
 *
 *   - operations (manager_add_static() ...): the operator's changes, carried out by entry-ops.h on
 *     the manager's store after committing what the daemon staged, then published;
 *   - queries (manager_get_entry(), manager_list() ...): read-only, they never write or sync.
 *
 * Changes are published to observers (manager_add_observer()): every store change the daemon
 * decides (arpd-neighbor.c) or an operation makes, each with its origin, plus one "folded" notice
 * when a bulk operation reported only its first MANAGER_BULK_REPORT_MAX changes one by one. The
 * control endpoint is such an observer.
 *
 * The decisions themselves are the resolver's (resolver.h); neighbour handling (observe, miss,
 * kernel event, apply) is arpd-neighbor.h; the statistics and STATUS= are arpd-stats.h.
 *
 * Not thread-safe: everything runs in the event loop's thread (the sniffing thread only opens
 * sockets, see arpd-manager.c).
 */

#include <pthread.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "arpd-link.h"
#include "arpd-options.h"
#include "arpd-rtnl.h"
#include "entry-format.h"
#include "entry-ops.h"
#include "loadfile.h"
#include "macro.h"
#include "resolver.h"
#include "store.h"

#define MANAGER_COMMIT_DELAY_USEC (50 * USEC_PER_MSEC)
/* A batch this large is committed at once, in a dispatch of its own (the commit timer made due
 * now), instead of growing until the delay ends or the store's overlay is full (4,096 changes):
 * a flood of new senders then commits in slices of about this size, each short, so a miss waits
 * behind one such commit at most, not behind one of thousands of changes (bench/README.md, W5).
 * A commit costs about 10 us per change during a flood at the interface's bound (each change and
 * each eviction dirties its own B-tree pages, written with pwrite): 32 changes take ~0.12 ms
 * (p90 0.16 ms), 128 took ~0.4-0.9 ms (p90 3-4 ms), for the same total. */
#define MANAGER_COMMIT_BATCH 32
/* At exit, the last commit waits at most this many commit delays (10 s) for another process's
 * write transaction to end (while running, commits never wait: they are deferred). */
#define MANAGER_EXIT_COMMIT_TRIES 200
#define MANAGER_MAX_LINKS 4096
/* The unit applies the neighbour sysctls right after READY (ExecStartPost=): check them after that. */
#define MANAGER_SYSCTL_CHECK_DELAY_USEC (2 * USEC_PER_SEC)
/* A bulk operation (flush, load) publishes at most this many changes one by one, then one
 * "folded" notice with the count of the rest. */
#define MANAGER_BULK_REPORT_MAX 4096
#define MANAGER_MAX_OBSERVERS 4

/* Where a published change came from. */
enum change_origin {
        CHANGE_DAEMON,   /* decided by the resolver: learned, invalidated, probed */
        CHANGE_OPERATOR, /* an operation: add, delete, flush, load */
};

struct manager_observer {
        /* old: what was stored (NULL: nothing); new: what is stored now (NULL: deleted). */
        void (*changed)(Manager *m, enum change_origin origin, const struct neigh_key *k, const struct record *old,
                        const struct record *new, void *userdata);
        /* n more changes of a bulk operation were not reported one by one; ifname: its interface
         * filter ("" for all). */
        void (*folded)(Manager *m, uint64_t n, const char *ifname, void *userdata);
        /* True while this observer wants changed() at all (computing them costs lookups). */
        bool (*wants_changes)(Manager *m, void *userdata);
        /* A station event (station.h) that passed its link's rate limit, or the summary of those
         * that did not (STATION_FOLDED). May be NULL. */
        void (*station)(Manager *m, const struct station_event *ev, void *userdata);
        void *userdata;
};

/* What an operation's changes are published as (arpd-manager.c). */
struct manager_op_report {
        struct Manager *manager;
        const char *ifname; /* the operation's interface filter, "" for all */
};

typedef struct Manager {
        sd_event *event;
        const struct arpd_options *opts;
        struct resolver_config rcfg;
        Store *store;
        Rtnl rtnl;

        struct manager_observer observers[MANAGER_MAX_OBSERVERS];
        size_t n_observers;

        Link **links;
        size_t n_links;
        /* Interfaces seen and not served: their neighbour messages are dropped by the event
         * socket's filter (rtnl_filter_foreign(); the first NL_FOREIGN_MAX of them). */
        int foreign[NL_FOREIGN_MAX];
        size_t n_foreign;

        sd_event_source *commit_timer;
        sd_event_source *sync_timer;
        sd_event_source *status_timer;
        sd_event_source *sysctl_timer;   /* checks new links' sysctls MANAGER_SYSCTL_CHECK_DELAY later */
        /* the links' packet sockets, opened by a thread right after READY (see arpd-manager.c) */
        pthread_t sniff_thread;
        bool sniff_thread_running;
        struct sniff_job *sniff_jobs;
        size_t n_sniff_jobs;
        int sniff_event_fd;
        sd_event_source *sniff_done;
        usec_t first_staged;     /* CLOCK_MONOTONIC of the oldest uncommitted change */
        bool commit_deferred;    /* the last commit found another process writing (-EAGAIN), or
                                  * this one in a load's transaction (-EBUSY) */
        struct manager_op_report load_report; /* of the load in steps (manager_load_new()) */
        void (*load_abort)(void *userdata);   /* ends that load before the last commit at exit */
        void *load_abort_userdata;

        struct stats global;     /* counters not tied to a managed link */
        bool ready;
        char last_status[256];
} Manager;

/* Allocates a manager and its event loop; opens nothing. */
int manager_new(const struct arpd_options *opts, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* The steps of manager_start(), separately for tests that drive a Manager without sockets. */
int manager_open_store(Manager *m);
/* The commit, sync and status timers. */
int manager_setup_timers(Manager *m);

/* Opens the store and sockets, dumps links, addresses and neighbours synchronously, commits, and
 * sets up timers, signals and the watchdog. */
int manager_start(Manager *m);
/* After manager_start() and whatever must be in place first (the control endpoint): opens the
 * links' packet sockets (in a thread) and reports READY=1. */
int manager_ready(Manager *m);
/* Runs the loop until SIGTERM/SIGINT; flushes, syncs and logs statistics on the way out. */
int manager_run(Manager *m);

/* ---- links ---- */
Link *manager_get_link(Manager *m, int ifindex);
Link *manager_get_link_by_name(Manager *m, const char *ifname);
/* True if the options name this interface (or name none). */
bool manager_wants_link(Manager *m, const char *ifname);
/* An RTM_NEWLINK / RTM_DELLINK (decoded): adds, renames, updates or drops the link. */
void manager_link_update(Manager *m, const struct nl_link *nl);
/* Drops the links not marked seen since the last link re-dump started (arpd-rtnl.c). */
void manager_sweep_links(Manager *m);
/* An RTM_NEWADDR / RTM_DELADDR (decoded). */
void manager_addr_update(Manager *m, const struct nl_addr *a);

/* ---- input ----
 * Every input handler (packet rings, rtnetlink) brackets each batch of work with these: begin
 * renews the read snapshot, so decisions see what other processes committed; end schedules the
 * commit of what was staged and releases the snapshot, so an idle daemon pins no store pages. */
void manager_input_begin(Manager *m);
void manager_input_end(Manager *m);

/* ---- commit batching ---- */
/* Makes sure staged changes are committed within MANAGER_COMMIT_DELAY_USEC. */
void manager_schedule_commit(Manager *m);
/* Commits what is staged now (a write: never called by a read-only query). */
int manager_commit(Manager *m);
/* Checks the sysctls of links not checked yet, MANAGER_SYSCTL_CHECK_DELAY_USEC from now. */
void manager_schedule_sysctl_check(Manager *m);

/* ---- change publication ---- */
int manager_add_observer(Manager *m, const struct manager_observer *o);
void manager_remove_observer(Manager *m, void *userdata);
/* True if some observer wants changes now. */
bool manager_has_observers(Manager *m);
void manager_publish_station(Manager *m, const struct station_event *ev);
void manager_publish(Manager *m, enum change_origin origin, const struct neigh_key *k, const struct record *old,
                     const struct record *new);

/* ---- operations (writes) ----
 * Each commits what the daemon staged first, runs the entry-ops.h operation, publishes what it
 * changed (CHANGE_OPERATOR), renews the read snapshot and, with -p 0, syncs. Return values as
 * entry-ops.h. */
int manager_add_static(Manager *m, const struct neigh_key *k, const struct lladdr *ll);
int manager_delete(Manager *m, const struct neigh_key *k);
int manager_flush(Manager *m, const struct entry_filter *f, uint64_t *ret_count);
int manager_load(Manager *m, const struct load_entry *entries, size_t n, size_t *ret_failed);
/* entry_set_limits(), logged; -EAGAIN while another arpd process writes the store. */
int manager_set_limits(Manager *m, const struct store_limits *want, struct store_limits *after, uint64_t *evicted);
/* A load in steps (the endpoint's LoadFd, entry-ops.h's EntryLoad on rd, the links' address
 * lengths, its changes published): commits what is staged first. While one of its transactions
 * is open the daemon's own commits are deferred (store_flush() -EBUSY) and answering goes on from
 * the snapshot and the staged changes. The caller steps it and frees it; after a step that
 * committed, manager_load_committed(). */
int manager_load_new(Manager *m, LoadReader *rd, EntryLoad **ret);
void manager_load_committed(Manager *m);
/* The owner of the load in steps: abort(userdata) must end (free) it, and is called when the daemon
 * stops before its last commit; manager_load_end() when the load ends otherwise. */
void manager_load_set_owner(Manager *m, void (*abort)(void *userdata), void *userdata);
void manager_load_end(Manager *m);

/* ---- queries (read-only: no commit, no sync) ----
 * They see what is committed plus what the daemon has staged (store_get) or what is committed
 * (listings and counts: staged changes appear at most MANAGER_COMMIT_DELAY_USEC later). */
int manager_get_entry(Manager *m, const struct neigh_key *k, struct record *ret);
/* The MAC history of k (station.h), newest first: 0 (ret->n may be 0 for an entry without a
 * MAC), -ENOENT when the store has no entry for k. */
int manager_get_history(Manager *m, const struct neigh_key *k, struct station_history *ret);
int manager_list(Manager *m, const struct entry_filter *f, const struct neigh_key *after, store_foreach_t cb,
                 void *userdata);
int manager_count_entries(Manager *m, size_t *ret);
/* The bounds recorded in the store (store_get_limits), and each interface's counts. */
int manager_get_limits(Manager *m, struct store_limits *ret);
int manager_foreach_store_iface(Manager *m, store_iface_cb_t cb, void *userdata);
size_t manager_n_links(const Manager *m);
const Link *manager_link_at(const Manager *m, size_t i);   /* i < manager_n_links() */
const struct stats *manager_global_stats(const Manager *m); /* counters not tied to a link */
const struct arpd_options *manager_options(const Manager *m);
sd_event *manager_event(const Manager *m);
const char *manager_store_path(const Manager *m);
