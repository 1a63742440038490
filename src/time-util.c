/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "time-util.h"

usec_t now_usec(clockid_t clock) {
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

int parse_seconds(const char *s, usec_t *ret) {
        char *end = NULL;
        double d;

        size_t dots = 0, digits = 0;

        if (!s || !*s)
                return -EINVAL;
        /* Plain decimal only: no sign, blanks, exponent, hex or "inf". */
        for (const char *p = s; *p; p++) {
                if (*p == '.')
                        dots++;
                else if (*p >= '0' && *p <= '9')
                        digits++;
                else
                        return -EINVAL;
        }
        if (dots > 1 || digits == 0)
                return -EINVAL;
        errno = 0;
        d = strtod(s, &end);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0 || !end || *end != '\0' || !isfinite(d) || d < 0)
                return -EINVAL;
        if (d > 100.0 * 365 * 24 * 3600)
                return -ERANGE;
        *ret = (usec_t) (d * (double) USEC_PER_SEC + 0.5);
        return 0;
}

const char *format_age(usec_t age, char *buf, size_t size) {
        unsigned long long s = age / USEC_PER_SEC;

        if (s < 60)
                snprintf(buf, size, "%llus", s);
        else if (s < 3600)
                snprintf(buf, size, "%llumin %llus", s / 60, s % 60);
        else if (s < 86400)
                snprintf(buf, size, "%lluh %llumin", s / 3600, (s % 3600) / 60);
        else
                snprintf(buf, size, "%llud %lluh", s / 86400, (s % 86400) / 3600);
        return buf;
}
