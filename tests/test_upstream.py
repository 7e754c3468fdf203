# SPDX-License-Identifier: GPL-2.0
"""The upstream suite as data (rig/upstream.py): the KVM selftests a tree's
Makefile builds per arch, the generated list with its overrides, and the
check that every listed program can be built for the arches it names."""

import os
import subprocess
import sys

import pytest

from conftest import REPO

import upstream

MAKEFILE = """\
include ../../../build/Build.include
ifeq ($(ARCH),x86)
	ARCH_DIR := x86_64
endif
LIBKVM += lib/assert.c
# Non-compiled test targets
TEST_PROGS_x86_64 += x86_64/nx_huge_pages_test.sh

TEST_GEN_PROGS_x86_64 = x86_64/cpuid_test
TEST_GEN_PROGS_x86_64 += x86_64/svm_vmcall_test # a comment
TEST_GEN_PROGS_x86_64 += access_tracking_perf_test \\
	demand_paging_test
TEST_GEN_PROGS_EXTENDED_x86_64 += x86_64/nx_huge_pages_test

TEST_GEN_PROGS_aarch64 += aarch64/page_fault_test
TEST_GEN_PROGS_aarch64 += access_tracking_perf_test
TEST_GEN_PROGS_aarch64 += demand_paging_test
TEST_GEN_PROGS_s390x = s390x/memop
TEST_GEN_PROGS += $(TEST_GEN_PROGS_$(ARCH_DIR))
"""

# 6.14's layout: x86/ and arm64/, and a common list.
MAKEFILE_KVM_NEW = """\
TEST_GEN_PROGS_COMMON = demand_paging_test
TEST_GEN_PROGS_COMMON += rseq_test
TEST_GEN_PROGS_x86 = $(TEST_GEN_PROGS_COMMON)
TEST_GEN_PROGS_x86 += x86/cpuid_test
TEST_GEN_PROGS_arm64 = $(TEST_GEN_PROGS_COMMON)
TEST_GEN_PROGS_arm64 += arm64/page_fault_test
"""

OVERRIDES = """\
# a comment
demand_paging_test        | x86_64,arm64 | 900 | - | kvm | demand_paging_test -b 32M
demand_paging_test.npt0   | x86_64       | 300 | kvm_amd.npt=0 | kvm,param:kvm_amd.npt=N | demand_paging_test
mm/hmm-tests              | x86_64,arm64 | 600 | - | file:/dev/hmm_dmirror0 | mm/hmm-tests
"""


def make_tree(root, makefile=MAKEFILE, kvm_new=None):
    kvm = root / "tools" / "testing" / "selftests" / "kvm"
    kvm.mkdir(parents=True)
    (kvm / "Makefile").write_text(makefile)
    if kvm_new is not None:
        (kvm / "Makefile.kvm").write_text(kvm_new)
    mm = root / "tools" / "testing" / "selftests" / "mm"
    mm.mkdir(parents=True)
    (mm / "hmm-tests.c").write_text("int main(void) { return 0; }\n")
    return str(root)


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "linux")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run(*args):
    return subprocess.run([sys.executable, os.path.join(REPO, "rig", "upstream.py"), *args],
                          capture_output=True, text=True, timeout=60)


def entries(text):
    return [[f.strip() for f in l.split("|")] for l in text.splitlines()
            if l.strip() and not l.startswith("#")]


def test_programs_per_arch_in_makefile_order(tree):
    """Continuation lines, trailing comments, '=' then '+=' all count; the
    other arches' lists, TEST_PROGS (scripts) and EXTENDED do not."""
    assert upstream.kvm_programs(tree, "x86_64") == [
        "x86_64/cpuid_test", "x86_64/svm_vmcall_test", "access_tracking_perf_test",
        "demand_paging_test"]
    assert upstream.kvm_programs(tree, "arm64") == [
        "aarch64/page_fault_test", "access_tracking_perf_test", "demand_paging_test"]
    assert "x86_64/nx_huge_pages_test" in upstream.kvm_programs(tree, "x86_64", extended=True)


