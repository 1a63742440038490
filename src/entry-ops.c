/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "entry-ops.h"
#include "ifname-util.h"
#include "macro.h"

static int set_reason(const char **reason, const char *text) {
        if (reason)
                *reason = text;
        return -EINVAL;
}

int entry_address_check(int family, const union in_addr_union *a, const char **reason) {
        assert(a);
        if (family == AF_INET) {
                uint32_t h = ntohl(a->in.s_addr);

                if (!in4_addr_is_bogus_sender(a->in))
                        return 0;
                if ((h >> 24) == 0)
                        return set_reason(reason, "unspecified address (0.0.0.0/8), not a neighbour");
                if ((h >> 24) == 127)
                        return set_reason(reason, "loopback address, not a neighbour");
                if ((h >> 28) == 14)
                        return set_reason(reason, "multicast address, not a neighbour");
                return set_reason(reason, "broadcast or reserved address (240.0.0.0/4), not a neighbour");
        }
        if (family == AF_INET6) {
                if (!in6_addr_is_bogus_sender(&a->in6))
                        return 0;
                if (IN6_IS_ADDR_UNSPECIFIED(&a->in6))
                        return set_reason(reason, "unspecified address (::), not a neighbour");
                if (IN6_IS_ADDR_LOOPBACK(&a->in6))
                        return set_reason(reason, "loopback address, not a neighbour");
                if (IN6_IS_ADDR_MULTICAST(&a->in6))
                        return set_reason(reason, "multicast address, not a neighbour");
                return set_reason(reason, "IPv4-mapped address, not an IPv6 neighbour");
        }
        return set_reason(reason, "invalid IPv4 or IPv6 address");
}

int entry_key_parse(const char *ifname, const char *address, struct neigh_key *ret, const char **reason) {
        union in_addr_union a;
        int family;

        assert(ret);
        if (!ifname_valid(ifname))
                return set_reason(reason, "invalid interface name");
        if (!address || in_addr_from_string(address, &family, &a) < 0)
                return set_reason(reason, "invalid IPv4 or IPv6 address");
        if (neigh_key_make(ret, ifname, family, &a) < 0)
                return set_reason(reason, "invalid interface name");
        return 0;
}

int entry_static_key_parse(const char *ifname, const char *address, struct neigh_key *ret, const char **reason) {
        int r;

        r = entry_key_parse(ifname, address, ret, reason);
        if (r < 0)
                return r;
        return entry_address_check(ret->family, &ret->addr, reason);
}

/* The part of the link-layer rule that needs no link. */
static int lladdr_check_unicast(const struct lladdr *ll, const char **reason) {
        if (ll->len == 0 || lladdr_is_zero(ll))
                return set_reason(reason, "invalid link-layer address: all zero");
        if (lladdr_is_multicast(ll))
                return set_reason(reason, "invalid link-layer address: multicast or broadcast");
        return 0;
}

int entry_lladdr_check(const struct lladdr *ll, size_t link_len, const char **reason) {
        size_t want = link_len > 0 ? link_len : ENTRY_LLADDR_DEFAULT_LEN;
        int r;

        assert(ll);
        r = lladdr_check_unicast(ll, reason);
        if (r < 0)
                return r;
        if (ll->len != want)
                return set_reason(reason, want == 6 ? "invalid link-layer address: expected 6 octets (Ethernet), like 02:00:5e:10:00:01"
                                                    : "invalid link-layer address: not as long as the link's addresses");
        return 0;
}

int entry_lladdr_parse(const char *s, size_t link_len, struct lladdr *ret, const char **reason) {
        assert(ret);
        if (!s || lladdr_from_string(s, ret) < 0)
                return set_reason(reason, "invalid link-layer address: expected hex octets like 02:00:5e:10:00:01");
        return entry_lladdr_check(ret, link_len, reason);
}

int entry_load_check(const struct load_list *l, const char *name, size_t (*link_len)(const char *ifname, void *userdata),
                     void *userdata, char *err, size_t errlen) {
        assert(l);
        for (size_t i = 0; i < l->n; i++) {
                const struct load_entry *e = &l->entries[i];
                const char *reason = NULL;
                int r;

                if (!ifname_valid(e->ifname))
                        r = set_reason(&reason, "invalid interface name");
                else
                        r = entry_address_check(e->family, &e->addr, &reason);
                if (r >= 0 && e->state != RECORD_NEGATIVE)
                        r = entry_lladdr_check(&e->lladdr, link_len ? link_len(e->ifname, userdata) : 0, &reason);
                if (r < 0) {
                        if (err && errlen > 0)
                                snprintf(err, errlen, "%s:%lu: %s", name ? name : "input", l->lines ? l->lines[i] : 0UL,
                                         reason);
                        return -EINVAL;
                }
        }
        return 0;
}

