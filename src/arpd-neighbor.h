/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Neighbour handling, the daemon's analogue of networkd's networkd-neighbor.c: every input that
 * is about one neighbour — a sniffed ARP or NDP frame, a kernel neighbour message, a kernel miss —
 * is decoded (arp-packet.h, ndp-packet.h, netlink.h), looked up in the store, decided by the
 * resolver (resolver.h, pure) and carried out here: an answer queued on the rtnetlink batch
 * (arpd-rtnl.h), a probe sent on the link's packet socket, a store change staged (committed by the
 * manager's batch), counters, journal events, and the change published to the manager's
 * observers.
 *
 * A record this version cannot read is never decided on or overwritten (counted in store_errors).
 */

#include <stdbool.h>
#include <stddef.h>

#include "resolver.h"

struct nlmsghdr;
typedef struct Manager Manager;
typedef struct Link Link;

/* One ARP frame received on l (as it came off the ring). */
void neighbor_handle_arp(Manager *m, Link *l, const void *frame, size_t len);
/* One NS/NA frame received on l. */
void neighbor_handle_ndp(Manager *m, Link *l, const void *frame, size_t len);
/* RTM_NEWNEIGH / RTM_DELNEIGH / RTM_GETNEIGH from rtnetlink; origin says whether it was an event
 * or part of a dump we asked for. */
void neighbor_handle_netlink(Manager *m, const struct nlmsghdr *nlh, enum neigh_origin origin);

/* Sends the probes of the misses that came before l's packet sockets were attached (or counts
 * them as unsent if l still cannot probe). Called once the sockets are attached. */
void neighbor_send_deferred_probes(Manager *m, Link *l);

/* Carries out the resolver's result for link l and key k (store write, counters, events); cur is
 * the record the decision was made on (NULL if none), reused for the published change. */
void neighbor_apply(Manager *m, Link *l, const struct neigh_key *k, const struct record *cur,
                    const struct resolver_result *r);

/* Logs (and with publish, publishes) the summary of l's station events that its rate limit
 * folded, if any, and starts counting anew. The fold timer calls it; link_free() too. */
void neighbor_station_summary(Link *l, bool publish);
