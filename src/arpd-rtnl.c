/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "arpd-manager.h"
#include "arpd-neighbor.h"
#include "arpd-rtnl.h"
#include "log.h"

#define NL_RX_BATCH 16  /* small batches: an answer waits for at most 15 others to be sent */
#define NL_RX_BUFSIZE 8192
#define NL_CMD_BUFSIZE (64 * 1024)
#define NL_DRAIN_ROUNDS 64 /* per wakeup at most NL_RX_BATCH * NL_DRAIN_ROUNDS datagrams */
#define DUMP_TIMEOUT_USEC (10 * USEC_PER_SEC)

static int send_to_kernel(Manager *m, const void *buf, size_t len) {
        if (mnl_socket_sendto(m->rtnl.cmd, buf, len) < 0)
                return -errno;
        return 0;
}

int rtnl_init(Rtnl *r) {
        assert(r);
        *r = (Rtnl) { .send = send_to_kernel };
        r->tx = malloc(RTNL_TX_SIZE);
        return r->tx ? 0 : -ENOMEM;
}

void rtnl_done(Rtnl *r) {
        r->events_source = sd_event_source_disable_unref(r->events_source);
        r->cmd_source = sd_event_source_disable_unref(r->cmd_source);
        if (r->events)
                mnl_socket_close(r->events);
        if (r->cmd)
                mnl_socket_close(r->cmd);
        r->events = r->cmd = NULL;
        r->tx = mfree(r->tx);
}

int rtnl_open(Manager *m) {
        int r;

        r = nl_open_events(RTNL_RCVBUF, &m->rtnl.events);
        if (r < 0)
                return log_error_errno(r, "Cannot open the rtnetlink event socket: %m");
        r = nl_open_command(RTNL_RCVBUF, &m->rtnl.cmd);
        if (r < 0)
                return log_error_errno(r, "Cannot open the rtnetlink command socket: %m");
        m->rtnl.cmd_portid = mnl_socket_get_portid(m->rtnl.cmd);
        /* Each answer's echo would otherwise wake us once more (a second epoll_wait and recvmmsg
         * per answer); without the filter it is still recognised and ignored (from_self). */
        r = nl_filter_own_echoes(m->rtnl.events, m->rtnl.cmd_portid);
        if (r < 0)
                log_debug_errno(r, "Cannot filter our own answers' echoes on the event socket: %m");
        return 0;
}

void rtnl_filter_foreign(Manager *m) {
        int r;

        if (!m->rtnl.events)
                return;
        r = nl_filter_events(m->rtnl.events, m->rtnl.cmd_portid, m->foreign, m->n_foreign);
        if (r < 0)
                log_debug_errno(r, "Cannot filter other interfaces' neighbour messages on the event socket: %m");
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static void process_nlmsg(Manager *m, const struct nlmsghdr *nlh, enum neigh_origin origin) {
        switch (nlh->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK: {
                struct nl_link nl;
                if (nl_parse_link(nlh, &nl) == 0)
                        manager_link_update(m, &nl);
                break;
        }
        case RTM_NEWADDR:
        case RTM_DELADDR: {
                struct nl_addr a;
                if (nl_parse_addr(nlh, &a) == 0)
                        manager_addr_update(m, &a);
                break;
        }
        case RTM_NEWNEIGH:
        case RTM_DELNEIGH:
        case RTM_GETNEIGH:
                neighbor_handle_netlink(m, nlh, origin);
                break;
        case NLMSG_ERROR: {
                const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
                if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error != 0)
                        /* Kernel races are normal: the entry may have gone meanwhile. */
                        log_debug_errno(e->error, "The kernel refused a message (seq %u): %m", nlh->nlmsg_seq);
                break;
        }
        default:
                break;
        }
}

/* ---- answers --------------------------------------------------------------------------------- */

void rtnl_flush_answers(Manager *m) {
        Rtnl *rt = &m->rtnl;

        if (rt->tx_len == 0)
                return;
        int r = rt->send(m, rt->tx, rt->tx_len);
        if (r < 0)
                log_warning_errno(r, "Sending %u answers to the kernel failed: %m", rt->tx_count);
        rt->tx_len = 0;
        rt->tx_count = 0;
}

