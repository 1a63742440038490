/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "arpd-bus.h"
#include "arpd-manager.h"
#include "entry-format.h"
#include "loadfile.h"
#include "log.h"
#include "macro.h"

#define BUS_PRIORITY (SD_EVENT_PRIORITY_NORMAL + 10)
#define BUS_ACCEPT_BATCH 8
#define BUS_LOAD_LINE_MAX 4096
#define BUS_FLUSH_CHUNK 4096

typedef struct BusClient {
        Bus *bus;
        sd_bus *conn;
        sd_event_source *defer_free;
        bool subscribed;
        bool closing;
} BusClient;

struct Bus {
        Manager *manager;
        char *path;
        int listen_fd;
        dev_t dev;
        ino_t ino;
        int dirs_created;   /* parent directories bus_new() made (removed again if empty) */
        sd_event_source *listen_source;
        sd_id128_t id;
        BusClient *clients[BUS_MAX_CLIENTS];
        size_t n_clients;
        unsigned n_subscribed;
        unsigned signals_left; /* per-call budget of EntryChanged signals while a bulk call runs */
        bool in_bulk;
        uint64_t bulk_suppressed;
};

/* ---- clients ------------------------------------------------------------------------------- */

static BusClient *client_free(BusClient *c) {
        Bus *b;

        if (!c)
                return NULL;
        b = c->bus;
        for (size_t i = 0; i < b->n_clients; i++)
                if (b->clients[i] == c) {
                        b->clients[i] = b->clients[--b->n_clients];
                        break;
                }
        if (c->subscribed)
                b->n_subscribed--;
        sd_event_source_disable_unref(c->defer_free);
        if (c->conn) {
                sd_bus_detach_event(c->conn);
                sd_bus_flush_close_unref(c->conn);
        }
        free(c);
        return NULL;
}

static int on_defer_free(sd_event_source *s, void *userdata) {
        client_free(userdata);
        return 0;
}

/* A connection cannot be freed from inside its own callbacks: do it from a defer source. */
static void client_close_later(BusClient *c) {
        if (c->closing)
                return;
        c->closing = true;
        if (c->subscribed) {
                c->subscribed = false;
                c->bus->n_subscribed--;
        }
        if (sd_event_add_defer(c->bus->manager->event, &c->defer_free, on_defer_free, c) < 0)
                log_warning("Cannot schedule the release of a control connection.");
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        client_close_later(userdata);
        return 0;
}

static bool client_congested(BusClient *c) {
        uint64_t n = 0;

        return sd_bus_get_n_queued_write(c->conn, &n) >= 0 && n >= BUS_CLIENT_QUEUE_MAX;
}

/* ---- helpers ------------------------------------------------------------------------------- */

static int check_caller(sd_bus_message *m, BusClient *c, sd_bus_error *error) {
        if (client_congested(c))
                return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                        "Too many unread replies on this connection; read them first.");
        return 0;
}

/* The effective capability set of pid, from /proc (the kernel does not pass it over the socket). */
static int read_cap_eff(pid_t pid, uint64_t *ret) {
        char path[64], line[256];
        unsigned long long v;
        FILE *f;
        int r = -ENODATA;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "CapEff: %llx", &v) == 1) {
                        *ret = v;
                        r = 0;
                        break;
                }
        fclose(f);
        return r;
}

/* Changes need uid 0 or CAP_NET_ADMIN in the caller's effective set. The uid and pid come from
 * SO_PEERCRED of the connection (taken by the kernel at connect time, not forgeable). */
static int check_privileged(sd_bus_message *m, BusClient *c, const char *what, sd_bus_error *error) {
        struct ucred uc = {};
        socklen_t len = sizeof(uc);
        uint64_t caps = 0;
        uid_t uid;
        int r, fd;

        r = check_caller(m, c, error);
        if (r < 0)
                return r;
        fd = sd_bus_get_fd(c->conn);
        if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 || len != sizeof(uc))
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "%s needs root or CAP_NET_ADMIN, and the caller's credentials cannot be "
                                         "determined. Nothing was changed.", what);
        uid = uc.uid;
        if (uid == 0)
                return 0;
        if (uc.pid > 0 && read_cap_eff(uc.pid, &caps) >= 0 && (caps & (UINT64_C(1) << CAP_NET_ADMIN)))
                return 0;
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                 "%s needs root or CAP_NET_ADMIN; the caller (uid %u) has neither. Nothing was changed.",
                                 what, (unsigned) uid);
}

