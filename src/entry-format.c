/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf-util.h"
#include "entry-format.h"
#include "ifname-util.h"
#include "macro.h"

int entry_states_from_string(const char *s) {
        int st;

        if (!s)
                return -EINVAL;
        if (s[0] == '\0' || strcmp(s, "any") == 0 || strcmp(s, "all") == 0)
                return ENTRY_STATES_ALL;
        if (strcmp(s, "learned") == 0)
                return ENTRY_STATES_LEARNED;
        st = record_state_from_string(s);
        if (st < 0)
                return -EINVAL;
        return (int) ENTRY_STATE_BIT(st);
}

const char *entry_state_to_nud(enum record_state s) {
        switch (s) {
        case RECORD_POSITIVE:
                return "STALE";
        case RECORD_NEGATIVE:
                return "FAILED";
        case RECORD_STATIC:
                return "PERMANENT";
        default:
                return "NONE";
        }
}

int entry_states_from_nud(const char *s) {
        static const struct {
                const char *word;
                unsigned states;
        } nud[] = {
                { "stale", ENTRY_STATE_BIT(RECORD_POSITIVE) },
                { "failed", ENTRY_STATE_BIT(RECORD_NEGATIVE) },
                { "permanent", ENTRY_STATE_BIT(RECORD_STATIC) },
                { "all", ENTRY_STATES_ALL },
        };

        if (!s || s[0] == '\0')
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(nud); i++)
                if (strcasecmp(s, nud[i].word) == 0)
                        return (int) nud[i].states;
        return entry_states_from_string(s);
}

int entry_family_from_number(unsigned n) {
        switch (n) {
        case 0:
                return 0;
        case 4:
                return AF_INET;
        case 6:
                return AF_INET6;
        default:
                return -EINVAL;
        }
}

int entry_prefix_from_string(const char *s, struct in_prefix *ret) {
        char buf[IN_ADDR_STRLEN];
        const char *slash;
        unsigned long len;
        char *end = NULL;
        size_t n, bits;
        int family;

        if (!s || !ret)
                return -EINVAL;
        slash = strchr(s, '/');
        n = slash ? (size_t) (slash - s) : strlen(s);
        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        *ret = (struct in_prefix) {};
        if (in_addr_from_string(buf, &family, &ret->addr) < 0)
                return -EINVAL;
        bits = family_addr_size(family) * 8;
        if (slash) {
                if (!isdigit((unsigned char) slash[1]) || strlen(slash + 1) > 3)
                        return -EINVAL;
                errno = 0;
                len = strtoul(slash + 1, &end, 10);
                if (errno != 0 || !end || *end != '\0' || len > bits)
                        return -EINVAL;
        } else
                len = bits;
        ret->family = family;
        ret->prefixlen = (uint8_t) len;
        return 0;
}

bool entry_filter_match(const struct entry_filter *f, const struct neigh_key *k, const struct record *r) {
        unsigned states = f->states != 0 ? f->states : ENTRY_STATES_ALL;

        if (f->ifname[0] != '\0' && strncmp(f->ifname, k->ifname, IFNAMSIZ) != 0)
                return false;
        if (f->family != 0 && f->family != k->family)
                return false;
        if ((unsigned) r->state >= 32 || !(states & ENTRY_STATE_BIT(r->state)))
                return false;
        if (f->has_prefix && !in_prefix_contains(&f->prefix, k->family, &k->addr))
                return false;
        if (f->has_lladdr && !lladdr_equal(&f->lladdr, &r->lladdr))
                return false;
        return true;
}

const char *entry_change_kind(const struct record *old, const struct record *new, const char *removed_kind) {
        if (!new)
                return old ? removed_kind : NULL;
        if (!old)
                return "new";
        if (new->state == RECORD_NEGATIVE && old->state != RECORD_NEGATIVE)
                return "invalidated";
        if (new->state != old->state || !lladdr_equal(&new->lladdr, &old->lladdr))
                return "changed";
        return NULL;
}

