#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The store's bounds change after creation (issue 15 req 6), online and offline, and every writer
# honours the new ones at its next commit:
#   - offline: arpctl --database set-limits --max-per-interface=N evicts each interface down to N
#     (older ones first; sampled past 32 entries), under the write lock; arpctl limits shows the bounds, entries and
#     evictions per interface; a later arpd -f load with no bound of its own keeps to it;
#   - online: through the running daemon (SetLimits), refused to an unprivileged user (nothing
#     changed); a lowered bound evicts at once, and the daemon's next commit (a learned host)
#     keeps the interface at it; the daemon reports the recorded bound (MaxEntries);
#   - arpd --max-per-interface / --max-entries given on an existing store replace its bounds;
#   - a total lowered below what is stored cuts the largest interfaces first, to a common level.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd setpriv arping busctl python3
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }
[ -n "${STORE_HOLD:-}" ] && [ -x "$STORE_HOLD" ] || { echo "STORE_HOLD must name the store-hold helper"; exit 1; }

RUN="$WORK/run"        # the daemons' run directory, as /run/arpd is (ARPCTL_RUN_DIR)
BUS="$RUN/a0/bus"
ctl() { in_ns a env ARPCTL_RUN_DIR="$RUN" "$ARPCTL" "$@"; } # no --socket: the deployment
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
lines() { # IFACE FIRST COUNT: load-file lines, 198.18.x.y from FIRST (the later, the newer)
        local i
        for i in $(seq "$2" $(($2 + $3 - 1))); do
                printf '%s 198.18.%d.%d 02:00:00:00:%02x:%02x\n' "$1" $((10 + i / 250)) $((i % 250 + 1)) $((i / 256)) $((i % 256))
        done
}
on() { list | awk -v i="$1" '$1 == i { n++ } END { print n + 0 }'; }
limits_json() { "$ARPCTL" "$@" limits --json=short; }
field() { python3 -c 'import json, sys; d = json.load(sys.stdin)[0]; print(eval(sys.argv[1]))' "$1"; }

# ---- offline ----
{ lines a0 0 150; lines x9 0 150; } >"$WORK/seed.txt"
"$ARPD" -b "$DB" -f "$WORK/seed.txt" 2>"$WORK/seed.log" || fail "seeding failed: $(cat "$WORK/seed.log")"
[ "$(on a0)/$(on x9)" = 150/150 ] || fail "seeded $(on a0)/$(on x9), expected 150/150"
out=$("$ARPCTL" --database "$DB" set-limits --max-per-interface=100 2>&1) || fail "offline set-limits failed: $out"
grep -q "at most 1000000 entries, 100 per interface; 100 entries evicted" <<<"$out" || fail "offline set-limits said: $out"
[ "$(on a0)/$(on x9)" = 100/100 ] || fail "after --max-per-interface=100: $(on a0)/$(on x9) entries, expected 100/100"
# past 32 entries an interface's order is sampled (store.h, Bounds): no exact victim, but the
# newest entry is never the one a sample picks
list_has a0 198.18.10.150 02:00:00:00:00:95 || fail "the newest a0 entry was evicted"
list_has a0 198.18.10.150 02:00:00:00:00:95 || fail "the newest a0 entry was evicted"
pass "offline: --max-per-interface=100 evicted each interface down to 100, older ones first (sampled past 32 entries), the newest kept"

j=$(limits_json --database "$DB")
[ "$(field 'd["max_entries"], d["max_per_interface"], d["entries"]' <<<"$j")" = "(1000000, 100, 200)" ] ||
        fail "arpctl limits --json: $j"
[ "$(field '[(i["interface"], i["entries"], i["evicted"]) for i in d["interfaces"]]' <<<"$j")" = \
  "[('a0', 100, 50), ('x9', 100, 50)]" ] || fail "arpctl limits per interface: $j"
