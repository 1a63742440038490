#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6 (issue 16, requirement 5):
#   - a Neighbor Advertisement without the Override flag (a proxy, an anycast address) never
#     replaces a known binding with another MAC (RFC 4861 7.2.5), one with it does;
#   - an address whose duplicate address detection failed (or is still running) is neither a
#     subnet arpd learns in nor a source of its probes.
. "$(dirname "$0")/lib.sh"
require_root
require_python

setup_pair6
start_arpd a a0

ndp_send b b0 na $MAC_B $IP6_B ff02::1 $IP6_B $MAC_B
wait_for "b learned from its NA" 5 list_has a0 $IP6_B $MAC_B

PROXY_MAC=02:dd:00:00:00:05
ndp_send b b0 na $PROXY_MAC $IP6_B ff02::1 $IP6_B $PROXY_MAC --flags 0x00
sleep 0.5
list_has a0 $IP6_B $MAC_B || fail "an NA without Override replaced b's MAC: $(list | grep -F " $IP6_B ")"
expect_stat a0 ndp_no_override -eq 1
pass "an NA with O=0 keeps the known binding"

ndp_send b b0 na $PROXY_MAC $IP6_B ff02::1 $IP6_B $PROXY_MAC --flags 0x20
wait_for "the NA with O=1 moves the binding" 5 list_has a0 $IP6_B $PROXY_MAC
pass "an NA with O=1 replaces it"

# a0 gets 2001:db8:5::1/64, which b already has: a0's DAD fails (dadfailed), the address is not
# a0's, and 2001:db8:5::/64 is not a subnet arpd learns in.
in_ns a sysctl -qw net.ipv6.conf.a0.accept_dad=1 net.ipv6.conf.a0.dad_transmits=1
ip -n "$T-b" addr add 2001:db8:5::1/64 dev b0 nodad
ip -n "$T-a" addr add 2001:db8:5::1/64 dev a0
dadfailed() { in_ns a ip -6 addr show dev a0 | grepq "2001:db8:5::1/64.*dadfailed"; }
wait_for "a0's DAD for 2001:db8:5::1 to fail" 10 dadfailed
ndp_send b b0 na $MAC_B 2001:db8:5::7 ff02::1 2001:db8:5::7 $MAC_B
sleep 0.5
[ "$(list_lines a0 2001:db8:5::7)" = 0 ] || fail "arpd learned in the subnet of a DAD-failed address: $(list | grep -F 2001:db8:5::7)"
expect_stat a0 rejected_out_of_subnet -ge 1
pass "a DAD-failed address is no subnet"
