#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Answering never waits for the store's write lock: while another process holds a write
# transaction on the shared store (store-hold, the same store_txn_begin() a large
# "arpctl --database load" uses), arpd learns a new neighbour (staged; its commit is deferred),
# answers the kernel's miss for a known one, and its control endpoint answers; once the other
# writer is done, the deferred change is committed and nothing was reported as a store error.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping arping
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }
[ -n "${STORE_HOLD:-}" ] && [ -x "$STORE_HOLD" ] || { echo "STORE_HOLD must name the store-hold helper"; exit 1; }

setup_pair
ip -n "$T-b" addr add 198.18.0.3/24 dev b0
solicit a a0 1 0 0
start_arpd a a0
garp b b0 $IP_B
wait_for "b learned" 5 list_has a0 $IP_B $MAC_B
pass "arpd learned b"

HOLD=6
"$STORE_HOLD" "$DB" $HOLD >"$WORK/hold.out" 2>"$WORK/hold.log" &
HOLDER=$!
PIDS+=("$HOLDER")
wait_for "the other writer holds the store" 5 grep -q held "$WORK/hold.out"
t0=$(date +%s%N)
# A new neighbour while the lock is held: staged, its commit (50 ms later) finds the lock taken.
garp b b0 198.18.0.3
sleep 0.3
in_ns a ip neigh flush dev a0
in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "the miss for b was not answered while another process held the write lock"
out=$(timeout 2 "$ARPCTL" --socket "$WORK/bus" stats a0) || fail "the control endpoint did not answer while the write lock was held"
grep -q "^a0 *arp_new" <<<"$out" || fail "stats: $out"
elapsed=$((($(date +%s%N) - t0) / 1000000))
kill -0 "$HOLDER" 2>/dev/null || fail "the other writer was gone before the checks ended (${elapsed} ms): not a test of waiting"
pass "while the lock was held: b's miss answered, the control endpoint answered (${elapsed} ms into a ${HOLD} s hold)"
list_has a0 198.18.0.3 $MAC_B && fail "198.18.0.3 committed while another process held the write lock?"
wait "$HOLDER" || fail "store-hold failed: $(cat "$WORK/hold.log")"
wait_for "the deferred change committed" 5 list_has a0 198.18.0.3 $MAC_B
pass "after the other writer ended, the deferred change (198.18.0.3) is committed"
grep -q "Failed to write to the store" "$WORK/arpd.log" && fail "a store error was reported: $(grep "Failed to write" "$WORK/arpd.log")"
expect_stat a0 store_errors -eq 0
stop_arpd
