#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The store's bounds are recorded in the store and honoured by every writer, whatever its own
# options: a store created with --max-entries=100 keeps 100 entries of a0 when arpd -f loads 150
# (the 50 oldest evicted), also when a later arpd -f and the daemon run with the default bound;
# statics are never evicted. The daemon's statistics show the interface's entries and evictions
# (STORE_IFACE_ENTRIES, STORE_EVICTED), counted by every writer.
. "$(dirname "$0")/lib.sh"
require_root

lines() { # FIRST COUNT [static]: load-file lines for a0, 198.18.1.FIRST.. (the later, the newer)
        local i
        for i in $(seq "$1" $(($1 + $2 - 1))); do
                printf 'a0 198.18.%d.%d 02:00:00:00:%02x:%02x %s\n' $((1 + i / 250)) $((i % 250 + 1)) $((i / 256)) $((i % 256)) "${3:-}"
        done
}
lines 0 150 >"$WORK/first.txt"
"$ARPD" -b "$DB" --max-entries=100 -f "$WORK/first.txt" 2>"$WORK/load1.log" || fail "the first load failed: $(cat "$WORK/load1.log")"
n=$(list | wc -l)
[ "$n" = 100 ] || fail "a store bounded at 100 holds $n entries after loading 150"
pass "a store created with --max-entries=100 keeps 100 of 150 loaded entries"

# Another writer with the default bound (1,000,000): the store's own bound still holds.
lines 150 20 static >"$WORK/statics.txt"
lines 170 30 >>"$WORK/statics.txt"
"$ARPD" -b "$DB" -f "$WORK/statics.txt" 2>"$WORK/load2.log" || fail "the second load failed: $(cat "$WORK/load2.log")"
n=$(list | wc -l)
[ "$n" = 100 ] || fail "after a writer with the default bound the store holds $n entries, expected 100"
[ "$(list | grep -c ' static$')" = 20 ] || fail "statics were evicted: $(list | grep -c ' static$') of 20 left"
pass "a writer with other options honours the recorded bound; statics stay"

setup_pair
start_arpd a a0
kill -USR1 "$ARPD_PID"
wait_for "statistics for a0" 5 stats_logged a0 0
entry=$(stats_lines a0 | tail -n1)
grep -q "STORE_IFACE_ENTRIES=100\b" <<<"$entry" || fail "no STORE_IFACE_ENTRIES=100 in: $entry"
grep -q "STORE_EVICTED=100\b" <<<"$entry" || fail "no STORE_EVICTED=100 (50 by each load) in: $entry"
pass "the statistics show the interface's entries and its evictions by every writer"
stop_arpd TERM