static int parse_key(const char *ifname, const char *address, struct neigh_key *k, sd_bus_error *error) {
        union in_addr_union a;
        int family;

        if (!entry_ifname_valid(ifname))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid interface name '%.32s' (field 'interface').", ifname);
        if (in_addr_from_string(address, &family, &a) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid IPv4 or IPv6 address '%.64s' (field 'address').", address);
        if (neigh_key_make(k, ifname, family, &a) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid key (field 'interface').");
        return 0;
}

/* The interface ("" = all) and state arguments of ListEntries and Flush. */
static int filter_set_ifname(struct entry_filter *f, const char *ifname, sd_bus_error *error) {
        if (ifname[0] == '\0')
                return 0;
        if (!entry_ifname_valid(ifname))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid interface name '%.32s' (field 'interface').", ifname);
        snprintf(f->ifname, sizeof(f->ifname), "%s", ifname);
        return 0;
}

static int filter_set_states(struct entry_filter *f, const char *state, sd_bus_error *error) {
        int r = entry_states_from_string(state);

        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid state '%.32s' (field 'state': positive, negative, static, learned "
                                         "or any).", state);
        f->states = (unsigned) r;
        return 0;
}

static int store_error(sd_bus_error *error, int r, const char *what) {
        return sd_bus_error_set_errnof(error, r, "%s failed: %s", what, strerror(-r));
}

/* ---- signals ------------------------------------------------------------------------------- */

bool bus_has_subscribers(const Bus *b) {
        return b && b->n_subscribed > 0;
}

static void emit(Bus *b, const char *kind, const char *ifname, const char *address, const char *lladdr,
                 const char *state) {
        for (size_t i = 0; i < b->n_clients; i++) {
                BusClient *c = b->clients[i];
                int r;

                if (!c->subscribed || c->closing)
                        continue;
                if (client_congested(c)) {
                        log_warning("A control client does not read its EntryChanged signals; disconnecting it.");
                        client_close_later(c);
                        continue;
                }
                r = sd_bus_emit_signal(c->conn, BUS_PATH, BUS_INTERFACE, "EntryChanged", "sssss", kind, ifname,
                                       address, lladdr, state);
                if (r < 0) {
                        log_debug_errno(r, "Cannot send EntryChanged: %m");
                        client_close_later(c);
                }
        }
}

void bus_notify(Bus *b, const struct neigh_key *k, const struct record *old, const struct record *new,
                const char *deleted_kind) {
        char ifname[IFNAMSIZ], a[IN_ADDR_STRLEN], l[LLADDR_STRLEN];
        const struct record *shown = new ? new : old;
        const char *kind;

        if (!bus_has_subscribers(b) || (!old && !new))
                return;
        if (!new)
                kind = deleted_kind;
        else if (!old)
                kind = "new";
        else if (new->state == RECORD_NEGATIVE && old->state != RECORD_NEGATIVE)
                kind = "invalidated";
        else if (new->state != old->state || !lladdr_equal(&new->lladdr, &old->lladdr))
                kind = "changed";
        else
                return;
        if (b->in_bulk) {
                if (b->signals_left == 0) {
                        b->bulk_suppressed++;
                        return;
                }
                b->signals_left--;
        }
        snprintf(ifname, sizeof(ifname), "%.*s", IFNAMSIZ - 1, k->ifname);
        emit(b, kind, ifname, in_addr_to_string(k->family, &k->addr, a), lladdr_to_string(&shown->lladdr, l),
             new ? record_state_to_string(new->state) : "");
}

static void bulk_begin(Bus *b) {
        b->in_bulk = true;
        b->signals_left = BUS_SIGNALS_PER_CALL_MAX;
        b->bulk_suppressed = 0;
}

/* After a bulk call whose signals were cut short, one "many" signal says: re-read the listing. */
static void bulk_end(Bus *b, const char *ifname) {
        b->in_bulk = false;
        if (b->bulk_suppressed > 0 && bus_has_subscribers(b))
                emit(b, "many", ifname, "", "", "");
        b->bulk_suppressed = 0;
}

/* ---- methods: reads ------------------------------------------------------------------------ */

struct list_ctx {
        const struct entry_filter *filter;
        sd_bus_message *reply;
        unsigned limit;
        unsigned n;
        size_t scanned;
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
        return c->n >= c->limit || c->scanned >= BUS_LIST_SCAN_MAX ? 1 : 0;
}

static int list_entries(sd_bus_message *m, void *userdata, sd_bus_error *error, bool packed) {
        BusClient *client = userdata;
        Manager *man = client->bus->manager;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *ifname, *state, *prefix, *cursor;
        struct entry_filter f = {};
        struct neigh_key after;
        uint32_t family, limit;
        char next[ENTRY_CURSOR_MAX] = "";
        int r;

        r = check_caller(m, client, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "susssu", &ifname, &family, &state, &prefix, &cursor, &limit);
        if (r < 0)
                return r;
        r = filter_set_ifname(&f, ifname, error);
        if (r < 0)
                return r;
        r = entry_family_from_number(family);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid family %u (field 'family': 0, 4 or 6).", family);
        f.family = r;
        r = filter_set_states(&f, state, error);
        if (r < 0)
                return r;
        if (prefix[0] != '\0') {
                if (entry_prefix_from_string(prefix, &f.prefix) < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Invalid address prefix '%.64s' (field 'prefix').", prefix);
                f.has_prefix = true;
        }
        if (cursor[0] != '\0' && entry_cursor_parse(cursor, &after) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid cursor '%.64s' (field 'cursor').",
                                         cursor);
        if (limit > BUS_LIST_LIMIT_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid limit %u (field 'limit': 0 for the default %d, at most %d).", limit,
                                         BUS_LIST_LIMIT_DEFAULT, BUS_LIST_LIMIT_MAX);
        if (limit == 0)
                limit = BUS_LIST_LIMIT_DEFAULT;

        (void) manager_commit(man); /* what the daemon staged is part of the answer */
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        _cleanup_free_ uint8_t *buf = NULL;
        if (packed) {
                buf = malloc((size_t) limit * ENTRY_PACKED_SIZE);
                if (!buf)
                        return -ENOMEM;
        } else {
                r = sd_bus_message_open_container(reply, 'a', ENTRY_BUS_SIGNATURE);
                if (r < 0)
                        return r;
        }
        struct list_ctx c = { .filter = &f, .reply = reply, .limit = limit, .packed = buf };
        r = store_foreach_after(man->store, f.ifname[0] ? f.ifname : NULL, f.family, cursor[0] ? &after : NULL,
                                list_one, &c);
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
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_entries(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return list_entries(m, userdata, error, false);
}

static int method_list_entries_packed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return list_entries(m, userdata, error, true);
}

static int method_get_entry(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusClient *client = userdata;
        Manager *man = client->bus->manager;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *ifname, *address;
        struct neigh_key k;
        struct record rec;
        int r;

        r = check_caller(m, client, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "ss", &ifname, &address);
        if (r < 0)
                return r;
        r = parse_key(ifname, address, &k, error);
        if (r < 0)
                return r;
        r = store_get(man->store, &k, &rec);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_ENTRY, "No entry for %s on %s.", address, ifname);
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
        BusClient *client = userdata;
        Manager *man = client->bus->manager;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *ifname;
        bool found = false;
        int r;

        r = check_caller(m, client, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "s", &ifname);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{sa{st}}");
        if (r < 0)
                return r;
        for (size_t i = 0; i < man->n_links; i++) {
                Link *l = man->links[i];
                if (ifname[0] != '\0' && strcmp(ifname, l->ifname) != 0)
                        continue;
                found = true;
                r = append_stats(reply, l->ifname, &l->stats);
                if (r < 0)
                        return r;
        }
        if (ifname[0] == '\0') {
                r = append_stats(reply, "*", &man->global);
                if (r < 0)
                        return r;
        } else if (!found)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_INTERFACE,
                                         "arpd does not serve an interface named '%.32s' (field 'interface').", ifname);
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_subscribe(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusClient *client = userdata;
        bool on = strcmp(sd_bus_message_get_member(m), "Subscribe") == 0;
        int r;

        r = check_caller(m, client, error);
        if (r < 0)
                return r;
        if (on != client->subscribed && !client->closing) {
                client->subscribed = on;
                if (on)
                        client->bus->n_subscribed++;
                else
                        client->bus->n_subscribed--;
        }
        return sd_bus_reply_method_return(m, NULL);
}

/* ---- methods: changes ---------------------------------------------------------------------- */

/* Runs one write transaction on the manager's store after committing what the daemon staged. */
static int begin_change(Manager *man, StoreTxn **ret, sd_bus_error *error) {
        int r = manager_commit(man);

        if (r < 0)
                return store_error(error, r, "Committing the daemon's pending changes");
        r = store_txn_begin(man->store, ret);
        if (r < 0)
                return store_error(error, r, "Opening a store transaction");
        return 0;
}

static int end_change(Manager *man, StoreTxn *t, sd_bus_error *error) {
        int r = store_txn_commit(t);

        if (r < 0)
                return store_error(error, r, "Writing to the store");
        (void) store_refresh(man->store);
        if (man->opts->sync_interval == 0)
                (void) store_sync(man->store);
        return 0;
}

static int method_add_static(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusClient *client = userdata;
        Manager *man = client->bus->manager;
        const char *ifname, *address, *lladdr;
        struct record old, rec;
        struct lladdr ll;
        struct neigh_key k;
        StoreTxn *t = NULL;
        usec_t now = now_usec(CLOCK_REALTIME);
        bool had;
        int r;

        r = check_privileged(m, client, "Adding a static entry", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "sss", &ifname, &address, &lladdr);
        if (r < 0)
                return r;
        r = parse_key(ifname, address, &k, error);
        if (r < 0)
                return r;
        if (lladdr_from_string(lladdr, &ll) < 0 || lladdr_is_zero(&ll) || lladdr_is_multicast(&ll))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid link-layer address '%.64s' (field 'lladdr'): expected 1 to %d "
                                         "hex octets like 02:00:5e:10:00:01, not zero, multicast or broadcast.",
                                         lladdr, LLADDR_MAX);
        r = begin_change(man, &t, error);
        if (r < 0)
                return r;
        had = store_txn_get(t, &k, &old) == 0;
        rec = (struct record) {
                .state = RECORD_STATIC,
                .source = SOURCE_CONTROL,
                .lladdr = ll,
                .first_seen = had && old.first_seen > 0 ? old.first_seen : now,
                .last_seen = now,
        };
        r = store_txn_put(t, &k, &rec);
        if (r < 0) {
                store_txn_abort(t);
                return store_error(error, r, "Storing the entry");
        }
        r = end_change(man, t, error);
        if (r < 0)
                return r;
        log_info("%s: static entry %s -> %s added over the control endpoint.", ifname, address, lladdr);
        bus_notify(client->bus, &k, had ? &old : NULL, &rec, "deleted");
        return sd_bus_reply_method_return(m, NULL);
}

static int method_delete(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusClient *client = userdata;
        Manager *man = client->bus->manager;
        const char *ifname, *address;
        struct neigh_key k;
        struct record old;
        StoreTxn *t = NULL;
        int r;

        r = check_privileged(m, client, "Deleting an entry", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "ss", &ifname, &address);
        if (r < 0)
                return r;
        r = parse_key(ifname, address, &k, error);
        if (r < 0)
                return r;
        r = begin_change(man, &t, error);
        if (r < 0)
                return r;
        r = store_txn_get(t, &k, &old);
        if (r == 0)
                r = store_txn_delete(t, &k);
        if (r < 0) {
                store_txn_abort(t);
                if (r == -ENOENT)
                        return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_ENTRY, "No entry for %s on %s.", address,
                                                 ifname);
                return store_error(error, r, "Deleting the entry");
        }
        r = end_change(man, t, error);
        if (r < 0)
                return r;
        log_info("%s: entry %s deleted over the control endpoint.", ifname, address);
        bus_notify(client->bus, &k, &old, NULL, "deleted");
        return sd_bus_reply_method_return(m, NULL);
}

