/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * arpd-sysctl: the root-side helper of arpd@.service. arpd itself never writes /proc/sys; this
 * program runs with full privileges from the unit ('+' prefix) around the unprivileged daemon:
 *
 *   save IFACE             ExecStartPre=:  remember the interface's app_solicit and mcast_solicit
 *                          (net.ipv4.neigh.IFACE.* and, where the interface has IPv6, net.ipv6.*)
 *   apply IFACE [OPTIONS]  ExecStartPost=: after READY, declare the values arpd's options call
 *                          for in /run/sysctl.d/ and let systemd-sysctl apply them (--prefix)
 *   restore IFACE          ExecStopPost=:  drop the declaration, write the saved values back
 *   show IFACE [OPTIONS]   print the declaration "apply" would write (nothing is changed)
 *   apply-all [OPTIONS] [IFACE...]
 *                          arpd.service's ExecStartPost=: save and apply for every interface the
 *                          daemon with these arguments serves (those named, else every interface
 *                          present but loopback and NOARP ones), recorded in a list
 *   restore-all            arpd.service's ExecStopPost=: restore every interface of that list
 *
 * The drop-in is rendered from a template (sysctl.d/50-arpd-IFACE.conf.in in the tree, installed
 * as ARPD_SYSCTL_TEMPLATE; an administrator's copy in /etc/arpd/ wins). The runtime drop-in
 * exists only between READY and the end of the service, so neither boot nor
 * hotplug can put mcast_solicit=0 in force without a running daemon. A file of the same name in
 * /etc/sysctl.d/ overrides it (systemd-sysctl's usual rule); apply still applies that one.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ifname-util.h"
#include "arpd-options.h"
#include "log.h"
#include "macro.h"

#ifndef SYSTEMD_SYSCTL_PATH
#define SYSTEMD_SYSCTL_PATH "/usr/lib/systemd/systemd-sysctl"
#endif

#ifndef ARPD_SYSCTL_TEMPLATE
#define ARPD_SYSCTL_TEMPLATE "/usr/share/arpd/sysctl.d/50-arpd-IFACE.conf.in"
#endif
/* The administrator's copy of the template, used instead of the installed one if it exists. */
#define TEMPLATE_ETC "/etc/arpd/50-arpd-IFACE.conf.in"
#define DROPIN_MAX 16384

#define PROC_NET "/proc/sys/net"
#define SAVE_DIR "/run/arpd-sysctl"
#define DROPIN_DIR "/run/sysctl.d"

/* The settings arpd's mode depends on, per family: the kernel asks user space app_solicit times,
 * and sends mcast_solicit broadcasts (ARP) or multicast solicitations (NDP) of its own. */
static const struct {
        const char *proto; /* directory under /proc/sys/net */
        int family;
        const char *key;
} keys[] = {
        { "ipv4", AF_INET, "app_solicit" },
        { "ipv4", AF_INET, "mcast_solicit" },
        { "ipv6", AF_INET6, "app_solicit" },
        { "ipv6", AF_INET6, "mcast_solicit" },
};
#define N_KEYS ELEMENTSOF(keys)

/* The classic daemon's rules: app_solicit = max(1, -a); mcast_solicit = 0 with -k, else 1 when
 * -a >= 2, else 3 - (-a). The same for IPv6 neighbour discovery. */
static int value_for(const char *key, unsigned active_probes, bool kernel_broadcast_off) {
        if (strcmp(key, "app_solicit") == 0)
                return (int) MAX(1u, active_probes);
        if (kernel_broadcast_off)
                return 0;
        return active_probes >= 2 ? 1 : 3 - (int) active_probes;
}

static int read_int_file(const char *path, int *ret) {
        _cleanup_close_ int fd = -EBADF;
        char buf[32];
        ssize_t n;
        char *end;
        long v;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        errno = 0;
        v = strtol(buf, &end, 10);
        if (errno != 0 || end == buf || (*end != '\0' && *end != '\n') || v < INT_MIN || v > INT_MAX)
                return -EBADMSG;
        *ret = (int) v;
        return 0;
}

static int write_int_file(const char *path, int v) {
        _cleanup_close_ int fd = -EBADF;
        char buf[16];
        int n;

        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = snprintf(buf, sizeof(buf), "%d\n", v);
        if (write(fd, buf, (size_t) n) != n)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* Writes the whole of content to path through a temporary file and rename(), so readers (and a
 * concurrent systemd-sysctl) never see half a file. */
static int write_file_atomic(const char *path, const char *content, mode_t mode) {
        char tmp[PATH_MAX];
        size_t len = strlen(content);
        int fd, r = 0;

        if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int) sizeof(tmp))
                return -ENAMETOOLONG;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0 || write(fd, content, len) != (ssize_t) len || fsync(fd) < 0)
                r = errno > 0 ? -errno : -EIO;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

static int mkdir_one(const char *path, mode_t mode) {
        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* /proc/sys/net/PROTO/neigh/IFACE[/KEY]: the name is a directory of its own, dots and all. */
static void neigh_path(char *buf, size_t size, const char *proto, const char *ifname, const char *key) {
        snprintf(buf, size, PROC_NET "/%s/neigh/%s%s%s", proto, ifname, key ? "/" : "", key ? key : "");
}

static bool neigh_exists(const char *proto, const char *ifname) {
        char p[PATH_MAX];

        neigh_path(p, sizeof(p), proto, ifname, NULL);
        return access(p, F_OK) == 0;
}

static void save_path(char *buf, size_t size, const char *ifname) {
        snprintf(buf, size, SAVE_DIR "/%s", ifname);
}

static void dropin_path(char *buf, size_t size, const char *ifname) {
        snprintf(buf, size, DROPIN_DIR "/50-arpd-%s.conf", ifname);
}

static int do_save(const char *ifname) {
        char p[PATH_MAX], content[512] = "", summary[256] = "";
        size_t n = 0;
        int r;

        r = mkdir_one(SAVE_DIR, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create " SAVE_DIR ": %m");
        save_path(p, sizeof(p), ifname);
        if (access(p, F_OK) == 0) {
                /* Only possible when an earlier restore could not run to its end: those values
                 * predate arpd, the current ones may not. */
                log_notice("%s: keeping the values saved by an earlier start in %s.", ifname, p);
                return 0;
        }
        if (!neigh_exists("ipv4", ifname) && !neigh_exists("ipv6", ifname))
                return log_error_errno(ENODEV, "%s: no such interface (" PROC_NET "/ipv4/neigh/%s is missing).", ifname,
                                       ifname);
        for (size_t i = 0; i < N_KEYS; i++) {
                char q[PATH_MAX];
                int v;

                if (!neigh_exists(keys[i].proto, ifname))
                        continue;
                neigh_path(q, sizeof(q), keys[i].proto, ifname, keys[i].key);
                r = read_int_file(q, &v);
                if (r < 0)
                        return log_error_errno(r, "Cannot read %s: %m", q);
                n += (size_t) snprintf(content + n, sizeof(content) - n, "%s.%s=%d\n", keys[i].proto, keys[i].key, v);
                snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary), " %s.%s=%d", keys[i].proto,
                         keys[i].key, v);
        }
        r = write_file_atomic(p, content, 0600);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s: %m", p);
        log_info("%s: saved%s; restored when arpd stops.", ifname, summary);
        return 0;
}

/* Parses arpd's command line (OPTIONS, then ifname if not NULL) exactly as arpd does (same
 * parser), so "-ka2" and "--active-probes=2" agree. The caller frees *o (arpd_options_done). */
static int parse_daemon_args(const char *ifname, int argc, char **argv, struct arpd_options *o) {
        const char *what = ifname ? ifname : "arpd";
        char **args;
        int n = 0, r;

        args = calloc((size_t) argc + 3, sizeof(char *));
        if (!args)
                return log_oom();
        args[n++] = (char *) "arpd";
        for (int i = 0; i < argc; i++)
                args[n++] = argv[i];
        if (ifname)
                args[n++] = (char *) ifname;
        optind = 0;
        r = arpd_options_parse(n, args, NULL, o, stderr, stderr);
        free(args);
        if (r != 0)
                return log_error_errno(r < 0 ? r : EINVAL, "%s: these are not options of the arpd daemon.", what);
        if (o->mode != ARPD_MODE_DAEMON)
                return log_error_errno(EINVAL, "%s: -l and -f do not run the daemon.", what);
        return 0;
}

/* $ARPD_SYSCTL_TEMPLATE (tests), else the administrator's copy, else the installed template. */
static const char *template_path(void) {
        const char *e = getenv("ARPD_SYSCTL_TEMPLATE");

        if (e && e[0])
                return e;
        if (access(TEMPLATE_ETC, F_OK) == 0)
                return TEMPLATE_ETC;
        return ARPD_SYSCTL_TEMPLATE;
}

/* Appends s to buf (n used of size); false when it does not fit. */
static bool append(char *buf, size_t size, size_t *n, const char *s, size_t len) {
        if (*n + len >= size)
                return false;
        memcpy(buf + *n, s, len);
        *n += len;
        buf[*n] = '\0';
        return true;
}

/* A setting line of the rendered drop-in: "net/PROTO/neigh/IFACE/KEY = VALUE", the slash form (dots
 * in names such as eth0.100 stay literal). Returns the index in keys[] or -EINVAL. */
static int dropin_key(const char *line, const char *ifname) {
        char proto[8], name[IFNAMSIZ + 1], key[32];
        int end = 0;
        size_t digits;

        if (sscanf(line, " net/%7[a-z0-9]/neigh/%16[^/]/%31[a-z_] =%n", proto, name, key, &end) < 3 || end == 0 ||
            strcmp(name, ifname) != 0)
                return -EINVAL;
        line += end;
        line += strspn(line, " \t");
        digits = strspn(line, "0123456789");
        if (digits == 0 || digits > 9)
                return -EINVAL;
        line += digits;
        line += strspn(line, " \t\n");
        if (*line != '\0')
                return -EINVAL;
        for (size_t i = 0; i < N_KEYS; i++)
                if (strcmp(keys[i].proto, proto) == 0 && strcmp(keys[i].key, key) == 0)
                        return (int) i;
        return -EINVAL;
}

/* Renders the drop-in for ifname and the families o serves from the template (see
 * sysctl.d/50-arpd-IFACE.conf.in): @IFACE@, @OPTIONS@, @TEMPLATE@, @APP_SOLICIT@ and
 * @MCAST_SOLICIT@ are replaced; lines starting with "##" and those of a family arpd does not serve
 * are left out; a setting
 * other than app_solicit and mcast_solicit of this interface (the keys save/restore cover) is an
 * error naming the file and line. */
static int format_dropin(const char *ifname, const struct arpd_options *o, char *buf, size_t size) {
        const char *path = template_path();
        char line[1024], options[64], app[16], mcast[16];
        unsigned lineno = 0;
        size_t n = 0;

        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f)
                return log_error_errno(errno, "Cannot read the sysctl template %s: %m", path);
        snprintf(options, sizeof(options), "-a %u%s%s", o->active_probes, o->kernel_broadcast_off ? " -k" : "",
                 o->family == AF_INET ? " -4" : o->family == AF_INET6 ? " -6" : "");
        snprintf(app, sizeof(app), "%d", value_for("app_solicit", o->active_probes, o->kernel_broadcast_off));
        snprintf(mcast, sizeof(mcast), "%d", value_for("mcast_solicit", o->active_probes, o->kernel_broadcast_off));
        const struct { const char *name, *value; } vars[] = {
                { "@IFACE@", ifname },        { "@OPTIONS@", options },      { "@TEMPLATE@", path },
                { "@APP_SOLICIT@", app },     { "@MCAST_SOLICIT@", mcast },
        };
        buf[0] = '\0';
        while (fgets(line, sizeof(line), f)) {
                char out[2048];
                size_t k = 0;
                const char *p = line, *t = line + strspn(line, " \t");

                lineno++;
                if (strncmp(line, "##", 2) == 0)
                        continue; /* the template's own documentation */
                out[0] = '\0';
                while (*p) {
                        const char *at = strchr(p, '@');
                        bool found = false;

                        if (!at) {
                                if (!append(out, sizeof(out), &k, p, strlen(p)))
                                        return log_error_errno(ENOBUFS, "%s:%u: line too long.", path, lineno);
                                break;
                        }
                        if (!append(out, sizeof(out), &k, p, (size_t) (at - p)))
                                return log_error_errno(ENOBUFS, "%s:%u: line too long.", path, lineno);
                        for (size_t v = 0; v < ELEMENTSOF(vars) && !found; v++)
                                if (strncmp(at, vars[v].name, strlen(vars[v].name)) == 0) {
                                        if (!append(out, sizeof(out), &k, vars[v].value, strlen(vars[v].value)))
                                                return log_error_errno(ENOBUFS, "%s:%u: line too long.", path, lineno);
                                        p = at + strlen(vars[v].name);
                                        found = true;
                                }
                        if (!found) {
                                if (strchr(at + 1, '@') && *t != '#')
                                        return log_error_errno(EINVAL, "%s:%u: unknown placeholder in '%.*s'.", path,
                                                               lineno, (int) strcspn(at, " \n"), at);
                                if (!append(out, sizeof(out), &k, "@", 1))
                                        return log_error_errno(ENOBUFS, "%s:%u: line too long.", path, lineno);
                                p = at + 1;
                        }
                }
                if (*t != '#' && *t != ';' && *t != '\n' && *t != '\0') {
                        int i = dropin_key(out, ifname);
                        if (i < 0)
                                return log_error_errno(EINVAL, "%s:%u: only net/ipv4|ipv6/neigh/@IFACE@/app_solicit "
                                                       "or mcast_solicit = NUMBER may be set here.", path, lineno);
                        if (o->family != AF_UNSPEC && o->family != keys[i].family)
                                continue;
                }
                if (!append(buf, size, &n, out, strlen(out)))
                        return log_error_errno(ENOBUFS, "%s: drop-in too long.", ifname);
        }
        if (ferror(f))
                return log_error_errno(EIO, "Cannot read the sysctl template %s.", path);
        return 0;
}

