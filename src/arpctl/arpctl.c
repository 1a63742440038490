/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * arpctl: the operator's view of arpd. Talks to a running arpd over its control endpoint
 * (io.arpd.Manager1, peer-to-peer D-Bus on a socket under /run/arpd), or reads the store directly
 * and read-only (--database, or when no arpd runs). Listings stream page by page: memory does not
 * grow with the table.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "arpctl-deployment.h"
#include "arpctl-filter.h"
#include "arpctl-metrics.h"
#include "arpctl-terminal.h"
#include "arpctl-vendor.h"
#include "arpd-options.h"
#include "buf-util.h"
#include "control-protocol.h"
#include "entry-format.h"
#include "entry-ops.h"
#include "fs-util.h"
#include "ifname-util.h"
#include "loadfile.h"
#include "log.h"
#include "macro.h"
#include "progress.h"
#include "resolver.h"
#include "sched-util.h"
#include "store.h"

#ifndef ARPD_VERSION
#define ARPD_VERSION "0.0.0"
#endif

#define RUN_DIR CONTROL_RUN_DIR
#define PAGE_SIZE_ENTRIES CONTROL_LIST_LIMIT_MAX
/* Exit statuses (arpctl(8)): a verb returns a negative errno for a failure (exit 1, already
 * logged) or one of these. */
#define EXIT_USAGE 2    /* bad usage: unknown option or command, malformed argument */
#define EXIT_NO_MATCH 4 /* nothing matched: show/delete of an absent entry, a selective dump */

enum json_mode { JSON_OFF, JSON_SHORT, JSON_PRETTY };

static struct {
        enum json_mode json;
        bool legend;
        bool pager;
        bool color;
        int family;
        const char *socket;
        const char *database;
        const char *flush_states; /* NULL: the default ("learned") */
        const char *output;       /* metrics --output=PATH */
        uint64_t max_entries;     /* set-limits --max-entries=N (0: not given) */
        uint64_t max_per_iface;   /* set-limits --max-per-interface=N */
        bool vendor;              /* dump/show --vendor */
} arg = { .legend = true, .pager = true };


/* ---- where the data comes from -------------------------------------------------------------- */

/* The instances of this network namespace, found once per run (arpctl-deployment.h). */
static Deployment deployment;
static bool deployment_scanned;

static Deployment *get_deployment(void) {
        if (!deployment_scanned) {
                deployment_scan(&deployment);
                deployment_scanned = true;
        }
        return &deployment;
}

typedef struct Source {
        sd_bus *bus;          /* a running arpd, or */
        Store *store;         /* the store, read-only */
        char socket[DEPLOYMENT_SOCKET_MAX];
} Source;

#define SOURCES_MAX DEPLOYMENT_MAX_DAEMONS
/* source_foreach(): reconnects in a row, without a page received in between, before giving up */
#define SOURCE_RECONNECTS_MAX 3

static void source_done(Source *s) {
        s->bus = sd_bus_flush_close_unref(s->bus);
        s->store = store_free(s->store);
}

static void sources_done(Source *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                source_done(&s[i]);
}

static void source_use_daemon(Source *s, const Daemon *dm) {
        *s = (Source) { .bus = sd_bus_ref(dm->bus) };
        snprintf(s->socket, sizeof(s->socket), "%s", dm->socket);
}

