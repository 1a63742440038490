/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The resolver core: pure decisions. Given one input (a sniffed binding, a kernel neighbour
 * message, a kernel miss), the record the store holds for that neighbour (or none) and the time,
 * it says what to do: store or delete a record, answer the kernel, send a probe, which counters to
 * bump, which event to log. No sockets, no LMDB, no clock reads: the caller passes the clocks in.
 * Only this header, addr-util, record, stats, time-util and token-bucket may be included here.
 *
 * Decision table for a kernel miss (RTM_GETNEIGH from the kernel). A positive record is "expired"
 * when max_age > 0 and its last evidence (last_seen) is max_age or more in the past; static
 * records never expire:
 *   INCOMPLETE, static or unexpired positive record       -> answer (NUD_STALE + MAC)
 *   INCOMPLETE, expired positive record, -a == 0          -> REQ_EXPIRED (silent, nothing written)
 *   INCOMPLETE, negative record younger than -n and
 *               probes >= -a                              -> suppressed (silent)
 *   INCOMPLETE, otherwise and -a == 0                     -> unknown (silent)
 *   INCOMPLETE, otherwise (also expired) and -a > 0       -> probe (negative record created or
 *               renewed, probes + 1; an expired binding's MAC is kept), if the link can send one
 *               now and the token bucket allows; else, writing nothing: PROBES_DEFERRED and
 *               probe_deferred (m->probe_when MISS_PROBE_LATER: the caller probes once it can,
 *               resolver_deferred_probe()), PROBES_UNSENT (MISS_PROBE_NEVER) or rate-limited
 *   PROBE, NDA_PROBES > 0 (the kernel's own unicast probes failed), positive record:
 *          the MAC that failed (the miss's NDA_LLADDR; the stored one if absent) is the stored one
 *                                                         -> invalidate (delete the record)
 *          another MAC failed, the stored one unexpired   -> answer it with override (the
 *                                                            kernel's MAC is the one proven dead)
 *   PROBE, NDA_PROBES == 0 (nothing was tested: ucast_solicit=0), positive record with a
 *          verification probe sent at verify_sent, no evidence since (last_seen < verify_sent)
 *          and verify_timeout or more ago                 -> invalidate (delete the record),
 *                                                            verify_done
 *   PROBE, NDA_PROBES == 0, static or unexpired positive record
 *                                                         -> answer again (REQ_VERIFIED too), and
 *                                                            with -a > 0 send a verification
 *                                                            probe through the token bucket
 *                                                            (verify_started for a positive
 *                                                            record), unless one is outstanding
 *                                                            (sent, no evidence since)
 *   PROBE, NDA_PROBES > 0, static record                  -> answer (static is never invalidated),
 *                                                            with override if the MAC that failed
 *                                                            is another one
 *   PROBE, expired positive, no/negative record           -> as INCOMPLETE
 *   anything else                                         -> bad, ignored
 * verify_done tells the caller to forget verify_sent: set when the verification was answered
 * (evidence since) or the record is deleted.
 * Every miss counts REQ_RECEIVED first, then exactly one of ANSWERED / SUPPRESSED / UNKNOWN /
 * EXPIRED / PROBES_SENT / PROBES_RATELIMITED / PROBES_UNSENT / PROBES_DEFERRED / INVALIDATED /
 * BAD (a PROBE answered without evidence adds VERIFIED and, with -a > 0, PROBES_SENT,
 * PROBES_RATELIMITED or PROBES_UNSENT; a verification is never deferred). Answering never
 * writes. A probe not sent (rate-limited, deferred, or the link cannot send) writes nothing and
 * takes no token, so it does not use up one of the entry's -a probes: with -a N a dead address
 * gets at most N probes per -n window. A positive/static record without a MAC (never valid) is
 * not answered: REQ_BAD. An answer has override = false except where said above (see
 * nl_build_neigh_answer()). A probe that the caller then fails to send is turned into an unsent
 * one by resolver_probe_not_sent() (PROBES_SENT -> PROBES_UNSENT, the probe's negative record
 * dropped).
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
 *   positive, other MAC, from an IPv6 Neighbor Advertisement without the Override flag
 *   (o->no_override; RFC 4861 7.2.5: proxies, anycast)
 *                            -> no write, NDP_NO_OVERRIDE
 * A frame that passed the checks and whose Ethernet source (if known) differs from the ARP sender
 * MAC also counts ARP_ETH_MISMATCH, and is still learned (proxies and bridges legitimately do it;
 * the counter makes it visible). An observation with source SOURCE_NDP counts NDP_NEW,
 * NDP_CHANGED, NDP_REVIVED and NDP_ETH_MISMATCH instead of the ARP_* ones (rejections are
 * shared). A new, changed or revived record takes the observation's source;
 * a touch keeps the stored record as it is apart from last_seen.
 *
 * A kernel neighbour message (resolver_kernel_event):
 *   RTM_DELNEIGH                                          -> nothing, no counter
 *   an event caused by our own answer (ev->from_self: nlmsg_pid is our command socket's port id)
 *                                                         -> nothing, no counter: our own word is
 *                                                            no evidence, it never refreshes
 *                                                            last_seen
 *   proxy, NUD_NOARP, NUD_NONE, bogus address, bad family -> KERNEL_SKIPPED
 *   FAILED from an event with nlmsg_pid != 0              -> KERNEL_ADMIN_DELETE, nothing written
 *   FAILED otherwise (kernel's own, or found in a dump), positive record, and the kernel does not
 *          broadcast its own requests (!ev->kernel_broadcasts: mcast_solicit=0): nobody but arpd
 *          could have answered, so the failure only says our answer came late or was lost
 *                                                         -> ANSWERS_LATE and EVENT_ANSWER_LATE
 *                                                            (KERNEL_FAILED if the
 *                                                            binding had expired: arpd did not
 *                                                            answer), the binding stays positive
 *   FAILED otherwise                                      -> KERNEL_FAILED, always; and unless the
 *          record is static or a negative still inside its window: put negative (neg_since = now,
 *          probes = 0, source kernel, lladdr/first_seen/last_seen kept if any, else the
 *          times are now and lladdr is empty)
 *   INCOMPLETE; DELAY/PROBE (with or without lladdr)      -> nothing, no counter: the kernel's
 *                                                            timers move an entry in use there
 *                                                            (often one arpd answered): no
 *                                                            evidence, neither learned nor touched
 *   REACHABLE/STALE/PERMANENT without lladdr, zero or
 *   multicast lladdr, unknown state                       -> KERNEL_SKIPPED
 *   otherwise learned as above with KERNEL_NEW (also for a negative record), KERNEL_CHANGED,
 *   REJ_STATIC_CONFLICT, source kernel; NTF_EXT_LEARNED / NTF_EXT_MANAGED entries are learned the
 *   same way and also count KERNEL_FOREIGN. The same MAC in REACHABLE, STALE or PERMANENT is a
 *   touch at most, never a change.
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

/* How long a verification probe may go unanswered before the binding is invalidated: well
 * below the kernel's delay_first_probe_time (5 s), so the next PROBE miss decides. */
#define RESOLVER_VERIFY_TIMEOUT (3 * USEC_PER_SEC)

struct resolver_config {
        unsigned active_probes;  /* -a: probes per dead address per -n window; 0 = passive */
        usec_t negative_timeout; /* -n: lifetime of a negative entry */
        bool learn_bogons;       /* learn senders outside the interface's subnets too */
        usec_t touch_interval;   /* rewrite an unchanged binding's last_seen at most this often */
        usec_t max_age;          /* --max-age: a positive binding without evidence for this long is
                                  * no longer answered; 0 = never expires */
        usec_t verify_timeout;   /* a verification probe unanswered this long invalidates */
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
        bool no_override;           /* an NA with the Override flag clear */
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
        bool from_self;        /* an event caused by our own answer (nlmsg_pid is our port id) */
        bool kernel_broadcasts; /* the kernel sends its own broadcast requests on this link
                                 * (mcast_solicit > 0, or unknown) */
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
        bool has_lladdr;
        struct lladdr lladdr; /* NDA_LLADDR: the MAC the kernel holds (probed, for PROBE) */
        enum miss_probe {
                MISS_PROBE_NOW = 0, /* the link can send a probe */
                MISS_PROBE_LATER,   /* not yet: its packet sockets are being opened (deferred) */
                MISS_PROBE_NEVER,   /* it cannot: no packet socket, no source address */
        } probe_when;
        usec_t verify_sent;   /* CLOCK_REALTIME of our outstanding verification probe, 0 if none */
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
        EVENT_ANSWER_LATE,     /* ANSWERS_LATE: the kernel's FAILED although arpd answered;
                                * record = old_lladdr's binding as stored (write stays WRITE_NONE) */
};

#define RESOLVER_MAX_COUNTERS 4

struct resolver_result {
        enum resolver_write write;
        struct record record;       /* for WRITE_PUT */
        enum resolver_reply reply;
        struct lladdr answer_lladdr;
        bool probe;                 /* send our own probe (a token was already taken) */
        bool verify_started;        /* that probe verifies a binding: remember now_rt as verify_sent */
        bool verify_done;           /* the outstanding verification is settled: forget verify_sent */
        bool override;              /* answer with NLM_F_REPLACE (see the table) */
        bool probe_deferred;        /* probe once the link can (MISS_PROBE_LATER) */
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

/* True if cur is a positive record whose last evidence is max_age or more before now_rt. */
bool resolver_binding_expired(const struct resolver_config *c, const struct record *cur, usec_t now_rt);

/* The probe ret asked for could not be sent: no probe, PROBES_SENT becomes PROBES_UNSENT, and the
 * negative record that only stood for the probe is not written. No-op without ret->probe. */
void resolver_probe_not_sent(struct resolver_result *ret);

/* A probe deferred from a miss that came before the link could send (PROBES_DEFERRED was counted
 * then), now that it can: as an INCOMPLETE miss without REQ_RECEIVED and without an answer (the
 * kernel was answered then, if it could be). Nothing for a record that is now a static or an
 * unexpired positive binding. */
void resolver_deferred_probe(const struct resolver_config *c, const struct record *cur, usec_t now_rt,
                             usec_t now_mono, struct token_bucket *bucket, struct resolver_result *ret);
