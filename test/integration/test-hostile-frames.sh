#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (h) Hostile frames. From b, forged frames on b0 (raw AF_PACKET socket, standard library only):
# malformed ARP (truncated, hlen 8, plen 6, op 3: the BPF filter drops them, so they can only be
# checked as "nothing stored, daemon alive"), senders arpd must refuse (broadcast, multicast and
# zero MACs; the DAD probe's 0.0.0.0; multicast, loopback, limited-broadcast and subnet-broadcast
# IPs; an address outside a0's subnet): each refusal is counted once under its reason. Two
# legitimate bindings are among them and must be the only ones stored: one whose Ethernet source
# differs from the ARP sender MAC (learned, counted arp_eth_mismatch) and one padded to 1500 bytes.
# Then 2000 frames of random garbage with EtherType 0x0806 (a tenth with a valid-looking ARP
# header). Afterwards arpd is alive, nothing else is stored, and a real gratuitous ARP from b is
# still learned.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd arping
require_python

setup_pair
start_arpd a a0

cat >"$WORK/forge.py" <<'EOF'
import random, socket, struct, sys

ifname = sys.argv[1]
BCAST = b"\xff" * 6
MAC_B = bytes.fromhex("02bb00000002")

def mac(s):
    return bytes.fromhex(s.replace(":", ""))

def ip(s):
    return socket.inet_aton(s)

def arp(sha, spa, tpa, op=1, eth_src=MAC_B, hlen=6, plen=4, htype=1, ptype=0x0800, tha=b"\0" * 6):
    hdr = struct.pack("!HHBBH", htype, ptype, hlen, plen, op)
    return BCAST + eth_src + b"\x08\x06" + hdr + sha + spa + tha + tpa

TPA = ip("198.18.0.200")  # nobody's: a's kernel neither answers nor learns
frames = [
    # malformed structure (dropped by the BPF filter, re-checked by the parser)
    ("truncated", arp(MAC_B, ip("198.18.0.30"), TPA)[:14 + 20]),
    ("hlen 8", BCAST + MAC_B + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 8, 4, 2)
        + MAC_B + b"\0\0" + ip("198.18.0.31") + b"\0" * 8 + TPA),
    ("plen 6", BCAST + MAC_B + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 6, 2)
        + MAC_B + ip("198.18.0.32") + b"\0\0" + b"\0" * 6 + TPA + b"\0\0"),
    ("op 3", arp(MAC_B, ip("198.18.0.33"), TPA, op=3)),
    ("htype 6", arp(MAC_B, ip("198.18.0.34"), TPA, htype=6)),
    # senders arpd must refuse
    ("broadcast sender MAC", arp(BCAST, ip("198.18.0.35"), TPA)),
    ("multicast sender MAC", arp(mac("01:00:5e:00:00:05"), ip("198.18.0.36"), TPA)),
    ("zero sender MAC", arp(b"\0" * 6, ip("198.18.0.37"), TPA)),
    ("DAD probe", arp(MAC_B, ip("0.0.0.0"), ip("198.18.0.38"))),
    ("multicast sender IP", arp(MAC_B, ip("224.0.0.5"), TPA)),
    ("loopback sender IP", arp(MAC_B, ip("127.0.0.1"), TPA)),
    ("limited broadcast sender IP", arp(MAC_B, ip("255.255.255.255"), TPA)),
    ("subnet broadcast sender IP", arp(MAC_B, ip("198.18.0.255"), TPA)),
    ("out-of-subnet sender", arp(MAC_B, ip("198.19.5.5"), TPA)),
    # legitimate
    ("eth source != sender MAC", arp(mac("02:bb:00:00:00:40"), ip("198.18.0.40"), TPA, eth_src=mac("02:ee:00:00:00:01"))),
    ("padded to 1500 bytes", arp(mac("02:bb:00:00:00:41"), ip("198.18.0.41"), TPA, eth_src=mac("02:bb:00:00:00:41"))
        + b"\0" * (1514 - 42)),
]

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
if sys.argv[2] == "forged":
    for name, f in frames:
        s.send(f)
    print(len(frames))
    sys.exit(0)

# Random garbage with EtherType 0x0806 (seeded: a failure can be replayed).
rng = random.Random(20240601)
for _ in range(2000):
    n = rng.randrange(0, 100)
    body = bytes(rng.getrandbits(8) for _ in range(n))
    # every tenth frame keeps a plausible ARP header so the parser sees more than the filter lets by
    if rng.randrange(10) == 0:
        body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, rng.choice((1, 2))) + body
    dst = rng.choice((BCAST, bytes(rng.getrandbits(8) for _ in range(6))))
    src = bytes(rng.getrandbits(8) for _ in range(6))
    s.send(dst + src + b"\x08\x06" + body)
print(2000)
EOF
n=$(in_ns b timeout 60 "$PYTHON" "$WORK/forge.py" b0 forged) || fail "sending the forged frames failed"
sleep 0.5
arpd_alive || fail "arpd died on the forged frames"
pass "arpd is alive after $n forged frames"
# Exact counts: b0 is otherwise silent (no IPv6, no traffic), so each refusal is one of ours.
expect_stat a0 rejected_sender_mac -eq 3
expect_stat a0 rejected_dad_probe -eq 1
expect_stat a0 rejected_sender_ip -eq 4
expect_stat a0 rejected_out_of_subnet -eq 1
expect_stat a0 arp_eth_mismatch -eq 1
expect_stat a0 arp_new -eq 2
info "arp_received=$(stat a0 arp_received) rejected_malformed=$(stat a0 rejected_malformed) (malformed frames are dropped by the filter)"

n=$(in_ns b timeout 60 "$PYTHON" "$WORK/forge.py" b0 garbage) || fail "sending the garbage frames failed"
sleep 1
arpd_alive || fail "arpd died on the garbage frames"
pass "arpd is alive after $n garbage frames"

list >"$WORK/after.txt"
list_has a0 198.18.0.40 02:bb:00:00:00:40 || fail "the binding with a differing Ethernet source was not learned: $(cat "$WORK/after.txt")"
list_has a0 198.18.0.41 02:bb:00:00:00:41 || fail "the padded ARP frame was not learned: $(cat "$WORK/after.txt")"
# Anything else stored must be a binding the random garbage happened to form legitimately: a
# unicast, non-zero sender MAC in a0's subnet (and never any of the refused senders above).
awk '!($2 == "198.18.0.40" || $2 == "198.18.0.41")' "$WORK/after.txt" >"$WORK/others.txt"
if grep -E " (198\.18\.0\.(3[0-9]|255)|0\.0\.0\.0|224\.0\.0\.5|127\.0\.0\.1|255\.255\.255\.255|198\.19\.5\.5) " "$WORK/others.txt"; then
        fail "a refused sender was stored"
fi
[ ! -s "$WORK/others.txt" ] || fail "unexpected entries stored: $(cat "$WORK/others.txt")"
pass "only the two legitimate bindings are stored"

expect_stat a0 arp_new -eq 2
info "after the garbage: rejected_malformed=$(stat a0 rejected_malformed) rejected_sender_mac=$(stat a0 rejected_sender_mac) rejected_out_of_subnet=$(stat a0 rejected_out_of_subnet) packet_drops=$(stat a0 packet_drops)"

garp b b0 $IP_B
wait_for "b learned after the storm" 2 list_has a0 $IP_B $MAC_B
pass "a real gratuitous ARP is still learned"
arpd_alive || fail "arpd died"
