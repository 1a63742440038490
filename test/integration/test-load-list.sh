#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (g) Loading and listing (arpd -f / -l) and the command line; no namespaces, no root needed.
# - -f reads every accepted format: our own -l lines (positive, static, "FAILED: Ns ago"), classic
#   "IFINDEX IP MAC" lines (ifindex 1 is lo), `ip neigh` / `ip -6 neigh` lines (STALE -> positive,
#   PERMANENT -> static, FAILED -> negative, INCOMPLETE skipped; the "router" flag is kept); -l
#   lists exactly those entries.
# - A listing loaded into a fresh store lists identically (negative ages masked); "-f -" reads stdin.
# - A file with one malformed line stores nothing (all or nothing), exits 1 and names FILE:LINE and
#   the reason; a missing file exits 1 with a message naming it.
# - Bad option values exit 2 with a message; --help and --version exit 0, --help names every option.
. "$(dirname "$0")/lib.sh"

# mask: the listing with negative ages replaced by N, sorted, blanks normalised.
mask() { sed -E 's/FAILED: [0-9]+s ago/FAILED: Ns ago/' | awk '{ $1 = $1; print }' | LC_ALL=C sort; }
list_db() { "$ARPD" -b "$1" -l; }

cat >"$WORK/in.txt" <<'EOF'
# arpd -l lines
a0              198.18.0.10                             02:10:00:00:00:10
a0	198.18.0.11	02:10:00:00:00:11	static
a0  198.18.0.12  FAILED: 5s ago
a0 198.18.0.18 02:10:00:00:00:18 router
a0 198.18.0.19 02:10:00:00:00:19 router static

# the classic daemon's lines: ifindex 1 is lo
1 198.18.0.13 02:10:00:00:00:13
# ip neigh / ip -6 neigh lines
198.18.0.14 dev b0 lladdr 02:10:00:00:00:14 STALE
198.18.0.15 dev b0 lladdr 02:10:00:00:00:15 PERMANENT
198.18.0.16 dev b0 FAILED
198.18.0.17 dev b0 INCOMPLETE
2001:db8::14 dev b0 lladdr 02:10:00:00:00:24 router STALE
2001:db8::15 dev b0 lladdr 02:10:00:00:00:25 router PERMANENT
2001:db8::16 dev b0 FAILED
2001:db8::17 dev b0 INCOMPLETE
EOF
cat >"$WORK/expected.txt" <<'EOF'
a0 198.18.0.10 02:10:00:00:00:10
a0 198.18.0.11 02:10:00:00:00:11 static
a0 198.18.0.12 FAILED: Ns ago
a0 198.18.0.18 02:10:00:00:00:18 router
a0 198.18.0.19 02:10:00:00:00:19 router static
lo 198.18.0.13 02:10:00:00:00:13
b0 198.18.0.14 02:10:00:00:00:14
b0 198.18.0.15 02:10:00:00:00:15 static
b0 198.18.0.16 FAILED: Ns ago
b0 2001:db8::14 02:10:00:00:00:24 router
b0 2001:db8::15 02:10:00:00:00:25 router static
b0 2001:db8::16 FAILED: Ns ago
EOF

DB1=$WORK/one.lmdb DB2=$WORK/two.lmdb DB3=$WORK/three.lmdb

"$ARPD" -b "$DB1" -f "$WORK/in.txt" >"$WORK/load.out" 2>&1 || fail "loading in.txt failed: $(cat "$WORK/load.out")"
list_db "$DB1" >"$WORK/list1.txt" || fail "listing failed"
diff <(mask <"$WORK/expected.txt") <(mask <"$WORK/list1.txt") || fail "the listing differs from what was loaded"
pass "-f read every format; -l lists exactly the loaded entries"
age=$(awk '$2 == "198.18.0.12" { sub(/s$/, "", $4); print $4 }' "$WORK/list1.txt")
[ -n "$age" ] && [ "$age" -ge 5 ] && [ "$age" -le 7 ] || fail "the negative entry loaded as '5s ago' is listed as ${age}s ago"
age=$(awk '$2 == "198.18.0.16" { sub(/s$/, "", $4); print $4 }' "$WORK/list1.txt")
[ -n "$age" ] && [ "$age" -le 2 ] || fail "the negative entry loaded from 'ip neigh ... FAILED' is listed as ${age}s ago"
pass "negative ages kept"

# Round trip: the listing is itself a load file.
"$ARPD" -b "$DB2" -f "$WORK/list1.txt" >"$WORK/load.out" 2>&1 || fail "loading the listing failed: $(cat "$WORK/load.out")"
list_db "$DB2" >"$WORK/list2.txt"
diff <(sed -E 's/FAILED: [0-9]+s ago/FAILED: Ns ago/' "$WORK/list1.txt") \
        <(sed -E 's/FAILED: [0-9]+s ago/FAILED: Ns ago/' "$WORK/list2.txt") || fail "the round trip changed the listing"
