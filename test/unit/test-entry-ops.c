/* SPDX-License-Identifier: GPL-2.0-or-later */
/* entry-ops.h's rules for what an operator may assert: addresses a neighbour can have, link-layer
 * addresses as long as the link's, interface names as the kernel allows them, for add and load. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entry-ops.h"
#include "loadfile.h"
#include "macro.h"
#include "store.h"
#include "tests.h"

static void test_key(void) {
        struct neigh_key k;
        const char *reason = NULL;

        CHECK_INT_EQ(entry_key_parse("a0", "198.18.0.1", &k, &reason), 0);
        CHECK_INT_EQ(entry_key_parse("0eth", "2001:db8::1", &k, &reason), 0);
        CHECK_STR_EQ(k.ifname, "0eth");
        const struct {
                const char *addr, *reason;
        } bad[] = {
                { "224.0.0.1", "multicast address, not a neighbour" },
                { "239.255.255.250", "multicast address, not a neighbour" },
                { "127.0.0.1", "loopback address, not a neighbour" },
                { "0.0.0.0", "unspecified address (0.0.0.0/8), not a neighbour" },
                { "255.255.255.255", "broadcast or reserved address (240.0.0.0/4), not a neighbour" },
                { "::", "unspecified address (::), not a neighbour" },
                { "::1", "loopback address, not a neighbour" },
                { "ff02::1", "multicast address, not a neighbour" },
                { "::ffff:198.18.0.1", "IPv4-mapped address, not an IPv6 neighbour" },
                { "198.18.0.300", "invalid IPv4 or IPv6 address" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                reason = NULL;
                CHECK_INT_EQ(entry_static_key_parse("a0", bad[i].addr, &k, &reason), -EINVAL);
                CHECK_STR_EQ(reason, bad[i].reason);
        }
        CHECK_INT_EQ(entry_key_parse("a/0", "198.18.0.1", &k, &reason), -EINVAL);
        CHECK_STR_EQ(reason, "invalid interface name");
        /* naming an entry (delete, show) takes any address: also one stored before these rules */
        CHECK_INT_EQ(entry_key_parse("a0", "224.0.0.1", &k, &reason), 0);
        CHECK_INT_EQ(entry_static_key_parse("a0", "198.18.0.1", &k, &reason), 0);
}

static void test_lladdr(void) {
        struct lladdr ll;
        const char *reason = NULL;

        CHECK_INT_EQ(entry_lladdr_parse("02:00:5e:10:00:0a", 0, &ll, &reason), 0);
        CHECK_INT_EQ(ll.len, 6);
        CHECK_INT_EQ(entry_lladdr_parse("02:00:5e:10:00", 0, &ll, &reason), -EINVAL);
        CHECK(strstr(reason, "expected 6 octets"));
        CHECK_INT_EQ(entry_lladdr_parse("02:00:5e:10:00:0a:0b", 0, &ll, &reason), -EINVAL);
        CHECK_INT_EQ(entry_lladdr_parse("02:00:5e:10:00:0a:0b", 6, &ll, &reason), -EINVAL);
        /* a link with 20-byte addresses (InfiniBand), as a running arpd knows it */
        const char *ib = "80:00:00:48:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01";
        CHECK_INT_EQ(entry_lladdr_parse(ib, 20, &ll, &reason), 0);
        CHECK_INT_EQ(entry_lladdr_parse(ib, 0, &ll, &reason), -EINVAL);
        CHECK_INT_EQ(entry_lladdr_parse("02:00:5e:10:00:0a", 20, &ll, &reason), -EINVAL);
        CHECK(strstr(reason, "not as long as the link's"));
        CHECK_INT_EQ(entry_lladdr_parse("ff:ff:ff:ff:ff:ff", 0, &ll, &reason), -EINVAL);
        CHECK(strstr(reason, "multicast or broadcast"));
        CHECK_INT_EQ(entry_lladdr_parse("01:00:5e:00:00:01", 0, &ll, &reason), -EINVAL);
        CHECK_INT_EQ(entry_lladdr_parse("00:00:00:00:00:00", 0, &ll, &reason), -EINVAL);
        CHECK(strstr(reason, "all zero"));
        CHECK_INT_EQ(entry_lladdr_parse("zz", 0, &ll, &reason), -EINVAL);
}

static size_t len20(const char *ifname, void *userdata) {
        return strcmp(ifname, "ib0") == 0 ? 20 : 0;
}

