/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "addr-util.h"

size_t family_addr_size(int family) {
        switch (family) {
        case AF_INET:
                return 4;
        case AF_INET6:
                return 16;
        default:
                return 0;
        }
}

int in_addr_from_string_family(const char *s, int family, union in_addr_union *ret) {
        union in_addr_union a = {};

        if (!s || family_addr_size(family) == 0)
                return -EINVAL;
        if (inet_pton(family, s, &a) != 1)
                return -EINVAL;
        *ret = a;
        return 0;
}

int in_addr_from_string(const char *s, int *family, union in_addr_union *ret) {
        if (in_addr_from_string_family(s, AF_INET, ret) == 0) {
                *family = AF_INET;
                return 0;
        }
        if (in_addr_from_string_family(s, AF_INET6, ret) == 0) {
                *family = AF_INET6;
                return 0;
        }
        return -EINVAL;
}

/* Dotted quad by hand: listings format a million of these, and inet_ntop() goes through the
 * printf machinery. Same text as inet_ntop(AF_INET, ...). */
static char *in4_format(const uint8_t b[static 4], char *p) {
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
        *p = '\0';
        return p;
}

const char *in_addr_to_string(int family, const union in_addr_union *a, char *buf) {
        if (family == AF_INET) {
                in4_format(a->bytes, buf);
                return buf;
        }
        if (family_addr_size(family) == 0 || !inet_ntop(family, a, buf, IN_ADDR_STRLEN))
                strcpy(buf, "?");
        return buf;
}

bool in_addr_equal(int family, const union in_addr_union *a, const union in_addr_union *b) {
        size_t n = family_addr_size(family);
        return n > 0 && memcmp(a, b, n) == 0;
}

int lladdr_from_string(const char *s, struct lladdr *ret) {
        struct lladdr l = {};

        if (!s || !*s)
                return -EINVAL;
        for (const char *p = s;;) {
                int hi = hex_digit(p[0]), lo;

                if (hi < 0 || l.len >= LLADDR_MAX)
                        return -EINVAL;
                lo = hex_digit(p[1]);
                if (lo >= 0) {
                        l.bytes[l.len++] = (uint8_t) (hi << 4 | lo);
                        p += 2;
                } else {
                        l.bytes[l.len++] = (uint8_t) hi;
                        p += 1;
                }
                if (*p == '\0')
                        break;
                if (*p != ':' || p[1] == '\0')
                        return -EINVAL;
                p++;
        }
        *ret = l;
        return 0;
}

const char *lladdr_to_string(const struct lladdr *l, char *buf) {
        static const char hex[] = "0123456789abcdef";
        char *p = buf;

        for (size_t i = 0; i < l->len && i < LLADDR_MAX; i++) {
                if (i > 0)
                        *p++ = ':';
                *p++ = hex[l->bytes[i] >> 4];
                *p++ = hex[l->bytes[i] & 15];
        }
        *p = '\0';
        return buf;
}

void lladdr_set(struct lladdr *l, const void *bytes, size_t len) {
        if (len > LLADDR_MAX)
                len = LLADDR_MAX;
        memset(l, 0, sizeof(*l));
        l->len = (uint8_t) len;
        if (len > 0)
                memcpy(l->bytes, bytes, len);
}

bool lladdr_equal(const struct lladdr *a, const struct lladdr *b) {
        return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

bool lladdr_is_zero(const struct lladdr *l) {
        for (size_t i = 0; i < l->len; i++)
                if (l->bytes[i] != 0)
                        return false;
        return true;
}

bool lladdr_is_broadcast(const struct lladdr *l) {
        if (l->len == 0)
                return false;
        for (size_t i = 0; i < l->len; i++)
                if (l->bytes[i] != 0xff)
                        return false;
        return true;
}

bool lladdr_is_multicast(const struct lladdr *l) {
        return l->len > 0 && (l->bytes[0] & 1);
}

bool in4_addr_is_bogus_sender(struct in_addr a) {
        uint32_t h = ntohl(a.s_addr);

        return (h >> 24) == 0 ||   /* 0.0.0.0/8: "this network" */
               (h >> 24) == 127 || /* loopback */
               (h >> 28) >= 14;    /* 224/4 multicast, 240/4 reserved, 255.255.255.255 */
}

bool in6_addr_is_bogus_sender(const struct in6_addr *a) {
        return IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_MULTICAST(a) ||
               IN6_IS_ADDR_V4MAPPED(a);
}

bool in_prefix_contains(const struct in_prefix *p, int family, const union in_addr_union *a) {
        size_t n = family_addr_size(family);
        unsigned bits = p->prefixlen, full, rest;

        if (p->family != family || n == 0 || bits > n * 8)
                return false;
        full = bits / 8;
        rest = bits % 8;
        if (memcmp(p->addr.bytes, a->bytes, full) != 0)
                return false;
        if (rest == 0)
                return true;
        uint8_t mask = (uint8_t) (0xff << (8 - rest));
        return (p->addr.bytes[full] & mask) == (a->bytes[full] & mask);
}

bool in4_prefix_is_broadcast(const struct in_prefix *p, struct in_addr a) {
        union in_addr_union u = { .in = a };

        if (p->family != AF_INET || p->prefixlen > 30 || !in_prefix_contains(p, AF_INET, &u))
                return false;
        uint32_t hostmask = p->prefixlen == 0 ? UINT32_MAX : (UINT32_MAX >> p->prefixlen);
        return (ntohl(a.s_addr) & hostmask) == hostmask;
}
