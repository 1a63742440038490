/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the store holds about one neighbour, and how it is laid out on disk. This module is the
 * only owner of the encoding: the daemon, arpctl and the load-file code all go through it.
 *
 * Key (variable length, compared bytewise by LMDB, so a cursor walks interface by interface,
 * IPv4 before IPv6, addresses in numeric order):
 *     ifname    16 bytes, NUL-padded (IFNAMSIZ) -- the name, never the ifindex: ifindexes change
 *     family     1 byte, 4 = IPv4, 6 = IPv6
 *     address    4 or 16 bytes, network order
 *
 * Value, version 1 (little-endian, RECORD_V1_SIZE = 68 bytes; offsets in brackets):
 *     [0] u8  version (1)      [1] u8  state        [2] u8 source     [3] u8 lladdr_len (0..32)
 *     [4] u8  lladdr[32]
 *     [36] u64 first_seen  [44] u64 last_seen   (CLOCK_REALTIME usec)
 *     [52] u64 neg_since   (CLOCK_REALTIME usec; start of the current negative window, 0 if none)
 *     [60] u32 probes      (probes we sent in the current negative window)
 *     [64] u32 reserved    (0)
 * A value whose version byte is not one we know is reported (-EPROTONOSUPPORT), never misread.
 * Decoding checks the version byte first, then the size (exactly RECORD_V1_SIZE), state, source
 * and lladdr_len (<= 32): anything else inconsistent is -EBADMSG. The encoder writes lladdr bytes
 * past lladdr_len and the reserved word as 0; the decoder ignores them (and returns them as 0), so
 * a later revision may give them a meaning without a version bump.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-util.h"
#include "time-util.h"

enum record_state {
        RECORD_POSITIVE = 1, /* a MAC learned from the wire or the kernel */
        RECORD_NEGATIVE = 2, /* the address did not answer: suppress misses for a while */
        RECORD_STATIC = 3,   /* asserted by an operator (load file, control endpoint): never
                              * overwritten by learning, never invalidated, never evicted */
};

enum record_source {
        SOURCE_ARP = 1,     /* sniffed ARP frame */
        SOURCE_KERNEL = 2,  /* the kernel's neighbour table */
        SOURCE_LOAD = 3,    /* arpd -f */
        SOURCE_NDP = 4,     /* sniffed IPv6 neighbour discovery */
        SOURCE_CONTROL = 5, /* arpctl / D-Bus */
        SOURCE_PROBE = 6,   /* created by our own probe of an unknown address */
};

#define RECORD_VERSION 1
#define RECORD_V1_SIZE 68

struct record {
        enum record_state state;
        enum record_source source;
        struct lladdr lladdr; /* may be empty for a negative entry */
        usec_t first_seen;
        usec_t last_seen;
        usec_t neg_since;
        uint32_t probes;
};

/* The identity of a neighbour: interface name, family, address. */
struct neigh_key {
        char ifname[IFNAMSIZ];
        int family; /* AF_INET or AF_INET6 */
        union in_addr_union addr;
};

#define KEY_MAX_SIZE (IFNAMSIZ + 1 + 16)

/* "positive", "negative", "static" / "arp", "kernel", ... ; "unknown" for other values. */
const char *record_state_to_string(enum record_state s);
const char *record_source_to_string(enum record_source s);
int record_state_from_string(const char *s);   /* -EINVAL if unknown */
int record_source_from_string(const char *s);  /* -EINVAL if unknown */

/* Writes RECORD_V1_SIZE bytes into buf (size must be >= that). Returns bytes written or -ENOBUFS,
 * -EINVAL for a record that cannot be valid (bad state/source, lladdr too long). */
int record_encode(const struct record *r, void *buf, size_t size);
/* 0, -EPROTONOSUPPORT (unknown version: a newer arpd wrote it), -EBADMSG (short/inconsistent). */
int record_decode(const void *buf, size_t size, struct record *ret);

/* Fills k; -EINVAL for an empty or too long ifname or an unknown family. */
int neigh_key_make(struct neigh_key *k, const char *ifname, int family, const union in_addr_union *a);
/* Returns the encoded length (21 or 33) or -EINVAL. */
int neigh_key_encode(const struct neigh_key *k, void *buf, size_t size);
/* 0 or -EBADMSG. */
int neigh_key_decode(const void *buf, size_t size, struct neigh_key *ret);
bool neigh_key_equal(const struct neigh_key *a, const struct neigh_key *b);
