/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The daemon's counters, one set per interface. The list below is the single source of the
 * counter names: the journal stats entry (one field per counter, upper-cased), STATUS=, tests and
 * the man page all use these names.
 */

#include <stdint.h>

#define ARPD_STATS(X)                                                                                 \
        /* learning by sniffing ARP */                                                                \
        X(ARP_RECEIVED, "arp_received")                   /* frames that passed the BPF filter */    \
        X(ARP_NEW, "arp_new")                             /* first binding for an address */         \
        X(ARP_CHANGED, "arp_changed")                     /* known address, different MAC */         \
        X(ARP_REVIVED, "arp_revived")                     /* a negative entry's host spoke again */  \
        X(ARP_ETH_MISMATCH, "arp_eth_mismatch")           /* Ethernet source != ARP sender MAC */    \
        X(REJ_MALFORMED, "rejected_malformed")            /* truncated / wrong lengths / bad op */   \
        X(REJ_DAD_PROBE, "rejected_dad_probe")            /* sender IP 0.0.0.0 */                    \
        X(REJ_SENDER_MAC, "rejected_sender_mac")          /* multicast, broadcast or zero MAC */     \
        X(REJ_SENDER_IP, "rejected_sender_ip")            /* bcast, mcast, loopback, 0/8 sender */   \
        X(REJ_OUT_OF_SUBNET, "rejected_out_of_subnet")    /* not in any of the interface's subnets */\
        X(REJ_STATIC_CONFLICT, "rejected_static_conflict")/* would change a static entry */          \
        X(REJ_VLAN, "rejected_vlan")                      /* 802.1Q/802.1ad tagged: another VLAN's */\
        /* the kernel's misses */                                                                     \
        X(REQ_RECEIVED, "requests_received")                                                          \
        X(REQ_ANSWERED, "requests_answered")                                                          \
        X(REQ_SUPPRESSED, "requests_suppressed")           /* dead host, probes used up */           \
        X(REQ_UNKNOWN, "requests_unknown")                 /* nothing known, no probing */           \
        X(REQ_INVALIDATED, "requests_invalidated")         /* PROBE with evidence: dropped entry */  \
        X(REQ_VERIFIED, "requests_verified")               /* PROBE without evidence: kept, probed */\
        X(REQ_BAD, "requests_bad")                         /* unexpected state or malformed */       \
        X(REQ_EXPIRED, "requests_expired")                 /* binding older than --max-age */        \
        X(PROBES_SENT, "probes_sent")                                                                 \
        X(PROBES_RATELIMITED, "probes_ratelimited")                                                   \
        X(PROBES_UNSENT, "probes_unsent")                  /* no socket/source, send failed */       \
        X(PROBES_DEFERRED, "probes_deferred")              /* sent once the packet socket was open */\
        X(ANSWERS_LATE, "answers_late")                    /* kernel FAILED although we answered */  \
        /* the kernel's neighbour table */                                                            \
        X(KERNEL_NEW, "kernel_new")                                                                   \
        X(KERNEL_CHANGED, "kernel_changed")                                                           \
        X(KERNEL_FAILED, "kernel_failed")                  /* resolution failure: negative entry */  \
        X(KERNEL_ADMIN_DELETE, "kernel_admin_delete")      /* ip neigh del/flush: not a dead host */ \
        X(KERNEL_FOREIGN, "kernel_foreign")                /* NTF_EXT_LEARNED / managed entries */   \
        X(KERNEL_SKIPPED, "kernel_skipped")                /* proxy, NOARP, no lladdr, bogus */      \
        /* plumbing */                                                                                \
        X(STORE_ERRORS, "store_errors")                                                               \
        X(NETLINK_OVERRUNS, "netlink_overruns")            /* ENOBUFS: events lost, re-dumped */     \
        X(PACKET_DROPS, "packet_drops")                    /* packet socket drops (kernel count) */ \
        /* learning by sniffing IPv6 neighbour discovery (the rejected_* above count both) */        \
        X(NDP_RECEIVED, "ndp_received")                   /* NS/NA frames that passed the filter */ \
        X(NDP_NEW, "ndp_new")                                                                         \
        X(NDP_CHANGED, "ndp_changed")                                                                 \
        X(NDP_REVIVED, "ndp_revived")                                                                 \
        X(NDP_ETH_MISMATCH, "ndp_eth_mismatch")           /* Ethernet source != link-layer option */ \
        X(NDP_NO_OVERRIDE, "ndp_no_override")             /* NA without O: known binding kept */    \
        X(REJ_NDP_MALFORMED, "rejected_ndp_malformed")    /* fails an RFC 4861 check, bad checksum */

enum stat_id {
#define STAT_ENUM(id, name) STAT_##id,
        ARPD_STATS(STAT_ENUM)
#undef STAT_ENUM
        _STAT_MAX
};

struct stats {
        uint64_t v[_STAT_MAX];
};

/* "arp_new" etc.; NULL for an out-of-range id. */
const char *stat_name(enum stat_id id);
