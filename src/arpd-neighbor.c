/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arp-packet.h"
#include "arpd-catalog.h"
#include "arpd-manager.h"
#include "arpd-neighbor.h"
#include "log.h"
#include "ndp-packet.h"
#include "netlink.h"

/* ---- station events ------------------------------------------------------------------------
 * Every station event (station.h) goes to the journal and to the manager's observers (D-Bus
 * StationEvent), through the link's token bucket (EVENT_LOG_BURST, then EVENT_LOG_RATE per
 * second). What the bucket holds back is folded: counted per kind, and said in one summary
 * (ARPD_MESSAGE_EVENTS_SUPPRESSED, STATION_FOLDED) before the next event that gets through, or
 * STATION_FOLD_SUMMARY_USEC after the first fold at the latest, or when the link goes away. */

#define STATION_FOLD_SUMMARY_USEC USEC_PER_SEC

static const char *const station_message_ids[_STATION_KIND_MAX] = {
        [STATION_NEW] = ARPD_MESSAGE_NEW_STATION,
        [STATION_NEW_ACTIVITY] = ARPD_MESSAGE_NEW_ACTIVITY,
        [STATION_CHANGED] = ARPD_MESSAGE_MAC_CHANGED,
        [STATION_FLIP_FLOP] = ARPD_MESSAGE_FLIP_FLOP,
        [STATION_REUSED_OLD] = ARPD_MESSAGE_REUSED_OLD,
        [STATION_STATIC_CONFLICT] = ARPD_MESSAGE_STATIC_CONFLICT,
        [STATION_ANSWER_LATE] = ARPD_MESSAGE_ANSWER_LATE,
        [STATION_FOLDED] = ARPD_MESSAGE_EVENTS_SUPPRESSED,
};

/* "FLIP_FLOP" for "flip-flop" */
static void upper_field(const char *kind, char *buf, size_t size) {
        size_t i;

        for (i = 0; kind[i] && i + 1 < size; i++)
                buf[i] = kind[i] == '-' ? '_' : (char) (kind[i] >= 'a' && kind[i] <= 'z' ? kind[i] - 'a' + 'A' : kind[i]);
        buf[i] = '\0';
}

static void station_log(Link *l, const struct station_event *ev) {
        char a[IN_ADDR_STRLEN], o[LLADDR_STRLEN], n[LLADDR_STRLEN], idle[32];
        char f[5 + _STATION_KIND_MAX][128];
        const char *fields[5 + _STATION_KIND_MAX];
        const char *kind = station_kind_to_string(ev->kind), *src = record_source_to_string(ev->source);
        size_t nf = 0;

#define FIELD(...) do { snprintf(f[nf], sizeof(f[nf]), __VA_ARGS__); fields[nf] = f[nf]; nf++; } while (0)
        FIELD("STATION_EVENT=%s", kind);
        if (ev->kind == STATION_FOLDED) {
                char up[32], what[_STATION_KIND_MAX * 32] = "";
                size_t wl = 0;
                for (unsigned k = 1; k < _STATION_KIND_MAX; k++)
                        if (ev->folded[k] > 0) {
                                upper_field(station_kind_to_string(k), up, sizeof(up));
                                FIELD("FOLDED_%s=%llu", up, (unsigned long long) ev->folded[k]);
                                wl += (size_t) snprintf(what + wl, sizeof(what) - MIN(wl, sizeof(what)), "%s%s=%llu",
                                                        wl > 0 ? " " : "", station_kind_to_string(k),
                                                        (unsigned long long) ev->folded[k]);
                                wl = MIN(wl, sizeof(what));
                        }
                FIELD("SUPPRESSED=%llu", (unsigned long long) l->events_suppressed);
                log_eventf(l->ifname, LOG_WARNING, station_message_ids[ev->kind], fields, nf,
                           "%llu station events were not logged one by one (rate limit): %s",
                           (unsigned long long) l->events_suppressed, what);
                return;
        }
        in_addr_to_string(ev->family, &ev->addr, a);
        lladdr_to_string(&ev->lladdr, n);
        lladdr_to_string(&ev->old_lladdr, o);
        FIELD("ADDRESS=%s", a);
        FIELD("NEW_LLADDR=%s", n);
        if (ev->old_lladdr.len > 0)
                FIELD("OLD_LLADDR=%s", o);
        if (ev->source != 0)
                FIELD("SOURCE=%s", src);
        if (ev->kind == STATION_NEW_ACTIVITY)
                FIELD("IDLE_USEC=%llu", (unsigned long long) ev->idle);
#undef FIELD
        switch (ev->kind) {
        case STATION_NEW:
                log_eventf(l->ifname, LOG_INFO, station_message_ids[ev->kind], fields, nf, "%s new station: %s (%s)", a,
                           n, src);
                break;
        case STATION_NEW_ACTIVITY:
                snprintf(idle, sizeof(idle), "%llu", (unsigned long long) (ev->idle / USEC_PER_SEC));
                log_eventf(l->ifname, LOG_INFO, station_message_ids[ev->kind], fields, nf,
                           "%s new activity: %s again after %s s of silence (%s)", a, n, idle, src);
                break;
        case STATION_CHANGED:
                log_eventf(l->ifname, LOG_NOTICE, station_message_ids[ev->kind], fields, nf, "%s moved: %s -> %s (%s)", a,
                           o, n, src);
                break;
        case STATION_FLIP_FLOP:
                log_eventf(l->ifname, LOG_WARNING, station_message_ids[ev->kind], fields, nf,
                           "%s flip flop: %s -> %s (%s)", a, o, n, src);
                break;
        case STATION_REUSED_OLD:
                log_eventf(l->ifname, LOG_NOTICE, station_message_ids[ev->kind], fields, nf,
                           "%s reused old address: %s -> %s (%s)", a, o, n, src);
                break;
        case STATION_STATIC_CONFLICT:
                log_eventf(l->ifname, LOG_NOTICE, station_message_ids[ev->kind], fields, nf,
                           "%s contradicts its static entry: %s -> %s (%s)", a, o, n, src);
                break;
        case STATION_ANSWER_LATE:
                log_eventf(l->ifname, LOG_INFO, station_message_ids[ev->kind], fields, nf,
                           "%s answer late: the kernel gave up on %s although arpd answered", a, n);
                break;
        default:
                break;
        }
}

