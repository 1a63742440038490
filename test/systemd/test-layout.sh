#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The installed layout at work: sysusers.d (the static user arpd), tmpfiles.d (/var/lib/arpd,
# 0755, before any start) and the sysctl.d template that arpd-sysctl renders into /run/sysctl.d
# (an administrator's copy in /etc/arpd/ wins). None of it changes an interface without a
# running arpd. The store is world-readable: an unprivileged user reads it offline, root changes
# it offline when no arpd runs, and arpd still owns and uses it afterwards.
set -uo pipefail
source "$(dirname "$0")/sandbox.sh"
sb_require
sb_start || sb_skip "the systemd sandbox did not boot (see above)"
sb_install_arpd || exit 1
nobody() { sb setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
sysctls() { sb cat /proc/sys/net/ipv4/neigh/"$1"/app_solicit /proc/sys/net/ipv4/neigh/"$1"/mcast_solicit | paste -sd/; }
is() { [ "$(sb systemctl show -P "$1" arpd@veth0)" = "$2" ]; }

# ---- what installation leaves ----
check "sysusers.d: the system user arpd ($(sb getent passwd arpd))" \
        sb sh -c 'getent passwd arpd | awk -F: "\$3 > 0 && \$3 < 1000 { f = 1 } END { exit !f }"'
check "tmpfiles.d: /var/lib/arpd before any start ($(sb stat -c '%a %U:%G' /var/lib/arpd))" \
        test "$(sb stat -c '%a %U:%G' /var/lib/arpd)" = "755 arpd:arpd"
check "the sysctl template is installed at $ARPD_SYSCTL_TEMPLATE_INSTALLED" sb test -f "$ARPD_SYSCTL_TEMPLATE_INSTALLED"
check "nothing of arpd in a sysctl.d directory" \
        sb sh -c '! ls /etc/sysctl.d /run/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d 2>/dev/null | grep -q arpd'
# An interface without arpd: udev applies sysctl.d when it appears, a full systemd-sysctl run
# too; it keeps the kernel's values.
sb_veth veth9 veth9p || exit 1
sb /lib/systemd/systemd-sysctl
check "an interface without arpd keeps the kernel's settings ($(sysctls veth9))" test "$(sysctls veth9)" = 0/3

# ---- the template, rendered ----
sb_veth veth0 veth1 || exit 1
sb ip link set veth0 up
sb sh -c 'mkdir -p /etc/arpd && echo "ARPD_OPTIONS=-a 1 -k" >/etc/arpd/veth0.conf'
check "arpd@veth0 starts" sb systemctl start arpd@veth0
dropin=$(sb cat /run/sysctl.d/50-arpd-veth0.conf)
echo "$dropin"
check "the drop-in is rendered from the installed template" grep -qF "Rendered by arpd-sysctl from $ARPD_SYSCTL_TEMPLATE_INSTALLED." <<<"$dropin"
check "... with arpd's values (-a 1 -k)" grep -qx "net/ipv4/neigh/veth0/mcast_solicit = 0" <<<"$dropin"
check "... and none of the template's own ## lines" eval '! grep -q "^##" <<<"$dropin"'
check "in force: $(sysctls veth0)" test "$(sysctls veth0)" = 1/0
sb sh -c "sed 's/@MCAST_SOLICIT@/2/' '$ARPD_SYSCTL_TEMPLATE_INSTALLED' >/etc/arpd/50-arpd-IFACE.conf.in"
check "restart with an administrator's template in /etc/arpd" sb systemctl restart arpd@veth0
check "its value in force (mcast_solicit 2: $(sysctls veth0))" test "$(sysctls veth0)" = 1/2
check "the drop-in names it" sb grep -qF "from /etc/arpd/50-arpd-IFACE.conf.in." /run/sysctl.d/50-arpd-veth0.conf
sb sh -c 'echo "net/ipv4/neigh/@IFACE@/ucast_solicit = 0" >>/etc/arpd/50-arpd-IFACE.conf.in'
check "a key arpd would not restore is refused: the start fails" eval '! sb systemctl restart arpd@veth0'
check "... naming the line" \
        sb sh -c 'journalctl --no-pager -u arpd@veth0 | grep -q "/etc/arpd/50-arpd-IFACE.conf.in:[0-9]*: only"'
check "... and the settings are restored ($(sysctls veth0))" test "$(sysctls veth0)" = 0/3
sb rm /etc/arpd/50-arpd-IFACE.conf.in
sb systemctl reset-failed arpd@veth0
check "start again with the installed template" sb systemctl start arpd@veth0

# ---- the store: world-readable, arpd's ----
check "arpctl add (through the daemon)" sb arpctl add veth0 198.18.0.10 02:00:00:00:00:10
check "store 0644, owned by arpd ($(sb stat -c '%a %U' /var/lib/arpd/arpd.lmdb))" \
        test "$(sb stat -c '%a %U' /var/lib/arpd/arpd.lmdb)" = "644 arpd"
check "an unprivileged user reads online" eval 'nobody arpctl dump | grepq 198.18.0.10'
sb systemctl stop arpd@veth0
out=$(nobody arpctl dump 2>&1)
echo "$out"
check "an unprivileged user reads the store offline (no arpd running)" \
        eval 'grep -q "reading /var/lib/arpd/arpd.lmdb directly" <<<"$out" && grep -q "198.18.0.10" <<<"$out"'
check "root changes the store offline when no arpd runs" \
        eval 'sb arpctl add veth0 198.18.0.11 02:00:00:00:00:11 2>&1 | grepq "changing /var/lib/arpd/arpd.lmdb directly"'
check "arpd@veth0 starts again on that store" sb systemctl start arpd@veth0
check "and serves the offline change" eval 'sb arpctl show 198.18.0.11 | grepq 02:00:00:00:00:11'
sb_finish
