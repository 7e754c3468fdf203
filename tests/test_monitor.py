# SPDX-License-Identifier: GPL-2.0
"""rig/monitor.py, the watchdog and live progress of one guest boot, run
against a fake QEMU: a script that prints a console and then exits, hangs
or floods, the way a real guest would."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import REPO

MONITOR = os.path.join(REPO, "rig", "monitor.py")


def fake_qemu(tmp_path, script):
    """A stand-in for QEMU: SCRIPT is the body of a bash script whose output
    is the guest's console."""
    path = tmp_path / "fake-qemu"
    path.write_text("#!/bin/bash\n" + textwrap.dedent(script))
    path.chmod(0o755)
    return str(path)


def plan(tmp_path, *tests):
    path = tmp_path / "plan"
    path.write_text("".join("%s|%d|kvm|%s\n" % (name, timeout, name) for name, timeout in tests))
    return str(path)


def monitor(tmp_path, qemu, plan_path, margin=2, timeout=60):
    """Run monitor.py; returns (exit status, status JSON, stderr, seconds)."""
    status = tmp_path / "status.json"
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, MONITOR, "--arch", "x86_64", "--console", str(tmp_path / "console.log"),
         "--plan", plan_path, "--margin", str(margin), "--status", str(status), "--", qemu],
        capture_output=True, text=True, timeout=timeout)
    took = time.monotonic() - t0
    return proc.returncode, json.loads(status.read_text()), proc.stderr, took, proc.stdout


UP = """\
echo '[    1.000000] Linux version 6.12.117'
echo '# rig: guest up after 1.00s'
echo 'KTAP version 1'
echo '1..2'
"""


def test_a_clean_boot_exits_0_and_shows_each_result(tmp_path):
    qemu = fake_qemu(tmp_path, UP + """\
        echo '# rig: begin 1 alpha'
        echo '    # alpha'
        echo '# rig: end 1 alpha rc=0 duration=0.10'
        echo 'ok 1 alpha'
        echo '# rig: begin 2 beta'
        echo '# rig: end 2 beta rc=4 duration=0.10'
        echo 'ok 2 beta # SKIP no frobnicator'
        echo '# rig: done'
        """)
    rc, status, err, _, out = monitor(tmp_path, qemu, plan(tmp_path, ("alpha", 5), ("beta", 5)))
    assert (rc, status) == (0, {"exit": 0})
    assert out == ""
    assert "x86_64 [1/2] alpha ..." in err
    assert "x86_64 [1/2] ok     alpha" in err
    assert "x86_64 [2/2] skip   beta: no frobnicator" in err
    assert "# rig: done" in (tmp_path / "console.log").read_text()


def test_a_hung_test_is_killed_after_its_timeout_plus_the_margin(tmp_path):
    """The watchdog restarts at each test: test 2 hangs (the guest kernel
    cannot even run its own timeout), and QEMU is killed about 3 + 2
    seconds after test 2 began, not after the sum of the boot's timeouts."""
    qemu = fake_qemu(tmp_path, UP + """\
        echo '# rig: begin 1 alpha'
        echo '# rig: end 1 alpha rc=0 duration=0.10'
        echo 'ok 1 alpha'
        echo '# rig: begin 2 beta'
        echo '    # beta starts, then the kernel deadlocks'
        exec sleep 600
        """)
    rc, status, err, took, _ = monitor(tmp_path, qemu,
                                       plan(tmp_path, ("alpha", 100), ("beta", 3)), margin=2)
    assert rc == 2
    assert status["watchdog"]["phase"] == "test"
    assert status["watchdog"]["test_num"] == 2
    assert status["watchdog"]["reason"] == \
        "test 2 (beta) gave no result within its timeout of 3s + 2s"
    assert 5 <= took < 12
    assert "watchdog: test 2 (beta) gave no result" in err


def test_a_guest_that_never_comes_up_is_killed_after_the_margin(tmp_path):
    qemu = fake_qemu(tmp_path, "echo 'SeaBIOS'\nexec sleep 600\n")
    rc, status, _, took, _ = monitor(tmp_path, qemu, plan(tmp_path, ("alpha", 100)), margin=2)
    assert rc == 2
    assert status["watchdog"]["phase"] == "boot"
    assert status["watchdog"]["test_num"] is None
    assert 2 <= took < 8


def test_a_guest_silent_between_tests_is_killed_after_the_margin(tmp_path):
    qemu = fake_qemu(tmp_path, UP + """\
        echo '# rig: begin 1 alpha'
        echo '# rig: end 1 alpha rc=0 duration=0.10'
        echo 'ok 1 alpha'
        exec sleep 600
        """)
    rc, status, _, took, _ = monitor(tmp_path, qemu,
                                     plan(tmp_path, ("alpha", 100), ("beta", 100)), margin=2)
    assert rc == 2
    assert status["watchdog"]["phase"] == "between"
    assert status["watchdog"]["reason"] == \
        "the guest printed nothing for 2s after test 1 ended"
    assert took < 8


