/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "arpd-options.h"
#include "macro.h"
#include "store.h"
#include "tests.h"

#ifndef ARPD_VERSION
#define ARPD_VERSION "0.0.0"
#endif

/* One parser run: its return value, what it printed, and the options (to be freed by done()). */
struct run {
        int r;
        char *out;
        char *err;
        struct arpd_options o;
};

static void run_done(struct run *x) {
        arpd_options_done(&x->o);
        x->out = mfree(x->out);
        x->err = mfree(x->err);
}

/* Runs the parser on "arpd" followed by the NULL-terminated arguments. */
static struct run parse_env(const char *env, ...) {
        struct run x = {};
        char *argv[64];
        size_t n_out = 0, n_err = 0;
        FILE *out, *err;
        int argc = 0;
        va_list ap;

        argv[argc++] = (char *) "arpd";
        va_start(ap, env);
        for (const char *a; (a = va_arg(ap, const char *)); )
                if (argc < (int) ELEMENTSOF(argv) - 1)
                        argv[argc++] = (char *) a;
        va_end(ap);
        argv[argc] = NULL;

        out = open_memstream(&x.out, &n_out);
        err = open_memstream(&x.err, &n_err);
        if (!out || !err)
                abort();
        x.r = arpd_options_parse(argc, argv, env, &x.o, out, err);
        fclose(out);
        fclose(err);
        return x;
}
#define PARSE(...) parse_env(NULL, __VA_ARGS__, NULL)
#define PARSE_ENV(env, ...) parse_env(env, __VA_ARGS__, NULL)

/* Expects -EINVAL, nothing on out, and an error on err that contains want. */
static void expect_error(struct run x, const char *want, int line) {
        if (x.r != -EINVAL || !x.out || x.out[0] != '\0' || !x.err || !strstr(x.err, want) ||
            x.o.db_path || x.o.ifaces) {
                fprintf(stderr, "%s:%d: expected -EINVAL mentioning \"%s\", got %d, err \"%s\", out \"%s\"\n",
                        __FILE__, line, want, x.r, x.err ? x.err : "(null)", x.out ? x.out : "(null)");
                tests_failed_++;
        }
        run_done(&x);
}
#define EXPECT_ERROR(want, ...) expect_error(PARSE(__VA_ARGS__), want, __LINE__)

static void test_defaults(void) {
        struct run x = parse_env(NULL, NULL);

        CHECK_INT_EQ(x.r, 0);
        CHECK_STR_EQ(x.out, "");
        CHECK_STR_EQ(x.err, "");
        CHECK_INT_EQ(x.o.mode, ARPD_MODE_DAEMON);
        CHECK_STR_EQ(x.o.db_path, ARPD_DEFAULT_DB);
        CHECK(x.o.load_file == NULL);
        CHECK_INT_EQ(x.o.active_probes, 0);
        CHECK(!x.o.kernel_broadcast_off);
        CHECK_INT_EQ(x.o.negative_timeout, 60 * USEC_PER_SEC);
        CHECK_INT_EQ(x.o.max_age, 1200 * USEC_PER_SEC);
        CHECK(x.o.new_activity == 180ULL * 24 * 3600 * USEC_PER_SEC); /* arpwatch's six months */
        CHECK(x.o.rate == 1.0);
        CHECK_INT_EQ(x.o.burst, 3);
        CHECK_INT_EQ(x.o.sync_interval, 30 * USEC_PER_SEC);
        CHECK(x.o.control_idle_timeout == 60 * USEC_PER_SEC);
        CHECK_INT_EQ(x.o.max_entries, 0); /* not given: the store's own bound */
        CHECK_INT_EQ(x.o.max_per_iface, 0);
        CHECK(!x.o.learn_bogons);
        CHECK_INT_EQ(x.o.log_level, LOG_INFO);
        CHECK(x.o.ifaces != NULL);
        CHECK(x.o.ifaces && x.o.ifaces[0] == NULL);
        CHECK_INT_EQ(x.o.n_ifaces, 0);
        run_done(&x);

        /* done() is idempotent and accepts NULL */
        arpd_options_done(&x.o);
        arpd_options_done(NULL);
}

