#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, boot and test kernels with the "mm/kvm: Improve parallelism for
# access bit harvesting" series: take a kernel source (by default Debian's
# pinned linux-source-6.12), apply patches/, build x86_64 and arm64 kernels
# from configs/ and the KVM selftests (in-tree ones and ours in selftests/),
# boot each kernel under QEMU with nested KVM, run the tests of tests.list in
# the guest, and report per test, per arch and overall.
#
# Exit status (for `git bisect run`): 0 all selected tests passed or skipped
# with a reason; 1 a test failed or timed out, or the kernel warned or
# crashed; 125 the tree cannot be tested (patch does not apply, config option
# dropped, build failure); 128 the rig is broken (missing tool, QEMU failed);
# 129 bad usage.

set -u
set -o pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly REPO_DIR
readonly RIG_CACHE="${RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-age-rig}"
TEST_LIST="${RIG_TEST_LIST:-$REPO_DIR/tests.list}"
readonly ALL_ARCHES=(x86_64 arm64)
# The guest reboots (QEMU exits) on a panic, and panics on a soft lockup, a
# hung task or a flood of warnings, so that a hung or flooding kernel ends
# its boot with a report instead of waiting for the host's watchdog.
readonly BASE_APPEND="panic=-1 loglevel=7 transparent_hugepage=madvise softlockup_panic=1 \
hung_task_panic=1 sysctl.kernel.warn_limit=100"

# shellcheck source=rig/common.sh
source "$REPO_DIR/rig/common.sh"
# shellcheck source=rig/deps.sh
source "$REPO_DIR/rig/deps.sh"
# shellcheck source=rig/kconfig.sh
source "$REPO_DIR/rig/kconfig.sh"
# shellcheck source=rig/source.sh
source "$REPO_DIR/rig/source.sh"
# shellcheck source=rig/build.sh
source "$REPO_DIR/rig/build.sh"
# shellcheck source=rig/guest.sh
source "$REPO_DIR/rig/guest.sh"
# shellcheck source=rig/accel.sh
source "$REPO_DIR/rig/accel.sh"
# shellcheck source=rig/testlist.sh
source "$REPO_DIR/rig/testlist.sh"

# Options (see usage()).
OPT_ARCH=all
OPT_TESTS='*'
OPT_REPEAT=1
OPT_TIMEOUT=''
OPT_SHELL=0
OPT_LIST=0
OPT_BASELINE=0
OPT_DEBUG=0
OPT_APPLY=''
OPT_KSRC=''
OPT_OUTPUT="$REPO_DIR/output"
OPT_INSTALL=1
OPT_BUILD_ONLY=0
OPT_CONFIGS=()
OPT_SUITE=''
OPT_COMPARE=0
OPT_SHARD=''
OPT_ACCEL=auto
OPT_KSELFTEST=0

# Run state.
KERNEL_TREE=''
QEMU_PID=''
MONITOR_PID=''
RUN_DIR=''
BUILD_NOTE=''
# The accelerator of each arch's guest (kvm or tcg), from --accel.
declare -A GUEST_ACCEL=()

