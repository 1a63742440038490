/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arpctl-metrics.h"
#include "macro.h"

#define METRIC_NAME_MAX 128

enum sample_kind { SAMPLE_COUNTER, SAMPLE_ENTRIES, SAMPLE_DAEMON };

struct sample {
        enum sample_kind kind;
        char name[METRIC_NAME_MAX]; /* the metric's full name */
        char *label;                /* interface or socket */
        enum record_state state;    /* SAMPLE_ENTRIES */
        uint64_t value;
};

struct Metrics {
        struct sample *samples;
        size_t n, cap;
};

Metrics *metrics_new(void) {
        return calloc(1, sizeof(Metrics));
}

Metrics *metrics_free(Metrics *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n; i++)
                free(m->samples[i].label);
        free(m->samples);
        free(m);
        return NULL;
}

static struct sample *find(Metrics *m, enum sample_kind kind, const char *name, const char *label,
                           enum record_state state) {
        for (size_t i = 0; i < m->n; i++) {
                struct sample *s = &m->samples[i];
                if (s->kind == kind && s->state == state && strcmp(s->name, name) == 0 && strcmp(s->label, label) == 0)
                        return s;
        }
        return NULL;
}

/* Adds value to the sample, creating it at 0. */
static int add(Metrics *m, enum sample_kind kind, const char *name, const char *label, enum record_state state,
               uint64_t value) {
        struct sample *s = find(m, kind, name, label, state);

        if (!s) {
                if (m->n == m->cap) {
                        size_t cap = m->cap ? m->cap * 2 : 64;
                        struct sample *n = realloc(m->samples, cap * sizeof(*n));
                        if (!n)
                                return -ENOMEM;
                        m->samples = n;
                        m->cap = cap;
                }
                s = &m->samples[m->n];
                *s = (struct sample) { .kind = kind, .state = state, .label = strdup(label) };
                if (!s->label)
                        return -ENOMEM;
                snprintf(s->name, sizeof(s->name), "%s", name);
                m->n++;
        }
        s->value += value;
        return 0;
}

int metrics_add_counter(Metrics *m, const char *ifname, const char *name, uint64_t value) {
        char full[METRIC_NAME_MAX];
        size_t len;

        snprintf(full, sizeof(full) - strlen("_total"), "arpd_%s", name);
        for (char *p = full + strlen("arpd_"); *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
                else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
                        *p = '_';
        len = strlen(full);
        /* "_total" once, also for a (future) counter whose name already ends so */
        if (len < 6 || strcmp(full + len - 6, "_total") != 0)
                strcat(full, "_total");
        return add(m, SAMPLE_COUNTER, full, ifname, 0, value);
}

int metrics_add_entries(Metrics *m, const char *ifname, enum record_state state, uint64_t count) {
        return add(m, SAMPLE_ENTRIES, "arpd_store_entries", ifname, state, count);
}

int metrics_add_daemon(Metrics *m, const char *socket, bool up) {
        return add(m, SAMPLE_DAEMON, "arpd_daemon_up", socket, 0, up ? 1 : 0);
}

static int cmp_sample(const void *a, const void *b) {
        const struct sample *x = a, *y = b;
        int r = strcmp(x->name, y->name);

        if (r != 0)
                return r;
        r = strcmp(x->label, y->label);
        if (r != 0)
                return r;
        return (int) x->state - (int) y->state;
}

static void write_label_value(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '\\' || *s == '"')
                        fprintf(f, "\\%c", *s);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

static void write_family_header(FILE *f, const struct sample *s) {
        switch (s->kind) {
        case SAMPLE_COUNTER:
                /* the counter's name without "arpd_" and "_total": stats.h's, as in arpctl stats */
                fprintf(f, "# HELP %s arpd's counter %.*s per interface (\"*\": not tied to one); see arpd(8), STATISTICS.\n",
                        s->name, (int) (strlen(s->name) - strlen("arpd_") - strlen("_total")), s->name + strlen("arpd_"));
                fprintf(f, "# TYPE %s counter\n", s->name);
                break;
        case SAMPLE_ENTRIES:
                fprintf(f, "# HELP %s Entries in arpd's store, by interface and state.\n", s->name);
                fprintf(f, "# TYPE %s gauge\n", s->name);
                break;
        case SAMPLE_DAEMON:
                fprintf(f, "# HELP %s Whether an arpd answered on this control socket (1) or not (0).\n", s->name);
                fprintf(f, "# TYPE %s gauge\n", s->name);
                break;
        }
}

void metrics_write(FILE *f, Metrics *m) {
        if (m->n > 0)
                qsort(m->samples, m->n, sizeof(m->samples[0]), cmp_sample);
        for (size_t i = 0; i < m->n; i++) {
                const struct sample *s = &m->samples[i];

                if (i == 0 || strcmp(s->name, m->samples[i - 1].name) != 0)
                        write_family_header(f, s);
                fputs(s->name, f);
                fputs(s->kind == SAMPLE_DAEMON ? "{socket=" : "{interface=", f);
                write_label_value(f, s->label);
                if (s->kind == SAMPLE_ENTRIES)
                        fprintf(f, ",state=\"%s\"", record_state_to_string(s->state));
                fprintf(f, "} %llu\n", (unsigned long long) s->value);
        }
}

int metrics_write_file(const char *path, Metrics *m) {
        _cleanup_free_ char *tmp = NULL;
        const char *slash = strrchr(path, '/');
        size_t dirlen = slash ? (size_t) (slash - path) + 1 : 0;
        FILE *f;
        int fd, r = 0;

        /* A dot file in the same directory: the collector reads only *.prom, and rename() within one
         * filesystem replaces the old file at once. */
        if (asprintf(&tmp, "%.*s.%s.XXXXXX", (int) dirlen, path, slash ? slash + 1 : path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        metrics_write(f, m);
        if (fflush(f) != 0 || ferror(f))
                r = -(errno ? errno : EIO);
        if (r == 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}
