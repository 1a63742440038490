#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Loads stream (entry-ops.h, EntryLoad): a 200,000-line file is loaded by arpd -f with bounded
# memory (max RSS below 24 MiB; a load that kept the whole file in memory needed ~40 MiB with store
# format 3, ~73 MiB with format 2); a bad last line of a big file stores nothing and keeps what
# was stored (file and pipe, offline and online); arpctl load of more than 16 MiB goes through the
# daemon (LoadFd, no cap), as a file and from a pipe; the progress line appears on a terminal only,
# and nothing of it when stderr is not a terminal.
. "$(dirname "$0")/lib.sh"
require_root
require_python
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

BUS="$WORK/bus"
ctl() { "$ARPCTL" --socket "$BUS" "$@"; }
count() { "$ARPD" -b "$1" -l | grep -c -v '^#' || true; }
# maxrss_kib CMD...: runs CMD, prints its max RSS in KiB (getrusage of the child)
maxrss_kib() {
        "$PYTHON" -c 'import resource, subprocess, sys
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if p.returncode != 0:
    sys.exit(p.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}

# N lines over 5 interfaces; MAC octet 2 = V; PAD characters of comment per line.
gen() { # FILE N V PAD
        "$PYTHON" - "$@" <<'EOF'
import sys
path, n, v, pad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tail = (" # " + "x" * pad) if pad else ""
with open(path, "w") as f:
    for i in range(n):
        f.write("ld%d 198.%d.%d.%d 02:%02x:00:%02x:%02x:%02x%s\n" % (i % 5, 18 + (i >> 16), (i >> 8) & 255, i & 255,
                v, i >> 16, (i >> 8) & 255, i & 255, tail))
EOF
}

N=200000
gen "$WORK/big.txt" $N 1 0
gen "$WORK/big2.txt" $N 2 0
cp "$WORK/big2.txt" "$WORK/bad.txt"
echo "ld0 198.18.0.1 02:zz:00:00:00:01" >>"$WORK/bad.txt" # the last line is bad

# ---- bounded memory ----
rss=$(maxrss_kib "$ARPD" -b "$WORK/mem.lmdb" -f "$WORK/big.txt") || fail "arpd -f of $N lines failed"
[ "$(count "$WORK/mem.lmdb")" = $N ] || fail "arpd -f stored $(count "$WORK/mem.lmdb") of $N"
info "arpd -f of $N lines: max RSS ${rss} KiB"
[ "$rss" -lt $((24 * 1024)) ] || fail "arpd -f of $N lines used ${rss} KiB (max RSS), not bounded"
pass "arpd -f of $N lines streams: max RSS $((rss / 1024)) MiB"

# ---- a bad last line stores nothing and keeps what was stored ----
"$ARPD" -b "$WORK/mem.lmdb" -l >"$WORK/before.txt"
for how in file pipe; do
        if [ $how = file ]; then
                out=$("$ARPD" -b "$WORK/mem.lmdb" -f "$WORK/bad.txt" 2>&1) && fail "arpd -f of a bad file succeeded"
        else
                out=$(cat "$WORK/bad.txt" | "$ARPD" -b "$WORK/mem.lmdb" -f - 2>&1) && fail "arpd -f - of a bad pipe succeeded"
        fi
        grep -q ":$((N + 1)): invalid MAC address '02:zz:00:00:00:01'" <<<"$out" || fail "$how: unclear error: $out"
        grep -q "Nothing from .* was stored" <<<"$out" || fail "$how: no 'nothing stored': $out"
        "$ARPD" -b "$WORK/mem.lmdb" -l | cmp -s - "$WORK/before.txt" || fail "$how: a refused load changed the store"
done
pass "arpd -f: a bad last line of $N stores nothing (file and pipe), with FILE:LINE"
rm -f "$WORK/new.lmdb"*
"$ARPD" -b "$WORK/new.lmdb" -f "$WORK/bad.txt" >/dev/null 2>&1 && fail "a bad file loaded"
[ -e "$WORK/new.lmdb" ] && fail "a refused file created a store"
out=$("$ARPCTL" --database "$WORK/mem.lmdb" load "$WORK/bad.txt" 2>&1) && fail "arpctl --database load of a bad file succeeded"
grep -q "bad.txt:$((N + 1)): invalid MAC" <<<"$out" || fail "arpctl --database: unclear error: $out"
"$ARPD" -b "$WORK/mem.lmdb" -l | cmp -s - "$WORK/before.txt" || fail "arpctl --database: a refused load changed the store"
pass "a refused file creates no store; arpctl --database load refuses it the same way"

# ---- progress: on a terminal only ----
out=$("$ARPD" -b "$WORK/p.lmdb" -f "$WORK/big2.txt" 2>&1)
fmt=$(sed -n 's/^arpd: Created store .* (format \([0-9]*\))\.$/\1/p' <<<"$out")
[ -n "$fmt" ] && [ "$out" = "arpd: Created store $WORK/p.lmdb (format $fmt).
arpd: Loaded $N entries from $WORK/big2.txt into $WORK/p.lmdb." ] || fail "output changed when stderr is not a terminal: $(cat -A <<<"$out")"
# On a terminal (script's pty), a slow pipe: the progress line shows, and is erased at the end.
rm -f "$WORK/p.lmdb"*
script -q -e -c "(head -n 20000 '$WORK/big2.txt'; sleep 0.6; tail -n +20001 '$WORK/big2.txt') | '$ARPD' -b '$WORK/p.lmdb' -f -" \
        "$WORK/tty.log" >/dev/null 2>&1 </dev/null || fail "arpd -f on a terminal failed: $(cat -A "$WORK/tty.log")"
grep -q $'\r\033\[KLoading <stdin>: .*lines, .*entries (.*/s)' "$WORK/tty.log" || fail "no progress line on a terminal: $(cat -A "$WORK/tty.log" | head -5)"
tr -d '\n' <"$WORK/tty.log" | grepq $'\r\033\[Karpd: Loaded '"$N"' entries' || fail "the progress line was not erased: $(cat -A "$WORK/tty.log" | tail -3)"
pass "progress line on a terminal (erased at the end), none otherwise"

# ---- online: more than 16 MiB, through the daemon ----
gen "$WORK/huge.txt" $N 3 60 # ~17 MiB
[ "$(command stat -c %s "$WORK/huge.txt")" -gt $((16 * 1024 * 1024)) ] || fail "huge.txt is not above 16 MiB"
ns_add a
start_arpd a --control-socket "$BUS" lo
out=$(ctl load "$WORK/huge.txt") || fail "arpctl load of $(command stat -c %s "$WORK/huge.txt") bytes failed: $out"
[ "$out" = "Loaded $N entries." ] || fail "load said: $out"
grep -q "Loaded $N entries from $WORK/huge.txt over the control endpoint" "$WORK/arpd.log" ||
        fail "the daemon did not load it (LoadFd): $(tail -3 "$WORK/arpd.log")"
[ "$(list | grep -c ' 02:03:00:')" = $N ] || fail "not every entry of huge.txt is stored"
out=$(cat "$WORK/big2.txt" | ctl load -) || fail "arpctl load - from a pipe failed: $out"
[ "$out" = "Loaded $N entries." ] || fail "load from a pipe said: $out"
[ "$(list | grep -c ' 02:02:00:')" = $N ] || fail "not every entry of the pipe is stored"
pass "arpctl load of a 17 MiB file and of a pipe go through the daemon"

list >"$WORK/before.txt"
for how in file pipe; do
        if [ $how = file ]; then
                out=$(ctl load "$WORK/bad.txt" 2>&1) && fail "online load of a bad file succeeded"
        else
                out=$(cat "$WORK/bad.txt" | ctl load - 2>&1) && fail "online load of a bad pipe succeeded"
        fi
        grep -q ":$((N + 1)): invalid MAC address '02:zz:00:00:00:01'; nothing was stored" <<<"$out" ||
                fail "online $how: unclear error: $out"
        list | cmp -s - "$WORK/before.txt" || fail "online $how: a refused load changed the store"
done
arpd_alive || fail "arpd died"
pass "online: a bad last line of $N stores nothing (file and pipe)"
