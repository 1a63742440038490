/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-receipt.h"
#include "macro.h"

static int read_boot_id(char id[static 37]) {
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, id, 36);
        if (n < 0)
                return -errno;
        if (n != 36)
                return -EIO;
        id[36] = '\0';
        for (size_t i = 0; i < 36; i++)
                if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f') || id[i] == '-'))
                        return -EIO;
        return 0;
}

int check_receipt_format(const struct stat *st, uint64_t txnid, char *buf, size_t size) {
        char boot[37];
        int r, n;

        if (!st || !buf)
                return -EINVAL;
        r = read_boot_id(boot);
        if (r < 0)
                return r;
        n = snprintf(buf, size, "arpd-page-check 1 boot=%s dev=%" PRIu64 " ino=%" PRIu64 " size=%" PRIu64
                     " mtime=%" PRId64 ".%09ld ctime=%" PRId64 ".%09ld txnid=%" PRIu64 "\n",
                     boot, (uint64_t) st->st_dev, (uint64_t) st->st_ino, (uint64_t) st->st_size,
                     (int64_t) st->st_mtim.tv_sec, st->st_mtim.tv_nsec, (int64_t) st->st_ctim.tv_sec,
                     st->st_ctim.tv_nsec, txnid);
        return n > 0 && (size_t) n < size ? 0 : -ENOBUFS;
}

bool check_receipt_same_file(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

bool check_receipt_same_state(const struct stat *a, const struct stat *b) {
        return check_receipt_same_file(a, b) && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
               a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

bool check_receipt_valid(const char *path, const struct stat *st, uint64_t txnid) {
        char want[CHECK_RECEIPT_MAX], got[CHECK_RECEIPT_MAX];
        _cleanup_close_ int fd = -EBADF;
        struct stat rst;
        ssize_t n;

        if (!path || check_receipt_format(st, txnid, want, sizeof(want)) < 0)
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &rst) < 0)
                return false;
        if (!S_ISREG(rst.st_mode) || (rst.st_uid != 0 && rst.st_uid != st->st_uid) || (rst.st_mode & 0022))
                return false;
        n = read(fd, got, sizeof(got));
        return n == (ssize_t) strlen(want) && memcmp(got, want, (size_t) n) == 0;
}

int check_receipt_write(const char *path, const struct stat *st, uint64_t txnid) {
        char text[CHECK_RECEIPT_MAX];
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        int r;

        if (!path)
                return -EINVAL;
        r = check_receipt_format(st, txnid, text, sizeof(text));
        if (r < 0)
                return r;
        if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        len = strlen(text);
        if (fchmod(fd, 0644) < 0 || write(fd, text, len) != (ssize_t) len || rename(tmp, path) < 0) {
                r = errno > 0 ? -errno : -EIO;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}
