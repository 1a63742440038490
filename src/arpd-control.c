/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "arpd-control.h"
#include "arpd-manager.h"
#include "control-args.h"
#include "entry-format.h"
#include "entry-ops.h"
#include "fs-util.h"
#include "loadfile.h"
#include "log.h"
#include "macro.h"
#include "peer-auth.h"

#define CONTROL_PRIORITY (SD_EVENT_PRIORITY_NORMAL + 10)
/* A LoadFd runs in steps below every other source: at most CONTROL_LOAD_SLICE lines per step,
 * CONTROL_LOAD_CHUNK entries per transaction. Equal, so that a file's transaction ends with its
 * step (a step ends after a commit): between steps the daemon commits what it learned and other
 * changes go through. A step is what a miss may wait for: 1,000,000 lines with 4096 per step
 * took 0.97 s with a paced-miss p99 of ~4 ms during the load, with 1024 0.90 s and 0.8 ms, with
 * 256 0.98 s and 0.34 ms (bench/README.md, "Streaming loads"). */
#define CONTROL_LOAD_PRIORITY (CONTROL_PRIORITY + 10)
#define CONTROL_LOAD_SLICE 1024
#define CONTROL_LOAD_CHUNK CONTROL_LOAD_SLICE
#define CONTROL_ACCEPT_BATCH 8

typedef struct ControlLoad ControlLoad;

typedef struct ControlClient {
        Control *control;
        sd_bus *conn;
        sd_event_source *defer_free;
        sd_event_source *idle_timer;  /* closes the connection after the idle timeout (none: never) */
        struct peer peer;             /* who connected (peer-auth.h) */
        bool subscribed;
        bool closing;
        bool refused;                 /* over the connection limit: every call gets LimitsExceeded */
        sd_bus_message *list_pending; /* a listing call waiting for its turn (Pacing), or NULL */
        bool list_pending_packed;
} ControlClient;

struct Control {
        Manager *manager;
        char *path;
        int listen_fd;
        dev_t dev;
        ino_t ino;
        int dirs_created;   /* parent directories control_new() made (removed again if empty) */
        sd_event_source *listen_source;
        sd_id128_t id;
        ControlClient *clients[CONTROL_MAX_CLIENTS + CONTROL_RESERVED_ROOT + CONTROL_MAX_REFUSED];
        size_t n_clients;
        size_t n_served;    /* clients not refused */
        unsigned n_subscribed;
        usec_t idle_timeout;
        /* Pacing of unprivileged listings (see list_entries()) */
        usec_t list_next;             /* CLOCK_MONOTONIC: no unprivileged page before this */
        sd_event_source *list_timer;  /* serves the waiting listing calls, one per expiry */
        size_t list_rr;               /* where the next round-robin search starts */
        uint64_t list_deferred;       /* pages that waited for their turn */
        usec_t list_min_wait;         /* tests: a floor on the wait after a page */
        ControlLoad *load;  /* the LoadFd in progress (one at a time: the store has one writer) */
};

/* A LoadFd in progress: the caller's file, read and written in steps (entry-ops.h's EntryLoad). */
struct ControlLoad {
        Control *control;
        ControlClient *client;
        sd_bus_message *call;    /* answered when the load ends */
        int fd;                  /* ours: a dup of a regular file, or the pipe reopened O_NONBLOCK */
        char name[128];
        LoadReader *rd;
        EntryLoad *load;
        sd_event_source *step;   /* defer: the next step */
        sd_event_source *io;     /* a pipe: wait for data */
        sd_event_source *stall;  /* a pipe: no data for CONTROL_LOAD_STALL_USEC ends the load */
};

static ControlLoad *control_load_free(ControlLoad *l);

/* ---- clients ------------------------------------------------------------------------------- */

static ControlClient *client_free(ControlClient *c) {
        Control *ctl;

        if (!c)
                return NULL;
        ctl = c->control;
        if (ctl->load && ctl->load->client == c) {
                ControlLoad *l = ctl->load;

                if (l->load && !entry_load_checking(l->load) && l->io == NULL) {
                        /* every line of the file passed the check and writing has begun: finish it,
                         * so the load is not left half done; there is nobody to answer */
                        log_info("The client of a load went away; finishing the load of %s (checked).", l->name);
                        l->client = NULL;
                        l->call = sd_bus_message_unref(l->call);
                } else {
                        log_warning("The client of a load went away; the load of %s is aborted, nothing of it "
                                    "was stored.", l->name);
                        control_load_free(l);
                }
        }
        for (size_t i = 0; i < ctl->n_clients; i++)
                if (ctl->clients[i] == c) {
                        ctl->clients[i] = ctl->clients[--ctl->n_clients];
                        break;
                }
        if (c->subscribed)
                ctl->n_subscribed--;
        if (!c->refused)
                ctl->n_served--;
        sd_event_source_disable_unref(c->defer_free);
        sd_event_source_disable_unref(c->idle_timer);
        sd_bus_message_unref(c->list_pending);
        peer_done(&c->peer);
        if (c->conn) {
                sd_bus_detach_event(c->conn);
                /* Never sd_bus_flush() here: it blocks until the peer reads (or authenticates),
                 * and a peer that does neither would stop the daemon. */
                sd_bus_close_unref(c->conn);
        }
        free(c);
        return NULL;
}

static int on_defer_free(sd_event_source *s, void *userdata) {
        client_free(userdata);
        return 0;
}

/* A connection cannot be freed from inside its own callbacks: do it from a defer source. */
static void client_close_later(ControlClient *c) {
        if (c->closing)
                return;
        c->closing = true;
        if (c->subscribed) {
                c->subscribed = false;
                c->control->n_subscribed--;
        }
        if (sd_event_add_defer(manager_event(c->control->manager), &c->defer_free, on_defer_free, c) < 0)
                log_warning("Cannot schedule the release of a control connection.");
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        client_close_later(userdata);
        return 0;
}

static bool client_congested(ControlClient *c) {
        uint64_t n = 0;

        return sd_bus_get_n_queued_write(c->conn, &n) >= 0 && n >= CONTROL_CLIENT_QUEUE_MAX;
}

/* ---- who may call what --------------------------------------------------------------------- */

/* Every call: the connection is not idle now. Subscribers are never idle (they wait for signals). */
static void client_touch(ControlClient *c) {
        if (!c->idle_timer)
                return;
        (void) sd_event_source_set_time_relative(c->idle_timer, c->control->idle_timeout);
        (void) sd_event_source_set_enabled(c->idle_timer, c->subscribed ? SD_EVENT_OFF : SD_EVENT_ONESHOT);
}

