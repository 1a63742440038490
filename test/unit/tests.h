/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Minimal unit-test helpers. A test program runs its cases from main() with TEST_RUN(fn); a failed
 * check prints file:line, the expression and (for the _EQ forms) both values, and the program
 * exits 1 at the end. Exit 77 tells meson the test was skipped (TEST_SKIP).
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tests_failed_;
static int tests_run_;

#define CHECK(expr)                                                                        \
        do {                                                                               \
                if (!(expr)) {                                                             \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr); \
                        tests_failed_++;                                                   \
                }                                                                          \
        } while (0)

#define CHECK_INT_EQ(a, b)                                                                 \
        do {                                                                               \
                long long a_ = (long long) (a), b_ = (long long) (b);                      \
                if (a_ != b_) {                                                            \
                        fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, \
                                __LINE__, #a, #b, a_, b_);                                 \
                        tests_failed_++;                                                   \
                }                                                                          \
        } while (0)

#define CHECK_STR_EQ(a, b)                                                                 \
        do {                                                                               \
                const char *a_ = (a), *b_ = (b);                                           \
                if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                   \
                        fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n",       \
                                __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)",             \
                                b_ ? b_ : "(null)");                                       \
                        tests_failed_++;                                                   \
                }                                                                          \
        } while (0)

#define TEST_RUN(fn)                                                                       \
        do {                                                                               \
                int before_ = tests_failed_;                                               \
                tests_run_++;                                                              \
                fn();                                                                      \
                fprintf(stderr, "%s %s\n", tests_failed_ == before_ ? "ok  " : "FAIL", #fn); \
        } while (0)

#define TEST_EXIT() return tests_failed_ ? 1 : 0
#define TEST_SKIP(reason)                                                                  \
        do {                                                                               \
                fprintf(stderr, "SKIP: %s\n", reason);                                     \
                exit(77);                                                                  \
        } while (0)
