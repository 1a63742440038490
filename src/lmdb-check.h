/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A structural check of an LMDB data file, done before LMDB touches it, so a damaged file is
 * found instead of crashing the process. The file is read through a read-only map of the whole
 * pages it has when the check begins (or, if it cannot be mapped, with pread() 1 MiB at a time):
 * a page past that size is reported as the file being cut short and never touched, so only a
 * file that shrinks while the check runs could still fault, as it would under LMDB. A
 * 1,000,000-entry store (45 MB, in the page cache) takes about 5 ms. LMDB trusts its pages completely: a file cut short makes
 * it read past the end of its map (SIGBUS), and random bytes over a data page make it follow
 * wild offsets (SIGSEGV, SIGBUS) or fail one of its own assertions (abort). The store runs this
 * check before its first access to a file in each process.
 *
 * What it knows about the format is LMDB 0.9.x on this host's word size W = sizeof(size_t)
 * (bookworm's liblmdb0 0.9.24; page numbers and transaction ids are W bytes, host byte order):
 *
 *   Pages 0 and 1 are meta pages, page 1 at offset psize. Every page starts with a header of
 *   W + 8 bytes: [0] pgno (W), [W] u16 pad, [W+2] u16 flags (0x01 branch, 0x02 leaf,
 *   0x04 overflow, 0x08 meta, 0x20 leaf2), [W+4] u16 lower, [W+6] u16 upper (for an overflow
 *   page [W+4] is a u32 page count), then lower - (W + 8) bytes of u16 node offsets.
 *   The meta follows the header (H = W + 8): [H] u32 magic 0xBEEFC0DE, [H+4] u32 version 1,
 *   [H+8] address (W), [H+8+W] map size (W), [H+8+2W] two database records of 8 + 5W bytes
 *   (the free-page database, whose u32 pad is the page size, then the main one), then
 *   last_pg (W) at H+24+12W and txnid (W) after it. The meta with the larger txnid is current.
 *   A database record: u32 pad, u16 flags, u16 depth, branch, leaf, overflow page counts,
 *   entries, root page (W each; root ~0 = empty).
 *   A node: u16 lo, u16 hi, u16 flags, u16 key size, key, data. In a branch page lo | hi << 16
 *   | flags << 32 is the child page; in a leaf page lo | hi << 16 is the data size, flags
 *   0x01 = the data is on overflow pages (the node holds their first page number), 0x02 = a
 *   named database (the data is a database record), 0x04 = duplicates.
 *   The free-page database maps a txnid (W) to a list of W-byte words: a count, then that many
 *   free page numbers.
 *
 * Checked: both meta pages; for the current one, every page reachable from its two roots and
 * from the named databases in the main one: inside the file (a truncated file fails here, even
 * though LMDB's last_pg may legitimately lie past the end when the last pages are free), of the
 * right kind and level, its own page number in its header, node offsets and sizes inside the
 * page, overflow runs inside the file, no page reached twice, entry and page counts equal to the
 * database records; every free page number in range, listed once, and not a page in use.
 * Not checked: key order and record contents (LMDB survives wrong order; the store decodes
 * every record it reads).
 */

#include <stdint.h>
#include <stddef.h>

enum lmdb_check {
        LMDB_CHECK_OK = 0,
        LMDB_CHECK_EMPTY,       /* a 0-byte file: a new environment */
        LMDB_CHECK_NOT_LMDB,    /* no LMDB meta page: not an LMDB file at all */
        LMDB_CHECK_UNSUPPORTED, /* LMDB, but another data version, page size or word size, or
                                 * sorted duplicates: nothing this check or the store reads */
        LMDB_CHECK_DAMAGED,     /* an LMDB file (or all zeros where its meta pages belong,
                                 * as some file systems leave a file after a crash) that fails a check */
};

/* Checks the meta pages only (cheap; done before mdb_env_open()). Returns an enum lmdb_check
 * (>= 0) with a reason in why, or a negative errno if the file could not be read. */
int lmdb_check_meta(int fd, char *why, size_t why_size);

/* The full check of the snapshot committed by transaction txnid (0: the current meta). Run it
 * while a read transaction of that id is open, so no writer reuses its pages meanwhile. A txnid
 * neither meta page holds any more (two commits since) is -ESTALE: begin a new transaction and
 * retry. Otherwise as lmdb_check_meta(). */
int lmdb_check_file(int fd, uint64_t txnid, char *why, size_t why_size);

const char *lmdb_check_to_string(enum lmdb_check c);
