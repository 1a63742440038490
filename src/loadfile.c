/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-util.h"
#include "buf-util.h"
#include "ifname-util.h"
#include "loadfile.h"
#include "macro.h"

/* No valid line has more fields than "ADDR dev IF lladdr MAC" + 5 flags + a state. */
#define LOADFILE_MAX_FIELDS 16
/* Longest field we ever need to look at as a string: a 32-octet link-layer address. */
#define FIELD_MAX (LLADDR_STRLEN + 1)
/* Negative ages beyond a century are nonsense (and would not survive a round trip). */
#define NEG_AGE_MAX_SEC (100ULL * 365 * 24 * 3600)
/* Distinct ifindexes one load remembers; beyond that a classic line's ifindex is looked up each
 * time (a load names a handful of interfaces). */
#define IFINDEX_CACHE_MAX 64

struct field {
        const char *p;
        size_t len;
};

/* The reason for the last rejected line, with the offending field quoted. Valid until the next
 * loadfile_parse_line() call in the same thread. */
static thread_local char reason_buf[192];

static int reject(const char **error, const char *what, const struct field *f) {
        const char *reason = what;

        if (f) {
                char quoted[64];
                size_t n = MIN(f->len, sizeof(quoted) - 4), k = 0;

                for (size_t i = 0; i < n; i++) {
                        unsigned char c = (unsigned char) f->p[i];
                        quoted[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char) c;
                }
                if (n < f->len)
                        for (int i = 0; i < 3; i++)
                                quoted[k++] = '.';
                quoted[k] = '\0';
                snprintf(reason_buf, sizeof(reason_buf), "%s '%s'", what, quoted);
                reason = reason_buf;
        }
        if (error)
                *error = reason;
        return -EINVAL;
}

static bool is_blank(char c) {
        unsigned char u = (unsigned char) c;

        /* every blank is <= ' ': one comparison for the characters of a field */
        return u <= ' ' && (u == ' ' || u == '\t' || u == '\r' || u == '\n' || u == '\v' || u == '\f');
}

static bool field_is(const struct field *f, const char *word) {
        size_t n = strlen(word);
        return f->len == n && memcmp(f->p, word, n) == 0;
}

/* Copies f into buf as a C string; false if it does not fit. */
static bool field_copy(const struct field *f, char *buf, size_t size) {
        if (f->len >= size)
                return false;
        memcpy(buf, f->p, f->len);
        buf[f->len] = '\0';
        return true;
}

/* Splits at blanks; a field starting with '#' begins a comment that runs to the end of the line.
 * Returns the number of fields, or -E2BIG for more than max. */
