#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Renders every man page in the given directory (*.8 and *.5) the way a user's man(1) does and
# fails on any warning: groff's complaints go to stderr, so stderr must stay empty. Also fails on
# a non-zero exit status or a page that renders without its NAME section.
#
#   test-man-render.sh MANDIR
#
# Exit status: 0 pass, 1 fail, 77 skip (man-db or groff missing).
set -uo pipefail

dir=${1:?usage: test-man-render.sh MANDIR}
command -v man >/dev/null || { echo "SKIP: needs man (man-db)"; exit 77; }
command -v groff >/dev/null || { echo "SKIP: needs groff (groff-base)"; exit 77; }

err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT

shopt -s nullglob
pages=("$dir"/*.8 "$dir"/*.5)
[ ${#pages[@]} -gt 0 ] || { echo "FAIL: no man pages (*.8, *.5) in $dir"; exit 1; }

failed=0
for page in "${pages[@]}"; do
        bad=0
        out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 "$page" 2>"$err")
        rc=$?
        name=$(basename "$page")
        if [ "$rc" != 0 ]; then
                echo "FAIL: $name: man exited with status $rc"
                bad=1
        fi
        if [ -s "$err" ]; then
                echo "FAIL: $name: warnings while rendering:"
                sed 's/^/    /' "$err"
                bad=1
        fi
        # Bold headings come out as overstrikes or SGR sequences; strip both before looking.
        plain=$(printf '%s\n' "$out" | sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g')
        if ! grep -q '^NAME$' <<<"$plain"; then
                echo "FAIL: $name: the rendered page has no NAME section"
                bad=1
        fi
        if [ "$bad" = 0 ]; then
                echo "ok: $name ($(wc -l <<<"$plain") lines)"
        else
                failed=1
        fi
done
[ "$failed" = 0 ] && echo "PASS: ${#pages[@]} page(s) render without warnings"
exit "$failed"
