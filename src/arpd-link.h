/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One interface arpd serves: its packet socket, its addresses (the subnets it learns in and the
 * source of its probes), its token bucket for probes, its counters and its view of the kernel's
 * neighbour sysctls. Owned by the manager.
 */

#include <net/if.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "addr-util.h"
#include "resolver.h"
#include "stats.h"

typedef struct Manager Manager;

#define LINK_MAX_PREFIXES 64

typedef struct Link {
        Manager *manager;
        int ifindex;
        char ifname[IFNAMSIZ];
        unsigned flags;        /* IFF_* */
        uint16_t type;         /* ARPHRD_* */
        struct lladdr hwaddr;

        struct in_prefix prefixes[LINK_MAX_PREFIXES];
        size_t n_prefixes;

        int arp_fd;
        sd_event_source *arp_source;

        struct token_bucket probe_bucket; /* -R / -B */
        struct token_bucket event_bucket; /* rate limit for MAC-change log events */
        uint64_t events_suppressed;

        struct stats stats;
} Link;

/* Allocates a link (not started). */
int link_new(Manager *m, int ifindex, const char *ifname, Link **ret);
/* Stops and frees; accepts NULL; returns NULL. */
Link *link_free(Link *l);

/* Opens the packet socket and watches it; reads the neighbour sysctls and warns about settings
 * that make arpd useless or dangerous. Idempotent. */
int link_start(Link *l);
void link_stop(Link *l);

int link_add_prefix(Link *l, const struct in_prefix *p);    /* 0 added, 1 already there, -E2BIG */
void link_remove_prefix(Link *l, const struct in_prefix *p);
struct link_view link_view(const Link *l);

/* Sends our own ARP request for target: broadcast, or unicast to dst when given. Source IP is the
 * link's address in target's subnet, else its first IPv4 address, else 0.0.0.0. */
int link_send_probe(Link *l, struct in_addr target, const struct lladdr *dst);

/* Counts id on this link. */
static inline void link_count(Link *l, enum stat_id id) {
        l->stats.v[id]++;
}
