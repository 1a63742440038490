/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "arpctl-deployment.h"
#include "control-protocol.h"
#include "log.h"
#include "macro.h"

const char *deployment_run_dir(void) {
        const char *e = getenv("ARPCTL_RUN_DIR");

        return e && e[0] ? e : CONTROL_RUN_DIR;
}

int deployment_connect(const char *path, sd_bus **ret) {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (strlen(path) >= sizeof(addr.sun_path))
                return -ENAMETOOLONG;
        strcpy(addr.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
                return -errno;
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0)
                return r;
        TAKE_FD(fd);
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

/* An older arpd has no NetworkNamespace property: the peer process's namespace, if readable. */
static DaemonState netns_from_peer(sd_bus *bus, const struct stat *self) {
        struct ucred cred = {};
        socklen_t len = sizeof(cred);
        char p[64];
        struct stat st;
        int fd = sd_bus_get_fd(bus);

        if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0)
                return DAEMON_UNKNOWN_NETNS;
        snprintf(p, sizeof(p), "/proc/%d/ns/net", (int) cred.pid);
        if (stat(p, &st) < 0)
                return DAEMON_UNKNOWN_NETNS;
        return st.st_dev == self->st_dev && st.st_ino == self->st_ino ? DAEMON_RUNNING : DAEMON_OTHER_NETNS;
}

static DaemonState netns_state(sd_bus *bus, const struct stat *self) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint64_t dev, ino;
        int r;

        r = sd_bus_get_property(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "NetworkNamespace", &e, &reply, "(tt)");
        if (r < 0)
                return sd_bus_error_has_name(&e, SD_BUS_ERROR_UNKNOWN_PROPERTY) ? netns_from_peer(bus, self)
                                                                                 : DAEMON_UNKNOWN_NETNS;
        if (sd_bus_message_read(reply, "(tt)", &dev, &ino) < 0)
                return DAEMON_UNKNOWN_NETNS;
        return dev == (uint64_t) self->st_dev && ino == (uint64_t) self->st_ino ? DAEMON_RUNNING : DAEMON_OTHER_NETNS;
}

static int read_identity(Daemon *dm) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *ifs = NULL;
        const char *name;
        int r;

        r = sd_bus_get_property_string(dm->bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "StorePath", NULL, &dm->store);
        if (r < 0)
                return r;
        r = sd_bus_get_property(dm->bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "Interfaces", NULL, &ifs, "as");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(ifs, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(ifs, "s", &name)) > 0) {
                char(*n)[IFNAMSIZ] = reallocarray(dm->ifaces, dm->n_ifaces + 1, sizeof(*dm->ifaces));
                if (!n)
                        return -ENOMEM;
                dm->ifaces = n;
                snprintf(dm->ifaces[dm->n_ifaces++], IFNAMSIZ, "%s", name);
        }
        return r;
}

static bool same_store(const Daemon *a, const Daemon *b) {
        struct stat sa, sb;

        if (strcmp(a->store, b->store) == 0)
                return true;
        return stat(a->store, &sa) == 0 && stat(b->store, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void deployment_scan(Deployment *d) {
        char pattern[PATH_MAX];
        struct stat self;
        glob_t g = {};
        bool have_self;

        *d = (Deployment) {};
        have_self = stat("/proc/self/ns/net", &self) == 0;
        snprintf(pattern, sizeof(pattern), "%s/*/bus", deployment_run_dir());
        if (glob(pattern, 0, NULL, &g) != 0)
                return;
        for (size_t i = 0; i < g.gl_pathc && d->n < ELEMENTSOF(d->daemons); i++) {
                Daemon *dm = &d->daemons[d->n];
                sd_bus *bus = NULL;

                if (strlen(g.gl_pathv[i]) >= sizeof(dm->socket))
                        continue;
                *dm = (Daemon) { .state = DAEMON_STALE };
                snprintf(dm->socket, sizeof(dm->socket), "%s", g.gl_pathv[i]);
                d->n++;
                if (deployment_connect(dm->socket, &bus) < 0)
                        continue;
                dm->state = have_self ? netns_state(bus, &self) : DAEMON_UNKNOWN_NETNS;
                if (dm->state != DAEMON_RUNNING) {
                        sd_bus_flush_close_unref(bus);
                        continue;
                }
                dm->bus = bus;
                if (read_identity(dm) < 0) {
                        /* Answers, but not as an arpd: not something to send calls to. */
                        dm->bus = sd_bus_flush_close_unref(dm->bus);
                        dm->state = DAEMON_STALE;
                        continue;
                }
                d->n_running++;
                dm->store_group = d->n - 1;
                for (size_t j = 0; j + 1 < d->n; j++)
                        if (d->daemons[j].state == DAEMON_RUNNING && same_store(&d->daemons[j], dm)) {
                                dm->store_group = d->daemons[j].store_group;
                                break;
                        }
                if (dm->store_group == d->n - 1)
                        d->n_stores++;
        }
        globfree(&g);
}

void deployment_done(Deployment *d) {
        for (size_t i = 0; i < d->n; i++) {
                Daemon *dm = &d->daemons[i];
                dm->bus = sd_bus_flush_close_unref(dm->bus);
                dm->store = mfree(dm->store);
                dm->ifaces = mfree(dm->ifaces);
                dm->n_ifaces = 0;
        }
        d->n = d->n_running = d->n_stores = 0;
}

bool daemon_serves(const Daemon *dm, const char *ifname) {
        for (size_t i = 0; i < dm->n_ifaces; i++)
                if (strcmp(dm->ifaces[i], ifname) == 0)
                        return true;
        return false;
}

Daemon *deployment_serving(Deployment *d, const char *ifname) {
        for (size_t i = 0; i < d->n; i++)
                if (d->daemons[i].state == DAEMON_RUNNING && daemon_serves(&d->daemons[i], ifname))
                        return &d->daemons[i];
        return NULL;
}

bool daemon_reads_its_store(const Deployment *d, const Daemon *dm) {
        return dm->state == DAEMON_RUNNING && dm->store_group == (size_t) (dm - d->daemons);
}

const char *daemon_state_to_string(DaemonState s) {
        switch (s) {
        case DAEMON_RUNNING:
                return "running";
        case DAEMON_OTHER_NETNS:
                return "other-netns";
        case DAEMON_UNKNOWN_NETNS:
                return "unknown-netns";
        default:
                return "stale";
        }
}