static int split_fields(const char *line, struct field *fields, size_t max) {
        size_t n = 0;

        for (const char *p = line;;) {
                while (*p && is_blank(*p))
                        p++;
                if (*p == '\0' || *p == '#')
                        return (int) n;
                if (n >= max)
                        return -E2BIG;
                fields[n].p = p;
                while (*p && !is_blank(*p))
                        p++;
                fields[n].len = (size_t) (p - fields[n].p);
                n++;
        }
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* A first field of only digits is a classic ifindex; anything else is an interface name. */
static bool field_is_number(const struct field *f) {
        for (size_t i = 0; i < f->len; i++)
                if (!is_digit(f->p[i]))
                        return false;
        return f->len > 0;
}

/* ifname-util's rule, the one the kernel has. */
static int parse_ifname(const struct field *f, char ret[IFNAMSIZ], const char **error) {
        if (f->len >= IFNAMSIZ)
                return reject(error, "interface name longer than 15 characters", f);
        if (!ifname_valid_n(f->p, f->len))
                return reject(error, "invalid interface name", f);
        memset(ret, 0, IFNAMSIZ);
        memcpy(ret, f->p, f->len);
        return 0;
}

/* A dotted quad by inet_pton(AF_INET)'s own rules (four decimal octets of at most 255, no leading
 * zero, nothing else), straight from the field: most lines of a big load are IPv4, and the copy
 * and inet_pton() were a fifth of the parsing. false for anything it does not accept; the caller
 * then asks inet_pton() itself, so it can only be faster, never more lenient. */
static bool parse_in4_fast(const struct field *f, union in_addr_union *ret) {
        uint8_t b[4];
        size_t i = 0;

        for (int octet = 0; octet < 4; octet++) {
                unsigned v = 0, digits = 0;

                if (octet > 0) {
                        if (i >= f->len || f->p[i] != '.')
                                return false;
                        i++;
                }
                while (i < f->len && is_digit(f->p[i])) {
                        if (digits > 0 && v == 0)
                                return false; /* a leading zero */
                        v = v * 10 + (unsigned) (f->p[i] - '0');
                        if (v > 255)
                                return false;
                        digits++;
                        i++;
                }
                if (digits == 0)
                        return false;
                b[octet] = (uint8_t) v;
        }
        if (i != f->len)
                return false;
        *ret = (union in_addr_union) {};
        memcpy(ret->bytes, b, 4);
        return true;
}

static int parse_address(const struct field *f, int family, int *ret_family, union in_addr_union *ret,
                         const char **error) {
        char buf[IN_ADDR_STRLEN];
        int r;

        if ((family == AF_UNSPEC || family == AF_INET) && parse_in4_fast(f, ret)) {
                *ret_family = AF_INET;
                return 0;
        }
        if (!field_copy(f, buf, sizeof(buf)))
                r = -EINVAL;
        else if (family == AF_UNSPEC)
                r = in_addr_from_string(buf, ret_family, ret);
        else {
                r = in_addr_from_string_family(buf, family, ret);
                *ret_family = family;
        }
        if (r < 0)
                return reject(error, family == AF_INET ? "invalid IPv4 address" : "invalid IP address", f);
        return 0;
}

/* "xx:xx:xx:xx:xx:xx" (an Ethernet MAC written out in full, as nearly every line of a big load
 * has it) straight from the field, without the copy; false for any other shape, which the caller
 * then gives to lladdr_from_string(): the result is the same, only faster. */
static bool parse_mac48_fast(const struct field *f, struct lladdr *ret) {
        struct lladdr l = { .len = 6 };

        if (f->len != 17)
                return false;
        for (size_t i = 0; i < 6; i++) {
                const char *p = f->p + 3 * i;
                int hi = hex_digit(p[0]), lo = hex_digit(p[1]);

                if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
                        return false;
                l.bytes[i] = (uint8_t) (hi << 4 | lo);
        }
        *ret = l;
        return true;
}

/* exact_len 0 = any length a link-layer address may have. */
static int parse_lladdr(const struct field *f, size_t exact_len, struct lladdr *ret, const char **error) {
        char buf[FIELD_MAX];

        if (!parse_mac48_fast(f, ret) &&
            (!field_copy(f, buf, sizeof(buf)) || lladdr_from_string(buf, ret) < 0))
                return reject(error, "invalid MAC address", f);
        if (exact_len > 0 && ret->len != exact_len)
                return reject(error, "invalid MAC address", f);
        if (lladdr_is_zero(ret))
                return reject(error, "invalid MAC address (all zero)", f);
        return 0;
}

/* "Ns" (ours) or "Nsec" (the classic arpd's -l) with N in seconds */
static int parse_age(const struct field *f, usec_t *ret, const char **error) {
        unsigned long long v = 0;

        size_t digits;

        if (f->len >= 4 && memcmp(f->p + f->len - 3, "sec", 3) == 0)
                digits = f->len - 3;
        else if (f->len >= 2 && f->p[f->len - 1] == 's')
                digits = f->len - 1;
        else
                return reject(error, "invalid negative entry age", f);
        if (digits == 0)
                return reject(error, "invalid negative entry age", f);
        for (size_t i = 0; i < digits; i++) {
                if (!is_digit(f->p[i]) || v > NEG_AGE_MAX_SEC)
                        return reject(error, "invalid negative entry age", f);
                v = v * 10 + (unsigned) (f->p[i] - '0');
        }
        if (v > NEG_AGE_MAX_SEC)
                return reject(error, "negative entry age out of range", f);
        *ret = (usec_t) v * USEC_PER_SEC;
        return 1;
}

/* "IFINDEX IPV4 MAC" or the classic negative line "IFINDEX IPV4 FAILED: Nsec ago" */
static int parse_classic(const struct field *fields, int n, struct load_entry *e, const char **error) {
        unsigned long long v = 0;

        for (size_t i = 0; i < fields[0].len; i++) {
                if (!is_digit(fields[0].p[i]) || v > INT32_MAX)
                        return reject(error, "invalid ifindex", &fields[0]);
                v = v * 10 + (unsigned) (fields[0].p[i] - '0');
        }
        if (v == 0 || v > INT32_MAX)
                return reject(error, "invalid ifindex", &fields[0]);
        if (n < 3)
                return reject(error, "too few fields", NULL);
        if (n == 5 && field_is(&fields[2], "FAILED:")) {
                int r;

                e->ifindex = (int) v;
                if (parse_address(&fields[1], AF_INET, &e->family, &e->addr, error) < 0)
                        return -EINVAL;
                r = parse_age(&fields[3], &e->neg_age, error);
                if (r < 0)
                        return r;
                if (!field_is(&fields[4], "ago"))
                        return reject(error, "unexpected field", &fields[4]);
                e->state = RECORD_NEGATIVE;
                return 1;
        }
        if (n > 3)
                return reject(error, "unexpected field", &fields[3]);
        e->ifindex = (int) v;
        if (parse_address(&fields[1], AF_INET, &e->family, &e->addr, error) < 0 ||
            parse_lladdr(&fields[2], 6, &e->lladdr, error) < 0)
                return -EINVAL;
        e->state = RECORD_POSITIVE;
        return 1;
}

/* "IFACE ADDR LLADDR [static]" or "IFACE ADDR FAILED[: Ns ago]" */
static int parse_ours(const struct field *fields, int n, struct load_entry *e, const char **error) {
        int r;

        r = parse_ifname(&fields[0], e->ifname, error);
        if (r < 0)
                return r;
        if (n < 3)
                return reject(error, "too few fields", NULL);
        r = parse_address(&fields[1], AF_UNSPEC, &e->family, &e->addr, error);
        if (r < 0)
                return r;

        if (field_is(&fields[2], "FAILED")) {
                if (n > 3)
                        return reject(error, "unexpected field", &fields[3]);
                e->state = RECORD_NEGATIVE;
                return 1;
        }
        if (field_is(&fields[2], "FAILED:")) {
                if (n < 5)
                        return reject(error, "expected 'FAILED: Ns ago'", NULL);
                r = parse_age(&fields[3], &e->neg_age, error);
                if (r < 0)
                        return r;
                if (!field_is(&fields[4], "ago"))
                        return reject(error, "unexpected field", &fields[4]);
                if (n > 5)
                        return reject(error, "unexpected field", &fields[5]);
                e->state = RECORD_NEGATIVE;
                return 1;
        }

        r = parse_lladdr(&fields[2], 0, &e->lladdr, error);
        if (r < 0)
                return r;
        e->state = RECORD_POSITIVE;
        int i = 3;
        if (i < n && field_is(&fields[i], "router")) {
                e->flags |= RECORD_FLAG_ROUTER;
                i++;
        }
        if (i < n) {
                if (!field_is(&fields[i], "static"))
                        return reject(error, "unexpected field", &fields[i]);
                e->state = RECORD_STATIC;
                i++;
        }
        if (i < n)
                return reject(error, "unexpected field", &fields[i]);
        return 1;
}

/* "ADDR dev IFACE [lladdr MAC] [FLAG]... STATE" (ip neigh show) */
static int parse_ip_neigh(const struct field *fields, int n, struct load_entry *e, const char **error) {
        static const char *const flags[] = { "router", "proxy", "extern_learn", "offload", "managed" };
        static const struct {
                const char *word;
                int state; /* 0: skip the line */
        } states[] = {
                { "PERMANENT", RECORD_STATIC },   { "REACHABLE", RECORD_POSITIVE }, { "STALE", RECORD_POSITIVE },
                { "DELAY", RECORD_POSITIVE },     { "PROBE", RECORD_POSITIVE },     { "NOARP", RECORD_POSITIVE },
                { "FAILED", RECORD_NEGATIVE },    { "INCOMPLETE", 0 },              { "NONE", 0 },
        };
        bool have_lladdr = false;
        int r, i = 3;

        r = parse_address(&fields[0], AF_UNSPEC, &e->family, &e->addr, error);
        if (r < 0)
                return r;
        if (n < 3)
                return reject(error, "missing interface name after 'dev'", NULL);
        r = parse_ifname(&fields[2], e->ifname, error);
        if (r < 0)
                return r;

        if (i < n && field_is(&fields[i], "lladdr")) {
                if (i + 1 >= n)
                        return reject(error, "missing MAC address after 'lladdr'", NULL);
                r = parse_lladdr(&fields[i + 1], 0, &e->lladdr, error);
                if (r < 0)
                        return r;
                have_lladdr = true;
                i += 2;
        }
        for (; i < n; i++) {
                bool is_flag = false;
                for (size_t k = 0; k < ELEMENTSOF(flags); k++)
                        is_flag = is_flag || field_is(&fields[i], flags[k]);
                if (!is_flag)
                        break;
                if (field_is(&fields[i], "router"))
                        e->flags |= RECORD_FLAG_ROUTER; /* the others describe the kernel's entry only */
        }
        if (i >= n)
                return reject(error, "missing neighbour state", NULL);
        if (i + 1 < n)
                return reject(error, "unexpected field", &fields[i + 1]);

        for (size_t k = 0; k < ELEMENTSOF(states); k++) {
                if (!field_is(&fields[i], states[k].word))
                        continue;
                if (states[k].state == 0)
                        return 0;
                if (states[k].state == RECORD_NEGATIVE) {
                        /* a failed entry may still show its old MAC: it is not what we store */
                        e->lladdr = (struct lladdr) {};
                        e->flags = 0;
                }
                else if (!have_lladdr)
                        return reject(error, "missing link-layer address for state", &fields[i]);
                e->state = states[k].state;
                return 1;
        }
        return reject(error, "unknown neighbour state", &fields[i]);
}

int loadfile_parse_line(const char *line, struct load_entry *ret, const char **error) {
        struct field fields[LOADFILE_MAX_FIELDS];
        struct load_entry e = {};
        int n, r;

        if (error)
                *error = NULL;
        if (!line)
                return reject(error, "no line", NULL);

        n = split_fields(line, fields, ELEMENTSOF(fields));
        if (n == -E2BIG)
                return reject(error, "too many fields", NULL);
        if (n == 0)
                return 0;

        if (n >= 2 && field_is(&fields[1], "dev"))
                r = parse_ip_neigh(fields, n, &e, error);
        else if (field_is_number(&fields[0]))
                r = parse_classic(fields, n, &e, error);
        else
                r = parse_ours(fields, n, &e, error);
        if (r > 0 && ret)
                *ret = e;
        return r;
}

/* The lines are assembled by hand into the caller's buffer: a listing of a million entries spent
 * most of its time in printf's format parsing and padding. The text is exactly that of
 * "%-15s %-39s %s%s\n" and "%-15s %-39s FAILED: %llus ago\n". */
size_t loadfile_format_line_buf(char buf[static LOADFILE_FORMAT_MAX], const struct neigh_key *k, const struct record *r,
                                usec_t now_rt) {
        const char *nul = memchr(k->ifname, '\0', IFNAMSIZ);
        size_t ifname_len = nul ? (size_t) (nul - k->ifname) : IFNAMSIZ;
        char addr[IN_ADDR_STRLEN], *p = buf;
        bool digits = ifname_len > 0;
        size_t addr_len;

        for (size_t i = 0; i < ifname_len && digits; i++)
                digits = is_digit(k->ifname[i]);
        addr_len = (size_t) (put_in_addr(addr, k->family, &k->addr) - addr);
        addr[addr_len] = '\0';
        if (digits) {
                /* A name of only digits would read back as a classic ifindex: the "ip neigh"
                 * form names the interface unambiguously (a negative entry's age is lost). */
                char l[LLADDR_STRLEN];
                int n;

                if (r->state == RECORD_NEGATIVE)
                        n = snprintf(buf, LOADFILE_FORMAT_MAX, "%s dev %.*s FAILED\n", addr, (int) ifname_len, k->ifname);
                else if ((r->state == RECORD_POSITIVE || r->state == RECORD_STATIC) && r->lladdr.len > 0)
                        n = snprintf(buf, LOADFILE_FORMAT_MAX, "%s dev %.*s lladdr %s%s %s\n", addr, (int) ifname_len,
                                     k->ifname, lladdr_to_string(&r->lladdr, l),
                                     r->flags & RECORD_FLAG_ROUTER ? " router" : "",
                                     r->state == RECORD_STATIC ? "PERMANENT" : "STALE");
                else
                        n = snprintf(buf, LOADFILE_FORMAT_MAX, "# %.*s %s %s entry with no loadable form\n",
                                     (int) ifname_len, k->ifname, addr, record_state_to_string(r->state));
                return n < 0 ? 0 : MIN((size_t) n, (size_t) LOADFILE_FORMAT_MAX - 1);
        }
        switch (r->state) {
        case RECORD_POSITIVE:
        case RECORD_STATIC:
                if (r->lladdr.len == 0) {
                        /* Cannot be written as a loadable line: keep it visible, as a comment. */
                        int n = snprintf(buf, LOADFILE_FORMAT_MAX, "# %.*s %s %s entry without a link-layer address\n",
                                         (int) ifname_len, k->ifname, addr, record_state_to_string(r->state));
                        return n < 0 ? 0 : MIN((size_t) n, (size_t) LOADFILE_FORMAT_MAX - 1);
                }
                p = put_padded(p, k->ifname, ifname_len, 15);
                *p++ = ' ';
                p = put_padded(p, addr, addr_len, 39);
                *p++ = ' ';
                p = put_lladdr(p, &r->lladdr);
                if (r->flags & RECORD_FLAG_ROUTER)
                        p = mempcpy(p, " router", strlen(" router"));
                if (r->state == RECORD_STATIC)
                        p = mempcpy(p, " static", strlen(" static"));
                *p++ = '\n';
                return (size_t) (p - buf);
        case RECORD_NEGATIVE: {
                /* neg_since 0 (unknown) or in the future (clock stepped back): age 0 */
                usec_t age = r->neg_since > 0 && now_rt > r->neg_since ? now_rt - r->neg_since : 0;

                p = put_padded(p, k->ifname, ifname_len, 15);
                *p++ = ' ';
                p = put_padded(p, addr, addr_len, 39);
                p = mempcpy(p, " FAILED: ", strlen(" FAILED: "));
                p = put_u64(p, age / USEC_PER_SEC);
                p = mempcpy(p, "s ago\n", strlen("s ago\n"));
                return (size_t) (p - buf);
        }
        }
        int n = snprintf(buf, LOADFILE_FORMAT_MAX, "# %.*s %s unknown state %d\n", (int) ifname_len, k->ifname, addr,
                         (int) r->state);
        return n < 0 ? 0 : MIN((size_t) n, (size_t) LOADFILE_FORMAT_MAX - 1);
}

void loadfile_format_line(FILE *f, const struct neigh_key *k, const struct record *r, usec_t now_rt) {
        char line[LOADFILE_FORMAT_MAX];

        fwrite(line, 1, loadfile_format_line_buf(line, k, r, now_rt), f);
}

void load_list_done(struct load_list *l) {
        l->entries = mfree(l->entries);
        l->lines = mfree(l->lines);
        l->n = 0;
}

static int read_error(char *err, size_t errlen, int r, const char *fmt, ...) _printf_(4, 5);
static int read_error(char *err, size_t errlen, int r, const char *fmt, ...) {
        va_list ap;

        if (err && errlen > 0) {
                va_start(ap, fmt);
                vsnprintf(err, errlen, fmt, ap);
                va_end(ap);
        }
        return r;
}

/* The names of the ifindexes one load has met: each is resolved once (if_indextoname() opens a
 * socket and asks the kernel: once per line, it cost far more than parsing the line). */
struct ifindex_cache {
        size_t n;
        struct {
                int ifindex;
                char name[IFNAMSIZ];
        } e[IFINDEX_CACHE_MAX];
};

/* Fills name for ifindex; false if no interface has it. */
static bool ifindex_cache_name(struct ifindex_cache *c, int ifindex, char name[IFNAMSIZ]) {
        for (size_t i = 0; i < c->n; i++)
                if (c->e[i].ifindex == ifindex) {
                        memcpy(name, c->e[i].name, IFNAMSIZ);
                        return true;
                }
        if (!if_indextoname((unsigned) ifindex, name))
                return false;
        if (c->n < ELEMENTSOF(c->e)) {
                c->e[c->n].ifindex = ifindex;
                memcpy(c->e[c->n].name, name, IFNAMSIZ);
                c->n++;
        }
        return true;
}

struct LoadReader {
        char *name;
        loadfile_read_t read;
        void *userdata;
        int fd;              /* the fd source: a regular file, read with pread() from base */
        off_t base;
        bool seekable;
        bool rewound;
        struct ifindex_cache ifindexes;
        size_t start, end;   /* unparsed bytes: buf[start, end) */
        size_t scanned;      /* bytes from start known to hold no newline */
        bool eof;
        bool nul_seen;       /* a read brought a NUL byte: lines are checked for one from then on */
        int error;           /* sticky: < 0 after an error, 1 after the end */
        unsigned long line;
        uint64_t entries, bytes;
        char message[512];
        char buf[LOADFILE_BUFFER + 1]; /* + 1: room to terminate a last line without newline */
};

int load_reader_new(const char *name, loadfile_read_t fn, void *userdata, LoadReader **ret) {
        LoadReader *r;

        assert(fn);
        assert(ret);
        r = malloc(sizeof(*r));
        if (!r)
                return -ENOMEM;
        /* only the header is cleared: the buffer is written before it is read */
        memset(r, 0, offsetof(LoadReader, buf));
        r->name = strdup(name ? name : "(load file)");
        if (!r->name) {
                free(r);
                return -ENOMEM;
        }
        r->read = fn;
        r->userdata = userdata;
        *ret = r;
        return 0;
}

static ssize_t read_fd(void *userdata, void *buf, size_t n) {
        LoadReader *r = userdata;
        /* A regular file: the first pass with pread(), the file offset untouched; after a rewind
         * with read(), so the offset shows how far the second pass is. */
        ssize_t k = r->seekable && !r->rewound ? pread(r->fd, buf, n, r->base + (off_t) r->bytes) : read(r->fd, buf, n);
        return k < 0 ? -errno : k;
}

int load_reader_new_fd(const char *name, int fd, LoadReader **ret) {
        struct stat st;
        int r;

        r = load_reader_new(name, read_fd, NULL, ret);
        if (r < 0)
                return r;
        (*ret)->userdata = *ret;
        (*ret)->fd = fd;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
                (*ret)->base = lseek(fd, 0, SEEK_CUR);
                (*ret)->seekable = (*ret)->base >= 0;
        }
        return 0;
}

