#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package as an operator meets it: built from this tree with dpkg-buildpackage (its
# unit, fuzz and docs suites run on the way), clean for lintian (no error, no warning), then
# installed with apt into a throwaway systemd (sandbox.sh: everything happens in the overlay,
# never on this machine's root). There it enables nothing by itself; "systemctl enable --now
# arpd@veth0" makes the only possible resolver of the interface answer a kernel miss; an
# upgrade (the same package repacked as a newer version) restarts the running instance and
# keeps the store; "apt purge" stops it, gives the interface its sysctls and iproute2 its
# classic arpd back, and leaves nothing: no file, no store, no enablement link, no catalog entry.
#
# Environment (meson): SOURCE_ROOT, BUILD_ROOT and sandbox.sh's. The package is built under
# $BUILD_ROOT/test/debian-package/ (kept for inspection, replaced on the next run).
set -uo pipefail
source "$(dirname "$0")/sandbox.sh"
sb_require
for t in dpkg-buildpackage dpkg-checkbuilddeps dpkg-parsechangelog dh; do
        command -v "$t" >/dev/null || sb_skip "$t is missing (dpkg-dev, debhelper; tools/install-deps installs them)"
done
command -v arping >/dev/null || sb_skip "arping is not installed (iputils-arping)"
src=${SOURCE_ROOT:?SOURCE_ROOT unset (run through meson test)}
[ -f "$src/debian/control" ] || sb_skip "no debian/ in $src"
# The binary package's name (not arpd: iproute2 conflicts with that name).
pkg=$(sed -n 's/^Package: *//p' "$src/debian/control" | head -n 1)
# Inside the sandbox this machine's packages are the starting point: with the package already
# installed here, "install" would be an upgrade and "nothing left" would not hold.
if dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grepq 'ok installed'; then
        sb_skip "the package $pkg is installed on this machine; the test needs a machine without it"
fi
if ! missing=$(cd "$src" && dpkg-checkbuilddeps 2>&1); then
        sb_skip "build dependencies missing: ${missing#*: }"
fi

# -- Build from a copy of the tree: dpkg-buildpackage writes its results next to the source.
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
work=${BUILD_ROOT:?}/test/debian-package
rm -rf "$work"
mkdir -p "$work/arpd-$ver"
if git -C "$src" rev-parse --show-toplevel >/dev/null 2>&1; then
        # Tracked and new files as they are in the work tree (not those deleted there).
        (cd "$src" && git ls-files -z --cached --others --exclude-standard |
                xargs -0 sh -c 'for f; do if [ -e "$f" ] || [ -L "$f" ]; then printf "%s\0" "$f"; fi; done' sh |
                xargs -0 cp --parents -t "$work/arpd-$ver") || exit 1
else
        tar -C "$src" --exclude-vcs --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$work/arpd-$ver" -xf - || exit 1