static void test_load_check(void) {
        const char *lines[] = { "a0 198.18.0.1 02:00:5e:10:00:01", "a0 198.18.0.2 FAILED: 3s ago",
                                "0eth 2001:db8::1 02:00:5e:10:00:02 static",
                                "ib0 198.18.0.3 80:00:00:48:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01" };
        struct load_entry e[ELEMENTSOF(lines) + 1];
        unsigned long ln[ELEMENTSOF(lines) + 1];
        struct load_list l = { .entries = e, .lines = ln };
        char err[256];

        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                CHECK_INT_EQ(loadfile_parse_line(lines[i], &e[i], NULL), 1);
                ln[i] = i + 1;
        }
        l.n = 3;
        CHECK_INT_EQ(entry_load_check(&l, "f", NULL, NULL, err, sizeof(err)), 0);
        l.n = 4;
        CHECK_INT_EQ(entry_load_check(&l, "f", NULL, NULL, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "f:4: invalid link-layer address"));
        CHECK_INT_EQ(entry_load_check(&l, "f", len20, NULL, err, sizeof(err)), 0);

        const struct {
                const char *line, *err;
        } bad[] = {
                { "a0 224.0.0.1 02:00:5e:10:00:01", "f:5: multicast address, not a neighbour" },
                { "a0 127.0.0.1 FAILED", "f:5: loopback address, not a neighbour" },
                { "a0 198.18.0.9 02:00:5e:10:00", "f:5: invalid link-layer address: expected 6 octets" },
                { "a0 198.18.0.9 02:00:5e:10:00:00:01", "f:5: invalid link-layer address: expected 6 octets" },
                { "a0 198.18.0.9 01:00:5e:10:00:01", "f:5: invalid link-layer address: multicast or broadcast" },
                { "ff02::1 dev a0 lladdr 02:00:5e:10:00:01 STALE", "f:5: multicast address, not a neighbour" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK_INT_EQ(loadfile_parse_line(bad[i].line, &e[4], NULL), 1);
                ln[4] = 5;
                l.n = 5;
                CHECK_INT_EQ(entry_load_check(&l, "f", len20, NULL, err, sizeof(err)), -EINVAL);
                if (!strstr(err, bad[i].err)) {
                        fprintf(stderr, "%s:%d: '%s': '%s', expected '%s'\n", __FILE__, __LINE__, bad[i].line, err, bad[i].err);
                        tests_failed_++;
                }
        }
}

static size_t read_all(const char *path, uint8_t *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        CHECK(fd >= 0);
        if (fd < 0)
                return 0;
        n = read(fd, buf, size);
        close(fd);
        CHECK(n > 0 && (size_t) n < size);
        return n > 0 ? (size_t) n : 0;
}

/* Bounds equal to the store's (a daemon restarted with the same --max-entries): nothing is
 * written, so a start neither takes the write lock nor changes the file; a new bound is. */
static void test_set_limits_unchanged(void) {
        char dir[] = "/tmp/test-entry-ops-XXXXXX", path[64];
        static uint8_t before[1 << 20], after[1 << 20];
        struct store_limits b, a;
        size_t nb, na;
        uint64_t ev = 1;
        Store *s = NULL;

        CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/s.lmdb", dir);
        CHECK_INT_EQ(store_open(path, &(struct store_options) { .initial_map_size = 1 << 20 }, &s), 0);
        CHECK_INT_EQ(entry_set_limits(s, &(struct store_limits) { .max_entries = 5000 }, &b, &a, &ev), 0);
        CHECK_INT_EQ(a.max_entries, 5000);
        nb = read_all(path, before, sizeof(before));

        ev = 1;
        CHECK_INT_EQ(entry_set_limits(s, &(struct store_limits) { .max_entries = 5000 }, &b, &a, &ev), 0);
        CHECK_INT_EQ(b.max_entries, 5000);
        CHECK_INT_EQ(a.max_entries, 5000);
        CHECK_INT_EQ(a.max_per_iface, 5000);
        CHECK_INT_EQ(ev, 0);
        CHECK_INT_EQ(entry_set_limits(s, &(struct store_limits) { .max_entries = 5000, .max_per_iface = 5000 }, &b,
                                      &a, &ev), 0);
        na = read_all(path, after, sizeof(after));
        CHECK_INT_EQ(na, nb);
        CHECK(memcmp(before, after, MIN(na, nb)) == 0);

        CHECK_INT_EQ(entry_set_limits(s, &(struct store_limits) { .max_per_iface = 400 }, &b, &a, &ev), 0);
        CHECK_INT_EQ(a.max_per_iface, 400);
        na = read_all(path, after, sizeof(after));
        CHECK(na != nb || memcmp(before, after, na) != 0);

        store_free(s);
        (void) unlink(path);
        snprintf(path, sizeof(path), "%s/s.lmdb-lock", dir);
        (void) unlink(path);
        (void) rmdir(dir);
}

int main(void) {
        TEST_RUN(test_key);
        TEST_RUN(test_lladdr);
        TEST_RUN(test_load_check);
        TEST_RUN(test_set_limits_unchanged);
        TEST_EXIT();
}