/* format_dropin() for "IFACE OPTIONS...", as the verbs apply and show take them. */
static int format_dropin_args(const char *ifname, int argc, char **argv, char *buf, size_t size) {
        struct arpd_options o = {};
        int r;

        r = parse_daemon_args(ifname, argc, argv, &o);
        if (r >= 0)
                r = format_dropin(ifname, &o, buf, size);
        arpd_options_done(&o);
        return r;
}

static int run_systemd_sysctl(const char *proto, const char *ifname) {
        const char *candidates[] = { SYSTEMD_SYSCTL_PATH, "/usr/lib/systemd/systemd-sysctl", "/lib/systemd/systemd-sysctl" };
        const char *bin = NULL;
        char prefix[PATH_MAX];
        int status;
        pid_t pid;

        for (size_t i = 0; i < ELEMENTSOF(candidates) && !bin; i++)
                if (access(candidates[i], X_OK) == 0)
                        bin = candidates[i];
        if (!bin)
                return log_error_errno(ENOENT, "systemd-sysctl not found (looked for " SYSTEMD_SYSCTL_PATH ").");
        snprintf(prefix, sizeof(prefix), "--prefix=/net/%s/neigh/%s", proto, ifname);
        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "fork() failed: %m");
        if (pid == 0) {
                execl(bin, bin, prefix, (char *) NULL);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return log_error_errno(errno, "waitpid() failed: %m");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return log_error_errno(EIO, "%s %s failed (status %d).", bin, prefix, status);
        return 0;
}

