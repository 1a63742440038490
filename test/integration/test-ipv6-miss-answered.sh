#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6: a miss answered. Host a cannot resolve anything by itself (net.ipv6.neigh.a0:
# app_solicit=1, mcast_solicit=0, ucast_solicit=0). Its ping -6 to b fails without arpd. b then
# looks for an address nobody holds: its Neighbor Solicitation (source address + SLLA, to another
# host's solicited-node group) teaches a's kernel nothing, but arpd on a learns b from it and from
# then on answers the kernel's IPv6 miss, so the ping succeeds with no solicitation from a on the
# wire; after arpd stops, it fails again.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping tcpdump

setup_pair6
solicit6 a a0 1 0 0

in_ns a ping -6 -c1 -W1 $IP6_B >/dev/null 2>&1 && fail "ping -6 succeeded without arpd: the kernel resolved b by itself"
in_ns a ip -6 neigh flush dev a0
pass "without arpd, a cannot reach b over IPv6"

start_arpd a a0
in_ns b ping -6 -c1 -W1 2001:db8::77 >/dev/null 2>&1 || true
wait_for "b learned" 5 list_has a0 $IP6_B $MAC_B
[ -z "$(in_ns a ip -6 neigh show $IP6_B dev a0)" ] || fail "a's kernel learned b itself: $(in_ns a ip -6 neigh show dev a0)"
expect_stat a0 ndp_new -eq 1
expect_stat a0 kernel_new -eq 0
pass "arpd learned $IP6_B from b's neighbour solicitation (the kernel did not)"

in_ns a ip -6 neigh flush dev a0
in_ns b ip -6 neigh flush dev b0
capture_ndp b b0 wire
in_ns a ping -6 -c1 -W2 $IP6_B >/dev/null || fail "ping -6 to b failed although arpd knows b"
stop_capture wire
pass "with arpd, a reaches b over IPv6"

in_ns a ip -6 neigh show $IP6_B dev a0 | grepq "lladdr $MAC_B" ||
        fail "a's kernel does not hold b's MAC: $(in_ns a ip -6 neigh show dev a0)"
ns=$(frames wire | grep -F "$MAC_A >" | grep -c "neighbor solicitation, who has $IP6_B" || true)
[ "$ns" = 0 ] || fail "a sent $ns solicitations for b; arpd should have answered instead"
pass "no solicitation for b from a on the wire"
expect_stat a0 requests_answered -ge 1

stop_arpd
in_ns a ip -6 neigh flush dev a0
in_ns a ping -6 -c1 -W1 $IP6_B >/dev/null 2>&1 && fail "ping -6 succeeded after arpd stopped"
pass "after arpd stops, a cannot reach b over IPv6 again"