/* Reports one change, or counts it once the observer's limit is reached. */
struct report {
        const struct entry_observer *o;
        uint64_t reported, folded;
};

static void report_change(struct report *rp, const struct neigh_key *k, const struct record *old,
                          const struct record *new) {
        if (!rp->o)
                return;
        if (rp->o->limit > 0 && rp->reported >= rp->o->limit) {
                rp->folded++;
                return;
        }
        rp->reported++;
        rp->o->changed(k, old, new, rp->o->userdata);
}

static void report_done(struct report *rp) {
        if (rp->o && rp->folded > 0 && rp->o->folded)
                rp->o->folded(rp->folded, rp->o->userdata);
        rp->folded = 0;
}

int entry_add_static(Store *s, const struct neigh_key *k, const struct lladdr *ll, usec_t now_rt,
                     const struct entry_observer *o) {
        _cleanup_(store_txn_abortp) StoreTxn *t = NULL;
        struct record old, rec;
        bool had;
        int r;

        assert(s);
        assert(k);
        assert(ll);
        if (lladdr_check_unicast(ll, NULL) < 0 || entry_address_check(k->family, &k->addr, NULL) < 0)
                return -EINVAL;
        r = store_txn_begin(s, &t);
        if (r < 0)
                return r;
        r = store_txn_get(t, k, &old);
        if (r < 0 && r != -ENOENT)
                return r;
        had = r == 0;
        rec = (struct record) {
                .state = RECORD_STATIC,
                .source = SOURCE_CONTROL,
                .lladdr = *ll,
                .first_seen = had && old.first_seen > 0 ? old.first_seen : now_rt,
                .last_seen = now_rt,
        };
        r = store_txn_put(t, k, &rec);
        if (r < 0)
                return r;
        r = store_txn_commit(TAKE_PTR(t));
        if (r < 0)
                return r;
        struct report rp = { .o = o };
        report_change(&rp, k, had ? &old : NULL, &rec);
        return 0;
}

int entry_delete(Store *s, const struct neigh_key *k, const struct entry_observer *o) {
        _cleanup_(store_txn_abortp) StoreTxn *t = NULL;
        struct record old;
        int r;

        assert(s);
        assert(k);
        r = store_txn_begin(s, &t);
        if (r < 0)
                return r;
        r = store_txn_get(t, k, &old);
        if (r < 0)
                return r; /* -ENOENT, or a value this version cannot read: left alone */
        r = store_txn_delete(t, k);
        if (r < 0)
                return r;
        r = store_txn_commit(TAKE_PTR(t));
        if (r < 0)
                return r;
        struct report rp = { .o = o };
        report_change(&rp, k, &old, NULL);
        return 0;
}

struct flush_chunk {
        const struct entry_filter *filter;
        struct neigh_key *keys;
        struct record *records;
        size_t n;
        size_t scanned;
        struct neigh_key last;
};

static int flush_collect(const struct neigh_key *k, const struct record *r, void *userdata) {
        struct flush_chunk *c = userdata;

        c->scanned++;
        c->last = *k;
        if (entry_filter_match(c->filter, k, r)) {
                c->keys[c->n] = *k;
                c->records[c->n] = *r;
                c->n++;
        }
        /* a chunk also ends after scanning a bounded number of records that did not match */
        return c->n >= ENTRY_FLUSH_CHUNK || c->scanned >= 16 * ENTRY_FLUSH_CHUNK ? 1 : 0;
}

int entry_flush(Store *s, const struct entry_filter *f, const struct entry_observer *o, uint64_t *ret_count) {
        _cleanup_free_ struct neigh_key *keys = calloc(ENTRY_FLUSH_CHUNK, sizeof(*keys));
        _cleanup_free_ struct record *records = calloc(ENTRY_FLUSH_CHUNK, sizeof(*records));
        struct report rp = { .o = o };
        struct neigh_key after;
        bool have_after = false, more = true;
        uint64_t total = 0;
        int r = 0;

        assert(s);
        assert(f);
        if (!keys || !records)
                return -ENOMEM;
        while (more) {
                _cleanup_(store_txn_abortp) StoreTxn *t = NULL;
                struct flush_chunk c = { .filter = f, .keys = keys, .records = records };

                r = store_foreach_after(s, f->ifname[0] ? f->ifname : NULL, f->family, have_after ? &after : NULL,
                                        flush_collect, &c);
                if (r < 0)
                        break;
                more = r > 0;
                if (c.scanned > 0) {
                        after = c.last;
                        have_after = true;
                }
                if (c.n == 0)
                        continue;
                r = store_txn_begin(s, &t);
                if (r < 0)
                        break;
                for (size_t i = 0; r >= 0 && i < c.n; i++) {
                        r = store_txn_delete(t, &keys[i]);
                        if (r == -ENOENT)
                                r = 0; /* gone meanwhile (another process) */
                }
                if (r < 0)
                        break;
                r = store_txn_commit(TAKE_PTR(t));
                if (r < 0)
                        break;
                total += c.n;
                for (size_t i = 0; i < c.n; i++)
                        report_change(&rp, &keys[i], &records[i], NULL);
        }
        report_done(&rp);
        if (ret_count)
                *ret_count = total;
        return r < 0 ? r : 0;
}

