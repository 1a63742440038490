#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6: learning from Neighbor Advertisements, and what is refused. An unsolicited NA from b
# (target 2001:db8::2, Target Link-Layer Address = b's MAC) is learned with that MAC, although a's
# kernel ignores it (no entry of its own); `arpd -l` shows the IPv6 entry. A later NA with another
# TLLA moves the entry (ndp_changed, a journal event). Frames RFC 4861 says to discard are counted
# and teach nothing: hop limit below 255, a bad checksum, a zero-length option, a DAD probe from ::;
# well-formed ones with a multicast TLLA or a target outside a0's prefixes are rejected as for ARP.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd tcpdump
require_python

setup_pair6
start_arpd a a0

ndp_send b b0 na $MAC_B $IP6_B ff02::1 $IP6_B $MAC_B
wait_for "b learned from its NA" 5 list_has a0 $IP6_B $MAC_B
[ -z "$(in_ns a ip -6 neigh show $IP6_B dev a0)" ] || fail "a's kernel learned b itself: $(in_ns a ip -6 neigh show dev a0)"
list | grep -F " $IP6_B " || true
expect_stat a0 ndp_new -eq 1
pass "the NA's target and TLLA are in the store"

# A link-local target: on every link by definition.
LL_B=$(link_local b b0)
[ -n "$LL_B" ] || fail "b0 has no link-local address"
ndp_send b b0 na $MAC_B "$LL_B" ff02::1 "$LL_B" $MAC_B
wait_for "b's link-local address learned" 5 list_has a0 "$LL_B" $MAC_B
pass "link-local $LL_B learned"

# The MAC moves.
NEW_MAC=02:bb:00:00:00:99
ndp_send b b0 na $MAC_B $IP6_B ff02::1 $IP6_B $NEW_MAC
wait_for "b's new MAC" 5 list_has a0 $IP6_B $NEW_MAC
expect_stat a0 ndp_changed -eq 1
expect_stat a0 ndp_eth_mismatch -eq 1 # Ethernet source $MAC_B, TLLA $NEW_MAC
grep -F "a0: $IP6_B moved: $MAC_B -> $NEW_MAC (ndp)" "$WORK/arpd.log" >/dev/null ||
        fail "no 'moved' event in the log"
pass "the MAC change is logged"

# Discarded by the parser: rejected_ndp_malformed.
ndp_send b b0 na $MAC_B 2001:db8::4 ff02::1 2001:db8::4 $MAC_B --hops 64
ndp_send b b0 na $MAC_B 2001:db8::5 ff02::1 2001:db8::5 $MAC_B --bad-checksum
ndp_send b b0 na $MAC_B 2001:db8::8 ff02::1 2001:db8::8 $MAC_B --flags 0x60 # solicited, to all nodes
# Well-formed, refused by the resolver.
ndp_send b b0 na $MAC_B 2001:db8::6 ff02::1 2001:db8::6 33:33:00:00:00:01
ndp_send b b0 na $MAC_B 2001:db9::7 ff02::1 2001:db9::7 $MAC_B
# Duplicate address detection: NS from :: teaches nothing.
ndp_send b b0 ns $MAC_B :: ff02::1:ff00:9 2001:db8::9 -
# Valid, but nothing to learn: an NA without TLLA.
ndp_send b b0 na $MAC_B 2001:db8::a ff02::1 2001:db8::a -
sleep 0.5
expect_stat a0 rejected_ndp_malformed -eq 3
expect_stat a0 rejected_sender_mac -eq 1
expect_stat a0 rejected_out_of_subnet -eq 1
expect_stat a0 rejected_dad_probe -eq 1
expect_stat a0 ndp_received -eq 10
for x in 2001:db8::4 2001:db8::5 2001:db8::6 2001:db9::7 2001:db8::8 2001:db8::9 2001:db8::a; do
        [ "$(list_lines '*' $x)" = 0 ] || fail "$x was stored: $(list | grep -F " $x ")"
done
pass "nothing refused was stored"

# Frames that are not NS/NA never reach arpd (BPF filter): echo requests and replies.
before=$(stat a0 ndp_received)
in_ns b ping -6 -c2 -i0.2 -W1 $IP6_A >/dev/null || fail "b cannot reach a"
after=$(stat a0 ndp_received)
# b's ping: at most b's NS for a and a unicast NUD NS/NA exchange; never the echoes (4 frames).
[ $((after - before)) -le 3 ] || fail "ndp_received grew by $((after - before)) for a ping"
pass "ndp_received grew by $((after - before)) for b's ping (echo frames filtered out)"
