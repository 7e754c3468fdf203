# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Kernel configuration: merge the fragments onto tinyconfig and verify that
# every requested option survived olddefconfig.  Sourced by run_tests.sh.

# kconfig_requested FRAGMENT...: print the requested "CONFIG_X=value" lines
# (or "CONFIG_X=n" for "# CONFIG_X is not set"), later fragments winning.
kconfig_requested()
{
	awk '
		/^CONFIG_[A-Za-z0-9_]+=/ {
			key = substr($0, 1, index($0, "=") - 1)
			val[key] = substr($0, index($0, "=") + 1)
			if (!(key in seen)) { seen[key] = 1; order[n++] = key }
			next
		}
		/^# CONFIG_[A-Za-z0-9_]+ is not set/ {
			key = $2
			val[key] = "n"
			if (!(key in seen)) { seen[key] = 1; order[n++] = key }
		}
		END { for (i = 0; i < n; i++) print order[i] "=" val[order[i]] }
	' "$@"
}

# kconfig_depends SRCDIR SYMBOL: print the "depends on" lines of SYMBOL's
# Kconfig entry, to explain why olddefconfig dropped it.
kconfig_depends()
{
	local srcdir=$1 sym=${2#CONFIG_}

	grep -rn --include='Kconfig*' -A 30 -E "^(menu)?config ${sym}\$" "$srcdir" 2>/dev/null |
		awk -v sym="$sym" '
			/(menu)?config / && !($0 ~ "config " sym "$") { if (inblock) exit }
			/config / && $0 ~ "config " sym "$" { inblock = 1 }
			inblock && /depends on/ { sub(/.*depends on[ \t]+/, ""); print }
		'
}

# kconfig_optional FRAGMENT...: the options marked "# rig: optional CONFIG_X"
# in the fragments: options that the patches add, requested when the kernel
# has them and not missed when it does not (the unpatched baseline).
kconfig_optional()
{
	sed -n 's/^# rig: optional \(CONFIG_[A-Za-z0-9_]*\).*/\1/p' "$@"
}

# kconfig_enclosing_ifs SRCDIR SYMBOL: print the conditions of the "if"
# blocks around SYMBOL's Kconfig entry, which olddefconfig enforces just as
# it does "depends on".
kconfig_enclosing_ifs()
{
	local srcdir=$1 sym=${2#CONFIG_}
	local file

	grep -rlE --include='Kconfig*' "^(menu)?config ${sym}\$" "$srcdir" 2>/dev/null |
		while IFS= read -r file; do
			awk -v sym="$sym" '
				/^if[ \t]/ { sub(/^if[ \t]+/, ""); ifs[n++] = $0; next }
				/^endif/ { if (n) n--; next }
				$0 ~ "^(menu)?config " sym "$" { for (i = 0; i < n; i++) print "if " ifs[i] }
			' "$file"
		done
}

# kconfig_verify SRCDIR DOTCONFIG FRAGMENT...: check that every option the
# fragments request has its value in DOTCONFIG.  Prints one line per
# dropped option, with its unmet dependencies, and returns 1 if any.  An
# optional option is only checked when the kernel has it.
kconfig_verify()
{
	local srcdir=$1 dotconfig=$2
	local line key want have deps optional bad=0

	shift 2
	optional=" $(kconfig_optional "$@" | paste -sd' ' -) "
	while IFS= read -r line; do
		key=${line%%=*}
		want=${line#*=}
		have=$(grep -m1 -E "^${key}=" "$dotconfig" | cut -d= -f2-)
		[[ -n "$have" ]] || have=n
		[[ "$have" == "$want" ]] && continue
		if ! grep -rqE --include='Kconfig*' "^(menu)?config ${key#CONFIG_}\$" "$srcdir"; then
			[[ "$optional" == *" $key "* ]] && continue
			bad=1
			deps=' (no such option in this kernel)'
		else
			bad=1
			deps=$({ kconfig_depends "$srcdir" "$key"; kconfig_enclosing_ifs "$srcdir" "$key"; } |
				awk '!seen[$0]++' | paste -sd';' -)
			deps=${deps:+ (depends on: $deps)}
		fi
		printf '%s=%s requested but the config has %s=%s%s\n' \
			"$key" "$want" "$key" "$have" "$deps"
	done < <(kconfig_requested "$@")
	return "$bad"
}

# kconfig_make SRCDIR OBJDIR ARCH FRAGMENT...: write OBJDIR/.config from
# tinyconfig plus the fragments and verify it.  Returns 1 when an option
# was dropped (the tree cannot be tested as configured).
kconfig_make()
{
	local srcdir=$1 objdir=$2 arch=$3
	local -a kmake

	shift 3
	kmake=(make -C "$srcdir" O="$objdir" ARCH="$arch")
	[[ -n "$(cross_prefix "$arch")" ]] && kmake+=(CROSS_COMPILE="$(cross_prefix "$arch")")
	mkdir -p "$objdir"
	"${kmake[@]}" tinyconfig > "$objdir/kconfig.log" 2>&1 || return 2
	KCONFIG_CONFIG="$objdir/.config" "$srcdir/scripts/kconfig/merge_config.sh" \
		-m -O "$objdir" "$objdir/.config" "$@" >> "$objdir/kconfig.log" 2>&1 || return 2
	"${kmake[@]}" olddefconfig >> "$objdir/kconfig.log" 2>&1 || return 2
	kconfig_verify "$srcdir" "$objdir/.config" "$@"
}
