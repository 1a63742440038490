/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_addr.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "arp-packet.h"
#include "packet-socket.h"
#include "arpd-link.h"
#include "arpd-manager.h"
#include "arpd-neighbor.h"
#include "log.h"
#include "ndp-packet.h"

/* MAC-change events: at most this many per interface in a burst, then this many per second. */
#define EVENT_LOG_BURST 50
#define EVENT_LOG_RATE 5.0

int link_new(Manager *m, int ifindex, const char *ifname, Link **ret) {
        Link *l;

        assert(m);
        assert(ret);
        if (!ifname || strlen(ifname) >= IFNAMSIZ)
                return -EINVAL;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        *l = (Link){
                .manager = m,
                .ifindex = ifindex,
                .arp_fd = -EBADF,
                .ndp_fd = -EBADF,
        };
        memcpy(l->ifname, ifname, strlen(ifname) + 1);
        token_bucket_init(&l->probe_bucket, m->opts->rate, m->opts->burst, now_usec(CLOCK_MONOTONIC));
        token_bucket_init(&l->event_bucket, EVENT_LOG_RATE, EVENT_LOG_BURST, now_usec(CLOCK_MONOTONIC));
        *ret = l;
        return 0;
}

Link *link_free(Link *l) {
        if (!l)
                return NULL;
        link_stop(l);
        neighbor_station_summary(l, false); /* nothing folded goes unsaid, even at exit */
        sd_event_source_disable_unref(l->fold_timer);
        free(l);
        return NULL;
}

/* proto: "ipv4" or "ipv6"; dir: "neigh" or "conf". */
static int read_sysctl_int(const char *proto, const char *dir, const char *ifname, const char *name, int *ret) {
        char path[128];
        FILE *f;
        int v, r;

        snprintf(path, sizeof(path), "/proc/sys/net/%s/%s/%s/%s", proto, dir, ifname, name);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        r = fscanf(f, "%d", &v);
        fclose(f);
        if (r != 1)
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* arpd never writes /proc/sys: the units apply sysctl.d drop-ins. It only says what it sees.
 * proto is "ipv4" or "ipv6"; what names the kernel's own queries in messages. */
static void link_check_sysctl_family(Link *l, const char *proto, const char *what) {
        const struct arpd_options *o = l->manager->opts;
        int app, mcast, ucast, disabled;

        if (strcmp(proto, "ipv6") == 0 && read_sysctl_int(proto, "conf", l->ifname, "disable_ipv6", &disabled) == 0 &&
            disabled) {
                log_link_info(l, "IPv6 is disabled on this interface; not checking net.ipv6.neigh.%s.*.", l->ifname);
                return;
        }
        if (read_sysctl_int(proto, "neigh", l->ifname, "app_solicit", &app) < 0 ||
            read_sysctl_int(proto, "neigh", l->ifname, "mcast_solicit", &mcast) < 0 ||
            read_sysctl_int(proto, "neigh", l->ifname, "ucast_solicit", &ucast) < 0) {
                log_link_warning(l, "cannot read net.%s.neigh.%s.* sysctls; not checking them.", proto, l->ifname);
                return;
        }
        log_link_info(l, "%s app_solicit=%d mcast_solicit=%d ucast_solicit=%d", proto, app, mcast, ucast);
        if (app == 0)
                log_link_warning(l, "net.%s.neigh.%s.app_solicit is 0: the kernel will never ask arpd about "
                                 "unresolved neighbours, so arpd only learns. Set it to at least 1 (see arpd(8)).",
                                 proto, l->ifname);
        if (o->kernel_broadcast_off && mcast != 0)
                log_link_warning(l, "-k was given but net.%s.neigh.%s.mcast_solicit is %d: the kernel still "
                                 "sends its own %s. Set it to 0 (see arpd(8)).",
                                 proto, l->ifname, mcast, what);
        if (o->kernel_broadcast_off && mcast == 0)
                log_link_info(l, "kernel %s are off (net.%s.neigh.%s.mcast_solicit=0): %s.",
                         what, proto, l->ifname,
                         o->active_probes > 0 ? "arpd's probes resolve unknown hosts"
                                              : "only addresses in arpd's store can be resolved");
        if (mcast == 0 && o->active_probes == 0)
                log_link_warning(l, "net.%s.neigh.%s.mcast_solicit is 0 and arpd is passive (-a 0): addresses arpd "
                                 "has never seen cannot be resolved at all. Use -a N or raise mcast_solicit.",
                                 proto, l->ifname);
}

void link_check_sysctl(Link *l) {
        int family = l->manager->opts->family;

        if (l->sysctl_checked)
                return;
        l->sysctl_checked = true;

        if (family != AF_INET6)
                link_check_sysctl_family(l, "ipv4", "ARP broadcasts");
        if (family != AF_INET)
                link_check_sysctl_family(l, "ipv6", "neighbour solicitations");
}

/* VLAN isolation (packet-socket.h): true if f must not reach a parser. A tagged frame passed the
 * filter and is counted as received and rejected; one for another host is ignored. */
static bool link_frame_refused(Link *l, const struct packet_frame *f, enum stat_id received) {
        switch (packet_frame_check(f, l->hwaddr.len == ETH_ALEN ? l->hwaddr.bytes : NULL)) {
        case PACKET_FRAME_LEARN:
                return false;
        case PACKET_FRAME_VLAN:
                link_count(l, received);
                link_count(l, STAT_REJ_VLAN);
                return true;
        default:
                return true;
        }
}

static void link_on_arp_frame(const struct packet_frame *f, void *userdata) {
        Link *l = userdata;

        if (link_frame_refused(l, f, STAT_ARP_RECEIVED))
                return;
        neighbor_handle_arp(l->manager, l, f->data, f->len);
}

/* A pending socket error (ENETDOWN when the interface goes down, or is down when the socket is
 * bound) keeps EPOLLERR set until it is read: consume it, or the loop spins on it and starves
 * every lower-priority source (the control endpoint). The ring keeps working once it is back up. */
static void link_clear_socket_error(Link *l, int fd, uint32_t revents) {
        int error = 0;
        socklen_t len = sizeof(error);

        if (!(revents & EPOLLERR))
                return;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error != 0)
                (void) log_link_debug_errno(l, error, "Packet socket error: %m");
}

