# SPDX-License-Identifier: GPL-2.0
"""The declarative test list (rig/testlist.sh): validation with file:line
messages, selection by globs and arch, the guest plans and the grouping of
tests into boots by kernel command line."""

import os

import pytest

from conftest import REPO, rig_bash

HEADER = """\
# name | arches | timeout | cmdline | needs | command

"""

LIST = HEADER + """\
access_tracking_perf_test        | x86_64,arm64 | 600 | -                 | kvm,file:/sys/kernel/mm/page_idle/bitmap | access_tracking_perf_test -b 64M -v 1
kvm_create_max_vcpus             | x86_64,arm64 | 300 | -                 | kvm                   | kvm_create_max_vcpus
  # an indented comment
dirty_log_perf_test              | x86_64       | 600 | -                 | kvm,?cpu:svm          | dirty_log_perf_test -b 32M -v 1 -i 2
dirty_log_perf_test_nvhe         | arm64        | 600 | kvm-arm.mode=nvhe | kvm                   | dirty_log_perf_test -b 32M -v 1 -i 2
lru_gen_aging_test               | x86_64,arm64 | 120 | lru_gen.enabled=0 | kvm,param:kvm.tdp_mmu=Y | lru_gen_aging_test
demand_paging_test               | arm64,x86_64 | 300 | -                 | -                     | demand_paging_test -b 32M -v 1
"""


@pytest.fixture
def tlist(tmp_path):
    path = tmp_path / "tests.list"
    path.write_text(LIST)
    return str(path)


def names(out):
    """The test names of entries or plan lines (a string or a list)."""
    lines = out.splitlines() if isinstance(out, str) else out
    return [l.split("|", 1)[0] for l in lines]


def select(tlist, globs, *arches):
    return rig_bash('testlist_select "$@"', tlist, globs, *arches, check=True).stdout


# --- validation ------------------------------------------------------------

def test_valid_list_passes(tlist):
    """testlist_check accepts a well-formed list (comments, blank and
    indented comment lines, every kind of need) silently."""
    proc = rig_bash('testlist_check "$1"', tlist)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_the_projects_tests_list_is_valid():
    """The real tests.list validates and lists at least one test for each
    arch."""
    path = os.path.join(REPO, "tests.list")
    proc = rig_bash('testlist_check "$1"', path)
    assert (proc.returncode, proc.stderr) == (0, "")
    for arch in ("x86_64", "arm64"):
        assert names(select(path, "*", arch))


def test_the_benchmark_list_is_valid():
    """bench.list, run as RIG_TEST_LIST, validates like tests.list."""
    path = os.path.join(REPO, "bench.list")
    proc = rig_bash('testlist_check "$1"', path)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert names(select(path, "*", "x86_64")) == [
        "aging_perf_test", "aging_perf_test.npt0", "aging_perf_test.interference"]
    assert names(select(path, "*", "arm64")) == ["aging_perf_test", "aging_perf_test.interference"]


