/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * arpd: answers the kernel's neighbour misses from a persistent store. main() only parses the
 * command line and hands over to one of three jobs: list the store (-l), load entries (-f), or
 * run the daemon.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arpd-control.h"
#include "arpd-manager.h"
#include "arpd-options.h"
#include "entry-ops.h"
#include "loadfile.h"
#include "log.h"
#include "progress.h"
#include "sched-util.h"
#include "store.h"

/* The listing is assembled in this much memory and written with one write(2) each time it fills:
 * no stdio per line (as large as stdout's buffer was: the lister's RssAnon stays ~0.55 MiB). */
#define LIST_BUFFER (256U * 1024U)

struct list_ctx {
        usec_t now;
        size_t n;
        char *buf;
        size_t len;
        int error; /* the first write error */
};

static int list_flush(struct list_ctx *c) {
        for (size_t off = 0; off < c->len && c->error == 0;) {
                ssize_t k = write(STDOUT_FILENO, c->buf + off, c->len - off);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        c->error = -errno;
                else
                        off += (size_t) k;
        }
        c->len = 0;
        return c->error;
}

static int list_one(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct list_ctx *c = userdata;

        if (c->len + LOADFILE_FORMAT_MAX > LIST_BUFFER && list_flush(c) < 0)
                return c->error; /* stops the listing */
        c->len += loadfile_format_line_buf(c->buf + c->len, k, r, c->now);
        c->n++;
        return 0;
}

static int run_list(const struct arpd_options *o) {
        struct store_options so = { .read_only = true };
        struct list_ctx c = { .now = now_usec(CLOCK_REALTIME) };
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *buf = NULL;
        int r;

        r = store_open(o->db_path, &so, &s);
        if (r < 0)
                return r;
        c.buf = buf = malloc(LIST_BUFFER);
        if (!buf)
                return log_oom();
        if (o->n_ifaces == 0)
                r = store_foreach(s, NULL, 0, list_one, &c);
        else
                for (size_t i = 0; i < o->n_ifaces && r >= 0; i++)
                        r = store_foreach(s, o->ifaces[i], 0, list_one, &c);
        if (r >= 0 || c.error == 0)
                (void) list_flush(&c);
        if (c.error < 0)
                return log_error_errno(c.error, "Writing the listing failed: %m");
        if (r < 0)
                log_error_errno(r, "Listing %s failed: %m", o->db_path);
        return r < 0 ? r : 0;
}

struct load_ctx {
        const struct arpd_options *o;
        struct store_options so;
        struct progress progress;
        char what_checking[300], what_loading[300];
        Store *store;
        bool created; /* the store did not exist before */
};

static int load_open_store(Store **ret, void *userdata) {
        struct load_ctx *c = userdata;
        const struct arpd_options *o = c->o;
        int r;

        c->created = access(o->db_path, F_OK) < 0 && errno == ENOENT;
        r = store_open(o->db_path, &c->so, &c->store); /* logs why it fails */
        *ret = c->store;
        if (r < 0)
                return r;
        /* --max-entries / --max-per-interface given: the store's bounds from now on, this load's
         * too (as for the daemon) */
        if (o->max_entries > 0 || o->max_per_iface > 0) {
                struct store_limits b, a;
                uint64_t evicted = 0;

                r = entry_set_limits(c->store, &(struct store_limits) { o->max_entries, o->max_per_iface }, &b, &a,
                                     &evicted);
                if (r < 0)
                        return log_error_errno(r, "Cannot record the bounds in %s: %m", o->db_path);
                if (b.max_entries != a.max_entries || b.max_per_iface != a.max_per_iface)
                        log_info("Store %s: bounds changed by the command line from %llu entries (%llu per interface) "
                                 "to %llu (%llu per interface); %llu evicted.", o->db_path,
                                 (unsigned long long) b.max_entries, (unsigned long long) b.max_per_iface,
                                 (unsigned long long) a.max_entries, (unsigned long long) a.max_per_iface,
                                 (unsigned long long) evicted);
        }
        return 0;
}

static void load_progress(const EntryLoad *l, const LoadReader *rd, void *userdata) {
        struct load_ctx *c = userdata;

        c->progress.what = entry_load_checking(l) ? c->what_checking : c->what_loading;
        progress_update(&c->progress, load_reader_line(rd), load_reader_entries(rd), 0, 0);
}

