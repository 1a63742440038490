/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>

#include "arpd-catalog.h"
#include "arpd-manager.h"
#include "arpd-stats.h"
#include "entry-ops.h"
#include "log.h"

#define STATUS_INTERVAL_USEC (2 * USEC_PER_SEC)

/* ---- links ---------------------------------------------------------------------------------- */

Link *manager_get_link(Manager *m, int ifindex) {
        for (size_t i = 0; i < m->n_links; i++)
                if (m->links[i]->ifindex == ifindex)
                        return m->links[i];
        return NULL;
}

Link *manager_get_link_by_name(Manager *m, const char *ifname) {
        for (size_t i = 0; i < m->n_links; i++)
                if (strcmp(m->links[i]->ifname, ifname) == 0)
                        return m->links[i];
        return NULL;
}

bool manager_wants_link(Manager *m, const char *ifname) {
        if (m->opts->n_ifaces == 0)
                return true;
        for (size_t i = 0; i < m->opts->n_ifaces; i++)
                if (strcmp(m->opts->ifaces[i], ifname) == 0)
                        return true;
        return false;
}

static void manager_drop_link(Manager *m, Link *l) {
        for (size_t i = 0; i < m->n_links; i++)
                if (m->links[i] == l) {
                        m->links[i] = m->links[--m->n_links];
                        break;
                }
        log_link_info(l, "gone (ifindex %d); its entries stay in the store.", l->ifindex);
        link_free(l);
}

void manager_sweep_links(Manager *m) {
        for (size_t i = m->n_links; i > 0; i--)
                if (!m->links[i - 1]->seen) {
                        log_link_info(m->links[i - 1], "vanished while events were lost.");
                        manager_drop_link(m, m->links[i - 1]);
                }
}

/* Keeps ifindex in the foreign set (served: false) or out of it, and the event socket's filter
 * in step. Interfaces beyond NL_FOREIGN_MAX are not filtered (their messages are read and
 * ignored). */
static void manager_note_foreign(Manager *m, int ifindex, bool foreign) {
        for (size_t i = 0; i < m->n_foreign; i++)
                if (m->foreign[i] == ifindex) {
                        if (foreign)
                                return;
                        m->foreign[i] = m->foreign[--m->n_foreign];
                        rtnl_filter_foreign(m);
                        return;
                }
        if (!foreign || m->n_foreign >= NL_FOREIGN_MAX)
                return;
        m->foreign[m->n_foreign++] = ifindex;
        rtnl_filter_foreign(m);
}

static void link_update(Manager *m, const struct nl_link *nl);

void manager_link_update(Manager *m, const struct nl_link *nl) {
        link_update(m, nl);
        /* after the link's own update: a link served from now on leaves the set first thing,
         * a deleted one's ifindex may come back for another interface */
        manager_note_foreign(m, nl->ifindex, !nl->deleted && !manager_get_link(m, nl->ifindex));
}

static void link_update(Manager *m, const struct nl_link *nl) {
        Link *l = manager_get_link(m, nl->ifindex);
        int r;

        if (nl->deleted) {
                if (l)
                        manager_drop_link(m, l);
                return;
        }
        if (l && strcmp(l->ifname, nl->ifname) != 0) {
                log_link_info(l, "renamed to %s.", nl->ifname);
                if (!manager_wants_link(m, nl->ifname)) {
                        manager_drop_link(m, l);
                        return;
                }
                memcpy(l->ifname, nl->ifname, sizeof(l->ifname));
        }
        if (!l) {
                if (!manager_wants_link(m, nl->ifname))
                        return;
                /* Serving "all": skip links without ARP. Named explicitly: the operator asked. */
                if (m->opts->n_ifaces == 0 && (nl->flags & (IFF_LOOPBACK | IFF_NOARP)))
                        return;
                if (m->n_links >= MANAGER_MAX_LINKS) {
                        log_warning("%s: too many interfaces (%d), not serving it.", nl->ifname, MANAGER_MAX_LINKS);
                        return;
                }
                Link **a = realloc(m->links, (m->n_links + 1) * sizeof(Link *));
                if (!a) {
                        log_oom();
                        return;
                }
                m->links = a;
                r = link_new(m, nl->ifindex, nl->ifname, &l);
                if (r < 0) {
                        log_error_errno(r, "%s: cannot set up: %m", nl->ifname);
                        return;
                }
                m->links[m->n_links++] = l;
        }
        l->seen = true; /* mark-and-sweep around a re-dump (arpd-rtnl.c) */
        l->flags = nl->flags;
        l->type = nl->type;
        l->hwaddr = nl->hwaddr;
        /* Until the sockets of the links known at READY are open (see sniffing_thread()), new
         * links wait for that batch too. */
        if (m->ready && !m->sniff_thread_running && link_can_sniff(l) && link_start(l) < 0)
                log_link_warning(l, "serving without sniffing (kernel table and misses only).");
}

