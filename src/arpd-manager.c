/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include "arp-packet.h"
#include "arpd-catalog.h"
#include "arpd-bus.h"
#include "arpd-manager.h"
#include "log.h"
#include "ndp-packet.h"
#include "netlink.h"
#include "packet-socket.h"

#define TX_SIZE (64 * 1024)
#define NL_RX_BATCH 16  /* small batches: an answer waits for at most 15 others to be sent */
#define NL_RX_BUFSIZE 8192
#define NL_CMD_BUFSIZE (64 * 1024)
#define NL_DRAIN_ROUNDS 64 /* per wakeup at most NL_RX_BATCH * NL_DRAIN_ROUNDS datagrams */
#define DUMP_TIMEOUT_USEC (10 * USEC_PER_SEC)
#define STATUS_INTERVAL_USEC (2 * USEC_PER_SEC)

/* Neighbour dumps queued after lost events (bit per dump type), served one at a time. */
enum {
        DUMP_NEIGH = 1 << 0,
        DUMP_LINK = 1 << 1,
        DUMP_ADDR = 1 << 2,
};

static void manager_process_nlmsg(Manager *m, const struct nlmsghdr *nlh, enum neigh_origin origin);

/* ---- links ---------------------------------------------------------------------------------- */

Link *manager_get_link(Manager *m, int ifindex) {
        for (size_t i = 0; i < m->n_links; i++)
                if (m->links[i]->ifindex == ifindex)
                        return m->links[i];
        return NULL;
}

bool manager_wants_link(Manager *m, const char *ifname) {
        if (m->opts->n_ifaces == 0)
                return true;
        for (size_t i = 0; i < m->opts->n_ifaces; i++)
                if (strcmp(m->opts->ifaces[i], ifname) == 0)
                        return true;
        return false;
}

static void manager_drop_link(Manager *m, Link *l) {
        for (size_t i = 0; i < m->n_links; i++)
                if (m->links[i] == l) {
                        m->links[i] = m->links[--m->n_links];
                        break;
                }
        log_info("%s: gone (ifindex %d); its entries stay in the store.", l->ifname, l->ifindex);
        link_free(l);
}

static void manager_link_update(Manager *m, const struct nl_link *nl) {
        Link *l = manager_get_link(m, nl->ifindex);
        int r;

        if (nl->deleted) {
                if (l)
                        manager_drop_link(m, l);
                return;
        }
        if (l && strcmp(l->ifname, nl->ifname) != 0) {
                log_info("%s: renamed to %s.", l->ifname, nl->ifname);
                if (!manager_wants_link(m, nl->ifname)) {
                        manager_drop_link(m, l);
                        return;
                }
                memcpy(l->ifname, nl->ifname, sizeof(l->ifname));
        }
        if (!l) {
                if (!manager_wants_link(m, nl->ifname))
                        return;
                /* Serving "all": skip links without ARP. Named explicitly: the operator asked. */
                if (m->opts->n_ifaces == 0 && (nl->flags & (IFF_LOOPBACK | IFF_NOARP)))
                        return;
                if (m->n_links >= MANAGER_MAX_LINKS) {
                        log_warning("%s: too many interfaces (%d), not serving it.", nl->ifname, MANAGER_MAX_LINKS);
                        return;
                }
                Link **a = realloc(m->links, (m->n_links + 1) * sizeof(Link *));
                if (!a) {
                        log_oom();
                        return;
                }
                m->links = a;
                r = link_new(m, nl->ifindex, nl->ifname, &l);
                if (r < 0) {
                        log_error_errno(r, "%s: cannot set up: %m", nl->ifname);
                        return;
                }
                m->links[m->n_links++] = l;
        }
        l->flags = nl->flags;
        l->type = nl->type;
        l->hwaddr = nl->hwaddr;
        /* Until the sockets of the links known at READY are open (see sniffing_thread()), new
         * links wait for that batch too. */
        if (m->ready && !m->sniff_thread_running && link_can_sniff(l) && link_start(l) < 0)
                log_warning("%s: serving without sniffing (kernel table and misses only).", l->ifname);
}

/*
 * Setting up a packet socket's receive ring waits for an RCU grace period in the kernel (10-30 ms
 * each here). So that this never holds up answering misses, the sockets of the links known at
 * READY are opened by a short-lived thread; it touches nothing but its own job list, and tells the
 * event loop through an eventfd when it is done. Links that appear later open synchronously.
 */
struct sniff_job {
        int ifindex;
        struct link_sockets sockets;
};

static void *sniffing_thread(void *userdata) {
        Manager *m = userdata;
        uint64_t one = 1;

        for (size_t i = 0; i < m->n_sniff_jobs; i++)
                link_sockets_open(m->sniff_jobs[i].ifindex, m->opts->family, &m->sniff_jobs[i].sockets);
        (void) !write(m->sniff_event_fd, &one, sizeof(one));
        return NULL;
}

