#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (d) The negative cache. a cannot resolve by itself (app_solicit=1, mcast_solicit=0,
# ucast_solicit=0); arpd runs with -a 1 -n 60. Two pings to an address nobody holds put exactly one
# ARP request on the wire: arpd's own probe (from a's MAC and address) for the first miss; the second
# miss is suppressed by the negative entry ("FAILED" in the listing, requests_suppressed counted).
# With a short -n (1 s) the negative entry expires and the next miss is probed again.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping tcpdump

DEAD=198.18.0.99
probes_for() {
        frames "$1" | grep -F "$MAC_A > ff:ff:ff:ff:ff:ff" | grep -c "Request who-has $DEAD tell $IP_A," || true
}
requests_for() { frames "$1" | grep -c "Request who-has $DEAD " || true; }

setup_pair
solicit a a0 1 0 0
start_arpd a -a 1 -n 60 a0

capture b b0 wire
for _ in 1 2; do
        in_ns a ping -c1 -W2 $DEAD >/dev/null 2>&1 && fail "ping to $DEAD succeeded: nobody holds it"
done
stop_capture wire
[ "$(requests_for wire)" = 1 ] || fail "expected exactly one ARP request for $DEAD on the wire, saw: $(frames wire)"
[ "$(probes_for wire)" = 1 ] || fail "the one request is not arpd's broadcast probe from $MAC_A/$IP_A: $(frames wire)"
pass "one probe for $DEAD on the wire, from arpd"

list_has a0 $DEAD FAILED: || fail "$DEAD is not listed as FAILED: $(list)"
pass "negative entry listed: $(list | grep -F " $DEAD ")"
expect_stat a0 probes_sent -eq 1
expect_stat a0 requests_suppressed -ge 1
expect_stat a0 requests_answered -eq 0

# A short negative window: the entry (older than 1 s by now) has expired, the next miss probes again.
stop_arpd
start_arpd a -a 1 -n 1 a0
sleep 1.5
in_ns a ip neigh flush dev a0
capture b b0 wire2
in_ns a ping -c1 -W2 $DEAD >/dev/null 2>&1 && fail "ping to $DEAD succeeded: nobody holds it"
stop_capture wire2
[ "$(probes_for wire2)" = 1 ] || fail "expected one new probe for $DEAD after the negative entry expired, saw: $(frames wire2)"
pass "after -n expired, the next miss is probed again"
expect_stat a0 probes_sent -eq 1
list_has a0 $DEAD FAILED: || fail "$DEAD is not listed as FAILED after the second probe: $(list)"
