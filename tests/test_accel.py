# SPDX-License-Identifier: GPL-2.0
"""The guest's accelerator (rig/accel.sh) and the QEMU command lines built
for it (rig/guest.sh): KVM only when the host can run the guest's arch with
nested virtualization, TCG otherwise; --accel kvm that cannot be honoured
is a broken rig (128) before anything is built.  The host is described by
RIG_HOST_ROOT (a fake /dev, /sys, /proc) and RIG_HOST_ARCH."""

import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import REPO, rig_bash

SOURCES = "source rig/accel.sh; source rig/guest.sh; "


def host(tmp_path, kvm=True, mode=0o666, nested=None, cmdline="", flags=""):
    """A fake host root: /dev/kvm (a plain file standing for the device),
    /sys/module/<mod>/parameters/nested for each NESTED item, /proc."""
    root = tmp_path / "host"
    (root / "dev").mkdir(parents=True)
    (root / "proc").mkdir()
    if kvm:
        (root / "dev" / "kvm").write_text("")
        os.chmod(root / "dev" / "kvm", mode)
    for mod, value in (nested or {}).items():
        p = root / "sys" / "module" / mod / "parameters"
        p.mkdir(parents=True)
        (p / "nested").write_text(value + "\n")
    (root / "proc" / "cmdline").write_text(cmdline + "\n")
    (root / "proc" / "cpuinfo").write_text("processor\t: 0\nflags\t\t: fpu %s lm\n" % flags)
    return str(root)


def accel(root, host_arch, arch, req):
    return rig_bash(SOURCES + 'accel_for "$1" "$2"', arch, req,
                    env={"RIG_HOST_ROOT": root, "RIG_HOST_ARCH": host_arch})


CASES = [
    # (host arch, host, guest arch, request) -> (accelerator, what stderr says)
    ("x86_64", dict(nested={"kvm_amd": "1"}), "x86_64", "auto", "kvm", "accelerator kvm"),
    ("x86_64", dict(nested={"kvm_intel": "Y"}), "x86_64", "kvm", "kvm", "accelerator kvm"),
    ("x86_64", dict(nested={"kvm_intel": "Y"}), "x86_64", "tcg", "tcg", "(--accel tcg)"),
    ("x86_64", dict(nested={"kvm_intel": "Y"}), "arm64", "auto", "tcg",
     "KVM unusable: the host is x86_64, the guest arm64"),
    ("x86_64", dict(kvm=False), "x86_64", "auto", "tcg", "/dev/kvm is absent"),
    ("x86_64", dict(nested={"kvm_intel": "N"}), "x86_64", "auto", "tcg",
     "kvm_intel.nested is 'N'"),
    ("x86_64", dict(nested={}), "x86_64", "auto", "tcg", "neither kvm_intel nor kvm_amd is loaded"),
    ("aarch64", dict(cmdline="root=/dev/vda kvm-arm.mode=nested"), "arm64", "auto", "kvm",
     "accelerator kvm"),
    ("aarch64", dict(cmdline="root=/dev/vda"), "arm64", "auto", "tcg",
     "not booted with kvm-arm.mode=nested"),
    ("aarch64", dict(cmdline="kvm-arm.mode=nested"), "x86_64", "auto", "tcg",
     "the host is arm64, the guest x86_64"),
]


@pytest.mark.parametrize("host_arch, desc, arch, req, want, says", CASES,
                         ids=["%s-%s-%s-%s" % (c[0], c[2], c[3], c[5][:24]) for c in CASES])
def test_accelerator_choice(tmp_path, host_arch, desc, arch, req, want, says):
    """auto takes KVM only when every condition holds, and says why not;
    only the accelerator goes to stdout (callers capture it)."""
    proc = accel(host(tmp_path, **desc), host_arch, arch, req)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == want + "\n"
    assert says in proc.stderr


def test_unreadable_dev_kvm_is_unusable(tmp_path):
    """/dev/kvm the user cannot open is as good as absent.  Root opens any
    file, so as root the check runs as nobody (setpriv)."""
    # pytest's tmp_path is under a directory only its owner may enter.
    top = tempfile.mkdtemp(prefix="rig-accel-")
    os.chmod(top, 0o755)
    root = host(pathlib.Path(top), nested={"kvm_amd": "1"})
    os.chmod(os.path.join(root, "dev", "kvm"), 0o600)
    script = ("set -u; cd %s; source rig/common.sh; " % REPO) + SOURCES + 'accel_for x86_64 auto'
    cmd = ["bash", "-c", script]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, RIG_HOST_ROOT=root, RIG_HOST_ARCH="x86_64"))
    shutil.rmtree(top)
    assert proc.stdout == "tcg\n", proc.stderr
    assert "/dev/kvm is not readable and writable by" in proc.stderr


