# SPDX-License-Identifier: GPL-2.0
"""run_tests.sh's command line: every misuse exits 129 (bisect stops) with
a message naming the problem, before anything is installed, built or even
the cache created; -h and --list exit 0.  Only options that stop before the
cache is touched are run here."""

import os
import re
import subprocess

import pytest

from conftest import REPO

RUNNER = os.path.join(REPO, "run_tests.sh")


def run_tests(tmp_path, *args, env=None):
    """run_tests.sh ARGS with RIG_CACHE in TMP_PATH (which must stay
    absent); returns the CompletedProcess."""
    cache = tmp_path / "cache"
    full_env = dict(os.environ, RIG_CACHE=str(cache))
    full_env.update(env or {})
    proc = subprocess.run([RUNNER, *args], capture_output=True, text=True,
                          env=full_env, cwd=str(tmp_path), timeout=60)
    assert not cache.exists(), "run_tests.sh %s touched the cache" % " ".join(args)
    return proc


def list_names(path):
    with open(path, encoding="utf-8") as f:
        return [l.split("|")[0].strip() for l in f
                if l.strip() and not l.lstrip().startswith("#")]


@pytest.fixture
def kernel_tree(tmp_path):
    """Just enough of a kernel source tree for --kernel-src's check."""
    tree = tmp_path / "linux"
    (tree / "mm").mkdir(parents=True)
    (tree / "virt" / "kvm").mkdir(parents=True)
    (tree / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 12\n")
    return str(tree)


@pytest.fixture
def fragments(tmp_path):
    empty = tmp_path / "empty.config"
    empty.write_text("# just a comment\n\n# CONFIG_FOO=y would be a comment too\n")
    good = tmp_path / "good.config"
    good.write_text("# CONFIG_DEBUG_VM is not set\n")
    return str(empty), str(good)


BAD = [
    (["--bogus"], "unknown option '--bogus'"),
    (["-x"], "unknown option '-x'"),
    (["list"], "unknown option 'list'"),
    (["--arch", "bogus"], "--arch must be x86_64, arm64 or all, not 'bogus'"),
    (["--arch", "aarch64"], "--arch must be x86_64, arm64 or all, not 'aarch64'"),
    (["--arch"], "option --arch requires an argument"),
    (["--repeat", "0"], "--repeat needs a positive integer, not '0'"),
    (["--repeat", "-1"], "--repeat needs a positive integer, not '-1'"),
    (["--repeat", "abc"], "--repeat needs a positive integer, not 'abc'"),
    (["--repeat", "2x"], "--repeat needs a positive integer, not '2x'"),
    (["--repeat"], "option --repeat requires an argument"),
    (["--timeout", "x"], "--timeout needs a positive number of seconds, not 'x'"),
    (["--timeout", "0"], "--timeout needs a positive number of seconds, not '0'"),
    (["--timeout"], "option --timeout requires an argument"),
    (["--kernel-src", "/nonexistent"], "--kernel-src '/nonexistent' is not a kernel source tree"),
    (["--kernel-src", "/tmp"], "--kernel-src '/tmp' is not a kernel source tree"),
    (["--kernel-src"], "option --kernel-src requires an argument"),
    (["--config", "/nonexistent"], "--config '/nonexistent' is not a readable file"),
    (["--config"], "option --config requires an argument"),
    (["--apply-patches"], "--apply-patches needs --kernel-src"),
    (["--shell"], "--shell needs --arch x86_64 or --arch arm64"),
    (["--shell", "--arch", "all"], "--shell needs --arch x86_64 or --arch arm64"),
    (["--tests"], "option --tests requires an argument"),
    (["--arch", "x86_64", "--tests"], "option --tests requires an argument"),
    (["--output"], "option --output requires an argument"),
    (["--list", "--bogus"], "unknown option '--bogus'"),
    (["--suite", "bogus"], "--suite must be ours, upstream or stress, not 'bogus'"),
    (["--suite"], "option --suite requires an argument"),
    (["--suite", "ours", "--suite", "upstream"], "--suite given twice ('ours', 'upstream')"),
    (["--shard", "0/2"], "--shard needs I/N with 1 <= I <= N, not '0/2'"),
    (["--shard", "3/2"], "--shard needs I/N with 1 <= I <= N, not '3/2'"),
    (["--shard", "1"], "--shard needs I/N with 1 <= I <= N, not '1'"),
    (["--shard"], "option --shard requires an argument"),
    (["--compare", "--baseline"], "--compare runs the baseline itself; drop --baseline"),
    (["--compare", "--shell", "--arch", "x86_64"], "--compare runs tests; it takes neither"),
    (["--compare", "--build-only"], "--compare runs tests; it takes neither"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_option_exits_129(tmp_path, args, message):
    """A bad option exits 129 with "run_tests.sh: <problem>" and a pointer
    to --help on stderr, nothing on stdout."""
    proc = run_tests(tmp_path, *args)
    assert proc.returncode == 129, proc.stderr
    assert "run_tests.sh: " + message in proc.stderr
    assert "Try 'run_tests.sh --help'." in proc.stderr
    assert proc.stdout == ""


def test_config_without_options_exits_129(tmp_path, fragments):
    """A --config file that holds no CONFIG_ line (only comments) is
    refused by name."""
    empty, _ = fragments
    proc = run_tests(tmp_path, "--config", empty)
    assert proc.returncode == 129
    assert "--config '%s' holds no CONFIG_ option" % empty in proc.stderr


def test_baseline_with_kernel_src_exits_129(tmp_path, kernel_tree):
    """--baseline is for the default source only."""
    proc = run_tests(tmp_path, "--kernel-src", kernel_tree, "--baseline")
    assert proc.returncode == 129
    assert "--baseline is for the default source" in proc.stderr


def test_valid_options_are_accepted(tmp_path, kernel_tree, fragments):
    """The same options with good values pass the parser (--list stops the
    run right after it)."""
    _, good = fragments
    proc = run_tests(tmp_path, "--arch", "arm64", "--tests", "kvm_*,demand*", "--repeat", "3",
                     "--timeout", "60", "--kernel-src", kernel_tree, "--apply-patches",
                     "--config", good, "--config", good, "--debug", "--output",
                     str(tmp_path / "out"), "--no-install", "--shell", "--list")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert not (tmp_path / "out").exists()


def test_help_lists_every_option_and_test(tmp_path):
    """-h and --help exit 0 and document every option parse_options
    accepts, the exit statuses and every test of tests.list."""
    with open(RUNNER, encoding="utf-8") as f:
        src = f.read()
    body = src[src.index("parse_options()"):src.index("selected_arches()")]
    options = set()
    for arm in re.findall(r"^\t\t(-[-\w|]+)\)", body, re.M):
        options.update(arm.split("|"))
    assert {"--arch", "--tests", "--list", "-h", "--help"} <= options
    for flag in ("-h", "--help"):
        proc = run_tests(tmp_path, flag)
        assert (proc.returncode, proc.stderr) == (0, "")
        help_options = set(re.findall(r"^  (-[-\w]+)(?:, (--[-\w]+))?", proc.stdout, re.M))
        documented = {o for pair in help_options for o in pair if o}
        assert documented == options
        for name in list_names(os.path.join(REPO, "tests.list")):
            assert re.search(r"^  %s\s" % re.escape(name), proc.stdout, re.M), name
        assert "129" in proc.stdout and "125" in proc.stdout


def test_list_exits_0_and_lists_every_test(tmp_path):
    """--list prints the table of tests.list and exits 0."""
    proc = run_tests(tmp_path, "--list")
    assert (proc.returncode, proc.stderr) == (0, "")
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["name", "arches", "timeout"]
    assert [l.split()[0] for l in lines[1:]] == list_names(os.path.join(REPO, "tests.list"))


def test_list_shows_only_the_tests_that_would_run(tmp_path):
    """--list is documented as "list the tests that would run": with
    --tests and --arch it shows only the selected tests."""
    proc = run_tests(tmp_path, "--list", "--tests", "kvm_create*,demand*")
    assert proc.returncode == 0
    assert [l.split()[0] for l in proc.stdout.splitlines()[1:]] == [
        "kvm_create_max_vcpus", "demand_paging_test"]


def test_bad_test_list_exits_129_naming_the_line(tmp_path):
    """A broken tests.list (RIG_TEST_LIST) is a usage error naming file and
    line, reported before anything else happens, even with --list."""
    bad = tmp_path / "tests.list"
    bad.write_text("# header\n\nfoo | x86_64 | soon | - | kvm | foo\n")
    proc = run_tests(tmp_path, "--list", env={"RIG_TEST_LIST": str(bad)})
    assert proc.returncode == 129
    assert '%s:3: timeout must be a positive integer, not "soon"' % bad in proc.stderr


@pytest.mark.parametrize("margin", ["0", "abc", "-5", "90s", "1e3"])
def test_bad_boot_margin_exits_129(tmp_path, margin):
    """RIG_BOOT_MARGIN, the watchdog's allowance, is validated like the
    options (empty or unset, it is the default, 120)."""
    proc = run_tests(tmp_path, "--list", env={"RIG_BOOT_MARGIN": margin})
    assert proc.returncode == 129
    assert "RIG_BOOT_MARGIN must be a positive number of seconds, not '%s'" % margin in proc.stderr


@pytest.mark.parametrize("tests, message", [
    ("kvm_create_max_vcpus, demand_paging_test",
     "' demand_paging_test' matches no test: names have no spaces"),
    ("kvm_create_max_vcpus,no_such_test*", "'no_such_test*' matches no test for x86_64 arm64"),
    ("kvm_create_max_vcpus,,demand_paging_test", "has an empty glob"),
])
def test_tests_glob_that_matches_nothing_exits_129(tmp_path, tests, message):
    proc = run_tests(tmp_path, "--list", "--tests", tests)
    assert proc.returncode == 129
    assert message in proc.stderr


def test_a_comment_only_test_list_exits_129(tmp_path):
    empty = tmp_path / "tests.list"
    empty.write_text("# nothing to run\n")
    proc = run_tests(tmp_path, "--list", env={"RIG_TEST_LIST": str(empty)})
    assert proc.returncode == 129
    assert "holds no test" in proc.stderr


def test_compare_with_kernel_src_needs_apply_patches(tmp_path, kernel_tree):
    """--compare's baseline is the tree as is and its series the tree with
    patches/, so --kernel-src alone is refused."""
    proc = run_tests(tmp_path, "--compare", "--kernel-src", kernel_tree)
    assert proc.returncode == 129
    assert "--compare with --kernel-src needs --apply-patches" in proc.stderr


@pytest.mark.parametrize("suite, listfile", [("ours", "tests.list"),
                                             ("upstream", "tests.upstream.list"),
                                             ("stress", "stress.list")])
def test_suite_selects_its_list(tmp_path, suite, listfile):
    proc = run_tests(tmp_path, "--suite", suite, "--list")
    assert proc.returncode == 0, proc.stderr
    listed = [l.split()[0] for l in proc.stdout.splitlines()[1:]]
    assert listed == list_names(os.path.join(REPO, listfile))


def test_shards_partition_the_selection(tmp_path):
    """The N shards of a selection are disjoint and together are all of it,
    in list order within each; a shard with nothing in it is an error."""
    whole = [l.split()[0] for l in run_tests(tmp_path, "--suite", "upstream", "--arch",
                                             "x86_64", "--list").stdout.splitlines()[1:]]
    shards = []
    for i in (1, 2, 3):
        proc = run_tests(tmp_path, "--suite", "upstream", "--arch", "x86_64", "--shard",
                         "%d/3" % i, "--list")
        assert proc.returncode == 0, proc.stderr
        shards.append([l.split()[0] for l in proc.stdout.splitlines()[1:]])
    assert sorted(sum(shards, [])) == sorted(whole)
    assert all(s == [n for n in whole if n in s] for s in shards)
    assert max(map(len, shards)) - min(map(len, shards)) <= 1
    proc = run_tests(tmp_path, "--suite", "upstream", "--tests", "mm/*", "--shard", "9/9",
                     "--list")
    assert proc.returncode == 129
    assert "--shard 9/9 selects no test" in proc.stderr


def test_strip_args_drops_what_compare_sets_itself():
    """--compare reruns the runner with the user's options minus --compare,
    --baseline, --apply-patches and --output DIR."""
    proc = subprocess.run(["bash", "-c", 'source "$1"; strip_args "${@:2}"', "t", RUNNER,
                           "--arch", "x86_64", "--compare", "--output", "/o", "--tests",
                           "a*", "--apply-patches", "--suite", "upstream"],
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.split("\n")[:-1] == ["--arch", "x86_64", "--tests", "a*", "--suite",
                                            "upstream"]
