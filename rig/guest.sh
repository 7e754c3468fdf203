# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # QEMU_PID and MONITOR_PID are read by run_tests.sh
#
# The test guest: its initramfs (built without root through the kernel's
# gen_init_cpio) and its QEMU invocation with a watchdog.  Sourced by
# run_tests.sh.

readonly GUEST_MEM=2G
readonly GUEST_SMP=2
# Seconds the watchdog allows on top of a test's timeout, and for the guest
# to come up, to go from one test to the next, and to power off.
readonly BOOT_MARGIN=${RIG_BOOT_MARGIN:-120}

# gen_init_cpio_path TREE: the kernel's initramfs generator, built once.
gen_init_cpio_path()
{
	local tree=$1 bin="$RIG_CACHE/bin/gen_init_cpio"

	if [[ ! -x "$bin" || "$tree/usr/gen_init_cpio.c" -nt "$bin" ]]; then
		mkdir -p "${bin%/*}"
		gcc -O2 -o "$bin" "$tree/usr/gen_init_cpio.c" ||
			die "$EXIT_RIG" "cannot build gen_init_cpio from $tree/usr/gen_init_cpio.c"
	fi
	echo "$bin"
}

# initramfs_build OUT BUSYBOX PLAN MODE EXPECT KVMPIN BINDIR PROG...: write
# a gzipped initramfs holding busybox, the guest init, the plan, the
# kernel's features (EXPECT, from kernel_features), rig-kvm-pin (KVMPIN,
# from kvm_pin_build) and the test PROGs.
initramfs_build()
{
	local out=$1 busybox=$2 plan=$3 mode=$4 expect=$5 kvmpin=$6 bindir=$7
	local spec="${out%.gz}.spec" modefile="${out%.gz}.mode" gen applet prog d

	shift 7
	[[ -x "$kvmpin" ]] || die "$EXIT_RIG" "no rig-kvm-pin for the guest at '$kvmpin'"
	[[ -x "$busybox" ]] || die "$EXIT_RIG" "no busybox for the guest at '$busybox'"
	gen=$(gen_init_cpio_path "$KERNEL_TREE") || exit
	echo "$mode" > "$modefile"
	{
		for d in /dev /proc /sys /tmp /bin /sbin /usr /usr/bin /usr/sbin /rig /rig/bin /root /mnt; do
			echo "dir $d 0755 0 0"
		done
		echo "nod /dev/console 0600 0 0 c 5 1"
		echo "nod /dev/null 0666 0 0 c 1 3"
		echo "file /bin/busybox $busybox 0755 0 0"
		# busybox --list runs on the host only for the host's arch, so
		# take the applet list from the x86_64 busybox: same version.
		for applet in $(/bin/busybox --list); do
			[[ "$applet" == busybox ]] && continue
			echo "slink /bin/$applet /bin/busybox 0777 0 0"
		done
		echo "file /init $REPO_DIR/rig/guest-init.sh 0755 0 0"
		echo "file /usr/bin/addr2line $REPO_DIR/rig/guest-addr2line.sh 0755 0 0"
		echo "file /usr/bin/rig-kselftest $REPO_DIR/rig/guest-kselftest.sh 0755 0 0"
		echo "file /usr/bin/rig-kvm-pin $kvmpin 0755 0 0"
		echo "file /rig/plan $plan 0644 0 0"
		echo "file /rig/mode $modefile 0644 0 0"
		echo "file /rig/expect $expect 0644 0 0"
		# Programs in a selftest subdirectory (x86_64/, mm/) keep it.
		for d in $(printf '%s\n' "$@" | sed -n 's|/[^/]*$||p' | sort -u); do
			echo "dir /rig/bin/$d 0755 0 0"
		done
		for prog in "$@"; do
			echo "file /rig/bin/$prog $bindir/$prog 0755 0 0"
		done
	} > "$spec"
	"$gen" "$spec" | gzip -1 > "$out" || die "$EXIT_RIG" "cannot build the initramfs $out"
}

