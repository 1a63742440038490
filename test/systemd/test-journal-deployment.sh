#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A two-interface deployment under a real systemd, and the mission's commands as written:
# - arpd.service serves veth0 and veth1 in one process (ARPD_INTERFACES in /etc/default/arpd):
#   `journalctl -u arpd` shows the statistics of both interfaces and the events, `arpctl dump`
#   (no --socket) lists what both learned, the sysctls of both are applied and then restored;
# - arpd@veth0 + arpd@veth1 instead: `arpctl dump` lists both, `journalctl -u 'arpd*'` shows
#   every instance's statistics.
set -uo pipefail
source "$(dirname "$0")/sandbox.sh"
sb_require
sb_start || sb_skip "the systemd sandbox did not boot (see above)"
sb_install_arpd || exit 1
sb_veth veth0 peer0 || exit 1
sb_veth veth1 peer1 || exit 1
sb ip link set veth0 up
sb ip link set veth1 up
sysctls() { sb cat /proc/sys/net/ipv4/neigh/"$1"/app_solicit /proc/sys/net/ipv4/neigh/"$1"/mcast_solicit | paste -sd/; }
before0=$(sysctls veth0) before1=$(sysctls veth1)
# stats_in_journal UNIT-PATTERN IFACE: a statistics entry for IFACE in journalctl -u PATTERN.
stats_in_journal() {
        sb journalctl --no-pager -u "$1" MESSAGE_ID=a7802afdb92e4c38b7d0575f6781ab8f -o cat | grepq "^Statistics for $2: "
}

# ---- arpd.service: every interface in one process ----
sb sh -c 'printf "ARPD_OPTIONS=\"-a 1 -k\"\nARPD_INTERFACES=\"veth0 veth1\"\n" >/etc/default/arpd'
check "systemctl enable --now arpd" sb systemctl enable --now arpd
check "arpd.service is active" test "$(sb systemctl show -P ActiveState arpd)" = active
check "control socket /run/arpd/all/bus" sb test -S /run/arpd/all/bus
check "app_solicit/mcast_solicit 1/0 on veth0 ($(sysctls veth0))" test "$(sysctls veth0)" = 1/0
check "app_solicit/mcast_solicit 1/0 on veth1 ($(sysctls veth1))" test "$(sysctls veth1)" = 1/0
check "arpctl add veth0 (no --socket)" sb arpctl add veth0 198.18.0.10 02:00:00:00:00:10
check "arpctl add veth1 (no --socket)" sb arpctl add veth1 198.18.1.10 02:00:00:00:01:10
out=$(sb arpctl dump)
echo "$out"
# dump_has OUT IFACE ADDR: the dump OUT has exactly one line for ADDR, on IFACE.
dump_has() { [ "$(awk -v i="$2" -v a="$3" '$2 == a { n++; if ($1 != i) n += 100 } END { print n + 0 }' <<<"$1")" = 1 ]; }
check "arpctl dump lists both interfaces' entries" eval 'dump_has "$out" veth0 198.18.0.10 && dump_has "$out" veth1 198.18.1.10'
check "systemctl kill -s USR1 arpd" sb systemctl kill -s USR1 arpd
check "journalctl -u arpd: statistics for veth0" sb_wait_for 5 stats_in_journal arpd veth0
check "journalctl -u arpd: statistics for veth1" sb_wait_for 5 stats_in_journal arpd veth1
journal_has() { sb journalctl --no-pager -u "$1" -o cat | grepq -F "$2"; }
check "journalctl -u arpd: the events (static entries added)" journal_has arpd "veth1: static entry 198.18.1.10"
check "systemctl stop arpd" sb systemctl stop arpd
check "veth0's sysctls restored ($(sysctls veth0), before $before0)" test "$(sysctls veth0)" = "$before0"
check "veth1's sysctls restored ($(sysctls veth1), before $before1)" test "$(sysctls veth1)" = "$before1"
check "drop-ins removed" sb sh -c '! ls /run/sysctl.d/50-arpd-veth0.conf /run/sysctl.d/50-arpd-veth1.conf 2>/dev/null'
sb systemctl disable arpd >/dev/null 2>&1

# ---- without ARPD_INTERFACES: every interface present (not lo) ----
sb sh -c 'printf "ARPD_OPTIONS=\"-a 1 -k\"\n" >/etc/default/arpd'
check "arpd.service with no interface list starts" sb systemctl start arpd
served() { sb arpctl --no-legend list-daemons | awk '$2 == "running" { print $4 }' | tr , '\n' | sort | paste -sd,; }
s=$(served)
check "it serves veth0, veth1, peer0 and peer1, not lo ($s)" test "$s" = "peer0,peer1,veth0,veth1"
check "sysctls applied on peer1 too ($(sysctls peer1))" test "$(sysctls peer1)" = 1/0
check "lo left alone ($(sysctls lo))" test "$(sysctls lo | cut -d/ -f1)" = 0
sb systemctl stop arpd
check "peer1's sysctls restored" test "$(sysctls peer1)" = "$before1"

# ---- arpd@veth0 and arpd@veth1: the template, two processes, one store ----
sb sh -c 'mkdir -p /etc/arpd && echo "ARPD_OPTIONS=-a 1 -k" >/etc/arpd/veth0.conf && cp /etc/arpd/veth0.conf /etc/arpd/veth1.conf'
check "systemctl enable --now arpd@veth0 arpd@veth1" sb systemctl enable --now arpd@veth0 arpd@veth1
out=$(sb arpctl dump)
echo "$out"
check "arpctl dump (two instances, no --socket) lists both interfaces' entries, once each" \
        eval 'dump_has "$out" veth0 198.18.0.10 && dump_has "$out" veth1 198.18.1.10'
stats_both() { sb arpctl stats | awk '{ s[$1] = 1 } END { exit !(s["veth0"] && s["veth1"] && s["*total"]) }'; }
check "arpctl stats shows both instances and the total" stats_both
sb systemctl kill -s USR1 arpd@veth0 arpd@veth1
check "journalctl -u 'arpd*': statistics for veth0" sb_wait_for 5 stats_in_journal 'arpd*' veth0
check "journalctl -u 'arpd*': statistics for veth1" sb_wait_for 5 stats_in_journal 'arpd*' veth1
sb_finish
