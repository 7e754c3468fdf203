# SPDX-License-Identifier: GPL-2.0
"""rig/common.sh's run lock: a second run waits for the first, says so,
and still stops at once on SIGTERM (a CI job's cancel, Ctrl-C) while it
waits, instead of when the other run ends."""

import os
import signal
import subprocess
import time

from conftest import REPO

WAITER = """
set -u
REPO_DIR=$1
source "$REPO_DIR/rig/common.sh"
trap 'exit 143' TERM
take_run_lock
echo locked
"""


def test_a_waiting_run_stops_on_sigterm(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    holder = subprocess.Popen(["flock", str(cache / "run.lock"), "sleep", "60"])
    try:
        time.sleep(0.5)
        waiter = subprocess.Popen(["bash", "-c", WAITER, "w", REPO], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ, RIG_CACHE=str(cache)))
        time.sleep(1.5)
        assert waiter.poll() is None, "the second run did not wait"
        t0 = time.monotonic()
        waiter.send_signal(signal.SIGTERM)
        out, err = waiter.communicate(timeout=10)
        assert time.monotonic() - t0 < 5
        assert waiter.returncode == 143
        assert "waiting for the run that holds" in err
        assert out == ""
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_taken_once_free(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    holder = subprocess.Popen(["flock", str(cache / "run.lock"), "sleep", "1"])
    time.sleep(0.3)
    proc = subprocess.run(["bash", "-c", WAITER, "w", REPO], capture_output=True, text=True,
                          env=dict(os.environ, RIG_CACHE=str(cache)), timeout=30)
    holder.wait()
    assert (proc.returncode, proc.stdout) == (0, "locked\n")
    assert (cache / "run.pid").read_text().strip().isdigit()
