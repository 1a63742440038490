/* SPDX-License-Identifier: GPL-2.0-or-later */
/* arpctl's ip-style selection words (arpctl-filter.h): what each argument list selects, and that
 * a malformed address, MAC or state is refused with a message rather than taken for a name. */

#include <errno.h>
#include <string.h>

#include "arpctl-filter.h"
#include "macro.h"
#include "tests.h"

static int parse(struct dump_args *a, char *err, const char **words) {
        int argc = 0;

        while (words[argc])
                argc++;
        return dump_args_parse(argc, (char **) words, 0, a, err, 256);
}
#define PARSE(a, err, ...) parse(a, err, (const char *[]) { __VA_ARGS__, NULL })

static void test_dump_words(void) {
        struct dump_args a;
        char err[256];

        CHECK_INT_EQ(dump_args_parse(0, NULL, 0, &a, err, sizeof(err)), 0);
        CHECK(!a.selective);
        CHECK_INT_EQ(a.n_ifnames, 0);

        /* ip neigh show's order and words */
        CHECK_INT_EQ(PARSE(&a, err, "198.18.0.0/24", "dev", "a0", "nud", "stale"), 0);
        CHECK(a.selective);
        CHECK(a.filter.has_prefix);
        CHECK_INT_EQ(a.filter.prefix.family, AF_INET);
        CHECK_INT_EQ(a.filter.prefix.prefixlen, 24);
        CHECK_INT_EQ(a.n_ifnames, 1);
        CHECK_STR_EQ(a.ifnames[0], "a0");
        CHECK_INT_EQ(a.filter.states, ENTRY_STATE_BIT(RECORD_POSITIVE));

        CHECK_INT_EQ(PARSE(&a, err, "to", "2001:db8::/64", "lladdr", "02:00:5e:10:00:0a"), 0);
        CHECK(a.filter.has_prefix && a.filter.prefix.family == AF_INET6);
        CHECK(a.filter.has_lladdr);
        CHECK_INT_EQ(a.filter.lladdr.len, 6);

        /* a bare address is a host prefix, not an interface name */
        CHECK_INT_EQ(PARSE(&a, err, "198.18.0.10"), 0);
        CHECK(a.filter.has_prefix);
        CHECK_INT_EQ(a.filter.prefix.prefixlen, 32);
        CHECK_INT_EQ(a.n_ifnames, 0);

        /* nud repeated: the states add up */
        CHECK_INT_EQ(PARSE(&a, err, "nud", "failed", "nud", "permanent"), 0);
        CHECK_INT_EQ(a.filter.states, ENTRY_STATE_BIT(RECORD_NEGATIVE) | ENTRY_STATE_BIT(RECORD_STATIC));
        CHECK_INT_EQ(PARSE(&a, err, "nud", "all"), 0);
        CHECK(!a.selective);

        /* the older "dump IFACE..." */
        CHECK_INT_EQ(PARSE(&a, err, "a0", "b0"), 0);
        CHECK_INT_EQ(a.n_ifnames, 2);
        CHECK_STR_EQ(a.ifnames[1], "b0");
        CHECK(!a.filter.has_prefix);
        /* a name that is a keyword needs "dev" */
        CHECK_INT_EQ(PARSE(&a, err, "dev", "nud"), 0);
        CHECK_STR_EQ(a.ifnames[0], "nud");
}

static void test_dump_errors(void) {
        struct dump_args a;
        char err[256];

        CHECK_INT_EQ(PARSE(&a, err, "198.18.0.300"), -EINVAL);
        CHECK(strstr(err, "Invalid IPv4 or IPv6 address or prefix '198.18.0.300'"));
        CHECK_INT_EQ(PARSE(&a, err, "198.18.0.0/33"), -EINVAL);
        CHECK_INT_EQ(PARSE(&a, err, "02:00:5e:10:00:0a"), -EINVAL);
        CHECK(strstr(err, "lladdr MAC"));
        CHECK_INT_EQ(PARSE(&a, err, "lladdr", "02:00:zz"), -EINVAL);
        CHECK(strstr(err, "Invalid link-layer address '02:00:zz'"));
        CHECK_INT_EQ(PARSE(&a, err, "nud", "reachable"), -EINVAL);
        CHECK(strstr(err, "Invalid state 'reachable'"));
        CHECK_INT_EQ(PARSE(&a, err, "dev"), -EINVAL);
        CHECK(strstr(err, "'dev' needs a value"));
        CHECK_INT_EQ(PARSE(&a, err, "dev", "a/b"), -EINVAL);
        CHECK(strstr(err, "Invalid interface name 'a/b'"));
        CHECK_INT_EQ(PARSE(&a, err, "198.18.0.0/24", "198.18.1.0/24"), -EINVAL);
        char *v6[] = { (char *) "198.18.0.1" };
        CHECK_INT_EQ(dump_args_parse(1, v6, AF_INET6, &a, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "-6 was given"));
}

static void test_show(void) {
        struct entry_filter f;
        char err[256];

        CHECK_INT_EQ(show_arg_parse("198.18.0.10", 0, &f, err, sizeof(err)), 0);
        CHECK(f.has_prefix && !f.has_lladdr && f.prefix.prefixlen == 32);
        CHECK_INT_EQ(show_arg_parse("2001:db8::a", 0, &f, err, sizeof(err)), 0);
        CHECK(f.has_prefix && f.prefix.family == AF_INET6 && f.prefix.prefixlen == 128);
        CHECK_INT_EQ(show_arg_parse("02:00:5e:10:00:0a", 0, &f, err, sizeof(err)), 0);
        CHECK(f.has_lladdr && !f.has_prefix && f.lladdr.len == 6);
        CHECK_INT_EQ(show_arg_parse("198.18.0.300", 0, &f, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "neither an IPv4 or IPv6 address nor a link-layer address"));
        CHECK_INT_EQ(show_arg_parse("12", 0, &f, err, sizeof(err)), -EINVAL);
        CHECK_INT_EQ(show_arg_parse("zz:00", 0, &f, err, sizeof(err)), -EINVAL);
}

int main(void) {
        TEST_RUN(test_dump_words);
        TEST_RUN(test_dump_errors);
        TEST_RUN(test_show);
        TEST_EXIT();
}