static int link_on_arp(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Link *l = userdata;
        Manager *m = l->manager;

        link_clear_socket_error(l, fd, revents);
        /* Bounded: a slice of frames per wakeup, then the loop serves others (misses first). */
        manager_input_begin(m);
        (void) packet_ring_drain_frames(&l->arp_ring, LINK_RING_FRAMES_PER_WAKEUP, link_on_arp_frame, l);
        manager_input_end(m);
        return 0;
}

static void link_on_ndp_frame(const struct packet_frame *f, void *userdata) {
        Link *l = userdata;

        if (link_frame_refused(l, f, STAT_NDP_RECEIVED))
                return;
        if (f->truncated) {
                /* larger than a ring block: the checksum cannot be verified */
                link_count(l, STAT_NDP_RECEIVED);
                link_count(l, STAT_REJ_NDP_MALFORMED);
                return;
        }
        neighbor_handle_ndp(l->manager, l, f->data, f->len);
}

static int link_on_ndp(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Link *l = userdata;
        Manager *m = l->manager;

        link_clear_socket_error(l, fd, revents);
        manager_input_begin(m);
        (void) packet_ring_drain_frames(&l->ndp_ring, LINK_RING_FRAMES_PER_WAKEUP, link_on_ndp_frame, l);
        manager_input_end(m);
        return 0;
}

/* Opens one family's packet socket with its receive ring. */
static int open_socket(int ifindex, uint16_t protocol, const struct sock_filter *filter, size_t filter_len,
                       bool allmulti, unsigned n_blocks, struct packet_ring *ring) {
        const struct packet_socket_params p = {
                .ifindex = ifindex,
                .protocol = protocol,
                .filter = filter,
                .filter_len = filter_len,
                .allmulti = allmulti,
        };
        const struct packet_ring_params rp = {
                .block_size = LINK_RING_BLOCK_SIZE,
                .n_blocks = n_blocks,
                .retire_ms = LINK_RING_RETIRE_MS,
        };

        return packet_socket_open(&p, &rp, ring);
}