def test_a_warning_during_a_passing_test_is_shown_as_a_failure_once(tmp_path):
    """The test exits 0, but the kernel warned 50 times during it: the live
    line says FAILED with the report, and the report is shown once with the
    count, not 50 times."""
    qemu = fake_qemu(tmp_path, UP + """\
        echo '# rig: begin 1 alpha'
        for i in $(seq 50); do
            echo "[   12.$((100000 + i))] WARNING: CPU: $((i % 2)) PID: $((100 + i)) at mm/mmu_notifier.c:401 __mmu_notifier_clear_young+0x1c/0x90"
            echo "[   12.$((100000 + i))] Call Trace:"
            echo "[   12.$((100000 + i))] ---[ end trace 0000000000000000 ]---"
        done
        echo '# rig: end 1 alpha rc=0 duration=0.10'
        echo 'ok 1 alpha'
        echo '# rig: begin 2 beta'
        echo '# rig: end 2 beta rc=0 duration=0.10'
        echo 'ok 2 beta'
        echo '# rig: done'
        """)
    rc, _, err, _, _ = monitor(tmp_path, qemu, plan(tmp_path, ("alpha", 5), ("beta", 5)))
    assert rc == 0
    assert err.count("kernel WARNING during alpha") == 1
    assert ("x86_64 [1/2] FAILED alpha: kernel WARNING: WARNING: CPU: 1 PID: 101 at "
            "mm/mmu_notifier.c:401 __mmu_notifier_clear_young+0x1c/0x90 "
            "(50 kernel reports in all, repeats folded)") in err
    assert "x86_64 [2/2] ok     beta" in err


def test_qemu_failing_is_status_1(tmp_path):
    qemu = fake_qemu(tmp_path, "echo 'qemu-system-x86_64: -kernel bzImage: No such file' >&2\nexit 1\n")
    rc, status, err, _, _ = monitor(tmp_path, qemu, plan(tmp_path, ("alpha", 5)))
    assert (rc, status) == (1, {"exit": 1, "qemu_status": 1})
    assert "QEMU exited with status 1" in err


def test_qemu_dies_with_a_killed_runner(tmp_path):
    """The runner (here a bash standing in for run_tests.sh) is killed with
    SIGKILL, so its EXIT trap never runs: the monitor notices and stops
    QEMU, which must not go on running a guest nobody watches."""
    pidfile = tmp_path / "qemu.pid"
    qemu = fake_qemu(tmp_path, "echo $$ > %s\necho '# rig: guest up'\nexec sleep 600\n" % pidfile)
    runner = subprocess.Popen(
        ["bash", "-c", '"$@" & wait', "runner", sys.executable, MONITOR, "--arch", "x86_64",
         "--console", str(tmp_path / "console.log"), "--plan", plan(tmp_path, ("alpha", 100)),
         "--margin", "100", "--status", str(tmp_path / "status.json"), "--", qemu],
        stderr=subprocess.DEVNULL)
    for _ in range(100):
        if pidfile.exists() and pidfile.read_text().strip():
            break
        time.sleep(0.1)
    qemu_pid = int(pidfile.read_text())
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    for _ in range(50):
        try:
            os.kill(qemu_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(qemu_pid, signal.SIGKILL)
    pytest.fail("QEMU (pid %d) outlived its runner by 5 s" % qemu_pid)


def test_no_qemu_command_is_an_error(tmp_path):
    proc = subprocess.run([sys.executable, MONITOR, "--arch", "x86_64", "--console", "c",
                           "--plan", "p", "--margin", "1", "--status", "s"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "no QEMU command" in proc.stderr


def test_a_test_that_exits_0_with_a_failed_case_is_shown_failed(tmp_path):
    """As report.py judges it: a failed KTAP case fails the test that
    exited 0, and so does a case missing from its plan."""
    qemu = fake_qemu(tmp_path, UP + """\
        echo '# rig: begin 1 alpha'
        echo '    1..2'
        echo '    ok 1 first'
        echo '    not ok 2 second'
        echo '# rig: end 1 alpha rc=0 duration=0.10'
        echo 'ok 1 alpha'
        echo '# rig: begin 2 beta'
        echo '    1..3'
        echo '    ok 1 first'
        echo '# rig: end 2 beta rc=0 duration=0.10'
        echo 'ok 2 beta'
        echo '# rig: done'
        """)
    rc, _, err, _, _ = monitor(tmp_path, qemu, plan(tmp_path, ("alpha", 5), ("beta", 5)))
    assert rc == 0
    assert "x86_64 [1/2] FAILED alpha: exited 0, but its case failed: second" in err
    assert "x86_64 [2/2] FAILED beta: exited 0, but reported 1 of the 3 cases it planned" in err


def test_a_result_line_split_by_a_kernel_message_is_shown_as_report_py_judges_it(tmp_path):
    """A kernel message printed into the middle of a result line (its rest
    on the next line, printed a moment later) is joined as report.py joins
    it; an "ok" whose "# SKIP" never came, for a test whose end marker says
    it skipped, is shown failed, not ok."""
    qemu = fake_qemu(tmp_path, UP + """\
        echo '# rig: begin 1 alpha'
        echo '# rig: end 1 alpha rc=need duration=0.00'
        printf 'ok 1 al[    1.856765] clocksource: Switched to clocksource tsc\\r\\n'
        sleep 0.5
        echo 'pha # SKIP the CPU lacks vmx'
        echo '# rig: begin 2 beta'
        echo '# rig: end 2 beta rc=4 duration=0.10'
        echo 'ok 2 beta'
        echo '# rig: done'
        """)
    rc, _, err, _, _ = monitor(tmp_path, qemu, plan(tmp_path, ("alpha", 5), ("beta", 5)))
    assert rc == 0
    assert "x86_64 [1/2] skip   alpha: the CPU lacks vmx" in err
    assert "x86_64 [2/2] FAILED beta: its result line says ok, but the test's exit status was 4" in err
