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
 * Bounds: at most CONTROL_MAX_CLIENTS connections (more are closed at once); a listing page holds
 * at most CONTROL_LIST_LIMIT_MAX entries and scans at most CONTROL_LIST_SCAN_MAX records; a load
 * text is at most CONTROL_LOAD_MAX bytes; a client whose unread output exceeds
 * CONTROL_CLIENT_QUEUE_MAX messages is refused further calls (LimitsExceeded) and, if subscribed,
 * disconnected. A bulk change (flush, load) signals its first MANAGER_BULK_REPORT_MAX changes one
 * by one, then one EntryChanged of kind "many" (re-read the listing).
 *
 * Authorization from the peer's credentials (SO_PEERCRED, capabilities from /proc): reads for
 * everyone, changes for uid 0 or CAP_NET_ADMIN in the effective set; otherwise
 * org.freedesktop.DBus.Error.AccessDenied and nothing changes.
 *
 * The socket: its directory is created (mode 0755) if missing; existing directories on the way
 * must belong to root or to arpd's user and, where others could write to them, have the sticky
 * bit; the directory that holds the socket must not be writable by others at all. The socket is
 * created with its final mode (no chmod after bind, so no symlink is ever followed).
 */

#include "control-protocol.h"
#include "macro.h"

typedef struct Manager Manager;
typedef struct Control Control;

#define CONTROL_MAX_CLIENTS 32
#define CONTROL_LIST_SCAN_MAX 65536
#define CONTROL_CLIENT_QUEUE_MAX 4096

/* Creates the socket at path (and its missing directories), replacing a stale socket;
 * -EADDRINUSE if another live process serves path, -EPERM if a directory on the way is not safe.
 * Subscribes to the manager's changes. Logs its errors. */
int control_new(Manager *m, const char *path, Control **ret);
/* Closes every connection and the socket (unlinked if it is still ours, with the directories
 * control_new() created, if empty). Accepts NULL; returns NULL. */
Control *control_free(Control *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Control *, control_free);
