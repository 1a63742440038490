/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The forged senders of the W5 (flood) and W6 (soak churn) benchmarks: bench/bench.py starts it on
 * the peer's side of a veth pair. It sends COUNT frames on IFACE from a packet socket, frame i
 * announcing the binding of address number (i mod DISTINCT) to a MAC derived from that number and
 * from the cycle (SALT + i / DISTINCT), so every address gets a new MAC in each cycle:
 *
 *   arp: a gratuitous ARP request (sender IP = target IP = BASE + 1 + (i mod DISTINCT), sender
 *        MAC = the frame's Ethernet source), broadcast: what arpd learns from ARP (the kernel
 *        ignores it: no entry is created with arp_accept=0)
 *   na:  an unsolicited IPv6 Neighbor Advertisement (Override, not Solicited) to ff02::1 with a
 *        target link-layer address option, target = BASE + a 64-bit scramble of (i mod DISTINCT)
 *        + 1 inside BASE's /64, from the target itself, hop limit 255, checksum right: what arpd
 *        learns from NDP (the kernel ignores NAs for addresses it has no entry for)
 *
 * The MACs are locally administered unicast (02:cc:...). Written in C because a Python loop sends
 * far fewer frames per second than the daemon can take (see bench/README.md, W5).
 *
 *   flood-send IFACE arp|na BASE COUNT DISTINCT RATE_PPS SALT MAX_SECONDS OUT
 *
 * RATE_PPS 0 = as fast as the socket goes (PACKET_QDISC_BYPASS), else paced on CLOCK_MONOTONIC.
 * Prints "ready", waits for a line on stdin, sends until COUNT frames or MAX_SECONDS, and writes
 * {"t_first":ns,"t_last":ns,"sent":N,"errors":N} (CLOCK_REALTIME) to OUT. SIGTERM ends it early
 * (the file is still written).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

/* One's-complement sum for the ICMPv6 checksum. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s) {
        for (size_t i = 0; i + 1 < len; i += 2)
                s += (uint32_t) p[i] << 8 | p[i + 1];
        if (len & 1)
                s += (uint32_t) p[len - 1] << 8;
        return s;
}

static size_t build_arp(uint8_t *f, uint32_t base, uint64_t idx, const uint8_t mac[6]) {
        uint32_t ip = htonl(base + 1 + (uint32_t) idx);

        memset(f, 0, 60);
        memset(f, 0xff, 6);
        memcpy(f + 6, mac, 6);
        f[12] = 0x08, f[13] = 0x06;
        f[14] = 0, f[15] = 1;       /* Ethernet */
        f[16] = 0x08, f[17] = 0x00; /* IPv4 */
        f[18] = 6, f[19] = 4;
        f[20] = 0, f[21] = 1; /* request */
        memcpy(f + 22, mac, 6);
        memcpy(f + 28, &ip, 4);
        memcpy(f + 38, &ip, 4);
        return 60;
}

static size_t build_na(uint8_t *f, const struct in6_addr *base, uint64_t idx, const uint8_t mac[6]) {
        static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
        uint8_t *ip = f + 14, *icmp = f + 54;
        uint64_t low = (idx + 1) * 0x9e3779b97f4a7c15ULL; /* odd multiplier: distinct for distinct idx */
        uint32_t s;
        size_t plen = 32;

        memset(f, 0, 86);
        f[0] = 0x33, f[1] = 0x33, f[5] = 1;
        memcpy(f + 6, mac, 6);
        f[12] = 0x86, f[13] = 0xdd;
        ip[0] = 0x60;
        ip[4] = 0, ip[5] = (uint8_t) plen;
        ip[6] = 58;  /* ICMPv6 */
        ip[7] = 255; /* hop limit of neighbour discovery */
        memcpy(ip + 8, base, 8);
        for (int i = 0; i < 8; i++)
                ip[16 + i] = (uint8_t) (low >> (56 - 8 * i));
        memcpy(ip + 24, all_nodes, 16);
        icmp[0] = 136; /* Neighbor Advertisement */
        icmp[4] = 0x20; /* Override */
        memcpy(icmp + 8, ip + 8, 16); /* target = source */
        icmp[24] = 2, icmp[25] = 1;   /* target link-layer address, 8 bytes */
        memcpy(icmp + 26, mac, 6);
        s = sum16(ip + 8, 32, 0) + (uint32_t) plen + 58;
        s = sum16(icmp, plen, s);
        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        s = ~s & 0xffff;
        icmp[2] = (uint8_t) (s >> 8), icmp[3] = (uint8_t) s;
        return 14 + 40 + plen;
}

