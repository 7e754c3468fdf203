# SPDX-License-Identifier: GPL-2.0
"""rig/bench.py: aging_perf_test's samples from run directories, their
statistics (min/median/max), the ratios against the baseline, bench.json,
and the refusal to report a configuration that could not be measured."""

import json
import os

import pytest

import bench


def line(config, pas, sample, secs, test, clear, pages=16384):
    return ("    bench: config=%s pass=%s sample=%d seconds_per_gib=%.6f test_calls_per_1000=%.2f "
            "clear_calls_per_1000=%.2f pages=%d evicted=0" % (config, pas, sample, secs, test,
                                                              clear, pages))


def make_run(root, name, series, tests):
    """A run directory as run_tests.sh writes it; TESTS is a list of (arch,
    test name, cmdline, status, log lines)."""
    d = root / name
    (d / "x86_64").mkdir(parents=True)
    (d / "arm64").mkdir()
    (d / "meta.json").write_text(json.dumps({
        "rig_commit": "abc", "series_hash": "6b494fa4c700f69e" if series else "none",
        "qemu_version": "QEMU emulator version 7.2.15", "source": "6.12.117"}))
    with open(d / "tests.jsonl", "w", encoding="utf-8") as f:
        for i, (arch, test, cmdline, status, lines) in enumerate(tests):
            log = "%s/%s.%d.log" % (arch, test, i)
            (d / log).write_text("\n".join(lines) + "\n")
            f.write(json.dumps({"arch": arch, "name": test, "status": status,
                                "reason": "" if status == "pass" else "exit status 1",
                                "cmdline": cmdline, "boot": "1", "log": log}) + "\n")
    (d / "boots.jsonl").write_text(json.dumps(
        {"arch": "x86_64", "boot": "1", "env": {"kernel": "6.12.117+",
                                                "lru_gen_enabled": "0x000f"}}) + "\n")
    return str(d)


def test_parse_samples():
    got = bench.parse_samples(["# noise", line("0x0008_on", "aging", 1, 0.16, 15.75, 15.62)])
    assert got == [{"config": "0x0008_on", "pass": "aging", "sample": 1, "seconds_per_gib": 0.16,
                    "test_calls_per_1000": 15.75, "clear_calls_per_1000": 15.62,
                    "pages": 16384, "evicted": 0, "calls_per_1000": 31.37}]


@pytest.mark.parametrize("bad, message", [
    ("bench: config=x pass=aging sample=1 seconds_per_gib", "malformed sample field"),
    ("bench: config=x pass=aging sample=1 seconds_per_gib=1 test_calls_per_1000=1",
     "sample without clear_calls_per_1000"),
])
def test_malformed_samples_are_errors(bad, message):
    with pytest.raises(bench.BenchError, match=message):
        bench.parse_samples([bad])


def test_summary_statistics_and_ratios():
    samples = []
    for conf, secs in (("baseline/0x0008_off", [0.6, 0.5, 0.55]),
                       ("series/0x0008_on", [0.2, 0.1, 0.15, 0.9])):
        for i, v in enumerate(secs):
            samples.append({"arch": "x86_64", "configuration": conf, "pass": "aging",
                            "seconds_per_gib": v, "calls_per_1000": 1002.0 if "off" in conf else 31.4})
    rows = {(r["configuration"], r["metric"]): r for r in bench.summarise(samples)}
    base = rows[("baseline/0x0008_off", "seconds_per_gib")]
    assert (base["n"], base["min"], base["median"], base["max"], base["ratio"]) == \
        (3, 0.5, 0.55, 0.6, 1.0)
    on = rows[("series/0x0008_on", "seconds_per_gib")]
    assert (on["n"], on["min"], on["median"], on["max"]) == (4, 0.1, 0.175, 0.9)
    assert on["ratio"] == round(0.175 / 0.55, 3)
    assert rows[("series/0x0008_on", "calls_per_1000")]["ratio"] == round(31.4 / 1002, 3)


def test_no_ratio_without_a_baseline_or_against_zero():
    samples = [{"arch": "arm64", "configuration": c, "pass": "aging", "seconds_per_gib": 1.0,
                "calls_per_1000": 0.0} for c in ("baseline/0x0008_off", "series/0x0008_on")]
    rows = bench.summarise(samples)
    assert [r["ratio"] for r in rows if r["metric"] == "calls_per_1000"] == [None, None]
    assert bench.summarise([dict(samples[1], arch="x86_64")])[0]["ratio"] is None


