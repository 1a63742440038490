#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Keeps the STATISTICS section of arpd(8) and the counters in src/stats.h (the single source of
# the names the journal entry uses) from drifting apart: every counter is described there, and
# every counter-like name described there (an item tag) is a real counter.
#
#   test-man-counters.sh src/stats.h man/arpd.8
#
# Exit status: 0 pass, 1 fail.
set -uo pipefail

stats=${1:?usage: test-man-counters.sh STATS_H MANPAGE}
page=${2:?usage: test-man-counters.sh STATS_H MANPAGE}
[ -r "$stats" ] || { echo "FAIL: cannot read $stats"; exit 1; }
[ -r "$page" ] || { echo "FAIL: cannot read $page"; exit 1; }

# X(ARP_NEW, "arp_new") -> arp_new
counters=$(grep -o 'X([A-Z0-9_]*, *"[a-z0-9_]*")' "$stats" | sed 's/.*"\(.*\)")/\1/' | sort -u)
[ -n "$counters" ] || { echo "FAIL: no counters found in $stats"; exit 1; }

# The item tags (line after .TP) of the STATISTICS section, font requests and escapes removed.
tags=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page" |
        awk '/^\.SH /{ in_stats = ($0 ~ /^\.SH "?STATISTICS"?$/) } in_stats' |
        awk 'tp { print; tp = 0 } /^\.TP/{ tp = 1 }' |
        sed -e 's/^\.[A-Z]* //' -e 's/"//g' | sort -u)

failed=0
while read -r c; do
        grep -qx -- "$c" <<<"$tags" || { echo "FAIL: counter $c ($stats) is not described under STATISTICS in $page"; failed=1; }
done <<<"$counters"
while read -r t; do
        [ -n "$t" ] || continue
        grep -qx -- "$t" <<<"$counters" || { echo "FAIL: $t is described under STATISTICS in $page but is no counter in $stats"; failed=1; }
done <<<"$tags"

[ "$failed" = 0 ] && echo "PASS: all $(wc -l <<<"$counters") counters of $(basename "$stats") are described in $(basename "$page")"
exit "$failed"
