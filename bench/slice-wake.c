/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * slice-wake SLICE [idle]: what arpd's short scheduler slice (src/sched-util.c) changes for a task
 * woken onto a busy CPU. A CPU-bound task and a sleeper share CPU 1; a writer on CPU 0 wakes the
 * sleeper through a pipe every 500 us (2,000 times, as W1paced's misses) with a CLOCK_MONOTONIC
 * stamp; the sleeper (SLICE 1: after sched_request_slice(SCHED_SHORT_SLICE_NSEC)) prints the
 * percentiles of wakeup -> running. Takes about 1.2 s and one CPU for that time. With "idle"
 * there is no CPU-bound task: the cost of waking a task on an idle CPU (on a VM, a halted vCPU).
 *
 *   gcc -O2 -D_GNU_SOURCE -Isrc -o /tmp/slice-wake bench/slice-wake.c src/sched-util.c
 *   /tmp/slice-wake 0; /tmp/slice-wake 1; /tmp/slice-wake 0 idle
 */

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sched-util.h"

#define N 2000

static uint64_t now(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t) t.tv_sec * 1000000000ULL + (uint64_t) t.tv_nsec;
}

static void pin(int cpu) {
        cpu_set_t s;
        CPU_ZERO(&s);
        CPU_SET(cpu, &s);
        (void) sched_setaffinity(0, sizeof(s), &s);
}

static int cmp(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        int p[2];

        if (argc < 2 || argc > 3 || pipe(p) < 0)
                return 2;
        int slice = atoi(argv[1]);
        bool idle = argc == 3 && strcmp(argv[2], "idle") == 0;
        pid_t hog = idle ? -1 : fork();
        if (hog == 0) {
                pin(1);
                uint64_t end = now() + 3000000000ULL; /* bounded: 3 s at most */
                volatile uint64_t x = 0;
                while (now() < end)
                        x++;
                _exit(0);
        }
        pid_t sleeper = fork();
        if (sleeper == 0) {
                static uint64_t lat[N];
                pin(1);
                if (slice && sched_request_slice(SCHED_SHORT_SLICE_NSEC) < 0)
                        fprintf(stderr, "no short slice on this kernel\n");
                for (int i = 0; i < N; i++) {
                        uint64_t t;
                        if (read(p[0], &t, sizeof(t)) != sizeof(t))
                                _exit(1);
                        lat[i] = now() - t;
                }
                qsort(lat, N, sizeof(lat[0]), cmp);
                printf("slice=%d%s wakeup -> running: p50 %.1f p90 %.1f p99 %.1f max %.1f us\n", slice, idle ? " idle" : "",
                       lat[N / 2] / 1e3,
                       lat[N * 9 / 10] / 1e3, lat[N * 99 / 100] / 1e3, lat[N - 1] / 1e3);
                fflush(stdout);
                _exit(0);
        }
        pin(0);
        usleep(100000);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        for (int i = 0; i < N; i++) {
                ts.tv_nsec += 500000;
                if (ts.tv_nsec >= 1000000000) {
                        ts.tv_nsec -= 1000000000;
                        ts.tv_sec++;
                }
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                uint64_t t = now();
                if (write(p[1], &t, sizeof(t)) != sizeof(t))
                        break;
        }
        waitpid(sleeper, NULL, 0);
        if (hog > 0) {
                kill(hog, SIGKILL);
                waitpid(hog, NULL, 0);
        }
        return 0;
}
