/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Time in microseconds. CLOCK_MONOTONIC for timers and rate limits, CLOCK_REALTIME only for what
 * is stored or shown (first/last seen, negative-entry age).
 */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;
#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_SEC ((usec_t) 1000000ULL)

usec_t now_usec(clockid_t clock);

/* Parses a non-negative number of seconds, fractions allowed ("30", "0.5"), into usec.
 * -EINVAL for anything else (empty, sign, trailing garbage, NaN); -ERANGE if too large. */
int parse_seconds(const char *s, usec_t *ret);

/* "5s", "3min 2s", "2h 5min", "4d 3h": a short relative age, for listings. Returns buf. */
const char *format_age(usec_t age, char *buf, size_t size);
