#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpd-metrics.timer + arpd-metrics.service under a real systemd, beside a running arpd@veth0:
# the timer enables, the service (root, sandboxed) reads arpd's counters over its control socket
# and the store under arpd's StateDirectory, and renames a complete arpd.prom into
# /var/lib/prometheus/node-exporter (mode 0644, no temporary file left); without that directory
# the service is skipped by its condition. Also: arpd's journal entries carry no CODE_FILE (the
# build machine's path, which sd_journal_sendv() added).
set -uo pipefail
source "$(dirname "$0")/sandbox.sh"
sb_require
[ -n "${ARPD_METRICS_UNIT:-}" ] && [ -n "${ARPD_METRICS_TIMER:-}" ] || { echo "ARPD_METRICS_UNIT/TIMER not set"; exit 1; }
sb_start || sb_skip "the systemd sandbox did not boot (see above)"
sb_install_arpd || exit 1
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$ARPD_METRICS_UNIT")
sb_put "$ARPCTL" "$exec_start" && sb_put "$ARPD_METRICS_UNIT" /etc/systemd/system/arpd-metrics.service &&
        sb_put "$ARPD_METRICS_TIMER" /etc/systemd/system/arpd-metrics.timer || exit 1
# As for arpd@.service (sandbox.sh): LeakSanitizer's exit-time check needs ptrace(), which the
# unit's SystemCallFilter= refuses; in sanitizer builds only that check is turned off.
if ldd "$ARPCTL" 2>/dev/null | grepq libasan; then
        printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' >"$SB_DIR/metrics-asan.conf"
        sb_put "$SB_DIR/metrics-asan.conf" /etc/systemd/system/arpd-metrics.service.d/sanitizer.conf || exit 1
fi
sb systemctl daemon-reload || exit 1
sb_veth veth0 veth1 || exit 1
sb ip link set veth0 up

check "without the textfile directory the service is skipped by its condition" \
        sb sh -c 'systemctl start arpd-metrics.service && test "$(systemctl show -P ConditionResult arpd-metrics.service)" = no'
sb mkdir -p /var/lib/prometheus/node-exporter
check "systemctl enable --now arpd@veth0" sb systemctl enable --now arpd@veth0
check "systemctl start arpd-metrics.service" sb systemctl start arpd-metrics.service
check "it succeeded (Result=$(sb systemctl show -P Result arpd-metrics.service))" \
        test "$(sb systemctl show -P Result arpd-metrics.service)" = success
prom=$(sb cat /var/lib/prometheus/node-exporter/arpd.prom)
echo "$prom" | grep -E '^arpd_(daemon_up|requests_received_total|store_entries)' | head -5
check "arpd.prom has the daemon's counters for veth0" grep -q '^arpd_requests_received_total{interface="veth0"} [0-9]*$' <<<"$prom"
check "arpd.prom says the daemon is up" grep -q '^arpd_daemon_up{socket="/run/arpd/veth0/bus"} 1$' <<<"$prom"
check "every metric has HELP and TYPE" test "$(grep -c '^# HELP' <<<"$prom")" = "$(grep -c '^# TYPE' <<<"$prom")"
check "mode 0644" test "$(sb stat -c %a /var/lib/prometheus/node-exporter/arpd.prom)" = 644
check "no temporary file left" test "$(sb ls -A /var/lib/prometheus/node-exporter)" = arpd.prom
check "systemctl enable --now arpd-metrics.timer" sb systemctl enable --now arpd-metrics.timer
check "the timer is active and wanted by timers.target" \
        sb sh -c 'test "$(systemctl show -P ActiveState arpd-metrics.timer)" = active && test -L /etc/systemd/system/timers.target.wants/arpd-metrics.timer'
# arpd's own journal entries (sd_journal_sendv) carry no build-machine path: no CODE_FILE at all.
files=$(sb journalctl --no-pager -o json -u arpd@veth0 _COMM=arpd | "${PYTHON:-python3}" -c '
import json, sys
print(" ".join(sorted({e["CODE_FILE"] for e in map(json.loads, sys.stdin) if "CODE_FILE" in e})))')
check "no CODE_FILE in arpd@veth0's journal entries (found: ${files:-none})" test -z "$files"
check "arpd's structured entries are there (INTERFACE=veth0)" \
        sb sh -c 'journalctl --no-pager -o json -u arpd@veth0 INTERFACE=veth0 | grep -q INTERFACE'
out=$(sb systemd-analyze security --no-pager arpd-metrics.service)
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
echo "systemd-analyze security arpd-metrics.service: $score"
sb journalctl --no-pager -u arpd-metrics.service | tail -n 5
sb_finish