static int source_connect_explicit(Source *s) {
        int r;

        snprintf(s->socket, sizeof(s->socket), "%s", arg.socket);
        r = deployment_connect(arg.socket, &s->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot reach arpd at %s: %m (is it running?)", arg.socket);
        return 1;
}

static int source_open_store(Source *s, const char *path) {
        /* An unprivileged reader cannot take a reader slot in the lock file of a store that is not
         * its own: then it reads without one (nothing else is writing when no arpd runs). */
        struct store_options so = { .read_only = true, .read_unlocked_if_denied = true };

        return store_open(path, &so, &s->store); /* logs its errors */
}

/* For reads: --database, --socket, else one running daemon per store of this network namespace
 * (daemons sharing a store are asked once), else the default store. Fills s[0..*n). */
static int sources_open_read(Source *s, size_t *n) {
        Deployment *d;
        int r;

        *n = 0;
        if (arg.database) {
                r = source_open_store(&s[0], arg.database);
                if (r >= 0)
                        *n = 1;
                return r;
        }
        if (arg.socket) {
                r = source_connect_explicit(&s[0]);
                if (r >= 0)
                        *n = 1;
                return r < 0 ? r : 0;
        }
        d = get_deployment();
        for (size_t i = 0; i < d->n && *n < SOURCES_MAX; i++)
                if (daemon_reads_its_store(d, &d->daemons[i]))
                        source_use_daemon(&s[(*n)++], &d->daemons[i]);
        if (*n > 0)
                return 0;
        fprintf(stderr, "arpctl: no running arpd found; reading %s directly.\n", ARPD_DEFAULT_DB);
        r = source_open_store(&s[0], ARPD_DEFAULT_DB);
        if (r >= 0)
                *n = 1;
        return r;
}

/* For a change or a query about ifname (NULL: not tied to one interface): --socket, else the
 * running daemon serving ifname, else any running daemon of this namespace if they all share one
 * store (the store holds every interface's entries). Returns 1 when connected, 0 when no daemon
 * runs here (the caller may change the store offline), < 0 on error (logged). */
static int source_open_for(Source *s, const char *ifname) {
        Deployment *d;
        Daemon *dm;

        if (arg.socket)
                return source_connect_explicit(s);
        d = get_deployment();
        if (d->n_running == 0)
                return 0;
        dm = ifname ? deployment_serving(d, ifname) : NULL;
        if (!dm && d->n_stores > 1) {
                if (ifname)
                        log_error("No running arpd serves %s, and the running ones use %zu different stores; pick one "
                                  "with --socket=PATH or --database=PATH (see 'arpctl list-daemons').",
                                  ifname, d->n_stores);
                else
                        log_error("The running arpd instances use %zu different stores; pick one with --socket=PATH "
                                  "or --database=PATH (see 'arpctl list-daemons').", d->n_stores);
                return -EUCLEAN;
        }
        for (size_t i = 0; !dm && i < d->n; i++)
                if (d->daemons[i].state == DAEMON_RUNNING)
                        dm = &d->daemons[i];
        source_use_daemon(s, dm);
        return 1;
}

/* For daemon-only queries (stats, monitor): --socket, else every running daemon here. */
static int sources_open_daemons(Source *s, size_t *n) {
        Deployment *d;
        int r;

        *n = 0;
        if (arg.database) {
                log_error("This command needs a running arpd; with --database only dump, show, why, history, "
                          "limits, add, delete, flush, load and set-limits work.");
                return -EOPNOTSUPP;
        }
        if (arg.socket) {
                r = source_connect_explicit(&s[0]);
                if (r >= 0)
                        *n = 1;
                return r < 0 ? r : 0;
        }
        d = get_deployment();
        for (size_t i = 0; i < d->n && *n < SOURCES_MAX; i++)
                if (d->daemons[i].state == DAEMON_RUNNING)
                        source_use_daemon(&s[(*n)++], &d->daemons[i]);
        if (*n == 0) {
                log_error("No running arpd found in this network namespace under %s (see 'arpctl list-daemons', "
                          "or use --socket=PATH).", deployment_run_dir());
                return -ENOENT;
        }
        return 0;
}

/* What sd-bus returns for a call on a connection the daemon closed (its idle timeout, while a slow
 * reader held the output back between two pages; a restart): -ECONNRESET when the peer went away
 * during the call, -ENOTCONN once sd-bus knows it is closed, a write's -EPIPE and the like. */
static bool call_disconnected(int r) {
        return r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE || r == -ECONNABORTED || r == -ESHUTDOWN;
}

/* A new connection to the daemon s was opened with, at the same socket. 0, or < 0 (not logged). */
static int source_reconnect(Source *s) {
        sd_bus *bus = NULL;
        int r;

        if (!s->bus || s->socket[0] == '\0')
                return -ENOTCONN;
        r = deployment_connect(s->socket, &bus);
        if (r < 0)
                return r;
        /* The deployment scan may hold the dead connection too; it closes its own reference. */
        sd_bus_unref(s->bus);
        s->bus = bus;
        return 0;
}

static int call_failed(const char *what, sd_bus_error *e, int r) {
        if (e && sd_bus_error_is_set(e))
                log_error("%s: %s", what, e->message ? e->message : e->name);
        else
                log_error_errno(r, "%s: %m", what);
        return r < 0 ? r : -EIO;
}

/* Walks every entry that matches f, page by page, calling cb for each. */
typedef int (*entry_cb_t)(const struct neigh_key *k, const struct record *r, void *userdata);

struct filter_ctx {
        const struct entry_filter *filter;
        entry_cb_t cb;
        void *userdata;
};

static int filter_one(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct filter_ctx *c = userdata;

        return entry_filter_match(c->filter, k, r) ? c->cb(k, r, c->userdata) : 0;
}

static const char *states_name(unsigned states) {
        if (states == 0 || states == ENTRY_STATES_ALL)
                return "any";
        if (states == ENTRY_STATES_LEARNED)
                return "learned";
        for (int s = RECORD_POSITIVE; s <= RECORD_STATIC; s++)
                if (states == ENTRY_STATE_BIT(s))
                        return record_state_to_string(s);
        return "any";
}

static int source_foreach(Source *s, const struct entry_filter *f, entry_cb_t cb, void *userdata) {
        char prefix[IN_ADDR_STRLEN + 8] = "", cursor[ENTRY_CURSOR_MAX] = "";
        char a[IN_ADDR_STRLEN];
        int r;

        /* Every entry goes through entry_filter_match() here, whatever the source: the daemon
         * narrows by interface, family, named state set and prefix, the rest (a link-layer
         * address, a mix of states) only here, so online and offline agree. */
        struct filter_ctx c = { .filter = f, .cb = cb, .userdata = userdata };
        if (s->store)
                return store_foreach(s->store, f->ifname[0] ? f->ifname : NULL, f->family, filter_one, &c);
        if (f->has_prefix)
                snprintf(prefix, sizeof(prefix), "%s/%u", in_addr_to_string(f->prefix.family, &f->prefix.addr, a),
                         f->prefix.prefixlen);
        /* The packed listing costs one array per page instead of nine fields per entry; an arpd
         * that predates it still answers ListEntries. */
        bool packed = true;
        /* The daemon closes a connection idle for its --control-idle-timeout, and a slow reader
         * (a pager) keeps this one idle between two pages as long as it likes: then reconnect and
         * ask again from the cursor, the key after the last entry received, so nothing is lost
         * or repeated. Bounded: SOURCE_RECONNECTS_MAX in a row without a page in between. */
        unsigned reconnects = 0;
        /* A listing is bulk work: as SCHED_BATCH, the wakeup that each page arpd sends does not
         * preempt arpd on its CPU (sched-util.h); failure only costs that. */
        (void) sched_batch_self();
        for (unsigned page = 0;; page++) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                struct neigh_key k;
                struct record rec;
                const char *next;

                r = sd_bus_call_method(s->bus, NULL, CONTROL_PATH, CONTROL_INTERFACE,
                                       packed ? "ListEntriesPacked" : "ListEntries", &e, &reply, "susssu", f->ifname,
                                       (uint32_t) (f->family == AF_INET ? 4 : f->family == AF_INET6 ? 6 : 0),
                                       states_name(f->states), prefix, cursor, (uint32_t) PAGE_SIZE_ENTRIES);
                if (r < 0 && packed && sd_bus_error_has_name(&e, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                        packed = false;
                        page--;
                        continue;
                }
                if (r < 0 && call_disconnected(r) && reconnects < SOURCE_RECONNECTS_MAX) {
                        reconnects++;
                        int q = source_reconnect(s);
                        if (q < 0) {
                                log_error_errno(q, "Cannot reconnect to arpd at %s: %m", s->socket);
                                return call_failed("Listing entries failed", &e, r);
                        }
                        log_debug("arpd at %s closed the connection; reconnected, resuming the listing.", s->socket);
                        page--;
                        continue;
                }
                if (r < 0)
                        return call_failed("Listing entries failed", &e, r);
                reconnects = 0;
                if (packed) {
                        const uint8_t *data;
                        size_t size;

                        r = sd_bus_message_read_array(reply, 'y', (const void **) &data, &size);
                        if (r < 0)
                                return r;
                        if (size % ENTRY_PACKED_SIZE != 0)
                                return log_error_errno(EBADMSG, "arpd sent a malformed page of entries.");
                        for (size_t i = 0; i < size; i += ENTRY_PACKED_SIZE) {
                                if (entry_unpack(data + i, &k, &rec) < 0)
                                        return log_error_errno(EBADMSG, "arpd sent a malformed entry: %m");
                                r = filter_one(&k, &rec, &c);
                                if (r != 0)
                                        return r;
                        }
                } else {
                        r = sd_bus_message_enter_container(reply, 'a', ENTRY_BUS_SIGNATURE);
                        if (r < 0)
                                return r;
                        while ((r = entry_bus_read(reply, &k, &rec)) > 0) {
                                r = filter_one(&k, &rec, &c);
                                if (r != 0)
                                        return r;
                        }
                        if (r < 0)
                                return log_error_errno(r, "arpd sent a malformed entry: %m");
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_read(reply, "s", &next);
                if (r < 0)
                        return r;
                if (next[0] == '\0')
                        return 0;
                if (strlen(next) >= sizeof(cursor))
                        return -EBADMSG;
                strcpy(cursor, next);
        }
}

/* ---- output --------------------------------------------------------------------------------- */

static const char *color_for(enum record_state st) {
        if (!arg.color)
                return "";
        switch (st) {
        case RECORD_NEGATIVE:
                return "\033[0;31m";
        case RECORD_STATIC:
                return "\033[0;34m";
        default:
                return "\033[0;32m";
        }
}
static const char *color_off(void) {
        return arg.color ? "\033[0m" : "";
}

static const char *age_string(usec_t then, usec_t now, char *buf, size_t size) {
        char a[64];

        if (then == 0)
                return "-";
        if (then > now)
                return "in the future";
        snprintf(buf, size, "%s ago", format_age(now - then, a, sizeof(a)));
        return buf;
}

/* A JSON array of objects: json_begin(), json_item(i) before the i-th (from 0), json_end(n).
 * Pretty puts each object on its own lines, indented by 2; an empty array is "[]" either way. */
static void json_begin(void) {
        if (arg.json != JSON_OFF)
                fputc('[', stdout);
}

static void json_item(size_t i) {
        if (arg.json == JSON_PRETTY)
                fputs(i > 0 ? ",\n  " : "\n  ", stdout);
        else if (arg.json == JSON_SHORT && i > 0)
                fputc(',', stdout);
}

static void json_end(size_t n) {
        if (arg.json == JSON_PRETTY)
                fputs(n > 0 ? "\n]\n" : "]\n", stdout);
        else if (arg.json == JSON_SHORT)
                fputs("]\n", stdout);
}

/* The table of dump and show. Column widths come from the data: rows are held back until
 * TABLE_ROWS_MAX are there (or the listing ends), the widths fit every held row and the header,
 * and they only grow afterwards, so a long listing streams in bounded memory and a later, longer
 * value widens its column from that row on. */
#define TABLE_ROWS_MAX 4096

enum { COL_IFNAME, COL_ADDR, COL_LLADDR, COL_STATE, COL_SOURCE, _COL_PADDED };

struct table_row {
        char ifname[IFNAMSIZ];
        char addr[IN_ADDR_STRLEN];
        char lladdr[LLADDR_STRLEN + 8]; /* and " router" (RECORD_FLAG_ROUTER), as ip neigh shows it */
        char age[80];
        uint8_t state;
        uint8_t source;
        uint8_t len[_COL_PADDED + 1]; /* of each cell, the age last */
        const char *vendor; /* --vendor: into the VendorDb, NULL if unknown */
};

static const char *const table_labels[] = { "INTERFACE", "ADDRESS", "LLADDR", "STATE", "SOURCE", "LAST SEEN" };
/* With --vendor, LAST SEEN is padded too and VENDOR comes last. */
#define TABLE_AGE_WIDTH 14

struct dump_ctx {
        usec_t now;
        size_t n;
        size_t per_state[4];
        /* The last "LAST SEEN" text and the age (in seconds) it was made for: neighbours learned
         * or loaded together share it, and format_age() is printf underneath. */
        unsigned long long age_sec;
        size_t age_len;
        char age[80];
        /* the table */
        size_t width[_COL_PADDED];
        bool header_done;
        size_t n_rows;
        struct table_row *rows; /* TABLE_ROWS_MAX, allocated with the first row */
        VendorDb *vendors;      /* --vendor, NULL without registry files */
};

static void dump_ctx_done(struct dump_ctx *c) {
        c->rows = mfree(c->rows);
        c->vendors = vendor_db_free(c->vendors);
}

/* --vendor: the registry, if ieee-data is installed (nothing otherwise). */
static int dump_ctx_vendors(struct dump_ctx *c) {
        int r;

        if (!arg.vendor)
                return 0;
        r = vendor_db_load(vendor_db_dir(), &c->vendors);
        if (r >= 0 && !c->vendors)
                fprintf(stderr, "arpctl: no IEEE registry in %s (package ieee-data): no vendor names.\n", vendor_db_dir());
        return r;
}

static size_t row_cell_len(const struct table_row *row, int col) {
        return row->len[col];
}

/* Prints the held rows (and the header first, once), widening the columns to fit them. */
static int table_flush(struct dump_ctx *c) {
        char line[IFNAMSIZ + IN_ADDR_STRLEN + LLADDR_STRLEN + 80 + 8 * 64 + 64];

        for (int col = 0; col < _COL_PADDED; col++) {
                c->width[col] = MAX(c->width[col], strlen(table_labels[col]));
                for (size_t i = 0; i < c->n_rows; i++)
                        c->width[col] = MAX(c->width[col], row_cell_len(&c->rows[i], col));
        }
        if (!c->header_done && arg.legend) {
                char *p = line;
                for (int col = 0; col < _COL_PADDED; col++) {
                        p = put_padded(p, table_labels[col], strlen(table_labels[col]), c->width[col]);
                        *p++ = ' ';
                }
                if (arg.vendor) {
                        p = put_padded(p, table_labels[_COL_PADDED], strlen(table_labels[_COL_PADDED]), TABLE_AGE_WIDTH);
                        p = stpcpy(p, " VENDOR");
                } else
                        p = stpcpy(p, table_labels[_COL_PADDED]);
                *p++ = '\n';
                fwrite(line, 1, (size_t) (p - line), stdout);
        }
        c->header_done = true;
        for (size_t i = 0; i < c->n_rows; i++) {
                /* Assembled by hand and written at once: printf dominated the time of a large dump. */
                const struct table_row *row = &c->rows[i];
                const char *st = record_state_to_string(row->state), *src = record_source_to_string(row->source);
                char *p = line;

                p = put_padded(p, row->ifname, row->len[COL_IFNAME], c->width[COL_IFNAME]);
                *p++ = ' ';
                p = put_padded(p, row->addr, row->len[COL_ADDR], c->width[COL_ADDR]);
                *p++ = ' ';
                p = put_padded(p, row->lladdr, row->len[COL_LLADDR], c->width[COL_LLADDR]);
                *p++ = ' ';
                if (arg.color)
                        p = stpcpy(p, color_for(row->state));
                p = put_padded(p, st, row->len[COL_STATE], c->width[COL_STATE]);
                if (arg.color)
                        p = stpcpy(p, color_off());
                *p++ = ' ';
                p = put_padded(p, src, row->len[COL_SOURCE], c->width[COL_SOURCE]);
                *p++ = ' ';
                if (arg.vendor) {
                        p = put_padded(p, row->age, row->len[_COL_PADDED], TABLE_AGE_WIDTH);
                        *p++ = ' ';
                        fwrite(line, 1, (size_t) (p - line), stdout);
                        /* a registry name has no fixed bound: written apart */
                        fputs(row->vendor ? row->vendor : "-", stdout);
                        fputc('\n', stdout);
                        continue;
                }
                p = mempcpy(p, row->age, row->len[_COL_PADDED]);
                *p++ = '\n';
                fwrite(line, 1, (size_t) (p - line), stdout);
        }
        c->n_rows = 0;
        return ferror(stdout) ? -EPIPE : 0;
}

static int dump_one(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct dump_ctx *c = userdata;

        if (arg.json != JSON_OFF) {
                json_item(c->n);
                entry_format_json(stdout, k, r, arg.json == JSON_PRETTY, 2, vendor_lookup(c->vendors, &r->lladdr));
                if (ferror(stdout))
                        return -EPIPE; /* the reader (a pager) went away */
        } else {
                struct table_row *row;

                if (!c->rows) {
                        c->rows = calloc(TABLE_ROWS_MAX, sizeof(struct table_row));
                        if (!c->rows)
                                return log_oom();
                }
                row = &c->rows[c->n_rows++];
                size_t n = strnlen(k->ifname, IFNAMSIZ - 1);
                memcpy(row->ifname, k->ifname, n);
                row->ifname[n] = '\0';
                row->len[COL_IFNAME] = (uint8_t) n;
                char *e = put_in_addr(row->addr, k->family, &k->addr);
                *e = '\0';
                row->len[COL_ADDR] = (uint8_t) (e - row->addr);
                if (r->lladdr.len > 0) {
                        e = put_lladdr(row->lladdr, &r->lladdr);
                        if (r->flags & RECORD_FLAG_ROUTER)
                                e = stpcpy(e, " router");
                        *e = '\0';
                        row->len[COL_LLADDR] = (uint8_t) (e - row->lladdr);
                } else {
                        strcpy(row->lladdr, "-");
                        row->len[COL_LLADDR] = 1;
                }
                row->state = (uint8_t) r->state;
                row->source = (uint8_t) r->source;
                row->len[COL_STATE] = (uint8_t) strlen(record_state_to_string(r->state));
                row->len[COL_SOURCE] = (uint8_t) strlen(record_source_to_string(r->source));
                row->vendor = vendor_lookup(c->vendors, &r->lladdr);
                if (r->last_seen == 0 || r->last_seen > c->now) {
                        strcpy(row->age, r->last_seen == 0 ? "-" : "in the future");
                        row->len[_COL_PADDED] = (uint8_t) strlen(row->age);
                } else {
                        unsigned long long sec = (c->now - r->last_seen) / USEC_PER_SEC;

                        if (c->age_len == 0 || c->age_sec != sec) {
                                age_string(r->last_seen, c->now, c->age, sizeof(c->age));
                                c->age_sec = sec;
                                c->age_len = strlen(c->age);
                        }
                        memcpy(row->age, c->age, c->age_len + 1);
                        row->len[_COL_PADDED] = (uint8_t) c->age_len;
                }
                if (c->n_rows == TABLE_ROWS_MAX) {
                        int q = table_flush(c);
                        if (q < 0)
                                return q;
                }
        }
        c->n++;
        if ((unsigned) r->state < ELEMENTSOF(c->per_state))
                c->per_state[r->state]++;
        return 0;
}

static void dump_totals(struct dump_ctx *c) {
        if (arg.json == JSON_OFF)
                (void) table_flush(c);
        if (arg.json == JSON_OFF && arg.legend)
                printf("\n%zu entr%s: %zu positive, %zu negative, %zu static.\n", c->n, c->n == 1 ? "y" : "ies",
                       c->per_state[RECORD_POSITIVE], c->per_state[RECORD_NEGATIVE], c->per_state[RECORD_STATIC]);
}

/* The end of every verb that prints: the output is complete or an error says so. A reader that
 * went away (a pager quit early, "| head") is no error. */
static int finish_output(int r) {
        if (terminal_write_failed_quietly(r))
                return 0;
        if (fflush(stdout) != 0 && r >= 0) {
                if (terminal_write_failed_quietly(-errno))
                        return 0;
                return log_error_errno(errno, "Writing the output failed: %m");
        }
        return r;
}

/* ---- commands ------------------------------------------------------------------------------- */

static int verb_dump(int argc, char **argv) {
        Source s[SOURCES_MAX] = {};
        size_t n_s = 0;
        struct dump_ctx c = { .now = now_usec(CLOCK_REALTIME) };
        struct dump_args a;
        char err[256];
        int r;

        if (dump_args_parse(argc, argv, arg.family, &a, err, sizeof(err)) < 0) {
                log_error("%s", err);
                return EXIT_USAGE;
        }
        r = dump_ctx_vendors(&c);
        if (r < 0)
                return r;
        r = sources_open_read(s, &n_s);
        if (r < 0) {
                dump_ctx_done(&c);
                return r;
        }
        /* Large writes instead of one per 4 KiB: a dump can run to a million lines. */
        static char out_buf[256 * 1024];
        (void) setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
        json_begin();
        /* One source per store (daemons sharing one are read once). */
        for (size_t j = 0; j < n_s && r >= 0; j++) {
                if (a.n_ifnames == 0)
                        r = source_foreach(&s[j], &a.filter, dump_one, &c);
                for (size_t i = 0; i < a.n_ifnames && r >= 0; i++) {
                        snprintf(a.filter.ifname, sizeof(a.filter.ifname), "%s", a.ifnames[i]);
                        r = source_foreach(&s[j], &a.filter, dump_one, &c);
                }
        }
        if (r >= 0) {
                json_end(c.n);
                dump_totals(&c);
        }
        dump_ctx_done(&c);
        sources_done(s, n_s);
        r = finish_output(r);
        if (r >= 0 && c.n == 0 && a.selective)
                return EXIT_NO_MATCH;
        return r;
}

/* why's argument: one address. 0 or EXIT_USAGE (logged). */
static int parse_address_arg(const char *s, struct entry_filter *f) {
        int family;
        union in_addr_union a;

        if (in_addr_from_string(s, &family, &a) < 0) {
                log_error("Invalid IPv4 or IPv6 address '%s'.", s);
                return EXIT_USAGE;
        }
        f->has_prefix = true;
        f->prefix = (struct in_prefix) { .family = family, .prefixlen = (uint8_t) (family_addr_size(family) * 8), .addr = a };
        return 0;
}

static int verb_show(int argc, char **argv) {
        Source s[SOURCES_MAX] = {};
        size_t n_s = 0;
        struct dump_ctx c = { .now = now_usec(CLOCK_REALTIME) };
        struct entry_filter f;
        char err[256];
        int r;

        if (show_arg_parse(argv[0], arg.family, &f, err, sizeof(err)) < 0) {
                log_error("%s", err);
                return EXIT_USAGE;
        }
        r = dump_ctx_vendors(&c);
        if (r < 0)
                return r;
        r = sources_open_read(s, &n_s);
        if (r < 0) {
                dump_ctx_done(&c);
                return r;
        }
        /* Buffered: "not found" must not leave a half-written JSON document behind. */
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len), *saved = stdout;
        if (!mem) {
                dump_ctx_done(&c);
                sources_done(s, n_s);
                return log_oom();
        }
        stdout = mem;
        json_begin();
        for (size_t j = 0; j < n_s && r >= 0; j++)
                r = source_foreach(&s[j], &f, dump_one, &c);
        if (r >= 0 && arg.json == JSON_OFF)
                r = table_flush(&c);
        json_end(c.n);
        dump_ctx_done(&c);
        fclose(mem);
        stdout = saved;
        sources_done(s, n_s);
        if (r >= 0 && c.n == 0) {
                log_error("arpd knows nothing about %s.", argv[0]);
                free(buf);
                return EXIT_NO_MATCH;
        }
        if (r >= 0)
                fwrite(buf, 1, len, stdout);
        free(buf);
        return finish_output(r);
}

struct why_config {
        struct resolver_config cfg;
        double rate;
        unsigned burst;
        bool offline;   /* no daemon's values: the defaults */
        bool unserved;  /* daemons run, but none serves the entry's interface */
};

struct why_ctx {
        usec_t now;
        size_t n;
        struct resolver_config cfg;
        double rate;
        unsigned burst;
        bool offline;
        bool unserved;
        /* Without --socket/--database: each entry is judged with the values of the daemon that
         * serves its interface, read once per daemon. */
        bool per_interface;
        bool loaded[DEPLOYMENT_MAX_DAEMONS];
        struct why_config daemon_cfg[DEPLOYMENT_MAX_DAEMONS];
        struct why_config source_cfg;
};

static int read_config(sd_bus *bus, struct why_config *w);

/* Makes c->cfg those of the daemon serving ifname (see why_ctx). */
static int why_config_for(struct why_ctx *c, const char *ifname) {
        const struct why_config *w = &c->source_cfg;
        struct why_config unserved;

        if (c->per_interface) {
                Deployment *d = get_deployment();
                Daemon *dm = deployment_serving(d, ifname);
                if (dm) {
                        size_t i = (size_t) (dm - d->daemons);
                        if (!c->loaded[i]) {
                                int r = read_config(dm->bus, &c->daemon_cfg[i]);
                                if (r < 0)
                                        return r;
                                c->loaded[i] = true;
                        }
                        w = &c->daemon_cfg[i];
                } else if (d->n_running > 0) {
                        (void) read_config(NULL, &unserved);
                        unserved.unserved = true;
                        w = &unserved;
                }
        }
        c->cfg = w->cfg;
        c->rate = w->rate;
        c->burst = w->burst;
        c->offline = w->offline;
        c->unserved = w->unserved;
        return 0;
}


static const char *timestamp(usec_t t, usec_t now, char *buf, size_t size) {
        char when[64], age[80];
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (t == 0 || !localtime_r(&sec, &tm))
                return "-";
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
        snprintf(buf, size, "%s (%s)", when, age_string(t, now, age, sizeof(age)));
        return buf;
}

/* What arpd would do with the kernel's next miss for k, by the resolver's own rules. */
static const char *why_decision(const struct why_ctx *c, const struct record *r, struct resolver_result *res) {
        struct token_bucket b;
        struct miss m = { .family = AF_INET, .state = 0x01 /* NUD_INCOMPLETE */ };

        token_bucket_init(&b, c->rate, c->burst, now_usec(CLOCK_MONOTONIC));
        resolver_miss(&c->cfg, &m, r, c->now, now_usec(CLOCK_MONOTONIC), &b, res);
        if (res->reply == REPLY_ANSWER)
                return "answer";
        if (res->probe)
                return "probe";
        for (unsigned i = 0; i < res->n_counters; i++)
                if (res->counters[i] == STAT_REQ_SUPPRESSED)
                        return "suppressed";
        for (unsigned i = 0; i < res->n_counters; i++)
                if (res->counters[i] == STAT_REQ_BAD)
                        return "bad-record";
        return "unknown";
}

/* One object of why's JSON array: dst, dev, the entry (null if there is none), the decision
 * ("answer") and, when it is one, the link-layer address the kernel would be given. */
static void why_json(const char *dst, const char *dev, const struct neigh_key *k, const struct record *r,
                     const char *decision, const struct resolver_result *res) {
        bool pretty = arg.json == JSON_PRETTY;
        const char *sep = pretty ? ",\n    " : ",", *colon = pretty ? ": " : ":";
        char l[LLADDR_STRLEN];

        fputs(pretty ? "{\n    \"dst\": " : "{\"dst\":", stdout);
        json_write_string(stdout, dst);
        printf("%s\"dev\"%s", sep, colon);
        if (dev)
                json_write_string(stdout, dev);
        else
                fputs("null", stdout);
        printf("%s\"entry\"%s", sep, colon);
        if (r)
                entry_format_json(stdout, k, r, pretty, 4, NULL);
        else
                fputs("null", stdout);
        printf("%s\"answer\"%s", sep, colon);
        json_write_string(stdout, decision);
        if (res->reply == REPLY_ANSWER) {
                printf("%s\"answer_lladdr\"%s", sep, colon);
                json_write_string(stdout, lladdr_to_string(&res->answer_lladdr, l));
        }
        fputs(pretty ? "\n  }" : "}", stdout);
}

static int why_one(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct why_ctx *c = userdata;
        char a[IN_ADDR_STRLEN], l[LLADDR_STRLEN], t1[160], t2[160], ifname[IFNAMSIZ];
        struct resolver_result res;
        const char *decision;

        snprintf(ifname, sizeof(ifname), "%.*s", IFNAMSIZ - 1, k->ifname);
        int q = why_config_for(c, ifname);
        if (q < 0)
                return q;
        decision = why_decision(c, r, &res);
        in_addr_to_string(k->family, &k->addr, a);
        if (arg.json != JSON_OFF) {
                json_item(c->n);
                why_json(a, ifname, k, r, decision, &res);
                c->n++;
                return 0;
        }
        if (c->n > 0)
                putchar('\n');
        printf("%s on %s: %s%s%s%s%s\n", a, ifname, color_for(r->state), record_state_to_string(r->state), color_off(),
               r->lladdr.len > 0 ? " " : "", r->lladdr.len > 0 ? lladdr_to_string(&r->lladdr, l) : "");
        printf("  source:      %s\n", record_source_to_string(r->source));
        printf("  first seen:  %s\n", timestamp(r->first_seen, c->now, t1, sizeof(t1)));
        printf("  last seen:   %s\n", timestamp(r->last_seen, c->now, t2, sizeof(t2)));
        if (r->state == RECORD_NEGATIVE) {
                char age[64], left[64];
                usec_t since = r->neg_since <= c->now ? c->now - r->neg_since : 0;
                printf("  negative:    since %s, %u probe%s sent in this window (-a %u)\n",
                       age_string(r->neg_since, c->now, age, sizeof(age)), r->probes, r->probes == 1 ? "" : "s",
                       c->cfg.active_probes);
                if (resolver_negative_valid(&c->cfg, r, c->now))
                        printf("  window:      %s left of %s\n",
                               format_age(c->cfg.negative_timeout - since, left, sizeof(left)),
                               format_age(c->cfg.negative_timeout, age, sizeof(age)));
                else
                        printf("  window:      expired (-n %s)\n", format_age(c->cfg.negative_timeout, age, sizeof(age)));
        }
        if (strcmp(decision, "answer") == 0)
                printf("  next miss:   answered with %s\n", lladdr_to_string(&res.answer_lladdr, l));
        else if (strcmp(decision, "probe") == 0)
                printf("  next miss:   not answered; arpd sends its own probe (rate permitting)\n");
        else if (strcmp(decision, "suppressed") == 0)
                printf("  next miss:   suppressed: the address did not answer recently\n");
        else if (strcmp(decision, "bad-record") == 0)
                printf("  next miss:   not answered: the record has no link-layer address\n");
        else
                printf("  next miss:   not answered; the kernel resolves it itself\n");
        if (c->unserved)
                printf("  (no running arpd serves %s: nothing answers its misses; -a %u and -n %s assumed)\n", ifname,
                       c->cfg.active_probes, format_age(c->cfg.negative_timeout, t1, sizeof(t1)));
        else if (c->offline)
                printf("  (read from the store; -a %u and -n %s assumed)\n", c->cfg.active_probes,
                       format_age(c->cfg.negative_timeout, t1, sizeof(t1)));
        c->n++;
        return 0;
}

/* The resolver values of the daemon on bus (NULL: the defaults, offline). */
static int read_config(sd_bus *bus, struct why_config *w) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        uint32_t probes = 0, burst = 3;
        uint64_t negto = 60 * USEC_PER_SEC, max_age = ARPD_DEFAULT_MAX_AGE;
        double rate = 1;
        int r;

        *w = (struct why_config) {
                .cfg = { .active_probes = 0, .negative_timeout = negto, .max_age = max_age },
                .rate = rate,
                .burst = burst,
        };
        if (!bus) {
                w->offline = true;
                return 0;
        }
        r = sd_bus_get_property_trivial(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "ActiveProbes", &e, 'u', &probes);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "NegativeTimeoutUSec", &e, 't',
                                                &negto);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "Rate", &e, 'd', &rate);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "Burst", &e, 'u', &burst);
        if (r < 0)
                return call_failed("Reading arpd's configuration failed", &e, r);
        /* an arpd older than --max-age has no such property: it never expires bindings */
        if (sd_bus_get_property_trivial(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "MaxAgeUSec", NULL, 't',
                                        &max_age) < 0)
                max_age = 0;
        w->cfg.active_probes = probes;
        w->cfg.negative_timeout = negto;
        w->cfg.max_age = max_age;
        w->rate = rate;
        w->burst = burst;
        return 0;
}

