/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Ethernet/IPv6 neighbour discovery frames (RFC 4861): the parser for untrusted Neighbor
 * Solicitations (ICMPv6 type 135) and Neighbor Advertisements (136), the builder for our own
 * solicitations, and the classic BPF filter for the packet socket that carries them
 * (packet-socket.h: ETH_P_IPV6, all-multicast membership so solicitations to other hosts'
 * solicited-node groups are seen too).
 *
 * The BPF program passes only frames of at least 78 bytes (14 Ethernet + 40 IPv6 + 24 ICMPv6)
 * with EtherType 0x86dd, IPv6 next header 58 (ICMPv6, no extension headers) and ICMPv6 type 135
 * or 136. It is an optimisation, not a trust boundary: the parser checks everything again.
 * packet_socket_open() wraps it with the VLAN and pkt_type checks (packet-socket.h).
 *
 * What the parser requires (RFC 4861 7.1.1 / 7.1.2, and what arpd needs):
 *   - Ethernet type 0x86dd, IPv6 version 6, next header 58 (extension headers are rejected),
 *     the payload length inside the frame (Ethernet padding after it is ignored);
 *   - hop limit 255 (the frame was not routed), ICMPv6 code 0, type 135 or 136, ICMPv6 length
 *     >= 24, a correct ICMPv6 checksum (pseudo-header included);
 *   - a target address that is not multicast;
 *   - every option with a non-zero length that stays inside the message;
 *   - a Source (NS) / Target (NA) Link-Layer Address option, if present, of length 1 (8 bytes:
 *     a 6-byte Ethernet address); at most one is used (the first);
 *   - NS from :: (duplicate address detection): destination a solicited-node multicast address
 *     and no Source Link-Layer Address option;
 *   - NA to a multicast destination: the Solicited flag clear.
 * Everything else is -EBADMSG. A valid frame may still teach nothing (see ndp_frame_binding()).
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-util.h"

#define NDP_ETH_HLEN 14
#define NDP_IP6_HLEN 40
#define NDP_ICMP_MIN 24                                      /* type..target */
#define NDP_FRAME_MIN (NDP_ETH_HLEN + NDP_IP6_HLEN + NDP_ICMP_MIN) /* 78 */
#define NDP_NS_PROBE_LEN (NDP_FRAME_MIN + 8)                 /* our NS with its SLLA option: 86 */

#define NDP_TYPE_NS 135
#define NDP_TYPE_NA 136

#define NDP_NA_FLAG_ROUTER 0x80
#define NDP_NA_FLAG_SOLICITED 0x40
#define NDP_NA_FLAG_OVERRIDE 0x20

struct ndp_frame {
        struct lladdr eth_dst, eth_src; /* 6 bytes each */
        struct in6_addr src, dst;       /* IPv6 header */
        uint8_t type;                   /* NDP_TYPE_NS / NDP_TYPE_NA */
        uint8_t na_flags;               /* NA: R/S/O bits (NDP_NA_FLAG_*); NS: 0 */
        struct in6_addr target;
        bool has_lladdr;                /* SLLA (NS) or TLLA (NA) option present */
        struct lladdr lladdr;           /* its address (6 bytes) */
};

/* Parses an Ethernet frame (starting at the destination MAC) as described above. 0 or -EBADMSG. */
int ndp_frame_parse(const void *buf, size_t len, struct ndp_frame *ret);

/* What a valid frame teaches: NS from a unicast source with SLLA -> (source, SLLA); NA with
 * TLLA -> (target, TLLA). Returns true and fills *ret_addr / *ret_lladdr, or false (DAD probe,
 * NS without SLLA, NA without TLLA). */
bool ndp_frame_binding(const struct ndp_frame *f, struct in6_addr *ret_addr, struct lladdr *ret_lladdr);

/* The solicited-node multicast address ff02::1:ffXX:XXXX of target, and its Ethernet group
 * 33:33:ff:XX:XX:XX. */
void ndp_solicited_node(const struct in6_addr *target, struct in6_addr *ret_addr, uint8_t ret_mac[6]);

/* Builds our Neighbor Solicitation for target from src_ip/src_mac, with a Source Link-Layer
 * Address option, hop limit 255 and a correct checksum. dst_mac NULL: to target's solicited-node
 * multicast address (resolution); else unicast to target at dst_mac (verification). Returns the
 * length (NDP_NS_PROBE_LEN), -ENOBUFS if size is smaller, -EINVAL for a multicast or
 * unspecified target or a multicast source. */
int ndp_build_ns(void *buf, size_t size, const uint8_t src_mac[6], const struct in6_addr *src_ip,
                 const struct in6_addr *target, const uint8_t *dst_mac);

/* The ICMPv6 checksum of msg (len bytes) between src and dst (RFC 4443 2.3), as it goes on the
 * wire (network order in the returned value's bytes when stored with memcpy). A message whose
 * checksum field is correct sums to 0. */
uint16_t ndp_icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst, const void *msg, size_t len);

/* The classic BPF program for the NDP packet socket; see arp_filter_program(). */
struct sock_filter;
const struct sock_filter *ndp_filter_program(size_t *ret_len);