static void manager_collect_sniffing(Manager *m) {
        if (!m->sniff_thread_running)
                return;
        (void) pthread_join(m->sniff_thread, NULL);
        m->sniff_thread_running = false;
        for (size_t i = 0; i < m->n_sniff_jobs; i++) {
                Link *l = manager_get_link(m, m->sniff_jobs[i].ifindex);

                if (l)
                        (void) link_attach(l, &m->sniff_jobs[i].sockets);
                else
                        link_sockets_close(&m->sniff_jobs[i].sockets); /* gone meanwhile */
        }
        /* links that appeared while the thread ran (those it handled were attached or logged) */
        for (size_t i = 0; i < m->n_links; i++) {
                bool handled = false;

                for (size_t j = 0; j < m->n_sniff_jobs && !handled; j++)
                        handled = m->sniff_jobs[j].ifindex == m->links[i]->ifindex;
                if (!handled && link_can_sniff(m->links[i]))
                        (void) link_start(m->links[i]);
        }
        m->sniff_jobs = mfree(m->sniff_jobs);
        m->n_sniff_jobs = 0;
        log_info("Sniffing started on %zu interface%s.", m->n_links, m->n_links == 1 ? "" : "s");
}

static int on_sniffing_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        uint64_t v;

        (void) !read(fd, &v, sizeof(v));
        manager_collect_sniffing(m);
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

static int manager_start_sniffing(Manager *m) {
        int r;

        m->sniff_jobs = calloc(MAX(m->n_links, (size_t) 1), sizeof(struct sniff_job));
        if (!m->sniff_jobs)
                return log_oom();
        for (size_t i = 0; i < m->n_links; i++)
                if (link_can_sniff(m->links[i]))
                        m->sniff_jobs[m->n_sniff_jobs++].ifindex = m->links[i]->ifindex;
        m->sniff_event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (m->sniff_event_fd < 0)
                return log_error_errno(errno, "Cannot create an eventfd: %m");
        r = sd_event_add_io(m->event, &m->sniff_done, m->sniff_event_fd, EPOLLIN, on_sniffing_done, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the eventfd: %m");
        r = pthread_create(&m->sniff_thread, NULL, sniffing_thread, m);
        if (r != 0)
                return log_error_errno(r, "Cannot start the thread that opens the packet sockets: %m");
        m->sniff_thread_running = true;
        return 0;
}

static void manager_addr_update(Manager *m, const struct nl_addr *a) {
        Link *l = manager_get_link(m, a->ifindex);

        if (!l)
                return;
        if (a->deleted)
                link_remove_prefix(l, &a->prefix);
        else if (link_add_prefix(l, &a->prefix) < 0)
                log_warning("%s: more than %d addresses, ignoring the rest for subnet checks.", l->ifname,
                            LINK_MAX_PREFIXES);
}

/* ---- store -------------------------------------------------------------------------------- */

static int on_commit_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) manager_commit(userdata);
        return 0;
}

int manager_commit(Manager *m) {
        int r;

        m->first_staged = 0;
        if (store_staged(m->store) == 0)
                return 0;
        r = store_flush(m->store);
        if (r < 0) {
                char field_store[512], field_errno[32];
                const char *fields[] = { field_store, field_errno };

                m->global.v[STAT_STORE_ERRORS]++;
                snprintf(field_store, sizeof(field_store), "STORE=%s", store_path(m->store));
                snprintf(field_errno, sizeof(field_errno), "ERRNO=%d", -r);
                errno = -r;
                char msg[640];
                snprintf(msg, sizeof(msg), "Failed to write to the store %s: %m. Changes of this batch are dropped; "
                         "what was stored before is intact.", store_path(m->store));
                log_event(LOG_ERR, ARPD_MESSAGE_STORE_ERROR, msg, fields, ELEMENTSOF(fields));
                return r;
        }
        if (m->opts->sync_interval == 0)
                (void) store_sync(m->store);
        return r;
}

void manager_schedule_commit(Manager *m) {
        usec_t now;

        if (store_staged(m->store) == 0) {
                m->first_staged = 0;
                return;
        }
        now = now_usec(CLOCK_MONOTONIC);
        if (m->first_staged == 0)
                m->first_staged = now;
        if (now >= m->first_staged + MANAGER_COMMIT_DELAY_USEC) {
                (void) manager_commit(m);
                return;
        }
        (void) sd_event_source_set_time(m->commit_timer, m->first_staged + MANAGER_COMMIT_DELAY_USEC);
        (void) sd_event_source_set_enabled(m->commit_timer, SD_EVENT_ONESHOT);
}

/* ---- events and decisions ------------------------------------------------------------------ */