static int load_record(const struct load_entry *e, usec_t now_rt, struct neigh_key *k, struct record *ret) {
        int r;

        if (e->ifname[0] == '\0')
                return -ENODEV; /* an ifindex nobody resolved */
        if (entry_address_check(e->family, &e->addr, NULL) < 0 ||
            (e->state != RECORD_NEGATIVE && lladdr_check_unicast(&e->lladdr, NULL) < 0))
                return -EINVAL;
        r = neigh_key_make(k, e->ifname, e->family, &e->addr);
        if (r < 0)
                return r;
        *ret = (struct record) {
                .state = e->state,
                .source = SOURCE_LOAD,
                .first_seen = now_rt,
                .last_seen = now_rt,
        };
        if (e->state == RECORD_NEGATIVE)
                /* An age reaching back before the epoch is clamped to just after it (0 would mean
                 * "no negative window"). */
                ret->neg_since = now_rt > e->neg_age ? now_rt - e->neg_age : 1;
        else {
                ret->lladdr = e->lladdr;
                ret->flags = e->flags & RECORD_FLAG_ROUTER;
        }
        return 0;
}

int entry_load(Store *s, const struct load_entry *entries, size_t n, usec_t now_rt, const struct entry_observer *o,
               size_t *ret_failed) {
        _cleanup_(store_txn_abortp) StoreTxn *t = NULL;
        _cleanup_free_ struct record *olds = NULL;
        _cleanup_free_ bool *had = NULL;
        size_t n_old = 0;
        int r;

        assert(s);
        assert(entries || n == 0);
        if (n == 0)
                return 0;
        if (n > INT32_MAX)
                return -E2BIG;
        /* Old records only for the changes that will be reported one by one. */
        if (o)
                n_old = o->limit > 0 ? (size_t) MIN((uint64_t) n, o->limit) : n;
        if (n_old > 0) {
                olds = calloc(n_old, sizeof(*olds));
                had = calloc(n_old, sizeof(*had));
                if (!olds || !had)
                        return -ENOMEM;
        }
        r = store_txn_begin(s, &t);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                struct neigh_key k;
                struct record rec;

                r = load_record(&entries[i], now_rt, &k, &rec);
                if (r >= 0 && i < n_old) {
                        int q = store_txn_get(t, &k, &olds[i]);
                        had[i] = q == 0;
                }
                if (r >= 0)
                        r = store_txn_put(t, &k, &rec);
                if (r < 0) {
                        if (ret_failed)
                                *ret_failed = i;
                        return r;
                }
        }
        r = store_txn_commit(TAKE_PTR(t));
        if (r < 0)
                return r;
        if (o) {
                struct report rp = { .o = o };

                for (size_t i = 0; i < n; i++) {
                        struct neigh_key k;
                        struct record rec;

                        if (i >= n_old) {
                                rp.folded += n - i;
                                break;
                        }
                        (void) load_record(&entries[i], now_rt, &k, &rec);
                        report_change(&rp, &k, had[i] ? &olds[i] : NULL, &rec);
                }
                report_done(&rp);
        }
        return (int) n;
}

int entry_set_limits(Store *s, const struct store_limits *want, struct store_limits *before, struct store_limits *after,
                     uint64_t *evicted) {
        struct store_limits b = {}, m;
        int r;

        if (!want)
                return -EINVAL;
        if ((want->max_entries != 0 && (want->max_entries < STORE_LIMIT_MIN || want->max_entries > STORE_LIMIT_MAX)) ||
            (want->max_per_iface != 0 && (want->max_per_iface < STORE_LIMIT_MIN || want->max_per_iface > STORE_LIMIT_MAX)))
                return -EINVAL;
        r = store_get_limits(s, &b);
        if (r < 0)
                return r;
        /* The bounds already recorded (a daemon started with the same --max-entries as last
         * time): no write transaction, so a start neither waits for another writer nor changes
         * the file. Every writer keeps the store within its bounds, so nothing is over them. */
        m = store_limits_merge(&b, want);
        if (m.max_entries == b.max_entries && m.max_per_iface == b.max_per_iface)
                r = 0;
        else
                r = store_set_limits(s, want);
        if (r < 0)
                return r;
        if (before)
                *before = b;
        if (evicted)
                *evicted = (uint64_t) r;
        if (after) {
                int q = store_get_limits(s, after);
                if (q < 0)
                        return q;
        }
        return 0;
}

