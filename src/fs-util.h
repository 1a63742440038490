/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * File-system helpers for the places arpd creates (the store's directory, the control socket's
 * directory). One copy of each rule.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Creates the missing parent directories of path with mode (not path itself). Returns how many
 * it created (>= 0: the innermost ones, so that rmdir_parents() can remove exactly those again)
 * or a negative errno. */
int mkdir_parents(const char *path, mode_t mode);
/* Removes the n innermost parent directories of path, each only if empty; stops at the first
 * that cannot be removed. */
void rmdir_parents(const char *path, int n);

/* Checks that dir is a directory (not a symlink to one) that only its owner can change: owned by
 * root or by euid, and neither group- nor world-writable. 0 if so; -ENOTDIR, -ELOOP (a symlink),
 * -EPERM (someone else could replace what we create in it) or lstat's error. On -EPERM,
 * ret_uid and ret_mode (may be NULL) say what was found. */
int dir_check_private(const char *dir, uid_t euid, uid_t *ret_uid, mode_t *ret_mode);
/* Checks every existing directory on the way to path, from "/" down: ancestors as above, except
 * that a group/world-writable one with the sticky bit (/tmp) passes, since nobody else can remove
 * or rename what we own in it; the directory that holds path itself must pass dir_check_private().
 * A missing directory ends the walk with 0 (the caller creates it). ret_dir (may be NULL; PATH_MAX
 * bytes) receives the directory that failed. */
int path_check_parents_private(const char *path, uid_t euid, char *ret_dir, uid_t *ret_uid, mode_t *ret_mode);

/* Reads f to its end into one NUL-terminated buffer (*ret, freed by the caller; *ret_len bytes
 * before the NUL). More than max bytes: -E2BIG and nothing returned; a read error: -EIO. */
int read_full_stream(FILE *f, size_t max, char **ret, size_t *ret_len);