static void log_binding_event(Link *l, const char *message_id, const char *what, const struct neigh_key *k,
                              const struct lladdr *old, const struct lladdr *new, enum record_source source) {
        char a[IN_ADDR_STRLEN], o[LLADDR_STRLEN], n[LLADDR_STRLEN];
        char f_if[32], f_addr[64], f_old[128], f_new[128], f_src[32], msg[512];
        const char *fields[] = { f_if, f_addr, f_old, f_new, f_src };

        if (!token_bucket_take(&l->event_bucket, now_usec(CLOCK_MONOTONIC))) {
                l->events_suppressed++;
                return;
        }
        if (l->events_suppressed > 0) {
                char f_sup[48];
                const char *sf[] = { f_if, f_sup };

                snprintf(f_if, sizeof(f_if), "INTERFACE=%s", l->ifname);
                snprintf(f_sup, sizeof(f_sup), "SUPPRESSED=%llu", (unsigned long long) l->events_suppressed);
                snprintf(msg, sizeof(msg), "%s: %llu address events were not logged (rate limit).", l->ifname,
                         (unsigned long long) l->events_suppressed);
                log_event(LOG_WARNING, ARPD_MESSAGE_EVENTS_SUPPRESSED, msg, sf, ELEMENTSOF(sf));
                l->events_suppressed = 0;
        }
        in_addr_to_string(k->family, &k->addr, a);
        lladdr_to_string(old, o);
        lladdr_to_string(new, n);
        snprintf(f_if, sizeof(f_if), "INTERFACE=%s", l->ifname);
        snprintf(f_addr, sizeof(f_addr), "ADDRESS=%s", a);
        snprintf(f_old, sizeof(f_old), "OLD_LLADDR=%s", o);
        snprintf(f_new, sizeof(f_new), "NEW_LLADDR=%s", n);
        snprintf(f_src, sizeof(f_src), "SOURCE=%s", record_source_to_string(source));
        snprintf(msg, sizeof(msg), "%s: %s %s: %s -> %s (%s)", l->ifname, a, what, o, n,
                 record_source_to_string(source));
        log_event(LOG_NOTICE, message_id, msg, fields, ELEMENTSOF(fields));
}

void manager_apply(Manager *m, Link *l, const struct neigh_key *k, const struct record *cur,
                   const struct resolver_result *r) {
        bool notify = r->write != WRITE_NONE && bus_has_subscribers(m->bus);
        int q = 0;

        for (unsigned i = 0; i < r->n_counters; i++)
                link_count(l, r->counters[i]);

        if (r->write == WRITE_PUT)
                q = store_stage_put(m->store, k, &r->record);
        else if (r->write == WRITE_DELETE)
                q = store_stage_delete(m->store, k);
        if (q < 0) {
                link_count(l, STAT_STORE_ERRORS);
                log_warning_errno(q, "%s: cannot stage a store change: %m", l->ifname);
        } else if (notify)
                bus_notify(m->bus, k, cur, r->write == WRITE_PUT ? &r->record : NULL, "invalidated");

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
static int manager_lookup(Manager *m, Link *l, const struct neigh_key *k, struct record *rec, const struct record **cur) {
        int r = store_get(m->store, k, rec);

        if (r == -ENOENT) {
                *cur = NULL;
                return 0;
        }
        if (r < 0) {
                char a[IN_ADDR_STRLEN];
                link_count(l, STAT_STORE_ERRORS);
                log_warning_errno(r, "%s: the stored record for %s cannot be read (%m); leaving it alone.", l->ifname,
                                  in_addr_to_string(k->family, &k->addr, a));
                return r;
        }
        *cur = rec;
        return 0;
}

/* A binding seen on the wire, from either family's parser: look it up, decide, apply. */
static void manager_observe(Manager *m, Link *l, const struct observation *o) {
        struct neigh_key k;
        struct record rec;
        const struct record *cur;
        struct resolver_result res;
        struct link_view v;

        if (neigh_key_make(&k, l->ifname, o->family, &o->addr) < 0)
                return;
        if (manager_lookup(m, l, &k, &rec, &cur) < 0)
                return;
        v = link_view(l);
        resolver_observe(&m->rcfg, &v, o, cur, now_usec(CLOCK_REALTIME), &res);
        manager_apply(m, l, &k, cur, &res);
}

void manager_handle_arp(Manager *m, Link *l, const void *frame, size_t len) {
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
        manager_observe(m, l, &o);
}

void manager_handle_ndp(Manager *m, Link *l, const void *frame, size_t len) {
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
        manager_observe(m, l, &o);
}

static void manager_tx_flush(Manager *m) {
        if (m->tx_len == 0)
                return;
        if (mnl_socket_sendto(m->nl_cmd, m->tx, m->tx_len) < 0) {
                int r = -errno;
                log_warning_errno(r, "Sending %u answers to the kernel failed: %m", m->tx_count);
        }
        m->tx_len = 0;
        m->tx_count = 0;
}

static void manager_queue_answer(Manager *m, Link *l, int family, const union in_addr_union *dst,
                                 const struct lladdr *lladdr) {
        int r;

        for (int attempt = 0; attempt < 2; attempt++) {
                r = nl_build_neigh_answer(m->tx + m->tx_len, TX_SIZE - m->tx_len, ++m->seq, l->ifindex, family, dst,
                                          lladdr, false);
                if (r >= 0) {
                        m->tx_len += (size_t) r;
                        m->tx_count++;
                        return;
                }
                manager_tx_flush(m);
        }
        log_warning_errno(r, "%s: cannot build an answer: %m", l->ifname);
}

static void manager_handle_miss(Manager *m, Link *l, const struct nl_neigh *n, bool from_dump) {
        struct resolver_config cfg = m->rcfg;
        struct neigh_key k;
        struct record rec;
        const struct record *cur;
        struct resolver_result res;
        struct miss miss = {
                .family = n->family,
                .addr = n->dst,
                .state = n->state,
                .has_probes = n->has_probes,
                .probes = n->probes,
        };

        if (neigh_key_make(&k, l->ifname, n->family, &n->dst) < 0) {
                link_count(l, STAT_REQ_BAD);
                return;
        }
        if (manager_lookup(m, l, &k, &rec, &cur) < 0)
                return;
        /* An INCOMPLETE entry met in a re-dump is answered if we know it, never probed: the kernel
         * is resolving it itself. */
        if (from_dump)
                cfg.active_probes = 0;
        resolver_miss(&cfg, &miss, cur, now_usec(CLOCK_REALTIME), now_usec(CLOCK_MONOTONIC), &l->probe_bucket, &res);
        if (res.reply == REPLY_ANSWER)
                manager_queue_answer(m, l, n->family, &n->dst, &res.answer_lladdr);
        if (res.probe) {
                /* A verification probe goes to the MAC we hold, as the kernel's unicast probe would;
                 * IPv6 probes are Neighbor Solicitations through the same token bucket. */
                const struct lladdr *dst = n->state == NUD_PROBE ? &res.answer_lladdr : NULL;
                int r = n->family == AF_INET6 ? link_send_ndp_probe(l, &n->dst.in6, dst)
                                              : link_send_probe(l, n->dst.in, dst);
                if (r < 0)
                        log_debug_errno(r, "%s: sending a probe failed: %m", l->ifname);
        }
        manager_apply(m, l, &k, cur, &res);
}

static void manager_handle_neigh(Manager *m, const struct nlmsghdr *nlh, enum neigh_origin origin) {
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
                manager_handle_miss(m, l, &n, false);
                return;
        }
        if (origin == NEIGH_ORIGIN_EVENT && m->resyncing)
                return; /* stale: the re-dump after the overrun brings the current state */
        if (origin == NEIGH_ORIGIN_DUMP && n.state == NUD_INCOMPLETE) {
                manager_handle_miss(m, l, &n, true);
                return;
        }
        struct neigh_event ev = {
                .deleted = n.type == RTM_DELNEIGH,
                .origin = origin,
                .nlmsg_pid = n.nlmsg_pid,
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
        if (manager_lookup(m, l, &k, &rec, &cur) < 0)
                return;
        resolver_kernel_event(&m->rcfg, &ev, cur, now_usec(CLOCK_REALTIME), &res);
        manager_apply(m, l, &k, cur, &res);
}

static void manager_process_nlmsg(Manager *m, const struct nlmsghdr *nlh, enum neigh_origin origin) {
        switch (nlh->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK: {
                struct nl_link nl;
                if (nl_parse_link(nlh, &nl) == 0)
                        manager_link_update(m, &nl);
                break;
        }
        case RTM_NEWADDR:
        case RTM_DELADDR: {
                struct nl_addr a;
                if (nl_parse_addr(nlh, &a) == 0)
                        manager_addr_update(m, &a);
                break;
        }
        case RTM_NEWNEIGH:
        case RTM_DELNEIGH:
        case RTM_GETNEIGH:
                manager_handle_neigh(m, nlh, origin);
                break;
        case NLMSG_ERROR: {
                const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
                if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error != 0)
                        /* Kernel races are normal: the entry may have gone meanwhile. */
                        log_debug_errno(e->error, "The kernel refused a message (seq %u): %m", nlh->nlmsg_seq);
                break;
        }
        default:
                break;
        }
}

