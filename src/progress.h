/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A progress line for long bulk operations (arpd -f, arpctl load), on standard error and only
 * when standard error is a terminal: "Loading NAME: 120,000 lines, 118,000 entries (95,000/s)",
 * rewritten in place at most PROGRESS_INTERVAL_USEC apart and erased at the end, so what stays
 * on the terminal (and everything written when stderr is not a terminal) is the same as without
 * it. Cheap to call often: it looks at the clock, and writes only when the interval has passed.
 */

#include <stdbool.h>
#include <stdint.h>

#include "time-util.h"

#define PROGRESS_INTERVAL_USEC (250 * USEC_PER_MSEC)

struct progress {
        bool enabled;
        bool shown;       /* something is on the line now */
        const char *what; /* "Loading FILE" (not copied) */
        const char *what_checking, *what_loading; /* for callers with phases (not copied) */
        usec_t start, last;
};

/* enabled = stderr is a terminal (and TERM is not "dumb"). */
void progress_begin(struct progress *p, const char *what);
/* lines read and entries so far; total_bytes > 0 (and done_bytes) adds a percentage. */
void progress_update(struct progress *p, uint64_t lines, uint64_t entries, uint64_t done_bytes, uint64_t total_bytes);
/* For a phase measured in bytes only: "WHAT: NN%" ("WHAT..." with total_bytes 0). */
void progress_update_bytes(struct progress *p, uint64_t done_bytes, uint64_t total_bytes);
/* Erases the line. */
void progress_end(struct progress *p);
