# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A throwaway systemd for the unit tests: systemd 252 runs as PID 1 in fresh PID, mount, network,
# UTS, IPC and cgroup namespaces, on an overlay whose lower layer is the host's / (never written)
# and whose upper layer is a tmpfs. udev is unpacked into the overlay from its .deb (the host may
# not have it installed) because device units, and so BindsTo=sys-subsystem-net-devices-*.device,
# need it. Nothing outside the sandbox's namespaces is changed, apart from one cgroup directory
# and a state directory under /run, both removed by sb_stop.
#
#   source sandbox.sh
#   sb_require                  exit 77 (skip) with the reason when this machine cannot do it
#   sb_start                    boot (trap sb_stop EXIT is set up), wait until it is running
#   sb x CMD...                 run CMD inside, exit status passed through
#   sb_put SRC DST              copy a host file to DST inside
#   sb_install_arpd             arpd, arpd-sysctl, arpd@.service, arpd.service, the catalog,
#                               the sysctl template, sysusers.d and tmpfiles.d (both applied, as
#                               a package's installation does), from the build
#   sb_stop                     power off, kill what is left, clean up
#
# Environment from meson: ARPD ARPD_SYSCTL ARPD_UNIT ARPD_ALL_UNIT ARPD_CATALOG BUILD_ROOT
# ARPD_SYSCTL_TEMPLATE ARPD_SYSCTL_TEMPLATE_INSTALLED ARPD_SYSUSERS ARPD_TMPFILES.
# Knobs: ARPD_SANDBOX_UDEV_DEB (path of udev_*.deb), ARPD_SANDBOX_BOOT_TIMEOUT (60 s).

SB_BASE=/run/arpd-test-sandbox
SB_NAME=
SB_DIR=
SB_PID=
SB_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

sb_log() { echo "sandbox: $*" >&2; }
sb_skip() { echo "SKIP: $*" >&2; exit 77; }

# The host's cgroup2 mount: /sys/fs/cgroup on unified hosts, .../unified on hybrid ones.
sb_cgroup2() {
        local m
        for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
                if [ "$(stat -fc %T "$m" 2>/dev/null)" = cgroup2fs ]; then
                        echo "$m"
                        return 0
                fi
        done
        return 1
}

