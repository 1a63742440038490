#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A slow reader of an online dump (a pager the user reads in for minutes) loses nothing: arpd
# closes a control connection idle for --control-idle-timeout, here 2 s, while the reader holds
# arpctl's output back between two pages for 4 s; arpctl reconnects and resumes from its cursor,
# and prints every one of 20,000 entries exactly once, exit 0. The listing runs as SCHED_BATCH
# (unless started with another policy). The timeout still does its job: a
# connection that makes no call is closed after it, a subscriber (arpctl monitor) is not.
. "$(dirname "$0")/lib.sh"
require_root
require_python
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

BUS="$WORK/bus"
ctl() { "$ARPCTL" --socket "$BUS" "$@"; }
N=20000

# 20,000 entries (79 listing pages of 256) on an interface this arpd does not serve: nothing touches
# them while the test runs.
for a in $(seq 0 99); do
        for b in $(seq 1 200); do
                printf 'z0 198.18.%d.%d 02:00:00:00:%02x:%02x static\n' "$a" "$b" "$a" "$b"
        done
done >"$WORK/load.txt"
"$ARPD" -b "$DB" -f "$WORK/load.txt" >/dev/null 2>"$WORK/load.err" || fail "loading the store: $(cat "$WORK/load.err")"
list | awk '{ print $1, $2 }' | sort >"$WORK/offline.txt"
[ "$(wc -l <"$WORK/offline.txt")" = "$N" ] || fail "the store holds $(wc -l <"$WORK/offline.txt") entries, expected $N"

setup_pair
start_arpd a --control-socket "$BUS" --control-idle-timeout=2 a0
[ -S "$BUS" ] || fail "no control socket at $BUS"

# ---- a reader that stops for longer than the idle timeout after the first line ----
rc=0
ctl --no-legend dump 2>"$WORK/dump.err" | (IFS= read -r first; printf '%s\n' "$first"; sleep 4; cat) \
        >"$WORK/dump.txt" || rc=$?
[ "$rc" = 0 ] || fail "the slow dump exited $rc after $(wc -l <"$WORK/dump.txt") lines: $(cat "$WORK/dump.err")"
[ ! -s "$WORK/dump.err" ] || fail "the slow dump complained: $(cat "$WORK/dump.err")"
awk '{ print $1, $2 }' "$WORK/dump.txt" | sort >"$WORK/online.txt"
dups=$(uniq -d "$WORK/online.txt" | wc -l)
[ "$dups" = 0 ] || fail "$dups entries printed twice by the slow dump"
cmp -s "$WORK/offline.txt" "$WORK/online.txt" ||
        fail "the slow dump printed $(wc -l <"$WORK/online.txt") entries, the store holds $N: $(diff "$WORK/offline.txt" "$WORK/online.txt" | head -n 5)"
pass "a reader pausing 4 s (idle timeout 2 s) gets all $N entries once, exit 0"

# ---- an online listing is bulk work: arpctl runs it as SCHED_BATCH, so that the wakeup each
# page brings never preempts arpd; a policy the caller chose stays (chrt) ----
# policy_during POLICY-CMD...: the scheduling policy (/proc/PID/stat field 41: 0 other, 3 batch,
# 5 idle) of an arpctl dump blocked on a full pipe after its first page.
policy_during() {
        local fifo="$WORK/fifo" p pol
        rm -f "$fifo"
        mkfifo "$fifo"
        "$@" "$ARPCTL" --socket "$BUS" --no-legend dump >"$fifo" 2>"$WORK/batch.err" &
        p=$!
        PIDS+=("$p")
        exec 3<"$fifo"
        IFS= read -r _ <&3 # the listing has begun; 20,000 lines do not fit the pipe: arpctl waits
        sleep 0.3
        pol=$(awk '{ print $41 }' "/proc/$p/stat")
        cat <&3 >/dev/null
        exec 3<&-
        wait "$p" || fail "the dump read through a fifo failed: $(cat "$WORK/batch.err")"
        echo "$pol"
}
pol=$(policy_during env)
[ "$pol" = 3 ] || fail "an online dump runs with scheduling policy $pol, expected 3 (SCHED_BATCH)"
if command -v chrt >/dev/null; then
        pol=$(policy_during chrt -i 0)
        [ "$pol" = 5 ] || fail "arpctl changed the SCHED_IDLE it was started with to policy $pol"
fi
pass "an online dump runs as SCHED_BATCH; a policy set with chrt stays"

# ---- the idle timeout still closes a connection that makes no call; a subscriber stays ----
ctl monitor >"$WORK/monitor.out" 2>"$WORK/monitor.err" &
MON=$!
PIDS+=("$MON")
wait_for "monitor subscribed" 10 grep -q '^Monitoring' "$WORK/monitor.err"
# A plain D-Bus connection: authenticated, then silent. Exit 0 when arpd closes it after 0.5 s
# and within 10 s; 2 if closed at once, 3 if still open after 10 s.
"$PYTHON" - "$BUS" <<'PY' || fail "an idle connection was not closed as expected (python exit $?)"
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
s.settimeout(5)
if not s.recv(256).startswith(b"OK"):
    sys.exit(4)
s.sendall(b"BEGIN\r\n")
s.settimeout(0.5)
try:
    if s.recv(256) == b"":
        sys.exit(2)
except socket.timeout:
    pass
s.settimeout(10)
try:
    while s.recv(256) != b"":
        pass
except socket.timeout:
    sys.exit(3)
PY
kill -0 "$MON" 2>/dev/null || fail "arpctl monitor exited while subscribed: $(cat "$WORK/monitor.err")"
ctl add a0 198.18.0.77 02:00:00:00:00:77 >/dev/null || fail "add failed"
wait_for "monitor reports the change after the idle timeout" 10 grep -q '198.18.0.77' "$WORK/monitor.out"
pass "an idle connection is closed after the timeout; a monitor subscribed meanwhile stays and reports"
stop_arpd
