/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * How arpctl's output meets a terminal, by the conventions of systemd's *ctl tools.
 *
 * Pager: only when standard output is a terminal and --no-pager was not given. The command is
 * $SYSTEMD_PAGER, else $PAGER (run with "sh -c"), else the first of pager, less, more found in
 * PATH; a pager variable set to "" or "cat" means no pager. The pager gets LESS=FRXMK (or
 * $SYSTEMD_LESS) unless LESS is set, and LESSCHARSET=utf-8 unless that is. Standard output (and
 * standard error, when it is the same terminal) go to the pager; pager_close() flushes, closes
 * them and waits for the pager. If the pager cannot be started the output is copied through
 * unpaged. A pager the user quits early makes writes fail with EPIPE (SIGPIPE is ignored):
 * callers stop writing and treat that as success (terminal_write_failed_quietly()).
 *
 * Colours: $SYSTEMD_COLORS decides when set (a boolean, or 16, 256, 24bit for on), else
 * $NO_COLOR set (to anything) turns them off, else TERM=dumb does, else they follow whether
 * standard output is a terminal. Decide before pager_open(): the pager is a pipe.
 */

#include <stdbool.h>

bool colors_enabled(void);

/* Starts the pager if the rules above say so; enabled=false for --no-pager. */
void pager_open(bool enabled);
/* Flushes standard output and waits for the pager (no-op without one). */
void pager_close(void);
/* True for an error that means the reader went away (EPIPE): nothing to report. */
bool terminal_write_failed_quietly(int r);
