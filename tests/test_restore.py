# SPDX-License-Identifier: GPL-2.0
"""lib/kernel_file.c's restore_at_exit(): what a selftest changes in the
system is put back however the test ends, a return from main(), exit(), a
failed assertion or a runner's SIGTERM (which the test still dies of, so
that the runner sees a timeout), last registered first."""

import os
import shutil
import signal
import subprocess

import pytest

from conftest import REPO, TESTS_DIR


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    cc = shutil.which("gcc") or shutil.which("cc")
    assert cc, "no host C compiler (apt-get install gcc)"
    exe = str(tmp_path_factory.mktemp("restore") / "restore_driver")
    subprocess.run([cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE",
                    "-I", os.path.join(TESTS_DIR, "shim"), "-I", os.path.join(REPO, "lib"),
                    "-o", exe, os.path.join(TESTS_DIR, "restore_driver.c"),
                    os.path.join(REPO, "lib", "kernel_file.c")],
                   check=True, capture_output=True, text=True)
    return exe


@pytest.mark.parametrize("how, status", [
    ("return", 0), ("exit", 3), ("assert", 2), ("signal", -signal.SIGTERM)])
def test_restores_run_however_the_test_ends(driver, how, status):
    proc = subprocess.run([driver, how], capture_output=True, text=True, timeout=30)
    assert proc.returncode == status, proc.stderr
    assert proc.stdout.splitlines() == ["restore second", "restore first"]
