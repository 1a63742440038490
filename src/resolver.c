/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <linux/neighbour.h>
#include <string.h>
#include <sys/socket.h>

#include "resolver.h"

/* Extended neighbour flags (NDA_FLAGS_EXT) arrived in Linux 5.16; older headers lack them. */
#ifndef NTF_EXT_MANAGED
#define NTF_EXT_MANAGED (1 << 0)
#endif

/* ---- helpers ---- */

static void result_init(struct resolver_result *ret) {
        memset(ret, 0, sizeof(*ret));
        ret->write = WRITE_NONE;
        ret->reply = REPLY_NONE;
        ret->event = EVENT_NONE;
}

static void count(struct resolver_result *ret, enum stat_id id) {
        /* Every path bumps at most RESOLVER_MAX_COUNTERS counters by construction. */
        assert(ret->n_counters < RESOLVER_MAX_COUNTERS);
        if (ret->n_counters < RESOLVER_MAX_COUNTERS)
                ret->counters[ret->n_counters++] = id;
}

static bool family_ok(int family) {
        return family == AF_INET || family == AF_INET6;
}

/* A stored record with a state we do not know is treated as absent. */
static const struct record *record_usable(const struct record *cur) {
        if (!cur)
                return NULL;
        switch (cur->state) {
        case RECORD_POSITIVE:
        case RECORD_NEGATIVE:
        case RECORD_STATIC:
                return cur;
        default:
                return NULL;
        }
}

static bool record_has_binding(const struct record *cur) {
        return cur && (cur->state == RECORD_POSITIVE || cur->state == RECORD_STATIC);
}

static bool addr_is_unspecified(int family, const union in_addr_union *a) {
        if (family == AF_INET)
                return a->in.s_addr == 0;
        return IN6_IS_ADDR_UNSPECIFIED(&a->in6);
}

static bool addr_is_bogus(int family, const union in_addr_union *a) {
        if (family == AF_INET)
                return in4_addr_is_bogus_sender(a->in);
        return in6_addr_is_bogus_sender(&a->in6);
}

static bool touch_due(const struct resolver_config *c, const struct record *cur, usec_t now_rt) {
        /* A last_seen in the future (the wall clock was stepped back) is rewritten at once rather
         * than left there until the clock catches up. */
        if (now_rt < cur->last_seen)
                return true;
        return now_rt - cur->last_seen >= c->touch_interval;
}

bool resolver_negative_valid(const struct resolver_config *c, const struct record *r, usec_t now_rt) {
        if (!r || r->state != RECORD_NEGATIVE)
                return false;
        /* A window that starts in the future (wall clock stepped back) is over: suppressing an
         * address until the clock catches up could last arbitrarily long. */
        if (now_rt < r->neg_since)
                return false;
        return now_rt - r->neg_since < c->negative_timeout;
}

struct learn_counters {
        enum stat_id new;
        enum stat_id changed;
        enum stat_id revived;
};

/* Shared by the wire and the kernel: binding addr -> mac was seen at now_rt. */
static void learn(const struct resolver_config *c, const struct record *cur, const struct lladdr *mac,
                  enum record_source source, usec_t now_rt, const struct learn_counters *lc, bool no_override,
                  bool may_touch, struct resolver_result *ret) {

        if (!cur) {
                ret->write = WRITE_PUT;
                ret->record = (struct record) {
                        .state = RECORD_POSITIVE,
                        .source = source,
                        .lladdr = *mac,
                        .first_seen = now_rt,
                        .last_seen = now_rt,
                };
                count(ret, lc->new);
                return;
        }

        switch (cur->state) {
        case RECORD_NEGATIVE:
                ret->write = WRITE_PUT;
                ret->record = (struct record) {
                        .state = RECORD_POSITIVE,
                        .source = source,
                        .lladdr = *mac,
                        .first_seen = cur->first_seen != 0 ? cur->first_seen : now_rt,
                        .last_seen = now_rt,
                };
                count(ret, lc->revived);
                return;

        case RECORD_POSITIVE:
        case RECORD_STATIC:
                if (lladdr_equal(&cur->lladdr, mac)) {
                        if (may_touch && touch_due(c, cur, now_rt)) {
                                ret->write = WRITE_PUT;
                                ret->record = *cur;
                                ret->record.last_seen = now_rt;
                        }
                        return;
                }

                if (cur->state == RECORD_STATIC) {
                        /* Never overwritten by learning. record carries the conflicting binding
                         * for the caller's log only; nothing is written. */
                        ret->event = EVENT_STATIC_CONFLICT;
                        ret->old_lladdr = cur->lladdr;
                        ret->record = *cur;
                        ret->record.lladdr = *mac;
                        ret->answer_lladdr = *mac; /* mirrored; reply stays REPLY_NONE */
                        count(ret, STAT_REJ_STATIC_CONFLICT);
                        return;
                }

                if (no_override) {
                        /* RFC 4861 7.2.5: an NA without O does not replace a known binding. */
                        count(ret, STAT_NDP_NO_OVERRIDE);
                        return;
                }

                ret->write = WRITE_PUT;
                ret->record = (struct record) {
                        .state = RECORD_POSITIVE,
                        .source = source,
                        .lladdr = *mac,
                        .first_seen = cur->first_seen != 0 ? cur->first_seen : now_rt,
                        .last_seen = now_rt,
                };
                ret->event = EVENT_MAC_CHANGED;
                ret->old_lladdr = cur->lladdr;
                count(ret, lc->changed);
                return;
        }
}

