/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "token-bucket.h"

#define TOKEN_EPSILON 1e-9

void token_bucket_init(struct token_bucket *b, double rate, unsigned burst, usec_t now_mono) {
        *b = (struct token_bucket) {
                .rate = rate > 0 ? rate : 0, /* also maps NaN to 0: never refills */
                .burst = burst > 0 ? burst : 1,
                .last = now_mono,
        };
        b->tokens = b->burst;
}

bool token_bucket_take(struct token_bucket *b, usec_t now_mono) {
        /* Refill only for time that really passed since the last refill. If the clock appears to
         * go backwards, neither add tokens nor move "last" back: moving it back would pay out the
         * same interval twice once time catches up again. */
        if (now_mono > b->last) {
                double t = b->tokens + (double) (now_mono - b->last) * b->rate / (double) USEC_PER_SEC;

                b->tokens = t < b->burst ? t : b->burst;
                b->last = now_mono;
        }

        /* Refills add up fractions of a token; allow for their rounding error so that one token
         * per 1/rate is really available after 1/rate. Cannot accumulate: a take never leaves
         * less than -TOKEN_EPSILON behind. */
        if (b->tokens < 1.0 - TOKEN_EPSILON)
                return false;
        b->tokens -= 1.0;
        return true;
}