bool load_reader_can_rewind(const LoadReader *r) {
        return r->seekable;
}

int load_reader_rewind(LoadReader *r) {
        if (!r->seekable)
                return -ESPIPE;
        if (lseek(r->fd, r->base, SEEK_SET) < 0)
                return -errno;
        r->rewound = true;
        r->start = r->end = r->scanned = 0;
        r->eof = false;
        r->nul_seen = false;
        r->error = 0;
        r->line = 0;
        r->entries = r->bytes = 0;
        r->message[0] = '\0';
        return 0;
}

LoadReader *load_reader_free(LoadReader *r) {
        if (r) {
                free(r->name);
                free(r);
        }
        return NULL;
}

unsigned long load_reader_line(const LoadReader *r) {
        return r->line;
}

uint64_t load_reader_entries(const LoadReader *r) {
        return r->entries;
}

uint64_t load_reader_bytes(const LoadReader *r) {
        return r->bytes;
}

const char *load_reader_name(const LoadReader *r) {
        return r->name;
}

const char *load_reader_error(const LoadReader *r) {
        return r->message;
}

static int reader_fail(LoadReader *r, int error, const char *fmt, ...) _printf_(3, 4);
static int reader_fail(LoadReader *r, int error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(r->message, sizeof(r->message), fmt, ap);
        va_end(ap);
        r->error = error;
        return error;
}

