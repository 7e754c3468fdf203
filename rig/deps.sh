# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # the package lists are used by run_tests.sh and rig/check.sh
#
# Host dependencies: the Debian packages the rig needs, installed on demand
# (as root or through passwordless sudo), and the arm64 busybox for the
# arm64 guest.  Sourced by run_tests.sh.

# Debian package for each, pinned where the result depends on the version.
readonly RIG_PACKAGES=(
	qemu-system-x86 qemu-system-arm
	"linux-source-6.12=6.12.117-1~deb12u1"
	gcc make libc6-dev
	busybox-static flex bison bc libelf-dev libssl-dev cpio kmod rsync
	dwarves ccache git patch python3 xz-utils gzip bc
)
# The cross toolchain for the other arch.
if [[ "$(uname -m)" == aarch64 ]]; then
	readonly CROSS_PACKAGES=(gcc-x86-64-linux-gnu libc6-dev-amd64-cross)
	readonly FOREIGN_ARCH=amd64 FOREIGN_GUEST=x86_64
else
	readonly CROSS_PACKAGES=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
	readonly FOREIGN_ARCH=arm64 FOREIGN_GUEST=arm64
fi
# What the unit tests of `make check` need: pytest, shellcheck, and the
# tools of the rig's functions they run (source.sh: rsync, git, patch; the
# parsers' test driver: gcc; guest-init's functions: busybox; the workflow
# lint: yamllint, PyYAML; it installs nodejs and npm itself, when missing;
# the check of tests.upstream.list against the pinned source: its tarball).
readonly CHECK_PACKAGES=(python3 python3-pytest python3-yaml yamllint shellcheck rsync git patch gcc make
	libc6-dev busybox-static "linux-source-6.12=6.12.117-1~deb12u1")

# packages_missing PKG...: print the packages (pins kept) not installed.
packages_missing()
{
	local spec name want have

	for spec in "$@"; do
		name=${spec%%=*}
		want=''
		[[ "$spec" == *=* ]] && want=${spec#*=}
		have=$(dpkg-query -W -f='${db:Status-Abbrev}|${Version}' "$name" 2>/dev/null) || have=''
		if [[ "$have" != ii* ]] || [[ -n "$want" && "${have#*|}" != "$want" ]]; then
			printf '%s\n' "$spec"
		fi
	done
}

as_root()
{
	if ((EUID == 0)); then
		"$@"
	elif sudo -n true 2> /dev/null; then
		sudo "$@"
	else
		return 1
	fi
}

# deps_install PKG...: install the missing ones among PKG, saying which.
deps_install()
{
	local -a missing

	mapfile -t missing < <(packages_missing "$@" | awk '!seen[$0]++')
	((${#missing[@]} == 0)) && return 0
	info "installing Debian packages: ${missing[*]}"
	as_root true ||
		die "$EXIT_RIG" "need root or passwordless sudo to install: ${missing[*]}"
	if [[ ! -f "$RIG_CACHE/.apt-updated" ]] || ! as_root apt-get install -y -q --no-install-recommends "${missing[@]}" > "$RIG_CACHE/apt.log" 2>&1; then
		as_root apt-get update -q > "$RIG_CACHE/apt.log" 2>&1 ||
			die "$EXIT_RIG" "apt-get update failed; see $RIG_CACHE/apt.log"
		touch "$RIG_CACHE/.apt-updated"
		DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >> "$RIG_CACHE/apt.log" 2>&1 ||
			die "$EXIT_RIG" "apt-get install ${missing[*]} failed; see $RIG_CACHE/apt.log"
	fi
	mapfile -t missing < <(packages_missing "$@" | awk '!seen[$0]++')
	((${#missing[@]} == 0)) || die "$EXIT_RIG" "still missing after install: ${missing[*]}"
}

# busybox_path ARCH: a static busybox for ARCH's guest: the host's own for
# the host's arch; for the other one Debian's busybox-static of that arch,
# unpacked into the cache, not installed.
busybox_path()
{
	local arch=$1 dir="$RIG_CACHE/busybox/$FOREIGN_ARCH" tmp

	if [[ "$arch" != "$FOREIGN_GUEST" ]]; then
		echo /bin/busybox
		return
	fi
	if [[ ! -x "$dir/bin/busybox" ]]; then
		if ! dpkg --print-foreign-architectures | grep -qx "$FOREIGN_ARCH"; then
			info "adding $FOREIGN_ARCH as a dpkg foreign architecture (to fetch busybox-static:$FOREIGN_ARCH)"
			as_root dpkg --add-architecture "$FOREIGN_ARCH" >&2 ||
				die "$EXIT_RIG" "cannot add $FOREIGN_ARCH to dpkg"
			as_root apt-get update -q > "$RIG_CACHE/apt.log" 2>&1 ||
				die "$EXIT_RIG" "apt-get update failed; see $RIG_CACHE/apt.log"
		fi
		info "downloading busybox-static:$FOREIGN_ARCH into $dir"
		tmp=$(mktemp -d) || die "$EXIT_RIG" "cannot create a temporary directory"
		chmod 777 "$tmp"
		(cd "$tmp" && apt-get download -q "busybox-static:$FOREIGN_ARCH" > "$RIG_CACHE/apt.log" 2>&1) ||
			die "$EXIT_RIG" "cannot download busybox-static:$FOREIGN_ARCH; see $RIG_CACHE/apt.log"
		mkdir -p "$dir"
		dpkg-deb -x "$tmp"/busybox-static_*_"$FOREIGN_ARCH".deb "$dir" >&2 ||
			die "$EXIT_RIG" "cannot unpack busybox-static:$FOREIGN_ARCH"
		rm -rf "$tmp"
	fi
	echo "$dir/bin/busybox"
}
