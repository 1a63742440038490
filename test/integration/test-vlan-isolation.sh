#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# VLAN isolation. a0 is an untagged port that also carries tagged frames (a trunk). This kernel
# has no 802.1Q devices, so b sends the tags in-band from a raw socket on b0; a's kernel untags
# them on receive, finds no VLAN device for the VID and hands them to arpd's sockets as
# PACKET_OTHERHOST. None of them may teach a0 anything, for ARP and NDP alike: ARP requests and
# replies tagged 802.1Q (VID 100, to the broadcast and to a0's MAC), 802.1ad (VID 200), a VLAN 300
# tag inside a priority tag, and NS/NA tagged for VID 100 and 200. Each is counted once under
# rejected_vlan. Untagged frames to another host's MAC teach nothing and are not counted. Then the
# same senders untagged, and one with a priority tag (VID 0: the native LAN), are learned: the
# test cannot pass because nothing is learned at all.
. "$(dirname "$0")/lib.sh"
require_root
require_python

setup_pair6
start_arpd a a0

cat >"$WORK/vlan-arp.py" <<'EOF'
# vlan-arp.py IFACE OP ETH_DST SENDER_MAC SENDER_IP TARGET_IP [TPID:VID]...
# One ARP frame (op 1 request, 2 reply) with the given in-band tags, outermost first.
import socket, struct, sys

def mac(s):
    return bytes.fromhex(s.replace(":", ""))

iface, op, dst, sha, spa, tpa = sys.argv[1:7]
tags = b""
for t in sys.argv[7:]:
    tpid, vid = t.split(":")
    tags += struct.pack("!HH", int(tpid, 0), int(vid))
tha = b"\0" * 6 if op == "1" else mac(dst)
arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, int(op)) + mac(sha) + socket.inet_aton(spa) + tha + socket.inet_aton(tpa)
frame = mac(dst) + mac(sha) + tags + b"\x08\x06" + arp
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
s.send(frame)
EOF
arp_send() { in_ns b "$PYTHON" "$WORK/vlan-arp.py" b0 "$@"; }
BCAST=ff:ff:ff:ff:ff:ff

# ---- tagged: nothing learned, each one counted ----------------------------------------------
arp_send 1 $BCAST 02:bb:00:00:00:50 198.18.0.50 198.18.0.200 0x8100:100     # 802.1Q request, broadcast
arp_send 2 $MAC_A 02:bb:00:00:00:51 198.18.0.51 198.18.0.200 0x8100:100     # 802.1Q reply, to a0's MAC
arp_send 1 $BCAST 02:bb:00:00:00:52 198.18.0.52 198.18.0.200 0x88a8:200     # 802.1ad
arp_send 1 $BCAST 02:bb:00:00:00:53 198.18.0.53 198.18.0.200 0x8100:0 0x8100:300  # VLAN 300 in a priority tag
ndp_send b b0 na 02:bb:00:00:00:60 2001:db8::60 ff02::1 2001:db8::60 02:bb:00:00:00:60 --vlan 100
ndp_send b b0 ns 02:bb:00:00:00:61 2001:db8::61 ff02::1:ff00:1 $IP6_A 02:bb:00:00:00:61 --vlan 200 --tpid 0x88a8
ndp_send b b0 na 02:bb:00:00:00:62 2001:db8::62 $IP6_A 2001:db8::62 02:bb:00:00:00:62 --vlan 100 \
        --eth-dst $MAC_A --flags 0x60                                 # solicited NA to a0's MAC
TAGGED=7
# ---- untagged, to another host's MAC: not ours, not counted ---------------------------------
arp_send 2 02:cc:00:00:00:01 02:bb:00:00:00:54 198.18.0.54 198.18.0.99
ndp_send b b0 na 02:bb:00:00:00:63 2001:db8::63 2001:db8::99 2001:db8::63 02:bb:00:00:00:63 \
        --eth-dst 02:cc:00:00:00:01 --flags 0x60
sleep 0.5
arpd_alive || fail "arpd died on the tagged frames"

list >"$WORK/tagged.txt"
for x in 198.18.0.50 198.18.0.51 198.18.0.52 198.18.0.53 198.18.0.54 2001:db8::60 2001:db8::61 2001:db8::62 \
        2001:db8::63; do
        [ "$(list_lines '*' $x)" = 0 ] ||
                fail "$x was learned from a frame for another VLAN or host: $(grep -F " $x " "$WORK/tagged.txt")"
done
[ ! -s "$WORK/tagged.txt" ] || fail "something was learned: $(cat "$WORK/tagged.txt")"
pass "no tagged frame and no frame for another host taught a0 anything"
expect_stat a0 rejected_vlan -eq $TAGGED
# the statistics entry's summary counts them among the rejected frames
stats_lines a0 | tail -n 1 | grepq "; $TAGGED frames rejected" ||
        fail "the summary does not count the VLAN rejections: $(stats_lines a0 | tail -n 1 | cut -c1-300)"
expect_stat a0 arp_new -eq 0
expect_stat a0 ndp_new -eq 0
expect_stat a0 rejected_malformed -eq 0
expect_stat a0 rejected_ndp_malformed -eq 0
[ -z "$(in_ns a ip neigh show dev a0 | grep -E '198\.18\.0\.5|2001:db8::6')" ] ||
        fail "a's kernel learned from a tagged frame: $(in_ns a ip neigh show dev a0)"

# ---- the same senders untagged, and a priority tag: learned ---------------------------------
arp_send 1 $BCAST 02:bb:00:00:00:50 198.18.0.50 198.18.0.200
arp_send 2 $MAC_A 02:bb:00:00:00:51 198.18.0.51 198.18.0.200
arp_send 1 $BCAST 02:bb:00:00:00:52 198.18.0.52 198.18.0.200 0x8100:0        # VID 0: the native LAN
ndp_send b b0 na 02:bb:00:00:00:60 2001:db8::60 ff02::1 2001:db8::60 02:bb:00:00:00:60
ndp_send b b0 na 02:bb:00:00:00:62 2001:db8::62 $IP6_A 2001:db8::62 02:bb:00:00:00:62 \
        --eth-dst $MAC_A --flags 0x60
wait_for "the untagged ARP senders learned" 5 list_has a0 198.18.0.51 02:bb:00:00:00:51
wait_for "the untagged NDP senders learned" 5 list_has a0 2001:db8::62 02:bb:00:00:00:62
list_has a0 198.18.0.50 02:bb:00:00:00:50 || fail "the untagged broadcast request was not learned: $(list)"
list_has a0 198.18.0.52 02:bb:00:00:00:52 || fail "the priority-tagged request was not learned: $(list)"
list_has a0 2001:db8::60 02:bb:00:00:00:60 || fail "the untagged NA was not learned: $(list)"
pass "untagged and priority-tagged frames from the same senders are learned"
expect_stat a0 rejected_vlan -eq $TAGGED
expect_stat a0 arp_new -eq 3
expect_stat a0 ndp_new -eq 2
arpd_alive || fail "arpd died"
