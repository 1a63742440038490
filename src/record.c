/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "record.h"

/* Family bytes in the key: the IP version, not the AF_* value, so the key is portable. */
#define KEY_FAMILY_INET 4
#define KEY_FAMILY_INET6 6

/* Value v2 (see record.h). */
#define V2_HEAD 5
#define RECORD_VALUE_NEG 0x80

/* Value v1 offsets (see record.h). */
#define OFF_VERSION 0
#define OFF_STATE 1
#define OFF_SOURCE 2
#define OFF_LLADDR_LEN 3
#define OFF_LLADDR 4
#define OFF_FIRST_SEEN (OFF_LLADDR + LLADDR_MAX)
#define OFF_LAST_SEEN (OFF_FIRST_SEEN + 8)
#define OFF_NEG_SINCE (OFF_LAST_SEEN + 8)
#define OFF_PROBES (OFF_NEG_SINCE + 8)
#define OFF_RESERVED (OFF_PROBES + 4)

_Static_assert(OFF_RESERVED + 4 == RECORD_V1_SIZE, "record v1 layout does not add up");
_Static_assert(KEY_V1_MAX_SIZE == 33, "key layout does not add up");
_Static_assert(RECORD_MAX_SIZE == V2_HEAD + LLADDR_MAX + 28, "record v2 layout does not add up");

static const char *const state_names[] = {
        [RECORD_POSITIVE] = "positive",
        [RECORD_NEGATIVE] = "negative",
        [RECORD_STATIC] = "static",
};

static const char *const source_names[] = {
        [SOURCE_ARP] = "arp",       [SOURCE_KERNEL] = "kernel",   [SOURCE_LOAD] = "load",
        [SOURCE_NDP] = "ndp",       [SOURCE_CONTROL] = "control", [SOURCE_PROBE] = "probe",
};

static bool state_valid(unsigned s) {
        return s < ELEMENTSOF(state_names) && state_names[s];
}

static bool source_valid(unsigned s) {
        return s < ELEMENTSOF(source_names) && source_names[s];
}

const char *record_state_to_string(enum record_state s) {
        return state_valid((unsigned) s) ? state_names[s] : "unknown";
}

const char *record_source_to_string(enum record_source s) {
        return source_valid((unsigned) s) ? source_names[s] : "unknown";
}

