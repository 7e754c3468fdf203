# SPDX-License-Identifier: GPL-2.0
"""`run_tests.sh --kselftest`: a test run through the kernel's own
run_kselftest.sh (tests/data/kselftest holds 6.12.117's runner, unchanged)
by the guest's rig-kselftest (rig/guest-kselftest.sh) must end with the
exit status its result line reports, and its console must parse into the
same cases as a direct run of the same program."""

import os
import shutil
import subprocess

import pytest

from conftest import DATA, REPO

import ktap

BUSYBOX = shutil.which("busybox") or "/bin/busybox"
pytestmark = pytest.mark.skipif(not os.path.exists(BUSYBOX),
                                reason="no busybox (apt-get install busybox-static)")

# A selftest printing KTAP: its cases, then the exit status it is told.
DEMO = """\
#!/bin/sh
echo "TAP version 13"
echo "1..3"
echo "# args: $*"
echo "ok 1 first_case"
echo "not ok 2 second_case # a diagnostic"
echo "ok 3 third_case # SKIP needs something"
echo "# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0"
exit ${DEMO_RC:-0}
"""


@pytest.fixture
def install(tmp_path):
    """A kselftest install as `make install` lays it out, with one test."""
    root = tmp_path / "install"
    shutil.copytree(os.path.join(DATA, "kselftest", "kselftest"), root / "kselftest")
    shutil.copy(os.path.join(DATA, "kselftest", "run_kselftest.sh"), root)
    (root / "kvm").mkdir()
    shutil.copy(os.path.join(DATA, "kselftest", "kvm-settings"), root / "kvm" / "settings")
    (root / "kvm" / "demo_test").write_text(DEMO)
    os.chmod(root / "kvm" / "demo_test", 0o755)
    (root / "kselftest-list.txt").write_text("kvm:demo_test\n")
    return str(root)


def wrapper(install, *args, rc=0):
    """rig-kselftest ARGS in INSTALL, as the guest's /init runs it."""
    return subprocess.run([BUSYBOX, "sh", os.path.join(REPO, "rig", "guest-kselftest.sh"), *args],
                          cwd=install, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ["PATH"], "DEMO_RC": str(rc)})


@pytest.mark.parametrize("rc, want", [(0, 0), (1, 1), (4, 4), (3, 3)])
def test_exit_status_is_the_result_lines(install, rc, want):
    """run_kselftest.sh exits 0 whatever the test did; the wrapper's status
    is what the runner's result line says (ok, SKIP, exit=N)."""
    proc = wrapper(install, "kvm:demo_test", rc=rc)
    assert proc.returncode == want, proc.stdout + proc.stderr
    assert "selftests: kvm: demo_test" in proc.stdout


def test_arguments_reach_the_test_the_runners_way(install):
    """`page_idle_test -s 1` runs as KSELFTEST_PAGE_IDLE_TEST_ARGS='-s 1'."""
    proc = wrapper(install, "kvm:demo_test", "-s", "1")
    assert "# # args: -s 1" in proc.stdout


@pytest.mark.parametrize("args", [[], ["demo_test"]])
def test_usage(install, args):
    proc = wrapper(install, *args)
    assert proc.returncode == 2
    assert "usage: rig-kselftest COLLECTION:TEST" in proc.stderr


def test_a_test_missing_from_the_list_fails(install):
    proc = wrapper(install, "kvm:no_such_test")
    assert proc.returncode == 1
    assert "printed no result line for kvm:no_such_test" in proc.stdout


def console(output, rc, status_line, cmd):
    """The guest console of one test whose output was OUTPUT, as
    rig/guest-init.sh prints it."""
    lines = ["# rig: guest up after 1.00s", "TAP version 13", "1..1",
             "# rig: begin 1 demo_test", "    # " + cmd]
    lines += ["    " + l for l in output.splitlines()]
    lines += ["# rig: end 1 demo_test rc=%d duration=1.00" % rc, status_line, "# rig: done"]
    return "\n".join(lines) + "\n"


def cases(boot):
    return [(s.num, s.name, s.status, s.reason) for s in boot.tests[0].subtests]


