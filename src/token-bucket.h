/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A token bucket on CLOCK_MONOTONIC, the one rate limiter of arpd: probes per interface (-R / -B)
 * and the journal's event entries use it. Pure: the caller passes the time in.
 */

#include <stdbool.h>

#include "time-util.h"

/* Token bucket on CLOCK_MONOTONIC: at most burst + rate * T tokens are taken over any window T.
 * Starts full; refills only with elapsed time (never because a request was made or suppressed),
 * capped at burst; a take needs a whole token (up to 1e-9 of rounding). A clock that goes
 * backwards adds nothing. */
struct token_bucket {
        double rate;   /* tokens per second (> 0) */
        double burst;  /* bucket size (>= 1) */
        double tokens;
        usec_t last;   /* monotonic time of the last refill */
};
/* rate <= 0 (or NaN) gives a bucket that never refills; burst 0 is taken as 1. */
void token_bucket_init(struct token_bucket *b, double rate, unsigned burst, usec_t now_mono);
bool token_bucket_take(struct token_bucket *b, usec_t now_mono); /* true: a token was taken */