void rtnl_queue_answer(Manager *m, Link *l, const struct nl_neigh_answer *a) {
        Rtnl *rt = &m->rtnl;
        int r = -ENOBUFS;

        for (int attempt = 0; attempt < 2; attempt++) {
                r = nl_build_neigh_answer(rt->tx + rt->tx_len, RTNL_TX_SIZE - rt->tx_len, rt->seq + 1, a, false);
                if (r >= 0) {
                        rt->seq += nl_neigh_answer_count(a);
                        rt->tx_len += (size_t) r;
                        rt->tx_count++;
                        return;
                }
                rtnl_flush_answers(m);
        }
        log_link_warning_errno(l, r, "cannot build an answer: %m");
}

/* ---- input helpers --------------------------------------------------------------------------- */

/* recv() that also says who sent the datagram (UINT32_MAX if the address is unusable). */
static ssize_t recv_from(int fd, void *buf, size_t size, uint32_t *ret_sender) {
        struct sockaddr_nl sa = {};
        socklen_t sl = sizeof(sa);
        ssize_t n = recvfrom(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *) &sa, &sl);

        *ret_sender = sl >= sizeof(sa) && sa.nl_family == AF_NETLINK ? sa.nl_pid : UINT32_MAX;
        return n;
}

static void not_from_kernel(Manager *m, uint32_t sender) {
        /* Only the kernel speaks to us; anything else is forged. */
        m->global.v[STAT_REQ_BAD]++;
        log_debug("Ignoring a netlink message from port %u (not the kernel).", sender);
}

/* ---- mark and sweep around a re-dump ------------------------------------------------------------ */

/* Links and addresses that vanished while events were lost are found by a re-dump only as
 * absences: everything is unmarked when the dump starts, the dump and the events meanwhile mark
 * what exists, and what is still unmarked at its end is dropped. */
static void dump_started(Manager *m, uint16_t type) {
        m->rtnl.dump_type = type;
        m->rtnl.dump_intr = false;
        if (type == RTM_GETLINK)
                for (size_t i = 0; i < m->n_links; i++)
                        m->links[i]->seen = false;
        else if (type == RTM_GETADDR)
                for (size_t i = 0; i < m->n_links; i++)
                        link_unmark_prefixes(m->links[i]);
}

static void dump_done(Manager *m, bool complete) {
        Rtnl *rt = &m->rtnl;

        if (!complete) {
                /* The kernel refused the dump: nothing is dropped on its account. */
        } else if (rt->dump_intr) {
                /* Interrupted (the table changed under it): it may lack what exists, so it is
                 * done again rather than anything dropped. */
                if (rt->dump_type == RTM_GETLINK)
                        rt->pending_dumps |= RTNL_DUMP_LINK;
                else if (rt->dump_type == RTM_GETADDR)
                        rt->pending_dumps |= RTNL_DUMP_ADDR;
        } else if (rt->dump_type == RTM_GETLINK)
                manager_sweep_links(m);
        else if (rt->dump_type == RTM_GETADDR)
                for (size_t i = 0; i < m->n_links; i++)
                        link_sweep_prefixes(m->links[i]);
        rt->dump_type = 0;
        rt->dump_seq = 0;
}

/* ---- dumps ----------------------------------------------------------------------------------- */

static int send_dump(Manager *m, uint16_t type, uint32_t *ret_seq) {
        uint8_t buf[256];
        int r;

        *ret_seq = ++m->rtnl.seq;
        r = nl_build_dump(buf, sizeof(buf), type, AF_UNSPEC, *ret_seq);
        if (r < 0)
                return r;
        return m->rtnl.send(m, buf, (size_t) r);
}

int rtnl_dump_sync(Manager *m, uint16_t type) {
        _cleanup_free_ uint8_t *buf = malloc(NL_CMD_BUFSIZE);
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + DUMP_TIMEOUT_USEC;
        uint32_t seq;
        int r;

        if (!buf)
                return -ENOMEM;
        r = send_dump(m, type, &seq);
        if (r < 0)
                return r;
        for (;;) {
                struct pollfd p = { .fd = mnl_socket_get_fd(m->rtnl.cmd), .events = POLLIN };
                usec_t now = now_usec(CLOCK_MONOTONIC);
                ssize_t n;

                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int) ((deadline - now) / USEC_PER_MSEC) + 1);
                if (r < 0 && errno != EINTR)
                        return -errno;
                uint32_t sender;
                n = recv_from(mnl_socket_get_fd(m->rtnl.cmd), buf, NL_CMD_BUFSIZE, &sender);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                continue;
                        return -errno;
                }
                if (sender != 0) {
                        not_from_kernel(m, sender);
                        continue;
                }
                const struct nlmsghdr *nlh = (const struct nlmsghdr *) buf;
                int remaining = (int) n;
                for (; nl_msg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
                        if (nlh->nlmsg_seq != seq) {
                                /* only errors for our answers; replies of no dump of ours */
                                if (nlh->nlmsg_type == NLMSG_ERROR)
                                        process_nlmsg(m, nlh, NEIGH_ORIGIN_EVENT);
                                continue;
                        }
                        if (nlh->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (nlh->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
                                return e->error < 0 ? e->error : -EIO;
                        }
                        process_nlmsg(m, nlh, NEIGH_ORIGIN_DUMP);
                }
        }
}

