#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Only evidence invalidates, and only what it is evidence against (issue 16, requirement 4).
# a's kernel holds a stale MAC for b (02:cc:..., nobody's) in state PROBE, while arpd's store
# holds b's real MAC. The kernel's unicast probe of the stale MAC goes unanswered (ucast_solicit=1)
# and it asks arpd in PROBE state with that evidence (NDA_PROBES 1, NDA_LLADDR the stale MAC).
# That proves the stale MAC dead, not b's: arpd must keep its binding and answer with it,
# replacing the dead MAC in the kernel, so that a reaches b.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping

STALE_MAC=02:cc:00:00:00:09

setup_pair
solicit a a0 1 0 1
printf 'a0 %s %s\n' $IP_B $MAC_B >"$WORK/load"
"$ARPD" -b "$DB" -f "$WORK/load" >/dev/null || fail "cannot load b's binding"
list_has a0 $IP_B $MAC_B || fail "b's binding was not loaded"
start_arpd a a0

in_ns a ip neigh replace $IP_B dev a0 lladdr $STALE_MAC nud probe
resolved() { in_ns a ip neigh show $IP_B dev a0 | grepq "lladdr $MAC_B"; }
wait_for "a's kernel to take b's real MAC from arpd" 10 resolved
pass "the kernel's dead MAC was replaced by arpd's: $(in_ns a ip neigh show $IP_B dev a0)"
list_has a0 $IP_B $MAC_B || fail "arpd dropped b's binding: $(list | grep $IP_B)"
expect_stat a0 requests_invalidated -eq 0
in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "a cannot reach b"
pass "a reaches b"