/*
 * Setting up a packet socket's receive ring waits for an RCU grace period in the kernel (10-30 ms
 * each here). So that this never holds up answering misses, the sockets of the links known at
 * READY are opened by a short-lived thread; it touches nothing but its own job list, and tells the
 * event loop through an eventfd when it is done. Links that appear later open synchronously.
 */
struct sniff_job {
        int ifindex;
        struct link_sockets sockets;
};

static void *sniffing_thread(void *userdata) {
        Manager *m = userdata;
        uint64_t one = 1;

        for (size_t i = 0; i < m->n_sniff_jobs; i++)
                link_sockets_open(m->sniff_jobs[i].ifindex, m->opts->family, &m->sniff_jobs[i].sockets);
        (void) !write(m->sniff_event_fd, &one, sizeof(one));
        return NULL;
}

static void manager_collect_sniffing(Manager *m) {
        if (!m->sniff_thread_running)
                return;
        (void) pthread_join(m->sniff_thread, NULL);
        m->sniff_thread_running = false;
        for (size_t i = 0; i < m->n_sniff_jobs; i++) {
                Link *l = manager_get_link(m, m->sniff_jobs[i].ifindex);

                if (l)
                        (void) link_attach(l, &m->sniff_jobs[i].sockets);
                else
                        link_sockets_close(&m->sniff_jobs[i].sockets); /* gone meanwhile */
        }
        /* links that appeared while the thread ran (those it handled were attached or logged) */
        for (size_t i = 0; i < m->n_links; i++) {
                bool handled = false;

                for (size_t j = 0; j < m->n_sniff_jobs && !handled; j++)
                        handled = m->sniff_jobs[j].ifindex == m->links[i]->ifindex;
                if (!handled && link_can_sniff(m->links[i]))
                        (void) link_start(m->links[i]);
        }
        m->sniff_jobs = mfree(m->sniff_jobs);
        m->n_sniff_jobs = 0;
        log_info("Sniffing started on %zu interface%s.", m->n_links, m->n_links == 1 ? "" : "s");
}

static int on_sniffing_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        uint64_t v;

        (void) !read(fd, &v, sizeof(v));
        manager_collect_sniffing(m);
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

