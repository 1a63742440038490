/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The small rules the edges share: interface names (ifname-util), the directories a socket may be
 * created in (fs-util), and the control methods' argument decoding with its field-naming errors
 * (control-args).
 */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control-args.h"
#include "control-protocol.h"
#include "fs-util.h"
#include "ifname-util.h"
#include "tests.h"

static void test_ifname(void) {
        CHECK(ifname_valid("eth0"));
        CHECK(ifname_valid("a"));
        CHECK(ifname_valid("0eth"));               /* the kernel allows a leading digit */
        CHECK(ifname_valid("vlan.100"));
        CHECK(ifname_valid("123456789012345"));    /* 15 bytes */
        CHECK(!ifname_valid("1234567890123456"));  /* 16 */
        CHECK(!ifname_valid(""));
        CHECK(!ifname_valid(NULL));
        CHECK(!ifname_valid("."));
        CHECK(!ifname_valid(".."));
        CHECK(ifname_valid("..."));
        CHECK(!ifname_valid("a/b"));
        CHECK(!ifname_valid("a:b"));
        CHECK(!ifname_valid("a b"));
        CHECK(!ifname_valid("a\tb"));
        CHECK(!ifname_valid("a\nb"));
        CHECK(!ifname_valid("a\x7f"));
        CHECK(!ifname_valid("\x1b[31m"));
        CHECK(ifname_valid_n("eth0xyz", 4));
        CHECK(!ifname_valid_n("et\0h", 4));
}

static void test_dirs(void) {
        char top[] = "/tmp/test-fs-util-XXXXXX", p[512], bad[4096];
        uid_t uid = 0;
        mode_t mode = 0;

        CHECK(mkdtemp(top) != NULL);
        CHECK(chmod(top, 0755) == 0);
        snprintf(p, sizeof(p), "%s/a/b/sock", top);
        CHECK_INT_EQ(path_check_parents_private(p, geteuid(), bad, &uid, &mode), 0); /* a/ missing: fine */
        CHECK_INT_EQ(mkdir_parents(p, 0755), 2);
        CHECK_INT_EQ(mkdir_parents(p, 0755), 0);
        CHECK_INT_EQ(path_check_parents_private(p, geteuid(), bad, &uid, &mode), 0);

        /* the socket's own directory writable by others: refused, and named */
        snprintf(p, sizeof(p), "%s/a/b", top);
        CHECK(chmod(p, 0777) == 0);
        snprintf(p, sizeof(p), "%s/a/b/sock", top);
        CHECK_INT_EQ(path_check_parents_private(p, geteuid(), bad, &uid, &mode), -EPERM);
        CHECK_INT_EQ(mode, 0777);
        CHECK(strstr(bad, "/a/b") != NULL);
        /* sticky helps an ancestor, never the socket's own directory */
        snprintf(p, sizeof(p), "%s/a/b", top);
        CHECK(chmod(p, 01777) == 0);
        snprintf(p, sizeof(p), "%s/a/b/sock", top);
        CHECK_INT_EQ(path_check_parents_private(p, geteuid(), bad, NULL, NULL), -EPERM);
        snprintf(p, sizeof(p), "%s/a/b/c/sock", top);
        CHECK_INT_EQ(path_check_parents_private(p, geteuid(), bad, NULL, NULL), 0);
        /* a symlink on the way is refused */
        snprintf(p, sizeof(p), "%s/a/link", top);
        snprintf(bad, sizeof(bad), "%s/a/b", top);
        CHECK(symlink(bad, p) == 0);
        snprintf(p, sizeof(p), "%s/a/link/sock", top);
        CHECK_INT_EQ(path_check_parents_private(p, geteuid(), bad, NULL, NULL), -ELOOP);

        rmdir_parents(p, 0);
        snprintf(p, sizeof(p), "rm -rf '%s'", top);
        CHECK(system(p) == 0);
}

static void test_args(void) {
        struct control_error e = {};
        struct control_list_args a;
        struct neigh_key k;
        struct lladdr ll;
        struct entry_filter f;

        CHECK_INT_EQ(control_args_key("a0", "198.18.0.5", &k, &e), 0);
        CHECK_INT_EQ(k.family, AF_INET);
        CHECK_INT_EQ(control_args_key("a/0", "198.18.0.5", &k, &e), -EINVAL);
        CHECK_STR_EQ(e.field, "interface");
        CHECK_STR_EQ(e.message, "Invalid interface name 'a/0' (field 'interface').");
        CHECK_INT_EQ(control_args_key("a0", "198.18.0.500", &k, &e), -EINVAL);
        CHECK_STR_EQ(e.field, "address");
        CHECK_INT_EQ(control_args_key("a\x1b", "x", &k, &e), -EINVAL);
        CHECK(strchr(e.message, '\x1b') == NULL); /* shown as '?' */

        CHECK_INT_EQ(control_args_static("a0", "2001:db8::1", "02:00:5e:10:00:01", 0, &k, &ll, &e), 0);
        CHECK_INT_EQ(ll.len, 6);
        CHECK_INT_EQ(control_args_static("a0", "2001:db8::1", "01:00:5e:10:00:01", 0, &k, &ll, &e), -EINVAL);
        CHECK_STR_EQ(e.field, "lladdr");
        CHECK_INT_EQ(control_args_static("a0", "2001:db8::1", "00:00:00:00:00:00", 0, &k, &ll, &e), -EINVAL);

        CHECK_INT_EQ(control_args_list("", 0, "", "", "", 0, &a, &e), 0);
        CHECK_INT_EQ(a.limit, CONTROL_LIST_LIMIT_DEFAULT);
        CHECK(!a.has_after && !a.filter.has_prefix && a.filter.ifname[0] == '\0');
        CHECK_INT_EQ(control_args_list("a0", 6, "negative", "2001:db8::/32", "a0/2001:db8::9", 10, &a, &e), 0);
        CHECK(a.has_after && a.filter.has_prefix && a.filter.family == AF_INET6 && a.limit == 10);
        CHECK_INT_EQ(control_args_list("", 5, "", "", "", 0, &a, &e), -EINVAL);
        CHECK_STR_EQ(e.field, "family");
        CHECK_INT_EQ(control_args_list("", 0, "sometimes", "", "", 0, &a, &e), -EINVAL);
        CHECK_STR_EQ(e.field, "state");
        CHECK_INT_EQ(control_args_list("", 0, "", "198.18.0.0/33", "", 0, &a, &e), -EINVAL);
        CHECK_STR_EQ(e.field, "prefix");
        CHECK_INT_EQ(control_args_list("", 0, "", "", "nope", 0, &a, &e), -EINVAL);
        CHECK_STR_EQ(e.field, "cursor");
        CHECK_INT_EQ(control_args_list("", 0, "", "", "", CONTROL_LIST_LIMIT_MAX + 1, &a, &e), -EINVAL);
        CHECK_STR_EQ(e.field, "limit");

        CHECK_INT_EQ(control_args_flush("", "learned", &f, &e), 0);
        CHECK_INT_EQ(control_args_flush("..", "", &f, &e), -EINVAL);
        CHECK_INT_EQ(control_args_interface("", &e), 0);
        CHECK_INT_EQ(control_args_interface("eth0", &e), 0);
        CHECK_INT_EQ(control_args_interface("eth 0", &e), -EINVAL);
}

int main(void) {
        TEST_RUN(test_ifname);
        TEST_RUN(test_dirs);
        TEST_RUN(test_args);
        TEST_EXIT();
}
