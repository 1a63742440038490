#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds and runs bench/store-sync.c (LMDB sync modes with batched commits). The store file goes
# into DIR (default: a temporary directory under /var/tmp, which must be on a real disk: on tmpfs
# every mode costs the same).  Usage: bench/store-sync.sh [DIR] [REPETITIONS]
set -eu
here=$(dirname "$0")
dir=${1:-}
reps=${2:-5}
tmp=$(mktemp -d /var/tmp/arpd-store-sync.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/store-sync" "$here/store-sync.c" -llmdb
"$tmp/store-sync" "${dir:-$tmp}/store-sync.lmdb" "$reps"