static int manager_start_sniffing(Manager *m) {
        int r;

        m->sniff_jobs = calloc(MAX(m->n_links, (size_t) 1), sizeof(struct sniff_job));
        if (!m->sniff_jobs)
                return log_oom();
        for (size_t i = 0; i < m->n_links; i++)
                if (link_can_sniff(m->links[i]))
                        m->sniff_jobs[m->n_sniff_jobs++].ifindex = m->links[i]->ifindex;
        m->sniff_event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (m->sniff_event_fd < 0)
                return log_error_errno(errno, "Cannot create an eventfd: %m");
        r = sd_event_add_io(m->event, &m->sniff_done, m->sniff_event_fd, EPOLLIN, on_sniffing_done, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the eventfd: %m");
        r = pthread_create(&m->sniff_thread, NULL, sniffing_thread, m);
        if (r != 0)
                return log_error_errno(r, "Cannot start the thread that opens the packet sockets: %m");
        m->sniff_thread_running = true;
        return 0;
}

void manager_addr_update(Manager *m, const struct nl_addr *a) {
        Link *l = manager_get_link(m, a->ifindex);

        if (!l)
                return;
        if (link_addr_update(l, a) < 0)
                log_link_warning(l, "more than %d addresses, ignoring the rest for subnet checks.", LINK_MAX_PREFIXES);
}

/* ---- store -------------------------------------------------------------------------------- */

/* The commit timer's two priorities (netlink, the misses, is SD_EVENT_PRIORITY_IMPORTANT; the
 * packet sockets are NORMAL). A commit whose delay is over goes before everything, so that no storm
 * of frames or misses postpones it past MANAGER_COMMIT_DELAY_USEC. A batch made due early (at
 * MANAGER_COMMIT_BATCH staged changes) goes after a pending miss but before more frames: a commit
 * is the longest thing the loop does during a flood (0.4 ms median, several ms at the tail when
 * the file system stalls a write, bench/README.md W5), and a miss that is already waiting should
 * not wait behind it too. The batch cannot starve: frames are not read while it is pending, and
 * every input batch's end (manager_input_end()) commits at once once the delay is over. */
#define COMMIT_PRIORITY_DUE (SD_EVENT_PRIORITY_IMPORTANT - 10)
#define COMMIT_PRIORITY_BATCH (SD_EVENT_PRIORITY_IMPORTANT + 1)

static void commit_timer_arm(Manager *m, usec_t when, int64_t priority) {
        (void) sd_event_source_set_time(m->commit_timer, when);
        (void) sd_event_source_set_priority(m->commit_timer, priority);
        (void) sd_event_source_set_enabled(m->commit_timer, SD_EVENT_ONESHOT);
}

static int on_commit_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) manager_commit(userdata);
        return 0;
}

int manager_commit(Manager *m) {
        int r;

        m->first_staged = 0;
        if (store_staged(m->store) == 0)
                return 0;
        r = store_flush(m->store);
        if (r == -EAGAIN || r == -EBUSY) {
                /* Another arpd process is writing (write_nowait), or a load of this one holds its
                 * transaction open (-EBUSY): answering goes on from the snapshot and the staged
                 * changes; try again a commit delay later. */
                if (!m->commit_deferred)
                        log_debug("Store %s is being written by %s; committing later.", store_path(m->store),
                                  r == -EBUSY ? "a load" : "another process");
                m->commit_deferred = true;
                m->first_staged = now_usec(CLOCK_MONOTONIC);
                commit_timer_arm(m, m->first_staged + MANAGER_COMMIT_DELAY_USEC, COMMIT_PRIORITY_DUE);
                return r;
        }
        m->commit_deferred = false;
        if (r < 0) {
                char field_store[512], field_errno[32];
                const char *fields[] = { field_store, field_errno };

                m->global.v[STAT_STORE_ERRORS]++;
                snprintf(field_store, sizeof(field_store), "STORE=%s", store_path(m->store));
                snprintf(field_errno, sizeof(field_errno), "ERRNO=%d", -r);
                log_eventf(NULL, LOG_ERR, ARPD_MESSAGE_STORE_ERROR, fields, ELEMENTSOF(fields),
                           "Failed to write to the store %s: %s. Changes of this batch are dropped; what was stored "
                           "before is intact.", store_path(m->store), strerror(-r));
                return r;
        }
        if (m->opts->sync_interval == 0)
                (void) store_sync(m->store);
        return r;
}

void manager_input_begin(Manager *m) {
        (void) store_refresh(m->store);
}

void manager_input_end(Manager *m) {
        manager_schedule_commit(m);
        store_release(m->store); /* after every decision of this batch was staged */
}

