#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl's JSON reads like ip -j neigh: the kernel's own neighbours (ip -j -s neigh, iproute2)
# loaded into a store from their "ip neigh show" lines come back from arpctl --json=short dump
# with the same dst, dev, lladdr and state, and every field both have carries the same type; a
# jq script written for ip -j neigh works unchanged. Times are one unit (microseconds, *_usec).
# Also: why --json=pretty nests its entry as a pretty object, why for an unknown address keeps
# its decision, and an empty listing is [] in both modes.
. "$(dirname "$0")/lib.sh"
require_root
require_python
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }
off() { "$ARPCTL" --database "$DB" "$@"; }

ns_add a
in_ns a ip link add x0 type veth peer name x1
in_ns a ip link set x0 up
in_ns a ip link set x1 up
in_ns a ip addr add 198.18.5.1/24 dev x0
in_ns a ip neigh add 198.18.5.2 lladdr 02:00:00:00:00:02 dev x0 nud stale
in_ns a ip neigh add 198.18.5.3 lladdr 02:00:00:00:00:03 dev x0 nud permanent
in_ns a ip neigh add 198.18.5.4 dev x0 nud failed
in_ns a ip -j -s neigh show >"$WORK/ip.json" # "show dev x0" would leave "dev" out
in_ns a ip neigh show | grep ' dev x0 ' >"$WORK/ip.txt"
"$ARPD" -b "$DB" -f "$WORK/ip.txt" >/dev/null 2>&1 || fail "loading ip neigh show lines failed: $(cat "$WORK/ip.txt")"
off --json=short dump >"$WORK/arpctl.json"
"$PYTHON" - "$WORK/ip.json" "$WORK/arpctl.json" <<'PY' || fail "arpctl's JSON differs from ip -j neigh: $(cat "$WORK/ip.json") vs $(cat "$WORK/arpctl.json")"
import json, sys
ip = {e["dst"]: e for e in json.load(open(sys.argv[1])) if e.get("dev") == "x0"}
ours = {e["dst"]: e for e in json.load(open(sys.argv[2]))}
assert set(ip) == set(ours) == {"198.18.5.2", "198.18.5.3", "198.18.5.4"}, (set(ip), set(ours))
for dst, k in ip.items():
    o = ours[dst]
    for f in ("dst", "dev", "lladdr", "state"):
        assert k.get(f) == o.get(f), (dst, f, k.get(f), o.get(f))
    for f in set(k) & set(o):
        assert type(k[f]) is type(o[f]), (dst, f, type(k[f]), type(o[f]))
    assert isinstance(o["state"], list) and all(w.isupper() for w in o["state"]), o
for o in ours.values():
    times = [f for f in o if "seen" in f or "since" in f or "time" in f]
    assert times and all(f.endswith("_usec") and isinstance(o[f], int) for f in times), o
    assert o["arpd_state"] in ("positive", "negative", "static"), o
PY
pass "dst, dev, lladdr, state as ip -j neigh has them (STALE, PERMANENT, FAILED); common fields of the same type; times in *_usec"

want=$(in_ns a ip -j neigh show dev x0 | "$PYTHON" -c 'import json,sys; print("\n".join(sorted(e["state"][0] for e in json.load(sys.stdin))))')
if command -v jq >/dev/null; then
        got=$(off --json=short dump | jq -r '.[] | .state[0]' | sort)
        [ "$got" = "$want" ] || fail "jq -r '.[] | .state[0]' gave '$got', expected '$want'"
        got=$(off --json=short dump | jq -r '.[] | select(.state[0] == "STALE") | .dst + " " + .dev + " " + .lladdr')
        [ "$got" = "198.18.5.2 x0 02:00:00:00:00:02" ] || fail "jq select on STALE gave '$got'"
        pass "arpctl --json=short dump | jq -r '.[] | .state[0]' works as for ip -j neigh"
else
        info "jq not installed: the jq check is skipped (python's json read the same fields above)"
fi

# why: a pretty nested entry; an unknown address keeps its decision
off --json=pretty why 198.18.5.2 >"$WORK/why.json"
"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); e=d[0]; sys.exit(0 if e["entry"]["dst"] == "198.18.5.2" and e["answer"] == "answer" and e["answer_lladdr"] == "02:00:00:00:00:02" else 1)' "$WORK/why.json" ||
        fail "why --json=pretty: $(cat "$WORK/why.json")"
grep -q '^      "lladdr": "02:00:00:00:00:02",$' "$WORK/why.json" || fail "why --json=pretty nests a one-line entry: $(cat "$WORK/why.json")"
off --json=short why 198.18.5.99 | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if len(d) == 1 and d[0]["dst"] == "198.18.5.99" and d[0]["entry"] is None and d[0]["answer"] == "unknown" else 1)' ||
        fail "why --json for an unknown address: $(off --json=short why 198.18.5.99)"
pass "why --json=pretty is pretty all through; why for an unknown address gives its decision"

for m in pretty short; do
        rc=0; out=$(off --json=$m dump 198.18.9.0/24) || rc=$?
        [ "$rc" = 4 ] && [ "$out" = "[]" ] || fail "empty --json=$m listing: rc=$rc '$out'"
done
[ "$(off --json=pretty dump nud stale | head -n2 | tail -n1)" = "  {" ] || fail "pretty listing layout: $(off --json=pretty dump)"
pass "an empty listing is [] (pretty and short)"
