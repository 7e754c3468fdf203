#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# /usr/bin/addr2line of the test guest, which has no binutils.  A KVM
# selftest that fails an assertion runs
#   addr2line -s -e /proc/$PPID/exe -fpai ADDR... | cat -n 1>&2
# to print its backtrace; this prints instead the program and the
# addresses, for the host to decode with its own addr2line and the
# program's binary (rig/report.py adds the result to the test's log).

exe=''
while [ $# -gt 0 ]; do
	case $1 in
	-e) exe=$(readlink "$2" 2>/dev/null || echo "$2"); shift 2 ;;
	-*) shift ;;
	*) break ;;
	esac
done
echo "# rig: addr2line ${exe:-unknown} $*"
