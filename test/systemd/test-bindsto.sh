#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The instance follows its interface (BindsTo= its device unit): deleting the interface stops
# arpd@veth0, cleanly, and its runtime directory, sysctl.d declaration and saved values go away.
set -uo pipefail
source "$(dirname "$0")/sandbox.sh"
sb_require
sb_start || sb_skip "the systemd sandbox did not boot (see above)"
sb_install_arpd || exit 1
sb_veth veth0 veth1 || exit 1
sb ip link set veth0 up
sb sh -c 'mkdir -p /etc/arpd && echo "ARPD_OPTIONS=-k" >/etc/arpd/veth0.conf'
is() { [ "$(sb systemctl show -P "$1" arpd@veth0)" = "$2" ]; }

check "arpd@veth0 starts" sb systemctl start arpd@veth0
check "BindsTo= and After= its device" \
        sb sh -c 'systemctl show -P BindsTo arpd@veth0 | grep -qx sys-subsystem-net-devices-veth0.device &&
                  systemctl show -P After arpd@veth0 | grep -qw sys-subsystem-net-devices-veth0.device'
check "runtime directory exists" sb test -d /run/arpd/veth0
t0=$(date +%s%N)
sb ip link del veth0
check "deleting veth0 stops the instance" sb_wait_for 10 is ActiveState inactive
echo "stopped $((($(date +%s%N) - t0) / 1000000)) ms after ip link del"
check "stopped, not failed (Result=$(sb systemctl show -P Result arpd@veth0))" is Result success
check "runtime directory removed" sb test ! -e /run/arpd/veth0
check "sysctl.d declaration and saved values removed" sb sh -c '! ls /run/sysctl.d/50-arpd-veth0.conf /run/arpd-sysctl/veth0 2>/dev/null'
check "the helper noticed the interface is gone" \
        sb sh -c 'journalctl --no-pager -u arpd@veth0 | grep -q "veth0: the interface is gone"'
sb_finish
