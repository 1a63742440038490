/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the store holds about one neighbour, and how it is laid out on disk. This module is the
 * only owner of the encoding: the daemon, arpctl and the load-file code all go through it.
 *
 * Key (format 3; variable length, compared bytewise by LMDB, so a cursor walks interface id by
 * interface id, IPv4 before IPv6, addresses in numeric order):
 *     ifid       1, 2 or 4 bytes: the store's small number for the interface name (store.h,
 *                "Interface ids"), never the kernel's ifindex (ifindexes change). Order-keeping
 *                and prefix-free: 0x01..0x7f one byte; 0x80..0x3fff two bytes, the first
 *                10xxxxxx; up to 0x3fffffff four bytes, the first 11xxxxxx (big-endian, the top
 *                two bits replaced by the length mark). Id 0 is never used.
 *     family     1 byte, 4 = IPv4, 6 = IPv6
 *     address    4 or 16 bytes, network order
 * So an IPv4 key is 6 bytes for the first 127 interface names a store sees (format 1 and 2
 * keys were the 16-byte NUL-padded name, family and address: 21 or 33 bytes; they are still
 * read by neigh_key_decode_v1() for the upgrade). Every table keyed by neighbour uses
 * neigh_key_encode(), so it follows any change here.
 *
 * Value, version 2 (format 3 stores; little-endian, variable length, offsets in brackets):
 *     [0] u8 version (2)   [1] u8 state   [2] u8 source   [3] u8 flags   [4] u8 lladdr_len (0..32)
 *     [5] lladdr (lladdr_len bytes)
 *     then u64 first_seen, u64 last_seen (CLOCK_REALTIME usec, unrounded)
 *     then, only if flags has RECORD_VALUE_NEG (set when neg_since or probes is not 0):
 *          u64 neg_since (usec), u32 probes
 * flags: bit 0 RECORD_FLAG_ROUTER (the neighbour is a router: ip neigh's "router", NTF_ROUTER),
 * bit 7 RECORD_VALUE_NEG (encoding only); other bits are 0 when written and ignored when read.
 * An IPv4 positive with an Ethernet MAC is 27 bytes (v1: 68).
 *
 * Value, version 1 (format 1 and 2 stores; read, never written; RECORD_V1_SIZE = 68 bytes):
 *     [0] u8  version (1)      [1] u8  state        [2] u8 source     [3] u8 lladdr_len (0..32)
 *     [4] u8  lladdr[32]
 *     [36] u64 first_seen  [44] u64 last_seen   (CLOCK_REALTIME usec)
 *     [52] u64 neg_since   (CLOCK_REALTIME usec; start of the current negative window, 0 if none)
 *     [60] u32 probes      (probes we sent in the current negative window)
 *     [64] u32 reserved    (0)
 * A value whose version byte is not one we know is reported (-EPROTONOSUPPORT), never misread.
 * Decoding checks the version byte first, then the size (exactly what the version and its
 * lengths say), state, source and lladdr_len (<= 32): anything else inconsistent is -EBADMSG.
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

#define RECORD_VERSION 2
#define RECORD_V1_SIZE 68
#define RECORD_MAX_SIZE (5 + LLADDR_MAX + 8 + 8 + 8 + 4) /* version 2 */

enum {
        RECORD_FLAG_ROUTER = 1 << 0, /* NTF_ROUTER: the neighbour is a router */
        RECORD_FLAGS_KNOWN = RECORD_FLAG_ROUTER,
};

struct record {
        enum record_state state;
        enum record_source source;
        struct lladdr lladdr; /* may be empty for a negative entry */
        usec_t first_seen;
        usec_t last_seen;
        usec_t neg_since;
        uint32_t probes;
        unsigned flags; /* RECORD_FLAG_* */
};

/* The identity of a neighbour: interface name, family, address. */
struct neigh_key {
        char ifname[IFNAMSIZ];
        int family; /* AF_INET or AF_INET6 */
        union in_addr_union addr;
};

#define KEY_MAX_SIZE (4 + 1 + 16)          /* format 3 */
#define KEY_V1_MAX_SIZE (IFNAMSIZ + 1 + 16) /* formats 1 and 2 */
#define IFID_MAX 0x3fffffffu

/* "positive", "negative", "static" / "arp", "kernel", ... ; "unknown" for other values. */
const char *record_state_to_string(enum record_state s);
const char *record_source_to_string(enum record_source s);
int record_state_from_string(const char *s);   /* -EINVAL if unknown */
int record_source_from_string(const char *s);  /* -EINVAL if unknown */

/* Writes a version-2 value (at most RECORD_MAX_SIZE bytes) into buf. Returns bytes written or
 * -ENOBUFS, -EINVAL for a record that cannot be valid (bad state/source, lladdr too long). */
int record_encode(const struct record *r, void *buf, size_t size);
/* The version-1 value (RECORD_V1_SIZE bytes; flags are lost): what format 1 and 2 stores hold.
 * Only for making such stores in tests. */
int record_encode_v1(const struct record *r, void *buf, size_t size);
/* Reads version 1 and 2. 0, -EPROTONOSUPPORT (unknown version: a newer arpd wrote it), -EBADMSG
 * (short/inconsistent). */
int record_decode(const void *buf, size_t size, struct record *ret);

/* Fills k; -EINVAL for an empty or too long ifname or an unknown family. */
int neigh_key_make(struct neigh_key *k, const char *ifname, int family, const union in_addr_union *a);
/* The format-3 key of k's family and address under interface id ifid (1..IFID_MAX; k->ifname is
 * not used: the store maps names to ids). Returns the length (6..21) or -EINVAL. */
int neigh_key_encode(const struct neigh_key *k, uint32_t ifid, void *buf, size_t size);
/* Fills family and address of ret (its ifname empty) and *ret_ifid. 0 or -EBADMSG. */
int neigh_key_decode(const void *buf, size_t size, uint32_t *ret_ifid, struct neigh_key *ret);
/* The interface id prefix alone (a key range's start). Returns its length (1, 2 or 4) or -EINVAL;
 * buf holds at least 4 bytes. */
int ifid_encode(uint32_t ifid, uint8_t *buf);
/* Reads an id prefix: its length (> 0) with *ret, or -EBADMSG. */
int ifid_decode(const uint8_t *buf, size_t size, uint32_t *ret);
/* Format 1 and 2 keys (16-byte name): 21 or 33 bytes, or -EINVAL / -EBADMSG. The store also uses
 * this encoding for keys in memory (the staged overlay). */
int neigh_key_encode_v1(const struct neigh_key *k, void *buf, size_t size);
int neigh_key_decode_v1(const void *buf, size_t size, struct neigh_key *ret);
bool neigh_key_equal(const struct neigh_key *a, const struct neigh_key *b);
