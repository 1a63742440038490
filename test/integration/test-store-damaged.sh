#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A damaged store never blocks startup and never crashes a reader. Two kinds of damage, made from
# a good store of 300 entries (about 60 KiB): the file cut to 8 KiB (LMDB would map pages past
# its end: SIGBUS), and random bytes over every data page. For each:
#   - arpd -l and arpctl --database dump (read-only) fail with exit 1 and a clear message, no
#     signal, and leave the file exactly as it was;
#   - the daemon starts, reports ready and answers a miss from what it learns; the damaged file
#     is found beside the store as STORE.damaged-*, byte for byte, with its lock file; the log
#     names both paths;
#   - arpd -f (a writer) does the same and loads into the new store.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd ping arping cmp head

ARPCTL=${ARPCTL:-$(dirname "$ARPD")/arpctl/arpctl}
[ -x "$ARPCTL" ] || skip "arpctl not built ($ARPCTL)"

GOOD="$WORK/good.lmdb"
for i in $(seq 0 299); do
        printf 'a0 198.18.1%02d.%d 02:00:00:00:%02x:%02x\n' $((i / 250)) $((i % 250 + 1)) $((i / 256)) $((i % 256))
done >"$WORK/seed.txt"
"$ARPD" -b "$GOOD" -f "$WORK/seed.txt" 2>"$WORK/seed.log" || fail "seeding the store failed: $(cat "$WORK/seed.log")"
[ "$("$ARPD" -b "$GOOD" -l | wc -l)" = 300 ] || fail "the seeded store does not list 300 entries"
size=$(wc -c <"$GOOD")
[ "$size" -ge $((28 * 1024)) ] || fail "the seeded store is only $size bytes"

# damage KIND PATH: a copy of the good store, damaged.
damage() {
        cp "$GOOD" "$2"
        case $1 in
        truncated) truncate -s 8K "$2" ;;
        garbage) head -c $((size - 8192)) /dev/urandom | dd of="$2" bs=4096 seek=2 conv=notrunc status=none ;;
        esac
        cp "$2" "$2.orig"
}

# readers_refuse KIND PATH: the read-only tools fail cleanly and touch nothing.
readers_refuse() {
        local kind=$1 p=$2 rc out
        rc=0; out=$("$ARPD" -b "$p" -l 2>&1) || rc=$?
        [ "$rc" = 1 ] || fail "$kind: arpd -l exited with $rc (expected 1; 135 is SIGBUS): $out"
        grep -q "is damaged" <<<"$out" || fail "$kind: arpd -l gave no clear message: $out"
        rc=0; out=$("$ARPCTL" --database "$p" dump 2>&1) || rc=$?
        [ "$rc" = 1 ] || fail "$kind: arpctl --database dump exited with $rc (expected 1): $out"
        grep -q "is damaged" <<<"$out" || fail "$kind: arpctl gave no clear message: $out"
        cmp -s "$p" "$p.orig" || fail "$kind: a reader changed the damaged file"
        compgen -G "$p.damaged-*" >/dev/null && fail "$kind: a reader moved the file aside"
        pass "$kind: arpd -l and arpctl --database dump fail with exit 1 and leave the file alone"
}

# moved_aside KIND PATH LOG: PATH's damaged file is beside it, unchanged, and the log says so.
moved_aside() {
        local kind=$1 p=$2 log=$3 aside
        aside=$(compgen -G "$p.damaged-*" | grep -v -- '-lock$' || true)
        [ "$(wc -w <<<"$aside")" = 1 ] || fail "$kind: expected one $p.damaged-* file, found: ${aside:-none}"
        cmp -s "$aside" "$p.orig" || fail "$kind: the file moved aside is not the damaged file as it was"
        [ -e "$aside-lock" ] || fail "$kind: the lock file was not moved with it"
        grep -F "Store $p is damaged" "$log" | grepq -F "moved it aside to $aside" ||
                fail "$kind: the log does not name both paths: $(grep -F "$p" "$log" || true)"
        grep -q "STORE_MOVED_TO=$aside" "$log" || fail "$kind: no structured STORE_MOVED_TO field in the log"
        rm -f "$aside" "$aside-lock"
        pass "$kind: moved aside to $(basename "$aside"), logged with both paths"
}

setup_pair
solicit a a0 1 0 0

for kind in truncated garbage; do
        p="$WORK/$kind.lmdb"
        damage $kind "$p"
        readers_refuse $kind "$p"

        # The daemon: starts, is ready, learns and answers.
        DB="$p"
        start_arpd a a0
        moved_aside $kind "$p" "$WORK/arpd.log"
        garp b b0 $IP_B
        wait_for "$kind: b learned into the new store" 3 list_has a0 $IP_B $MAC_B
        in_ns a ip neigh flush dev a0
        in_ns a ping -c1 -W2 $IP_B >/dev/null || fail "$kind: the miss for b was not answered"
        pass "$kind: the daemon started on a new store and answers"
        stop_arpd TERM
        [ "$("$ARPD" -b "$p" -l | wc -l)" = 1 ] || fail "$kind: the new store does not hold exactly b"

        # arpd -f, a writer too.
        damage $kind "$p"
        "$ARPD" -b "$p" -f "$WORK/seed.txt" 2>"$WORK/load.log" || fail "$kind: arpd -f failed: $(cat "$WORK/load.log")"
        moved_aside "$kind (arpd -f)" "$p" "$WORK/load.log"
        [ "$("$ARPD" -b "$p" -l | wc -l)" = 300 ] || fail "$kind: arpd -f did not load into the new store"
        pass "$kind: arpd -f loaded into a new store"
done
