# SPDX-License-Identifier: GPL-2.0
"""ShellCheck over the rig's shell code: run_tests.sh, rig/*.sh and the CI
entry point, each checked on its own with -x (following `source`), all
clean.  Directives in the scripts are the only way to accept a finding."""

import glob
import os
import shutil
import subprocess

import pytest

from conftest import REPO

SCRIPTS = sorted(
    [os.path.join(REPO, "run_tests.sh")]
    + glob.glob(os.path.join(REPO, "rig", "*.sh"))
    + [p for p in [os.path.join(REPO, ".ci", "run")] if os.path.exists(p)])


@pytest.mark.skipif(shutil.which("shellcheck") is None,
                    reason="shellcheck is not installed (apt-get install shellcheck)")
@pytest.mark.parametrize("script", SCRIPTS, ids=[os.path.relpath(p, REPO) for p in SCRIPTS])
def test_shellcheck_clean(script):
    """`shellcheck -x` reports nothing for this script (run from the top of
    the repository, where the scripts' `# shellcheck source=` paths are
    relative to)."""
    proc = subprocess.run(["shellcheck", "-x", os.path.relpath(script, REPO)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_shell_script_is_checked():
    """No shell script of the rig escapes the check above: every file with
    a shell shebang outside tests/, output/ and .git is in the list."""
    found = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in (".git", "output", "tests", "__pycache__")]
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    first = f.readline()
            except OSError:
                continue
            if first.startswith(b"#!") and (b"sh" in first.split(b"/")[-1].split()[0]
                                            or b"env bash" in first):
                found.append(path)
    missing = sorted(os.path.relpath(p, REPO) for p in found if p not in SCRIPTS)
    assert missing == []