static int check_caller(ControlClient *c, sd_bus_error *error) {
        if (c->refused) {
                /* closed by its timer, CONTROL_REFUSED_TIMEOUT_USEC after it connected, by when the
                 * loop has written this reply */
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "arpd serves at most %d control connections at once (and %d more for root); "
                                         "try again later.", CONTROL_MAX_CLIENTS, CONTROL_RESERVED_ROOT);
        }
        client_touch(c);
        if (client_congested(c))
                return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                        "Too many unread replies on this connection; read them first.");
        return 0;
}

/* Changes: the rule of peer-auth.h, decided at call time. */
static int check_privileged(ControlClient *c, const char *what, sd_bus_error *error) {
        enum peer_verdict v;
        int r;

        r = check_caller(c, error);
        if (r < 0)
                return r;
        v = peer_check_net_admin(&c->peer, "/proc");
        if (peer_verdict_allowed(v))
                return 0;
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                 "%s needs root or CAP_NET_ADMIN in arpd's user namespace; %s (uid %u). Nothing was "
                                 "changed.", what, peer_verdict_explain(v), (unsigned) c->peer.uid);
}

/* ---- argument decoding (control-args.h) -------------------------------------------------------- */

static int invalid_args(sd_bus_error *error, const struct control_error *e) {
        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, e->message);
}

/* The link-layer address length of a served interface, 0 if arpd does not serve it (entry-ops.h
 * then assumes Ethernet). */
static size_t control_link_len(const char *ifname, void *userdata) {
        Link *l = manager_get_link_by_name(userdata, ifname);

        return l ? l->hwaddr.len : 0;
}

/* Reads the (interface, address) pair that names an entry. */
static int read_key(sd_bus_message *m, const char **ret_ifname, const char **ret_address, struct neigh_key *k,
                    sd_bus_error *error) {
        struct control_error e;
        int r = sd_bus_message_read(m, "ss", ret_ifname, ret_address);

        if (r < 0)
                return r;
        if (control_args_key(*ret_ifname, *ret_address, k, &e) < 0)
                return invalid_args(error, &e);
        return 0;
}

static int store_error(sd_bus_error *error, int r, const char *what) {
        if (r == -EBUSY) /* store.h, Handles: a load of a pipe holds this process's writer */
                return sd_bus_error_set_errnof(error, r, "%s failed: a load is writing the store; try again when it "
                                               "is done.", what);
        return sd_bus_error_set_errnof(error, r, "%s failed: %s", what, strerror(-r));
}

/* ---- signals ------------------------------------------------------------------------------- */

static void emit(Control *ctl, const char *kind, const char *ifname, const char *address, const char *lladdr,
                 const char *state) {
        for (size_t i = 0; i < ctl->n_clients; i++) {
                ControlClient *c = ctl->clients[i];
                int r;

                if (!c->subscribed || c->closing)
                        continue;
                if (client_congested(c)) {
                        log_warning("A control client does not read its EntryChanged signals; disconnecting it.");
                        client_close_later(c);
                        continue;
                }
                r = sd_bus_emit_signal(c->conn, CONTROL_PATH, CONTROL_INTERFACE, "EntryChanged", "sssss", kind, ifname,
                                       address, lladdr, state);
                if (r < 0) {
                        log_debug_errno(r, "Cannot send EntryChanged: %m");
                        client_close_later(c);
                }
        }
}

static bool on_wants_changes(Manager *m, void *userdata) {
        Control *ctl = userdata;

        return ctl->n_subscribed > 0;
}

static void on_changed(Manager *m, enum change_origin origin, const struct neigh_key *k, const struct record *old,
                       const struct record *new, void *userdata) {
        Control *ctl = userdata;
        char ifname[IFNAMSIZ], a[IN_ADDR_STRLEN], l[LLADDR_STRLEN];
        const struct record *shown = new ? new : old;
        const char *kind = entry_change_kind(old, new, origin == CHANGE_OPERATOR ? "deleted" : "invalidated");

        if (!kind)
                return;
        snprintf(ifname, sizeof(ifname), "%.*s", IFNAMSIZ - 1, k->ifname);
        emit(ctl, kind, ifname, in_addr_to_string(k->family, &k->addr, a), lladdr_to_string(&shown->lladdr, l),
             new ? record_state_to_string(new->state) : "");
}

/* StationEvent: kind, interface, address, lladdr, old_lladdr, source, time_usec, idle_usec, and
 * for "folded" the count of each kind folded ({} otherwise). */
static void on_station(Manager *m, const struct station_event *ev, void *userdata) {
        Control *ctl = userdata;
        char a[IN_ADDR_STRLEN] = "", n[LLADDR_STRLEN], o[LLADDR_STRLEN];

        if (ctl->n_subscribed == 0)
                return;
        if (ev->family != AF_UNSPEC)
                in_addr_to_string(ev->family, &ev->addr, a);
        lladdr_to_string(&ev->lladdr, n);
        lladdr_to_string(&ev->old_lladdr, o);
        for (size_t i = 0; i < ctl->n_clients; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *sig = NULL;
                ControlClient *c = ctl->clients[i];
                int r;

                if (!c->subscribed || c->closing)
                        continue;
                if (client_congested(c)) {
                        log_warning("A control client does not read its signals; disconnecting it.");
                        client_close_later(c);
                        continue;
                }
                r = sd_bus_message_new_signal(c->conn, &sig, CONTROL_PATH, CONTROL_INTERFACE, "StationEvent");
                if (r >= 0)
                        r = sd_bus_message_append(sig, "sssssstt", station_kind_to_string(ev->kind), ev->ifname, a, n, o,
                                                  ev->source != 0 ? record_source_to_string(ev->source) : "",
                                                  (uint64_t) ev->time, (uint64_t) ev->idle);
                if (r >= 0)
                        r = sd_bus_message_open_container(sig, 'a', "{st}");
                for (unsigned k = 1; r >= 0 && ev->kind == STATION_FOLDED && k < _STATION_KIND_MAX; k++)
                        if (ev->folded[k] > 0)
                                r = sd_bus_message_append(sig, "{st}", station_kind_to_string(k), ev->folded[k]);
                if (r >= 0)
                        r = sd_bus_message_close_container(sig);
                if (r >= 0)
                        r = sd_bus_send(c->conn, sig, NULL);
                if (r < 0) {
                        log_debug_errno(r, "Cannot send StationEvent: %m");
                        client_close_later(c);
                }
        }
}

/* A bulk change whose signals were cut short: one "many" signal says: re-read the listing. */
static void on_folded(Manager *m, uint64_t n, const char *ifname, void *userdata) {
        Control *ctl = userdata;

        if (ctl->n_subscribed > 0)
                emit(ctl, "many", ifname, "", "", "");
}

