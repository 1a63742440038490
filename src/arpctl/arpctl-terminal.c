/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arpctl-terminal.h"

static pid_t pager_pid = -1;
static bool stderr_redirected;

static int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

bool colors_enabled(void) {
        const char *e = getenv("SYSTEMD_COLORS"), *term = getenv("TERM");

        if (e) {
                int b = parse_boolean(e);

                if (b >= 0)
                        return b;
                if (strcmp(e, "16") == 0 || strcmp(e, "256") == 0 || strcmp(e, "24bit") == 0)
                        return true;
                /* anything else: as if unset */
        }
        if (getenv("NO_COLOR"))
                return false;
        if (term && strcmp(term, "dumb") == 0)
                return false;
        return isatty(STDOUT_FILENO);
}

/* The pager command from the environment: 1 with *ret set (NULL: look in PATH), 0 for none. */
static int pager_command(const char **ret) {
        const char *e = getenv("SYSTEMD_PAGER");

        if (!e)
                e = getenv("PAGER");
        if (e && (e[0] == '\0' || strcmp(e, "cat") == 0))
                return 0;
        *ret = e;
        return 1;
}

/* In the pager's process when no pager could be run: pass the output through. */
_Noreturn static void copy_through(void) {
        char buf[65536];
        ssize_t n;

        while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(STDOUT_FILENO, buf + off, (size_t) (n - off));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w <= 0)
                                _exit(EXIT_FAILURE);
                        off += w;
                }
        _exit(n < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

void pager_open(bool enabled) {
        const char *cmd = NULL;
        struct stat out, err;
        int fd[2];
        pid_t pid;

        if (!enabled || pager_pid > 0 || !isatty(STDOUT_FILENO) || pager_command(&cmd) == 0)
                return;
        fflush(stdout);
        if (pipe2(fd, O_CLOEXEC) < 0)
                return; /* unpaged, as without a terminal */
        pid = fork();
        if (pid < 0) {
                close(fd[0]);
                close(fd[1]);
                return;
        }
        if (pid == 0) {
                const char *less = getenv("SYSTEMD_LESS");

                if (dup2(fd[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                close(fd[0]);
                close(fd[1]);
                (void) setenv("LESS", less ? less : "FRXMK", 0);
                (void) setenv("LESSCHARSET", "utf-8", 0);
                (void) signal(SIGPIPE, SIG_DFL);
                if (cmd)
                        execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
                else {
                        execlp("pager", "pager", (char *) NULL);
                        execlp("less", "less", (char *) NULL);
                        execlp("more", "more", (char *) NULL);
                }
                copy_through();
        }
        /* Standard error joins the pager only when it is the same terminal as standard output. */
        bool same_tty = isatty(STDERR_FILENO) && fstat(STDOUT_FILENO, &out) == 0 && fstat(STDERR_FILENO, &err) == 0 &&
                        out.st_rdev == err.st_rdev;
        if (dup2(fd[1], STDOUT_FILENO) < 0 || (same_tty && dup2(fd[1], STDERR_FILENO) < 0)) {
                /* stdout may be lost: stop the pager and give up rather than write nowhere */
                close(fd[0]);
                close(fd[1]);
                kill(pid, SIGTERM);
                (void) waitpid(pid, NULL, 0);
                return;
        }
        close(fd[0]);
        close(fd[1]);
        (void) signal(SIGPIPE, SIG_IGN);
        pager_pid = pid;
        stderr_redirected = same_tty;
}

void pager_close(void) {
        if (pager_pid <= 0)
                return;
        fflush(stdout);
        fflush(stderr);
        /* The pager reads until every write end is closed. */
        (void) close(STDOUT_FILENO);
        if (stderr_redirected)
                (void) close(STDERR_FILENO);
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pager_pid = -1;
}

bool terminal_write_failed_quietly(int r) {
        return r == -EPIPE;
}