void link_sockets_open(int ifindex, int family, struct link_sockets *ret) {
        size_t len;
        const struct sock_filter *filter;

        *ret = (struct link_sockets){ .arp_fd = -EBADF, .ndp_fd = -EBADF };
        if (family != AF_INET6) {
                filter = arp_filter_program(&len);
                ret->arp_fd = open_socket(ifindex, ETH_P_ARP, filter, len, false, LINK_RING_ARP_BLOCKS, &ret->arp_ring);
        }
        if (family != AF_INET) {
                /* Solicitations go to the target's solicited-node group, which a NIC drops unless
                 * some socket joined it: all multicast, for as long as this socket lives. */
                filter = ndp_filter_program(&len);
                ret->ndp_fd = open_socket(ifindex, ETH_P_IPV6, filter, len, true, LINK_RING_NDP_BLOCKS, &ret->ndp_ring);
        }
}

void link_sockets_close(struct link_sockets *s) {
        if (s->arp_fd >= 0)
                packet_ring_unmap(&s->arp_ring);
        if (s->ndp_fd >= 0)
                packet_ring_unmap(&s->ndp_ring);
        s->arp_fd = safe_close(s->arp_fd);
        s->ndp_fd = safe_close(s->ndp_fd);
}

static int link_watch(Link *l, int fd, sd_event_source **ret, sd_event_io_handler_t handler) {
        int r = sd_event_add_io(l->manager->event, ret, fd, EPOLLIN, handler, l);
        if (r < 0)
                return r;
        (void) sd_event_source_set_priority(*ret, SD_EVENT_PRIORITY_NORMAL);
        (void) sd_event_source_set_description(*ret, l->ifname);
        return 0;
}

static int attach_sockets(Link *l, struct link_sockets *s) {
        Manager *m = l->manager;
        int family = m->opts->family;
        int r;

        if (l->arp_fd >= 0 || l->ndp_fd >= 0) {
                link_sockets_close(s); /* already sniffing */
                return 0;
        }
        if (family != AF_INET6) {
                if (s->arp_fd < 0) {
                        r = s->arp_fd;
                        link_sockets_close(s);
                        return log_link_error_errno(l, r, "cannot open an ARP packet socket: %m%s",
                                                    r == -EPERM ? " (arpd needs CAP_NET_RAW)" : "");
                }
                l->arp_fd = TAKE_FD(s->arp_fd);
                l->arp_ring = s->arp_ring;
                r = link_watch(l, l->arp_fd, &l->arp_source, link_on_arp);
                if (r < 0) {
                        link_sockets_close(s);
                        return log_link_error_errno(l, r, "cannot watch the packet socket: %m");
                }
        }
        if (family != AF_INET) {
                if (s->ndp_fd < 0)
                        log_link_full_errno(l, family == AF_INET6 ? LOG_ERR : LOG_WARNING, s->ndp_fd,
                                            "cannot open an NDP packet socket (%m): serving IPv6 without sniffing "
                                            "neighbour discovery.");
                else {
                        l->ndp_fd = TAKE_FD(s->ndp_fd);
                        l->ndp_ring = s->ndp_ring;
                        r = link_watch(l, l->ndp_fd, &l->ndp_source, link_on_ndp);
                        if (r < 0)
                                log_link_warning_errno(l, r, "cannot watch the NDP packet socket: %m");
                }
        }
        link_sockets_close(s); /* whatever was not taken */
        manager_schedule_sysctl_check(m);
        log_link_info(l, "serving%s (ifindex %d).", family == AF_INET6 ? " IPv6" : "", l->ifindex);
        return 0;
}

int link_attach(Link *l, struct link_sockets *s) {
        int r = attach_sockets(l, s);

        /* The misses that came before the sockets get their probes now (or count as unsent). */
        neighbor_send_deferred_probes(l->manager, l);
        return r;
}

bool link_can_sniff(Link *l) {
        if (l->type == ARPHRD_ETHER)
                return true;
        /* said once: this is asked again on every RTM_NEWLINK */
        if (!l->not_ethernet_noted)
                log_link_info(l, "not an Ethernet link (type %u): mirroring the kernel only, no ARP/NDP sniffing.",
                              l->type);
        l->not_ethernet_noted = true;
        return false;
}

int link_start(Link *l) {
        struct link_sockets s;

        if (l->arp_fd >= 0 || l->ndp_fd >= 0 || !link_can_sniff(l))
                return 0;
        link_sockets_open(l->ifindex, l->manager->opts->family, &s);
        return link_attach(l, &s);
}

