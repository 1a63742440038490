/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the control endpoint (arpd-control) and arpctl agree on about store entries: the filters of a
 * listing, the paging cursor, the D-Bus wire form of one entry and its JSON form. The record
 * itself stays record.h's; this module only names and matches it. Both the daemon (online
 * listings) and arpctl (offline --database listings) filter with entry_filter_match(), so the two
 * give the same answer for the same store.
 *
 * Wire form of one entry, D-Bus signature ENTRY_BUS_SIGNATURE "(ssssstttu)":
 *     interface, address, lladdr ("" if none), state, source,
 *     first_seen, last_seen, neg_since (CLOCK_REALTIME usec; neg_since 0 if none), probes
 *
 * Cursor: "IFNAME/ADDRESS" naming the last entry of a page (the next page starts strictly after
 * it); "" means "from the start" in a request and "no more" in a reply.
 */

#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "addr-util.h"
#include "record.h"

#define ENTRY_BUS_SIGNATURE "(ssssstttu)"
#define ENTRY_BUS_CONTENTS "ssssstttu"
#define ENTRY_CURSOR_MAX (IFNAMSIZ + 1 + IN_ADDR_STRLEN)

/* Bit per record state. */
#define ENTRY_STATE_BIT(s) (1U << (unsigned) (s))
#define ENTRY_STATES_LEARNED (ENTRY_STATE_BIT(RECORD_POSITIVE) | ENTRY_STATE_BIT(RECORD_NEGATIVE))
#define ENTRY_STATES_ALL (ENTRY_STATES_LEARNED | ENTRY_STATE_BIT(RECORD_STATIC))

struct entry_filter {
        char ifname[IFNAMSIZ]; /* "" = every interface */
        int family;            /* 0 = both, AF_INET, AF_INET6 */
        unsigned states;       /* ENTRY_STATE_BIT()s; 0 is taken as ENTRY_STATES_ALL */
        bool has_prefix;
        struct in_prefix prefix;
        bool has_lladdr;       /* only entries with exactly this link-layer address */
        struct lladdr lladdr;
};

/* "" / "any" / "all" -> ENTRY_STATES_ALL, "learned" -> positive and negative, "positive",
 * "negative", "static" -> that one. Returns the mask (> 0) or -EINVAL. */
int entry_states_from_string(const char *s);
/* The word of "ip neigh" for what a record tells the kernel: positive "STALE" (arpd answers misses
 * with NUD_STALE), negative "FAILED", static "PERMANENT" (kept until an operator removes it). */
const char *entry_state_to_nud(enum record_state s);
/* A state filter in the words of "ip neigh ... nud STATE" or of arpd: "stale" -> positive,
 * "failed" -> negative, "permanent" -> static, "all" -> every state (ip's words in any case),
 * and everything entry_states_from_string() accepts except "" (arpctl dump's "nud"). Returns the
 * mask (> 0) or -EINVAL. */
int entry_states_from_nud(const char *s);
/* 0, 4, 6 (as in the D-Bus API) -> 0, AF_INET, AF_INET6; -EINVAL otherwise. */
int entry_family_from_number(unsigned n);
/* "198.18.0.0/24", "2001:db8::/64" or a bare address (a host prefix). Host bits beyond the prefix
 * length are allowed and ignored. -EINVAL for anything else (bad address, length out of range,
 * blanks). */
int entry_prefix_from_string(const char *s, struct in_prefix *ret);

bool entry_filter_match(const struct entry_filter *f, const struct neigh_key *k, const struct record *r);

/* How a record changed, in the words of EntryChanged and "arpctl monitor": "new" (nothing was
 * stored), "changed" (state or lladdr differ), "invalidated" (it became negative), or
 * removed_kind when it was deleted (new NULL); NULL when there is nothing to tell (both NULL, or
 * neither state nor lladdr changed). */
const char *entry_change_kind(const struct record *old, const struct record *new, const char *removed_kind);

/* Writes the cursor for k into buf (ENTRY_CURSOR_MAX bytes); returns buf. */
const char *entry_cursor_format(const struct neigh_key *k, char *buf);
/* Parses a non-empty cursor; -EINVAL if malformed. */
int entry_cursor_parse(const char *s, struct neigh_key *ret);

/* One entry as a JSON object (no trailing newline). pretty: one field per line, the fields
 * indented by indent + 2 spaces, the closing brace by indent. The fields ip -j neigh also has
 * carry its names and types: dst, dev, lladdr (absent if none), state (an array of one
 * upper-case kernel word, entry_state_to_nud()), probes (a number). arpd's own: arpd_state
 * ("positive", "negative", "static"), family (4/6), source, and the times, every one in
 * microseconds since the epoch and named so: first_seen_usec, last_seen_usec, neg_since_usec
 * (negative entries only). */
/* vendor: a "vendor" field after lladdr (arpctl --vendor); NULL for none. */
void entry_format_json(FILE *f, const struct neigh_key *k, const struct record *r, bool pretty, unsigned indent,
                       const char *vendor);
/* A JSON string literal with escapes. */
void json_write_string(FILE *f, const char *s);

/* Packed form of one entry (ListEntriesPacked: an "ay" of whole records), ENTRY_PACKED_SIZE bytes,
 * integers little-endian:
 *     [0]  interface, 16 bytes NUL-padded     [16] u8 family (4 or 6)
 *     [17] u8 state (1 positive, 2 negative, 3 static)
 *     [18] u8 source (1 arp, 2 kernel, 3 load, 4 ndp, 5 control, 6 probe)
 *     [19] u8 lladdr length (0..32)          [20] address, 16 bytes (IPv4: 4, then zeros)
 *     [36] lladdr, 32 bytes (zeros past its length)
 *     [68] u64 first_seen  [76] u64 last_seen  [84] u64 neg_since  [92] u32 probes
 * One sd-bus array append per page instead of nine fields per entry. */
#define ENTRY_PACKED_SIZE 96
void entry_pack(const struct neigh_key *k, const struct record *r, uint8_t *buf);
/* 0, or -EBADMSG for a record that is not a valid entry. */
int entry_unpack(const uint8_t *buf, struct neigh_key *k, struct record *r);

/* Appends / reads one entry in its wire form. Reading validates every field (-EBADMSG for a
 * malformed entry, sd-bus's error otherwise); 0 from entry_bus_read means the array ended. */
int entry_bus_append(sd_bus_message *m, const struct neigh_key *k, const struct record *r);
int entry_bus_read(sd_bus_message *m, struct neigh_key *k, struct record *r);