static int apply_dropin(const char *ifname, const char *content) {
        char p[PATH_MAX], summary[256] = "";
        int r;

        r = mkdir_one(DROPIN_DIR, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create " DROPIN_DIR ": %m");
        dropin_path(p, sizeof(p), ifname);
        r = write_file_atomic(p, content, 0644);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s: %m", p);
        for (const char *const *proto = (const char *const[]) { "ipv4", "ipv6", NULL }; *proto; proto++) {
                if (!neigh_exists(*proto, ifname))
                        continue;
                r = run_systemd_sysctl(*proto, ifname);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < N_KEYS; i++) {
                char q[PATH_MAX];
                int v;

                neigh_path(q, sizeof(q), keys[i].proto, ifname, keys[i].key);
                if (read_int_file(q, &v) == 0)
                        snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary), " %s.%s=%d",
                                 keys[i].proto, keys[i].key, v);
        }
        log_info("%s: in force:%s (sysctl.d, %s).", ifname, summary, p);
        return 0;
}

static int do_apply(const char *ifname, int argc, char **argv) {
        char content[DROPIN_MAX];
        int r;

        r = format_dropin_args(ifname, argc, argv, content, sizeof(content));
        if (r < 0)
                return r;
        return apply_dropin(ifname, content);
}