/* ---- streaming ----------------------------------------------------------------------------- */

struct reported {
        struct neigh_key key;
        struct record old, new;
        bool had;
};

struct EntryLoad {
        Store *store;
        LoadReader *rd;
        StoreTxn *txn;
        usec_t now;
        const struct entry_observer *o;
        struct entry_observer observer; /* a copy: o points here */
        struct report rp;
        entry_link_len_t link_len;
        void *userdata;
        bool checking;                  /* the first pass of a rewindable input */
        bool chunked;                   /* commit every chunk entries (second pass) */
        size_t chunk;
        struct reported *reports;       /* the open transaction's changes to report, up to the limit */
        size_t n_reports, cap_reports;
        uint64_t written, committed;
};

int entry_load_new(Store *s, LoadReader *rd, usec_t now_rt, const struct entry_observer *o, entry_link_len_t link_len,
                   void *userdata, EntryLoad **ret) {
        EntryLoad *l;

        assert(rd);
        assert(ret);
        assert(s || load_reader_can_rewind(rd));
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        *l = (EntryLoad) { .store = s, .rd = rd, .now = now_rt, .link_len = link_len, .userdata = userdata };
        if (o) {
                l->observer = *o;
                l->o = &l->observer;
                l->rp.o = l->o;
        }
        l->checking = l->chunked = load_reader_can_rewind(rd);
        l->chunk = ENTRY_LOAD_CHUNK;
        *ret = l;
        return 0;
}

EntryLoad *entry_load_free(EntryLoad *l) {
        if (!l)
                return NULL;
        store_txn_abort(l->txn);
        free(l->reports);
        free(l);
        return NULL;
}

void entry_load_set_chunk(EntryLoad *l, size_t n) {
        l->chunk = n > 0 ? n : ENTRY_LOAD_CHUNK;
}

void entry_load_set_store(EntryLoad *l, Store *s) {
        l->store = s;
}

bool entry_load_checking(const EntryLoad *l) {
        return l->checking;
}

uint64_t entry_load_written(const EntryLoad *l) {
        return l->written;
}

uint64_t entry_load_committed(const EntryLoad *l) {
        return l->committed;
}

