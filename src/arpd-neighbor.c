/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include "arp-packet.h"
#include "arpd-catalog.h"
#include "arpd-manager.h"
#include "arpd-neighbor.h"
#include "log.h"
#include "ndp-packet.h"
#include "netlink.h"

/* ---- events ---------------------------------------------------------------------------------- */

/* A binding event in the journal, rate-limited per interface; what the limit held back is said
 * in one entry before the next one that gets through. */
static void log_binding_event(Link *l, const char *message_id, const char *what, const struct neigh_key *k,
                              const struct lladdr *old, const struct lladdr *new, enum record_source source) {
        char a[IN_ADDR_STRLEN], o[LLADDR_STRLEN], n[LLADDR_STRLEN];
        char f_addr[64], f_old[128], f_new[128], f_src[32];
        const char *fields[] = { f_addr, f_old, f_new, f_src };

        if (!token_bucket_take(&l->event_bucket, now_usec(CLOCK_MONOTONIC))) {
                l->events_suppressed++;
                return;
        }
        if (l->events_suppressed > 0) {
                char f_sup[48];
                const char *sf[] = { f_sup };

                snprintf(f_sup, sizeof(f_sup), "SUPPRESSED=%llu", (unsigned long long) l->events_suppressed);
                log_eventf(l->ifname, LOG_WARNING, ARPD_MESSAGE_EVENTS_SUPPRESSED, sf, ELEMENTSOF(sf),
                           "%llu address events were not logged (rate limit).",
                           (unsigned long long) l->events_suppressed);
                l->events_suppressed = 0;
        }
        in_addr_to_string(k->family, &k->addr, a);
        lladdr_to_string(old, o);
        lladdr_to_string(new, n);
        snprintf(f_addr, sizeof(f_addr), "ADDRESS=%s", a);
        snprintf(f_old, sizeof(f_old), "OLD_LLADDR=%s", o);
        snprintf(f_new, sizeof(f_new), "NEW_LLADDR=%s", n);
        snprintf(f_src, sizeof(f_src), "SOURCE=%s", record_source_to_string(source));
        log_eventf(l->ifname, LOG_NOTICE, message_id, fields, ELEMENTSOF(fields), "%s %s: %s -> %s (%s)", a, what, o,
                   n, record_source_to_string(source));
}

/* ---- decisions ------------------------------------------------------------------------------- */

void neighbor_apply(Manager *m, Link *l, const struct neigh_key *k, const struct record *cur,
                    const struct resolver_result *r) {
        int q = 0;

        assert(m);
        assert(l);
        assert(k);
        assert(r);
        for (unsigned i = 0; i < r->n_counters; i++)
                link_count(l, r->counters[i]);

        if (r->write == WRITE_PUT)
                q = store_stage_put(m->store, k, &r->record);
        else if (r->write == WRITE_DELETE)
                q = store_stage_delete(m->store, k);
        if (q < 0) {
                link_count(l, STAT_STORE_ERRORS);
                log_link_warning_errno(l, q, "cannot stage a store change: %m");
        } else if (r->write != WRITE_NONE)
                manager_publish(m, CHANGE_DAEMON, k, cur, r->write == WRITE_PUT ? &r->record : NULL);

        switch (r->event) {
        case EVENT_MAC_CHANGED:
                log_binding_event(l, ARPD_MESSAGE_MAC_CHANGED, "moved", k, &r->old_lladdr, &r->record.lladdr,
                                  r->record.source);
                break;
        case EVENT_STATIC_CONFLICT:
                log_binding_event(l, ARPD_MESSAGE_STATIC_CONFLICT, "contradicts its static entry", k,
                                  &r->old_lladdr, &r->record.lladdr, r->record.source);
                break;
        case EVENT_NONE:
                break;
        }
}

/* Looks the key up; a value this version cannot read is never overwritten: -EPROTONOSUPPORT. */
static int lookup(Manager *m, Link *l, const struct neigh_key *k, struct record *rec, const struct record **cur) {
        int r = store_get(m->store, k, rec);

        if (r == -ENOENT) {
                *cur = NULL;
                return 0;
        }
        if (r < 0) {
                char a[IN_ADDR_STRLEN];
                link_count(l, STAT_STORE_ERRORS);
                log_link_warning_errno(l, r, "the stored record for %s cannot be read (%m); leaving it alone.",
                                       in_addr_to_string(k->family, &k->addr, a));
                return r;
        }
        *cur = rec;
        return 0;
}

