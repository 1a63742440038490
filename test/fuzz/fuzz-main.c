/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * A small stand-in for libFuzzer's main(), so every fuzz target also runs as a plain test with any
 * compiler: it feeds the target every file named on the command line (directories: each regular
 * file in them, in name order), then FUZZ_ITERATIONS (default 20000) generated inputs: random
 * bytes, and mutations of the seeds (bit flips, interesting bytes, inserts, deletes, repeats,
 * truncation, splices of pieces of other seeds, which act as a dictionary). The generator is
 * seeded deterministically (FUZZ_SEED overrides), so a failure reproduces. Every input is passed
 * in a heap buffer of exactly its size, so a sanitizer catches reads past its end.
 *
 * A target reports a bug by crashing (abort(), a sanitizer report); the driver then never
 * returns. Otherwise it prints a summary and exits 0.
 */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_DEFAULT_ITERATIONS 20000ULL
#define FUZZ_MAX_SEEDS 1024
#define FUZZ_MAX_SEED_SIZE (1024 * 1024)
#define FUZZ_MAX_LEN 4096 /* generated inputs */

struct seed {
        uint8_t *data;
        size_t size;
};

struct corpus {
        struct seed seeds[FUZZ_MAX_SEEDS];
        size_t n;
        size_t skipped;
};

static uint64_t rng_state;

