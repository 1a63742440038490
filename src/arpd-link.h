/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One interface arpd serves: its packet sockets (ARP, and IPv6 neighbour discovery), its addresses (the subnets it learns in and the
 * source of its probes), its token bucket for probes, its counters and its view of the kernel's
 * neighbour sysctls. Owned by the manager.
 */

#include <net/if.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "addr-util.h"
#include "netlink.h"
#include "log.h"
#include "macro.h"
#include "packet-socket.h"
#include "resolver.h"
#include "station.h"
#include "stats.h"
#include "token-bucket.h"

typedef struct Manager Manager;

#define LINK_MAX_PREFIXES 64
/* The packet sockets' receive rings, in blocks of 64 KiB (some 450 ARP frames each; small blocks
 * are quick for the kernel to allocate, which matters for the time to READY): 4 MiB for ARP
 * (about 29,000 frames, over 60 ms of a 400 kpps storm), 1 MiB for neighbour discovery. A partly
 * filled block is handed over after 10 ms. Each wakeup handles at most LINK_RING_FRAMES_PER_WAKEUP
 * frames (stopping inside a block if need be), so a flood on one interface cannot hold the loop
 * for long: the misses (netlink, a higher priority) and the other interfaces get their turn
 * between two such slices. (A wakeup used to drain up to 16 blocks, ~7,000 frames: tens of ms
 * during which no miss was answered -- bench/README.md, W5; 128 frames took 0.15-0.2 ms of
 * parsing and staging, 32 take ~0.05 ms, bench/README.md "W5: where a miss's time goes".) */
#define LINK_RING_BLOCK_SIZE (64 * 1024)
#define LINK_RING_ARP_BLOCKS 64
#define LINK_RING_NDP_BLOCKS 16
#define LINK_RING_RETIRE_MS 10
#define LINK_RING_FRAMES_PER_WAKEUP 32
/* Verification probes remembered per link (the oldest is forgotten when full), and misses whose
 * probe waits for the packet sockets (more are counted in probes_unsent). */
#define LINK_MAX_VERIFY 256
#define LINK_MAX_DEFERRED 256

/* One address we are waiting on. */
struct link_pending {
        int family;
        union in_addr_union addr;
        usec_t since; /* CLOCK_REALTIME */
};

typedef struct Link {
        Manager *manager;
        int ifindex;
        char ifname[IFNAMSIZ];
        unsigned flags;        /* IFF_* */
        uint16_t type;         /* ARPHRD_* */
        struct lladdr hwaddr;

        struct in_prefix prefixes[LINK_MAX_PREFIXES];
        bool prefix_seen[LINK_MAX_PREFIXES]; /* mark-and-sweep around an address re-dump */
        size_t n_prefixes;
        bool seen;                            /* mark-and-sweep around a link re-dump */

        struct link_pending verify[LINK_MAX_VERIFY];     /* outstanding verification probes */
        size_t n_verify;
        struct link_pending deferred[LINK_MAX_DEFERRED]; /* probes waiting for the sockets */
        size_t n_deferred;

        int arp_fd;
        struct packet_ring arp_ring;
        sd_event_source *arp_source;
        struct packet_ring ndp_ring;
        int ndp_fd;                   /* NS/NA (ndp-packet.h); -EBADF with -4 */
        sd_event_source *ndp_source;

        struct token_bucket probe_bucket; /* -R / -B */
        struct token_bucket event_bucket; /* rate limit of station events (arpd-neighbor.c) */
        uint64_t events_suppressed;           /* station events folded since the last summary */
        uint64_t station_folded[_STATION_KIND_MAX]; /* ... of each kind (arpd-neighbor.c) */
        sd_event_source *fold_timer;          /* the summary of folded events, once a second */
        bool not_ethernet_noted;          /* "no sniffing here" was logged */
        bool sysctl_checked;              /* link_check_sysctl() ran */

        struct stats stats;
} Link;

