/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one rule for interface names, used wherever a name enters arpd (command line, load files,
 * the control endpoint, arpctl, the sysctl helper): what the kernel's dev_valid_name() accepts —
 * 1..IFNAMSIZ-1 bytes, not "." or "..", no '/', ':' or whitespace — and no control characters
 * (names end up in paths, journal fields and terminal output). Pure.
 */

#include <stdbool.h>
#include <stddef.h>

/* s need not be NUL-terminated: n bytes are checked (a NUL among them is invalid). */
bool ifname_valid_n(const char *s, size_t n);
/* NULL is invalid. */
bool ifname_valid(const char *s);