/* ---- methods: reads ------------------------------------------------------------------------ */

struct list_ctx {
        const struct entry_filter *filter;
        sd_bus_message *reply;
        unsigned limit;
        unsigned n;
        size_t scanned;
        size_t scan_max;
        struct neigh_key last;
        uint8_t *packed; /* ListEntriesPacked: limit * ENTRY_PACKED_SIZE bytes, else NULL */
};

static int list_one(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct list_ctx *c = userdata;
        int q;

        c->scanned++;
        c->last = *k;
        if (entry_filter_match(c->filter, k, r)) {
                if (c->packed)
                        entry_pack(k, r, c->packed + (size_t) c->n * ENTRY_PACKED_SIZE);
                else {
                        q = entry_bus_append(c->reply, k, r);
                        if (q < 0)
                                return q;
                }
                c->n++;
        }
        return c->n >= c->limit || c->scanned >= c->scan_max ? 1 : 0;
}

/* What the current dispatch of the loop has taken so far: from the loop's wakeup for it
 * (sd_event_now(), CLOCK_MONOTONIC) to now. It includes the reading and decoding of the call
 * (about as much again as a short page's own building, bench/README.md "Listings and the answer
 * path"), and any time the daemon waited for a CPU meanwhile: on a busy machine listings go
 * slower. */
static usec_t dispatch_cost(Control *ctl) {
        usec_t start, now = now_usec(CLOCK_MONOTONIC);

        if (sd_event_now(manager_event(ctl->manager), CLOCK_MONOTONIC, &start) < 0 || start > now)
                return 0;
        return now - start;
}

/* A listing dispatch spent the loop's time: the next unprivileged page waits
 * CONTROL_LIST_IDLE_FACTOR times as long (Pacing in arpd-control.h). */
static void list_charge(Control *ctl) {
        usec_t cost = dispatch_cost(ctl), mono = now_usec(CLOCK_MONOTONIC);

        ctl->list_next = MAX(ctl->list_next, mono) +
                         MAX(MIN(cost, CONTROL_LIST_COST_MAX_USEC) * CONTROL_LIST_IDLE_FACTOR, ctl->list_min_wait);
}

/* Builds and sends one page for the call m. Returns like a method handler. */
static int list_serve(sd_bus_message *m, ControlClient *client, sd_bus_error *error, bool packed) {
        Control *ctl = client->control;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        const char *ifname, *state, *prefix, *cursor;
        struct control_list_args a;
        struct control_error e;
        uint32_t family, limit;
        char next[ENTRY_CURSOR_MAX] = "";
        int r;

        r = sd_bus_message_read(m, "susssu", &ifname, &family, &state, &prefix, &cursor, &limit);
        if (r < 0)
                return r;
        if (control_args_list(ifname, family, state, prefix, cursor, limit, &a, &e) < 0)
                return invalid_args(error, &e);

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        if (packed) {
                buf = malloc((size_t) MIN(a.limit, CONTROL_LIST_PAGE_MAX) * ENTRY_PACKED_SIZE);
                if (!buf)
                        return -ENOMEM;
        } else {
                r = sd_bus_message_open_container(reply, 'a', ENTRY_BUS_SIGNATURE);
                if (r < 0)
                        return r;
        }
        /* Every page is small, root's too, so that a miss never waits long behind one; the
         * cursor resumes. */
        struct list_ctx c = { .filter = &a.filter, .reply = reply, .packed = buf,
                              .limit = MIN(a.limit, packed ? CONTROL_LIST_PAGE_MAX : CONTROL_LIST_PAGE_MAX_UNPACKED),
                              .scan_max = CONTROL_LIST_SCAN_MAX };
        r = manager_list(ctl->manager, &a.filter, a.has_after ? &a.after : NULL, list_one, &c);
        if (r < 0)
                return store_error(error, r, "Listing the store");
        if (r > 0)
                entry_cursor_format(&c.last, next);
        if (packed)
                r = sd_bus_message_append_array(reply, 'y', buf, (size_t) c.n * ENTRY_PACKED_SIZE);
        else
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", next);
        if (r < 0)
                return r;
        r = sd_bus_send(NULL, reply, NULL);
        /* Every page, whoever asked, spends the loop's time (Pacing). */
        list_charge(ctl);
        return r;
}

/* Serves c's waiting listing call and answers it, with an error if it fails. */
static void list_serve_pending(ControlClient *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = TAKE_PTR(c->list_pending);
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = list_serve(m, c, &error, c->list_pending_packed);

        if (sd_bus_error_is_set(&error))
                (void) sd_bus_reply_method_error(m, &error);
        else if (r < 0)
                (void) sd_bus_reply_method_errno(m, r, NULL);
}

static bool list_waiting(const ControlClient *c) {
        return c->list_pending && !c->closing;
}

static void list_timer_arm(Control *ctl);

/* The pacing timer: serve the next waiting listing call (round robin over the connections). */
static int on_list_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Control *ctl = userdata;

        for (size_t i = 0; i < ctl->n_clients; i++) {
                size_t idx = (ctl->list_rr + i) % ctl->n_clients;
                if (list_waiting(ctl->clients[idx])) {
                        ctl->list_rr = idx + 1;
                        list_serve_pending(ctl->clients[idx]);
                        break;
                }
        }
        list_timer_arm(ctl);
        return 0;
}

/* Arms the pacing timer for list_next if a listing call waits. */
static void list_timer_arm(Control *ctl) {
        bool waiting = false;
        int r = 0;

        for (size_t i = 0; i < ctl->n_clients && !waiting; i++)
                waiting = list_waiting(ctl->clients[i]);
        if (!waiting) {
                if (ctl->list_timer)
                        (void) sd_event_source_set_enabled(ctl->list_timer, SD_EVENT_OFF);
                return;
        }
        if (!ctl->list_timer) {
                r = sd_event_add_time(manager_event(ctl->manager), &ctl->list_timer, CLOCK_MONOTONIC, ctl->list_next,
                                      1, on_list_timer, ctl);
                if (r >= 0)
                        r = sd_event_source_set_priority(ctl->list_timer, CONTROL_PRIORITY);
        }
        if (r >= 0)
                r = sd_event_source_set_time(ctl->list_timer, ctl->list_next);
        if (r >= 0)
                r = sd_event_source_set_enabled(ctl->list_timer, SD_EVENT_ONESHOT);
        if (r < 0) {
                /* serve what waits now rather than never */
                log_warning_errno(r, "Cannot pace the control endpoint's listings: %m");
                ctl->list_timer = sd_event_source_disable_unref(ctl->list_timer);
                for (size_t i = 0; i < ctl->n_clients; i++)
                        if (list_waiting(ctl->clients[i]))
                                list_serve_pending(ctl->clients[i]);
        }
}