fi
t0=$(date +%s)
# As the README says, whatever this shell's DEB_BUILD_OPTIONS (nocheck would skip the tests).
if ! (cd "$work/arpd-$ver" && env -u DEB_BUILD_OPTIONS -u DEB_BUILD_PROFILES -u MAKEFLAGS -u MFLAGS \
        dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
        tail -n 40 "$work/build.log"
        echo "FAIL: dpkg-buildpackage -us -uc -b (log: $work/build.log)"
        exit 1
fi
deb=$(ls "$work"/"${pkg}_${ver}"_*.deb)
changes=$(ls "$work"/arpd_"${ver}"_*.changes) # named after the source
echo "ok: dpkg-buildpackage -us -uc -b in $(($(date +%s) - t0)) s: $(basename "$deb")"
check "dpkg-buildpackage ran the unit, fuzz and docs suites" \
        grep -Eq '^Ok: +[1-9][0-9]* *$' "$work/build.log"
check "no test failed in the package build" grep -Eq '^Fail: +0 *$' "$work/build.log"

if command -v lintian >/dev/null; then
        lint=$(lintian --info "$changes" 2>&1 | grep -v '^running with root privileges')
        echo "lintian --info $(basename "$changes"):${lint:+$'\n'}$lint"
        clean() { ! grep -Eq '^[EW]: ' <<<"$lint"; }
        check "lintian: no errors, no warnings" clean
else
        echo "note: lintian is not installed; the package was not checked with it"
fi

# -- Install into the sandbox.
sb_start || sb_skip "the systemd sandbox did not boot (see above)"
# A container image's policy-rc.d (exit 101: no service actions from maintainer scripts) would
# come along from this machine's root; the sandbox is a booted system and must act like one.
sb rm -f /usr/sbin/policy-rc.d
sb_put "$deb" "/tmp/$(basename "$deb")"
sb touch /tmp/before-install
apt_get() { sb env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 "$@" 2>&1; }
since() { echo "$((($(date +%s%N) - $1) / 1000000)) ms"; }

echo "--- apt-get install ./$(basename "$deb")"
t0=$(date +%s%N)
out=$(apt_get install "/tmp/$(basename "$deb")")
rc=$?
echo "$out"
check "apt-get install succeeds ($(since "$t0"))" test "$rc" = 0
check "$pkg is installed" test "$(sb dpkg-query -W -f '${Status}' "$pkg")" = "install ok installed"
check "iproute2 is still installed" test "$(sb dpkg-query -W -f '${Status}' iproute2)" = "install ok installed"
files=$(sb dpkg-query -L "$pkg")
for f in /usr/sbin/arpd /usr/bin/arpctl /usr/libexec/arpd-sysctl /lib/systemd/system/arpd@.service \
        /usr/lib/systemd/catalog/arpd.catalog /usr/share/bash-completion/completions/arpctl \
        /usr/share/man/man8/arpd.8.gz /usr/share/man/man8/arpctl.8.gz /usr/share/man/man8/arpd@.service.8.gz \
        /usr/share/man/man8/arpd-sysctl.8.gz; do
        check "installs $f" sb test -e "$f" -a -n "$(grep -x "$f" <<<"$files")"
done
check "the unit runs the installed binaries" \
        sb sh -c 'grep -qx "ExecStart=/usr/sbin/arpd \$ARPD_OPTIONS %I" /lib/systemd/system/arpd@.service &&
                  grep -qx "ExecStartPre=+/usr/libexec/arpd-sysctl save %I" /lib/systemd/system/arpd@.service'
# This machine's own files (the sandbox's lower layer, as before the install).
sum() { sha256sum "$@" | awk '{print $1}'; }
sbsum() { sb sha256sum "$@" | awk '{print $1}'; }
classic=$(sum /usr/sbin/arpd)
classic_man=$(sum /usr/share/man/man8/arpd.8.gz)
check "iproute2's arpd is diverted to /usr/sbin/arpd.iproute2" \
        test "$(sb dpkg-divert --truename /usr/sbin/arpd)/$(sbsum /usr/sbin/arpd.iproute2)" = "/usr/sbin/arpd.iproute2/$classic"
check "and arpd(8) to arpd.iproute2(8)" test "$(sbsum /usr/share/man/man8/arpd.iproute2.8.gz)" = "$classic_man"
check "/usr/sbin/arpd is this package's ($(sb /usr/sbin/arpd --version 2>&1))" \
        test "$(sb /usr/sbin/arpd --version 2>&1)" = "arpd $ver"
# (grep -q on the output, not in a pipe: with pipefail an early grep exit fails the writer.)
catalog_has_arpd() { grep -q '^a7802afdb92e4c38b7d0575f6781ab8f ' <<<"$(sb journalctl --list-catalog)"; }
check "the journal catalog knows arpd's entries (systemd's dpkg trigger)" catalog_has_arpd
check "the unit is known to systemd" test "$(sb systemctl show -P LoadState arpd@veth0)" = loaded
check "no instance was enabled" sb sh -c '! find /etc/systemd/system -name "arpd@*" | grep -q .'
check "no instance was started" test -z "$(sb systemctl list-units --no-legend 'arpd@*')"

# -- An instance as the README says: the only resolver of veth0.
sb_veth veth0 veth1 || exit 1
sb ip netns add peer
sb ip link set veth1 netns peer
sb ip addr add 198.18.5.1/24 dev veth0
sb ip link set veth0 up
sb ip -n peer addr add 198.18.5.2/24 dev veth1
sb ip -n peer link set veth1 up
sb ip -n peer link set lo up
sb sysctl -q -w net.ipv4.neigh.veth0.ucast_solicit=0
sb sh -c 'mkdir -p /etc/arpd && echo "ARPD_OPTIONS=-a 1 -k" >/etc/arpd/veth0.conf'
solicit() { sb cat /proc/sys/net/ipv4/neigh/veth0/app_solicit /proc/sys/net/ipv4/neigh/veth0/mcast_solicit | paste -sd/; }
solicit0=$(solicit)
check "systemctl enable --now arpd@veth0" sb systemctl enable --now arpd@veth0
check "active/running" test "$(sb systemctl show -P ActiveState arpd@veth0)/$(sb systemctl show -P SubState arpd@veth0)" = active/running
check "app_solicit=1, mcast_solicit=0: the kernel cannot resolve by itself ($(solicit))" test "$(solicit)" = 1/0
sniffing() { grep -q "Sniffing started" <<<"$(sb journalctl -u arpd@veth0 --no-pager -o cat)"; }
check "arpd opened its packet sockets" sb_wait_for 5 sniffing
sb ip netns exec peer arping -q -U -c 1 -I veth1 198.18.5.2
knows() { grep -q "$2" <<<"$(sb arpctl show "$1" 2>/dev/null)"; }
check "arpctl shows the peer's announcement" sb_wait_for 5 knows 198.18.5.2 veth0
check "the kernel has no entry for the peer yet" test -z "$(sb ip neigh show 198.18.5.2 dev veth0)"
check "ping reaches the peer (arpd answered the kernel's miss)" sb ping -n -q -c 1 -W 3 198.18.5.2
peer_mac=$(sb ip -n peer -br link show veth1 | awk '{print $3}')
check "the kernel's entry holds the peer's MAC $peer_mac" grep -q "lladdr $peer_mac" <<<"$(sb ip neigh show 198.18.5.2 dev veth0)"
check "arpctl add a static entry" sb arpctl add veth0 198.18.5.9 02:00:00:00:00:09
check "the store is in the state directory /var/lib/arpd" sb test -f /var/lib/arpd/arpd.lmdb

# -- Upgrade: the same package as a newer version (only its control file's Version differs), so
# dpkg runs prerm/preinst "upgrade" and postinst "configure $ver" as for a real release.
up_ver=$ver+upgradetest1
rm -rf "$work/upgrade" && mkdir -p "$work/upgrade" &&
        dpkg-deb -R "$deb" "$work/upgrade/pkg" &&
        sed -i "s/^Version: .*/Version: $up_ver/" "$work/upgrade/pkg/DEBIAN/control" &&
        dpkg-deb -Zxz -b "$work/upgrade/pkg" "$work/upgrade/${pkg}_${up_ver}_up.deb" >/dev/null || exit 1
sb_put "$work/upgrade/${pkg}_${up_ver}_up.deb" "/tmp/${pkg}_${up_ver}_up.deb"
pid0=$(sb systemctl show -P MainPID arpd@veth0)
inv0=$(sb systemctl show -P InvocationID arpd@veth0)
echo "--- apt-get install ./${pkg}_${up_ver}_up.deb"
t0=$(date +%s%N)
out=$(apt_get install "/tmp/${pkg}_${up_ver}_up.deb")
rc=$?
echo "$out"
check "upgrade $ver -> $up_ver succeeds ($(since "$t0"))" test "$rc" = 0
check "$up_ver is installed" test "$(sb dpkg-query -W -f '${Status} ${Version}' "$pkg")" = "install ok installed $up_ver"
inv1=$(sb systemctl show -P InvocationID arpd@veth0)
check "the running instance was restarted (MainPID $pid0 -> $(sb systemctl show -P MainPID arpd@veth0))" \
        test -n "$inv1" -a "$inv1" != "$inv0"
check "and is active again" test "$(sb systemctl show -P ActiveState arpd@veth0)" = active
check "still enabled" test "$(sb systemctl is-enabled arpd@veth0)" = enabled
check "the store kept the static entry" sb_wait_for 5 knows 198.18.5.9 02:00:00:00:00:09
sb ip neigh flush dev veth0
check "after the upgrade a miss is answered from the kept store" sb ping -n -q -c 1 -W 3 198.18.5.2

# -- Purge.
echo "--- apt-get purge $pkg"
t0=$(date +%s%N)
out=$(apt_get purge "$pkg")
rc=$?
echo "$out"
check "apt-get purge succeeds ($(since "$t0"))" test "$rc" = 0
check "$pkg is gone from dpkg's database ($(sb dpkg-query -W -f '${Status}' "$pkg" 2>&1))" \
        sb sh -c '! dpkg-query -W -f "\${Status}" "$1" 2>/dev/null | grep -q installed' sh "$pkg"
check "the instance was stopped (ActiveState $(sb systemctl show -P ActiveState arpd@veth0))" \
        test "$(sb systemctl show -P ActiveState arpd@veth0)" != active
check "veth0's app_solicit/mcast_solicit are back to $solicit0 ($(solicit))" test "$(solicit)" = "$solicit0"
left=
for f in $files; do
        sb test -d "$f" && continue
        [ "$f" = /usr/sbin/arpd ] || [ "$f" = /usr/share/man/man8/arpd.8.gz ] || { sb test -e "$f" -o -L "$f" && left="$left $f"; }
done
check "no file of the package is left${left:+:$left}" test -z "$left"
check "iproute2's arpd and arpd(8) are back" \
        test "$(sbsum /usr/sbin/arpd)/$(sbsum /usr/share/man/man8/arpd.8.gz)" = "$classic/$classic_man"
check "no diversion is left" sb sh -c '! test -e /usr/sbin/arpd.iproute2 -o -e /usr/share/man/man8/arpd.iproute2.8.gz &&
                                       ! dpkg-divert --list | grep -q "by $1\$"' sh "$pkg"
check "the state directory is gone (/var/lib/arpd, /var/lib/private/arpd)" \
        sb sh -c '! test -e /var/lib/arpd -o -L /var/lib/arpd -o -e /var/lib/private/arpd'
check "/etc/arpd is gone" sb test ! -e /etc/arpd
check "no enablement link is left" sb sh -c '! find /etc/systemd/system -name "arpd@*" | grep -q .'
check "systemd no longer finds the unit" test "$(sb systemctl show -P LoadState arpd@veth0)" = not-found
catalog_lacks_arpd() { ! catalog_has_arpd; }
check "the journal catalog no longer has arpd's entries" catalog_lacks_arpd
# Anything created since the install that this machine does not have either, apart from dpkg's,
# apt's and the caches' own bookkeeping, was left behind by the package. The sandbox's lower layer
# is this machine's /, so a file another process creates and deletes here meanwhile (a fuzzer's
# working corpus, a build) shows in the sandbox's find and is gone by the time it is looked up
# here: a path counts only if the sandbox still has it once this machine is seen not to.
new=$(sb find / -xdev -cnewer /tmp/before-install 2>/dev/null |
        grep -Ev '^/(var/lib/dpkg|var/lib/apt|var/cache/(apt|debconf|man|ldconfig)|var/log|var/lib/systemd/catalog|var/lib/PackageKit)(/|$)' |
        while read -r p; do
                [ -e "$p" ] || [ -L "$p" ] || { sb test -e "$p" -o -L "$p" </dev/null && echo "$p"; }
        done)
check "nothing new on the filesystem since the install${new:+: $(echo $new)}" test -z "$new"
sb_finish
