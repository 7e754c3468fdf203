# SPDX-License-Identifier: GPL-2.0
"""lib/kernel_file.c's restore_at_exit(): what a selftest changes in the
system is put back however the test ends, a return from main(), exit(), a
failed assertion or a runner's SIGTERM (which the test still dies of, so
that the runner sees a timeout), last registered first."""

import signal
import subprocess

import pytest

from conftest import build_driver


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    return build_driver(tmp_path_factory, "restore_driver", ["kernel_file.c"], ["-D_GNU_SOURCE"])


@pytest.mark.parametrize("how, status", [
    ("return", 0), ("exit", 3), ("assert", 2), ("signal", -signal.SIGTERM)])
def test_restores_run_however_the_test_ends(driver, how, status):
    proc = subprocess.run([driver, how], capture_output=True, text=True, timeout=30)
    assert proc.returncode == status, proc.stderr
    assert proc.stdout.splitlines() == ["restore second", "restore first"]