static int verb_why(int argc, char **argv) {
        Source s[SOURCES_MAX] = {};
        size_t n_s = 0;
        struct why_ctx c = { .now = now_usec(CLOCK_REALTIME) };
        struct entry_filter f = { .family = arg.family };
        int r;

        r = parse_address_arg(argv[0], &f);
        if (r != 0)
                return r;
        r = sources_open_read(s, &n_s);
        if (r < 0)
                return r;
        c.per_interface = !arg.socket && !arg.database && s[0].bus;
        r = read_config(s[0].bus, &c.source_cfg);
        c.cfg = c.source_cfg.cfg;
        c.rate = c.source_cfg.rate;
        c.burst = c.source_cfg.burst;
        c.offline = c.source_cfg.offline;
        if (r >= 0)
                json_begin();
        for (size_t j = 0; j < n_s && r >= 0; j++)
                r = source_foreach(&s[j], &f, why_one, &c);
        if (r >= 0 && c.n == 0 && arg.json != JSON_OFF) {
                /* No entry: the decision still stands (the kernel's, or our own probe). */
                struct resolver_result res;
                const char *d = why_decision(&c, NULL, &res);
                char a[IN_ADDR_STRLEN];

                json_item(0);
                why_json(in_addr_to_string(f.prefix.family, &f.prefix.addr, a), NULL, NULL, NULL, d, &res);
                c.n = 1;
        } else if (r >= 0 && c.n == 0) {
                struct resolver_result res;
                const char *d = why_decision(&c, NULL, &res);
                printf("%s: no entry on any interface.\n", argv[0]);
                printf("  next miss:   %s\n", strcmp(d, "probe") == 0
                                                  ? "not answered; arpd sends its own probe (rate permitting)"
                                                  : "not answered; the kernel resolves it itself");
        }
        if (r >= 0)
                json_end(c.n);
        sources_done(s, n_s);
        return finish_output(r);
}

/* One method call to the daemon of s; the reply in *ret (if ret). 0, a negative errno or an
 * EXIT_* status (logged). */
static int simple_call(Source *s, const char *what, const char *member, sd_bus_message **ret, const char *types, ...) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(s->bus, &m, NULL, CONTROL_PATH, CONTROL_INTERFACE, member);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call(s->bus, m, 0, &e, &reply);
        if (r < 0) {
                bool no_match = sd_bus_error_has_name(&e, CONTROL_ERROR_NO_SUCH_ENTRY);
                bool usage = sd_bus_error_has_name(&e, SD_BUS_ERROR_INVALID_ARGS);

                r = call_failed(what, &e, r);
                r = no_match ? EXIT_NO_MATCH : usage ? EXIT_USAGE : r;
        } else {
                r = 0;
                if (ret)
                        *ret = TAKE_PTR(reply);
        }
        return r;
}

/* ---- changes without a daemon: the store file itself, under its write lock ------------------- */

/* --database, or the default store when no arpd runs in this network namespace. */
static const char *offline_db(void) {
        return arg.database ? arg.database : ARPD_DEFAULT_DB;
}

static int offline_open(Store **ret) {
        struct store_options so = { .recover_damaged = true };

        if (!arg.database) {
                /* Not created here: a store made by root would be unusable by arpd's own user. */
                if (access(ARPD_DEFAULT_DB, F_OK) < 0) {
                        log_error("No running arpd found, and there is no store at " ARPD_DEFAULT_DB
                                  " yet: start arpd once, or name a store with --database=PATH.");
                        return -ENOENT;
                }
                fprintf(stderr, "arpctl: no running arpd found; changing %s directly.\n", ARPD_DEFAULT_DB);
        }
        /* store_open() logs what went wrong (missing file, permissions, corrupt, newer format). */
        return store_open(offline_db(), &so, ret);
}

/* IFACE ADDRESS as an operator typed them, by entry-ops.h's rules (the daemon's too): for add
 * (assert) the address must be one a neighbour can have, for delete any. 0 or EXIT_USAGE
 * (logged). */
static int parse_key_arg(const char *ifname, const char *address, bool assert_entry, struct neigh_key *k) {
        const char *reason = NULL;

        if ((assert_entry ? entry_static_key_parse : entry_key_parse)(ifname, address, k, &reason) >= 0)
                return 0;
        if (!ifname_valid(ifname))
                log_error("Invalid interface name '%s'.", ifname);
        else if (!reason || strcmp(reason, "invalid IPv4 or IPv6 address") == 0)
                log_error("Invalid IPv4 or IPv6 address '%s'.", address);
        else
                log_error("Invalid address '%s': %s.", address, reason);
        return EXIT_USAGE;
}

