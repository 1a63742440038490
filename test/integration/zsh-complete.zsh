# SPDX-License-Identifier: GPL-2.0-or-later
# zsh-complete.zsh COMPLETION_DIR OUT LINE: types LINE and a TAB into an interactive zsh (zpty)
# with arpctl's completion, and writes the matches it offered to OUT, one per line. compadd is
# wrapped to record the matches (calls that only fill arrays, -O/-A/-D, pass through).
zmodload zsh/zpty || exit 77
local dir=$1 out=$2 line=$3
zpty z ${ZSH_BIN:-zsh} -f -i
zpty -w z "PS1='> '; fpath=($dir \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a __h; builtin compadd -A __h \"\$@\"; print -rl -- \$__h >>${(q)out}; builtin compadd \"\$@\"; }"
zpty -w z "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; LISTMAX=10000"
zpty -w -n z "$line"$'\t'
sleep 2
zpty -d z
