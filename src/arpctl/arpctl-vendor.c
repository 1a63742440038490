/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arpctl-vendor.h"
#include "log.h"
#include "fs-util.h"
#include "macro.h"

#define VENDOR_FILE_MAX (64 * 1024 * 1024)

struct vendor {
        uint64_t prefix; /* the top bits of the 48-bit address */
        uint8_t bits;    /* 24, 28 or 36 */
        uint32_t name;   /* offset into names */
};

struct VendorDb {
        struct vendor *v;
        size_t n, cap;
        char *names;
        size_t names_len, names_cap;
};

const char *vendor_db_dir(void) {
        const char *e = getenv("ARPCTL_IEEE_DATA_DIR");

        return e && e[0] ? e : "/usr/share/ieee-data";
}

VendorDb *vendor_db_free(VendorDb *db) {
        if (!db)
                return NULL;
        free(db->v);
        free(db->names);
        free(db);
        return NULL;
}

/* Reads a whole file; -ENOENT if it is not there, -EFBIG if larger than VENDOR_FILE_MAX. */
static int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        int r;

        if (!f)
                return -errno;
        r = read_full_stream(f, VENDOR_FILE_MAX, ret, ret_len);
        return r == -E2BIG ? -EFBIG : r;
}

/* n hex digits (ignoring '-' between them) -> value; -1 if malformed. */
static int64_t parse_hex(const char *s, size_t len, unsigned digits) {
        int64_t v = 0;
        unsigned got = 0;

        for (size_t i = 0; i < len; i++) {
                int h = hex_digit(s[i]);
                if (h < 0) {
                        if (s[i] == '-')
                                continue;
                        return -1;
                }
                v = v << 4 | h;
                got++;
        }
        return got == digits ? v : -1;
}

