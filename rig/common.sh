# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # EXIT_* and C_* are for the scripts that source this file
#
# Shared helpers of run_tests.sh: exit statuses, logging and phase timing.
# Sourced, never executed.

# Every script of the rig runs with these.
set -u
set -o pipefail

# The cache of sources, throwaway trees and builds (README, run_tests.sh).
: "${RIG_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/kvm-age-rig}"

# Exit statuses, chosen for `git bisect run`.
readonly EXIT_PASS=0		# every selected test passed or skipped with a reason
readonly EXIT_FAIL=1		# a test failed or timed out, or the kernel warned/crashed
readonly EXIT_UNTESTABLE=125	# this tree cannot be tested: bisect skips it
readonly EXIT_RIG=128		# the rig itself is broken: bisect stops
readonly EXIT_USAGE=129		# the rig was misused (bad option): bisect stops

if [[ -t 2 ]]; then	# colour only when the log (stderr) is a terminal
	readonly C_RED=$'\e[31m' C_YELLOW=$'\e[33m' C_BOLD=$'\e[1m' C_OFF=$'\e[0m'
else
	readonly C_RED='' C_YELLOW='' C_BOLD='' C_OFF=''
fi

# The start of the run, shared with what it starts (make check's
# run_tests.sh, rig/monitor.py), so that all their times count from it.
RIG_T0=${RIG_T0:-$EPOCHSECONDS}
export RIG_T0

# elapsed: "mm:ss" since the run started.
elapsed()
{
	local s=$((EPOCHSECONDS - RIG_T0))

	printf '%02d:%02d' $((s / 60)) $((s % 60))
}

# info, warn, die and the phase lines are progress: they go to stderr, so
# that any function's stdout can be captured as data.
info()
{
	printf '[%s] %s\n' "$(elapsed)" "$*" >&2
}

warn()
{
	printf '[%s] %sWARNING:%s %s\n' "$(elapsed)" "$C_YELLOW" "$C_OFF" "$*" >&2
}

# die STATUS MESSAGE...: report an error and exit with STATUS.
die()
{
	local status=$1

	shift
	printf '[%s] %sERROR:%s %s\n' "$(elapsed)" "$C_RED" "$C_OFF" "$*" >&2
	exit "$status"
}

# Phase timing: phase_begin NAME; ...; phase_end.  Durations are appended
# to $PHASE_LOG (tab separated: name, seconds) when it is set.
PHASE_NAME=''
PHASE_T0=0

phase_begin()
{
	PHASE_NAME=$1
	PHASE_T0=$SECONDS
	info "${C_BOLD}${PHASE_NAME}${C_OFF}"
}

phase_end()
{
	local note=${1:-}
	local dt=$((SECONDS - PHASE_T0))

	info "  done: ${PHASE_NAME} (${dt}s)${note:+, $note}"
	if [[ -n "${PHASE_LOG:-}" ]]; then
		printf '%s\t%d\t%s\n' "$PHASE_NAME" "$dt" "$note" >> "$PHASE_LOG"
	fi
}

# run_logged LOG CMD...: run CMD with its output in LOG; on failure show the
# tail of LOG and return CMD's status.
run_logged()
{
	local log=$1
	local rc=0

	shift
	"$@" > "$log" 2>&1 || rc=$?
	if ((rc != 0)); then
		printf '  --- last lines of %s ---\n' "$log" >&2
		tail -n 25 "$log" | sed 's/^/  | /' >&2
	fi
	return "$rc"
}

# hash_files FILE...: one stable hash over the names and contents of FILEs.
hash_files()
{
	local f

	for f in "$@"; do
		printf '%s\n' "${f##*/}"
		cat "$f"
	done | sha256sum | cut -c1-16
}

# take_run_lock: one run (or make patchcheck) at a time per cache.  Runs
# share the patched tree and the build directories, two kernel builds at once
# would each take twice as long on this machine's cores, and two TCG guests
# would push each other's tests past their timeouts; a second run waits.
# The lock is held on fd 9, which QEMU does not inherit (see guest.sh), so a
# guest that outlives its runner cannot keep the lock.
take_run_lock()
{
	local holder

	exec 9>> "$RIG_CACHE/run.lock" || die "$EXIT_RIG" "cannot open $RIG_CACHE/run.lock"
	if ! flock -n 9; then
		holder=$(cat "$RIG_CACHE/run.pid" 2>/dev/null)
		info "waiting for the run that holds $RIG_CACHE/run.lock (pid ${holder:-unknown})"
		# Polled, not a blocking flock: bash runs a signal's trap only
		# when its foreground command ends, so a waiting run would not
		# stop on Ctrl-C or SIGTERM until the other run ended.
		until flock -n 9; do
			sleep 2
		done
	fi
	echo "$$" > "$RIG_CACHE/run.pid"
}
