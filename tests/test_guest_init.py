# SPDX-License-Identifier: GPL-2.0
"""rig/guest-init.sh, the guest's /init, run by the host's busybox sh on
the paths that need no guest: how a test's needs turn into KTAP."""

import os
import shutil
import subprocess

import pytest

from conftest import REPO

BUSYBOX = shutil.which("busybox") or "/bin/busybox"
pytestmark = pytest.mark.skipif(not os.path.exists(BUSYBOX),
                                reason="no busybox (apt-get install busybox-static)")


def run_one(needs, expect=None, pool=None, cmd="exit 0"):
    env = {"PATH": os.environ["PATH"], "RIG_GUEST_INIT_FUNCTIONS_ONLY": "1",
           "RIG_HUGEPAGES_DIR": pool or "/nonexistent/hugepages", "RIG_TESTS_DIR": "/"}
    if expect is not None:
        env["KERNEL_EXPECT"] = expect
    proc = subprocess.run(
        [BUSYBOX, "sh", "-c", '. "$1"; run_one 3 demo 5 "$2" "$3"', "sh",
         os.path.join(REPO, "rig", "guest-init.sh"), needs, cmd],
        capture_output=True, text=True, timeout=30, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_an_unmet_need_fails_the_test():
    """The rig's kernels provide every need: one that is not met means a
    broken kernel (KVM did not initialise), so the test fails, naming it."""
    assert run_one("file:/nonexistent/kvm") == [
        "# rig: begin 3 demo",
        "# rig: end 3 demo rc=need duration=0.00",
        "not ok 3 demo # unmet need file:/nonexistent/kvm: /nonexistent/kvm is absent, "
        "but the rig's kernel and machine provide it"]


def test_an_optional_need_that_is_not_met_is_a_skip():
    assert run_one("file:/,?cpu:no_such_flag")[-1] == \
        "ok 3 demo # SKIP the CPU lacks no_such_flag"


def test_an_optional_need_the_machine_provides_is_not_optional():
    """`?cpu:svm` lets a test skip on a host whose guest has VMX, but under
    TCG the rig's x86 guest always has SVM (/rig/expect says cpu:svm):
    there its absence is a broken machine, a failure, not a skip."""
    got = run_one("?cpu:no_such_flag",
                  expect="kvm,thp,cpu:no_such_flag")
    assert got[-1] == ("not ok 3 demo # unmet need cpu:no_such_flag: the CPU lacks "
                       "no_such_flag, but the rig's kernel and machine provide it")
    # A feature of the same prefix is not the same feature.
    assert run_one("?cpu:no_such_flag", expect="cpu:no_such_flag2")[-1] == \
        "ok 3 demo # SKIP the CPU lacks no_such_flag"


def test_the_first_unmet_need_decides():
    assert run_one("?file:/nonexistent,file:/nonexistent2")[-1] == \
        "ok 3 demo # SKIP /nonexistent is absent"


def fake_pool(tmp_path, nr, free):
    (tmp_path / "nr_hugepages").write_text("%d\n" % nr)
    (tmp_path / "free_hugepages").write_text("%d\n" % free)
    return str(tmp_path)


def test_hugepages_need_a_pool_with_enough_free_pages(tmp_path):
    """hugepages:N grows the 2 MiB pool by what is missing; when the kernel
    cannot give the pages (here: a fake pool whose free count never moves),
    the test fails naming the shortfall, and the pool is set back."""
    pool = fake_pool(tmp_path, 2, 2)
    assert run_one("hugepages:8", pool=pool)[-1] == (
        "not ok 3 demo # unmet need hugepages:8: only 2 free 2 MiB hugetlb pages of "
        "the 8 needed, but the rig's kernel and machine provide it")
    assert (tmp_path / "nr_hugepages").read_text().strip() == "2"


def test_hugepages_met_and_the_pool_restored_after_the_test(tmp_path):
    pool = fake_pool(tmp_path, 8, 8)
    # The test itself changes the pool; the rig puts back what it found.
    got = run_one("hugepages:8", pool=pool,
                  cmd="echo 12 > %s/nr_hugepages" % pool)
    assert got[-1] == "ok 3 demo"
    assert (tmp_path / "nr_hugepages").read_text().strip() == "8"


def test_hugepages_without_a_pool_fail():
    assert run_one("hugepages:8")[-1] == (
        "not ok 3 demo # unmet need hugepages:8: there is no 2 MiB hugetlb pool "
        "(/nonexistent/hugepages), but the rig's kernel and machine provide it")


def guest_function(function, **env):
    """Run one function of guest-init.sh with RIG_* overrides; its stdout lines."""
    env = dict(env, PATH=os.environ["PATH"], RIG_GUEST_INIT_FUNCTIONS_ONLY="1")
    proc = subprocess.run(
        [BUSYBOX, "sh", "-c", '. "$1"; ' + function, "sh",
         os.path.join(REPO, "rig", "guest-init.sh")],
        capture_output=True, text=True, timeout=30, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def pin_tracepoints(tracing):
    return guest_function("pin_tracepoints", RIG_TRACING_DIR=tracing)


def test_pin_tracepoints_makes_two_silent_instances(tmp_path):
    """Two instances of the rig's, tracing off, with no pid filter (whose
    sched probes would run at every context switch); a fake tracefs has
    none of the tests' events."""
    (tmp_path / "instances").mkdir()
    assert pin_tracepoints(str(tmp_path)) == ["# env: pinned_tracepoints=0"]
    for i in (0, 1):
        inst = tmp_path / "instances" / ("rig_pin%d" % i)
        assert (inst / "tracing_on").read_text() == "0\n"
        assert not (inst / "set_event_pid").exists()


def test_pin_tracepoints_enables_the_events_the_kernel_has(tmp_path):
    """tracefs fills a new instance with the kernel's events; a mkdir that
    does the same with two of the tests' events: both enabled in both
    instances, and counted once each."""
    (tmp_path / "instances").mkdir()
    fake_mkdir = ('mkdir() { command mkdir "$@" || return; for e in kvm/kvm_exit '
                  'lock/lock_acquire; do command mkdir -p "$1/events/$e"; '
                  'echo 0 > "$1/events/$e/enable"; done; }; ')
    out = guest_function(fake_mkdir + "pin_tracepoints", RIG_TRACING_DIR=str(tmp_path))
    assert out == ["# env: pinned_tracepoints=2"]
    for i in (0, 1):
        events = tmp_path / "instances" / ("rig_pin%d" % i) / "events"
        for ev in ("kvm/kvm_exit", "lock/lock_acquire"):
            assert (events / ev / "enable").read_text() == "1\n"


def test_pin_tracepoints_without_tracefs_does_nothing(tmp_path):
    assert pin_tracepoints(str(tmp_path / "none")) == []


def pin_kvm_keys(kvm_pin):
    return guest_function("pin_kvm_keys", RIG_KVM_PIN=kvm_pin)


def test_pin_kvm_keys_says_when_the_pin_fails(tmp_path):
    """A KVM that refuses rig-kvm-pin's VMs is in the run's record, and the
    tests still run (they find out about KVM for themselves)."""
    pin = tmp_path / "rig-kvm-pin"
    pin.write_text("#!/bin/sh\necho 'rig-kvm-pin: KVM_CREATE_VM: nope' >&2\nexit 1\n")
    pin.chmod(0o755)
    assert pin_kvm_keys(str(pin)) == ["# env: pinned_kvm_keys=none (rig-kvm-pin failed: exit 1)"]


def test_pin_kvm_keys_passes_the_pins_own_line(tmp_path):
    pin = tmp_path / "rig-kvm-pin"
    pin.write_text("#!/bin/sh\necho '# env: pinned_kvm_keys=a,b'\n")
    pin.chmod(0o755)
    assert pin_kvm_keys(str(pin)) == ["# env: pinned_kvm_keys=a,b"]


def test_pin_kvm_keys_without_the_program_does_nothing(tmp_path):
    assert pin_kvm_keys(str(tmp_path / "none")) == []


def test_kvm_pin_program_without_kvm(tmp_path):
    """rig/guest-kvm-pin.c builds warning-free, and without /dev/kvm (this
    host, or a guest whose KVM did not come up) pins nothing, says why and
    exits 0, leaving no process behind."""
    if os.path.exists("/dev/kvm"):
        pytest.skip("this host has /dev/kvm: the program would pin keys on the host")
    out = tmp_path / "rig-kvm-pin"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(out),
                    os.path.join(REPO, "rig", "guest-kvm-pin.c")], check=True)
    proc = subprocess.run([str(out)], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# env: pinned_kvm_keys=none (/dev/kvm: ")


def test_the_accelerator_need_reads_what_the_rig_says():
    """accel:kvm is met by a guest that /rig/expect says runs under KVM;
    under TCG an optional one skips, naming both (a test that only
    hardware virtualization can run trustworthily), and a rig that says
    nothing is named too."""
    assert run_one("?accel:kvm",
                   expect="kvm,accel:kvm,cpu:svm")[-1] == "ok 3 demo"
    assert run_one("?accel:kvm", expect="kvm,accel:tcg,cpu:svm")[-1] == \
        "ok 3 demo # SKIP the guest runs under tcg, not kvm"
    assert run_one("accel:kvm", expect="kvm,accel:tcg")[-1] == (
        "not ok 3 demo # unmet need accel:kvm: the guest runs under tcg, not kvm, "
        "but the rig's kernel and machine provide it")
    assert run_one("?accel:kvm", expect="kvm")[-1] == \
        "ok 3 demo # SKIP the rig did not say which accelerator the guest runs under"
