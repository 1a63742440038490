/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Addresses: network-layer addresses of either family, link-layer addresses of any length up to
 * LLADDR_MAX, interface prefixes, and the classification rules that decide whether a sender
 * address is plausible. Pure functions, no I/O.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

union in_addr_union {
        struct in_addr in;
        struct in6_addr in6;
        uint8_t bytes[16];
};

/* Enough for "ffff:ffff:...:255.255.255.255" and the NUL. */
#define IN_ADDR_STRLEN 46

/* Link-layer address. Ethernet uses 6 bytes; the store allows any link up to 32. */
#define LLADDR_MAX 32
#define LLADDR_STRLEN (LLADDR_MAX * 3)
struct lladdr {
        uint8_t len;
        uint8_t bytes[LLADDR_MAX];
};

/* An interface address with its prefix length (from RTM_NEWADDR). */
struct in_prefix {
        int family;
        uint8_t prefixlen;
        union in_addr_union addr;
};

/* 4 for AF_INET, 16 for AF_INET6, 0 for anything else. */
size_t family_addr_size(int family);

/* Parses an IPv4 or IPv6 literal; sets *family. -EINVAL if it is neither. */
int in_addr_from_string(const char *s, int *family, union in_addr_union *ret);
/* Parses an address of the given family only. -EINVAL otherwise. */
int in_addr_from_string_family(const char *s, int family, union in_addr_union *ret);
/* Formats into buf (IN_ADDR_STRLEN bytes); returns buf. "?" for an unknown family. */
const char *in_addr_to_string(int family, const union in_addr_union *a, char *buf);
bool in_addr_equal(int family, const union in_addr_union *a, const union in_addr_union *b);

/* The value of one hexadecimal digit (either case), or -1. */
static inline int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Parses "aa:bb:cc:dd:ee:ff" (1..LLADDR_MAX octets of one or two hex digits, ':'-separated,
 * nothing else). -EINVAL on anything malformed. */
int lladdr_from_string(const char *s, struct lladdr *ret);
/* Formats as lowercase "aa:bb:..."; returns buf (LLADDR_STRLEN bytes). "" for len 0. */
const char *lladdr_to_string(const struct lladdr *l, char *buf);
void lladdr_set(struct lladdr *l, const void *bytes, size_t len); /* len is clamped to LLADDR_MAX */
bool lladdr_equal(const struct lladdr *a, const struct lladdr *b);
bool lladdr_is_zero(const struct lladdr *l);      /* all bytes zero (or len 0) */
bool lladdr_is_broadcast(const struct lladdr *l); /* all bytes 0xff */
bool lladdr_is_multicast(const struct lladdr *l); /* I/G bit of the first octet (broadcast included) */

/* True if the IPv4 address can never be a unicast host's own address: 0.0.0.0/8, 127.0.0.0/8,
 * 224.0.0.0/4 (multicast), 240.0.0.0/4 and 255.255.255.255. */
bool in4_addr_is_bogus_sender(struct in_addr a);
/* True for ::, ::1, ff00::/8 and IPv4-mapped addresses. */
bool in6_addr_is_bogus_sender(const struct in6_addr *a);

/* True if a lies inside p (same family, first prefixlen bits equal). */
bool in_prefix_contains(const struct in_prefix *p, int family, const union in_addr_union *a);
/* True if a is p's IPv4 subnet broadcast address (host bits all one, prefixlen <= 30). */
bool in4_prefix_is_broadcast(const struct in_prefix *p, struct in_addr a);