"$ARPCTL" --database "$DB" limits | grepq "^a0 *100 *50$" || fail "arpctl limits table: $("$ARPCTL" --database "$DB" limits)"
pass "arpctl limits shows the bounds, and each interface's entries and evictions"

lines a0 200 30 >"$WORK/more.txt"
"$ARPD" -b "$DB" -f "$WORK/more.txt" 2>"$WORK/more.log" || fail "arpd -f failed: $(cat "$WORK/more.log")"
[ "$(on a0)" = 100 ] || fail "a later arpd -f left a0 with $(on a0) entries, expected 100"
pass "a later writer with no bound of its own keeps to the changed bound"

rc=0; out=$(nobody "$ARPCTL" --database "$DB" set-limits --max-per-interface=200 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "an unprivileged offline set-limits exited with $rc: $out"
[ "$(limits_json --database "$DB" | field 'd["max_per_interface"]')" = 100 ] || fail "an unprivileged user changed the bound"
pass "offline: an unprivileged user cannot change the bounds (exit 1: $(head -n1 <<<"$out"))"

# ---- online ----
setup_pair
chmod 755 "$WORK" # the socket must be reachable by the unprivileged caller below
mkdir -p "$RUN"
start_arpd a --control-socket "$BUS" a0
out=$(ctl set-limits --max-per-interface=150 2>&1) || fail "online set-limits failed: $out"
grep -q "^Store $DB: at most" <<<"$out" || fail "set-limits through the deployment did not name the store: $out"
grep -q "150 per interface; 0 entries evicted" <<<"$out" || fail "online set-limits said: $out"
[ "$(ctl limits --json=short | field 'd["store"], d["max_per_interface"]')" = "('$DB', 150)" ] ||
        fail "online limits: $(ctl limits --json=short)"
pass "online: set-limits through the daemon (found in the run directory) raised the bound to 150"

lines a0 400 40 | "$ARPCTL" --socket "$BUS" load - >/dev/null || fail "online load failed"
[ "$(on a0)" = 140 ] || fail "a0 holds $(on a0) entries after loading 40 more, expected 140"

rc=0; out=$(nobody "$ARPCTL" --socket "$BUS" set-limits --max-per-interface=100 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "needs root or CAP_NET_ADMIN" <<<"$out" || fail "an unprivileged set-limits: exit $rc: $out"
[ "$(on a0)" = 140 ] && [ "$(limits_json --socket "$BUS" | field 'd["max_per_interface"]')" = 150 ] ||
        fail "an unprivileged caller changed something: $(on a0) entries, $(limits_json --socket "$BUS")"
pass "online: an unprivileged caller is denied ($(grep -o 'needs root[^;]*' <<<"$out")), nothing changed"

# Out of range over D-Bus: InvalidArgs, nothing changed.
rc=0; out=$(busctl --address="unix:path=$BUS" call io.arpd.Manager1 /io/arpd/Manager1 io.arpd.Manager1 SetLimits tt 5 0 2>&1) || rc=$?
[ "$rc" != 0 ] && grep -q "from 100 to 100000000" <<<"$out" || fail "SetLimits 5: exit $rc: $out"
[ "$(limits_json --socket "$BUS" | field 'd["max_entries"], d["max_per_interface"]')" = "(1000000, 150)" ] ||
        fail "SetLimits 5 changed something: $(limits_json --socket "$BUS")"
pass "online: a bound out of range is refused ($out)"

# Another process holds the write lock: refused at once, nothing changed, the daemon answers.
"$STORE_HOLD" "$DB" 3 >"$WORK/hold.out" 2>"$WORK/hold.log" &
HOLDER=$!
PIDS+=("$HOLDER")
wait_for "the other writer holds the store" 5 grep -q held "$WORK/hold.out"
rc=0; out=$(timeout 2 "$ARPCTL" --socket "$BUS" set-limits --max-per-interface=100 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "Another process is writing the store" <<<"$out" || fail "set-limits during another write: exit $rc: $out"
wait "$HOLDER" || fail "store-hold failed: $(cat "$WORK/hold.log")"
[ "$(on a0)" = 140 ] || fail "a refused set-limits evicted: a0 holds $(on a0)"
pass "online: while another process writes, set-limits is refused at once with 'try again', nothing changed"

out=$("$ARPCTL" --socket "$BUS" set-limits --max-per-interface=120 2>&1) || fail "lowering online failed: $out"
grep -q "120 per interface; 20 entries evicted" <<<"$out" || fail "lowering online said: $out"
[ "$(on a0)" = 120 ] || fail "after lowering to 120 online a0 holds $(on a0)"
grep -q "bounds changed over the control endpoint from 1000000 entries (150 per interface) to 1000000 (120 per interface); 20 entries evicted" \
        "$WORK/arpd.log" || fail "the daemon did not log the change"
pass "online: lowering to 120 evicted 20 at once, logged by the daemon"

# The daemon's next commit: a host it learns takes the place of a0's oldest entry.
garp b b0 $IP_B
wait_for "b learned" 3 list_has a0 $IP_B $MAC_B
[ "$(on a0)" = 120 ] || fail "after the daemon learned b a0 holds $(on a0) entries, expected 120"
pass "online: the daemon's next commit keeps a0 at the new bound (b learned, the oldest evicted)"

"$ARPCTL" --socket "$BUS" set-limits --max-entries=5000 >/dev/null || fail "set-limits --max-entries failed"
busctl_max=$("$ARPCTL" --socket "$BUS" limits --json=short | field 'd["max_entries"]')
[ "$busctl_max" = 5000 ] || fail "max_entries is $busctl_max after set-limits --max-entries=5000"
prop=$(busctl --address="unix:path=$BUS" get-property io.arpd.Manager1 /io/arpd/Manager1 io.arpd.Manager1 MaxEntries 2>&1)
[ "$prop" = "t 5000" ] || fail "the MaxEntries property says '$prop', expected the recorded 5000"
pass "online: --max-entries=5000 recorded (per interface kept at its own 120), MaxEntries says so"
stop_arpd TERM

# ---- arpd's own options on an existing store ----
start_arpd a --control-socket "$BUS" --max-per-interface=110 a0
[ "$(on a0)" = 110 ] || fail "arpd --max-per-interface=110 left a0 with $(on a0) entries"
[ "$(limits_json --socket "$BUS" | field 'd["max_entries"], d["max_per_interface"]')" = "(5000, 110)" ] ||
        fail "after arpd --max-per-interface=110: $(limits_json --socket "$BUS")"
grep -q "bounds changed by the command line from 5000 entries (120 per interface) to 5000 (110 per interface); 10 entries evicted" \
        "$WORK/arpd.log" || fail "arpd did not log the bounds it recorded"
stop_arpd TERM
start_arpd a --control-socket "$BUS" a0
[ "$(limits_json --socket "$BUS" | field 'd["max_per_interface"]')" = 110 ] || fail "a restart without the option changed the bound"
stop_arpd TERM
pass "arpd --max-per-interface on an existing store records it; a start without it keeps the store's"

# ---- a lowered total: the largest interface is cut first ----
[ "$(on a0)/$(on x9)" = 110/100 ] || fail "before lowering the total: $(on a0)/$(on x9)"
out=$("$ARPCTL" --database "$DB" set-limits --max-entries=150 2>&1) || fail "lowering the total failed: $out"
grep -q "at most 150 entries, 110 per interface; 60 entries evicted" <<<"$out" || fail "lowering the total said: $out"
[ "$(on a0)/$(on x9)" = 75/75 ] || fail "after --max-entries=150: $(on a0)/$(on x9), expected 75/75"
list_has a0 $IP_B $MAC_B || fail "a0's newest entry (b, learned by the daemon) was evicted"
pass "a total lowered to 150 cut both interfaces to 75, each from its own oldest entries"