/* The next whole line, NUL-terminated in place (its newline replaced), in *ret and its length
 * in *ret_len. 1, 0 at the end, -EAGAIN, or an error. */
static int reader_line(LoadReader *r, char **ret, size_t *ret_len) {
        for (;;) {
                char *nl = memchr(r->buf + r->start + r->scanned, '\n', r->end - r->start - r->scanned);

                if (nl || (r->eof && r->end > r->start)) {
                        char *line = r->buf + r->start;
                        size_t len = nl ? (size_t) (nl - line) : r->end - r->start;

                        line[len] = '\0'; /* the newline, or the spare byte after the buffer */
                        r->start += nl ? len + 1 : len;
                        r->scanned = 0;
                        r->line++;
                        if (len + 1 > LOADFILE_LINE_MAX)
                                return reader_fail(r, -EINVAL, "%s:%lu: line longer than %u bytes", r->name, r->line,
                                                   LOADFILE_LINE_MAX);
                        *ret = line;
                        *ret_len = len;
                        return 1;
                }
                if (r->eof)
                        return 0;
                r->scanned = r->end - r->start;
                if (r->start > 0 && (r->end == LOADFILE_BUFFER || r->start >= LOADFILE_BUFFER / 2)) {
                        memmove(r->buf, r->buf + r->start, r->end - r->start);
                        r->end -= r->start;
                        r->start = 0;
                }
                if (r->end == LOADFILE_BUFFER)
                        /* LOADFILE_BUFFER bytes without a newline */
                        return reader_fail(r, -EINVAL, "%s:%lu: line longer than %u bytes", r->name, r->line + 1,
                                           LOADFILE_LINE_MAX);
                ssize_t k = r->read(r->userdata, r->buf + r->end, LOADFILE_BUFFER - r->end);
                if (k == -EINTR)
                        continue;
                if (k == -EAGAIN)
                        return -EAGAIN;
                if (k < 0)
                        return reader_fail(r, (int) k, "%s: read error: %s", r->name, strerror((int) -k));
                if (k == 0)
                        r->eof = true;
                /* one look per read instead of one per line */
                if (!r->nul_seen && memchr(r->buf + r->end, '\0', (size_t) k))
                        r->nul_seen = true;
                r->end += (size_t) k;
                r->bytes += (uint64_t) k;
        }
}