static int list_entries(sd_bus_message *m, ControlClient *client, sd_bus_error *error, bool packed) {
        Control *ctl = client->control;
        int r;

        r = check_caller(client, error);
        if (r < 0)
                return r;
        /* A page waits until the previous one was taken: a connection's unsent output holds at
         * most one page (plus its signals). */
        uint64_t queued = 0;
        if (client->list_pending ||
            (sd_bus_get_n_queued_write(client->conn, &queued) >= 0 && queued > 0))
                return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                        "The previous page of this listing has not been read yet; read it first.");
        /* Root's pages are served at once; anyone else's wait for their turn (Pacing). */
        if (client->peer.uid == 0 || now_usec(CLOCK_MONOTONIC) >= ctl->list_next)
                return list_serve(m, client, error, packed);
        client->list_pending = sd_bus_message_ref(m);
        client->list_pending_packed = packed;
        ctl->list_deferred++;
        list_charge(ctl); /* reading and deferring the call spent the loop's time too */
        list_timer_arm(ctl);
        return 1; /* answered later, by on_list_timer() */
}

static int method_list_entries(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return list_entries(m, userdata, error, false);
}

static int method_list_entries_packed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return list_entries(m, userdata, error, true);
}

static int method_get_entry(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *ifname, *address;
        struct neigh_key k;
        struct record rec;
        int r;

        r = check_caller(client, error);
        if (r < 0)
                return r;
        r = read_key(m, &ifname, &address, &k, error);
        if (r < 0)
                return r;
        r = manager_get_entry(client->control->manager, &k, &rec);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, CONTROL_ERROR_NO_SUCH_ENTRY, "No entry for %s on %s.", address, ifname);
        if (r < 0)
                return store_error(error, r, "Reading the entry");
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = entry_bus_append(reply, &k, &rec);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* GetHistory: the address's MACs, newest first: (lladdr, first_seen_usec, last_seen_usec). */
static int method_get_history(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *ifname, *address;
        struct station_history h;
        struct neigh_key k;
        int r;

        r = check_caller(client, error);
        if (r < 0)
                return r;
        r = read_key(m, &ifname, &address, &k, error);
        if (r < 0)
                return r;
        r = manager_get_history(client->control->manager, &k, &h);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, CONTROL_ERROR_NO_SUCH_ENTRY, "No entry for %s on %s.", address, ifname);
        if (r < 0)
                return store_error(error, r, "Reading the history");
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(stt)");
        for (unsigned i = 0; r >= 0 && i < h.n; i++) {
                char l[LLADDR_STRLEN];
                r = sd_bus_message_append(reply, "(stt)", lladdr_to_string(&h.mac[i].lladdr, l),
                                          (uint64_t) h.mac[i].first_seen, (uint64_t) h.mac[i].last_seen);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int append_stats(sd_bus_message *reply, const char *ifname, const struct stats *st) {
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sa{st}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", ifname);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{st}");
        if (r < 0)
                return r;
        for (unsigned i = 0; i < _STAT_MAX; i++) {
                r = sd_bus_message_append(reply, "{st}", stat_name(i), (uint64_t) st->v[i]);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int method_get_statistics(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        Manager *man = client->control->manager;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *ifname;
        bool found = false;
        int r;

        r = check_caller(client, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "s", &ifname);
        if (r < 0)
                return r;
        struct control_error e;
        if (control_args_interface(ifname, &e) < 0)
                return invalid_args(error, &e);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{sa{st}}");
        if (r < 0)
                return r;
        for (size_t i = 0; i < manager_n_links(man); i++) {
                const Link *l = manager_link_at(man, i);
                if (ifname[0] != '\0' && strcmp(ifname, l->ifname) != 0)
                        continue;
                found = true;
                r = append_stats(reply, l->ifname, &l->stats);
                if (r < 0)
                        return r;
        }
        if (ifname[0] == '\0') {
                r = append_stats(reply, "*", manager_global_stats(man));
                if (r < 0)
                        return r;
        } else if (!found)
                return sd_bus_error_setf(error, CONTROL_ERROR_NO_SUCH_INTERFACE,
                                         "arpd does not serve an interface named '%.32s' (field 'interface').", ifname);
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_subscribe(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        bool on = strcmp(sd_bus_message_get_member(m), "Subscribe") == 0;
        int r;

        r = check_caller(client, error);
        if (r < 0)
                return r;
        if (on != client->subscribed && !client->closing) {
                client->subscribed = on;
                if (on)
                        client->control->n_subscribed++;
                else
                        client->control->n_subscribed--;
        }
        client_touch(client);
        return sd_bus_reply_method_return(m, NULL);
}

/* ---- methods: changes ---------------------------------------------------------------------- */

static int method_add_static(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        const char *ifname, *address, *lladdr;
        struct control_error e;
        struct lladdr ll;
        struct neigh_key k;
        int r;

        r = check_privileged(client, "Adding a static entry", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "sss", &ifname, &address, &lladdr);
        if (r < 0)
                return r;
        if (control_args_static(ifname, address, lladdr, control_link_len(ifname, client->control->manager), &k, &ll,
                                &e) < 0)
                return invalid_args(error, &e);
        r = manager_add_static(client->control->manager, &k, &ll);
        if (r < 0)
                return store_error(error, r, "Storing the entry");
        log_info("%s: static entry %s -> %s added over the control endpoint.", ifname, address, lladdr);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_delete(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        const char *ifname, *address;
        struct neigh_key k;
        int r;

        r = check_privileged(client, "Deleting an entry", error);
        if (r < 0)
                return r;
        r = read_key(m, &ifname, &address, &k, error);
        if (r < 0)
                return r;
        r = manager_delete(client->control->manager, &k);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, CONTROL_ERROR_NO_SUCH_ENTRY, "No entry for %s on %s.", address, ifname);
        if (r < 0)
                return store_error(error, r, "Deleting the entry");
        log_info("%s: entry %s deleted over the control endpoint.", ifname, address);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_flush(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        struct entry_filter f;
        struct control_error e;
        const char *ifname, *state;
        uint64_t total = 0;
        int r;

        r = check_privileged(client, "Flushing entries", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "ss", &ifname, &state);
        if (r < 0)
                return r;
        if (control_args_flush(ifname, state, &f, &e) < 0)
                return invalid_args(error, &e);
        r = manager_flush(client->control->manager, &f, &total);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Flushing the store failed after %llu entries: %s",
                                               (unsigned long long) total, strerror(-r));
        log_info("Flushed %llu %s entr%s%s%s over the control endpoint.", (unsigned long long) total,
                 state[0] ? state : "any", total == 1 ? "y" : "ies", ifname[0] ? " on " : "", ifname);
        return sd_bus_reply_method_return(m, "t", total);
}

static int method_load(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        _cleanup_(load_list_done) struct load_list list = {};
        char err[256] = "";
        const char *text;
        size_t len, failed = 0;
        FILE *f;
        int r;

        r = check_privileged(client, "Loading entries", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "s", &text);
        if (r < 0)
                return r;
        len = strlen(text);
        if (len > CONTROL_LOAD_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "The text is %zu bytes, more than %d (field 'text'); load it in parts.", len,
                                         CONTROL_LOAD_MAX);
        f = fmemopen((void *) text, MAX(len, (size_t) 1), "r");
        if (!f)
                return -errno;
        if (len == 0)
                (void) fgetc(f); /* fmemopen wants a size > 0: consume the NUL */
        r = loadfile_read(f, "text", &list, err, sizeof(err));
        fclose(f);
        if (r >= 0)
                r = entry_load_check(&list, "text", control_link_len, client->control->manager, err, sizeof(err));
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s (field 'text'); nothing was stored.", err);
        r = manager_load(client->control->manager, list.entries, list.n, &failed);
        if (r < 0)
                return store_error(error, r, "Loading (nothing was stored)");
        log_info("Loaded %d entr%s over the control endpoint.", r, r == 1 ? "y" : "ies");
        return sd_bus_reply_method_return(m, "u", (uint32_t) r);
}

static int method_set_limits(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        struct store_limits want, after;
        uint64_t evicted = 0;
        int r;

        r = check_privileged(client, "Changing the store's bounds", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "tt", &want.max_entries, &want.max_per_iface);
        if (r < 0)
                return r;
        r = manager_set_limits(client->control->manager, &want, &after, &evicted);
        if (r == -EINVAL) /* entry_set_limits(): a bound out of range */
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "A bound is 0 (keep it) or from %llu to %llu (fields 'max_entries', "
                                         "'max_per_interface'); nothing was changed.", STORE_LIMIT_MIN, STORE_LIMIT_MAX);
        if (r == -EAGAIN)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Another process is writing the store %s; nothing was changed, try again.",
                                         manager_store_path(client->control->manager));
        if (r < 0)
                return store_error(error, r, "Changing the bounds (nothing was changed)");
        return sd_bus_reply_method_return(m, "ttt", after.max_entries, after.max_per_iface, evicted);
}

static int append_iface_limits(const char *ifname, const struct store_iface_info *info, void *userdata) {
        return sd_bus_message_append(userdata, "(stt)", ifname, info->entries, info->evicted);
}

static int method_get_limits(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        Manager *man = client->control->manager;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct store_limits l;
        int r;

        r = check_caller(client, error);
        if (r < 0)
                return r;
        r = manager_get_limits(man, &l);
        if (r < 0)
                return store_error(error, r, "Reading the bounds");
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "tt", l.max_entries, l.max_per_iface);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(stt)");
        if (r >= 0)
                r = manager_foreach_store_iface(man, append_iface_limits, reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return store_error(error, r, "Reading the interfaces' counts");
        return sd_bus_send(NULL, reply, NULL);
}

/* ---- LoadFd: a file streamed in steps ------------------------------------------------------ */

static ControlLoad *control_load_free(ControlLoad *l) {
        if (!l)
                return NULL;
        if (l->control->load == l) {
                l->control->load = NULL;
                manager_load_end(l->control->manager);
        }
        sd_event_source_disable_unref(l->step);
        sd_event_source_disable_unref(l->io);
        sd_event_source_disable_unref(l->stall);
        entry_load_free(l->load); /* aborts what is not committed */
        load_reader_free(l->rd);
        safe_close(l->fd);
        sd_bus_message_unref(l->call);
        free(l);
        return NULL;
}

static void control_load_finish(ControlLoad *l, int r, const char *err) {
        uint64_t stored = entry_load_committed(l->load);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *nothing = stored == 0 ? "; nothing was stored" : "";

        if (r >= 0) {
                log_info("Loaded %llu entr%s from %s over the control endpoint.", (unsigned long long) stored,
                         stored == 1 ? "y" : "ies", l->name);
                if (l->call)
                        (void) sd_bus_reply_method_return(l->call, "u", (uint32_t) MIN(stored, (uint64_t) UINT32_MAX));
        } else {
                if (r == -EINVAL || r == -ENODEV)
                        (void) sd_bus_error_setf(&e, SD_BUS_ERROR_INVALID_ARGS, "%s%s.", err, nothing);
                else
                        (void) sd_bus_error_set_errnof(&e, r, "Loading failed: %s%s.", err[0] ? err : strerror(-r),
                                                       nothing);
                log_warning("A load over the control endpoint failed: %s%s.", err[0] ? err : strerror(-r), nothing);
                if (l->call)
                        (void) sd_bus_reply_method_error(l->call, &e);
        }
        control_load_free(l);
}

/* The daemon stops: the load ends now, before the last commit (committed chunks stay). */
static void on_load_abort(void *userdata) {
        ControlLoad *l = userdata;
        char err[160];

        snprintf(err, sizeof(err), "%s: arpd is stopping", l->name);
        control_load_finish(l, -ESHUTDOWN, err);
}

static int on_load_step(sd_event_source *s, void *userdata) {
        ControlLoad *l = userdata;
        Manager *m = l->control->manager;
        uint64_t before = entry_load_committed(l->load);
        char err[512] = "";
        int r;

        r = entry_load_step(l->load, CONTROL_LOAD_SLICE, err, sizeof(err));
        if (entry_load_committed(l->load) != before)
                manager_load_committed(m);
        if (l->client)
                client_touch(l->client);
        if (r > 0)
                return 0; /* the step source stays on: the next slice after everything else */
        if (r == -EAGAIN && l->io) {
                /* a pipe with nothing in it now: wait for data */
                (void) sd_event_source_set_enabled(l->step, SD_EVENT_OFF);
                (void) sd_event_source_set_enabled(l->io, SD_EVENT_ON);
                return 0;
        }
        control_load_finish(l, r, err);
        return 0;
}

static int on_load_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ControlLoad *l = userdata;

        (void) sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(l->step, SD_EVENT_ON);
        (void) sd_event_source_set_time_relative(l->stall, CONTROL_LOAD_STALL_USEC);
        return 0;
}

