/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * arpd's command line. Classic letters kept (-b -a -k -n -R -B -p -l -f), long options for all.
 * Parsing is pure (no I/O but the messages written to the given streams) so tests drive it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "time-util.h"

#define ARPD_DEFAULT_DB "/var/lib/arpd/arpd.lmdb"
/* --max-age: a binding without evidence for 20 minutes is no longer answered. */
#define ARPD_DEFAULT_MAX_AGE (20 * 60 * USEC_PER_SEC)
/* --new-activity: arpwatch's six months (station.h) */
#define ARPD_DEFAULT_NEW_ACTIVITY (180ULL * 24 * 3600 * USEC_PER_SEC)
/* --control-idle-timeout: a control connection without a call this long is closed */
#define ARPD_DEFAULT_CONTROL_IDLE_TIMEOUT (60 * USEC_PER_SEC)

enum arpd_mode {
        ARPD_MODE_DAEMON,
        ARPD_MODE_LIST, /* -l */
        ARPD_MODE_LOAD, /* -f */
};

struct arpd_options {
        enum arpd_mode mode;
        char *db_path;           /* -b; default $STATE_DIRECTORY/arpd.lmdb or ARPD_DEFAULT_DB */
        char *load_file;         /* -f FILE, "-" = stdin */
        unsigned active_probes;  /* -a N (0..100), default 0 */
        bool kernel_broadcast_off; /* -k */
        usec_t negative_timeout; /* -n SEC, default 60 s */
        usec_t max_age;          /* --max-age SEC: answer a binding without evidence this long no
                                  * more; 0 = never; default 20 min */
        usec_t new_activity;     /* --new-activity SEC: station events (station.h); 0 = never */
        double rate;             /* -R probes/s per interface, default 1 */
        unsigned burst;          /* -B, default 3 */
        usec_t sync_interval;    /* -p SEC, default 30 s; fsync interval; 0 = after every commit,
                                  * otherwise at least 0.1 s */
        /* --max-entries and --max-per-interface: the store's bounds (store.h, Bounds); 0 = not
         * given (keep the store's, or the defaults for a new store). Given, they are recorded in
         * the store at start (daemon, -f), replacing its bounds. */
        size_t max_entries;
        size_t max_per_iface;
        bool learn_bogons;       /* --learn-bogons */
        int family;              /* -4: AF_INET, -6: AF_INET6; default AF_UNSPEC = both */
        char *control_socket;    /* --control-socket; NULL = the default (see below), "" = none */
        usec_t control_idle_timeout; /* --control-idle-timeout SEC: close a control connection
                                      * that makes no call this long (subscribers exempt); 0 =
                                      * never, else at least 1 s; default 60 s */
        int log_level;           /* -v: LOG_DEBUG, default LOG_INFO */
        char **ifaces;           /* remaining arguments; NULL-terminated; empty = all */
        size_t n_ifaces;
};

/* Parses argv into o (which it initialises with defaults first). Returns 0 to run, 1 when --help
 * or --version was printed to out (exit 0), or -EINVAL after printing a message naming the bad
 * option to err (exit 2); -ENOMEM is possible too. env_state_dir is $STATE_DIRECTORY (may be
 * NULL; of several ':'-separated directories the first is used). On any non-zero return o owns
 * nothing any more (arpd_options_done() is still safe). GNU getopt may permute argv; the parser
 * may be called repeatedly. Interface names: 1..IFNAMSIZ-1 characters, no '/', ':' or
 * whitespace, not "." or "..", each at most once. */
int arpd_options_parse(int argc, char **argv, const char *env_state_dir, struct arpd_options *o,
                       FILE *out, FILE *err);
/* Frees what o owns; idempotent, accepts NULL. */
void arpd_options_done(struct arpd_options *o);

/* The control socket when --control-socket was not given: $RUNTIME_DIRECTORY/bus (the first of
 * several ':'-separated directories) when env_runtime_dir is set, else /run/arpd/IFACE/bus for
 * exactly one interface, else /run/arpd/all/bus. Returns 0 or -ENOMEM. */
int arpd_options_default_control_socket(const struct arpd_options *o, const char *env_runtime_dir, char **ret);
