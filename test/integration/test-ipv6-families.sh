#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv4 and IPv6 on the same interface, kept apart; restart persistence; -4 and -6.
# Host a cannot resolve anything by itself, in either family. arpd learns b's IPv4 address from a
# gratuitous ARP and b's IPv6 address from an NA; b's IPv6 address lives on a macvlan with a MAC
# of its own, so the two entries of a0 hold different MACs and each family's miss is answered with
# its own. After a restart (kernel tables flushed, nothing new on the wire) both are still answered
# from the store. With -4 only IPv4 misses are answered, with -6 only IPv6 ones.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping arping tcpdump
require_python

MAC_B6=02:bb:00:00:00:66 # b's IPv6 interface

setup_pair6
solicit a a0 1 0 0
solicit6 a a0 1 0 0
in_ns b ip addr del $IP6_B/64 dev b0
in_ns b ip link add b6 link b0 address $MAC_B6 type macvlan mode bridge ||
        skip "cannot create a macvlan interface"
in_ns b ip addr add $IP6_B/64 dev b6 nodad
in_ns b ip link set b6 up

start_arpd a a0
garp b b0 $IP_B
ndp_send b b6 na $MAC_B6 $IP6_B ff02::1 $IP6_B $MAC_B6
wait_for "b's IPv4 address learned" 5 list_has a0 $IP_B $MAC_B
wait_for "b's IPv6 address learned" 5 list_has a0 $IP6_B $MAC_B6
[ "$(list_lines a0 $IP_B)" = 1 ] && [ "$(list_lines a0 $IP6_B)" = 1 ] || fail "expected one entry per family: $(list)"
pass "one entry per family on a0, each with its own MAC"

flush_a() { in_ns a ip neigh flush dev a0; in_ns a ip -6 neigh flush dev a0; }
reach4() { in_ns a ping -c1 -W2 $IP_B >/dev/null 2>&1; }
reach6() { in_ns a ping -6 -c1 -W2 $IP6_B >/dev/null 2>&1; }
kernel_mac() { in_ns a ip "$1" neigh show "$2" dev a0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }

flush_a
reach4 || fail "ping to $IP_B failed"
reach6 || fail "ping -6 to $IP6_B failed"
[ "$(kernel_mac -4 $IP_B)" = $MAC_B ] || fail "a's kernel holds $(kernel_mac -4 $IP_B) for $IP_B"
[ "$(kernel_mac -6 $IP6_B)" = $MAC_B6 ] || fail "a's kernel holds $(kernel_mac -6 $IP6_B) for $IP6_B"
pass "each family's miss answered with its own MAC"
expect_stat a0 requests_answered -eq 2

# Restart: everything comes from the store.
stop_arpd
flush_a
in_ns b ip neigh flush dev b0
in_ns b ip -6 neigh flush dev b6
start_arpd a a0
list_has a0 $IP_B $MAC_B && list_has a0 $IP6_B $MAC_B6 || fail "entries lost over the restart: $(list)"
reach4 || fail "ping to $IP_B failed after the restart"
reach6 || fail "ping -6 to $IP6_B failed after the restart"
expect_stat a0 requests_answered -eq 2
pass "both families answered from the store after a restart"

# -4: IPv6 misses are not ours any more (nor is NDP sniffed).
stop_arpd
flush_a
start_arpd a -4 a0
grep -q "cannot open an NDP" "$WORK/arpd.log" && fail "arpd -4 tried to open an NDP socket"
reach4 || fail "-4: ping to $IP_B failed"
reach6 && fail "-4: ping -6 to $IP6_B succeeded; arpd should not answer IPv6 misses"
ndp_send b b0 na $MAC_B 2001:db8::3 ff02::1 2001:db8::3 $MAC_B
sleep 0.5
expect_stat a0 ndp_received -eq 0
[ "$(list_lines a0 2001:db8::3)" = 0 ] || fail "-4: an NA was learned"
pass "-4 serves IPv4 only"

stop_arpd
flush_a
start_arpd a -6 a0
reach6 || fail "-6: ping -6 to $IP6_B failed"
reach4 && fail "-6: ping to $IP_B succeeded; arpd should not answer IPv4 misses"
garp b b0 198.18.0.3 # b announces another address: not learned
ndp_send b b0 na $MAC_B 2001:db8::3 ff02::1 2001:db8::3 $MAC_B
wait_for "-6: NA learned" 5 list_has a0 2001:db8::3 $MAC_B
[ "$(list_lines a0 198.18.0.3)" = 0 ] || fail "-6: an ARP frame was learned"
expect_stat a0 arp_received -eq 0
pass "-6 serves IPv6 only"
