# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Kernel source trees: the pinned Debian source (pristine, extracted once)
# and throwaway git trees with patches/ applied by `git am`.  Sourced by
# run_tests.sh; uses RIG_CACHE and REPO_DIR.

readonly DEBIAN_SRC_PKG=linux-source-6.12
readonly DEBIAN_SRC_VERSION=6.12.117-1~deb12u1
readonly DEBIAN_SRC_TARBALL=${RIG_DEBIAN_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

# series_files: the patches of patches/series, in order, one path a line.
series_files()
{
	local name

	[[ -f "$REPO_DIR/patches/series" ]] || return 0
	while read -r name _; do
		[[ -z "$name" || "$name" == \#* ]] && continue
		printf '%s\n' "$REPO_DIR/patches/$name"
	done < "$REPO_DIR/patches/series"
}

# series_hash: identifies the series applied (empty series: "none").
series_hash()
{
	local -a files

	mapfile -t files < <(series_files)
	if ((${#files[@]} == 0)); then
		echo none
	else
		hash_files "$REPO_DIR/patches/series" "${files[@]}"
	fi
}

# series_check: every patch named in patches/series exists.
series_check()
{
	local f

	while read -r f; do
		[[ -f "$f" ]] || die "$EXIT_USAGE" "patches/series names ${f##*/}, which does not exist"
	done < <(series_files)
}

# source_debian: print the pristine Debian source directory, extracting it
# into the cache the first time.  It is never configured or modified.
source_debian()
{
	local dir="$RIG_CACHE/src/linux-${DEBIAN_SRC_VERSION//\~/_}"
	local have tmp

	if [[ -f "$dir/.rig-extracted" ]]; then
		echo "$dir"
		return 0
	fi
	have=$(dpkg-query -W -f='${Version}' "$DEBIAN_SRC_PKG" 2>/dev/null) || have=''
	[[ "$have" == "$DEBIAN_SRC_VERSION" && -f "$DEBIAN_SRC_TARBALL" ]] ||
		die "$EXIT_RIG" "$DEBIAN_SRC_PKG=$DEBIAN_SRC_VERSION is not installed (have '${have:-none}'); run ./run_tests.sh --install-deps"
	mkdir -p "$RIG_CACHE/src" || die "$EXIT_RIG" "cannot create $RIG_CACHE/src"
	info "  extracting $DEBIAN_SRC_TARBALL into $dir"
	tmp=$(mktemp -d "$RIG_CACHE/src/extract.XXXXXX")
	tar -C "$tmp" -xf "$DEBIAN_SRC_TARBALL" ||
		die "$EXIT_RIG" "cannot extract $DEBIAN_SRC_TARBALL"
	rm -rf "$dir"
	mv "$tmp/linux-source-6.12" "$dir"
	rmdir "$tmp"
	touch "$dir/.rig-extracted"
	echo "$dir"
}

# source_fingerprint DIR: changes whenever the content of DIR may have.
source_fingerprint()
{
	local dir=$1

	if [[ -f "$dir/.rig-extracted" ]]; then
		echo "debian-$DEBIAN_SRC_VERSION"
	elif git -C "$dir" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
		{
			git -C "$dir" rev-parse HEAD
			git -C "$dir" diff HEAD
			git -C "$dir" ls-files --others --exclude-standard
		} | sha256sum | cut -c1-16
	else
		# Not a git tree: we cannot tell cheaply, so always resync.
		echo "unknown-$RANDOM$RANDOM"
	fi
}

# source_version DIR: "6.12.117" plus the git description when there is one.
source_version()
{
	local dir=$1 v desc

	v=$(make -s -C "$dir" kernelversion 2>/dev/null) || v=unknown
	if [[ -f "$dir/.rig-extracted" ]]; then
		v="$v (debian $DEBIAN_SRC_PKG $DEBIAN_SRC_VERSION)"
	elif desc=$(git -C "$dir" describe --always --dirty 2>/dev/null); then
		v="$v (git $desc)"
	fi
	echo "$v"
}

# patch_failure_report TREE PATCH: name the hunks of PATCH that do not apply.
patch_failure_report()
{
	local tree=$1 patch=$2

	printf 'patch %s does not apply:\n' "${patch##*/}"
	# GNU patch names each failing hunk ("Hunk #2 FAILED at 120.").
	patch -d "$tree" -p1 --dry-run --force < "$patch" 2>&1 |
		grep -E '^(checking|patching) file|^Hunk|FAILED|can.t find file|malformed' |
		sed 's/^/    /'
}

# source_patched SRC NAME: print a throwaway git tree named NAME holding SRC
# with patches/series applied as commits, updating it only as needed:
# unchanged files keep their mtimes, so O= builds stay incremental.
# Returns 125-style failure (prints the report) when a patch does not apply.
source_patched()
{
	local src=$1 name=$2
	local tree="$RIG_CACHE/trees/$name"
	local fp want patch

	fp=$(source_fingerprint "$src")
	if [[ "$(cat "$tree/.git/rig-source" 2>/dev/null)" != "$fp" ]]; then
		info "  syncing $src into $tree"
		mkdir -p "$tree"
		# Content comparison, not mtimes: a file that goes back to an
		# older version must still look newer than its objects.
		rsync -rl --checksum --delete --exclude=/.git --exclude='/.rig-*' \
			"$src/" "$tree/" >&2 || return 2
		if [[ ! -d "$tree/.git" ]]; then
			git -C "$tree" init -q -b rig >&2 || return 2
		fi
		git -C "$tree" checkout -q -B rig >&2 2>/dev/null || true
		git -C "$tree" add -A -f . >&2 || return 2
		git -C "$tree" -c user.name=rig -c user.email=rig@localhost \
			commit -q --allow-empty -m "rig: base ($fp)" >&2 || return 2
		git -C "$tree" tag -f rig-base > /dev/null || return 2
		echo "$fp" > "$tree/.git/rig-source"
		rm -f "$tree/.git/rig-series"
	fi

	want=$(series_hash)
	if [[ "$(cat "$tree/.git/rig-series" 2>/dev/null)" != "$want" ]]; then
		git -C "$tree" am --abort > /dev/null 2>&1 || true
		git -C "$tree" reset -q --hard rig-base >&2 || return 2
		git -C "$tree" clean -q -fdx >&2 || return 2
		while read -r patch; do
			if ! git -C "$tree" -c user.name=rig -c user.email=rig@localhost \
				am -q --keep-cr "$patch" > "$tree/.git/rig-am.log" 2>&1; then
				git -C "$tree" am --abort > /dev/null 2>&1 || true
				patch_failure_report "$tree" "$patch" >&2
				grep -E '^error:' "$tree/.git/rig-am.log" | sort -u | sed 's/^/    git am: /' >&2
				return 1
			fi
		done < <(series_files)
		echo "$want" > "$tree/.git/rig-series"
	fi
	echo "$tree"
}