/* Keeps a change to report after the commit (only up to the observer's limit). */
static int load_remember(EntryLoad *l, const struct neigh_key *k, const struct record *rec) {
        struct reported *p;

        if (!l->o || (l->o->limit > 0 && l->rp.reported + l->n_reports >= l->o->limit))
                return 0;
        if (l->n_reports >= l->cap_reports) {
                size_t ncap = l->cap_reports ? l->cap_reports * 2 : 64;
                struct reported *n = reallocarray(l->reports, ncap, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                l->reports = n;
                l->cap_reports = ncap;
        }
        p = &l->reports[l->n_reports++];
        p->key = *k;
        p->new = *rec;
        p->had = store_txn_get(l->txn, k, &p->old) == 0;
        return 0;
}

static int load_commit(EntryLoad *l) {
        uint64_t n = l->written - l->committed;
        int r;

        if (!l->txn)
                return 0;
        r = store_txn_commit(TAKE_PTR(l->txn));
        if (r < 0)
                return r;
        l->committed = l->written;
        if (l->o) {
                for (size_t i = 0; i < l->n_reports; i++)
                        report_change(&l->rp, &l->reports[i].key, l->reports[i].had ? &l->reports[i].old : NULL,
                                      &l->reports[i].new);
                l->rp.folded += n - l->n_reports;
                l->n_reports = 0;
                report_done(&l->rp);
        }
        return 0;
}

_printf_(5, 6) static int load_fail(EntryLoad *l, int r, char *err, size_t errlen, const char *fmt, ...);
static int load_fail(EntryLoad *l, int r, char *err, size_t errlen, const char *fmt, ...) {
        va_list ap;
        size_t n;

        if (!err || errlen == 0)
                return r;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        n = strlen(err);
        if (l->committed > 0 && n < errlen)
                snprintf(err + n, errlen - n, " (after %llu entries were stored)", (unsigned long long) l->committed);
        return r;
}

int entry_load_step(EntryLoad *l, size_t max, char *err, size_t errlen) {
        int r;

        assert(l);
        for (size_t done = 0; max == 0 || done < max; done++) {
                struct load_entry e;
                struct neigh_key k;
                struct record rec;
                const char *reason = NULL;

                r = load_reader_next(l->rd, &e);
                if (r == -EAGAIN)
                        return r;
                if (r < 0)
                        return load_fail(l, r, err, errlen, "%s%s", load_reader_error(l->rd),
                                         l->chunked && !l->checking ? " (the input changed during the load)" : "");
                if (r == 0) {
                        if (l->checking) {
                                /* every line is good: now write */
                                r = load_reader_rewind(l->rd);
                                if (r < 0)
                                        return load_fail(l, r, err, errlen, "%s: cannot read it again: %s",
                                                         load_reader_name(l->rd), strerror(-r));
                                l->checking = false;
                                if (!l->store)
                                        return 0; /* checked; entry_load_set_store() to write */
                                continue;
                        }
                        if (!l->txn && l->written == 0) {
                                /* nothing to store: the store is not written at all */
                                return 0;
                        }
                        r = load_commit(l);
                        if (r < 0)
                                return load_fail(l, r, err, errlen, "%s: cannot store the entries: %s",
                                                 load_reader_name(l->rd), strerror(-r));
                        return 0;
                }
                /* entry_load_check()'s rules, one entry at a time */
                r = entry_address_check(e.family, &e.addr, &reason);
                if (r >= 0 && e.state != RECORD_NEGATIVE)
                        r = entry_lladdr_check(&e.lladdr, l->link_len ? l->link_len(e.ifname, l->userdata) : 0,
                                               &reason);
                if (r < 0)
                        return load_fail(l, r, err, errlen, "%s:%lu: %s", load_reader_name(l->rd),
                                         load_reader_line(l->rd), reason);
                if (l->checking)
                        continue;
                if (!l->txn) {
                        assert(l->store);
                        r = store_txn_begin(l->store, &l->txn);
                        if (r < 0)
                                return load_fail(l, r, err, errlen, "%s: cannot write the store: %s",
                                                 load_reader_name(l->rd), strerror(-r));
                }
                r = load_record(&e, l->now, &k, &rec);
                if (r >= 0)
                        r = load_remember(l, &k, &rec);
                if (r >= 0)
                        r = store_txn_put(l->txn, &k, &rec);
                if (r < 0)
                        return load_fail(l, r, err, errlen, "%s:%lu: cannot store the entry: %s",
                                         load_reader_name(l->rd), load_reader_line(l->rd), strerror(-r));
                l->written++;
                if (l->chunked && l->written - l->committed >= l->chunk) {
                        r = load_commit(l);
                        if (r < 0)
                                return load_fail(l, r, err, errlen, "%s:%lu: cannot store the entries: %s",
                                                 load_reader_name(l->rd), load_reader_line(l->rd), strerror(-r));
                        return 1; /* a step ends after a commit: the caller may write in between */
                }
        }
        return 1;
}

int64_t entry_load_stream(LoadReader *rd, usec_t now_rt, const struct entry_load_io *io, uint64_t *ret_committed,
                          char *err, size_t errlen) {
        _cleanup_(entry_load_freep) EntryLoad *l = NULL;
        Store *s = NULL;
        int r;

        assert(rd);
        assert(io && io->open_store);
        if (err && errlen > 0)
                err[0] = '\0';
        if (ret_committed)
                *ret_committed = 0;
        if (!load_reader_can_rewind(rd)) {
                r = io->open_store(&s, io->userdata);
                if (r < 0)
                        return r;
        }
        r = entry_load_new(s, rd, now_rt, NULL, NULL, NULL, &l);
        if (r < 0) {
                if (err && errlen > 0)
                        snprintf(err, errlen, "%s: out of memory", load_reader_name(rd));
                return r;
        }
        for (;;) {
                r = entry_load_step(l, io->progress ? 4096 : 0, err, errlen);
                if (ret_committed)
                        *ret_committed = l->committed;
                if (r == -EAGAIN) {
                        if (err && errlen > 0)
                                snprintf(err, errlen, "%s: the input would block", load_reader_name(rd));
                        return r;
                }
                if (r < 0)
                        return r;
                if (io->progress)
                        io->progress(l, rd, io->userdata);
                if (r > 0)
                        continue;
                if (s)
                        break;
                /* checked: now the store */
                r = io->open_store(&s, io->userdata);
                if (r < 0)
                        return r;
                entry_load_set_store(l, s);
        }
        return (int64_t) l->committed;
}