static void test_database(void) {
        struct run x;

        x = PARSE("-b", "/tmp/a.lmdb");
        CHECK_INT_EQ(x.r, 0);
        CHECK_STR_EQ(x.o.db_path, "/tmp/a.lmdb");
        run_done(&x);

        x = PARSE("--database=/tmp/b.lmdb");
        CHECK_INT_EQ(x.r, 0);
        CHECK_STR_EQ(x.o.db_path, "/tmp/b.lmdb");
        run_done(&x);

        x = PARSE("--database", "rel.lmdb", "-b", "last.lmdb");
        CHECK_INT_EQ(x.r, 0);
        CHECK_STR_EQ(x.o.db_path, "last.lmdb");
        run_done(&x);

        /* -b beats STATE_DIRECTORY */
        x = PARSE_ENV("/var/lib/arpd", "-b", "/x.lmdb");
        CHECK_INT_EQ(x.r, 0);
        CHECK_STR_EQ(x.o.db_path, "/x.lmdb");
        run_done(&x);

        EXPECT_ERROR("for -b/--database", "-b", "");
        EXPECT_ERROR("option -b/--database requires an argument", "-b");
        EXPECT_ERROR("option -b/--database requires an argument", "--database");
}

static void test_state_directory(void) {
        static const struct {
                const char *env, *want;
        } cases[] = {
                { "/var/lib/arpd", "/var/lib/arpd/arpd.lmdb" },
                { "/var/lib/arpd/", "/var/lib/arpd/arpd.lmdb" },
                { "/var/lib/arpd//", "/var/lib/arpd/arpd.lmdb" },
                { "/var/lib/arpd:/var/lib/other", "/var/lib/arpd/arpd.lmdb" },
                { "/a/:/b", "/a/arpd.lmdb" },
                { "/", "/arpd.lmdb" },
                { "", ARPD_DEFAULT_DB },
                { ":/var/lib/other", ARPD_DEFAULT_DB },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct run x = parse_env(cases[i].env, NULL);

                CHECK_INT_EQ(x.r, 0);
                CHECK_STR_EQ(x.o.db_path, cases[i].want);
                run_done(&x);
        }
}

static void test_active_probes(void) {
        struct run x;

        x = PARSE("-a", "0");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.active_probes, 0);
        run_done(&x);
        x = PARSE("-a", "100");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.active_probes, 100);
        run_done(&x);
        x = PARSE("--active-probes=007");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.active_probes, 7);
        run_done(&x);
        x = PARSE("-a5");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.active_probes, 5);
        run_done(&x);

        /* the exact message */
        x = PARSE("-a", "101");
        CHECK_INT_EQ(x.r, -EINVAL);
        CHECK_STR_EQ(x.err, "arpd: invalid value '101' for -a/--active-probes: expected an integer from 0 to 100\n");
        CHECK_STR_EQ(x.out, "");
        run_done(&x);

        EXPECT_ERROR("invalid value '-1' for -a/--active-probes", "-a", "-1");
        EXPECT_ERROR("invalid value '+5' for -a/--active-probes", "-a", "+5");
        EXPECT_ERROR("invalid value ' 5' for -a/--active-probes", "-a", " 5");
        EXPECT_ERROR("invalid value '5 ' for -a/--active-probes", "-a", "5 ");
        EXPECT_ERROR("invalid value '5x' for -a/--active-probes", "-a", "5x");
        EXPECT_ERROR("invalid value '0x5' for -a/--active-probes", "-a", "0x5");
        EXPECT_ERROR("invalid value '1.5' for -a/--active-probes", "-a", "1.5");
        EXPECT_ERROR("invalid value '' for -a/--active-probes", "-a", "");
        EXPECT_ERROR("invalid value '99999999999999999999999' for -a/--active-probes", "--active-probes",
                     "99999999999999999999999");
        EXPECT_ERROR("option -a/--active-probes requires an argument", "-a");
}

