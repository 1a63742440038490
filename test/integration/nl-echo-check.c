/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * nl-echo-check IFNAME ADDR_OWN ADDR_OTHER filter|nofilter: opens arpd's two rtnetlink sockets
 * (nl_open_events(), nl_open_command()) in the current network namespace and, with "filter",
 * attaches nl_filter_own_echoes() for the command socket's port id, as the daemon does. Then it
 * adds a neighbour entry for ADDR_OWN on IFNAME through the command socket (as arpd's answers
 * go) and one for ADDR_OTHER through a third socket (another process, e.g. `ip neigh`), waits for
 * both acknowledgements and prints, for the RTM_NEWNEIGH events the event socket received within
 * 300 ms: "own N" and "other N". With "foreign" it attaches nl_filter_events() with IFNAME as a
 * foreign interface instead (an arpd instance serving another one): both counts must be 0. A test
 * helper for test-netlink-echo-filter.sh.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "netlink.h"

static int add_neigh(struct mnl_socket *nl, unsigned ifindex, const char *addr, uint32_t seq) {
        uint8_t buf[512];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ndmsg *nd;
        struct in_addr dst;
        const uint8_t mac[6] = { 0x02, 0xbb, 0, 0, 0, 0x42 };

        if (inet_pton(AF_INET, addr, &dst) != 1)
                return -EINVAL;
        nlh->nlmsg_type = RTM_NEWNEIGH;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK;
        nlh->nlmsg_seq = seq;
        nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
        nd->ndm_family = AF_INET;
        nd->ndm_ifindex = (int) ifindex;
        nd->ndm_state = NUD_STALE;
        mnl_attr_put(nlh, NDA_DST, sizeof(dst), &dst);
        mnl_attr_put(nlh, NDA_LLADDR, sizeof(mac), mac);
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        /* the acknowledgement (or the kernel's error) */
        for (int i = 0; i < 100; i++) {
                struct pollfd p = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
                if (poll(&p, 1, 20) <= 0)
                        continue;
                ssize_t got = mnl_socket_recvfrom(nl, buf, sizeof(buf));
                if (got < 0)
                        return -errno;
                int n = (int) got;
                for (const struct nlmsghdr *h = (const void *) buf; mnl_nlmsg_ok(h, n); h = mnl_nlmsg_next(h, &n))
                        if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seq)
                                return ((const struct nlmsgerr *) mnl_nlmsg_get_payload(h))->error;
        }
        return -ETIMEDOUT;
}

int main(int argc, char **argv) {
        struct mnl_socket *events = NULL, *cmd = NULL, *other = NULL;
        static uint8_t buf[65536];
        unsigned own = 0, others = 0;
        int r;

        if (argc != 5 || (strcmp(argv[4], "filter") != 0 && strcmp(argv[4], "nofilter") != 0 &&
                          strcmp(argv[4], "foreign") != 0)) {
                fprintf(stderr, "usage: nl-echo-check IFNAME ADDR_OWN ADDR_OTHER filter|nofilter|foreign\n");
                return 2;
        }
        unsigned ifindex = if_nametoindex(argv[1]);
        if (ifindex == 0) {
                fprintf(stderr, "nl-echo-check: no interface %s\n", argv[1]);
                return 1;
        }
        if (nl_open_events(0, &events) < 0 || nl_open_command(0, &cmd) < 0 || nl_open_command(0, &other) < 0) {
                fprintf(stderr, "nl-echo-check: cannot open the netlink sockets: %s\n", strerror(errno));
                return 1;
        }
        uint32_t cmd_portid = mnl_socket_get_portid(cmd), other_portid = mnl_socket_get_portid(other);
        int foreign = (int) ifindex;
        if (strcmp(argv[4], "foreign") == 0 && (r = nl_filter_events(events, cmd_portid, &foreign, 1)) < 0) {
                fprintf(stderr, "nl-echo-check: cannot attach the filter: %s\n", strerror(-r));
                return 1;
        }
        if (strcmp(argv[4], "filter") == 0 && (r = nl_filter_own_echoes(events, cmd_portid)) < 0) {
                fprintf(stderr, "nl-echo-check: cannot attach the filter: %s\n", strerror(-r));
                return 1;
        }
        if ((r = add_neigh(cmd, ifindex, argv[2], 1)) < 0 || (r = add_neigh(other, ifindex, argv[3], 2)) < 0) {
                fprintf(stderr, "nl-echo-check: the kernel refused a neighbour entry: %s\n", strerror(-r));
                return 1;
        }
        for (;;) {
                struct pollfd p = { .fd = mnl_socket_get_fd(events), .events = POLLIN };
                if (poll(&p, 1, 300) <= 0)
                        break;
                int n = (int) recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n < 0)
                        break;
                for (const struct nlmsghdr *h = (const void *) buf; mnl_nlmsg_ok(h, n); h = mnl_nlmsg_next(h, &n)) {
                        if (h->nlmsg_type != RTM_NEWNEIGH)
                                continue;
                        if (h->nlmsg_pid == cmd_portid)
                                own++;
                        else if (h->nlmsg_pid == other_portid)
                                others++;
                }
        }
        printf("own %u\nother %u\n", own, others);
        mnl_socket_close(events);
        mnl_socket_close(cmd);
        mnl_socket_close(other);
        return 0;
}
