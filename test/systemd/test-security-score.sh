#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd-analyze security scores the installed units (arpd@.service, arpd.service) (offline, no running systemd needed) at or
# below 1.5, the bar set for arpd@.service (networkd: 2.8, timesyncd: 2.3 on Debian 12).
set -uo pipefail
LIMIT=${ARPD_SECURITY_LIMIT:-1.5}
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$ARPD_UNIT" "$dir/arpd@.service"
cp "$ARPD_ALL_UNIT" "$dir/arpd.service"
fails=0
for unit in arpd@.service arpd.service; do
        out=$(cd "$dir" && systemd-analyze security --no-pager --offline=true "$unit" 2>&1)
        score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
        if [ -z "$score" ]; then
                echo "FAIL: $unit: no score in:"; echo "$out"; exit 1
        fi
        grep -v '^✓' <<<"$out"
        if awk -v s="$score" -v l="$LIMIT" 'BEGIN { exit !(s <= l) }'; then
                echo "ok: $unit: exposure $score <= $LIMIT"
        else
                echo "FAIL: $unit: exposure $score > $LIMIT"; fails=$((fails + 1))
        fi
done
[ "$fails" = 0 ]
