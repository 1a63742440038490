#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6 active probes (-a): our own Neighbor Solicitation on the wire, a dead address suppressed, a
# live unknown host resolved through the probe, and the per-interface token bucket.
#  1. With -a 1, a miss for a dead 2001:db8::50 puts exactly one NS on the wire: from a0's MAC and
#     link-local address to the solicited-node group ff02::1:ff00:50 (33:33:ff:00:00:50), hop
#     limit 255, with a0's MAC as SLLA. A second miss is suppressed (negative entry): no second NS.
#  2. With -a 1, a ping to b, which arpd has never seen, succeeds although a's kernel sends nothing
#     (mcast_solicit=0): b answers arpd's NS with an NA that a's kernel and arpd both take.
#  3. With -R 1 -B 3, a storm of misses for 20 dead addresses gets at least the burst of 3 NS, and
#     no time window [t, t+T] holds more than 3 + T (+1 for jitter); probes_sent matches the wire.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping tcpdump
require_python

setup_pair6
solicit6 a a0 1 0 0
LL_A=$(link_local a a0)
[ -n "$LL_A" ] || fail "a0 has no link-local address"

# Part 1
start_arpd a -a 1 -R 1 -B 3 a0
capture_ndp b b0 one
in_ns a ping -6 -c1 -W1 2001:db8::50 >/dev/null 2>&1 && fail "ping to 2001:db8::50 succeeded: nobody holds it"
wait_for "negative entry" 5 list_has a0 2001:db8::50 FAILED:
kernel_failed() { in_ns a ip -6 neigh show 2001:db8::50 dev a0 | grepq FAILED; }
wait_for "a's kernel to give up on 2001:db8::50" 5 kernel_failed
in_ns a ping -6 -c1 -W1 2001:db8::50 >/dev/null 2>&1 && fail "second ping to 2001:db8::50 succeeded"
stop_capture one
frames one | grep "who has 2001:db8::50" || true
n=$(frames one | grep -c "neighbor solicitation, who has 2001:db8::50" || true)
[ "$n" = 1 ] || fail "expected exactly one NS for 2001:db8::50, saw $n: $(frames one)"
frames_v one | grep -A1 "who has 2001:db8::50" >"$WORK/ns.txt" || true
grep -F "$MAC_A > 33:33:ff:00:00:50" "$WORK/ns.txt" | grep -F "hlim 255" | grep -F "$LL_A > ff02::1:ff00:50:" |
        grep -qF "[icmp6 sum ok]" ||
        fail "the NS is not from $MAC_A/$LL_A to ff02::1:ff00:50 with hop limit 255 and a good checksum: $(cat "$WORK/ns.txt")"
grep -q "source link-address option.*$MAC_A" "$WORK/ns.txt" || fail "the NS carries no SLLA with $MAC_A: $(cat "$WORK/ns.txt")"
pass "one NS on the wire, well-formed"
expect_stat a0 probes_sent -eq 1
expect_stat a0 requests_suppressed -ge 1

# Part 2
in_ns a ip -6 neigh flush dev a0
in_ns a ping -6 -c1 -W3 $IP6_B >/dev/null || fail "ping -6 to b failed: arpd's probe did not resolve it"
wait_for "b learned from its NA" 5 list_has a0 $IP6_B $MAC_B
pass "an unknown live host resolved through arpd's NS"

# Part 3
stop_arpd
start_arpd a -a 1 -R 1 -B 3 a0
capture_ndp b b0 storm
cat >"$WORK/storm.py" <<'PY'
import socket, sys, time
# One datagram to each dead address every 0.1 s: each send to an unresolved (or failed) neighbour
# makes the kernel ask arpd again.
dur = float(sys.argv[1])
addrs = ["2001:db8::1:%x" % i for i in range(0x100, 0x114)]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
end = time.monotonic() + dur
while time.monotonic() < end:
    for a in addrs:
        try:
            s.sendto(b"x", (a, 9))
        except OSError:
            pass
    time.sleep(0.1)
PY
in_ns a timeout 10 "$PYTHON" "$WORK/storm.py" 3
sleep 2
stop_capture storm
tcpdump -r "$WORK/storm.pcap" -nn -tt -e 2>/dev/null | grep -F "$MAC_A > 33:33:ff:01:01:" |
        grep "neighbor solicitation, who has 2001:db8::1:1[01]" | awk '{ print $1 }' >"$WORK/probe-times" || true
n=$(wc -l <"$WORK/probe-times")
info "solicitations on the wire: $n at $(tr '\n' ' ' <"$WORK/probe-times")"
[ "$n" -ge 3 ] || fail "expected at least the burst of 3 solicitations, saw $n"
"$PYTHON" - "$WORK/probe-times" <<'PY' || fail "the solicitations exceed the token bucket (-R 1 -B 3)"
import sys
t = [float(x) for x in open(sys.argv[1]) if x.strip()]
bad = [(i, j) for i in range(len(t)) for j in range(i, len(t)) if j - i + 1 > 3 + 1.0 * (t[j] - t[i]) + 1]
for i, j in bad[:5]:
    print("window %.3f..%.3f holds %d solicitations" % (t[i], t[j], j - i + 1))
sys.exit(1 if bad else 0)
PY
pass "no time window holds more solicitations than -R 1 -B 3 allow ($n in all)"
sent=$(stat a0 probes_sent)
[ "$sent" = "$n" ] || fail "probes_sent=$sent but $n solicitations on the wire"
pass "probes_sent=$sent matches the wire"
expect_stat a0 probes_ratelimited -ge 10
