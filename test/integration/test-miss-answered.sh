#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (a) A miss answered: host a cannot resolve anything by itself (mcast_solicit=0, ucast_solicit=0,
# app_solicit=1). Its ping to b fails without arpd, and succeeds once arpd has learned b from a
# gratuitous ARP and answers the kernel's miss, with no broadcast ARP request from a on the wire.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping arping tcpdump

setup_pair
solicit a a0 1 0 0

in_ns a ping -c1 -W1 $IP_B >/dev/null 2>&1 && fail "ping succeeded without arpd: the kernel resolved b by itself"
in_ns a ip neigh flush dev a0
pass "without arpd, a cannot reach b"

start_arpd a a0
garp b b0 $IP_B
wait_for "b learned" 5 sh -c "'$ARPD' -b '$DB' -l | grep -q '$IP_B .*$MAC_B'"
pass "arpd learned b from its gratuitous ARP"

in_ns a ip neigh flush dev a0
capture b b0 wire
in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "ping to b failed although arpd knows b"
stop_capture wire
pass "with arpd, a reaches b"

in_ns a ip neigh show $IP_B dev a0 | grepq "lladdr $MAC_B" || fail "a's kernel does not hold b's MAC: $(in_ns a ip neigh show dev a0)"
bcast=$(frames wire | grep -c "Request who-has $IP_B" || true)
[ "$bcast" = 0 ] || fail "a sent $bcast ARP requests for b; arpd should have answered instead"
pass "no ARP request for b on the wire"

answered=$(stat a0 requests_answered)
[ "$answered" -ge 1 ] || fail "requests_answered=$answered"
pass "requests_answered=$answered"

stop_arpd
in_ns a ip neigh flush dev a0
in_ns a ping -c1 -W1 $IP_B >/dev/null 2>&1 && fail "ping succeeded after arpd stopped"
pass "after arpd stops, a cannot reach b again"
