#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpd on an interface that is down when it starts (as arpd.service finds interfaces at boot):
# the packet sockets' pending ENETDOWN must not keep the loop busy, so the control endpoint
# answers; once the interface comes up, arpd learns from it.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd arping
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

setup_pair
ip -n "$T-a" link set a0 down
start_arpd a a0
out=$(timeout 5 "$ARPCTL" --socket "$WORK/bus" stats a0) || fail "the control endpoint did not answer with a0 down"
grep -q "^a0 " <<<"$out" || fail "no statistics for a0: $out"
pass "a0 down: arpd answers its control endpoint"
ip -n "$T-a" link set a0 up
for _ in $(seq 20); do garp b b0 $IP_B; list_has a0 $IP_B $MAC_B && break; sleep 0.2; done
list_has a0 $IP_B $MAC_B || fail "nothing learned once a0 came up: $(list)"
pass "a0 up again: b's gratuitous ARP learned"
stop_arpd