static void test_flags(void) {
        struct run x;

        /* unambiguous abbreviations are fine */
        x = PARSE("--lea", "--kernel");
        CHECK_INT_EQ(x.r, 0);
        CHECK(x.o.learn_bogons);
        CHECK(x.o.kernel_broadcast_off);
        run_done(&x);

        x = PARSE("-k", "--learn-bogons", "-v");
        CHECK_INT_EQ(x.r, 0);
        CHECK(x.o.kernel_broadcast_off);
        CHECK(x.o.learn_bogons);
        CHECK_INT_EQ(x.o.log_level, LOG_DEBUG);
        run_done(&x);

        x = PARSE("--kernel-broadcast-off", "--verbose");
        CHECK_INT_EQ(x.r, 0);
        CHECK(x.o.kernel_broadcast_off);
        CHECK(!x.o.learn_bogons);
        CHECK_INT_EQ(x.o.log_level, LOG_DEBUG);
        run_done(&x);

        /* clustered short options */
        x = PARSE("-kv");
        CHECK_INT_EQ(x.r, 0);
        CHECK(x.o.kernel_broadcast_off);
        CHECK_INT_EQ(x.o.log_level, LOG_DEBUG);
        run_done(&x);

        EXPECT_ERROR("option -k/--kernel-broadcast-off takes no argument", "--kernel-broadcast-off=1");
        EXPECT_ERROR("option --learn-bogons takes no argument", "--learn-bogons=yes");
}

static void test_families(void) {
        struct run x;

        x = PARSE("eth0");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.family, AF_UNSPEC); /* default: both */
        run_done(&x);

        x = PARSE("-4", "eth0");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.family, AF_INET);
        CHECK_INT_EQ(x.o.n_ifaces, 1);
        run_done(&x);

        x = PARSE("--ipv6-only");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.family, AF_INET6);
        run_done(&x);

        x = PARSE("--ipv4");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.family, AF_INET);
        run_done(&x);

        /* repeating the same one is harmless; clustered with other flags */
        x = PARSE("-6", "-6k");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.family, AF_INET6);
        CHECK(x.o.kernel_broadcast_off);
        run_done(&x);

        EXPECT_ERROR("-4/--ipv4-only and -6/--ipv6-only cannot be used together", "-4", "-6");
        EXPECT_ERROR("-4/--ipv4-only and -6/--ipv6-only cannot be used together", "--ipv6-only", "-4");
        EXPECT_ERROR("-4/--ipv4-only and -6/--ipv6-only cannot be used together", "-46");
        EXPECT_ERROR("option -4/--ipv4-only takes no argument", "--ipv4-only=1");
        EXPECT_ERROR("ambiguous option '--ipv'", "--ipv");
}

static void test_negative_timeout(void) {
        struct run x;

        x = PARSE("-n", "0.5");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.negative_timeout, 500 * USEC_PER_MSEC);
        run_done(&x);
        x = PARSE("--negative-timeout=120");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.negative_timeout, 120 * USEC_PER_SEC);
        run_done(&x);
        x = PARSE("-n", "0.000001");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.negative_timeout, 1);
        run_done(&x);

        EXPECT_ERROR("invalid value '0' for -n/--negative-timeout", "-n", "0");
        EXPECT_ERROR("invalid value '0.0' for -n/--negative-timeout", "-n", "0.0");
        EXPECT_ERROR("invalid value '-1' for -n/--negative-timeout", "-n", "-1");
        EXPECT_ERROR("invalid value 'abc' for -n/--negative-timeout", "-n", "abc");
        EXPECT_ERROR("invalid value '10s' for -n/--negative-timeout", "-n", "10s");
        EXPECT_ERROR("invalid value '' for -n/--negative-timeout", "--negative-timeout=");
        EXPECT_ERROR("invalid value '1e300' for -n/--negative-timeout", "-n", "1e300");
}

