#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl's lookups in ip's words: dump [PREFIX] [dev IFACE] [lladdr MAC] [nud STATE], the older
# dump IFACE..., show ADDRESS|MAC across interfaces. The same selections give the same entries
# read from the store (--database) and from a running arpd; a malformed address, MAC or state
# is a usage error (exit 2, a message naming it), nothing matched is exit 4.
. "$(dirname "$0")/lib.sh"
require_root
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

BUS="$WORK/bus"
off() { "$ARPCTL" --database "$DB" "$@"; }
on() { "$ARPCTL" --socket "$BUS" "$@"; }
# rows: interface, address, lladdr, state (the age column differs between two runs)
rows() { awk '{ print $1, $2, $3, $4 }'; }

cat >"$WORK/seed.txt" <<'TXT'
a0 198.18.0.10 02:00:00:00:00:0a
a0 198.18.0.11 FAILED: 5s ago
a0 198.18.0.12 02:00:00:00:00:0c static
a0 2001:db8::10 02:00:00:00:00:10
eth9 198.18.0.40 02:00:00:00:00:0a
eth9 198.18.1.41 02:00:00:00:00:41
TXT
"$ARPD" -b "$DB" -f "$WORK/seed.txt" >/dev/null 2>&1 || fail "seeding the store failed"

# QUERY|EXPECTED ROWS (interface address, sorted, ';'-separated)
queries=(
        "dump 198.18.0.0/24|a0 198.18.0.10;a0 198.18.0.11;a0 198.18.0.12;eth9 198.18.0.40"
        "dump to 198.18.1.0/24|eth9 198.18.1.41"
        "dump dev a0 nud stale|a0 198.18.0.10;a0 2001:db8::10"
        "dump 198.18.0.0/16 dev a0 nud stale|a0 198.18.0.10"
        "dump lladdr 02:00:00:00:00:0a|a0 198.18.0.10;eth9 198.18.0.40"
        "dump nud failed|a0 198.18.0.11"
        "dump nud permanent nud failed|a0 198.18.0.11;a0 198.18.0.12"
        "dump nud static|a0 198.18.0.12"
        "dump 2001:db8::/32|a0 2001:db8::10"
        "dump 198.18.0.10|a0 198.18.0.10"
        "dump eth9|eth9 198.18.0.40;eth9 198.18.1.41"
        "dump a0 eth9 lladdr 02:00:00:00:00:0a|a0 198.18.0.10;eth9 198.18.0.40"
        "show 02:00:00:00:00:0a|a0 198.18.0.10;eth9 198.18.0.40"
        "show 198.18.1.41|eth9 198.18.1.41"
)
check_queries() { # MODE (off|on)
        local q cmd want got
        for q in "${queries[@]}"; do
                cmd=${q%%|*}; want=${q#*|}
                # shellcheck disable=SC2086
                got=$("$1" --no-legend $cmd | awk '{ print $1, $2 }' | sort | paste -sd ';')
                [ "$got" = "$want" ] || fail "$1: '$cmd' gave '$got', expected '$want'"
                # shellcheck disable=SC2086
                "$1" --no-legend $cmd | rows | sort >"$WORK/$1.$(echo "$cmd" | tr ' /' '__')"
        done
}
check_errors() { # MODE
        local rc
        for c in "dump 198.18.0.300" "dump 198.18.0.0/33" "dump 02:00:00:00:00:0a" "dump lladdr zz:00" "dump nud reachable" \
                 "dump dev" "show 198.18.0.300" "show nonsense" "add a0 198.18.0.300 02:00:00:00:00:01" \
                 "add a0 198.18.0.60 zz:00" "delete a0 198.18.0.300"; do
                rc=0
                # shellcheck disable=SC2086
                "$1" $c >"$WORK/out" 2>"$WORK/err" || rc=$?
                [ "$rc" = 2 ] || fail "$1: '$c' exited $rc, expected 2 (usage): $(cat "$WORK/err")"
                grep -Eq "Invalid|neither|needs a value" "$WORK/err" || fail "$1: '$c': unclear message: $(cat "$WORK/err")"
                [ ! -s "$WORK/out" ] || fail "$1: '$c' printed something on stdout: $(cat "$WORK/out")"
        done
        for c in "show 02:00:5e:10:00:0a" "show 198.18.0.99" "dump dev nosuch0" "dump lladdr 02:00:5e:10:00:0a" "dump nosuch0" \
                 "delete a0 198.18.0.99"; do
                rc=0
                # shellcheck disable=SC2086
                "$1" $c >/dev/null 2>"$WORK/err" || rc=$?
                [ "$rc" = 4 ] || fail "$1: '$c' exited $rc, expected 4 (no match): $(cat "$WORK/err")"
        done
        # a selective dump that matches nothing still prints a valid (empty) listing
        rc=0; "$1" --json=short dump dev nosuch0 >"$WORK/out" || rc=$?
        [ "$rc" = 4 ] && [ "$(cat "$WORK/out")" = "[]" ] || fail "$1: empty selective JSON dump: rc=$rc $(cat "$WORK/out")"
        "$1" --json=short dump >/dev/null || fail "$1: a plain dump did not exit 0"
}

check_queries off
check_errors off
pass "offline (--database): every selection lists exactly its entries; bad input exits 2, no match 4"

setup_pair
start_arpd a --control-socket "$BUS" a0
check_queries on
check_errors on
for f in "$WORK"/off.*; do
        cmp -s "$f" "$WORK/on.${f#"$WORK"/off.}" || fail "online and offline differ for ${f#"$WORK"/off.}: $(diff "$f" "$WORK/on.${f#"$WORK"/off.}")"
done
pass "online (a running arpd): the same entries as offline for every selection; the same exit statuses"
