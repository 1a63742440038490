#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl metrics passes Prometheus' own linter: promtool check metrics (Debian package
# prometheus, /usr/bin/promtool; $PROMTOOL overrides). Skipped, saying so, without promtool.
. "$(dirname "$0")/lib.sh"
require_root
[ -n "${ARPCTL:-}" ] && [ -x "$ARPCTL" ] || { echo "ARPCTL must name the arpctl binary"; exit 1; }
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
[ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ] || skip "promtool not installed (Debian package prometheus; or set PROMTOOL)"
BUS="$WORK/bus"

printf 'a0 198.18.0.50 02:00:00:00:00:50\na0 198.18.0.51 FAILED: 3s ago\n' | "$ARPD" -b "$DB" -f - >/dev/null 2>&1 ||
        fail "seeding failed"
"$ARPCTL" --database "$DB" metrics >"$WORK/off.prom"
"$PROMTOOL" check metrics <"$WORK/off.prom" >"$WORK/lint" 2>&1 || fail "promtool (offline): $(cat "$WORK/lint")"
setup_pair
start_arpd a --control-socket "$BUS" a0
"$ARPCTL" --socket "$BUS" metrics >"$WORK/on.prom"
"$PROMTOOL" check metrics <"$WORK/on.prom" >"$WORK/lint" 2>&1 || fail "promtool: $(cat "$WORK/lint")"
[ ! -s "$WORK/lint" ] || fail "promtool warns: $(cat "$WORK/lint")"
pass "promtool check metrics: clean, online ($(grep -c '^# TYPE' "$WORK/on.prom") families) and offline"