# The udev package of exactly the installed systemd's version: the apt cache, our own cache in
# the build directory, or one "apt-get download" into the latter.
sb_udev_deb() {
        local ver fver f cache
        if [ -n "${ARPD_SANDBOX_UDEV_DEB:-}" ]; then
                echo "$ARPD_SANDBOX_UDEV_DEB"
                return 0
        fi
        ver=$(dpkg-query -W -f '${Version}' systemd 2>/dev/null) || return 1
        fver=${ver//:/%3a}
        cache=${BUILD_ROOT:-/var/cache}/test/systemd-cache
        for f in /var/cache/apt/archives/udev_"${fver}"_*.deb "$cache"/udev_"${fver}"_*.deb; do
                [ -f "$f" ] && { echo "$f"; return 0; }
        done
        mkdir -p "$cache" || return 1
        (cd "$cache" && apt-get download -q "udev=$ver" >/dev/null 2>&1) || return 1
        for f in "$cache"/udev_"${fver}"_*.deb; do
                [ -f "$f" ] && { echo "$f"; return 0; }
        done
        return 1
}

sb_require() {
        [ "$(id -u)" = 0 ] || sb_skip "needs root (namespaces, mounts, a systemd as PID 1)"
        [ -x /lib/systemd/systemd ] || sb_skip "systemd is not installed (/lib/systemd/systemd)"
        local t
        for t in unshare nsenter setpriv dpkg-deb ip; do
                command -v "$t" >/dev/null || sb_skip "$t is missing (util-linux, dpkg, iproute2)"
        done
        [ -x /usr/bin/dbus-daemon ] || [ -x /usr/bin/dbus-broker ] || sb_skip "no D-Bus daemon installed (package dbus)"
        sb_cgroup2 >/dev/null || sb_skip "no cgroup2 hierarchy on the host"
        SB_UDEV_DEB=$(sb_udev_deb) && [ -f "$SB_UDEV_DEB" ] || sb_skip "no udev .deb for systemd $(dpkg-query -W -f '${Version}' systemd 2>/dev/null) (apt-get download udev failed; set ARPD_SANDBOX_UDEV_DEB)"
}

# PID of the sandbox's PID 1 as the host sees it, only while it is the process we started.
sb_pid1() {
        local pid start
        [ -n "$SB_DIR" ] && [ -f "$SB_DIR/pid1" ] || return 1
        read -r pid start <"$SB_DIR/pid1" || return 1
        [ "$(cut -d' ' -f22 "/proc/$pid/stat" 2>/dev/null)" = "$start" ] || return 1
        echo "$pid"
}

# grepq ARGS...: "grep -q" at the end of a pipeline (the tests run with pipefail: grep -q's early
# exit can kill the writer with SIGPIPE and fail the pipeline although the line was there; an
# ASan build's "ldd | grep -q libasan" once missed its sanitizer drop-in that way). grepq reads
# its whole input.
grepq() { grep "$@" >/dev/null; }

sb() {
        local pid
        pid=$(sb_pid1) || { sb_log "not running"; return 125; }
        # Join the sandbox's root cgroup from inside, so PID 1 sees where the command runs.
        nsenter --target "$pid" --mount --uts --ipc --net --pid --cgroup --root --wd -- \
                env -i PATH=$SB_PATH HOME=/root LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0 \
                sh -c 'echo $$ >/sys/fs/cgroup/cgroup.procs 2>/dev/null; exec "$@"' sh "$@"
}

sb_put() {
        local src=$1 dst=$2
        sb sh -c 'mkdir -p "$(dirname "$1")" && cat >"$1" && chmod "$2" "$1"' sh "$dst" "$(stat -c %a "$src")" <"$src"
}

sb_start() {
        local cg2 t0 i state=
        SB_NAME=arpd-sd-$$-$RANDOM
        SB_DIR=$SB_BASE/$SB_NAME
        cg2=$(sb_cgroup2)
        SB_CGROUP=$cg2/$SB_NAME
        mkdir -p "$SB_DIR/root"
        mkdir "$SB_CGROUP"
        trap sb_stop EXIT
        trap 'exit 130' INT TERM
        t0=$(date +%s%N)
        # The launcher moves itself into the new cgroup first, so the cgroup namespace that unshare
        # creates is rooted there; unshare then forks the future PID 1 (sandbox-init.sh).
        SB_DIR=$SB_DIR SB_NAME=$SB_NAME SB_UDEV_DEB=$SB_UDEV_DEB SB_PATH=$SB_PATH \
                setsid bash -c 'echo $$ >"$1/cgroup.procs" && exec unshare --fork --pid --mount --propagation private \
                        --net --uts --ipc --cgroup -- bash "$2"' sh "$SB_CGROUP" "$SB_HERE/sandbox-init.sh" \
                </dev/null >"$SB_DIR/init.log" 2>&1 &
        local launcher=$! child=
        for i in $(seq 100); do
                child=$(cat "/proc/$launcher/task/$launcher/children" 2>/dev/null | awk '{print $1}')
                [ -n "$child" ] && break
                [ -d "/proc/$launcher" ] || break
                sleep 0.05
        done
        if [ -z "$child" ]; then
                sb_log "could not start: $(tail -n 5 "$SB_DIR/init.log")"
                return 1
        fi
        echo "$child $(cut -d' ' -f22 "/proc/$child/stat")" >"$SB_DIR/pid1"
        echo "$launcher $(cut -d' ' -f22 "/proc/$launcher/stat")" >"$SB_DIR/launcher"
        # The unshare process stays outside; it must not keep the sandbox's cgroup busy.
        echo "$launcher" >"$cg2/cgroup.procs" 2>/dev/null || true
        for i in $(seq $((${ARPD_SANDBOX_BOOT_TIMEOUT:-60} * 10))); do
                sb_pid1 >/dev/null || break
                case $(readlink "/proc/$child/exe" 2>/dev/null) in */systemd)
                        state=$(sb systemctl is-system-running 2>/dev/null) || true
                        case $state in running|degraded) break ;; esac ;;
                esac
                sleep 0.1
        done
        case $state in
        running|degraded)
                sb_log "$SB_NAME is $state after $((($(date +%s%N) - t0) / 1000000)) ms"
                [ "$state" = running ] || sb systemctl --failed --no-legend >&2 || true
                return 0 ;;
        esac
        sb_log "boot did not finish (state '${state:-none}'):"
        tail -n 20 "$SB_DIR/init.log" >&2
        sb journalctl -b --no-pager -p warning -n 30 >&2 2>/dev/null || true
        return 1
}

