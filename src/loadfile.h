/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The text format of the store: what "arpd -l" prints and "arpd -f" reads back, plus the other
 * formats -f accepts. One line per neighbour:
 *
 *     IFACE  ADDRESS  LLADDR            a learned (positive) entry
 *     IFACE  ADDRESS  LLADDR  static    a static entry
 *     IFACE  ADDRESS  FAILED: Ns ago    a negative entry, N seconds old
 *
 * Also accepted by the parser:
 *     IFINDEX  IPV4  MAC                the classic arpd's "-f" lines (ifindex resolved at load)
 *     ADDRESS dev IFACE lladdr MAC [router|proxy|extern_learn|offload|managed]... STATE
 *     ADDRESS dev IFACE FAILED|INCOMPLETE   (`ip neigh show` / `ip -6 neigh show` output)
 *   `ip neigh` states: PERMANENT -> static; REACHABLE, STALE, DELAY, PROBE, NOARP -> positive;
 *   FAILED -> negative; INCOMPLETE and NONE carry no information and are skipped.
 * '#' starts a comment; blank lines are skipped. Fields are separated by blanks.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>

#include "record.h"

struct load_entry {
        char ifname[IFNAMSIZ]; /* empty if the line named an ifindex */
        int ifindex;           /* > 0 only for classic "ifindex ip mac" lines */
        int family;
        union in_addr_union addr;
        enum record_state state;
        struct lladdr lladdr;  /* empty for negative entries */
        usec_t neg_age;        /* negative entries: age given in the line (0 if none) */
};

/* Parses one line (without or with its trailing newline). Returns 1 and fills ret for an entry,
 * 0 for a line to skip, -EINVAL with *error set to a static reason ("bad MAC address 'zz'") for a
 * malformed line. Pure. */
int loadfile_parse_line(const char *line, struct load_entry *ret, const char **error);

/* Writes the -l line for one record (formats above; the age is now_rt - neg_since). */
void loadfile_format_line(FILE *f, const struct neigh_key *k, const struct record *r, usec_t now_rt);

/* Reads f (named name in messages) to the end and stores every entry in one transaction: a
 * malformed line, an unknown ifindex or a store error aborts the whole load, is logged as
 * "name:line: reason", and stores nothing. Entries are stored with source SOURCE_LOAD.
 * Returns the number of entries stored or a negative errno. */
struct Store;
int loadfile_load(struct Store *s, FILE *f, const char *name, usec_t now_rt);
