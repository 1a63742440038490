#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# arpctl's bash completion: option values (--json=<TAB>, --database=<TAB>, --socket=<TAB>),
# commands, dump's selectors, and entries from the store the command line selects (--database
# A lists A's addresses, not B's). Run as bash runs it: words split at COMP_WORDBREAKS ('=' is
# one), without the bash-completion package, and with it when it is installed. No root needed.
. "$(dirname "$0")/lib.sh"
ARPCTL=${ARPCTL:-$(dirname "$ARPD")/arpctl/arpctl}
[ -x "$ARPCTL" ] || skip "arpctl not built ($ARPCTL)"
COMPLETION="$(dirname "$0")/../../shell-completions/arpctl"
[ -f "$COMPLETION" ] || fail "no completion file at $COMPLETION"

mkdir "$WORK/bin"
ln -s "$ARPCTL" "$WORK/bin/arpctl"
printf 'a0 198.18.0.10 02:00:00:00:00:0a\nx9 198.18.0.11 02:00:00:00:00:0b\n' | "$ARPD" -b "$WORK/a.lmdb" -f - >/dev/null 2>&1
printf 'b0 198.18.7.20 02:00:00:00:00:14\n' | "$ARPD" -b "$WORK/b.lmdb" -f - >/dev/null 2>&1
touch "$WORK/db-file.lmdb"

# complete LINE: what bash would offer at the end of LINE (one word per line, sorted).
complete_line() {
        PATH="$WORK/bin:$PATH" bash -c '
                [ "$1" = with ] && . "$BASH_COMPLETION_SCRIPT"
                . "$2"
                COMP_LINE=$3
                COMP_POINT=${#COMP_LINE}
                # split as readline does: blanks separate words, "=" is a word of its own
                COMP_WORDS=()
                w=
                for ((i = 0; i < ${#COMP_LINE}; i++)); do
                        c=${COMP_LINE:i:1}
                        if [ "$c" = " " ]; then [ -n "$w" ] && COMP_WORDS+=("$w"); w=
                        elif [ "$c" = "=" ]; then [ -n "$w" ] && COMP_WORDS+=("$w"); COMP_WORDS+=("="); w=
                        else w+=$c; fi
                done
                COMP_WORDS+=("$w")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                _arpctl arpctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf "%s\n" "${COMPREPLY[@]}" | sort
        ' bash "$MODE" "$COMPLETION" "$1"
}
expect() { # LINE WORDS...: the offered words are exactly WORDS
        local got want
        got=$(complete_line "$1" | paste -sd ' ')
        shift
        want=$(printf '%s\n' "$@" | sort | paste -sd ' ')
        [ "$got" = "$want" ] || fail "[$MODE bash-completion] '$LINE' offered '$got', expected '$want'"
}
has() { complete_line "$1" | grepq -x -- "$2" || fail "[$MODE bash-completion] '$1' does not offer '$2': $(complete_line "$1" | paste -sd ' ')"; }
hasnt() { ! complete_line "$1" | grepq -x -- "$2" || fail "[$MODE bash-completion] '$1' offers '$2'"; }

# the package's script ($BASH_COMPLETION_SCRIPT overrides where it is)
export BASH_COMPLETION_SCRIPT=${BASH_COMPLETION_SCRIPT:-/usr/share/bash-completion/bash_completion}
modes=(without)
[ -f "$BASH_COMPLETION_SCRIPT" ] && modes+=(with)
for MODE in "${modes[@]}"; do
        LINE="arpctl --json="; expect "arpctl --json=" pretty short off
        expect "arpctl --json=sh" short
        expect "arpctl --json " pretty short off
        has "arpctl --database=$WORK/db-" "$WORK/db-file.lmdb"
        has "arpctl --socket=$WORK/db-" "$WORK/db-file.lmdb"
        has "arpctl --no-" --no-legend
        has "arpctl --no-" --no-pager
        has "arpctl " metrics
        has "arpctl " limits
        has "arpctl " set-limits
        has "arpctl set-limits --max-p" --max-per-interface=
        has "arpctl --max-entries 500 " set-limits
        has "arpctl --json=short " dump
        # entries from the selected store
        has "arpctl --database=$WORK/a.lmdb show " 198.18.0.10
        has "arpctl --database=$WORK/a.lmdb show " 02:00:00:00:00:0a
        hasnt "arpctl --database=$WORK/a.lmdb show " 198.18.7.20
        has "arpctl --database $WORK/b.lmdb why " 198.18.7.20
        hasnt "arpctl --database $WORK/b.lmdb why " 198.18.0.10
        expect "arpctl --database=$WORK/a.lmdb delete x9 " 198.18.0.11
        has "arpctl " history
        has "arpctl --database=$WORK/a.lmdb history " 198.18.0.11
        expect "arpctl --database=$WORK/a.lmdb history 198.18.0.11 " dev
        expect "arpctl --database=$WORK/a.lmdb history 198.18.0.11 dev " x9
        has "arpctl --database=$WORK/a.lmdb dump " dev
        has "arpctl --database=$WORK/a.lmdb dump dev " x9
        expect "arpctl --database=$WORK/a.lmdb dump nud st" stale static
        has "arpctl --database=$WORK/a.lmdb dump lladdr " 02:00:00:00:00:0b
        pass "$MODE bash-completion: option values, commands, dump's selectors, entries of the selected store"
done
[ ${#modes[@]} = 2 ] || info "bash-completion is not installed: only the fallback path was checked"