/* Streaming (entry-ops.h): a file is checked whole before the store is even opened and then
 * written in chunks, a pipe in one transaction; either way no bad line stores anything and memory
 * stays bounded. */
static int run_load(const struct arpd_options *o) {
        const char *name = strcmp(o->load_file, "-") == 0 ? "<stdin>" : o->load_file;
        struct load_ctx c = { .o = o, .so = { .max_entries = o->max_entries, .max_per_iface = o->max_per_iface,
                                              .negative_timeout = o->negative_timeout, .recover_damaged = true } };
        const struct entry_load_io io = { .open_store = load_open_store, .progress = load_progress, .userdata = &c };
        _cleanup_(load_reader_freep) LoadReader *rd = NULL;
        _cleanup_close_ int fd_owned = -EBADF;
        char err[512] = "";
        int fd = STDIN_FILENO;
        int r;

        if (strcmp(o->load_file, "-") != 0) {
                fd = fd_owned = open(o->load_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return log_error_errno(errno, "Cannot open %s: %m", o->load_file);
        }
        r = load_reader_new_fd(name, fd, &rd);
        if (r < 0)
                return log_oom();
        snprintf(c.what_checking, sizeof(c.what_checking), "Checking %s", name);
        snprintf(c.what_loading, sizeof(c.what_loading), "Loading %s", name);
        progress_begin(&c.progress, c.what_loading);
        uint64_t committed = 0;
        int64_t n = entry_load_stream(rd, now_usec(CLOCK_REALTIME), &io, &committed, err, sizeof(err));
        progress_end(&c.progress);
        if (n < 0) {
                bool partial = committed > 0; /* err says how many */

                if (err[0])
                        log_error("%s", err);
                if (!partial && (err[0] || c.store))
                        log_error("Nothing from %s was stored.", name);
                if (c.created && !partial) {
                        /* A store this load created is removed again: a refused load leaves no
                         * new file behind. */
                        _cleanup_free_ char *lock = NULL;

                        c.store = store_free(c.store);
                        (void) unlink(o->db_path);
                        if (asprintf(&lock, "%s-lock", o->db_path) >= 0)
                                (void) unlink(lock);
                }
                store_free(c.store);
                return (int) n;
        }
        int q = store_sync(c.store);
        if (q < 0)
                log_warning_errno(q, "Syncing %s failed: %m", o->db_path);
        store_free(c.store);
        log_info("Loaded %lld entr%s from %s into %s.", (long long) n, n == 1 ? "y" : "ies", name, o->db_path);
        return 0;
}

/* The manager, then the control endpoint on it (freed first: it observes the manager), then
 * READY. */
static int run_daemon(const struct arpd_options *o) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(control_freep) Control *control = NULL;
        int r;

        r = manager_new(o, &m);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the daemon: %m");
        r = manager_start(m);
        if (r < 0)
                return r;
        r = control_start(m, &control);
        if (r < 0)
                return r;
        r = manager_ready(m);
        if (r < 0)
                return r;
        /* A miss waits for this thread to run: ask to preempt what runs on the CPU when it wakes. */
        r = sched_request_slice(SCHED_SHORT_SLICE_NSEC);
        if (r < 0)
                log_debug_errno(r, "No short scheduler slice (kernel without EEVDF custom slices?): %m");
        return manager_run(m);
}

int main(int argc, char **argv) {
        struct arpd_options o;
        int r;

        r = arpd_options_parse(argc, argv, getenv("STATE_DIRECTORY"), &o, stdout, stderr);
        if (r != 0) {
                arpd_options_done(&o);
                return r > 0 ? 0 : 2;
        }
        log_set_max_level(o.log_level);
        if (!log_to_journal())
                log_set_prefix("arpd");

        switch (o.mode) {
        case ARPD_MODE_LIST:
                r = run_list(&o);
                break;
        case ARPD_MODE_LOAD:
                r = run_load(&o);
                break;
        default:
                r = run_daemon(&o);
                break;
        }
        arpd_options_done(&o);
        return r < 0 ? 1 : 0;
}
