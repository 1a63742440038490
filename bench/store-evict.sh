#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds and runs bench/store-evict.c (eviction cost against the store's size) against the static
# library of a build directory.  Usage: bench/store-evict.sh [BUILD_DIR] [REPETITIONS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
reps=${2:-3}
[ -f "$build/src/libarpd-core.a" ] || { echo "no $build/src/libarpd-core.a: build arpd first (meson setup build && ninja -C build)"; exit 1; }
tmp=$(mktemp -d /var/tmp/arpd-store-evict.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -D_GNU_SOURCE -I"$here/../src" -o "$tmp/store-evict" "$here/store-evict.c" "$build/src/libarpd-core.a" -llmdb -lsystemd -lmnl -lm
"$tmp/store-evict" "$tmp" "$reps"
