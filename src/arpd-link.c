/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arp-packet.h"
#include "arpd-link.h"
#include "arpd-manager.h"
#include "log.h"

/* MAC-change events: at most this many per interface in a burst, then this many per second. */
#define EVENT_LOG_BURST 50
#define EVENT_LOG_RATE 5.0

int link_new(Manager *m, int ifindex, const char *ifname, Link **ret) {
        Link *l;

        if (!ifname || strlen(ifname) >= IFNAMSIZ)
                return -EINVAL;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        *l = (Link){
                .manager = m,
                .ifindex = ifindex,
                .arp_fd = -EBADF,
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
        free(l);
        return NULL;
}

static int read_sysctl_int(const char *ifname, const char *name, int *ret) {
        char path[128];
        FILE *f;
        int v, r;

        snprintf(path, sizeof(path), "/proc/sys/net/ipv4/neigh/%s/%s", ifname, name);
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

/* arpd never writes /proc/sys: the units apply sysctl.d drop-ins. It only says what it sees. */
static void link_check_sysctl(Link *l) {
        const struct arpd_options *o = l->manager->opts;
        int app, mcast, ucast;

        if (read_sysctl_int(l->ifname, "app_solicit", &app) < 0 ||
            read_sysctl_int(l->ifname, "mcast_solicit", &mcast) < 0 ||
            read_sysctl_int(l->ifname, "ucast_solicit", &ucast) < 0) {
                log_warning("%s: cannot read net.ipv4.neigh.%s.* sysctls; not checking them.", l->ifname, l->ifname);
                return;
        }
        log_info("%s: app_solicit=%d mcast_solicit=%d ucast_solicit=%d", l->ifname, app, mcast, ucast);
        if (app == 0)
                log_warning("%s: net.ipv4.neigh.%s.app_solicit is 0: the kernel will never ask arpd about "
                            "unresolved neighbours, so arpd only learns. Set it to at least 1 (see arpd(8)).",
                            l->ifname, l->ifname);
        if (o->kernel_broadcast_off && mcast != 0)
                log_warning("%s: -k was given but net.ipv4.neigh.%s.mcast_solicit is %d: the kernel still "
                            "broadcasts its own ARP requests. Set it to 0 (see arpd(8)).",
                            l->ifname, l->ifname, mcast);
        if (o->kernel_broadcast_off && mcast == 0)
                log_info("%s: kernel broadcasts are off (mcast_solicit=0): arpd%s resolves unknown hosts.",
                         l->ifname, o->active_probes > 0 ? "'s probes" : " alone");
        if (mcast == 0 && o->active_probes == 0)
                log_warning("%s: mcast_solicit is 0 and arpd is passive (-a 0): addresses arpd has never seen "
                            "cannot be resolved at all. Use -a N or raise mcast_solicit.", l->ifname);
}

static int link_on_arp(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        static struct arp_rx_batch batch; /* single-threaded; too large for the stack */
        Link *l = userdata;
        Manager *m = l->manager;
        int n;

        /* Bounded drain: a few batches per wakeup, then let the loop serve others (misses first). */
        for (unsigned round = 0; round < 8; round++) {
                n = arp_socket_recv_batch(fd, &batch);
                if (n < 0) {
                        log_warning_errno(n, "%s: reading the packet socket failed: %m", l->ifname);
                        break;
                }
                if (n == 0)
                        break;
                (void) store_refresh(m->store);
                for (int i = 0; i < n; i++)
                        manager_handle_arp(m, l, batch.buf[i], batch.len[i]);
                if ((unsigned) n < ARP_RX_BATCH)
                        break;
        }
        manager_schedule_commit(m);
        return 0;
}

int link_start(Link *l) {
        Manager *m = l->manager;
        int r;

        if (l->arp_fd >= 0)
                return 0;
        if (l->type != ARPHRD_ETHER) {
                log_info("%s: not an Ethernet link (type %u): mirroring the kernel only, no ARP sniffing.",
                         l->ifname, l->type);
                return 0;
        }
        r = arp_socket_open(l->ifindex, MANAGER_ARP_RCVBUF);
        if (r < 0)
                return log_error_errno(r, "%s: cannot open an ARP packet socket: %m%s", l->ifname,
                                       r == -EPERM ? " (arpd needs CAP_NET_RAW)" : "");
        l->arp_fd = r;
        r = sd_event_add_io(m->event, &l->arp_source, l->arp_fd, EPOLLIN, link_on_arp, l);
        if (r < 0)
                return log_error_errno(r, "%s: cannot watch the packet socket: %m", l->ifname);
        (void) sd_event_source_set_priority(l->arp_source, SD_EVENT_PRIORITY_NORMAL);
        (void) sd_event_source_set_description(l->arp_source, l->ifname);
        link_check_sysctl(l);
        log_info("%s: serving (ifindex %d).", l->ifname, l->ifindex);
        return 0;
}

void link_stop(Link *l) {
        l->arp_source = sd_event_source_disable_unref(l->arp_source);
        l->arp_fd = safe_close(l->arp_fd);
}

int link_add_prefix(Link *l, const struct in_prefix *p) {
        for (size_t i = 0; i < l->n_prefixes; i++)
                if (l->prefixes[i].family == p->family && l->prefixes[i].prefixlen == p->prefixlen &&
                    in_addr_equal(p->family, &l->prefixes[i].addr, &p->addr))
                        return 1;
        if (l->n_prefixes >= LINK_MAX_PREFIXES)
                return -E2BIG;
        l->prefixes[l->n_prefixes++] = *p;
        return 0;
}

void link_remove_prefix(Link *l, const struct in_prefix *p) {
        for (size_t i = 0; i < l->n_prefixes; i++)
                if (l->prefixes[i].family == p->family && l->prefixes[i].prefixlen == p->prefixlen &&
                    in_addr_equal(p->family, &l->prefixes[i].addr, &p->addr)) {
                        l->prefixes[i] = l->prefixes[--l->n_prefixes];
                        return;
                }
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
        return arp_socket_send(l->arp_fd, l->ifindex, frame, (size_t) r);
}
