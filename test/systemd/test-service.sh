#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpd@veth0 under a real systemd: enabled and started as an operator would, it becomes active
# only through READY=1, shows its STATUS= line, runs as the static system user arpd holding exactly
# CAP_NET_ADMIN and CAP_NET_RAW, has its state and runtime directories, gets the interface's
# sysctls from the runtime sysctl.d drop-in, and scores <= 1.5 in systemd-analyze security.
set -uo pipefail
source "$(dirname "$0")/sandbox.sh"
sb_require
sb_start || sb_skip "the systemd sandbox did not boot (see above)"
sb_install_arpd || exit 1
sb_veth veth0 veth1 || exit 1
sb ip link set veth0 up

sb sh -c 'mkdir -p /etc/arpd && echo "ARPD_OPTIONS=-a 1 -k" >/etc/arpd/veth0.conf'
check "systemctl enable --now arpd@veth0" sb systemctl enable --now arpd@veth0
check "enabled for its device unit" sb test -L /etc/systemd/system/sys-subsystem-net-devices-veth0.device.wants/arpd@veth0.service
state=$(sb systemctl show -P ActiveState arpd@veth0)/$(sb systemctl show -P SubState arpd@veth0)
check "active/running after READY=1 (got $state)" test "$state" = active/running
status=$(sb systemctl status --no-pager -l arpd@veth0)
echo "$status" | head -12
check "systemctl status shows the STATUS= line" grep -Eq '^ *Status: "1 interface; misses: 0 answered' <<<"$status"
props=$(for p in Type NotifyAccess WatchdogUSec Restart StartLimitBurst; do sb systemctl show -P $p arpd@veth0; done | paste -sd' ')
check "Type=notify, NotifyAccess=main, 30 s watchdog, Restart=on-failure, StartLimitBurst=5 ($props)" \
        test "$props" = "notify main 30s on-failure 5"

pid=$(sb systemctl show -P MainPID arpd@veth0)
st=$(sb cat "/proc/$pid/status")
uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' <<<"$st")
check "runs as a non-root user (Uid: $uid)" awk -v u="$uid" 'BEGIN { split(u, a, " "); exit !(a[1] > 0 && a[1] == a[2] && a[2] == a[3] && a[3] == a[4]) }'
check "user is the system user arpd" test "$(sb ps -o user= -p "$pid" | tr -d ' ')" = arpd
check "a static user from sysusers.d, not a dynamic one ($(sb getent passwd arpd))" \
        sb sh -c 'getent passwd arpd | awk -F: "\$3 > 0 && \$3 < 1000 { f = 1 } END { exit !f }"'
check "DynamicUser=no" test "$(sb systemctl show -P DynamicUser arpd@veth0)" = no
for f in CapEff CapPrm CapBnd CapAmb; do
        v=$(awk -v f="$f:" '$1 == f {print $2}' <<<"$st")
        check "$f is CAP_NET_ADMIN|CAP_NET_RAW only ($v)" test "$v" = 0000000000003000
done
check "no new privileges" grep -Eq '^NoNewPrivs:[[:space:]]+1$' <<<"$st"
check "seccomp filter active" grep -Eq '^Seccomp:[[:space:]]+2$' <<<"$st"
check "RuntimeDirectory /run/arpd/veth0 owned by the service user" \
        test "$(sb stat -c %u "/run/arpd/veth0")" = "$(awk '{print $1}' <<<"$uid")"
check "the store is in the shared StateDirectory /var/lib/arpd" sb test -f /var/lib/arpd/arpd.lmdb
# Every socket arpd holds is a netlink, packet or unix one (RestrictAddressFamilies= has no AF_INET).
socks=$(sb sh -c "for f in /proc/$pid/fd/*; do readlink \$f; done" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
known=$(sb sh -c "cat /proc/$pid/net/netlink /proc/$pid/net/packet /proc/$pid/net/unix")
stray=
for i in $socks; do grep -qw "$i" <<<"$known" || stray="$stray $i"; done
check "only AF_NETLINK/AF_PACKET/AF_UNIX sockets ($(wc -w <<<"$socks") sockets${stray:+, unknown:$stray})" \
        test -n "$socks" -a -z "$stray"
check "drop-in /run/sysctl.d/50-arpd-veth0.conf declared" sb test -f /run/sysctl.d/50-arpd-veth0.conf
check "app_solicit=1 and mcast_solicit=0 in force (-a 1 -k)" \
        test "$(sb cat /proc/sys/net/ipv4/neigh/veth0/app_solicit /proc/sys/net/ipv4/neigh/veth0/mcast_solicit | paste -sd/)" = 1/0

# The control socket under the unit's RuntimeDirectory: any local user reads, only root changes.
check "control socket /run/arpd/veth0/bus exists" sb test -S /run/arpd/veth0/bus
check "an unprivileged user can dump through it" \
        sb setpriv --reuid=65534 --regid=65534 --clear-groups arpctl --socket /run/arpd/veth0/bus dump
denied=$(sb setpriv --reuid=65534 --regid=65534 --clear-groups arpctl --socket /run/arpd/veth0/bus \
        add veth0 198.18.0.9 02:00:00:00:00:09 2>&1 || true)
echo "unprivileged add: $denied"
check "an unprivileged user's change is refused (needs root or CAP_NET_ADMIN)" grep -q "needs root or CAP_NET_ADMIN" <<<"$denied"
check "root can add a static entry through it" \
        sb arpctl --socket /run/arpd/veth0/bus add veth0 198.18.0.9 02:00:00:00:00:09
# Under the unit (ProtectProc=invisible) a non-root caller's capabilities cannot be verified:
# CAP_NET_ADMIN without root is refused with that reason (arpd@.service(8)), and so is root of a
# child user namespace.
denied=$(sb setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps +net_admin --ambient-caps +net_admin \
        arpctl --socket /run/arpd/veth0/bus add veth0 198.18.0.10 02:00:00:00:00:10 2>&1 || true)
echo "CAP_NET_ADMIN add: $denied"
check "CAP_NET_ADMIN without root is refused under the unit, saying why" grep -q "cannot be verified" <<<"$denied"
denied=$(sb setpriv --reuid=65534 --regid=65534 --clear-groups unshare -r \
        arpctl --socket /run/arpd/veth0/bus add veth0 198.18.0.11 02:00:00:00:00:11 2>&1 || true)
echo "unshare -r add: $denied"
check "root of a child user namespace is refused" grep -q "needs root or CAP_NET_ADMIN" <<<"$denied"
check "neither refused change was stored" \
        sb sh -c '! arpctl --socket /run/arpd/veth0/bus --no-legend dump | grep -q "198.18.0.1[01] "'

out=$(sb systemd-analyze security --no-pager arpd@veth0.service)
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
echo "systemd-analyze security arpd@veth0.service: $score"
check "security exposure of the running instance <= 1.5 ($score)" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 1.5) }'
sb_finish
