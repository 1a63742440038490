/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <string.h>

#include "macro.h"
#include "station.h"

static const char *const kind_names[_STATION_KIND_MAX] = {
        [STATION_NEW] = "new-station",
        [STATION_NEW_ACTIVITY] = "new-activity",
        [STATION_CHANGED] = "mac-changed",
        [STATION_FLIP_FLOP] = "flip-flop",
        [STATION_REUSED_OLD] = "reused-old",
        [STATION_STATIC_CONFLICT] = "static-conflict",
        [STATION_ANSWER_LATE] = "answer-late",
        [STATION_FOLDED] = "folded",
};

const char *station_kind_to_string(enum station_kind k) {
        return (unsigned) k < _STATION_KIND_MAX ? kind_names[k] : NULL;
}

int station_kind_from_string(const char *s) {
        for (unsigned k = 1; s && k < _STATION_KIND_MAX; k++)
                if (strcmp(s, kind_names[k]) == 0)
                        return (int) k;
        return -EINVAL;
}

static bool has_mac(const struct record *r) {
        return r && r->lladdr.len > 0;
}

void station_history_view(const struct record *cur, const struct station_history *stored,
                          struct station_history *ret) {
        *ret = (struct station_history) {};
        if (!has_mac(cur))
                return;
        ret->stamp = cur->first_seen;
        if (stored && stored->stamp == cur->first_seen && stored->n > 0 && stored->n <= STATION_HISTORY_MAX)
                *ret = *stored;
        if (ret->n > 0 && lladdr_equal(&ret->mac[0].lladdr, &cur->lladdr)) {
                ret->mac[0].last_seen = MAX(ret->mac[0].last_seen, cur->last_seen);
                return;
        }
        /* No history, or the record moved on without it (a static entry loaded over it): the
         * record's MAC is the newest. */
        if (ret->n == STATION_HISTORY_MAX)
                ret->n--;
        memmove(&ret->mac[1], &ret->mac[0], ret->n * sizeof(ret->mac[0]));
        ret->mac[0] = (struct station_mac) {
                .lladdr = cur->lladdr,
                .first_seen = ret->n == 0 ? cur->first_seen : cur->last_seen,
                .last_seen = cur->last_seen,
        };
        ret->n++;
}

/* Moves entry i to the front. */
static void move_to_front(struct station_history *h, unsigned i) {
        struct station_mac m = h->mac[i];

        memmove(&h->mac[1], &h->mac[0], i * sizeof(h->mac[0]));
        h->mac[0] = m;
}

void station_classify(const struct station_options *o, const struct record *cur,
                      const struct station_history *stored, const struct lladdr *mac, usec_t now_rt,
                      struct station_result *ret) {
        struct station_history *h = &ret->history;
        unsigned i;

        /* the fields one by one: the history (most of the struct) is written by the view */
        ret->kind = STATION_NONE;
        ret->old_lladdr = (struct lladdr) {};
        ret->idle = 0;
        ret->store_history = false;
        station_history_view(cur, stored, h);
        if (h->n == 0) {
                ret->kind = STATION_NEW;
                h->stamp = now_rt; /* the new record's first_seen */
                h->n = 1;
                h->mac[0] = (struct station_mac) { .lladdr = *mac, .first_seen = now_rt, .last_seen = now_rt };
                return;
        }
        for (i = 0; i < h->n; i++)
                if (lladdr_equal(&h->mac[i].lladdr, mac))
                        break;
        if (i == 0) {
                usec_t last = h->mac[0].last_seen;

                if (o->new_activity_after > 0 && now_rt > last && now_rt - last > o->new_activity_after) {
                        ret->kind = STATION_NEW_ACTIVITY;
                        ret->idle = now_rt - last;
                }
                h->mac[0].last_seen = MAX(last, now_rt);
                return; /* the record holds the newest MAC's last_seen: nothing to store */
        }
        ret->old_lladdr = h->mac[0].lladdr;
        if (i < h->n) {
                ret->kind = i == 1 ? STATION_FLIP_FLOP : STATION_REUSED_OLD;
                move_to_front(h, i);
                h->mac[0].last_seen = MAX(h->mac[0].last_seen, now_rt);
        } else {
                ret->kind = STATION_CHANGED;
                if (h->n == STATION_HISTORY_MAX)
                        h->n--;
                memmove(&h->mac[1], &h->mac[0], h->n * sizeof(h->mac[0]));
                h->mac[0] = (struct station_mac) { .lladdr = *mac, .first_seen = now_rt, .last_seen = now_rt };
                h->n++;
        }
        ret->store_history = h->n > 1;
}

/* ---- encoding -------------------------------------------------------------------------------- */

static void put_u64le(uint8_t *b, uint64_t x) {
        for (unsigned i = 0; i < 8; i++)
                b[i] = (uint8_t) (x >> (8 * i));
}

static uint64_t get_u64le(const uint8_t *b) {
        uint64_t x = 0;

        for (unsigned i = 0; i < 8; i++)
                x |= (uint64_t) b[i] << (8 * i);
        return x;
}

int station_history_encode(const struct station_history *h, void *buf, size_t size) {
        uint8_t *b = buf;
        size_t off = 10;

        if (!h || h->n < 2 || h->n > STATION_HISTORY_MAX)
                return -EINVAL;
        for (unsigned i = 0; i < h->n; i++)
                if (h->mac[i].lladdr.len == 0 || h->mac[i].lladdr.len > LLADDR_MAX)
                        return -EINVAL;
        for (unsigned i = 0; i < h->n; i++)
                off += 1 + h->mac[i].lladdr.len + 16;
        if (size < off)
                return -ENOBUFS;
        b[0] = STATION_HISTORY_VERSION;
        b[1] = (uint8_t) h->n;
        put_u64le(b + 2, h->stamp);
        off = 10;
        for (unsigned i = 0; i < h->n; i++) {
                const struct station_mac *m = &h->mac[i];

                b[off++] = m->lladdr.len;
                memcpy(b + off, m->lladdr.bytes, m->lladdr.len);
                off += m->lladdr.len;
                put_u64le(b + off, m->first_seen);
                put_u64le(b + off + 8, m->last_seen);
                off += 16;
        }
        return (int) off;
}

int station_history_decode(const void *buf, size_t size, struct station_history *ret) {
        const uint8_t *b = buf;
        struct station_history h = {};
        size_t off = 10;

        if (!buf || size < 1)
                return -EBADMSG;
        if (b[0] != STATION_HISTORY_VERSION)
                return -EPROTONOSUPPORT;
        if (size < 10 || b[1] < 2 || b[1] > STATION_HISTORY_MAX)
                return -EBADMSG;
        h.n = b[1];
        h.stamp = get_u64le(b + 2);
        for (unsigned i = 0; i < h.n; i++) {
                struct station_mac *m = &h.mac[i];
                uint8_t len;

                if (off >= size)
                        return -EBADMSG;
                len = b[off++];
                if (len == 0 || len > LLADDR_MAX || size - off < (size_t) len + 16)
                        return -EBADMSG;
                lladdr_set(&m->lladdr, b + off, len);
                off += len;
                m->first_seen = get_u64le(b + off);
                m->last_seen = get_u64le(b + off + 8);
                off += 16;
                for (unsigned j = 0; j < i; j++)
                        if (lladdr_equal(&h.mac[j].lladdr, &m->lladdr))
                                return -EBADMSG; /* a MAC is listed once */
        }
        if (off != size)
                return -EBADMSG;
        *ret = h;
        return 0;
}