void neighbor_station_summary(Link *l, bool publish) {
        struct station_event ev = { .kind = STATION_FOLDED };

        assert(l);
        if (l->events_suppressed == 0)
                return;
        snprintf(ev.ifname, sizeof(ev.ifname), "%s", l->ifname);
        ev.time = now_usec(CLOCK_REALTIME);
        memcpy(ev.folded, l->station_folded, sizeof(ev.folded));
        station_log(l, &ev);
        if (publish)
                manager_publish_station(l->manager, &ev);
        l->events_suppressed = 0;
        memset(l->station_folded, 0, sizeof(l->station_folded));
}

static int on_fold_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        neighbor_station_summary(userdata, true);
        return 0;
}

static void station_fold(Link *l, enum station_kind kind) {
        l->events_suppressed++;
        l->station_folded[kind]++;
        if (l->events_suppressed > 1)
                return; /* the summary is already due */
        if (!l->fold_timer) {
                if (sd_event_add_time_relative(manager_event(l->manager), &l->fold_timer, CLOCK_MONOTONIC,
                                               STATION_FOLD_SUMMARY_USEC, 0, on_fold_timer, l) < 0)
                        return; /* said before the next event that gets through instead */
                (void) sd_event_source_set_enabled(l->fold_timer, SD_EVENT_ONESHOT);
                return;
        }
        (void) sd_event_source_set_time_relative(l->fold_timer, STATION_FOLD_SUMMARY_USEC);
        (void) sd_event_source_set_enabled(l->fold_timer, SD_EVENT_ONESHOT);
}

static void station_report(Manager *m, Link *l, struct station_event *ev) {
        if (!token_bucket_take(&l->event_bucket, now_usec(CLOCK_MONOTONIC))) {
                station_fold(l, ev->kind);
                return;
        }
        neighbor_station_summary(l, true);
        snprintf(ev->ifname, sizeof(ev->ifname), "%s", l->ifname);
        ev->time = now_usec(CLOCK_REALTIME);
        station_log(l, ev);
        manager_publish_station(m, ev);
}

/* The station event of a decision, if any; stages the address's new MAC history with its record
 * (staged: the record's change was staged; the event is reported either way). */
static void station_apply(Manager *m, Link *l, const struct neigh_key *k, const struct record *cur,
                          const struct resolver_result *r, bool staged) {
        struct station_event ev = { .family = k->family, .addr = k->addr, .source = r->record.source };
        const struct station_options so = { .new_activity_after = m->opts->new_activity };
        struct station_history stored;
        struct station_result res;
        bool have_stored = false;

        if (r->event == EVENT_STATIC_CONFLICT || r->event == EVENT_ANSWER_LATE) {
                ev.kind = r->event == EVENT_STATIC_CONFLICT ? STATION_STATIC_CONFLICT : STATION_ANSWER_LATE;
                ev.lladdr = r->event == EVENT_STATIC_CONFLICT ? r->record.lladdr : r->old_lladdr;
                ev.old_lladdr = r->event == EVENT_STATIC_CONFLICT ? r->old_lladdr : (struct lladdr) {};
                if (r->event == EVENT_ANSWER_LATE)
                        ev.source = SOURCE_KERNEL;
                station_report(m, l, &ev);
                return;
        }
        if (r->write != WRITE_PUT || r->record.state != RECORD_POSITIVE || r->record.lladdr.len == 0)
                return;
        /* Only a MAC other than the record's needs the stored history. */
        if (cur && cur->lladdr.len > 0 && !lladdr_equal(&cur->lladdr, &r->record.lladdr)) {
                int q = store_history_get(m->store, k, &stored);
                have_stored = q >= 0;
                if (q < 0 && q != -ENOENT)
                        log_link_debug_errno(l, q, "cannot read a MAC history, classifying without it: %m");
        }
        station_classify(&so, cur, have_stored ? &stored : NULL, &r->record.lladdr, r->record.last_seen, &res);
        if (res.store_history && staged) { /* the history goes with its record, or not at all */
                int q = store_stage_history(m->store, k, &res.history);
                if (q < 0) {
                        link_count(l, STAT_STORE_ERRORS);
                        log_link_warning_errno(l, q, "cannot stage a MAC history: %m");
                }
        }
        if (res.kind == STATION_NONE)
                return;
        ev.kind = res.kind;
        ev.lladdr = r->record.lladdr;
        ev.old_lladdr = res.old_lladdr;
        ev.idle = res.idle;
        station_report(m, l, &ev);
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

        station_apply(m, l, k, cur, r, q >= 0);
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
