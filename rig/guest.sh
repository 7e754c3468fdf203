# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # BOOT_MARGIN and QEMU_PID are read by run_tests.sh
#
# The test guest: its initramfs (built without root through the kernel's
# gen_init_cpio) and its QEMU invocation with a watchdog.  Sourced by
# run_tests.sh.

readonly GUEST_MEM=2G
readonly GUEST_SMP=2
readonly BOOT_MARGIN=${RIG_BOOT_MARGIN:-180}	# seconds allowed on top of the tests' timeouts

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

# initramfs_build OUT BUSYBOX PLAN MODE BINDIR PROG...: write a gzipped
# initramfs holding busybox, the guest init, the plan and the test PROGs.
initramfs_build()
{
	local out=$1 busybox=$2 plan=$3 mode=$4 bindir=$5
	local spec="${out%.gz}.spec" modefile="${out%.gz}.mode" gen applet prog d

	shift 5
	gen=$(gen_init_cpio_path "$KERNEL_TREE")
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
		echo "file /rig/plan $plan 0644 0 0"
		echo "file /rig/mode $modefile 0644 0 0"
		for prog in "$@"; do
			echo "file /rig/bin/$prog $bindir/$prog 0755 0 0"
		done
	} > "$spec"
	"$gen" "$spec" | gzip -1 > "$out" || die "$EXIT_RIG" "cannot build the initramfs $out"
}

# qemu_command ARCH KERNEL INITRD APPEND: print QEMU's argv, one per line.
qemu_command()
{
	local arch=$1 kernel=$2 initrd=$3 append=$4

	case $arch in
	x86_64)
		# Under TCG the clocksource watchdog soon marks the TSC unstable,
		# and KVM then has no TSC frequency to give its guests
		# (KVM_GET_TSC_KHZ fails): tell the kernel to trust the TSC.
		# mem=: QEMU's e820 ends RAM at PFN 0x7ffdf, and 6.12's
		# page_idle_bitmap_read() returns nothing for the last, partial
		# 64-page chunk below max_pfn, so a test page placed there cannot
		# be read (access_tracking_perf_test fails); end RAM on a chunk.
		printf '%s\n' qemu-system-x86_64 -machine q35 -accel tcg,thread=multi \
			-cpu max -append "console=ttyS0 tsc=reliable mem=2047M $append"
		;;
	arm64)
		printf '%s\n' qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 \
			-accel tcg,thread=multi -cpu max -append "console=ttyAMA0 $append"
		;;
	esac
	printf '%s\n' -smp "$GUEST_SMP" -m "$GUEST_MEM" -nographic -no-reboot \
		-kernel "$kernel" -initrd "$initrd"
}

# progress_lines CONSOLE FROM ARCH TOTAL: print progress for console lines
# FROM onwards; prints the number of lines consumed on fd 3.
progress_lines()
{
	local console=$1 from=$2 arch=$3 total=$4

	sed -n "${from},\$p" "$console" | tr -d '\r' | awk -v arch="$arch" -v total="$total" \
		-v t0="$RIG_START" -v now="$SECONDS" '
		{ sub(/^\[ *[0-9]+\.[0-9]+\] ?/, "") }
		/^# rig: guest up/ { printf "[%s]   %s: %s\n", ts(), arch, substr($0, 8) }
		/^# rig: begin / { printf "[%s]   %s [%d/%d] %s ...\n", ts(), arch, $4, total, $5 }
		/^(not )?ok [0-9]+ / {
			line = $0; sub(/^(not )?ok [0-9]+ /, "", line)
			printf "[%s]   %s [%d/%d] %s\n", ts(), arch, ($1 == "ok" ? $2 : $3), total,
				($1 == "ok" ? "ok    " : "FAILED") " " line
		}
		/^# rig: end / { }
		function ts(  s) { s = now - t0; return sprintf("%02d:%02d", s / 60, s % 60) }
		END { print NR > "/dev/fd/3" }'
}

# guest_run ARCH KERNEL INITRD APPEND CONSOLE TOTAL LIMIT: boot the guest,
# print progress, kill it by PID after LIMIT seconds.  Returns 0 when QEMU
# exited by itself, 2 when the watchdog killed it, 1 when QEMU failed.
guest_run()
{
	local arch=$1 kernel=$2 initrd=$3 append=$4 console=$5 total=$6 limit=$7
	local pid t0=$SECONDS seen=1 n rc=0 first=''
	local -a cmd

	mapfile -t cmd < <(qemu_command "$arch" "$kernel" "$initrd" "$append")
	printf '%q ' "${cmd[@]}" > "${console%.log}.cmd"
	# 9>&-: the run lock of run_tests.sh stays with the runner.
	"${cmd[@]}" < /dev/null > "$console" 2>&1 9>&- &
	pid=$!
	QEMU_PID=$pid
	while kill -0 "$pid" 2> /dev/null; do
		sleep 1
		{ n=$(progress_lines "$console" "$seen" "$arch" "$total" 3>&1 1>&4); } 4>&2
		seen=$((seen + n))
		if [[ -z "$first" ]] && grep -qa '# rig: begin ' "$console"; then
			first=$((SECONDS - t0))
			info "  $arch: QEMU start to first test: ${first}s"
			[[ -n "${PHASE_LOG:-}" ]] &&
				printf '%s: boot to first test\t%d\t\n' "$arch" "$first" >> "$PHASE_LOG"
		fi
		if ((SECONDS - t0 > limit)); then
			warn "$arch: guest still running after ${limit}s: watchdog kills QEMU (pid $pid)"
			kill "$pid" 2> /dev/null
			sleep 3
			kill -9 "$pid" 2> /dev/null
			wait "$pid" 2> /dev/null
			QEMU_PID=''
			return 2
		fi
	done
	wait "$pid" || rc=$?
	QEMU_PID=''
	{ n=$(progress_lines "$console" "$seen" "$arch" "$total" 3>&1 1>&4); } 4>&2
	if ((rc != 0)); then
		warn "$arch: QEMU exited with status $rc; see $console"
		return 1
	fi
	return 0
}

# guest_shell ARCH KERNEL INITRD APPEND: boot interactively on this terminal.
guest_shell()
{
	local -a cmd

	mapfile -t cmd < <(qemu_command "$@")
	info "starting an interactive guest (exit the shell to power off; Ctrl-a x quits QEMU)"
	# In the background so that a signal to the runner is handled at once
	# (its EXIT trap kills QEMU by PID); stdin stays the terminal.
	"${cmd[@]}" <&0 9>&- &
	QEMU_PID=$!
	wait "$QEMU_PID"
	QEMU_PID=''
}