/* Walks the messages of one datagram. */
static void manager_process_buffer(Manager *m, const void *buf, size_t len, enum neigh_origin origin) {
        const struct nlmsghdr *nlh = buf;
        int remaining = (int) MIN(len, (size_t) INT32_MAX);

        for (; nl_msg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining))
                manager_process_nlmsg(m, nlh, origin);
}

/* ---- dumps -------------------------------------------------------------------------------- */

static int manager_send_dump(Manager *m, uint16_t type, uint32_t *ret_seq) {
        uint8_t buf[256];
        int r;

        *ret_seq = ++m->seq;
        r = nl_build_dump(buf, sizeof(buf), type, AF_UNSPEC, *ret_seq);
        if (r < 0)
                return r;
        if (mnl_socket_sendto(m->nl_cmd, buf, (size_t) r) < 0)
                return -errno;
        return 0;
}

/* Initial state, before the loop runs: send a dump and process replies until NLMSG_DONE. */
static int manager_dump_sync(Manager *m, uint16_t type) {
        _cleanup_free_ uint8_t *buf = malloc(NL_CMD_BUFSIZE);
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + DUMP_TIMEOUT_USEC;
        uint32_t seq;
        int r;

        if (!buf)
                return -ENOMEM;
        r = manager_send_dump(m, type, &seq);
        if (r < 0)
                return r;
        for (;;) {
                struct pollfd p = { .fd = mnl_socket_get_fd(m->nl_cmd), .events = POLLIN };
                usec_t now = now_usec(CLOCK_MONOTONIC);
                ssize_t n;

                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int) ((deadline - now) / USEC_PER_MSEC) + 1);
                if (r < 0 && errno != EINTR)
                        return -errno;
                n = mnl_socket_recvfrom(m->nl_cmd, buf, NL_CMD_BUFSIZE);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                continue;
                        return -errno;
                }
                const struct nlmsghdr *nlh = (const struct nlmsghdr *) buf;
                int remaining = (int) n;
                for (; nl_msg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
                        if (nlh->nlmsg_seq != seq) {
                                manager_process_nlmsg(m, nlh, NEIGH_ORIGIN_EVENT);
                                continue;
                        }
                        if (nlh->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (nlh->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
                                return e->error < 0 ? e->error : -EIO;
                        }
                        manager_process_nlmsg(m, nlh, NEIGH_ORIGIN_DUMP);
                }
        }
}

