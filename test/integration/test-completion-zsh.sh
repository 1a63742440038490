#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl's zsh completion (shell-completions/_arpctl), typed into an interactive zsh: option
# values, commands, dump's selectors, entries of the store the command line selects. Skipped
# without zsh (and its zsh/zpty module). No root needed.
. "$(dirname "$0")/lib.sh"
ARPCTL=${ARPCTL:-$(dirname "$ARPD")/arpctl/arpctl}
[ -x "$ARPCTL" ] || skip "arpctl not built ($ARPCTL)"
ZSH=${ZSH:-$(command -v zsh || true)}
[ -n "$ZSH" ] || skip "zsh not installed"
"$ZSH" -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "zsh has no zsh/zpty module"
HERE=$(cd "$(dirname "$0")" && pwd)
COMPDIR="$HERE/../../shell-completions"
[ -f "$COMPDIR/_arpctl" ] || fail "no $COMPDIR/_arpctl"

mkdir "$WORK/bin"
ln -s "$ARPCTL" "$WORK/bin/arpctl"
printf 'a0 198.18.0.10 02:00:00:00:00:0a\nx9 198.18.0.11 02:00:00:00:00:0b\n' | "$ARPD" -b "$WORK/a.lmdb" -f - >/dev/null 2>&1
printf 'b0 198.18.7.20 02:00:00:00:00:14\n' | "$ARPD" -b "$WORK/b.lmdb" -f - >/dev/null 2>&1

offered() { # LINE: the matches zsh offers at its end, one per line
        rm -f "$WORK/matches"
        ZSH_BIN="$ZSH" PATH="$WORK/bin:$PATH" HOME="$WORK" "$ZSH" -f "$HERE/zsh-complete.zsh" "$COMPDIR" "$WORK/matches" "$1" >/dev/null 2>&1
        sort -u "$WORK/matches" 2>/dev/null
}
has() { offered "$1" | grepq -x -- "$2" || fail "zsh: '$1' does not offer '$2': $(offered "$1" | paste -sd ' ')"; }
hasnt() { ! offered "$1" | grepq -x -- "$2" || fail "zsh: '$1' offers '$2'"; }

has "arpctl --json=" pretty
has "arpctl --json=" short
has "arpctl " metrics
has "arpctl " set-limits
has "arpctl --no-" --no-pager
has "arpctl --database=$WORK/a.lmdb show " 198.18.0.10
has "arpctl --database=$WORK/a.lmdb show " 02:00:00:00:00:0a
hasnt "arpctl --database=$WORK/a.lmdb show " 198.18.7.20
has "arpctl --database=$WORK/b.lmdb why " 198.18.7.20
has "arpctl --database=$WORK/a.lmdb delete x9 " 198.18.0.11
has "arpctl " history
has "arpctl --database=$WORK/a.lmdb history " 198.18.0.11
has "arpctl --database=$WORK/a.lmdb history 198.18.0.11 " dev
has "arpctl --database=$WORK/a.lmdb history 198.18.0.11 dev " x9
hasnt "arpctl --database=$WORK/a.lmdb delete x9 " 198.18.0.10
has "arpctl --database=$WORK/a.lmdb dump " dev
has "arpctl --database=$WORK/a.lmdb dump dev " x9
has "arpctl --database=$WORK/a.lmdb dump nud " stale
pass "zsh: option values, commands, dump's selectors, entries of the selected store"
