#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The version lives in one place, meson.build's project(); debian/changelog's newest entry must
# name the same version (a native package: no epoch, no Debian revision) for the same package.
#
#   test-version.sh MESON-VERSION DEBIAN-CHANGELOG
#
# Exit status: 0 pass, 1 fail, 77 skip (a tree without debian/).
set -uo pipefail

want=${1:?usage: test-version.sh MESON-VERSION DEBIAN-CHANGELOG}
changelog=${2:?usage: test-version.sh MESON-VERSION DEBIAN-CHANGELOG}
[ -f "$changelog" ] || { echo "SKIP: no $changelog"; exit 77; }

# The first line of the newest entry: "arpd (VERSION) DISTRIBUTION; urgency=...".
read -r first <"$changelog"
if [[ ! $first =~ ^([a-z0-9][a-z0-9.+-]*)\ \(([^\)]+)\)\ [^\;]+\;\ urgency= ]]; then
        echo "FAIL: cannot read the newest entry of $changelog: '$first'"
        exit 1
fi
pkg=${BASH_REMATCH[1]}
have=${BASH_REMATCH[2]}
fail=0
if [ "$pkg" != arpd ]; then
        echo "FAIL: $changelog is for package '$pkg', not arpd"
        fail=1
fi
if [ "$have" != "$want" ]; then
        echo "FAIL: debian/changelog says $have, meson.build says $want: add a changelog entry (dch -v $want) or fix meson.build"
        fail=1
fi
[ "$fail" = 0 ] && echo "PASS: debian/changelog and meson.build agree on $want"
exit "$fail"
