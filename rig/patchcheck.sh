#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make patchcheck`: the per-patch quality bar of the series, too slow for
# every CI run.  For each patch of patches/series, in order:
#   - scripts/checkpatch.pl --strict on the patch file;
#   - the kernel builds for x86_64 and arm64 with our configs, with the
#     series applied up to and including that patch;
#   - W=1 adds no new warning in the C files the patch touches (compared
#     with the same files before the patch).
# Then, with the whole series, x86_64 also builds with CONFIG_KVM=n and with
# CONFIG_LRU_GEN=n, and both arches build the test driver as a module
# (configs/check-*.config).
#
# It works in a git worktree of the runner's throwaway patched tree with
# O= directories of its own, so the runner's builds are not disturbed.
#
# Usage: rig/patchcheck.sh [--arch x86_64|arm64|all] [--no-extra]
# Exit: 0 all good, 1 a check failed, 125 the series does not apply,
# 128 the rig is broken, 129 bad usage.

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_DIR

# shellcheck source=rig/common.sh
source "$REPO_DIR/rig/common.sh"
# shellcheck source=rig/kconfig.sh
source "$REPO_DIR/rig/kconfig.sh"
# shellcheck source=rig/source.sh
source "$REPO_DIR/rig/source.sh"
# shellcheck source=rig/build.sh
source "$REPO_DIR/rig/build.sh"

RESULTS=()
FAILED=0

record()
{
	local what=$1 verdict=$2 note=${3:-}

	RESULTS+=("$(printf '%-58s %-5s %s' "$what" "$verdict" "$note")")
	[[ "$verdict" == ok ]] || FAILED=$((FAILED + 1))
	info "  $what: $verdict${note:+ ($note)}"
}

# w1_warnings WT OBJDIR ARCH FILE...: the W=1 warnings of the objects of
# the C FILEs that this config builds, without line numbers.
w1_warnings()
{
	local wt=$1 objdir=$2 arch=$3 f
	local -a vars objs=()

	shift 3
	for f in "$@"; do
		[[ "$f" == *.c && -f "$objdir/${f%.c}.o" ]] && objs+=("${f%.c}.o")
	done
	((${#objs[@]})) || return 0
	mapfile -t vars < <(arch_make_vars "$arch")
	make -C "$wt" O="$objdir" "${vars[@]}" W=1 "${objs[@]}" 2>&1 |
		grep -E ': warning: ' | sed -E 's/:[0-9]+:[0-9]+: /: /' | sort -u
}

# check_patch WT N COMMIT PATCHFILE ARCH...: the checks of one patch.
check_patch()
{
	local wt=$1 n=$2 commit=$3 patch=$4 arch objdir rc before after new
	local -a files frags vars

	shift 4
	if "$wt/scripts/checkpatch.pl" --strict --no-tree -q "$patch" > "$RIG_CACHE/patchcheck.log" 2>&1; then
		record "$n checkpatch --strict" ok
	else
		record "$n checkpatch --strict" FAIL "$(grep -cE '^(ERROR|WARNING|CHECK)' "$RIG_CACHE/patchcheck.log") findings"
		head -n 30 "$RIG_CACHE/patchcheck.log" | awk '{ print "    " $0 }'
	fi
	mapfile -t files < <(git -C "$wt" diff --name-only "$commit^" "$commit")
	for arch in "$@"; do
		objdir="$RIG_CACHE/build/patchcheck/$arch"
		mapfile -t frags < <(printf '%s\n' "$REPO_DIR/configs/common.config" "$REPO_DIR/configs/$arch.config")
		mapfile -t vars < <(arch_make_vars "$arch")
		git -C "$wt" checkout -q "$commit" || return 2
		rm -f "$objdir/.rig-built"
		rc=0
		kernel_build "$wt" "$objdir" "$arch" "${frags[@]}" || rc=$?
		if ((rc != 0)); then
			record "$n build $arch" FAIL "see $objdir/build.log"
			continue
		fi
		record "$n build $arch" ok
		# The objects exist now: compare their W=1 warnings before and
		# after the patch.
		git -C "$wt" checkout -q "$commit^" || return 2
		before=$(w1_warnings "$wt" "$objdir" "$arch" "${files[@]}")
		git -C "$wt" checkout -q "$commit" || return 2
		after=$(w1_warnings "$wt" "$objdir" "$arch" "${files[@]}")
		new=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$')
		if [[ -z "$new" ]]; then
			record "$n W=1 $arch (touched files)" ok
		else
			record "$n W=1 $arch (touched files)" FAIL "$(wc -l <<< "$new") new warnings"
			awk '{ print "    " $0 }' <<< "$new"
		fi
	done
}

# check_extra WT ARCH NAME FRAGMENT: the whole series builds for ARCH with an
# extra fragment, and its modules too if the fragment enables modules.
check_extra()
{
	local wt=$1 arch=$2 name=$3 frag=$4 objdir="$RIG_CACHE/build/patchcheck/$2-$3" rc=0
	local -a vars

	kernel_build "$wt" "$objdir" "$arch" "$REPO_DIR/configs/common.config" \
		"$REPO_DIR/configs/$arch.config" "$frag" || rc=$?
	if ((rc == 0)) && grep -q '^CONFIG_MODULES=y' "$objdir/.config"; then
		mapfile -t vars < <(arch_make_vars "$arch")
		info "  make modules (log: $objdir/modules.log)"
		run_logged "$objdir/modules.log" \
			make -C "$wt" O="$objdir" "${vars[@]}" -j"$(nproc)" modules || rc=5
	fi
	case $rc in
	0) record "series build $arch $name" ok ;;
	3) record "series build $arch $name" FAIL "config options dropped" ;;
	5) record "series build $arch $name" FAIL "modules: see $objdir/modules.log" ;;
	*) record "series build $arch $name" FAIL "see $objdir/build.log" ;;
	esac
}