BAD_LINES = [
    ("foo | x86_64 | 300 | - | kvm",
     'expected 6 fields separated by |, found 5'),
    ("foo | x86_64 | 300 | - | kvm | foo | extra",
     'expected 6 fields separated by |, found 7'),
    ("foo bar | x86_64 | 300 | - | kvm | foo",
     'bad test name "foo bar"'),
    ("foo | x86 | 300 | - | kvm | foo",
     'unknown arch "x86"'),
    ("foo | x86_64,aarch64 | 300 | - | kvm | foo",
     'unknown arch "aarch64"'),
    ("foo | x86_64 | 0 | - | kvm | foo",
     'timeout must be a positive integer, not "0"'),
    ("foo | x86_64 | 10s | - | kvm | foo",
     'timeout must be a positive integer, not "10s"'),
    ("foo | x86_64 | -5 | - | kvm | foo",
     'timeout must be a positive integer, not "-5"'),
    ("foo | x86_64 | 300 | - | kvmm | foo",
     'unknown need "kvmm"'),
    ("foo | x86_64 | 300 | - | kvm,cpu: | foo",
     'unknown need "cpu:"'),
    ("foo | x86_64 | 300 | - | ?kvmx | foo",
     'unknown need "?kvmx"'),
    ("foo | x86_64 | 300 | - | kvm,hugepages:0 | foo",
     'unknown need "hugepages:0"'),
    ("foo | x86_64 | 300 | - | kvm,hugepages:8M | foo",
     'unknown need "hugepages:8M"'),
    ("foo | x86_64 | 300 | - | kvm,?accel:xen | foo",
     'unknown need "?accel:xen"'),
    ("foo | x86_64 | 300 | - | kvm | ",
     'empty command'),
    ("kvm_create_max_vcpus | arm64 | 300 | - | kvm | kvm_create_max_vcpus",
     'duplicate test name "kvm_create_max_vcpus" for arm64 (line 4)'),
    ("demand_paging_test | x86_64 | 300 | - | - | demand_paging_test -b 8M",
     'duplicate test name "demand_paging_test" for x86_64 (line 9)'),
]


@pytest.mark.parametrize("line, message", BAD_LINES, ids=[m for _, m in BAD_LINES])
def test_check_rejects_a_bad_entry_naming_file_and_line(tmp_path, line, message):
    """testlist_check dies with the usage status (129) and a message that
    names the file, the line number (counting comments and blank lines)
    and what is wrong."""
    path = tmp_path / "bad.list"
    path.write_text(LIST + "\n# trailing comment\n" + line + "\n")
    lineno = len((LIST + "\n# trailing comment\n").splitlines()) + 1
    proc = rig_bash('testlist_check "$1"', str(path))
    assert proc.returncode == 129
    assert "%s:%d: %s" % (path, lineno, message) in proc.stderr
    assert "ERROR" in proc.stderr


def test_a_name_may_have_one_entry_per_arch(tmp_path):
    """Two entries of one name for disjoint arches (sizes that differ) are
    valid; each arch selects and plans its own."""
    path = tmp_path / "per-arch.list"
    path.write_text(HEADER +
                    "dirty_log_test | x86_64 | 900 | - | kvm | dirty_log_test -i 8\n"
                    "dirty_log_test | arm64  | 600 | - | kvm | dirty_log_test -i 2\n")
    proc = rig_bash('testlist_check "$1"', str(path))
    assert (proc.returncode, proc.stderr) == (0, "")
    both = select(str(path), "dirty_log_test", "x86_64", "arm64").splitlines()
    assert [l.split("|")[1] for l in both] == ["x86_64", "arm64"]
    for arch, iters in (("x86_64", "8"), ("arm64", "2")):
        plan = rig_bash('TESTS_SELECTED=$(testlist_select "$1" "*" "$2"); testlist_plan "$2" "*" 1 ""',
                        str(path), arch, check=True).stdout
        assert plan.splitlines() == ["dirty_log_test|%s|kvm|dirty_log_test -i %s"
                                     % ("900" if arch == "x86_64" else "600", iters)]


def test_check_rejects_an_entry_without_arch(tmp_path):
    """A test with an empty arch field would never run anywhere; the list
    check must reject it like any other bad arch."""
    path = tmp_path / "bad.list"
    path.write_text(HEADER + "foo |  | 300 | - | kvm | foo\n")
    proc = rig_bash('testlist_check "$1"', str(path))
    assert proc.returncode == 129
    assert "%s:3:" % path in proc.stderr


def test_check_of_an_unreadable_list(tmp_path):
    """A missing list is a usage error that names it."""
    proc = rig_bash('testlist_check "$1"', str(tmp_path / "nope.list"))
    assert proc.returncode == 129
    assert "nope.list is not readable" in proc.stderr


