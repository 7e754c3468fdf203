#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: the benchmark of bench.list (aging_perf_test) on the series
# kernels and on the unpatched baseline, in one invocation, then
# rig/bench.py's report: bench.json, bench.png and the table of medians and
# ratios against the baseline.  Builds what is missing through
# run_tests.sh.  Results go to a new output/bench-<timestamp> directory.
#
# Usage: rig/bench.sh [--arch x86_64|arm64|all]
# Exit: 0 measured, 1 a configuration could not be measured, 125/128/129
# as run_tests.sh.

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_DIR

# shellcheck source=rig/common.sh
source "$REPO_DIR/rig/common.sh"
# shellcheck source=rig/deps.sh
source "$REPO_DIR/rig/deps.sh"

usage()
{
	echo "usage: ${0##*/} [--arch x86_64|arm64|all]" >&2
	exit "$EXIT_USAGE"
}

# run_kernel OUT KERNEL ARCH [run_tests.sh options]: one run of bench.list
# into OUT/KERNEL; dies with run_tests.sh's status when it could not test.
run_kernel()
{
	local out=$1 kernel=$2 arch=$3 rc=0

	shift 3
	phase_begin "bench: $kernel kernel, $arch"
	RIG_TEST_LIST="$REPO_DIR/bench.list" "$REPO_DIR/run_tests.sh" --arch "$arch" \
		--output "$out/$kernel" "$@" >&2 || rc=$?
	# 1 is a configuration that failed: bench.py names it below.
	((rc == 0 || rc == 1)) || die "$rc" "run_tests.sh for the $kernel kernel exited $rc"
	phase_end ""
}

main()
{
	local arch=all out

	while (($#)); do
		case $1 in
		--arch)
			(($# >= 2)) || usage
			case $2 in x86_64|arm64|all) arch=$2 ;; *) usage ;; esac
			shift
			;;
		-h|--help) usage ;;
		*) usage ;;
		esac
		shift
	done
	mkdir -p "$RIG_CACHE"
	deps_install python3-matplotlib
	out="$REPO_DIR/output/bench-$(date +%Y%m%d-%H%M%S)"
	mkdir -p "$out" || die "$EXIT_RIG" "cannot create $out"
	run_kernel "$out" series "$arch"
	run_kernel "$out" baseline "$arch" --baseline
	# Debian's python3, which python3-matplotlib is for (not a python3 of PATH).
	/usr/bin/python3 "$REPO_DIR/rig/bench.py" --out "$out" "$out"/series/*/ "$out"/baseline/*/
}

# Sourced by the unit tests for its functions; run otherwise.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
