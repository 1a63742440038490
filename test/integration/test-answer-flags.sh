#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An answer changes only what the kernel asked about (issue 16, requirement 1). Host a cannot
# resolve by itself (app_solicit=1, mcast_solicit=0, ucast_solicit=0) and arpd knows b's
# addresses:
#   - a managed neighbour and an extern_learn one keep their flags after arpd answers them;
#   - every answered entry shows arpd's protocol (proto 44), unless it names its own;
#   - a MAC the kernel validated after the miss (while arpd was stopped) is not overwritten;
#   - an entry the kernel dropped after the miss is not created again.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping arping

IP_B2=198.18.0.3
IP_B3=198.18.0.4
IP_B4=198.18.0.5
MAC_X=02:cc:00:00:00:09

setup_pair
for ip in $IP_B2 $IP_B3 $IP_B4; do ip -n "$T-b" addr add $ip/24 dev b0; done
solicit a a0 1 0 0
start_arpd a a0
for ip in $IP_B $IP_B2 $IP_B3 $IP_B4; do garp b b0 $ip; done
for ip in $IP_B $IP_B2 $IP_B3 $IP_B4; do wait_for "$ip learned" 5 list_has a0 $ip $MAC_B; done
in_ns a ip neigh flush dev a0
pass "arpd learned b's four addresses"

neigh() { in_ns a ip neigh show "$1" dev a0; }
neigh_has() { local l; l=$(neigh "$1"); shift; for w in "$@"; do grep -qw -- "$w" <<<"$l" || return 1; done; }

# managed: the kernel asks (INCOMPLETE, managed) as soon as the entry exists
in_ns a ip neigh add $IP_B dev a0 managed
wait_for "the managed entry answered" 5 neigh_has $IP_B $MAC_B
neigh_has $IP_B managed || fail "the managed flag was lost: $(neigh $IP_B)"
neigh_has $IP_B 44 || fail "no proto 44 on the answered entry: $(in_ns a ip -d neigh show $IP_B dev a0)"
pass "managed entry answered and still managed, proto 44: $(neigh $IP_B)"

# extern_learn: an entry of another control plane (protocol 11, zebra's) that the kernel is asked
# to resolve ("use")
in_ns a ip neigh add $IP_B2 dev a0 extern_learn use protocol 11
wait_for "the extern_learn entry answered" 5 neigh_has $IP_B2 $MAC_B
neigh_has $IP_B2 extern_learn || fail "the extern_learn flag was lost: $(neigh $IP_B2)"
in_ns a ip -d neigh show $IP_B2 dev a0 | grep -Eq "proto (11|zebra)" ||
        fail "the other control plane's protocol was replaced: $(in_ns a ip -d neigh show $IP_B2 dev a0)"
pass "extern_learn entry answered and still extern_learn, its protocol kept: $(neigh $IP_B2)"

# a plain miss: answered with arpd's protocol
in_ns a ping -c1 -W2 $IP_B3 >/dev/null || fail "ping to $IP_B3 failed although arpd knows it"
in_ns a ip -d neigh show $IP_B3 dev a0 | grepq "proto 44" || fail "no proto 44: $(in_ns a ip -d neigh show $IP_B3 dev a0)"
pass "an answered miss shows proto 44"

# The kernel validates another MAC between the miss and the answer: arpd is stopped, the miss
# waits in its socket, the operator (standing in for the kernel's own confirmation) installs a
# REACHABLE entry with another MAC; when arpd goes on, its answer must not replace it.
kill -STOP "$ARPD_PID"
in_ns a ping -c1 -W1 $IP_B4 >/dev/null 2>&1 &
ping_pid=$!
PIDS+=("$ping_pid")
wait_for "the miss for $IP_B4" 5 sh -c "ip -n '$T-a' neigh show $IP_B4 dev a0 | grep -q INCOMPLETE"
in_ns a ip neigh replace $IP_B4 dev a0 lladdr $MAC_X nud reachable
kill -CONT "$ARPD_PID"
sleep 0.5
neigh_has $IP_B4 $MAC_X || fail "arpd's answer overwrote the MAC the kernel validated: $(neigh $IP_B4)"
pass "a MAC validated after the miss is kept: $(neigh $IP_B4)"

# The kernel drops the entry between the miss and the answer: it must not come back.
IP_B5=198.18.0.6
ip -n "$T-b" addr add $IP_B5/24 dev b0
garp b b0 $IP_B5
wait_for "$IP_B5 learned" 5 list_has a0 $IP_B5 $MAC_B
answered_before=$(stat a0 requests_answered)
kill -STOP "$ARPD_PID"
in_ns a ping -c1 -W1 $IP_B5 >/dev/null 2>&1 &
PIDS+=("$!")
wait_for "the miss for $IP_B5" 5 sh -c "ip -n '$T-a' neigh show $IP_B5 dev a0 | grep -q INCOMPLETE"
in_ns a ip neigh del $IP_B5 dev a0
kill -CONT "$ARPD_PID"
after=$(stat a0 requests_answered)
[ "$after" -gt "$answered_before" ] || fail "arpd did not process the queued miss (requests_answered $answered_before -> $after)"
[ -z "$(neigh $IP_B5)" ] || fail "arpd's answer created the entry the kernel dropped again: $(neigh $IP_B5)"
pass "an entry dropped after the miss is not re-created"