int load_reader_next(LoadReader *r, struct load_entry *ret) {
        assert(r);
        assert(ret);
        if (r->error < 0)
                return r->error;
        if (r->error > 0)
                return 0;
        for (;;) {
                const char *reason = NULL;
                size_t len = 0;
                char *line = NULL;
                int k;

                k = reader_line(r, &line, &len);
                if (k == 0)
                        r->error = 1;
                if (k <= 0)
                        return k;
                if (r->nul_seen && memchr(line, '\0', len))
                        return reader_fail(r, -EINVAL, "%s:%lu: NUL byte in line", r->name, r->line);
                k = loadfile_parse_line(line, ret, &reason);
                if (k < 0)
                        return reader_fail(r, k, "%s:%lu: %s", r->name, r->line, reason);
                if (k == 0)
                        continue;
                if (ret->ifindex > 0 && !ifindex_cache_name(&r->ifindexes, ret->ifindex, ret->ifname))
                        return reader_fail(r, -ENODEV, "%s:%lu: no interface with ifindex %d", r->name, r->line,
                                           ret->ifindex);
                r->entries++;
                return 1;
        }
}

/* A FILE source hands out at most one line per call, as getline() read it before: a line is
 * parsed (and its ifindex resolved) before the next one is read. */
static ssize_t read_file(void *userdata, void *buf, size_t n) {
        FILE *f = userdata;
        char *p = buf;
        size_t k = 0;
        int c;

        while (k < n && (c = getc_unlocked(f)) != EOF) {
                p[k++] = (char) c;
                if (c == '\n')
                        break;
        }
        if (k == 0 && ferror(f))
                return errno > 0 ? -errno : -EIO;
        return (ssize_t) k;
}