struct flush_ctx {
        const struct entry_filter *filter;
        struct neigh_key *keys;
        struct record *records;
        size_t n;
        size_t scanned;
        struct neigh_key last;
};

static int flush_one(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct flush_ctx *c = userdata;

        c->scanned++;
        c->last = *k;
        if (entry_filter_match(c->filter, k, r)) {
                c->keys[c->n] = *k;
                c->records[c->n] = *r;
                c->n++;
        }
        return c->n >= BUS_FLUSH_CHUNK ? 1 : 0;
}

static int method_flush(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusClient *client = userdata;
        Manager *man = client->bus->manager;
        _cleanup_free_ struct neigh_key *keys = NULL;
        _cleanup_free_ struct record *records = NULL;
        struct entry_filter f = {};
        const char *ifname, *state;
        uint64_t total = 0;
        bool more = true, have_after = false;
        struct neigh_key after;
        int r;

        r = check_privileged(m, client, "Flushing entries", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "ss", &ifname, &state);
        if (r < 0)
                return r;
        r = filter_set_ifname(&f, ifname, error);
        if (r < 0)
                return r;
        r = filter_set_states(&f, state, error);
        if (r < 0)
                return r;
        keys = calloc(BUS_FLUSH_CHUNK, sizeof(*keys));
        records = calloc(BUS_FLUSH_CHUNK, sizeof(*records));
        if (!keys || !records)
                return -ENOMEM;
        r = manager_commit(man);
        if (r < 0)
                return store_error(error, r, "Committing the daemon's pending changes");

        bulk_begin(client->bus);
        /* In chunks, each its own transaction: a flush of the whole store never holds it all. */
        while (more) {
                struct flush_ctx c = { .filter = &f, .keys = keys, .records = records };
                StoreTxn *t = NULL;

                r = store_foreach_after(man->store, f.ifname[0] ? f.ifname : NULL, 0, have_after ? &after : NULL,
                                        flush_one, &c);
                if (r < 0)
                        break;
                more = r > 0;
                after = c.last;
                have_after = c.scanned > 0;
                if (c.n == 0)
                        continue;
                r = store_txn_begin(man->store, &t);
                for (size_t i = 0; r >= 0 && i < c.n; i++) {
                        r = store_txn_delete(t, &keys[i]);
                        if (r == -ENOENT)
                                r = 0; /* gone meanwhile (another process) */
                }
                if (r < 0) {
                        store_txn_abort(t);
                        break;
                }
                r = store_txn_commit(t);
                if (r < 0)
                        break;
                (void) store_refresh(man->store);
                total += c.n;
                for (size_t i = 0; i < c.n; i++)
                        bus_notify(client->bus, &keys[i], &records[i], NULL, "deleted");
        }
        bulk_end(client->bus, ifname);
        if (r < 0)
                return store_error(error, r, "Flushing the store");
        if (man->opts->sync_interval == 0)
                (void) store_sync(man->store);
        log_info("Flushed %llu %s entr%s%s%s over the control endpoint.", (unsigned long long) total,
                 state[0] ? state : "any", total == 1 ? "y" : "ies", ifname[0] ? " on " : "", ifname);
        return sd_bus_reply_method_return(m, "t", total);
}

