#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (f) Persistence. What arpd learned survives a SIGKILL (commits reach the store within the 50 ms
# commit delay) and a clean SIGTERM stop: the store still lists it, and a restarted arpd answers a's
# miss for b from the restored store alone (a cannot resolve by itself: mcast_solicit=0,
# ucast_solicit=0; b sends nothing after the restart).
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping arping

IP_B2=198.18.0.3

# ping_answered WHO IP: flush a's neighbours, ping IP from a; it must succeed through arpd's answer.
ping_answered() {
        in_ns a ip neigh flush dev a0
        in_ns a ping -c1 -W2 "$2" >/dev/null || fail "$1: ping to $2 failed; arpd did not answer from its store"
        in_ns a ip neigh show "$2" dev a0 | grepq "lladdr $MAC_B" || fail "$1: a's kernel does not hold $MAC_B for $2"
        pass "$1: the miss for $2 was answered"
}

setup_pair
solicit a a0 1 0 0
in_ns b ip addr add $IP_B2/24 dev b0

start_arpd a a0
garp b b0 $IP_B
wait_for "b learned" 2 list_has a0 $IP_B $MAC_B
sleep 0.3
stop_arpd KILL
list_has a0 $IP_B $MAC_B || fail "b is gone from the store after SIGKILL: $(list)"
pass "after SIGKILL the store still holds b"

start_arpd a a0
ping_answered "after SIGKILL" $IP_B
expect_stat a0 requests_answered -ge 1
expect_stat a0 arp_new -eq 0

# Learn one more address, then a clean stop: both survive.
garp b b0 $IP_B2
wait_for "b's second address learned" 2 list_has a0 $IP_B2 $MAC_B
stop_arpd TERM
grep -q "Received SIGTERM" "$WORK/arpd.log" || fail "arpd did not log its clean exit"
list_has a0 $IP_B $MAC_B || fail "b is gone from the store after SIGTERM: $(list)"
list_has a0 $IP_B2 $MAC_B || fail "$IP_B2 is gone from the store after SIGTERM: $(list)"
pass "after SIGTERM the store still holds both entries"

start_arpd a a0
ping_answered "after SIGTERM" $IP_B
ping_answered "after SIGTERM" $IP_B2
expect_stat a0 requests_answered -ge 2