def test_programs_of_a_newer_layout(tmp_path):
    """A later tree's Makefile.kvm, with x86/ and arm64/ and the common
    list referenced from each arch's, gives the same kind of list."""
    tree = make_tree(tmp_path / "linux", "include Makefile.kvm\n", MAKEFILE_KVM_NEW)
    assert upstream.kvm_programs(tree, "x86_64") == [
        "demand_paging_test", "rseq_test", "x86/cpuid_test"]
    assert upstream.kvm_programs(tree, "arm64") == [
        "demand_paging_test", "rseq_test", "arm64/page_fault_test"]


def test_generate_defaults_overrides_and_additions(tree, tmp_path):
    """Every program gets an entry with its arches (shared ones once, both
    arches); an override replaces an entry of its name in place; other
    overrides come after, in their order."""
    text = upstream.generate(tree, write(tmp_path, "overrides.list", OVERRIDES))
    assert upstream.GENERATED_MARK in text
    got = entries(text)
    assert [e[0] for e in got] == [
        "x86_64/cpuid_test", "x86_64/svm_vmcall_test", "access_tracking_perf_test",
        "demand_paging_test", "aarch64/page_fault_test", "demand_paging_test.npt0",
        "mm/hmm-tests"]
    by_name = {e[0]: e for e in got}
    assert by_name["x86_64/cpuid_test"] == [
        "x86_64/cpuid_test", "x86_64", str(upstream.DEFAULT_TIMEOUT), "-", "kvm",
        "x86_64/cpuid_test"]
    assert by_name["access_tracking_perf_test"][1] == "x86_64,arm64"
    assert by_name["aarch64/page_fault_test"][1] == "arm64"
    assert by_name["demand_paging_test"][2:] == ["900", "-", "kvm", "demand_paging_test -b 32M"]


PER_ARCH = """\
access_tracking_perf_test | arm64        | 600 | - | kvm | access_tracking_perf_test -b 16M
demand_paging_test        | x86_64       | 300 | - | kvm | demand_paging_test -b 32M
demand_paging_test        | arm64        | 600 | - | kvm | demand_paging_test -b 8M
"""


def test_an_override_for_some_arches_keeps_the_others(tree, tmp_path):
    """An override for one arch replaces the generated entry there only:
    the generated entry keeps the other arch, the override follows it; a
    name may have one override per arch.  The runner accepts the result."""
    from conftest import rig_bash
    text = upstream.generate(tree, write(tmp_path, "o.list", PER_ARCH))
    got = [(e[0], e[1], e[5]) for e in entries(text)]
    assert got == [
        ("x86_64/cpuid_test", "x86_64", "x86_64/cpuid_test"),
        ("x86_64/svm_vmcall_test", "x86_64", "x86_64/svm_vmcall_test"),
        ("access_tracking_perf_test", "x86_64", "access_tracking_perf_test"),
        ("access_tracking_perf_test", "arm64", "access_tracking_perf_test -b 16M"),
        ("demand_paging_test", "x86_64", "demand_paging_test -b 32M"),
        ("demand_paging_test", "arm64", "demand_paging_test -b 8M"),
        ("aarch64/page_fault_test", "arm64", "aarch64/page_fault_test")]
    path = write(tmp_path, "tests.upstream.list", text)
    proc = rig_bash('testlist_check "$1"', path)
    assert proc.returncode == 0, proc.stderr


def test_two_overrides_of_one_name_and_arch_are_an_error(tree, tmp_path):
    """Which of two overrides for the same test and arch wins would be a
    guess: generation fails naming both lines."""
    ov = write(tmp_path, "o.list", PER_ARCH + "demand_paging_test | x86_64,arm64 | 1 | - | kvm | x\n")
    proc = run("generate", "--tree", tree, "--overrides", ov)
    assert proc.returncode != 0
    assert "o.list:4: a second override of demand_paging_test for x86_64 (line 2)" in proc.stderr
    assert proc.stdout == ""


def test_generated_list_is_valid_for_the_runner(tree, tmp_path):
    """The runner's own parser accepts the generated list."""
    from conftest import rig_bash
    path = write(tmp_path, "tests.upstream.list",
                 upstream.generate(tree, write(tmp_path, "o.list", OVERRIDES)))
    proc = rig_bash('testlist_check "$1"', path)
    assert proc.returncode == 0, proc.stderr


def test_generate_fails_on_a_tree_without_kvm_selftests(tmp_path):
    ov = write(tmp_path, "o.list", OVERRIDES)
    proc = run("generate", "--tree", str(tmp_path / "nothing"), "--overrides", ov)
    assert proc.returncode != 0
    assert "not a kernel tree with KVM selftests" in proc.stderr


