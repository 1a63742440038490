#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (c) Learning from the kernel's neighbour table. With the kernel's usual settings on a
# (app_solicit=0, mcast_solicit=3: the kernel resolves by itself and never asks arpd), a ping from
# a to b makes the kernel resolve b; arpd mirrors the new kernel entry: it is listed with b's MAC and
# counted as kernel_new. And the initial dump: a permanent neighbour added while arpd is stopped is
# in the store as soon as arpd says Ready (the dump is stored before READY).
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping

setup_pair
solicit a a0 0 3 3
start_arpd a a0

in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "ping from a to b failed (the kernel should resolve b itself)"
in_ns a ip neigh show $IP_B dev a0 | grepq "lladdr $MAC_B" || fail "a's kernel does not hold b: $(in_ns a ip neigh show dev a0)"
wait_for "b listed with its MAC" 2 list_has a0 $IP_B $MAC_B
pass "b, resolved by the kernel, is in the store: $(list | grep -F " $IP_B ")"
expect_stat a0 kernel_new -ge 1
expect_stat a0 requests_received -eq 0

stop_arpd
IP_P=198.18.0.77
MAC_P=02:77:00:00:00:77
list_has a0 $IP_P $MAC_P && fail "$IP_P is in the store before the test added it"
in_ns a ip neigh add $IP_P lladdr $MAC_P dev a0 nud permanent
start_arpd a a0
# No waiting: Ready comes after the initial dump is committed.
list_has a0 $IP_P $MAC_P || fail "the permanent neighbour $IP_P is not in the store at Ready: $(list)"
pass "the initial dump stored the permanent neighbour before Ready: $(list | grep -F " $IP_P ")"
list_has a0 $IP_B $MAC_B || fail "b was lost across the restart: $(list)"
pass "b is still stored after the restart"
expect_stat a0 kernel_new -ge 1