int loadfile_read(FILE *f, const char *name, struct load_list *ret, char *err, size_t errlen) {
        _cleanup_(load_reader_freep) LoadReader *rd = NULL;
        _cleanup_free_ struct load_entry *v = NULL;
        _cleanup_free_ unsigned long *lines = NULL;
        size_t n_v = 0, cap = 0;
        int r;

        assert(f);
        assert(ret);
        if (!name)
                name = "(load file)";
        r = load_reader_new(name, read_file, f, &rd);
        if (r < 0)
                return read_error(err, errlen, r, "%s: out of memory", name);
        for (;;) {
                struct load_entry e;

                errno = 0;
                r = load_reader_next(rd, &e);
                if (r == 0)
                        break;
                if (r < 0)
                        return read_error(err, errlen, r, "%s", load_reader_error(rd));
                /* No count of its own: the store's max_entries bounds what entry_load() keeps. */
                if (n_v >= INT32_MAX)
                        return read_error(err, errlen, -E2BIG, "%s:%lu: more than %d entries in one load", name,
                                          load_reader_line(rd), INT32_MAX);
                if (n_v >= cap) {
                        size_t ncap = cap ? cap * 2 : 64;
                        struct load_entry *nv = reallocarray(v, ncap, sizeof(*v));
                        if (!nv)
                                return read_error(err, errlen, -ENOMEM, "%s: out of memory", name);
                        v = nv;
                        unsigned long *nl = reallocarray(lines, ncap, sizeof(*lines));
                        if (!nl)
                                return read_error(err, errlen, -ENOMEM, "%s: out of memory", name);
                        lines = nl;
                        cap = ncap;
                }
                v[n_v] = e;
                lines[n_v++] = load_reader_line(rd);
        }
        *ret = (struct load_list) { .entries = TAKE_PTR(v), .lines = TAKE_PTR(lines), .n = n_v };
        return 0;
}
