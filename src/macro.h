/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Small helpers used everywhere: cleanup attributes, ownership transfer, array sizes.
 *
 * Error policy (all modules):
 *   - Functions return a negative errno-style code on failure and forward callees' negative codes
 *     unchanged. A negative return is the caller's problem to log, once, where the user's intent
 *     is known (log_*_errno() returns the code it is given so "return log_error_errno(r, ...)" works).
 *   - 0 means success. A positive return is a documented, non-error condition (e.g. "found",
 *     "changed", "number of items"); each function's contract in its header says which.
 *   - Untrusted input never causes abort(): it is rejected with -EBADMSG/-EINVAL and counted.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Move ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                           \
        ({                                    \
                __typeof__(p) _tp_ = (p);     \
                (p) = NULL;                   \
                _tp_;                         \
        })
#define TAKE_FD(fd)                           \
        ({                                    \
                int _tf_ = (fd);              \
                (fd) = -EBADF;                \
                _tf_;                         \
        })

/* Declares "static inline void func##p(type *p)" calling func(*p) when non-NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)        \
        static inline void func##p(type *p) {          \
                if (*p)                                \
                        func(*p);                      \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}
static inline void closep(int *fd) {
        *fd = safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

/* Errno that is always negative, whatever sign it came with. */
static inline int negative_errno(int e) {
        return e > 0 ? -e : (e < 0 ? e : -EIO);
}