static int on_load_stall(sd_event_source *s, uint64_t usec, void *userdata) {
        ControlLoad *l = userdata;
        char err[160];

        snprintf(err, sizeof(err), "%s: no data for %llu s", l->name,
                 (unsigned long long) (CONTROL_LOAD_STALL_USEC / USEC_PER_SEC));
        control_load_finish(l, -ETIMEDOUT, err);
        return 0;
}

/* The name the caller gave, for messages: printable, cut. */
static void load_name(const char *in, char *out, size_t size) {
        size_t k = 0;

        if (!in || !in[0])
                in = "input";
        for (; *in && k + 1 < size; in++)
                out[k++] = (unsigned char) *in < 0x20 || *in == 0x7f ? '?' : *in;
        out[k] = '\0';
}

static int method_load_fd(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        Control *ctl = client->control;
        _cleanup_close_ int fd = -EBADF;
        const char *name;
        struct stat st;
        ControlLoad *l;
        int r, in_fd, fl;

        r = check_privileged(client, "Loading entries", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "hs", &in_fd, &name);
        if (r < 0)
                return r;
        if (ctl->load)
                return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                        "Another load is running; try again when it is done. Nothing was stored.");
        fl = fcntl(in_fd, F_GETFL);
        if (fstat(in_fd, &st) < 0 || fl < 0)
                return sd_bus_error_set_errnof(error, errno, "Cannot use the file descriptor: %m.");
        if ((fl & O_ACCMODE) == O_WRONLY)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "The file descriptor is not open for reading (field 'file'); nothing was stored.");
        if (S_ISREG(st.st_mode))
                /* shares the caller's file offset: the caller can watch the progress */
                fd = fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
        else if (S_ISFIFO(st.st_mode)) {
                /* non-blocking, so a pipe never stops the loop: a file description of our own (the
                 * caller's stays as it is), or where the pipe's owner and mode do not let arpd's
                 * user open it again, the caller's made non-blocking */
                char path[64];

                snprintf(path, sizeof(path), "/proc/self/fd/%d", in_fd);
                fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                if (fd < 0 && (errno == EACCES || errno == EPERM || errno == ENOENT)) {
                        fd = fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
                        if (fd >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                                fd = safe_close(fd);
                }
        } else
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "The file descriptor is neither a regular file nor a pipe (field 'file'); "
                                        "nothing was stored.");
        if (fd < 0)
                return sd_bus_error_set_errnof(error, errno, "Cannot use the file descriptor: %m.");

        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        *l = (ControlLoad) { .control = ctl, .client = client, .fd = TAKE_FD(fd), .call = sd_bus_message_ref(m) };
        ctl->load = l;
        load_name(name, l->name, sizeof(l->name));
        r = load_reader_new_fd(l->name, l->fd, &l->rd);
        if (r < 0) {
                control_load_free(l);
                return r;
        }
        r = manager_load_new(ctl->manager, l->rd, &l->load);
        if (r < 0) {
                control_load_free(l);
                return store_error(error, r, "Loading (nothing was stored)");
        }
        entry_load_set_chunk(l->load, CONTROL_LOAD_CHUNK);
        manager_load_set_owner(ctl->manager, on_load_abort, l);
        sd_event *e = manager_event(ctl->manager);
        r = sd_event_add_defer(e, &l->step, on_load_step, l);
        if (r >= 0)
                r = sd_event_source_set_priority(l->step, CONTROL_LOAD_PRIORITY);
        if (r >= 0)
                r = sd_event_source_set_enabled(l->step, SD_EVENT_ON);
        if (r >= 0 && S_ISFIFO(st.st_mode)) {
                r = sd_event_add_io(e, &l->io, l->fd, EPOLLIN, on_load_io, l);
                if (r >= 0)
                        r = sd_event_source_set_priority(l->io, CONTROL_LOAD_PRIORITY);
                if (r >= 0)
                        r = sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
                if (r >= 0)
                        r = sd_event_add_time_relative(e, &l->stall, CLOCK_MONOTONIC, CONTROL_LOAD_STALL_USEC,
                                                       USEC_PER_SEC, on_load_stall, l);
        }
        if (r < 0) {
                control_load_free(l);
                return r;
        }
        return 1; /* answered when the load ends (control_load_finish()) */
}

