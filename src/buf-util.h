/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Appending to a line assembled by hand in a buffer the caller sized: listings of a million
 * entries spend most of their time in printf's format parsing, so the hot formatters (arpd -l,
 * arpctl's table and JSON) write their fields with these instead. Each returns the position after
 * what it wrote; nothing is NUL-terminated.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* s (n bytes), left-aligned in a field of width columns, as printf's "%-*s". */
static inline char *put_padded(char *p, const char *s, size_t n, size_t width) {
        memcpy(p, s, n);
        p += n;
        if (n < width) {
                memset(p, ' ', width - n);
                p += width - n;
        }
        return p;
}

/* v in decimal (at most 20 characters). */
static inline char *put_u64(char *p, uint64_t v) {
        char tmp[20];
        size_t n = 0;

        do {
                tmp[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        while (n > 0)
                *p++ = tmp[--n];
        return p;
}