@pytest.mark.parametrize("desc", [dict(kvm=False), dict(nested={"kvm_amd": "0"})])
def test_accel_kvm_that_cannot_be_honoured_is_128(tmp_path, desc):
    proc = accel(host(tmp_path, **desc), "x86_64", "x86_64", "kvm")
    assert proc.returncode == 128
    assert proc.stdout == ""
    assert "--accel kvm: x86_64 guests cannot use KVM here:" in proc.stderr


def test_runner_fails_128_before_touching_the_cache(tmp_path):
    """`run_tests.sh --accel kvm` on a host without /dev/kvm stops at once
    with 128 and the reason: nothing installed, built or cached."""
    cache = tmp_path / "cache"
    env = dict(os.environ, RIG_CACHE=str(cache), RIG_HOST_ROOT=host(tmp_path, kvm=False),
               RIG_HOST_ARCH="x86_64")
    proc = subprocess.run([os.path.join(REPO, "run_tests.sh"), "--accel", "kvm", "--arch",
                           "x86_64", "--no-install"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 128, proc.stderr
    assert "--accel kvm: x86_64 guests cannot use KVM here: /dev/kvm is absent" in proc.stderr
    assert proc.stdout == ""
    assert not cache.exists()


def qemu(arch, accel_):
    out = rig_bash(SOURCES + 'qemu_command "$@"', arch, accel_, "K", "I", "panic=-1",
                   check=True).stdout
    return out.splitlines()


def test_qemu_command_x86_64_tcg():
    assert qemu("x86_64", "tcg") == [
        "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,thread=multi", "-cpu", "max",
        "-append", "console=ttyS0 tsc=reliable mem=2047M panic=-1",
        "-smp", "2", "-m", "2G", "-nographic", "-no-reboot", "-kernel", "K", "-initrd", "I"]


def test_qemu_command_x86_64_kvm():
    """Under KVM the guest gets the host's CPU: VMX on Intel, SVM on AMD,
    which the guest's own KVM then uses."""
    assert qemu("x86_64", "kvm") == [
        "qemu-system-x86_64", "-machine", "q35", "-accel", "kvm", "-cpu", "host",
        "-append", "console=ttyS0 tsc=reliable mem=2047M panic=-1",
        "-smp", "2", "-m", "2G", "-nographic", "-no-reboot", "-kernel", "K", "-initrd", "I"]


def test_qemu_command_arm64_tcg():
    assert qemu("arm64", "tcg") == [
        "qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3",
        "-accel", "tcg,thread=multi", "-cpu", "max", "-append", "console=ttyAMA0 panic=-1",
        "-smp", "2", "-m", "2G", "-nographic", "-no-reboot", "-kernel", "K", "-initrd", "I"]


def test_qemu_command_arm64_kvm():
    """EL2 for the guest (virtualization=on) under KVM needs a host booted
    with kvm-arm.mode=nested, which accel_for checks."""
    assert qemu("arm64", "kvm") == [
        "qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3",
        "-accel", "kvm", "-cpu", "host", "-append", "console=ttyAMA0 panic=-1",
        "-smp", "2", "-m", "2G", "-nographic", "-no-reboot", "-kernel", "K", "-initrd", "I"]


@pytest.mark.parametrize("arch, acc, flags, want", [
    ("x86_64", "tcg", "vmx", "accel:tcg,cpu:svm"),    # TCG's -cpu max: SVM, whatever the host
    ("x86_64", "kvm", "vmx ept", "accel:kvm,cpu:vmx"),
    ("x86_64", "kvm", "svm npt", "accel:kvm,cpu:svm"),
    ("x86_64", "kvm", "sse2", "accel:kvm"),
    ("arm64", "tcg", "", "accel:tcg"),
    ("arm64", "kvm", "", "accel:kvm"),
])
def test_machine_features(tmp_path, arch, acc, flags, want):
    """What the guest machine is known to provide, for /rig/expect."""
    root = host(tmp_path, flags=flags)
    out = rig_bash(SOURCES + 'machine_features "$1" "$2"', arch, acc,
                   env={"RIG_HOST_ROOT": root}, check=True).stdout
    assert out.strip() == want