static void manager_start_next_dump(Manager *m) {
        static const struct {
                unsigned bit;
                uint16_t type;
        } order[] = { { DUMP_NEIGH, RTM_GETNEIGH }, { DUMP_LINK, RTM_GETLINK }, { DUMP_ADDR, RTM_GETADDR } };

        if (m->dump_seq != 0)
                return;
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                if (!(m->pending_dumps & order[i].bit))
                        continue;
                m->pending_dumps &= ~order[i].bit;
                int r = manager_send_dump(m, order[i].type, &m->dump_seq);
                if (r < 0) {
                        m->dump_seq = 0;
                        log_warning_errno(r, "Cannot request a kernel dump: %m");
                        continue;
                }
                return;
        }
}

/* The kernel reports ENOBUFS as soon as it drops an event, while older events are still queued.
 * Those must not be applied after the re-dump (they would overwrite its newer state), so after an
 * event-socket overrun the queue is drained first, answering misses but skipping neighbour state
 * ("resyncing"), and the dumps start once it is empty. */
static void manager_request_redump(Manager *m, bool events_lost) {
        m->global.v[STAT_NETLINK_OVERRUNS]++;
        log_warning("Kernel neighbour events were lost (netlink receive buffer overrun); re-reading the kernel's tables.");
        m->pending_dumps |= DUMP_NEIGH | DUMP_LINK | DUMP_ADDR;
        if (events_lost)
                m->resyncing = true;
        else
                manager_start_next_dump(m);
}

static int on_nl_cmd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        static uint8_t buf[NL_CMD_BUFSIZE];
        Manager *m = userdata;

        for (unsigned round = 0; round < NL_DRAIN_ROUNDS; round++) {
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == ENOBUFS) {
                                /* dump replies lost: start over */
                                m->dump_seq = 0;
                                manager_request_redump(m, false);
                                continue;
                        }
                        if (errno != EAGAIN && errno != EINTR)
                                log_warning_errno(-errno, "Reading the netlink command socket failed: %m");
                        break;
                }
                (void) store_refresh(m->store);
                const struct nlmsghdr *nlh = (const struct nlmsghdr *) buf;
                int remaining = (int) n;
                for (; nl_msg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
                        if (m->dump_seq != 0 && nlh->nlmsg_seq == m->dump_seq) {
                                if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
                                        m->dump_seq = 0;
                                        manager_start_next_dump(m);
                                        continue;
                                }
                                manager_process_nlmsg(m, nlh, NEIGH_ORIGIN_DUMP);
                        } else
                                manager_process_nlmsg(m, nlh, NEIGH_ORIGIN_EVENT);
                }
                manager_tx_flush(m);
        }
        manager_schedule_commit(m);
        return 0;
}

static int on_nl_events(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        static uint8_t bufs[NL_RX_BATCH][NL_RX_BUFSIZE];
        static struct sockaddr_nl names[NL_RX_BATCH];
        static struct iovec iov[NL_RX_BATCH];
        static struct mmsghdr msgs[NL_RX_BATCH];
        Manager *m = userdata;
        bool drained = false;

        for (unsigned round = 0; round < NL_DRAIN_ROUNDS; round++) {
                for (unsigned i = 0; i < NL_RX_BATCH; i++) {
                        iov[i] = (struct iovec){ bufs[i], NL_RX_BUFSIZE };
                        msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &names[i], .msg_namelen = sizeof(names[i]),
                                                                 .msg_iov = &iov[i], .msg_iovlen = 1 } };
                }
                int n = recvmmsg(fd, msgs, NL_RX_BATCH, MSG_DONTWAIT, NULL);
                if (n < 0) {
                        if (errno == ENOBUFS) {
                                manager_request_redump(m, true);
                                continue;
                        }
                        if (errno == EAGAIN)
                                drained = true;
                        else if (errno != EINTR)
                                log_warning_errno(-errno, "Reading kernel neighbour events failed: %m");
                        break;
                }
                (void) store_refresh(m->store);
                for (int i = 0; i < n; i++) {
                        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
                                m->global.v[STAT_KERNEL_SKIPPED]++;
                                continue;
                        }
                        /* Only the kernel speaks on these groups; anything else is forged. */
                        if (msgs[i].msg_hdr.msg_namelen < sizeof(struct sockaddr_nl) || names[i].nl_pid != 0) {
                                m->global.v[STAT_REQ_BAD]++;
                                log_debug("Ignoring a netlink message from port %u (not the kernel).", names[i].nl_pid);
                                continue;
                        }
                        manager_process_buffer(m, bufs[i], msgs[i].msg_len, NEIGH_ORIGIN_EVENT);
                }
                manager_tx_flush(m);
                if (n < NL_RX_BATCH) {
                        drained = true;
                        break;
                }
        }
        if (m->resyncing && drained) {
                m->resyncing = false;
                manager_start_next_dump(m);
        }
        manager_schedule_commit(m);
        return 0;
}

