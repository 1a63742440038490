/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lmdb-check.h"
#include "macro.h"

/* The on-disk layout of LMDB 0.9.x (lmdb-check.h). */
#define W ((size_t) sizeof(size_t))
#define PAGE_HDR (W + 8)
#define PG_FLAGS (W + 2)
#define PG_LOWER (W + 4)
#define PG_UPPER (W + 6)
#define PG_PAGES (W + 4)
#define M_MAGIC PAGE_HDR
#define M_VERSION (PAGE_HDR + 4)
#define M_DBS (PAGE_HDR + 8 + 2 * W)
#define DB_SIZE (8 + 5 * W)
#define M_LAST_PG (M_DBS + 2 * DB_SIZE)
#define M_TXNID (M_LAST_PG + W)
#define M_END (M_TXNID + W)
#define NODE_HDR 8

#define LMDB_MAGIC 0xBEEFC0DEu
#define LMDB_DATA_VERSION 1
#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define P_META 0x08
#define P_LEAF2 0x20
#define P_SUBP 0x40
#define P_TYPE (P_BRANCH | P_LEAF | P_OVERFLOW | P_META | P_LEAF2 | P_SUBP)
#define F_BIGDATA 0x01
#define F_SUBDATA 0x02
#define F_DUPDATA 0x04
#define DB_DUPSORT 0x04
#define MAX_DEPTH 32
#define MIN_PSIZE 512
#define MAX_PSIZE 65536
#define MAX_PAGES ((uint64_t) 1 << 32) /* 16 TiB of 4 KiB pages: far beyond any store */
/* Pages counted in last_pg but never written (freed in the transaction that allocated them)
 * may lie past the end of the file; more than this many is damage, not that. */
#define MAX_UNWRITTEN_PAGES ((uint64_t) 1 << 24)

enum { FREE_DB, MAIN_DB };
enum tree_kind { TREE_FREE, TREE_MAIN, TREE_SUB };

struct db {
        uint32_t pad;
        uint16_t flags, depth;
        uint64_t branch, leaf, overflow, entries, root;
};

struct meta {
        uint32_t psize;
        uint64_t last_pg, txnid;
        struct db dbs[2];
};

struct walk {
        int fd;
        uint32_t psize;
        uint64_t npages;     /* last_pg + 1 */
        uint64_t file_size;
        uint8_t *used;       /* bitmap: pages reachable from the roots */
        uint8_t *freed;      /* bitmap: pages the free-page database lists */
        char *why;
        size_t why_size;
        /* Pages are read WINDOW_BYTES at a time (a tree written in key order lies mostly in
         * file order): one pread() per window, not per page. win holds win_len bytes of the
         * file from page win_first on (win_len 0: nothing yet). */
        uint8_t *win;
        uint64_t win_first;
        size_t win_len;
        /* Or, where it could be mapped, the file's whole pages as they were when the check
         * began (map_len bytes, a multiple of psize): read without a system call. Only pages
         * inside the file are touched, so a file cut short fails the check, not the process. */
        const uint8_t *map;
        size_t map_len;
};

#define WINDOW_BYTES ((size_t) 1 << 20)

struct tally {
        uint64_t branch, leaf, overflow, entries;
};

static const uint64_t P_INVALID = (uint64_t) (size_t) -1;