static void test_max_age(void) {
        struct run x;

        x = PARSE("--max-age", "3.5");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.max_age, 3500 * USEC_PER_MSEC);
        run_done(&x);
        x = PARSE("--max-age=0");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.max_age, 0); /* never expires */
        run_done(&x);

        EXPECT_ERROR("invalid value '-1' for --max-age", "--max-age", "-1");
        EXPECT_ERROR("invalid value '5m' for --max-age", "--max-age=5m");
        EXPECT_ERROR("invalid value '' for --max-age", "--max-age=");
}

static void test_new_activity(void) {
        struct run x;

        x = PARSE("--new-activity", "60");
        CHECK_INT_EQ(x.r, 0);
        CHECK(x.o.new_activity == 60 * USEC_PER_SEC);
        run_done(&x);
        x = PARSE("--new-activity", "86400");
        CHECK_INT_EQ(x.r, 0);
        CHECK(x.o.new_activity == 86400 * USEC_PER_SEC);
        run_done(&x);
        x = PARSE("--new-activity=0");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.new_activity, 0); /* never */
        run_done(&x);

        EXPECT_ERROR("invalid value '-1' for --new-activity", "--new-activity", "-1");
        EXPECT_ERROR("invalid value '6mo' for --new-activity", "--new-activity=6mo");
        EXPECT_ERROR("invalid value '59.9' for --new-activity", "--new-activity=59.9");
}

static void test_control_idle_timeout(void) {
        struct run x;

        x = PARSE("--control-idle-timeout", "2");
        CHECK_INT_EQ(x.r, 0);
        CHECK(x.o.control_idle_timeout == 2 * USEC_PER_SEC);
        run_done(&x);
        x = PARSE("--control-idle-timeout=1.5");
        CHECK_INT_EQ(x.r, 0);
        CHECK(x.o.control_idle_timeout == 1500 * USEC_PER_MSEC);
        run_done(&x);
        x = PARSE("--control-idle-timeout=0");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.control_idle_timeout, 0); /* never */
        run_done(&x);

        EXPECT_ERROR("invalid value '0.5' for --control-idle-timeout", "--control-idle-timeout=0.5");
        EXPECT_ERROR("invalid value '-1' for --control-idle-timeout", "--control-idle-timeout", "-1");
        EXPECT_ERROR("invalid value '1m' for --control-idle-timeout", "--control-idle-timeout=1m");
}

static void test_rate(void) {
        static const struct {
                const char *s;
                double want;
        } good[] = {
                { "1", 1.0 }, { "0.5", 0.5 }, { ".5", 0.5 }, { "2.", 2.0 }, { "10000", 10000.0 },
                { "10000.0", 10000.0 }, { "0.001", 0.001 },
        };
        static const char *const bad[] = {
                "0", "0.0", "10000.5", "10001", "-1", "+1", "1e3", "inf", "nan", ".", "1.2.3", "",
                " 1", "1 ", "0x10", "1,5",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                struct run x = PARSE("-R", good[i].s);

                CHECK_INT_EQ(x.r, 0);
                CHECK(x.o.rate == good[i].want);
                run_done(&x);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char want[64];

                snprintf(want, sizeof(want), "invalid value '%s' for -R/--rate", bad[i]);
                expect_error(PARSE("--rate", bad[i]), want, __LINE__);
        }
}

static void test_burst(void) {
        struct run x;

        x = PARSE("-B", "1");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.burst, 1);
        run_done(&x);
        x = PARSE("--burst=10000");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.burst, 10000);
        run_done(&x);

        EXPECT_ERROR("arpd: invalid value '0' for -B/--burst: expected an integer from 1 to 10000\n", "-B", "0");
        EXPECT_ERROR("invalid value '10001' for -B/--burst", "-B", "10001");
        EXPECT_ERROR("invalid value '-3' for -B/--burst", "-B", "-3");
        EXPECT_ERROR("invalid value '2.5' for -B/--burst", "-B", "2.5");
}

