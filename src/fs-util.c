/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"

int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        int created = 0;

        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                if (mkdir(p, mode) >= 0)
                        created++;
                else if (errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return created;
}

void rmdir_parents(const char *path, int n) {
        _cleanup_free_ char *p = strdup(path);

        for (int i = 0; p && i < n; i++) {
                char *slash = strrchr(p, '/');

                if (!slash || slash == p)
                        return;
                *slash = '\0';
                if (rmdir(p) < 0)
                        return;
        }
}

/* Who may change dir: its owner must be root or euid; group and others may not write to it,
 * except where allow_sticky and the sticky bit keeps them from removing or renaming our entries. */
static int check_dir(const char *dir, uid_t euid, bool allow_sticky, uid_t *ret_uid, mode_t *ret_mode) {
        struct stat st;

        if (lstat(dir, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode))
                return -ELOOP;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if ((st.st_uid != 0 && st.st_uid != euid) ||
            ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(allow_sticky && (st.st_mode & S_ISVTX)))) {
                if (ret_uid)
                        *ret_uid = st.st_uid;
                if (ret_mode)
                        *ret_mode = st.st_mode & 07777;
                return -EPERM;
        }
        return 0;
}

int dir_check_private(const char *dir, uid_t euid, uid_t *ret_uid, mode_t *ret_mode) {
        return check_dir(dir, euid, false, ret_uid, ret_mode);
}

int path_check_parents_private(const char *path, uid_t euid, char *ret_dir, uid_t *ret_uid, mode_t *ret_mode) {
        char p[PATH_MAX];
        char *last;
        size_t len = strlen(path);

        if (len >= sizeof(p))
                return -ENAMETOOLONG;
        memcpy(p, path, len + 1);
        last = strrchr(p, '/');
        if (!last)
                return 0; /* a bare name in the working directory: nothing to walk */
        if (p[0] != '/') {
                /* relative: only the directory that holds it */
                int r;

                *last = '\0';
                r = check_dir(p, euid, false, ret_uid, ret_mode);
                if (r < 0 && r != -ENOENT && ret_dir)
                        snprintf(ret_dir, PATH_MAX, "%s", p);
                return r == -ENOENT ? 0 : r;
        }
        /* Every ancestor of the directory that holds path, then that directory itself. */
        for (char *s = p; s; s = s < last ? strchr(s + 1, '/') : NULL) {
                char saved;
                const char *dir = p;
                int r;

                if (s == p) {
                        saved = p[1];
                        p[1] = '\0';
                } else {
                        saved = *s;
                        *s = '\0';
                }
                r = check_dir(dir, euid, s != last, ret_uid, ret_mode);
                if (r < 0 && r != -ENOENT && ret_dir)
                        snprintf(ret_dir, PATH_MAX, "%s", dir);
                if (s == p)
                        p[1] = saved;
                else
                        *s = saved;
                if (r == -ENOENT)
                        return 0; /* missing from here down: ours to create */
                if (r < 0)
                        return r;
        }
        return 0;
}

int read_full_stream(FILE *f, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                if (cap - len < 65536) {
                        if (cap > max)
                                return -E2BIG;
                        char *n = realloc(buf, cap + 65536 + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap += 65536;
                }
                size_t k = fread(buf + len, 1, cap - len, f);
                len += k;
                if (k == 0)
                        break;
        }
        if (ferror(f))
                return -EIO;
        if (len > max)
                return -E2BIG;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}
