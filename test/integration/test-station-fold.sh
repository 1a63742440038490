#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Rate-limited station events are folded, never dropped silently: 80 new stations at once (kernel
# neighbour entries) pass the per-interface limit (50, then 5/s) only in part; within a second
# one summary entry in the journal and one "folded" StationEvent in arpctl monitor say how many
# of which kind were folded, and what was reported plus what was folded is all 80.
. "$(dirname "$0")/lib.sh"
require_root
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }
N=80

setup_pair
start_arpd a a0
"$ARPCTL" --socket "$WORK/bus" --json=short monitor >"$WORK/mon.out" 2>"$WORK/mon.err" &
MON=$!
PIDS+=("$MON")
wait_for "monitor subscribed" 5 grep -q "^Monitoring" "$WORK/mon.err"
"$ARPCTL" --socket "$WORK/bus" monitor >"$WORK/mont.out" 2>"$WORK/mont.err" &
PIDS+=("$!")
wait_for "text monitor subscribed" 5 grep -q "^Monitoring" "$WORK/mont.err"

for i in $(seq 10 $((N + 9))); do
        printf 'neigh add 198.18.0.%d lladdr 02:00:5e:20:00:%02x dev a0 nud stale\n' "$i" "$i"
done >"$WORK/batch"
ip -n "$T-a" -batch "$WORK/batch"
stored() { [ "$(list | awk '$1 == "a0" && $2 ~ /^198\.18\.0\./ && $3 ~ /^02:00:5e:20:/' | wc -l)" = $N ]; }
wait_for "all $N stored" 5 stored

summary() { grep "station events were not logged one by one (rate limit): " "$WORK/arpd.log" | tail -n1; }
wait_for "the summary in the journal" 3 summary
folded=$(summary | grep -o 'new-station=[0-9]*' | cut -d= -f2)
logged=$(grep -c " new station: 02:00:5e:20:" "$WORK/arpd.log" || true)
[ -n "$folded" ] && [ "$folded" -gt 0 ] || fail "no new-station count in the summary: $(summary)"
[ $((logged + folded)) = $N ] || fail "$logged logged + $folded folded != $N"
pass "journal: $logged new stations logged, $folded folded: $(summary | sed 's/.*rate limit/rate limit/')"

mon_folded() { grep -F '"event":"folded"' "$WORK/mon.out" | grep -o '"new-station":[0-9]*' | cut -d: -f2 | awk '{ n += $1 } END { print n + 0 }'; }
has_folded() { grep -qF '"event":"folded"' "$WORK/mon.out"; }
wait_for "the folded signal" 3 has_folded
mon_logged=$(grep -F '"event":"new-station"' "$WORK/mon.out" | grep -c '"lladdr":"02:00:5e:20:' || true)
[ $((mon_logged + $(mon_folded))) = $N ] || fail "monitor: $mon_logged + $(mon_folded) != $N: $(grep folded "$WORK/mon.out")"
pass "monitor: $mon_logged new-station events + folded $(grep -F '"event":"folded"' "$WORK/mon.out" | head -n1)"
text_folded() { grep -E "^[0-9:]{8} folded +a0 +- +- +new-station=[0-9]+$" "$WORK/mont.out" >/dev/null; }
wait_for "the folded line of the text monitor" 2 text_folded
pass "text monitor: $(grep ' folded ' "$WORK/mont.out" | head -n1)"
