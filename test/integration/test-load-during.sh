#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# While a load runs through the daemon (LoadFd of a pipe whose writer keeps it open, so the daemon
# holds the load's transaction): misses are still answered, reads are answered, a second load is
# refused (LimitsExceeded) and stores nothing; when the pipe ends the load is stored. A client
# that goes away in the middle of a pipe's load aborts it: nothing of it is stored and the daemon
# goes on.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }
[ -n "${LOAD_FD:-}" ] && [ -x "$LOAD_FD" ] || { echo "LOAD_FD must name the test helper"; exit 1; }

BUS="$WORK/bus"
ctl() { "$ARPCTL" --socket "$BUS" "$@"; }
# loadfd FIFO: LoadFd of FIFO (the fd passed as is), in the background
loadfd() {
        "$LOAD_FD" "$BUS" held <"$1" >"$WORK/busctl.out" 2>&1 &
        BUSCTL=$!
        PIDS+=("$BUSCTL")
}

setup_pair
solicit a a0 1 0 0
start_arpd a --control-socket "$BUS" a0
ctl add a0 $IP_B $MAC_B || fail "add b"

mkfifo "$WORK/fifo"
# the writer: one line, then it holds the pipe open until told to stop
( printf 'a0 198.18.0.77 02:77:00:00:00:77\n'; while [ ! -e "$WORK/stop" ]; do sleep 0.05; done ) >"$WORK/fifo" &
WRITER=$!; PIDS+=("$WRITER")
loadfd "$WORK/fifo"
sleep 0.5
kill -0 $BUSCTL 2>/dev/null || fail "the load ended early: $(cat "$WORK/busctl.out")"

in_ns a ip neigh flush dev a0
in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "a miss was not answered while a load holds its transaction"
pass "a miss is answered while a load runs"
out=$(ctl show $IP_B 2>&1) || fail "show failed during a load: $out"
out=$(printf 'a0 198.18.0.78 02:78:00:00:00:78\n' >"$WORK/one.txt"; ctl load "$WORK/one.txt" 2>&1) && fail "a second load ran: $out"
grep -q "Another load is running" <<<"$out" || fail "second load: unclear error: $out"
pass "reads are answered and a second load is refused while one runs"

touch "$WORK/stop"
wait "$WRITER" || true
for _ in $(seq 100); do kill -0 $BUSCTL 2>/dev/null || break; sleep 0.05; done
wait "$BUSCTL" || fail "LoadFd failed: $(cat "$WORK/busctl.out")"
[ "$(cat "$WORK/busctl.out")" = "loaded 1" ] || fail "LoadFd answered: $(cat "$WORK/busctl.out")"
list_has a0 198.18.0.77 02:77:00:00:00:77 || fail "the pipe's entry was not stored"
list_has a0 198.18.0.78 02:78:00:00:00:78 && fail "the refused load stored its entry"
pass "the load is stored when its pipe ends"

# a client that goes away in the middle of a pipe's load: aborted, nothing stored
rm -f "$WORK/stop"
( printf 'a0 198.18.0.79 02:79:00:00:00:79\n'; while [ ! -e "$WORK/stop" ]; do sleep 0.05; done ) >"$WORK/fifo" &
WRITER=$!; PIDS+=("$WRITER")
loadfd "$WORK/fifo"
sleep 0.5
kill $BUSCTL; wait $BUSCTL 2>/dev/null || true
wait_for "the load aborted" 5 grep -q "the load of held is aborted" "$WORK/arpd.log"
touch "$WORK/stop"; wait "$WRITER" || true
list_has a0 198.18.0.79 02:79:00:00:00:79 && fail "an aborted load stored its entry"
arpd_alive || fail "arpd died"
ctl load "$WORK/one.txt" >/dev/null || fail "a load after the aborted one failed"
list_has a0 198.18.0.78 02:78:00:00:00:78 || fail "the load after the aborted one was not stored"
pass "a client that goes away aborts its pipe's load; the daemon goes on"

# the daemon stops while a load holds its transaction: the load ends first, arpd exits cleanly
rm -f "$WORK/stop"
( printf 'a0 198.18.0.80 02:80:00:00:00:80\n'; while [ ! -e "$WORK/stop" ]; do sleep 0.05; done ) >"$WORK/fifo" &
WRITER=$!; PIDS+=("$WRITER")
loadfd "$WORK/fifo"
sleep 0.5
out=$(ctl add a0 198.18.0.81 02:81:00:00:00:81 2>&1) && fail "a change went through while the load holds the store's writer"; info "add during a load: $out"
stop_arpd
touch "$WORK/stop"; wait "$WRITER" || true
wait "$BUSCTL" 2>/dev/null && fail "the load succeeded although arpd stopped"
list_has a0 198.18.0.80 02:80:00:00:00:80 && fail "the load ended by the stop stored its entry"
pass "arpd stops cleanly in the middle of a load; nothing of it is stored"