# qemu_command ARCH ACCEL KERNEL INITRD APPEND: print QEMU's argv, one per
# line.  ACCEL is tcg, or kvm (see accel_for): the guest then gets the
# host's CPU, whose virtualization extensions its own KVM uses.
qemu_command()
{
	local arch=$1 accel=$2 kernel=$3 initrd=$4 append=$5 cpu=max
	local -a accel_args=(-accel 'tcg,thread=multi')

	if [[ "$accel" == kvm ]]; then
		accel_args=(-accel kvm)
		cpu=host
	fi
	case $arch in
	x86_64)
		# Under TCG the clocksource watchdog soon marks the TSC unstable,
		# and KVM then has no TSC frequency to give its guests
		# (KVM_GET_TSC_KHZ fails): tell the kernel to trust the TSC.
		# mem=: QEMU's e820 ends RAM at PFN 0x7ffdf, and 6.12's
		# page_idle_bitmap_read() returns nothing for the last, partial
		# 64-page chunk below max_pfn, so a test page placed there cannot
		# be read (access_tracking_perf_test fails); end RAM on a chunk.
		printf '%s\n' qemu-system-x86_64 -machine q35 "${accel_args[@]}" \
			-cpu "$cpu" -append "console=ttyS0 tsc=reliable mem=2047M $append"
		;;
	arm64)
		printf '%s\n' qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 \
			"${accel_args[@]}" -cpu "$cpu" -append "console=ttyAMA0 $append"
		;;
	esac
	printf '%s\n' -smp "$GUEST_SMP" -m "$GUEST_MEM" -nographic -no-reboot \
		-kernel "$kernel" -initrd "$initrd"
}

# guest_run ARCH KERNEL INITRD APPEND CONSOLE PLAN STATUS: boot the guest,
# with the accelerator GUEST_ACCEL[ARCH], under rig/monitor.py, which shows the progress, and kills QEMU when a test
# overruns its timeout by BOOT_MARGIN seconds, or the guest is silent for
# that long outside a test.  Returns 0 when QEMU exited by itself, 2 when
# the watchdog killed it, 1 when QEMU failed; STATUS says what happened.
guest_run()
{
	local arch=$1 kernel=$2 initrd=$3 append=$4 console=$5 plan=$6 status=$7
	local rc=0
	local -a cmd phase_log=()

	mapfile -t cmd < <(qemu_command "$arch" "${GUEST_ACCEL[$arch]}" "$kernel" "$initrd" "$append")
	[[ -n "${PHASE_LOG:-}" ]] && phase_log=(--phase-log "$PHASE_LOG")
	printf '%q ' "${cmd[@]}" > "${console%.log}.cmd"
	# In the background, so that a signal to the runner is handled at once
	# (its EXIT trap stops the monitor, which stops QEMU).  9>&-: the run
	# lock of run_tests.sh stays with the runner.
	python3 "$REPO_DIR/rig/monitor.py" --arch "$arch" --console "$console" --plan "$plan" \
		--margin "$BOOT_MARGIN" --status "$status" "${phase_log[@]}" \
		-- "${cmd[@]}" < /dev/null 9>&- &
	MONITOR_PID=$!
	wait "$MONITOR_PID" || rc=$?
	MONITOR_PID=''
	case $rc in
	0|1|2) return "$rc" ;;
	*) die "$EXIT_RIG" "$arch: the guest monitor failed (status $rc)" ;;
	esac
}

# guest_shell ARCH KERNEL INITRD APPEND: boot interactively on this terminal.
guest_shell()
{
	local -a cmd

	mapfile -t cmd < <(qemu_command "$1" "${GUEST_ACCEL[$1]}" "${@:2}")
	info "starting an interactive guest (exit the shell to power off; Ctrl-a x quits QEMU)"
	# In the background so that a signal to the runner is handled at once
	# (its EXIT trap kills QEMU by PID); stdin stays the terminal.
	"${cmd[@]}" <&0 9>&- &
	QEMU_PID=$!
	wait "$QEMU_PID"
	QEMU_PID=''
}