/* ---- the wire ---- */

static bool in_link_subnets(const struct link_view *link, int family, const union in_addr_union *a) {
        /* fe80::/10 is on every IPv6 link by definition (RFC 4291 2.5.6), whether or not the
         * link's own link-local address is known yet. */
        if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a->in6))
                return true;
        if (!link || !link->prefixes)
                return false;
        for (size_t i = 0; i < link->n_prefixes; i++)
                if (in_prefix_contains(&link->prefixes[i], family, a))
                        return true;
        return false;
}

static bool is_link_broadcast(const struct link_view *link, int family, const union in_addr_union *a) {
        if (family != AF_INET || !link || !link->prefixes)
                return false;
        for (size_t i = 0; i < link->n_prefixes; i++)
                if (in4_prefix_is_broadcast(&link->prefixes[i], a->in))
                        return true;
        return false;
}

/* Returns the rejection counter for o, or _STAT_MAX if o is acceptable. */
static enum stat_id observation_check(const struct resolver_config *c, const struct link_view *link,
                                      const struct observation *o) {
        if (!family_ok(o->family))
                return STAT_REJ_MALFORMED;
        if (addr_is_unspecified(o->family, &o->addr))
                return STAT_REJ_DAD_PROBE;
        if (o->lladdr.len == 0 || o->lladdr.len > LLADDR_MAX || lladdr_is_zero(&o->lladdr) ||
            lladdr_is_multicast(&o->lladdr) || lladdr_is_broadcast(&o->lladdr))
                return STAT_REJ_SENDER_MAC;
        if (addr_is_bogus(o->family, &o->addr) || is_link_broadcast(link, o->family, &o->addr))
                return STAT_REJ_SENDER_IP;
        if (!c->learn_bogons && !in_link_subnets(link, o->family, &o->addr))
                return STAT_REJ_OUT_OF_SUBNET;
        return _STAT_MAX;
}

void resolver_observe(const struct resolver_config *c, const struct link_view *link,
                      const struct observation *o, const struct record *cur, usec_t now_rt,
                      struct resolver_result *ret) {
        static const struct learn_counters lc_arp = {
                .new = STAT_ARP_NEW,
                .changed = STAT_ARP_CHANGED,
                .revived = STAT_ARP_REVIVED,
        }, lc_ndp = {
                .new = STAT_NDP_NEW,
                .changed = STAT_NDP_CHANGED,
                .revived = STAT_NDP_REVIVED,
        };
        bool ndp = o->source == SOURCE_NDP;
        enum stat_id rej;

        result_init(ret);

        rej = observation_check(c, link, o);
        if (rej != _STAT_MAX) {
                count(ret, rej);
                return;
        }

        learn(c, record_usable(cur), &o->lladdr, o->source, now_rt, ndp ? &lc_ndp : &lc_arp, o->no_override, true,
              ret);

        if (o->eth_src.len > 0 && !lladdr_equal(&o->eth_src, &o->lladdr))
                count(ret, ndp ? STAT_NDP_ETH_MISMATCH : STAT_ARP_ETH_MISMATCH);
}

/* ---- the kernel's neighbour table ---- */

