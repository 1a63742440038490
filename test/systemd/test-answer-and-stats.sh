#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Under systemd, arpd@veth0 (-a 1 -k, so mcast_solicit=0) is the only way this host resolves its
# neighbour: the peer (in a network namespace of its own) announces itself once, the kernel never
# learns it, and a ping still works because arpd answers the kernel's miss. Then
# "systemctl kill -s USR1" logs the statistics entry with one journal field per counter, which
# journalctl -x explains from the catalog; the announcement is a "new station" entry, explained
# too. Without the daemon the same ping fails.
set -uo pipefail
source "$(dirname "$0")/sandbox.sh"
sb_require
command -v arping >/dev/null || sb_skip "arping is not installed (iputils-arping)"
command -v python3 >/dev/null || sb_skip "python3 is not installed"
sb_start || sb_skip "the systemd sandbox did not boot (see above)"
sb_install_arpd || exit 1
sb_veth veth0 veth1 || exit 1
sb ip netns add peer
sb ip link set veth1 netns peer
sb ip addr add 198.18.5.1/24 dev veth0
sb ip link set veth0 up
sb ip -n peer addr add 198.18.5.2/24 dev veth1
sb ip -n peer link set veth1 up
sb ip -n peer link set lo up

sb sh -c 'mkdir -p /etc/arpd && echo "ARPD_OPTIONS=-a 1 -k" >/etc/arpd/veth0.conf'
check "arpd@veth0 starts" sb systemctl start arpd@veth0
check "mcast_solicit=0: the kernel cannot resolve by itself" test "$(sb cat /proc/sys/net/ipv4/neigh/veth0/mcast_solicit)" = 0

# READY comes once the kernel's table is stored; the packet sockets open right after.
sniffing() { sb journalctl -u arpd@veth0 --no-pager -o cat | grepq "Sniffing started"; }
check "arpd opened its packet sockets" sb_wait_for 5 sniffing
# The peer announces itself; arpd sniffs it, the kernel (arp_accept=0) does not take it.
sb ip netns exec peer arping -q -U -c 1 -I veth1 198.18.5.2
store=/var/lib/arpd/arpd.lmdb # StateDirectory=arpd, the static user's (sysusers.d)
learned() { sb "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$ARPD_UNIT")" -l -b "$store" veth0 2>/dev/null | grepq '198\.18\.5\.2'; }
check "arpd stored the peer's announcement" sb_wait_for 5 learned
check "the kernel has no entry for the peer yet" test -z "$(sb ip neigh show 198.18.5.2 dev veth0)"
check "ping reaches the peer (arpd answered the miss)" sb ping -n -q -c 1 -W 3 198.18.5.2
peer_mac=$(sb ip -n peer -br link show veth1 | awk '{print $3}')
check "the kernel's entry holds the peer's MAC $peer_mac" grep -q "lladdr $peer_mac" <<<"$(sb ip neigh show 198.18.5.2 dev veth0)"
# The answering thread's 0.1 ms scheduler slice (src/sched-util.c) gets past the unit's
# SystemCallFilter= (kernels with EEVDF custom slices, Linux >= 6.12, show it as se.slice).
if awk -v r="$(uname -r)" 'BEGIN { split(r, v, "[.-]"); exit !(v[1] > 6 || (v[1] == 6 && v[2] >= 12)) }' &&
        grep -q '^se\.slice' /proc/self/sched 2>/dev/null; then
        main_pid=$(sb systemctl show -P MainPID arpd@veth0)
        check "arpd runs with a 0.1 ms scheduler slice ($(sb grep '^se\.slice' "/proc/$main_pid/sched" | tr -s ' '))" \
                sb grep -Eq '^se\.slice +: +100000$' "/proc/$main_pid/sched"
fi

check "systemctl kill -s USR1 arpd@veth0" sb systemctl kill -s USR1 arpd@veth0
stats_json() { sb journalctl --no-pager -u arpd@veth0 -o json MESSAGE_ID=a7802afdb92e4c38b7d0575f6781ab8f INTERFACE=veth0; }
has_stats() { [ -n "$(stats_json)" ]; }
check "the statistics entry is in the journal" sb_wait_for 5 has_stats
stats_json | tail -n 1 | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())
counters = {k: v for k, v in e.items() if k.isupper() and not k.startswith("_") and k not in
            ("MESSAGE", "MESSAGE_ID", "PRIORITY", "INTERFACE", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC")}
bad = [k for k, v in counters.items() if not v.isdigit()]
print("stats fields:", " ".join(f"{k}={v}" for k, v in sorted(counters.items())))
assert not bad, f"non-numeric counter fields: {bad}"
for need in ("REQUESTS_RECEIVED", "REQUESTS_ANSWERED", "ARP_NEW", "PROBES_SENT", "STORE_ENTRIES"):
    assert need in counters, f"{need} missing"
assert int(counters["REQUESTS_ANSWERED"]) >= 1, "no answered request counted"
assert int(counters["ARP_NEW"]) >= 1, "the announcement was not counted"
assert len(counters) >= 20, f"only {len(counters)} counter fields"
print("ok: %d numeric counter fields, REQUESTS_ANSWERED=%s" % (len(counters), counters["REQUESTS_ANSWERED"]))
' || { echo "FAIL: statistics entry"; SB_FAILS=$((SB_FAILS + 1)); }
xout=$(sb journalctl --no-pager -x -u arpd@veth0 MESSAGE_ID=a7802afdb92e4c38b7d0575f6781ab8f)
check "journalctl -x explains it from the catalog" grep -q "Subject: arpd statistics for interface veth0" <<<"$xout"

# The announcement was a station event of its own: a structured "new station" entry, explained too.
station_json() { sb journalctl --no-pager -u arpd@veth0 -o json MESSAGE_ID=dcd08b2123ff4084931eb6e5d0925ed4 ADDRESS=198.18.5.2; }
has_station() { [ -n "$(station_json)" ]; }
check "the new-station entry is in the journal" sb_wait_for 5 has_station
station_json | tail -n 1 | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())
want = {"INTERFACE": "veth0", "STATION_EVENT": "new-station", "ADDRESS": "198.18.5.2", "NEW_LLADDR": sys.argv[1], "SOURCE": "arp"}
got = {k: e.get(k) for k in want}
assert got == want, got
print("ok: new station fields", got)
' "$peer_mac" || { echo "FAIL: new-station entry"; SB_FAILS=$((SB_FAILS + 1)); }
xout=$(sb journalctl --no-pager -x -u arpd@veth0 MESSAGE_ID=dcd08b2123ff4084931eb6e5d0925ed4)
check "journalctl -x explains the new station" grep -q "Subject: New station 198.18.5.2 on veth0 at $peer_mac" <<<"$xout"

# Control: the same kernel settings without a daemon cannot resolve the peer.
check "systemctl stop arpd@veth0" sb systemctl stop arpd@veth0
check "arpd exited cleanly (Result=$(sb systemctl show -P Result arpd@veth0))" \
        test "$(sb systemctl show -P ActiveState arpd@veth0)/$(sb systemctl show -P Result arpd@veth0)" = inactive/success
sb ip neigh flush dev veth0
sb sysctl -q -w net.ipv4.neigh.veth0.app_solicit=1 net.ipv4.neigh.veth0.mcast_solicit=0
check "without arpd the same ping fails" sb sh -c '! ping -n -q -c 1 -W 2 198.18.5.2 >/dev/null'
sb_finish
