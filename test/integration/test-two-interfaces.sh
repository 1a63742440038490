#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (i) Two interfaces, one address, two hosts: a has a0 (to b) and a1 (to c), both in 198.18.0.0/24;
# b and c both use 198.18.0.2, with different MACs. One arpd serves a0 and a1; after a gratuitous
# ARP from each, the store holds 198.18.0.2 twice, keyed by interface: on a0 with b's MAC and on a1
# with c's MAC. Neither announcement is taken as a MAC change of the other.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd arping

MAC_A1=02:aa:00:00:00:fe
MAC_C=02:cc:00:00:00:02
ns_add a
ns_add b
ns_add c
veth a a0 $IP_A/24 $MAC_A b b0 $IP_B/24 $MAC_B
veth a a1 198.18.0.254/24 $MAC_A1 c c0 $IP_B/24 $MAC_C

start_arpd a a0 a1
garp b b0 $IP_B
garp c c0 $IP_B
wait_for "198.18.0.2 on a0 with b's MAC" 2 list_has a0 $IP_B $MAC_B
wait_for "198.18.0.2 on a1 with c's MAC" 2 list_has a1 $IP_B $MAC_C
[ "$(list_lines '*' $IP_B)" = 2 ] || fail "expected exactly two entries for $IP_B: $(list)"
pass "198.18.0.2 stored once per interface: $(list | grep -F " $IP_B " | tr '\n' ';')"

# Announcing again on each side changes nothing.
garp b b0 $IP_B
garp c c0 $IP_B
sleep 0.3
list_has a0 $IP_B $MAC_B && list_has a1 $IP_B $MAC_C || fail "the entries changed: $(list)"
expect_stat a0 arp_new -eq 1
expect_stat a1 arp_new -eq 1
expect_stat a0 arp_changed -eq 0
expect_stat a1 arp_changed -eq 0
grep -q " moved: " "$WORK/arpd.log" && fail "a MAC change was logged: $(grep " moved: " "$WORK/arpd.log")"
pass "no MAC change logged"

# The listing can be restricted to one interface.
[ "$(list a1 | awk '{ print $1 }' | sort -u)" = a1 ] || fail "arpd -l a1 lists other interfaces: $(list a1)"
pass "arpd -l a1 lists a1 only"