static void start_next_dump(Manager *m) {
        static const struct {
                unsigned bit;
                uint16_t type;
        } order[] = { { RTNL_DUMP_NEIGH, RTM_GETNEIGH }, { RTNL_DUMP_LINK, RTM_GETLINK }, { RTNL_DUMP_ADDR, RTM_GETADDR } };
        Rtnl *rt = &m->rtnl;

        if (rt->dump_seq != 0)
                return;
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                if (!(rt->pending_dumps & order[i].bit))
                        continue;
                rt->pending_dumps &= ~order[i].bit;
                int r = send_dump(m, order[i].type, &rt->dump_seq);
                if (r < 0) {
                        rt->dump_seq = 0;
                        log_warning_errno(r, "Cannot request a kernel dump: %m");
                        continue;
                }
                dump_started(m, order[i].type);
                return;
        }
}

/* The kernel reports ENOBUFS as soon as it drops an event, while older events are still queued.
 * Those must not be applied after the re-dump (they would overwrite its newer state), so after an
 * event-socket overrun the queue is drained first, answering misses but skipping neighbour state
 * ("resyncing"), and the dumps start once it is empty. */
void rtnl_request_redump(Manager *m, bool events_lost) {
        m->global.v[STAT_NETLINK_OVERRUNS]++;
        log_warning("Kernel neighbour events were lost (netlink receive buffer overrun); re-reading the kernel's tables.");
        m->rtnl.pending_dumps |= RTNL_DUMP_NEIGH | RTNL_DUMP_LINK | RTNL_DUMP_ADDR;
        if (events_lost) {
                m->rtnl.resyncing = true;
                m->rtnl.resync_budget = RTNL_RESYNC_BUDGET;
        } else
                start_next_dump(m);
}

void rtnl_events_drained(Manager *m) {
        if (!m->rtnl.resyncing)
                return;
        m->rtnl.resyncing = false;
        m->rtnl.resync_budget = 0;
        start_next_dump(m);
}

/* ---- input ----------------------------------------------------------------------------------- */

/* Walks the messages of one datagram. */
static void process_buffer(Manager *m, const void *buf, size_t len, enum neigh_origin origin) {
        const struct nlmsghdr *nlh = buf;
        int remaining = (int) MIN(len, (size_t) INT32_MAX);

        for (; nl_msg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining))
                process_nlmsg(m, nlh, origin);
}

void rtnl_process_event(Manager *m, const void *buf, size_t len, uint32_t sender_pid) {
        /* Only the kernel speaks on these groups; anything else is forged. */
        if (sender_pid != 0) {
                not_from_kernel(m, sender_pid);
                return;
        }
        process_buffer(m, buf, len, NEIGH_ORIGIN_EVENT);
        /* Under sustained load the queue never runs empty: what the buffer held at the overrun
         * is bounded, so after that many datagrams the rest is new and the dumps start. */
        if (m->rtnl.resyncing && m->rtnl.resync_budget > 0 && --m->rtnl.resync_budget == 0)
                rtnl_events_drained(m);
}

