#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# /init of the test guest (busybox ash).  Mounts the pseudo filesystems,
# records the environment, runs the tests of /rig/plan one by one, each under
# its own timeout, and reports them as KTAP on the console; then powers the
# machine off (reboot -f with QEMU's -no-reboot exits QEMU).
#
# /rig/plan: one test a line, fields separated by '|':
#   NAME|TIMEOUT_SECONDS|NEEDS (comma separated, or -)|COMMAND
# /rig/mode: "tests" or "shell".

PATH=/rig/bin:/bin:/sbin:/usr/bin:/usr/sbin
# Where the tests run, tracefs, and the 2 MiB hugetlb pool that
# hugepages:N needs grow (variables for the unit tests, which must not
# touch the host's).
TESTS_DIR=${RIG_TESTS_DIR:-/rig/bin}
TRACING_DIR=${RIG_TRACING_DIR:-/sys/kernel/tracing}
HUGEPAGES_DIR=${RIG_HUGEPAGES_DIR:-/sys/kernel/mm/hugepages/hugepages-2048kB}
KVM_PIN=${RIG_KVM_PIN:-/usr/bin/rig-kvm-pin}
export PATH
# shellcheck disable=SC3040 # busybox ash has pipefail
set -o pipefail

mount_all()
{
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	# What udev would add and devtmpfs lacks: without /dev/stdout, the
	# kselftest runner's "4>>/dev/stdout" writes the test's output to a
	# plain file of that name instead of the console.
	ln -sf /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	mkdir -p /dev/hugepages /dev/shm /dev/pts
	mount -t tmpfs tmpfs /tmp
	mount -t tmpfs tmpfs /dev/shm
	mount -t debugfs debugfs /sys/kernel/debug
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
	mount -t hugetlbfs hugetlbfs /dev/hugepages
}

# uptime_cs: uptime in hundredths of a second.
uptime_cs()
{
	local up

	read -r up _ < /proc/uptime
	up=$(echo "${up%.*}${up#*.}" | sed 's/^0*//')
	echo "${up:-0}"
}

cs_to_s()
{
	printf '%d.%02d' $(($1 / 100)) $(($1 % 100))
}

# A "# env: key=value" line per fact the results should carry.
record_env()
{
	local f flags

	echo "# env: kernel=$(uname -r)"
	echo "# env: machine=$(uname -m)"
	echo "# env: cmdline=$(cat /proc/cmdline)"
	if [ -r /proc/config.gz ]; then
		echo "# env: config_sha256=$(zcat /proc/config.gz | sha256sum | cut -c1-16)"
	fi
	echo "# env: lru_gen_enabled=$(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent)"
	if [ -e /sys/kernel/mm/page_idle/bitmap ]; then
		echo "# env: page_idle=present"
	else
		echo "# env: page_idle=absent"
	fi
	echo "# env: thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo absent)"
	flags=$(grep -m1 -E '^(flags|Features)' /proc/cpuinfo | tr ' ' '\n' |
		grep -xE 'svm|npt|vmx|ept|nrip_save|vgif|lbrv' | tr '\n' ' ')
	echo "# env: cpu_virt=${flags:-none}"
	if dmesg | grep -q 'VHE mode initialized'; then
		echo "# env: kvm_arm_mode=vhe"
	elif dmesg | grep -q 'Hyp mode initialized'; then
		echo "# env: kvm_arm_mode=nvhe"
	fi
	echo "# env: dev_kvm=$([ -c /dev/kvm ] && echo present || echo absent)"
	echo "# env: kernel_expect=${KERNEL_EXPECT:-}"
	# What makes a hung or flooding kernel end its boot with a report.
	for f in softlockup_panic hung_task_panic hung_task_timeout_secs warn_limit; do
		echo "# env: sysctl.kernel.$f=$(cat /proc/sys/kernel/$f 2>/dev/null || echo absent)"
	done
	for f in /sys/module/kvm/parameters/* /sys/module/kvm_amd/parameters/* \
		 /sys/module/kvm_intel/parameters/*; do
		[ -r "$f" ] || continue
		case ${f##*/} in
		tdp_mmu|npt|ept|nested|eager_page_split|enable_mmio_caching)
			echo "# env: kvm_param.$(basename "$(dirname "$(dirname "$f")")").${f##*/}=$(cat "$f")"
			;;
		esac
	done
}

