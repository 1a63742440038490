/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The control endpoint on a real socket in a temporary directory, driven by its Manager's event
 * loop: a connection that makes no call (here: not even the D-Bus handshake) is closed after the
 * idle timeout, and closing it never waits for the peer; listing pages for callers other than
 * root wait for their turn (Pacing), root's never do, and a paced listing still returns every
 * entry once; every page is short (at most CONTROL_LIST_PAGE_MAX entries, fewer in ListEntries).
 */

#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "arpd-control.h"
#include "arpd-manager.h"
#include "entry-format.h"
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

/* A manager on a new store tmpdir/dbname with n static entries on a0 (first_ip + i, host order)
 * and its endpoint at tmpdir/sockname (written to sock). False (and a failed check) if any step
 * fails. Declare *m before *ctl, both with their cleanup, so the endpoint goes first. */
static bool start_endpoint(const char *dbname, const char *sockname, unsigned n, uint32_t first_ip, char sock[static 256],
                           Manager **m, Control **ctl) {
        char db[256];

        snprintf(db, sizeof(db), "%s/%s", tmpdir, dbname);
        snprintf(sock, 256, "%s/%s", tmpdir, sockname);
        char *argv[] = { (char *) "arpd", (char *) "-b", db, (char *) "--control-socket=", NULL };
        arpd_options_done(&opts); /* the previous test's */
        optind = 0;
        CHECK_INT_EQ(arpd_options_parse((int) ELEMENTSOF(argv) - 1, argv, NULL, &opts, stdout, stderr), 0);
        CHECK_INT_EQ(manager_new(&opts, m), 0);
        if (!*m)
                return false;
        CHECK_INT_EQ(manager_open_store(*m), 0);
        CHECK_INT_EQ(manager_setup_timers(*m), 0);
        for (unsigned i = 0; i < n; i++) {
                struct neigh_key k;
                union in_addr_union a = { .in.s_addr = htobe32(first_ip + i) };
                struct lladdr ll = { .len = 6, .bytes = { 0x02, 0, 0, 0, (uint8_t) (i >> 8), (uint8_t) i } };
                CHECK_INT_EQ(neigh_key_make(&k, "a0", AF_INET, &a), 0);
                CHECK_INT_EQ(manager_add_static(*m, &k, &ll), 0);
        }
        CHECK_INT_EQ(control_new(*m, sock, ctl), 0);
        return *ctl != NULL;
}

static void test_idle_closed(void) {
        char sock[256];
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(control_freep) Control *ctl = NULL; /* freed before the manager it observes */

        if (!start_endpoint("store.lmdb", "run/bus", 0, 0, sock, &m, &ctl))
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

/* In a child (uid as given): lists the store page by page (limit entries per call) and exits
 * with the number of entries read, or 255 on any error. */
static int child_list(const char *sock, uid_t uid, unsigned limit) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        char address[300], cursor[256] = "";
        unsigned n = 0;

        if (uid != 0 && (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0))
                return 255;
        snprintf(address, sizeof(address), "unix:path=%s", sock);
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 || sd_bus_start(bus) < 0)
                return 255;
        for (int page = 0; page < 100; page++) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                const void *data;
                const char *next;
                size_t size;

                if (sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "ListEntriesPacked", &e, &reply,
                                       "susssu", "", (uint32_t) 0, "any", "", cursor, (uint32_t) limit) < 0)
                        return 255;
                if (sd_bus_message_read_array(reply, 'y', &data, &size) < 0 || sd_bus_message_read(reply, "s", &next) < 0)
                        return 255;
                n += (unsigned) (size / ENTRY_PACKED_SIZE);
                if (next[0] == '\0')
                        return (int) n;
                snprintf(cursor, sizeof(cursor), "%s", next);
        }
        return 255;
}

/* Runs the loop until the child exits; returns its exit status. */
static int wait_child(Manager *m, pid_t pid) {
        int status = 0;

        for (int i = 0; i < 1000; i++) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                CHECK(w >= 0);
                if (w == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                CHECK(sd_event_run(m->event, 10 * USEC_PER_MSEC) >= 0);
        }
        kill(pid, SIGKILL);
        (void) waitpid(pid, &status, 0);
        return -1;
}