const char *entry_cursor_format(const struct neigh_key *k, char *buf) {
        char a[IN_ADDR_STRLEN];

        snprintf(buf, ENTRY_CURSOR_MAX, "%.*s/%s", IFNAMSIZ - 1, k->ifname, in_addr_to_string(k->family, &k->addr, a));
        return buf;
}

int entry_cursor_parse(const char *s, struct neigh_key *ret) {
        char ifname[IFNAMSIZ];
        union in_addr_union a;
        const char *slash;
        int family;

        if (!s)
                return -EINVAL;
        slash = strchr(s, '/');
        if (!slash || slash == s || (size_t) (slash - s) >= IFNAMSIZ)
                return -EINVAL;
        memcpy(ifname, s, (size_t) (slash - s));
        ifname[slash - s] = '\0';
        if (!ifname_valid(ifname))
                return -EINVAL;
        if (in_addr_from_string(slash + 1, &family, &a) < 0)
                return -EINVAL;
        return neigh_key_make(ret, ifname, family, &a);
}

void json_write_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

/* Like json_write_string(), into p; each byte takes at most 6 ("\u00XX"). */
static char *json_put_string(char *p, const char *s) {
        static const char hex[] = "0123456789abcdef";

        *p++ = '"';
        for (const unsigned char *q = (const unsigned char *) s; *q; q++) {
                if (*q == '"' || *q == '\\') {
                        *p++ = '\\';
                        *p++ = (char) *q;
                } else if (*q < 0x20 || *q == 0x7f) {
                        p = mempcpy(p, "\\u00", 4);
                        *p++ = hex[*q >> 4];
                        *p++ = hex[*q & 15];
                } else
                        *p++ = (char) *q;
        }
        *p++ = '"';
        return p;
}

/* The compact form, assembled by hand and written at once (a dump prints a million of these). */
static void entry_format_json_short(FILE *f, const struct neigh_key *k, const struct record *r, const char *vendor) {
        char a[IN_ADDR_STRLEN], l[LLADDR_STRLEN], ifname[IFNAMSIZ];
        char buf[320 + 6 * (IN_ADDR_STRLEN + LLADDR_STRLEN + IFNAMSIZ)], *p = buf;

#define PUT(lit) (p = mempcpy(p, lit, strlen(lit)))
        snprintf(ifname, sizeof(ifname), "%.*s", IFNAMSIZ - 1, k->ifname);
        PUT("{\"dst\":");
        p = json_put_string(p, in_addr_to_string(k->family, &k->addr, a));
        PUT(",\"dev\":");
        p = json_put_string(p, ifname);
        if (r->lladdr.len > 0) {
                PUT(",\"lladdr\":");
                p = json_put_string(p, lladdr_to_string(&r->lladdr, l));
        }
        if (r->flags & RECORD_FLAG_ROUTER)
                PUT(",\"router\":null"); /* as ip -j neigh prints the flag */
        if (vendor) {
                /* written apart: a vendor name is not bounded like the other fields */
                fwrite(buf, 1, (size_t) (p - buf), f);
                fputs(",\"vendor\":", f);
                json_write_string(f, vendor);
                p = buf;
        }
        PUT(",\"state\":[\"");
        PUT(entry_state_to_nud(r->state));
        PUT("\"],\"arpd_state\":");
        p = json_put_string(p, record_state_to_string(r->state));
        PUT(",\"family\":");
        *p++ = k->family == AF_INET6 ? '6' : '4';
        PUT(",\"source\":");
        p = json_put_string(p, record_source_to_string(r->source));
        PUT(",\"first_seen_usec\":");
        p = put_u64(p, r->first_seen);
        PUT(",\"last_seen_usec\":");
        p = put_u64(p, r->last_seen);
        if (r->state == RECORD_NEGATIVE) {
                PUT(",\"neg_since_usec\":");
                p = put_u64(p, r->neg_since);
        }
        PUT(",\"probes\":");
        p = put_u64(p, r->probes);
        *p++ = '}';
#undef PUT
        fwrite(buf, 1, (size_t) (p - buf), f);
}