@pytest.mark.parametrize("text", ["", "# only a comment\n\n   # and another\n"])
def test_check_rejects_a_list_without_tests(tmp_path, text):
    """An empty or comment-only list would run nothing and pass: a usage
    error that says so."""
    path = tmp_path / "empty.list"
    path.write_text(text)
    proc = rig_bash('testlist_check "$1"', str(path))
    assert proc.returncode == 129
    assert "holds no test (only comments or blank lines)" in proc.stderr


@pytest.mark.parametrize("globs, arches, message", [
    ("kvm_create_max_vcpus,nope*", "x86_64 arm64",
     "--tests: 'nope*' matches no test for x86_64 arm64"),
    ("kvm_create_max_vcpus, demand_paging_test", "x86_64",
     "--tests: ' demand_paging_test' matches no test: names have no spaces"),
    ("dirty_log_perf_test_nvhe", "x86_64",
     "--tests: 'dirty_log_perf_test_nvhe' matches no test for x86_64"),
    ("kvm_create_max_vcpus,", "x86_64", "has an empty glob"),
    ("a,,b", "x86_64", "has an empty glob"),
    ("", "x86_64", "has an empty glob"),
])
def test_every_glob_must_match(tlist, globs, arches, message):
    """A glob of --tests that matches nothing, alone or in a comma list, is
    a usage error (129) naming it: never silently ignored."""
    proc = rig_bash('g=$1; shift; testlist_check_globs "$TL" "$g" "$@"', globs, *arches.split(),
                    env={"TL": tlist})
    assert proc.returncode == 129
    assert message in proc.stderr


def test_globs_that_all_match_pass(tlist):
    proc = rig_bash('testlist_check_globs "$1" "kvm_*,dirty_log_perf_test*" x86_64', tlist)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


# --- entries, selection ----------------------------------------------------

def test_entries_are_trimmed_and_normalised(tlist):
    """testlist_entries skips comments and blank lines, trims every field
    and turns a '-' cmdline into an empty one (needs keep their '-')."""
    out = rig_bash('testlist_entries "$1"', tlist, check=True).stdout.splitlines()
    assert out[1] == "kvm_create_max_vcpus|x86_64,arm64|300||kvm|kvm_create_max_vcpus"
    assert out[3] == ("dirty_log_perf_test_nvhe|arm64|600|kvm-arm.mode=nvhe|kvm|"
                      "dirty_log_perf_test -b 32M -v 1 -i 2")
    assert out[5] == "demand_paging_test|arm64,x86_64|300||-|demand_paging_test -b 32M -v 1"
    assert len(out) == 6


@pytest.mark.parametrize("globs, arches, expected", [
    ("*", ["x86_64", "arm64"], ["access_tracking_perf_test", "kvm_create_max_vcpus",
                                "dirty_log_perf_test", "dirty_log_perf_test_nvhe",
                                "lru_gen_aging_test", "demand_paging_test"]),
    ("*", ["x86_64"], ["access_tracking_perf_test", "kvm_create_max_vcpus",
                       "dirty_log_perf_test", "lru_gen_aging_test", "demand_paging_test"]),
    ("*", ["arm64"], ["access_tracking_perf_test", "kvm_create_max_vcpus",
                      "dirty_log_perf_test_nvhe", "lru_gen_aging_test", "demand_paging_test"]),
    ("dirty_log*", ["x86_64", "arm64"], ["dirty_log_perf_test", "dirty_log_perf_test_nvhe"]),
    ("dirty_log*", ["arm64"], ["dirty_log_perf_test_nvhe"]),
    ("kvm_*,demand*", ["x86_64"], ["kvm_create_max_vcpus", "demand_paging_test"]),
    ("demand*,kvm_*", ["x86_64"], ["kvm_create_max_vcpus", "demand_paging_test"]),
    ("dirty_log_perf_test", ["x86_64", "arm64"], ["dirty_log_perf_test"]),
    ("*_test,*_test", ["arm64"], ["access_tracking_perf_test", "lru_gen_aging_test",
                                  "demand_paging_test"]),
    ("?ru_gen_aging_[st]est", ["arm64"], ["lru_gen_aging_test"]),
    ("nothing*", ["x86_64", "arm64"], []),
    ("dirty_log_perf_test_nvhe", ["x86_64"], []),
])
def test_select(tlist, globs, arches, expected):
    """testlist_select keeps list order, matches whole names against any of
    the comma-separated globs (each test once), and keeps only the tests
    that run on one of the requested arches."""
    assert names(select(tlist, globs, *arches)) == expected