/* MAC for a static entry, by entry_lladdr_parse()'s rules for a link arpctl does not know (6
 * octets; a running arpd checks again against the link it serves). 0 or EXIT_USAGE (logged). */
static int parse_lladdr_arg(const char *s, struct lladdr *ll) {
        const char *reason = NULL;

        if (entry_lladdr_parse(s, 0, ll, &reason) >= 0)
                return 0;
        log_error("Invalid link-layer address '%s': %s.", s, reason ? reason : "malformed");
        return EXIT_USAGE;
}

/* After an offline change: durable before arpctl says it is done. */
static int offline_sync(Store *s, int r) {
        if (r >= 0)
                r = store_sync(s);
        return r;
}

static int offline_add(const struct neigh_key *k, const struct lladdr *ll) {
        _cleanup_(store_freep) Store *s = NULL;
        int r;

        r = offline_open(&s);
        if (r < 0)
                return r;
        r = offline_sync(s, entry_add_static(s, k, ll, now_usec(CLOCK_REALTIME), NULL));
        if (r < 0)
                return log_error_errno(r, "Adding the static entry to %s failed: %m", offline_db());
        return 0;
}

static int offline_delete(char **argv, const struct neigh_key *k) {
        _cleanup_(store_freep) Store *s = NULL;
        int r;

        r = offline_open(&s);
        if (r < 0)
                return r;
        r = offline_sync(s, entry_delete(s, k, NULL));
        if (r == -ENOENT) {
                log_error("No entry for %s on %s in %s.", argv[1], argv[0], offline_db());
                return EXIT_NO_MATCH;
        }
        if (r < 0)
                return log_error_errno(r, "Deleting the entry from %s failed: %m", offline_db());
        return 0;
}

static int offline_flush(const char *ifname, const char *states, uint64_t *ret) {
        _cleanup_(store_freep) Store *s = NULL;
        struct entry_filter f = {};
        int r, mask;

        mask = entry_states_from_string(states);
        if (mask < 0) {
                log_error("Invalid state filter '%s'.", states);
                return -EINVAL;
        }
        f.states = (unsigned) mask;
        if (ifname)
                snprintf(f.ifname, sizeof(f.ifname), "%s", ifname);
        r = offline_open(&s);
        if (r < 0)
                return r;
        r = offline_sync(s, entry_flush(s, &f, NULL, ret));
        if (r < 0)
                return log_error_errno(r, "Flushing %s failed after %llu entries: %m", offline_db(),
                                       (unsigned long long) *ret);
        return 0;
}

struct offline_load_ctx {
        Store *store;
        struct progress progress;
        char what_checking[300], what_loading[300];
};

static int offline_load_open(Store **ret, void *userdata) {
        struct offline_load_ctx *c = userdata;
        int r = offline_open(&c->store);

        *ret = c->store;
        return r;
}

static void offline_load_progress(const EntryLoad *l, const LoadReader *rd, void *userdata) {
        struct offline_load_ctx *c = userdata;

        c->progress.what = entry_load_checking(l) ? c->what_checking : c->what_loading;
        progress_update(&c->progress, load_reader_line(rd), load_reader_entries(rd), 0, 0);
}

/* entry-ops.h's streaming load, as arpd -f does it: a file is checked whole before the store is
 * opened, then written in chunks; a pipe in one transaction. The count, or a negative errno. */
static int offline_load(int fd, const char *name) {
        _cleanup_(load_reader_freep) LoadReader *rd = NULL;
        struct offline_load_ctx c = {};
        const struct entry_load_io io = { .open_store = offline_load_open, .progress = offline_load_progress,
                                          .userdata = &c };
        uint64_t committed = 0;
        char err[512];
        int r;

        r = load_reader_new_fd(name, fd, &rd);
        if (r < 0)
                return log_oom();
        snprintf(c.what_checking, sizeof(c.what_checking), "Checking %s", name);
        snprintf(c.what_loading, sizeof(c.what_loading), "Loading %s", name);
        progress_begin(&c.progress, c.what_loading);
        int64_t n = entry_load_stream(rd, now_usec(CLOCK_REALTIME), &io, &committed, err, sizeof(err));
        progress_end(&c.progress);
        if (n < 0) {
                if (err[0])
                        log_error("%s", err);
                if (committed == 0 && (err[0] || c.store))
                        log_error("Nothing from %s was stored.", name);
                store_free(c.store);
                return (int) n;
        }
        int q = store_sync(c.store);
        if (q < 0)
                log_warning_errno(q, "Syncing %s failed: %m", offline_db());
        store_free(c.store);
        return (int) MIN(n, (int64_t) INT32_MAX);
}

static int verb_add(int argc, char **argv) {
        struct neigh_key k;
        struct lladdr ll;
        int r;

        r = parse_key_arg(argv[0], argv[1], true, &k);
        if (r == 0)
                r = parse_lladdr_arg(argv[2], &ll);
        if (r != 0)
                return r;
        /* The daemon serving IFACE (or one sharing the store), else the store offline. */
        Source s = {};
        r = arg.database ? 0 : source_open_for(&s, argv[0]);
        if (r == 0)
                return offline_add(&k, &ll);
        if (r > 0)
                r = simple_call(&s, "Adding the static entry failed", "AddStatic", NULL, "sss", argv[0], argv[1], argv[2]);
        source_done(&s);
        return r;
}

static int verb_delete(int argc, char **argv) {
        struct neigh_key k;
        int r;

        r = parse_key_arg(argv[0], argv[1], false, &k);
        if (r != 0)
                return r;
        Source s = {};
        r = arg.database ? 0 : source_open_for(&s, argv[0]);
        if (r == 0)
                return offline_delete(argv, &k);
        if (r > 0)
                r = simple_call(&s, "Deleting the entry failed", "Delete", NULL, "ss", argv[0], argv[1]);
        source_done(&s);
        return r;
}

/* Flush through one daemon: the count in *n. 0, negative errno or EXIT_*. */
static int flush_online(Source *s, const char *ifname, const char *states, uint64_t *n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = simple_call(s, "Flushing failed", "Flush", &reply, "ss", ifname, states);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "t", n);
        return r < 0 ? r : 0;
}

static int verb_flush(int argc, char **argv) {
        const char *states = arg.flush_states ? arg.flush_states : "learned";
        uint64_t n = 0;
        int r;

        if (argc > 0 && !ifname_valid(argv[0])) {
                log_error("Invalid interface name '%s'.", argv[0]);
                return EXIT_USAGE;
        }
        if (arg.database)
                r = offline_flush(argc > 0 ? argv[0] : NULL, states, &n);
        else if (argc > 0 || arg.socket) {
                Source s = {};
                r = source_open_for(&s, argc > 0 ? argv[0] : NULL);
                if (r == 0)
                        r = offline_flush(argc > 0 ? argv[0] : NULL, states, &n);
                else if (r > 0)
                        r = flush_online(&s, argc > 0 ? argv[0] : "", states, &n);
                source_done(&s);
        } else {
                /* Every interface: once per store, through one of its daemons. */
                Source s[SOURCES_MAX] = {};
                Deployment *d = get_deployment();
                size_t n_s = 0;

                for (size_t i = 0; i < d->n; i++)
                        if (daemon_reads_its_store(d, &d->daemons[i]))
                                source_use_daemon(&s[n_s++], &d->daemons[i]);
                r = n_s == 0 ? offline_flush(NULL, states, &n) : 0;
                for (size_t i = 0; i < n_s && r == 0; i++) {
                        uint64_t k = 0;
                        r = flush_online(&s[i], "", states, &k);
                        n += k;
                }
                sources_done(s, n_s);
        }
        if (r != 0)
                return r;
        if (arg.json != JSON_OFF)
                printf("{\"flushed\":%llu}\n", (unsigned long long) n);
        else if (arg.legend)
                printf("Flushed %llu entr%s.\n", (unsigned long long) n, n == 1 ? "y" : "ies");
        return finish_output(0);
}

/* A LoadFd call may take long (the daemon's stall timeout bounds a pipe that brings nothing). */
#define LOAD_CALL_TIMEOUT_USEC (24ULL * 3600 * USEC_PER_SEC)

static int read_all(FILE *f, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        r = read_full_stream(f, CONTROL_LOAD_MAX, &buf, &len);
        if (r == -E2BIG)
                log_error("The input is larger than %d MiB; load it in parts.", CONTROL_LOAD_MAX / (1024 * 1024));
        if (r < 0)
                return r;
        if (memchr(buf, '\0', len)) {
                log_error("The input contains a NUL byte.");
                return -EINVAL;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Through the daemon, the old way: the whole text in one Load call (a daemon without LoadFd, an
 * input that is neither a file nor a pipe). */
static int load_online_text(Source *s, FILE *f, const char *name, uint32_t *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_all(f, &text);
        if (r < 0)
                return log_error_errno(r, "Reading %s failed: %m", name);
        r = simple_call(s, "Loading failed", "Load", &reply, "s", text);
        if (r != 0)
                return r > 0 ? -EINVAL : r; /* a bad file is a failure (1), not bad usage */
        r = sd_bus_message_read(reply, "u", ret);
        return r < 0 ? r : 0;
}

struct load_call {
        bool done;
        int r;
        uint32_t n;
        sd_bus_error error;
        bool unknown_method;
};

static int on_load_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct load_call *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        c->done = true;
        if (e) {
                c->unknown_method = sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD);
                c->r = -sd_bus_error_get_errno(e) ?: -EIO;
                (void) sd_bus_error_copy(&c->error, e);
                return 0;
        }
        c->r = sd_bus_message_read(m, "u", &c->n);
        if (c->r > 0)
                c->r = 0;
        return 0;
}

/* Through the daemon: the file descriptor itself (LoadFd), so the size is not bounded by a
 * message; the daemon reads it in steps. A regular file shares its offset with the daemon's
 * writing pass: on a terminal, a progress line says "Checking" and then how far the writing is.
 * Returns 0, a negative errno, EXIT_*, or 1 when the daemon has no LoadFd. */
static int load_online_fd(Source *s, int fd, const char *name, uint32_t *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        struct load_call c = { .error = SD_BUS_ERROR_NULL };
        struct progress pg;
        struct stat st;
        char what_checking[300], what_loading[300];
        int r;

        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "Cannot read %s: %m", name);
        off_t start = S_ISREG(st.st_mode) ? MAX(lseek(fd, 0, SEEK_CUR), (off_t) 0) : 0;
        r = sd_bus_message_new_method_call(s->bus, &m, NULL, CONTROL_PATH, CONTROL_INTERFACE, "LoadFd");
        if (r >= 0)
                r = sd_bus_message_append(m, "hs", fd, name);
        if (r >= 0)
                r = sd_bus_call_async(s->bus, &slot, m, on_load_reply, &c, LOAD_CALL_TIMEOUT_USEC);
        if (r < 0)
                return log_error_errno(r, "Loading failed: %m");
        snprintf(what_checking, sizeof(what_checking), "Checking %s", name);
        snprintf(what_loading, sizeof(what_loading), "Loading %s", name);
        progress_begin(&pg, what_checking);
        while (!c.done) {
                r = sd_bus_process(s->bus, NULL);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                r = sd_bus_wait(s->bus, PROGRESS_INTERVAL_USEC);
                if (r < 0)
                        break;
                if (S_ISREG(st.st_mode) && st.st_size > 0) {
                        /* the daemon checks with pread() (the offset stays), then writes with read() */
                        off_t off = lseek(fd, 0, SEEK_CUR);

                        pg.what = off > start ? what_loading : what_checking;
                        progress_update_bytes(&pg, off > start ? (uint64_t) (off - start) : 0,
                                              off > start ? (uint64_t) (st.st_size - start) : 0);
                }
        }
        progress_end(&pg);
        if (!c.done) {
                sd_bus_error_free(&c.error);
                return log_error_errno(r, "Loading failed: %m");
        }
        if (c.unknown_method) {
                sd_bus_error_free(&c.error);
                return 1;
        }
        if (c.r < 0) {
                bool usage = sd_bus_error_has_name(&c.error, SD_BUS_ERROR_INVALID_ARGS);

                r = call_failed("Loading failed", &c.error, c.r);
                sd_bus_error_free(&c.error);
                return usage ? -EINVAL : r; /* a bad file is a failure (1), not bad usage */
        }
        *ret = c.n;
        return 0;
}

/* A pipe is copied to an unlinked temporary file first (in $TMPDIR, else /var/tmp): the daemon
 * then checks it whole and writes it in chunks, as a file, instead of holding one transaction
 * (and its memory) open for as long as the pipe runs. -errno, or the fd of the copy at offset 0. */
static int spool_pipe(int fd, const char *name) {
        const char *dir = getenv("TMPDIR");
        _cleanup_close_ int t = -EBADF;
        char buf[65536];

        if (!dir || !dir[0])
                dir = "/var/tmp";
        t = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (t < 0 && strcmp(dir, "/tmp") != 0)
                t = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (t < 0)
                return log_error_errno(errno, "Cannot create a temporary copy of %s: %m", name);
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno(errno, "Reading %s failed: %m", name);
                if (n == 0)
                        break;
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(t, buf + off, (size_t) (n - off));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                return log_error_errno(errno, "Writing the temporary copy of %s failed: %m", name);
                        off += w;
                }
        }
        if (lseek(t, 0, SEEK_SET) < 0)
                return log_error_errno(errno, "Cannot read the temporary copy of %s: %m", name);
        return TAKE_FD(t);
}

