# SPDX-License-Identifier: GPL-2.0
"""source_patched(): the throwaway git tree the series is applied in.  The
function's stdout is captured as the tree's path, so nothing else may go
there, including on the first run with an empty cache."""

import os

from conftest import rig_bash

PATCH = """\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Test <test@example.com>
Date: Mon, 23 Nov 2026 00:00:00 +0000
Subject: [PATCH] greet the world

---
 hello.txt | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/hello.txt b/hello.txt
--- a/hello.txt
+++ b/hello.txt
@@ -1 +1 @@
-hello
+hello, world
--
2.39.5
"""


def _setup(tmp_path, patch_text):
    src = tmp_path / "src"
    src.mkdir()
    (src / "hello.txt").write_text("hello\n")
    (src / ".rig-extracted").write_text("")   # a pristine Debian extraction
    repo = tmp_path / "repo"
    (repo / "patches").mkdir(parents=True)
    (repo / "patches" / "0001-greet.patch").write_text(patch_text)
    (repo / "patches" / "series").write_text("0001-greet.patch\n")
    return src, repo


def _source_patched(tmp_path, src, repo):
    return rig_bash('source rig/source.sh; REPO_DIR="$3"; '
                    'RIG_CACHE="$2"; source_patched "$1" test-tree',
                    str(src), str(tmp_path / "cache"), str(repo))


def test_first_run_prints_only_the_tree(tmp_path):
    src, repo = _setup(tmp_path, PATCH)
    proc = _source_patched(tmp_path, src, repo)
    assert proc.returncode == 0, proc.stderr
    tree = proc.stdout.strip()
    assert tree == str(tmp_path / "cache" / "trees" / "test-tree")
    assert (tmp_path / "cache" / "trees" / "test-tree" / "hello.txt").read_text() == "hello, world\n"
    assert "syncing" in proc.stderr


def test_second_run_reuses_the_tree(tmp_path):
    src, repo = _setup(tmp_path, PATCH)
    assert _source_patched(tmp_path, src, repo).returncode == 0
    hello = tmp_path / "cache" / "trees" / "test-tree" / "hello.txt"
    mtime = os.stat(hello).st_mtime_ns
    proc = _source_patched(tmp_path, src, repo)
    assert proc.returncode == 0, proc.stderr
    assert "syncing" not in proc.stderr
    assert os.stat(hello).st_mtime_ns == mtime


def test_a_patch_that_does_not_apply_is_named(tmp_path):
    src, repo = _setup(tmp_path, PATCH.replace("-hello\n", "-goodbye\n"))
    proc = _source_patched(tmp_path, src, repo)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "patch 0001-greet.patch does not apply" in proc.stderr
    assert "Hunk #1 FAILED" in proc.stderr
