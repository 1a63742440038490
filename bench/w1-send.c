/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The application of the W1 benchmarks (bench/bench.py starts it inside host A): one UDP datagram
 * to port 9 of each target, from one socket whose send buffer is forced large (SO_SNDBUFFORCE,
 * root), so no sendto() waits or fails with EAGAIN while the datagrams wait in their neighbours'
 * queues. Each datagram carries its target's index and the CLOCK_REALTIME time taken just before
 * its sendto(): the peer (host B) compares that with its kernel receive timestamp, which is taken
 * when A has resolved the neighbour and released the queued datagram.
 *
 * Written in C because a Python loop sends only ~60,000 datagrams/s here: the storm's rate was the
 * sender's, not the system's (see bench/README.md).
 *
 *   w1-send TARGETS OUT INTERVAL_US
 *
 * TARGETS: one IPv4 or IPv6 literal per line (one family). Prints "ready", waits for a line on
 * stdin, sends (INTERVAL_US 0: back to back; else one every INTERVAL_US, sleeping in between on
 * CLOCK_MONOTONIC), and writes {"t_first":ns,"t_last":ns,"errors":N,"n":N,"cpu_ns":N} to OUT
 * (cpu_ns: the sender's own CPU time while sending, the kernel's work in its sendto() calls
 * included). SIGTERM ends the sending early; OUT is written all the same, n then being the
 * datagrams actually sent, so that "sent but never arrived" is counted exactly.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 1000000

struct payload {
        int64_t t_send; /* CLOCK_REALTIME ns */
        uint32_t index;
} __attribute__((packed));

/* This thread's CPU time so far (ns), from the scheduler's own accounting. */
static long long thread_cpu_ns(void) {
        long long v = -1;
        FILE *f = fopen("/proc/thread-self/schedstat", "re");

        if (f) {
                if (fscanf(f, "%lld", &v) != 1)
                        v = -1;
                fclose(f);
        }
        return v;
}

static volatile sig_atomic_t stop;

static void on_term(int sig) {
        (void) sig;
        stop = 1;
}

static int64_t ns_of(clockid_t c) {
        struct timespec ts;

        clock_gettime(c, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv) {
        struct sockaddr_storage *dst;
        socklen_t dlen = 0;
        char line[128];
        size_t n = 0;
        long interval_ns;
        int family = 0, fd, sndbuf = 256 * 1024 * 1024;
        unsigned long errors = 0;
        int64_t t_first, t_last;
        long long cpu0, cpu1;
        struct timespec next;
        FILE *f, *out;

        if (argc != 4) {
                fprintf(stderr, "usage: w1-send TARGETS OUT INTERVAL_US\n");
                return 2;
        }
        interval_ns = (long) (atof(argv[3]) * 1000.0);
        dst = calloc(MAX_TARGETS, sizeof(*dst));
        f = fopen(argv[1], "re");
        if (!dst || !f) {
                perror("w1-send");
                return 1;
        }
        while (n < MAX_TARGETS && fgets(line, sizeof(line), f)) {
                struct sockaddr_in *a4 = (struct sockaddr_in *) &dst[n];
                struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) &dst[n];

                line[strcspn(line, " \t\r\n")] = '\0';
                if (!line[0])
                        continue;
                if (inet_pton(AF_INET, line, &a4->sin_addr) == 1) {
                        a4->sin_family = AF_INET;
                        a4->sin_port = htons(9);
                        dlen = sizeof(*a4);
                } else if (inet_pton(AF_INET6, line, &a6->sin6_addr) == 1) {
                        a6->sin6_family = AF_INET6;
                        a6->sin6_port = htons(9);
                        dlen = sizeof(*a6);
                } else {
                        fprintf(stderr, "w1-send: bad target '%s'\n", line);
                        return 1;
                }
                if (family && family != dst[n].ss_family) {
                        fprintf(stderr, "w1-send: targets of both families\n");
                        return 1;
                }
                family = dst[n].ss_family;
                n++;
        }
        fclose(f);
        if (n == 0) {
                fprintf(stderr, "w1-send: no targets\n");
                return 1;
        }
        fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0) {
                perror("w1-send: socket");
                return 1;
        }

        /* no SA_RESTART: the sleep between two sends returns EINTR */
        if (sigaction(SIGTERM, &(struct sigaction) { .sa_handler = on_term }, NULL) < 0) {
                perror("w1-send: sigaction");
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
                return 1;

        cpu0 = thread_cpu_ns();
        clock_gettime(CLOCK_MONOTONIC, &next);
        t_first = ns_of(CLOCK_REALTIME);
        size_t sent = 0;
        for (size_t i = 0; i < n && !stop; i++) {
                struct payload p;

                if (interval_ns > 0) {
                        next.tv_nsec += interval_ns;
                        while (next.tv_nsec >= 1000000000) {
                                next.tv_nsec -= 1000000000;
                                next.tv_sec++;
                        }
                        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR && !stop)
                                ;
                        if (stop)
                                break;
                }
                p.index = (uint32_t) i;
                p.t_send = ns_of(CLOCK_REALTIME);
                if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *) &dst[i], dlen) < 0)
                        errors++;
                sent++;
        }
        t_last = ns_of(CLOCK_REALTIME);
        cpu1 = thread_cpu_ns();

        out = fopen(argv[2], "we");
        if (!out)
                return 1;
        fprintf(out, "{\"t_first\": %lld, \"t_last\": %lld, \"errors\": %lu, \"n\": %zu, \"cpu_ns\": %lld}\n",
                (long long) t_first, (long long) t_last, errors, sent, cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1LL);
        return fclose(out) == 0 ? 0 : 1;
}
