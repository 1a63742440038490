/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "peer-auth.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static int pidfd_open_fallback(pid_t pid) {
#ifdef SYS_pidfd_open
        long r = syscall(SYS_pidfd_open, pid, 0);
        return r < 0 ? -errno : (int) r;
#else
        return -ENOSYS;
#endif
}

int peer_from_socket(int fd, struct peer *ret) {
        struct ucred uc = {};
        socklen_t len = sizeof(uc);
        int pidfd = -EBADF;

        assert(ret);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
                return -errno;
        if (len != sizeof(uc))
                return -EIO;
        *ret = (struct peer) { .uid = uc.uid, .gid = uc.gid, .pid = uc.pid, .pidfd = -EBADF };
        len = sizeof(pidfd);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && len == sizeof(pidfd) && pidfd >= 0) {
                ret->pidfd = pidfd;
                ret->pidfd_exact = true;
        } else if (uc.pid > 0) {
                int r = pidfd_open_fallback(uc.pid);
                if (r >= 0)
                        ret->pidfd = r;
        }
        return 0;
}

void peer_done(struct peer *p) {
        p->pidfd = safe_close(p->pidfd);
}

/* The process behind the pidfd has exited (a pidfd becomes readable then). */
static bool pidfd_exited(int pidfd) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

        return poll(&pfd, 1, 0) != 0;
}

static int read_cap_eff(const char *proc, pid_t pid, uint64_t *ret) {
        char path[128], line[256];
        unsigned long long v;
        _cleanup_fclose_ FILE *f = NULL;

        snprintf(path, sizeof(path), "%s/%d/status", proc, (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "CapEff: %llx", &v) == 1) {
                        *ret = v;
                        return 0;
                }
        return -ENODATA;
}

static int same_userns(const char *proc, pid_t pid) {
        char path[128];
        struct stat theirs, ours;

        snprintf(path, sizeof(path), "%s/%d/ns/user", proc, (int) pid);
        if (stat(path, &theirs) < 0)
                return -errno;
        snprintf(path, sizeof(path), "%s/self/ns/user", proc);
        if (stat(path, &ours) < 0)
                return -errno;
        return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

enum peer_verdict peer_check_net_admin(const struct peer *p, const char *proc) {
        uint64_t caps = 0;
        int same, r = 0;

        assert(p);
        if (!proc)
                proc = "/proc";
        if (p->uid == 0)
                return PEER_ROOT;
        if (p->pidfd < 0 || p->pid <= 0)
                return PEER_UNVERIFIABLE;
        same = same_userns(proc, p->pid);
        if (same > 0)
                r = read_cap_eff(proc, p->pid, &caps);
        /* Whatever was read must have been read about the process that connected: it is still
         * alive, so its pid cannot have been reused. */
        if (pidfd_exited(p->pidfd))
                return PEER_GONE;
        if (same < 0 || r < 0)
                return PEER_UNVERIFIABLE;
        if (same == 0)
                return PEER_OTHER_USERNS;
        return caps & (UINT64_C(1) << CAP_NET_ADMIN) ? PEER_NET_ADMIN : PEER_NO_CAPABILITY;
}

bool peer_verdict_allowed(enum peer_verdict v) {
        return v == PEER_ROOT || v == PEER_NET_ADMIN;
}

const char *peer_verdict_explain(enum peer_verdict v) {
        switch (v) {
        case PEER_ROOT:
        case PEER_NET_ADMIN:
                return "";
        case PEER_NO_CAPABILITY:
                return "the caller is neither root nor holds CAP_NET_ADMIN";
        case PEER_OTHER_USERNS:
                return "the caller runs in another user namespace, whose capabilities do not count here";
        case PEER_GONE:
                return "the process that opened this connection has exited";
        case PEER_UNVERIFIABLE:
        default:
                return "the caller is not root and its capabilities cannot be verified (run it as root)";
        }
}