/* ---- properties ---------------------------------------------------------------------------- */

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        ControlClient *client = userdata;
        Manager *man = client->control->manager;
        const struct arpd_options *o = manager_options(man);

        if (strcmp(property, "Interfaces") == 0) {
                int r = sd_bus_message_open_container(reply, 'a', "s");
                for (size_t i = 0; r >= 0 && i < manager_n_links(man); i++)
                        r = sd_bus_message_append(reply, "s", manager_link_at(man, i)->ifname);
                return r < 0 ? r : sd_bus_message_close_container(reply);
        }
        if (strcmp(property, "ActiveProbes") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) o->active_probes);
        if (strcmp(property, "KernelBroadcastOff") == 0)
                return sd_bus_message_append(reply, "b", (int) o->kernel_broadcast_off);
        if (strcmp(property, "NegativeTimeoutUSec") == 0)
                return sd_bus_message_append(reply, "t", (uint64_t) o->negative_timeout);
        if (strcmp(property, "MaxAgeUSec") == 0)
                return sd_bus_message_append(reply, "t", (uint64_t) o->max_age);
        if (strcmp(property, "Rate") == 0)
                return sd_bus_message_append(reply, "d", o->rate);
        if (strcmp(property, "Burst") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) o->burst);
        if (strcmp(property, "SyncIntervalUSec") == 0)
                return sd_bus_message_append(reply, "t", (uint64_t) o->sync_interval);
        if (strcmp(property, "MaxEntries") == 0) {
                /* the bound recorded in the store (every writer honours it), not an option */
                struct store_limits l;
                int r = manager_get_limits(man, &l);
                if (r < 0)
                        return store_error(error, r, "Reading the bounds");
                return sd_bus_message_append(reply, "t", l.max_entries);
        }
        if (strcmp(property, "StorePath") == 0)
                return sd_bus_message_append(reply, "s", manager_store_path(man));
        if (strcmp(property, "Version") == 0)
                return sd_bus_message_append(reply, "s", ARPD_VERSION);
        if (strcmp(property, "NetworkNamespace") == 0) {
                /* The identity of the namespace whose interfaces this daemon serves, so that a
                 * client can tell whether it shares it (arpctl talks only to those that do). */
                struct stat st;
                if (stat("/proc/self/ns/net", &st) < 0)
                        return sd_bus_error_set_errnof(error, errno, "Cannot read /proc/self/ns/net: %s", strerror(errno));
                return sd_bus_message_append(reply, "(tt)", (uint64_t) st.st_dev, (uint64_t) st.st_ino);
        }
        if (strcmp(property, "EntryCount") == 0) {
                size_t n = 0;
                int r = manager_count_entries(man, &n);
                if (r < 0)
                        return store_error(error, r, "Counting the entries");
                return sd_bus_message_append(reply, "t", (uint64_t) n);
        }
        return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property %s.", property);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Interfaces", "as", property_get, 0, 0),
        SD_BUS_PROPERTY("ActiveProbes", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KernelBroadcastOff", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("NegativeTimeoutUSec", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MaxAgeUSec", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Rate", "d", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Burst", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("SyncIntervalUSec", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MaxEntries", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("StorePath", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("EntryCount", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("NetworkNamespace", "(tt)", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("ListEntries",
                                SD_BUS_ARGS("s", interface, "u", family, "s", state, "s", prefix, "s", cursor, "u",
                                            limit),
                                SD_BUS_RESULT("a" ENTRY_BUS_SIGNATURE, entries, "s", next_cursor),
                                method_list_entries, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListEntriesPacked",
                                SD_BUS_ARGS("s", interface, "u", family, "s", state, "s", prefix, "s", cursor, "u",
                                            limit),
                                SD_BUS_RESULT("ay", entries, "s", next_cursor),
                                method_list_entries_packed, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetEntry", SD_BUS_ARGS("s", interface, "s", address),
                                SD_BUS_RESULT(ENTRY_BUS_SIGNATURE, entry), method_get_entry, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetHistory", SD_BUS_ARGS("s", interface, "s", address),
                                SD_BUS_RESULT("a(stt)", history), method_get_history, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AddStatic", SD_BUS_ARGS("s", interface, "s", address, "s", lladdr),
                                SD_BUS_NO_RESULT, method_add_static, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("s", interface, "s", address), SD_BUS_NO_RESULT,
                                method_delete, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Flush", SD_BUS_ARGS("s", interface, "s", state), SD_BUS_RESULT("t", count),
                                method_flush, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Load", SD_BUS_ARGS("s", text), SD_BUS_RESULT("u", count), method_load, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetLimits", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("t", max_entries, "t", max_per_interface, "a(stt)", interfaces),
                                method_get_limits, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetLimits", SD_BUS_ARGS("t", max_entries, "t", max_per_interface),
                                SD_BUS_RESULT("t", max_entries, "t", max_per_interface, "t", evicted),
                                method_set_limits, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("LoadFd", SD_BUS_ARGS("h", file, "s", name), SD_BUS_RESULT("u", count), method_load_fd,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetStatistics", SD_BUS_ARGS("s", interface), SD_BUS_RESULT("a{sa{st}}", statistics),
                                method_get_statistics, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Subscribe", "", "", method_subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Unsubscribe", "", "", method_subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("EntryChanged",
                                SD_BUS_ARGS("s", kind, "s", interface, "s", address, "s", lladdr, "s", state), 0),
        SD_BUS_SIGNAL_WITH_ARGS("StationEvent",
                                SD_BUS_ARGS("s", kind, "s", interface, "s", address, "s", lladdr, "s", old_lladdr, "s",
                                            source, "t", time_usec, "t", idle_usec, "a{st}", folded), 0),
        SD_BUS_VTABLE_END,
};

/* Generic clients such as busctl greet the "bus" first; a peer-to-peer server answers for it. */
static int method_hello(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(m, "s", ":1.1");
}

static const sd_bus_vtable hello_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Hello", "", "s", method_hello, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* ---- the listening socket ------------------------------------------------------------------ */

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata) {
        ControlClient *c = userdata;

        log_debug("Closing a control connection idle for %llu ms.",
                  (unsigned long long) (c->control->idle_timeout / USEC_PER_MSEC));
        client_close_later(c);
        return 0;
}

static int client_new(Control *ctl, int fd) {
        _cleanup_close_ int cfd = fd;
        struct peer peer = { .pidfd = -EBADF };
        ControlClient *c;
        bool refused;
        int r;

        r = peer_from_socket(cfd, &peer);
        if (r < 0)
                return log_warning_errno(r, "Refusing a control connection: cannot read its credentials: %m");
        /* Room is kept for root; past the limits a connection is still answered, with an error
         * that says why, up to a few of those; beyond that it is closed at once. */
        refused = ctl->n_served >= CONTROL_MAX_CLIENTS + (peer.uid == 0 ? CONTROL_RESERVED_ROOT : 0);
        if (ctl->n_clients >= ELEMENTSOF(ctl->clients)) {
                peer_done(&peer);
                log_warning("Refusing a control connection: %zu connections are open already.", ctl->n_clients);
                return -EMFILE;
        }
        if (refused)
                log_warning("Control connection from uid %u over the limit of %d; answering it with an error.",
                            (unsigned) peer.uid, CONTROL_MAX_CLIENTS);
        c = calloc(1, sizeof(*c));
        if (!c) {
                peer_done(&peer);
                return log_oom();
        }
        *c = (ControlClient) { .control = ctl, .peer = peer, .refused = refused };
        ctl->clients[ctl->n_clients++] = c;
        if (!refused)
                ctl->n_served++;
        r = sd_bus_new(&c->conn);
        if (r < 0) {
                client_free(c);
                return log_warning_errno(r, "Cannot set up a control connection: %m");
        }
        (void) sd_bus_set_description(c->conn, "control");
        r = sd_bus_set_fd(c->conn, cfd, cfd);
        if (r >= 0)
                TAKE_FD(cfd);
        if (r >= 0)
                r = sd_bus_set_server(c->conn, 1, ctl->id);
        if (r >= 0)
                r = sd_bus_add_object_vtable(c->conn, NULL, CONTROL_PATH, CONTROL_INTERFACE, manager_vtable, c);
        if (r >= 0)
                r = sd_bus_add_object_vtable(c->conn, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                             hello_vtable, c);
        if (r >= 0)
                r = sd_bus_match_signal(c->conn, NULL, "org.freedesktop.DBus.Local", NULL, "org.freedesktop.DBus.Local",
                                        "Disconnected", on_disconnected, c);
        if (r >= 0)
                r = sd_bus_start(c->conn);
        if (r >= 0)
                r = sd_bus_attach_event(c->conn, manager_event(ctl->manager), CONTROL_PRIORITY);
        if (r >= 0 && (refused || ctl->idle_timeout > 0))
                r = sd_event_add_time_relative(manager_event(ctl->manager), &c->idle_timer, CLOCK_MONOTONIC,
                                               refused ? CONTROL_REFUSED_TIMEOUT_USEC : ctl->idle_timeout,
                                               USEC_PER_SEC, on_idle, c);
        if (r < 0) {
                client_free(c);
                return log_warning_errno(r, "Cannot set up a control connection: %m");
        }
        return 0;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Control *ctl = userdata;

        for (unsigned i = 0; i < CONTROL_ACCEPT_BATCH; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning_errno(-errno, "Accepting a control connection failed: %m");
                        break;
                }
                (void) client_new(ctl, cfd);
        }
        return 0;
}

