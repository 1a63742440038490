/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "arpd-options.h"
#include "ifname-util.h"
#include "macro.h"
#include "store.h"

#ifndef ARPD_VERSION
#define ARPD_VERSION "0.0.0"
#endif

#define DEFAULT_NEGATIVE_TIMEOUT (60 * USEC_PER_SEC)
#define DEFAULT_RATE 1.0
#define DEFAULT_BURST 3U
#define DEFAULT_SYNC_INTERVAL (30 * USEC_PER_SEC)
#define MIN_SYNC_INTERVAL (100 * USEC_PER_MSEC)
/* --new-activity: well above the 10 s a binding's last seen may lag (resolver touch_interval) */
#define MIN_NEW_ACTIVITY (60 * USEC_PER_SEC)
/* --control-idle-timeout: the idle timer fires up to 1 s late anyway (its accuracy) */
#define MIN_CONTROL_IDLE_TIMEOUT USEC_PER_SEC
#define MAX_ACTIVE_PROBES 100ULL
#define MAX_RATE 10000.0
#define MAX_BURST 10000ULL
#define MIN_MAX_ENTRIES STORE_LIMIT_MIN
#define MAX_MAX_ENTRIES STORE_LIMIT_MAX

enum {
        ARG_MAX_ENTRIES = 0x100,
        ARG_MAX_PER_INTERFACE,
        ARG_LEARN_BOGONS,
        ARG_CONTROL_SOCKET,
        ARG_MAX_AGE,
        ARG_NEW_ACTIVITY,
        ARG_CONTROL_IDLE_TIMEOUT,
};

static const struct option long_options[] = {
        { "database",             required_argument, NULL, 'b' },
        { "active-probes",        required_argument, NULL, 'a' },
        { "kernel-broadcast-off", no_argument,       NULL, 'k' },
        { "negative-timeout",     required_argument, NULL, 'n' },
        { "rate",                 required_argument, NULL, 'R' },
        { "burst",                required_argument, NULL, 'B' },
        { "sync-interval",        required_argument, NULL, 'p' },
        { "list",                 no_argument,       NULL, 'l' },
        { "load",                 required_argument, NULL, 'f' },
        { "ipv4-only",            no_argument,       NULL, '4' },
        { "ipv6-only",            no_argument,       NULL, '6' },
        { "max-entries",          required_argument, NULL, ARG_MAX_ENTRIES },
        { "max-per-interface",    required_argument, NULL, ARG_MAX_PER_INTERFACE },
        { "learn-bogons",         no_argument,       NULL, ARG_LEARN_BOGONS },
        { "control-socket",       required_argument, NULL, ARG_CONTROL_SOCKET },
        { "control-idle-timeout", required_argument, NULL, ARG_CONTROL_IDLE_TIMEOUT },
        { "max-age",              required_argument, NULL, ARG_MAX_AGE },
        { "new-activity",         required_argument, NULL, ARG_NEW_ACTIVITY },
        { "verbose",              no_argument,       NULL, 'v' },
        { "help",                 no_argument,       NULL, 'h' },
        { "version",              no_argument,       NULL, 'V' },
        {}
};

/* Leading ':' makes getopt report a missing argument as ':' and print nothing itself. */
static const char short_options[] = ":b:a:kn:R:B:p:lf:46vhV";

/* "-a/--active-probes" or "--max-entries", for messages. */
static const char *option_name(int val, char *buf, size_t size) {
        for (const struct option *o = long_options; o->name; o++) {
                if (o->val != val)
                        continue;
                if (val < 0x100)
                        snprintf(buf, size, "-%c/--%s", val, o->name);
                else
                        snprintf(buf, size, "--%s", o->name);
                return buf;
        }
        snprintf(buf, size, "-%c", val);
        return buf;
}

static int invalid_value(FILE *err, int opt, const char *value, const char *expected) {
        char name[64];

        fprintf(err, "arpd: invalid value '%s' for %s: %s\n", value, option_name(opt, name, sizeof(name)),
                expected);
        return -EINVAL;
}

