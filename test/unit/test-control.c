/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The control endpoint on a real socket in a temporary directory, driven by its Manager's event
 * loop: a connection that makes no call (here: not even the D-Bus handshake) is closed after the
 * idle timeout, and closing it never waits for the peer.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "arpd-control.h"
#include "arpd-manager.h"
#include "macro.h"
#include "tests.h"

static char tmpdir[] = "/tmp/test-control-XXXXXX";
static struct arpd_options opts;

static int connect_to(const char *path) {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        CHECK(fd >= 0);
        CHECK(strlen(path) < sizeof(addr.sun_path));
        memcpy(addr.sun_path, path, strlen(path) + 1);
        CHECK(connect(fd, (struct sockaddr *) &addr, sizeof(addr)) == 0);
        return fd;
}

/* True once the server closed fd (EOF). */
static bool closed_by_server(int fd) {
        char c;
        ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

        return n == 0;
}

static void run_for(Manager *m, usec_t usec) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + usec;

        while (now_usec(CLOCK_MONOTONIC) < end)
                CHECK(sd_event_run(m->event, 10 * USEC_PER_MSEC) >= 0);
}

static void test_idle_closed(void) {
        char db[256], sock[256];
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(control_freep) Control *ctl = NULL; /* freed before the manager it observes */

        snprintf(db, sizeof(db), "%s/store.lmdb", tmpdir);
        snprintf(sock, sizeof(sock), "%s/run/bus", tmpdir);
        char *argv[] = { (char *) "arpd", (char *) "-b", db, (char *) "--control-socket=", NULL };
        optind = 0;
        CHECK_INT_EQ(arpd_options_parse((int) ELEMENTSOF(argv) - 1, argv, NULL, &opts, stdout, stderr), 0);
        CHECK_INT_EQ(manager_new(&opts, &m), 0);
        if (!m)
                return;
        CHECK_INT_EQ(manager_open_store(m), 0);
        CHECK_INT_EQ(manager_setup_timers(m), 0);
        CHECK_INT_EQ(control_new(m, sock, &ctl), 0);
        if (!ctl)
                return;
        control_set_idle_timeout(ctl, 300 * USEC_PER_MSEC);

        _cleanup_close_ int fd = connect_to(sock);
        run_for(m, 100 * USEC_PER_MSEC);
        CHECK_INT_EQ(control_n_clients(ctl), 1);
        CHECK(!closed_by_server(fd));
        run_for(m, 500 * USEC_PER_MSEC);
        CHECK(closed_by_server(fd));
        CHECK_INT_EQ(control_n_clients(ctl), 0);
}

int main(void) {
        char cmd[128];

        CHECK(mkdtemp(tmpdir) != NULL);
        log_set_max_level(LOG_WARNING);
        TEST_RUN(test_idle_closed);
        arpd_options_done(&opts);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        CHECK(system(cmd) == 0);
        TEST_EXIT();
}