grep -v FAILED "$WORK/list1.txt" >"$WORK/pos1.txt"
grep -v FAILED "$WORK/list2.txt" >"$WORK/pos2.txt"
cmp -s "$WORK/pos1.txt" "$WORK/pos2.txt" || fail "positive lines differ byte for byte after the round trip"
pass "a listing loads back into an identical listing"

"$ARPD" -b "$DB3" -f - <"$WORK/in.txt" >"$WORK/load.out" 2>&1 || fail "loading from stdin failed: $(cat "$WORK/load.out")"
diff <(mask <"$WORK/list1.txt") <(list_db "$DB3" | mask) || fail "-f - stored something else than -f FILE"
pass "-f - reads stdin"

# All or nothing: a malformed line in the middle stores nothing.
cat >"$WORK/bad.txt" <<'EOF'
a0 198.18.0.20 02:20:00:00:00:20
a0 198.18.0.21 zz:20:00:00:00:21
a0 198.18.0.22 02:20:00:00:00:22
EOF
list_db "$DB1" >"$WORK/before.txt"
rc=0
"$ARPD" -b "$DB1" -f "$WORK/bad.txt" >"$WORK/bad.out" 2>"$WORK/bad.err" || rc=$?
[ "$rc" = 1 ] || fail "a file with a malformed line: exit status $rc, expected 1"
grep -qF "$WORK/bad.txt:2:" "$WORK/bad.err" || fail "the message does not name $WORK/bad.txt:2: $(cat "$WORK/bad.err")"
grep -qi "mac" "$WORK/bad.err" && grep -qF "zz:20" "$WORK/bad.err" || fail "the message does not give the reason (bad MAC 'zz:20...'): $(cat "$WORK/bad.err")"
pass "malformed line reported: $(grep -F "bad.txt:2:" "$WORK/bad.err")"
diff <(mask <"$WORK/before.txt") <(list_db "$DB1" | mask) || fail "the store changed although the load failed"
pass "a failed load stores nothing"

# An unknown ifindex is refused the same way.
rc=0
echo "2147483000 198.18.0.30 02:30:00:00:00:30" | "$ARPD" -b "$DB1" -f - >/dev/null 2>"$WORK/ifx.err" || rc=$?
[ "$rc" = 1 ] || fail "an unknown ifindex: exit status $rc, expected 1"
grep -qF "<stdin>:1:" "$WORK/ifx.err" || fail "the message does not name <stdin>:1: $(cat "$WORK/ifx.err")"
diff <(mask <"$WORK/before.txt") <(list_db "$DB1" | mask) || fail "the store changed although the load failed"
pass "unknown ifindex refused: $(head -n1 "$WORK/ifx.err")"

rc=0
"$ARPD" -b "$DB1" -f "$WORK/no-such-file.txt" >/dev/null 2>"$WORK/missing.err" || rc=$?
[ "$rc" = 1 ] || fail "a missing file: exit status $rc, expected 1"
grep -qF "no-such-file.txt" "$WORK/missing.err" || fail "the message does not name the missing file: $(cat "$WORK/missing.err")"
pass "missing file: $(head -n1 "$WORK/missing.err")"

# The command line.
bad_option() {
        local rc=0
        "$ARPD" -b "$WORK/opt.lmdb" "$@" -l >"$WORK/opt.out" 2>"$WORK/opt.err" </dev/null || rc=$?
        [ "$rc" = 2 ] || fail "arpd $*: exit status $rc, expected 2"
        [ -s "$WORK/opt.err" ] || fail "arpd $*: no message on stderr"
        pass "arpd $*: exit 2, $(head -n1 "$WORK/opt.err")"
}
bad_option -a x
bad_option -a 101
bad_option -a -1
bad_option -n -1
bad_option -n x
bad_option -R 0
bad_option -R -2
bad_option -R abc
bad_option --no-such-option

"$ARPD" --help >"$WORK/help.txt" 2>&1 || fail "--help failed"
for o in -b -a -k -n -R -B -p -l -f -v --max-entries --learn-bogons --help --version; do
        grep -qe "$o\b" "$WORK/help.txt" || fail "--help does not mention $o"
done
pass "--help exits 0 and names every option"
"$ARPD" --version >"$WORK/version.txt" 2>&1 || fail "--version failed"
grep -q "[0-9]\.[0-9]" "$WORK/version.txt" || fail "--version prints no version: $(cat "$WORK/version.txt")"
pass "--version: $(head -n1 "$WORK/version.txt")"
