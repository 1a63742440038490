/* SPDX-License-Identifier: GPL-2.0-or-later */
/* arpctl-metrics.h: the Prometheus text format as the textfile collector and promlint want it —
 * one block per family with HELP and TYPE, _total once on counters, sorted samples, label values
 * escaped (interface names may hold '"' and '\'), series from several daemons added up. */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arpctl-metrics.h"
#include "macro.h"
#include "tests.h"

static char *render(Metrics *m) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        metrics_write(f, m);
        fclose(f);
        return buf;
}

static void test_format(void) {
        Metrics *m = metrics_new();
        char *out;

        CHECK(m != NULL);
        CHECK_INT_EQ(metrics_add_counter(m, "b0", "requests_received", 5), 0);
        CHECK_INT_EQ(metrics_add_counter(m, "a0", "requests_received", 7), 0);
        CHECK_INT_EQ(metrics_add_counter(m, "a0", "arp_new", 1), 0);
        CHECK_INT_EQ(metrics_add_counter(m, "*", "requests_received", 2), 0);
        CHECK_INT_EQ(metrics_add_counter(m, "*", "requests_received", 3), 0); /* a second daemon */
        CHECK_INT_EQ(metrics_add_counter(m, "a0", "future_total", 4), 0);
        CHECK_INT_EQ(metrics_add_counter(m, "a0", "Odd-Name", 1), 0);
        CHECK_INT_EQ(metrics_add_entries(m, "a\"0\\", RECORD_STATIC, 9), 0);
        CHECK_INT_EQ(metrics_add_daemon(m, "/run/arpd/a0/bus", true), 0);
        out = render(m);
        CHECK_STR_EQ(out,
                     "# HELP arpd_arp_new_total arpd's counter arp_new per interface (\"*\": not tied to one); see arpd(8), STATISTICS.\n"
                     "# TYPE arpd_arp_new_total counter\n"
                     "arpd_arp_new_total{interface=\"a0\"} 1\n"
                     "# HELP arpd_daemon_up Whether an arpd answered on this control socket (1) or not (0).\n"
                     "# TYPE arpd_daemon_up gauge\n"
                     "arpd_daemon_up{socket=\"/run/arpd/a0/bus\"} 1\n"
                     "# HELP arpd_future_total arpd's counter future per interface (\"*\": not tied to one); see arpd(8), STATISTICS.\n"
                     "# TYPE arpd_future_total counter\n"
                     "arpd_future_total{interface=\"a0\"} 4\n"
                     "# HELP arpd_odd_name_total arpd's counter odd_name per interface (\"*\": not tied to one); see arpd(8), STATISTICS.\n"
                     "# TYPE arpd_odd_name_total counter\n"
                     "arpd_odd_name_total{interface=\"a0\"} 1\n"
                     "# HELP arpd_requests_received_total arpd's counter requests_received per interface (\"*\": not tied to one); see arpd(8), STATISTICS.\n"
                     "# TYPE arpd_requests_received_total counter\n"
                     "arpd_requests_received_total{interface=\"*\"} 5\n"
                     "arpd_requests_received_total{interface=\"a0\"} 7\n"
                     "arpd_requests_received_total{interface=\"b0\"} 5\n"
                     "# HELP arpd_store_entries Entries in arpd's store, by interface and state.\n"
                     "# TYPE arpd_store_entries gauge\n"
                     "arpd_store_entries{interface=\"a\\\"0\\\\\",state=\"static\"} 9\n");
        free(out);
        metrics_free(m);
}

static void test_write_file(void) {
        char dir[] = "/tmp/test-arpctl-metrics-XXXXXX", path[128], *text;
        Metrics *m = metrics_new();
        struct stat st;
        FILE *f;

        CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/arpd.prom", dir);
        CHECK_INT_EQ(metrics_add_daemon(m, "/x", false), 0);
        CHECK_INT_EQ(metrics_write_file(path, m), 0);
        CHECK_INT_EQ(stat(path, &st), 0);
        CHECK_INT_EQ(st.st_mode & 07777, 0644);
        f = fopen(path, "re");
        CHECK(f != NULL);
        char buf[512] = "";
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        if (f)
                fclose(f);
        buf[n] = '\0';
        text = render(m);
        CHECK_STR_EQ(buf, text);
        free(text);
        /* a directory that does not exist: an error, nothing written */
        char bad[160];
        snprintf(bad, sizeof(bad), "%s/nodir/arpd.prom", dir);
        CHECK(metrics_write_file(bad, m) < 0);
        CHECK_INT_EQ(unlink(path), 0);
        CHECK_INT_EQ(rmdir(dir), 0); /* empty: no temporary file left */
        metrics_free(m);
}

int main(void) {
        TEST_RUN(test_format);
        TEST_RUN(test_write_file);
        TEST_EXIT();
}
