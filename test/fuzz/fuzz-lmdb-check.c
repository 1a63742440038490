/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Fuzzes lmdb_check_file() with damaged copies of a real store, and checks the promise the store
 * builds on: a file the check passes is safe for LMDB. The input is a list of edits applied to a
 * small valid store made once at start (about 60 records on two interfaces, statics, negatives,
 * deletions, so it has a free list): each edit is 4 bytes (op, page, u16 offset) followed, for
 * writes, by 1..16 bytes to write there; op 3 truncates the file at that place instead. Then:
 *   - lmdb_check_file() must return without crashing;
 *   - if it says the file is fine, store_open() (read-only), a full listing and a lookup of every
 *     record must not crash either (LMDB may still report errors: wrong key order, say).
 * A crash in either is a bug in the check (or in the store).
 */

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lmdb-check.h"
#include "log.h"
#include "macro.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE 4096
#define N_RECORDS 60

static char dir[64];
static char tmpl_path[96], path[96];
static uint8_t *tmpl;
static size_t tmpl_size;
static unsigned long n_passed, n_refused;

static void summary(void) {
        char p[112];

        fprintf(stderr, "fuzz-lmdb-check: %lu inputs passed the check and were read by LMDB, %lu refused\n", n_passed,
                n_refused);
        (void) unlink(tmpl_path);
        (void) unlink(path);
        snprintf(p, sizeof(p), "%s-lock", tmpl_path);
        (void) unlink(p);
        snprintf(p, sizeof(p), "%s-lock", path);
        (void) unlink(p);
        (void) rmdir(dir);
}

static struct neigh_key key_n(uint32_t i) {
        union in_addr_union a = {};
        struct neigh_key k = {};

        a.in.s_addr = htonl(0xc6120000u | i); /* 198.18.0.0/15 */
        (void) neigh_key_make(&k, i % 2 ? "eth1" : "eth0", AF_INET, &a);
        return k;
}

static void die(const char *what) {
        fprintf(stderr, "fuzz-lmdb-check: %s\n", what);
        abort();
}

static void make_template(void) {
        Store *s = NULL;
        FILE *f;
        long n;

        /* a memory file system if there is one: the test writes a file per input */
        snprintf(dir, sizeof(dir), "%s/fuzz-lmdb-check-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
                die("mkdtemp");
        snprintf(tmpl_path, sizeof(tmpl_path), "%s/tmpl.lmdb", dir);
        snprintf(path, sizeof(path), "%s/f.lmdb", dir);
        if (store_open(tmpl_path, &(struct store_options) { .max_entries = 1000, .max_per_iface = 40 }, &s) < 0)
                die("cannot create the template store");
        for (uint32_t round = 0; round < 3; round++) {
                for (uint32_t i = 0; i < N_RECORDS; i++) {
                        struct neigh_key k = key_n(i);
                        struct record r = {
                                .state = i % 7 == 0 ? RECORD_STATIC : i % 5 == 0 ? RECORD_NEGATIVE : RECORD_POSITIVE,
                                .source = SOURCE_ARP,
                                .first_seen = 1,
                                .last_seen = 10 + round * 100 + i,
                                .neg_since = i % 5 == 0 ? 5 + i : 0,
                        };
                        if (r.state != RECORD_NEGATIVE)
                                (void) lladdr_from_string("02:00:00:00:00:01", &r.lladdr);
                        if (round == 2 && i % 3 == 0)
                                (void) store_stage_delete(s, &k);
                        else
                                (void) store_stage_put(s, &k, &r);
                }
                if (store_flush(s) < 0)
                        die("cannot write the template store");
        }
        store_free(s);
        f = fopen(tmpl_path, "re");
        if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0)
                die("cannot read the template store");
        tmpl_size = (size_t) n;
        tmpl = malloc(tmpl_size);
        if (!tmpl || fread(tmpl, 1, tmpl_size, f) != tmpl_size)
                die("cannot read the template store");
        fclose(f);
}

static int count_cb(const struct neigh_key *k, const struct record *r, void *userdata) {
        (*(size_t *) userdata)++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len, pages;
        char why[256];
        Store *s = NULL;
        int fd, r;

        if (!tmpl) {
                log_set_max_level(LOG_CRIT);
                make_template();
                atexit(summary);
        }
        buf = malloc(tmpl_size);
        if (!buf)
                die("out of memory");
        memcpy(buf, tmpl, tmpl_size);
        len = tmpl_size;
        pages = tmpl_size / PAGE;

        while (size >= 4) {
                unsigned op = data[0] % 4, want = 1 + (data[0] >> 2) % 16;
                size_t at = (size_t) (data[1] % pages) * PAGE + ((size_t) data[2] | (size_t) data[3] << 8) % PAGE;

                data += 4;
                size -= 4;
                if (op == 3) {
                        len = MIN(len, at);
                        continue;
                }
                size_t n = MIN(size, (size_t) want);
                if (at < len)
                        memcpy(buf + at, data, MIN(n, len - at));
                data += n;
                size -= n;
        }

        /* rewritten in place, not truncated to 0 first: ext4 flushes a file replaced that way */
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || pwrite(fd, buf, len, 0) != (ssize_t) len || ftruncate(fd, (off_t) len) < 0)
                die("cannot write the input file");
        close(fd);

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                die("cannot open the input file");
        r = lmdb_check_file(fd, 0, why, sizeof(why));
        close(fd);
        if (r != LMDB_CHECK_OK) {
                n_refused++;
                return 0;
        }
        n_passed++;

        /* passed: LMDB must survive whatever it finds in there */
        if (store_open(path, &(struct store_options) { .read_only = true, .initial_map_size = 1 << 20 }, &s) == 0) {
                size_t n = 0;

                (void) store_foreach(s, NULL, 0, count_cb, &n);
                for (uint32_t i = 0; i < N_RECORDS; i++)
                        (void) store_get(s, (struct neigh_key[]) { key_n(i) }, NULL);
                (void) store_count(s, &n);
                s = store_free(s);
        }
        return 0;
}
