#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An idle daemon pins no pages of the shared store: after arpd has handled some input and gone
# quiet, another process rewrites the store many times (as a second instance or arpctl --database
# would); LMDB can reuse the pages it frees only if no reader still holds an old snapshot, so the
# file stays near its steady-state size. (Before the daemon released its snapshot at the end of
# each wakeup, its last one pinned every page freed afterwards and the file grew with each round.)
. "$(dirname "$0")/lib.sh"
require_root
require_cmd arping
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

setup_pair
start_arpd a a0
# b announces itself (learned, committed); then again: a wakeup that reads the store and decides
# to write nothing (same MAC, seen a moment ago) -- the case where a snapshot could stay open
garp b b0 $IP_B
wait_for "b learned" 2 list_has a0 $IP_B $MAC_B
garp b b0 $IP_B
wait_for "the second announcement was received" 2 sh -c "kill -USR1 $ARPD_PID; sleep 0.1; grep -q 'ARP_RECEIVED=2' '$WORK/arpd.log'"

lines="$WORK/batch.txt"
for i in $(seq 0 1999); do printf 'a9 198.19.%d.%d 02:00:00:%02x:%02x:01\n' $((i / 250)) $((i % 250 + 1)) $((i / 256)) $((i % 256)); done >"$lines"
size() { command stat -c %s "$DB"; }
churn() { # N rounds: load 2000 entries, flush them again
        for _ in $(seq "$1"); do
                "$ARPCTL" --database "$DB" load "$lines" >/dev/null || fail "offline load failed"
                "$ARPCTL" --database "$DB" flush a9 --all >/dev/null || fail "offline flush failed"
        done
}
churn 5
steady=$(size)
churn 60
after=$(size)
info "store file: ${steady} bytes after 5 rounds, ${after} after 65"
[ "$after" -le $((steady * 2)) ] || fail "the store grew from $steady to $after bytes while arpd was idle (a pinned snapshot)"
kill -0 "$ARPD_PID" || fail "arpd died"
pass "60 rounds of offline rewrites beside an idle arpd: the file stayed at $after bytes (steady state $steady)"