static int load_online(Source *s, FILE *f, const char *name, uint32_t *ret) {
        _cleanup_close_ int copy = -EBADF;
        struct stat st;
        int r;

        if (fstat(fileno(f), &st) == 0 && (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
                int fd = fileno(f);

                if (S_ISFIFO(st.st_mode)) {
                        copy = spool_pipe(fd, name);
                        if (copy < 0)
                                return copy;
                        fd = copy;
                }
                r = load_online_fd(s, fd, name, ret);
                if (r <= 0)
                        return r;
                /* an older daemon: the text in one call */
                if (copy >= 0) {
                        _cleanup_fclose_ FILE *cf = fdopen(TAKE_FD(copy), "re");
                        if (!cf)
                                return log_oom();
                        return load_online_text(s, cf, name, ret);
                }
        }
        return load_online_text(s, f, name, ret);
}

static int verb_load(int argc, char **argv) {
        bool is_stdin = strcmp(argv[0], "-") == 0;
        const char *name = is_stdin ? "<stdin>" : argv[0];
        FILE *f = is_stdin ? stdin : fopen(argv[0], "re");
        uint32_t n = 0;
        int r;

        if (!f)
                return log_error_errno(errno, "Cannot open %s: %m", argv[0]);
        /* One transaction in one store: through a daemon of the store, else offline. */
        Source s = {};
        r = arg.database ? 0 : source_open_for(&s, NULL);
        if (r == 0) {
                r = offline_load(fileno(f), name);
                if (r >= 0) {
                        n = (uint32_t) r;
                        r = 0;
                }
        } else if (r > 0)
                r = load_online(&s, f, name, &n);
        source_done(&s);
        if (!is_stdin)
                fclose(f);
        if (r < 0)
                return r;
        if (arg.json != JSON_OFF)
                printf("{\"loaded\":%u}\n", n);
        else if (arg.legend)
                printf("Loaded %u entr%s.\n", n, n == 1 ? "y" : "ies");
        return finish_output(0);
}

/* ---- the store's bounds -------------------------------------------------------------------- */

struct limits_report {
        const char *store;
        struct store_limits limits;
        struct limits_iface {
                char ifname[IFNAMSIZ];
                struct store_iface_info info;
        } *ifaces;
        size_t n_ifaces;
};

static void limits_report_done(struct limits_report *l) {
        l->ifaces = mfree(l->ifaces);
        l->n_ifaces = 0;
}

static int limits_add_iface(const char *ifname, const struct store_iface_info *info, void *userdata) {
        struct limits_report *l = userdata;
        struct limits_iface *n = realloc(l->ifaces, (l->n_ifaces + 1) * sizeof(*n));

        if (!n)
                return -ENOMEM;
        l->ifaces = n;
        n[l->n_ifaces] = (struct limits_iface) { .info = *info };
        snprintf(n[l->n_ifaces].ifname, IFNAMSIZ, "%s", ifname);
        l->n_ifaces++;
        return 0;
}

static int limits_read_store(Store *st, struct limits_report *l) {
        int r = store_get_limits(st, &l->limits);

        if (r >= 0)
                r = store_foreach_iface(st, limits_add_iface, l);
        if (r < 0)
                return log_error_errno(r, "Reading the bounds of %s failed: %m", l->store);
        return 0;
}

static int limits_read_daemon(Source *s, struct limits_report *l) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct store_iface_info info;
        const char *ifname;
        int r;

        r = simple_call(s, "Reading the bounds failed", "GetLimits", &reply, "");
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "tt", &l->limits.max_entries, &l->limits.max_per_iface);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(stt)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(stt)", &ifname, &info.entries, &info.evicted)) > 0)
                r = limits_add_iface(ifname, &info, l);
        if (r < 0)
                return log_error_errno(r, "Malformed GetLimits reply from %s: %m", s->socket);
        return 0;
}

static void limits_print(const struct limits_report *l, size_t i) {
        uint64_t total = 0;

        for (size_t j = 0; j < l->n_ifaces; j++)
                total += l->ifaces[j].info.entries;
        if (arg.json != JSON_OFF) {
                const char *nl = arg.json == JSON_PRETTY ? "\n    " : "";
                const char *sp = arg.json == JSON_PRETTY ? " " : "";

                json_item(i);
                fputc('{', stdout);
                fprintf(stdout, "%s\"store\":%s", nl, sp);
                json_write_string(stdout, l->store);
                fprintf(stdout, ",%s\"max_entries\":%s%llu,%s\"max_per_interface\":%s%llu,%s\"entries\":%s%llu,%s"
                        "\"interfaces\":%s[", nl, sp, (unsigned long long) l->limits.max_entries, nl, sp,
                        (unsigned long long) l->limits.max_per_iface, nl, sp, (unsigned long long) total, nl, sp);
                for (size_t j = 0; j < l->n_ifaces; j++) {
                        fprintf(stdout, "%s%s{\"interface\":%s", j > 0 ? "," : "", arg.json == JSON_PRETTY ? "\n      " : "", sp);
                        json_write_string(stdout, l->ifaces[j].ifname);
                        fprintf(stdout, ",%s\"entries\":%s%llu,%s\"evicted\":%s%llu}", sp, sp,
                                (unsigned long long) l->ifaces[j].info.entries, sp, sp,
                                (unsigned long long) l->ifaces[j].info.evicted);
                }
                fprintf(stdout, "%s]%s}", l->n_ifaces > 0 && arg.json == JSON_PRETTY ? "\n    " : "",
                        arg.json == JSON_PRETTY ? "\n  " : "");
                return;
        }
        if (i > 0)
                fputc('\n', stdout);
        if (arg.legend)
                printf("Store %s: at most %llu entries, %llu per interface; %llu stored.\n", l->store,
                       (unsigned long long) l->limits.max_entries, (unsigned long long) l->limits.max_per_iface,
                       (unsigned long long) total);
        if (arg.legend && l->n_ifaces > 0)
                printf("%-16s %12s %12s\n", "INTERFACE", "ENTRIES", "EVICTED");
        for (size_t j = 0; j < l->n_ifaces; j++)
                printf("%-16s %12llu %12llu\n", l->ifaces[j].ifname, (unsigned long long) l->ifaces[j].info.entries,
                       (unsigned long long) l->ifaces[j].info.evicted);
}

/* limits: the bounds recorded in each store of this namespace (through one of its daemons, else
 * the store read-only) and every interface's entries and evictions there. */
static int verb_limits(int argc, char **argv) {
        Source s[SOURCES_MAX] = {};
        size_t n_s = 0;
        int r;

        r = sources_open_read(s, &n_s);
        if (r < 0)
                return r;
        json_begin();
        for (size_t i = 0; i < n_s && r == 0; i++) {
                _cleanup_(limits_report_done) struct limits_report l = {};
                _cleanup_free_ char *store = NULL;

                if (s[i].bus) {
                        (void) sd_bus_get_property_string(s[i].bus, NULL, CONTROL_PATH, CONTROL_INTERFACE,
                                                          "StorePath", NULL, &store);
                        l.store = store ? store : s[i].socket;
                        r = limits_read_daemon(&s[i], &l);
                } else {
                        l.store = arg.database ? arg.database : ARPD_DEFAULT_DB;
                        r = limits_read_store(s[i].store, &l);
                }
                if (r == 0)
                        limits_print(&l, i);
        }
        if (r == 0)
                json_end(n_s);
        sources_done(s, n_s);
        return r != 0 ? r : finish_output(0);
}

static void set_limits_print(const char *store, uint64_t total, uint64_t per, uint64_t evicted, size_t i) {
        if (arg.json != JSON_OFF) {
                json_item(i);
                fputs("{\"store\":", stdout);
                json_write_string(stdout, store);
                printf(",\"max_entries\":%llu,\"max_per_interface\":%llu,\"evicted\":%llu}",
                       (unsigned long long) total, (unsigned long long) per, (unsigned long long) evicted);
        } else if (arg.legend)
                printf("Store %s: at most %llu entries, %llu per interface; %llu entr%s evicted.\n", store,
                       (unsigned long long) total, (unsigned long long) per, (unsigned long long) evicted,
                       evicted == 1 ? "y" : "ies");
}

static int set_limits_offline(const struct store_limits *want, size_t i) {
        _cleanup_(store_freep) Store *st = NULL;
        struct store_limits b, a;
        uint64_t evicted = 0;
        int r;

        r = offline_open(&st);
        if (r < 0)
                return r;
        r = offline_sync(st, entry_set_limits(st, want, &b, &a, &evicted));
        if (r < 0)
                return log_error_errno(r, "Changing the bounds of %s failed: %m", offline_db());
        set_limits_print(offline_db(), a.max_entries, a.max_per_iface, evicted, i);
        return 0;
}

static int set_limits_online(Source *s, const char *store, const struct store_limits *want, size_t i) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint64_t total, per, evicted;
        int r;

        r = simple_call(s, "Changing the bounds failed", "SetLimits", &reply, "tt", want->max_entries,
                        want->max_per_iface);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "ttt", &total, &per, &evicted);
        if (r < 0)
                return log_error_errno(r, "Malformed SetLimits reply: %m");
        set_limits_print(store, total, per, evicted, i);
        return 0;
}

/* set-limits: through one daemon of each store of this namespace (or --socket), else offline
 * (--database, or the default store when no arpd runs). */
static int verb_set_limits(int argc, char **argv) {
        struct store_limits want = { .max_entries = arg.max_entries, .max_per_iface = arg.max_per_iface };
        Source s[SOURCES_MAX] = {};
        Deployment *d;
        size_t n_s = 0;
        int r = 0;

        if (want.max_entries == 0 && want.max_per_iface == 0) {
                fprintf(stderr, "arpctl: set-limits needs --max-entries=N, --max-per-interface=N or both\n");
                return EXIT_USAGE;
        }
        json_begin();
        if (arg.database)
                r = set_limits_offline(&want, 0), n_s = 1;
        else if (arg.socket) {
                r = source_connect_explicit(&s[0]);
                if (r >= 0) {
                        _cleanup_free_ char *store = NULL;

                        n_s = 1;
                        (void) sd_bus_get_property_string(s[0].bus, NULL, CONTROL_PATH, CONTROL_INTERFACE,
                                                          "StorePath", NULL, &store);
                        r = set_limits_online(&s[0], store ? store : arg.socket, &want, 0);
                }
        } else {
                d = get_deployment();
                for (size_t i = 0; i < d->n && n_s < SOURCES_MAX; i++)
                        if (daemon_reads_its_store(d, &d->daemons[i])) {
                                source_use_daemon(&s[n_s], &d->daemons[i]);
                                r = set_limits_online(&s[n_s], d->daemons[i].store ? d->daemons[i].store : "?", &want,
                                                      n_s);
                                n_s++;
                                if (r != 0)
                                        break;
                        }
                if (n_s == 0) {
                        r = set_limits_offline(&want, 0);
                        n_s = 1;
                }
        }
        if (r == 0)
                json_end(n_s);
        sources_done(s, arg.database ? 0 : n_s);
        return r != 0 ? r : finish_output(0);
}

/* Calls cb for every counter of a GetStatistics reply, interface by interface (from the start
 * of the reply: it can be walked more than once). first is true for an interface's first one. */
typedef void (*stat_cb_t)(const char *ifname, const char *name, uint64_t value, bool first, void *userdata);

static int stats_foreach(sd_bus_message *reply, stat_cb_t cb, void *userdata) {
        const char *ifname, *name;
        uint64_t v;
        int r;

        r = sd_bus_message_rewind(reply, true);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sa{st}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sa{st}")) > 0) {
                bool first = true;

                r = sd_bus_message_read(reply, "s", &ifname);
                if (r < 0)
                        break;
                r = sd_bus_message_enter_container(reply, 'a', "{st}");
                while (r >= 0 && (r = sd_bus_message_read(reply, "{st}", &name, &v)) > 0) {
                        cb(ifname, name, v, first, userdata);
                        first = false;
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return log_error_errno(r, "arpd sent malformed statistics: %m");
        return 0;
}

struct stats_print {
        size_t w_if, w_name, n_if;
};

static void stats_measure(const char *ifname, const char *name, uint64_t v, bool first, void *userdata) {
        struct stats_print *p = userdata;

        p->w_if = MAX(p->w_if, strlen(ifname));
        p->w_name = MAX(p->w_name, strlen(name));
}

static void stats_print_one(const char *ifname, const char *name, uint64_t v, bool first, void *userdata) {
        struct stats_print *p = userdata;
        bool pretty = arg.json == JSON_PRETTY;

        if (arg.json == JSON_OFF) {
                printf("%-*s %-*s %llu\n", (int) p->w_if, ifname, (int) p->w_name, name, (unsigned long long) v);
                return;
        }
        if (first) {
                if (p->n_if > 0)
                        fputs(pretty ? "\n  }," : "},", stdout);
                fputs(pretty ? "\n  " : "", stdout);
                json_write_string(stdout, ifname);
                fputs(pretty ? ": {" : ":{", stdout);
                p->n_if++;
        } else
                fputc(',', stdout);
        if (pretty)
                fputs("\n    ", stdout);
        json_write_string(stdout, name);
        printf(pretty ? ": %llu" : ":%llu", (unsigned long long) v);
}

/* stats over one or several daemons: the rows of every instance, then their sum. */
struct stat_row {
        char label[DEPLOYMENT_SOCKET_MAX + 2]; /* an interface, "*", "*@INSTANCE" or "*total" */
        char name[64];
        uint64_t value;
};

struct stat_table {
        struct stat_row *rows;
        size_t n;
        const char *star; /* the label of this daemon's "*" row; NULL: "*" itself */
        int r;
};

static int stat_table_add(struct stat_table *t, const char *label, const char *name, uint64_t v) {
        struct stat_row *n = reallocarray(t->rows, t->n + 1, sizeof(*t->rows));

        if (!n)
                return log_oom();
        t->rows = n;
        snprintf(n[t->n].label, sizeof(n[t->n].label), "%s", label);
        snprintf(n[t->n].name, sizeof(n[t->n].name), "%s", name);
        n[t->n++].value = v;
        return 0;
}

static void stats_collect(const char *ifname, const char *name, uint64_t v, bool first, void *userdata) {
        struct stat_table *t = userdata;

        if (t->r >= 0)
                t->r = stat_table_add(t, t->star && strcmp(ifname, "*") == 0 ? t->star : ifname, name, v);
}

/* The instance's name: NAME of RUN_DIR/NAME/bus (or the socket path itself). */
static void instance_name(const char *socket, char *buf, size_t size) {
        const char *end = strrchr(socket, '/'), *start = end;

        while (start && start > socket && start[-1] != '/')
                start--;
        if (!end || start == end)
                snprintf(buf, size, "%s", socket);
        else
                snprintf(buf, size, "%.*s", (int) (end - start), start);
}

/* GetStatistics of one daemon into t; its "*" row is labelled "*@INSTANCE" when tag is set. */
static int stats_read(Source *s, const char *ifname, bool tag, struct stat_table *t) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char star[DEPLOYMENT_SOCKET_MAX + 2], inst[DEPLOYMENT_SOCKET_MAX];
        int r;

        instance_name(s->socket, inst, sizeof(inst));
        snprintf(star, sizeof(star), "*@%s", inst);
        r = simple_call(s, "Reading the statistics failed", "GetStatistics", &reply, "s", ifname);
        if (r != 0)
                return r;
        t->star = tag ? star : NULL;
        t->r = 0;
        r = stats_foreach(reply, stats_collect, t);
        t->star = NULL;
        return r < 0 ? r : t->r;
}