def test_report_of_two_runs(tmp_path, capsys):
    """A baseline run and a series run with the shadow-MMU boot: bench.json
    holds every sample with its configuration and provenance, and the
    table compares each configuration with the baseline."""
    series = make_run(tmp_path, "series", True, [
        ("x86_64", "aging_perf_test", "", "pass",
         [line("0x0008_off", "aging", i, 0.55, 0, 1002) for i in (1, 2, 3)]
         + [line("0x0008_on", "aging", i, 0.16, 15.75, 15.62) for i in (1, 2, 3)]),
        ("x86_64", "aging_perf_test.npt0", "kvm_amd.npt=0", "pass",
         [line("0x0008_on", "aging", i, 0.54, 15.81, 1002.14) for i in (1, 2, 3)])])
    base = make_run(tmp_path, "base", False, [
        ("x86_64", "aging_perf_test", "", "pass",
         [line("0x0008_off", "aging", i, 0.56, 0, 1002) for i in (1, 2, 3)])])
    out = tmp_path / "bench"
    assert bench.main(["--out", str(out), series, base]) == 0
    data = json.loads((out / "bench.json").read_text())
    assert data["schema"] == bench.SCHEMA
    assert sorted(r["kernel"] for r in data["runs"]) == [["baseline"], ["series"]]
    assert sorted({s["configuration"] for s in data["samples"]}) == [
        "baseline/0x0008_off", "series+npt0/0x0008_on", "series/0x0008_off", "series/0x0008_on"]
    assert all(s["guest_kernel"] == "6.12.117+" for s in data["samples"])
    printed = capsys.readouterr().out.splitlines()
    on = next(l for l in printed if "series/0x0008_on" in l)
    assert on.split()[3:] == ["0.160/0.160/0.160", "0.29", "31.4", "0.031"]


def test_a_configuration_that_was_not_measured_is_an_error(tmp_path, capsys):
    series = make_run(tmp_path, "series", True, [
        ("x86_64", "aging_perf_test", "", "fail", ["    # 0x0008 does not stick"])])
    assert bench.main(["--out", str(tmp_path / "bench"), series]) == 1
    err = capsys.readouterr().err
    assert "series x86_64 aging_perf_test [-] could not be measured: fail" in err
    assert not os.path.exists(tmp_path / "bench" / "bench.json")


def test_a_run_without_samples_is_an_error(tmp_path, capsys):
    series = make_run(tmp_path, "series", True, [
        ("x86_64", "aging_perf_test", "", "pass", ["    # nothing measured"])])
    assert bench.main(["--out", str(tmp_path / "bench"), series]) == 1
    assert "printed no sample" in capsys.readouterr().err


def test_interference_samples_have_their_own_metric():
    got = bench.parse_samples(["    bench: config=0x0008_on pass=interference sample=2 "
                               "progress_ratio=0.9312 pages_per_second=812345 aging_passes=41"])
    assert got == [{"config": "0x0008_on", "pass": "interference", "sample": 2,
                    "progress_ratio": 0.9312, "pages_per_second": 812345, "aging_passes": 41}]
    rows = bench.summarise([dict(got[0], arch="x86_64", configuration="series/0x0008_on")])
    assert [(r["metric"], r["median"]) for r in rows] == [("progress_ratio", 0.9312)]
    assert "(progress while aging)" in bench.table(rows)[1]
    with pytest.raises(bench.BenchError, match="sample without progress_ratio"):
        bench.parse_samples(["bench: config=x pass=interference sample=1 pages_per_second=1"])


def test_the_kernel_is_named_by_what_it_was_built_with():
    """A --kernel-src run applies no series itself, yet its tree may hold
    it: the guest's KERNEL_EXPECT decides."""
    walk = {"kernel_expect": "kvm,lru_gen,lru_gen_secondary_mmu_walk"}
    assert bench.kernel_of({"series_hash": "none"}, walk) == "series"
    assert bench.kernel_of({"series_hash": "abc"}, {"kernel_expect": "kvm,lru_gen"}) == "baseline"
    assert bench.kernel_of({"series_hash": "abc"}, {}) == "series"
    assert bench.kernel_of({"series_hash": "none"}, {}) == "baseline"