/* ---- status, stats, signals, timers ----------------------------------------------------------- */

static void manager_sum(Manager *m, struct stats *total) {
        *total = m->global;
        for (size_t i = 0; i < m->n_links; i++)
                for (unsigned j = 0; j < _STAT_MAX; j++)
                        total->v[j] += m->links[i]->stats.v[j];
}

static void manager_update_status(Manager *m) {
        struct stats t;
        char status[256];
        size_t entries = 0;

        manager_sum(m, &t);
        (void) store_count(m->store, &entries);
        snprintf(status, sizeof(status),
                 "%zu interface%s; misses: %llu answered, %llu suppressed, %llu probes; learned %llu, changed %llu; %zu entries",
                 m->n_links, m->n_links == 1 ? "" : "s", (unsigned long long) t.v[STAT_REQ_ANSWERED],
                 (unsigned long long) t.v[STAT_REQ_SUPPRESSED], (unsigned long long) t.v[STAT_PROBES_SENT],
                 (unsigned long long) (t.v[STAT_ARP_NEW] + t.v[STAT_NDP_NEW] + t.v[STAT_KERNEL_NEW]),
                 (unsigned long long) (t.v[STAT_ARP_CHANGED] + t.v[STAT_NDP_CHANGED] + t.v[STAT_KERNEL_CHANGED]),
                 entries);
        if (strcmp(status, m->last_status) == 0)
                return;
        strcpy(m->last_status, status);
        (void) sd_notifyf(false, "STATUS=%s", status);
}

static void log_stats_one(const char *ifname, const struct stats *st, size_t entries) {
        char fields[_STAT_MAX + 2][64];
        const char *ptrs[_STAT_MAX + 2];
        char msg[512];
        size_t n = 0;

        snprintf(fields[n], sizeof(fields[n]), "INTERFACE=%s", ifname);
        ptrs[n] = fields[n];
        n++;
        snprintf(fields[n], sizeof(fields[n]), "STORE_ENTRIES=%zu", entries);
        ptrs[n] = fields[n];
        n++;
        for (unsigned i = 0; i < _STAT_MAX; i++, n++) {
                char name[48];
                const char *s = stat_name(i);
                size_t j;
                for (j = 0; s[j] && j < sizeof(name) - 1; j++)
                        name[j] = (char) toupper((unsigned char) s[j]);
                name[j] = '\0';
                snprintf(fields[n], sizeof(fields[n]), "%s=%llu", name, (unsigned long long) st->v[i]);
                ptrs[n] = fields[n];
        }
        snprintf(msg, sizeof(msg),
                 "Statistics for %s: %llu of %llu misses answered, %llu suppressed, %llu probes sent (%llu rate-limited); "
                 "learned %llu from ARP, %llu from NDP, %llu from the kernel; %llu MAC changes; %llu frames rejected",
                 ifname, (unsigned long long) st->v[STAT_REQ_ANSWERED], (unsigned long long) st->v[STAT_REQ_RECEIVED],
                 (unsigned long long) st->v[STAT_REQ_SUPPRESSED], (unsigned long long) st->v[STAT_PROBES_SENT],
                 (unsigned long long) st->v[STAT_PROBES_RATELIMITED], (unsigned long long) st->v[STAT_ARP_NEW],
                 (unsigned long long) st->v[STAT_NDP_NEW], (unsigned long long) st->v[STAT_KERNEL_NEW],
                 (unsigned long long) (st->v[STAT_ARP_CHANGED] + st->v[STAT_NDP_CHANGED] + st->v[STAT_KERNEL_CHANGED]),
                 (unsigned long long) (st->v[STAT_REJ_MALFORMED] + st->v[STAT_REJ_DAD_PROBE] + st->v[STAT_REJ_SENDER_MAC] +
                                       st->v[STAT_REJ_SENDER_IP] + st->v[STAT_REJ_OUT_OF_SUBNET] +
                                       st->v[STAT_REJ_NDP_MALFORMED]));
        log_event(LOG_INFO, ARPD_MESSAGE_STATS, msg, ptrs, n);
}

