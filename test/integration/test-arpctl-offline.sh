#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl --database changes a store file directly, without a daemon: add (static), delete, flush
# by state and load (all or nothing, naming the bad line); refused without write access, and what
# was stored stays intact. Needs no root and no namespace (skipped only without arpctl).
. "$(dirname "$0")/lib.sh"

ARPCTL=${ARPCTL:-$(dirname "$ARPD")/arpctl/arpctl}
[ -x "$ARPCTL" ] || skip "arpctl not built ($ARPCTL)"
ctl() { "$ARPCTL" --database "$DB" "$@"; }

cat >"$WORK/seed.txt" <<'TXT'
eth0 198.18.0.10 02:00:00:00:00:0a
eth0 198.18.0.11 FAILED: 5s ago
eth0 198.18.0.12 02:00:00:00:00:0c static
eth1 2001:db8::10 02:00:00:00:00:10
TXT
"$ARPD" -b "$DB" -f "$WORK/seed.txt" 2>/dev/null || fail "seeding the store failed"

ctl add eth0 198.18.0.20 02:00:00:00:00:14 >/dev/null || fail "offline add failed"
list_has eth0 198.18.0.20 02:00:00:00:00:14 || fail "the added entry is not in the store: $(list)"
list | grepq "^eth0 *198.18.0.20 *02:00:00:00:00:14 *static$" || fail "the added entry is not static: $(list)"
pass "add stores a static entry"

out=$(ctl add eth0 198.18.0.21 ff:ff:ff:ff:ff:ff 2>&1) && fail "a broadcast MAC was accepted"
grep -q "Invalid link-layer address" <<<"$out" || fail "unclear error for a bad MAC: $out"
out=$(ctl add eth0 198.18.0.300 02:00:00:00:00:01 2>&1) && fail "a bad address was accepted"
grep -q "Invalid IPv4 or IPv6 address" <<<"$out" || fail "unclear error for a bad address: $out"
pass "bad arguments refused with a clear message"

ctl delete eth0 198.18.0.10 >/dev/null || fail "offline delete failed"
[ "$(list_lines eth0 198.18.0.10)" = 0 ] || fail "the deleted entry is still there"
out=$(ctl delete eth0 198.18.0.99 2>&1) && fail "deleting an unknown entry succeeded"
grep -q "No entry for 198.18.0.99 on eth0" <<<"$out" || fail "unclear error for an unknown entry: $out"
pass "delete removes the entry; an unknown one is an error"

before=$(list)
ctl flush --negative >/dev/null || fail "offline flush --negative failed"
[ "$(list_lines eth0 198.18.0.11)" = 0 ] || fail "flush --negative left the negative entry"
[ "$(list | wc -l)" = "$(($(wc -l <<<"$before") - 1))" ] || fail "flush --negative removed more than the negative entry"
ctl flush eth1 >/dev/null || fail "offline flush eth1 failed"
[ "$(list_lines eth1 2001:db8::10)" = 0 ] || fail "flush eth1 left eth1's entry"
list_has eth0 198.18.0.12 02:00:00:00:00:0c || fail "flush eth1 touched eth0"
pass "flush removes exactly the chosen state / interface"

before=$(list)
printf 'eth0 198.18.0.30 02:00:00:00:00:1e\neth0 198.18.0.31 zz:00:00:00:00:1f\n' >"$WORK/bad.txt"
out=$(ctl load "$WORK/bad.txt" 2>&1) && fail "a load with a broken line succeeded"
grep -q "bad.txt:2" <<<"$out" || fail "the error does not name the line: $out"
[ "$(list)" = "$before" ] || fail "a failed load changed the store"
printf 'eth0 198.18.0.30 02:00:00:00:00:1e\n' | ctl load - >/dev/null || fail "loading from stdin failed"
list_has eth0 198.18.0.30 02:00:00:00:00:1e || fail "the loaded entry is missing"
pass "load is all or nothing and names the bad line"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        chmod 0755 "$WORK"
        before=$(list)
        out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$ARPCTL" --database "$DB" \
                add eth0 198.18.0.40 02:00:00:00:00:28 2>&1) && fail "an unprivileged user changed the store"
        [ "$(list)" = "$before" ] || fail "a refused change altered the store"
        info "unprivileged: $out"
        pass "without write access to the store, changes are refused"
fi
