# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# PID 1 of the sandbox (see sandbox.sh), still on the host's root but in its own namespaces:
# builds the new root in a private mount namespace, then becomes systemd. Inputs: SB_DIR,
# SB_NAME, SB_UDEV_DEB, SB_PATH.
set -eu

R=$SB_DIR/root

# Upper and work layers live in a tmpfs: nothing is ever written to the host's disk.
mount -t tmpfs -o mode=0755,size=1G "sb-$SB_NAME" "$SB_DIR/root"
mkdir "$R/upper" "$R/work" "$R/new"
mount -t overlay "sb-$SB_NAME" -o "lowerdir=/,upperdir=$R/upper,workdir=$R/work" "$R/new"
N=$R/new

ro_bind() { mount --bind "$1" "$1" && mount -o remount,bind,ro,nosuid,nodev,noexec "$1"; }

# /proc of the new PID namespace. Only /proc/sys/net (per network namespace) stays writable.
mount -t proc -o nosuid,nodev,noexec proc "$N/proc"
ro_bind "$N/proc/sys"
mount --bind "$N/proc/sys/net" "$N/proc/sys/net"
mount -o remount,bind,rw,nosuid,nodev,noexec "$N/proc/sys/net"
for f in sysrq-trigger kcore; do [ -e "$N/proc/$f" ] && ro_bind "$N/proc/$f"; done

# sysfs of the new network namespace. PID 1 only runs device units on a writable /sys, so the
# mount is writable but everything global below it is bound read-only; only the network devices
# (tagged with this namespace) stay writable for udev.
mount -t sysfs -o nosuid,nodev,noexec sysfs "$N/sys"
for d in block bus class dev devices firmware fs hypervisor kernel module power; do
        [ -d "$N/sys/$d" ] && ro_bind "$N/sys/$d"
done
mount --bind "$N/sys/devices/virtual/net" "$N/sys/devices/virtual/net"
mount -o remount,bind,rw,nosuid,nodev,noexec "$N/sys/devices/virtual/net"
# cgroup2 seen from our cgroup namespace: its root is the directory sandbox.sh created.
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$N/sys/fs/cgroup"

# A small /dev; the console is /dev/null (everything of interest goes to the journal).
mount -t tmpfs -o mode=0755,nosuid,size=2m "sb-dev" "$N/dev"
while read -r node mode major minor; do
        mknod -m "$mode" "$N/dev/$node" c "$major" "$minor"
done <<EOF
null 666 1 3
zero 666 1 5
full 666 1 7
random 666 1 8
urandom 666 1 9
tty 666 5 0
console 600 1 3
EOF
mkdir "$N/dev/pts" "$N/dev/shm" "$N/dev/mqueue" "$N/dev/net"
mknod -m 666 "$N/dev/net/tun" c 10 200
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$N/dev/pts"
ln -s pts/ptmx "$N/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$N/dev/shm"
mount -t mqueue -o nosuid,nodev,noexec mqueue "$N/dev/mqueue"
ln -s /proc/self/fd "$N/dev/fd"
for i in 0:stdin 1:stdout 2:stderr; do ln -s "/proc/self/fd/${i%%:*}" "$N/dev/${i#*:}"; done

# Fresh /run and /tmp: the host's are never seen (and never cleaned by this systemd).
mount -t tmpfs -o mode=0755,nosuid,nodev,size=128m "sb-run" "$N/run"
mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m "sb-tmp" "$N/tmp"

# The copy of /etc: identity, a volatile journal, none of the host's enabled services.
tr -d - </proc/sys/kernel/random/uuid >"$N/etc/machine-id"
echo "$SB_NAME" >"$N/etc/hostname"
find "$N/etc/systemd/system" -mindepth 2 -maxdepth 2 -path '*.wants/*' -type l -delete
for u in systemd-modules-load.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
        sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount \
        dev-hugepages.mount systemd-pstore.service systemd-timesyncd.service systemd-random-seed.service \
        kmod-static-nodes.service systemd-hwdb-update.service systemd-firstboot.service systemd-repart.service \
        getty.target console-getty.service apt-daily.timer apt-daily-upgrade.timer man-db.timer \
        fstrim.timer e2scrub_all.timer e2scrub_reap.service dpkg-db-backup.timer logrotate.timer; do
        ln -sf /dev/null "$N/etc/systemd/system/$u"
done
mkdir -p "$N/etc/systemd/journald.conf.d" "$N/etc/systemd/system/systemd-sysctl.service.d" \
        "$N/etc/systemd/system/systemd-udevd.service.d" "$N/etc/systemd/system/systemd-udev-trigger.service.d" \
        "$N/etc/udev/rules.d"
printf '[Journal]\nStorage=volatile\n' >"$N/etc/systemd/journald.conf.d/sandbox.conf"
# Both are conditioned on a writable /proc/sys resp. /sys; net.* and net devices are writable.
printf '[Unit]\nConditionPathIsReadWrite=\n' >"$N/etc/systemd/system/systemd-sysctl.service.d/sandbox.conf"
printf '[Unit]\nConditionPathIsReadWrite=\n' >"$N/etc/systemd/system/systemd-udevd.service.d/sandbox.conf"
# Replay only this namespace's network devices at boot.
printf '[Service]\nExecStart=\nExecStart=-udevadm trigger --type=devices --subsystem-match=net --action=add\n' \
        >"$N/etc/systemd/system/systemd-udev-trigger.service.d/sandbox.conf"
ln -sf /dev/null "$N/etc/udev/rules.d/85-hwclock.rules"
dpkg-deb --fsys-tarfile "$SB_UDEV_DEB" | tar -x --keep-directory-symlink -C "$N"
# PID 1 decides once, early, whether udev exists (devtmpfs /dev or /run/udev/control); without
# it no device unit would ever appear. udev's socket unit replaces this file with its socket.
mkdir -p "$N/run/udev"
: >"$N/run/udev/control"

cd "$N"
pivot_root . .
umount -l .
cd /
# Capabilities that act on the whole machine whatever the namespace are dropped for good.
exec env -i container=arpd-test PATH="$SB_PATH" \
        setpriv --bounding-set -sys_module,-sys_time,-sys_rawio,-wake_alarm,-block_suspend,-sys_pacct,-syslog,-mac_admin,-mac_override \
        -- /lib/systemd/systemd --system --unit=multi-user.target
