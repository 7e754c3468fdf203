#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: the project's own tests (pytest on the runner's logic and
# a shellcheck pass), then the full suite on both arches through
# run_tests.sh.  Installs what it needs.  Ends with one line
# "check: N passed, N failed, N skipped" adding both up, and exits non-zero
# if either part failed.
#
# Usage: rig/check.sh [--unit-only] [run_tests.sh options...]

set -u
set -o pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_DIR
readonly RIG_CACHE="${RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-age-rig}"

# shellcheck source=rig/common.sh
source "$REPO_DIR/rig/common.sh"
# shellcheck source=rig/deps.sh
source "$REPO_DIR/rig/deps.sh"

# counts_of LINE: "passed failed skipped" from a pytest or rig summary line.
counts_of()
{
	local line=$1 p f s

	p=$(grep -oE '[0-9]+ passed' <<< "$line" | cut -d' ' -f1)
	f=$(grep -oE '[0-9]+ (failed|error(s)?)' <<< "$line" | cut -d' ' -f1 | paste -sd+ - | bc)
	s=$(grep -oE '[0-9]+ skipped' <<< "$line" | cut -d' ' -f1)
	echo "${p:-0} ${f:-0} ${s:-0}"
}

main()
{
	local unit_only=0 rc_unit=0 rc_suite=0 line p=0 f=0 s=0 up uf us

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
		info "suite (run_tests.sh $*)"
		"$REPO_DIR/run_tests.sh" "$@" | tee "$out" >&2 || rc_suite=$?
		line=$(tail -n1 "$out")
		read -r up uf us < <(counts_of "$line")
		p=$((p + up))
		f=$((f + uf))
		s=$((s + us))
		if ((rc_suite != 0 && uf == 0)); then
			f=$((f + 1))	# the run failed before counting (build, rig)
			warn "run_tests.sh exited $rc_suite before reporting results"
		fi
	fi
	echo "check: $p passed, $f failed, $s skipped"
	((rc_unit == 0 && rc_suite == 0))
}

# Sourced by the unit tests for its functions; run otherwise.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
