/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * The daemon layer without sockets: a real Manager (store, timers, links, resolver, rtnetlink
 * machine) driven with crafted rtnetlink messages and ARP frames, whatever it sends to the kernel
 * captured through Rtnl.send. No root, no namespaces.
 */

#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdalign.h>
#include <unistd.h>

#include "arp-packet.h"
#include "arpd-manager.h"
#include "arpd-neighbor.h"
#include "arpd-rtnl.h"
#include "macro.h"
#include "netlink.h"
#include "tests.h"

#define IFINDEX 7
#define IFNAME "a0"

static char tmpdir[] = "/tmp/test-manager-XXXXXX";

/* ---- what the manager sent to the kernel --------------------------------------------------- */

#define SENT_MAX 64
static struct {
        uint8_t buf[SENT_MAX][4096];
        size_t len[SENT_MAX];
        size_t n;
} sent;

static int capture_send(Manager *m, const void *buf, size_t len) {
        if (sent.n < SENT_MAX && len <= sizeof(sent.buf[0])) {
                memcpy(sent.buf[sent.n], buf, len);
                sent.len[sent.n++] = len;
        }
        return 0;
}

/* Counts the messages of type (and for dumps: RTM_GET* with NLM_F_DUMP) among everything sent. */
static size_t sent_count(uint16_t type) {
        size_t n = 0;

        for (size_t i = 0; i < sent.n; i++) {
                const struct nlmsghdr *nlh = (const void *) sent.buf[i];
                int remaining = (int) sent.len[i];

                for (; nl_msg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining))
                        n += nlh->nlmsg_type == type;
        }
        return n;
}

/* The last answer (RTM_NEWNEIGH) sent, decoded; false if none. */
static bool last_answer(struct nl_neigh *ret) {
        bool found = false;

        for (size_t i = 0; i < sent.n; i++) {
                const struct nlmsghdr *nlh = (const void *) sent.buf[i];
                int remaining = (int) sent.len[i];

                for (; nl_msg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining))
                        if (nlh->nlmsg_type == RTM_NEWNEIGH && nl_parse_neigh(nlh, ret) == 0)
                                found = true;
        }
        return found;
}

/* The seq of the last dump request of type sent, 0 if none. */
static uint32_t last_dump_seq(uint16_t type) {
        uint32_t seq = 0;

        for (size_t i = 0; i < sent.n; i++) {
                const struct nlmsghdr *nlh = (const void *) sent.buf[i];
                if (nlh->nlmsg_type == type && (nlh->nlmsg_flags & NLM_F_DUMP))
                        seq = nlh->nlmsg_seq;
        }
        return seq;
}

/* ---- crafted input --------------------------------------------------------------------------- */

static alignas(8) uint8_t msg[4096];

static struct nlmsghdr *put_header(uint16_t type, uint16_t flags, uint32_t seq) {
        struct nlmsghdr *nlh;

        memset(msg, 0, sizeof(msg));
        nlh = mnl_nlmsg_put_header(msg);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        nlh->nlmsg_seq = seq;
        return nlh;
}

