#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No cliff under a storm of misses: M addresses are known to arpd (loaded with -f, b's MAC), a
# cannot resolve anything by itself (app_solicit=1, mcast_solicit=0, ucast_solicit=0), and a sends
# one datagram to each of them at once. The kernel asks arpd once per address and gives up after
# one retrans_time (1 s) without an answer, so every miss lost (netlink receive buffer overrun, slow
# batch) leaves an address unresolved. All M must be resolved in a's kernel, with no broadcast ARP
# from a, three times over (flush, storm).
#
# M = 400: the kernel's gc_thresh1/2/3 (128/512/1024 by default) exist only in the initial network
# namespace and bound the neighbour entries of all namespaces together. The test must not change
# them (they are the host's), so M stays well below gc_thresh2 (512), above which the kernel may
# reclaim entries (resolved ones too) while the test counts them.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd tcpdump
require_python

M=400
setup_pair
solicit a a0 1 0 0
ip -n "$T-a" addr add 198.18.2.1/23 dev a0

# The M addresses 198.18.2.2 ... 198.18.3.145 (inside 198.18.2.0/23), all held by b.
"$PYTHON" -c '
import ipaddress, sys
base = int(ipaddress.IPv4Address("198.18.2.2"))
for i in range(int(sys.argv[1])):
    print(ipaddress.IPv4Address(base + i))
' "$M" >"$WORK/addrs"
[ "$(wc -l <"$WORK/addrs")" = "$M" ] || fail "could not make the address list"
sed "s|.*|addr add &/23 dev b0|" "$WORK/addrs" | ip -n "$T-b" -batch - || fail "adding b's addresses failed"
sed "s|.*|a0 & $MAC_B|" "$WORK/addrs" >"$WORK/load.txt"
"$ARPD" -b "$DB" -f "$WORK/load.txt" >"$WORK/load.out" 2>&1 || fail "loading the addresses failed: $(cat "$WORK/load.out")"
[ "$(list | grep -c " $MAC_B\$")" = "$M" ] || fail "the store does not hold the $M loaded entries"

cat >"$WORK/storm.py" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for a in open(sys.argv[1]).read().split():
    try:
        s.sendto(b"x", (a, 9))
    except OSError:
        pass
PYEOF
# resolved: how many of the M addresses a's kernel holds with b's MAC.
resolved() {
        in_ns a ip -4 neigh show dev a0 |
                awk -v m="$MAC_B" '$2 == "lladdr" && $3 == m && $1 ~ /^198\.18\.[23]\./ { n++ } END { print n + 0 }'
}

start_arpd a a0
for round in 1 2 3; do
        in_ns a ip neigh flush dev a0
        [ "$(resolved)" = 0 ] || fail "round $round: the flush left entries"
        capture b b0 storm$round
        t0=$(date +%s%N)
        in_ns a timeout 30 "$PYTHON" "$WORK/storm.py" "$WORK/addrs"
        n=0
        for _ in $(seq 200); do
                n=$(resolved)
                [ "$n" -ge "$M" ] && break
                sleep 0.05
        done
        t1=$(date +%s%N)
        stop_capture storm$round
        [ "$n" -ge "$M" ] || fail "round $round: only $n of $M addresses resolved within 10 s"
        bc=$(frames storm$round | grep -F "$MAC_A > ff:ff:ff:ff:ff:ff" | grep -c "Request who-has" || true)
        [ "$bc" = 0 ] || fail "round $round: a broadcast $bc ARP requests"
        pass "round $round: all $n of $M resolved in $(((t1 - t0) / 1000000)) ms, no broadcast from a"
done
expect_stat a0 requests_answered -ge $((3 * M))
info "netlink overruns logged: $(grep -c "events were lost" "$WORK/arpd.log" || true), packet_drops=$(stat a0 packet_drops)"