usage()
{
	cat <<EOF
Usage: ${0##*/} [OPTION]...

Build the patched kernels for x86_64 and arm64, boot them under QEMU with
nested KVM and run the KVM selftests of tests.list inside.

Options:
  --arch ARCH          x86_64, arm64 or all (default: all)
  --tests GLOB         run the tests whose name matches GLOB; may hold
                       several globs separated by commas (default: '*')
  --repeat N           run every selected test N times (default: 1)
  --timeout S          per-test timeout in seconds, overriding tests.list
  --kernel-src DIR     use the kernel tree DIR as is (default: Debian's
                       linux-source-6.12 $DEBIAN_SRC_VERSION, extracted
                       into the cache and kept pristine)
  --apply-patches      with --kernel-src: apply patches/ to it as well (in
                       a throwaway git tree; DIR is not modified)
  --baseline           test the unpatched kernel (default source only)
  --debug              add configs/debug.config (lockdep, DEBUG_VM)
  --suite NAME         the test list: ours (tests.list, the default),
                       upstream (tests.upstream.list: every KVM selftest of
                       the tree, and mm's notifier users) or stress
                       (stress.list)
  --compare            run the selected tests on the baseline and on the
                       series and compare them per test and per case; exit 1
                       on a regression (default source, or --kernel-src DIR
                       --apply-patches: DIR as is vs DIR with patches/)
  --shard I/N          run only the I-th of N shares of the selected tests
  --kselftest          build the KVM selftests with the kernel's kselftest
                       install and run each selected test in the guest
                       through its run_kselftest.sh -t kvm:TEST
  --accel ACCEL        auto, kvm or tcg (default: auto: KVM when /dev/kvm
                       is usable for the guest's arch and the host nests
                       virtualization, else TCG)
  --config FILE        add a config fragment (repeatable)
  --output DIR         put the run's results in a new timestamped directory
                       under DIR (default: $REPO_DIR/output)
  --build-only         build kernels and selftests, do not boot
  --shell              boot the guest with a shell instead of the tests
                       (needs a single --arch)
  --list               list the tests that would run and exit
  --no-install         do not install missing Debian packages; fail instead
  --install-deps       install the Debian packages the rig needs and exit
  -h, --help           show this help and exit

Environment: RIG_CACHE (default: \${XDG_CACHE_HOME:-~/.cache}/kvm-age-rig)
holds sources, trees and builds; currently $RIG_CACHE.

Exit status: 0 all passed or skipped with a reason, 1 a test failed or the
kernel warned/crashed, 125 tree cannot be tested, 128 rig broken, 129 usage.

Tests (from tests.list):
$(testlist_table "$TEST_LIST" 2>/dev/null | sed 's/^/  /')
EOF
}

usage_error()
{
	printf '%s: %s\nTry '\''%s --help'\''.\n' "${0##*/}" "$*" "${0##*/}" >&2
	exit "$EXIT_USAGE"
}

# need_arg OPTION ARGC: OPTION requires an argument.
need_arg()
{
	(($2 >= 2)) || usage_error "option $1 requires an argument"
}

parse_options()
{
	while (($#)); do
		case $1 in
		--arch)
			need_arg "$1" $#
			case $2 in
			x86_64|arm64|all) OPT_ARCH=$2 ;;
			*) usage_error "--arch must be x86_64, arm64 or all, not '$2'" ;;
			esac
			shift
			;;
		--tests) need_arg "$1" $#; OPT_TESTS=$2; shift ;;
		--repeat)
			need_arg "$1" $#
			[[ "$2" =~ ^[1-9][0-9]*$ ]] || usage_error "--repeat needs a positive integer, not '$2'"
			OPT_REPEAT=$2
			shift
			;;
		--timeout)
			need_arg "$1" $#
			[[ "$2" =~ ^[1-9][0-9]*$ ]] || usage_error "--timeout needs a positive number of seconds, not '$2'"
			OPT_TIMEOUT=$2
			shift
			;;
		--kernel-src)
			need_arg "$1" $#
			[[ -f "$2/Makefile" && -d "$2/mm" && -d "$2/virt/kvm" ]] ||
				usage_error "--kernel-src '$2' is not a kernel source tree"
			OPT_KSRC=$(cd "$2" && pwd)
			shift
			;;
		--apply-patches) OPT_APPLY=1 ;;
		--baseline) OPT_BASELINE=1 ;;
		--debug) OPT_DEBUG=1 ;;
		--suite)
			need_arg "$1" $#
			case $2 in
			ours) TEST_LIST=$REPO_DIR/tests.list ;;
			upstream) TEST_LIST=$REPO_DIR/tests.upstream.list ;;
			stress) TEST_LIST=$REPO_DIR/stress.list ;;
			*) usage_error "--suite must be ours, upstream or stress, not '$2'" ;;
			esac
			[[ -z "$OPT_SUITE" || "$OPT_SUITE" == "$2" ]] ||
				usage_error "--suite given twice ('$OPT_SUITE', '$2')"
			OPT_SUITE=$2
			shift
			;;
		--compare) OPT_COMPARE=1 ;;
		--shard)
			need_arg "$1" $#
			if ! [[ "$2" =~ ^([1-9][0-9]*)/([1-9][0-9]*)$ ]] ||
				((BASH_REMATCH[1] > BASH_REMATCH[2])); then
				usage_error "--shard needs I/N with 1 <= I <= N, not '$2'"
			fi
			OPT_SHARD=$2
			shift
			;;
		--config)
			need_arg "$1" $#
			[[ -f "$2" && -r "$2" ]] || usage_error "--config '$2' is not a readable file"
			grep -qE '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$2" ||
				usage_error "--config '$2' holds no CONFIG_ option"
			OPT_CONFIGS+=("$(cd "$(dirname "$2")" && pwd)/${2##*/}")
			shift
			;;
		--accel)
			need_arg "$1" $#
			case $2 in
			auto|kvm|tcg) OPT_ACCEL=$2 ;;
			*) usage_error "--accel must be auto, kvm or tcg, not '$2'" ;;
			esac
			shift
			;;
		--kselftest) OPT_KSELFTEST=1 ;;
		--output) need_arg "$1" $#; OPT_OUTPUT=$2; shift ;;
		--build-only) OPT_BUILD_ONLY=1 ;;
		--shell) OPT_SHELL=1 ;;
		--list) OPT_LIST=1 ;;
		--no-install) OPT_INSTALL=0 ;;
		--install-deps) OPT_INSTALL=2 ;;
		-h|--help) usage; exit 0 ;;
		*) usage_error "unknown option '$1'" ;;
		esac
		shift
	done
	if [[ -n "$OPT_APPLY" && -z "$OPT_KSRC" ]]; then
		usage_error "--apply-patches needs --kernel-src (the default source is always patched)"
	fi
	if ((OPT_BASELINE)) && [[ -n "$OPT_KSRC" ]]; then
		usage_error "--baseline is for the default source; use --kernel-src without --apply-patches"
	fi
	if ((OPT_COMPARE)); then
		((OPT_BASELINE)) && usage_error "--compare runs the baseline itself; drop --baseline"
		if [[ -n "$OPT_KSRC" && -z "$OPT_APPLY" ]]; then
			usage_error "--compare with --kernel-src needs --apply-patches (DIR is the baseline, DIR with patches/ the series)"
		fi
		((OPT_SHELL || OPT_BUILD_ONLY)) && usage_error "--compare runs tests; it takes neither --shell nor --build-only"
	fi
	if ((OPT_SHELL)) && [[ "$OPT_ARCH" == all ]]; then
		usage_error "--shell needs --arch x86_64 or --arch arm64"
	fi
	[[ "$BOOT_MARGIN" =~ ^[1-9][0-9]*$ ]] ||
		usage_error "RIG_BOOT_MARGIN must be a positive number of seconds, not '$BOOT_MARGIN'"
	return 0
}