def test_kselftest_console_parses_into_the_direct_runs_cases(install):
    """The same test, run directly and through run_kselftest.sh: the same
    cases, statuses and reasons, and the same verdict (a case failed
    though the test exited 0)."""
    direct = subprocess.run([os.path.join(install, "kvm", "demo_test")], capture_output=True,
                            text=True, env={"DEMO_RC": "0"}).stdout
    via = wrapper(install, "kvm:demo_test").stdout
    a = ktap.parse_console(console(direct, 0, "ok 1 demo_test", "demo_test"), ["demo_test"])
    b = ktap.parse_console(console(via, 0, "ok 1 demo_test", "rig-kselftest kvm:demo_test"),
                           ["demo_test"])
    assert cases(a) == cases(b) == [
        (1, "first_case", "pass", ""), (2, "second_case", "fail", "a diagnostic"),
        (3, "third_case", "skip", "needs something")]
    assert (a.tests[0].status, a.tests[0].reason) == (b.tests[0].status, b.tests[0].reason)
    assert b.tests[0].status == "fail"
    assert b.tests[0].reason == "exited 0, but its case failed: second_case"


def test_kselftest_plan_counts_the_tests_own_plan():
    """The runner's "1..1" is not the test's plan: a test that planned 3
    cases and reported 1 fails through the runner as it does directly."""
    out = "\n".join(["TAP version 13", "1..1", "# timeout set to 120",
                     "# selftests: kvm: demo_test", "# TAP version 13", "# 1..3",
                     "# ok 1 first_case", "ok 1 selftests: kvm: demo_test"])
    boot = ktap.parse_console(console(out, 0, "ok 1 demo_test", "rig-kselftest kvm:demo_test"),
                              ["demo_test"])
    assert boot.tests[0].status == "fail"
    assert boot.tests[0].reason == "exited 0, but reported 1 of the 3 cases it planned"


def test_skip_reason_is_the_tests_not_the_runners(install, tmp_path):
    """The runner's "ok 1 selftests: kvm: X # SKIP" has no reason; the
    guest's skip_reason() takes the test's own line before it."""
    log = tmp_path / "test.log"
    log.write_text("# selftests: kvm: demo_test\n# 1..0 # SKIP no nested SVM here\n"
                   "ok 1 selftests: kvm: demo_test # SKIP\n")
    proc = subprocess.run([BUSYBOX, "sh", "-c", '. "$1"; skip_reason "$2"', "sh",
                           os.path.join(REPO, "rig", "guest-init.sh"), str(log)],
                          capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ["PATH"], "RIG_GUEST_INIT_FUNCTIONS_ONLY": "1"})
    assert proc.stdout.strip() == "no nested SVM here"


def test_kselftest_plan_and_files(tmp_path, install):
    """The plan's commands go through rig-kselftest; the initramfs gets the
    runner, the list and each program, and a program the install lacks is
    a tree that cannot be tested (125)."""
    plan = "page_idle_test|300|kvm|page_idle_test -s 1\nmmu_lock_test|300|kvm|mmu_lock_test\n"
    proc = subprocess.run(["bash", "-c", 'source "$1/run_tests.sh"; kselftest_plan', "t", REPO],
                          input=plan, capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines() == [
        "page_idle_test|300|kvm|rig-kselftest kvm:page_idle_test -s 1",
        "mmu_lock_test|300|kvm|rig-kselftest kvm:mmu_lock_test"]
    proc = subprocess.run(["bash", "-c", 'source "$1/run_tests.sh"; kselftest_files "$2" demo_test',
                           "t", REPO, install], capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines() == [
        "run_kselftest.sh", "kselftest-list.txt", "kselftest/runner.sh",
        "kvm/settings", "kvm/demo_test"]
    proc = subprocess.run(["bash", "-c", 'source "$1/run_tests.sh"; kselftest_files "$2" nope',
                           "t", REPO, install], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 125
    assert "has no kvm/nope" in proc.stderr


def test_a_runner_that_loses_the_output_fails_the_test(install):
    """A runner whose test output went elsewhere (the guest once lacked
    /dev/stdout, and the runner wrote the output to a file of that name)
    shows nothing of the test: that fails, whatever the result line says,
    since the test's own cases are lost with it."""
    with open(os.path.join(install, "kvm", "demo_test"), "w", encoding="utf-8") as f:
        f.write("#!/bin/sh\nexit 0\n")
    proc = wrapper(install, "kvm:demo_test")
    assert proc.returncode == 1, proc.stdout
    assert "showed none of kvm:demo_test's output" in proc.stdout
