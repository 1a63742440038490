#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (e) Active probes and their rate limit. With -a 1 a miss for a dead address puts exactly one probe
# on the wire, a broadcast ARP request with a0's MAC and a's address. With -R 1 -B 3, a storm of
# misses for 20 dead addresses (renewed for 3 s, since rate-limited misses write nothing and the
# kernel asks again after each failure) gets at least the burst of 3 probes, and in every time window
# [t, t+T] of the capture at most 3 + 1*T probes (+1 for timing jitter); the rest is counted as
# probes_ratelimited.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping tcpdump
require_python

setup_pair
solicit a a0 1 0 0

# Part 1: one dead address, one probe, really on the wire.
start_arpd a -a 1 -R 1 -B 3 a0
capture b b0 one
in_ns a ping -c1 -W1 198.18.0.50 >/dev/null 2>&1 && fail "ping to 198.18.0.50 succeeded: nobody holds it"
stop_capture one
n=$(frames one | grep -c "Request who-has 198.18.0.50 " || true)
[ "$n" = 1 ] || fail "expected exactly one request for 198.18.0.50, saw $n: $(frames one)"
frames one | grep -F "$MAC_A > ff:ff:ff:ff:ff:ff" | grepq "Request who-has 198.18.0.50 tell $IP_A," ||
        fail "the request is not a broadcast from $MAC_A asking for $IP_A: $(frames one)"
pass "one probe on the wire: $(frames one | grep "who-has 198.18.0.50")"
expect_stat a0 probes_sent -eq 1

# Part 2: a storm of misses against a fresh (full) token bucket.
stop_arpd
start_arpd a -a 1 -R 1 -B 3 a0
capture b b0 storm
cat >"$WORK/storm.py" <<'EOF'
import socket, sys, time
# Send one datagram to each dead address, again every 0.1 s for the given time: each send to an
# unresolved (or failed) neighbour makes the kernel ask arpd again.
dur = float(sys.argv[1])
addrs = ["198.18.0.%d" % i for i in range(100, 120)]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + dur
while time.monotonic() < end:
    for a in addrs:
        try:
            s.sendto(b"x", (a, 9))
        except OSError:
            pass
    time.sleep(0.1)
EOF
in_ns a timeout 10 "$PYTHON" "$WORK/storm.py" 3
sleep 2
stop_capture storm

tcpdump -r "$WORK/storm.pcap" -nn -tt -e 2>/dev/null | grep -F "$MAC_A > ff:ff:ff:ff:ff:ff" |
        grep -E "Request who-has 198\.18\.0\.1[01][0-9] tell $IP_A," | awk '{ print $1 }' >"$WORK/probe-times" || true
n=$(wc -l <"$WORK/probe-times")
info "probes on the wire: $n at $(tr '\n' ' ' <"$WORK/probe-times")"
[ "$n" -ge 3 ] || fail "expected at least the burst of 3 probes, saw $n"
pass "the burst went out ($n probes)"
# Every window [t_i, t_j] between two probes holds j - i + 1 probes: at most burst + rate * T + 1.
"$PYTHON" - "$WORK/probe-times" <<'EOF' || fail "the probes exceed the token bucket (-R 1 -B 3)"
import sys
t = [float(x) for x in open(sys.argv[1]) if x.strip()]
bad = [(i, j) for i in range(len(t)) for j in range(i, len(t)) if j - i + 1 > 3 + 1.0 * (t[j] - t[i]) + 1]
for i, j in bad[:5]:
    print("window %.3f..%.3f holds %d probes" % (t[i], t[j], j - i + 1))
sys.exit(1 if bad else 0)
EOF
pass "no time window holds more probes than -R 1 -B 3 allow"
sent=$(stat a0 probes_sent)
[ "$sent" = "$n" ] || fail "probes_sent=$sent but $n probes on the wire"
pass "probes_sent=$sent matches the wire"
expect_stat a0 probes_ratelimited -ge 10
