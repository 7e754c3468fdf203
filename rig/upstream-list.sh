#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make upstream-list [KSRC=DIR]`: regenerate tests.upstream.list from the
# KVM selftests Makefile of DIR (default: the pinned Debian source, which
# the rig extracts into its cache) and upstream/overrides.list.

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_DIR

# shellcheck source=rig/common.sh
source "$REPO_DIR/rig/common.sh"
# shellcheck source=rig/source.sh
source "$REPO_DIR/rig/source.sh"

main()
{
	local tree=${1:-} out="$REPO_DIR/tests.upstream.list"

	if [[ -z "$tree" ]]; then
		mkdir -p "$RIG_CACHE/src"
		tree=$(source_debian) || exit
	fi
	[[ -f "$tree/tools/testing/selftests/kvm/Makefile" ]] ||
		die "$EXIT_USAGE" "KSRC=$tree has no tools/testing/selftests/kvm/Makefile"
	python3 "$REPO_DIR/rig/upstream.py" generate --tree "$tree" \
		--overrides "$REPO_DIR/upstream/overrides.list" > "$out.new" ||
		{ rm -f "$out.new"; die "$EXIT_RIG" "cannot generate $out"; }
	mv "$out.new" "$out"
	info "wrote $out: $(grep -c '^[^#]' "$out") tests, from $tree"
}

main "$@"