static int do_restore(const char *ifname) {
        char p[PATH_MAX], line[128], summary[256] = "";
        int r, ret = 0;

        /* First the declaration, so no later systemd-sysctl run re-applies it. */
        dropin_path(p, sizeof(p), ifname);
        if (unlink(p) < 0 && errno != ENOENT)
                ret = log_error_errno(errno, "Cannot remove %s: %m", p);

        save_path(p, sizeof(p), ifname);
        _cleanup_(fclosep) FILE *f = fopen(p, "re");
        if (!f) {
                if (errno == ENOENT)
                        return ret; /* nothing saved: save never ran, or restore already did */
                return log_error_errno(errno, "Cannot open %s: %m", p);
        }
        if (!neigh_exists("ipv4", ifname) && !neigh_exists("ipv6", ifname)) {
                log_info("%s: the interface is gone; nothing to restore.", ifname);
                if (unlink(p) < 0)
                        return log_error_errno(errno, "Cannot remove %s: %m", p);
                return ret;
        }
        while (fgets(line, sizeof(line), f)) {
                char proto[8], key[32], q[PATH_MAX];
                int v;
                bool known = false;

                if (sscanf(line, "%7[a-z0-9].%31[a-z_]=%d", proto, key, &v) != 3)
                        continue;
                for (size_t i = 0; i < N_KEYS; i++)
                        known = known || (strcmp(keys[i].proto, proto) == 0 && strcmp(keys[i].key, key) == 0);
                if (!known || !neigh_exists(proto, ifname))
                        continue;
                neigh_path(q, sizeof(q), proto, ifname, key);
                r = write_int_file(q, v);
                if (r < 0) {
                        ret = log_error_errno(r, "Cannot write %s: %m", q);
                        continue;
                }
                snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary), " %s.%s=%d", proto, key, v);
        }
        if (ret < 0)
                return ret; /* keep the saved file: the next start's restore tries again */
        log_info("%s: restored%s.", ifname, summary);
        if (unlink(p) < 0)
                return log_error_errno(errno, "Cannot remove %s: %m", p);
        return 0;
}