void entry_format_json(FILE *f, const struct neigh_key *k, const struct record *r, bool pretty, unsigned indent,
                       const char *vendor) {
        char a[IN_ADDR_STRLEN], l[LLADDR_STRLEN], ifname[IFNAMSIZ];
        const char *sep = ",\n";
        unsigned in = indent + 2;

        if (!pretty) {
                entry_format_json_short(f, k, r, vendor);
                return;
        }
        snprintf(ifname, sizeof(ifname), "%.*s", IFNAMSIZ - 1, k->ifname);
        fputs("{\n", f);
        fprintf(f, "%*s\"dst\": ", in, "");
        json_write_string(f, in_addr_to_string(k->family, &k->addr, a));
        fprintf(f, "%s%*s\"dev\": ", sep, in, "");
        json_write_string(f, ifname);
        if (r->lladdr.len > 0) {
                fprintf(f, "%s%*s\"lladdr\": ", sep, in, "");
                json_write_string(f, lladdr_to_string(&r->lladdr, l));
        }
        if (r->flags & RECORD_FLAG_ROUTER)
                fprintf(f, "%s%*s\"router\": null", sep, in, "");
        if (vendor) {
                fprintf(f, "%s%*s\"vendor\": ", sep, in, "");
                json_write_string(f, vendor);
        }
        fprintf(f, "%s%*s\"state\": [\"%s\"]", sep, in, "", entry_state_to_nud(r->state));
        fprintf(f, "%s%*s\"arpd_state\": ", sep, in, "");
        json_write_string(f, record_state_to_string(r->state));
        fprintf(f, "%s%*s\"family\": %d", sep, in, "", k->family == AF_INET6 ? 6 : 4);
        fprintf(f, "%s%*s\"source\": ", sep, in, "");
        json_write_string(f, record_source_to_string(r->source));
        fprintf(f, "%s%*s\"first_seen_usec\": %llu", sep, in, "", (unsigned long long) r->first_seen);
        fprintf(f, "%s%*s\"last_seen_usec\": %llu", sep, in, "", (unsigned long long) r->last_seen);
        if (r->state == RECORD_NEGATIVE)
                fprintf(f, "%s%*s\"neg_since_usec\": %llu", sep, in, "", (unsigned long long) r->neg_since);
        fprintf(f, "%s%*s\"probes\": %u", sep, in, "", r->probes);
        fprintf(f, "\n%*s}", indent, "");
}

static void put_le(uint8_t *p, uint64_t v, size_t n) {
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t n) {
        uint64_t v = 0;

        for (size_t i = 0; i < n; i++)
                v |= (uint64_t) p[i] << (8 * i);
        return v;
}

void entry_pack(const struct neigh_key *k, const struct record *r, uint8_t *buf) {
        size_t alen = family_addr_size(k->family), llen = MIN((size_t) r->lladdr.len, (size_t) LLADDR_MAX);

        memset(buf, 0, ENTRY_PACKED_SIZE);
        memcpy(buf, k->ifname, strnlen(k->ifname, IFNAMSIZ - 1));
        buf[16] = k->family == AF_INET6 ? 6 : 4;
        buf[17] = (uint8_t) r->state;
        buf[18] = (uint8_t) r->source;
        buf[19] = (uint8_t) llen;
        memcpy(buf + 20, k->addr.bytes, alen);
        memcpy(buf + 36, r->lladdr.bytes, llen);
        put_le(buf + 68, r->first_seen, 8);
        put_le(buf + 76, r->last_seen, 8);
        put_le(buf + 84, r->neg_since, 8);
        put_le(buf + 92, r->probes, 4);
}