void manager_log_stats(Manager *m) {
        size_t entries = 0;

        (void) store_count(m->store, &entries);
        for (size_t i = 0; i < m->n_links; i++) {
                Link *l = m->links[i];
                uint64_t drops;
                if (l->arp_fd >= 0 && packet_socket_drops(l->arp_fd, &drops) == 0)
                        l->stats.v[STAT_PACKET_DROPS] += drops;
                if (l->ndp_fd >= 0 && packet_socket_drops(l->ndp_fd, &drops) == 0)
                        l->stats.v[STAT_PACKET_DROPS] += drops;
                log_stats_one(l->ifname, &l->stats, entries);
        }
        bool any = false;
        for (unsigned j = 0; j < _STAT_MAX; j++)
                any = any || m->global.v[j] != 0;
        if (any || m->n_links == 0)
                log_stats_one("*", &m->global, entries);
}

static int on_sysctl_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_links; i++)
                link_check_sysctl(m->links[i]);
        return 0;
}

void manager_schedule_sysctl_check(Manager *m) {
        int enabled = SD_EVENT_OFF;
        int r;

        if (!m->sysctl_timer) {
                r = sd_event_add_time_relative(m->event, &m->sysctl_timer, CLOCK_MONOTONIC,
                                               MANAGER_SYSCTL_CHECK_DELAY_USEC, USEC_PER_SEC / 10, on_sysctl_timer, m);
                if (r < 0) {
                        log_warning_errno(r, "Cannot schedule the sysctl check: %m");
                        return;
                }
                (void) sd_event_source_set_priority(m->sysctl_timer, SD_EVENT_PRIORITY_IDLE);
                return;
        }
        (void) sd_event_source_get_enabled(m->sysctl_timer, &enabled);
        if (enabled != SD_EVENT_OFF)
                return; /* already due soon: it checks every unchecked link */
        (void) sd_event_source_set_time_relative(m->sysctl_timer, MANAGER_SYSCTL_CHECK_DELAY_USEC);
        (void) sd_event_source_set_enabled(m->sysctl_timer, SD_EVENT_ONESHOT);
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        manager_update_status(m);
        (void) sd_event_source_set_time_relative(s, STATUS_INTERVAL_USEC);
        return 0;
}

static int on_sync_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) manager_commit(m);
        int r = store_sync(m->store);
        if (r < 0)
                log_warning_errno(r, "Syncing the store %s to disk failed: %m", store_path(m->store));
        (void) sd_event_source_set_time_relative(s, m->opts->sync_interval);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        int r;

        switch (si->ssi_signo) {
        case SIGTERM:
        case SIGINT:
                log_info("Received SIG%s, exiting.", si->ssi_signo == SIGTERM ? "TERM" : "INT");
                return sd_event_exit(m->event, 0);
        case SIGHUP:
                (void) manager_commit(m);
                r = store_sync(m->store);
                if (r < 0)
                        log_warning_errno(r, "Syncing the store failed: %m");
                else
                        log_info("Store %s synced to disk (SIGHUP).", store_path(m->store));
                return 0;
        case SIGUSR1:
                manager_log_stats(m);
                return 0;
        default:
                return 0;
        }
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

int manager_new(const struct arpd_options *opts, Manager **ret) {
        Manager *m;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        *m = (Manager){
                .opts = opts,
                .sniff_event_fd = -EBADF,
                .rcfg = {
                        .active_probes = opts->active_probes,
                        .negative_timeout = opts->negative_timeout,
                        .learn_bogons = opts->learn_bogons,
                        .touch_interval = 10 * USEC_PER_SEC,
                },
        };
        m->tx = malloc(TX_SIZE);
        if (!m->tx) {
                manager_free(m);
                return -ENOMEM;
        }
        r = sd_event_default(&m->event);
        if (r < 0) {
                manager_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_links; i++)
                link_free(m->links[i]);
        free(m->links);
        sd_event_source_disable_unref(m->nl_events_source);
        sd_event_source_disable_unref(m->nl_cmd_source);
        sd_event_source_disable_unref(m->commit_timer);
        sd_event_source_disable_unref(m->sync_timer);
        sd_event_source_disable_unref(m->status_timer);
        sd_event_source_disable_unref(m->sysctl_timer);
        if (m->sniff_thread_running) {
                (void) pthread_join(m->sniff_thread, NULL);
                for (size_t i = 0; i < m->n_sniff_jobs; i++)
                        link_sockets_close(&m->sniff_jobs[i].sockets);
        }
        free(m->sniff_jobs);
        sd_event_source_disable_unref(m->sniff_done);
        safe_close(m->sniff_event_fd);
        if (m->nl_events)
                mnl_socket_close(m->nl_events);
        if (m->nl_cmd)
                mnl_socket_close(m->nl_cmd);
        bus_free(m->bus);
        store_free(m->store);
        sd_event_unref(m->event);
        free(m->tx);
        free(m);
        return NULL;
}

/* The control endpoint; a socket another live arpd serves is not fatal: this one runs without. */
static int manager_start_bus(Manager *m) {
        _cleanup_free_ char *dflt = NULL;
        const char *path = m->opts->control_socket;
        int r;

        if (!path) {
                r = arpd_options_default_control_socket(m->opts, getenv("RUNTIME_DIRECTORY"), &dflt);
                if (r < 0)
                        return log_oom();
                path = dflt;
        }
        if (path[0] == '\0')
                return 0;
        r = bus_new(m, path, &m->bus);
        if (r < 0 && (r == -EADDRINUSE || dflt)) {
                /* Only an explicitly requested endpoint is worth failing the start for. */
                log_warning("Running without a control endpoint.");
                return 0;
        }
        return r;
}

