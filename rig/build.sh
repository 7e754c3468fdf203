# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # BUILD_NOTE is read by run_tests.sh
#
# Builds: the kernel (O=, per arch and config), its UAPI headers, and the
# KVM selftests (in-tree ones plus ours), all cached under RIG_CACHE and
# skipped entirely when their inputs did not change.  Sourced by
# run_tests.sh.

# cross_prefix ARCH: the CROSS_COMPILE prefix for ARCH on this host, empty
# when ARCH is the host's own.
cross_prefix()
{
	case "$1:$(uname -m)" in
	x86_64:x86_64|arm64:aarch64) ;;
	arm64:*) echo aarch64-linux-gnu- ;;
	x86_64:*) echo x86_64-linux-gnu- ;;
	esac
}

# arch_make_vars ARCH: the make variables that select ARCH's toolchain.
arch_make_vars()
{
	local arch=$1 cross

	cross=$(cross_prefix "$arch")
	printf '%s\n' "ARCH=$arch"
	[[ -n "$cross" ]] && printf '%s\n' "CROSS_COMPILE=$cross"
	if command -v ccache > /dev/null; then
		printf '%s\n' "CC=ccache ${cross}gcc" "HOSTCC=ccache gcc"
	fi
}

# kernel_image_path ARCH: the boot image, relative to the O= directory.
kernel_image_path()
{
	case $1 in
	x86_64)	echo arch/x86/boot/bzImage ;;
	arm64)	echo arch/arm64/boot/Image ;;
	esac
}

# toolchain_id ARCH: changes when the compiler does.
toolchain_id()
{
	"$(cross_prefix "$1")gcc" --version | head -n1
}

# tree_id TREE: identifies the content of a source tree.  Our throwaway git
# trees are identified by their HEAD; other trees by source_fingerprint.
tree_id()
{
	local tree=$1

	if [[ -d "$tree/.git" && -f "$tree/.git/rig-source" ]]; then
		git -C "$tree" rev-parse HEAD
	else
		source_fingerprint "$tree"
	fi
}

# kernel_build TREE OBJDIR ARCH FRAGMENT...: configure and build the kernel
# and its headers.  Returns 0 when built or cached, 3 when a config option
# was dropped (after printing it), 4 when no config could be generated,
# 1 when the build failed.
kernel_build()
{
	local tree=$1 objdir=$2 arch=$3
	local image cfg_hash inputs jobs
	local -a vars

	shift 3
	image="$objdir/$(kernel_image_path "$arch")"
	cfg_hash=$(hash_files "$@")
	inputs="$(tree_id "$tree") $cfg_hash $(toolchain_id "$arch")"
	if [[ -f "$image" && "$(cat "$objdir/.rig-built" 2>/dev/null)" == "$inputs" ]]; then
		BUILD_NOTE=cached
		return 0
	fi
	BUILD_NOTE=built
	mapfile -t vars < <(arch_make_vars "$arch")
	if [[ "$(cat "$objdir/.rig-config" 2>/dev/null)" != "$cfg_hash" || ! -f "$objdir/.config" ]]; then
		rm -f "$objdir/.rig-config"
		kconfig_make "$tree" "$objdir" "$arch" "$@" || return $(($? == 1 ? 3 : 4))
		echo "$cfg_hash" > "$objdir/.rig-config"
	fi
	jobs=$(nproc)
	info "  make -j$jobs $(kernel_image_path "$arch") headers (log: $objdir/build.log)"
	run_logged "$objdir/build.log" \
		make -C "$tree" O="$objdir" "${vars[@]}" -j"$jobs" "${image##*/}" headers || return 1
	echo "$inputs" > "$objdir/.rig-built"
}