/* Appends "*total": every counter summed over all rows so far, in order of first appearance. */
static int stats_add_total(struct stat_table *t) {
        size_t n = t->n;

        for (size_t i = 0; i < n; i++) {
                bool seen = false;
                uint64_t sum = 0;

                for (size_t j = n; j < t->n && !seen; j++)
                        seen = strcmp(t->rows[j].name, t->rows[i].name) == 0;
                if (seen)
                        continue;
                for (size_t j = i; j < n; j++)
                        if (strcmp(t->rows[j].name, t->rows[i].name) == 0)
                                sum += t->rows[j].value;
                char name[sizeof(t->rows[i].name)]; /* t->rows moves when it grows */
                memcpy(name, t->rows[i].name, sizeof(name));
                int r = stat_table_add(t, "*total", name, sum);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void stats_print(const struct stat_table *t) {
        struct stats_print p = { .w_if = strlen("INTERFACE"), .w_name = strlen("COUNTER") };

        for (size_t i = 0; i < t->n; i++)
                stats_measure(t->rows[i].label, t->rows[i].name, t->rows[i].value, false, &p);
        if (arg.json == JSON_OFF && arg.legend)
                printf("%-*s %-*s %s\n", (int) p.w_if, "INTERFACE", (int) p.w_name, "COUNTER", "VALUE");
        if (arg.json != JSON_OFF)
                fputc('{', stdout);
        for (size_t i = 0; i < t->n; i++)
                stats_print_one(t->rows[i].label, t->rows[i].name, t->rows[i].value,
                                i == 0 || strcmp(t->rows[i - 1].label, t->rows[i].label) != 0, &p);
        if (arg.json != JSON_OFF)
                fputs(p.n_if == 0 ? "}\n" : arg.json == JSON_PRETTY ? "\n  }\n}\n" : "}}\n", stdout);
}

/* stats IFACE: the daemon serving it. stats: every daemon here, then the total over all. */
static int verb_stats(int argc, char **argv) {
        struct stat_table t = {};
        Source s[SOURCES_MAX] = {};
        size_t n_s = 0;
        int r;

        if (argc > 0 && !arg.socket && !arg.database) {
                r = source_open_for(&s[0], argv[0]);
                if (r == 0) {
                        log_error("No running arpd found in this network namespace under %s.", deployment_run_dir());
                        return -ENOENT;
                }
                if (r < 0)
                        return r;
                n_s = 1;
                r = 0;
        } else {
                r = sources_open_daemons(s, &n_s);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n_s && r == 0; i++)
                r = stats_read(&s[i], argc > 0 ? argv[0] : "", n_s > 1, &t);
        if (r == 0 && argc == 0)
                r = stats_add_total(&t);
        sources_done(s, n_s);
        if (r == 0)
                stats_print(&t);
        free(t.rows);
        return r != 0 ? r : finish_output(0);
}

/* ---- metrics ------------------------------------------------------------------------------ */

struct counter_ctx {
        Metrics *m;
        int r;
};

static void metrics_counter(const char *ifname, const char *name, uint64_t v, bool first, void *userdata) {
        struct counter_ctx *c = userdata;

        if (c->r >= 0)
                c->r = metrics_add_counter(c->m, ifname, name, v);
}

struct count_ctx {
        Metrics *m;
        char ifname[IFNAMSIZ];
        uint64_t n[4];
        int r;
};

static void count_flush(struct count_ctx *c) {
        if (c->ifname[0] == '\0')
                return;
        for (int st = RECORD_POSITIVE; st <= RECORD_STATIC && c->r >= 0; st++)
                c->r = metrics_add_entries(c->m, c->ifname, st, c->n[st]);
        memset(c->n, 0, sizeof(c->n));
}

/* Entries come in key order, interface by interface. */
static int count_one(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct count_ctx *c = userdata;

        if (strncmp(c->ifname, k->ifname, IFNAMSIZ) != 0) {
                count_flush(c);
                snprintf(c->ifname, sizeof(c->ifname), "%.*s", IFNAMSIZ - 1, k->ifname);
        }
        if ((unsigned) r->state < ELEMENTSOF(c->n))
                c->n[r->state]++;
        return c->r < 0 ? c->r : 0;
}

/* The store's entry counts, read-only (LMDB readers never block arpd). */
static int metrics_store(Metrics *m, const char *path) {
        struct store_options so = { .read_only = true };
        _cleanup_(store_freep) Store *s = NULL;
        struct count_ctx c = { .m = m };
        int r;

        r = store_open(path, &so, &s); /* logs why it cannot */
        if (r < 0)
                return r;
        r = store_foreach(s, NULL, 0, count_one, &c);
        count_flush(&c);
        if (r >= 0)
                r = c.r;
        if (r < 0)
                return log_error_errno(r, "Counting the entries of %s failed: %m", path);
        return 0;
}

/* One daemon's counters; its store path into store (may stay NULL). 0 if it answered. */
static int metrics_daemon(Metrics *m, const char *socket, char **store) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = deployment_connect(socket, &bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "GetStatistics", &e, &reply, "s", "");
        if (r < 0)
                return call_failed("Reading the statistics failed", &e, r);
        struct counter_ctx c = { .m = m };
        r = stats_foreach(reply, metrics_counter, &c);
        if (r >= 0)
                r = c.r;
        if (r < 0)
                return r;
        (void) sd_bus_get_property_string(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "StorePath", NULL, store);
        return 0;
}

static int verb_metrics(int argc, char **argv) {
        Metrics *m = metrics_new();
        char *stores[65] = {};
        size_t n_stores = 0;
        bool any_up = false;
        int r = 0;

        if (!m)
                return log_oom();
        if (!arg.database) {
                char paths[64][108];
                bool alive[64];
                size_t n;

                if (arg.socket) {
                        snprintf(paths[0], sizeof(paths[0]), "%s", arg.socket);
                        alive[0] = true;
                        n = 1;
                } else {
                        /* This network namespace's daemons (and the stale sockets), never another's. */
                        Deployment *d = get_deployment();

                        n = 0;
                        for (size_t i = 0; i < d->n && n < ELEMENTSOF(paths); i++)
                                if (d->daemons[i].state == DAEMON_RUNNING || d->daemons[i].state == DAEMON_STALE) {
                                        snprintf(paths[n], sizeof(paths[n]), "%s", d->daemons[i].socket);
                                        alive[n++] = d->daemons[i].state == DAEMON_RUNNING;
                                }
                }
                for (size_t i = 0; i < n && r >= 0; i++) {
                        char *store = NULL;
                        bool up = alive[i] && metrics_daemon(m, paths[i], &store) >= 0;

                        any_up = any_up || up;
                        r = metrics_add_daemon(m, paths[i], up);
                        if (!up && arg.socket)
                                r = log_error_errno(ECONNREFUSED, "Cannot read arpd's counters at %s (is it running?).",
                                                    arg.socket);
                        /* each store once: the instances of one machine share one */
                        for (size_t j = 0; store && j < n_stores; j++)
                                if (strcmp(stores[j], store) == 0)
                                        store = mfree(store);
                        if (store)
                                stores[n_stores++] = store;
                }
        }
        if (r >= 0 && n_stores == 0) {
                const char *path = arg.database ? arg.database : ARPD_DEFAULT_DB;
                if (!arg.database && !any_up)
                        fprintf(stderr, "arpctl: no running arpd found; counting the entries of %s only.\n", path);
                r = metrics_store(m, path);
        }
        for (size_t i = 0; i < n_stores; i++) {
                if (r >= 0)
                        r = metrics_store(m, stores[i]);
                free(stores[i]);
        }
        if (r >= 0) {
                if (arg.output) {
                        r = metrics_write_file(arg.output, m);
                        if (r < 0)
                                log_error_errno(r, "Writing %s failed: %m", arg.output);
                } else {
                        metrics_write(stdout, m);
                        r = finish_output(0);
                }
        }
        metrics_free(m);
        return r;
}

/* ---- history ------------------------------------------------------------------------------- */

struct history_keys {
        struct neigh_key keys[SOURCES_MAX * 16];
        size_t n;
};

static int history_collect(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct history_keys *hk = userdata;

        for (size_t i = 0; i < hk->n; i++)
                if (neigh_key_equal(&hk->keys[i], k))
                        return 0; /* the same entry through another daemon of the same store */
        if (hk->n < ELEMENTSOF(hk->keys))
                hk->keys[hk->n++] = *k;
        return 0;
}

/* The history of k from s: through the daemon (GetHistory) or from the store. 0, -ENOENT. */
static int source_history(Source *s, const struct neigh_key *k, struct station_history *ret) {
        char ifname[IFNAMSIZ], a[IN_ADDR_STRLEN];

        *ret = (struct station_history) {};
        if (s->store) {
                struct station_history stored;
                struct record rec;
                int r = store_get(s->store, k, &rec);

                if (r < 0)
                        return r == -ENOENT ? r : log_error_errno(r, "Reading the entry failed: %m");
                r = store_history_get(s->store, k, &stored);
                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "The stored MAC history cannot be read (%m); showing the entry's MAC only.");
                station_history_view(&rec, r >= 0 ? &stored : NULL, ret);
                return 0;
        }

        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        snprintf(ifname, sizeof(ifname), "%.*s", IFNAMSIZ - 1, k->ifname);
        int r = sd_bus_call_method(s->bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "GetHistory", &e, &reply, "ss", ifname,
                                   in_addr_to_string(k->family, &k->addr, a));
        if (r < 0 && sd_bus_error_has_name(&e, CONTROL_ERROR_NO_SUCH_ENTRY))
                return -ENOENT;
        if (r < 0)
                return call_failed("Reading the history failed", &e, r);
        r = sd_bus_message_enter_container(reply, 'a', "(stt)");
        while (r >= 0) {
                const char *l;
                uint64_t first, last;

                r = sd_bus_message_read(reply, "(stt)", &l, &first, &last);
                if (r <= 0)
                        break;
                if (ret->n < STATION_HISTORY_MAX && lladdr_from_string(l, &ret->mac[ret->n].lladdr) >= 0) {
                        ret->mac[ret->n].first_seen = first;
                        ret->mac[ret->n].last_seen = last;
                        ret->n++;
                }
        }
        return r < 0 ? log_error_errno(r, "Cannot read arpd's reply: %m") : 0;
}

static const char *history_time(usec_t t, char *buf, size_t size) {
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (t == 0 || !localtime_r(&sec, &tm))
                return "-";
        strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
        return buf;
}