/* Checks every line first so a bad one is reported to the caller with its number. */
static int load_validate(const char *text, size_t *ret_entries, sd_bus_error *error) {
        char line[BUS_LOAD_LINE_MAX + 1];
        size_t lineno = 0, entries = 0;
        const char *p = text;

        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen(p);
                const char *reason = NULL;
                int r;

                lineno++;
                if (n > BUS_LOAD_LINE_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Line %zu is longer than %d bytes (field 'text'); nothing was stored.",
                                                 lineno, BUS_LOAD_LINE_MAX);
                memcpy(line, p, n);
                line[n] = '\0';
                r = loadfile_parse_line(line, NULL, &reason);
                if (r < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Line %zu: %s (field 'text'); nothing was stored.", lineno,
                                                 reason ? reason : "malformed");
                entries += r > 0;
                p += n + (nl ? 1 : 0);
        }
        *ret_entries = entries;
        return 0;
}

/* EntryChanged for what a load stored (only while someone listens; bounded by the bulk budget). */
static void load_notify(Bus *b, const char *text, bool before, struct record *olds, bool *had, size_t max) {
        char line[BUS_LOAD_LINE_MAX + 1];
        const char *p = text;
        size_t i = 0;

        while (*p && i < max) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen(p);
                struct load_entry e;
                struct neigh_key k;
                struct record rec;

                memcpy(line, p, MIN(n, (size_t) BUS_LOAD_LINE_MAX));
                line[MIN(n, (size_t) BUS_LOAD_LINE_MAX)] = '\0';
                p += n + (nl ? 1 : 0);
                if (loadfile_parse_line(line, &e, NULL) <= 0)
                        continue;
                if (e.ifname[0] == '\0' || neigh_key_make(&k, e.ifname, e.family, &e.addr) < 0) {
                        i++;
                        continue;
                }
                if (before)
                        had[i] = store_get(b->manager->store, &k, &olds[i]) == 0;
                else if (store_get(b->manager->store, &k, &rec) == 0)
                        bus_notify(b, &k, had[i] ? &olds[i] : NULL, &rec, "deleted");
                i++;
        }
}