/* ---- arpd.service: one daemon for several interfaces ---------------------------------------- */

/* The interfaces apply-all saved, one per line, so that restore-all puts each one back. The name
 * is longer than any interface name: it never collides with a saved file. */
#define ALL_LIST SAVE_DIR "/arpd.service.list"
#define ALL_MAX 4096

/* arpd without interface arguments serves every interface but loopback and NOARP ones. */
static bool served_without_arguments(const char *ifname) {
        char p[PATH_MAX], buf[32];
        _cleanup_close_ int fd = -EBADF;
        unsigned long flags;
        ssize_t n;

        snprintf(p, sizeof(p), "/sys/class/net/%s/flags", ifname);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        flags = strtoul(buf, NULL, 16);
        return !(flags & (IFF_LOOPBACK | IFF_NOARP));
}

static bool list_has(char (*names)[IFNAMSIZ], size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], name) == 0)
                        return true;
        return false;
}

/* Every interface with a neighbour table that arpd serves when given none. */
static size_t list_present(char (*names)[IFNAMSIZ], size_t max) {
        size_t n = 0;

        for (const char *const *proto = (const char *const[]) { "ipv4", "ipv6", NULL }; *proto; proto++) {
                char p[PATH_MAX];
                DIR *d;
                struct dirent *de;

                snprintf(p, sizeof(p), PROC_NET "/%s/neigh", *proto);
                d = opendir(p);
                if (!d)
                        continue;
                while ((de = readdir(d)) && n < max)
                        if (de->d_name[0] != '.' && strcmp(de->d_name, "default") != 0 && ifname_valid(de->d_name) &&
                            !list_has(names, n, de->d_name) && served_without_arguments(de->d_name))
                                snprintf(names[n++], IFNAMSIZ, "%.*s", IFNAMSIZ - 1, de->d_name);
                closedir(d);
        }
        return n;
}