void manager_schedule_commit(Manager *m) {
        usec_t now;

        if (store_staged(m->store) == 0) {
                m->first_staged = 0;
                return;
        }
        now = now_usec(CLOCK_MONOTONIC);
        if (m->first_staged == 0)
                m->first_staged = now;
        if (now >= m->first_staged + MANAGER_COMMIT_DELAY_USEC) {
                (void) manager_commit(m);
                return;
        }
        /* A large batch goes now, as its own dispatch (unless another process is writing: then
         * the deferred commit's time stands). */
        if (store_staged(m->store) >= MANAGER_COMMIT_BATCH && !m->commit_deferred) {
                commit_timer_arm(m, now, COMMIT_PRIORITY_BATCH);
                return;
        }
        commit_timer_arm(m, m->first_staged + MANAGER_COMMIT_DELAY_USEC, COMMIT_PRIORITY_DUE);
}

/* ---- change publication ------------------------------------------------------------------ */

int manager_add_observer(Manager *m, const struct manager_observer *o) {
        assert(o && o->changed);
        if (m->n_observers >= MANAGER_MAX_OBSERVERS)
                return -E2BIG;
        m->observers[m->n_observers++] = *o;
        return 0;
}

void manager_remove_observer(Manager *m, void *userdata) {
        for (size_t i = 0; i < m->n_observers; i++)
                if (m->observers[i].userdata == userdata) {
                        m->observers[i] = m->observers[--m->n_observers];
                        return;
                }
}

bool manager_has_observers(Manager *m) {
        for (size_t i = 0; i < m->n_observers; i++)
                if (!m->observers[i].wants_changes || m->observers[i].wants_changes(m, m->observers[i].userdata))
                        return true;
        return false;
}

void manager_publish(Manager *m, enum change_origin origin, const struct neigh_key *k, const struct record *old,
                     const struct record *new) {
        for (size_t i = 0; i < m->n_observers; i++) {
                const struct manager_observer *o = &m->observers[i];

                if (!o->wants_changes || o->wants_changes(m, o->userdata))
                        o->changed(m, origin, k, old, new, o->userdata);
        }
}

void manager_publish_station(Manager *m, const struct station_event *ev) {
        for (size_t i = 0; i < m->n_observers; i++)
                if (m->observers[i].station)
                        m->observers[i].station(m, ev, m->observers[i].userdata);
}

static void publish_folded(Manager *m, uint64_t n, const char *ifname) {
        for (size_t i = 0; i < m->n_observers; i++)
                if (m->observers[i].folded)
                        m->observers[i].folded(m, n, ifname, m->observers[i].userdata);
}

/* ---- operations ---------------------------------------------------------------------------- */

/* entry-ops reports go to the manager's observers as CHANGE_OPERATOR changes. */
static void op_changed(const struct neigh_key *k, const struct record *old, const struct record *new, void *userdata) {
        struct manager_op_report *rp = userdata;

        manager_publish(rp->manager, CHANGE_OPERATOR, k, old, new);
}

static void op_folded(uint64_t n, void *userdata) {
        struct manager_op_report *rp = userdata;

        publish_folded(rp->manager, n, rp->ifname);
}

/* The observer for one operation: none when nobody listens (old records are then not read). */
static const struct entry_observer *op_observer(Manager *m, struct manager_op_report *rp, struct entry_observer *o) {
        if (!manager_has_observers(m))
                return NULL;
        *o = (struct entry_observer) {
                .changed = op_changed,
                .folded = op_folded,
                .userdata = rp,
                .limit = MANAGER_BULK_REPORT_MAX,
        };
        return o;
}

/* Before an operation: what the daemon staged goes first, so the operation is decided on it and
 * nothing staged is written over the operator's change later. */
static int op_begin(Manager *m) {
        return manager_commit(m);
}

/* After an operation that committed: later lookups see it; with -p 0 it is made durable now. */
static void op_end(Manager *m) {
        (void) store_refresh(m->store);
        if (m->opts->sync_interval == 0)
                (void) store_sync(m->store);
}

int manager_add_static(Manager *m, const struct neigh_key *k, const struct lladdr *ll) {
        struct manager_op_report rp = { .manager = m, .ifname = k->ifname };
        struct entry_observer o;
        int r;

        r = op_begin(m);
        if (r < 0)
                return r;
        r = entry_add_static(m->store, k, ll, now_usec(CLOCK_REALTIME), op_observer(m, &rp, &o));
        if (r >= 0)
                op_end(m);
        return r;
}

