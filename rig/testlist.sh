# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The declarative test list (tests.list): parsing, validation, selection
# and the guest plans derived from it.  Sourced by run_tests.sh.
#
# Normalised entries are "name|arches|timeout|cmdline|needs|command" with
# the fields trimmed and a '-' cmdline turned into an empty one.

# testlist_entries FILE: the normalised entries of FILE, in order.
testlist_entries()
{
	awk -F'|' '
		/^[ \t]*(#|$)/ { next }
		{
			for (i = 1; i <= NF; i++) { gsub(/^[ \t]+|[ \t]+$/, "", $i) }
			if ($4 == "-") $4 = ""
			out = $1
			for (i = 2; i <= NF; i++) out = out "|" $i
			print out
		}' "$1"
}

# testlist_check FILE: validate every entry; a bad one is a usage error
# that names its line.
testlist_check()
{
	local file=$1 err

	[[ -r "$file" ]] || die "$EXIT_USAGE" "test list $file is not readable"
	err=$(awk -F'|' '
		/^[ \t]*(#|$)/ { next }
		{
			for (i = 1; i <= NF; i++) { gsub(/^[ \t]+|[ \t]+$/, "", $i) }
			where = FILENAME ":" FNR ": "
			if (NF != 6) { print where "expected 6 fields separated by |, found " NF; exit }
			if ($1 !~ /^[A-Za-z0-9_.+-]+(\/[A-Za-z0-9_.+-]+)?$/) { print where "bad test name \"" $1 "\""; exit }
			n = split($2, a, ",")
			if (n == 0) { print where "no arch: expected x86_64, arm64 or both, separated by a comma"; exit }
			for (i = 1; i <= n; i++) {
				if (a[i] != "x86_64" && a[i] != "arm64") { print where "unknown arch \"" a[i] "\""; exit }
				# A name may have one entry per arch (sizes that differ).
				if (($1 "," a[i]) in seen) {
					print where "duplicate test name \"" $1 "\" for " a[i] " (line " seen[$1 "," a[i]] ")"; exit
				}
				seen[$1 "," a[i]] = FNR
			}
			if ($3 !~ /^[1-9][0-9]*$/) { print where "timeout must be a positive integer, not \"" $3 "\""; exit }
			if ($4 ~ /\|/) { print where "bad cmdline"; exit }
			n = split($5, a, ",")
			for (i = 1; i <= n; i++)
				if (a[i] != "-" && a[i] !~ /^\??(kvm$|accel:(kvm|tcg)$|(cpu|file|param):.|hugepages:[1-9][0-9]*$)/) {
					print where "unknown need \"" a[i] "\""; exit
				}
			if ($6 == "") { print where "empty command"; exit }
			# A program in a selftest directory of one arch cannot run on
			# the other; mm/ and cgroup/ are the other selftest suites.
			split($6, w, " ")
			prog = w[1]
			if (prog ~ /\//) {
				dir = prog
				sub(/\/.*/, "", dir)
				if (dir !~ /^(x86_64|x86|aarch64|arm64|mm|cgroup)$/ || prog !~ /^[^\/]+\/[^\/]+$/) {
					print where "program \"" prog "\" is in no selftest directory the rig builds (x86_64/, aarch64/, mm/, cgroup/)"; exit
				}
				if ((dir == "x86_64" || dir == "x86") && ("," $2 ",") ~ /,arm64,/) {
					print where "program \"" prog "\" is an x86 selftest, listed for arm64"; exit
				}
				if ((dir == "aarch64" || dir == "arm64") && ("," $2 ",") ~ /,x86_64,/) {
					print where "program \"" prog "\" is an arm64 selftest, listed for x86_64"; exit
				}
			}
		}' "$file")
	[[ -z "$err" ]] || die "$EXIT_USAGE" "$err"
	[[ -n "$(testlist_entries "$file")" ]] ||
		die "$EXIT_USAGE" "test list $file holds no test (only comments or blank lines)"
}

# testlist_check_globs FILE GLOBS ARCH...: every one of the comma-separated
# GLOBS matches a test of FILE runnable on one of the ARCHes; a usage error
# names the first one that does not, so that no glob is silently ignored.
testlist_check_globs()
{
	local file=$1 globs=$2 glob
	local -a pats

	shift 2
	[[ -n "$globs" && "$globs" != *, && "$globs" != ,* && "$globs" != *,,* ]] ||
		die "$EXIT_USAGE" "--tests '$globs' has an empty glob"
	IFS=, read -r -a pats <<< "$globs"
	for glob in "${pats[@]}"; do
		[[ -n "$(testlist_select "$file" "$glob" "$@")" ]] && continue
		if [[ "$glob" == *[[:space:]]* ]]; then
			die "$EXIT_USAGE" "--tests: '$glob' matches no test: names have no spaces (separate globs with a bare comma)"
		fi
		die "$EXIT_USAGE" "--tests: '$glob' matches no test for $* (--list shows them)"
	done
}

# testlist_shard I/N: the I-th of N shares of the entries on stdin, taking
# every N-th entry from the I-th (list order spreads the long tests); a
# usage error when the share is empty.
testlist_shard()
{
	local i=${1%/*} n=${1#*/} out

	out=$(awk -v i="$i" -v n="$n" 'NF && (NR - 1) % n == i - 1')
	[[ -n "$out" ]] || die "$EXIT_USAGE" "--shard $1 selects no test: fewer than $i tests are selected"
	printf '%s\n' "$out"
}

# testlist_table FILE: the human-readable list (also used by --help).
testlist_table()
{
	testlist_entries "$1" | awk -F'|' '
		BEGIN { printf "%-36s %-13s %7s  %s\n", "name", "arches", "timeout", "cmdline / command" }
		{ printf "%-36s %-13s %6ss  %s%s\n", $1, $2, $3, ($4 == "" ? "" : "[" $4 "] "), $6 }'
}

# testlist_select FILE GLOBS ARCH...: the entries matching one of the comma
# separated GLOBS and runnable on one of the ARCHes.
testlist_select()
{
	local file=$1 globs=$2 name arches rest glob arch ok
	local -a want_arches pats

	shift 2
	want_arches=("$@")
	IFS=, read -r -a pats <<< "$globs"
	while IFS='|' read -r name arches rest; do
		ok=0
		for glob in "${pats[@]}"; do
			# shellcheck disable=SC2053 # the glob is meant to match
			[[ "$name" == $glob ]] && ok=1
		done
		((ok)) || continue
		for arch in "${want_arches[@]}"; do
			if [[ ",$arches," == *",$arch,"* ]]; then
				printf '%s|%s|%s\n' "$name" "$arches" "$rest"
				break
			fi
		done
	done < <(testlist_entries "$file")
}

# testlist_arch ARCH: the selected entries for ARCH.
testlist_arch()
{
	local arch=$1

	awk -F'|' -v arch="$arch" '("," $2 ",") ~ ("," arch ",")' <<< "$TESTS_SELECTED"
}

# testlist_programs ARCH: the selftest binaries ARCH's selected tests run.
testlist_programs()
{
	testlist_arch "$1" | awk -F'|' '{ split($6, w, " "); print w[1] }' | sort -u
}

# testlist_cmdlines ARCH: the distinct kernel command lines, in list order.
testlist_cmdlines()
{
	testlist_arch "$1" | awk -F'|' '!seen[$4]++ { print $4 }'
}

# testlist_plan ARCH CMDLINE REPEAT TIMEOUT: the guest plan for the boot of
# ARCH with CMDLINE ('*' for every test): NAME|TIMEOUT|NEEDS|COMMAND lines.
testlist_plan()
{
	local arch=$1 cmdline=$2 repeat=$3 timeout=$4

	testlist_arch "$arch" | awk -F'|' -v c="$cmdline" -v rep="$repeat" -v t="$timeout" '
		c == "*" || $4 == c { for (r = 1; r <= rep; r++)
			printf "%s%s|%s|%s|%s\n", $1, (rep > 1 ? "." r : ""), (t != "" ? t : $3), $5, $6 }'
}