static int lookup_name(const char *const *names, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (names[i] && strcmp(names[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

int record_state_from_string(const char *s) {
        return lookup_name(state_names, ELEMENTSOF(state_names), s);
}

int record_source_from_string(const char *s) {
        return lookup_name(source_names, ELEMENTSOF(source_names), s);
}

static void put_le32(uint8_t *p, uint32_t v) {
        for (size_t i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v) {
        for (size_t i = 0; i < 8; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p) {
        uint32_t v = 0;
        for (size_t i = 0; i < 4; i++)
                v |= (uint32_t) p[i] << (8 * i);
        return v;
}

static uint64_t get_le64(const uint8_t *p) {
        uint64_t v = 0;
        for (size_t i = 0; i < 8; i++)
                v |= (uint64_t) p[i] << (8 * i);
        return v;
}

int record_encode(const struct record *r, void *buf, size_t size) {
        uint8_t *p = buf;
        bool neg;
        size_t n;

        if (!r || !buf)
                return -EINVAL;
        if (!state_valid((unsigned) r->state) || !source_valid((unsigned) r->source) || r->lladdr.len > LLADDR_MAX)
                return -EINVAL;
        neg = r->neg_since != 0 || r->probes != 0;
        n = V2_HEAD + r->lladdr.len + 16 + (neg ? 12 : 0);
        if (size < n)
                return -ENOBUFS;

        p[0] = RECORD_VERSION;
        p[1] = (uint8_t) r->state;
        p[2] = (uint8_t) r->source;
        p[3] = (uint8_t) ((r->flags & RECORD_FLAGS_KNOWN) | (neg ? RECORD_VALUE_NEG : 0));
        p[4] = r->lladdr.len;
        memcpy(p + V2_HEAD, r->lladdr.bytes, r->lladdr.len);
        p += V2_HEAD + r->lladdr.len;
        put_le64(p, r->first_seen);
        put_le64(p + 8, r->last_seen);
        if (neg) {
                put_le64(p + 16, r->neg_since);
                put_le32(p + 24, r->probes);
        }
        return (int) n;
}

int record_encode_v1(const struct record *r, void *buf, size_t size) {
        uint8_t *p = buf;

        if (!r || !buf)
                return -EINVAL;
        if (!state_valid((unsigned) r->state) || !source_valid((unsigned) r->source) || r->lladdr.len > LLADDR_MAX)
                return -EINVAL;
        if (size < RECORD_V1_SIZE)
                return -ENOBUFS;

        memset(p, 0, RECORD_V1_SIZE);
        p[OFF_VERSION] = 1;
        p[OFF_STATE] = (uint8_t) r->state;
        p[OFF_SOURCE] = (uint8_t) r->source;
        p[OFF_LLADDR_LEN] = r->lladdr.len;
        memcpy(p + OFF_LLADDR, r->lladdr.bytes, r->lladdr.len); /* bytes, not a struct; padding stays 0 */
        put_le64(p + OFF_FIRST_SEEN, r->first_seen);
        put_le64(p + OFF_LAST_SEEN, r->last_seen);
        put_le64(p + OFF_NEG_SINCE, r->neg_since);
        put_le32(p + OFF_PROBES, r->probes);
        /* reserved stays 0 */
        return RECORD_V1_SIZE;
}

int record_decode(const void *buf, size_t size, struct record *ret) {
        const uint8_t *p = buf;

        if (!ret || (!buf && size > 0))
                return -EINVAL;
        if (size < 1)
                return -EBADMSG;
        /* The version decides the layout, so it is checked before the size: a newer, longer value
         * is "unsupported", not "corrupt". */
        if (p[OFF_VERSION] == RECORD_VERSION) {
                const uint8_t *q;
                bool neg;

                if (size < V2_HEAD || !state_valid(p[1]) || !source_valid(p[2]) || p[4] > LLADDR_MAX)
                        return -EBADMSG;
                neg = p[3] & RECORD_VALUE_NEG;
                if (size != V2_HEAD + (size_t) p[4] + 16 + (neg ? 12 : 0))
                        return -EBADMSG;
                q = p + V2_HEAD + p[4];
                *ret = (struct record) {
                        .state = (enum record_state) p[1],
                        .source = (enum record_source) p[2],
                        .flags = p[3] & RECORD_FLAGS_KNOWN,
                        .lladdr.len = p[4],
                        .first_seen = get_le64(q),
                        .last_seen = get_le64(q + 8),
                        .neg_since = neg ? get_le64(q + 16) : 0,
                        .probes = neg ? get_le32(q + 24) : 0,
                };
                memcpy(ret->lladdr.bytes, p + V2_HEAD, ret->lladdr.len);
                return 0;
        }
        if (p[OFF_VERSION] != 1)
                return -EPROTONOSUPPORT;
        if (size != RECORD_V1_SIZE)
                return -EBADMSG;
        if (!state_valid(p[OFF_STATE]) || !source_valid(p[OFF_SOURCE]) || p[OFF_LLADDR_LEN] > LLADDR_MAX)
                return -EBADMSG;

        *ret = (struct record) {
                .state = (enum record_state) p[OFF_STATE],
                .source = (enum record_source) p[OFF_SOURCE],
                .lladdr.len = p[OFF_LLADDR_LEN],
                .first_seen = get_le64(p + OFF_FIRST_SEEN),
                .last_seen = get_le64(p + OFF_LAST_SEEN),
                .neg_since = get_le64(p + OFF_NEG_SINCE),
                .probes = get_le32(p + OFF_PROBES),
        };
        /* Bytes of lladdr[] past lladdr_len and the reserved word are ignored (see record.h). */
        memcpy(ret->lladdr.bytes, p + OFF_LLADDR, ret->lladdr.len);
        return 0;
}

static int family_to_key_byte(int family) {
        switch (family) {
        case AF_INET:
                return KEY_FAMILY_INET;
        case AF_INET6:
                return KEY_FAMILY_INET6;
        default:
                return -EINVAL;
        }
}

/* Length of a NUL-terminated interface name stored in IFNAMSIZ bytes; -EINVAL if empty or
 * not terminated within IFNAMSIZ - 1 characters. */
static int ifname_len(const char *ifname) {
        size_t n = strnlen(ifname, IFNAMSIZ);

        if (n == 0 || n >= IFNAMSIZ)
                return -EINVAL;
        return (int) n;
}

int neigh_key_make(struct neigh_key *k, const char *ifname, int family, const union in_addr_union *a) {
        size_t n, asz;

        if (!k || !ifname || !a)
                return -EINVAL;
        asz = family_addr_size(family);
        if (asz == 0)
                return -EINVAL;
        n = strnlen(ifname, IFNAMSIZ);
        if (n == 0 || n >= IFNAMSIZ)
                return -EINVAL;

        memset(k, 0, sizeof(*k));
        memcpy(k->ifname, ifname, n);
        k->family = family;
        memcpy(k->addr.bytes, a->bytes, asz);
        return 0;
}

int neigh_key_encode_v1(const struct neigh_key *k, void *buf, size_t size) {
        uint8_t *p = buf;
        int fb, n;
        size_t asz;

        if (!k || !buf)
                return -EINVAL;
        fb = family_to_key_byte(k->family);
        if (fb < 0)
                return fb;
        n = ifname_len(k->ifname);
        if (n < 0)
                return n;
        asz = family_addr_size(k->family);
        if (size < IFNAMSIZ + 1 + asz)
                return -EINVAL;

        memset(p, 0, IFNAMSIZ);
        memcpy(p, k->ifname, (size_t) n);
        p[IFNAMSIZ] = (uint8_t) fb;
        memcpy(p + IFNAMSIZ + 1, k->addr.bytes, asz);
        return (int) (IFNAMSIZ + 1 + asz);
}

int neigh_key_decode_v1(const void *buf, size_t size, struct neigh_key *ret) {
        const uint8_t *p = buf;
        size_t n, asz;
        int family;

        if (!ret || (!buf && size > 0))
                return -EINVAL;
        if (size < IFNAMSIZ + 1)
                return -EBADMSG;
        switch (p[IFNAMSIZ]) {
        case KEY_FAMILY_INET:
                family = AF_INET;
                break;
        case KEY_FAMILY_INET6:
                family = AF_INET6;
                break;
        default:
                return -EBADMSG;
        }
        asz = family_addr_size(family);
        if (size != IFNAMSIZ + 1 + asz)
                return -EBADMSG;

        /* A name of 1..IFNAMSIZ-1 bytes followed by NULs only. */
        n = strnlen((const char *) p, IFNAMSIZ);
        if (n == 0 || n >= IFNAMSIZ)
                return -EBADMSG;
        for (size_t i = n; i < IFNAMSIZ; i++)
                if (p[i] != 0)
                        return -EBADMSG;

        memset(ret, 0, sizeof(*ret));
        memcpy(ret->ifname, p, n);
        ret->family = family;
        memcpy(ret->addr.bytes, p + IFNAMSIZ + 1, asz);
        return 0;
}

int ifid_encode(uint32_t ifid, uint8_t *buf) {
        if (!buf || ifid == 0 || ifid > IFID_MAX)
                return -EINVAL;
        if (ifid < 0x80) {
                buf[0] = (uint8_t) ifid;
                return 1;
        }
        if (ifid < 0x4000) {
                buf[0] = (uint8_t) (0x80 | (ifid >> 8));
                buf[1] = (uint8_t) ifid;
                return 2;
        }
        buf[0] = (uint8_t) (0xc0 | (ifid >> 24));
        buf[1] = (uint8_t) (ifid >> 16);
        buf[2] = (uint8_t) (ifid >> 8);
        buf[3] = (uint8_t) ifid;
        return 4;
}

int ifid_decode(const uint8_t *buf, size_t size, uint32_t *ret) {
        uint32_t id;
        size_t n;

        if (!buf || size < 1)
                return -EBADMSG;
        n = buf[0] < 0x80 ? 1 : buf[0] < 0xc0 ? 2 : 4;
        if (size < n)
                return -EBADMSG;
        if (n == 1)
                id = buf[0];
        else if (n == 2)
                id = (uint32_t) (buf[0] & 0x3f) << 8 | buf[1];
        else
                id = (uint32_t) (buf[0] & 0x3f) << 24 | (uint32_t) buf[1] << 16 | (uint32_t) buf[2] << 8 | buf[3];
        /* one encoding per id: the shortest */
        if (id == 0 || (n == 2 && id < 0x80) || (n == 4 && id < 0x4000))
                return -EBADMSG;
        if (ret)
                *ret = id;
        return (int) n;
}

int neigh_key_encode(const struct neigh_key *k, uint32_t ifid, void *buf, size_t size) {
        uint8_t *p = buf, id[4];
        int fb, n;
        size_t asz;

        if (!k || !buf)
                return -EINVAL;
        fb = family_to_key_byte(k->family);
        if (fb < 0)
                return fb;
        n = ifid_encode(ifid, id);
        if (n < 0)
                return n;
        asz = family_addr_size(k->family);
        if (size < (size_t) n + 1 + asz)
                return -EINVAL;
        memcpy(p, id, (size_t) n);
        p[n] = (uint8_t) fb;
        memcpy(p + n + 1, k->addr.bytes, asz);
        return (int) ((size_t) n + 1 + asz);
}

int neigh_key_decode(const void *buf, size_t size, uint32_t *ret_ifid, struct neigh_key *ret) {
        const uint8_t *p = buf;
        uint32_t id;
        size_t asz;
        int n, family;

        if (!ret || (!buf && size > 0))
                return -EINVAL;
        n = ifid_decode(p, size, &id);
        if (n < 0 || size < (size_t) n + 1)
                return -EBADMSG;
        switch (p[n]) {
        case KEY_FAMILY_INET:
                family = AF_INET;
                break;
        case KEY_FAMILY_INET6:
                family = AF_INET6;
                break;
        default:
                return -EBADMSG;
        }
        asz = family_addr_size(family);
        if (size != (size_t) n + 1 + asz)
                return -EBADMSG;
        memset(ret, 0, sizeof(*ret));
        ret->family = family;
        memcpy(ret->addr.bytes, p + n + 1, asz);
        if (ret_ifid)
                *ret_ifid = id;
        return 0;
}

bool neigh_key_equal(const struct neigh_key *a, const struct neigh_key *b) {
        size_t asz;

        if (a == b)
                return true;
        if (!a || !b || a->family != b->family)
                return false;
        if (strncmp(a->ifname, b->ifname, IFNAMSIZ) != 0)
                return false;
        asz = family_addr_size(a->family);
        return memcmp(a->addr.bytes, b->addr.bytes, asz) == 0;
}
