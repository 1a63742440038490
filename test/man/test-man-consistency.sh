#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages agree with each other: one .TH form (date, "arpd VERSION", the section-8 manual
# name), each page's SEE ALSO names the project's other pages, arpd(8)'s SYNOPSIS has every long
# option of its OPTIONS section that takes part in running the daemon (--control-socket too), and
# the helper arpd-sysctl is documented where it is mentioned.
#
#   test-man-consistency.sh MANDIR
set -uo pipefail
dir=${1:?usage: test-man-consistency.sh MANDIR}
failed=0
bad() { echo "FAIL: $*"; failed=1; }

pages=("$dir"/*.8)
[ ${#pages[@]} -ge 3 ] || { echo "FAIL: expected the three pages in $dir"; exit 1; }
th_form=
for p in "${pages[@]}"; do
        th=$(grep -m1 '^\.TH ' "$p" | cut -d' ' -f3-)
        [[ $th =~ ^8\ \"[0-9]{4}-[0-9]{2}-[0-9]{2}\"\ \"arpd\ [0-9.]+\"\ \"System\ Manager\'s\ Manual\"$ ]] ||
                bad "$(basename "$p"): .TH '$th' is not: 8 \"YYYY-MM-DD\" \"arpd VERSION\" \"System Manager's Manual\""
        [ -z "$th_form" ] && th_form=$th
        [ "$th" = "$th_form" ] || bad "$(basename "$p"): .TH '$th' differs from '$th_form'"
        see=$(sed -n '/^\.SH SEE ALSO/,/^\.SH/p' "$p" | sed 's/\\-/-/g')
        for q in "${pages[@]}"; do
                [ "$q" = "$p" ] && continue
                n=$(basename "$q" .8)
                grep -q "^\.BR $n (8)" <<<"$see" || bad "$(basename "$p"): SEE ALSO does not name $n(8)"
        done
done
syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$dir/arpd.8" | sed 's/\\-/-/g')
grep -q -- '--control-socket' <<<"$syn" || bad "arpd.8: --control-socket is not in the SYNOPSIS"
for p in "${pages[@]}"; do
        if sed 's/\\-/-/g' "$p" | grep 'arpd-sysctl' >/dev/null; then
                grep -l '^arpd@.service, arpd\\-sysctl \\-' "$dir"/*.8 >/dev/null || bad "arpd-sysctl is mentioned but no page's NAME documents it"
        fi
done
[ "$failed" = 0 ] && echo "PASS: ${#pages[@]} man pages agree (.TH, SEE ALSO, arpd's SYNOPSIS, arpd-sysctl)"
exit $failed
