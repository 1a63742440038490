/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Who is on the other end of a control connection, and whether it may change what arpd knows.
 *
 * The rule: a change is allowed to a caller whose uid, as the kernel reports it in arpd's own user
 * namespace, is 0, or to a process in arpd's own user namespace holding CAP_NET_ADMIN in its
 * effective set. Everyone may read.
 *
 * How it is decided, without races:
 *   - uid and pid come from SO_PEERCRED, which the kernel records at connect() and translates into
 *     arpd's namespaces: root inside a child user namespace ("unshare -r") shows as the unprivileged
 *     uid that owns that namespace (or the overflow uid), never as 0.
 *   - the process is pinned by a pidfd taken for the connection: SO_PEERPIDFD (Linux >= 6.5) names
 *     the very process that connected; where the kernel lacks it, pidfd_open() of the SO_PEERCRED pid
 *     at accept time is the fallback (a pid reused between the client's connect() and arpd's accept()
 *     could then be mistaken for the client: a window of microseconds, documented in arpctl(8)).
 *   - for the capability, /proc/PID/status (CapEff) and /proc/PID/ns/user (compared with arpd's own)
 *     are read at call time, and afterwards the pidfd must still refer to a live process: if the
 *     process that connected has exited (its pid possibly reused by another), the call is refused.
 *   - where /proc/PID cannot be read (arpd@.service runs with ProtectProc=invisible and no
 *     CAP_SYS_PTRACE, so other users' processes are hidden), the capability cannot be verified and
 *     only uid 0 may change anything.
 *
 * A connection handed to another process (SCM_RIGHTS, fork) keeps the credentials of the process
 * that connected, as a file descriptor keeps the rights it was opened with.
 */

#include <stdbool.h>
#include <sys/types.h>

struct peer {
        uid_t uid;
        gid_t gid;
        pid_t pid;
        int pidfd;          /* -EBADF if none could be had */
        bool pidfd_exact;   /* from SO_PEERPIDFD, not the pidfd_open() fallback */
};

enum peer_verdict {
        PEER_ROOT,               /* uid 0 */
        PEER_NET_ADMIN,          /* CAP_NET_ADMIN in arpd's user namespace */
        PEER_NO_CAPABILITY,      /* in arpd's user namespace, without CAP_NET_ADMIN */
        PEER_OTHER_USERNS,       /* in another user namespace (its capabilities are not ours) */
        PEER_GONE,               /* the process that connected has exited */
        PEER_UNVERIFIABLE,       /* not root, and its /proc entry cannot be read */
};

/* Reads the credentials of the peer of the connected AF_UNIX socket fd (call right after
 * accept()). 0 or a negative errno. */
int peer_from_socket(int fd, struct peer *ret);
void peer_done(struct peer *p);

/* Decides the rule above. proc is the procfs mount to read ("/proc"; tests may pass another). */
enum peer_verdict peer_check_net_admin(const struct peer *p, const char *proc);
bool peer_verdict_allowed(enum peer_verdict v);
/* A sentence for the caller: why it was refused ("" for allowed verdicts). */
const char *peer_verdict_explain(enum peer_verdict v);