static void test_sync_interval(void) {
        struct run x;

        x = PARSE("-p", "0");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.sync_interval, 0);
        run_done(&x);
        x = PARSE("-p", "0.1");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.sync_interval, 100 * USEC_PER_MSEC);
        run_done(&x);
        x = PARSE("--sync-interval=300");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.sync_interval, 300 * USEC_PER_SEC);
        run_done(&x);

        EXPECT_ERROR("invalid value '0.05' for -p/--sync-interval", "-p", "0.05");
        EXPECT_ERROR("invalid value '0.099' for -p/--sync-interval", "-p", "0.099");
        EXPECT_ERROR("invalid value '-1' for -p/--sync-interval", "-p", "-1");
        EXPECT_ERROR("invalid value 'never' for -p/--sync-interval", "-p", "never");
}

static void test_max_entries(void) {
        struct run x;

        x = PARSE("--max-entries", "100");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.max_entries, 100);
        run_done(&x);
        x = PARSE("--max-entries=100000000");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.max_entries, 100000000);
        run_done(&x);

        EXPECT_ERROR("arpd: invalid value '99' for --max-entries: expected an integer from 100 to 100000000\n",
                     "--max-entries=99");
        EXPECT_ERROR("invalid value '100000001' for --max-entries", "--max-entries", "100000001");
        EXPECT_ERROR("invalid value '1e6' for --max-entries", "--max-entries", "1e6");
        EXPECT_ERROR("option --max-entries requires an argument", "--max-entries");

        x = PARSE("--max-per-interface=250", "--max-entries", "1000");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.max_per_iface, 250);
        CHECK_INT_EQ(x.o.max_entries, 1000);
        run_done(&x);
        EXPECT_ERROR("arpd: invalid value '99' for --max-per-interface: expected an integer from 100 to 100000000\n",
                     "--max-per-interface=99");
        EXPECT_ERROR("option --max-per-interface requires an argument", "--max-per-interface");
}

static void test_modes(void) {
        struct run x;

        x = PARSE("-l");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.mode, ARPD_MODE_LIST);
        CHECK(x.o.load_file == NULL);
        run_done(&x);
        x = PARSE("--list");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.mode, ARPD_MODE_LIST);
        run_done(&x);

        x = PARSE("-f", "/tmp/entries");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.mode, ARPD_MODE_LOAD);
        CHECK_STR_EQ(x.o.load_file, "/tmp/entries");
        run_done(&x);
        x = PARSE("--load=-");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.mode, ARPD_MODE_LOAD);
        CHECK_STR_EQ(x.o.load_file, "-");
        run_done(&x);
        x = PARSE("-f", "-");
        CHECK_INT_EQ(x.r, 0);
        CHECK_STR_EQ(x.o.load_file, "-");
        run_done(&x);

        EXPECT_ERROR("-l/--list and -f/--load cannot be used together", "-l", "-f", "x");
        EXPECT_ERROR("-l/--list and -f/--load cannot be used together", "--load", "x", "--list");
        EXPECT_ERROR("invalid value '' for -f/--load", "-f", "");
        EXPECT_ERROR("option -f/--load requires an argument", "-f");
}

