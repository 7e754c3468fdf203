# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The guest's accelerator: KVM when the host can run the guest's arch with
# nested virtualization, else QEMU's TCG.  Sourced by run_tests.sh.
#
# RIG_HOST_ROOT (default empty) prefixes every host path read here, and
# RIG_HOST_ARCH replaces `uname -m`: the unit tests describe a host with
# them.

# host_arch: the host's arch in the rig's names (x86_64, arm64).
host_arch()
{
	local m=${RIG_HOST_ARCH:-$(uname -m)}

	case $m in
	aarch64|arm64) echo arm64 ;;
	*) echo "$m" ;;
	esac
}

# host_cpu_flags: the host CPU's feature flags, one line.
host_cpu_flags()
{
	grep -m1 -E '^(flags|Features)[[:space:]]*:' "${RIG_HOST_ROOT:-}/proc/cpuinfo" 2>/dev/null |
		sed 's/^[^:]*:[[:space:]]*//'
}

# kvm_unusable ARCH: why an ARCH guest cannot run under this host's KVM
# with nested virtualization (the tests run KVM in the guest); nothing
# when it can.
kvm_unusable()
{
	local arch=$1 root=${RIG_HOST_ROOT:-} host mod nested

	host=$(host_arch)
	if [[ "$host" != "$arch" ]]; then
		echo "the host is $host, the guest $arch"
		return
	fi
	if [[ ! -e "$root/dev/kvm" ]]; then
		echo "/dev/kvm is absent (no KVM module loaded, or no virtualization)"
		return
	fi
	if [[ ! -r "$root/dev/kvm" || ! -w "$root/dev/kvm" ]]; then
		echo "/dev/kvm is not readable and writable by $(id -un 2>/dev/null || echo this user) (join the kvm group)"
		return
	fi
	case $arch in
	x86_64)
		for mod in kvm_intel kvm_amd; do
			[[ -r "$root/sys/module/$mod/parameters/nested" ]] || continue
			nested=$(< "$root/sys/module/$mod/parameters/nested")
			[[ "$nested" == [Yy1] ]] && return
			echo "$mod.nested is '$nested': the guest could not run KVM guests of its own (load $mod with nested=1)"
			return
		done
		echo "neither kvm_intel nor kvm_amd is loaded"
		;;
	arm64)
		# arm64 hosts nest only when booted with kvm-arm.mode=nested.
		grep -qw 'kvm-arm.mode=nested' "$root/proc/cmdline" 2>/dev/null && return
		echo "the host kernel was not booted with kvm-arm.mode=nested: its guests get no EL2"
		;;
	*)
		echo "no KVM guest setup for $arch"
		;;
	esac
}

# accel_for ARCH REQUEST: the accelerator (kvm or tcg) for ARCH's guest
# given --accel REQUEST (auto, kvm or tcg); says why on stderr.  With kvm
# requested and unusable, the rig cannot run as asked (EXIT_RIG).
accel_for()
{
	local arch=$1 request=$2 why

	case $request in
	tcg)
		info "$arch: accelerator tcg (--accel tcg)"
		echo tcg
		;;
	kvm|auto)
		why=$(kvm_unusable "$arch")
		if [[ -z "$why" ]]; then
			info "$arch: accelerator kvm (/dev/kvm, nested virtualization)"
			echo kvm
		elif [[ "$request" == kvm ]]; then
			die "$EXIT_RIG" "--accel kvm: $arch guests cannot use KVM here: $why"
		else
			info "$arch: accelerator tcg (KVM unusable: $why)"
			echo tcg
		fi
		;;
	*)
		die "$EXIT_USAGE" "accelerator must be auto, kvm or tcg, not '$request'"
		;;
	esac
}

# machine_features ARCH ACCEL: what the guest machine provides to the tests
# (comma-separated): accel:ACCEL, the accelerator it runs under, and on x86
# the CPU features cpu:FLAG.  A test that needs one of them optionally
# ('?cpu:svm', '?accel:kvm') fails, not skips, when its guest lacks it.
# x86 under TCG is `-cpu max`, which has SVM and never VMX; under KVM the
# guest has the host's CPU (`-cpu host`).
machine_features()
{
	local arch=$1 accel=$2 flag
	local -a out=("accel:$accel")

	if [[ "$arch" == x86_64 && "$accel" == tcg ]]; then
		out+=("cpu:svm")
	elif [[ "$arch" == x86_64 ]]; then
		for flag in $(host_cpu_flags); do
			[[ "$flag" == vmx || "$flag" == svm ]] && out+=("cpu:$flag")
		done
	fi
	local IFS=,
	echo "${out[*]}"
}