def test_select_output_is_the_normalised_entry(tlist):
    """Selected entries keep all six normalised fields."""
    out = select(tlist, "lru_gen_aging_test", "x86_64").splitlines()
    assert out == ["lru_gen_aging_test|x86_64,arm64|120|lru_gen.enabled=0|"
                   "kvm,param:kvm.tdp_mmu=Y|lru_gen_aging_test"]


# --- per-arch views: plans, command lines, programs -------------------------

def arch_view(tlist, func, *args, globs="*"):
    """Call FUNC ARGS... with the selection run_tests.sh --arch all --tests
    GLOBS would make (TESTS_SELECTED)."""
    script = ('TESTS_SELECTED=$(testlist_select "$1" "$2" x86_64 arm64); shift 2; '
              '%s "$@"' % func)
    return rig_bash(script, tlist, globs, *args, check=True).stdout.splitlines()


def test_cmdlines_group_tests_into_boots(tlist):
    """testlist_cmdlines gives each arch's distinct kernel command lines in
    list order, the default (empty) one included once: one boot each."""
    assert arch_view(tlist, "testlist_cmdlines", "x86_64") == ["", "lru_gen.enabled=0"]
    assert arch_view(tlist, "testlist_cmdlines", "arm64") == [
        "", "kvm-arm.mode=nvhe", "lru_gen.enabled=0"]
    assert arch_view(tlist, "testlist_cmdlines", "arm64", globs="lru*") == ["lru_gen.enabled=0"]


def test_plan_of_one_boot(tlist):
    """testlist_plan writes NAME|TIMEOUT|NEEDS|COMMAND for the tests of one
    arch and command line, in list order."""
    assert arch_view(tlist, "testlist_plan", "x86_64", "", "1", "") == [
        "access_tracking_perf_test|600|kvm,file:/sys/kernel/mm/page_idle/bitmap|"
        "access_tracking_perf_test -b 64M -v 1",
        "kvm_create_max_vcpus|300|kvm|kvm_create_max_vcpus",
        "dirty_log_perf_test|600|kvm,?cpu:svm|dirty_log_perf_test -b 32M -v 1 -i 2",
        "demand_paging_test|300|-|demand_paging_test -b 32M -v 1",
    ]
    assert arch_view(tlist, "testlist_plan", "arm64", "kvm-arm.mode=nvhe", "1", "") == [
        "dirty_log_perf_test_nvhe|600|kvm|dirty_log_perf_test -b 32M -v 1 -i 2"]


def test_plan_with_repeat_and_timeout_override(tlist):
    """--repeat N runs each test N times as NAME.1..NAME.N, consecutively;
    --timeout replaces every test's own timeout."""
    plan = arch_view(tlist, "testlist_plan", "x86_64", "", "3", "45", globs="kvm_*,demand*")
    assert plan == [
        "kvm_create_max_vcpus.1|45|kvm|kvm_create_max_vcpus",
        "kvm_create_max_vcpus.2|45|kvm|kvm_create_max_vcpus",
        "kvm_create_max_vcpus.3|45|kvm|kvm_create_max_vcpus",
        "demand_paging_test.1|45|-|demand_paging_test -b 32M -v 1",
        "demand_paging_test.2|45|-|demand_paging_test -b 32M -v 1",
        "demand_paging_test.3|45|-|demand_paging_test -b 32M -v 1",
    ]