int manager_start(Manager *m) {
        struct store_options so = {
                .max_entries = m->opts->max_entries,
                .negative_timeout = m->opts->negative_timeout,
        };
        int r;

        r = store_open(m->opts->db_path, &so, &m->store);
        if (r < 0)
                return r; /* store_open logged the path and what to do */

        r = nl_open_events(MANAGER_NL_RCVBUF, &m->nl_events);
        if (r < 0)
                return log_error_errno(r, "Cannot open the rtnetlink event socket: %m");
        r = nl_open_command(MANAGER_NL_RCVBUF, &m->nl_cmd);
        if (r < 0)
                return log_error_errno(r, "Cannot open the rtnetlink command socket: %m");

        const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                r = sd_event_add_signal(m->event, NULL, sigs[i] | SD_EVENT_SIGNAL_PROCMASK, on_signal, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot watch signal %d: %m", sigs[i]);
        }
        (void) signal(SIGPIPE, SIG_IGN);

        /* Initial state: links, then their addresses, then the neighbour table. */
        r = manager_dump_sync(m, RTM_GETLINK);
        if (r < 0)
                return log_error_errno(r, "Cannot read the kernel's interfaces: %m");
        r = manager_dump_sync(m, RTM_GETADDR);
        if (r < 0)
                return log_error_errno(r, "Cannot read the kernel's addresses: %m");
        for (size_t i = 0; i < m->opts->n_ifaces; i++) {
                bool found = false;
                for (size_t j = 0; j < m->n_links; j++)
                        found = found || strcmp(m->links[j]->ifname, m->opts->ifaces[i]) == 0;
                if (!found)
                        log_warning("%s: no such interface (yet); arpd will serve it when it appears.", m->opts->ifaces[i]);
        }
        r = manager_dump_sync(m, RTM_GETNEIGH);
        if (r < 0)
                return log_error_errno(r, "Cannot read the kernel's neighbour table: %m");
        manager_tx_flush(m);
        r = manager_commit(m);
        if (r < 0)
                return r;

        r = sd_event_add_io(m->event, &m->nl_events_source, mnl_socket_get_fd(m->nl_events), EPOLLIN, on_nl_events, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the event socket: %m");
        (void) sd_event_source_set_priority(m->nl_events_source, SD_EVENT_PRIORITY_IMPORTANT);
        r = sd_event_add_io(m->event, &m->nl_cmd_source, mnl_socket_get_fd(m->nl_cmd), EPOLLIN, on_nl_cmd, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the command socket: %m");
        (void) sd_event_source_set_priority(m->nl_cmd_source, SD_EVENT_PRIORITY_IMPORTANT);

        r = sd_event_add_time(m->event, &m->commit_timer, CLOCK_MONOTONIC, 0, 10 * USEC_PER_MSEC, on_commit_timer, m);
        if (r < 0)
                return log_error_errno(r, "Cannot add the commit timer: %m");
        /* Due commits go before more input, so storms cannot postpone them. */
        (void) sd_event_source_set_priority(m->commit_timer, SD_EVENT_PRIORITY_IMPORTANT - 10);
        (void) sd_event_source_set_enabled(m->commit_timer, SD_EVENT_OFF);
        if (m->opts->sync_interval > 0) {
                r = sd_event_add_time_relative(m->event, &m->sync_timer, CLOCK_MONOTONIC, m->opts->sync_interval,
                                               USEC_PER_SEC, on_sync_timer, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot add the sync timer: %m");
                (void) sd_event_source_set_enabled(m->sync_timer, SD_EVENT_ON);
        }
        r = sd_event_add_time_relative(m->event, &m->status_timer, CLOCK_MONOTONIC, STATUS_INTERVAL_USEC,
                                       USEC_PER_SEC / 2, on_status_timer, m);
        if (r < 0)
                return log_error_errno(r, "Cannot add the status timer: %m");
        (void) sd_event_source_set_enabled(m->status_timer, SD_EVENT_ON);
        (void) sd_event_source_set_priority(m->status_timer, SD_EVENT_PRIORITY_IDLE);

        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Cannot enable the watchdog: %m");

        size_t entries = 0;
        (void) store_count(m->store, &entries);
        r = manager_start_bus(m);
        if (r < 0)
                return r;
        r = manager_start_sniffing(m);
        if (r < 0)
                return r;
        m->ready = true;
        manager_update_status(m);
        (void) sd_notify(false, "READY=1");
        log_info("Ready: %zu interface%s, store %s with %zu entries.", m->n_links, m->n_links == 1 ? "" : "s",
                 store_path(m->store), entries);
        return 0;
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);

        (void) sd_notify(false, "STOPPING=1");
        (void) manager_commit(m);
        int q = store_sync(m->store);
        if (q < 0)
                log_warning_errno(q, "Syncing the store %s failed: %m", store_path(m->store));
        manager_log_stats(m);
        return r;
}
