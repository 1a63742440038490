/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "arpd-catalog.h"
#include "arpd-manager.h"
#include "arpd-stats.h"
#include "log.h"

void manager_stats_sum(Manager *m, struct stats *ret) {
        *ret = m->global;
        for (size_t i = 0; i < m->n_links; i++)
                for (unsigned j = 0; j < _STAT_MAX; j++)
                        ret->v[j] += m->links[i]->stats.v[j];
}

void manager_update_status(Manager *m) {
        struct stats t;
        char status[256];
        size_t entries = 0;

        manager_stats_sum(m, &t);
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

/* info: the store's counts for a served interface, NULL for the "*" entry, which has conflicts. */
static void log_stats_one(const char *ifname, const struct stats *st, size_t entries,
                          const struct store_iface_info *info, uint64_t conflicts) {
        char fields[_STAT_MAX + 4][64];
        const char *ptrs[_STAT_MAX + 4];
        size_t n = 0;

        snprintf(fields[n], sizeof(fields[n]), "INTERFACE=%s", ifname);
        ptrs[n] = fields[n];
        n++;
        snprintf(fields[n], sizeof(fields[n]), "STORE_ENTRIES=%zu", entries);
        ptrs[n] = fields[n];
        n++;
        if (info) {
                snprintf(fields[n], sizeof(fields[n]), "STORE_IFACE_ENTRIES=%llu", (unsigned long long) info->entries);
                ptrs[n] = fields[n];
                n++;
                snprintf(fields[n], sizeof(fields[n]), "STORE_EVICTED=%llu", (unsigned long long) info->evicted);
                ptrs[n] = fields[n];
                n++;
        } else {
                snprintf(fields[n], sizeof(fields[n]), "STORE_CONFLICTS=%llu", (unsigned long long) conflicts);
                ptrs[n] = fields[n];
                n++;
        }
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
        log_eventf(NULL, LOG_INFO, ARPD_MESSAGE_STATS, ptrs, n,
                   "Statistics for %s: %llu of %llu misses answered, %llu suppressed, %llu probes sent (%llu rate-limited); "
                   "learned %llu from ARP, %llu from NDP, %llu from the kernel; %llu MAC changes; %llu frames rejected",
                   ifname, (unsigned long long) st->v[STAT_REQ_ANSWERED], (unsigned long long) st->v[STAT_REQ_RECEIVED],
                   (unsigned long long) st->v[STAT_REQ_SUPPRESSED], (unsigned long long) st->v[STAT_PROBES_SENT],
                   (unsigned long long) st->v[STAT_PROBES_RATELIMITED], (unsigned long long) st->v[STAT_ARP_NEW],
                   (unsigned long long) st->v[STAT_NDP_NEW], (unsigned long long) st->v[STAT_KERNEL_NEW],
                   (unsigned long long) (st->v[STAT_ARP_CHANGED] + st->v[STAT_NDP_CHANGED] + st->v[STAT_KERNEL_CHANGED]),
                   (unsigned long long) (st->v[STAT_REJ_MALFORMED] + st->v[STAT_REJ_DAD_PROBE] + st->v[STAT_REJ_SENDER_MAC] +
                                         st->v[STAT_REJ_SENDER_IP] + st->v[STAT_REJ_OUT_OF_SUBNET] +
                                         st->v[STAT_REJ_NDP_MALFORMED] + st->v[STAT_REJ_VLAN]));
}

void manager_log_stats(Manager *m) {
        size_t entries = 0;

        uint64_t conflicts = store_get_counters(m->store)->conflicts;

        (void) store_count(m->store, &entries);
        for (size_t i = 0; i < m->n_links; i++) {
                Link *l = m->links[i];
                struct store_iface_info info = {};

                link_collect_drops(l);
                (void) store_iface_info(m->store, l->ifname, &info);
                log_stats_one(l->ifname, &l->stats, entries, &info, 0);
        }
        bool any = conflicts > 0;
        for (unsigned j = 0; j < _STAT_MAX; j++)
                any = any || m->global.v[j] != 0;
        if (any || m->n_links == 0)
                log_stats_one("*", &m->global, entries, NULL, conflicts);
}