static const struct nlmsghdr *newlink(int ifindex, const char *name, const uint8_t mac[6]) {
        struct nlmsghdr *nlh = put_header(RTM_NEWLINK, 0, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        ifi->ifi_type = ARPHRD_ETHER;
        ifi->ifi_flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
        return nlh;
}

static const struct nlmsghdr *newaddr(int ifindex, const char *addr, uint8_t prefixlen) {
        struct nlmsghdr *nlh = put_header(RTM_NEWADDR, 0, 0);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        struct in_addr a;

        CHECK(inet_pton(AF_INET, addr, &a) == 1);
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = prefixlen;
        ifa->ifa_index = (unsigned) ifindex;
        mnl_attr_put(nlh, IFA_LOCAL, 4, &a);
        mnl_attr_put(nlh, IFA_ADDRESS, 4, &a);
        return nlh;
}

/* A neighbour message: RTM_GETNEIGH with NLM_F_REQUEST is the kernel's miss. mac may be NULL. */
static const struct nlmsghdr *neigh(uint16_t type, uint16_t flags, uint32_t seq, const char *addr, uint16_t state,
                                    const uint8_t *mac) {
        struct nlmsghdr *nlh = put_header(type, flags, seq);
        struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
        struct in_addr a;

        CHECK(inet_pton(AF_INET, addr, &a) == 1);
        ndm->ndm_family = AF_INET;
        ndm->ndm_ifindex = IFINDEX;
        ndm->ndm_state = state;
        mnl_attr_put(nlh, NDA_DST, 4, &a);
        if (mac)
                mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
        return nlh;
}

static const struct nlmsghdr *done(uint32_t seq) {
        struct nlmsghdr *nlh = put_header(NLMSG_DONE, NLM_F_MULTI, seq);
        int zero = 0;

        mnl_nlmsg_put_extra_header(nlh, sizeof(zero));
        return nlh;
}

static void feed_event(Manager *m, const struct nlmsghdr *nlh) {
        rtnl_process_event(m, nlh, nlh->nlmsg_len, 0);
}

static void feed_cmd(Manager *m, const struct nlmsghdr *nlh) {
        rtnl_process_cmd(m, nlh, nlh->nlmsg_len, 0);
}

static const struct nlmsghdr *newaddr_flags(int ifindex, const char *addr, uint8_t prefixlen, uint32_t flags) {
        struct nlmsghdr *nlh = (struct nlmsghdr *) newaddr(ifindex, addr, prefixlen);

        mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
        return nlh;
}

static const struct nlmsghdr *with_pid(const struct nlmsghdr *nlh, uint32_t pid) {
        ((struct nlmsghdr *) nlh)->nlmsg_pid = pid;
        return nlh;
}

/* An ARP request from ip/mac, as it comes off the ring. */
static void feed_arp(Manager *m, Link *l, const char *ip, const uint8_t mac[6]) {
        uint8_t frame[ARP_FRAME_LEN];
        struct in_addr src, target;

        CHECK(inet_pton(AF_INET, ip, &src) == 1);
        CHECK(inet_pton(AF_INET, "198.18.0.1", &target) == 1);
        CHECK_INT_EQ(arp_frame_build_request(frame, sizeof(frame), mac, src, target, NULL), ARP_FRAME_LEN);
        neighbor_handle_arp(m, l, frame, sizeof(frame));
}

static const uint8_t MAC_HOST[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t MAC_B[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };
static const uint8_t MAC_C[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x03 };

/* ---- the fixture: a manager with one link a0 (198.18.0.1/24), no sockets --------------------- */

static struct arpd_options opts;

static Manager *fixture(const char *store_name, const char *active_probes) {
        char db[256];
        Manager *m = NULL;
        Link *l;

        snprintf(db, sizeof(db), "%s/%s", tmpdir, store_name);
        char *argv[] = { (char *) "arpd", (char *) "-b", db, (char *) "-a", (char *) active_probes,
                         (char *) "--control-socket=", (char *) IFNAME, NULL };
        arpd_options_done(&opts);
        optind = 0;
        CHECK_INT_EQ(arpd_options_parse((int) ELEMENTSOF(argv) - 1, argv, NULL, &opts, stdout, stderr), 0);
        CHECK_INT_EQ(manager_new(&opts, &m), 0);
        if (!m)
                return NULL;
        CHECK_INT_EQ(manager_open_store(m), 0);
        CHECK_INT_EQ(manager_setup_timers(m), 0);
        m->rtnl.send = capture_send;
        memset(&sent, 0, sizeof(sent));

        feed_event(m, newlink(IFINDEX, IFNAME, MAC_HOST));
        feed_event(m, newaddr(IFINDEX, "198.18.0.1", 24));
        l = manager_get_link(m, IFINDEX);
        CHECK(l != NULL);
        CHECK(l && l->n_prefixes == 1);
        return m;
}

static size_t stored(Manager *m) {
        size_t n = 0;

        CHECK_INT_EQ(manager_count_entries(m, &n), 0);
        return n;
}

static bool get(Manager *m, const char *ip, struct record *ret) {
        struct neigh_key k;
        union in_addr_union a = {};

        CHECK(inet_pton(AF_INET, ip, &a.in) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, IFNAME, AF_INET, &a), 0);
        return manager_get_entry(m, &k, ret) == 0;
}

/* Runs the event loop until nothing is staged (the commit timer fired), at most 2 s. */
static void run_until_committed(Manager *m) {
        for (int i = 0; i < 200 && store_staged(m->store) > 0; i++)
                CHECK(sd_event_run(m->event, 10 * USEC_PER_MSEC) >= 0);
        CHECK_INT_EQ(store_staged(m->store), 0);
}

/* ---- cases ----------------------------------------------------------------------------------- */

/* A binding learned from an ARP frame answers the kernel's next miss with its MAC, NUD_STALE. */
static void test_miss_answered(void) {
        _cleanup_(manager_freep) Manager *m = fixture("answered.lmdb", "0");
        struct nl_neigh ans;

        if (!m)
                return;
        feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.2", MAC_B);
        feed_event(m, neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.2", NUD_INCOMPLETE, NULL));
        CHECK_INT_EQ(sent_count(RTM_NEWNEIGH), 0); /* batched: nothing before the flush */
        rtnl_flush_answers(m);
        CHECK_INT_EQ(sent_count(RTM_NEWNEIGH), 1);
        CHECK(last_answer(&ans));
        CHECK_INT_EQ(ans.ifindex, IFINDEX);
        CHECK_INT_EQ(ans.state, NUD_STALE);
        CHECK(ans.has_lladdr && ans.lladdr.len == 6 && memcmp(ans.lladdr.bytes, MAC_B, 6) == 0);
        CHECK_INT_EQ(manager_get_link(m, IFINDEX)->stats.v[STAT_REQ_ANSWERED], 1);

        /* An unknown address is not answered (passive: -a 0). */
        memset(&sent, 0, sizeof(sent));
        feed_event(m, neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.99", NUD_INCOMPLETE, NULL));
        rtnl_flush_answers(m);
        CHECK_INT_EQ(sent_count(RTM_NEWNEIGH), 0);
        CHECK_INT_EQ(manager_get_link(m, IFINDEX)->stats.v[STAT_REQ_UNKNOWN], 1);

        /* A miss from anyone but the kernel is no miss. */
        const struct nlmsghdr *forged = neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.2", NUD_INCOMPLETE, NULL);
        rtnl_process_event(m, forged, forged->nlmsg_len, 4242);
        rtnl_flush_answers(m);
        CHECK_INT_EQ(sent_count(RTM_NEWNEIGH), 0);
}

/* A valid negative entry (a host that did not answer) suppresses the miss: no answer. */
static void test_negative_suppressed(void) {
        _cleanup_(manager_freep) Manager *m = fixture("negative.lmdb", "0");
        struct load_entry e = { .ifname = IFNAME, .family = AF_INET, .state = RECORD_NEGATIVE, .neg_age = 0 };
        struct record rec;

        if (!m)
                return;
        CHECK(inet_pton(AF_INET, "198.18.0.4", &e.addr.in) == 1);
        CHECK_INT_EQ(manager_load(m, &e, 1, NULL), 1);
        CHECK(get(m, "198.18.0.4", &rec) && rec.state == RECORD_NEGATIVE);
        feed_event(m, neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.4", NUD_INCOMPLETE, NULL));
        rtnl_flush_answers(m);
        CHECK_INT_EQ(sent_count(RTM_NEWNEIGH), 0);
        CHECK_INT_EQ(manager_get_link(m, IFINDEX)->stats.v[STAT_REQ_SUPPRESSED], 1);
}

/* Lost events: queued events are stale and skipped while draining, misses still answered; then
 * the neighbour, link and address tables are dumped again, one after the other, and the dump's
 * state is applied. */
static void test_redump_after_lost_events(void) {
        _cleanup_(manager_freep) Manager *m = fixture("redump.lmdb", "0");
        struct record rec;
        uint32_t seq;

        if (!m)
                return;
        feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.2", MAC_B);
        rtnl_request_redump(m, true);
        CHECK(m->rtnl.resyncing);
        CHECK_INT_EQ(m->global.v[STAT_NETLINK_OVERRUNS], 1);
        CHECK_INT_EQ(last_dump_seq(RTM_GETNEIGH), 0); /* not before the queue is drained */

        /* a stale event in the queue: not applied */
        feed_event(m, neigh(RTM_NEWNEIGH, 0, 0, "198.18.0.3", NUD_REACHABLE, MAC_B));
        CHECK(!get(m, "198.18.0.3", &rec));
        /* a miss in the queue: answered */
        feed_event(m, neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.2", NUD_INCOMPLETE, NULL));
        rtnl_flush_answers(m);
        CHECK_INT_EQ(sent_count(RTM_NEWNEIGH), 1);

        rtnl_events_drained(m);
        CHECK(!m->rtnl.resyncing);
        seq = last_dump_seq(RTM_GETNEIGH);
        CHECK(seq != 0);
        CHECK_INT_EQ(m->rtnl.dump_seq, seq);
        /* the dump's reply is the current state */
        feed_cmd(m, neigh(RTM_NEWNEIGH, NLM_F_MULTI, seq, "198.18.0.3", NUD_REACHABLE, MAC_C));
        CHECK(get(m, "198.18.0.3", &rec) && rec.state == RECORD_POSITIVE && memcmp(rec.lladdr.bytes, MAC_C, 6) == 0);
        feed_cmd(m, done(seq));
        seq = last_dump_seq(RTM_GETLINK);
        CHECK(seq != 0);
        feed_cmd(m, done(seq));
        seq = last_dump_seq(RTM_GETADDR);
        CHECK(seq != 0);
        feed_cmd(m, done(seq));
        CHECK_INT_EQ(m->rtnl.dump_seq, 0);
        CHECK_INT_EQ(m->rtnl.pending_dumps, 0);
        CHECK_INT_EQ(sent_count(RTM_GETNEIGH), 1);
        CHECK_INT_EQ(sent_count(RTM_GETLINK), 1);
        CHECK_INT_EQ(sent_count(RTM_GETADDR), 1);
}

/* Only the kernel speaks on the command socket too; replies of an abandoned dump (ENOBUFS on the
 * command socket) are recognised by their sequence number and never read as events. */
static void test_cmd_sender_and_stale_dump(void) {
        _cleanup_(manager_freep) Manager *m = fixture("cmd.lmdb", "0");
        struct record rec;
        uint32_t old_seq, seq;

        if (!m)
                return;
        m->rtnl.cmd_portid = 4711;
        feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.2", MAC_B);

        /* a unicast "miss" from another process */
        const struct nlmsghdr *forged = neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.2", NUD_INCOMPLETE, NULL);
        rtnl_process_cmd(m, forged, forged->nlmsg_len, 4242);
        rtnl_flush_answers(m);
        CHECK_INT_EQ(sent_count(RTM_NEWNEIGH), 0);
        CHECK_INT_EQ(m->global.v[STAT_REQ_BAD], 1);
        CHECK_INT_EQ(manager_get_link(m, IFINDEX)->stats.v[STAT_REQ_RECEIVED], 0);
        /* nor does the kernel send misses there: no dump in flight, nothing is read */
        feed_cmd(m, neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.2", NUD_INCOMPLETE, NULL));
        rtnl_flush_answers(m);
        CHECK_INT_EQ(sent_count(RTM_NEWNEIGH), 0);

        /* a dump whose replies were lost half-way (ENOBUFS on the command socket) */
        rtnl_request_redump(m, false);
        old_seq = last_dump_seq(RTM_GETNEIGH);
        CHECK(old_seq != 0);
        m->rtnl.dump_seq = 0;
        rtnl_request_redump(m, false);
        seq = last_dump_seq(RTM_GETNEIGH);
        CHECK(seq != 0 && seq != old_seq);
        /* the rest of the abandoned dump: a FAILED carrying our own port id and a new MAC */
        feed_cmd(m, with_pid(neigh(RTM_NEWNEIGH, NLM_F_MULTI, old_seq, "198.18.0.2", NUD_FAILED, NULL), 4711));
        feed_cmd(m, with_pid(neigh(RTM_NEWNEIGH, NLM_F_MULTI, old_seq, "198.18.0.3", NUD_REACHABLE, MAC_C), 4711));
        feed_cmd(m, done(old_seq));
        CHECK_INT_EQ(m->rtnl.dump_seq, seq); /* still waiting for the current one */
        CHECK(get(m, "198.18.0.2", &rec) && rec.state == RECORD_POSITIVE);
        CHECK(!get(m, "198.18.0.3", &rec));
        CHECK_INT_EQ(manager_get_link(m, IFINDEX)->stats.v[STAT_KERNEL_ADMIN_DELETE], 0);
        CHECK_INT_EQ(manager_get_link(m, IFINDEX)->stats.v[STAT_KERNEL_FAILED], 0);
        /* the current dump is applied */
        feed_cmd(m, with_pid(neigh(RTM_NEWNEIGH, NLM_F_MULTI, seq, "198.18.0.3", NUD_REACHABLE, MAC_C), 4711));
        CHECK(get(m, "198.18.0.3", &rec) && rec.state == RECORD_POSITIVE);
}

/* The re-dump after lost events is a mark-and-sweep: links and addresses that vanished meanwhile
 * are dropped, those that events reported during the dump are kept. */
static void test_redump_sweeps(void) {
        _cleanup_(manager_freep) Manager *m = fixture("sweep.lmdb", "0");
        static const uint8_t mac8[6] = { 0x02, 0, 0, 0, 0, 8 }, mac9[6] = { 0x02, 0, 0, 0, 0, 9 };
        Link *l;
        uint32_t seq;

        size_t n_ifaces = opts.n_ifaces;

        if (!m)
                return;
        opts.n_ifaces = 0; /* serve every interface */
        feed_event(m, newlink(8, "b0", mac8));
        feed_event(m, newaddr(IFINDEX, "198.18.1.1", 24));
        CHECK(manager_get_link(m, 8) != NULL);
        CHECK_INT_EQ(manager_get_link(m, IFINDEX)->n_prefixes, 2);

        rtnl_request_redump(m, true);
        rtnl_events_drained(m);
        feed_cmd(m, done(last_dump_seq(RTM_GETNEIGH)));
        /* the link dump reports a0 only; meanwhile an event announces c0 */
        seq = last_dump_seq(RTM_GETLINK);
        CHECK(seq != 0);
        struct nlmsghdr *nlh = (struct nlmsghdr *) newlink(IFINDEX, IFNAME, MAC_HOST);
        nlh->nlmsg_seq = seq;
        nlh->nlmsg_flags = NLM_F_MULTI;
        feed_cmd(m, nlh);
        feed_event(m, newlink(9, "c0", mac9));
        feed_cmd(m, done(seq));
        CHECK(manager_get_link(m, IFINDEX) != NULL);
        CHECK(manager_get_link(m, 8) == NULL); /* vanished during the overrun */
        CHECK(manager_get_link(m, 9) != NULL); /* appeared during the dump */

        /* the address dump reports 198.18.0.1/24 only; meanwhile an event adds 198.18.2.1/24 */
        seq = last_dump_seq(RTM_GETADDR);
        CHECK(seq != 0);
        nlh = (struct nlmsghdr *) newaddr(IFINDEX, "198.18.0.1", 24);
        nlh->nlmsg_seq = seq;
        feed_cmd(m, nlh);
        feed_event(m, newaddr(IFINDEX, "198.18.2.1", 24));
        feed_cmd(m, done(seq));
        l = manager_get_link(m, IFINDEX);
        CHECK_INT_EQ(l->n_prefixes, 2);
        for (size_t i = 0; i < l->n_prefixes; i++) {
                char a[IN_ADDR_STRLEN];
                in_addr_to_string(AF_INET, &l->prefixes[i].addr, a);
                CHECK(strcmp(a, "198.18.1.1") != 0);
        }
        CHECK_INT_EQ(m->rtnl.pending_dumps, 0);
        opts.n_ifaces = n_ifaces;
}

/* Under sustained load the event socket never runs empty: the resync still starts its dumps once
 * more datagrams were read than the buffer could have held at the overrun. */
static void test_resync_completes_under_load(void) {
        _cleanup_(manager_freep) Manager *m = fixture("load.lmdb", "0");

        if (!m)
                return;
        rtnl_request_redump(m, true);
        for (unsigned i = 0; i < RTNL_RESYNC_BUDGET - 1; i++)
                feed_event(m, neigh(RTM_NEWNEIGH, 0, 0, "198.18.0.3", NUD_REACHABLE, MAC_B));
        CHECK(m->rtnl.resyncing);
        CHECK_INT_EQ(last_dump_seq(RTM_GETNEIGH), 0);
        feed_event(m, neigh(RTM_NEWNEIGH, 0, 0, "198.18.0.3", NUD_REACHABLE, MAC_B));
        CHECK(!m->rtnl.resyncing);
        CHECK(last_dump_seq(RTM_GETNEIGH) != 0);
}

/* Tentative and DAD-failed addresses are no subnets (IPv6 reports them with IFA_F_TENTATIVE /
 * IFA_F_DADFAILED until DAD is done). */
static void test_tentative_address(void) {
        _cleanup_(manager_freep) Manager *m = fixture("tentative.lmdb", "0");
        Link *l;

        if (!m)
                return;
        l = manager_get_link(m, IFINDEX);
        feed_event(m, newaddr_flags(IFINDEX, "198.18.1.1", 24, IFA_F_TENTATIVE));
        CHECK_INT_EQ(l->n_prefixes, 1);
        feed_event(m, newaddr_flags(IFINDEX, "198.18.1.1", 24, 0)); /* DAD done */
        CHECK_INT_EQ(l->n_prefixes, 2);
        feed_event(m, newaddr_flags(IFINDEX, "198.18.1.1", 24, IFA_F_DADFAILED | IFA_F_TENTATIVE));
        CHECK_INT_EQ(l->n_prefixes, 1);
}

/* What an answer sends back (issue 16): the miss's flags, our protocol, neither CREATE nor
 * REPLACE; the echo of our own answer (our port id) teaches nothing. */
static void test_answer_flags_and_echo(void) {
        _cleanup_(manager_freep) Manager *m = fixture("flags.lmdb", "0");
        struct nl_neigh ans;
        struct record rec;

        if (!m)
                return;
        m->rtnl.cmd_portid = 4711;
        feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.2", MAC_B);
        struct nlmsghdr *nlh = (struct nlmsghdr *) neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.2", NUD_INCOMPLETE, NULL);
        ((struct ndmsg *) mnl_nlmsg_get_payload(nlh))->ndm_flags = NTF_EXT_LEARNED;
        feed_event(m, nlh);
        rtnl_flush_answers(m);
        CHECK(last_answer(&ans));
        CHECK_INT_EQ(ans.nlmsg_flags, NLM_F_REQUEST);
        CHECK_INT_EQ(ans.flags, NTF_EXT_LEARNED);
        CHECK_INT_EQ(ans.protocol, ARPD_NEIGH_PROTOCOL);

        /* our answer coming back (our port id) for an address we do not know: not learned; the
         * same from the kernel itself (port id 0 in the header: the kernel's own doing) is */
        feed_event(m, with_pid(neigh(RTM_NEWNEIGH, 0, 0, "198.18.0.5", NUD_STALE, MAC_C), 4711));
        CHECK(!get(m, "198.18.0.5", &rec));
        feed_event(m, neigh(RTM_NEWNEIGH, 0, 0, "198.18.0.5", NUD_STALE, MAC_C));
        CHECK(get(m, "198.18.0.5", &rec) && rec.state == RECORD_POSITIVE);
}

/* A probe that cannot be sent is no probe: nothing stored, counted apart; before the packet
 * sockets are open (the thread opening them is running) it is deferred. */
static void test_probe_not_sent(void) {
        _cleanup_(manager_freep) Manager *m = fixture("unsent.lmdb", "1");
        struct record rec;
        Link *l;

        if (!m)
                return;
        l = manager_get_link(m, IFINDEX);
        feed_event(m, neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.9", NUD_INCOMPLETE, NULL));
        CHECK_INT_EQ(l->stats.v[STAT_PROBES_UNSENT], 1);
        CHECK_INT_EQ(l->stats.v[STAT_PROBES_SENT], 0);
        CHECK(!get(m, "198.18.0.9", &rec));

        m->sniff_thread_running = true; /* as between READY and "Sniffing started" */
        feed_event(m, neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.9", NUD_INCOMPLETE, NULL));
        feed_event(m, neigh(RTM_GETNEIGH, NLM_F_REQUEST, 0, "198.18.0.9", NUD_INCOMPLETE, NULL));
        m->sniff_thread_running = false;
        CHECK_INT_EQ(l->stats.v[STAT_PROBES_DEFERRED], 2);
        CHECK_INT_EQ(l->n_deferred, 1); /* once per address */
        CHECK(!get(m, "198.18.0.9", &rec));
        /* the sockets could not be opened after all: unsent, still nothing stored */
        neighbor_send_deferred_probes(m, l);
        CHECK_INT_EQ(l->n_deferred, 0);
        CHECK_INT_EQ(l->stats.v[STAT_PROBES_UNSENT], 2);
        CHECK(!get(m, "198.18.0.9", &rec));
}

struct seen {
        unsigned daemon, operator_;
};

static void on_changed(Manager *m, enum change_origin origin, const struct neigh_key *k, const struct record *old,
                       const struct record *new, void *userdata) {
        struct seen *s = userdata;

        if (origin == CHANGE_DAEMON)
                s->daemon++;
        else
                s->operator_++;
}

/* Many learned bindings are staged and committed in one transaction when the timer fires; queries
 * meanwhile commit nothing; every change is published once, with its origin. */
static void test_one_commit_per_batch(void) {
        _cleanup_(manager_freep) Manager *m = fixture("batch.lmdb", "0");
        struct seen seen = {};
        uint64_t commits;
        struct record rec;

        if (!m)
                return;
        CHECK_INT_EQ(manager_add_observer(m, &(struct manager_observer) { .changed = on_changed, .userdata = &seen }), 0);
        commits = store_get_counters(m->store)->commits;
        for (unsigned i = 0; i < 100; i++) {
                char ip[32];
                uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x20, 0x00, (uint8_t) (i + 1) };

                snprintf(ip, sizeof(ip), "198.18.0.%u", 100 + i);
                feed_arp(m, manager_get_link(m, IFINDEX), ip, mac);
        }
        manager_schedule_commit(m);
        CHECK_INT_EQ(store_staged(m->store), 100);
        CHECK_INT_EQ(seen.daemon, 100);
        /* read-only queries: they see the staged binding but write nothing */
        CHECK(get(m, "198.18.0.150", &rec));
        CHECK_INT_EQ(stored(m), 0);
        CHECK_INT_EQ(store_get_counters(m->store)->commits, commits);

        run_until_committed(m);
        CHECK_INT_EQ(store_get_counters(m->store)->commits, commits + 1);
        CHECK_INT_EQ(stored(m), 100);

        /* an operator's change commits itself and is published as such */
        struct neigh_key k;
        struct lladdr ll = { .len = 6 };
        union in_addr_union a = {};
        memcpy(ll.bytes, MAC_C, 6);
        CHECK(inet_pton(AF_INET, "198.18.0.77", &a.in) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, IFNAME, AF_INET, &a), 0);
        CHECK_INT_EQ(manager_add_static(m, &k, &ll), 0);
        CHECK_INT_EQ(seen.operator_, 1);
        CHECK_INT_EQ(stored(m), 101);
        CHECK(get(m, "198.18.0.77", &rec) && rec.state == RECORD_STATIC);
}

/* ---- station events ---- */

struct station_seen {
        enum station_kind kinds[256];
        size_t n;
        uint64_t folded;
        uint64_t folded_kind[_STATION_KIND_MAX];
        uint64_t idle; /* of the last NEW_ACTIVITY */
};

static void on_station(Manager *m, const struct station_event *ev, void *userdata) {
        struct station_seen *s = userdata;

        if (s->n < ELEMENTSOF(s->kinds))
                s->kinds[s->n++] = ev->kind;
        if (ev->kind == STATION_NEW_ACTIVITY)
                s->idle = ev->idle;
        if (ev->kind == STATION_FOLDED)
                for (unsigned k = 0; k < _STATION_KIND_MAX; k++) {
                        s->folded += ev->folded[k];
                        s->folded_kind[k] += ev->folded[k];
                }
}

static void on_changed_ignored(Manager *m, enum change_origin origin, const struct neigh_key *k, const struct record *old,
                               const struct record *new, void *userdata) {
}

/* A B A C A B for one address within one batch (nothing committed in between: the staged history
 * is what the next frame is classified on) are arpwatch's new station, changed, flip flop,
 * changed, flip flop, reused old; the committed history lists B, A, C. */
static void test_station_events_in_one_batch(void) {
        _cleanup_(manager_freep) Manager *m = fixture("station.lmdb", "0");
        static const uint8_t MAC_D[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x04 };
        const uint8_t *seq[] = { MAC_B, MAC_C, MAC_B, MAC_D, MAC_B, MAC_C };
        const enum station_kind want[] = { STATION_NEW, STATION_CHANGED, STATION_FLIP_FLOP, STATION_CHANGED,
                                           STATION_FLIP_FLOP, STATION_REUSED_OLD };
        struct station_seen seen = {};
        struct station_history h;
        struct neigh_key k;
        union in_addr_union a = {};

        if (!m)
                return;
        CHECK_INT_EQ(manager_add_observer(m, &(struct manager_observer) { .changed = on_changed_ignored, .station = on_station,
                                                                         .userdata = &seen }),
                     0);
        for (size_t i = 0; i < ELEMENTSOF(seq); i++)
                feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.2", seq[i]);
        CHECK_INT_EQ(store_get_counters(m->store)->commits, 0);
        CHECK_INT_EQ(seen.n, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want) && i < seen.n; i++)
                CHECK_INT_EQ(seen.kinds[i], want[i]);
        manager_schedule_commit(m);
        run_until_committed(m);

        CHECK(inet_pton(AF_INET, "198.18.0.2", &a.in) == 1);
        CHECK_INT_EQ(neigh_key_make(&k, IFNAME, AF_INET, &a), 0);
        CHECK_INT_EQ(manager_get_history(m, &k, &h), 0);
        CHECK_INT_EQ(h.n, 3);
        CHECK(h.n == 3 && memcmp(h.mac[0].lladdr.bytes, MAC_C, 6) == 0 && memcmp(h.mac[1].lladdr.bytes, MAC_B, 6) == 0 &&
              memcmp(h.mac[2].lladdr.bytes, MAC_D, 6) == 0);

        /* 60 new stations: with the 6 events above, 50 pass the bucket at once; the rest are
         * folded into one summary within a second */
        for (unsigned i = 0; i < 60; i++) {
                char ip[32];
                uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x30, 0x00, (uint8_t) (i + 1) };

                snprintf(ip, sizeof(ip), "198.18.0.%u", 100 + i);
                feed_arp(m, manager_get_link(m, IFINDEX), ip, mac);
        }
        /* the bucket is empty now: 198.18.0.2's next moves are folded too, by kind */
        feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.2", MAC_B); /* C B: flip flop */
        feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.2", MAC_D); /* B D: reused old */
        feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.2", MAC_HOST); /* a new MAC */
        for (int i = 0; i < 300 && seen.folded == 0; i++)
                CHECK(sd_event_run(m->event, 10 * USEC_PER_MSEC) >= 0);
        size_t reported = 0;
        for (size_t i = ELEMENTSOF(want); i < seen.n; i++)
                reported += seen.kinds[i] == STATION_NEW;
        CHECK(seen.folded > 0);
        CHECK_INT_EQ(reported + seen.folded_kind[STATION_NEW], 60);
        CHECK_INT_EQ(seen.folded_kind[STATION_FLIP_FLOP], 1);
        CHECK_INT_EQ(seen.folded_kind[STATION_REUSED_OLD], 1);
        CHECK_INT_EQ(seen.folded_kind[STATION_CHANGED], 1);
        CHECK(seen.n > 0 && seen.kinds[seen.n - 1] == STATION_FOLDED);
}

/* The known MAC after more than --new-activity of silence is a new activity, with the silence;
 * after less, no event (the binding is only touched). */
static void test_station_new_activity(void) {
        _cleanup_(manager_freep) Manager *m = fixture("activity.lmdb", "0");
        struct station_seen seen = {};
        usec_t now = now_usec(CLOCK_REALTIME);
        struct neigh_key k1, k2;
        union in_addr_union a = {};
        struct record r = { .state = RECORD_POSITIVE, .source = SOURCE_ARP, .first_seen = now - 1000 * USEC_PER_SEC };
        uint64_t idle = 0;

        if (!m)
                return;
        opts.new_activity = 60 * USEC_PER_SEC;
        lladdr_set(&r.lladdr, MAC_B, 6);
        CHECK(inet_pton(AF_INET, "198.18.0.2", &a.in) == 1);
        CHECK_INT_EQ(neigh_key_make(&k1, IFNAME, AF_INET, &a), 0);
        CHECK(inet_pton(AF_INET, "198.18.0.3", &a.in) == 1);
        CHECK_INT_EQ(neigh_key_make(&k2, IFNAME, AF_INET, &a), 0);
        r.last_seen = now - 120 * USEC_PER_SEC;
        CHECK_INT_EQ(store_stage_put(m->store, &k1, &r), 0);
        r.last_seen = now - 30 * USEC_PER_SEC;
        CHECK_INT_EQ(store_stage_put(m->store, &k2, &r), 0);
        CHECK_INT_EQ(store_flush(m->store), 2);
        CHECK_INT_EQ(manager_add_observer(m, &(struct manager_observer) { .changed = on_changed_ignored, .station = on_station,
                                                                         .userdata = &seen }),
                     0);
        feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.3", MAC_B); /* 30 s: touched, no event */
        CHECK_INT_EQ(seen.n, 0);
        feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.2", MAC_B);
        CHECK_INT_EQ(seen.n, 1);
        CHECK(seen.n == 1 && seen.kinds[0] == STATION_NEW_ACTIVITY);
        idle = seen.idle;
        CHECK(idle >= 120 * USEC_PER_SEC && idle < 130 * USEC_PER_SEC);
        feed_arp(m, manager_get_link(m, IFINDEX), "198.18.0.2", MAC_B); /* again at once: none */
        CHECK_INT_EQ(seen.n, 1);
        opts.new_activity = ARPD_DEFAULT_NEW_ACTIVITY;
}

/* A large batch (MANAGER_COMMIT_BATCH or more, as a flood of new senders makes) is committed in
 * the next loop iteration, without waiting for the commit delay; a small one waits for it. */
static void test_large_batch_commits_at_once(void) {
        _cleanup_(manager_freep) Manager *m = fixture("large.lmdb", "0");
        uint64_t commits;

        if (!m)
                return;
        commits = store_get_counters(m->store)->commits;
        for (unsigned i = 0; i < MANAGER_COMMIT_BATCH / 2; i++) {
                char ip[32];
                uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x21, 0x00, (uint8_t) (i + 1) };

                snprintf(ip, sizeof(ip), "198.18.0.%u", 10 + i);
                feed_arp(m, manager_get_link(m, IFINDEX), ip, mac);
        }
        manager_schedule_commit(m);
        CHECK(sd_event_run(m->event, 0) >= 0); /* one iteration, no waiting: the delay stands */
        CHECK_INT_EQ(store_staged(m->store), MANAGER_COMMIT_BATCH / 2);
        for (unsigned i = MANAGER_COMMIT_BATCH / 2; i < MANAGER_COMMIT_BATCH + 10; i++) {
                char ip[32];
                uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x21, 0x00, (uint8_t) (i + 1) };

                snprintf(ip, sizeof(ip), "198.18.0.%u", 10 + i);
                feed_arp(m, manager_get_link(m, IFINDEX), ip, mac);
        }
        manager_schedule_commit(m);
        CHECK_INT_EQ(store_staged(m->store), MANAGER_COMMIT_BATCH + 10);
        CHECK_INT_EQ(store_get_counters(m->store)->commits, commits); /* not inside the input's dispatch */
        CHECK(sd_event_run(m->event, 0) >= 0);
        CHECK_INT_EQ(store_staged(m->store), 0);
        CHECK_INT_EQ(store_get_counters(m->store)->commits, commits + 1);
        CHECK_INT_EQ(stored(m), MANAGER_COMMIT_BATCH + 10);
}

static bool is_foreign(const Manager *m, int ifindex) {
        for (size_t i = 0; i < m->n_foreign; i++)
                if (m->foreign[i] == ifindex)
                        return true;
        return false;
}

/* An interface this process does not serve is in the foreign set (its neighbour messages are
 * dropped by the event socket's filter, nl_events_filter()); renamed to a served name it leaves
 * the set and is served; deleted, its ifindex leaves the set; the served one is never in it. */
static void test_foreign_interfaces(void) {
        _cleanup_(manager_freep) Manager *m = fixture("foreign.lmdb", "0");
        struct nlmsghdr *nlh;

        if (!m)
                return;
        CHECK(!is_foreign(m, IFINDEX));
        feed_event(m, newlink(IFINDEX + 1, "other0", MAC_B));
        feed_event(m, newlink(IFINDEX + 2, "other1", MAC_C));
        CHECK(is_foreign(m, IFINDEX + 1));
        CHECK(is_foreign(m, IFINDEX + 2));
        CHECK(!is_foreign(m, IFINDEX));
        CHECK(manager_get_link(m, IFINDEX + 1) == NULL);
        feed_event(m, newlink(IFINDEX + 1, "other0", MAC_B)); /* again: listed once */
        CHECK_INT_EQ(m->n_foreign, 2);

        /* the served interface goes; another one is renamed to its name: served, not foreign */
        nlh = (struct nlmsghdr *) newlink(IFINDEX, IFNAME, MAC_HOST);
        nlh->nlmsg_type = RTM_DELLINK;
        feed_event(m, nlh);
        CHECK(manager_get_link(m, IFINDEX) == NULL);
        CHECK(!is_foreign(m, IFINDEX));
        feed_event(m, newlink(IFINDEX + 2, IFNAME, MAC_C));
        CHECK(manager_get_link(m, IFINDEX + 2) != NULL);
        CHECK(!is_foreign(m, IFINDEX + 2));
        CHECK(is_foreign(m, IFINDEX + 1));

        nlh = (struct nlmsghdr *) newlink(IFINDEX + 1, "other0", MAC_B);
        nlh->nlmsg_type = RTM_DELLINK;
        feed_event(m, nlh);
        CHECK(!is_foreign(m, IFINDEX + 1));
        CHECK_INT_EQ(m->n_foreign, 0);
}

/* What a miss (netlink, SD_EVENT_PRIORITY_IMPORTANT) finds when it is pending at the same time as
 * the commit timer: the number of commits made before it was dispatched. */
struct pending_miss {
        Manager *m;
        uint64_t commits_seen;
        bool ran;
};

static int on_fake_miss(sd_event_source *s, void *userdata) {
        struct pending_miss *p = userdata;

        p->commits_seen = store_get_counters(p->m->store)->commits;
        p->ran = true;
        return 0;
}

static void feed_new_senders(Manager *m, unsigned from, unsigned to, uint8_t tag) {
        CHECK(to <= 250);
        for (unsigned i = from; i < to; i++) {
                char ip[32];
                uint8_t mac[6] = { 0x02, 0x00, 0x5e, tag, (uint8_t) (i >> 8), (uint8_t) (i + 1) };

                snprintf(ip, sizeof(ip), "198.18.0.%u", 2 + i); /* in the /24 of the fixture */
                feed_arp(m, manager_get_link(m, IFINDEX), ip, mac);
        }
}

/* A batch commit made due early (MANAGER_COMMIT_BATCH staged changes, a flood) does not outrank a
 * pending miss: the miss is dispatched first, the commit right after it. A commit whose delay is
 * over still goes before the miss (storms cannot postpone it). */
static void test_batch_commit_after_pending_miss(void) {
        _cleanup_(manager_freep) Manager *m = fixture("batchprio.lmdb", "0");
        _cleanup_(sd_event_source_unrefp) sd_event_source *miss = NULL;
        struct pending_miss p = {};
        uint64_t commits;

        if (!m)
                return;
        p.m = m;
        commits = store_get_counters(m->store)->commits;
        feed_new_senders(m, 0, MANAGER_COMMIT_BATCH + 10, 0x31);
        manager_schedule_commit(m);
        CHECK_INT_EQ(store_staged(m->store), MANAGER_COMMIT_BATCH + 10);
        CHECK_INT_EQ(sd_event_add_defer(m->event, &miss, on_fake_miss, &p), 0);
        CHECK_INT_EQ(sd_event_source_set_priority(miss, SD_EVENT_PRIORITY_IMPORTANT), 0);
        CHECK_INT_EQ(sd_event_source_set_enabled(miss, SD_EVENT_ONESHOT), 0);
        for (int i = 0; i < 10 && (!p.ran || store_staged(m->store) > 0); i++)
                CHECK(sd_event_run(m->event, 0) >= 0);
        CHECK(p.ran);
        CHECK_INT_EQ(p.commits_seen, commits); /* the miss went first */
        CHECK_INT_EQ(store_staged(m->store), 0);
        CHECK_INT_EQ(store_get_counters(m->store)->commits, commits + 1);

        /* a small batch whose delay is over: the commit goes first */
        commits = store_get_counters(m->store)->commits;
        p.ran = false;
        feed_new_senders(m, 200, 210, 0x32);
        manager_schedule_commit(m);
        CHECK_INT_EQ(store_staged(m->store), 10);
        usleep(MANAGER_COMMIT_DELAY_USEC + 20 * USEC_PER_MSEC);
        CHECK_INT_EQ(sd_event_source_set_enabled(miss, SD_EVENT_ONESHOT), 0);
        for (int i = 0; i < 10 && (!p.ran || store_staged(m->store) > 0); i++)
                CHECK(sd_event_run(m->event, 0) >= 0);
        CHECK(p.ran);
        CHECK_INT_EQ(p.commits_seen, commits + 1); /* the due commit went first */
        CHECK_INT_EQ(stored(m), MANAGER_COMMIT_BATCH + 10 + 10);
}

int main(void) {
        char cmd[128];

        CHECK(mkdtemp(tmpdir) != NULL);
        log_set_max_level(LOG_WARNING);
        TEST_RUN(test_miss_answered);
        TEST_RUN(test_negative_suppressed);
        TEST_RUN(test_redump_after_lost_events);
        TEST_RUN(test_one_commit_per_batch);
        TEST_RUN(test_large_batch_commits_at_once);
        TEST_RUN(test_batch_commit_after_pending_miss);
        TEST_RUN(test_foreign_interfaces);
        TEST_RUN(test_cmd_sender_and_stale_dump);
        TEST_RUN(test_redump_sweeps);
        TEST_RUN(test_resync_completes_under_load);
        TEST_RUN(test_tentative_address);
        TEST_RUN(test_answer_flags_and_echo);
        TEST_RUN(test_probe_not_sent);
        TEST_RUN(test_station_events_in_one_batch);
        TEST_RUN(test_station_new_activity);
        arpd_options_done(&opts);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        CHECK(system(cmd) == 0);
        TEST_EXIT();
}
