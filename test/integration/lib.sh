# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for arpd's integration tests. Sourced by each test-*.sh.
#
# Every test builds its own small L2 network out of network namespaces and veth pairs, named
# arpd-t<pid>-<name> so parallel runs never collide, with addresses from 198.18.0.0/15 (IPv6:
# 2001:db8::/32) only and no route out. Everything it creates (namespaces, processes it started,
# temporary files) is removed by the EXIT trap, also on failure. Every wait is bounded.
#
# Exit status: 0 pass, 1 fail, 77 skip (meson's convention).

set -euo pipefail

ARPD=${ARPD:-}
T="arpd-t$$"
WORK=""
PIDS=()
NAMESPACES=()

skip() { echo "SKIP: $*"; exit 77; }
# grepq ARGS...: "grep -q" at the end of a pipeline. grep -q exits at its first match; with
# pipefail a writer still writing after that dies of SIGPIPE and fails the pipeline although the
# line was there (a check then fails at random, a "... | grep -q X && fail" passes at random).
# grepq reads its whole input.
grepq() { grep "$@" >/dev/null; }
fail() {
        # Inside $(...) stdout is captured: report on stderr so the reason is not lost.
        if [ "$BASH_SUBSHELL" -gt 0 ]; then fail_report "$@" >&2; else fail_report "$@"; fi
        exit 1
}
fail_report() {
        echo "FAIL: $*"
        if [ -n "$WORK" ]; then
                for f in "$WORK"/*.log; do
                        [ -f "$f" ] || continue
                        echo "---- $f (last 40 lines)"; tail -n 40 "$f"
                done
        fi
}
pass() { echo "PASS: $*"; }
info() { echo "# $*"; }

cleanup() {
        local rc=$?
        set +e
        # A test that passed while the arpd it started died under it has not passed.
        if [ "$rc" = 0 ] && [ -n "${ARPD_PID:-}" ] && ! kill -0 "$ARPD_PID" 2>/dev/null; then
                echo "FAIL: arpd died during the test"
                [ -n "$WORK" ] && tail -n 20 "$WORK/arpd.log" 2>/dev/null
                rc=1
        fi
        for p in "${PIDS[@]}"; do
                kill "$p" 2>/dev/null && { for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; kill -9 "$p" 2>/dev/null; }
        done
        for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
        [ -n "$WORK" ] && rm -rf "$WORK"
        exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

require_root() {
        [ "$(id -u)" = 0 ] || skip "needs root (network namespaces, packet sockets)"
        command -v ip >/dev/null || skip "needs ip (iproute2)"
        ip netns add "$T-probe" 2>/dev/null || skip "cannot create network namespaces here"
        ip netns del "$T-probe"
}
require_cmd() {
        local c
        for c in "$@"; do command -v "$c" >/dev/null || skip "needs $c"; done
}

[ -n "$ARPD" ] && [ -x "$ARPD" ] || { echo "ARPD must name the arpd binary"; exit 1; }
WORK=$(mktemp -d /tmp/arpd-test.XXXXXX)
DB="$WORK/arpd.lmdb"

# ns NAME: create namespace $T-NAME with lo up, IPv6 off (fewer stray frames).
ns_add() {
        local ns="$T-$1"
        ip netns add "$ns"
        NAMESPACES+=("$ns")
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}
# in NAME CMD...: run CMD inside namespace NAME.
in_ns() { local ns="$T-$1"; shift; ip netns exec "$ns" "$@"; }

# link NS1 IF1 ADDR1/LEN MAC1 NS2 IF2 ADDR2/LEN MAC2: a veth pair between two namespaces.
veth() {
        local n1="$T-$1" i1=$2 a1=$3 m1=$4 n2="$T-$5" i2=$6 a2=$7 m2=$8
        ip link add "$T-x" type veth peer name "$T-y"
        ip link set "$T-x" netns "$n1"
        ip link set "$T-y" netns "$n2"
        ip -n "$n1" link set "$T-x" name "$i1" address "$m1"
        ip -n "$n2" link set "$T-y" name "$i2" address "$m2"
        [ "$a1" = - ] || ip -n "$n1" addr add "$a1" dev "$i1"
        [ "$a2" = - ] || ip -n "$n2" addr add "$a2" dev "$i2"
        ip -n "$n1" link set "$i1" up
        ip -n "$n2" link set "$i2" up
}

# The standard pair: host a (a0, 198.18.0.1/24) and host b (b0, 198.18.0.2/24).
MAC_A=02:aa:00:00:00:01
MAC_B=02:bb:00:00:00:02
IP_A=198.18.0.1
IP_B=198.18.0.2
setup_pair() {
        ns_add a
        ns_add b
        veth a a0 $IP_A/24 $MAC_A b b0 $IP_B/24 $MAC_B
}

# solicit NS IF APP MCAST UCAST: the kernel's neighbour resolution settings for IF.
solicit() {
        in_ns "$1" sysctl -qw "net.ipv4.neigh.$2.app_solicit=$3" "net.ipv4.neigh.$2.mcast_solicit=$4" \
                "net.ipv4.neigh.$2.ucast_solicit=$5"
}

# start_arpd NS [ARGS...]: run arpd in NS in the background (log in $WORK/arpd.log), wait for Ready.
# `ip netns exec` execs the command itself, so $! is arpd's own pid (signals reach arpd, not a
# subshell). The log is shared by successive runs: wait for a Ready line newer than the ones there.
ARPD_PID=""
start_arpd() {
        local ns=$1; shift
        local ready
        # arpd reports READY once the kernel's table is stored, and opens its packet sockets right
        # after ("Sniffing started"): tests that send frames need both.
        ready=$(grep -c "Sniffing started" "$WORK/arpd.log" 2>/dev/null || true)
        # The control socket goes into the test's own directory unless the test names one: the
        # default (/run/arpd/IFACE/bus) would be shared with other runs and left behind.
        local bus=(--control-socket "$WORK/bus")
        case " $* " in *" --control-socket "*) bus=() ;; esac
        ip netns exec "$T-$ns" "$ARPD" -b "$DB" "${bus[@]}" "$@" >>"$WORK/arpd.log" 2>&1 &
        ARPD_PID=$!
        PIDS+=("$ARPD_PID")
        for _ in $(seq 200); do
                [ "$(grep -c "Sniffing started" "$WORK/arpd.log" 2>/dev/null || true)" -gt "${ready:-0}" ] && return 0
                kill -0 "$ARPD_PID" 2>/dev/null || { ARPD_PID=""; fail "arpd exited before it was ready"; }
                sleep 0.05
        done
        fail "timed out after 10s waiting for: arpd ready"
}
# stop_arpd [SIGNAL]: stop the arpd we started and wait for it (bounded). Fails if arpd had already
# died (a crash must not pass for a stop), and if it does not exit with status 0 on a
# clean stop (SIGTERM, SIGINT).
stop_arpd() {
        local sig=${1:-TERM} rc=0
        [ -n "$ARPD_PID" ] || return 0
        if ! kill -0 "$ARPD_PID" 2>/dev/null; then
                wait "$ARPD_PID" 2>/dev/null || rc=$?
                ARPD_PID=""
                fail "arpd was no longer running when the test stopped it (exit status $rc)"
        fi
        kill -s "$sig" "$ARPD_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$ARPD_PID" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$ARPD_PID" 2>/dev/null && fail "arpd did not exit on SIG$sig"
        wait "$ARPD_PID" 2>/dev/null || rc=$?
        ARPD_PID=""
        : >"$WORK/arpd.log.mark"
        case $sig in
        TERM|INT) [ "$rc" = 0 ] || fail "arpd exited with status $rc on SIG$sig, expected 0" ;;
        esac
}
arpd_alive() { [ -n "$ARPD_PID" ] && kill -0 "$ARPD_PID" 2>/dev/null; }

# wait_for WHAT SECONDS CMD...: poll CMD every 0.05 s until it succeeds; fail after SECONDS.
wait_for() {
        local what=$1 secs=$2; shift 2
        local n=$((secs * 20))
        for _ in $(seq "$n"); do
                "$@" 2>/dev/null && return 0
                sleep 0.05
        done
        fail "timed out after ${secs}s waiting for: $what"
}

# stats_lines IF: the complete statistics entries for IF in the log. An entry is written in several
# pieces, fields last, then ")": a line not ending in ")" is still being written.
stats_lines() { grep -F "Statistics for $1: " "$WORK/arpd.log" | grep ")\$" || true; }
# stats_logged IF N: more than N statistics entries for IF are in the log.
stats_logged() { [ "$(stats_lines "$1" | wc -l)" -gt "$2" ]; }
# stat IF NAME: the counter NAME (e.g. requests_answered) from a fresh SIGUSR1 statistics entry.
stat() {
        local ifname=$1 field
        field=$(echo "$2" | tr a-z A-Z)
        local before
        before=$(stats_lines "$ifname" | wc -l)
        kill -USR1 "$ARPD_PID"
        # The count must be re-read at every poll (a "$(...)" argument would be expanded only once).
        wait_for "statistics for $ifname" 5 stats_logged "$ifname" "$before"
        local v
        v=$(stats_lines "$ifname" | tail -n1 | grep -o "\b$field=[0-9]*" | cut -d= -f2 || true)
        [ -n "$v" ] || fail "counter $2 not found in the statistics for $ifname"
        echo "$v"
}
# expect_stat IF NAME OP VALUE: fail unless counter NAME compares as OP (-eq, -ge, -le...) to VALUE.
expect_stat() {
        local v
        v=$(stat "$1" "$2") || exit 1
        [ "$v" "$3" "$4" ] || fail "$1: $2=$v, expected $3 $4"
        pass "$1: $2=$v"
}

# list: arpd -l on the test's store (works while the daemon runs).
list() { "$ARPD" -b "$DB" -l "$@"; }

# capture NS IF NAME: tcpdump ARP frames on IF into $WORK/NAME.pcap until stop_capture NAME.
capture() {
        local ns=$1 ifname=$2 name=$3
        ip netns exec "$T-$ns" tcpdump -i "$ifname" -nn -e -U -w "$WORK/$name.pcap" arp >"$WORK/$name.tcpdump.log" 2>&1 &
        local pid=$!
        PIDS+=("$pid")
        echo "$pid" >"$WORK/$name.pid"
        wait_for "tcpdump on $ifname" 10 grep -q "listening on" "$WORK/$name.tcpdump.log"
}
stop_capture() {
        local name=$1 pid
        pid=$(cat "$WORK/$name.pid")
        sleep 0.2
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
}
# frames NAME [FILTER]: the captured frames as text (one per line).
frames() { tcpdump -r "$WORK/$1.pcap" -nn -e ${2:+"$2"} 2>/dev/null || true; }

# garp NS IF IP: one gratuitous ARP (unsolicited reply-style announcement) from IF.
garp() { in_ns "$1" arping -q -U -c 1 -I "$2" "$3" >/dev/null 2>&1 || true; }

# list_has IF ADDR WHAT: the listing has a line for ADDR on IF whose third field is WHAT (a MAC, or
# FAILED:). Exact field comparison, no regular expressions.
list_has() { list | awk -v i="$1" -v a="$2" -v w="$3" '$1 == i && $2 == a && $3 == w { f = 1 } END { exit !f }'; }
# list_lines IF ADDR: how many listing lines name ADDR on IF (IF "*" = any interface).
list_lines() { list | awk -v i="$1" -v a="$2" '(i == "*" || $1 == i) && $2 == a { n++ } END { print n + 0 }'; }

# PYTHON: a python3 for the helper scripts (standard library only).
PYTHON=""
require_python() {
        local p
        for p in python3 /usr/bin/python3; do
                command -v "$p" >/dev/null && "$p" -c 'import socket, struct' 2>/dev/null && { PYTHON=$p; return 0; }
        done
        skip "needs python3"
}

# ---- IPv6 (neighbour discovery) ----------------------------------------------------------------
# Addresses from 2001:db8::/32 only, added with nodad.
IP6_A=2001:db8::1
IP6_B=2001:db8::2
# ns_add6 NAME: like ns_add, but with IPv6 on; no router solicitations and no DAD, so only the
# test's own neighbour discovery is on the wire. Interfaces moved in later take these defaults.
ns_add6() {
        local ns="$T-$1"
        ip netns add "$ns"
        NAMESPACES+=("$ns")
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
                net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_dad=0 \
                net.ipv6.conf.default.dad_transmits=0
}
# setup_pair6: the standard pair (IPv4 as setup_pair) with IPv6 on and 2001:db8::1/64, ::2/64.
setup_pair6() {
        ns_add6 a
        ns_add6 b
        veth a a0 $IP_A/24 $MAC_A b b0 $IP_B/24 $MAC_B
        ip -n "$T-a" addr add $IP6_A/64 dev a0 nodad
        ip -n "$T-b" addr add $IP6_B/64 dev b0 nodad
}
# solicit6 NS IF APP MCAST UCAST: the kernel's IPv6 neighbour discovery settings for IF.
solicit6() {
        in_ns "$1" sysctl -qw "net.ipv6.neigh.$2.app_solicit=$3" "net.ipv6.neigh.$2.mcast_solicit=$4" \
                "net.ipv6.neigh.$2.ucast_solicit=$5"
}
# link_local NS IF: IF's fe80:: address.
link_local() { in_ns "$1" ip -6 -o addr show dev "$2" scope link | awk '{ sub("/.*", "", $4); print $4; exit }'; }
# capture_ndp NS IF NAME: like capture, for neighbour solicitations and advertisements.
capture_ndp() {
        local ns=$1 ifname=$2 name=$3
        ip netns exec "$T-$ns" tcpdump -i "$ifname" -nn -e -U --immediate-mode -w "$WORK/$name.pcap" \
                'icmp6 and (ip6[40] == 135 or ip6[40] == 136)' >"$WORK/$name.tcpdump.log" 2>&1 &
        local pid=$!
        PIDS+=("$pid")
        echo "$pid" >"$WORK/$name.pid"
        wait_for "tcpdump on $ifname" 10 grep -q "listening on" "$WORK/$name.tcpdump.log"
}
# frames_v NAME: the captured frames, verbose (hop limit, checksum check, options).
frames_v() { tcpdump -r "$WORK/$1.pcap" -nn -e -vv 2>/dev/null || true; }
# ndp_send NS IF ARGS...: one hand-made NS/NA frame from IF (see ndp-send.py for ARGS).
ndp_send() { local ns=$1; shift; in_ns "$ns" "$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/ndp-send.py" "$@"; }
