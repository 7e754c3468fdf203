# SPDX-License-Identifier: GPL-2.0
"""The GitHub Actions workflow: clean for actionlint and yamllint
(rig/lint-workflows.sh, which must also catch a broken one), and shaped as
the README's CI section says: the suite and the lockdep pass per guest arch
on a runner of that arch, the upstream comparison in shards, every job with
its own cache, its results uploaded and its summary in the job summary;
and .ci/run is exactly the README's test command."""

import os
import subprocess

import pytest
import yaml

from conftest import REPO

WORKFLOW = os.path.join(REPO, ".github", "workflows", "ci.yml")
LINT = os.path.join(REPO, "rig", "lint-workflows.sh")


def lint(*files):
    return subprocess.run([LINT, *files], capture_output=True, text=True, timeout=600)


def test_workflow_is_clean():
    proc = lint()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "workflows clean" in proc.stderr


def test_linter_finds_what_is_wrong(tmp_path):
    """An undefined matrix property (actionlint), an unknown runner label
    (actionlint) and a duplicated key (yamllint): each is reported with
    its line, and the status is 1."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\n"
                   "jobs:\n"
                   "  a:\n"
                   "    runs-on: ubuntu-24.04-nonesuch\n"
                   "    timeout-minutes: 5\n"
                   "    timeout-minutes: 6\n"
                   "    steps:\n"
                   "      - run: echo ${{ matrix.nope }}\n")
    proc = lint(str(bad))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert 'property "nope" is not defined' in out
    assert 'label "ubuntu-24.04-nonesuch" is unknown' in out
    assert "duplication of key" in out


@pytest.fixture(scope="module")
def wf():
    with open(WORKFLOW, encoding="utf-8") as f:
        return yaml.safe_load(f)


def steps_text(job):
    return "\n".join(str(s.get("uses", "")) + " " + str(s.get("run", "")) for s in job["steps"])


def test_one_job_per_guest_arch_on_its_own_runner(wf):
    for name in ("suite", "debug"):
        job = wf["jobs"][name]
        assert job["runs-on"] == "${{ matrix.runner }}"
        runners = {i["arch"]: i["runner"] for i in job["strategy"]["matrix"]["include"]}
        assert runners == {"x86_64": "ubuntu-24.04", "arm64": "ubuntu-24.04-arm"}
        assert "--arch ${{ matrix.arch }}" in steps_text(job)
        # The container sees /dev/kvm only when privileged.
        assert "--privileged" in job["container"]["options"]
    assert "--debug" in steps_text(wf["jobs"]["debug"])


def test_regress_is_sharded_per_arch(wf):
    job = wf["jobs"]["regress"]
    assert job["strategy"]["matrix"] == {"arch": ["x86_64", "arm64"], "shard": [1, 2]}
    text = steps_text(job)
    assert "--suite upstream --compare --arch ${{ matrix.arch }} --shard ${{ matrix.shard }}/2" in text
    assert "ubuntu-24.04-arm" in job["runs-on"]


def test_every_job_caches_uploads_and_summarises(wf):
    for name, job in wf["jobs"].items():
        assert job["timeout-minutes"] <= 90, name
        if name == "unit":
            continue
        uses = [s.get("uses", "") for s in job["steps"]]
        assert "actions/cache@v4" in uses, name
        cache = next(s for s in job["steps"] if s.get("uses") == "actions/cache@v4")
        assert cache["with"]["path"] == "~/.cache/kvm-age-rig", name
        assert name in cache["with"]["key"], name
        upload = next(s for s in job["steps"] if s.get("uses") == "actions/upload-artifact@v4")
        assert upload["if"] == "always()" and upload["with"]["path"] == "output/", name
        summary = next(s for s in job["steps"] if "GITHUB_STEP_SUMMARY" in str(s.get("run", "")))
        assert summary["if"] == "always()", name


def test_debug_job_runs_the_lockdep_pass_of_make_check(wf):
    """The debug jobs' tests are make check's lockdep pass, per arch (each
    without the tests tests.list does not run there)."""
    with open(os.path.join(REPO, "rig", "check.sh"), encoding="utf-8") as f:
        text = f.read()
    default = text.split("CHECK_DEBUG_TESTS_DEFAULT='", 1)[1].split("'", 1)[0]
    tests = {i["arch"]: i["tests"] for i in wf["jobs"]["debug"]["strategy"]["matrix"]["include"]}
    assert tests["x86_64"] == default.replace(",aging_race_test", "")
    assert tests["arm64"] == default.replace(",nested_aging_test", "")


def test_ci_run_is_the_readmes_test_command():
    with open(os.path.join(REPO, ".ci", "run"), encoding="utf-8") as f:
        run = f.read()
    assert run.rstrip().endswith("exec make check")
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert "\n    make check" in readme