static int method_load(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusClient *client = userdata;
        Bus *b = client->bus;
        Manager *man = b->manager;
        _cleanup_free_ struct record *olds = NULL;
        _cleanup_free_ bool *had = NULL;
        const char *text;
        size_t entries = 0, len, n_notify = 0;
        FILE *f;
        int r;

        r = check_privileged(m, client, "Loading entries", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "s", &text);
        if (r < 0)
                return r;
        len = strlen(text);
        if (len > BUS_LOAD_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "The text is %zu bytes, more than %d (field 'text'); load it in parts.", len,
                                         BUS_LOAD_MAX);
        r = load_validate(text, &entries, error);
        if (r < 0)
                return r;
        r = manager_commit(man);
        if (r < 0)
                return store_error(error, r, "Committing the daemon's pending changes");
        if (bus_has_subscribers(b)) {
                n_notify = MIN(entries, (size_t) BUS_SIGNALS_PER_CALL_MAX);
                olds = calloc(MAX(n_notify, (size_t) 1), sizeof(*olds));
                had = calloc(MAX(n_notify, (size_t) 1), sizeof(*had));
                if (!olds || !had)
                        return -ENOMEM;
                load_notify(b, text, true, olds, had, n_notify);
        }
        f = fmemopen((void *) text, MAX(len, (size_t) 1), "r");
        if (!f)
                return -errno;
        if (len == 0)
                (void) fgetc(f); /* fmemopen wants a size > 0: consume the NUL */
        r = loadfile_load(man->store, f, "<control endpoint>", now_usec(CLOCK_REALTIME));
        fclose(f);
        if (r == -ENODEV)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "A line names an interface index that does not exist (field 'text'); "
                                         "nothing was stored.");
        if (r < 0)
                return store_error(error, r, "Loading (nothing was stored)");
        (void) store_refresh(man->store);
        if (man->opts->sync_interval == 0)
                (void) store_sync(man->store);
        log_info("Loaded %d entr%s over the control endpoint.", r, r == 1 ? "y" : "ies");
        if (n_notify > 0) {
                bulk_begin(b);
                load_notify(b, text, false, olds, had, n_notify);
                if (entries > n_notify)
                        b->bulk_suppressed += entries - n_notify;
                bulk_end(b, "");
        }
        return sd_bus_reply_method_return(m, "u", (uint32_t) r);
}

