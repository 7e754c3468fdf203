#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: the project's own tests (pytest on the runner's logic and
# a shellcheck pass), then the full suite on both arches through
# run_tests.sh, then a lockdep pass: our selftests that exercise the
# lockless and read-locked aging paths, on the --debug kernels (lockdep,
# PROVE_RCU, DEBUG_VM), where a locking bug is a kernel report that fails
# the test.  Installs what it needs.  Ends with one line
# "check: N passed, N failed, N skipped" adding all up, and exits non-zero
# if any part failed.
#
# Usage: rig/check.sh [--unit-only] [run_tests.sh options...]
# CHECK_DEBUG_TESTS: the tests of the lockdep pass (run_tests.sh --tests
# globs); empty skips the pass.

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_DIR

# shellcheck source=rig/common.sh
source "$REPO_DIR/rig/common.sh"
# shellcheck source=rig/deps.sh
source "$REPO_DIR/rig/deps.sh"

readonly CHECK_DEBUG_TESTS_DEFAULT='young_bitmap_test,young_multi_test,mmu_lock_test*,nested_aging_test,aging_race_test,page_idle_test'

# counts_of LINE: "passed failed skipped" from a pytest or rig summary line.
counts_of()
{
	local line=$1 p f s

	p=$(grep -oE '[0-9]+ passed' <<< "$line" | cut -d' ' -f1)
	f=$(grep -oE '[0-9]+ (failed|error(s)?)' <<< "$line" | cut -d' ' -f1 | paste -sd+ - | bc)
	s=$(grep -oE '[0-9]+ skipped' <<< "$line" | cut -d' ' -f1)
	echo "${p:-0} ${f:-0} ${s:-0}"
}

# suite_pass LABEL ARGS...: run run_tests.sh ARGS, adding its counts to the
# globals p, f and s; returns its exit status.
suite_pass()
{
	local label=$1 rc=0 line up uf us

	shift
	info "$label (run_tests.sh $*)"
	"$REPO_DIR/run_tests.sh" "$@" | tee "$out" >&2 || rc=$?
	line=$(tail -n1 "$out")
	read -r up uf us < <(counts_of "$line")
	p=$((p + up))
	f=$((f + uf))
	s=$((s + us))
	if ((rc != 0 && uf == 0)); then
		f=$((f + 1))	# the run failed before counting (build, rig)
		warn "run_tests.sh exited $rc before reporting results"
	fi
	return "$rc"
}

# debug_tests_for GLOBS ARGS...: the comma-separated GLOBS that select a
# test with the run_tests.sh options ARGS (their --arch), so that
# `make check ARGS=--arch arm64` leaves out x86's nested_aging_test instead
# of failing on it; says which it leaves out.  A glob that selects no test
# on any arch is kept, for run_tests.sh to name as the usage error it is.
debug_tests_for()
{
	local globs=$1 glob kept=''
	local -a pats

	shift
	IFS=, read -r -a pats <<< "$globs"
	for glob in "${pats[@]}"; do
		if "$REPO_DIR/run_tests.sh" "$@" --tests "$glob" --list > /dev/null 2>&1 ||
			! "$REPO_DIR/run_tests.sh" --arch all --tests "$glob" --list > /dev/null 2>&1; then
			kept+=${kept:+,}$glob
		else
			info "lockdep pass: '$glob' runs on none of the selected arches; left out"
		fi
	done
	printf '%s\n' "$kept"
}

main()
{
	local unit_only=0 rc_unit=0 rc_suite=0 line
	local debug_tests=${CHECK_DEBUG_TESTS-$CHECK_DEBUG_TESTS_DEFAULT}
	p=0 f=0 s=0	# global: suite_pass adds to them

	if [[ "${1:-}" == --unit-only ]]; then
		unit_only=1
		shift
	fi
	mkdir -p "$RIG_CACHE"
	# The unit tests exercise the rig's scripts, so they need its tools
	# too: install everything first.
	if ((unit_only)); then
		deps_install "${CHECK_PACKAGES[@]}"
	else
		deps_install "${CHECK_PACKAGES[@]}" "${RIG_PACKAGES[@]}" "${CROSS_PACKAGES[@]}"
	fi
	out=$(mktemp) || die "$EXIT_RIG" "cannot create a temporary file"
	trap 'rm -f "$out"' EXIT	# global: the trap runs after main returns

	info "unit tests (pytest, shellcheck)"
	# The log goes to stderr through tee's stdout: `tee /dev/stderr` would
	# reopen (and truncate) stderr when it is a file (make check > log 2>&1).
	(cd "$REPO_DIR" && /usr/bin/python3 -m pytest -q -p no:cacheprovider tests) 2>&1 |
		tee "$out" >&2 || rc_unit=$?
	line=$(tail -n1 "$out")
	read -r p f s < <(counts_of "$line")
	if ((rc_unit != 0 && f == 0)); then
		f=1	# pytest failed without a count (collection error, no tests)
	fi

	if ((!unit_only)); then
		suite_pass suite "$@" || rc_suite=$?
		[[ -z "$debug_tests" ]] || debug_tests=$(debug_tests_for "$debug_tests" "$@")
		if [[ -n "$debug_tests" ]]; then
			suite_pass "lockdep pass" "$@" --debug --tests "$debug_tests" || rc_suite=$?
		fi
	fi
	echo "check: $p passed, $f failed, $s skipped"
	((rc_unit == 0 && rc_suite == 0))
}

# Sourced by the unit tests for its functions; run otherwise.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
