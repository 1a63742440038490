#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The interface's neighbour sysctls go back to the values they had before arpd started — not to
# defaults — however the service ends: systemctl stop, kill -9 (while Restart= waits), and a
# hung daemon killed by the watchdog. mcast_solicit=0 is never left in force without a live
# daemon. The interface is named vl-0.100 (a '-' escaped in the unit name, a dot that must stay
# literal in the sysctl paths).
set -uo pipefail
source "$(dirname "$0")/sandbox.sh"
sb_require
sb_start || sb_skip "the systemd sandbox did not boot (see above)"
sb_install_arpd || exit 1
IF=vl-0.100
sb_veth "$IF" vp0 || exit 1
UNIT=$(sb systemd-escape --template=arpd@.service "$IF")
echo "interface $IF, unit $UNIT"
sb ip link set "$IF" up
sb sh -c "mkdir -p /etc/arpd && echo 'ARPD_OPTIONS=-a 2 -k' >/etc/arpd/$IF.conf"
# Unusual values, so a restore to defaults would show.
sb sh -c "echo 0 >/proc/sys/net/ipv4/neigh/$IF/app_solicit; echo 5 >/proc/sys/net/ipv4/neigh/$IF/mcast_solicit
          echo 0 >/proc/sys/net/ipv6/neigh/$IF/app_solicit; echo 4 >/proc/sys/net/ipv6/neigh/$IF/mcast_solicit"
vals() { sb cat /proc/sys/net/ipv4/neigh/$IF/app_solicit /proc/sys/net/ipv4/neigh/$IF/mcast_solicit \
                /proc/sys/net/ipv6/neigh/$IF/app_solicit /proc/sys/net/ipv6/neigh/$IF/mcast_solicit | paste -sd' '; }
ORIG="0 5 0 4"
ARPD_VALUES="2 0 2 0"
is() { [ "$(sb systemctl show -P "$1" "$UNIT")" = "$2" ]; }

check "starts" sb systemctl start "$UNIT"
check "values for -a 2 -k in force: $(vals)" test "$(vals)" = "$ARPD_VALUES"
check "declared in /run/sysctl.d/50-arpd-$IF.conf" sb grep -qx "net/ipv4/neigh/$IF/mcast_solicit = 0" "/run/sysctl.d/50-arpd-$IF.conf"

check "systemctl stop" sb systemctl stop "$UNIT"
check "stop restored the saved values: $(vals)" test "$(vals)" = "$ORIG"
check "stop removed the drop-in and the saved copy" sb sh -c "! ls /run/sysctl.d/50-arpd-$IF.conf /run/arpd-sysctl/$IF 2>/dev/null"

check "starts again" sb systemctl start "$UNIT"
pid=$(sb systemctl show -P MainPID "$UNIT")
check "applied again: $(vals)" test "$(vals)" = "$ARPD_VALUES"
sb kill -9 "$pid"
check "after kill -9 the unit waits to restart" sb_wait_for 5 is SubState auto-restart
check "while no daemon runs the saved values are back: $(vals)" test "$(vals)" = "$ORIG"
check "Restart=on-failure brings it back" sb_wait_for 10 is SubState running
newpid=$(sb systemctl show -P MainPID "$UNIT")
check "new main PID ($pid -> $newpid)" test "$newpid" != "$pid" -a "$newpid" != 0
check "and its values are in force again: $(vals)" test "$(vals)" = "$ARPD_VALUES"

# A hung daemon: the watchdog (2 s here instead of 30 s) kills it; no restart this time.
sb sh -c "mkdir -p '/run/systemd/system/$UNIT.d' && printf '[Service]\nWatchdogSec=2s\nRestart=no\nTimeoutStopSec=3s\nLimitCORE=0\n' >'/run/systemd/system/$UNIT.d/test.conf'"
sb systemctl daemon-reload
sb systemctl reset-failed "$UNIT"
check "restarts with a 2 s watchdog" sb systemctl restart "$UNIT"
pid=$(sb systemctl show -P MainPID "$UNIT")
check "values in force: $(vals)" test "$(vals)" = "$ARPD_VALUES"
sb kill -STOP "$pid"
check "the watchdog ends the hung daemon" sb_wait_for 15 is ActiveState failed
check "result is 'watchdog' ($(sb systemctl show -P Result "$UNIT"))" is Result watchdog
check "saved values restored after the watchdog: $(vals)" test "$(vals)" = "$ORIG"
sb_finish