void rtnl_process_cmd(Manager *m, const void *buf, size_t len, uint32_t sender_pid) {
        Rtnl *rt = &m->rtnl;
        const struct nlmsghdr *nlh = buf;
        int remaining = (int) MIN(len, (size_t) INT32_MAX);

        if (sender_pid != 0) {
                not_from_kernel(m, sender_pid);
                return;
        }
        for (; nl_msg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
                if (rt->dump_seq == 0 || nlh->nlmsg_seq != rt->dump_seq) {
                        /* Errors for our answers are logged; anything else here is a reply of a
                         * dump we abandoned (or no reply at all): stale, never an event. */
                        if (nlh->nlmsg_type == NLMSG_ERROR)
                                process_nlmsg(m, nlh, NEIGH_ORIGIN_EVENT);
                        continue;
                }
                if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
                        rt->dump_intr = true;
                if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
                        dump_done(m, nlh->nlmsg_type == NLMSG_DONE);
                        start_next_dump(m);
                        continue;
                }
                process_nlmsg(m, nlh, NEIGH_ORIGIN_DUMP);
        }
}

static int on_cmd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        static uint8_t buf[NL_CMD_BUFSIZE];
        Manager *m = userdata;

        for (unsigned round = 0; round < NL_DRAIN_ROUNDS; round++) {
                uint32_t sender;
                ssize_t n = recv_from(fd, buf, sizeof(buf), &sender);
                if (n < 0) {
                        if (errno == ENOBUFS) {
                                /* dump replies lost: start over; the rest of that dump is
                                 * discarded by its sequence number */
                                m->rtnl.dump_seq = 0;
                                m->rtnl.dump_type = 0;
                                rtnl_request_redump(m, false);
                                continue;
                        }
                        if (errno != EAGAIN && errno != EINTR)
                                log_warning_errno(-errno, "Reading the netlink command socket failed: %m");
                        break;
                }
                manager_input_begin(m);
                rtnl_process_cmd(m, buf, (size_t) n, sender);
                rtnl_flush_answers(m);
        }
        manager_input_end(m);
        return 0;
}

static int on_events(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        static uint8_t bufs[NL_RX_BATCH][NL_RX_BUFSIZE];
        static struct sockaddr_nl names[NL_RX_BATCH];
        static struct iovec iov[NL_RX_BATCH];
        static struct mmsghdr msgs[NL_RX_BATCH];
        Manager *m = userdata;
        bool drained = false;

        for (unsigned round = 0; round < NL_DRAIN_ROUNDS; round++) {
                for (unsigned i = 0; i < NL_RX_BATCH; i++) {
                        iov[i] = (struct iovec){ bufs[i], NL_RX_BUFSIZE };
                        msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &names[i], .msg_namelen = sizeof(names[i]),
                                                                 .msg_iov = &iov[i], .msg_iovlen = 1 } };
                }
                int n = recvmmsg(fd, msgs, NL_RX_BATCH, MSG_DONTWAIT, NULL);
                if (n < 0) {
                        if (errno == ENOBUFS) {
                                rtnl_request_redump(m, true);
                                continue;
                        }
                        if (errno == EAGAIN)
                                drained = true;
                        else if (errno != EINTR)
                                log_warning_errno(-errno, "Reading kernel neighbour events failed: %m");
                        break;
                }
                manager_input_begin(m);
                for (int i = 0; i < n; i++) {
                        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
                                m->global.v[STAT_KERNEL_SKIPPED]++;
                                continue;
                        }
                        uint32_t pid = msgs[i].msg_hdr.msg_namelen < sizeof(struct sockaddr_nl) ? UINT32_MAX
                                                                                               : names[i].nl_pid;
                        rtnl_process_event(m, bufs[i], msgs[i].msg_len, pid);
                }
                rtnl_flush_answers(m);
                if (n < NL_RX_BATCH) {
                        drained = true;
                        break;
                }
        }
        if (drained)
                rtnl_events_drained(m);
        manager_input_end(m);
        return 0;
}

int rtnl_watch(Manager *m) {
        Rtnl *rt = &m->rtnl;
        int r;

        r = sd_event_add_io(m->event, &rt->events_source, mnl_socket_get_fd(rt->events), EPOLLIN, on_events, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the event socket: %m");
        (void) sd_event_source_set_priority(rt->events_source, SD_EVENT_PRIORITY_IMPORTANT);
        (void) sd_event_source_set_description(rt->events_source, "rtnl-events");
        r = sd_event_add_io(m->event, &rt->cmd_source, mnl_socket_get_fd(rt->cmd), EPOLLIN, on_cmd, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the command socket: %m");
        (void) sd_event_source_set_priority(rt->cmd_source, SD_EVENT_PRIORITY_IMPORTANT);
        (void) sd_event_source_set_description(rt->cmd_source, "rtnl-cmd");
        return 0;
}
