/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
/* No CODE_FILE=__FILE__ (the build directory's relative path to this file), CODE_LINE=, CODE_FUNC=:
 * journal fields say what happened, not where in log.c it was logged. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"

static int max_level = LOG_INFO;
static const char *log_prefix;
static int journal_mode = -1; /* -1 unknown, 0 plain stderr, 1 stderr is the journal */

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_prefix(const char *prefix) {
        log_prefix = prefix;
}

bool log_to_journal(void) {
        if (journal_mode < 0) {
                const char *e = getenv("JOURNAL_STREAM");
                unsigned long long dev, ino;
                struct stat st;

                journal_mode = 0;
                if (e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
                    (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino)
                        journal_mode = 1;
        }
        return journal_mode == 1;
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) {
        int saved = errno;
        char buf[2048];
        va_list ap;

        (void) file;
        (void) line;
        if (error != 0)
                errno = error < 0 ? -error : error;
        if (level <= max_level) {
                va_start(ap, fmt);
                vsnprintf(buf, sizeof(buf), fmt, ap);
                va_end(ap);
                if (log_to_journal())
                        fprintf(stderr, "<%d>%s\n", level, buf);
                else if (log_prefix)
                        fprintf(stderr, "%s: %s\n", log_prefix, buf);
                else
                        fprintf(stderr, "%s\n", buf);
        }
        errno = saved;
        return error == 0 ? 0 : -(error < 0 ? -error : error);
}

int log_interface_internal(const char *ifname, int level, int error, const char *fmt, ...) {
        int saved = errno;
        char buf[2048];
        va_list ap;

        if (error != 0)
                errno = error < 0 ? -error : error;
        if (level <= max_level) {
                int n = snprintf(buf, sizeof(buf), "%s: ", ifname ? ifname : "?");
                va_start(ap, fmt);
                vsnprintf(buf + n, sizeof(buf) - (size_t) n, fmt, ap);
                va_end(ap);
                if (log_to_journal()) {
                        char prio[32], msg[2100], iface[64];
                        struct iovec iov[3];

                        snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
                        snprintf(msg, sizeof(msg), "MESSAGE=%s", buf);
                        snprintf(iface, sizeof(iface), "INTERFACE=%s", ifname ? ifname : "");
                        iov[0] = (struct iovec){ prio, strlen(prio) };
                        iov[1] = (struct iovec){ msg, strlen(msg) };
                        iov[2] = (struct iovec){ iface, strlen(iface) };
                        if (sd_journal_sendv(iov, 3) < 0)
                                fprintf(stderr, "<%d>%s\n", level, buf);
                } else if (log_prefix)
                        fprintf(stderr, "%s: %s\n", log_prefix, buf);
                else
                        fprintf(stderr, "%s\n", buf);
        }
        errno = saved;
        return error == 0 ? 0 : -(error < 0 ? -error : error);
}

void log_eventf(const char *ifname, int level, const char *message_id, const char *const *fields, size_t n,
                const char *fmt, ...) {
        const char *all[LOG_EVENT_MAX_FIELDS];
        char msg[1024], iface[64];
        size_t k = 0, off = 0;
        va_list ap;

        if (level > max_level)
                return;
        if (ifname) {
                off = (size_t) snprintf(msg, sizeof(msg), "%s: ", ifname);
                snprintf(iface, sizeof(iface), "INTERFACE=%s", ifname);
                all[k++] = iface;
        }
        va_start(ap, fmt);
        vsnprintf(msg + off, sizeof(msg) - off, fmt, ap);
        va_end(ap);
        for (size_t i = 0; i < n && k < LOG_EVENT_MAX_FIELDS; i++)
                all[k++] = fields[i];
        log_event(level, message_id, msg, all, k);
}

void log_event(int level, const char *message_id, const char *message, const char *const *fields, size_t n) {
        if (level > max_level)
                return;
        if (log_to_journal()) {
                struct iovec iov[LOG_EVENT_MAX_FIELDS + 3];
                char prio[32], mid[64], msg[1024];
                size_t k = 0;

                snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
                snprintf(mid, sizeof(mid), "MESSAGE_ID=%s", message_id);
                snprintf(msg, sizeof(msg), "MESSAGE=%s", message);
                iov[k++] = (struct iovec){ prio, strlen(prio) };
                iov[k++] = (struct iovec){ mid, strlen(mid) };
                iov[k++] = (struct iovec){ msg, strlen(msg) };
                for (size_t i = 0; i < n && i < LOG_EVENT_MAX_FIELDS; i++)
                        iov[k++] = (struct iovec){ (void *) fields[i], strlen(fields[i]) };
                if (sd_journal_sendv(iov, (int) k) >= 0)
                        return;
                /* journald gone: fall through to stderr so nothing is lost */
        }
        fprintf(stderr, "%s%s%s (", log_prefix ? log_prefix : "", log_prefix ? ": " : "", message);
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, "%s%s", i ? " " : "", fields[i]);
        fprintf(stderr, ")\n");
}
