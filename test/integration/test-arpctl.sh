#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl against a real arpd over its control endpoint: every command's table and JSON output,
# the error paths (unknown address, bad MAC, bad prefix, no daemon, usage, an unprivileged caller
# refused with nothing changed), monitor following another client's change, a static entry that
# answers the kernel's miss and stops answering once deleted, and flush by state.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping setpriv busctl
require_python
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

BUS="$WORK/bus"
ctl() { "$ARPCTL" --socket "$BUS" "$@"; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# json_check PYTHON-EXPR: evaluates EXPR with d = the JSON document on stdin; fails unless true.
json_check() { "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
# A stable fingerprint of the store: interface, address, lladdr/FAILED, static flag.
store_print() { list | awk '{ print $1, $2, $3, ($3 == "FAILED:" ? "" : $4) }' | sort; }

setup_pair
solicit a a0 1 0 0
# b knows a statically: it never sends an ARP request arpd could learn b from.
in_ns b ip neigh replace $IP_A lladdr $MAC_A dev b0 nud permanent
chmod 755 "$WORK" # the socket must be reachable by the unprivileged caller below
start_arpd a --control-socket "$BUS" a0
[ -S "$BUS" ] || fail "no control socket at $BUS"
[ "$(command stat -c %a "$BUS")" = 666 ] || fail "control socket mode $(command stat -c %a "$BUS"), expected 666"
pass "control socket $BUS, mode 666"

# ---- usage and connection errors ----
rc=0; ctl add a0 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "add with too few arguments exited $rc, expected 2"
rc=0; "$ARPCTL" --socket "$WORK/none" dump >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] && grep -q "Cannot reach arpd" "$WORK/err" || fail "no daemon: exit $rc, $(cat "$WORK/err")"
rc=0; ctl --json=yaml dump >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--json=yaml exited $rc, expected 2"
pass "usage errors exit 2, a missing daemon exits 1 with a message"

# ---- load, dump (table and JSON) ----
cat >"$WORK/load.txt" <<EOF
a0 198.18.0.50 02:00:00:00:00:50
a0 198.18.0.51 FAILED: 3s ago
a0 198.18.0.52 02:00:00:00:00:52 static
a0 198.18.0.53 FAILED: 1s ago
EOF
out=$(ctl load "$WORK/load.txt")
[ "$out" = "Loaded 4 entries." ] || fail "load said: $out"
ctl dump >"$WORK/dump.txt"
head -n1 "$WORK/dump.txt" | grepq "^INTERFACE  *ADDRESS  *LLADDR  *STATE  *SOURCE  *LAST SEEN" ||
        fail "dump header: $(head -n1 "$WORK/dump.txt")"
awk '$2 == "198.18.0.50" && $1 == "a0" && $3 == "02:00:00:00:00:50" && $4 == "positive" && $5 == "load" && $7 == "ago" { f = 1 } END { exit !f }' \
        "$WORK/dump.txt" || fail "positive entry not in the table: $(cat "$WORK/dump.txt")"
awk '$2 == "198.18.0.51" && $3 == "-" && $4 == "negative" { f = 1 } END { exit !f }' "$WORK/dump.txt" ||
        fail "negative entry not in the table"
grep -q "^4 entries: 1 positive, 2 negative, 1 static\.$" "$WORK/dump.txt" || fail "totals line: $(tail -n1 "$WORK/dump.txt")"
[ "$(ctl --no-legend dump | wc -l)" = 4 ] || fail "--no-legend dump is not 4 lines"
ctl --json=pretty dump | json_check 'len(d) == 4 and {e["dst"]: e["arpd_state"] for e in d} == {"198.18.0.50": "positive", "198.18.0.51": "negative", "198.18.0.52": "static", "198.18.0.53": "negative"} and {e["dst"]: e["state"] for e in d} == {"198.18.0.50": ["STALE"], "198.18.0.51": ["FAILED"], "198.18.0.52": ["PERMANENT"], "198.18.0.53": ["FAILED"]} and all(e["dev"] == "a0" and e["family"] == 4 and e["source"] == "load" for e in d) and [e.get("lladdr") for e in d if e["dst"] == "198.18.0.52"] == ["02:00:00:00:00:52"] and all("neg_since_usec" in e for e in d if e["arpd_state"] == "negative") and all(isinstance(e["last_seen_usec"], int) for e in d)' ||
        fail "dump --json=pretty: $(ctl --json=pretty dump)"
[ "$(ctl --json=short dump | wc -l)" = 1 ] || fail "--json=short is not one line"
ctl --json=short -6 dump | json_check 'd == []' || fail "-6 dump is not empty"
pass "load, dump table and JSON"

# ---- show, why, stats, list-daemons ----
ctl --json=short show 198.18.0.52 | json_check 'len(d) == 1 and d[0]["state"] == ["PERMANENT"] and d[0]["lladdr"] == "02:00:00:00:00:52"' ||
        fail "show --json"
ctl --no-legend show 198.18.0.52 | awk '$1 == "a0" && $2 == "198.18.0.52" && $4 == "static" { f = 1 } END { exit !f }' || fail "show table"
rc=0; ctl show 198.18.0.99 >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" = 4 ] && [ ! -s "$WORK/out" ] && grep -q "knows nothing about 198.18.0.99" "$WORK/err" || fail "show unknown: rc=$rc $(cat "$WORK/err")"
rc=0; ctl show 198.18.0.300 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "show of a bad address exited $rc, expected 2"
ctl why 198.18.0.52 | grepq "next miss:   answered with 02:00:00:00:00:52" || fail "why static: $(ctl why 198.18.0.52)"
ctl why 198.18.0.51 | grepq "next miss:   suppressed" || fail "why negative: $(ctl why 198.18.0.51)"
ctl --json=short why 198.18.0.50 | json_check 'd[0]["answer"] == "answer" and d[0]["answer_lladdr"] == "02:00:00:00:00:50"' || fail "why --json"
ctl stats a0 | awk '$1 == "a0" && $2 == "requests_received" && $3 ~ /^[0-9]+$/ { f = 1 } END { exit !f }' || fail "stats table"
ctl --json=pretty stats | json_check '"a0" in d and "*" in d and all(isinstance(v, int) for v in d["a0"].values())' || fail "stats --json"
rc=0; ctl stats nosuch0 >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] && grep -q "does not serve an interface named 'nosuch0'" "$WORK/err" || fail "stats of an unknown interface"
"$ARPCTL" --json=short list-daemons | json_check 'isinstance(d, list)' || fail "list-daemons --json"
pass "show, why, stats, list-daemons"

