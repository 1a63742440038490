#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl serves a deployment of several instances without --socket: two daemons in one network
# namespace, on a0 and a1, share one store, each with its own control socket under a test-private
# run directory (ARPCTL_RUN_DIR); a third daemon serves another network namespace with a store of
# its own. dump/show list every entry once (one store, read once), add/delete reach the instance
# serving the interface, stats gives each instance and the total, monitor merges both instances'
# changes, flush counts each entry once, the other namespace's daemon is never talked to, and an
# unprivileged user reads online and, once the daemons are gone, offline.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd setpriv
require_python
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

RUN="$WORK/run"
DB2="$WORK/other.lmdb"
chmod 755 "$WORK" # the sockets and the store must be reachable by the unprivileged caller below
# ctl NS ARGS...: arpctl in namespace NS, discovering the daemons under $RUN.
ctl() { local ns=$1; shift; in_ns "$ns" env ARPCTL_RUN_DIR="$RUN" "$ARPCTL" "$@"; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
json_check() { "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
# count_lines ADDR: how many dump lines (namespace a) name ADDR.
count_lines() { ctl a --no-legend dump | awk -v a="$1" '$2 == a { n++ } END { print n + 0 }'; }

DPIDS=()
# daemon NAME NS ARGS...: arpd in NS, its log in $WORK/NAME.log, until its sockets are open.
daemon() {
        local name=$1 ns=$2; shift 2
        ip netns exec "$T-$ns" "$ARPD" "$@" >>"$WORK/$name.log" 2>&1 &
        local pid=$!
        PIDS+=("$pid")
        DPIDS+=("$pid")
        wait_for "arpd $name ready" 10 grep -q "Sniffing started" "$WORK/$name.log"
}

ns_add a
ns_add b
ns_add c
ns_add x
ns_add y
veth a a0 $IP_A/24 $MAC_A b b0 $IP_B/24 $MAC_B
veth a a1 198.18.1.1/24 02:aa:00:00:01:01 c c0 198.18.1.2/24 02:cc:00:00:00:02
veth x x0 198.18.2.1/24 02:dd:00:00:00:01 y y0 198.18.2.2/24 02:ee:00:00:00:02

daemon a0 a -b "$DB" --control-socket "$RUN/a0/bus" a0
daemon a1 a -b "$DB" --control-socket "$RUN/a1/bus" a1
daemon x0 x -b "$DB2" --control-socket "$RUN/x0/bus" x0
# An entry only the other namespace's store holds (its daemon is named explicitly here).
"$ARPCTL" --socket "$RUN/x0/bus" add x0 198.18.2.99 02:00:00:00:02:99 || fail "add through --socket to x0"

# ---- discovery ----
out=$(ctl a list-daemons)
echo "$out"
grep -Eq "^$RUN/a0/bus +running .* a0 " <<<"$out" && grep -Eq "^$RUN/a1/bus +running .* a1 " <<<"$out" ||
        fail "list-daemons does not show a0 and a1 running"
grep -Eq "^$RUN/x0/bus +other-netns " <<<"$out" || fail "list-daemons does not mark x0 as another namespace's"
grep -q "2 arpd running in this network namespace, 1 store" <<<"$out" || fail "list-daemons summary"
pass "list-daemons: a0 and a1 running, sharing one store; x0 serves another namespace"

# ---- changes reach the instance serving the interface ----
ctl a add a0 198.18.0.50 02:00:00:00:00:50 || fail "arpctl add a0 without --socket"
ctl a add a1 198.18.1.60 02:00:00:00:01:60 || fail "arpctl add a1 without --socket"
grep -q "a0: static entry 198.18.0.50 -> 02:00:00:00:00:50 added over the control endpoint" "$WORK/a0.log" ||
        fail "the add for a0 did not reach a0's daemon"
grep -q "a1: static entry 198.18.1.60 -> 02:00:00:00:01:60 added over the control endpoint" "$WORK/a1.log" ||
        fail "the add for a1 did not reach a1's daemon"
grep -q "added over the control endpoint" "$WORK/x0.log" && grep -q "198.18.0.50\|198.18.1.60" "$WORK/x0.log" &&
        fail "a change reached the other namespace's daemon"
pass "add IFACE reaches the daemon serving IFACE"
# x0 is not served here: the change goes to the store this namespace's daemons share, never to x0's.
ctl a add x0 198.18.2.77 02:00:00:00:02:77 || fail "arpctl add x0 from namespace a"
"$ARPD" -b "$DB" -l | awk '$1 == "x0" && $2 == "198.18.2.77" { f = 1 } END { exit !f }' || fail "add x0 from namespace a did not land in the shared store"
"$ARPD" -b "$DB2" -l | grepq "198.18.2.77" && fail "add x0 from namespace a reached the other namespace's store"
pass "an interface served only in another namespace: changed in this namespace's store, never through x0's daemon"

# ---- reads: one store, read once ----
[ "$(count_lines 198.18.0.50)" = 1 ] || fail "dump lists 198.18.0.50 $(count_lines 198.18.0.50) times: $(ctl a dump)"
[ "$(count_lines 198.18.1.60)" = 1 ] || fail "dump lists 198.18.1.60 $(count_lines 198.18.1.60) times"
[ "$(count_lines 198.18.2.99)" = 0 ] || fail "dump shows the other namespace's store"
ctl a --json=short dump | json_check 'len([e for e in d if e["dst"] == "198.18.0.50"]) == 1' || fail "dump --json duplicates"
ctl a dump a1 | grepq "198.18.1.60" || fail "dump a1"
ctl a show 198.18.1.60 | grepq "02:00:00:00:01:60" || fail "show 198.18.1.60"
ctl a why 198.18.1.60 | grepq "answered with 02:00:00:00:01:60" || fail "why 198.18.1.60: $(ctl a why 198.18.1.60)"
ctl a why 198.18.2.77 | grepq "no running arpd serves x0" || fail "why for an interface nobody serves here: $(ctl a why 198.18.2.77)"
pass "dump, show and why without --socket: every entry once, the other namespace's store never"

# ---- stats: per instance and in total ----
out=$(ctl a stats)
for l in a0 a1 '*@a0' '*@a1' '*total'; do
        awk -v l="$l" '$1 == l { f = 1 } END { exit !f }' <<<"$out" || fail "stats has no rows for $l: $out"
done
awk '$1 == "x0" { f = 1 } END { exit f }' <<<"$out" || fail "stats shows the other namespace's x0"
ctl a --json=short stats | json_check 'all(d["*total"][k] == sum(v.get(k, 0) for g, v in d.items() if g != "*total") for k in d["*total"])' ||
        fail "the total is not the sum over the instances: $(ctl a --json=short stats)"
ctl a stats a1 | awk '$1 == "a1" { f = 1 } $1 == "a0" { g = 1 } END { exit !(f && !g) }' || fail "stats a1"
pass "stats: a0, a1, each instance's own counters and their total"

# ---- monitor: both instances, merged ----
ip netns exec "$T-a" env ARPCTL_RUN_DIR="$RUN" "$ARPCTL" monitor >"$WORK/monitor.out" 2>"$WORK/monitor.err" &
MON=$!
PIDS+=("$MON")
wait_for "monitor subscribed" 5 grep -q "Monitoring arpd at" "$WORK/monitor.err"
grep -q "$RUN/a0/bus" "$WORK/monitor.err" && grep -q "$RUN/a1/bus" "$WORK/monitor.err" || fail "monitor: $(cat "$WORK/monitor.err")"
ctl a add a0 198.18.0.51 02:00:00:00:00:51
ctl a add a1 198.18.1.61 02:00:00:00:01:61
"$ARPCTL" --socket "$RUN/x0/bus" add x0 198.18.2.98 02:00:00:00:02:98
wait_for "monitor shows a0's change" 5 grep -q "a0 .*198.18.0.51" "$WORK/monitor.out"
wait_for "monitor shows a1's change" 5 grep -q "a1 .*198.18.1.61" "$WORK/monitor.out"
sleep 0.3
grep -q "198.18.2.98" "$WORK/monitor.out" && fail "monitor shows the other namespace's change"
kill -INT "$MON"
wait "$MON" || fail "monitor did not exit cleanly on SIGINT"
pass "monitor merges both instances' changes and nothing of the other namespace"

# ---- delete, flush ----
ctl a delete a1 198.18.1.61 || fail "delete a1"
grep -q "a1: entry 198.18.1.61 deleted over the control endpoint" "$WORK/a1.log" || fail "delete did not reach a1's daemon"
n=$(ctl a --no-legend dump | grep -c .)
out=$(ctl a flush --all)
[ "$out" = "Flushed $n entries." ] || fail "flush --all: '$out', expected $n entries (each counted once)"
[ "$(ctl a --no-legend dump | grep -c .)" = 0 ] || fail "entries left after flush --all"
"$ARPD" -b "$DB2" -l | grepq "198.18.2.99" || fail "flush in namespace a flushed the other namespace's store"
pass "delete reaches a1's daemon; flush --all flushes the shared store once ($n entries)"

# ---- an unprivileged user reads, online and offline ----
ctl a add a1 198.18.1.62 02:00:00:00:01:62
in_ns a env ARPCTL_RUN_DIR="$RUN" setpriv --reuid=65534 --regid=65534 --clear-groups "$ARPCTL" dump |
        grep -q "198.18.1.62" || fail "an unprivileged user cannot dump online"
in_ns a env ARPCTL_RUN_DIR="$RUN" setpriv --reuid=65534 --regid=65534 --clear-groups "$ARPCTL" stats >/dev/null ||
        fail "an unprivileged user cannot read the statistics"
for p in "${DPIDS[@]:0:2}"; do kill -TERM "$p"; done
for p in "${DPIDS[@]:0:2}"; do wait "$p" || fail "an instance did not stop cleanly"; done
ctl a list-daemons | grepq "0 arpd running in this network namespace" || fail "daemons still listed: $(ctl a list-daemons)"
out=$(nobody "$ARPCTL" --database "$DB" dump 2>"$WORK/err") || fail "an unprivileged user cannot read the store offline: $(cat "$WORK/err")"
grep -q "198.18.1.62" <<<"$out" || fail "offline dump by an unprivileged user misses 198.18.1.62"
pass "an unprivileged user reads online (dump, stats) and offline (--database, no write access to the lock file)"
