#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Keeps arpd(8) and "arpd --help" from drifting apart:
#   - every long option --help prints is documented as an item of the man page's OPTIONS section,
#     together with the short letter --help pairs it with;
#   - every long option the man page mentions anywhere is one --help prints.
#
#   ARPD=build/src/arpd test-man-options.sh man/arpd.8
#
# Exit status: 0 pass, 1 fail.
set -uo pipefail

page=${1:?usage: test-man-options.sh MANPAGE}
ARPD=${ARPD:?ARPD must name the arpd binary}

help=$("$ARPD" --help) || { echo "FAIL: $ARPD --help exited with status $?"; exit 1; }
[ -r "$page" ] || { echo "FAIL: cannot read $page"; exit 1; }

# The page's source as plain text: "\-" is a hyphen, font escapes and comments go.
text=$(sed -e '/^\.\\"/d' -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f\[[A-Z]*\]//g' "$page")
# The OPTIONS section, and in it the item tags (the line after each .TP).
options=$(awk '/^\.SH /{ in_opts = ($0 ~ /^\.SH "?OPTIONS"?$/) } in_opts' <<<"$text")
tags=$(awk 'tp { print; tp = 0 } /^\.TP/{ tp = 1 }' <<<"$options")

longopts() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }
help_long=$(longopts <<<"$help")
page_long=$(longopts <<<"$text")
tag_long=$(longopts <<<"$tags")

failed=0
[ -n "$help_long" ] || { echo "FAIL: no long options found in arpd --help"; exit 1; }
[ -n "$tags" ] || { echo "FAIL: no OPTIONS section with .TP items in $page"; exit 1; }

while read -r o; do
        grep -qx -- "$o" <<<"$tag_long" || { echo "FAIL: $o (arpd --help) is not an item of OPTIONS in $page"; failed=1; }
done <<<"$help_long"
while read -r o; do
        grep -qx -- "$o" <<<"$help_long" || { echo "FAIL: $o (in $page) is not an option of arpd --help"; failed=1; }
done <<<"$page_long"

# "  -b, --database=PATH": the man page's item must pair the same letter with the same name.
pairs=$(sed -n 's/^ *\(-[a-zA-Z]\), \(--[a-z][a-z0-9-]*\).*/\1 \2/p' <<<"$help")
[ -n "$pairs" ] || { echo "FAIL: no '-x, --long' pairs found in arpd --help"; failed=1; }
while read -r short long; do
        [ -n "$short" ] || continue
        grep -E -- "(^|[^a-zA-Z-])$short([^a-zA-Z0-9-]|\$)" <<<"$tags" | grep -E -- "$long([^a-z0-9-]|\$)" >/dev/null ||
                { echo "FAIL: no OPTIONS item in $page pairs $short with $long as arpd --help does"; failed=1; }
done <<<"$pairs"

if [ "$failed" = 0 ]; then
        echo "PASS: $(wc -l <<<"$help_long") long options, $(wc -l <<<"$pairs") short/long pairs agree between arpd --help and $(basename "$page")"
fi
exit "$failed"