def test_check_names_every_program_the_tree_does_not_build(tree, tmp_path):
    """An x86 program listed for arm64, a program no Makefile names and an
    mm test without a source are each an error with file:line; ours (a .c
    in the ours directory) and EXTENDED programs are fine."""
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "young_bitmap_test.c").write_text("")
    lst = write(tmp_path, "t.list", """\
young_bitmap_test | x86_64,arm64 | 60 | - | kvm | young_bitmap_test
nx                | x86_64       | 60 | - | kvm | x86_64/nx_huge_pages_test -x
cpuid             | x86_64,arm64 | 60 | - | kvm | x86_64/cpuid_test
gone              | x86_64       | 60 | - | kvm | no_such_test
hmm               | arm64        | 60 | - | -   | mm/hmm-tests
cow               | arm64        | 60 | - | -   | mm/cow
""")
    proc = run("check", "--tree", tree, "--list", lst, "--ours", str(ours))
    assert proc.returncode == 1
    errs = proc.stderr.splitlines()
    assert errs == [
        "%s:3: test cpuid: the tree builds no program 'x86_64/cpuid_test' for arm64" % lst,
        "%s:4: test gone: the tree builds no program 'no_such_test' for x86_64" % lst,
        "%s:6: test cow: the tree builds no program 'mm/cow' for arm64" % lst,
    ]


def test_check_warns_of_programs_a_generated_list_misses(tree, tmp_path):
    """A generated list that lacks a program of the tree passes the check
    but says which programs it misses; a hand-written one is not warned."""
    text = upstream.generate(tree, write(tmp_path, "o.list", OVERRIDES))
    text = "\n".join(l for l in text.splitlines() if not l.startswith("x86_64/cpuid_test"))
    lst = write(tmp_path, "gen.list", text + "\n")
    proc = run("check", "--tree", tree, "--list", lst, "--ours", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "x86_64/cpuid_test" in proc.stderr and "make upstream-list" in proc.stderr
    hand = write(tmp_path, "hand.list", "a | x86_64 | 60 | - | kvm | demand_paging_test\n")
    proc = run("check", "--tree", tree, "--list", hand, "--ours", str(tmp_path))
    assert proc.returncode == 0 and proc.stderr == ""


def pinned_kvm_tree(tmp_path):
    """A tree holding the pinned Debian source's KVM selftests Makefile: the
    rig's extracted copy, or the Makefile alone taken from the installed
    tarball (make check installs it: a fresh machine has no extracted
    copy when the unit tests run)."""
    import glob
    trees = glob.glob(os.path.join(os.environ.get("RIG_CACHE", os.path.expanduser(
        "~/.cache/kvm-age-rig")), "src", "linux-6.12.117-1_deb12u1"))
    if trees and os.path.exists(os.path.join(trees[0], ".rig-extracted")):
        return trees[0]
    tarball = os.environ.get("RIG_DEBIAN_TARBALL", "/usr/src/linux-source-6.12.tar.xz")
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "linux-source-6.12"],
                             capture_output=True, text=True).stdout
    if version != "6.12.117-1~deb12u1" or not os.path.exists(tarball):
        pytest.skip("neither the rig's extracted source nor linux-source-6.12=6.12.117-1~deb12u1")
    subprocess.run(["tar", "-C", str(tmp_path), "-xf", tarball, "--wildcards",
                    "*/tools/testing/selftests/kvm/Makefile*"], check=True, timeout=300)
    (top,) = os.listdir(tmp_path)
    # The name the generated list's header gives, as the rig extracts it.
    tree = os.path.join(str(tmp_path), "linux-6.12.117-1_deb12u1")
    os.rename(os.path.join(str(tmp_path), top), tree)
    return tree


def test_committed_list_matches_the_pinned_source(tmp_path):
    """tests.upstream.list is what `make upstream-list` makes from the
    pinned Debian source and the overrides."""
    tree = pinned_kvm_tree(tmp_path)
    with open(os.path.join(REPO, "tests.upstream.list"), encoding="utf-8") as f:
        committed = f.read()
    assert committed == upstream.generate(tree, os.path.join(REPO, "upstream", "overrides.list"))
