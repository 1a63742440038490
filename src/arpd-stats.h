/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The daemon's statistics as others see them: the per-interface counters (stats.h) summed, the
 * one-line STATUS= that systemctl status shows (refreshed every few seconds, only when it
 * changed), and one structured journal entry per interface (ARPD_MESSAGE_STATS: every counter as
 * a field) on SIGUSR1 and at exit. Read-only towards the store (it counts entries, never writes).
 */

#include "stats.h"

typedef struct Manager Manager;

/* The global counters plus every link's. */
void manager_stats_sum(Manager *m, struct stats *ret);
/* Reports STATUS= if it changed since the last call. */
void manager_update_status(Manager *m);
/* Writes every link's counters to the journal (one entry per interface, plus "*" for the global
 * counters when any is non-zero). */
void manager_log_stats(Manager *m);
