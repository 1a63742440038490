#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A re-dump after lost events also removes what vanished (issue 16, requirement 6). While arpd is
# stopped (SIGSTOP) the kernel reports far more neighbour changes than arpd's netlink receive
# buffer holds; then an address is removed from a0 and the interface c0 is deleted, and those
# notifications are lost too. After the overrun arpd must have dropped both: it no longer learns
# in the removed subnet, and c0 is no longer served.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd arping

N=100
ROUNDS=1500

setup_pair
ns_add c
veth a c0 198.18.2.1/24 02:aa:00:00:00:03 c c1 198.18.2.2/24 02:cc:00:00:00:04
ip -n "$T-a" addr add 198.18.1.1/24 dev a0
ip -n "$T-b" addr add 198.18.1.5/24 dev b0
ip -n "$T-b" addr add 198.18.1.6/24 dev b0
start_arpd a a0 c0
garp b b0 198.18.1.6
wait_for "a sender in 198.18.1.0/24 learned" 5 list_has a0 198.18.1.6 $MAC_B
pass "arpd learns in 198.18.1.0/24 while a0 has 198.18.1.1/24"

kill -STOP "$ARPD_PID"
PYTHON=${PYTHON:-python3}
"$PYTHON" - "$N" "$ROUNDS" >"$WORK/batch" <<'PY'
import sys
n, rounds = int(sys.argv[1]), int(sys.argv[2])
for r in range(rounds):
    for i in range(n):
        mac = f"02:ee:00:00:00:{i:02x}" if r == rounds - 1 else f"02:cc:00:00:{r % 2:02x}:{i:02x}"
        print(f"neigh replace 198.18.0.{10 + i} lladdr {mac} dev a0 nud stale")
PY
timeout 120 ip -n "$T-a" -batch "$WORK/batch" || { kill -CONT "$ARPD_PID"; fail "ip -batch failed"; }
# the buffer is full now: these notifications are lost
ip -n "$T-a" addr del 198.18.1.1/24 dev a0
ip -n "$T-a" link del c0
kill -CONT "$ARPD_PID"

final_ok() {
        local n
        n=$(list | awk '$1 == "a0" && $3 ~ /^02:ee:00:00:00:/ { n++ } END { print n + 0 }')
        [ "$n" = "$N" ]
}
wait_for "the store to hold the kernel's final state" 30 final_ok
overruns=$(stat '*' netlink_overruns)
[ "${overruns:-0}" -ge 1 ] || fail "no netlink overrun was counted: the test did not overflow the buffer"
pass "overrun counted ($overruns), kernel tables re-read"

gone() { grep -q "c0: .*vanished while events were lost\|c0: gone" "$WORK/arpd.log"; }
wait_for "c0 dropped" 5 gone
pass "the interface deleted during the overrun is no longer served"

garp b b0 198.18.1.5
sleep 0.5
[ "$(list_lines a0 198.18.1.5)" = 0 ] || fail "arpd still learns in the subnet removed during the overrun: $(list | grep 198.18.1.5)"
expect_stat a0 rejected_out_of_subnet -ge 1
pass "the address removed during the overrun is no longer a subnet of a0"