static void kernel_failed(const struct resolver_config *c, const struct record *cur, usec_t now_rt,
                          struct resolver_result *ret) {
        count(ret, STAT_KERNEL_FAILED);

        if (cur && cur->state == RECORD_STATIC)
                return; /* never turned negative */
        if (resolver_negative_valid(c, cur, now_rt))
                return; /* the current window stands; do not extend it */

        ret->write = WRITE_PUT;
        ret->record = (struct record) {
                .state = RECORD_NEGATIVE,
                .source = SOURCE_KERNEL,
                .first_seen = now_rt,
                .last_seen = now_rt,
                .neg_since = now_rt,
                .probes = 0,
        };
        if (cur) {
                ret->record.lladdr = cur->lladdr;
                if (cur->first_seen != 0)
                        ret->record.first_seen = cur->first_seen;
                if (cur->last_seen != 0)
                        ret->record.last_seen = cur->last_seen;
        }
}

/* The kernel says whether the neighbour is a router (NTF_ROUTER, from its NA's R flag or an
 * operator's "ip neigh ... router"): the learned record says the same. A record of another MAC
 * or a static one is left as learn() decided. */
static void kernel_router_flag(const struct record *cur, const struct neigh_event *ev, struct resolver_result *ret) {
        unsigned router = ev->flags & NTF_ROUTER ? RECORD_FLAG_ROUTER : 0;

        if (ret->write == WRITE_NONE && ret->event == EVENT_NONE && cur && cur->state == RECORD_POSITIVE &&
            lladdr_equal(&cur->lladdr, &ev->lladdr) && (cur->flags & RECORD_FLAG_ROUTER) != router) {
                ret->write = WRITE_PUT; /* only the flag changed */
                ret->record = *cur;
        }
        if (ret->write == WRITE_PUT && ret->record.state == RECORD_POSITIVE)
                ret->record.flags = (ret->record.flags & ~(unsigned) RECORD_FLAG_ROUTER) | router;
}

void resolver_kernel_event(const struct resolver_config *c, const struct neigh_event *ev,
                           const struct record *cur, usec_t now_rt, struct resolver_result *ret) {
        static const struct learn_counters lc = {
                .new = STAT_KERNEL_NEW,
                .changed = STAT_KERNEL_CHANGED,
                .revived = STAT_KERNEL_NEW,
        };
        const uint16_t valid_with_lladdr = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;

        result_init(ret);
        cur = record_usable(cur);

        if (ev->deleted)
                return; /* the store outlives the kernel's garbage collection */
        if (ev->from_self)
                return; /* the echo of our own answer: no evidence of anything */

        if (!family_ok(ev->family) || (ev->flags & NTF_PROXY) || (ev->state & NUD_NOARP) ||
            ev->state == NUD_NONE || addr_is_bogus(ev->family, &ev->addr)) {
                count(ret, STAT_KERNEL_SKIPPED);
                return;
        }

        if (ev->state & NUD_FAILED) {
                if (ev->nlmsg_pid != 0 && ev->origin == NEIGH_ORIGIN_EVENT) {
                        /* "ip neigh del/flush": an operator's decision, not a dead host. */
                        count(ret, STAT_KERNEL_ADMIN_DELETE);
                        return;
                }
                if (cur && cur->state == RECORD_POSITIVE && !ev->kernel_broadcasts) {
                        /* Only arpd could have answered: the answer was late or lost (or, for an
                         * expired binding, not given). Not evidence that the host is gone. */
                        if (resolver_binding_expired(c, cur, now_rt))
                                count(ret, STAT_KERNEL_FAILED);
                        else {
                                count(ret, STAT_ANSWERS_LATE);
                                ret->event = EVENT_ANSWER_LATE;
                                ret->old_lladdr = cur->lladdr;
                                ret->record = *cur; /* for the log only: write stays WRITE_NONE */
                        }
                        return;
                }
                kernel_failed(c, cur, now_rt, ret);
                return;
        }

        if (ev->state & NUD_INCOMPLETE)
                return; /* resolution in progress; the miss path handles it */

        if (!(ev->state & valid_with_lladdr)) {
                count(ret, STAT_KERNEL_SKIPPED); /* a state we do not know */
                return;
        }

        if (ev->state & (NUD_DELAY | NUD_PROBE))
                return; /* the kernel's timers move an entry in use there: no evidence of anything */

        if (!ev->has_lladdr || ev->lladdr.len == 0) {
                count(ret, STAT_KERNEL_SKIPPED);
                return;
        }

        if (lladdr_is_zero(&ev->lladdr) || lladdr_is_multicast(&ev->lladdr)) {
                count(ret, STAT_KERNEL_SKIPPED);
                return;
        }

        learn(c, cur, &ev->lladdr, SOURCE_KERNEL, now_rt, &lc, false, true, ret);
        kernel_router_flag(cur, ev, ret);

        if ((ev->flags & NTF_EXT_LEARNED) || (ev->ext_flags & NTF_EXT_MANAGED))
                count(ret, STAT_KERNEL_FOREIGN);
}

