/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The resolver core: pure decisions. Given one input (a sniffed binding, a kernel neighbour
 * message, a kernel miss), the record the store holds for that neighbour (or none) and the time,
 * it says what to do: store or delete a record, answer the kernel, send a probe, which counters to
 * bump, which event to log. No sockets, no LMDB, no clock reads: the caller passes the clocks in.
 * Only this header, addr-util, record, stats, time-util and token-bucket may be included here.
 *
 * Decision table for a kernel miss (RTM_GETNEIGH from the kernel):
 *   INCOMPLETE, positive/static record                    -> answer (NUD_STALE + MAC)
 *   INCOMPLETE, negative record younger than -n and
 *               probes >= -a                              -> suppressed (silent)
 *   INCOMPLETE, otherwise and -a == 0                     -> unknown (silent)
 *   INCOMPLETE, otherwise and -a > 0                      -> probe if the token bucket allows
 *               (negative record created or renewed, probes + 1), else rate-limited
 *   PROBE, NDA_PROBES > 0 (the kernel's own unicast probes failed), positive record
 *                                                         -> invalidate (delete the record)
 *   PROBE, NDA_PROBES == 0 (nothing was tested: ucast_solicit=0), positive/static record
 *                                                         -> answer again, and with -a > 0 send a
 *                                                            verification probe (token bucket)
 *   PROBE, static record                                  -> answer (static is never invalidated)
 *   PROBE, no/negative record                             -> as INCOMPLETE
 *   anything else                                         -> bad, ignored
 * Every miss counts REQ_RECEIVED first, then exactly one of ANSWERED / SUPPRESSED / UNKNOWN /
 * PROBES_SENT / PROBES_RATELIMITED / INVALIDATED / BAD (a PROBE answered without evidence adds
 * VERIFIED and, with -a > 0, PROBES_SENT or PROBES_RATELIMITED). Answering never writes. A
 * rate-limited probe writes nothing, so it does not use up one of the entry's -a probes: with
 * -a N a dead address gets at most N probes per -n window. A positive/static record without a MAC
 * (never valid) is not answered: REQ_BAD.
 *
 * A sniffed binding (resolver_observe), checked in this order, each rejection with one counter
 * and no write:
 *   sender IP 0.0.0.0 / ::                                -> REJ_DAD_PROBE
 *   sender MAC empty, zero, multicast or broadcast        -> REJ_SENDER_MAC
 *   sender IP bogus (addr-util) or the subnet broadcast
 *   of one of the link's IPv4 prefixes                    -> REJ_SENDER_IP
 *   not inside any of the link's prefixes of its family
 *   (a link without such prefixes: outside; IPv6
 *   link-local fe80::/10 is always inside), unless
 *   learn_bogons                                          -> REJ_OUT_OF_SUBNET
 *   family neither AF_INET nor AF_INET6                   -> REJ_MALFORMED
 * then, with the stored record:
 *   none                     -> put positive (first_seen = last_seen = now), ARP_NEW
 *   positive/static, same MAC-> put with last_seen = now only if now - last_seen >= touch_interval
 *                               (or last_seen is in the future); no counter
 *   positive, other MAC      -> put new MAC (first_seen kept), ARP_CHANGED, EVENT_MAC_CHANGED
 *   negative                 -> put positive (first_seen kept, negative fields cleared), ARP_REVIVED
 *   static, other MAC        -> no write, REJ_STATIC_CONFLICT, EVENT_STATIC_CONFLICT
 * A frame that passed the checks and whose Ethernet source (if known) differs from the ARP sender
 * MAC also counts ARP_ETH_MISMATCH, and is still learned (proxies and bridges legitimately do it;
 * the counter makes it visible). An observation with source SOURCE_NDP counts NDP_NEW,
 * NDP_CHANGED, NDP_REVIVED and NDP_ETH_MISMATCH instead of the ARP_* ones (rejections are shared). A new, changed or revived record takes the observation's source;
 * a touch keeps the stored record as it is apart from last_seen.
 *
 * A kernel neighbour message (resolver_kernel_event):
 *   RTM_DELNEIGH                                          -> nothing, no counter
 *   proxy, NUD_NOARP, NUD_NONE, bogus address, bad family -> KERNEL_SKIPPED
 *   FAILED from an event with nlmsg_pid != 0              -> KERNEL_ADMIN_DELETE, nothing written
 *   FAILED otherwise (kernel's own, or found in a dump)   -> KERNEL_FAILED, always; and unless the
 *          record is static or a negative still inside its window: put negative (neg_since = now,
 *          probes = 0, source kernel, lladdr/first_seen/last_seen kept if any, else the
 *          times are now and lladdr is empty)
 *   INCOMPLETE; DELAY/PROBE without lladdr                -> nothing, no counter
 *   REACHABLE/STALE/PERMANENT without lladdr, zero or
 *   multicast lladdr, unknown state                       -> KERNEL_SKIPPED
 *   otherwise learned as above with KERNEL_NEW (also for a negative record), KERNEL_CHANGED,
 *   REJ_STATIC_CONFLICT, source kernel; NTF_EXT_LEARNED / NTF_EXT_MANAGED entries are learned the
 *   same way and also count KERNEL_FOREIGN. Our own answer coming back as STALE with our MAC is
 *   the "same MAC" case: a touch at most, never a change.
 *
 * Negative windows: a negative record is valid while 0 <= now - neg_since < negative_timeout; one
 * whose neg_since lies in the future (wall clock stepped back) counts as expired.
 * A stored record with an unknown state is treated as absent.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr-util.h"
#include "record.h"
#include "stats.h"
#include "time-util.h"
#include "token-bucket.h"

struct resolver_config {
        unsigned active_probes;  /* -a: probes per dead address per -n window; 0 = passive */
        usec_t negative_timeout; /* -n: lifetime of a negative entry */
        bool learn_bogons;       /* learn senders outside the interface's subnets too */
        usec_t touch_interval;   /* rewrite an unchanged binding's last_seen at most this often */
};

/* What the core knows about an interface. */
struct link_view {
        const char *ifname;
        const struct in_prefix *prefixes; /* the interface's own addresses */
        size_t n_prefixes;
};

/* A binding seen on the wire (ARP now, NDP later), already structurally valid. */
struct observation {
        int family;
        union in_addr_union addr;   /* ARP sender IP */
        struct lladdr lladdr;       /* ARP sender hardware address */
        struct lladdr eth_src;      /* Ethernet source of the frame (len 0 if unknown) */
        enum record_source source;  /* SOURCE_ARP / SOURCE_NDP */
};

/* A kernel neighbour message, decoded (see netlink.h). */
enum neigh_origin {
        NEIGH_ORIGIN_EVENT, /* multicast RTNLGRP_NEIGH notification */
        NEIGH_ORIGIN_DUMP,  /* reply to our RTM_GETNEIGH dump */
};
struct neigh_event {
        bool deleted;          /* RTM_DELNEIGH */
        enum neigh_origin origin;
        uint32_t nlmsg_pid;    /* 0: the kernel's own doing; else the requesting process */
        int family;
        union in_addr_union addr;
        uint16_t state;        /* NUD_* */
        uint8_t flags;         /* NTF_* */
        uint32_t ext_flags;    /* NDA_FLAGS_EXT (NTF_EXT_MANAGED...) */
        bool has_lladdr;
        struct lladdr lladdr;
};

/* A kernel miss: RTM_GETNEIGH with NLM_F_REQUEST from the kernel (or an INCOMPLETE entry found
 * in a re-dump after lost events, which is treated the same). */
struct miss {
        int family;
        union in_addr_union addr;
        uint16_t state;       /* NUD_INCOMPLETE or NUD_PROBE expected */
        bool has_probes;
        uint32_t probes;      /* NDA_PROBES: how many probes the kernel already sent */
};

enum resolver_write {
        WRITE_NONE,
        WRITE_PUT,    /* store result.record */
        WRITE_DELETE, /* delete the record */
};

enum resolver_reply {
        REPLY_NONE,
        REPLY_ANSWER, /* RTM_NEWNEIGH NUD_STALE with result.answer_lladdr */
};

/* For both events the caller logs old_lladdr (what the store holds) -> record.lladdr (what was
 * seen). With EVENT_STATIC_CONFLICT, record is the static entry with the conflicting MAC in
 * lladdr, for the log only: write is WRITE_NONE. The seen MAC is also mirrored into
 * answer_lladdr (reply stays REPLY_NONE: nothing is answered). */
enum resolver_event {
        EVENT_NONE,
        EVENT_MAC_CHANGED,     /* old_lladdr -> record.lladdr; log it */
        EVENT_STATIC_CONFLICT, /* wire/kernel disagrees with a static entry (old = static MAC) */
};

#define RESOLVER_MAX_COUNTERS 4

struct resolver_result {
        enum resolver_write write;
        struct record record;       /* for WRITE_PUT */
        enum resolver_reply reply;
        struct lladdr answer_lladdr;
        bool probe;                 /* send our own probe (a token was already taken) */
        enum resolver_event event;
        struct lladdr old_lladdr;   /* for the events */
        enum stat_id counters[RESOLVER_MAX_COUNTERS];
        unsigned n_counters;
};

/* True if r (may be NULL) is a negative entry still inside its -n window at now_rt. */
bool resolver_negative_valid(const struct resolver_config *c, const struct record *r, usec_t now_rt);

/* Each entry point zeroes *ret first, then fills it.
 * A binding seen on the wire. cur is the stored record or NULL. now_rt is CLOCK_REALTIME. */
void resolver_observe(const struct resolver_config *c, const struct link_view *link,
                      const struct observation *o, const struct record *cur, usec_t now_rt,
                      struct resolver_result *ret);

/* A kernel neighbour message (not a miss). */
void resolver_kernel_event(const struct resolver_config *c, const struct neigh_event *ev,
                           const struct record *cur, usec_t now_rt, struct resolver_result *ret);

/* A kernel miss. bucket is the interface's token bucket (may be taken from). */
void resolver_miss(const struct resolver_config *c, const struct miss *m, const struct record *cur,
                   usec_t now_rt, usec_t now_mono, struct token_bucket *bucket,
                   struct resolver_result *ret);
