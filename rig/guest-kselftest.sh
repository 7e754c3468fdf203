#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# /usr/bin/rig-kselftest of the test guest, for `run_tests.sh --kselftest`:
#   rig-kselftest COLLECTION:TEST [ARG...]
# runs TEST the way a user of an installed kselftest tree does, through the
# kernel's own runner (run_kselftest.sh -t COLLECTION:TEST, from the
# installed tree the rig put in the current directory), ARGs passed the
# runner's way (KSELFTEST_<TEST>_ARGS).  The runner exits 0 whatever its
# tests did, so the exit status here is the one its result line reports:
# 0 ok, 4 SKIP, the test's own for "exit=N", 124 TIMEOUT, 1 for no result.

case ${1:-} in
?*:?*) ;;
*)
	echo "usage: rig-kselftest COLLECTION:TEST [ARG...]" >&2
	exit 2
	;;
esac
test=$1
shift
# The runner's own name for the variable (kselftest/runner.sh).
name=$(echo "${test#*:}" | tr -d '[:blank:][:cntrl:]' | tr -c '[:alnum:]_' '_' | tr '[:lower:]' '[:upper:]')
export "KSELFTEST_${name}_ARGS=$*"
log=/tmp/rig-kselftest.log
./run_kselftest.sh -t "$test" 2>&1 | tee "$log"
line=$(grep -E '^(not )?ok [0-9]+ selftests: ' "$log" | tail -n1)
# Every KVM selftest prints at least its random seed: a runner that shows
# nothing of a test's output lost it (its log went elsewhere), and the
# test's own cases with it.
if [ -n "$line" ] && [ "$(sed -n '/^# selftests: /,/^\(not \)\{0,1\}ok [0-9]* selftests: /p' "$log" |
	grep -cv -e '^# selftests: ' -e '^\(not \)\{0,1\}ok [0-9]* selftests: ')" -eq 0 ]; then
	echo "# rig: run_kselftest.sh showed none of $test's output"
	exit 1
fi
case $line in
"ok "*"# SKIP"*)	exit 4 ;;
"ok "*)			exit 0 ;;
*"# TIMEOUT"*)		exit 124 ;;
*"# exit="*)		exit "${line##*# exit=}" ;;
"")
	echo "# rig: run_kselftest.sh printed no result line for $test"
	exit 1
	;;
*)			exit 1 ;;
esac
