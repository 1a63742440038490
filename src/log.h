/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Logging to stderr. When stderr is connected to the journal (JOURNAL_STREAM names it, as systemd
 * sets up for services) each line carries a "<N>" syslog priority prefix so journald files it at
 * the right level; structured events (log_event()) go straight to the journal with their fields.
 * Elsewhere (a terminal, a test harness) everything is plain text on stderr, structured events as
 * "MESSAGE (FIELD=value ...)" so scripts can still parse them.
 *
 * log_*_errno(r, ...) sets errno to |r| so the format may use %m, and returns -|r|.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level); /* LOG_ERR .. LOG_DEBUG; default LOG_INFO */
int log_get_max_level(void);
void log_set_prefix(const char *prefix); /* e.g. the program name in non-journal mode; may be NULL */
bool log_to_journal(void);               /* stderr is the journal stream */

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...) log_internal(level, error, __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...) (void) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) (void) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) (void) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) (void) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) (void) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(r, ...) log_full_errno(LOG_DEBUG, r, __VA_ARGS__)
#define log_info_errno(r, ...) log_full_errno(LOG_INFO, r, __VA_ARGS__)
#define log_notice_errno(r, ...) log_full_errno(LOG_NOTICE, r, __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_WARNING, r, __VA_ARGS__)
#define log_error_errno(r, ...) log_full_errno(LOG_ERR, r, __VA_ARGS__)
#define log_oom() log_full_errno(LOG_ERR, ENOMEM, "Out of memory.")

/* The same for one interface: the message is prefixed "IFNAME: " and, in the journal, the entry
 * carries INTERFACE=IFNAME, so "journalctl INTERFACE=eth0" finds everything about eth0. The
 * daemon's rooms wrap it as log_link_*() (arpd-link.h). */
int log_interface_internal(const char *ifname, int level, int error, const char *fmt, ...) _printf_(4, 5);

#define LOG_EVENT_MAX_FIELDS 64

/* A structured event: message_id is a 32-hex-digit id (see catalog/), fields are "KEY=value"
 * strings (n of them, at most LOG_EVENT_MAX_FIELDS). Printed to stderr as "message (KEY=value ...)" outside the journal. */
void log_event(int level, const char *message_id, const char *message, const char *const *fields, size_t n);
/* log_event() with the message formatted from fmt and, when ifname is not NULL, prefixed
 * "IFNAME: " with INTERFACE=IFNAME added to the fields. */
void log_eventf(const char *ifname, int level, const char *message_id, const char *const *fields, size_t n,
                const char *fmt, ...) _printf_(6, 7);