/* splitmix64 */
static uint64_t rnd(void) {
        uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static size_t rnd_below(size_t n) {
        return n == 0 ? 0 : (size_t) (rnd() % n);
}

static void run_one(const uint8_t *data, size_t size) {
        /* An exact-size copy: the target must not read beyond size. */
        uint8_t *copy = malloc(size > 0 ? size : 1);

        if (!copy) {
                fprintf(stderr, "out of memory\n");
                exit(EXIT_FAILURE);
        }
        if (size > 0)
                memcpy(copy, data, size);
        (void) LLVMFuzzerTestOneInput(copy, size);
        free(copy);
}

static int read_file(const char *path, struct corpus *c) {
        FILE *f;
        uint8_t *buf;
        size_t n;

        if (c->n >= FUZZ_MAX_SEEDS) {
                c->skipped++;
                return 0;
        }
        f = fopen(path, "re");
        if (!f)
                return -errno;
        buf = malloc(FUZZ_MAX_SEED_SIZE);
        if (!buf) {
                fclose(f);
                return -ENOMEM;
        }
        n = fread(buf, 1, FUZZ_MAX_SEED_SIZE, f);
        if (ferror(f)) {
                int r = -EIO;
                free(buf);
                fclose(f);
                return r;
        }
        fclose(f);
        uint8_t *shrunk = realloc(buf, n > 0 ? n : 1);
        if (shrunk)
                buf = shrunk;
        c->seeds[c->n++] = (struct seed){ .data = buf, .size = n };
        return 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int read_path(const char *path, struct corpus *c) {
        struct stat st;
        struct dirent *de;
        char **names = NULL;
        size_t n = 0, cap = 0;
        DIR *d;
        int r = 0;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return read_file(path, c);

        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (n >= cap) {
                        size_t ncap = cap ? cap * 2 : 32;
                        char **nn = realloc(names, ncap * sizeof(*names));
                        if (!nn) {
                                r = -ENOMEM;
                                break;
                        }
                        names = nn;
                        cap = ncap;
                }
                if (asprintf(&names[n], "%s/%s", path, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        closedir(d);
        if (r == 0 && n > 0)
                qsort(names, n, sizeof(*names), cmp_names);
        for (size_t i = 0; i < n; i++) {
                if (r == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
                        r = read_file(names[i], c);
                free(names[i]);
        }
        free(names);
        return r;
}

static const uint8_t interesting[] = { 0x00, 0x01, 0x02, 0x04, 0x06, 0x08, 0x7f, 0x80, 0xff, ' ', '\t', '\n',
                                       '\r', '#', ':', '.', '0', '1', '9', 'a', 'f', 's', 'x' };

/* Applies 1..8 random mutations to buf (size *len, capacity FUZZ_MAX_LEN). */
static void mutate(uint8_t *buf, size_t *len, const struct corpus *c) {
        unsigned rounds = 1 + (unsigned) rnd_below(8);

        for (unsigned i = 0; i < rounds; i++) {
                size_t n = *len;

                switch (rnd_below(9)) {
                case 0: /* flip a bit */
                        if (n > 0)
                                buf[rnd_below(n)] ^= (uint8_t) (1u << rnd_below(8));
                        break;
                case 1: /* random byte */
                        if (n > 0)
                                buf[rnd_below(n)] = (uint8_t) rnd();
                        break;
                case 2: /* interesting byte */
                        if (n > 0)
                                buf[rnd_below(n)] = interesting[rnd_below(sizeof(interesting))];
                        break;
                case 3: /* insert a byte */
                        if (n < FUZZ_MAX_LEN) {
                                size_t at = rnd_below(n + 1);
                                memmove(buf + at + 1, buf + at, n - at);
                                buf[at] = rnd_below(2) ? (uint8_t) rnd() : interesting[rnd_below(sizeof(interesting))];
                                *len = n + 1;
                        }
                        break;
                case 4: { /* delete a run */
                        if (n == 0)
                                break;
                        size_t at = rnd_below(n), k = 1 + rnd_below(MIN(n - at, 8));
                        memmove(buf + at, buf + at + k, n - at - k);
                        *len = n - k;
                        break;
                }
                case 5: { /* repeat a chunk */
                        if (n == 0)
                                break;
                        size_t from = rnd_below(n), k = 1 + rnd_below(MIN(n - from, 16));
                        size_t at = rnd_below(n + 1);
                        if (n + k > FUZZ_MAX_LEN)
                                break;
                        uint8_t tmp[16];
                        memcpy(tmp, buf + from, k);
                        memmove(buf + at + k, buf + at, n - at);
                        memcpy(buf + at, tmp, k);
                        *len = n + k;
                        break;
                }
                case 6: /* truncate */
                        *len = rnd_below(n + 1);
                        break;
                case 7: { /* splice in a piece of another seed (a dictionary of sorts) */
                        if (c->n == 0)
                                break;
                        const struct seed *s = &c->seeds[rnd_below(c->n)];
                        if (s->size == 0)
                                break;
                        size_t from = rnd_below(s->size), k = 1 + rnd_below(MIN(s->size - from, 32));
                        size_t at = rnd_below(n + 1);
                        if (n + k > FUZZ_MAX_LEN)
                                break;
                        memmove(buf + at + k, buf + at, n - at);
                        memcpy(buf + at, s->data + from, k);
                        *len = n + k;
                        break;
                }
                case 8: /* overwrite a 16-bit field with a boundary value */
                        if (n >= 2) {
                                static const uint16_t v[] = { 0, 1, 2, 3, 4, 6, 0x0800, 0x0806, 0x8100, 0xffff };
                                size_t at = rnd_below(n - 1);
                                uint16_t x = v[rnd_below(sizeof(v) / sizeof(v[0]))];
                                buf[at] = (uint8_t) (x >> 8);
                                buf[at + 1] = (uint8_t) x;
                        }
                        break;
                }
        }
}

static int parse_iterations(unsigned long long *ret) {
        const char *e = getenv("FUZZ_ITERATIONS");
        char *end = NULL;

        *ret = FUZZ_DEFAULT_ITERATIONS;
        if (!e || !*e)
                return 0;
        errno = 0;
        *ret = strtoull(e, &end, 10);
        if (errno != 0 || !end || *end != '\0' || e[0] == '-')
                return -EINVAL;
        return 0;
}

int main(int argc, char **argv) {
        static struct corpus corpus;
        static uint8_t buf[FUZZ_MAX_LEN];
        unsigned long long iterations, seed = 0x61727064ULL; /* "arpd" */
        const char *e;
        int r;

        if (parse_iterations(&iterations) < 0) {
                fprintf(stderr, "FUZZ_ITERATIONS must be a non-negative integer\n");
                return 2;
        }
        e = getenv("FUZZ_SEED");
        if (e && *e)
                seed = strtoull(e, NULL, 0);
        rng_state = seed;

        for (int i = 1; i < argc; i++) {
                r = read_path(argv[i], &corpus);
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                        return 2;
                }
        }

        for (size_t i = 0; i < corpus.n; i++)
                run_one(corpus.seeds[i].data, corpus.seeds[i].size);

        for (unsigned long long it = 0; it < iterations; it++) {
                size_t len;

                if (corpus.n == 0 || rnd_below(8) == 0) {
                        /* fresh random bytes, mostly short */
                        len = rnd_below(rnd_below(4) == 0 ? FUZZ_MAX_LEN : 128);
                        for (size_t k = 0; k < len; k++)
                                buf[k] = (uint8_t) rnd();
                } else {
                        const struct seed *s = &corpus.seeds[rnd_below(corpus.n)];
                        len = MIN(s->size, (size_t) FUZZ_MAX_LEN);
                        memcpy(buf, s->data, len);
                }
                mutate(buf, &len, &corpus);
                run_one(buf, len);
        }

        fprintf(stderr, "%s: %zu seed input(s)%s, %llu generated input(s), generator seed 0x%llx: no failure\n",
                argc > 0 ? argv[0] : "fuzz", corpus.n, corpus.skipped ? " (some skipped: too many)" : "",
                iterations, seed);
        for (size_t i = 0; i < corpus.n; i++)
                free(corpus.seeds[i].data);
        return 0;
}