int main(int argc, char **argv) {
        struct sockaddr_ll ll = { .sll_family = AF_PACKET };
        struct in6_addr base6 = {};
        uint32_t base4 = 0;
        unsigned long long count, distinct, rate, salt, sent = 0, errors = 0;
        double max_s;
        int fd, one = 1, sndbuf = 64 * 1024 * 1024, na;
        int64_t t_first, t_last, mono0, interval_ns;
        struct timespec next;
        char line[64];
        FILE *out;

        if (argc != 10) {
                fprintf(stderr, "usage: flood-send IFACE arp|na BASE COUNT DISTINCT RATE_PPS SALT MAX_SECONDS OUT\n");
                return 2;
        }
        na = strcmp(argv[2], "na") == 0;
        if (!na && strcmp(argv[2], "arp") != 0)
                return 2;
        if (na ? inet_pton(AF_INET6, argv[3], &base6) != 1 : inet_pton(AF_INET, argv[3], &base4) != 1) {
                fprintf(stderr, "flood-send: bad BASE '%s'\n", argv[3]);
                return 2;
        }
        base4 = ntohl(base4);
        count = strtoull(argv[4], NULL, 10);
        distinct = strtoull(argv[5], NULL, 10);
        rate = strtoull(argv[6], NULL, 10);
        salt = strtoull(argv[7], NULL, 10);
        max_s = atof(argv[8]);
        if (distinct == 0 || count == 0 || max_s <= 0)
                return 2;
        ll.sll_ifindex = (int) if_nametoindex(argv[1]);
        ll.sll_protocol = htons(na ? ETH_P_IPV6 : ETH_P_ARP);
        ll.sll_halen = 6;
        if (ll.sll_ifindex == 0) {
                perror("flood-send: interface");
                return 1;
        }
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &ll, sizeof(ll)) < 0) {
                perror("flood-send: socket");
                return 1;
        }
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
        (void) setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
        signal(SIGTERM, on_term);
        signal(SIGINT, on_term);

        printf("ready\n");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
                return 1;

        interval_ns = rate > 0 ? (int64_t) (1000000000ULL / rate) : 0;
        clock_gettime(CLOCK_MONOTONIC, &next);
        mono0 = ns_of(CLOCK_MONOTONIC);
        t_first = ns_of(CLOCK_REALTIME);
        for (unsigned long long i = 0; i < count && !stop; i++) {
                uint8_t f[128], mac[6];
                uint64_t idx = i % distinct, cycle = salt + i / distinct;
                size_t len;

                if ((i & 1023) == 0 && ns_of(CLOCK_MONOTONIC) - mono0 > (int64_t) (max_s * 1e9))
                        break;
                if (interval_ns > 0) {
                        next.tv_nsec += interval_ns;
                        while (next.tv_nsec >= 1000000000) {
                                next.tv_nsec -= 1000000000;
                                next.tv_sec++;
                        }
                        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR && !stop)
                                ;
                }
                mac[0] = 0x02, mac[1] = (uint8_t) (0xc0 | (cycle & 0x0f));
                mac[2] = (uint8_t) (idx >> 24), mac[3] = (uint8_t) (idx >> 16), mac[4] = (uint8_t) (idx >> 8),
                mac[5] = (uint8_t) idx;
                len = na ? build_na(f, &base6, idx, mac) : build_arp(f, base4, idx, mac);
                if (send(fd, f, len, 0) < 0) {
                        errors++;
                        if (errno == ENOBUFS || errno == EAGAIN) /* the device queue is full: try once more */
                                if (send(fd, f, len, 0) >= 0)
                                        sent++;
                        continue;
                }
                sent++;
        }
        t_last = ns_of(CLOCK_REALTIME);

        out = fopen(argv[9], "we");
        if (!out)
                return 1;
        fprintf(out, "{\"t_first\": %lld, \"t_last\": %lld, \"sent\": %llu, \"errors\": %llu}\n", (long long) t_first,
                (long long) t_last, sent, errors);
        return fclose(out) == 0 ? 0 : 1;
}
