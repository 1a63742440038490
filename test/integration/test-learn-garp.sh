#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (b) Learning from gratuitous ARP: a gratuitous ARP from b is stored with b's MAC within a second,
# counted as learned from ARP (arp_new, not kernel_new). When b changes its MAC and announces again,
# the store follows (the new MAC is listed), it is counted as one change (arp_changed=1) and the log
# has the MAC-change event naming the address and both MACs ("moved").
. "$(dirname "$0")/lib.sh"
require_root
require_cmd arping

setup_pair
start_arpd a a0

garp b b0 $IP_B
wait_for "b learned with its MAC" 1 list_has a0 $IP_B $MAC_B
pass "b learned from its gratuitous ARP: $(list | grep -F " $IP_B ")"
[ "$(list_lines '*' $IP_B)" = 1 ] || fail "expected one entry for $IP_B: $(list)"
expect_stat a0 arp_new -eq 1
expect_stat a0 kernel_new -eq 0
expect_stat a0 arp_changed -eq 0

NEW_MAC_B=02:bb:00:00:00:22
ip -n "$T-b" link set b0 address $NEW_MAC_B
garp b b0 $IP_B
wait_for "b's new MAC stored" 1 list_has a0 $IP_B $NEW_MAC_B
[ "$(list_lines '*' $IP_B)" = 1 ] || fail "expected one entry for $IP_B after the change: $(list)"
pass "the store follows b's new MAC"
expect_stat a0 arp_changed -eq 1
expect_stat a0 arp_new -eq 1

grep " moved: " "$WORK/arpd.log" | grep -F "$IP_B" | grep -F "$MAC_B" | grepq -F "$NEW_MAC_B" ||
        fail "no MAC-change event for $IP_B ($MAC_B -> $NEW_MAC_B) in the log"
[ "$(grep -c " moved: " "$WORK/arpd.log")" = 1 ] || fail "expected exactly one MAC-change event: $(grep " moved: " "$WORK/arpd.log")"
pass "MAC-change event logged: $(grep " moved: " "$WORK/arpd.log")"

# The same announcement again is no change.
garp b b0 $IP_B
sleep 0.3
expect_stat a0 arp_changed -eq 1