# kernel_features OBJDIR TREE: the features of the kernel built in OBJDIR
# from TREE that its selftests may take for granted, comma separated, as the
# guest's KERNEL_EXPECT (see lib/kernel_expect.h): from its .config, and for
# the series' lru_gen capability, from its source.
kernel_features()
{
	local objdir=$1 tree=$2 cfg="$1/.config" feature options opt ok
	local -a have=()

	[[ -f "$cfg" ]] || die "$EXIT_RIG" "no $cfg to read the kernel's features from"
	while read -r feature options; do
		ok=1
		for opt in ${options//,/ }; do
			grep -qx "CONFIG_$opt=y" "$cfg" || ok=0
		done
		((ok)) && have+=("$feature")
	done <<- EOF
		kvm KVM
		thp TRANSPARENT_HUGEPAGE
		hugetlb HUGETLBFS
		page_idle IDLE_PAGE_TRACKING
		pagemap PROC_PAGE_MONITOR
		lru_gen LRU_GEN,DEBUG_FS
		memcg MEMCG
		zram_swap ZRAM,SWAP
		lock_trace LOCKDEP,EVENT_TRACING
		test_mmu_notifier_young TEST_MMU_NOTIFIER_YOUNG
	EOF
	if grep -qx 'CONFIG_LRU_GEN=y' "$cfg" &&
		grep -qw LRU_GEN_SECONDARY_MMU_WALK "$tree/include/linux/mmzone.h"; then
		have+=(lru_gen_secondary_mmu_walk)
	fi
	local IFS=,
	echo "${have[*]}"
}

# selftests_stage TREE STAGE: a copy of TREE's tools/ (and the few files
# outside it the selftests use) in STAGE, with our selftests/ and lib/
# installed into its KVM selftests, so that no source tree is modified.
selftests_stage()
{
	local tree=$1 stage=$2

	mkdir -p "$stage"
	rsync -rl --checksum --delete "$tree/tools/" "$stage/tools/" || return 1
	# Outside tools/, the selftests use scripts/subarch.include and, on
	# arm64, the sysreg generator of arch/arm64/tools.
	mkdir -p "$stage/scripts" "$stage/arch/arm64"
	rsync -rl --checksum "$tree/scripts/subarch.include" "$stage/scripts/" || return 1
	rsync -rl --checksum --delete "$tree/arch/arm64/tools/" "$stage/arch/arm64/tools/" || return 1
	# Test drivers' interfaces that are not exported, e.g.
	# lib/test_mmu_notifier_young_uapi.h, are included from the tree.
	mkdir -p "$stage/lib" "$stage/mm"
	rsync -rl --checksum --delete --include='*_uapi.h' --exclude='*' "$tree/lib/" "$stage/lib/" || return 1
	# mm/hmm-tests includes mm/gup_test.h.
	rsync -rl --checksum --delete --include='gup_test.h' --exclude='*' "$tree/mm/" "$stage/mm/" || return 1
	"$REPO_DIR/rig/install-selftests.sh" "$stage/tools/testing/selftests/kvm" > /dev/null
}

# selftests_inputs TREE ARCH: what a selftest build depends on, for its stamp.
selftests_inputs()
{
	echo "$(tree_id "$1") $(hash_files "$REPO_DIR"/selftests/* "$REPO_DIR"/lib/* \
		"$REPO_DIR/rig/install-selftests.sh" 2>/dev/null) $(toolchain_id "$2")"
}

# build_cached OUTDIR INPUTS: whether OUTDIR holds a build of INPUTS (its
# .rig-built stamp, written last); sets BUILD_NOTE to cached, or to built
# and creates OUTDIR for the build to come.
build_cached()
{
	if [[ "$(cat "$1/.rig-built" 2>/dev/null)" == "$2" ]]; then
		BUILD_NOTE=cached
		return 0
	fi
	BUILD_NOTE=built
	mkdir -p "$1"
	return 1
}

# kvm_pin_build ARCH OBJDIR OUT: the guest's rig-kvm-pin (rig/guest-kvm-pin.c,
# which holds KVM's per-vCPU static keys for the boot), static, against
# OBJDIR's uapi headers; built again when it is older than either.
kvm_pin_build()
{
	local arch=$1 objdir=$2 out=$3 src="$REPO_DIR/rig/guest-kvm-pin.c"

	if [[ -x "$out" && "$out" -nt "$src" && "$out" -nt "$objdir/usr/include/linux/kvm.h" ]]; then
		return 0
	fi
	run_logged "$out.log" "$(cross_prefix "$arch")gcc" -static -O2 -Wall -Wextra -Werror \
		-isystem "$objdir/usr/include" -o "$out" "$src"
}

# selftest_make_vars ARCH: the make variables of a static selftest build.
selftest_make_vars()
{
	printf '%s\n' ARCH="$1" EXTRA_CFLAGS=-static "LDFLAGS=-static -pthread"
	[[ -z "$(cross_prefix "$1")" ]] || printf '%s\n' CROSS_COMPILE="$(cross_prefix "$1")"
}

# selftests_build TREE OBJDIR OUTDIR ARCH PROG...: build the KVM selftests
# PROGs statically against the headers of OBJDIR into OUTDIR, from a
# staged tools/ next to OUTDIR (selftests_stage).
selftests_build()
{
	local tree=$1 objdir=$2 outdir=$3 arch=$4
	local stage="${outdir}-stage" inputs prog suite sub log
	local -a vars targets

	shift 4
	inputs="$(selftests_inputs "$tree" "$arch") $*"
	build_cached "$outdir" "$inputs" && return 0
	selftests_stage "$tree" "$stage" || return 1
	mapfile -t vars < <(selftest_make_vars "$arch")
	for suite in kvm mm cgroup; do
		targets=()
		for prog in "$@"; do
			case $suite:$prog in
			kvm:mm/*|kvm:cgroup/*) ;;
			kvm:*) targets+=("$outdir/$prog") ;;
			mm:mm/*|cgroup:cgroup/*) targets+=("$outdir/$prog") ;;
			esac
		done
		((${#targets[@]})) || continue
		# Another suite's programs go to OUTDIR/SUITE, beside the KVM ones.
		sub=/$suite log=$outdir/build.$suite.log
		[[ $suite == kvm ]] && sub='' log=$outdir/build.log
		mkdir -p "$outdir$sub"
		run_logged "$log" \
			make -C "$stage/tools/testing/selftests/$suite" "${vars[@]}" -j"$(nproc)" \
				OUTPUT="$outdir$sub" KHDR_INCLUDES="-isystem $objdir/usr/include" \
				"${targets[@]}" || return 1
	done
	echo "$inputs" > "$outdir/.rig-built"
}

# kselftest_build TREE OBJDIR OUTDIR ARCH: the KVM selftests, ours
# included, built and installed the way a kernel developer does it
# (`make -C tools/testing/selftests TARGETS=kvm O=OBJDIR install`, on a
# tree with `make install-selftests` applied), statically, into
# OUTDIR/install: run_kselftest.sh, kselftest/, kselftest-list.txt, kvm/.
kselftest_build()
{
	local tree=$1 objdir=$2 outdir=$3 arch=$4 stage="${3}-stage" inputs
	local -a vars

	inputs="kselftest $(selftests_inputs "$tree" "$arch")"
	build_cached "$outdir" "$inputs" && return 0
	selftests_stage "$tree" "$stage" || return 1
	mapfile -t vars < <(selftest_make_vars "$arch")
	rm -rf "$outdir/install"
	# O= is the kernel's object directory, whose usr/include has the
	# headers; the selftests' objects go to OUTDIR/kselftest.
	run_logged "$outdir/build.log" \
		make -C "$stage/tools/testing/selftests" TARGETS=kvm "${vars[@]}" -j"$(nproc)" \
			O="$objdir" BUILD="$outdir/kselftest" KSFT_INSTALL_PATH="$outdir/install" \
			install || return 1
	[[ -x "$outdir/install/run_kselftest.sh" && -s "$outdir/install/kselftest-list.txt" ]] || {
		warn "the kselftest install in $outdir/install has no run_kselftest.sh or test list"
		return 1
	}
	echo "$inputs" > "$outdir/.rig-built"
}
