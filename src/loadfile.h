/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The text format of the store: what "arpd -l" prints and "arpd -f" reads back, plus the other
 * formats -f accepts. One line per neighbour:
 *
 *     IFACE  ADDRESS  LLADDR            a learned (positive) entry
 *     IFACE  ADDRESS  LLADDR  static    a static entry
 *   either with "router" after LLADDR for a neighbour that is a router (ip neigh's flag; the
 *   record's RECORD_FLAG_ROUTER): "IFACE ADDRESS LLADDR router [static]"
 *     IFACE  ADDRESS  FAILED: Ns ago    a negative entry, N seconds old
 *
 * Also accepted by the parser:
 *     IFINDEX  IPV4  MAC                the classic arpd's "-f" lines (ifindex resolved at load)
 *     IFINDEX  IPV4  FAILED: Nsec ago   the classic arpd's "-l" negative lines
 *     ADDRESS dev IFACE lladdr MAC [router|proxy|extern_learn|offload|managed]... STATE
 *     ADDRESS dev IFACE FAILED|INCOMPLETE   (`ip neigh show` / `ip -6 neigh show` output)
 *   `ip neigh` states: PERMANENT -> static; REACHABLE, STALE, DELAY, PROBE, NOARP -> positive;
 *   FAILED -> negative; INCOMPLETE and NONE carry no information and are skipped. Of the flags
 *   only "router" is kept (RECORD_FLAG_ROUTER; not for FAILED lines).
 * A field starting with '#' starts a comment that runs to the end of the line; blank lines are
 * skipped. Fields are separated by any run of blanks (spaces, tabs; a trailing CR is a blank too).
 *
 * Strictness: addresses must be valid literals of their family (classic lines: IPv4 only, MAC of
 * exactly 6 octets), link-layer addresses 1..32 hex octets and not all zero, interface names 1..15
 * characters without '/', ':' or control characters, ifindexes 1..2^31-1 in decimal, ages whole
 * seconds up to 100 years; an unknown word or a field too many rejects the line. A first field
 * of only digits is a classic ifindex, anything else an interface name (names the kernel allows,
 * "0eth" too). An interface whose name is only digits is written in the "ip neigh" form
 * ("ADDRESS dev 123 lladdr MAC STALE|PERMANENT", "ADDRESS dev 123 FAILED"), which reads back.
 * What may be stored (no multicast addresses, MAC lengths) is entry-ops.h's entry_load_check().
 */

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

#include "record.h"

struct load_entry {
        char ifname[IFNAMSIZ]; /* empty if the line named an ifindex */
        int ifindex;           /* > 0 only for classic "ifindex ip mac" lines */
        int family;
        union in_addr_union addr;
        enum record_state state;
        struct lladdr lladdr;  /* empty for negative entries */
        usec_t neg_age;        /* negative entries: age given in the line (0 if none) */
        unsigned flags;        /* RECORD_FLAG_ROUTER ("router"); 0 for negative entries */
};

/* Parses one line (without or with its trailing newline). Returns 1 and fills ret for an entry,
 * 0 for a line to skip, -EINVAL with *error set to a reason for a malformed line ("invalid MAC
 * address 'zz'", "unexpected field 'foo'": the offending field quoted, cut at 60 characters, control
 * characters shown as '?'). The reason is owned by the module and stays valid until the next call
 * in the same thread. Pure (no I/O, no allocation). ret and error may be NULL. */
int loadfile_parse_line(const char *line, struct load_entry *ret, const char **error);

/* Writes the -l line for one record (formats above; the age is now_rt - neg_since, 0 if neg_since is
 * 0 or in the future). Columns: "%-15s %-39s ..."; an all-digit interface name in the ip neigh
 * form. A record that has no loadable form (positive or static without lladdr, unknown state) is
 * written as a '#' comment line naming it. */
void loadfile_format_line(FILE *f, const struct neigh_key *k, const struct record *r, usec_t now_rt);
/* The same line into buf (not NUL-terminated); returns its length (< LOADFILE_FORMAT_MAX). For
 * listings that fill a large buffer of their own (arpd -l). */
#define LOADFILE_FORMAT_MAX 256
size_t loadfile_format_line_buf(char buf[static LOADFILE_FORMAT_MAX], const struct neigh_key *k, const struct record *r,
                                usec_t now_rt);

/* ---- reading a load file as a stream ----------------------------------------------------------
 *
 * A LoadReader reads a load file from a source in bounded pieces and returns its entries one by
 * one: its memory is one buffer (LOADFILE_BUFFER bytes) and the ifindex names it has resolved,
 * whatever the size of the input. A line may be at most LOADFILE_LINE_MAX bytes (newline
 * included); a longer one is an error. Classic ifindex lines get their interface's name
 * (if_indextoname), each ifindex resolved once per reader: every line of one ifindex gets the name
 * it had when first met. Errors name the place: "name:line: reason". */
#define LOADFILE_LINE_MAX (64U * 1024U)
#define LOADFILE_BUFFER (2U * LOADFILE_LINE_MAX)

/* The source: fills buf with up to n bytes; returns how many, 0 at the end of the input, or a
 * negative errno (-EAGAIN: nothing to read now, ask again later; anything else is a read error). */
typedef ssize_t (*loadfile_read_t)(void *userdata, void *buf, size_t n);

typedef struct LoadReader LoadReader;

/* name (copied) is used in messages. fn is the source, with its userdata. */
int load_reader_new(const char *name, loadfile_read_t fn, void *userdata, LoadReader **ret);
/* The source fd (not owned, not closed), read with read(2). A regular file can be rewound (to its
 * offset now): it is read with pread(2) until then, so the file offset moves only in the second
 * pass, and whoever shares the open file (arpctl, which passed it to arpd) can watch the writing. */
int load_reader_new_fd(const char *name, int fd, LoadReader **ret);
/* true if load_reader_rewind() works (a regular file). */
bool load_reader_can_rewind(const LoadReader *r);
/* Starts over at the beginning of the input: counts and lines from zero, the ifindex names kept
 * (a second pass gives every line the name the first one did). -ESPIPE if it cannot. */
int load_reader_rewind(LoadReader *r);
LoadReader *load_reader_free(LoadReader *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(LoadReader *, load_reader_free);

/* The next entry: 1 and *ret filled, 0 at the end of the input, -EAGAIN when the source has
 * nothing now (call again: nothing is lost), or an error (load_reader_error() says
 * "name:line: reason"): -EINVAL (malformed line, NUL byte, a line too long), -ENODEV (unknown
 * ifindex), a read error. After an error or the end every later call returns the same. */
int load_reader_next(LoadReader *r, struct load_entry *ret);
/* The line of the entry last returned (or of the error); lines read so far. */
unsigned long load_reader_line(const LoadReader *r);
/* Entries returned so far. */
uint64_t load_reader_entries(const LoadReader *r);
/* Bytes taken from the source so far. */
uint64_t load_reader_bytes(const LoadReader *r);
const char *load_reader_name(const LoadReader *r);
/* The message of the last error ("" if none). */
const char *load_reader_error(const LoadReader *r);

/* ---- a whole file at once ------------------------------------------------------------------- */

/* The entries of one load file, in file order, with the line each came from. */
struct load_list {
        struct load_entry *entries;
        unsigned long *lines;
        size_t n;
};
void load_list_done(struct load_list *l);

/* Reads f (named name in messages) to the end with a LoadReader and keeps every entry in memory
 * (for small inputs: the Load(s) call of the control endpoint, tests; loads of files stream with
 * entry-ops.h's entry_load_stream()). No entry limit of its own (up to INT32_MAX, what
 * entry_load() takes). On error nothing is returned, err (errlen bytes, may be NULL) says
 * "name:line: reason", and the result is load_reader_next()'s error, -E2BIG or -ENOMEM. */
int loadfile_read(FILE *f, const char *name, struct load_list *ret, char *err, size_t errlen);
