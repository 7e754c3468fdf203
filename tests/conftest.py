# SPDX-License-Identifier: GPL-2.0
"""Shared helpers of the host-side tests: paths, recorded console fixtures,
and a way to call the rig's bash functions.  Nothing here builds a kernel
or starts QEMU."""

import os
import shutil
import subprocess
import sys

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TESTS_DIR)
DATA = os.path.join(TESTS_DIR, "data")

sys.path.insert(0, os.path.join(REPO, "rig"))


def console(name):
    """The recorded console log tests/data/NAME, exactly as QEMU wrote it
    (bytes decoded as report.py does, line endings untouched)."""
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def rig_bash(script, *args, env=None, check=False):
    """Run SCRIPT in bash after sourcing rig/common.sh, rig/kconfig.sh and
    rig/testlist.sh, the way run_tests.sh does.  ARGS become "$1"...; the
    result is a CompletedProcess with text stdout/stderr."""
    prologue = ('set -u; set -o pipefail; REPO_DIR=%s; cd "$REPO_DIR"; '
                'source rig/common.sh; source rig/kconfig.sh; '
                'source rig/testlist.sh; ' % _shquote(REPO))
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(["bash", "-c", prologue + script, "rig-test", *args],
                          capture_output=True, text=True, env=full_env, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError("bash failed (%d): %s" % (proc.returncode, proc.stderr))
    return proc


def build_driver(tmp_path_factory, name, lib_sources, cflags=()):
    """Compile the host driver tests/NAME.c with LIB_SOURCES (files of lib/)
    against lib/ and the test_util.h stand-in of tests/shim/, warnings as
    errors; returns the executable's path.  make unit installs gcc, so a
    missing compiler fails."""
    cc = shutil.which("gcc") or shutil.which("cc")
    assert cc, "no host C compiler (apt-get install gcc)"
    exe = str(tmp_path_factory.mktemp(name) / name)
    subprocess.run([cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", *cflags,
                    "-I", os.path.join(TESTS_DIR, "shim"), "-I", os.path.join(REPO, "lib"),
                    "-o", exe, os.path.join(TESTS_DIR, name + ".c"),
                    *(os.path.join(REPO, "lib", f) for f in lib_sources)],
                   check=True, capture_output=True, text=True)
    return exe


def _shquote(s):
    return "'" + s.replace("'", "'\\''") + "'"
