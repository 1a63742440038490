/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The selection arguments of "arpctl dump" and "arpctl show", in the words of "ip neigh show":
 *
 *     dump [[to] PREFIX] [dev IFACE] [lladdr MAC] [nud STATE]... [IFACE...]
 *     show ADDRESS|MAC
 *
 * A bare word is a prefix when it contains '/' or ':' or consists only of digits and dots (so a
 * mistyped address such as 198.18.0.300 is an error, not an interface name), else an interface
 * name (dump's older form "dump IFACE..."). "nud" may be repeated (the states add up) and takes
 * ip's words (stale, failed, permanent, all) or arpd's (positive, negative, static, learned,
 * any). Matching is entry_filter_match()'s (entry-format.h), the same online and offline.
 * Pure: no I/O; a malformed argument gives -EINVAL and a message naming it in err.
 */

#include <stdbool.h>
#include <stddef.h>

#include "entry-format.h"

#define DUMP_IFNAMES_MAX 64

struct dump_args {
        struct entry_filter filter;               /* ifname left empty: see ifnames */
        const char *ifnames[DUMP_IFNAMES_MAX];    /* into argv; none: every interface */
        size_t n_ifnames;
        bool selective;                           /* anything narrowed the listing */
};

/* family: -4 / -6 (0 for both). 0 or -EINVAL with err filled. */
int dump_args_parse(int argc, char **argv, int family, struct dump_args *ret, char *err, size_t errsize);
/* An IPv4/IPv6 address (a host prefix) or a MAC (lladdr filter). 0 or -EINVAL with err filled. */
int show_arg_parse(const char *s, int family, struct entry_filter *ret, char *err, size_t errsize);
