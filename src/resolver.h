/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The resolver core: pure decisions. Given one input (a sniffed binding, a kernel neighbour
 * message, a kernel miss), the record the store holds for that neighbour (or none) and the time,
 * it says what to do: store or delete a record, answer the kernel, send a probe, which counters to
 * bump, which event to log. No sockets, no LMDB, no clock reads: the caller passes the clocks in.
 * Only this header, addr-util, record, stats and time-util may be included here.
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
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr-util.h"
#include "record.h"
#include "stats.h"
#include "time-util.h"

struct resolver_config {
        unsigned active_probes;  /* -a: probes per dead address per -n window; 0 = passive */
        usec_t negative_timeout; /* -n: lifetime of a negative entry */
        bool learn_bogons;       /* learn senders outside the interface's subnets too */
        usec_t touch_interval;   /* rewrite an unchanged binding's last_seen at most this often */
};

/* Token bucket on CLOCK_MONOTONIC: at most burst + rate * T tokens are taken over any window T.
 * Refills only with time (never because a request was suppressed). */
struct token_bucket {
        double rate;   /* tokens per second (> 0) */
        double burst;  /* bucket size (>= 1) */
        double tokens;
        usec_t last;   /* monotonic time of the last refill */
};
void token_bucket_init(struct token_bucket *b, double rate, unsigned burst, usec_t now_mono);
bool token_bucket_take(struct token_bucket *b, usec_t now_mono); /* true: a token was taken */

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

/* True if r is a negative entry still inside its -n window at now_rt. */
bool resolver_negative_valid(const struct resolver_config *c, const struct record *r, usec_t now_rt);

/* A binding seen on the wire. cur is the stored record or NULL. now_rt is CLOCK_REALTIME. */
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