# ---- bad arguments: InvalidArgs naming the field ----
rc=0; ctl add a0 198.18.0.60 zz:00 >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "Invalid link-layer address 'zz:00'" "$WORK/err" || fail "bad MAC: rc=$rc $(cat "$WORK/err")"
busctl --address="unix:path=$BUS" call io.arpd.Manager1 /io/arpd/Manager1 io.arpd.Manager1 AddStatic sss \
        a0 198.18.0.60 zz:00 >/dev/null 2>"$WORK/err" && fail "the endpoint accepted a bad MAC"
grep -q "field 'lladdr'" "$WORK/err" || fail "bad MAC at the endpoint: $(cat "$WORK/err")"
rc=0; ctl delete a0 198.18.0.99 2>"$WORK/err" || rc=$?
[ "$rc" = 4 ] && grep -q "No entry for 198.18.0.99 on a0" "$WORK/err" || fail "delete unknown: rc=$rc $(cat "$WORK/err")"
busctl --address="unix:path=$BUS" call io.arpd.Manager1 /io/arpd/Manager1 io.arpd.Manager1 ListEntries susssu \
        "" 0 "" "198.18.0.0/33" "" 10 >/dev/null 2>"$WORK/err" && fail "a bad prefix was accepted"
grep -q "field 'prefix'" "$WORK/err" || fail "bad prefix error: $(cat "$WORK/err")"
busctl --address="unix:path=$BUS" call io.arpd.Manager1 /io/arpd/Manager1 io.arpd.Manager1 ListEntries susssu \
        "" 0 "" "" "" 5000 >/dev/null 2>"$WORK/err" && fail "a page limit above 4096 was accepted"
grep -q "field 'limit'" "$WORK/err" || fail "bad limit error: $(cat "$WORK/err")"
pass "bad MAC, bad prefix, bad limit, unknown entry refused with the field named"

# ---- unprivileged caller: reads yes, changes AccessDenied, store unchanged ----
before=$(store_print)
nobody "$ARPCTL" --socket "$BUS" --no-legend dump | grepq "198.18.0.50" || fail "nobody cannot read"
for cmd in "add a0 198.18.0.70 02:00:00:00:00:70" "delete a0 198.18.0.50" "flush --all" "load $WORK/load.txt"; do
        rc=0
        # shellcheck disable=SC2086
        nobody "$ARPCTL" --socket "$BUS" $cmd >/dev/null 2>"$WORK/err" || rc=$?
        [ "$rc" = 1 ] || fail "nobody: '$cmd' exited $rc"
        grep -q "needs root or CAP_NET_ADMIN in arpd's user namespace; the caller is neither root nor holds CAP_NET_ADMIN (uid 65534)" "$WORK/err" || fail "nobody: '$cmd': $(cat "$WORK/err")"
