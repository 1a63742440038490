/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * "arpctl metrics": arpd's counters and store entry counts in the Prometheus text exposition
 * format (version 0.0.4), as node_exporter's textfile collector reads it. Collected first
 * (metrics_add_*), written at once (metrics_write), so each metric family is one block with
 * its HELP and TYPE lines, whatever order the daemons answered in.
 *
 *     arpd_<counter>_total{interface="IFACE"}         counter, one per GetStatistics counter
 *                                                     ("*": counters not tied to an interface);
 *                                                     the same series from several daemons add up
 *     arpd_store_entries{interface="IFACE",state="S"} gauge, entries in the store by state (every
 *                                                     state of an interface that has entries)
 *     arpd_daemon_up{socket="PATH"}                   gauge, 1 if an arpd answered there, else 0
 *
 * No timestamps (the textfile collector refuses them). Counter names are stats.h's, restricted to
 * [a-z0-9_] (upper case lowered, anything else '_'); label values are escaped as the format requires. Memory
 * grows with daemons x interfaces x counters, not with the store.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "record.h"

typedef struct Metrics Metrics;

Metrics *metrics_new(void);
Metrics *metrics_free(Metrics *m);

/* 0 or -ENOMEM. */
int metrics_add_counter(Metrics *m, const char *ifname, const char *name, uint64_t value);
int metrics_add_entries(Metrics *m, const char *ifname, enum record_state state, uint64_t count);
int metrics_add_daemon(Metrics *m, const char *socket, bool up);
/* Writes every family sorted by name, samples by label. */
void metrics_write(FILE *f, Metrics *m);
/* Writes to path atomically: a temporary file in path's directory (mode 0644), then rename(2).
 * 0 or a negative errno; the temporary file is removed on failure. */
int metrics_write_file(const char *path, Metrics *m);
