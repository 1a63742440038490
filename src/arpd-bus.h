/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The control endpoint: the D-Bus interface io.arpd.Manager1 at /io/arpd/Manager1, served
 * peer-to-peer (no bus daemon) on a listening AF_UNIX socket (mode 0666: anyone may read). Each
 * accepted connection gets its own sd_bus in server mode on the manager's event loop, at a lower
 * priority than the netlink and packet sources, so misses are answered first.
 *
 * Bounds: at most BUS_MAX_CLIENTS connections (more are closed at once); a listing page holds at
 * most BUS_LIST_LIMIT_MAX entries and scans at most BUS_LIST_SCAN_MAX records; a load text is at
 * most BUS_LOAD_MAX bytes; a client whose unread output exceeds BUS_CLIENT_QUEUE_MAX messages is
 * refused further calls (LimitsExceeded) and, if subscribed, disconnected.
 *
 * Authorization from the peer's credentials (SO_PEERCRED, capabilities from /proc): reads for
 * everyone, changes for uid 0 or CAP_NET_ADMIN in the effective set; otherwise
 * org.freedesktop.DBus.Error.AccessDenied and nothing changes. The whole API (methods, signal,
 * properties, errors) is documented in man/arpctl.8, section "D-BUS INTERFACE".
 */

#include <stdbool.h>

#include "record.h"

typedef struct Manager Manager;
typedef struct Bus Bus;

#define BUS_INTERFACE "io.arpd.Manager1"
#define BUS_PATH "/io/arpd/Manager1"
#define BUS_ERROR_NO_SUCH_ENTRY "io.arpd.Manager1.NoSuchEntry"
#define BUS_ERROR_NO_SUCH_INTERFACE "io.arpd.Manager1.NoSuchInterface"
#define BUS_MAX_CLIENTS 32
#define BUS_LIST_LIMIT_MAX 4096
#define BUS_LIST_LIMIT_DEFAULT 1024
#define BUS_LIST_SCAN_MAX 65536
#define BUS_LOAD_MAX (16 * 1024 * 1024)
#define BUS_CLIENT_QUEUE_MAX 4096
#define BUS_SIGNALS_PER_CALL_MAX 4096

/* Creates the socket at path (and its directory, mode 0755), replacing a stale socket; -EADDRINUSE
 * if another live process serves path. Logs its errors. */
int bus_new(Manager *m, const char *path, Bus **ret);
/* Closes every connection and the socket (unlinked if it is still ours). Accepts NULL. */
Bus *bus_free(Bus *b);

/* True if some client called Subscribe(): only then is EntryChanged worth computing. */
bool bus_has_subscribers(const Bus *b);
/* A record of k changed from old (NULL: none) to new (NULL: deleted); emits EntryChanged with the
 * kind derived from the two ("new", "changed", "invalidated", "deleted"; nothing if neither state
 * nor lladdr changed). deleted_kind names a removal ("deleted" or "invalidated"). */
void bus_notify(Bus *b, const struct neigh_key *k, const struct record *old, const struct record *new,
                const char *deleted_kind);
