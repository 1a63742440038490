#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl on a terminal behaves like systemd's *ctl tools: on a pty it pages ($SYSTEMD_PAGER over
# $PAGER, LESS=FRXMK unless LESS is set), not with --no-pager, not into a pipe, not with a pager
# variable of "" or "cat"; colours follow SYSTEMD_COLORS, NO_COLOR, TERM=dumb and the tty; the
# table's columns are as wide as the data; getopt errors say what is wrong and exit 2. No root
# needed: the store is read offline (--database).
. "$(dirname "$0")/lib.sh"
require_python
ARPCTL=${ARPCTL:-$(dirname "$ARPD")/arpctl/arpctl}
[ -x "$ARPCTL" ] || skip "arpctl not built ($ARPCTL)"
"$PYTHON" -c 'import pty' 2>/dev/null || skip "python3 has no pty module"

printf 'a0 198.18.0.10 02:00:00:00:00:0a\na0 198.18.0.11 FAILED: 5s ago\n' >"$WORK/seed.txt"
printf 'averylongname15 2001:db8:1234:5678:9abc:def0:1234:5678 02:00:00:00:00:0c static\n' >>"$WORK/seed.txt"
"$ARPD" -b "$DB" -f "$WORK/seed.txt" >/dev/null 2>&1 || fail "seeding the store failed"

# The pager used in the tests: records that it ran, its $LESS, and what it was given.
cat >"$WORK/pager" <<EOF
#!/bin/sh
echo "LESS=\$LESS" >"$WORK/pager.env"
cat >"$WORK/pager.out"
EOF
chmod +x "$WORK/pager"

# on_pty ENV... -- ARGS...: runs arpctl on a pseudo-terminal with exactly ENV (plus PATH); the
# terminal's output goes to $WORK/tty.out, the exit status is returned.
on_pty() {
        "$PYTHON" - "$ARPCTL" "$DB" "$WORK/tty.out" "$@" <<'PY'
import os, pty, sys
arpctl, db, out = sys.argv[1:4]
rest = sys.argv[4:]
sep = rest.index("--")
env = {"PATH": os.environ["PATH"], "TERM": "xterm"}
for kv in rest[:sep]:
    k, _, v = kv.partition("=")
    if v == "<unset>":
        env.pop(k, None)
    else:
        env[k] = v
pid, fd = pty.fork()
if pid == 0:
    os.execve(arpctl, [arpctl, "--database", db] + rest[sep + 1:], env)
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
_, status = os.waitpid(pid, 0)
open(out, "wb").write(data)
sys.exit(os.waitstatus_to_exitcode(status))
PY
}
paged() { [ -f "$WORK/pager.out" ]; }
reset_pager() { rm -f "$WORK/pager.out" "$WORK/pager.env"; }

reset_pager
on_pty SYSTEMD_PAGER="$WORK/pager" -- dump || fail "paged dump failed"
paged || fail "no pager on a terminal"
grep -q "198.18.0.10" "$WORK/pager.out" || fail "the pager did not get the dump: $(cat "$WORK/pager.out")"
[ "$(cat "$WORK/pager.env")" = "LESS=FRXMK" ] || fail "pager environment: $(cat "$WORK/pager.env")"
reset_pager
on_pty SYSTEMD_PAGER="$WORK/pager" LESS=R -- dump >/dev/null
[ "$(cat "$WORK/pager.env")" = "LESS=R" ] || fail "the user's LESS was not kept: $(cat "$WORK/pager.env")"
reset_pager
on_pty PAGER="$WORK/pager" -- dump >/dev/null
paged || fail "\$PAGER was not used"
reset_pager
on_pty SYSTEMD_PAGER=cat PAGER="$WORK/pager" -- dump >/dev/null
! paged && grep -q "198.18.0.10" "$WORK/tty.out" || fail "SYSTEMD_PAGER=cat did not turn the pager off"
reset_pager
on_pty SYSTEMD_PAGER= PAGER="$WORK/pager" -- dump >/dev/null
! paged && grep -q "198.18.0.10" "$WORK/tty.out" || fail "an empty SYSTEMD_PAGER did not turn the pager off"
reset_pager
on_pty SYSTEMD_PAGER="$WORK/pager" -- --no-pager dump >/dev/null
! paged && grep -q "198.18.0.10" "$WORK/tty.out" || fail "--no-pager still paged"
reset_pager
SYSTEMD_PAGER="$WORK/pager" "$ARPCTL" --database "$DB" dump >"$WORK/pipe.out"
! paged && grep -q "198.18.0.10" "$WORK/pipe.out" || fail "paged into a pipe"
reset_pager
on_pty SYSTEMD_PAGER="$WORK/pager" -- add a0 198.18.0.20 02:00:00:00:00:14 >/dev/null || fail "add on a pty failed"
! paged || fail "add went through the pager"
if command -v less >/dev/null; then
        # the default pager: less -F quits at once for a short listing, which reaches the terminal
        on_pty SYSTEMD_PAGER="<unset>" PAGER="<unset>" -- dump || fail "dump with the default pager failed"
        grep -q "198.18.0.10" "$WORK/tty.out" || fail "nothing reached the terminal through less: $(cat "$WORK/tty.out")"
