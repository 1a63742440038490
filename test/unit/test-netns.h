/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * For unit tests that need real sockets: run a check in a forked child that moves into a network
 * namespace of its own (the child calls unshare(CLONE_NEWNET) itself and exits 0 on success, 1 on
 * failure, 77 to skip), and wait for a link to be up with carrier there.
 */

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "tests.h"

/* Root only (otherwise it says SKIP and returns); the child's failure fails the test. */
static inline void run_netns_child(void (*child)(void), const char *what) {
        int status = 0;
        pid_t pid;

        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: %s needs root (a network namespace)\n", what);
                return;
        }
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid < 0)
                return;
        if (pid == 0)
                child(); /* exits */
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                fprintf(stderr, "SKIP: %s (see above)\n", what);
        else
                CHECK_INT_EQ(WEXITSTATUS(status), 0);
}

/* /sys shows the namespace it was mounted in, so ask the kernel directly: IFF_RUNNING is set once
 * the link is up with carrier (for veth: both ends up). 0 or -ETIMEDOUT after 3 s. */
static inline int wait_running(const char *ifname) {
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {};

        if (s < 0)
                return -errno;
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
        for (int i = 0; i < 300; i++) {
                if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                        return -errno;
                if (ifr.ifr_flags & IFF_RUNNING)
                        return 0;
                usleep(10 * 1000);
        }
        return -ETIMEDOUT;
}
