# SPDX-License-Identifier: GPL-2.0
"""run_tests.sh's meta.json is written by Python's json: quotes,
backslashes and tabs in the command, the source's description and the
phases come out as the same strings."""

import json
import os
import subprocess

from conftest import REPO

SCRIPT = r"""
set -u
source "$1/run_tests.sh"
RUN_DIR=$2 PHASE_LOG=$2/phases.tsv
printf 'kernel source\t3\tnote "q" \\ x\n' > "$PHASE_LOG"
ARGS=(--tests 'a"b\c')
SOURCE_DESC='6.12 "x" \ y' KERNEL_TREE=/t SERIES_HASH=abc OPT_DEBUG=1 OPT_ARCH=${3:-x86_64}
GUEST_ACCEL=([x86_64]=kvm)
build_dir() { echo "$RUN_DIR/b"; }
mkdir -p "$RUN_DIR/b/kernel"
echo CONFIG_X=y > "$RUN_DIR/b/kernel/.config"
write_meta
"""


def test_meta_json_carries_any_character(tmp_path):
    subprocess.run(["bash", "-c", SCRIPT, "t", REPO, str(tmp_path)], check=True,
                   capture_output=True, text=True, timeout=60)
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["source"] == '6.12 "x" \\ y'
    assert meta["phases"] == 'kernel source 3 note "q" \\ x'
    assert meta["command"].endswith(" --tests a\\\"b\\\\c ")
    assert meta["debug_config"] is True
    assert meta["kselftest_runner"] is False
    assert list(meta["config_sha256"]) == ["x86_64"]
    assert len(meta["config_sha256"]["x86_64"]) == 16
    assert meta["accelerator"] == {"x86_64": "kvm"}


def test_meta_json_names_each_arch_accelerator(tmp_path):
    """Which accelerator each arch's guest had; 'none' for an arch built
    and not booted (--build-only)."""
    subprocess.run(["bash", "-c", SCRIPT, "t", REPO, str(tmp_path), "all"], check=True,
                   capture_output=True, text=True, timeout=60)
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["accelerator"] == {"x86_64": "kvm", "arm64": "none"}
