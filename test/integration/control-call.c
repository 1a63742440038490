/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Test helper: calls AddStatic on an arpd control socket over a connection that another process
 * opened. Usage: control-call SOCKET IFACE ADDRESS MAC [--handoff]
 *
 * With --handoff the connecting process forks and exits at once; the child waits until it is gone,
 * drops every capability and its uid (to 65534), and only then makes the call on the inherited
 * connection: the credentials arpd sees are those of a process that no longer exists.
 * Prints the D-Bus error name (or "ok") and exits 0 on success, 1 on a refusal, 2 on misuse.
 */

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "control-protocol.h"

static int drop_everything(void) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        (void) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                return -errno;
        if (syscall(SYS_capset, &h, d) < 0)
                return -errno;
        return 0;
}

int main(int argc, char **argv) {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        bool handoff = argc == 6 && strcmp(argv[5], "--handoff") == 0;
        int fd, r;

        if ((argc != 5 && !handoff) || strlen(argv[1]) >= sizeof(addr.sun_path)) {
                fprintf(stderr, "usage: control-call SOCKET IFACE ADDRESS MAC [--handoff]\n");
                return 2;
        }
        strcpy(addr.sun_path, argv[1]);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
                perror("connect");
                return 2;
        }
        if (handoff) {
                pid_t parent = getpid(), pid = fork();

                if (pid < 0)
                        return 2;
                if (pid > 0)
                        _exit(0); /* the process that connected is gone */
                for (int i = 0; i < 500 && kill(parent, 0) == 0; i++)
                        usleep(10000);
                if (drop_everything() < 0) {
                        perror("dropping privileges");
                        return 2;
                }
        }
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, fd, fd);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "AddStatic", &e, NULL, "sss",
                                       argv[2], argv[3], argv[4]);
        if (r < 0) {
                printf("%s: %s\n", e.name ? e.name : "error", e.message ? e.message : strerror(-r));
                sd_bus_error_free(&e);
                sd_bus_flush_close_unref(bus);
                return 1;
        }
        printf("ok\n");
        sd_bus_flush_close_unref(bus);
        return 0;
}
