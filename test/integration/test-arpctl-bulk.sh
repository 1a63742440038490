#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A 100,000-entry store listed page by page through the control endpoint equals the store (arpd -l),
# and the offline --database dump equals the online one, while the daemon runs.
. "$(dirname "$0")/lib.sh"
require_root
require_python
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }

BUS="$WORK/bus"
ctl() { "$ARPCTL" --socket "$BUS" "$@"; }

ns_add a
# 100,000 entries over five interfaces that need not exist; every tenth is negative, every
# hundredth static.
"$PYTHON" - "$WORK/big.txt" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(100000):
        ifname = "bulk%d" % (i % 5)
        a = "198.%d.%d.%d" % (18 + (i >> 16), (i >> 8) & 255, i & 255)
        mac = "02:00:00:%02x:%02x:%02x" % (i >> 16, (i >> 8) & 255, i & 255)
        if i % 100 == 0:
            f.write("%s %s %s static\n" % (ifname, a, mac))
        elif i % 10 == 0:
            f.write("%s %s FAILED: 5s ago\n" % (ifname, a))
        else:
            f.write("%s %s %s\n" % (ifname, a, mac))
EOF
start_arpd a --control-socket "$BUS" lo
out=$(ctl load "$WORK/big.txt")
[ "$out" = "Loaded 100000 entries." ] || fail "load said: $out"

ctl --no-legend dump >"$WORK/online.txt"
list >"$WORK/list.txt"
"$PYTHON" - "$WORK/online.txt" "$WORK/list.txt" <<'EOF' || fail "the dump differs from the store"
import sys
def dump(path):
    out = set()
    for line in open(path):
        f = line.split()
        out.add((f[0], f[1], f[2] if f[2] != "-" else "", f[3]))
    return out
def lst(path):
    out = set()
    for line in open(path):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        if f[2] == "FAILED:":
            out.add((f[0], f[1], "", "negative"))
        else:
            out.add((f[0], f[1], f[2], "static" if len(f) > 3 and f[3] == "static" else "positive"))
    return out
d, l = dump(sys.argv[1]), lst(sys.argv[2])
print("dump %d, list %d" % (len(d), len(l)))
sys.exit(0 if len(d) == 100000 and d == l else 1)
EOF
pass "100,000-entry dump equals the store"

# Online and offline JSON carry absolute times, so they must be byte for byte equal.
ctl --json=short dump bulk0 bulk3 >"$WORK/online.json"
"$ARPCTL" --database "$DB" --json=short dump bulk0 bulk3 >"$WORK/offline.json"
cmp -s "$WORK/online.json" "$WORK/offline.json" || fail "offline --database dump differs from the online one"
"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d) == 40000 else 1)' "$WORK/online.json" ||
        fail "expected 40000 entries on bulk0 and bulk3"
pass "offline --database dump equals the online dump"

ctl --no-legend -4 dump bulk1 | awk '$4 != "negative" && $4 != "positive" && $4 != "static" { bad = 1 } END { exit bad || NR != 20000 }' ||
        fail "dump bulk1 is not 20000 well-formed lines"
[ "$(ctl --json=short flush bulk0 --negative)" = '{"flushed":9000}' ] || fail "flush of bulk0's negatives"
pass "per-interface dump and flush"
