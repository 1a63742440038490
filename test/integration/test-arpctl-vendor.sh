#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl dump --vendor / show --vendor: the vendor of each MAC from the IEEE registries in the
# formats of Debian's ieee-data (oui.csv with quoted names and multi-line addresses, mam.csv,
# oui36.csv, longest prefix first; oui.txt without oui.csv), "-" and no JSON field otherwise,
# nothing at all without the files. Offline, no root needed. With the package installed, its
# own files are read too.
. "$(dirname "$0")/lib.sh"
require_python
ARPCTL=${ARPCTL:-$(dirname "$ARPD")/arpctl/arpctl}
[ -x "$ARPCTL" ] || skip "arpctl not built ($ARPCTL)"
ctl() { "$ARPCTL" --database "$DB" "$@"; }

printf '%s\n' "a0 198.18.0.1 00:22:72:00:00:01" "a0 198.18.0.2 f4:bd:9e:00:00:02" "a0 198.18.0.3 02:00:00:00:00:03" \
        "a0 198.18.0.4 74:1a:e0:90:00:01" "a0 198.18.0.5 70:b3:d5:f2:f0:01" "a0 198.18.0.6 74:1a:e0:00:00:01" \
        "a0 198.18.0.7 FAILED" | "$ARPD" -b "$DB" -f - >/dev/null 2>&1 || fail "seeding failed"

mkdir "$WORK/ieee" "$WORK/txt" "$WORK/none"
cat >"$WORK/ieee/oui.csv" <<'CSV'
Registry,Assignment,Organization Name,Organization Address
MA-L,002272,American Micro-Fuel Device Corp.,2181 Buchanan Loop Ferndale WA US 98248 
MA-L,F4BD9E,"Cisco Systems, Inc",80 West Tasman Drive San Jose CA US 94568 
MA-L,BC2392,BYD Precision Manufacture Company Ltd.,"No.3001, Bao He Road
Shenzhen CN"
MA-L,741AE0,IEEE Registration Authority,445 Hoes Lane Piscataway NJ US 08554 
MA-L,70B3D5,IEEE Registration Authority,445 Hoes Lane Piscataway NJ US 08554 
CSV
printf 'Registry,Assignment,Organization Name,Organization Address\nMA-M,741AE09,"Example ""M"" Ltd",\n' >"$WORK/ieee/mam.csv"
printf 'Registry,Assignment,Organization Name,Organization Address\nMA-S,70B3D5F2F,TELEPLATFORMS,"Polbina st., 3/1 Moscow  RU 109388 "\n' >"$WORK/ieee/oui36.csv"
printf '00-22-72   (hex)\t\tAmerican Micro-Fuel Device Corp.\n002272     (base 16)\t\tAmerican Micro-Fuel Device Corp.\n\t\t\t\t2181 Buchanan Loop\n\nF4-BD-9E   (hex)\t\tCisco Systems, Inc\n' >"$WORK/txt/oui.txt"

ARPCTL_IEEE_DATA_DIR="$WORK/ieee" ctl --no-legend dump --vendor >"$WORK/out"
"$PYTHON" - "$WORK/out" <<'PY' || fail "vendors from the csv files: $(cat "$WORK/out")"
import sys
got = {}
for l in open(sys.argv[1]):
    f = l.split(None, 7)  # ... SOURCE "Ns ago" VENDOR
    got[f[1]] = f[7].rstrip("\n")
want = {"198.18.0.1": "American Micro-Fuel Device Corp.", "198.18.0.2": "Cisco Systems, Inc", "198.18.0.3": "-",
        "198.18.0.4": 'Example "M" Ltd', "198.18.0.5": "TELEPLATFORMS", "198.18.0.6": "IEEE Registration Authority",
        "198.18.0.7": "-"}
assert got == want, got
PY
head -n1 <(ARPCTL_IEEE_DATA_DIR="$WORK/ieee" ctl dump --vendor) | grepq "LAST SEEN *VENDOR$" || fail "no VENDOR column"
ARPCTL_IEEE_DATA_DIR="$WORK/ieee" ctl --json=short show 02:00:00:00:00:03 --vendor | "$PYTHON" -c 'import json,sys; sys.exit(0 if "vendor" not in json.load(sys.stdin)[0] else 1)' ||
        fail "a locally administered MAC got a vendor"
ARPCTL_IEEE_DATA_DIR="$WORK/ieee" ctl --json=short show 198.18.0.2 --vendor | "$PYTHON" -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[0]["vendor"] == "Cisco Systems, Inc" else 1)' ||
        fail "show --vendor --json"
pass "oui.csv (quoted, multi-line), mam.csv and oui36.csv: longest prefix wins; none for local MACs"

ARPCTL_IEEE_DATA_DIR="$WORK/txt" ctl --no-legend dump --vendor | awk '$2 == "198.18.0.2"' | grepq "Cisco Systems, Inc$" ||
        fail "oui.txt: $(ARPCTL_IEEE_DATA_DIR="$WORK/txt" ctl dump --vendor)"
pass "oui.txt when there is no oui.csv"

ARPCTL_IEEE_DATA_DIR="$WORK/none" ctl --no-legend dump --vendor >"$WORK/out" 2>"$WORK/err" || fail "--vendor without registry failed"
[ "$(awk '{ print $NF }' "$WORK/out" | sort -u)" = "-" ] || fail "vendors without a registry: $(cat "$WORK/out")"
grep -q "package ieee-data" "$WORK/err" || fail "no hint about ieee-data: $(cat "$WORK/err")"
ARPCTL_IEEE_DATA_DIR="$WORK/none" ctl --json=short dump --vendor 2>/dev/null | "$PYTHON" -c 'import json,sys; sys.exit(0 if all("vendor" not in e for e in json.load(sys.stdin)) else 1)' ||
        fail "JSON vendor fields without a registry"
ctl dump | head -n1 | grep -vq VENDOR || fail "a VENDOR column without --vendor"
rc=0; ctl --vendor why 198.18.0.1 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--vendor with why exited $rc"
pass "without the registry files: no vendor (a hint on stderr), and no column without --vendor"

if [ -f /usr/share/ieee-data/oui.csv ] || [ -f /usr/share/ieee-data/oui.txt ]; then
        printf 'a0 198.18.0.8 00:00:0c:00:00:08\n' | ctl load - >/dev/null
        ctl --no-legend show 198.18.0.8 --vendor | grepq -i "cisco" || fail "ieee-data's own files: $(ctl show 198.18.0.8 --vendor)"
        pass "ieee-data's installed registry names 00:00:0c (Cisco)"
else
        info "ieee-data not installed: its own files are not read here (the fixtures above are in its formats)"
fi