# need_missing NEED: print why NEED is not met, nothing if it is.  An unmet
# need fails the test (the rig's kernels and QEMU machines provide every
# need of tests.list), unless it is marked optional with a leading '?'.
#   kvm             /dev/kvm exists
#   cpu:FLAG        FLAG in /proc/cpuinfo
#   accel:ACCEL     the guest runs under ACCEL (kvm or tcg; /rig/expect
#                   says which)
#   file:PATH       PATH exists
#   param:M.P=V     /sys/module/M/parameters/P reads V
#   hugepages:N     N free 2 MiB hugetlb pages: the pool is grown to give
#                   them (run_one puts its size back after the test)
need_missing()
{
	local need="$1" mp want have

	case $need in
	kvm)
		[ -c /dev/kvm ] || echo "/dev/kvm is absent (KVM did not initialise)"
		;;
	cpu:*)
		grep -m1 -E '^(flags|Features)' /proc/cpuinfo | tr ' ' '\n' | grep -qx "${need#cpu:}" ||
			echo "the CPU lacks ${need#cpu:}"
		;;
	accel:*)
		case ",${KERNEL_EXPECT:-}," in
		*",$need,"*) ;;
		*",accel:"*)
			have=${KERNEL_EXPECT#*accel:}
			echo "the guest runs under ${have%%,*}, not ${need#accel:}"
			;;
		*)	echo "the rig did not say which accelerator the guest runs under" ;;
		esac
		;;
	file:*)
		[ -e "${need#file:}" ] || echo "${need#file:} is absent"
		;;
	param:*)
		mp=${need#param:}
		want=${mp#*=}
		mp=${mp%%=*}
		have=$(cat "/sys/module/${mp%%.*}/parameters/${mp#*.}" 2>/dev/null)
		[ "$have" = "$want" ] || echo "${mp} is '${have:-absent}', not '$want'"
		;;
	hugepages:*)
		want=${need#hugepages:}
		if [ ! -w "$HUGEPAGES_DIR/nr_hugepages" ]; then
			echo "there is no 2 MiB hugetlb pool ($HUGEPAGES_DIR)"
			return
		fi
		have=$(cat "$HUGEPAGES_DIR/free_hugepages")
		[ "$have" -ge "$want" ] ||
			echo $(($(cat "$HUGEPAGES_DIR/nr_hugepages") + want - have)) \
				> "$HUGEPAGES_DIR/nr_hugepages"
		have=$(cat "$HUGEPAGES_DIR/free_hugepages")
		[ "$have" -ge "$want" ] ||
			echo "only $have free 2 MiB hugetlb pages of the $want needed"
		;;
	*)
		echo "unknown need '$need'"
		;;
	esac
}

# skip_reason LOG: the reason a kselftest gave for skipping (exit 4).
skip_reason()
{
	local line

	# Not the result line of the kernel's runner (rig-kselftest), which
	# gives no reason: the test's own line before it does.
	line=$(grep -E 'SKIP|[Ss]kipping|not supported|Requirement not met' "$1" |
		grep -vE '^ok [0-9]+ selftests: ' | tail -n1)
	line=${line#*SKIP}
	line=$(echo "$line" | sed -e 's/^[^A-Za-z0-9_/]*//')
	echo "${line:-test exited with KSFT_SKIP (4) without a reason}"
}

# restore_pool SIZE: give the 2 MiB hugetlb pool SIZE pages again, if SIZE
# is not empty (hugepages:N grew it).
restore_pool()
{
	[ -z "$1" ] || echo "$1" > "$HUGEPAGES_DIR/nr_hugepages" 2>/dev/null ||
		echo "# rig: could not set the hugetlb pool back to $1 pages"
}

# run_one N NAME TIMEOUT NEEDS COMMAND
run_one()
{
	local n="$1" name="$2" timeout="$3" needs="$4" cmd="$5"
	local need why t0 t1 rc log=/tmp/test.log pool=

	echo "# rig: begin $n $name"
	case ",$needs," in
	*,hugepages:*) pool=$(cat "$HUGEPAGES_DIR/nr_hugepages" 2>/dev/null) ;;
	esac
	if [ "$needs" != - ]; then
		for need in $(echo "$needs" | tr ',' ' '); do
			why=$(need_missing "${need#\?}")
			[ -n "$why" ] || continue
			echo "# rig: end $n $name rc=need duration=0.00"
			# An optional need the rig says this kernel or machine
			# has (/rig/expect, e.g. cpu:svm under TCG) is not.
			case ",${KERNEL_EXPECT:-}," in
			*",${need#\?},"*) need=${need#\?} ;;
			esac
			case $need in
			\?*)	echo "ok $n $name # SKIP $why" ;;
			*)	echo "not ok $n $name # unmet need ${need}: $why, but the rig's kernel and machine provide it" ;;
			esac
			restore_pool "$pool"
			return
		done
	fi
	echo "    # $cmd"
	t0=$(uptime_cs)
	(cd "$TESTS_DIR" && timeout -s TERM -k 10 "$timeout" sh -c "$cmd") < /dev/null 2>&1 |
		tee "$log" | sed 's/^/    /'
	rc=$?
	t1=$(uptime_cs)
	echo "# rig: end $n $name rc=$rc duration=$(cs_to_s $((t1 - t0)))"
	if [ $rc -eq 0 ]; then
		echo "ok $n $name"
	elif [ $rc -eq 4 ]; then
		echo "ok $n $name # SKIP $(skip_reason "$log")"
	elif [ $((t1 - t0)) -ge $((timeout * 100)) ] && { [ $rc -eq 143 ] || [ $rc -eq 137 ]; }; then
		echo "not ok $n $name # TIMEOUT after ${timeout}s"
	else
		echo "not ok $n $name # exit status $rc"
	fi
	restore_pool "$pool"
	# Let the next test start from a quiet memory state.
	sync
	echo 3 > /proc/sys/vm/drop_caches
}