static void test_interfaces(void) {
        static const char *const bad[] = {
                "abcdefghijklmnop", "a/b", "a b", "a\tb", "a\nb", ".", "..", "", "eth0:1",
        };
        struct run x;

        x = PARSE("eth0", "-k", "wlan1", "abcdefghijklmno");
        CHECK_INT_EQ(x.r, 0);
        CHECK(x.o.kernel_broadcast_off); /* options after operands still count */
        CHECK_INT_EQ(x.o.n_ifaces, 3);
        if (x.o.n_ifaces == 3) {
                CHECK_STR_EQ(x.o.ifaces[0], "eth0");
                CHECK_STR_EQ(x.o.ifaces[1], "wlan1");
                CHECK_STR_EQ(x.o.ifaces[2], "abcdefghijklmno");
                CHECK(x.o.ifaces[3] == NULL);
        }
        run_done(&x);

        /* "--" ends the options: what follows is an interface name */
        x = PARSE("-v", "--", "-k", "...");
        CHECK_INT_EQ(x.r, 0);
        CHECK(!x.o.kernel_broadcast_off);
        CHECK_INT_EQ(x.o.n_ifaces, 2);
        if (x.o.n_ifaces == 2) {
                CHECK_STR_EQ(x.o.ifaces[0], "-k");
                CHECK_STR_EQ(x.o.ifaces[1], "...");
        }
        run_done(&x);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char want[64];

                snprintf(want, sizeof(want), "invalid interface name '%s'", bad[i]);
                expect_error(PARSE("eth0", bad[i]), want, __LINE__);
        }
        EXPECT_ERROR("interface 'eth0' given more than once", "eth0", "eth1", "eth0");
}

static void test_bad_options(void) {
        EXPECT_ERROR("unknown option '-x'", "-x");
        EXPECT_ERROR("unknown option '-x'", "-kx");
        EXPECT_ERROR("unknown option '-:'", "-:");
        EXPECT_ERROR("unknown option '--bogus'", "--bogus");
        EXPECT_ERROR("unknown option '--bogus=1'", "-k", "--bogus=1");
        EXPECT_ERROR("ambiguous option '--l'", "--l"); /* --list, --load, --learn-bogons */
        EXPECT_ERROR("ambiguous option '--l=x'", "--l=x");
        EXPECT_ERROR("Try 'arpd --help'", "--bogus");
        EXPECT_ERROR("option -l/--list takes no argument", "--list=3");
        EXPECT_ERROR("option -R/--rate requires an argument", "-R");
        /* earlier valid options are freed on error (expect_error checks db_path) */
        EXPECT_ERROR("invalid value 'z' for -B/--burst", "-b", "/tmp/x", "eth0", "-B", "z");
}

static void test_help(void) {
        static const char *const names[] = {
                "--database", "--active-probes", "--kernel-broadcast-off", "--negative-timeout", "--rate",
                "--burst", "--sync-interval", "--list", "--load", "--max-entries", "--learn-bogons",
                "--verbose", "--help", "--version", "-b,", "-a,", "-k,", "-n,", "-R,", "-B,", "-p,", "-l,",
                "-f,", "-v,", "-h,", "-V,", "-4,", "-6,", "--ipv4-only", "--ipv6-only",
                /* defaults as the parser sets them */
                "(default: 0)", "(default: 60)", "(default: 1)", "(default: 3)", "(default: 30)",
                "(default: the store's; 1000000 when new)", "--max-per-interface", ARPD_DEFAULT_DB, "$STATE_DIRECTORY/arpd.lmdb",
                /* ranges as the parser checks them */
                "0..100", "1..10000", "100..100000000", "<= 10000", "0.1",
                /* signals */
                "TERM", "INT", "HUP", "USR1",
        };
        static const char *const variants[] = { "-h", "--help" };

        for (size_t v = 0; v < ELEMENTSOF(variants); v++) {
                struct run x = PARSE("-k", variants[v], "--bogus");

                CHECK_INT_EQ(x.r, 1);
                CHECK_STR_EQ(x.err, "");
                CHECK(x.out && strncmp(x.out, "Usage: arpd ", 12) == 0);
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (!x.out || !strstr(x.out, names[i])) {
                                fprintf(stderr, "%s:%d: help lacks \"%s\"\n", __FILE__, __LINE__, names[i]);
                                tests_failed_++;
                        }
                CHECK(x.o.db_path == NULL);
                run_done(&x);
        }
        CHECK_INT_EQ(STORE_DEFAULT_MAX_ENTRIES, 1000000); /* the literal checked above */
}