int manager_delete(Manager *m, const struct neigh_key *k) {
        struct manager_op_report rp = { .manager = m, .ifname = k->ifname };
        struct entry_observer o;
        int r;

        r = op_begin(m);
        if (r < 0)
                return r;
        r = entry_delete(m->store, k, op_observer(m, &rp, &o));
        if (r >= 0)
                op_end(m);
        return r;
}

int manager_flush(Manager *m, const struct entry_filter *f, uint64_t *ret_count) {
        struct manager_op_report rp = { .manager = m, .ifname = f->ifname };
        struct entry_observer o;
        int r;

        r = op_begin(m);
        if (r < 0)
                return r;
        r = entry_flush(m->store, f, op_observer(m, &rp, &o), ret_count);
        op_end(m); /* chunks committed before an error stay */
        return r;
}

int manager_load(Manager *m, const struct load_entry *entries, size_t n, size_t *ret_failed) {
        struct manager_op_report rp = { .manager = m, .ifname = "" };
        struct entry_observer o;
        int r;

        r = op_begin(m);
        if (r < 0)
                return r;
        r = entry_load(m->store, entries, n, now_usec(CLOCK_REALTIME), op_observer(m, &rp, &o), ret_failed);
        if (r >= 0)
                op_end(m);
        return r;
}

/* One message for every change of the bounds (startup options, the control endpoint). */
static void log_limits_changed(Manager *m, const struct store_limits *b, const struct store_limits *a,
                               uint64_t evicted, const char *how) {
        if (b->max_entries == a->max_entries && b->max_per_iface == a->max_per_iface)
                return;
        log_info("Store %s: bounds changed %s from %llu entries (%llu per interface) to %llu (%llu per interface); "
                 "%llu entr%s evicted.", store_path(m->store), how, (unsigned long long) b->max_entries,
                 (unsigned long long) b->max_per_iface, (unsigned long long) a->max_entries,
                 (unsigned long long) a->max_per_iface, (unsigned long long) evicted, evicted == 1 ? "y" : "ies");
}

int manager_set_limits(Manager *m, const struct store_limits *want, struct store_limits *after, uint64_t *evicted) {
        struct store_limits b, a;
        uint64_t n = 0;
        int r;

        r = op_begin(m);
        if (r < 0)
                return r;
        r = entry_set_limits(m->store, want, &b, &a, &n);
        if (r < 0)
                return r;
        op_end(m);
        log_limits_changed(m, &b, &a, n, "over the control endpoint");
        if (after)
                *after = a;
        if (evicted)
                *evicted = n;
        return 0;
}

/* --max-entries / --max-per-interface given: recorded in the store before READY. Another arpd
 * process may be writing (write_nowait): retried for up to 5 s; if it cannot be done, the
 * store's own bounds stay and a warning says so (the daemon starts anyway). */
static int manager_apply_limit_options(Manager *m) {
        struct store_limits want = { .max_entries = m->opts->max_entries, .max_per_iface = m->opts->max_per_iface };
        struct store_limits b, a;
        uint64_t n = 0;
        int r = 0;

        if (want.max_entries == 0 && want.max_per_iface == 0)
                return 0;
        for (unsigned i = 0; i < 50; i++) {
                r = entry_set_limits(m->store, &want, &b, &a, &n);
                if (r != -EAGAIN)
                        break;
                (void) usleep(100 * 1000);
        }
        if (r < 0) {
                /* serving goes first: the store's own bounds stay in force */
                log_warning_errno(r, "Cannot record the bounds given on the command line in the store %s (%m); its "
                                  "own bounds stay in force (see arpctl limits).", store_path(m->store));
                return 0;
        }
        log_limits_changed(m, &b, &a, n, "by the command line");
        return 0;
}

static size_t manager_link_len(const char *ifname, void *userdata) {
        Link *l = manager_get_link_by_name(userdata, ifname);

        return l ? l->hwaddr.len : 0;
}