/* ---- the kernel's misses ---- */

bool resolver_binding_expired(const struct resolver_config *c, const struct record *cur, usec_t now_rt) {
        if (!cur || cur->state != RECORD_POSITIVE || c->max_age == 0)
                return false;
        /* last_seen in the future (clock stepped back): not expired, as for touches */
        return now_rt >= cur->last_seen && now_rt - cur->last_seen >= c->max_age;
}

static void miss_answer(const struct record *cur, struct resolver_result *ret) {
        ret->reply = REPLY_ANSWER;
        ret->answer_lladdr = cur->lladdr;
        count(ret, STAT_REQ_ANSWERED);
}

/* A probe the link may not be able to send: false (with its counter) if it cannot now. */
static bool probe_possible(const struct miss *m, bool may_defer, struct resolver_result *ret) {
        switch (m->probe_when) {
        case MISS_PROBE_NOW:
                return true;
        case MISS_PROBE_LATER:
                if (may_defer) {
                        ret->probe_deferred = true;
                        count(ret, STAT_PROBES_DEFERRED);
                        return false;
                }
                break;
        case MISS_PROBE_NEVER:
                break;
        }
        count(ret, STAT_PROBES_UNSENT);
        return false;
}

static void miss_unresolved(const struct resolver_config *c, const struct miss *m, const struct record *cur,
                            usec_t now_rt, usec_t now_mono, struct token_bucket *bucket, struct resolver_result *ret) {
        bool valid = resolver_negative_valid(c, cur, now_rt);

        if (valid && cur->probes >= c->active_probes) {
                count(ret, STAT_REQ_SUPPRESSED);
                return;
        }

        if (c->active_probes == 0) {
                count(ret, resolver_binding_expired(c, cur, now_rt) ? STAT_REQ_EXPIRED : STAT_REQ_UNKNOWN);
                return;
        }

        if (!probe_possible(m, true, ret))
                return; /* not sent: nothing counted on the entry, no token */

        if (!bucket || !token_bucket_take(bucket, now_mono)) {
                /* The probe was not sent, so it is not counted on the entry either. */
                count(ret, STAT_PROBES_RATELIMITED);
                return;
        }

        ret->probe = true;
        count(ret, STAT_PROBES_SENT);
        ret->write = WRITE_PUT;

        if (valid) {
                ret->record = *cur;
                if (ret->record.probes < UINT32_MAX)
                        ret->record.probes++;
                return;
        }

        /* No record, a negative one whose window is over, or an expired binding: a new window. */
        ret->record = (struct record) {
                .state = RECORD_NEGATIVE,
                .source = SOURCE_PROBE,
                .first_seen = now_rt,
                .last_seen = now_rt,
                .neg_since = now_rt,
                .probes = 1,
        };
        if (cur) {
                ret->record.source = cur->source;
                ret->record.lladdr = cur->lladdr;
                if (cur->first_seen != 0)
                        ret->record.first_seen = cur->first_seen;
                if (cur->last_seen != 0)
                        ret->record.last_seen = cur->last_seen;
        }
}

