/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control-args.h"
#include "control-protocol.h"
#include "entry-ops.h"
#include "ifname-util.h"
#include "macro.h"

/* The value as it may appear in a message: at most max bytes, control characters as '?'. */
static const char *shown(const char *s, size_t max, char *buf, size_t size) {
        size_t n = 0;

        assert(size > max);
        for (; s && s[n] && n < max; n++)
                buf[n] = (unsigned char) s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n];
        buf[n] = '\0';
        return buf;
}

static int fail(struct control_error *e, const char *field, const char *fmt, ...) _printf_(3, 4);
static int fail(struct control_error *e, const char *field, const char *fmt, ...) {
        va_list ap;

        if (e) {
                e->field = field;
                va_start(ap, fmt);
                vsnprintf(e->message, sizeof(e->message), fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int bad_ifname(struct control_error *e, const char *ifname) {
        char b[33];

        return fail(e, "interface", "Invalid interface name '%s' (field 'interface').", shown(ifname, 32, b, sizeof(b)));
}

int control_args_interface(const char *ifname, struct control_error *e) {
        if (!ifname || (ifname[0] != '\0' && !ifname_valid(ifname)))
                return bad_ifname(e, ifname);
        return 0;
}

int control_args_key(const char *ifname, const char *address, struct neigh_key *ret, struct control_error *e) {
        char b[65];

        assert(ret);
        if (!ifname_valid(ifname))
                return bad_ifname(e, ifname);
        if (entry_key_parse(ifname, address, ret, NULL) < 0)
                return fail(e, "address", "Invalid IPv4 or IPv6 address '%s' (field 'address').",
                            shown(address, 64, b, sizeof(b)));
        return 0;
}

int control_args_static(const char *ifname, const char *address, const char *lladdr, size_t link_len,
                        struct neigh_key *ret_key, struct lladdr *ret_lladdr, struct control_error *e) {
        const char *reason = NULL;
        char b[65];
        int r;

        r = control_args_key(ifname, address, ret_key, e);
        if (r < 0)
                return r;
        if (entry_address_check(ret_key->family, &ret_key->addr, &reason) < 0)
                return fail(e, "address", "Invalid address '%s' (field 'address'): %s.", shown(address, 64, b, sizeof(b)),
                            reason);
        if (entry_lladdr_parse(lladdr, link_len, ret_lladdr, &reason) < 0)
                return fail(e, "lladdr", "Invalid link-layer address '%s' (field 'lladdr'): %s.",
                            shown(lladdr, 64, b, sizeof(b)), reason);
        return 0;
}

static int set_ifname(struct entry_filter *f, const char *ifname, struct control_error *e) {
        int r = control_args_interface(ifname, e);

        if (r < 0)
                return r;
        snprintf(f->ifname, sizeof(f->ifname), "%s", ifname);
        return 0;
}

static int set_states(struct entry_filter *f, const char *state, struct control_error *e) {
        char b[33];
        int r = state ? entry_states_from_string(state) : -EINVAL;

        if (r < 0)
                return fail(e, "state",
                            "Invalid state '%s' (field 'state': positive, negative, static, learned or any).",
                            shown(state, 32, b, sizeof(b)));
        f->states = (unsigned) r;
        return 0;
}

int control_args_list(const char *ifname, uint32_t family, const char *state, const char *prefix, const char *cursor,
                      uint32_t limit, struct control_list_args *ret, struct control_error *e) {
        struct control_list_args a = {};
        char b[65];
        int r;

        assert(ret);
        r = set_ifname(&a.filter, ifname, e);
        if (r < 0)
                return r;
        r = entry_family_from_number(family);
        if (r < 0)
                return fail(e, "family", "Invalid family %u (field 'family': 0, 4 or 6).", (unsigned) family);
        a.filter.family = r;
        r = set_states(&a.filter, state, e);
        if (r < 0)
                return r;
        if (!prefix)
                return fail(e, "prefix", "Missing address prefix (field 'prefix').");
        if (prefix[0] != '\0') {
                if (entry_prefix_from_string(prefix, &a.filter.prefix) < 0)
                        return fail(e, "prefix", "Invalid address prefix '%s' (field 'prefix').",
                                    shown(prefix, 64, b, sizeof(b)));
                a.filter.has_prefix = true;
        }
        if (!cursor)
                return fail(e, "cursor", "Missing cursor (field 'cursor').");
        if (cursor[0] != '\0') {
                if (entry_cursor_parse(cursor, &a.after) < 0)
                        return fail(e, "cursor", "Invalid cursor '%s' (field 'cursor').", shown(cursor, 64, b, sizeof(b)));
                a.has_after = true;
        }
        if (limit > CONTROL_LIST_LIMIT_MAX)
                return fail(e, "limit", "Invalid limit %u (field 'limit': 0 for the default %d, at most %d).",
                            (unsigned) limit, CONTROL_LIST_LIMIT_DEFAULT, CONTROL_LIST_LIMIT_MAX);
        a.limit = limit == 0 ? CONTROL_LIST_LIMIT_DEFAULT : limit;
        *ret = a;
        return 0;
}

int control_args_flush(const char *ifname, const char *state, struct entry_filter *ret, struct control_error *e) {
        struct entry_filter f = {};
        int r;

        assert(ret);
        r = set_ifname(&f, ifname, e);
        if (r < 0)
                return r;
        r = set_states(&f, state, e);
        if (r < 0)
                return r;
        *ret = f;
        return 0;
}