int manager_load_new(Manager *m, LoadReader *rd, EntryLoad **ret) {
        struct entry_observer o;
        int r;

        r = op_begin(m);
        if (r < 0 && r != -EAGAIN)
                return r;
        m->load_report = (struct manager_op_report) { .manager = m, .ifname = "" };
        return entry_load_new(m->store, rd, now_usec(CLOCK_REALTIME), op_observer(m, &m->load_report, &o),
                              manager_link_len, m, ret);
}

void manager_load_committed(Manager *m) {
        op_end(m);
}

void manager_load_set_owner(Manager *m, void (*abort)(void *userdata), void *userdata) {
        m->load_abort = abort;
        m->load_abort_userdata = userdata;
}

void manager_load_end(Manager *m) {
        m->load_abort = NULL;
        m->load_abort_userdata = NULL;
}

/* ---- queries ------------------------------------------------------------------------------- */

int manager_get_entry(Manager *m, const struct neigh_key *k, struct record *ret) {
        int r = store_get(m->store, k, ret);

        store_release(m->store); /* nothing is decided on it here */
        return r;
}

int manager_get_history(Manager *m, const struct neigh_key *k, struct station_history *ret) {
        struct station_history stored;
        struct record rec;
        int r, q;

        r = store_get(m->store, k, &rec);
        if (r >= 0) {
                q = store_history_get(m->store, k, &stored);
                station_history_view(&rec, q >= 0 ? &stored : NULL, ret);
        }
        store_release(m->store);
        return r;
}

int manager_list(Manager *m, const struct entry_filter *f, const struct neigh_key *after, store_foreach_t cb,
                 void *userdata) {
        return store_foreach_after(m->store, f->ifname[0] ? f->ifname : NULL, f->family, after, cb, userdata);
}

size_t manager_n_links(const Manager *m) {
        return m->n_links;
}

const Link *manager_link_at(const Manager *m, size_t i) {
        assert(i < m->n_links);
        return m->links[i];
}

const struct stats *manager_global_stats(const Manager *m) {
        return &m->global;
}

const struct arpd_options *manager_options(const Manager *m) {
        return m->opts;
}

sd_event *manager_event(const Manager *m) {
        return m->event;
}

int manager_count_entries(Manager *m, size_t *ret) {
        return store_count(m->store, ret);
}

int manager_get_limits(Manager *m, struct store_limits *ret) {
        return store_get_limits(m->store, ret);
}

int manager_foreach_store_iface(Manager *m, store_iface_cb_t cb, void *userdata) {
        return store_foreach_iface(m->store, cb, userdata);
}

const char *manager_store_path(const Manager *m) {
        return store_path(m->store);
}

/* ---- status, stats, signals, timers ----------------------------------------------------------- */

static int on_sysctl_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_links; i++)
                link_check_sysctl(m->links[i]);
        return 0;
}

void manager_schedule_sysctl_check(Manager *m) {
        int enabled = SD_EVENT_OFF;
        int r;

        if (!m->sysctl_timer) {
                r = sd_event_add_time_relative(m->event, &m->sysctl_timer, CLOCK_MONOTONIC,
                                               MANAGER_SYSCTL_CHECK_DELAY_USEC, USEC_PER_SEC / 10, on_sysctl_timer, m);
                if (r < 0) {
                        log_warning_errno(r, "Cannot schedule the sysctl check: %m");
                        return;
                }
                (void) sd_event_source_set_priority(m->sysctl_timer, SD_EVENT_PRIORITY_IDLE);
                return;
        }
        (void) sd_event_source_get_enabled(m->sysctl_timer, &enabled);
        if (enabled != SD_EVENT_OFF)
                return; /* already due soon: it checks every unchecked link */
        (void) sd_event_source_set_time_relative(m->sysctl_timer, MANAGER_SYSCTL_CHECK_DELAY_USEC);
        (void) sd_event_source_set_enabled(m->sysctl_timer, SD_EVENT_ONESHOT);
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        manager_update_status(m);
        (void) store_reader_check(m->store); /* slots of killed processes would pin old pages */
        (void) sd_event_source_set_time_relative(s, STATUS_INTERVAL_USEC);
        return 0;
}