/* history ADDRESS [dev IFACE]: the address's MACs, newest first. */
static int verb_history(int argc, char **argv) {
        Source s[SOURCES_MAX] = {};
        size_t n_s = 0, shown = 0;
        struct history_keys hk = {};
        struct entry_filter f;
        VendorDb *vendors = NULL;
        char err[256];
        int r;

        if (argc == 3 && strcmp(argv[1], "dev") == 0) {
                const char *reason = NULL;
                if (entry_key_parse(argv[2], argv[0], &hk.keys[0], &reason) < 0) {
                        log_error("Invalid entry %s dev %s: %s", argv[0], argv[2], reason ? reason : "invalid");
                        return EXIT_USAGE;
                }
                hk.n = 1;
        } else if (argc != 1) {
                fprintf(stderr, "arpctl: usage: arpctl history ADDRESS [dev IFACE]\n");
                return EXIT_USAGE;
        }
        if (show_arg_parse(argv[0], arg.family, &f, err, sizeof(err)) < 0) {
                log_error("%s", err);
                return EXIT_USAGE;
        }
        if (f.has_lladdr) {
                log_error("history takes an IPv4 or IPv6 address, not a MAC: %s", argv[0]);
                return EXIT_USAGE;
        }
        if (arg.vendor) {
                r = vendor_db_load(vendor_db_dir(), &vendors);
                if (r < 0)
                        return r;
                if (!vendors)
                        fprintf(stderr, "arpctl: no IEEE registry in %s (package ieee-data): no vendor names.\n",
                                vendor_db_dir());
        }
        r = sources_open_read(s, &n_s);
        if (r < 0) {
                vendor_db_free(vendors);
                return r;
        }
        /* Without dev: every interface that has an entry for the address. */
        for (size_t j = 0; hk.n == 0 && j < n_s && r >= 0; j++)
                r = source_foreach(&s[j], &f, history_collect, &hk);
        if (r >= 0 && argc == 1 && hk.n == 0)
                r = -ENOENT;

        /* Gathered first: the table's columns fit the data (long interface names, IPv6). */
        struct history_row {
                char ifname[IFNAMSIZ], addr[IN_ADDR_STRLEN], lladdr[LLADDR_STRLEN], first[32], last[32];
                struct station_mac mac;
                const char *vendor;
        } *rows = NULL;
        size_t n_rows = 0, w[3] = { strlen("INTERFACE"), strlen("ADDRESS"), strlen("LLADDR") };
        if (r >= 0 && hk.n > 0) {
                rows = calloc(hk.n * STATION_HISTORY_MAX, sizeof(*rows));
                if (!rows)
                        r = log_oom();
        }
        for (size_t i = 0; r >= 0 && i < hk.n; i++) {
                struct station_history h = {};
                int q = -ENOENT;

                /* The first source that has the entry answers (the instances share one store). */
                for (size_t j = 0; j < n_s && q == -ENOENT; j++)
                        q = source_history(&s[j], &hk.keys[i], &h);
                if (q == -ENOENT)
                        continue;
                if (q < 0) {
                        r = q;
                        break;
                }
                for (unsigned m = 0; m < h.n; m++) {
                        struct history_row *row = &rows[n_rows++];

                        snprintf(row->ifname, sizeof(row->ifname), "%.*s", IFNAMSIZ - 1, hk.keys[i].ifname);
                        in_addr_to_string(hk.keys[i].family, &hk.keys[i].addr, row->addr);
                        lladdr_to_string(&h.mac[m].lladdr, row->lladdr);
                        history_time(h.mac[m].first_seen, row->first, sizeof(row->first));
                        history_time(h.mac[m].last_seen, row->last, sizeof(row->last));
                        row->mac = h.mac[m];
                        row->vendor = vendor_lookup(vendors, &h.mac[m].lladdr);
                        w[0] = MAX(w[0], strlen(row->ifname));
                        w[1] = MAX(w[1], strlen(row->addr));
                        w[2] = MAX(w[2], strlen(row->lladdr));
                }
        }
        json_begin();
        if (r >= 0 && n_rows > 0 && arg.legend && arg.json == JSON_OFF)
                printf("%-*s %-*s %-*s %-19s %s\n", (int) w[0], "INTERFACE", (int) w[1], "ADDRESS", (int) w[2], "LLADDR",
                       "FIRST SEEN", arg.vendor ? "LAST SEEN           VENDOR" : "LAST SEEN");
        for (size_t i = 0; r >= 0 && i < n_rows; i++) {
                const struct history_row *row = &rows[i];

                if (arg.json != JSON_OFF) {
                        /* pretty: one field per line, as dump's objects */
                        const char *sep = arg.json == JSON_PRETTY ? ",\n    " : ",";
                        const char *colon = arg.json == JSON_PRETTY ? ": " : ":";

                        json_item(shown);
                        printf("{%s\"dev\"%s", arg.json == JSON_PRETTY ? "\n    " : "", colon);
                        json_write_string(stdout, row->ifname);
                        printf("%s\"dst\"%s", sep, colon);
                        json_write_string(stdout, row->addr);
                        printf("%s\"lladdr\"%s", sep, colon);
                        json_write_string(stdout, row->lladdr);
                        printf("%s\"first_seen_usec\"%s%llu%s\"last_seen_usec\"%s%llu", sep, colon,
                               (unsigned long long) row->mac.first_seen, sep, colon,
                               (unsigned long long) row->mac.last_seen);
                        if (row->vendor) {
                                printf("%s\"vendor\"%s", sep, colon);
                                json_write_string(stdout, row->vendor);
                        }
                        fputs(arg.json == JSON_PRETTY ? "\n  }" : "}", stdout);
                } else if (arg.vendor)
                        printf("%-*s %-*s %-*s %-19s %-19s %s\n", (int) w[0], row->ifname, (int) w[1], row->addr, (int) w[2],
                               row->lladdr, row->first, row->last, row->vendor ? row->vendor : "-");
                else
                        printf("%-*s %-*s %-*s %-19s %s\n", (int) w[0], row->ifname, (int) w[1], row->addr, (int) w[2],
                               row->lladdr, row->first, row->last);
                shown++;
        }
        free(rows);
        if (r >= 0 || r == -ENOENT)
                json_end(shown);
        sources_done(s, n_s);
        vendor_db_free(vendors);
        if ((r >= 0 || r == -ENOENT) && shown == 0) {
                log_error("arpd has no MAC history for %s%s%s.", argv[0], argc == 3 ? " on " : "", argc == 3 ? argv[2] : "");
                return EXIT_NO_MATCH;
        }
        return finish_output(r);
}

static volatile sig_atomic_t stop_requested;
static void on_stop_signal(int sig) {
        stop_requested = 1;
}

static int on_entry_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *kind, *ifname, *address, *lladdr, *state;
        char ts[32];
        time_t now = time(NULL);
        struct tm tm;

        if (sd_bus_message_read(m, "sssss", &kind, &ifname, &address, &lladdr, &state) < 0)
                return 0;
        if (arg.json != JSON_OFF) {
                /* The names and types of dump's objects: state an array of kernel words (empty
                 * for a removal), arpd's word in arpd_state, lladdr absent when there is none. */
                int st = state[0] ? record_state_from_string(state) : -1;

                fputs("{\"kind\":", stdout);
                json_write_string(stdout, kind);
                fputs(",\"dev\":", stdout);
                json_write_string(stdout, ifname);
                fputs(",\"dst\":", stdout);
                json_write_string(stdout, address);
                if (lladdr[0]) {
                        fputs(",\"lladdr\":", stdout);
                        json_write_string(stdout, lladdr);
                }
                if (st > 0) {
                        printf(",\"state\":[\"%s\"],\"arpd_state\":", entry_state_to_nud(st));
                        json_write_string(stdout, state);
                } else
                        fputs(",\"state\":[]", stdout);
                printf(",\"time_usec\":%llu}\n", (unsigned long long) now_usec(CLOCK_REALTIME));
        } else {
                localtime_r(&now, &tm);
                strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
                printf("%s %-11s %-10s %-15s %-17s %s\n", ts, kind, ifname, address[0] ? address : "-",
                       lladdr[0] ? lladdr : "-", state[0] ? state : "-");
        }
        fflush(stdout);
        return 0;
}

/* StationEvent (arpctl(8), "D-BUS INTERFACE"): one line, or one JSON object with "kind":"station". */
static int on_station_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *kind, *ifname, *address, *lladdr, *old, *source;
        uint64_t t, idle;
        char ts[32], detail[256] = "";
        size_t dl = 0;
        time_t sec;
        struct tm tm;
        bool first = true;

        if (sd_bus_message_read(m, "sssssstt", &kind, &ifname, &address, &lladdr, &old, &source, &t, &idle) < 0)
                return 0;
        if (arg.json != JSON_OFF) {
                fputs("{\"kind\":\"station\",\"event\":", stdout);
                json_write_string(stdout, kind);
                fputs(",\"dev\":", stdout);
                json_write_string(stdout, ifname);
                if (address[0]) {
                        fputs(",\"dst\":", stdout);
                        json_write_string(stdout, address);
                }
                if (lladdr[0]) {
                        fputs(",\"lladdr\":", stdout);
                        json_write_string(stdout, lladdr);
                }
                if (old[0]) {
                        fputs(",\"old_lladdr\":", stdout);
                        json_write_string(stdout, old);
                }
                if (source[0]) {
                        fputs(",\"source\":", stdout);
                        json_write_string(stdout, source);
                }
                if (idle > 0)
                        printf(",\"idle_usec\":%llu", (unsigned long long) idle);
        }
        if (sd_bus_message_enter_container(m, 'a', "{st}") > 0) {
                const char *k;
                uint64_t n;

                while (sd_bus_message_read(m, "{st}", &k, &n) > 0) {
                        if (arg.json != JSON_OFF) {
                                fputs(first ? ",\"folded\":{" : ",", stdout);
                                json_write_string(stdout, k);
                                printf(":%llu", (unsigned long long) n);
                        } else if (dl < sizeof(detail))
                                dl += (size_t) snprintf(detail + dl, sizeof(detail) - dl, "%s%s=%llu", first ? "" : " ", k,
                                                        (unsigned long long) n);
                        first = false;
                }
                if (!first && arg.json != JSON_OFF)
                        fputc('}', stdout);
        }
        if (arg.json != JSON_OFF) {
                printf(",\"time_usec\":%llu}\n", (unsigned long long) t);
        } else {
                if (first && old[0])
                        snprintf(detail, sizeof(detail), "was %s", old);
                else if (first && idle > 0)
                        snprintf(detail, sizeof(detail), "silent %llus", (unsigned long long) (idle / USEC_PER_SEC));
                else if (first && source[0])
                        snprintf(detail, sizeof(detail), "%s", source);
                sec = (time_t) (t / USEC_PER_SEC);
                localtime_r(&sec, &tm);
                strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
                printf("%s %-11s %-10s %-15s %-17s %s\n", ts, kind, ifname, address[0] ? address : "-",
                       lladdr[0] ? lladdr : "-", detail[0] ? detail : "-");
        }
        fflush(stdout);
        return 0;
}

/* monitor: every daemon of this network namespace (or --socket), merged as the signals come. */
static int verb_monitor(int argc, char **argv) {
        struct sigaction sa = { .sa_handler = on_stop_signal };
        Source s[SOURCES_MAX] = {};
        bool live[SOURCES_MAX] = {};
        size_t n_s = 0, n_live = 0;
        int r;

        r = sources_open_daemons(s, &n_s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_s; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

                r = sd_bus_match_signal(s[i].bus, NULL, NULL, CONTROL_PATH, CONTROL_INTERFACE, "EntryChanged",
                                        on_entry_changed, NULL);
                if (r >= 0)
                        r = sd_bus_match_signal(s[i].bus, NULL, NULL, CONTROL_PATH, CONTROL_INTERFACE, "StationEvent",
                                                on_station_event, NULL);
                if (r >= 0)
                        r = sd_bus_call_method(s[i].bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "Subscribe", &e, NULL, "");
                if (r < 0) {
                        r = call_failed("Subscribing to changes failed", &e, r);
                        sources_done(s, n_s);
                        return r;
                }
                live[i] = true;
                n_live++;
        }
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (arg.legend && arg.json == JSON_OFF)
                printf("%-8s %-11s %-10s %-15s %-17s %s\n", "TIME", "KIND", "INTERFACE", "ADDRESS", "LLADDR", "STATE");
        fflush(stdout);
        fprintf(stderr, "Monitoring arpd at ");
        for (size_t i = 0; i < n_s; i++)
                fprintf(stderr, "%s%s", i > 0 ? ", " : "", s[i].socket);
        fprintf(stderr, "; Ctrl-C stops.\n");
        while (!stop_requested && n_live > 0) {
                struct pollfd pfd[SOURCES_MAX];
                size_t n_pfd = 0;
                bool progress = false;
                int timeout = -1;

                for (size_t i = 0; i < n_s; i++) {
                        if (!live[i])
                                continue;
                        r = sd_bus_process(s[i].bus, NULL);
                        if (r < 0) {
                                log_error_errno(r, "Lost the connection to arpd at %s: %m", s[i].socket);
                                live[i] = false;
                                n_live--;
                        } else if (r > 0)
                                progress = true;
                }
                if (progress)
                        continue;
                for (size_t i = 0; i < n_s; i++) {
                        uint64_t until;

                        if (!live[i])
                                continue;
                        r = sd_bus_get_events(s[i].bus);
                        pfd[n_pfd] = (struct pollfd) { .fd = sd_bus_get_fd(s[i].bus), .events = (short) (r > 0 ? r : POLLIN) };
                        n_pfd++;
                        if (sd_bus_get_timeout(s[i].bus, &until) > 0 && until != UINT64_MAX) {
                                usec_t now = now_usec(CLOCK_MONOTONIC);
                                int ms = until > now ? (int) MIN((until - now + 999) / 1000, (uint64_t) INT32_MAX) : 0;
                                timeout = timeout < 0 ? ms : MIN(timeout, ms);
                        }
                }
                if (n_pfd > 0 && poll(pfd, n_pfd, timeout) < 0 && errno != EINTR) {
                        r = log_error_errno(errno, "poll() failed: %m");
                        break;
                }
        }
        sources_done(s, n_s);
        return finish_output(stop_requested ? 0 : r < 0 ? r : -ECONNRESET);
}

