#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A probe that could not be sent is not a probe (issue 16, requirement 2). arpd reports READY
# and then opens its packet sockets in a thread; with many interfaces that takes a while. Misses
# that arrive in between must still get their probe once the sockets exist: a burst of misses
# for unknown hosts right after READY, with -a 1, gets exactly one ARP probe per host on the
# wire (the kernel sends none itself: mcast_solicit=0).
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping tcpdump

LINKS=40     # extra interfaces, so that opening the packet sockets takes long enough
HOSTS=10     # unknown hosts 198.18.0.100 ...

setup_pair
ns_add c
for i in $(seq $LINKS); do
        ip -n "$T-a" link add "x$i" type veth peer name "y$i"
        ip -n "$T-a" link set "x$i" up
        ip -n "$T-a" link set "y$i" netns "$T-c"
done
solicit a a0 1 0 0
capture b b0 wire

ready=$(grep -c "Sniffing started" "$WORK/arpd.log" 2>/dev/null || true)
ip netns exec "$T-a" "$ARPD" -b "$DB" --control-socket "$WORK/bus" -a 1 -R 100 -B 50 >>"$WORK/arpd.log" 2>&1 &
ARPD_PID=$!
PIDS+=("$ARPD_PID")
is_ready() { grep -q "Ready:" "$WORK/arpd.log"; }
for _ in $(seq 1000); do is_ready && break; kill -0 "$ARPD_PID" 2>/dev/null || fail "arpd exited"; sleep 0.01; done
is_ready || fail "arpd did not get ready"
for i in $(seq 0 $((HOSTS - 1))); do
        in_ns a ping -c1 -W1 198.18.0.$((100 + i)) >/dev/null 2>&1 &
        PIDS+=("$!")
done
early=1
grep -q "Sniffing started" "$WORK/arpd.log" && early=0
sniffing() { [ "$(grep -c "Sniffing started" "$WORK/arpd.log")" -gt "${ready:-0}" ]; }
wait_for "Sniffing started" 20 sniffing
[ "$early" = 1 ] || skip "the packet sockets were open before the misses arrived (machine too fast to test the window)"
sleep 2
stop_capture wire

deferred=$(stat a0 probes_deferred)
[ "$deferred" -ge 1 ] || fail "no miss arrived before the packet sockets were open (probes_deferred=$deferred)"
for i in $(seq 0 $((HOSTS - 1))); do
        ip=198.18.0.$((100 + i))
        n=$(frames wire | grep -c "Request who-has $ip " || true)
        [ "$n" = 1 ] || fail "$n ARP probes for $ip on the wire, expected exactly 1 ($(frames wire | grep -c 'who-has') in all)"
done
pass "each of the $HOSTS unknown hosts got exactly one probe ($deferred deferred until the sockets were open)"
unsent=$(stat a0 probes_unsent)
[ "$unsent" = 0 ] || fail "probes_unsent=$unsent"
pass "no probe was lost"
