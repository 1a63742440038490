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

#include "addr-util.h"

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

/* An IPv4 address (4 bytes, network order) in dotted decimal (at most 15 characters). */
static inline char *put_in4(char *p, const uint8_t b[4]) {
        for (size_t i = 0; i < 4; i++) {
                unsigned v = b[i];

                if (i > 0)
                        *p++ = '.';
                if (v >= 100)
                        *p++ = (char) ('0' + v / 100);
                if (v >= 10)
                        *p++ = (char) ('0' + v / 10 % 10);
                *p++ = (char) ('0' + v % 10);
        }
        return p;
}

/* An address as in_addr_to_string() writes it (at most IN_ADDR_STRLEN - 1 characters). */
static inline char *put_in_addr(char *p, int family, const union in_addr_union *a) {
        if (family == AF_INET)
                return put_in4(p, a->bytes);
        in_addr_to_string(family, a, p);
        return p + strlen(p);
}

/* A link-layer address as lladdr_to_string() writes it (at most LLADDR_STRLEN - 1 characters). */
static inline char *put_lladdr(char *p, const struct lladdr *l) {
        static const char hex[] = "0123456789abcdef";

        for (size_t i = 0; i < l->len && i < LLADDR_MAX; i++) {
                if (i > 0)
                        *p++ = ':';
                *p++ = hex[l->bytes[i] >> 4];
                *p++ = hex[l->bytes[i] & 15];
        }
        return p;
}
