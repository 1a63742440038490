/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The deployment as arpctl sees it: every arpd whose control socket is under the run directory
 * (RUN_DIR/NAME/bus, NAME an interface or "all"; RUN_DIR is $ARPCTL_RUN_DIR if set, else
 * CONTROL_RUN_DIR), with what each one says about itself (Interfaces, StorePath,
 * NetworkNamespace).
 *
 * A daemon is usable (state DAEMON_RUNNING, bus open) only when it answers and serves arpctl's
 * own network namespace: the NetworkNamespace property (device and inode of its /proc/self/ns/net)
 * equals arpctl's. An arpd without that property (older than the property) is compared through
 * the peer's /proc/PID/ns/net instead (SO_PEERCRED); when that cannot be read either (another PID
 * namespace, or an unprivileged caller and a daemon of another user), it is DAEMON_UNKNOWN_NETNS
 * and treated like one of another namespace: arpctl never talks to it unless named with --socket.
 *
 * Daemons that share one store (same StorePath, or the same file by device and inode) are
 * grouped: reads ask one daemon per store, so nothing is listed twice.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#define DEPLOYMENT_MAX_DAEMONS 64
#define DEPLOYMENT_SOCKET_MAX 108 /* sizeof(sockaddr_un.sun_path) */

typedef enum DaemonState {
        DAEMON_STALE,         /* a socket nobody answers on */
        DAEMON_RUNNING,       /* answers, serves this network namespace */
        DAEMON_OTHER_NETNS,   /* answers, serves another network namespace */
        DAEMON_UNKNOWN_NETNS, /* answers, its namespace cannot be told: treated as another */
} DaemonState;

typedef struct Daemon {
        char socket[DEPLOYMENT_SOCKET_MAX];
        DaemonState state;
        sd_bus *bus;              /* DAEMON_RUNNING only */
        char *store;              /* StorePath; NULL unless running */
        char (*ifaces)[IFNAMSIZ]; /* Interfaces served now */
        size_t n_ifaces;
        size_t store_group;       /* index of the first running daemon with the same store */
} Daemon;

typedef struct Deployment {
        Daemon daemons[DEPLOYMENT_MAX_DAEMONS];
        size_t n;
        size_t n_running;
        size_t n_stores;          /* distinct stores among the running daemons */
} Deployment;

/* $ARPCTL_RUN_DIR, else CONTROL_RUN_DIR. */
const char *deployment_run_dir(void);
/* Connects to the control socket at path (peer-to-peer D-Bus). Negative errno. */
int deployment_connect(const char *path, sd_bus **ret);
/* Finds and classifies every daemon under the run directory (at most DEPLOYMENT_MAX_DAEMONS, in
 * name order). Never fails for lack of daemons: d->n_running may be 0. */
void deployment_scan(Deployment *d);
void deployment_done(Deployment *d);
/* Whether the daemon serves ifname now. */
bool daemon_serves(const Daemon *dm, const char *ifname);
/* The running daemon serving ifname, or NULL. */
Daemon *deployment_serving(Deployment *d, const char *ifname);
/* Whether dm is running and the first running daemon of its store (the one reads go to). */
bool daemon_reads_its_store(const Deployment *d, const Daemon *dm);
const char *daemon_state_to_string(DaemonState s);
