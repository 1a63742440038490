/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * stall CPU SECONDS [fifo]: how much of one CPU a task cannot have, on this machine, whatever it
 * does — the floor under every p99 that needs a task scheduled (an answering daemon's), which no
 * daemon can go below. The calling thread is pinned to CPU and reads CLOCK_MONOTONIC in a tight
 * loop for SECONDS; every gap of at least 50 µs between two reads is time the task did not run:
 * the kernel's own work that cannot be preempted (interrupts, softirqs, and on a PREEMPT_NONE
 * kernel any kernel thread or system call on that CPU until it yields), other tasks (at
 * SCHED_OTHER), and on a VM the host not running the vCPU. With "fifo" the thread runs at
 * SCHED_FIFO 1 first (root), above every ordinary task: what is left is what no priority escapes.
 * Gaps above 20 ms are not counted (the real-time throttle takes 50 ms a second from a FIFO task).
 *
 * Prints one JSON object: {"cpu":N,"policy":"other"|"fifo","s":S,"lost_pct":P,"gaps_per_s":G,
 * "gaps_500us_per_s":H,"gaps_1ms_per_s":K,"max_us":M}.
 *
 *   gcc -O2 -o /tmp/stall bench/stall.c; /tmp/stall 0 2 & /tmp/stall 1 2; wait
 */

#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GAP_MIN_NS 50000ULL
#define GAP_MAX_NS 20000000ULL

static uint64_t now_ns(void) {
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t) t.tv_sec * 1000000000ULL + (uint64_t) t.tv_nsec;
}

int main(int argc, char **argv) {
        cpu_set_t set;
        int cpu;
        double secs;
        bool fifo;
        uint64_t t0, prev, end, lost = 0, max = 0, n = 0, n500 = 0, n1000 = 0;

        if (argc < 3 || (cpu = atoi(argv[1])) < 0 || !((secs = atof(argv[2])) > 0 && secs <= 60)) {
                fprintf(stderr, "usage: stall CPU SECONDS [fifo]\n");
                return 2;
        }
        fifo = argc > 3 && strcmp(argv[3], "fifo") == 0;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) < 0) {
                perror("stall: sched_setaffinity");
                return 1;
        }
        if (fifo && sched_setscheduler(0, SCHED_FIFO, &(struct sched_param) { .sched_priority = 1 }) < 0) {
                perror("stall: sched_setscheduler(SCHED_FIFO)");
                return 1;
        }
        t0 = prev = now_ns();
        end = t0 + (uint64_t) (secs * 1e9);
        for (;;) {
                uint64_t t = now_ns(), gap = t - prev;

                if (gap >= GAP_MIN_NS && gap <= GAP_MAX_NS) {
                        n++;
                        lost += gap;
                        n500 += gap >= 500000;
                        n1000 += gap >= 1000000;
                        if (gap > max)
                                max = gap;
                }
                prev = t;
                if (t >= end)
                        break;
        }
        printf("{\"cpu\":%d,\"policy\":\"%s\",\"s\":%.3f,\"lost_pct\":%.3f,\"gaps_per_s\":%.1f,"
               "\"gaps_500us_per_s\":%.2f,\"gaps_1ms_per_s\":%.2f,\"max_us\":%.1f}\n",
               cpu, fifo ? "fifo" : "other", secs, 100.0 * (double) lost / (secs * 1e9), (double) n / secs,
               (double) n500 / secs, (double) n1000 / secs, (double) max / 1e3);
        return 0;
}