run_plan()
{
	local total n=0 name timeout needs cmd

	total=$(grep -c . /rig/plan)
	echo "KTAP version 1"
	record_env
	pin_tracepoints
	pin_kvm_keys
	echo "1..$total"
	while IFS='|' read -r name timeout needs cmd; do
		[ -n "$name" ] || continue
		n=$((n + 1))
		run_one "$n" "$name" "$timeout" "$needs" "$cmd"
	done < /rig/plan
	echo "# rig: done"
}

# pin_tracepoints: give each tracepoint the tests trace two probes for the
# whole boot, in two tracefs instances of the rig's that trace nothing
# (tracing off), so that a test enabling one registers a third probe and
# patches no kernel text.  Registering the first or the second probe of a
# tracepoint rewrites its call sites (the static key, the static call to
# the probe or to the iterator) with text_poke_bp(), and under x86 TCG a
# vCPU running such a site while another rewrites it sometimes executes
# the temporary int3 after the rewrite is done ("Oops: int3" in
# __schedule() as a test wrote set_event_pid).  Which events: the tests'
# (KVM's aging, fault, exit and exception events, lock_acquire).  The
# tests filter by thread with each event's own filter, not with
# set_event_pid, whose sched probes a test would add and remove under
# every context switch.
pin_tracepoints()
{
	local i t ev pinned=0

	[ -d "$TRACING_DIR/instances" ] || return 0
	for i in 0 1; do
		t=$TRACING_DIR/instances/rig_pin$i
		mkdir "$t" 2>/dev/null || continue
		echo 0 > "$t/tracing_on"
		for ev in kvm/kvm_age_hva kvm/kvm_test_age_hva kvm/kvm_guest_fault \
			kvm/kvm_exit kvm/kvm_inj_exception kvmmmu/kvm_tdp_mmu_spte_changed \
			lock/lock_acquire; do
			[ -e "$t/events/$ev/enable" ] || continue
			echo 1 > "$t/events/$ev/enable" && pinned=$((pinned + 1))
		done
	done
	echo "# env: pinned_tracepoints=$((pinned / 2))"
}

# pin_kvm_keys: the same for the static keys KVM flips as each test's VMs
# come and go (x86: its local APIC keys), held by rig-kvm-pin's own VMs for
# the whole boot (rig/guest-kvm-pin.c says which and why).  It prints its
# "# env:" line; a KVM that refuses it is said so, and the tests go on
# (they find out for themselves whether KVM works).
pin_kvm_keys()
{
	[ -x "$KVM_PIN" ] || return 0
	"$KVM_PIN" || echo "# env: pinned_kvm_keys=none (rig-kvm-pin failed: exit $?)"
}

# kmemleak_report: with kmemleak in the kernel, scan now and print what it
# found; each "unreferenced object" fails the run.
kmemleak_report()
{
	local f=/sys/kernel/debug/kmemleak

	[ -w $f ] || return 0
	echo scan > $f
	cat $f
}

# The unit tests source this file for its functions (tests/test_guest_init.py).
[ -n "${RIG_GUEST_INIT_FUNCTIONS_ONLY:-}" ] && return 0

# What the kernel was built with (see lib/kernel_expect.h): a selftest that
# finds one of these missing fails instead of skipping.
KERNEL_EXPECT=$(cat /rig/expect 2>/dev/null)
export KERNEL_EXPECT

mount_all
exec < /dev/console > /dev/console 2>&1
echo "# rig: guest up after $(cs_to_s "$(uptime_cs)")s"
if [ "$(cat /rig/mode)" = shell ]; then
	record_env
	pin_tracepoints
	pin_kvm_keys
	echo "# rig: interactive shell; the tests are in /rig/bin, the plan in /rig/plan; exit to power off"
	setsid cttyhack sh
else
	run_plan
	kmemleak_report
fi
sync
reboot -f
