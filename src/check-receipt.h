/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A receipt for the structural page check of lmdb-check.h, so that a store file that has not
 * changed since it last passed is not walked again: the walk reads every page (about 5 ms per
 * million entries with the file in the page cache, 13 ms in a fresh process), which is most of a
 * daemon's start at that size.
 *
 * A receipt names the file as fstat() saw it and the LMDB snapshot that was checked: the boot
 * (/proc/sys/kernel/random/boot_id), device, inode, size, modification and change times to the
 * nanosecond, and the transaction id. It holds for a file that still matches every field:
 *   - any write changes the change time (a program that is not LMDB, a partial copy over the
 *     file), and a commit changes the transaction id as well;
 *   - a reboot changes the boot id, so the first open after a crash or a power cut, which is what
 *     can leave pages unwritten under MDB_NOSYNC, always walks the file;
 *   - a file cut short is caught before this, from its size against the meta page (lmdb-check.h).
 * What it cannot see: a change that leaves the change time as it was, i.e. by a program that
 * resets it (only possible by setting the clock), or on kernels without fine-grained change times
 * (before Linux 6.13) a write by another program within the same clock tick (up to 10 ms) as the
 * state the receipt names.
 *
 * The store (store.c) writes one after a walk that passed and, at close, after its own commits on a
 * file that matched a receipt (what LMDB wrote itself needs no walk), and reads it before walking.
 * The file is "STORE-checked" beside the store; it is trusted only when it is a regular file owned by
 * root or the store's owner and writable by its owner only. Writing it is best effort (a reader
 * without write access to the directory just walks every time).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define CHECK_RECEIPT_MAX 256

/* The receipt's text for st and txnid (one line; fails with -errno if the boot id cannot be read). */
int check_receipt_format(const struct stat *st, uint64_t txnid, char *buf, size_t size);

/* Whether st's fields other than the times are those of the same file (device and inode). */
bool check_receipt_same_file(const struct stat *a, const struct stat *b);
/* Whether a and b describe the file in the same state (every field a receipt names). */
bool check_receipt_same_state(const struct stat *a, const struct stat *b);

/* Whether the file at path holds the receipt for st and txnid, and may be trusted (above). */
bool check_receipt_valid(const char *path, const struct stat *st, uint64_t txnid);

/* Writes the receipt for st and txnid to path, replacing it atomically. Negative errno on failure. */
int check_receipt_write(const char *path, const struct stat *st, uint64_t txnid);
