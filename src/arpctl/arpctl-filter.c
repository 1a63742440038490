/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arpctl-filter.h"
#include "ifname-util.h"

static int fail(char *err, size_t errsize, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err, errsize, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* Words that can only be an address or a prefix, never an interface name. */
static bool looks_like_address(const char *s) {
        if (strchr(s, '/') || strchr(s, ':'))
                return true;
        return s[0] != '\0' && strspn(s, "0123456789.") == strlen(s);
}

static int set_prefix(struct entry_filter *f, const char *s, int family, char *err, size_t errsize) {
        if (f->has_prefix)
                return fail(err, errsize, "Only one prefix may be given ('%s').", s);
        if (entry_prefix_from_string(s, &f->prefix) < 0)
                return fail(err, errsize, "Invalid IPv4 or IPv6 address or prefix '%s'%s.", s,
                            strchr(s, '/') ? "" : " (a link-layer address needs 'lladdr MAC')");
        if (family != 0 && f->prefix.family != family)
                return fail(err, errsize, "'%s' is not an %s prefix, but -%c was given.", s,
                            family == AF_INET ? "IPv4" : "IPv6", family == AF_INET ? '4' : '6');
        f->has_prefix = true;
        return 0;
}

static int set_lladdr(struct entry_filter *f, const char *s, char *err, size_t errsize) {
        if (f->has_lladdr)
                return fail(err, errsize, "Only one link-layer address may be given ('%s').", s);
        if (lladdr_from_string(s, &f->lladdr) < 0 || f->lladdr.len == 0)
                return fail(err, errsize, "Invalid link-layer address '%s': expected hex octets like 02:00:5e:10:00:01.", s);
        f->has_lladdr = true;
        return 0;
}

int dump_args_parse(int argc, char **argv, int family, struct dump_args *ret, char *err, size_t errsize) {
        struct dump_args a = { .filter = { .family = family } };
        unsigned states = 0;
        int r;

        for (int i = 0; i < argc; i++) {
                const char *w = argv[i];
                bool keyword = strcmp(w, "to") == 0 || strcmp(w, "dev") == 0 || strcmp(w, "lladdr") == 0 ||
                               strcmp(w, "nud") == 0;
                const char *v = keyword ? (i + 1 < argc ? argv[++i] : NULL) : w;

                if (keyword && !v)
                        return fail(err, errsize, "'%s' needs a value.", w);
                if (strcmp(w, "to") == 0 || (!keyword && looks_like_address(w)))
                        r = set_prefix(&a.filter, v, family, err, errsize);
                else if (strcmp(w, "lladdr") == 0)
                        r = set_lladdr(&a.filter, v, err, errsize);
                else if (strcmp(w, "nud") == 0) {
                        r = entry_states_from_nud(v);
                        if (r < 0)
                                return fail(err, errsize,
                                            "Invalid state '%s': expected stale, failed, permanent, all, or positive, "
                                            "negative, static, learned.", v);
                        states |= (unsigned) r;
                        r = 0;
                } else {
                        /* "dev IFACE", or a bare interface name */
                        if (!ifname_valid(v))
                                return fail(err, errsize, "Invalid interface name '%s'.", v);
                        if (a.n_ifnames >= DUMP_IFNAMES_MAX)
                                return fail(err, errsize, "At most %d interfaces may be given.", DUMP_IFNAMES_MAX);
                        a.ifnames[a.n_ifnames++] = v;
                        r = 0;
                }
                if (r < 0)
                        return r;
        }
        a.filter.states = states;
        a.selective = a.filter.has_prefix || a.filter.has_lladdr || a.n_ifnames > 0 ||
                      (states != 0 && states != ENTRY_STATES_ALL);
        *ret = a;
        return 0;
}

int show_arg_parse(const char *s, int family, struct entry_filter *ret, char *err, size_t errsize) {
        struct entry_filter f = { .family = family };
        union in_addr_union a;
        int fam;

        if (in_addr_from_string(s, &fam, &a) >= 0) {
                f.has_prefix = true;
                f.prefix = (struct in_prefix) { .family = fam, .prefixlen = (uint8_t) (family_addr_size(fam) * 8), .addr = a };
        } else if (strchr(s, ':') && lladdr_from_string(s, &f.lladdr) >= 0 && f.lladdr.len > 0)
                f.has_lladdr = true;
        else
                return fail(err, errsize, "'%s' is neither an IPv4 or IPv6 address nor a link-layer address "
                            "(like 198.18.0.1, 2001:db8::1 or 02:00:5e:10:00:01).", s);
        *ret = f;
        return 0;
}