/* ---- properties ---------------------------------------------------------------------------- */

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusClient *client = userdata;
        Manager *man = client->bus->manager;
        const struct arpd_options *o = man->opts;

        if (strcmp(property, "Interfaces") == 0) {
                int r = sd_bus_message_open_container(reply, 'a', "s");
                for (size_t i = 0; r >= 0 && i < man->n_links; i++)
                        r = sd_bus_message_append(reply, "s", man->links[i]->ifname);
                return r < 0 ? r : sd_bus_message_close_container(reply);
        }
        if (strcmp(property, "ActiveProbes") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) o->active_probes);
        if (strcmp(property, "KernelBroadcastOff") == 0)
                return sd_bus_message_append(reply, "b", (int) o->kernel_broadcast_off);
        if (strcmp(property, "NegativeTimeoutUSec") == 0)
                return sd_bus_message_append(reply, "t", (uint64_t) o->negative_timeout);
        if (strcmp(property, "Rate") == 0)
                return sd_bus_message_append(reply, "d", o->rate);
        if (strcmp(property, "Burst") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) o->burst);
        if (strcmp(property, "SyncIntervalUSec") == 0)
                return sd_bus_message_append(reply, "t", (uint64_t) o->sync_interval);
        if (strcmp(property, "MaxEntries") == 0)
                return sd_bus_message_append(reply, "t", (uint64_t) o->max_entries);
        if (strcmp(property, "StorePath") == 0)
                return sd_bus_message_append(reply, "s", store_path(man->store));
        if (strcmp(property, "Version") == 0)
                return sd_bus_message_append(reply, "s", ARPD_VERSION);
        if (strcmp(property, "EntryCount") == 0) {
                size_t n = 0;
                (void) manager_commit(man);
                int r = store_count(man->store, &n);
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
        SD_BUS_PROPERTY("Rate", "d", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Burst", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("SyncIntervalUSec", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MaxEntries", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StorePath", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("EntryCount", "t", property_get, 0, 0),
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
        SD_BUS_METHOD_WITH_ARGS("AddStatic", SD_BUS_ARGS("s", interface, "s", address, "s", lladdr),
                                SD_BUS_NO_RESULT, method_add_static, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("s", interface, "s", address), SD_BUS_NO_RESULT,
                                method_delete, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Flush", SD_BUS_ARGS("s", interface, "s", state), SD_BUS_RESULT("t", count),
                                method_flush, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Load", SD_BUS_ARGS("s", text), SD_BUS_RESULT("u", count), method_load, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetStatistics", SD_BUS_ARGS("s", interface), SD_BUS_RESULT("a{sa{st}}", statistics),
                                method_get_statistics, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Subscribe", "", "", method_subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Unsubscribe", "", "", method_subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("EntryChanged",
                                SD_BUS_ARGS("s", kind, "s", interface, "s", address, "s", lladdr, "s", state), 0),
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

static int client_new(Bus *b, int fd) {
        _cleanup_close_ int cfd = fd;
        BusClient *c;
        int r;

        if (b->n_clients >= BUS_MAX_CLIENTS) {
                log_warning("Refusing a control connection: %d clients are connected already.", BUS_MAX_CLIENTS);
                return -EMFILE;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return log_oom();
        c->bus = b;
        b->clients[b->n_clients++] = c;
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
                r = sd_bus_set_server(c->conn, 1, b->id);
        if (r >= 0)
                r = sd_bus_add_object_vtable(c->conn, NULL, BUS_PATH, BUS_INTERFACE, manager_vtable, c);
        if (r >= 0)
                r = sd_bus_add_object_vtable(c->conn, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                             hello_vtable, c);
        if (r >= 0)
                r = sd_bus_match_signal(c->conn, NULL, "org.freedesktop.DBus.Local", NULL, "org.freedesktop.DBus.Local",
                                        "Disconnected", on_disconnected, c);
        if (r >= 0)
                r = sd_bus_start(c->conn);
        if (r >= 0)
                r = sd_bus_attach_event(c->conn, b->manager->event, BUS_PRIORITY);
        if (r < 0) {
                client_free(c);
                return log_warning_errno(r, "Cannot set up a control connection: %m");
        }
        return 0;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Bus *b = userdata;

        for (unsigned i = 0; i < BUS_ACCEPT_BATCH; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warning_errno(-errno, "Accepting a control connection failed: %m");
                        break;
                }
                (void) client_new(b, cfd);
        }
        return 0;
}

/* Creates the missing parent directories of path; returns how many it created (the innermost
 * ones), so that bus_free() removes exactly those again. */
static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);
        int created = 0;

        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                if (mkdir(p, 0755) >= 0)
                        created++;
                else if (errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return created;
}

/* Removes the n innermost parent directories of path, as long as they are empty. */
static void rmdir_parents(const char *path, int n) {
        _cleanup_free_ char *p = strdup(path);

        for (int i = 0; p && i < n; i++) {
                char *slash = strrchr(p, '/');

                if (!slash || slash == p)
                        return;
                *slash = '\0';
                if (rmdir(p) < 0)
                        return;
        }
}

/* Is something accepting connections at addr? */
static bool socket_alive(const struct sockaddr_un *addr, socklen_t len) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        return fd >= 0 && connect(fd, (const struct sockaddr *) addr, len) == 0;
}

int bus_new(Manager *m, const char *path, Bus **ret) {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        socklen_t len;
        Bus *b;
        int r, dirs_created;

        if (strlen(path) >= sizeof(addr.sun_path))
                return log_error_errno(ENAMETOOLONG, "Control socket path %s is too long (at most %zu bytes).", path,
                                       sizeof(addr.sun_path) - 1);
        strcpy(addr.sun_path, path);
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);

        r = mkdir_parents(path);
        if (r < 0)
                return log_error_errno(r, "Cannot create the directory of the control socket %s: %m", path);
        dirs_created = r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Cannot create the control socket: %m");
        if (bind(fd, (struct sockaddr *) &addr, len) < 0) {
                if (errno != EADDRINUSE)
                        return log_error_errno(errno, "Cannot bind the control socket %s: %m", path);
                if (socket_alive(&addr, len))
                        return log_error_errno(EADDRINUSE, "Another process serves the control socket %s; pick "
                                               "another one with --control-socket=PATH.", path);
                /* A stale socket of an earlier run. */
                if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
                        return log_error_errno(EEXIST, "%s exists and is not a socket; not replacing it.", path);
                (void) unlink(path);
                if (bind(fd, (struct sockaddr *) &addr, len) < 0)
                        return log_error_errno(errno, "Cannot bind the control socket %s: %m", path);
        }
        if (chmod(path, 0666) < 0 || lstat(path, &st) < 0) {
                r = -errno;
                (void) unlink(path);
                return log_error_errno(r, "Cannot set up the control socket %s: %m", path);
        }
        if (listen(fd, 16) < 0) {
                r = -errno;
                (void) unlink(path);
                return log_error_errno(r, "Cannot listen on the control socket %s: %m", path);
        }

        b = calloc(1, sizeof(*b));
        if (!b) {
                (void) unlink(path);
                return log_oom();
        }
        *b = (Bus) { .manager = m, .listen_fd = TAKE_FD(fd), .dev = st.st_dev, .ino = st.st_ino,
                     .dirs_created = dirs_created };
        b->path = strdup(path);
        r = b->path ? sd_id128_randomize(&b->id) : -ENOMEM;
        if (r >= 0)
                r = sd_event_add_io(m->event, &b->listen_source, b->listen_fd, EPOLLIN, on_listen, b);
        if (r >= 0)
                r = sd_event_source_set_priority(b->listen_source, BUS_PRIORITY);
        if (r < 0) {
                if (!b->path)
                        (void) unlink(path);
                bus_free(b);
                return log_error_errno(r, "Cannot set up the control socket %s: %m", path);
        }
        log_debug("Control endpoint listening on %s.", path);
        *ret = b;
        return 0;
}

Bus *bus_free(Bus *b) {
        struct stat st;

        if (!b)
                return NULL;
        while (b->n_clients > 0)
                client_free(b->clients[0]);
        sd_event_source_disable_unref(b->listen_source);
        safe_close(b->listen_fd);
        /* Remove the socket only if it is still ours (a later instance may have replaced it). */
        if (b->path && lstat(b->path, &st) == 0 && st.st_dev == b->dev && st.st_ino == b->ino) {
                (void) unlink(b->path);
                rmdir_parents(b->path, b->dirs_created); /* only what bus_new() created, if empty */
        }
        free(b->path);
        free(b);
        return NULL;
}
