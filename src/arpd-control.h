/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The control endpoint: the D-Bus interface io.arpd.Manager1 (control-protocol.h), served
 * peer-to-peer (no bus daemon) on a listening AF_UNIX socket (mode 0666: anyone may read). A thin
 * adapter, as systemd's timesyncd-bus.c is to its manager: it decodes arguments (entry-ops.h,
 * entry-format.h), calls the manager's operations and queries (arpd-manager.h), encodes replies
 * and errors, and turns the manager's published changes into EntryChanged signals. It never
 * touches the store itself; a read-only call never writes.
 *
 * Each accepted connection gets its own sd_bus in server mode on the manager's event loop, at a
 * lower priority than the netlink and packet sources, so misses are answered first.
 *
 * Bounds, so that no reader can slow the daemon down or lock others out:
 *   - connections: at most CONTROL_MAX_CLIENTS, plus CONTROL_RESERVED_ROOT more for uid 0. Past
 *     that, up to CONTROL_MAX_REFUSED more are accepted only to answer every call with
 *     LimitsExceeded ("try again later") and closed after CONTROL_REFUSED_TIMEOUT_USEC; beyond
 *     those a connection is closed at once.
 *   - idle: a connection that makes no call for the idle timeout (--control-idle-timeout, default
 *     CONTROL_IDLE_TIMEOUT_USEC; 0 = never) is closed (subscribers, which wait for signals, are
 *     exempt). Clients that page through a listing reconnect and resume from their cursor.
 *   - work per call: a listing page holds at most CONTROL_LIST_PAGE_MAX entries in
 *     ListEntriesPacked and CONTROL_LIST_PAGE_MAX_UNPACKED in ListEntries (fewer than a caller may
 *     ask, CONTROL_LIST_LIMIT_MAX: the cursor resumes) and scans at most CONTROL_LIST_SCAN_MAX
 *     records in one bounded read (one or two of the store's STORE_LIST_CHUNK transactions), and
 *     each call is one event-loop dispatch below the netlink and packet sources, so misses are
 *     answered between pages. Measured on a 1,000,000-entry store (release build, bench/README.md
 *     "Listings and the answer path"): a packed page of 256 costs ~42 µs, of 1024 ~120 µs; a
 *     ListEntries page ~0.6 µs per entry more. So one page stays below the 0.1 ms slice the
 *     daemon asks the kernel for (sched-util.h), and a miss waits behind at most one short page.
 *     Read-only calls never commit or sync the store.
 *   - pacing: listing pages for callers other than uid 0 take at most a tenth of the daemon's
 *     time. After any page, and after a listing call that has to wait, the next page for such a
 *     caller is served no sooner than CONTROL_LIST_IDLE_FACTOR times the time that dispatch of
 *     the loop took, from its wakeup (the reading and decoding of the call included; capped at
 *     CONTROL_LIST_COST_MAX_USEC); calls that come earlier wait, without an error, and are served
 *     one per turn, round robin over the connections. So eight clients looping full dumps leave
 *     the answering loop asleep nine tenths of the time (below its fair share of the CPUs, so the
 *     scheduler lets it preempt), and it preempts on the next miss;
 *     root's listings are never delayed.
 *   - unsent output: a listing call is refused (LimitsExceeded) while the previous reply is still
 *     queued, so a connection holds at most one page (at most CONTROL_LIST_PAGE_MAX entries of at
 *     most ~200 bytes each in ListEntries, 96 in ListEntriesPacked) plus at most
 *     CONTROL_CLIENT_QUEUE_MAX messages in all (signals of at most ~200 bytes each): a subscriber
 *     that does not read is disconnected, any other client is refused further calls.
 *   - a load text (Load) is at most CONTROL_LOAD_MAX bytes; a load of a file descriptor (LoadFd:
 *     a regular file or a pipe, any size) runs one at a time, in steps below every other source,
 *     with the bounded memory of entry-ops.h's EntryLoad; a pipe that brings no data for
 *     CONTROL_LOAD_STALL_USEC ends it, and so does its client going away while the file is
 *     being checked (nothing stored) or a pipe read (its one transaction aborted); a file whose
 *     every line passed the check is written to the end even so; a bulk change (flush, load) signals its first
 *     MANAGER_BULK_REPORT_MAX changes one by one, then one EntryChanged of kind "many" (re-read the
 *     listing).
 *
 * Authorization: reads for everyone; changes by the rule of peer-auth.h (uid 0, or CAP_NET_ADMIN
 * in arpd's own user namespace, decided race-free with SO_PEERCRED and a pidfd); otherwise
 * org.freedesktop.DBus.Error.AccessDenied with the reason, and nothing changes.
 *
 * The socket: its directory is created (mode 0755) if missing; existing directories on the way
 * must belong to root or to arpd's user and, where others could write to them, have the sticky
 * bit; the directory that holds the socket must not be writable by others at all. The socket is
 * created with its final mode (no chmod after bind, so no symlink is ever followed).
 */

#include <stddef.h>

#include "arpd-options.h"
#include "control-protocol.h"
#include "macro.h"
#include "time-util.h"

typedef struct Manager Manager;
typedef struct Control Control;

#define CONTROL_MAX_CLIENTS 32
#define CONTROL_RESERVED_ROOT 4
#define CONTROL_MAX_REFUSED 8
#define CONTROL_IDLE_TIMEOUT_USEC ARPD_DEFAULT_CONTROL_IDLE_TIMEOUT
#define CONTROL_REFUSED_TIMEOUT_USEC (2 * USEC_PER_SEC)
#define CONTROL_LIST_SCAN_MAX 512          /* records one page reads at most */
#define CONTROL_LIST_PAGE_MAX 256          /* ListEntriesPacked: entries one page holds at most */
#define CONTROL_LIST_PAGE_MAX_UNPACKED 64  /* ListEntries (5x the cost per entry) */
#define CONTROL_CLIENT_QUEUE_MAX 4096
#define CONTROL_LIST_IDLE_FACTOR 9                     /* Pacing: 1 part listing, 9 parts rest */
#define CONTROL_LIST_COST_MAX_USEC (50 * USEC_PER_MSEC) /* Pacing: one page never waits longer */
#define CONTROL_LOAD_STALL_USEC (30 * USEC_PER_SEC)

/* The endpoint the options ask for (--control-socket, else the default path of
 * arpd_options_default_control_socket()); *ret stays NULL when it is turned off, or when the
 * default path cannot be used or another live arpd serves it (logged: the daemon then runs without
 * an endpoint). Only an explicitly requested path that fails otherwise is an error. */
int control_start(Manager *m, Control **ret);
/* Creates the socket at path (and its missing directories), replacing a stale socket;
 * -EADDRINUSE if another live process serves path, -EPERM if a directory on the way is not safe.
 * Subscribes to the manager's changes. Logs its errors. */
int control_new(Manager *m, const char *path, Control **ret);
/* Closes every connection and the socket (unlinked if it is still ours, with the directories
 * control_new() created, if empty). Accepts NULL; returns NULL. */
Control *control_free(Control *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Control *, control_free);

/* Connections opened later are closed after usec without a call; 0 = never (default
 * CONTROL_IDLE_TIMEOUT_USEC; control_start() sets the option's). Refused connections keep their
 * CONTROL_REFUSED_TIMEOUT_USEC. */
void control_set_idle_timeout(Control *ctl, usec_t usec);
/* For tests: after any page, an unprivileged page waits at least usec (default 0: only the
 * Pacing rule). */
void control_set_list_min_wait(Control *ctl, usec_t usec);
/* Listing pages that waited for their turn (Pacing), since control_new(). */
uint64_t control_list_deferred(const Control *ctl);
/* Open connections, refused ones included. */
size_t control_n_clients(const Control *ctl);