/* A binding seen on the wire, from either family's parser: look it up, decide, apply. */
static void observe(Manager *m, Link *l, const struct observation *o) {
        struct neigh_key k;
        struct record rec;
        const struct record *cur;
        struct resolver_result res;
        struct link_view v;

        if (neigh_key_make(&k, l->ifname, o->family, &o->addr) < 0)
                return;
        if (lookup(m, l, &k, &rec, &cur) < 0)
                return;
        v = link_view(l);
        resolver_observe(&m->rcfg, &v, o, cur, now_usec(CLOCK_REALTIME), &res);
        neighbor_apply(m, l, &k, cur, &res);
}

void neighbor_handle_arp(Manager *m, Link *l, const void *frame, size_t len) {
        struct arp_frame f;
        struct observation o = {};

        link_count(l, STAT_ARP_RECEIVED);
        if (arp_frame_parse(frame, len, &f) < 0) {
                link_count(l, STAT_REJ_MALFORMED);
                return;
        }
        o.family = AF_INET;
        o.addr.in = f.spa;
        o.lladdr = f.sha;
        o.eth_src = f.eth_src;
        o.source = SOURCE_ARP;
        observe(m, l, &o);
}

void neighbor_handle_ndp(Manager *m, Link *l, const void *frame, size_t len) {
        struct ndp_frame f;
        struct observation o = {};

        link_count(l, STAT_NDP_RECEIVED);
        if (ndp_frame_parse(frame, len, &f) < 0) {
                link_count(l, STAT_REJ_NDP_MALFORMED);
                return;
        }
        if (!ndp_frame_binding(&f, &o.addr.in6, &o.lladdr)) {
                /* A DAD probe is counted like ARP's; an NS without SLLA or an NA without TLLA is
                 * valid and simply teaches nothing. */
                if (f.type == NDP_TYPE_NS && IN6_IS_ADDR_UNSPECIFIED(&f.src))
                        link_count(l, STAT_REJ_DAD_PROBE);
                return;
        }
        o.family = AF_INET6;
        o.eth_src = f.eth_src;
        o.source = SOURCE_NDP;
        /* RFC 4861 7.2.5: an NA without Override (a proxy, an anycast address) only fills gaps. */
        o.no_override = f.type == NDP_TYPE_NA && !(f.na_flags & NDP_NA_FLAG_OVERRIDE);
        observe(m, l, &o);
}

/* Sends the probe res asked for (to dst, or broadcast/multicast); a probe that could not be sent
 * is not a probe (resolver_probe_not_sent()). */
static void send_probe(Link *l, int family, const union in_addr_union *addr, const struct lladdr *dst,
                       struct resolver_result *res) {
        int r;

        if (!res->probe)
                return;
        /* IPv6 probes are Neighbor Solicitations through the same token bucket. */
        r = family == AF_INET6 ? link_send_ndp_probe(l, &addr->in6, dst) : link_send_probe(l, addr->in, dst);
        if (r < 0) {
                log_link_debug_errno(l, r, "sending a probe failed: %m");
                resolver_probe_not_sent(res);
        }
}

static void handle_miss(Manager *m, Link *l, const struct nl_neigh *n, bool from_dump) {
        struct resolver_config cfg = m->rcfg;
        struct neigh_key k;
        struct record rec;
        const struct record *cur;
        struct resolver_result res;
        usec_t now_rt = now_usec(CLOCK_REALTIME);
        struct miss miss = {
                .family = n->family,
                .addr = n->dst,
                .state = n->state,
                .has_probes = n->has_probes,
                .probes = n->probes,
                .has_lladdr = n->has_lladdr,
                .lladdr = n->lladdr,
                .probe_when = link_probe_when(l, n->family),
                .verify_sent = link_verify_get(l, n->family, &n->dst),
        };

        if (neigh_key_make(&k, l->ifname, n->family, &n->dst) < 0) {
                link_count(l, STAT_REQ_BAD);
                return;
        }
        if (lookup(m, l, &k, &rec, &cur) < 0)
                return;
        /* An INCOMPLETE entry met in a re-dump is answered if we know it, never probed: the kernel
         * is resolving it itself. */
        if (from_dump)
                cfg.active_probes = 0;
        resolver_miss(&cfg, &miss, cur, now_rt, now_usec(CLOCK_MONOTONIC), &l->probe_bucket, &res);
        if (res.reply == REPLY_ANSWER) {
                /* What the miss reported goes back, so the kernel keeps its flags (netlink.h). */
                const struct nl_neigh_answer a = {
                        .ifindex = l->ifindex,
                        .family = n->family,
                        .dst = n->dst,
                        .lladdr = res.answer_lladdr,
                        .flags = n->flags,
                        .ext_flags = n->ext_flags,
                        /* ours, unless another control plane's entry names its own */
                        .protocol = n->protocol == 0 ? ARPD_NEIGH_PROTOCOL : 0,
                        .override = res.override,
                };
                rtnl_queue_answer(m, l, &a);
        }
        /* A verification probe goes to the MAC we hold, as the kernel's unicast probe would. */
        send_probe(l, n->family, &n->dst, n->state == NUD_PROBE ? &res.answer_lladdr : NULL, &res);
        if (res.verify_done)
                link_verify_clear(l, n->family, &n->dst);
        if (res.verify_started)
                link_verify_set(l, n->family, &n->dst, now_rt);
        if (res.probe_deferred && !link_defer_probe(l, n->family, &n->dst, now_rt))
                link_count(l, STAT_PROBES_UNSENT);
        neighbor_apply(m, l, &k, cur, &res);
}