def test_plan_for_the_shell_covers_every_cmdline(tlist):
    """The '*' command line (the --shell boot) takes every selected test of
    the arch whatever its command line."""
    plan = arch_view(tlist, "testlist_plan", "arm64", "*", "1", "")
    assert names(plan) == ["access_tracking_perf_test", "kvm_create_max_vcpus",
                           "dirty_log_perf_test_nvhe", "lru_gen_aging_test",
                           "demand_paging_test"]


def test_every_selected_test_is_in_exactly_one_boot(tlist):
    """Across an arch's boots (one per command line) every selected test
    of that arch is planned exactly once."""
    for arch in ("x86_64", "arm64"):
        planned = []
        for cmdline in arch_view(tlist, "testlist_cmdlines", arch):
            planned += names(arch_view(tlist, "testlist_plan", arch, cmdline, "1", ""))
        assert sorted(planned) == sorted(names(select(tlist, "*", arch)))


def test_programs_to_build(tlist):
    """testlist_programs lists the distinct selftest binaries (first word
    of each command) an arch's selected tests need."""
    assert arch_view(tlist, "testlist_programs", "x86_64") == [
        "access_tracking_perf_test", "demand_paging_test", "dirty_log_perf_test",
        "kvm_create_max_vcpus", "lru_gen_aging_test"]
    assert arch_view(tlist, "testlist_programs", "arm64", globs="dirty*") == [
        "dirty_log_perf_test"]


def test_table_lists_every_test(tlist):
    """testlist_table (used by --list and --help) has a header and a row
    per test showing its cmdline in brackets when it has one."""
    out = rig_bash('testlist_table "$1"', tlist, check=True).stdout.splitlines()
    assert out[0].split() == ["name", "arches", "timeout", "cmdline", "/", "command"]
    assert [l.split()[0] for l in out[1:]] == names(select(tlist, "*", "x86_64", "arm64"))
    (row,) = [l for l in out if l.startswith("lru_gen_aging_test ")]
    assert "120s" in row and "[lru_gen.enabled=0] lru_gen_aging_test" in row


# --- programs in selftest subdirectories ------------------------------------

SUBDIR_BAD = [
    ("x86_64/svm_vmcall_test", "x86_64,arm64", "is an x86 selftest, listed for arm64"),
    ("aarch64/page_fault_test", "x86_64", "is an arm64 selftest, listed for x86_64"),
    ("riscv/ebreak_test", "x86_64", "is in no selftest directory the rig builds"),
    ("x86_64/a/b", "x86_64", "is in no selftest directory the rig builds"),
]


@pytest.mark.parametrize("prog, arches, message", SUBDIR_BAD)
def test_program_of_the_wrong_arch_is_refused_when_read(tmp_path, prog, arches, message):
    """A program the rig cannot run on an arch it is listed for is a usage
    error naming the line when the list is read, not a 127 in the guest."""
    path = tmp_path / "t.list"
    path.write_text(HEADER + "t | %s | 60 | - | kvm | %s -x\n" % (arches, prog))
    proc = rig_bash('testlist_check "$1"', str(path))
    assert proc.returncode == 129
    assert "t.list:3: program \"%s\" %s" % (prog, message) in proc.stderr


def test_programs_in_subdirectories_are_accepted(tmp_path):
    path = tmp_path / "t.list"
    path.write_text(HEADER + """\
x86_64/svm_vmcall_test  | x86_64       | 60 | - | kvm | x86_64/svm_vmcall_test
aarch64/page_fault_test | arm64        | 60 | - | kvm | aarch64/page_fault_test -m 1
mm/hmm-tests            | x86_64,arm64 | 60 | - | -   | mm/hmm-tests
""")
    proc = rig_bash('testlist_check "$1"', str(path))
    assert (proc.returncode, proc.stderr) == (0, "")