main()
{
	local arch_opt=all extra=1 src tree wt n=0 commit patch rc=0 arch
	local -a arches commits patches

	while (($#)); do
		case $1 in
		--arch)
			(($# >= 2)) || die "$EXIT_USAGE" "--arch needs an argument"
			arch_opt=$2
			shift
			;;
		--no-extra) extra=0 ;;
		-h|--help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "$EXIT_USAGE" "unknown option '$1'" ;;
		esac
		shift
	done
	case $arch_opt in
	all) arches=(x86_64 arm64) ;;
	x86_64|arm64) arches=("$arch_opt") ;;
	*) die "$EXIT_USAGE" "--arch must be x86_64, arm64 or all, not '$arch_opt'" ;;
	esac

	mkdir -p "$RIG_CACHE" || die "$EXIT_RIG" "cannot create the cache $RIG_CACHE"
	take_run_lock
	series_check
	mapfile -t patches < <(series_files)
	((${#patches[@]})) || die "$EXIT_USAGE" "patches/series is empty: nothing to check"
	src=$(source_debian) || exit
	phase_begin "series"
	tree=$(source_patched "$src" "debian-${DEBIAN_SRC_VERSION//\~/_}+series") || rc=$?
	((rc == 0)) || die "$EXIT_UNTESTABLE" "patches/ does not apply"
	wt="$RIG_CACHE/trees/patchcheck"
	if [[ ! -d "$wt" ]]; then
		git -C "$tree" worktree add -q --detach "$wt" HEAD ||
			die "$EXIT_RIG" "cannot create the worktree $wt"
	fi
	mapfile -t commits < <(git -C "$tree" rev-list --reverse rig-base..HEAD)
	((${#commits[@]} == ${#patches[@]})) ||
		die "$EXIT_RIG" "${#patches[@]} patches but ${#commits[@]} commits in $tree"
	phase_end "${#patches[@]} patches"

	for commit in "${commits[@]}"; do
		phase_begin "patch $((n + 1))/${#patches[@]}: $(git -C "$tree" log -1 --format=%s "$commit")"
		check_patch "$wt" "$(printf '%04d' $((n + 1)))" "$commit" "${patches[$n]}" "${arches[@]}" ||
			die "$EXIT_RIG" "cannot check out $commit in $wt"
		phase_end
		n=$((n + 1))
	done
	if ((extra)); then
		phase_begin "whole series, x86_64, CONFIG_KVM=n and CONFIG_LRU_GEN=n"
		check_extra "$wt" x86_64 nokvm "$REPO_DIR/configs/check-nokvm.config"
		check_extra "$wt" x86_64 nolrugen "$REPO_DIR/configs/check-nolrugen.config"
		phase_end
		phase_begin "whole series, the test driver as a module"
		for arch in "${arches[@]}"; do
			check_extra "$wt" "$arch" driver-module \
				"$REPO_DIR/configs/check-driver-module.config"
		done
		phase_end
	fi
	echo
	printf '%s\n' "${RESULTS[@]}"
	echo "patchcheck: $((${#RESULTS[@]} - FAILED)) passed, $FAILED failed"
	((FAILED == 0))
}

# Sourced by the unit tests for its functions; run otherwise.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