/* Digits only (no sign, no blanks), base 10, within [min, max]. */
static int parse_range(const char *s, unsigned long long min, unsigned long long max,
                       unsigned long long *ret) {
        unsigned long long v;
        char *end = NULL;

        if (!s || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        for (const char *p = s; *p; p++)
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || !end || *end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_int_option(FILE *err, int opt, const char *s, unsigned long long min,
                            unsigned long long max, unsigned long long *ret) {
        char expected[96];

        if (parse_range(s, min, max, ret) < 0) {
                snprintf(expected, sizeof(expected), "expected an integer from %llu to %llu", min, max);
                return invalid_value(err, opt, s, expected);
        }
        return 0;
}

/* A plain decimal number ("2", "0.5", "10."), nothing else: no sign, exponent, hex, inf or nan. */
static int parse_decimal(const char *s, double *ret) {
        bool digit = false, dot = false;
        char *end = NULL;
        double d;

        if (!s || !*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (isdigit((unsigned char) *p))
                        digit = true;
                else if (*p == '.' && !dot)
                        dot = true;
                else
                        return -EINVAL;
        }
        if (!digit)
                return -EINVAL;
        errno = 0;
        d = strtod(s, &end);
        if (errno != 0 || !end || *end != '\0' || !isfinite(d))
                return -EINVAL;
        *ret = d;
        return 0;
}

static int default_db_path(const char *env_state_dir, char **ret) {
        size_t n;
        char *p;

        if (!env_state_dir || env_state_dir[0] == '\0' || env_state_dir[0] == ':') {
                p = strdup(ARPD_DEFAULT_DB);
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }

        /* systemd separates several StateDirectory= entries with ':'; ours is the first. */
        n = strcspn(env_state_dir, ":");
        while (n > 1 && env_state_dir[n - 1] == '/')
                n--;
        if (n == 1 && env_state_dir[0] == '/')
                n = 0; /* "/" itself: "/arpd.lmdb" */
        if (asprintf(&p, "%.*s/arpd.lmdb", (int) n, env_state_dir) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static void help(FILE *out) {
        fprintf(out,
                "Usage: arpd [OPTIONS...] [INTERFACE...]\n"
                "\n"
                "Remembers neighbours (IPv4/IPv6 address to link-layer address) learnt from ARP and the\n"
                "kernel in a persistent store, and answers the kernel's unresolved-neighbour requests\n"
                "from it. With INTERFACE arguments only those interfaces are served, else all suitable\n"
                "ones.\n"
                "\n"
                "Options:\n"
                "  -b, --database=PATH         the store file (default: $STATE_DIRECTORY/arpd.lmdb,\n"
                "                              without STATE_DIRECTORY " ARPD_DEFAULT_DB ")\n"
                "  -a, --active-probes=N       probes arpd sends itself for an address that does not\n"
                "                              answer, per -n window, 0..%llu; 0 = passive (default: 0)\n"
                "  -k, --kernel-broadcast-off  the kernel's broadcasts are off (mcast_solicit=0):\n"
                "                              arpd checks it and warns otherwise; unknown hosts are\n"
                "                              then resolved by arpd's own probes (-a) only\n"
                "                              (default: the kernel keeps sending them)\n"
                "  -n, --negative-timeout=SEC  how long an address that did not answer stays negative,\n"
                "                              seconds > 0, fractions allowed (default: 60)\n"
                "  -R, --rate=PROBES_PER_SEC   steady probe rate per interface, a decimal number > 0\n"
                "                              and <= %g (default: %g)\n"
                "  -B, --burst=N               probes an interface may send back to back, 1..%llu\n"
                "                              (default: %u)\n"
                "  -p, --sync-interval=SEC     how often committed changes are synced to disk; 0 = after\n"
                "                              every commit, else at least 0.1 (default: 30)\n"
                "  -l, --list                  print the store's entries and exit\n"
                "  -f, --load=FILE             load entries from FILE ('-' = standard input) into the\n"
                "                              store and exit; not together with -l\n"
                "  -4, --ipv4-only             serve IPv4 only: ARP and the kernel's IPv4 neighbours\n"
                "  -6, --ipv6-only             serve IPv6 only: neighbour discovery (NS/NA) and the\n"
                "                              kernel's IPv6 neighbours (default: both)\n"
                "      --max-age=SEC           stop answering for a learnt binding after SEC seconds\n"
                "                              without evidence that the host is there (a frame from\n"
                "                              it, the kernel's confirmation); 0 = never, fractions\n"
                "                              allowed (default: 1200)\n"
                "      --new-activity=SEC      log a \"new activity\" station event when a known MAC\n"
                "                              is seen again after more than SEC seconds of silence;\n"
                "                              0 = never, else at least 60 (default: 15552000, 180\n"
                "                              days, as arpwatch)\n"
                "      --max-entries=N         most records the store keeps, %llu..%llu; recorded in\n"
                "                              the store for every process: given, it replaces the\n"
                "                              store's bound (default: the store's; %d when new)\n"
                "      --max-per-interface=N   most records of one interface, %llu..%llu; recorded\n"
                "                              like --max-entries (default: the store's; the total\n"
                "                              bound when new)\n"
                "      --learn-bogons          also learn senders outside the interface's own subnets\n"
                "                              (default: off)\n"
                "      --control-socket=PATH   where arpctl and other D-Bus clients reach this arpd;\n"
                "                              empty = no control endpoint (default:\n"
                "                              $RUNTIME_DIRECTORY/bus, without RUNTIME_DIRECTORY\n"
                "                              /run/arpd/IFACE/bus for one interface, else\n"
                "                              /run/arpd/all/bus)\n"
                "      --control-idle-timeout=SEC\n"
                "                              close a control connection that makes no call for\n"
                "                              SEC seconds (subscribers stay); 0 = never, else at\n"
                "                              least 1, fractions allowed (default: 60)\n"
                "  -v, --verbose               log debug messages too (default: info and above)\n"
                "  -h, --help                  show this help and exit\n"
                "  -V, --version               show the version and exit\n"
                "\n"
                "Signals:\n"
                "  TERM, INT  commit, sync the store and exit\n"
                "  HUP        sync the store to disk now\n"
                "  USR1       log the statistics\n",
                MAX_ACTIVE_PROBES, MAX_RATE, DEFAULT_RATE, MAX_BURST, DEFAULT_BURST,
                MIN_MAX_ENTRIES, MAX_MAX_ENTRIES, STORE_DEFAULT_MAX_ENTRIES, MIN_MAX_ENTRIES, MAX_MAX_ENTRIES);
}

void arpd_options_done(struct arpd_options *o) {
        if (!o)
                return;
        o->db_path = mfree(o->db_path);
        o->load_file = mfree(o->load_file);
        o->control_socket = mfree(o->control_socket);
        if (o->ifaces)
                for (size_t i = 0; i < o->n_ifaces; i++)
                        free(o->ifaces[i]);
        o->ifaces = mfree(o->ifaces);
        o->n_ifaces = 0;
}

static int replace_string(char **p, const char *s) {
        char *c = strdup(s);

        if (!c)
                return -ENOMEM;
        free(*p);
        *p = c;
        return 0;
}

static int parse_one(int c, const char *arg, struct arpd_options *o, bool *list, bool *load, FILE *out,
                     FILE *err) {
        unsigned long long v;
        usec_t u;
        double d;
        int r;

        switch (c) {
        case 'b':
                if (arg[0] == '\0')
                        return invalid_value(err, c, arg, "expected a file name");
                return replace_string(&o->db_path, arg);
        case 'a':
                r = parse_int_option(err, c, arg, 0, MAX_ACTIVE_PROBES, &v);
                if (r < 0)
                        return r;
                o->active_probes = (unsigned) v;
                return 0;
        case 'k':
                o->kernel_broadcast_off = true;
                return 0;
        case 'n':
                if (parse_seconds(arg, &u) < 0 || u == 0)
                        return invalid_value(err, c, arg,
                                             "expected a number of seconds greater than 0 (fractions allowed)");
                o->negative_timeout = u;
                return 0;
        case 'R':
                if (parse_decimal(arg, &d) < 0 || !(d > 0) || d > MAX_RATE)
                        return invalid_value(err, c, arg,
                                             "expected a decimal number greater than 0 and at most 10000");
                o->rate = d;
                return 0;
        case 'B':
                r = parse_int_option(err, c, arg, 1, MAX_BURST, &v);
                if (r < 0)
                        return r;
                o->burst = (unsigned) v;
                return 0;
        case 'p':
                if (parse_seconds(arg, &u) < 0 || (u > 0 && u < MIN_SYNC_INTERVAL))
                        return invalid_value(err, c, arg,
                                             "expected 0 (sync after every commit) or a number of seconds from 0.1");
                o->sync_interval = u;
                return 0;
        case 'l':
                *list = true;
                return 0;
        case 'f':
                if (arg[0] == '\0')
                        return invalid_value(err, c, arg, "expected a file name or '-'");
                *load = true;
                return replace_string(&o->load_file, arg);
        case ARG_MAX_ENTRIES:
                r = parse_int_option(err, c, arg, MIN_MAX_ENTRIES, MAX_MAX_ENTRIES, &v);
                if (r < 0)
                        return r;
                o->max_entries = (size_t) v;
                return 0;
        case ARG_MAX_PER_INTERFACE:
                r = parse_int_option(err, c, arg, MIN_MAX_ENTRIES, MAX_MAX_ENTRIES, &v);
                if (r < 0)
                        return r;
                o->max_per_iface = (size_t) v;
                return 0;
        case ARG_LEARN_BOGONS:
                o->learn_bogons = true;
                return 0;
        case ARG_MAX_AGE:
                if (parse_seconds(arg, &u) < 0)
                        return invalid_value(err, c, arg, "expected a number of seconds, 0 = never (fractions allowed)");
                o->max_age = u;
                return 0;
        case ARG_NEW_ACTIVITY:
                if (parse_seconds(arg, &u) < 0 || (u > 0 && u < MIN_NEW_ACTIVITY))
                        return invalid_value(err, c, arg, "expected 0 (never) or a number of seconds from 60");
                o->new_activity = u;
                return 0;
        case ARG_CONTROL_SOCKET:
                if (arg[0] != '\0' && arg[0] != '/')
                        return invalid_value(err, c, arg, "expected an absolute path, or empty for none");
                return replace_string(&o->control_socket, arg);
        case ARG_CONTROL_IDLE_TIMEOUT:
                if (parse_seconds(arg, &u) < 0 || (u > 0 && u < MIN_CONTROL_IDLE_TIMEOUT))
                        return invalid_value(err, c, arg, "expected 0 (never) or a number of seconds from 1");
                o->control_idle_timeout = u;
                return 0;
        case '4':
        case '6':
                if (o->family != AF_UNSPEC && o->family != (c == '4' ? AF_INET : AF_INET6)) {
                        fprintf(err, "arpd: -4/--ipv4-only and -6/--ipv6-only cannot be used together\n");
                        return -EINVAL;
                }
                o->family = c == '4' ? AF_INET : AF_INET6;
                return 0;
        case 'v':
                o->log_level = LOG_DEBUG;
                return 0;
        case 'h':
                help(out);
                return 1;
        case 'V':
                fprintf(out, "arpd " ARPD_VERSION "\n");
                return 1;
        default:
                return -EINVAL; /* not reached: getopt only returns what is in the tables */
        }
}

/* How many long options "--abbrev[=...]" is a prefix of. */
static unsigned long_option_matches(const char *arg) {
        size_t n;
        unsigned count = 0;

        if (strncmp(arg, "--", 2) != 0)
                return 0;
        arg += 2;
        n = strcspn(arg, "=");
        for (const struct option *o = long_options; o->name; o++)
                if (strncmp(o->name, arg, n) == 0)
                        count++;
        return count;
}

/* getopt's own complaints, rewritten to err. */
static int bad_option(int c, int argc, char **argv, FILE *err) {
        char name[64];
        const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

        if (c == ':')
                fprintf(err, "arpd: option %s requires an argument\n", option_name(optopt, name, sizeof(name)));
        else if (optopt == 0 && long_option_matches(arg) > 1)
                fprintf(err, "arpd: ambiguous option '%s'\n", arg);
        else if (optopt == 0)
                fprintf(err, "arpd: unknown option '%s'\n", arg);
        else if (optopt < 0x100 && (optopt == ':' || !strchr(short_options + 1, optopt)))
                fprintf(err, "arpd: unknown option '-%c'\n", optopt);
        else
                fprintf(err, "arpd: option %s takes no argument\n", option_name(optopt, name, sizeof(name)));
        fprintf(err, "Try 'arpd --help' for more information.\n");
        return -EINVAL;
}

static int parse_argv(int argc, char **argv, const char *env_state_dir, struct arpd_options *o, FILE *out,
                      FILE *err) {
        bool list = false, load = false;
        int c, r;

        optind = 0; /* glibc: start over, so the parser may run more than once */
        opterr = 0;
        while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) >= 0) {
                if (c == '?' || c == ':')
                        return bad_option(c, argc, argv, err);
                r = parse_one(c, optarg, o, &list, &load, out, err);
                if (r != 0)
                        return r;
        }

        if (list && load) {
                fprintf(err, "arpd: -l/--list and -f/--load cannot be used together\n");
                return -EINVAL;
        }
        o->mode = list ? ARPD_MODE_LIST : load ? ARPD_MODE_LOAD : ARPD_MODE_DAEMON;

        if (!o->db_path) {
                r = default_db_path(env_state_dir, &o->db_path);
                if (r < 0)
                        return r;
        }

        o->ifaces = calloc((size_t) MAX(argc - optind, 0) + 1, sizeof(char *));
        if (!o->ifaces)
                return -ENOMEM;
        for (int i = optind; i < argc; i++) {
                const char *name = argv[i];

                if (!ifname_valid(name)) {
                        fprintf(err, "arpd: invalid interface name '%s': expected 1 to %d characters, "
                                "no '/', ':' or whitespace, not '.' or '..'\n", name, IFNAMSIZ - 1);
                        return -EINVAL;
                }
                for (size_t k = 0; k < o->n_ifaces; k++)
                        if (strcmp(o->ifaces[k], name) == 0) {
                                fprintf(err, "arpd: interface '%s' given more than once\n", name);
                                return -EINVAL;
                        }
                o->ifaces[o->n_ifaces] = strdup(name);
                if (!o->ifaces[o->n_ifaces])
                        return -ENOMEM;
                o->n_ifaces++;
        }
        return 0;
}

int arpd_options_parse(int argc, char **argv, const char *env_state_dir, struct arpd_options *o,
                       FILE *out, FILE *err) {
        int r;

        *o = (struct arpd_options) {
                .mode = ARPD_MODE_DAEMON,
                .active_probes = 0,
                .negative_timeout = DEFAULT_NEGATIVE_TIMEOUT,
                .max_age = ARPD_DEFAULT_MAX_AGE,
                .new_activity = ARPD_DEFAULT_NEW_ACTIVITY,
                .control_idle_timeout = ARPD_DEFAULT_CONTROL_IDLE_TIMEOUT,
                .rate = DEFAULT_RATE,
                .burst = DEFAULT_BURST,
                .sync_interval = DEFAULT_SYNC_INTERVAL,
                .log_level = LOG_INFO,
        };

        r = parse_argv(argc, argv, env_state_dir, o, out, err);
        if (r != 0)
                arpd_options_done(o);
        if (r == -ENOMEM)
                fprintf(err, "arpd: out of memory\n");
        return r;
}

int arpd_options_default_control_socket(const struct arpd_options *o, const char *env_runtime_dir, char **ret) {
        char *p;
        int r;

        if (env_runtime_dir && env_runtime_dir[0] == '/') {
                size_t n = strcspn(env_runtime_dir, ":");
                while (n > 1 && env_runtime_dir[n - 1] == '/')
                        n--;
                if (n == 1)
                        n = 0; /* "/" itself */
                r = asprintf(&p, "%.*s/bus", (int) n, env_runtime_dir);
        } else
                r = asprintf(&p, "/run/arpd/%s/bus", o->n_ifaces == 1 ? o->ifaces[0] : "all");
        if (r < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}
