/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The manager's rtnetlink: two sockets (netlink.h), what arrives on them and what goes out.
 *
 *   - The event socket is subscribed to the neighbour, link and address groups: kernel misses
 *     (RTM_GETNEIGH), neighbour changes, links and addresses. Only datagrams whose sender is the
 *     kernel (nl_pid 0) are read as such; anything else is forged and counted (requests_bad).
 *     A socket filter (nl_filter_own_echoes()) keeps the kernel's echo of each of our answers
 *     (RTM_NEWNEIGH with the command socket's port id) from waking us; should it be missing, the
 *     echo is still recognised and ignored (neigh_event.from_self).
 *   - The command socket carries our dump requests and their replies, and our answers to misses
 *     (only datagrams from the kernel are read there too):
 *     answers are queued while one wakeup's input is processed and sent as one batch
 *     (rtnl_flush_answers()), so a storm of misses costs one sendmsg per batch.
 *
 * Lost events (ENOBUFS on the event socket) start a resync: events still queued are older than
 * the loss, so they are drained first (misses among them still answered, link and address events
 * applied, neighbour state skipped: "resyncing") until the socket is empty or
 * RTNL_RESYNC_BUDGET datagrams were read (so a resync completes under sustained load), then the
 * neighbour, link and address tables are dumped again, one dump at a time (pending_dumps,
 * dump_seq). The link and address re-dumps are a mark-and-sweep: links and addresses neither the
 * dump nor an event meanwhile reported are dropped (an interrupted dump is repeated instead).
 * ENOBUFS on the command socket (dump replies lost) re-requests the dumps without draining; the
 * rest of the abandoned dump is recognised by its sequence number and discarded.
 *
 * Dispatch: link and address messages go to the manager (manager_link_update(),
 * manager_addr_update()), neighbour messages to arpd-neighbor.h.
 *
 * I/O seam for tests: everything sent goes through Rtnl.send (the command socket by default), and
 * rtnl_process_event() / rtnl_process_cmd() take received bytes, so a unit test can drive the
 * whole machine without sockets.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "netlink.h"
#include "resolver.h"

typedef struct Manager Manager;
typedef struct Link Link;

#define RTNL_RCVBUF (32 * 1024 * 1024)
#define RTNL_TX_SIZE (64 * 1024)
/* After an overrun, at most this many datagrams are drained as stale before the dumps start
 * anyway: the receive buffer (the kernel doubles what is asked for) holds no more, each costing
 * it at least 256 bytes (an skb's own overhead is larger). Draining too much only skips fresh
 * neighbour events the dump reports anyway; draining too little would apply stale ones after it. */
#define RTNL_RESYNC_BUDGET (2 * RTNL_RCVBUF / 256)

/* Neighbour dumps queued after lost events (bit per dump type), served one at a time in this
 * order. */
enum {
        RTNL_DUMP_NEIGH = 1 << 0,
        RTNL_DUMP_LINK = 1 << 1,
        RTNL_DUMP_ADDR = 1 << 2,
};

typedef struct Rtnl {
        struct mnl_socket *events;
        struct mnl_socket *cmd;
        sd_event_source *events_source;
        sd_event_source *cmd_source;
        uint32_t seq;
        uint32_t cmd_portid;     /* the command socket's port id: our answers' events carry it */
        uint32_t dump_seq;       /* seq of the dump in flight, 0 if none */
        uint16_t dump_type;      /* RTM_GET* of the dump in flight */
        bool dump_intr;          /* the dump in flight was interrupted (NLM_F_DUMP_INTR) */
        uint64_t resync_budget;  /* datagrams still drained as stale before the dumps start anyway */
        unsigned pending_dumps;  /* RTNL_DUMP_* still to request */
        bool resyncing;          /* events were lost: draining stale ones before re-dumping */

        /* answers to misses, sent as one batch per wakeup */
        uint8_t *tx;
        size_t tx_len;
        unsigned tx_count;

        /* Sends len bytes to the kernel: 0 or a negative errno. Default: the command socket. */
        int (*send)(Manager *m, const void *buf, size_t len);
} Rtnl;

/* Allocates the answer buffer and sets the default send; opens nothing. */
int rtnl_init(Rtnl *r);
/* Closes the sockets and frees; accepts a zeroed or initialised Rtnl. */
void rtnl_done(Rtnl *r);

/* Opens both sockets (logs its errors). */
int rtnl_open(Manager *m);
/* Watches both sockets in the event loop, above everything but due commits. */
int rtnl_watch(Manager *m);
/* (Re)attaches the event socket's filter: our own echoes and the neighbour messages of the
 * manager's foreign interfaces are dropped in the kernel (nl_filter_events()). Without it they are
 * read and ignored, as before. */
void rtnl_filter_foreign(Manager *m);
/* Before the loop runs: sends a dump of type (RTM_GETLINK, RTM_GETADDR, RTM_GETNEIGH) and
 * processes replies until NLMSG_DONE (bounded by a timeout). */
int rtnl_dump_sync(Manager *m, uint16_t type);

/* Queues an answer to a miss (nl_build_neigh_answer(): one or two messages); sends the batch first
 * if full. */
void rtnl_queue_answer(Manager *m, Link *l, const struct nl_neigh_answer *a);
/* Sends the queued answers in one message batch. */
void rtnl_flush_answers(Manager *m);

/* One datagram from the event socket, sent by sender_pid (0: the kernel). */
void rtnl_process_event(Manager *m, const void *buf, size_t len, uint32_t sender_pid);
/* One datagram from the command socket, sent by sender_pid (0: the kernel; anything else is
 * counted in requests_bad and dropped): replies of the dump in flight (by sequence number), and
 * errors for our answers; anything else (replies of an abandoned dump) is discarded. */
void rtnl_process_cmd(Manager *m, const void *buf, size_t len, uint32_t sender_pid);
/* Events were lost (events_lost: on the event socket, so drain first) or dump replies were lost:
 * counts it and schedules the re-dumps. */
void rtnl_request_redump(Manager *m, bool events_lost);
/* The event socket was read empty: a pending resync may start its dumps. */
void rtnl_events_drained(Manager *m);
