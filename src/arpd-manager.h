/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The manager owns the event loop, the store, the rtnetlink sockets and the links. It turns
 * decoded input (ARP frames from the links, kernel neighbour messages, misses) into resolver
 * decisions and carries them out: answers go out at once in one netlink batch per wakeup, store
 * changes are staged and committed together (at the latest COMMIT_DELAY after the first one).
 */

#include <pthread.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "arpd-link.h"
#include "arpd-options.h"
#include "resolver.h"
#include "store.h"

#define MANAGER_COMMIT_DELAY_USEC (50 * USEC_PER_MSEC)
#define MANAGER_NL_RCVBUF (32 * 1024 * 1024)
#define MANAGER_MAX_LINKS 4096
/* The unit applies the neighbour sysctls right after READY (ExecStartPost=): check them after that. */
#define MANAGER_SYSCTL_CHECK_DELAY_USEC (2 * USEC_PER_SEC)

typedef struct Manager {
        sd_event *event;
        const struct arpd_options *opts;
        struct resolver_config rcfg;
        Store *store;
        struct Bus *bus;         /* the control endpoint (arpd-bus.h), NULL if disabled */

        struct mnl_socket *nl_events;
        struct mnl_socket *nl_cmd;
        sd_event_source *nl_events_source;
        sd_event_source *nl_cmd_source;
        uint32_t seq;
        uint32_t dump_seq;       /* seq of the neighbour dump in flight, 0 if none */
        unsigned pending_dumps;  /* dumps to request after lost events (DUMP_* bits) */
        bool resyncing;          /* events were lost: draining stale ones before re-dumping */

        Link **links;
        size_t n_links;

        sd_event_source *commit_timer;
        sd_event_source *sync_timer;
        sd_event_source *status_timer;
        sd_event_source *sysctl_timer;   /* checks new links' sysctls MANAGER_SYSCTL_CHECK_DELAY later */
        /* the links' packet sockets, opened by a thread right after READY (see arpd-manager.c) */
        pthread_t sniff_thread;
        bool sniff_thread_running;
        struct sniff_job *sniff_jobs;
        size_t n_sniff_jobs;
        int sniff_event_fd;
        sd_event_source *sniff_done;
        usec_t first_staged;     /* CLOCK_MONOTONIC of the oldest uncommitted change */

        /* answers to misses, sent as one netlink batch per wakeup */
        uint8_t *tx;
        size_t tx_len;
        unsigned tx_count;

        struct stats global;     /* counters not tied to a managed link */
        bool ready;
        char last_status[256];
} Manager;

int manager_new(const struct arpd_options *opts, Manager **ret);
Manager *manager_free(Manager *m);

/* Opens the store and sockets, dumps links, addresses and neighbours synchronously, commits, and
 * reports READY=1. */
int manager_start(Manager *m);
/* Runs the loop until SIGTERM/SIGINT; flushes, syncs and logs statistics on the way out. */
int manager_run(Manager *m);

Link *manager_get_link(Manager *m, int ifindex);
/* True if the options name this interface (or name none). */
bool manager_wants_link(Manager *m, const char *ifname);

/* Carries out the resolver's result for link l and key k (store write, counters, events); cur is
 * the record the decision was made on (NULL if none), reused for change signals. */
void manager_apply(Manager *m, Link *l, const struct neigh_key *k, const struct record *cur,
                   const struct resolver_result *r);
/* Handles one decoded ARP frame received on l. */
void manager_handle_arp(Manager *m, Link *l, const void *frame, size_t len);
/* Handles one NS/NA frame received on l (ndp-packet.h): learns what it teaches. */
void manager_handle_ndp(Manager *m, Link *l, const void *frame, size_t len);

/* Makes sure staged changes are committed within MANAGER_COMMIT_DELAY_USEC. */
void manager_schedule_commit(Manager *m);
int manager_commit(Manager *m);
/* Checks the sysctls of links not checked yet, MANAGER_SYSCTL_CHECK_DELAY_USEC from now. */
void manager_schedule_sysctl_check(Manager *m);
/* Writes every link's counters to the journal (one entry per interface). */
void manager_log_stats(Manager *m);
