/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "progress.h"

void progress_begin(struct progress *p, const char *what) {
        const char *term = getenv("TERM");

        *p = (struct progress) {
                .enabled = isatty(STDERR_FILENO) == 1 && !(term && strcmp(term, "dumb") == 0),
                .what = what,
                .start = now_usec(CLOCK_MONOTONIC),
        };
        p->last = p->start;
}

/* v with thousands separators, as people read counts */
static const char *group(uint64_t v, char buf[32]) {
        char tmp[32];
        int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long) v), k = 0;

        for (int i = 0; i < n; i++) {
                if (i > 0 && (n - i) % 3 == 0)
                        buf[k++] = ',';
                buf[k++] = tmp[i];
        }
        buf[k] = '\0';
        return buf;
}

void progress_update(struct progress *p, uint64_t lines, uint64_t entries, uint64_t done_bytes, uint64_t total_bytes) {
        char a[32], b[32], c[32], pct[16] = "";
        usec_t now;

        if (!p->enabled)
                return;
        now = now_usec(CLOCK_MONOTONIC);
        if (now - p->last < PROGRESS_INTERVAL_USEC)
                return;
        p->last = now;
        uint64_t rate = now > p->start ? entries * USEC_PER_SEC / (now - p->start) : 0;
        if (total_bytes > 0)
                snprintf(pct, sizeof(pct), " %3u%%", (unsigned) (MIN(done_bytes, total_bytes) * 100 / total_bytes));
        /* \r and erase to the end of the line: the line is rewritten in place */
        fprintf(stderr, "\r\033[K%s:%s %s lines, %s entries (%s/s)", p->what, pct, group(lines, a), group(entries, b),
                group(rate, c));
        fflush(stderr);
        p->shown = true;
}

void progress_update_bytes(struct progress *p, uint64_t done_bytes, uint64_t total_bytes) {
        usec_t now;

        if (!p->enabled)
                return;
        now = now_usec(CLOCK_MONOTONIC);
        if (now - p->last < PROGRESS_INTERVAL_USEC)
                return;
        p->last = now;
        if (total_bytes == 0)
                fprintf(stderr, "\r\033[K%s...", p->what);
        else
                fprintf(stderr, "\r\033[K%s: %3u%%", p->what,
                        (unsigned) (MIN(done_bytes, total_bytes) * 100 / total_bytes));
        fflush(stderr);
        p->shown = true;
}

void progress_end(struct progress *p) {
        if (p->enabled && p->shown) {
                fputs("\r\033[K", stderr);
                fflush(stderr);
        }
        p->shown = false;
}
