#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A late answer never turns a known host negative (issue 16, requirement 4). With
# mcast_solicit=0 only arpd can answer the kernel; if arpd is stalled past retrans_time while a
# miss waits (SIGSTOP here; in real life a socket overrun, a long Flush or Load), the kernel
# reports FAILED on its own (netlink port 0). That proves nothing about the host: arpd must keep
# the binding positive, count answers_late, log the answer-late station event, and answer the
# next miss.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping arping

setup_pair
solicit a a0 1 0 0
start_arpd a a0
garp b b0 $IP_B
wait_for "b learned" 5 list_has a0 $IP_B $MAC_B
in_ns a ip neigh flush dev a0

kill -STOP "$ARPD_PID"
in_ns a ping -c1 -W3 $IP_B >/dev/null 2>&1 &
PIDS+=("$!")
failed_in_kernel() { in_ns a ip neigh show $IP_B dev a0 | grepq FAILED; }
wait_for "the kernel to give up on b by itself" 10 failed_in_kernel
kill -CONT "$ARPD_PID"

late() { local v; v=$(stat a0 answers_late) && [ "$v" -ge 1 ]; }
wait_for "answers_late counted" 5 late
list_has a0 $IP_B $MAC_B || fail "the kernel's FAILED turned b negative: $(list | grep $IP_B)"
pass "the binding stays positive after a late answer ($(stat a0 answers_late) late)"
grep -F "$IP_B answer late: the kernel gave up on $MAC_B although arpd answered" "$WORK/arpd.log" |
        grep -qF "STATION_EVENT=answer-late" || fail "no answer-late station event in the journal"
pass "the answer-late station event: $(grep -F "$IP_B answer late" "$WORK/arpd.log" | head -n1)"

in_ns a ip neigh flush dev a0
in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "the next miss for b was not answered"
pass "the next miss is answered"
