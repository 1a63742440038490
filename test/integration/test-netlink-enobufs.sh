#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Lost kernel events are recovered: while arpd is stopped (SIGSTOP), the kernel reports far more
# neighbour changes than arpd's netlink receive buffer holds, so the newest ones are dropped and
# arpd's next read fails with ENOBUFS. arpd must count the overrun, re-read the kernel's table and
# end up storing the kernel's final state (the MACs set last, whose events were the ones dropped).
. "$(dirname "$0")/lib.sh"
require_root

N=100        # addresses 198.18.0.10 ... 198.18.0.109
ROUNDS=1500  # each round replaces all N entries: N * ROUNDS events

setup_pair
start_arpd a a0

kill -STOP "$ARPD_PID"
PYTHON=${PYTHON:-python3}
"$PYTHON" - "$N" "$ROUNDS" >"$WORK/batch" <<'PY'
import sys
n, rounds = int(sys.argv[1]), int(sys.argv[2])
for r in range(rounds):
    for i in range(n):
        # the last round sets 02:ee:00:00:00:XX, earlier ones alternate other MACs
        mac = f"02:ee:00:00:00:{i:02x}" if r == rounds - 1 else f"02:cc:00:00:{r % 2:02x}:{i:02x}"
        print(f"neigh replace 198.18.0.{10 + i} lladdr {mac} dev a0 nud stale")
PY
timeout 120 ip -n "$T-a" -batch "$WORK/batch" || { kill -CONT "$ARPD_PID"; fail "ip -batch failed"; }
kill -CONT "$ARPD_PID"
info "$((N * ROUNDS)) neighbour events generated while arpd was stopped"

final_ok() {
        local n
        n=$(list | awk '$1 == "a0" && $3 ~ /^02:ee:00:00:00:/ { n++ } END { print n + 0 }')
        [ "$n" = "$N" ]
}
wait_for "the store to hold the kernel's final state" 20 final_ok
pass "the store holds the final MAC of all $N neighbours"

overruns=$(stat '*' netlink_overruns)
[ "${overruns:-0}" -ge 1 ] || fail "no netlink overrun was counted: the test did not overflow the buffer (netlink_overruns=$overruns)"
grep -q "events were lost" "$WORK/arpd.log" || fail "the overrun was not logged"
pass "overrun counted ($overruns) and logged, kernel table re-read"

# still serving: a miss is answered afterwards
solicit a a0 1 0 0
garp b b0 $IP_B
wait_for "b learned" 5 list_has a0 $IP_B $MAC_B
in_ns a ip neigh flush dev a0
in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "a miss after the overrun was not answered"
pass "misses are still answered after the overrun"
