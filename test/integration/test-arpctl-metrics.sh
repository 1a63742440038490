#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl metrics: every counter of GetStatistics as arpd_<name>_total{interface=...}, the store's
# entry counts as arpd_store_entries{interface,state}, HELP and TYPE for every family, no
# timestamps, from a running arpd and offline (--database, no daemon); --output writes the file
# atomically (a temporary file in its directory, renamed) and a failed write keeps the old one.
# promtool check metrics runs in the separate test arpctl-metrics-promtool.
. "$(dirname "$0")/lib.sh"
require_root
require_python
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }
BUS="$WORK/bus"

# check_format FILE: the text format's rules as the textfile collector and promlint want them.
check_format() {
        "$PYTHON" - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
helps, types, seen, order = {}, {}, {}, []
for l in lines:
    if l.startswith("# HELP "):
        n = l.split()[2]; helps[n] = l; assert n not in seen, ("HELP after samples", l)
    elif l.startswith("# TYPE "):
        _, _, n, t = l.split(); types[n] = t; assert n in helps, ("TYPE before HELP", l)
    else:
        m = re.fullmatch(r'([a-z_][a-z0-9_]*)\{([^}]*)\} ([0-9]+)', l)
        assert m, ("not NAME{LABELS} VALUE (a timestamp?)", l)
        n = m.group(1)
        assert n in helps and n in types, ("no HELP/TYPE", l)
        if order and order[-1] != n:
            assert n not in order, ("family not in one block", n)
        if not order or order[-1] != n:
            order.append(n)
        seen[n] = True
        if types[n] == "counter":
            assert n.endswith("_total"), n
            assert re.fullmatch(r'interface="[^"]*"', m.group(2)), l
for n, t in types.items():
    assert t in ("counter", "gauge"), (n, t)
PY
}

printf 'a0 198.18.0.50 02:00:00:00:00:50\na0 198.18.0.51 FAILED: 3s ago\na0 198.18.0.52 02:00:00:00:00:52 static\neth9 198.18.1.1 02:00:00:00:01:01\n' >"$WORK/seed.txt"
"$ARPD" -b "$DB" -f "$WORK/seed.txt" >/dev/null 2>&1 || fail "seeding failed"

# offline: the store's counts, no daemon needed
"$ARPCTL" --database "$DB" metrics >"$WORK/off.prom" || fail "offline metrics failed"
check_format "$WORK/off.prom" || fail "offline metrics are not clean: $(cat "$WORK/off.prom")"
grep -qx 'arpd_store_entries{interface="a0",state="positive"} 1' "$WORK/off.prom" &&
        grep -qx 'arpd_store_entries{interface="a0",state="negative"} 1' "$WORK/off.prom" &&
        grep -qx 'arpd_store_entries{interface="a0",state="static"} 1' "$WORK/off.prom" &&
        grep -qx 'arpd_store_entries{interface="eth9",state="positive"} 1' "$WORK/off.prom" ||
        fail "offline entry counts: $(cat "$WORK/off.prom")"
pass "offline (--database): the store's entry counts by interface and state, clean format"

# online: every counter, labelled by interface
setup_pair
solicit a a0 1 0 0
start_arpd a --control-socket "$BUS" a0
in_ns a ping -c1 -W2 198.18.0.50 >/dev/null 2>&1 || true   # one miss, answered from the store
"$ARPCTL" --socket "$BUS" metrics >"$WORK/on.prom" || fail "metrics failed"
check_format "$WORK/on.prom" || fail "metrics are not clean: $(cat "$WORK/on.prom")"
"$ARPCTL" --socket "$BUS" --json=short stats >"$WORK/stats.json"
"$PYTHON" - "$WORK/stats.json" "$WORK/on.prom" <<'PY' || fail "metrics and stats disagree: $(cat "$WORK/on.prom")"
import json, re, sys
stats = json.load(open(sys.argv[1]))
stats.pop("*total", None)  # stats' own sum over the instances; metrics leave sums to Prometheus
prom = {}
for l in open(sys.argv[2]):
    m = re.fullmatch(r'(arpd_\w+_total)\{interface="([^"]*)"\} ([0-9]+)\n', l)
    if m:
        prom[(m.group(1), m.group(2))] = int(m.group(3))
for ifname, counters in stats.items():
    for name, v in counters.items():
        # counters only grow between the two reads
        assert prom[("arpd_%s_total" % name, ifname)] <= v, (name, ifname)
assert prom[("arpd_requests_received_total", "a0")] >= 1, prom
assert len(prom) == sum(len(c) for c in stats.values()), (len(prom), sum(len(c) for c in stats.values()))
PY
grep -qx "arpd_daemon_up{socket=\"$BUS\"} 1" "$WORK/on.prom" || fail "no arpd_daemon_up for $BUS"
grep -qx 'arpd_store_entries{interface="a0",state="static"} 1' "$WORK/on.prom" || fail "online entry counts: $(cat "$WORK/on.prom")"
pass "online: every counter of GetStatistics as arpd_NAME_total{interface}, entry counts, arpd_daemon_up"

# --output: atomic, 0644, no temporary file left; a failed write keeps the old file
mkdir "$WORK/tf"
"$ARPCTL" --socket "$BUS" metrics --output="$WORK/tf/arpd.prom" || fail "--output failed"
[ "$(command stat -c %a "$WORK/tf/arpd.prom")" = 644 ] || fail "mode $(command stat -c %a "$WORK/tf/arpd.prom")"
[ "$(ls -A "$WORK/tf")" = arpd.prom ] || fail "left behind: $(ls -A "$WORK/tf")"
check_format "$WORK/tf/arpd.prom" || fail "--output file not clean"
ino=$(command stat -c %i "$WORK/tf/arpd.prom")
"$ARPCTL" --socket "$BUS" metrics --output="$WORK/tf/arpd.prom" || fail "second --output failed"
[ "$(command stat -c %i "$WORK/tf/arpd.prom")" != "$ino" ] || fail "the file was rewritten in place, not renamed over"
cp "$WORK/tf/arpd.prom" "$WORK/old.prom"
rc=0; "$ARPCTL" --socket "$WORK/nosuch" metrics --output="$WORK/tf/arpd.prom" 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] && cmp -s "$WORK/tf/arpd.prom" "$WORK/old.prom" && [ "$(ls -A "$WORK/tf")" = arpd.prom ] ||
        fail "a failed run changed the file or left a temporary one: rc=$rc $(ls -A "$WORK/tf") $(cat "$WORK/err")"
rc=0; "$ARPCTL" --database "$DB" metrics --output="$WORK/nodir/arpd.prom" 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] && grep -q "Writing $WORK/nodir/arpd.prom failed" "$WORK/err" || fail "unwritable directory: rc=$rc $(cat "$WORK/err")"
rc=0; "$ARPCTL" --output=x dump >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--output with dump exited $rc"
pass "--output renames a complete 0644 file into place; a failed run keeps the old file and leaves nothing"