/* Is something accepting connections at addr? */
static bool socket_alive(const struct sockaddr_un *addr, socklen_t len) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        return fd >= 0 && connect(fd, (const struct sockaddr *) addr, len) == 0;
}

/* bind() with the socket's final mode 0666 already in place: the file is created by bind itself
 * under umask 0111, so no chmod (which would follow a symlink planted at path) is needed. */
static int bind_mode_0666(int fd, const struct sockaddr_un *addr, socklen_t len) {
        mode_t saved = umask(0111);
        int r = bind(fd, (const struct sockaddr *) addr, len) < 0 ? -errno : 0;

        (void) umask(saved);
        return r;
}

/* The directories on the way to path: safe to create a socket in (fs-util.h), then created. */
static int prepare_directories(const char *path) {
        char dir[PATH_MAX] = "";
        uid_t owner = 0;
        mode_t mode = 0;
        int r;

        r = path_check_parents_private(path, geteuid(), dir, &owner, &mode);
        if (r == -EPERM)
                return log_error_errno(r, "Refusing the control socket %s: directory %s (owner uid %u, mode %04o) can "
                                       "be changed by other users, who could replace the socket. Use a directory "
                                       "only root (or arpd's user) can write to.", path, dir, (unsigned) owner,
                                       (unsigned) mode);
        if (r == -ELOOP)
                return log_error_errno(r, "Refusing the control socket %s: %s is a symbolic link.", path, dir);
        if (r < 0)
                return log_error_errno(r, "Cannot use the directory %s for the control socket %s: %m", dir, path);
        r = mkdir_parents(path, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create the directory of the control socket %s: %m", path);
        return r;
}

int control_new(Manager *m, const char *path, Control **ret) {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        socklen_t len;
        Control *ctl;
        int r, dirs_created;

        assert(m);
        assert(path);
        assert(ret);
        if (strlen(path) >= sizeof(addr.sun_path))
                return log_error_errno(ENAMETOOLONG, "Control socket path %s is too long (at most %zu bytes).", path,
                                       sizeof(addr.sun_path) - 1);
        strcpy(addr.sun_path, path);
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);

        r = prepare_directories(path);
        if (r < 0)
                return r;
        dirs_created = r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Cannot create the control socket: %m");
        r = bind_mode_0666(fd, &addr, len);
        if (r == -EADDRINUSE) {
                if (socket_alive(&addr, len))
                        return log_error_errno(EADDRINUSE, "Another process serves the control socket %s; pick "
                                               "another one with --control-socket=PATH.", path);
                /* A stale socket of an earlier run. */
                if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
                        return log_error_errno(EEXIST, "%s exists and is not a socket; not replacing it.", path);
                (void) unlink(path);
                r = bind_mode_0666(fd, &addr, len);
        }
        if (r < 0)
                return log_error_errno(r, "Cannot bind the control socket %s: %m", path);
        if (lstat(path, &st) < 0 || listen(fd, 16) < 0) {
                r = -errno;
                (void) unlink(path);
                return log_error_errno(r, "Cannot set up the control socket %s: %m", path);
        }

        ctl = calloc(1, sizeof(*ctl));
        if (!ctl) {
                (void) unlink(path);
                return log_oom();
        }
        *ctl = (Control) { .manager = m, .listen_fd = TAKE_FD(fd), .dev = st.st_dev, .ino = st.st_ino,
                           .dirs_created = dirs_created, .idle_timeout = CONTROL_IDLE_TIMEOUT_USEC };
        ctl->path = strdup(path);
        r = ctl->path ? sd_id128_randomize(&ctl->id) : -ENOMEM;
        if (r >= 0)
                r = sd_event_add_io(manager_event(m), &ctl->listen_source, ctl->listen_fd, EPOLLIN, on_listen, ctl);
        if (r >= 0)
                r = sd_event_source_set_priority(ctl->listen_source, CONTROL_PRIORITY);
        if (r >= 0)
                r = manager_add_observer(m, &(struct manager_observer) {
                        .changed = on_changed,
                        .folded = on_folded,
                        .station = on_station,
                        .wants_changes = on_wants_changes,
                        .userdata = ctl,
                });
        if (r < 0) {
                if (!ctl->path)
                        (void) unlink(path);
                control_free(ctl);
                return log_error_errno(r, "Cannot set up the control socket %s: %m", path);
        }
        log_debug("Control endpoint listening on %s.", path);
        *ret = ctl;
        return 0;
}