void neighbor_send_deferred_probes(Manager *m, Link *l) {
        size_t n = l->n_deferred;

        assert(m);
        l->n_deferred = 0;
        if (n > 0)
                manager_input_begin(m);
        for (size_t i = 0; i < n; i++) {
                const struct link_pending *p = &l->deferred[i];
                struct neigh_key k;
                struct record rec;
                const struct record *cur;
                struct resolver_result res;

                if (link_probe_when(l, p->family) != MISS_PROBE_NOW) {
                        link_count(l, STAT_PROBES_UNSENT);
                        continue;
                }
                if (neigh_key_make(&k, l->ifname, p->family, &p->addr) < 0 || lookup(m, l, &k, &rec, &cur) < 0)
                        continue;
                resolver_deferred_probe(&m->rcfg, cur, now_usec(CLOCK_REALTIME), now_usec(CLOCK_MONOTONIC),
                                        &l->probe_bucket, &res);
                send_probe(l, p->family, &p->addr, NULL, &res);
                neighbor_apply(m, l, &k, cur, &res);
        }
        if (n > 0)
                manager_input_end(m);
}

void neighbor_handle_netlink(Manager *m, const struct nlmsghdr *nlh, enum neigh_origin origin) {
        struct nl_neigh n;
        struct neigh_key k;
        struct record rec;
        const struct record *cur;
        struct resolver_result res;
        Link *l;
        int r;

        r = nl_parse_neigh(nlh, &n);
        if (r == -EPROTONOSUPPORT)
                return;
        if (r < 0) {
                m->global.v[STAT_KERNEL_SKIPPED]++;
                log_debug_errno(r, "Ignoring a malformed neighbour message (type %u, %u bytes): %m", nlh->nlmsg_type,
                                nlh->nlmsg_len);
                return;
        }
        if (m->opts->family != AF_UNSPEC && n.family != m->opts->family)
                return; /* -4 / -6: the other family is not ours to serve */
        l = manager_get_link(m, n.ifindex);
        if (!l)
                return;
        if (!n.has_dst) {
                link_count(l, n.type == RTM_GETNEIGH ? STAT_REQ_BAD : STAT_KERNEL_SKIPPED);
                return;
        }
        if (n.type == RTM_GETNEIGH) {
                if (origin != NEIGH_ORIGIN_EVENT || !(n.nlmsg_flags & NLM_F_REQUEST)) {
                        link_count(l, STAT_REQ_BAD);
                        return;
                }
                handle_miss(m, l, &n, false);
                return;
        }
        if (origin == NEIGH_ORIGIN_EVENT && m->rtnl.resyncing)
                return; /* stale: the re-dump after the overrun brings the current state */
        if (origin == NEIGH_ORIGIN_DUMP && n.state == NUD_INCOMPLETE) {
                handle_miss(m, l, &n, true);
                return;
        }
        struct neigh_event ev = {
                .deleted = n.type == RTM_DELNEIGH,
                .origin = origin,
                .nlmsg_pid = n.nlmsg_pid,
                /* dump replies carry our port id too: only events can be our answers' echo */
                .from_self = origin == NEIGH_ORIGIN_EVENT && m->rtnl.cmd_portid != 0 &&
                             n.nlmsg_pid == m->rtnl.cmd_portid,
                .kernel_broadcasts = true,
                .family = n.family,
                .addr = n.dst,
                .state = n.state,
                .flags = n.flags,
                .ext_flags = n.ext_flags,
                .has_lladdr = n.has_lladdr,
                .lladdr = n.lladdr,
        };
        if (neigh_key_make(&k, l->ifname, n.family, &n.dst) < 0)
                return;
        if (lookup(m, l, &k, &rec, &cur) < 0)
                return;
        /* Whether the kernel's failure is evidence depends on whether it broadcast itself: read
         * the sysctl now (the unit may change it at any time), only when it matters. */
        if ((n.state & NUD_FAILED) && cur && cur->state == RECORD_POSITIVE)
                ev.kernel_broadcasts = link_kernel_broadcasts(l, n.family);
        resolver_kernel_event(&m->rcfg, &ev, cur, now_usec(CLOCK_REALTIME), &res);
        neighbor_apply(m, l, &k, cur, &res);
}
