#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Readers cannot lock the administrator out: with 32 unprivileged connections open (monitors,
# which are never closed as idle), a 33rd unprivileged client is told to try again later
# (LimitsExceeded), while root still reads and changes through the connections kept for it.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd setpriv
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

BUS="$WORK/bus"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

setup_pair
chmod 755 "$WORK"
start_arpd a --control-socket "$BUS" a0

for i in $(seq 32); do
        nobody "$ARPCTL" --socket "$BUS" monitor >/dev/null 2>"$WORK/mon$i.err" &
        PIDS+=("$!")
done
wait_for "32 monitors subscribed" 10 sh -c "[ \$(grep -l '^Monitoring' $WORK/mon*.err 2>/dev/null | wc -l) = 32 ]"

rc=0; out=$(nobody "$ARPCTL" --socket "$BUS" dump 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "the 33rd unprivileged client exited $rc: $out"
grep -q "LimitsExceeded\|try again later" <<<"$out" || fail "the 33rd unprivileged client got no clear error: $out"
pass "33rd unprivileged connection refused: $(grep -o 'arpd serves.*' <<<"$out")"

start=$(date +%s%N)
"$ARPCTL" --socket "$BUS" add a0 198.18.0.90 02:00:00:00:00:90 || fail "root could not add while 32 clients are connected"
"$ARPCTL" --socket "$BUS" --no-legend dump | grepq 198.18.0.90 || fail "root could not read it back"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
pass "root still adds and reads with every unprivileged slot taken (${ms} ms for both)"
