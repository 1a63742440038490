/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The arguments of the control methods (io.arpd.Manager1, see control-protocol.h), decoded from the
 * strings and numbers a client sent into what the manager takes. Pure: no sd-bus, no I/O, so that
 * the rules live in one place, the endpoint stays an adapter, and a fuzzer reaches every one.
 *
 * Each function returns 0, or -EINVAL with *e filled: the D-Bus field the error is about and a
 * message for the caller that names it ("Invalid interface name 'x' (field 'interface')."; the
 * offending value is cut and any control character shown as '?'). Strings must be NUL-terminated
 * (sd-bus guarantees valid UTF-8 without NULs).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry-format.h"
#include "record.h"

struct control_error {
        const char *field;  /* "interface", "address", "lladdr", "family", "state", "prefix",
                             * "cursor", "limit" */
        char message[192];
};

/* GetEntry, Delete: an entry's interface and address. */
int control_args_key(const char *ifname, const char *address, struct neigh_key *ret, struct control_error *e);
/* AddStatic: the key and a link-layer address an operator may assert (entry-ops.h's rules: an
 * address a neighbour can have, a MAC of link_len octets, 0 for a link arpd does not know). */
int control_args_static(const char *ifname, const char *address, const char *lladdr, size_t link_len,
                        struct neigh_key *ret_key, struct lladdr *ret_lladdr, struct control_error *e);

/* ListEntries, ListEntriesPacked. */
struct control_list_args {
        struct entry_filter filter;
        bool has_after;          /* resume strictly after this key */
        struct neigh_key after;
        unsigned limit;          /* 1..CONTROL_LIST_LIMIT_MAX (0 in the request: the default) */
};
int control_args_list(const char *ifname, uint32_t family, const char *state, const char *prefix, const char *cursor,
                      uint32_t limit, struct control_list_args *ret, struct control_error *e);
/* Flush: interface ("" = all) and state. */
int control_args_flush(const char *ifname, const char *state, struct entry_filter *ret, struct control_error *e);
/* GetStatistics: "" (all) or a valid interface name. */
int control_args_interface(const char *ifname, struct control_error *e);