static int on_sync_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) manager_commit(m);
        int r = store_sync(m->store);
        if (r < 0)
                log_warning_errno(r, "Syncing the store %s to disk failed: %m", store_path(m->store));
        (void) sd_event_source_set_time_relative(s, m->opts->sync_interval);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        int r;

        switch (si->ssi_signo) {
        case SIGTERM:
        case SIGINT:
                log_info("Received SIG%s, exiting.", si->ssi_signo == SIGTERM ? "TERM" : "INT");
                return sd_event_exit(m->event, 0);
        case SIGHUP:
                (void) manager_commit(m);
                r = store_sync(m->store);
                if (r < 0)
                        log_warning_errno(r, "Syncing the store failed: %m");
                else
                        log_info("Store %s synced to disk (SIGHUP).", store_path(m->store));
                return 0;
        case SIGUSR1:
                manager_log_stats(m);
                return 0;
        default:
                return 0;
        }
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

int manager_new(const struct arpd_options *opts, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        assert(opts);
        assert(ret);
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        *m = (Manager){
                .opts = opts,
                .sniff_event_fd = -EBADF,
                .rcfg = {
                        .active_probes = opts->active_probes,
                        .negative_timeout = opts->negative_timeout,
                        .learn_bogons = opts->learn_bogons,
                        .touch_interval = 10 * USEC_PER_SEC,
                        .max_age = opts->max_age,
                        .verify_timeout = RESOLVER_VERIFY_TIMEOUT,
                },
        };
        r = rtnl_init(&m->rtnl);
        if (r < 0)
                return r;
        r = sd_event_new(&m->event);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_links; i++)
                link_free(m->links[i]);
        free(m->links);
        sd_event_source_disable_unref(m->commit_timer);
        sd_event_source_disable_unref(m->sync_timer);
        sd_event_source_disable_unref(m->status_timer);
        sd_event_source_disable_unref(m->sysctl_timer);
        if (m->sniff_thread_running) {
                (void) pthread_join(m->sniff_thread, NULL);
                for (size_t i = 0; i < m->n_sniff_jobs; i++)
                        link_sockets_close(&m->sniff_jobs[i].sockets);
        }
        free(m->sniff_jobs);
        sd_event_source_disable_unref(m->sniff_done);
        safe_close(m->sniff_event_fd);
        rtnl_done(&m->rtnl);
        store_free(m->store);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

int manager_open_store(Manager *m) {
        struct store_options so = {
                .max_entries = m->opts->max_entries,
                .max_per_iface = m->opts->max_per_iface,
                .negative_timeout = m->opts->negative_timeout,
                .recover_damaged = true,
                /* The loop never waits for another process's write transaction (a large
                 * arpctl --database load, another instance's eviction): commits are deferred. */
                .write_nowait = true,
        };
        int r;

        assert(!m->store);
        r = store_open(m->opts->db_path, &so, &m->store);
        if (r < 0)
                return r; /* store_open logged the path and what to do */
        return manager_apply_limit_options(m);
}