static int list_append(const char *ifname) {
        char line[IFNAMSIZ + 2];
        _cleanup_close_ int fd = -EBADF;
        int n;

        fd = open(ALL_LIST, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_error_errno(errno, "Cannot write " ALL_LIST ": %m");
        n = snprintf(line, sizeof(line), "%s\n", ifname);
        if (write(fd, line, (size_t) n) != n)
                return log_error_errno(errno > 0 ? errno : EIO, "Cannot write " ALL_LIST ": %m");
        return 0;
}

/* apply-all ARPD-ARGS...: for each interface the daemon with these arguments serves (those it
 * names, else every one present but loopback and NOARP ones): save, record, declare and apply. */
static int do_apply_all(int argc, char **argv) {
        static char names[ALL_MAX][IFNAMSIZ];
        struct arpd_options o = {};
        size_t n = 0;
        int r, ret = 0;

        r = parse_daemon_args(NULL, argc, argv, &o);
        if (r < 0) {
                arpd_options_done(&o);
                return r;
        }
        if (o.n_ifaces > 0)
                for (size_t i = 0; i < o.n_ifaces && n < ALL_MAX; i++)
                        snprintf(names[n++], IFNAMSIZ, "%s", o.ifaces[i]);
        else
                n = list_present(names, ALL_MAX);
        for (size_t i = 0; i < n; i++) {
                char content[DROPIN_MAX];

                r = do_save(names[i]);
                if (r >= 0)
                        r = list_append(names[i]);
                if (r >= 0)
                        r = format_dropin(names[i], &o, content, sizeof(content));
                if (r >= 0)
                        r = apply_dropin(names[i], content);
                if (r < 0)
                        ret = r;
        }
        arpd_options_done(&o);
        if (n == 0)
                log_notice("No interface to set up yet.");
        return ret;
}

/* restore-all: restore every interface apply-all recorded. */
static int do_restore_all(void) {
        char line[64];
        int ret = 0;

        _cleanup_(fclosep) FILE *f = fopen(ALL_LIST, "re");
        if (!f)
                return errno == ENOENT ? 0 : log_error_errno(errno, "Cannot open " ALL_LIST ": %m");
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (!ifname_valid(line))
                        continue;
                int r = do_restore(line);
                if (r < 0)
                        ret = r;
        }
        if (ret < 0)
                return ret; /* keep the list: the next restore-all tries again */
        if (unlink(ALL_LIST) < 0)
                return log_error_errno(errno, "Cannot remove " ALL_LIST ": %m");
        return 0;
}

static int do_show(const char *ifname, int argc, char **argv) {
        char content[DROPIN_MAX];
        int r;

        r = format_dropin_args(ifname, argc, argv, content, sizeof(content));
        if (r < 0)
                return r;
        fputs(content, stdout);
        return fflush(stdout) == 0 ? 0 : log_error_errno(errno, "Writing failed: %m");
}

static void usage(FILE *f) {
        fputs("Usage: arpd-sysctl save IFACE\n"
              "       arpd-sysctl apply IFACE [ARPD-OPTIONS...]\n"
              "       arpd-sysctl restore IFACE\n"
              "       arpd-sysctl show IFACE [ARPD-OPTIONS...]\n"
              "       arpd-sysctl apply-all [ARPD-OPTIONS...] [IFACE...]\n"
              "       arpd-sysctl restore-all\n"
              "Saves, declares (" DROPIN_DIR "/50-arpd-IFACE.conf, applied with systemd-sysctl) and\n"
              "restores net.{ipv4,ipv6}.neigh.IFACE.{app_solicit,mcast_solicit} for arpd@IFACE.service;\n"
              "apply-all and restore-all do it for every interface arpd.service serves.\n",
              f);
}

int main(int argc, char **argv) {
        const char *verb, *ifname;
        int r;

        log_set_prefix("arpd-sysctl");
        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                usage(stdout);
                return 0;
        }
        if (argc >= 2 && strcmp(argv[1], "apply-all") == 0)
                return do_apply_all(argc - 2, argv + 2) < 0 ? 1 : 0;
        if (argc == 2 && strcmp(argv[1], "restore-all") == 0)
                return do_restore_all() < 0 ? 1 : 0;
        if (argc < 3) {
                usage(stderr);
                return 2;
        }
        verb = argv[1];
        ifname = argv[2];
        if (!ifname_valid(ifname)) {
                log_error("Invalid interface name '%s'.", ifname);
                return 2;
        }
        if (strcmp(verb, "save") == 0 && argc == 3)
                r = do_save(ifname);
        else if (strcmp(verb, "apply") == 0)
                r = do_apply(ifname, argc - 3, argv + 3);
        else if (strcmp(verb, "restore") == 0 && argc == 3)
                r = do_restore(ifname);
        else if (strcmp(verb, "show") == 0)
                r = do_show(ifname, argc - 3, argv + 3);
        else {
                usage(stderr);
                return 2;
        }
        return r < 0 ? 1 : 0;
}