sb_stop() {
        local pid i pair
        [ -n "$SB_DIR" ] || return 0
        if pid=$(sb_pid1); then
                kill -s RTMIN+4 "$pid" 2>/dev/null || true # systemd: poweroff
                for i in $(seq 200); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
                # PID 1 of its namespace: killing it ends every process inside.
                kill -KILL "$pid" 2>/dev/null || true
                for i in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
        fi
        if [ -f "$SB_DIR/launcher" ]; then
                read -r -a pair <"$SB_DIR/launcher"
                for i in $(seq 50); do
                        [ "$(cut -d' ' -f22 "/proc/${pair[0]}/stat" 2>/dev/null)" = "${pair[1]}" ] || break
                        sleep 0.1
                done
        fi
        if [ -n "${SB_CGROUP:-}" ] && [ -d "$SB_CGROUP" ]; then
                for i in $(seq 30); do
                        find "$SB_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null || true
                        [ -d "$SB_CGROUP" ] || break
                        sleep 0.2
                done
                [ -d "$SB_CGROUP" ] && sb_log "warning: cgroup $SB_CGROUP is still busy"
        fi
        if findmnt -rn -o TARGET | grepq "^$SB_DIR"; then
                sb_log "warning: $SB_DIR still has mounts on the host; leaving it"
        else
                rm -rf --one-file-system "$SB_DIR"
                rmdir "$SB_BASE" 2>/dev/null || true
        fi
        SB_DIR=
}

# Installs the build's files where the generated unit expects them.
sb_install_arpd() {
        local exec_start helper
        exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$ARPD_UNIT")
        helper=$(sed -n 's/^ExecStartPre=+\([^ ]*\).*/\1/p' "$ARPD_UNIT")
        [ -n "$exec_start" ] && [ -n "$helper" ] || { sb_log "cannot read the paths in $ARPD_UNIT"; return 1; }
        # LeakSanitizer's exit-time check stops the process's threads with ptrace(), which the
        # unit's SystemCallFilter= refuses: in sanitizer builds only that check is turned off
        # (leaks are the integration tests' business); AddressSanitizer itself stays on.
        if ldd "$ARPD" 2>/dev/null | grepq libasan; then
                sb_log "AddressSanitizer build: detect_leaks=0 for arpd@.service"
                printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' >"$SB_DIR/asan.conf"
                sb_put "$SB_DIR/asan.conf" /etc/systemd/system/arpd@.service.d/sanitizer.conf || return 1
                sb_put "$SB_DIR/asan.conf" /etc/systemd/system/arpd.service.d/sanitizer.conf || return 1
        fi
        sb_put "$ARPD" "$exec_start" &&
                sb_put "$ARPD_SYSCTL" "$helper" &&
                { [ -z "${ARPCTL:-}" ] || sb_put "$ARPCTL" /usr/bin/arpctl; } &&
                sb_put "$ARPD_UNIT" /etc/systemd/system/arpd@.service &&
                { [ -z "${ARPD_ALL_UNIT:-}" ] || sb_put "$ARPD_ALL_UNIT" /etc/systemd/system/arpd.service; } &&
                sb_put "$ARPD_CATALOG" /usr/lib/systemd/catalog/arpd.catalog &&
                sb_put "$ARPD_SYSCTL_TEMPLATE" "$ARPD_SYSCTL_TEMPLATE_INSTALLED" &&
                sb_put "$ARPD_SYSUSERS" /usr/lib/sysusers.d/arpd.conf &&
                sb_put "$ARPD_TMPFILES" /usr/lib/tmpfiles.d/arpd.conf &&
                sb systemd-sysusers /usr/lib/sysusers.d/arpd.conf &&
                sb systemd-tmpfiles --create /usr/lib/tmpfiles.d/arpd.conf &&
                sb journalctl --update-catalog &&
                sb systemctl daemon-reload
}

# A veth pair inside the sandbox; waits until udev made its device unit.
sb_veth() {
        local a=$1 b=$2 unit
        sb ip link add "$a" type veth peer name "$b" || return 1
        sb udevadm settle --timeout=10 || return 1
        unit=$(sb systemd-escape --path --suffix=device "/sys/subsystem/net/devices/$a") || return 1
        for _ in $(seq 50); do
                [ "$(sb systemctl show -P ActiveState "$unit")" = active ] && return 0
                sleep 0.1
        done
        sb_log "$unit did not become active"
        return 1
}

# sb_wait_for SECONDS CMD...: polls CMD (on the host side) every 0.1 s.
sb_wait_for() {
        local n=$(($1 * 10)) i
        shift
        for i in $(seq "$n"); do
                "$@" && return 0
                sleep 0.1
        done
        return 1
}

SB_FAILS=0
check() { # check DESCRIPTION CMD...
        local what=$1
        shift
        if "$@"; then
                echo "ok: $what"
        else
                echo "FAIL: $what"
                SB_FAILS=$((SB_FAILS + 1))
        fi
}
sb_finish() {
        if [ "$SB_FAILS" -gt 0 ]; then
                echo "$SB_FAILS check(s) failed; the unit's journal:"
                sb journalctl --no-pager -n 60 -u 'arpd@*' 2>/dev/null || true
                exit 1
        fi
        exit 0
}
