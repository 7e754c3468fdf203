# SPDX-License-Identifier: GPL-2.0
"""The baseline-vs-series comparison (rig/compare.py): the verdict of every
pair of statuses, per-case differences inside a test, known failures,
boot-level kernel reports, the files it writes and its exit status."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO

import compare

STATUSES = ("pass", "xfail", "skip", "fail", "timeout", "crash", None)


@pytest.mark.parametrize("base", STATUSES)
@pytest.mark.parametrize("series", STATUSES)
def test_verdict_of_every_pair(base, series):
    """The table of the docstring, pair by pair."""
    ok, skip, bad = ("pass", "xfail"), ("skip",), ("fail", "timeout", "crash")
    v = compare.verdict(base, series)
    same_class = (base == series or (base in ok and series in ok) or
                  (base in bad and series in bad))
    if same_class:
        expect = "same"
    elif series in bad:
        expect = "REGRESSION"           # ok/skip/absent -> bad
    elif base in ok and series in skip + (None,):
        expect = "REGRESSION"           # pass -> skip, pass -> gone
    elif base in skip and series is None:
        expect = "REGRESSION"           # skip -> gone
    elif base in bad and series in ok:
        expect = "fixed"
    else:
        expect = "changed"              # skip -> pass, bad -> skip/gone, new
    assert v == expect, (base, series)


def test_pass_to_skip_and_timeout_are_regressions():
    assert compare.verdict("pass", "skip") == "REGRESSION"
    assert compare.verdict("skip", "timeout") == "REGRESSION"
    assert compare.verdict("fail", "pass") == "fixed"
    assert compare.verdict("fail", "crash") == "same"


def t(arch, name, status, subtests=(), reason=""):
    return {"arch": arch, "name": name, "status": status, "reason": reason,
            "subtests": [{"num": i + 1, "name": n, "status": s, "reason": ""}
                         for i, (n, s) in enumerate(subtests)]}


def run_of(tests, boots=()):
    return {"source": "6.12.117", "series_hash": "x", "rig_commit": "abc",
            "tests": list(tests), "boots": list(boots)}


def by_name(rows):
    return {(r["arch"], r["name"]): r for r in rows}


def test_a_case_regression_inside_a_test_failing_on_both_is_a_regression():
    """A test that fails on both kernels hides nothing: a case that passed
    on the baseline and fails on the series makes it a REGRESSION, and is
    listed; cases that are the same are not."""
    base = run_of([t("x86_64", "page_fault_test", "fail",
                     [("a", "pass"), ("b", "fail"), ("c", "pass")])])
    series = run_of([t("x86_64", "page_fault_test", "fail",
                       [("a", "pass"), ("b", "fail"), ("c", "fail")])])
    rows, _ = compare.compare(base, series, [])
    r = by_name(rows)[("x86_64", "page_fault_test")]
    assert r["verdict"] == "REGRESSION"
    assert [(c["name"], c["baseline"], c["series"], c["verdict"]) for c in r["cases"]] == [
        ("c", "pass", "fail", "REGRESSION")]


def test_case_differences_without_regression_make_a_test_changed():
    base = run_of([t("arm64", "hmm", "pass", [("a", "skip"), ("b", "pass")])])
    series = run_of([t("arm64", "hmm", "pass", [("a", "pass"), ("b", "pass")])])
    rows, _ = compare.compare(base, series, [])
    assert rows[0]["verdict"] == "changed"
    assert rows[0]["cases"][0]["verdict"] == "changed"


def test_a_case_missing_on_the_series_is_a_regression():
    base = run_of([t("arm64", "hmm", "pass", [("a", "pass"), ("b", "pass")])])
    series = run_of([t("arm64", "hmm", "pass", [("a", "pass")])])
    rows, _ = compare.compare(base, series, [])
    assert rows[0]["verdict"] == "REGRESSION"


def test_a_test_missing_on_one_side_is_not_counted_per_case():
    base = run_of([t("arm64", "hmm", "pass", [("a", "pass"), ("b", "pass")])])
    rows, _ = compare.compare(base, run_of([]), [])
    assert rows[0]["verdict"] == "REGRESSION" and rows[0]["cases"] == []
    assert rows[0]["series"] is None


def test_failing_on_both_names_the_known_reason_or_says_it_has_none():
    known = [("rseq_test", {"x86_64"}, "TCG delivers signals late"),
             ("aarch64/*", {"arm64"}, "no such device in QEMU")]
    base = run_of([t("x86_64", "rseq_test", "fail"), t("arm64", "rseq_test", "fail"),
                   t("arm64", "aarch64/vgic_irq", "timeout")])
    series = run_of([t("x86_64", "rseq_test", "fail"), t("arm64", "rseq_test", "fail"),
                     t("arm64", "aarch64/vgic_irq", "fail")])
    rows, stale = compare.compare(base, series, known)
    r = by_name(rows)
    assert r[("x86_64", "rseq_test")]["note"] == \
        "fails on both kernels (known: TCG delivers signals late)"
    assert r[("arm64", "rseq_test")]["note"] == \
        "fails on both kernels, no known reason: investigate"
    assert r[("arm64", "aarch64/vgic_irq")]["verdict"] == "same"
    assert "no such device" in r[("arm64", "aarch64/vgic_irq")]["note"]
    assert stale == []


def test_a_known_failure_that_passes_is_reported_stale():
    known = [("rseq_test", {"x86_64", "arm64"}, "flaky under TCG")]
    base = run_of([t("x86_64", "rseq_test", "pass"), t("arm64", "rseq_test", "fail")])
    series = run_of([t("x86_64", "rseq_test", "pass"), t("arm64", "rseq_test", "fail")])
    _, stale = compare.compare(base, series, known)
    assert stale == ["x86_64 rseq_test: listed as a known failure (flaky under TCG) "
                     "but passes on the baseline"]


def boot(arch, *summaries):
    return {"arch": arch, "boot": 1, "kernel_reports": [{"summary": s} for s in summaries]}


def test_a_kernel_report_only_the_series_has_is_a_regression():
    base = run_of([], [boot("x86_64", "WARNING: old"), boot("arm64")])
    series = run_of([], [boot("x86_64", "WARNING: old"), boot("arm64", "BUG: new")])
    rows, _ = compare.compare(base, series, [])
    r = by_name(rows)
    assert r[("arm64", "kernel log")]["verdict"] == "REGRESSION"
    assert r[("arm64", "kernel log")]["note"] == "BUG: new"
    assert r[("x86_64", "kernel log")]["verdict"] == "same"


def write_run(d, run):
    os.makedirs(d)
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(run, f)
    return d


def main_of(tmp_path, base, series, known_text=None):
    b = write_run(str(tmp_path / "b"), base)
    s = write_run(str(tmp_path / "s"), series)
    args = [sys.executable, os.path.join(REPO, "rig", "compare.py"), "--outdir", str(tmp_path),
            "--baseline", b, "--series", s]
    if known_text is not None:
        (tmp_path / "known.list").write_text(known_text)
        args += ["--known", str(tmp_path / "known.list")]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def test_exit_1_and_files_on_a_regression(tmp_path):
    base = run_of([t("x86_64", "a", "pass"), t("x86_64", "b", "fail"), t("x86_64", "c", "pass")])
    series = run_of([t("x86_64", "a", "fail", reason="FAIL: case x"),
                     t("x86_64", "b", "pass"), t("x86_64", "c", "pass")])
    proc = main_of(tmp_path, base, series)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout.splitlines()
    # Differences first (the regression before the fix); same tests are not shown.
    assert out[1].split()[:5] == ["x86_64", "a", "PASS", "FAIL", "REGRESSION"]
    assert out[2].split()[:5] == ["x86_64", "b", "FAIL", "PASS", "fixed"]
    assert not any(l.split()[:2] == ["x86_64", "c"] for l in out)
    assert out[-1] == ("compare: 1 regressions, 1 fixed, 0 changed, 1 same "
                       "(0 of them failing on both kernels)")
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["exit_status"] == 1
    assert [r["verdict"] for r in res["compare"]] == ["REGRESSION", "fixed", "same"]
    md = (tmp_path / "compare.md").read_text()
    assert md.index("## Regressions (1)") < md.index("## Fixed by the series (1)") < \
        md.index("## Every test")
    suite = ET.parse(str(tmp_path / "junit.xml")).getroot()[0]
    assert suite.get("failures") == "1"
    assert suite[0].find("failure").get("message").startswith("REGRESSION: baseline PASS")


def test_exit_0_when_failures_are_on_both(tmp_path):
    base = run_of([t("arm64", "arch_timer", "fail"), t("arm64", "a", "skip")])
    series = run_of([t("arm64", "arch_timer", "fail"), t("arm64", "a", "skip")])
    proc = main_of(tmp_path, base, series, "arch_timer | arm64 | TCG timer jitter\n")
    assert proc.returncode == 0, proc.stderr
    assert "fails on both kernels (known: TCG timer jitter)" in proc.stdout
    suite = ET.parse(str(tmp_path / "junit.xml")).getroot()[0]
    assert suite.get("failures") == "0" and suite.get("skipped") == "2"


def test_bad_known_failures_file_is_an_error(tmp_path):
    proc = main_of(tmp_path, run_of([]), run_of([]), "rseq_test | riscv | x\n")
    assert proc.returncode == 2 and "known.list:1: arches must be" in proc.stderr


def test_a_missing_run_is_an_error(tmp_path):
    proc = subprocess.run([sys.executable, os.path.join(REPO, "rig", "compare.py"),
                           "--outdir", str(tmp_path), "--baseline", str(tmp_path / "no"),
                           "--series", str(tmp_path / "no")], capture_output=True, text=True)
    assert proc.returncode == 2 and "cannot read" in proc.stderr


def test_the_committed_known_failures_file_parses():
    compare.read_known(os.path.join(REPO, "upstream", "known-failures.list"))


def test_repeated_case_names_are_compared_by_occurrence():
    """Two cases of one name are two cases: the second regressing is seen."""
    base = run_of([t("x86_64", "m", "pass", [("low", "pass"), ("low", "pass")])])
    series = run_of([t("x86_64", "m", "pass", [("low", "pass"), ("low", "fail")])])
    rows, _ = compare.compare(base, series, [])
    assert rows[0]["verdict"] == "REGRESSION"
    assert [c["name"] for c in rows[0]["cases"]] == ["low (2)"]


def test_a_known_flaky_test_failing_on_one_side_is_no_verdict():
    """'flaky:' entries make pass/fail differences 'same' with a note;
    a crash or a timeout on the series is still a REGRESSION, and an
    entry without the mark is not flaky."""
    known = [("xapic_ipi_test", {"x86_64"}, "flaky: IPIs late under TCG"),
             ("rseq_test", {"x86_64"}, "fails under TCG")]
    base = run_of([t("x86_64", "xapic_ipi_test", "pass"), t("x86_64", "rseq_test", "pass"),
                   t("arm64", "xapic_ipi_test", "pass")])
    series = run_of([t("x86_64", "xapic_ipi_test", "fail"), t("x86_64", "rseq_test", "fail"),
                     t("arm64", "xapic_ipi_test", "fail")])
    r = by_name(compare.compare(base, series, known)[0])
    assert r[("x86_64", "xapic_ipi_test")]["verdict"] == "same"
    assert "known to be flaky (flaky: IPIs late" in r[("x86_64", "xapic_ipi_test")]["note"]
    assert r[("x86_64", "rseq_test")]["verdict"] == "REGRESSION"
    assert r[("arm64", "xapic_ipi_test")]["verdict"] == "REGRESSION"
    series = run_of([t("x86_64", "xapic_ipi_test", "crash")])
    rows, _ = compare.compare(run_of([t("x86_64", "xapic_ipi_test", "pass")]), series, known)
    assert rows[0]["verdict"] == "REGRESSION"


def test_a_skip_on_both_kernels_keeps_its_reason():
    base = run_of([t("x86_64", "vmx", "skip", reason="Requirement not met: VMX")])
    series = run_of([t("x86_64", "vmx", "skip", reason="Requirement not met: VMX")])
    rows, _ = compare.compare(base, series, [])
    assert (rows[0]["verdict"], rows[0]["note"]) == ("same", "Requirement not met: VMX")


def test_a_flaky_difference_is_shown_but_not_counted_as_failing_on_both(tmp_path):
    base = run_of([t("x86_64", "xapic_ipi_test", "fail"), t("x86_64", "rseq_test", "fail")])
    series = run_of([t("x86_64", "xapic_ipi_test", "pass"), t("x86_64", "rseq_test", "fail")])
    proc = main_of(tmp_path, base, series,
                   "xapic_ipi_test | x86_64 | flaky: IPIs late\nrseq_test | x86_64 | TCG\n")
    assert proc.returncode == 0, proc.stderr
    assert "known to be flaky" in proc.stdout and "(known: TCG)" in proc.stdout
    assert proc.stdout.splitlines()[-1] == ("compare: 0 regressions, 0 fixed, 0 changed, 2 same "
                                            "(1 of them failing on both kernels)")
    md = (tmp_path / "compare.md").read_text()
    assert "## Failing on both kernels, or known to be flaky (2)" in md