int manager_setup_timers(Manager *m) {
        int r;

        r = sd_event_add_time(m->event, &m->commit_timer, CLOCK_MONOTONIC, 0, 10 * USEC_PER_MSEC, on_commit_timer, m);
        if (r < 0)
                return log_error_errno(r, "Cannot add the commit timer: %m");
        /* Due commits go before more input, so storms cannot postpone them (commit_timer_arm()). */
        (void) sd_event_source_set_priority(m->commit_timer, COMMIT_PRIORITY_DUE);
        (void) sd_event_source_set_enabled(m->commit_timer, SD_EVENT_OFF);
        if (m->opts->sync_interval > 0) {
                r = sd_event_add_time_relative(m->event, &m->sync_timer, CLOCK_MONOTONIC, m->opts->sync_interval,
                                               USEC_PER_SEC, on_sync_timer, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot add the sync timer: %m");
                (void) sd_event_source_set_enabled(m->sync_timer, SD_EVENT_ON);
        }
        r = sd_event_add_time_relative(m->event, &m->status_timer, CLOCK_MONOTONIC, STATUS_INTERVAL_USEC,
                                       USEC_PER_SEC / 2, on_status_timer, m);
        if (r < 0)
                return log_error_errno(r, "Cannot add the status timer: %m");
        (void) sd_event_source_set_enabled(m->status_timer, SD_EVENT_ON);
        (void) sd_event_source_set_priority(m->status_timer, SD_EVENT_PRIORITY_IDLE);
        return 0;
}

int manager_start(Manager *m) {
        int r;

        r = manager_open_store(m);
        if (r < 0)
                return r;
        r = rtnl_open(m);
        if (r < 0)
                return r;

        const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                r = sd_event_add_signal(m->event, NULL, sigs[i] | SD_EVENT_SIGNAL_PROCMASK, on_signal, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot watch signal %d: %m", sigs[i]);
        }
        (void) signal(SIGPIPE, SIG_IGN);

        /* Initial state: links, then their addresses, then the neighbour table. */
        r = rtnl_dump_sync(m, RTM_GETLINK);
        if (r < 0)
                return log_error_errno(r, "Cannot read the kernel's interfaces: %m");
        r = rtnl_dump_sync(m, RTM_GETADDR);
        if (r < 0)
                return log_error_errno(r, "Cannot read the kernel's addresses: %m");
        for (size_t i = 0; i < m->opts->n_ifaces; i++) {
                bool found = false;
                for (size_t j = 0; j < m->n_links; j++)
                        found = found || strcmp(m->links[j]->ifname, m->opts->ifaces[i]) == 0;
                if (!found)
                        log_warning("%s: no such interface (yet); arpd will serve it when it appears.", m->opts->ifaces[i]);
        }
        r = rtnl_dump_sync(m, RTM_GETNEIGH);
        if (r < 0)
                return log_error_errno(r, "Cannot read the kernel's neighbour table: %m");
        rtnl_flush_answers(m);
        r = manager_commit(m);
        if (r < 0 && r != -EAGAIN) /* another process writing: committed later by the timer */
                return r;

        r = rtnl_watch(m);
        if (r < 0)
                return r;
        r = manager_setup_timers(m);
        if (r < 0)
                return r;

        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Cannot enable the watchdog: %m");

        return 0;
}

int manager_ready(Manager *m) {
        size_t entries = 0;
        int r;

        assert(!m->ready);
        (void) store_count(m->store, &entries);
        r = manager_start_sniffing(m);
        if (r < 0)
                return r;
        m->ready = true;
        manager_update_status(m);
        (void) sd_notify(false, "READY=1");
        log_info("Ready: %zu interface%s, store %s with %zu entries.", m->n_links, m->n_links == 1 ? "" : "s",
                 store_path(m->store), entries);
        return 0;
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);

        (void) sd_notify(false, "STOPPING=1");
        /* A load in steps holds the store's one writer of this process: it ends first. */
        if (m->load_abort)
                m->load_abort(m->load_abort_userdata);
        /* The last commit may wait for another process's write, boundedly: nothing answers now. */
        for (unsigned i = 0; manager_commit(m) == -EAGAIN; i++) {
                if (i >= MANAGER_EXIT_COMMIT_TRIES) {
                        log_error("Store %s stayed busy with another process's write for %u s: the last %zu "
                                  "changes are lost.", store_path(m->store),
                                  (unsigned) (MANAGER_EXIT_COMMIT_TRIES * MANAGER_COMMIT_DELAY_USEC / USEC_PER_SEC),
                                  store_staged(m->store));
                        break;
                }
                (void) usleep(MANAGER_COMMIT_DELAY_USEC);
        }
        int q = store_sync(m->store);
        if (q < 0)
                log_warning_errno(q, "Syncing the store %s failed: %m", store_path(m->store));
        manager_log_stats(m);
        return r;
}
