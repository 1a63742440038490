/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Fuzzes the decoding of the control methods' arguments (control-args.h), as a D-Bus client could
 * send them: two 32-bit numbers (family, limit) from its first 8 bytes, then the rest split at
 * '\n' into the string arguments (interface, address or state, lladdr or prefix, cursor).
 * Whatever is accepted must be what the rules say: a valid interface name (or "" where allowed), a
 * family and limit in range, a cursor that formats back to a key; whatever is refused must name a
 * field and say something.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control-args.h"
#include "control-protocol.h"
#include "ifname-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what) {
        fprintf(stderr, "fuzz-control-args: %s\n", what);
        abort();
}

static void check_error(int r, const struct control_error *e) {
        if (r != -EINVAL)
                fail("unexpected return value");
        if (!e->field || e->message[0] == '\0' || !strstr(e->message, e->field))
                fail("an error that does not name its field");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s[4] = { (char *) "", (char *) "", (char *) "", (char *) "" };
        uint32_t family = 0, limit = 0;
        char *copy;
        size_t n = 0;
        int r;

        if (size > 4096)
                return 0;
        if (size >= 8) {
                memcpy(&family, data, 4);
                memcpy(&limit, data + 4, 4);
                family %= 8;     /* mostly small numbers, some valid */
                limit %= 8192;
                data += 8;
                size -= 8;
        }
        copy = malloc(size + 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = '\0';
        /* sd-bus delivers strings without NULs: cut there */
        for (char *p = copy, *start = copy; n < 4; p++)
                if (*p == '\n' || *p == '\0') {
                        bool end = *p == '\0';
                        *p = '\0';
                        s[n++] = start;
                        start = p + 1;
                        if (end)
                                break;
                }

        struct control_error e = {};
        struct neigh_key k;
        struct lladdr ll;
        struct control_list_args la;
        struct entry_filter f;

        r = control_args_key(s[0], s[1], &k, &e);
        if (r == 0 && (!ifname_valid(s[0]) || (k.family != AF_INET && k.family != AF_INET6)))
                fail("accepted a bad key");
        if (r < 0)
                check_error(r, &e);

        r = control_args_static(s[0], s[1], s[2], 0, &k, &ll, &e);
        if (r == 0 && (ll.len == 0 || lladdr_is_zero(&ll) || lladdr_is_multicast(&ll)))
                fail("accepted a link-layer address no static entry may have");
        if (r < 0)
                check_error(r, &e);

        r = control_args_list(s[0], family, s[1], s[2], s[3], limit, &la, &e);
        if (r == 0) {
                if ((s[0][0] != '\0' && !ifname_valid(la.filter.ifname)) || strcmp(la.filter.ifname, s[0]) != 0)
                        fail("accepted a bad interface filter");
                if (family != 0 && family != 4 && family != 6)
                        fail("accepted a bad family");
                if (la.limit == 0 || la.limit > CONTROL_LIST_LIMIT_MAX || (limit != 0 && la.limit != limit))
                        fail("wrong limit");
                if (la.has_after) {
                        char buf[ENTRY_CURSOR_MAX];
                        struct neigh_key again;
                        if (entry_cursor_parse(entry_cursor_format(&la.after, buf), &again) != 0 ||
                            !neigh_key_equal(&again, &la.after))
                                fail("a cursor that does not round-trip");
                }
        } else
                check_error(r, &e);

        r = control_args_flush(s[0], s[1], &f, &e);
        if (r < 0)
                check_error(r, &e);
        r = control_args_interface(s[0], &e);
        if (r < 0)
                check_error(r, &e);
        else if (s[0][0] != '\0' && !ifname_valid(s[0]))
                fail("accepted a bad interface");
        free(copy);
        return 0;
}