/* A PROBE miss for a binding we hold. Returns false if the miss is to be handled as INCOMPLETE. */
static bool miss_probe_binding(const struct resolver_config *c, const struct miss *m, const struct record *cur,
                               usec_t now_rt, usec_t now_mono, struct token_bucket *bucket,
                               struct resolver_result *ret) {
        bool evidence = m->has_probes && m->probes > 0;
        bool positive = cur->state == RECORD_POSITIVE;
        bool outstanding = positive && m->verify_sent != 0 && cur->last_seen < m->verify_sent;

        if (positive && m->verify_sent != 0 && !outstanding)
                ret->verify_done = true; /* answered since: settled */

        if (evidence && positive) {
                const struct lladdr *failed = m->has_lladdr ? &m->lladdr : &cur->lladdr;

                if (lladdr_equal(failed, &cur->lladdr)) {
                        /* The kernel's own unicast probes of our MAC went unanswered: gone. */
                        ret->write = WRITE_DELETE;
                        ret->verify_done = m->verify_sent != 0;
                        count(ret, STAT_REQ_INVALIDATED);
                        return true;
                }
                if (resolver_binding_expired(c, cur, now_rt))
                        return false;
                /* Another MAC failed; ours stands, and replaces the one the kernel proved dead. */
                miss_answer(cur, ret);
                ret->override = true;
                return true;
        }

        if (outstanding && !evidence && now_rt - m->verify_sent >= c->verify_timeout) {
                /* Our verification probe got no answer in time. */
                ret->write = WRITE_DELETE;
                ret->verify_done = true;
                count(ret, STAT_REQ_INVALIDATED);
                return true;
        }

        if (resolver_binding_expired(c, cur, now_rt))
                return false;

        miss_answer(cur, ret);
        if (evidence) {
                /* static: answered, never invalidated; a dead MAC of the kernel's is replaced */
                const struct lladdr *failed = m->has_lladdr ? &m->lladdr : &cur->lladdr;

                ret->override = !lladdr_equal(failed, &cur->lladdr);
                return true;
        }

        /* Nothing was tested (ucast_solicit=0): keep answering, and check it ourselves. */
        count(ret, STAT_REQ_VERIFIED);
        if (c->active_probes == 0 || outstanding)
                return true;
        if (!probe_possible(m, false, ret))
                return true;
        if (bucket && token_bucket_take(bucket, now_mono)) {
                ret->probe = true;
                ret->verify_started = positive;
                count(ret, STAT_PROBES_SENT);
        } else
                count(ret, STAT_PROBES_RATELIMITED);
        return true;
}

void resolver_miss(const struct resolver_config *c, const struct miss *m, const struct record *cur,
                   usec_t now_rt, usec_t now_mono, struct token_bucket *bucket,
                   struct resolver_result *ret) {
        result_init(ret);
        count(ret, STAT_REQ_RECEIVED);
        cur = record_usable(cur);

        if (!family_ok(m->family) || (m->state != NUD_INCOMPLETE && m->state != NUD_PROBE)) {
                count(ret, STAT_REQ_BAD);
                return;
        }

        if (record_has_binding(cur) && cur->lladdr.len == 0) {
                /* Cannot come from a valid store; never answer the kernel an empty address. */
                count(ret, STAT_REQ_BAD);
                return;
        }

        if (m->state == NUD_PROBE && record_has_binding(cur) &&
            miss_probe_binding(c, m, cur, now_rt, now_mono, bucket, ret))
                return;

        /* INCOMPLETE, or PROBE with no (unexpired) binding. */
        if (record_has_binding(cur) && !resolver_binding_expired(c, cur, now_rt)) {
                miss_answer(cur, ret);
                return;
        }

        miss_unresolved(c, m, cur, now_rt, now_mono, bucket, ret);
}

void resolver_probe_not_sent(struct resolver_result *ret) {
        if (!ret->probe)
                return;
        ret->probe = false;
        ret->verify_started = false;
        for (unsigned i = 0; i < ret->n_counters; i++)
                if (ret->counters[i] == STAT_PROBES_SENT)
                        ret->counters[i] = STAT_PROBES_UNSENT;
        if (ret->write == WRITE_PUT && ret->record.state == RECORD_NEGATIVE)
                ret->write = WRITE_NONE; /* the window stood for the probe only */
}

void resolver_deferred_probe(const struct resolver_config *c, const struct record *cur, usec_t now_rt,
                             usec_t now_mono, struct token_bucket *bucket, struct resolver_result *ret) {
        const struct miss m = { .state = NUD_INCOMPLETE, .probe_when = MISS_PROBE_NOW };

        result_init(ret);
        cur = record_usable(cur);
        if (record_has_binding(cur) && !resolver_binding_expired(c, cur, now_rt))
                return; /* learned meanwhile */
        if (record_has_binding(cur) && cur->lladdr.len == 0)
                return;
        miss_unresolved(c, &m, cur, now_rt, now_mono, bucket, ret);
}
