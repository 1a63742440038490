#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A damaged store never blocks arpd@veth0's start under systemd. The store in /var/lib/arpd is a
# good one of 300 entries (about 60 KiB), damaged in two ways: cut to 8 KiB (LMDB would map pages
# past its end: SIGBUS, a restart loop until the start limit) and random bytes over every data
# page. For each, the unit
#   - reaches active (running) on its first start: no restart (NRestarts=0), no failure, and it
#     is still running a few seconds later;
#   - logs the catalogued "moved aside" error (ARPD_MESSAGE_STORE_MOVED_ASIDE) with STORE= and
#     STORE_MOVED_TO= naming both paths, explained by journalctl -x;
#   - keeps the damaged file, byte for byte, as /var/lib/arpd/arpd.lmdb.damaged-TIMESTAMP;
#   - works on the new store: a static entry added with arpctl afterwards answers the kernel's
#     miss (mcast_solicit=0: the kernel cannot resolve by itself).
set -uo pipefail
source "$(dirname "$0")/sandbox.sh"
sb_require
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
arpd_exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$ARPD_UNIT")
peer_mac=$(sb ip -n peer -br link show veth1 | awk '{print $3}')
store=/var/lib/arpd/arpd.lmdb
moved_id=b2d798dff9314c3686b49cc2d375ed21 # ARPD_MESSAGE_STORE_MOVED_ASIDE, src/arpd-catalog.h

# A good store made on the host (the build's arpd), damaged there, put in place for user arpd.
work=$SB_DIR/work
mkdir -p "$work"
for i in $(seq 0 299); do
        printf 'veth0 198.18.1%02d.%d 02:00:00:00:%02x:%02x\n' $((i / 250)) $((i % 250 + 1)) $((i / 256)) $((i % 256))
done >"$work/seed.txt"
"$ARPD" -b "$work/good.lmdb" -f "$work/seed.txt" 2>"$work/seed.log" || { echo "FAIL: seeding: $(cat "$work/seed.log")"; exit 1; }
size=$(wc -c <"$work/good.lmdb")
[ "$size" -ge $((28 * 1024)) ] || { echo "FAIL: the seeded store is only $size bytes"; exit 1; }

is() { [ "$(sb systemctl show -P "$1" arpd@veth0)" = "$2" ]; }
moved_json() { sb journalctl --no-pager -o json -u arpd@veth0 --since "$since" MESSAGE_ID=$moved_id; }
has_moved() { [ -n "$(moved_json)" ]; }
no_crash() { ! sb journalctl --no-pager -u arpd@veth0 --since "$since" | grep -Eq 'status=135|BUS|core-dump|Failed with result'; }

for kind in truncated garbage; do
        cp "$work/good.lmdb" "$work/$kind.lmdb"
        case $kind in
        truncated) truncate -s 8K "$work/$kind.lmdb" ;;
        garbage) head -c $((size - 8192)) /dev/urandom |
                        dd of="$work/$kind.lmdb" bs=4096 seek=2 conv=notrunc status=none ;;
        esac
        sb sh -c "rm -f $store $store-lock $store.damaged-*"
        sb_put "$work/$kind.lmdb" $store
        sb chown arpd:arpd $store
        since=$(sb date '+%Y-%m-%d %H:%M:%S') # this round's journal entries only
        sleep 1

        check "$kind: systemctl start arpd@veth0 succeeds" sb systemctl start arpd@veth0
        check "$kind: active (running) on the first start" \
                test "$(sb systemctl show -P ActiveState arpd@veth0)/$(sb systemctl show -P SubState arpd@veth0)" = active/running
        check "$kind: no restart (NRestarts=$(sb systemctl show -P NRestarts arpd@veth0))" is NRestarts 0
        sleep 3
        check "$kind: still running 3 s later, still no restart" \
                test "$(sb systemctl show -P ActiveState arpd@veth0)/$(sb systemctl show -P NRestarts arpd@veth0)" = active/0

        # The catalogued error, with both paths as fields and in the message.
        check "$kind: the moved-aside error is in the unit's journal" sb_wait_for 5 has_moved
        aside=$(moved_json | tail -n 1 | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())
assert e["PRIORITY"] == "3", e["PRIORITY"]
assert e["STORE"] == sys.argv[1], e["STORE"]
moved = e["STORE_MOVED_TO"]
assert moved.startswith(sys.argv[1] + ".damaged-"), moved
assert sys.argv[1] in e["MESSAGE"] and moved in e["MESSAGE"], e["MESSAGE"]
print(moved)' "$store") || aside=
        check "$kind: it names both paths: STORE=$store STORE_MOVED_TO=${aside:-?} (error priority)" test -n "$aside"
        check "$kind: journalctl -x explains it from the catalog" \
                grep -qF "Subject: arpd moved its damaged store $store aside" \
                <<<"$(sb journalctl --no-pager -x -u arpd@veth0 --since "$since" MESSAGE_ID=$moved_id)"
        check "$kind: the name is PATH.damaged-YYYYmmddTHHMMSSZ" \
                grep -Eqx "$store\.damaged-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?" <<<"$aside"
        check "$kind: the damaged file is kept, byte for byte" \
                cmp -s "$work/$kind.lmdb" <(sb cat "${aside:-/nonexistent}")
        check "$kind: its lock file moved with it" sb test -e "${aside:-/nonexistent}-lock"
        check "$kind: no crash (SIGBUS, core dump) or failure in the unit's journal" no_crash

        # The new store works: a static entry added after the recovery answers the miss.
        sb ip neigh flush dev veth0
        check "$kind: arpctl add veth0 198.18.5.2 $peer_mac" sb arpctl add veth0 198.18.5.2 "$peer_mac"
        check "$kind: the new store holds exactly that entry" \
                test "$(sb arpctl --database $store dump 2>/dev/null | grep -c 198.18.5.2)/$(sb "$arpd_exe" -l -b $store 2>/dev/null | wc -l)" = 1/1
        check "$kind: ping reaches the peer (arpd answered the miss from the static entry)" \
                sb ping -n -q -c 1 -W 3 198.18.5.2
        check "$kind: the kernel's entry holds $peer_mac" \
                grep -q "lladdr $peer_mac" <<<"$(sb ip neigh show 198.18.5.2 dev veth0)"
        check "$kind: systemctl stop arpd@veth0" sb systemctl stop arpd@veth0
        check "$kind: stopped cleanly (Result=$(sb systemctl show -P Result arpd@veth0))" is Result success
done
sb_finish
