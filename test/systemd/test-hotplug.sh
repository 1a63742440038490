#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hotplug: an enabled arpd@veth0 comes back by itself when its interface is re-created. It is
# wanted by the interface's device unit ([Install] WantedBy=sys-subsystem-net-devices-%i.device):
# deleting veth0 stops it (BindsTo=), adding veth0 again starts it within 10 s, with the new
# interface's sysctls saved, arpd's applied, and the saved ones restored on stop, as on the
# first start.
set -uo pipefail
source "$(dirname "$0")/sandbox.sh"
sb_require
sb_start || sb_skip "the systemd sandbox did not boot (see above)"
sb_install_arpd || exit 1
sb sh -c 'mkdir -p /etc/arpd && echo "ARPD_OPTIONS=-a 1 -k" >/etc/arpd/veth0.conf'
# The administrator's own value for veth0, applied by udev (systemd-sysctl) whenever veth0
# appears, before arpd starts: saved by each start, put back by the stop. Sorted before arpd's
# 50-arpd-veth0.conf, so arpd's value wins while it runs.
sb sh -c 'echo "net/ipv4/neigh/veth0/mcast_solicit = 5" >/etc/sysctl.d/40-test-veth0.conf'
is() { [ "$(sb systemctl show -P "$1" arpd@veth0)" = "$2" ]; }
sysctls() { sb cat /proc/sys/net/ipv4/neigh/veth0/app_solicit /proc/sys/net/ipv4/neigh/veth0/mcast_solicit | paste -sd/; }

# Enabled before the interface exists: waits, does not fail.
check "systemctl enable arpd@veth0 (no veth0 yet)" sb systemctl enable arpd@veth0
check "linked into the device unit's .wants" \
        sb test -L /etc/systemd/system/sys-subsystem-net-devices-veth0.device.wants/arpd@veth0.service
check "not started, not failed without veth0" is ActiveState inactive
sb_veth veth0 veth1 || exit 1
check "creating veth0 starts arpd@veth0 within 10 s" sb_wait_for 10 is ActiveState active
check "arpd's values in force (-a 1 -k: $(sysctls))" sb_wait_for 5 eval 'test "$(sysctls)" = 1/0'

for round in 1 2; do
        sb ip link del veth0
        check "round $round: deleting veth0 stops arpd@veth0" sb_wait_for 10 is ActiveState inactive
        check "round $round: stopped cleanly (Result=$(sb systemctl show -P Result arpd@veth0))" is Result success
        sb ip link add veth0 type veth peer name veth1
        t0=$(date +%s%N)
        check "round $round: re-creating veth0 brings arpd@veth0 back within 10 s" sb_wait_for 10 is ActiveState active
        echo "round $round: active $((($(date +%s%N) - t0) / 1000000)) ms after ip link add"
        check "round $round: arpd's values applied again ($(sysctls))" sb_wait_for 5 eval 'test "$(sysctls)" = 1/0'
        check "round $round: the new interface's own values saved" \
                sb grep -qx "ipv4.mcast_solicit=5" /run/arpd-sysctl/veth0
done
check "systemctl stop arpd@veth0" sb systemctl stop arpd@veth0
check "the saved values restored on stop ($(sysctls))" test "$(sysctls)" = 0/5
sb_finish