int entry_unpack(const uint8_t *buf, struct neigh_key *k, struct record *r) {
        char ifname[IFNAMSIZ] = {};
        union in_addr_union a = {};
        int family;

        if (memchr(buf, '\0', IFNAMSIZ) == NULL)
                return -EBADMSG;
        memcpy(ifname, buf, IFNAMSIZ);
        family = buf[16] == 4 ? AF_INET : buf[16] == 6 ? AF_INET6 : -1;
        if (family < 0 || !ifname_valid(ifname))
                return -EBADMSG;
        if (record_state_from_string(record_state_to_string(buf[17])) != buf[17] ||
            record_source_from_string(record_source_to_string(buf[18])) != buf[18] || buf[19] > LLADDR_MAX)
                return -EBADMSG;
        memcpy(a.bytes, buf + 20, family_addr_size(family));
        if (neigh_key_make(k, ifname, family, &a) < 0)
                return -EBADMSG;
        *r = (struct record) {
                .state = buf[17],
                .source = buf[18],
                .first_seen = get_le(buf + 68, 8),
                .last_seen = get_le(buf + 76, 8),
                .neg_since = get_le(buf + 84, 8),
                .probes = (uint32_t) get_le(buf + 92, 4),
        };
        lladdr_set(&r->lladdr, buf + 36, buf[19]);
        return 0;
}

int entry_bus_append(sd_bus_message *m, const struct neigh_key *k, const struct record *r) {
        char a[IN_ADDR_STRLEN], l[LLADDR_STRLEN], ifname[IFNAMSIZ];

        const char *strings[] = {
                ifname,
                in_addr_to_string(k->family, &k->addr, a),
                lladdr_to_string(&r->lladdr, l),
                record_state_to_string(r->state),
                record_source_to_string(r->source),
        };
        const uint64_t times[] = { r->first_seen, r->last_seen, r->neg_since };
        const uint32_t probes = r->probes;
        size_t n = strnlen(k->ifname, IFNAMSIZ - 1);
        int q;

        memcpy(ifname, k->ifname, n);
        ifname[n] = '\0';
        /* Field by field: sd_bus_message_append() re-parses the signature for every entry, which
         * was most of a large listing's cost. */
        q = sd_bus_message_open_container(m, 'r', ENTRY_BUS_CONTENTS);
        if (q < 0)
                return q;
        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                q = sd_bus_message_append_basic(m, 's', strings[i]);
                if (q < 0)
                        return q;
        }
        for (size_t i = 0; i < ELEMENTSOF(times); i++) {
                q = sd_bus_message_append_basic(m, 't', &times[i]);
                if (q < 0)
                        return q;
        }
        q = sd_bus_message_append_basic(m, 'u', &probes);
        if (q < 0)
                return q;
        return sd_bus_message_close_container(m);
}

int entry_bus_read(sd_bus_message *m, struct neigh_key *k, struct record *r) {
        const char *ifname, *addr, *lladdr, *state, *source;
        uint64_t first, last, neg;
        union in_addr_union a;
        uint32_t probes;
        int family, st, src, q;

        /* Field by field, for the same reason as in entry_bus_append(). */
        q = sd_bus_message_enter_container(m, 'r', ENTRY_BUS_CONTENTS);
        if (q <= 0)
                return q;
        const char **strings[] = { &ifname, &addr, &lladdr, &state, &source };
        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                q = sd_bus_message_read_basic(m, 's', strings[i]);
                if (q < 0)
                        return q;
                if (q == 0)
                        return -EBADMSG;
        }
        uint64_t *times[] = { &first, &last, &neg };
        for (size_t i = 0; i < ELEMENTSOF(times); i++) {
                q = sd_bus_message_read_basic(m, 't', times[i]);
                if (q < 0)
                        return q;
                if (q == 0)
                        return -EBADMSG;
        }
        q = sd_bus_message_read_basic(m, 'u', &probes);
        if (q < 0)
                return q;
        if (q == 0)
                return -EBADMSG;
        q = sd_bus_message_exit_container(m);
        if (q < 0)
                return q;
        if (!ifname_valid(ifname) || in_addr_from_string(addr, &family, &a) < 0 ||
            neigh_key_make(k, ifname, family, &a) < 0)
                return -EBADMSG;
        st = record_state_from_string(state);
        src = record_source_from_string(source);
        if (st < 0 || src < 0)
                return -EBADMSG;
        *r = (struct record) {
                .state = st,
                .source = src,
                .first_seen = first,
                .last_seen = last,
                .neg_since = neg,
                .probes = probes,
        };
        if (lladdr[0] != '\0' && lladdr_from_string(lladdr, &r->lladdr) < 0)
                return -EBADMSG;
        return 1;
}