void link_stop(Link *l) {
        l->arp_source = sd_event_source_disable_unref(l->arp_source);
        l->arp_fd = safe_close(l->arp_fd);
        packet_ring_unmap(&l->arp_ring);
        l->ndp_source = sd_event_source_disable_unref(l->ndp_source);
        l->ndp_fd = safe_close(l->ndp_fd);
        packet_ring_unmap(&l->ndp_ring);
}

static bool prefix_equal(const struct in_prefix *a, const struct in_prefix *b) {
        return a->family == b->family && a->prefixlen == b->prefixlen && in_addr_equal(a->family, &a->addr, &b->addr);
}

int link_add_prefix(Link *l, const struct in_prefix *p) {
        for (size_t i = 0; i < l->n_prefixes; i++)
                if (prefix_equal(&l->prefixes[i], p)) {
                        l->prefix_seen[i] = true;
                        return 1;
                }
        if (l->n_prefixes >= LINK_MAX_PREFIXES)
                return -E2BIG;
        l->prefix_seen[l->n_prefixes] = true;
        l->prefixes[l->n_prefixes++] = *p;
        return 0;
}

static void remove_prefix_at(Link *l, size_t i) {
        l->n_prefixes--;
        l->prefixes[i] = l->prefixes[l->n_prefixes];
        l->prefix_seen[i] = l->prefix_seen[l->n_prefixes];
}

void link_remove_prefix(Link *l, const struct in_prefix *p) {
        for (size_t i = 0; i < l->n_prefixes; i++)
                if (prefix_equal(&l->prefixes[i], p)) {
                        remove_prefix_at(l, i);
                        return;
                }
}

int link_addr_update(Link *l, const struct nl_addr *a) {
        if (a->deleted || (a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))) {
                link_remove_prefix(l, &a->prefix);
                return 0;
        }
        return link_add_prefix(l, &a->prefix);
}

void link_unmark_prefixes(Link *l) {
        for (size_t i = 0; i < l->n_prefixes; i++)
                l->prefix_seen[i] = false;
}

void link_sweep_prefixes(Link *l) {
        for (size_t i = l->n_prefixes; i > 0; i--)
                if (!l->prefix_seen[i - 1]) {
                        char a[IN_ADDR_STRLEN];

                        log_link_info(l, "address %s/%u vanished while events were lost; dropped.",
                                      in_addr_to_string(l->prefixes[i - 1].family, &l->prefixes[i - 1].addr, a),
                                      l->prefixes[i - 1].prefixlen);
                        remove_prefix_at(l, i - 1);
                }
}

enum miss_probe link_probe_when(const Link *l, int family) {
        int fd = family == AF_INET6 ? l->ndp_fd : l->arp_fd;
        bool has_source = family != AF_INET6;

        if (l->hwaddr.len != 6)
                return MISS_PROBE_NEVER;
        for (size_t i = 0; i < l->n_prefixes && !has_source; i++)
                has_source = l->prefixes[i].family == AF_INET6;
        if (!has_source)
                return MISS_PROBE_NEVER; /* an NS needs a source address of ours */
        if (fd >= 0)
                return MISS_PROBE_NOW;
        /* The sockets of the links known at READY are opened by a thread (arpd-manager.c). */
        if (l->manager->sniff_thread_running && l->type == ARPHRD_ETHER)
                return MISS_PROBE_LATER;
        return MISS_PROBE_NEVER;
}

bool link_kernel_broadcasts(const Link *l, int family) {
        int mcast;

        if (read_sysctl_int(family == AF_INET6 ? "ipv6" : "ipv4", "neigh", l->ifname, "mcast_solicit", &mcast) < 0)
                return true; /* unknown: assume the kernel's own failure is evidence, as before */
        return mcast > 0;
}

static struct link_pending *pending_find(struct link_pending *p, size_t n, int family, const union in_addr_union *addr) {
        for (size_t i = 0; i < n; i++)
                if (p[i].family == family && in_addr_equal(family, &p[i].addr, addr))
                        return &p[i];
        return NULL;
}

usec_t link_verify_get(const Link *l, int family, const union in_addr_union *addr) {
        const struct link_pending *v = pending_find((struct link_pending *) l->verify, l->n_verify, family, addr);

        return v ? v->since : 0;
}

