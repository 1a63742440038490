#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The values arpd-sysctl declares for an instance follow the classic daemon's rules
# (app_solicit = max(1, -a); mcast_solicit = 0 with -k, else 1 when -a >= 2, else 3 - (-a)),
# read from arpd's own option syntax, with dotted interface names kept literal. No root needed.
set -uo pipefail
fails=0

# expect IFACE WANT_APP WANT_MCAST OPTIONS...
expect() {
        local ifc=$1 app=$2 mcast=$3 out
        shift 3
        if ! out=$("$ARPD_SYSCTL" show "$ifc" "$@" 2>&1); then
                echo "FAIL: arpd-sysctl show $ifc $* failed: $out"; fails=$((fails + 1)); return
        fi
        local got_app got_mcast
        got_app=$(sed -n "s|^net/ipv4/neigh/$ifc/app_solicit = ||p" <<<"$out")
        got_mcast=$(sed -n "s|^net/ipv4/neigh/$ifc/mcast_solicit = ||p" <<<"$out")
        if [ "$got_app/$got_mcast" = "$app/$mcast" ]; then
                echo "ok: $* -> app_solicit=$app mcast_solicit=$mcast"
        else
                echo "FAIL: $* -> app_solicit=$got_app mcast_solicit=$got_mcast, want $app/$mcast"; fails=$((fails + 1))
        fi
}

expect eth0 1 3
expect eth0 1 2 -a 1
expect eth0 2 1 -a 2
expect eth0 5 1 --active-probes=5
expect eth0 1 0 -k
expect eth0 3 0 -ka3
expect eth0 1 0 -a 1 --kernel-broadcast-off -n 30 -R 2 -B 4 -p 10
expect eth0.100 2 0 -k -a 2

out=$("$ARPD_SYSCTL" show eth0.100 -a 1 -k)
if grep -qx 'net/ipv4/neigh/eth0.100/mcast_solicit = 0' <<<"$out" && ! grep -q 'eth0/100' <<<"$out"; then
        echo "ok: eth0.100 stays one path component"
else
        echo "FAIL: dotted name mangled:"; echo "$out"; fails=$((fails + 1))
fi
# Same rules for IPv6 neighbour discovery; -4 / -6 limit the families.
out=$("$ARPD_SYSCTL" show v0 -a 1 -k)
grep -qx 'net/ipv6/neigh/v0/mcast_solicit = 0' <<<"$out" && grep -qx 'net/ipv6/neigh/v0/app_solicit = 1' <<<"$out" &&
        echo "ok: IPv6 values declared" || { echo "FAIL: no IPv6 values: $out"; fails=$((fails + 1)); }
if "$ARPD_SYSCTL" show v0 -k --help >/dev/null 2>&1 || "$ARPD_SYSCTL" show v0 -f /dev/null >/dev/null 2>&1 ||
        "$ARPD_SYSCTL" show v0 -a 101 >/dev/null 2>&1 || "$ARPD_SYSCTL" show ../etc -k >/dev/null 2>&1 ||
        "$ARPD_SYSCTL" show "a b" >/dev/null 2>&1; then
        echo "FAIL: bad options or names accepted"; fails=$((fails + 1))
else
        echo "ok: bad options and interface names refused"
fi
[ "$fails" -eq 0 ]