static void test_version(void) {
        static const char *const variants[] = { "-V", "--version" };

        for (size_t v = 0; v < ELEMENTSOF(variants); v++) {
                struct run x = PARSE(variants[v]);

                CHECK_INT_EQ(x.r, 1);
                CHECK_STR_EQ(x.out, "arpd " ARPD_VERSION "\n");
                CHECK_STR_EQ(x.err, "");
                run_done(&x);
        }
}

static void test_repeated_calls(void) {
        struct run x;

        /* getopt state is reset on each call: the second run sees its own arguments only */
        x = PARSE("-a", "5", "eth0");
        CHECK_INT_EQ(x.r, 0);
        run_done(&x);
        x = PARSE("-a", "6", "eth1");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.active_probes, 6);
        CHECK_INT_EQ(x.o.n_ifaces, 1);
        if (x.o.n_ifaces == 1)
                CHECK_STR_EQ(x.o.ifaces[0], "eth1");
        run_done(&x);

        /* after an error in the middle of a cluster */
        EXPECT_ERROR("unknown option '-x'", "-xk"); /* the "k" is left pending in getopt */
        x = PARSE("-v");
        CHECK_INT_EQ(x.r, 0);
        CHECK_INT_EQ(x.o.log_level, LOG_DEBUG);
        CHECK(!x.o.kernel_broadcast_off);
        run_done(&x);
}

static void test_control_socket(void) {
        struct run x = PARSE("a0");
        char *p = NULL;

        CHECK_INT_EQ(x.r, 0);
        CHECK(x.o.control_socket == NULL);
        CHECK_INT_EQ(arpd_options_default_control_socket(&x.o, NULL, &p), 0);
        CHECK_STR_EQ(p, "/run/arpd/a0/bus");
        p = mfree(p);
        CHECK_INT_EQ(arpd_options_default_control_socket(&x.o, "/run/arpd/a0/:/x", &p), 0);
        CHECK_STR_EQ(p, "/run/arpd/a0/bus");
        p = mfree(p);
        run_done(&x);

        x = PARSE("a0", "b0");
        CHECK_INT_EQ(arpd_options_default_control_socket(&x.o, "", &p), 0);
        CHECK_STR_EQ(p, "/run/arpd/all/bus");
        p = mfree(p);
        run_done(&x);

        x = PARSE("--control-socket=/tmp/x/bus");
        CHECK_INT_EQ(x.r, 0);
        CHECK_STR_EQ(x.o.control_socket, "/tmp/x/bus");
        run_done(&x);
        x = PARSE("--control-socket=");
        CHECK_INT_EQ(x.r, 0);
        CHECK_STR_EQ(x.o.control_socket, "");
        run_done(&x);
        EXPECT_ERROR("invalid value 'rel/bus' for --control-socket", "--control-socket=rel/bus");
        x = PARSE("--help");
        CHECK(x.out && strstr(x.out, "--control-socket=PATH") && strstr(x.out, "/run/arpd/IFACE/bus"));
        run_done(&x);
}

int main(void) {
        TEST_RUN(test_control_socket);
        TEST_RUN(test_defaults);
        TEST_RUN(test_database);
        TEST_RUN(test_state_directory);
        TEST_RUN(test_active_probes);
        TEST_RUN(test_flags);
        TEST_RUN(test_families);
        TEST_RUN(test_negative_timeout);
        TEST_RUN(test_max_age);
        TEST_RUN(test_new_activity);
        TEST_RUN(test_control_idle_timeout);
        TEST_RUN(test_rate);
        TEST_RUN(test_burst);
        TEST_RUN(test_sync_interval);
        TEST_RUN(test_max_entries);
        TEST_RUN(test_modes);
        TEST_RUN(test_interfaces);
        TEST_RUN(test_bad_options);
        TEST_RUN(test_help);
        TEST_RUN(test_version);
        TEST_RUN(test_repeated_calls);
        TEST_EXIT();
}
