/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Fuzzes loadfile_parse_line(): the input is read as text, whole and line by line. It must never
 * crash; a rejection comes with a reason; and whatever is accepted, written back with
 * loadfile_format_line() (the "arpd -l" format), must parse to the same entry. Then the input is
 * read as a whole file by loadfile_read() (NUL bytes included): it succeeds with one entry per
 * accepted line, each naming its interface and its line, or fails with a "name:line: reason".
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 65536

static void fail(const char *what, const char *line) {
        fprintf(stderr, "fuzz-loadfile: %s\n  line: \"%s\"\n", what, line);
        abort();
}

static void roundtrip(const struct load_entry *e, const char *line) {
        /* far enough from the epoch for any age the parser accepts */
        const usec_t now = (usec_t) 4000000000ULL * USEC_PER_SEC;
        struct neigh_key k = { .family = e->family, .addr = e->addr };
        struct record r = { .state = e->state, .source = SOURCE_LOAD, .lladdr = e->lladdr };
        struct load_entry back;
        const char *err = NULL;
        char *text = NULL;
        size_t text_size = 0;
        FILE *f;

        /* classic lines name an ifindex; the store would hold its name */
        snprintf(k.ifname, sizeof(k.ifname), "%s", e->ifname[0] ? e->ifname : "fuzz0");
        if (e->state == RECORD_NEGATIVE)
                r.neg_since = now - e->neg_age;

        f = open_memstream(&text, &text_size);
        if (!f)
                abort();
        loadfile_format_line(f, &k, &r, now);
        if (fclose(f) != 0)
                abort();

        if (loadfile_parse_line(text, &back, &err) != 1)
                fail(err ? err : "formatted line not accepted", text);
        if (strcmp(back.ifname, k.ifname) != 0 || back.ifindex != 0 || back.family != e->family ||
            !in_addr_equal(e->family, &back.addr, &e->addr) || back.state != e->state ||
            !lladdr_equal(&back.lladdr, &e->lladdr) || back.neg_age != e->neg_age)
                fail("round trip changed the entry", line);
        free(text);
}

/* Returns 1 if the line is an entry, 0 if it is blank or a comment, -1 if it is rejected. */
static int check_line(const char *line) {
        struct load_entry e;
        const char *err = NULL;
        int r;

        r = loadfile_parse_line(line, &e, &err);
        if (r < 0) {
                if (r != -EINVAL || !err || !*err || strlen(err) > 200)
                        fail("bad rejection", line);
                return -1;
        }
        if (err)
                fail("reason set for an accepted line", line);
        if (r == 0)
                return 0;
        if (r != 1)
                fail("unexpected return value", line);
        if ((e.ifindex > 0) == (e.ifname[0] != '\0'))
                fail("entry names neither or both of ifindex and ifname", line);
        if (e.state != RECORD_POSITIVE && e.state != RECORD_STATIC && e.state != RECORD_NEGATIVE)
                fail("bad state", line);
        if ((e.state == RECORD_NEGATIVE) != (e.lladdr.len == 0))
                fail("lladdr present iff not negative", line);
        if (e.family != AF_INET && e.family != AF_INET6)
                fail("bad family", line);
        roundtrip(&e, line);
        return 1;
}

/* data as a load file; entry_lines: the line numbers of its entries (n_entries of them),
 * rejected: whether one of its lines was rejected. */
static void check_file(const uint8_t *data, size_t size, const unsigned long *entry_lines, size_t n_entries,
                       bool rejected) {
        struct load_list l = {};
        char err[256] = "";
        FILE *f;
        int r;

        f = fmemopen((void *) data, size, "r");
        if (!f)
                return; /* size 0 */
        r = loadfile_read(f, "fuzz", &l, err, sizeof(err));
        fclose(f);
        if (r < 0) {
                if (l.entries || l.lines || l.n)
                        fail("entries returned with an error", err);
                if (strncmp(err, "fuzz", 4) != 0)
                        fail("error message without the file's name", err);
                if (r == -EINVAL && !rejected && !memchr(data, '\0', size))
                        fail("file rejected although every line parses", err);
                if (r != -EINVAL && r != -ENODEV)
                        fail("unexpected error", err);
                return;
        }
        if (rejected || memchr(data, '\0', size))
                fail("file accepted with a rejected line or a NUL byte", "");
        if (l.n != n_entries)
                fail("not one entry per accepted line", "");
        for (size_t i = 0; i < l.n; i++) {
                if (l.entries[i].ifname[0] == '\0' || !memchr(l.entries[i].ifname, '\0', IFNAMSIZ))
                        fail("entry without an interface name", "");
                if (l.lines[i] != entry_lines[i])
                        fail("wrong line number", "");
        }
        load_list_done(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        unsigned long lines = 0, *entry_lines;
        size_t entries = 0;
        bool rejected = false;
        char *s, *p;

        if (size > MAX_INPUT)
                return 0;
        s = malloc(size + 1);
        entry_lines = calloc(size + 1, sizeof(*entry_lines)); /* at most one entry per line */
        if (!s || !entry_lines) {
                free(s);
                free(entry_lines);
                return 0;
        }
        memcpy(s, data, size);
        s[size] = '\0';

        (void) check_line(s); /* newlines inside are blanks to the parser */
        for (p = s; p && (p < s + size || lines == 0); ) {
                char *nl = strchr(p, '\n');
                int r;

                if (nl)
                        *nl = '\0';
                lines++;
                r = check_line(p);
                if (r > 0)
                        entry_lines[entries++] = lines;
                else if (r < 0)
                        rejected = true;
                p = nl ? nl + 1 : NULL;
        }
        free(s);

        check_file(data, size, entry_lines, entries, rejected);
        free(entry_lines);
        return 0;
}