static uint16_t get16(const uint8_t *p) {
        uint16_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

static uint32_t get32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

static uint64_t get_word(const uint8_t *p) {
        size_t v;
        memcpy(&v, p, sizeof(v));
        return (uint64_t) v;
}

_printf_(3, 4) static int fail(char *why, size_t size, const char *fmt, ...) {
        va_list ap;

        if (why && size > 0) {
                va_start(ap, fmt);
                vsnprintf(why, size, fmt, ap);
                va_end(ap);
        }
        return LMDB_CHECK_DAMAGED;
}

_printf_(3, 4) static int unsupported(char *why, size_t size, const char *fmt, ...) {
        va_list ap;

        if (why && size > 0) {
                va_start(ap, fmt);
                vsnprintf(why, size, fmt, ap);
                va_end(ap);
        }
        return LMDB_CHECK_UNSUPPORTED;
}

const char *lmdb_check_to_string(enum lmdb_check c) {
        switch (c) {
        case LMDB_CHECK_OK:
                return "ok";
        case LMDB_CHECK_EMPTY:
                return "empty";
        case LMDB_CHECK_NOT_LMDB:
                return "not an LMDB file";
        case LMDB_CHECK_UNSUPPORTED:
                return "an unsupported LMDB file";
        case LMDB_CHECK_DAMAGED:
                return "damaged";
        }
        return "unknown";
}

/* ---- meta pages ------------------------------------------------------------------------------- */

static void parse_db(const uint8_t *p, struct db *d) {
        *d = (struct db) {
                .pad = get32(p),
                .flags = get16(p + 4),
                .depth = get16(p + 6),
                .branch = get_word(p + 8),
                .leaf = get_word(p + 8 + W),
                .overflow = get_word(p + 8 + 2 * W),
                .entries = get_word(p + 8 + 3 * W),
                .root = get_word(p + 8 + 4 * W),
        };
}

/* Reads the meta page at off. 1 = a valid LMDB meta, 0 = not one, < 0 = read error. *why_not
 * tells a foreign version or byte order (2) from anything else (1). */
static int read_meta(int fd, off_t off, struct meta *m, int *why_not) {
        uint8_t b[M_END];
        ssize_t n = pread(fd, b, sizeof(b), off);

        *why_not = 1;
        if (n < 0)
                return -errno;
        if ((size_t) n < sizeof(b))
                return 0;
        if (get32(b + M_MAGIC) == __builtin_bswap32(LMDB_MAGIC)) {
                *why_not = 2;
                return 0;
        }
        if (!(get16(b + PG_FLAGS) & P_META) || get32(b + M_MAGIC) != LMDB_MAGIC)
                return 0;
        if (get32(b + M_VERSION) != LMDB_DATA_VERSION) {
                *why_not = 2;
                return 0;
        }
        parse_db(b + M_DBS, &m->dbs[FREE_DB]);
        parse_db(b + M_DBS + DB_SIZE, &m->dbs[MAIN_DB]);
        m->psize = m->dbs[FREE_DB].pad;
        m->last_pg = get_word(b + M_LAST_PG);
        m->txnid = get_word(b + M_TXNID);
        return 1;
}

static bool psize_valid(uint32_t p) {
        return p >= MIN_PSIZE && p <= MAX_PSIZE && (p & (p - 1)) == 0;
}

static bool all_zero(int fd, size_t len) {
        uint8_t b[4096];

        for (size_t off = 0; off < len; off += sizeof(b)) {
                ssize_t n = pread(fd, b, MIN(sizeof(b), len - off), (off_t) off);
                if (n <= 0)
                        return n == 0;
                for (ssize_t i = 0; i < n; i++)
                        if (b[i] != 0)
                                return false;
        }
        return true;
}

static int check_one_meta(const struct meta *m, int i, char *why, size_t size) {
        if (m->last_pg < 1 || m->last_pg >= MAX_PAGES)
                return fail(why, size, "meta page %d: last page %llu out of range", i, (unsigned long long) m->last_pg);
        /* LMDB writes transaction T's meta to page T & 1 and its readers pick the meta by that
         * parity (not by comparing txnids): a meta on the wrong page makes them read the other,
         * unchecked snapshot. Both metas hold txnid 0 in a new environment. */
        if (m->txnid != 0 && (m->txnid & 1) != (uint64_t) i)
                return fail(why, size, "meta page %d: transaction id %llu belongs on meta page %d", i,
                            (unsigned long long) m->txnid, (int) (m->txnid & 1));
        for (int d = 0; d < 2; d++) {
                const struct db *db = &m->dbs[d];

                if (db->root == P_INVALID)
                        continue;
                if (db->root < 2 || db->root > m->last_pg || db->depth < 1 || db->depth > MAX_DEPTH)
                        return fail(why, size, "meta page %d: %s database root %llu or depth %u out of range", i,
                                    d == FREE_DB ? "free-page" : "main", (unsigned long long) db->root, db->depth);
        }
        if (m->dbs[MAIN_DB].flags & DB_DUPSORT)
                return unsupported(why, size, "the main database holds sorted duplicates");
        return LMDB_CHECK_OK;
}

/* Both meta pages: the current one in *cur (by txnid, or the larger one if txnid is 0). */
static int check_metas(int fd, uint64_t txnid, struct meta *cur, uint64_t *file_size, char *why, size_t size) {
        struct meta m[2] = {};
        struct stat st;
        int r, why_not;

        if (fstat(fd, &st) < 0)
                return -errno;
        *file_size = (uint64_t) st.st_size;
        if (st.st_size == 0)
                return LMDB_CHECK_EMPTY;

        r = read_meta(fd, 0, &m[0], &why_not);
        if (r < 0)
                return r;
        if (r == 0) {
                /* Page 0 is not a meta page: is page 1, for some page size? */
                if (why_not == 2)
                        return unsupported(why, size, "another LMDB data version or byte order");
                for (uint32_t p = MIN_PSIZE; p <= MAX_PSIZE; p *= 2) {
                        r = read_meta(fd, p, &m[1], &why_not);
                        if (r < 0)
                                return r;
                        if (r > 0 && m[1].psize == p)
                                return fail(why, size, "meta page 0 is damaged (meta page 1 is intact)");
                }
                if (all_zero(fd, MIN((uint64_t) 2 * 4096, *file_size)))
                        return fail(why, size, "the file holds only zero bytes where its meta pages belong");
                return LMDB_CHECK_NOT_LMDB;
        }
        if (!psize_valid(m[0].psize))
                return fail(why, size, "meta page 0: page size %u", m[0].psize);
        r = read_meta(fd, m[0].psize, &m[1], &why_not);
        if (r < 0)
                return r;
        if (r == 0)
                return fail(why, size, "meta page 1 is damaged or missing (meta page 0 is intact)");
        if (m[1].psize != m[0].psize)
                return fail(why, size, "the meta pages disagree on the page size (%u, %u)", m[0].psize, m[1].psize);
        if (*file_size < 2 * (uint64_t) m[0].psize)
                return fail(why, size, "the file (%llu bytes) is shorter than its two meta pages",
                            (unsigned long long) *file_size);
        for (int i = 0; i < 2; i++) {
                r = check_one_meta(&m[i], i, why, size);
                if (r != LMDB_CHECK_OK)
                        return r;
        }
        if (txnid == 0)
                *cur = m[m[1].txnid > m[0].txnid ? 1 : 0];
        else if (m[0].txnid == txnid || m[1].txnid == txnid)
                *cur = m[m[1].txnid == txnid ? 1 : 0];
        else
                return -ESTALE;
        return LMDB_CHECK_OK;
}

int lmdb_check_meta(int fd, char *why, size_t why_size) {
        struct meta m;
        uint64_t size;

        if (why && why_size > 0)
                why[0] = '\0';
        return check_metas(fd, 0, &m, &size, why, why_size);
}

/* ---- the page walk ---------------------------------------------------------------------------- */

static bool bit_test_set(uint8_t *map, uint64_t i) {
        bool was = map[i / 8] & (1u << (i % 8));
        map[i / 8] |= (uint8_t) (1u << (i % 8));
        return was;
}

/* Reads page pgno into b, or explains why not. */
static int read_page(struct walk *w, uint64_t pgno, uint8_t *b) {
        ssize_t n;

        if (pgno < 2 || pgno >= w->npages)
                return fail(w->why, w->why_size, "a reference to page %llu, past the last page %llu",
                            (unsigned long long) pgno, (unsigned long long) (w->npages - 1));
        if (bit_test_set(w->used, pgno))
                return fail(w->why, w->why_size, "page %llu is referenced twice", (unsigned long long) pgno);
        if (w->map) {
                if ((pgno + 1) * w->psize > w->map_len)
                        return fail(w->why, w->why_size,
                                    "page %llu lies past the end of the file (%llu bytes): the file was cut short",
                                    (unsigned long long) pgno, (unsigned long long) w->file_size);
                memcpy(b, w->map + pgno * w->psize, w->psize);
                n = (ssize_t) w->psize;
        } else if (w->win && (pgno < w->win_first || (pgno - w->win_first + 1) * w->psize > w->win_len)) {
                /* not in the window: the window moves to start at pgno */
                size_t want = WINDOW_BYTES / w->psize;

                want = (size_t) MIN((uint64_t) want, w->npages - pgno) * w->psize;
                n = pread(w->fd, w->win, want, (off_t) (pgno * w->psize));
                if (n < 0)
                        return -errno;
                w->win_first = pgno;
                w->win_len = (size_t) n;
        }
        if (w->map)
                ;
        else if (w->win) {
                n = (pgno - w->win_first + 1) * w->psize <= w->win_len ? (ssize_t) w->psize : 0;
                if (n > 0)
                        memcpy(b, w->win + (pgno - w->win_first) * w->psize, w->psize);
        } else {
                n = pread(w->fd, b, w->psize, (off_t) (pgno * w->psize));
                if (n < 0)
                        return -errno;
        }
        if ((size_t) n < w->psize)
                return fail(w->why, w->why_size,
                            "page %llu lies past the end of the file (%llu bytes): the file was cut short",
                            (unsigned long long) pgno, (unsigned long long) w->file_size);
        if (get_word(b) != pgno)
                return fail(w->why, w->why_size, "page %llu has the number %llu in its header", (unsigned long long) pgno,
                            (unsigned long long) get_word(b));
        return LMDB_CHECK_OK;
}

/* A free-page list: a count, then that many page numbers. */
static int check_idl(struct walk *w, const uint8_t *d, uint64_t len) {
        uint64_t n;

        if (len < W || len % W != 0 || (n = get_word(d)) != len / W - 1)
                return fail(w->why, w->why_size, "a free-page list of %llu bytes is malformed", (unsigned long long) len);
        for (uint64_t i = 1; i <= n; i++) {
                uint64_t pg = get_word(d + i * W);

                if (pg < 2 || pg >= w->npages)
                        return fail(w->why, w->why_size, "the free-page list names page %llu, past the last page",
                                    (unsigned long long) pg);
                if (bit_test_set(w->freed, pg))
                        return fail(w->why, w->why_size, "page %llu is listed as free twice", (unsigned long long) pg);
        }
        return LMDB_CHECK_OK;
}

static int walk_tree(struct walk *w, const struct db *db, enum tree_kind kind, const char *name);

/* The overflow run holding a big value. For a free-page record its list is checked too. */
static int check_overflow(struct walk *w, uint64_t pgno, uint64_t dsize, enum tree_kind kind, struct tally *t) {
        _cleanup_free_ uint8_t *b = malloc(w->psize), *data = NULL;
        uint64_t pages = (PAGE_HDR - 1 + dsize) / w->psize + 1;
        int r;

        if (!b)
                return -ENOMEM;
        r = read_page(w, pgno, b);
        if (r != LMDB_CHECK_OK)
                return r;
        if ((get16(b + PG_FLAGS) & P_TYPE) != P_OVERFLOW || get32(b + PG_PAGES) != pages)
                return fail(w->why, w->why_size, "overflow page %llu: wrong type or page count", (unsigned long long) pgno);
        if (pgno + pages > w->npages)
                return fail(w->why, w->why_size, "overflow run at page %llu ends past the last page",
                            (unsigned long long) pgno);
        if ((pgno + pages) * w->psize > w->file_size)
                return fail(w->why, w->why_size,
                            "overflow run at page %llu lies past the end of the file: the file was cut short",
                            (unsigned long long) pgno);
        for (uint64_t i = 1; i < pages; i++)
                if (bit_test_set(w->used, pgno + i))
                        return fail(w->why, w->why_size, "page %llu is referenced twice", (unsigned long long) (pgno + i));
        t->overflow += pages;
        if (kind != TREE_FREE)
                return LMDB_CHECK_OK;
        data = malloc(dsize);
        if (!data)
                return -ENOMEM;
        if (pread(w->fd, data, dsize, (off_t) (pgno * w->psize + PAGE_HDR)) != (ssize_t) dsize)
                return fail(w->why, w->why_size, "overflow run at page %llu cannot be read", (unsigned long long) pgno);
        return check_idl(w, data, dsize);
}

static int check_leaf_node(struct walk *w, const uint8_t *b, size_t off, enum tree_kind kind, struct tally *t) {
        uint16_t flags = get16(b + off + 4), ksize = get16(b + off + 6);
        uint64_t dsize = get16(b + off) | (uint64_t) get16(b + off + 2) << 16;
        const uint8_t *data = b + off + NODE_HDR + ksize;
        int r;

        if (flags & F_DUPDATA)
                return unsupported(w->why, w->why_size, "a database holds sorted duplicates");
        if (flags & F_BIGDATA) {
                if (off + NODE_HDR + ksize + W > w->psize || (flags & F_SUBDATA))
                        return fail(w->why, w->why_size, "a leaf node overruns its page");
                r = check_overflow(w, get_word(data), dsize, kind, t);
                if (r != LMDB_CHECK_OK)
                        return r;
        } else {
                if (off + NODE_HDR + ksize + dsize > w->psize)
                        return fail(w->why, w->why_size, "a leaf node overruns its page");
                if (kind == TREE_FREE) {
                        r = check_idl(w, data, dsize);
                        if (r != LMDB_CHECK_OK)
                                return r;
                }
        }
        if (kind == TREE_FREE && ksize != W)
                return fail(w->why, w->why_size, "a free-page record has a %u-byte key", ksize);
        if (flags & F_SUBDATA) {
                char name[64];
                struct db sub;

                if (kind != TREE_MAIN || dsize != DB_SIZE)
                        return fail(w->why, w->why_size, "a named-database record is malformed");
                parse_db(data, &sub);
                snprintf(name, sizeof(name), "\"%.*s\"", (int) MIN(ksize, (uint16_t) 40),
                         (const char *) (b + off + NODE_HDR));
                r = walk_tree(w, &sub, TREE_SUB, name);
                if (r != LMDB_CHECK_OK)
                        return r;
        }
        t->entries++;
        return LMDB_CHECK_OK;
}

/* Page pgno at level (1 = the root) of a tree of the given depth. */
static int walk_page(struct walk *w, uint64_t pgno, unsigned level, unsigned depth, enum tree_kind kind, struct tally *t) {
        _cleanup_free_ uint8_t *b = malloc(w->psize);
        uint16_t type, lower, upper;
        size_t n;
        int r;

        if (!b)
                return -ENOMEM;
        r = read_page(w, pgno, b);
        if (r != LMDB_CHECK_OK)
                return r;
        type = get16(b + PG_FLAGS) & P_TYPE;
        lower = get16(b + PG_LOWER);
        upper = get16(b + PG_UPPER);
        if (type == P_LEAF2)
                return unsupported(w->why, w->why_size, "a database holds fixed-size duplicates");
        if (type != (level < depth ? P_BRANCH : P_LEAF))
                return fail(w->why, w->why_size, "page %llu has type %#x, not a %s page at level %u of %u",
                            (unsigned long long) pgno, type, level < depth ? "branch" : "leaf", level, depth);
        if (lower < PAGE_HDR || (lower - PAGE_HDR) % 2 != 0 || upper > w->psize || lower > upper)
                return fail(w->why, w->why_size, "page %llu has a malformed header", (unsigned long long) pgno);
        n = (lower - PAGE_HDR) / 2;
        if (n == 0 && (level > 1 || type == P_BRANCH))
                return fail(w->why, w->why_size, "page %llu is empty", (unsigned long long) pgno);
        if (type == P_BRANCH)
                t->branch++;
        else
                t->leaf++;

        for (size_t i = 0; i < n; i++) {
                size_t off = get16(b + PAGE_HDR + 2 * i);

                if (off < upper || off % 2 != 0 || off + NODE_HDR > w->psize ||
                    off + NODE_HDR + get16(b + off + 6) > w->psize)
                        return fail(w->why, w->why_size, "page %llu: node %zu lies outside the page",
                                    (unsigned long long) pgno, i);
                if (type == P_BRANCH) {
                        uint64_t child = get16(b + off) | (uint64_t) get16(b + off + 2) << 16;
                        if (W > 4)
                                child |= (uint64_t) get16(b + off + 4) << 32;
                        r = walk_page(w, child, level + 1, depth, kind, t);
                } else
                        r = check_leaf_node(w, b, off, kind, t);
                if (r != LMDB_CHECK_OK)
                        return r;
        }
        return LMDB_CHECK_OK;
}

static int walk_tree(struct walk *w, const struct db *db, enum tree_kind kind, const char *name) {
        struct tally t = {};
        int r;

        if (db->flags & DB_DUPSORT)
                return unsupported(w->why, w->why_size, "database %s holds sorted duplicates", name);
        if (db->root == P_INVALID) {
                if (db->entries != 0 || db->depth != 0)
                        return fail(w->why, w->why_size, "database %s has no root but %llu entries", name,
                                    (unsigned long long) db->entries);
                return LMDB_CHECK_OK;
        }
        if (db->depth < 1 || db->depth > MAX_DEPTH)
                return fail(w->why, w->why_size, "database %s has depth %u", name, db->depth);
        r = walk_page(w, db->root, 1, db->depth, kind, &t);
        if (r != LMDB_CHECK_OK)
                return r;
        if (t.entries != db->entries || t.branch != db->branch || t.leaf != db->leaf || t.overflow != db->overflow)
                return fail(w->why, w->why_size,
                            "database %s: %llu entries in %llu+%llu+%llu pages found, "
                            "its record says %llu in %llu+%llu+%llu",
                            name, (unsigned long long) t.entries, (unsigned long long) t.branch,
                            (unsigned long long) t.leaf, (unsigned long long) t.overflow,
                            (unsigned long long) db->entries, (unsigned long long) db->branch,
                            (unsigned long long) db->leaf, (unsigned long long) db->overflow);
        return LMDB_CHECK_OK;
}

int lmdb_check_file(int fd, uint64_t txnid, char *why, size_t why_size) {
        _cleanup_free_ uint8_t *used = NULL, *freed = NULL, *win = NULL;
        struct meta m;
        struct walk w;
        uint64_t size;
        int r;

        if (why && why_size > 0)
                why[0] = '\0';
        r = check_metas(fd, txnid, &m, &size, why, why_size);
        if (r != LMDB_CHECK_OK)
                return r;

        if (m.last_pg + 1 > size / m.psize + MAX_UNWRITTEN_PAGES)
                return fail(why, why_size, "the last page %llu lies far past the end of the file (%llu bytes)",
                            (unsigned long long) m.last_pg, (unsigned long long) size);
        used = calloc((m.last_pg + 1) / 8 + 1, 1);
        freed = calloc((m.last_pg + 1) / 8 + 1, 1);
        if (!used || !freed)
                return -ENOMEM;
        if (m.psize <= WINDOW_BYTES)
                win = malloc(WINDOW_BYTES); /* without it, page by page */
        w = (struct walk) {
                .win = win,
                .fd = fd,
                .psize = m.psize,
                .npages = m.last_pg + 1,
                .file_size = size,
                .used = used,
                .freed = freed,
                .why = why,
                .why_size = why_size,
        };
        if (size / m.psize > 0) {
                void *p = mmap(NULL, (size_t) (size / m.psize * m.psize), PROT_READ, MAP_SHARED, fd, 0);

                if (p != MAP_FAILED) {
                        w.map = p;
                        w.map_len = (size_t) (size / m.psize * m.psize);
                }
        }
        r = walk_tree(&w, &m.dbs[MAIN_DB], TREE_MAIN, "main");
        if (r == LMDB_CHECK_OK)
                r = walk_tree(&w, &m.dbs[FREE_DB], TREE_FREE, "free-page");
        if (w.map)
                (void) munmap((void *) w.map, w.map_len);
        if (r != LMDB_CHECK_OK)
                return r;
        for (uint64_t i = 0; i < (m.last_pg + 1) / 8 + 1; i++)
                if (used[i] & freed[i]) {
                        uint64_t pg = i * 8 + (uint64_t) __builtin_ctz(used[i] & freed[i]);
                        return fail(why, why_size, "page %llu is in use and listed as free", (unsigned long long) pg);
                }
        return LMDB_CHECK_OK;
}