void control_set_idle_timeout(Control *ctl, usec_t usec) {
        assert(ctl);
        ctl->idle_timeout = usec;
}

void control_set_list_min_wait(Control *ctl, usec_t usec) {
        ctl->list_min_wait = usec;
}

uint64_t control_list_deferred(const Control *ctl) {
        return ctl->list_deferred;
}

size_t control_n_clients(const Control *ctl) {
        return ctl->n_clients;
}

int control_start(Manager *m, Control **ret) {
        _cleanup_free_ char *dflt = NULL;
        const struct arpd_options *o = manager_options(m);
        const char *path = o->control_socket;
        int r;

        *ret = NULL;
        if (!path) {
                r = arpd_options_default_control_socket(o, getenv("RUNTIME_DIRECTORY"), &dflt);
                if (r < 0)
                        return log_oom();
                path = dflt;
        }
        if (path[0] == '\0')
                return 0;
        r = control_new(m, path, ret);
        if (r >= 0)
                control_set_idle_timeout(*ret, o->control_idle_timeout);
        if (r < 0 && (r == -EADDRINUSE || dflt)) {
                /* Only an explicitly requested endpoint is worth failing the start for. */
                log_warning("Running without a control endpoint.");
                return 0;
        }
        return r;
}

Control *control_free(Control *ctl) {
        struct stat st;

        if (!ctl)
                return NULL;
        manager_remove_observer(ctl->manager, ctl);
        control_load_free(ctl->load);
        while (ctl->n_clients > 0)
                client_free(ctl->clients[0]);
        sd_event_source_disable_unref(ctl->list_timer);
        sd_event_source_disable_unref(ctl->listen_source);
        safe_close(ctl->listen_fd);
        /* Remove the socket only if it is still ours (a later instance may have replaced it). */
        if (ctl->path && lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev && st.st_ino == ctl->ino) {
                (void) unlink(ctl->path);
                rmdir_parents(ctl->path, ctl->dirs_created); /* only what control_new() created, if empty */
        }
        free(ctl->path);
        free(ctl);
        return NULL;
}
