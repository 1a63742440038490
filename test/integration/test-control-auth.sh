#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Who may change what arpd knows (peer-auth.h): root and CAP_NET_ADMIN in arpd's own user
# namespace may; a plain user, root inside a child user namespace ("unshare -r": full capabilities
# there, none here) and a connection whose opener has exited (its pid free for reuse) may not —
# AccessDenied with the reason, and nothing stored. Also: the control socket is not created in a
# directory other users can write to, and is created with its final mode (no chmod that follows a
# symlink).
. "$(dirname "$0")/lib.sh"
require_root
require_cmd setpriv unshare
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }
[ -n "${CONTROL_CALL:-}" ] && [ -x "$CONTROL_CALL" ] || { echo "CONTROL_CALL must name the test helper"; exit 1; }
unshare -r true 2>/dev/null || skip "unprivileged user namespaces are disabled here"

BUS="$WORK/bus"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
netadmin() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps +net_admin --ambient-caps +net_admin "$@"; }
stored() { "$ARPD" -b "$DB" -l | grep -c -F " $1 " || true; }

setup_pair
chmod 755 "$WORK" # the socket must be reachable by the unprivileged callers below
start_arpd a --control-socket "$BUS" a0

# ---- refused: nothing stored, the reason named ----
refuse() { # WHAT ADDRESS REASON CMD...
        local what=$1 addr=$2 reason=$3; shift 3
        local out
        # (with --handoff the command's own status is the exited opener's: judge by what it printed)
        out=$("$@" 2>&1) || true
        grep -q "AccessDenied\|needs root or CAP_NET_ADMIN" <<<"$out" || fail "$what: not AccessDenied: $out"
        grep -q "$reason" <<<"$out" || fail "$what: reason missing ('$reason'): $out"
        sleep 0.1
        [ "$(stored "$addr")" = 0 ] || fail "$what: $addr was stored"
        pass "$what: refused ($reason), nothing stored"
}
refuse "plain user" 198.18.9.70 "neither root nor holds CAP_NET_ADMIN" \
        nobody "$ARPCTL" --socket "$BUS" add a0 198.18.9.70 02:66:66:66:66:70
refuse "root of a child user namespace" 198.18.9.78 "another user namespace" \
        nobody unshare -r "$ARPCTL" --socket "$BUS" add a0 198.18.9.78 02:66:66:66:66:67
refuse "CAP_NET_ADMIN of a child user namespace" 198.18.9.79 "another user namespace" \
        netadmin unshare -r "$ARPCTL" --socket "$BUS" add a0 198.18.9.79 02:66:66:66:66:79
refuse "a connection whose opener exited" 198.18.9.80 "has exited" \
        netadmin "$CONTROL_CALL" "$BUS" a0 198.18.9.80 02:66:66:66:66:80 --handoff

# A load passes a file descriptor (LoadFd): refused before the daemon reads it.
printf 'a0 198.18.9.71 02:66:66:66:66:71\n' >"$WORK/load.txt"; chmod 644 "$WORK/load.txt"
refuse "plain user, load" 198.18.9.71 "neither root nor holds CAP_NET_ADMIN" \
        nobody "$ARPCTL" --socket "$BUS" load "$WORK/load.txt"
refuse "plain user, load from a pipe" 198.18.9.71 "neither root nor holds CAP_NET_ADMIN" \
        nobody sh -c "cat '$WORK/load.txt' | '$ARPCTL' --socket '$BUS' load -"

# ---- allowed: root, and CAP_NET_ADMIN without root ----
"$ARPCTL" --socket "$BUS" add a0 198.18.9.81 02:66:66:66:66:81 || fail "root refused"
netadmin "$ARPCTL" --socket "$BUS" load "$WORK/load.txt" >/dev/null || fail "CAP_NET_ADMIN (no root) load refused"
netadmin "$ARPCTL" --socket "$BUS" add a0 198.18.9.82 02:66:66:66:66:82 || fail "CAP_NET_ADMIN (no root) refused"
out=$(netadmin "$CONTROL_CALL" "$BUS" a0 198.18.9.83 02:66:66:66:66:83) || fail "CAP_NET_ADMIN over the helper refused: $out"
sleep 0.2
for a in 198.18.9.71 198.18.9.81 198.18.9.82 198.18.9.83; do
        [ "$(stored $a)" = 1 ] || fail "$a was not stored"
done
pass "root and CAP_NET_ADMIN in arpd's user namespace may change"
stop_arpd

# ---- the socket's directory ----
mkdir -m 1777 "$WORK/open" # like /tmp: others may create files in it
rc=0
ip netns exec "$T-a" "$ARPD" -b "$DB" --control-socket "$WORK/open/bus" a0 >"$WORK/open.log" 2>&1 &
p=$!; PIDS+=("$p")
for _ in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.05; done
kill -0 $p 2>/dev/null && fail "arpd runs with its control socket in a world-writable directory"
wait $p || rc=$?
[ "$rc" != 0 ] || fail "arpd exited 0 with a refused control socket"
grep -q "can be changed by other users" "$WORK/open.log" || fail "unclear error: $(cat "$WORK/open.log")"
[ -e "$WORK/open/bus" ] && fail "a socket was created in the world-writable directory"
pass "a control socket in a directory others can write to is refused: $(grep -o 'Refusing.*socket' "$WORK/open.log" | head -1)"

# A symlink planted where the socket goes is not followed (bind fails on an existing name, the
# stale-socket path refuses a non-socket): the link's target keeps its mode.
touch "$WORK/target"; chmod 600 "$WORK/target"
ln -s "$WORK/target" "$WORK/link"
rc=0
ip netns exec "$T-a" "$ARPD" -b "$DB" --control-socket "$WORK/link" a0 >"$WORK/link.log" 2>&1 &
p=$!; PIDS+=("$p")
for _ in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.05; done
kill -0 $p 2>/dev/null && fail "arpd runs with a symlink for its control socket"
[ "$(command stat -c %a "$WORK/target")" = 600 ] || fail "the symlink's target changed mode"
pass "a symlink at the socket's path is refused and its target untouched"
