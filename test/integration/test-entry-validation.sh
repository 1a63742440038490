#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What add and load accept: MACs of the link's length (6 on Ethernet), no multicast, broadcast,
# loopback or unspecified addresses, interface names as the kernel allows them (0eth, 123);
# everything arpctl add accepts round-trips through arpd -l | arpd -f -; a refused arpd -f
# leaves no new store file behind. Offline (arpctl --database, arpd -f) and through a running
# arpd (arpctl, and the D-Bus endpoint itself): the same rule.
. "$(dirname "$0")/lib.sh"
require_root
require_cmd busctl unshare
require_python
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

BUS="$WORK/bus"
off() { "$ARPCTL" --database "$DB" "$@"; }
on() { "$ARPCTL" --socket "$BUS" "$@"; }
endpoint() { busctl --address="unix:path=$BUS" call io.arpd.Manager1 /io/arpd/Manager1 io.arpd.Manager1 "$@"; }

"$ARPD" -b "$DB" -f /dev/null >/dev/null 2>&1 || fail "creating the store failed"
bad_adds=(
        "a0 198.18.0.9 02:00:5e:10:00"          # 5 octets
        "a0 198.18.0.9 02:00:5e:10:00:0a:0b"    # 7 octets
        "a0 198.18.0.9 01:00:5e:00:00:01"       # multicast MAC
        "a0 198.18.0.9 ff:ff:ff:ff:ff:ff"
        "a0 224.0.0.1 02:00:5e:10:00:0a"
        "a0 127.0.0.1 02:00:5e:10:00:0a"
        "a0 0.0.0.0 02:00:5e:10:00:0a"
        "a0 255.255.255.255 02:00:5e:10:00:0a"
        "a0 :: 02:00:5e:10:00:0a"
        "a0 ::1 02:00:5e:10:00:0a"
        "a0 ff02::1 02:00:5e:10:00:0a"
        "a/0 198.18.0.9 02:00:5e:10:00:0a"
)
check_bad_adds() { # off|on
        local a rc
        for a in "${bad_adds[@]}"; do
                rc=0
                # shellcheck disable=SC2086
                "$1" add $a >/dev/null 2>"$WORK/err" || rc=$?
                [ "$rc" = 2 ] && grep -q "Invalid" "$WORK/err" || fail "$1: 'add $a' exited $rc: $(cat "$WORK/err")"
        done
}
check_bad_adds off
[ "$(off --json=short dump)" = "[]" ] || fail "a refused add stored something: $(off dump)"
grep -q "expected 6 octets" <(off add a0 198.18.0.9 02:00:5e:10:00 2>&1) || fail "the 5-octet MAC error does not say why"
grep -q "multicast address" <(off add a0 224.0.0.1 02:00:5e:10:00:0a 2>&1) || fail "the multicast error does not say why"
pass "offline add refuses wrong-length MACs and multicast/broadcast/loopback/unspecified addresses, exit 2, nothing stored"

# everything add accepts round-trips through arpd -l | arpd -f -
off add 0eth 198.18.0.20 02:00:5e:10:00:14 || fail "add on 0eth refused"
off add 123 198.18.0.21 02:00:5e:10:00:15 || fail "add on 123 refused"
off add a0 2001:db8::22 02:00:5e:10:00:16 || fail "add of an IPv6 entry refused"
printf '198.18.0.23 dev 9x lladdr 02:00:5e:10:00:17 STALE\n4eth 198.18.0.24 FAILED: 3s ago\n' | off load - >/dev/null ||
        fail "load of digit-first names refused"
"$ARPD" -b "$DB" -l >"$WORK/l1"
"$ARPD" -b "$DB" -l | "$ARPD" -b "$WORK/copy.lmdb" -f - >/dev/null 2>"$WORK/err" || fail "arpd -l | arpd -f - refused its own listing: $(cat "$WORK/err")"
"$ARPD" -b "$WORK/copy.lmdb" -l >"$WORK/l2"
awk '{ print $1, $2, $3, $4 }' "$WORK/l1" | sort >"$WORK/k1"
awk '{ print $1, $2, $3, $4 }' "$WORK/l2" | sort >"$WORK/k2"
cmp -s "$WORK/k1" "$WORK/k2" || fail "the copy differs: $(diff "$WORK/k1" "$WORK/k2")"
for n in 0eth 123 9x 4eth; do grep -q "$n" "$WORK/l2" || fail "$n lost in the round trip: $(cat "$WORK/l2")"; done
pass "0eth, 123, 9x, 4eth and IPv6 entries round-trip through arpd -l | arpd -f -"