done
busctl --address="unix:path=$BUS" call io.arpd.Manager1 /io/arpd/Manager1 io.arpd.Manager1 Subscribe >/dev/null ||
        fail "busctl cannot call the endpoint"
[ "$(store_print)" = "$before" ] || fail "the store changed after refused calls"
# CAP_NET_ADMIN without root is enough.
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps +net_admin --ambient-caps +net_admin \
        "$ARPCTL" --socket "$BUS" add a0 198.18.0.70 02:00:00:00:00:70 || fail "CAP_NET_ADMIN caller refused"
ctl delete a0 198.18.0.70
pass "unprivileged callers read but cannot change; CAP_NET_ADMIN can"

# ---- monitor sees another client's change ----
"$ARPCTL" --socket "$BUS" --json=short monitor >"$WORK/mon.out" 2>"$WORK/mon.err" &
MON=$!
PIDS+=("$MON")
wait_for "monitor subscribed" 5 grep -q "^Monitoring" "$WORK/mon.err"
ctl add a0 198.18.0.61 02:00:00:00:00:61
ctl delete a0 198.18.0.61
wait_for "monitor saw the delete" 5 grep -q '"kind":"deleted","dev":"a0","dst":"198.18.0.61"' "$WORK/mon.out"
grep -qF '"kind":"new","dev":"a0","dst":"198.18.0.61","lladdr":"02:00:00:00:00:61","state":["PERMANENT"],"arpd_state":"static","time_usec":' "$WORK/mon.out" ||
        fail "monitor missed the new entry: $(cat "$WORK/mon.out")"
kill "$MON"; wait "$MON" || fail "monitor exited non-zero on SIGTERM"
pass "monitor printed the other client's add and delete"

# ---- a static entry answers the kernel's miss; a deleted one does not ----
in_ns a ping -c1 -W1 $IP_B >/dev/null 2>&1 && fail "a resolved b before any entry existed"
in_ns a ip neigh flush dev a0
ctl add a0 $IP_B $MAC_B
in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "the static entry added via arpctl did not answer the miss"
pass "static entry added with arpctl answers the kernel's miss"
in_ns a ip neigh flush dev a0
sleep 0.2
ctl delete a0 $IP_B
rc=0; ctl show $IP_B >/dev/null 2>&1 || rc=$?
[ "$rc" = 4 ] || fail "b is still stored after delete"
in_ns a ping -c1 -W1 $IP_B >/dev/null 2>&1 && fail "the deleted entry still answered"
pass "deleted entry no longer answers"
[ "$(ctl --json=short stats a0 | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["a0"]["requests_answered"])')" -ge 1 ] ||
        fail "stats show no answered request"

# ---- flush by state ----
ctl load "$WORK/load.txt" >/dev/null
ctl --json=short dump a0 >"$WORK/before.json"
negs=$("$PYTHON" -c 'import json,sys; print(sum(e["arpd_state"] == "negative" for e in json.load(open(sys.argv[1]))))' "$WORK/before.json")
[ "$negs" -ge 2 ] || fail "expected at least 2 negative entries, have $negs"
out=$(ctl flush a0 --negative)
[ "$out" = "Flushed $negs entries." ] || fail "flush --negative said '$out', expected $negs"
ctl --json=short dump a0 >"$WORK/after.json"
"$PYTHON" - "$WORK/before.json" "$WORK/after.json" <<'EOF' || fail "flush --negative removed more or less than the negatives"
import json, sys
b = json.load(open(sys.argv[1])); a = json.load(open(sys.argv[2]))
key = lambda e: (e["dev"], e["dst"], e.get("lladdr"), e["arpd_state"])
sys.exit(0 if sorted(map(key, a)) == sorted(key(e) for e in b if e["arpd_state"] != "negative") else 1)
EOF
out=$(ctl --json=short flush)
[ "$out" = '{"flushed":1}' ] || fail "default flush (learned) said $out"
ctl --json=short dump | json_check 'len(d) == 1 and d[0]["arpd_state"] == "static"' || fail "default flush touched statics"
ctl flush --all >/dev/null
ctl --json=short dump | json_check 'd == []' || fail "flush --all left entries"
pass "flush by state removes exactly that state"