/* Allocates a link (not started). */
int link_new(Manager *m, int ifindex, const char *ifname, Link **ret);
/* Stops and frees; accepts NULL; returns NULL. */
Link *link_free(Link *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(Link *, link_free);

/* A link's packet sockets with their rings, opened apart from the Link so that another thread
 * can do it (setting up a ring waits for an RCU grace period in the kernel). */
struct link_sockets {
        int arp_fd, ndp_fd;  /* or a negative errno */
        struct packet_ring arp_ring, ndp_ring;
};
/* Opens the sockets family (AF_INET, AF_INET6 or AF_UNSPEC for both) needs on ifindex. No
 * logging, no event loop: safe in any thread. */
void link_sockets_open(int ifindex, int family, struct link_sockets *ret);
void link_sockets_close(struct link_sockets *s);
/* Takes the sockets over (or closes them if l already sniffs), watches them in the event loop,
 * logs what could not be opened, and schedules the sysctl check (net.ipv4.neigh.IF.*,
 * net.ipv6.neigh.IF.*). Main thread. */
int link_attach(Link *l, struct link_sockets *s);
/* True for links arpd can sniff on (Ethernet); says once why not otherwise. */
bool link_can_sniff(Link *l);
/* Opens and attaches the sockets of the families served (-4 / -6 / both) synchronously.
 * Idempotent. */
int link_start(Link *l);
void link_stop(Link *l);

int link_add_prefix(Link *l, const struct in_prefix *p);    /* 0 added, 1 already there, -E2BIG */
void link_remove_prefix(Link *l, const struct in_prefix *p);
/* An RTM_NEWADDR / RTM_DELADDR for l: a tentative (DAD not done) or DAD-failed address is not
 * ours yet, so it is no subnet and no probe source: removed until the kernel reports it usable.
 * Marks the prefix seen. Returns link_add_prefix()'s value, or 0. */
int link_addr_update(Link *l, const struct nl_addr *a);
/* Mark-and-sweep of the prefixes around an address re-dump: unmark all; drop the unmarked. */
void link_unmark_prefixes(Link *l);
void link_sweep_prefixes(Link *l);
/* What the resolver knows about the link (resolver.h). */
struct link_view link_view(const Link *l);
/* Adds the kernel's drop counts of the link's packet sockets (since the last call) to
 * packet_drops. */
void link_collect_drops(Link *l);

/* Reads the interface's neighbour sysctls (once) and warns about settings that make arpd useless
 * or dangerous. The manager calls it a little after READY, since the systemd unit applies the
 * settings only then. */
void link_check_sysctl(Link *l);

/* Whether a probe for family can be sent on l now, later (its packet sockets are being opened),
 * or not at all. */
enum miss_probe link_probe_when(const Link *l, int family);
/* True unless the kernel is known not to broadcast its own requests on l for family
 * (net.ipv4/ipv6.neigh.IF.mcast_solicit = 0, read now). */
bool link_kernel_broadcasts(const Link *l, int family);

/* Outstanding verification probes: the time one was sent to addr (0 if none), remember, forget. */
usec_t link_verify_get(const Link *l, int family, const union in_addr_union *addr);
void link_verify_set(Link *l, int family, const union in_addr_union *addr, usec_t now_rt);
void link_verify_clear(Link *l, int family, const union in_addr_union *addr);
/* Remembers a miss whose probe waits for the packet sockets; false if the list is full. */
bool link_defer_probe(Link *l, int family, const union in_addr_union *addr, usec_t now_rt);

/* Sends our own ARP request for target: broadcast, or unicast to dst when given. Source IP is the
 * link's address in target's subnet, else its first IPv4 address, else 0.0.0.0. */
int link_send_probe(Link *l, struct in_addr target, const struct lladdr *dst);
/* Sends our own Neighbor Solicitation for target: to its solicited-node group, or unicast to dst
 * when given. Source IP: the link's link-local address, else its address in target's prefix,
 * else its first IPv6 address; -EADDRNOTAVAIL without any. */
int link_send_ndp_probe(Link *l, const struct in6_addr *target, const struct lladdr *dst);

/* Counts id on this link. */
static inline void link_count(Link *l, enum stat_id id) {
        l->stats.v[id]++;
}

/* Logging about one link: "IFNAME: message", with INTERFACE= in the journal (log.h). */
#define log_link_full_errno(l, level, error, ...) log_interface_internal((l)->ifname, level, error, __VA_ARGS__)
#define log_link_debug(l, ...) (void) log_link_full_errno(l, LOG_DEBUG, 0, __VA_ARGS__)
#define log_link_info(l, ...) (void) log_link_full_errno(l, LOG_INFO, 0, __VA_ARGS__)
#define log_link_notice(l, ...) (void) log_link_full_errno(l, LOG_NOTICE, 0, __VA_ARGS__)
#define log_link_warning(l, ...) (void) log_link_full_errno(l, LOG_WARNING, 0, __VA_ARGS__)
#define log_link_error(l, ...) (void) log_link_full_errno(l, LOG_ERR, 0, __VA_ARGS__)
#define log_link_debug_errno(l, r, ...) log_link_full_errno(l, LOG_DEBUG, r, __VA_ARGS__)
#define log_link_warning_errno(l, r, ...) log_link_full_errno(l, LOG_WARNING, r, __VA_ARGS__)
#define log_link_error_errno(l, r, ...) log_link_full_errno(l, LOG_ERR, r, __VA_ARGS__)