selected_arches()
{
	if [[ "$OPT_ARCH" == all ]]; then
		printf '%s\n' "${ALL_ARCHES[@]}"
	else
		echo "$OPT_ARCH"
	fi
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup()
{
	if [[ -n "$MONITOR_PID" ]]; then
		kill "$MONITOR_PID" 2> /dev/null	# it stops QEMU
	fi
	if [[ -n "$QEMU_PID" ]]; then
		kill "$QEMU_PID" 2> /dev/null
		sleep 1
		kill -9 "$QEMU_PID" 2> /dev/null
	fi
}

ensure_deps()
{
	local -a missing

	if ((OPT_INSTALL == 0)); then
		mapfile -t missing < <(packages_missing "${RIG_PACKAGES[@]}" "${CROSS_PACKAGES[@]}")
		((${#missing[@]} == 0)) ||
			die "$EXIT_RIG" "missing Debian packages: ${missing[*]} (run ${0##*/} --install-deps)"
	else
		deps_install "${RIG_PACKAGES[@]}" "${CROSS_PACKAGES[@]}"
	fi
}

# make_run_dir: a new, never reused output directory for this run.
make_run_dir()
{
	local base stamp dir n=1

	mkdir -p "$OPT_OUTPUT" || die "$EXIT_USAGE" "cannot create --output directory $OPT_OUTPUT"
	base=$(cd "$OPT_OUTPUT" && pwd)
	stamp=$(date +%Y%m%d-%H%M%S)
	dir="$base/$stamp"
	while ! mkdir "$dir" 2> /dev/null; do
		n=$((n + 1))
		dir="$base/$stamp.$n"
	done
	echo "$dir"
}

# prepare_source: set KERNEL_TREE (what is built) and TREE_NAME (its cache
# key) and SOURCE_DESC.  Exits 125 when the series does not apply.
prepare_source()
{
	local src apply=0 rc=0

	if [[ -n "$OPT_KSRC" ]]; then
		src=$OPT_KSRC
		[[ -n "$OPT_APPLY" ]] && apply=1
	else
		src=$(source_debian) || exit
		((OPT_BASELINE)) || apply=1
	fi
	SOURCE_DESC=$(source_version "$src")
	SERIES_HASH=none
	if ((apply)); then
		series_check
		SERIES_HASH=$(series_hash)
	fi
	if [[ -n "$OPT_KSRC" ]]; then
		TREE_NAME="$(basename "$src")-$(printf '%s' "$src" | sha256sum | cut -c1-8)"
	else
		TREE_NAME="debian-${DEBIAN_SRC_VERSION//\~/_}"
	fi
	if ((apply)) && [[ "$SERIES_HASH" != none ]]; then
		TREE_NAME+=+series
		KERNEL_TREE=$(source_patched "$src" "$TREE_NAME") || rc=$?
		((rc == 0)) || die "$EXIT_UNTESTABLE" "patches/ does not apply to $src"
	else
		KERNEL_TREE=$src
	fi
}

# config_fragments ARCH: the fragments of this run, in merge order.
config_fragments()
{
	local arch=$1

	printf '%s\n' "$REPO_DIR/configs/common.config" "$REPO_DIR/configs/$arch.config"
	((OPT_DEBUG)) && printf '%s\n' "$REPO_DIR/configs/debug.config"
	((${#OPT_CONFIGS[@]})) && printf '%s\n' "${OPT_CONFIGS[@]}"
	return 0
}

# build_dir ARCH: the cache directory of ARCH's build for this configuration.
build_dir()
{
	local arch=$1 variant=$1

	((OPT_DEBUG)) && variant+=-debug
	((${#OPT_CONFIGS[@]})) && variant+=-x$(hash_files "${OPT_CONFIGS[@]}")
	echo "$RIG_CACHE/build/$TREE_NAME/$variant"
}

# build_arch ARCH: build ARCH's kernel and selftests.  Exits 125 on failure.
build_arch()
{
	local arch=$1 dir rc=0
	local -a frags progs

	dir=$(build_dir "$arch")
	mapfile -t frags < <(config_fragments "$arch")
	phase_begin "$arch: kernel build"
	kernel_build "$KERNEL_TREE" "$dir/kernel" "$arch" "${frags[@]}" || rc=$?
	case $rc in
	0) ;;
	3) die "$EXIT_UNTESTABLE" "$arch: config options were dropped by olddefconfig (see above)" ;;
	4) die "$EXIT_UNTESTABLE" "$arch: could not generate the config; see $dir/kernel/kconfig.log" ;;
	*) die "$EXIT_UNTESTABLE" "$arch: kernel build failed; see $dir/kernel/build.log" ;;
	esac
	phase_end "$BUILD_NOTE"

	kvm_pin_build "$arch" "$dir/kernel" "$dir/rig-kvm-pin" ||
		die "$EXIT_RIG" "$arch: cannot build rig/guest-kvm-pin.c; see $dir/rig-kvm-pin.log"

	if ((OPT_KSELFTEST)); then
		phase_begin "$arch: kselftest build and install (TARGETS=kvm)"
		kselftest_build "$KERNEL_TREE" "$dir/kernel" "$dir/kselftest" "$arch" ||
			die "$EXIT_UNTESTABLE" "$arch: kselftest build failed; see $dir/kselftest/build.log"
		phase_end "$BUILD_NOTE"
		return
	fi
	mapfile -t progs < <(testlist_programs "$arch")
	phase_begin "$arch: selftests build (${#progs[@]} programs)"
	if ((${#progs[@]})); then
		selftests_build "$KERNEL_TREE" "$dir/kernel" "$dir/selftests" "$arch" "${progs[@]}" ||
			die "$EXIT_UNTESTABLE" "$arch: selftests build failed; see $dir/selftests/build*.log"
	else
		BUILD_NOTE="nothing to build"
	fi
	phase_end "$BUILD_NOTE"
}

# run_arch ARCH: boot ARCH's kernel once per kernel command line of the
# selected tests and run them.
run_arch()
{
	local arch=$1 dir kernel cmdline plan console status expect busybox boot=0 total rc bindir
	local -a cmdlines progs

	dir=$(build_dir "$arch")
	kernel="$dir/kernel/$(kernel_image_path "$arch")"
	busybox=$(busybox_path "$arch") || exit
	expect="$RUN_DIR/$arch.expect"
	guest_expect "$arch" > "$expect" || exit
	info "$arch: the kernel and machine provide: $(cat "$expect")"
	mapfile -t cmdlines < <(testlist_cmdlines "$arch")
	for cmdline in "${cmdlines[@]}"; do
		boot=$((boot + 1))
		plan="$RUN_DIR/$arch.boot$boot.plan"
		console="$RUN_DIR/$arch.boot$boot.console.log"
		status="$RUN_DIR/$arch.boot$boot.status.json"
		testlist_plan "$arch" "$cmdline" "$OPT_REPEAT" "$OPT_TIMEOUT" > "$plan"
		total=$(grep -c . "$plan")
		mapfile -t progs < <(cut -d'|' -f4 "$plan" | awk '{print $1}' | sort -u)
		bindir=$dir/selftests
		if ((OPT_KSELFTEST)); then
			kselftest_plan < "$plan" > "$plan.kselftest" && mv "$plan.kselftest" "$plan"
			mapfile -t progs < <(kselftest_files "$dir/kselftest/install" "${progs[@]}")
			bindir=$dir/kselftest/install
		fi
		phase_begin "$arch: boot $boot, $total tests${cmdline:+, cmdline \"$cmdline\"}"
		initramfs_build "$RUN_DIR/$arch.boot$boot.initrd.gz" "$busybox" \
			"$plan" tests "$expect" "$dir/rig-kvm-pin" "$bindir" "${progs[@]}"
		rc=0
		guest_run "$arch" "$kernel" "$RUN_DIR/$arch.boot$boot.initrd.gz" \
			"$BASE_APPEND${cmdline:+ $cmdline}" "$console" "$plan" "$status" || rc=$?
		((rc == 1)) && ! grep -q '# rig: guest up' "$console" &&
			die "$EXIT_RIG" "$arch: QEMU failed to start; see $console"
		python3 "$REPO_DIR/rig/report.py" boot --outdir "$RUN_DIR" --arch "$arch" \
			--boot "$boot" --console "$console" --plan "$plan" --cmdline "$cmdline" \
			--status "$status" --vmlinux "$dir/kernel/vmlinux" --srctree "$KERNEL_TREE" \
			--cross "$(cross_prefix "$arch")" --bindir "$dir/selftests" ||
			die "$EXIT_RIG" "cannot parse $console"
		phase_end
	done
}

# kselftest_plan: the guest plan on stdin with each test run through the
# kernel's kselftest runner (rig/guest-kselftest.sh) instead of directly.
kselftest_plan()
{
	awk -F'|' -v OFS='|' '{ $4 = "rig-kselftest kvm:" $4; print }'
}

# kselftest_files INSTALL PROG...: the files of the kselftest install
# INSTALL the guest needs to run PROGs through run_kselftest.sh, relative
# to INSTALL; dies naming a program the install lacks.
kselftest_files()
{
	local install=$1 prog f

	shift
	for f in run_kselftest.sh kselftest-list.txt kselftest/runner.sh kvm/settings; do
		[[ -e "$install/$f" ]] && echo "$f"
	done
	for prog in "$@"; do
		[[ -x "$install/kvm/$prog" ]] ||
			die "$EXIT_UNTESTABLE" "the kselftest install $install has no kvm/$prog"
		grep -qx "kvm:$prog" "$install/kselftest-list.txt" ||
			die "$EXIT_UNTESTABLE" "kvm:$prog is not in $install/kselftest-list.txt"
		echo "kvm/$prog"
	done
}

# guest_expect ARCH: what the selftests may expect of ARCH's guest (read by
# lib/kernel_expect.h and the guest's need checks): the kernel's features,
# then the machine's.
guest_expect()
{
	local arch=$1 kernel machine

	kernel=$(kernel_features "$(build_dir "$arch")/kernel" "$KERNEL_TREE") || exit
	machine=$(machine_features "$arch" "${GUEST_ACCEL[$arch]}") || exit
	if [[ -n "$kernel" && -n "$machine" ]]; then
		echo "$kernel,$machine"
	else
		echo "$kernel$machine"
	fi
}

# shell_arch ARCH: boot ARCH's kernel with an interactive shell.
shell_arch()
{
	local arch=$1 dir plan busybox
	local -a progs

	dir=$(build_dir "$arch")
	busybox=$(busybox_path "$arch") || exit
	plan="$RUN_DIR/$arch.shell.plan"
	testlist_plan "$arch" '*' 1 "$OPT_TIMEOUT" > "$plan"
	guest_expect "$arch" > "$RUN_DIR/$arch.expect" || exit
	mapfile -t progs < <(cut -d'|' -f4 "$plan" | awk '{print $1}' | sort -u)
	initramfs_build "$RUN_DIR/$arch.shell.initrd.gz" "$busybox" \
		"$plan" shell "$RUN_DIR/$arch.expect" "$dir/rig-kvm-pin" "$dir/selftests" "${progs[@]}"
	guest_shell "$arch" "$dir/kernel/$(kernel_image_path "$arch")" \
		"$RUN_DIR/$arch.shell.initrd.gz" "$BASE_APPEND"
}

# programs_check: every selected test's program is one this tree builds
# for the test's arches (ours, or in the tree's selftest Makefiles); an
# entry the rig cannot run is a usage error before anything is built.
programs_check()
{
	local sel="$RUN_DIR/selected.list"

	printf '%s\n' "$TESTS_SELECTED" > "$sel"
	python3 "$REPO_DIR/rig/upstream.py" check --tree "$KERNEL_TREE" --list "$sel" \
		--origin "$TEST_LIST" --ours "$REPO_DIR/selftests" ||
		die "$EXIT_USAGE" "$TEST_LIST names programs $KERNEL_TREE does not build (above)"
}

# strip_args ARG...: the runner's arguments without --compare, --baseline,
# --apply-patches and --output DIR, one per line (compare_runs adds its own).
strip_args()
{
	while (($#)); do
		case $1 in
		--compare|--baseline|--apply-patches) ;;
		--output) shift ;;
		*) printf '%s\n' "$1" ;;
		esac
		shift
	done
}

# compare_one LABEL DIR ARG...: run this runner with ARGs, its results in
# a new directory under DIR; its summary goes to stderr.  Returns its exit
# status unless the run could not test its kernel.
compare_one()
{
	local label=$1 dir=$2 rc=0

	shift 2
	phase_begin "compare: the $label run"
	"$REPO_DIR/run_tests.sh" "$@" --output "$dir" >&2 || rc=$?
	phase_end "exit $rc"
	case $rc in
	0|1) ;;
	125) die "$EXIT_UNTESTABLE" "compare: the $label kernel cannot be tested (exit 125, see above)" ;;
	*) die "$rc" "compare: the $label run failed (exit $rc, see above)" ;;
	esac
}

# compare_runs: --compare: the same tests on the baseline and the series
# kernels, each a run of its own (they take the run lock in turn), then a
# per-test, per-case comparison in RUN_DIR; exits 1 on a regression.
compare_runs()
{
	local status=0 bdir sdir
	local -a args base_args

	mapfile -t args < <(strip_args "${ARGS[@]}")
	if [[ -n "$OPT_KSRC" ]]; then
		base_args=("${args[@]}")
		args+=(--apply-patches)
	else
		base_args=("${args[@]}" --baseline)
	fi
	compare_one baseline "$RUN_DIR/baseline" "${base_args[@]}"
	compare_one series "$RUN_DIR/series" "${args[@]}"
	bdir=$(find "$RUN_DIR/baseline" -mindepth 1 -maxdepth 1 -type d | head -n1)
	sdir=$(find "$RUN_DIR/series" -mindepth 1 -maxdepth 1 -type d | head -n1)
	[[ -f "$bdir/results.json" && -f "$sdir/results.json" ]] ||
		die "$EXIT_RIG" "compare: a run left no results.json under $RUN_DIR"
	echo
	python3 "$REPO_DIR/rig/compare.py" --outdir "$RUN_DIR" --baseline "$bdir" \
		--series "$sdir" --known "$REPO_DIR/upstream/known-failures.list" || status=$?
	((status <= 1)) || die "$EXIT_RIG" "cannot compare the runs in $RUN_DIR"
	info "comparison: $RUN_DIR/compare.md (exit $status)"
	exit "$status"
}

write_meta()
{
	local arch accels=''
	local -a cfgs=()

	for arch in $(selected_arches); do
		cfgs+=("$arch" "$(sha256sum "$(build_dir "$arch")/kernel/.config" | cut -c1-16)")
		accels+="$arch=${GUEST_ACCEL[$arch]:-none} "
	done
	# json.dump does the quoting: the command, the source's description
	# and the phases may hold any character.
	META_RIG_COMMIT=$(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null || echo unknown) \
	META_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) \
	META_COMMAND=$(printf '%q ' "$0" "${ARGS[@]}") \
	META_SOURCE=$SOURCE_DESC META_TREE=$KERNEL_TREE META_SERIES=$SERIES_HASH \
	META_DEBUG=$OPT_DEBUG META_PHASE_LOG=$PHASE_LOG META_ACCEL=$accels \
	META_KSELFTEST=$OPT_KSELFTEST \
	META_QEMU=$(qemu-system-x86_64 --version | head -n1) \
	python3 - "$RUN_DIR/meta.json" "${cfgs[@]}" <<- 'EOF' ||
		import json, os, sys
		out, cfgs = sys.argv[1], sys.argv[2:]
		env = os.environ
		with open(env["META_PHASE_LOG"], encoding="utf-8") as f:
		    phases = ";".join(l.rstrip("\n").replace("\t", " ") for l in f if l.strip())
		meta = {
		    "rig_commit": env["META_RIG_COMMIT"],
		    "date": env["META_DATE"],
		    "command": env["META_COMMAND"],
		    "source": env["META_SOURCE"],
		    "kernel_tree": env["META_TREE"],
		    "series_hash": env["META_SERIES"],
		    "debug_config": env["META_DEBUG"] == "1",
		    # The tests ran through the kernel's run_kselftest.sh.
		    "kselftest_runner": env["META_KSELFTEST"] == "1",
		    "config_sha256": dict(zip(cfgs[0::2], cfgs[1::2])),
		    "qemu_version": env["META_QEMU"],
		    # Per arch: kvm, tcg, or none (built, not booted).
		    "accelerator": dict(a.split("=") for a in env["META_ACCEL"].split()),
		    "phases": phases,
		}
		with open(out, "w", encoding="utf-8") as f:
		    json.dump(meta, f, indent=2)
		    f.write("\n")
	EOF
		die "$EXIT_RIG" "cannot write $RUN_DIR/meta.json"
}

main()
{
	local arch status bad
	local -a arches

	parse_options "$@"
	testlist_check "$TEST_LIST"
	mapfile -t arches < <(selected_arches)
	testlist_check_globs "$TEST_LIST" "$OPT_TESTS" "${arches[@]}"
	TESTS_SELECTED=$(testlist_select "$TEST_LIST" "$OPT_TESTS" "${arches[@]}")
	if [[ -n "$OPT_SHARD" ]]; then
		TESTS_SELECTED=$(testlist_shard "$OPT_SHARD" <<< "$TESTS_SELECTED") || exit
	fi
	if ((OPT_KSELFTEST)); then
		bad=$(awk -F'|' '{ split($6, w, " "); if (w[1] ~ /\//) { print "test " $1 " runs " w[1]; exit } }' \
			<<< "$TESTS_SELECTED")
		[[ -z "$bad" ]] ||
			usage_error "--kselftest runs programs of the kvm collection's top directory: $bad (narrow --tests)"
	fi
	if ((OPT_LIST)); then
		testlist_table <(printf '%s\n' "$TESTS_SELECTED")
		exit 0
	fi
	# Before anything is installed or built: --accel kvm that cannot be
	# honoured fails at once.
	if ((OPT_INSTALL != 2 && !OPT_BUILD_ONLY)); then
		for arch in "${arches[@]}"; do
			GUEST_ACCEL[$arch]=$(accel_for "$arch" "$OPT_ACCEL") || exit
		done
	fi
	mkdir -p "$RIG_CACHE" || die "$EXIT_RIG" "cannot create the cache $RIG_CACHE"
	if ((OPT_INSTALL == 2)); then
		deps_install "${RIG_PACKAGES[@]}" "${CROSS_PACKAGES[@]}"
		busybox_path "$FOREIGN_GUEST" > /dev/null || exit
		info "all dependencies are installed"
		exit 0
	fi
	trap cleanup EXIT
	# Die on these, so that the EXIT trap kills QEMU by its PID.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	ensure_deps
	if ((OPT_COMPARE)); then
		RUN_DIR=$(make_run_dir)
		PHASE_LOG="$RUN_DIR/phases.tsv"
		info "results: $RUN_DIR"
		compare_runs
	fi
	take_run_lock

	RUN_DIR=$(make_run_dir)
	PHASE_LOG="$RUN_DIR/phases.tsv"
	info "results: $RUN_DIR"

	phase_begin "kernel source"
	prepare_source
	phase_end "$SOURCE_DESC, series $SERIES_HASH"
	programs_check

	for arch in "${arches[@]}"; do
		build_arch "$arch"
	done
	write_meta
	if ((OPT_BUILD_ONLY)); then
		info "built: ${arches[*]} (--build-only)"
		exit 0
	fi
	if ((OPT_SHELL)); then
		shell_arch "${arches[0]}"
		exit 0
	fi
	for arch in "${arches[@]}"; do
		run_arch "$arch"
	done
	write_meta
	echo
	status=0
	python3 "$REPO_DIR/rig/report.py" summary --outdir "$RUN_DIR" --meta "$RUN_DIR/meta.json" || status=$?
	((status <= 1)) || die "$EXIT_RIG" "cannot summarise the results in $RUN_DIR"
	info "results: $RUN_DIR (exit $status)"
	exit "$status"
}

# Sourced by the unit tests for its functions; run otherwise.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	ARGS=("$@")
	main "$@"
fi
