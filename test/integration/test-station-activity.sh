#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# New activity (arpwatch's db.c): the address's known MAC seen again after more than
# --new-activity seconds of silence is a "new activity" station event (journal and arpctl
# monitor, with the silence); seen again a moment later, it is none.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd arping
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

setup_pair
start_arpd a a0 --new-activity=2
"$ARPCTL" --socket "$WORK/bus" --json=short monitor >"$WORK/mon.out" 2>"$WORK/mon.err" &
PIDS+=("$!")
wait_for "monitor subscribed" 5 grep -q "^Monitoring" "$WORK/mon.err"

garp b b0 $IP_B
wait_for "b learned" 2 list_has a0 $IP_B $MAC_B
sleep 1
garp b b0 $IP_B # seen again a moment later: no event
# arpd refreshes a binding's last seen at most every 10 s, so a silence is measured in steps of that:
# wait past it
sleep 10.5
garp b b0 $IP_B
activity() { grep -F "$IP_B new activity: $MAC_B again after " "$WORK/arpd.log" | grep -qF "STATION_EVENT=new-activity"; }
wait_for "the new-activity event" 2 activity
[ "$(grep -c "$IP_B new activity" "$WORK/arpd.log")" = 1 ] || fail "expected one new-activity event: $(grep "new activity" "$WORK/arpd.log")"
mon() { grep -F '"event":"new-activity"' "$WORK/mon.out" | grep -F "\"dst\":\"$IP_B\"" | grep -q '"idle_usec":[1-9][0-9]\{7\},'; } # 10 to 99 s
for _ in $(seq 40); do mon && break; sleep 0.05; done
mon || fail "monitor's new-activity object with its silence: $(grep -F '"kind":"station"' "$WORK/mon.out")"
pass "new activity after the silence: $(grep -F "$IP_B new activity" "$WORK/arpd.log" | head -n1)"