static int verb_list_daemons(int argc, char **argv) {
        Deployment *d = get_deployment();

        if (arg.json == JSON_OFF && arg.legend)
                printf("%-32s %-13s %-8s %-20s %s\n", "SOCKET", "STATE", "ENTRIES", "INTERFACES", "STORE");
        json_begin();
        for (size_t i = 0; i < d->n; i++) {
                const Daemon *dm = &d->daemons[i];
                char ifnames[256] = "";
                uint64_t entries = 0;
                bool up = dm->state == DAEMON_RUNNING &&
                          sd_bus_get_property_trivial(dm->bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "EntryCount", NULL,
                                                      't', &entries) >= 0;

                for (size_t j = 0; j < dm->n_ifaces; j++) {
                        size_t l = strlen(ifnames);
                        snprintf(ifnames + l, sizeof(ifnames) - l, "%s%s", l ? "," : "", dm->ifaces[j]);
                }
                if (arg.json != JSON_OFF) {
                        json_item(i);
                        fputs("{\"socket\":", stdout);
                        json_write_string(stdout, dm->socket);
                        printf(",\"running\":%s,\"state\":", up ? "true" : "false");
                        json_write_string(stdout, daemon_state_to_string(dm->state));
                        if (up) {
                                fputs(",\"interfaces\":", stdout);
                                json_write_string(stdout, ifnames);
                                fputs(",\"store\":", stdout);
                                json_write_string(stdout, dm->store);
                                printf(",\"entries\":%llu", (unsigned long long) entries);
                        }
                        fputs("}", stdout);
                } else if (up)
                        printf("%-32s %-13s %-8llu %-20s %s\n", dm->socket, "running", (unsigned long long) entries,
                               ifnames[0] ? ifnames : "-", dm->store);
                else
                        printf("%-32s %-13s %-8s %-20s %s\n", dm->socket, daemon_state_to_string(dm->state), "-", "-", "-");
        }
        json_end(d->n);
        if (arg.json == JSON_OFF && arg.legend)
                printf("\n%zu socket%s under %s; %zu arpd running in this network namespace, %zu store%s.\n", d->n,
                       d->n == 1 ? "" : "s", deployment_run_dir(), d->n_running, d->n_stores, d->n_stores == 1 ? "" : "s");
        return finish_output(0);
}

/* ---- command line --------------------------------------------------------------------------- */

static void help(void) {
        printf("Usage: arpctl [OPTIONS...] COMMAND [ARGS...]\n"
               "\n"
               "Inspect and change what arpd knows about neighbours. Without --socket, arpctl\n"
               "talks to every arpd of its network namespace under " RUN_DIR "/*/bus\n"
               "($ARPCTL_RUN_DIR moves that directory): reads ask one daemon per store, changes\n"
               "go to the one serving IFACE; with no daemon running, the store is used directly.\n"
               "\n"
               "Commands:\n"
               "  dump [[to] PREFIX] [dev IFACE] [lladdr MAC] [nud STATE]... [IFACE...]\n"
               "                           list the entries (all, or those selected, in the\n"
               "                           words of ip neigh; nud: stale, failed, permanent, all)\n"
               "  show ADDRESS|MAC         the entries for ADDRESS or MAC on every interface\n"
               "  why ADDRESS              what arpd knows about ADDRESS and what it would\n"
               "                           answer the kernel right now\n"
               "  history ADDRESS [dev IFACE]\n"
               "                           the MACs ADDRESS used (the last 8), newest first,\n"
               "                           with when each was first and last seen\n"
               "  add IFACE ADDRESS MAC    add or replace a static entry\n"
               "  delete IFACE ADDRESS     delete an entry\n"
               "  flush [IFACE]            delete learned entries (positive and negative);\n"
               "                           --negative: negative ones only; --all: static too\n"
               "  load FILE|-              load entries in the formats of arpd -f (a bad line stores nothing)\n"
               "  stats [IFACE]            the counters per interface and instance, and their\n"
               "                           total (*total)\n"
               "  limits                   the store's bounds (recorded in it, honoured by every\n"
               "                           writer) and each interface's entries and evictions\n"
               "  set-limits               change the bounds: --max-entries=N (total),\n"
               "                           --max-per-interface=N; a lowered per-interface bound\n"
               "                           evicts down to it now, each interface its own entries;\n"
               "                           a lowered total cuts the largest interfaces first\n"
               "  monitor                  print every change and station event (new station,\n"
               "                           changed, flip-flop, ...) of every instance until\n"
               "                           interrupted\n"
               "  list-daemons             the arpd instances and their control sockets\n"
               "  metrics                  counters and entry counts for Prometheus (text format);\n"
               "                           --output=PATH writes the file atomically\n"
               "\n"
               "Options:\n"
               "  -4, -6                   only IPv4 / only IPv6 entries (dump, show, why)\n"
               "      --json=MODE          pretty, short or off (default: off)\n"
               "      --no-legend          no header and totals lines\n"
               "      --vendor             dump, show, history: the vendor of each MAC, from\n"
               "                           the IEEE registries of the package ieee-data, if\n"
               "                           installed\n"
               "      --no-pager           do not page the output ($SYSTEMD_PAGER, $PAGER, less)\n"
               "      --negative, --all    what flush deletes (see above)\n"
               "      --output=PATH        where metrics writes (a temporary file, then rename)\n"
               "      --max-entries=N, --max-per-interface=N\n"
               "                           set-limits: the new bounds, %llu..%llu\n"
               "      --socket=PATH        talk to the daemon at this control socket only\n"
               "      --database=PATH      use this store file directly: dump, show, why,\n"
               "                           history and limits read it (read-only, also while arpd\n"
               "                           runs); add, delete, flush, load and set-limits change\n"
               "                           it under its write lock (for a stopped arpd; needs\n"
               "                           write access to the file). Without a running\n"
               "                           daemon, arpctl uses " ARPD_DEFAULT_DB "\n"
               "  -h, --help               show this help and exit\n"
               "      --version            show the version and exit\n"
               "\n"
               "Exit status: 0 success, 1 failure, 2 bad usage (also a malformed address or MAC),\n"
               "4 nothing matched (show, history, delete, a selective dump). See arpctl(8).\n", STORE_LIMIT_MIN, STORE_LIMIT_MAX);
}

enum {
        ARG_JSON = 0x100,
        ARG_NO_LEGEND,
        ARG_NO_PAGER,
        ARG_SOCKET,
        ARG_DATABASE,
        ARG_NEGATIVE,
        ARG_ALL,
        ARG_VERSION,
        ARG_OUTPUT,
        ARG_VENDOR,
        ARG_MAX_ENTRIES,
        ARG_MAX_PER_INTERFACE,
};

/* --max-entries / --max-per-interface: STORE_LIMIT_MIN..STORE_LIMIT_MAX. */
static int limit_option(const char *name, const char *value, uint64_t *ret) {
        unsigned long long v;
        char *end = NULL;

        errno = 0;
        v = strtoull(value, &end, 10);
        if (errno != 0 || !end || *end != '\0' || value[0] < '0' || value[0] > '9' || v < STORE_LIMIT_MIN ||
            v > STORE_LIMIT_MAX) {
                fprintf(stderr, "arpctl: invalid value '%s' for %s: expected an integer from %llu to %llu\n", value,
                        name, STORE_LIMIT_MIN, STORE_LIMIT_MAX);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* An option whose value is a path: an empty one is a usage error. */
static int path_option(const char *name, const char *value, const char **ret) {
        if (value[0] == '\0') {
                fprintf(stderr, "arpctl: %s needs a path\n", name);
                return -EINVAL;
        }
        *ret = value;
        return 0;
}

static int parse_argv(int argc, char **argv) {
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h' },
                { "version",   no_argument,       NULL, ARG_VERSION },
                { "json",      required_argument, NULL, ARG_JSON },
                { "no-legend", no_argument,       NULL, ARG_NO_LEGEND },
                { "no-pager",  no_argument,       NULL, ARG_NO_PAGER },
                { "socket",    required_argument, NULL, ARG_SOCKET },
                { "database",  required_argument, NULL, ARG_DATABASE },
                { "negative",  no_argument,       NULL, ARG_NEGATIVE },
                { "all",       no_argument,       NULL, ARG_ALL },
                { "output",    required_argument, NULL, ARG_OUTPUT },
                { "vendor",    no_argument,       NULL, ARG_VENDOR },
                { "max-entries", required_argument, NULL, ARG_MAX_ENTRIES },
                { "max-per-interface", required_argument, NULL, ARG_MAX_PER_INTERFACE },
                {}
        };
        int c, r;

        /* Our own messages: ':' first makes getopt tell a missing value (':') from an unknown
         * option ('?'). */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h46", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("arpctl " ARPD_VERSION "\n");
                        return 0;
                case '4':
                        arg.family = AF_INET;
                        break;
                case '6':
                        arg.family = AF_INET6;
                        break;
                case ARG_JSON:
                        if (strcmp(optarg, "pretty") == 0)
                                arg.json = JSON_PRETTY;
                        else if (strcmp(optarg, "short") == 0)
                                arg.json = JSON_SHORT;
                        else if (strcmp(optarg, "off") == 0)
                                arg.json = JSON_OFF;
                        else {
                                fprintf(stderr, "arpctl: invalid --json mode '%s': expected pretty, short or off\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_NO_LEGEND:
                        arg.legend = false;
                        break;
                case ARG_NO_PAGER:
                        arg.pager = false;
                        break;
                case ARG_SOCKET:
                        r = path_option("--socket", optarg, &arg.socket);
                        if (r < 0)
                                return r;
                        break;
                case ARG_DATABASE:
                        r = path_option("--database", optarg, &arg.database);
                        if (r < 0)
                                return r;
                        break;
                case ARG_NEGATIVE:
                        arg.flush_states = "negative";
                        break;
                case ARG_ALL:
                        arg.flush_states = "any";
                        break;
                case ARG_VENDOR:
                        arg.vendor = true;
                        break;
                case ARG_OUTPUT:
                        r = path_option("--output", optarg, &arg.output);
                        if (r < 0)
                                return r;
                        break;
                case ARG_MAX_ENTRIES:
                        r = limit_option("--max-entries", optarg, &arg.max_entries);
                        if (r < 0)
                                return r;
                        break;
                case ARG_MAX_PER_INTERFACE:
                        r = limit_option("--max-per-interface", optarg, &arg.max_per_iface);
                        if (r < 0)
                                return r;
                        break;
                case ':':
                        fprintf(stderr, "arpctl: option '%s' needs a value (%s=...). Try 'arpctl --help'.\n",
                                argv[optind - 1], argv[optind - 1]);
                        return -EINVAL;
                default:
                        if (optopt > 0 && optopt < 0x100)
                                fprintf(stderr, "arpctl: unknown option '-%c'. Try 'arpctl --help'.\n", optopt);
                        else
                                fprintf(stderr, "arpctl: unknown option '%s'. Try 'arpctl --help'.\n", argv[optind - 1]);
                        return -EINVAL;
                }
        return 1;
}

static const struct verb {
        const char *name;
        int min_args;
        int max_args;
        int (*run)(int argc, char **argv);
        const char *usage;
        bool paged; /* output for reading, in a pager on a terminal */
} verbs[] = {
        { "dump",         0, 1024, verb_dump,         "dump [[to] PREFIX] [dev IFACE] [lladdr MAC] [nud STATE]... [IFACE...]", true },
        { "show",         1, 1,    verb_show,         "show ADDRESS|MAC", true },
        { "why",          1, 1,    verb_why,          "why ADDRESS", true },
        { "history",      1, 3,    verb_history,      "history ADDRESS [dev IFACE]", true },
        { "add",          3, 3,    verb_add,          "add IFACE ADDRESS MAC" },
        { "delete",       2, 2,    verb_delete,       "delete IFACE ADDRESS" },
        { "flush",        0, 1,    verb_flush,        "flush [IFACE] [--negative|--all]" },
        { "load",         1, 1,    verb_load,         "load FILE|-" },
        { "stats",        0, 1,    verb_stats,        "stats [IFACE]", true },
        { "limits",       0, 0,    verb_limits,       "limits", true },
        { "set-limits",   0, 0,    verb_set_limits,   "set-limits [--max-entries=N] [--max-per-interface=N]" },
        { "monitor",      0, 0,    verb_monitor,      "monitor" },
        { "list-daemons", 0, 0,    verb_list_daemons, "list-daemons", true },
        { "metrics",      0, 0,    verb_metrics,      "metrics [--output=PATH]" },
};

int main(int argc, char **argv) {
        const struct verb *v = NULL;
        int r;

        log_set_prefix("arpctl");
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        if (optind >= argc) {
                fprintf(stderr, "arpctl: missing command. Try 'arpctl --help'.\n");
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verbs[i].name, argv[optind]) == 0)
                        v = &verbs[i];
        if (!v) {
                fprintf(stderr, "arpctl: unknown command '%s'. Try 'arpctl --help'.\n", argv[optind]);
                return EXIT_USAGE;
        }
        int n = argc - optind - 1;
        if (n < v->min_args || n > v->max_args) {
                fprintf(stderr, "arpctl: usage: arpctl %s\n", v->usage);
                return EXIT_USAGE;
        }
        if (arg.flush_states && v->run != verb_flush) {
                fprintf(stderr, "arpctl: --negative and --all only apply to flush\n");
                return EXIT_USAGE;
        }
        if (arg.vendor && v->run != verb_dump && v->run != verb_show && v->run != verb_history) {
                fprintf(stderr, "arpctl: --vendor only applies to dump, show and history\n");
                return EXIT_USAGE;
        }
        if ((arg.max_entries || arg.max_per_iface) && v->run != verb_set_limits) {
                fprintf(stderr, "arpctl: --max-entries and --max-per-interface only apply to set-limits\n");
                return EXIT_USAGE;
        }
        if (arg.output && v->run != verb_metrics) {
                fprintf(stderr, "arpctl: --output only applies to metrics\n");
                return EXIT_USAGE;
        }
        arg.color = colors_enabled(); /* before the pager: that is a pipe */
        if (v->paged)
                pager_open(arg.pager);
        r = v->run(n, argv + optind + 1);
        pager_close();
        return r < 0 ? EXIT_FAILURE : r;
}
