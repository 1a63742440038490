/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Fuzz target for the rtnetlink parsers: the input is read like one recvmsg() worth of netlink
 * messages and every message is handed to each parser. Whatever they accept must satisfy the
 * header's promises (bounded lengths, terminated names, sane prefix lengths), and an accepted
 * neighbour that can be answered must survive the builder and come back unchanged.
 */

#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "netlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_neigh(const struct nl_neigh *n) {
        _Alignas(8) uint8_t out[256];
        struct nl_neigh back;
        int len;

        if (n->family != AF_INET && n->family != AF_INET6)
                abort();
        if (n->lladdr.len > LLADDR_MAX || (n->has_lladdr && n->lladdr.len == 0))
                abort();
        if (n->type != RTM_NEWNEIGH && n->type != RTM_DELNEIGH && n->type != RTM_GETNEIGH)
                abort();

        if (!n->has_dst || !n->has_lladdr || n->ifindex <= 0)
                return;
        struct nl_neigh_answer a = {
                .ifindex = n->ifindex,
                .family = n->family,
                .dst = n->dst,
                .lladdr = n->lladdr,
                .flags = n->flags,
                .ext_flags = n->ext_flags,
                .protocol = n->protocol,
        };
        len = nl_build_neigh_answer(out, sizeof(out), n->nlmsg_seq, &a, true);
        if (len <= 0 || (size_t) len > sizeof(out))
                abort();
        if (nl_parse_neigh((const struct nlmsghdr *) out, &back) < 0)
                abort();
        if (back.ifindex != n->ifindex || back.family != n->family || back.state != NUD_STALE ||
            !in_addr_equal(n->family, &back.dst, &n->dst) || !lladdr_equal(&back.lladdr, &n->lladdr))
                abort();
}

static void check_link(const struct nl_link *l) {
        if (!memchr(l->ifname, '\0', sizeof(l->ifname)) || l->ifname[0] == '\0')
                abort();
        if (l->hwaddr.len > LLADDR_MAX || l->ifindex <= 0)
                abort();
}

static void check_addr(const struct nl_addr *a) {
        size_t size = family_addr_size(a->prefix.family);

        if (size == 0 || a->prefix.prefixlen > size * 8 || a->ifindex <= 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ void *copy = NULL;
        const struct nlmsghdr *nlh;
        int len;

        if (size == 0 || size > 1024 * 1024)
                return 0;

        /* A heap block of exactly the input's size (and malloc's alignment, like a receive
         * buffer), so the sanitizer sees any read past the end. */
        copy = malloc(size);
        if (!copy)
                return 0;
        memcpy(copy, data, size);

        len = (int) size;
        for (nlh = copy; nl_msg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
                struct nl_neigh n;
                struct nl_link l;
                struct nl_addr a;

                if (nl_parse_neigh(nlh, &n) == 0)
                        check_neigh(&n);
                if (nl_parse_link(nlh, &l) == 0)
                        check_link(&l);
                if (nl_parse_addr(nlh, &a) == 0)
                        check_addr(&a);
        }
        return 0;
}
