#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Station events and the MAC history (issue 12, arpwatch's db.c): one address announced by b with
# the MACs A B A C A B in turn is a new station, changed, flip flop, changed, flip flop, reused old
# (the third-newest MAC again). The journal entries (here: arpd's log) and arpctl monitor's JSON
# show them in that order; arpctl history lists B, A, C newest first, online and offline; a
# restart keeps the history, so A once more after it is a flip flop again. Bad usage exits 2, an
# unknown address 4. A static entry over it makes a frame with another MAC a static conflict.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd arping
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }
ctl() { "$ARPCTL" --socket "$WORK/bus" "$@"; }

M_A=02:00:5e:10:00:0a
M_B=02:00:5e:10:00:0b
M_C=02:00:5e:10:00:0c

setup_pair
start_arpd a a0
"$ARPCTL" --socket "$WORK/bus" --json=short monitor >"$WORK/mon.out" 2>"$WORK/mon.err" &
MON=$!
PIDS+=("$MON")
wait_for "monitor subscribed" 5 grep -q "^Monitoring" "$WORK/mon.err"

# announce MAC: b takes MAC and sends a gratuitous ARP; wait until the store has it
announce() {
        ip -n "$T-b" link set b0 address "$1"
        garp b b0 $IP_B
        wait_for "$IP_B at $1 stored" 2 list_has a0 $IP_B "$1"
        sleep 0.05
}
for m in $M_A $M_B $M_A $M_C $M_A $M_B; do announce $m; done

# The journal: arpd's structured entries, in order (the log holds their MESSAGE text).
events=$(grep -F "$IP_B " "$WORK/arpd.log" | grep -oE "new station|moved|flip flop|reused old address" | tr '\n' ',')
[ "$events" = "new station,moved,flip flop,moved,flip flop,reused old address," ] ||
        fail "journal events for $IP_B: $events"
grep -F "$IP_B flip flop: $M_C -> $M_A (arp)" "$WORK/arpd.log" >/dev/null || fail "flip flop names both MACs: $(grep -F "$IP_B" "$WORK/arpd.log")"
grep -F "$IP_B reused old address: $M_A -> $M_B (arp)" "$WORK/arpd.log" >/dev/null || fail "reused old names both MACs"
pass "journal: $events"

want='new-station,mac-changed,flip-flop,mac-changed,flip-flop,reused-old,'
seen() { grep -F '"kind":"station"' "$WORK/mon.out" | grep -F "\"dst\":\"$IP_B\"" | sed 's/.*"event":"\([a-z-]*\)".*/\1/' | tr '\n' ','; }
got_all() { [ "$(seen)" = "$want" ]; }
wait_for "monitor's station events" 3 got_all
grep -qF "{\"kind\":\"station\",\"event\":\"flip-flop\",\"dev\":\"a0\",\"dst\":\"$IP_B\",\"lladdr\":\"$M_A\",\"old_lladdr\":\"$M_C\",\"source\":\"arp\",\"time_usec\":" "$WORK/mon.out" ||
        fail "monitor's flip-flop object: $(cat "$WORK/mon.out")"
pass "monitor: $(seen)"

history_macs() { "$@" | awk '{ print $3 }' | tr '\n' ','; }
h=$(history_macs ctl --no-legend history $IP_B)
[ "$h" = "$M_B,$M_A,$M_C," ] || fail "history online: $h"
h=$(history_macs ctl --no-legend history $IP_B dev a0)
[ "$h" = "$M_B,$M_A,$M_C," ] || fail "history online with dev: $h"
ctl --json=short history $IP_B | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [e["lladdr"] for e in d] == sys.argv[1].split(","), d
assert all(e["dev"] == "a0" and e["dst"] == sys.argv[2] for e in d), d
assert all(e["first_seen_usec"] <= e["last_seen_usec"] for e in d), d
' "$M_B,$M_A,$M_C" "$IP_B" || fail "history --json: $(ctl --json=short history $IP_B)"
pass "arpctl history lists B, A, C newest first: $(ctl --no-legend history $IP_B | tr '\n' ';')"

rc=0; ctl history 198.18.0.99 >/dev/null 2>&1 || rc=$?
[ "$rc" = 4 ] || fail "history of an unknown address exited $rc, expected 4"
rc=0; ctl history 198.18.0.999 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "history of a malformed address exited $rc, expected 2"
rc=0; ctl history $M_A >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "history of a MAC exited $rc, expected 2"
rc=0; ctl history $IP_B dev >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "history ADDR dev without a name exited $rc, expected 2"
pass "history: 4 for no match, 2 for bad usage"

# The history is the store's: it survives a restart, and is read offline too.
kill "$MON"; wait "$MON" || true
stop_arpd
h=$(history_macs "$ARPCTL" --database "$DB" --no-legend history $IP_B)
[ "$h" = "$M_B,$M_A,$M_C," ] || fail "history offline: $h"
pass "offline (--database): $h"
start_arpd a a0
h=$(history_macs ctl --no-legend history $IP_B)
[ "$h" = "$M_B,$M_A,$M_C," ] || fail "history after a restart: $h"
announce $M_A
flip() { grep -F "$IP_B flip flop: $M_B -> $M_A" "$WORK/arpd.log" >/dev/null; }
wait_for "a flip flop after the restart" 2 flip
h=$(history_macs ctl --no-legend history $IP_B)
[ "$h" = "$M_A,$M_B,$M_C," ] || fail "history after the flip flop: $h"
pass "after a restart A is a flip flop again; history $h"

# A static entry over the address: a frame with another MAC is a static-conflict event (the static
# MAC is kept), and the history shows the static MAC as the newest.
M_S=02:00:5e:10:00:ee
ctl add a0 $IP_B $M_S
ip -n "$T-b" link set b0 address $M_B
garp b b0 $IP_B
conflict() { grep -F "$IP_B contradicts its static entry: $M_S -> $M_B" "$WORK/arpd.log" | grepq -F "STATION_EVENT=static-conflict"; }
wait_for "the static-conflict event" 2 conflict
list_has a0 $IP_B $M_S || fail "the static entry was replaced"
h=$(history_macs ctl --no-legend history $IP_B)
[ "$h" = "$M_S,$M_A,$M_B,$M_C," ] || fail "history with the static entry: $h"
pass "static-conflict logged, static MAC kept; history $h"

# --vendor: the registry's name beside each MAC (text and JSON), offline too.
VDB="$WORK/vendor.lmdb"
echo "a0 198.18.0.50 00:22:72:00:00:01" | "$ARPD" -b "$VDB" -f - >/dev/null 2>&1 || fail "seeding failed"
mkdir "$WORK/ieee"
printf 'Registry,Assignment,Organization Name,Organization Address\nMA-L,002272,American Micro-Fuel Device Corp.,Ferndale WA US\n' >"$WORK/ieee/oui.csv"
out=$(ARPCTL_IEEE_DATA_DIR="$WORK/ieee" "$ARPCTL" --database "$VDB" --no-legend --vendor history 198.18.0.50)
case $out in *"00:22:72:00:00:01 "*" American Micro-Fuel Device Corp.") ;; *) fail "history --vendor: $out" ;; esac
out=$(ARPCTL_IEEE_DATA_DIR="$WORK/ieee" "$ARPCTL" --database "$VDB" --json=short --vendor history 198.18.0.50)
case $out in *'"vendor":"American Micro-Fuel Device Corp."}]') ;; *) fail "history --json --vendor: $out" ;; esac
pass "history --vendor: $out"