static void test_list_paced(void) {
        char sock[256];
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(control_freep) Control *ctl = NULL;

        if (!start_endpoint("paced.lmdb", "run2/bus", 40, 0xc612000au /* 198.18.0.10 */, sock, &m, &ctl))
                return;
        /* the socket's directory must let uid 65534 reach it */
        char dir[256];
        snprintf(dir, sizeof(dir), "%s/run2", tmpdir);
        CHECK(chmod(tmpdir, 0755) == 0 && chmod(dir, 0755) == 0);
        control_set_list_min_wait(ctl, 20 * USEC_PER_MSEC); /* so that the next call surely comes early */

        /* root: 10 pages of 4, none waits */
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
                _exit(child_list(sock, 0, 4));
        CHECK_INT_EQ(wait_child(m, pid), 40);
        CHECK_INT_EQ(control_list_deferred(ctl), 0);

        /* an unprivileged user: the same listing, every entry once, and its pages after the
         * first wait for their turn */
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
                _exit(child_list(sock, 65534, 4));
        CHECK_INT_EQ(wait_child(m, pid), 40);
        CHECK(control_list_deferred(ctl) >= 1);
}

/* In a child (root): the number of entries in the first page of a listing that asks for limit,
 * packed or not, written to fd; exits 0, or 255 on any error. */
static int child_first_page(const char *sock, bool packed, unsigned limit, int fd) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char address[300];
        unsigned n = 0;
        int r;

        snprintf(address, sizeof(address), "unix:path=%s", sock);
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 || sd_bus_start(bus) < 0)
                return 255;
        if (sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, packed ? "ListEntriesPacked" : "ListEntries",
                               &e, &reply, "susssu", "", (uint32_t) 0, "any", "", "", (uint32_t) limit) < 0)
                return 255;
        if (packed) {
                const void *data;
                size_t size;

                if (sd_bus_message_read_array(reply, 'y', &data, &size) < 0)
                        return 255;
                n = (unsigned) (size / ENTRY_PACKED_SIZE);
        } else {
                if (sd_bus_message_enter_container(reply, 'a', ENTRY_BUS_SIGNATURE) < 0)
                        return 255;
                while ((r = sd_bus_message_skip(reply, ENTRY_BUS_SIGNATURE)) > 0)
                        n++;
                if (r < 0 || sd_bus_message_exit_container(reply) < 0)
                        return 255;
        }
        const char *next;
        if (sd_bus_message_read(reply, "s", &next) < 0 || next[0] == '\0') /* more to come: a cursor */
                return 255;
        return write(fd, &n, sizeof(n)) == sizeof(n) ? 0 : 255;
}

static unsigned first_page(Manager *m, const char *sock, bool packed, unsigned limit) {
        int p[2];
        unsigned n = 0;

        CHECK(pipe(p) == 0);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
                _exit(child_first_page(sock, packed, limit, p[1]));
        close(p[1]);
        CHECK_INT_EQ(wait_child(m, pid), 0);
        CHECK(read(p[0], &n, sizeof(n)) == sizeof(n));
        close(p[0]);
        return n;
}

/* Every page is short whoever asks, root too: at most CONTROL_LIST_PAGE_MAX entries in the packed
 * form and CONTROL_LIST_PAGE_MAX_UNPACKED in ListEntries (five times the cost per entry), so that
 * one page is one short step of the loop; the cursor resumes. */
static void test_list_page_bound(void) {
        char sock[256];
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(control_freep) Control *ctl = NULL;

        if (!start_endpoint("pages.lmdb", "run3/bus", CONTROL_LIST_PAGE_MAX + 40, 0xc6120100u /* 198.18.1.0 */, sock, &m,
                            &ctl))
                return;
        CHECK_INT_EQ(first_page(m, sock, true, CONTROL_LIST_LIMIT_MAX), CONTROL_LIST_PAGE_MAX);
        CHECK_INT_EQ(first_page(m, sock, false, CONTROL_LIST_LIMIT_MAX), CONTROL_LIST_PAGE_MAX_UNPACKED);
        CHECK_INT_EQ(first_page(m, sock, true, 10), 10); /* fewer, when the caller asks for fewer */
}

/* 0 = never: an idle connection stays open. */
static void test_idle_never(void) {
        char sock[256];
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(control_freep) Control *ctl = NULL; /* freed before the manager it observes */

        if (!start_endpoint("store-never.lmdb", "run/bus-never", 0, 0, sock, &m, &ctl))
                return;
        control_set_idle_timeout(ctl, 0);

        _cleanup_close_ int fd = connect_to(sock);
        run_for(m, 800 * USEC_PER_MSEC);
        CHECK(!closed_by_server(fd));
        CHECK_INT_EQ(control_n_clients(ctl), 1);
}

int main(void) {
        char cmd[128];

        CHECK(mkdtemp(tmpdir) != NULL);
        log_set_max_level(LOG_WARNING);
        TEST_RUN(test_idle_closed);
        TEST_RUN(test_list_paced);
        TEST_RUN(test_list_page_bound);
        TEST_RUN(test_idle_never);
        arpd_options_done(&opts);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        CHECK(system(cmd) == 0);
        TEST_EXIT();
}