fi
# a pager that quits early (as q in less does) is not an error
python3 -c 'for i in range(5000): print(f"a0 198.18.{i // 256 + 100}.{i % 256} 02:00:00:01:{i // 256:02x}:{i % 256:02x}")' |
        "$ARPCTL" --database "$DB" load - >/dev/null
rc=0; on_pty SYSTEMD_PAGER="head -n 2" -- dump || rc=$?
[ "$rc" = 0 ] && [ "$(grep -c . "$WORK/tty.out")" = 2 ] || fail "a pager that quit early: exit $rc, $(head -c 300 "$WORK/tty.out")"
pass "pager: \$SYSTEMD_PAGER / \$PAGER on a terminal with LESS=FRXMK, off with --no-pager, cat, \"\", a pipe"

esc=$'\033['
on_pty SYSTEMD_PAGER=cat -- dump >/dev/null; grep -qF "$esc" "$WORK/tty.out" || fail "no colour on a terminal"
on_pty SYSTEMD_PAGER=cat NO_COLOR=1 -- dump >/dev/null; ! grep -qF "$esc" "$WORK/tty.out" || fail "NO_COLOR ignored"
on_pty SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 -- dump >/dev/null; ! grep -qF "$esc" "$WORK/tty.out" || fail "SYSTEMD_COLORS=0 ignored"
on_pty SYSTEMD_PAGER=cat TERM=dumb -- dump >/dev/null; ! grep -qF "$esc" "$WORK/tty.out" || fail "TERM=dumb ignored"
on_pty SYSTEMD_PAGER=cat NO_COLOR=1 SYSTEMD_COLORS=1 -- dump >/dev/null; grep -qF "$esc" "$WORK/tty.out" || fail "SYSTEMD_COLORS=1 does not win over NO_COLOR"
SYSTEMD_COLORS=256 "$ARPCTL" --database "$DB" dump >"$WORK/pipe.out"
grep -qF "$esc" "$WORK/pipe.out" || fail "SYSTEMD_COLORS=256 gave no colour into a pipe"
"$ARPCTL" --database "$DB" dump >"$WORK/pipe.out"
! grep -qF "$esc" "$WORK/pipe.out" || fail "colour into a pipe"
pass "colours: on a terminal; SYSTEMD_COLORS decides when set; else NO_COLOR and TERM=dumb turn them off"

# Column widths from the data: every row's columns start where the header's do.
"$ARPD" -b "$WORK/small.lmdb" -f "$WORK/seed.txt" >/dev/null 2>&1 || fail "seeding the small store failed"
"$ARPCTL" --database "$WORK/small.lmdb" dump >"$WORK/table"
"$PYTHON" - "$WORK/table" <<'PY' || fail "columns are not aligned: $(cat "$WORK/table")"
import sys
lines = open(sys.argv[1]).read().split("\n\n")[0].splitlines()
head = lines[0]
starts = [head.index(w) for w in ("ADDRESS", "LLADDR", "STATE", "SOURCE", "LAST SEEN")]
for l in lines[1:]:
    for s in starts:
        assert l[s - 1] == " " and l[s] != " ", (l, s)
assert any("averylongname15 2001:db8:1234:5678:9abc:def0:1234:5678 " in l for l in lines), lines
PY
[ "$(head -n1 "$WORK/table" | cut -c1-10)" = "INTERFACE " ] || fail "header: $(head -n1 "$WORK/table")"
pass "the table's columns are as wide as the data (a 15-byte interface name, a long IPv6 address)"

for o in --json --socket --database; do
        rc=0; "$ARPCTL" dump $o >/dev/null 2>"$WORK/err" || rc=$?
        [ "$rc" = 2 ] && grep -q "option '$o' needs a value" "$WORK/err" || fail "$o without a value: rc=$rc $(cat "$WORK/err")"
done
rc=0; "$ARPCTL" -x dump >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "unknown option '-x'. Try 'arpctl --help'" "$WORK/err" || fail "-x: rc=$rc $(cat "$WORK/err")"
rc=0; "$ARPCTL" --bogus dump >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "unknown option '--bogus'" "$WORK/err" || fail "--bogus: rc=$rc $(cat "$WORK/err")"
pass "a missing option value is reported as such, an unknown option with a hint; both exit 2"
