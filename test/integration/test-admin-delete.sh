#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An administrator's `ip neigh del` / `ip neigh flush` on a is not a dead host: the kernel reports
# the deleted entry as FAILED from the requesting process (nlmsg_pid != 0). arpd must count it as
# kernel_admin_delete and keep b's binding (listed with its MAC, never FAILED), and still answer the
# next miss for b (a cannot resolve by itself: mcast_solicit=0, ucast_solicit=0).
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping arping

setup_pair
solicit a a0 1 0 0
start_arpd a a0
garp b b0 $IP_B
wait_for "b learned" 2 list_has a0 $IP_B $MAC_B

in_ns a ip neigh add $IP_B lladdr $MAC_B dev a0 nud stale
in_ns a ip neigh del $IP_B dev a0
in_ns a ip neigh add $IP_B lladdr $MAC_B dev a0 nud stale
in_ns a ip neigh flush dev a0
in_ns a ip neigh show $IP_B dev a0 | grepq lladdr && fail "the flush left b in a's kernel"
sleep 0.3
list_has a0 $IP_B $MAC_B || fail "b's binding was lost or turned FAILED by an administrative delete: $(list)"
pass "b still stored with its MAC after ip neigh del and flush"
expect_stat a0 kernel_admin_delete -ge 2
expect_stat a0 kernel_failed -eq 0

in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "ping to b failed after the deletes; arpd did not answer"
in_ns a ip neigh show $IP_B dev a0 | grepq "lladdr $MAC_B" || fail "a's kernel does not hold b's MAC"
pass "the next miss for b is answered"
expect_stat a0 requests_answered -ge 1