static int add(VendorDb *db, uint64_t prefix, uint8_t bits, const char *name, size_t len) {
        while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\r' || name[len - 1] == '\t'))
                len--;
        while (len > 0 && name[0] == ' ')
                name++, len--;
        if (len == 0)
                return 0;
        if (db->n == db->cap) {
                size_t cap = db->cap ? db->cap * 2 : 4096;
                struct vendor *n = realloc(db->v, cap * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                db->v = n;
                db->cap = cap;
        }
        if (db->names_cap - db->names_len < len + 1) {
                size_t cap = MAX(db->names_cap * 2, db->names_len + len + 1 + 65536);
                char *n = realloc(db->names, cap);
                if (!n)
                        return -ENOMEM;
                db->names = n;
                db->names_cap = cap;
        }
        char *p = db->names + db->names_len;
        for (size_t i = 0; i < len; i++)
                p[i] = (unsigned char) name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
        p[len] = '\0';
        db->v[db->n++] = (struct vendor) { .prefix = prefix, .bits = bits, .name = (uint32_t) db->names_len };
        db->names_len += len + 1;
        return 0;
}

/* One CSV field at *p (RFC 4180: quoted fields may hold commas, quotes doubled, newlines). The
 * field's text is unquoted in place; returns its start and length, moves *p past the separator. */
static char *csv_field(char **p, size_t *len, bool *end_of_record) {
        char *s = *p, *out = s, *start = s;

        if (*s == '"') {
                start = out = ++s;
                while (*s) {
                        if (*s == '"' && s[1] == '"') {
                                *out++ = '"';
                                s += 2;
                        } else if (*s == '"') {
                                s++;
                                break;
                        } else
                                *out++ = *s++;
                }
                *len = (size_t) (out - start);
        } else {
                while (*s && *s != ',' && *s != '\n')
                        s++;
                *len = (size_t) (s - start);
        }
        while (*s && *s != ',' && *s != '\n')
                s++; /* junk after a closing quote */
        *end_of_record = *s != ',';
        *p = *s ? s + 1 : s;
        return start;
}

/* Registry,Assignment,Organization Name,Organization Address */
static int load_csv(VendorDb *db, char *text, uint8_t bits) {
        char *p = text;
        bool header = true;

        while (*p) {
                char *fields[4] = {};
                size_t lens[4] = {};
                unsigned n = 0;
                bool end = false;

                while (!end && *p) {
                        size_t len;
                        char *f = csv_field(&p, &len, &end);
                        if (n < ELEMENTSOF(fields)) {
                                fields[n] = f;
                                lens[n] = len;
                        }
                        n++;
                }
                if (header) {
                        header = false;
                        continue;
                }
                if (n < 3)
                        continue;
                int64_t v = parse_hex(fields[1], lens[1], bits / 4);
                if (v < 0)
                        continue;
                int r = add(db, (uint64_t) v, bits, fields[2], lens[2]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* "00-22-72   (hex)\t\tNAME" lines */
static int load_txt(VendorDb *db, char *text) {
        for (char *line = text; line && *line;) {
                char *nl = strchr(line, '\n'), *hex = strstr(line, "(hex)");

                if (nl)
                        *nl = '\0';
                if (hex && hex - line >= 8) {
                        int64_t v = parse_hex(line, 8, 6);
                        if (v >= 0) {
                                char *name = hex + strlen("(hex)");
                                name += strspn(name, " \t");
                                int r = add(db, (uint64_t) v, 24, name, strlen(name));
                                if (r < 0)
                                        return r;
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        return 0;
}

static int cmp_vendor(const void *a, const void *b) {
        const struct vendor *x = a, *y = b;

        if (x->bits != y->bits)
                return x->bits < y->bits ? -1 : 1;
        return x->prefix < y->prefix ? -1 : x->prefix > y->prefix ? 1 : 0;
}

int vendor_db_load(const char *dir, VendorDb **ret) {
        static const struct {
                const char *file;
                uint8_t bits;
        } csv[] = { { "oui.csv", 24 }, { "mam.csv", 28 }, { "oui36.csv", 36 } };
        VendorDb *db = calloc(1, sizeof(*db));
        bool have_oui_csv = false;
        int r = 0;

        if (!db)
                return log_oom();
        for (size_t i = 0; i < ELEMENTSOF(csv) + 1 && r >= 0; i++) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                size_t len;
                bool txt = i == ELEMENTSOF(csv);

                if (txt && have_oui_csv)
                        break;
                if (asprintf(&path, "%s/%s", dir, txt ? "oui.txt" : csv[i].file) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = read_file(path, &text, &len);
                if (r == -ENOENT) {
                        r = 0;
                        continue;
                }
                if (r < 0) {
                        log_error_errno(r, "Reading %s failed: %m", path);
                        break;
                }
                if (txt)
                        r = load_txt(db, text);
                else {
                        r = load_csv(db, text, csv[i].bits);
                        have_oui_csv = have_oui_csv || i == 0;
                }
        }
        if (r < 0) {
                vendor_db_free(db);
                return r == -ENOMEM ? log_oom() : r;
        }
        if (db->n == 0) {
                *ret = vendor_db_free(db);
                return 0;
        }
        qsort(db->v, db->n, sizeof(db->v[0]), cmp_vendor);
        *ret = db;
        return 0;
}

const char *vendor_lookup(const VendorDb *db, const struct lladdr *ll) {
        static const uint8_t classes[] = { 36, 28, 24 };
        uint64_t mac = 0;

        if (!db || ll->len != 6 || (ll->bytes[0] & 0x03) != 0)
                return NULL; /* not EUI-48, or multicast / locally administered: no IEEE owner */
        for (size_t i = 0; i < 6; i++)
                mac = mac << 8 | ll->bytes[i];
        for (size_t c = 0; c < ELEMENTSOF(classes); c++) {
                struct vendor key = { .prefix = mac >> (48 - classes[c]), .bits = classes[c] };
                const struct vendor *v = bsearch(&key, db->v, db->n, sizeof(db->v[0]), cmp_vendor);
                if (v)
                        return db->names + v->name;
        }
        return NULL;
}