void link_verify_set(Link *l, int family, const union in_addr_union *addr, usec_t now_rt) {
        struct link_pending *v = pending_find(l->verify, l->n_verify, family, addr);

        if (!v) {
                if (l->n_verify >= LINK_MAX_VERIFY) {
                        size_t oldest = 0;

                        for (size_t i = 1; i < l->n_verify; i++)
                                if (l->verify[i].since < l->verify[oldest].since)
                                        oldest = i;
                        v = &l->verify[oldest];
                } else
                        v = &l->verify[l->n_verify++];
        }
        *v = (struct link_pending){ .family = family, .addr = *addr, .since = now_rt };
}

void link_verify_clear(Link *l, int family, const union in_addr_union *addr) {
        struct link_pending *v = pending_find(l->verify, l->n_verify, family, addr);

        if (v)
                *v = l->verify[--l->n_verify];
}

bool link_defer_probe(Link *l, int family, const union in_addr_union *addr, usec_t now_rt) {
        if (pending_find(l->deferred, l->n_deferred, family, addr))
                return true;
        if (l->n_deferred >= LINK_MAX_DEFERRED)
                return false;
        l->deferred[l->n_deferred++] = (struct link_pending){ .family = family, .addr = *addr, .since = now_rt };
        return true;
}

void link_collect_drops(Link *l) {
        uint64_t drops;

        if (l->arp_fd >= 0 && packet_socket_drops(l->arp_fd, &drops) == 0)
                l->stats.v[STAT_PACKET_DROPS] += drops;
        if (l->ndp_fd >= 0 && packet_socket_drops(l->ndp_fd, &drops) == 0)
                l->stats.v[STAT_PACKET_DROPS] += drops;
}

struct link_view link_view(const Link *l) {
        return (struct link_view){
                .ifname = l->ifname,
                .prefixes = l->prefixes,
                .n_prefixes = l->n_prefixes,
        };
}

int link_send_probe(Link *l, struct in_addr target, const struct lladdr *dst) {
        union in_addr_union t = { .in = target };
        struct in_addr src = {};
        bool found = false;
        uint8_t frame[ARP_FRAME_LEN];
        int r;

        if (l->arp_fd < 0 || l->hwaddr.len != 6)
                return -ENOTCONN;
        for (size_t i = 0; i < l->n_prefixes; i++) {
                if (l->prefixes[i].family != AF_INET)
                        continue;
                if (!found) {
                        src = l->prefixes[i].addr.in;
                        found = true;
                }
                if (in_prefix_contains(&l->prefixes[i], AF_INET, &t)) {
                        src = l->prefixes[i].addr.in;
                        break;
                }
        }
        r = arp_frame_build_request(frame, sizeof(frame), l->hwaddr.bytes, src, target,
                                    dst && dst->len == 6 ? dst->bytes : NULL);
        if (r < 0)
                return r;
        return packet_socket_send(l->arp_fd, l->ifindex, ETH_P_ARP, frame, (size_t) r);
}

int link_send_ndp_probe(Link *l, const struct in6_addr *target, const struct lladdr *dst) {
        union in_addr_union t = { .in6 = *target };
        const struct in6_addr *src = NULL, *in_prefix = NULL, *first = NULL;
        uint8_t frame[NDP_NS_PROBE_LEN];
        int r;

        if (l->ndp_fd < 0 || l->hwaddr.len != 6)
                return -ENOTCONN;
        for (size_t i = 0; i < l->n_prefixes; i++) {
                const struct in6_addr *a = &l->prefixes[i].addr.in6;

                if (l->prefixes[i].family != AF_INET6)
                        continue;
                if (!first)
                        first = a;
                if (IN6_IS_ADDR_LINKLOCAL(a) && !src)
                        src = a; /* RFC 4861 7.2.2 allows any of ours; link-local is always on-link */
                if (!in_prefix && in_prefix_contains(&l->prefixes[i], AF_INET6, &t))
                        in_prefix = a;
        }
        if (!src)
                src = in_prefix ? in_prefix : first;
        if (!src)
                return -EADDRNOTAVAIL;
        r = ndp_build_ns(frame, sizeof(frame), l->hwaddr.bytes, src, target,
                         dst && dst->len == 6 ? dst->bytes : NULL);
        if (r < 0)
                return r;
        return packet_socket_send(l->ndp_fd, l->ifindex, ETH_P_IPV6, frame, (size_t) r);
}
