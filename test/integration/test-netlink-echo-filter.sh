#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel multicasts the RTM_NEWNEIGH each of arpd's answers causes to every listener, arpd's
# own event socket included (nlmsg_pid = arpd's command socket). The socket filter arpd attaches
# (nl_filter_own_echoes()) must drop exactly those in the kernel — so an answer costs one wakeup,
# not two — and let every other change through: an `ip neigh`-like change from another socket
# still arrives. Without the filter both arrive (checked too, so the test can tell the difference).
# Then the daemon itself: misses are still answered and a neighbour added by another process is
# still learned from the kernel's event.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping
[ -n "${NL_ECHO_CHECK:-}" ] && [ -x "$NL_ECHO_CHECK" ] || { echo "NL_ECHO_CHECK must name the helper"; exit 1; }

setup_pair

out=$(in_ns a "$NL_ECHO_CHECK" a0 198.18.0.10 198.18.0.11 nofilter) || fail "nl-echo-check failed"
[ "$(echo "$out" | awk '$1 == "own" { print $2 }')" -ge 1 ] || fail "without the filter the kernel did not echo our own change: $out"
[ "$(echo "$out" | awk '$1 == "other" { print $2 }')" -ge 1 ] || fail "without the filter another socket's change did not arrive: $out"
pass "without the filter: our own change and another's both arrive"

in_ns a ip neigh flush dev a0
out=$(in_ns a "$NL_ECHO_CHECK" a0 198.18.0.12 198.18.0.13 filter) || fail "nl-echo-check failed"
[ "$(echo "$out" | awk '$1 == "own" { print $2 }')" -eq 0 ] || fail "the filter let our own change's echo through: $out"
[ "$(echo "$out" | awk '$1 == "other" { print $2 }')" -ge 1 ] || fail "the filter dropped another socket's change: $out"
pass "with the filter: our own change's echo is dropped, another's arrives"

# An instance that serves another interface (arpd@a1 beside arpd@a0): a0's neighbour changes,
# another process's included, are dropped in the kernel (nl_filter_events() with a0 foreign).
in_ns a ip neigh flush dev a0
out=$(in_ns a "$NL_ECHO_CHECK" a0 198.18.0.14 198.18.0.15 foreign) || fail "nl-echo-check failed"
[ "$(echo "$out" | awk '$1 == "own" { print $2 }')" -eq 0 ] || fail "the foreign filter let our own change's echo through: $out"
[ "$(echo "$out" | awk '$1 == "other" { print $2 }')" -eq 0 ] || fail "the foreign filter let a foreign interface's change through: $out"
pass "with a0 foreign: no neighbour message of a0 arrives"

# The daemon with its filter: a miss is answered, a change by another process is learned.
in_ns a ip neigh flush dev a0
solicit a a0 1 0 0
"$ARPD" -b "$DB" -f - <<<"a0 $IP_B $MAC_B" >/dev/null 2>&1 || fail "cannot load b's binding"
start_arpd a a0
in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "ping to b failed: arpd did not answer the miss"
pass "a miss is answered"
in_ns a ip neigh replace 198.18.0.20 lladdr 02:cc:00:00:00:20 dev a0 nud reachable
wait_for "198.18.0.20 learned from the kernel's event" 3 list_has a0 198.18.0.20 02:cc:00:00:00:20
pass "another process's neighbour change is still learned"
expect_stat a0 requests_answered -eq 1
