#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Knowledge ages by evidence only (issue 16, requirement 3). Host a cannot resolve by itself
# (app_solicit=1, mcast_solicit=0, ucast_solicit=0), arpd learned b, then b dies (its address
# goes away, so nothing answers for it any more) while a keeps sending to it. The kernel keeps
# asking arpd (INCOMPLETE, then PROBE every ~5 s, with no evidence of its own); arpd's answers
# come back to it as kernel events. A dead host must stop being answered:
#   - without -a, once --max-age has passed since b was last heard (the echo of arpd's own
#     answers does not count as hearing it);
#   - with -a 1, once arpd's own verification probe went unanswered (3 s), at the next PROBE.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping arping
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

setup_pair
solicit a a0 1 0 0
# short kernel timers, so that the kernel asks again (PROBE) within seconds, not after the
# 15-45 s a confirmed entry stays REACHABLE by default
in_ns a sysctl -qw net.ipv4.neigh.a0.base_reachable_time_ms=1000 net.ipv4.neigh.a0.delay_first_probe_time=1

answered_mac_b() { in_ns a ip neigh show $IP_B dev a0 | grepq "lladdr $MAC_B"; }
# pinger: a sends to b every 0.2 s, for at most 40 s, until stopped
start_pinger() {
        in_ns a ping -i 0.2 -w 40 -W 1 $IP_B >/dev/null 2>&1 &
        PINGER=$!
        PIDS+=("$PINGER")
}
stop_pinger() { kill "$PINGER" 2>/dev/null || true; wait "$PINGER" 2>/dev/null || true; }
# not_answered_any_more: the kernel holds no MAC for b and arpd's counter says why
counter_ge() { local v; v=$(stat a0 "$1") && [ "$v" -ge "$2" ]; }

# ---- without -a: --max-age ----
start_arpd a a0 --max-age 4
garp b b0 $IP_B
wait_for "b learned" 5 list_has a0 $IP_B $MAC_B
in_ns a ip neigh flush dev a0
in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "b was not answered while alive"
pass "b answered while alive"

ip -n "$T-b" addr del $IP_B/24 dev b0
start_pinger
# learned at t0: answered at once, then at a PROBE more than 4 s later the binding has expired
wait_for "misses for b no longer answered (requests_expired)" 20 counter_ge requests_expired 1
answered=$(stat a0 requests_answered)
sleep 3
[ "$(stat a0 requests_answered)" = "$answered" ] || fail "arpd still answers for the dead host"
answered_mac_b && fail "a's kernel still resolves the dead b: $(in_ns a ip neigh show $IP_B dev a0)"
stop_pinger
list_has a0 $IP_B $MAC_B || fail "the expired binding should stay in the store (only not answered)"
pass "without -a the dead host is no longer answered after --max-age ($(stat a0 requests_expired) expired misses)"
# arpctl why reads --max-age from the daemon and says the same
why=$("$ARPCTL" --socket "$WORK/bus" why $IP_B)
grep -q "next miss:   not answered" <<<"$why" || fail "arpctl why still predicts an answer for the expired binding: $why"
pass "arpctl why agrees: $(grep 'next miss' <<<"$why")"
stop_arpd

# ---- with -a 1: the verification probe ----
rm -rf "$DB"
ip -n "$T-b" addr add $IP_B/24 dev b0
in_ns a ip neigh flush dev a0
start_arpd a a0 -a 1
garp b b0 $IP_B
wait_for "b learned" 5 list_has a0 $IP_B $MAC_B
in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "b was not answered while alive (-a 1)"
ip -n "$T-b" addr del $IP_B/24 dev b0
start_pinger
# answer; at the next PROBE: answered and verified by a probe b cannot answer; at the first PROBE
# 3 s after that the verification is overdue -> invalidated
wait_for "the dead host invalidated (requests_invalidated)" 25 counter_ge requests_invalidated 1
answered=$(stat a0 requests_answered)
sleep 3
[ "$(stat a0 requests_answered)" = "$answered" ] || fail "arpd still answers for the dead host (-a 1)"
answered_mac_b && fail "a's kernel still resolves the dead b (-a 1): $(in_ns a ip neigh show $IP_B dev a0)"
stop_pinger
verified=$(stat a0 requests_verified)
[ "$verified" -ge 1 ] || fail "no verification happened (requests_verified=$verified)"
pass "with -a 1 the dead host is invalidated after its verification probe went unanswered"