# a refused load stores nothing and creates no file
for line in "a0 224.0.0.1 02:00:5e:10:00:0a" "a0 198.18.0.30 02:00:5e:10:00:0a:0b" "a0 198.18.0.30 zz"; do
        rc=0
        printf 'a0 198.18.0.31 02:00:5e:10:00:1f\n%s\n' "$line" | "$ARPD" -b "$WORK/new.lmdb" -f - >/dev/null 2>"$WORK/err" || rc=$?
        [ "$rc" = 1 ] || fail "arpd -f with '$line' exited $rc"
        grep -q "<stdin>:2:" "$WORK/err" || fail "arpd -f does not name the line: $(cat "$WORK/err")"
        ! ls "$WORK"/new.lmdb* >/dev/null 2>&1 || fail "a refused arpd -f left $(ls "$WORK"/new.lmdb*)"
        before=$(off --json=short dump)
        rc=0
        printf 'a0 198.18.0.31 02:00:5e:10:00:1f\n%s\n' "$line" | off load - >/dev/null 2>"$WORK/err" || rc=$?
        [ "$rc" = 1 ] && grep -q "<stdin>:2:" "$WORK/err" || fail "arpctl load with '$line': rc=$rc $(cat "$WORK/err")"
        [ "$(off --json=short dump)" = "$before" ] || fail "a refused arpctl load changed the store"
done
# a load that fails while storing (a full filesystem: a 200 KiB tmpfs in a private mount
# namespace) removes the store file it created
mkdir "$WORK/full"
"$PYTHON" -c 'for i in range(20000): print(f"a0 198.18.{i // 256}.{i % 256} 02:00:00:00:{i // 256:02x}:{i % 256:02x}")' >"$WORK/big.txt"
rc=0
unshare -m --propagation private sh -c 'mount -t tmpfs -o size=200k tmpfs "$1" && "$2" -b "$1/new.lmdb" -f "$3"; r=$?; ls -A "$1" >"$4"; exit $r' \
        sh "$WORK/full" "$ARPD" "$WORK/big.txt" "$WORK/full.ls" >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] || fail "a load into a full filesystem exited $rc: $(cat "$WORK/err")"
[ ! -s "$WORK/full.ls" ] || fail "a failed arpd -f left $(cat "$WORK/full.ls") behind"
pass "a refused load names the line, stores nothing, and arpd -f creates no store file (also when storing fails)"

# the same rules through a running arpd: arpctl, and the endpoint itself
setup_pair
start_arpd a --control-socket "$BUS" a0
check_bad_adds on
for a in "a0 198.18.0.9 02:00:5e:10:00" "a0 198.18.0.9 02:00:5e:10:00:0a:0b" "a0 224.0.0.1 02:00:5e:10:00:0a" "a0 ff02::1 02:00:5e:10:00:0a"; do
        # shellcheck disable=SC2086
        endpoint AddStatic sss $a >/dev/null 2>"$WORK/err" && fail "the endpoint accepted 'AddStatic $a'"
        grep -q "InvalidArgs\|Invalid" "$WORK/err" || fail "endpoint: 'AddStatic $a': $(cat "$WORK/err")"
done
endpoint AddStatic sss a0 198.18.0.40 02:00:5e:10:00:28 >/dev/null || fail "the endpoint refused a good entry"
rc=0; printf 'a0 198.18.0.41 02:00:5e:10:00:29\na0 127.0.0.1 02:00:5e:10:00:2a\n' | on load - >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] && grep -q "<stdin>:2: loopback address" "$WORK/err" || fail "online load of a loopback address: rc=$rc $(cat "$WORK/err")"
rc=0; on show 198.18.0.41 >/dev/null 2>&1 || rc=$?
[ "$rc" = 4 ] || fail "a refused online load stored its first line"
pass "a running arpd refuses the same (arpctl exit 2; AddStatic and Load over D-Bus with the reason)"
