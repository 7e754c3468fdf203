# SPDX-License-Identifier: GPL-2.0
"""rig/report.py end to end: boots recorded with `report.py boot`, then
`report.py summary` for results.json, junit.xml, the printed summary and
the runner's exit status."""

import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

import ktap
import report
from conftest import console

CLEAN = ["access_tracking_perf_test", "kvm_create_max_vcpus",
         "memslot_modification_stress_test", "dirty_log_perf_test",
         "demand_paging_test"]
CRASH = ["kvm_create_max_vcpus", "memslot_modification_stress_test",
         "dirty_log_perf_test", "demand_paging_test", "access_tracking_perf_test"]
WARN = ["kvm_create_max_vcpus", "dirty_log_perf_test", "demand_paging_test"]

META = {"rig_commit": "ae6f7db-dirty", "date": "2025-11-23T16:40:00Z",
        "command": "./run_tests.sh --arch all", "source": "linux-source-6.12 6.12.117-1~deb12u1",
        "series_hash": "0123456789abcdef", "debug_config": False,
        "config_sha256": {"x86_64": "5f0c2a1b9d3e4f60", "arm64": "a1b2c3d4e5f60718"}}


class Run:
    """A run directory as run_tests.sh lays it out."""

    def __init__(self, path):
        self.dir = str(path)
        self.boots = {}

    def boot(self, arch, text, names, cmdline="", watchdog=None, timeout=300):
        """Record one boot of ARCH whose console is TEXT (or the name of a
        fixture) and whose plan lists NAMES; returns report.py's status."""
        n = self.boots[arch] = self.boots.get(arch, 0) + 1
        if text.endswith(".console"):
            text = console(text)
        stem = os.path.join(self.dir, "%s.boot%d" % (arch, n))
        with open(stem + ".console.log", "w", encoding="utf-8", newline="") as f:
            f.write(text)
        with open(stem + ".plan", "w", encoding="utf-8") as f:
            for name in names:
                f.write("%s|%d|kvm|%s\n" % (name, timeout, name))
        argv = ["boot", "--outdir", self.dir, "--arch", arch, "--boot", str(n),
                "--console", stem + ".console.log", "--plan", stem + ".plan",
                "--cmdline", cmdline]
        if watchdog is not None:
            # monitor.py's status file for a boot its watchdog ended.
            with open(stem + ".status.json", "w", encoding="utf-8") as f:
                json.dump({"exit": 2, "watchdog": watchdog}, f)
            argv += ["--status", stem + ".status.json"]
        return report.main(argv)

    def summary(self, capsys):
        """Run `report.py summary`; returns (status, printed lines)."""
        meta = os.path.join(self.dir, "meta.json")
        with open(meta, "w", encoding="utf-8") as f:
            json.dump(META, f)
        capsys.readouterr()
        status = report.main(["summary", "--outdir", self.dir, "--meta", meta])
        return status, capsys.readouterr().out.splitlines()

    def results(self):
        with open(os.path.join(self.dir, "results.json"), encoding="utf-8") as f:
            return json.load(f)

    def junit(self):
        return ET.parse(os.path.join(self.dir, "junit.xml")).getroot()


@pytest.fixture
def run(tmp_path):
    return Run(tmp_path)


def test_all_passed_or_skipped_exits_0(run, capsys):
    """A clean boot (four passes, one skip with a reason): exit 0 and the
    last line of the summary is exactly the overall count."""
    assert run.boot("x86_64", "clean_x86_64.console", CLEAN) == 0
    status, out = run.summary(capsys)
    assert status == 0
    assert out[-1] == "4 passed, 0 failed, 1 skipped"
    assert "x86_64: 4 passed, 0 failed, 1 skipped" in out
    assert run.results()["exit_status"] == 0


def test_fail_and_timeout_exit_1(run, capsys):
    """A failed and a timed-out test make the run fail; xfail counts as
    passed, skip as skipped."""
    run.boot("arm64", "directives_arm64.console", CLEAN)
    status, out = run.summary(capsys)
    assert status == 1
    assert out[-1] == "2 passed, 2 failed, 1 skipped"
    table = "\n".join(out)
    assert "TIMEOUT" in table and "TIMEOUT after 60s" in table
    assert "exit status 254" in table


def test_crash_exits_1(run, capsys):
    """A guest that crashed mid-run: the test in progress and the ones never
    run are failures."""
    run.boot("arm64", "crash_arm64.console", CRASH)
    status, out = run.summary(capsys)
    assert status == 1
    assert out[-1] == "1 passed, 4 failed, 0 skipped"
    tests = {t["name"]: t for t in run.results()["tests"]}
    assert tests["memslot_modification_stress_test"]["status"] == "crash"
    assert tests["memslot_modification_stress_test"]["reason"].startswith("no result")
    assert tests["demand_paging_test"]["reason"].startswith("not run")


def clean_with_boot_level_warning():
    """The clean console with a WARNING between tests 2 and 3, in no test."""
    text = console("clean_x86_64.console")
    anchor = "ok 2 kvm_create_max_vcpus\r\n"
    assert anchor in text
    splat = ("[   22.100000] ------------[ cut here ]------------\r\n"
             "[   22.100010] WARNING: CPU: 1 PID: 95 at mm/vmscan.c:123 lru_gen_look_around+0x5c/0x2a0\r\n"
             "[   22.100020] Modules linked in:\r\n"
             "[   22.100030] CPU: 1 UID: 0 PID: 95 Comm: sh Not tainted 6.12.0-kvm-aging #1\r\n"
             "[   22.100040] Call Trace:\r\n"
             "[   22.100050]  <TASK>\r\n"
             "[   22.100060]  shrink_folio_list+0x6b2/0x1230\r\n"
             "[   22.100070]  </TASK>\r\n"
             "[   22.100080] ---[ end trace 0000000000000000 ]---\r\n")
    return text.replace(anchor, anchor + splat)


def test_boot_level_kernel_report_alone_exits_1(run, capsys):
    """Every test passed or skipped but the kernel warned outside any test:
    the run fails, the summary has a "kernel log" line and counts it as a
    failure, junit.xml has a failing kernel-log testcase."""
    run.boot("x86_64", clean_with_boot_level_warning(), CLEAN)
    status, out = run.summary(capsys)
    assert status == 1
    assert out[-1] == "4 passed, 1 failed, 1 skipped"
    (line,) = [l for l in out if "kernel log (boot 1)" in l]
    assert "FAIL" in line and "kernel WARNING: WARNING: CPU: 1 PID: 95 at mm/vmscan.c:123" in line
    res = run.results()
    assert all(t["status"] in ("pass", "skip") for t in res["tests"])
    (boot,) = res["boots"]
    assert [r["summary"] for r in boot["kernel_reports"]] == [
        "kernel WARNING: WARNING: CPU: 1 PID: 95 at mm/vmscan.c:123 lru_gen_look_around+0x5c/0x2a0"]
    assert boot["kernel_reports"][0]["excerpt"][-1] == "---[ end trace 0000000000000000 ]---"
    suite = run.junit().find("testsuite")
    assert suite.get("failures") == "1"
    assert suite.get("tests") == "6"
    (case,) = [c for c in suite.findall("testcase") if c.get("name") == "kernel-log.boot1"]
    assert "lru_gen_look_around" in case.find("failure").text


def test_per_arch_line_counts_boot_level_reports(run, capsys):
    """The per-arch summary line agrees with the overall line: a boot-level
    kernel report of x86_64 is one of x86_64's failures."""
    run.boot("x86_64", clean_with_boot_level_warning(), CLEAN)
    status, out = run.summary(capsys)
    assert out[-1] == "4 passed, 1 failed, 1 skipped"
    assert "x86_64: 4 passed, 1 failed, 1 skipped" in out


def test_warning_inside_a_test(run, capsys):
    """A WARNING during a test fails that test (its log file carries the
    excerpt) and a WARNING between tests is a boot-level failure: both
    counted once."""
    run.boot("x86_64", "warning_x86_64.console", WARN)
    status, out = run.summary(capsys)
    assert status == 1
    assert out[-1] == "2 passed, 2 failed, 0 skipped"
    tests = {t["name"]: t for t in run.results()["tests"]}
    t = tests["dirty_log_perf_test"]
    assert t["status"] == "fail" and t["rc"] == "0"
    assert t["kernel_reports"] == [
        "kernel WARNING: WARNING: CPU: 1 PID: 95 at mm/vmscan.c:123 lru_gen_look_around+0x5c/0x2a0"]
    with open(os.path.join(run.dir, t["log"]), encoding="utf-8") as f:
        log = f.read()
    assert log.startswith("# dirty_log_perf_test -b 32M -v 1 -i 2\nTest iterations: 2\n")
    assert "=== kernel WARNING report ===" in log
    assert "---[ end trace 0000000000000000 ]---" in log


def test_results_json(run, capsys):
    """results.json holds the meta fields, each test's arch, status,
    duration, reason, rc, boot, cmdline, log path and subtests, each boot's
    environment, and the exit status."""
    run.boot("x86_64", "clean_x86_64.console", CLEAN)
    run.boot("arm64", "directives_arm64.console", CLEAN, cmdline="kvm-arm.mode=nvhe")
    run.summary(capsys)
    res = run.results()
    for key, value in META.items():
        assert res[key] == value
    assert res["exit_status"] == 1
    tests = {(t["arch"], t["name"]): t for t in res["tests"]}
    assert len(tests) == 10
    t = tests[("x86_64", "kvm_create_max_vcpus")]
    assert (t["status"], t["duration"], t["reason"], t["rc"], t["boot"], t["cmdline"]) == \
           ("pass", 21.07, "", "0", "1", "")
    assert t["log"] == os.path.join("x86_64", "kvm_create_max_vcpus.log")
    assert os.path.exists(os.path.join(run.dir, t["log"]))
    t = tests[("x86_64", "access_tracking_perf_test")]
    assert (t["status"], t["reason"], t["duration"]) == \
           ("skip", "/sys/kernel/mm/page_idle/bitmap is absent", 0.0)
    t = tests[("arm64", "dirty_log_perf_test")]
    assert (t["status"], t["reason"], t["duration"], t["cmdline"]) == \
           ("timeout", "TIMEOUT after 60s", 60.01, "kvm-arm.mode=nvhe")
    t = tests[("arm64", "access_tracking_perf_test")]
    assert [(s["name"], s["status"]) for s in t["subtests"]] == [
        ("idle_page_tracking", "pass"), ("lru_gen_aging", "skip"),
        ("parallel_young_harvest", "xfail")]
    boots = {b["arch"]: b for b in res["boots"]}
    assert boots["x86_64"]["booted"] and boots["x86_64"]["completed"]
    assert boots["x86_64"]["env"]["kernel"] == "6.12.0-kvm-aging"
    assert boots["arm64"]["env"]["kvm_arm_mode"] == "vhe"
    assert boots["arm64"]["watchdog"] is None
    assert boots["arm64"]["kernel_reports"] == []


def test_junit_xml(run, capsys):
    """junit.xml parses, has one suite per arch and counts tests, failures
    and skips; failing and skipped testcases carry their reason."""
    run.boot("x86_64", "clean_x86_64.console", CLEAN)
    run.boot("arm64", "directives_arm64.console", CLEAN)
    run.summary(capsys)
    root = run.junit()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"kvm-aging.x86_64", "kvm-aging.arm64"}
    arm = suites["kvm-aging.arm64"]
    assert (arm.get("tests"), arm.get("failures"), arm.get("skipped")) == ("5", "2", "1")
    x86 = suites["kvm-aging.x86_64"]
    assert (x86.get("tests"), x86.get("failures"), x86.get("skipped")) == ("5", "0", "1")
    cases = {c.get("name"): c for c in arm.findall("testcase")}
    assert cases["dirty_log_perf_test"].find("failure").get("message") == \
        "timeout: TIMEOUT after 60s"
    assert cases["demand_paging_test"].find("failure").get("message") == \
        "fail: exit status 254"
    assert cases["kvm_create_max_vcpus"].find("skipped").get("message") == \
        "Requirement not met: KVM_CAP_MAX_VCPU_ID > nr_cpus"
    assert len(cases["memslot_modification_stress_test"]) == 0      # xfail: passed
    assert cases["access_tracking_perf_test"].get("time") == "17.62"
    assert all(c.get("classname") == "kvm-aging.arm64" for c in cases.values())


HUNG_3 = {"phase": "test", "test_num": 3, "after": 450,
          "reason": "test 3 (memslot_modification_stress_test) gave no result within "
                    "its timeout of 300s + 120s"}


def test_watchdog_turns_the_test_in_progress_into_a_timeout(run, capsys):
    """When the host's watchdog killed a hung guest, the test it was in is
    a TIMEOUT naming the watchdog's reason, with the end of the console in
    its log; the tests after it stay "not run"."""
    truncated = console("clean_x86_64.console").split("# rig: end 3 ")[0]
    run.boot("x86_64", truncated, CLEAN, watchdog=HUNG_3)
    status, out = run.summary(capsys)
    assert status == 1
    tests = {t["name"]: t for t in run.results()["tests"]}
    t = tests["memslot_modification_stress_test"]
    assert t["status"] == "timeout"
    assert t["reason"] == ("TIMEOUT: test 3 (memslot_modification_stress_test) gave no "
                           "result within its timeout of 300s + 120s; the watchdog killed "
                           "the guest")
    with open(os.path.join(run.dir, t["log"]), encoding="utf-8") as f:
        log = f.read()
    assert "=== watchdog: test 3 (memslot_modification_stress_test)" in log
    assert "(last 40 console lines)" in log
    for name in ("dirty_log_perf_test", "demand_paging_test"):
        assert tests[name]["status"] == "crash"
        assert tests[name]["reason"].startswith("not run")
    assert tests["kvm_create_max_vcpus"]["status"] == "pass"
    assert run.results()["boots"][0]["watchdog"] == HUNG_3
    assert out[-1] == "1 passed, 3 failed, 1 skipped"


def test_watchdog_outside_a_test_fails_the_boot(run, capsys):
    """A guest that went silent between tests (or never came up) is a
    boot-level failure naming the watchdog's reason."""
    before_3 = console("clean_x86_64.console").split("# rig: begin 3 ")[0]
    run.boot("x86_64", before_3, CLEAN, watchdog={
        "phase": "between", "test_num": None, "after": 200,
        "reason": "the guest printed nothing for 120s after test 2 ended"})
    status, out = run.summary(capsys)
    assert status == 1
    (boot,) = run.results()["boots"]
    assert [r["kind"] for r in boot["kernel_reports"]] == ["hang"]
    assert "after test 2 ended" in boot["kernel_reports"][0]["summary"]


def test_without_watchdog_a_hung_test_is_a_crash(run, capsys):
    """The same truncated console without --watchdog: the test in progress
    is a crash, not a timeout."""
    truncated = console("clean_x86_64.console").split("# rig: end 3 ")[0]
    run.boot("x86_64", truncated, CLEAN)
    run.summary(capsys)
    tests = {t["name"]: t for t in run.results()["tests"]}
    assert tests["memslot_modification_stress_test"]["status"] == "crash"


def test_guest_that_never_booted(run, capsys):
    """A kernel that panics before /init: every planned test is a crash and
    the panic a boot-level report, all counted as failures."""
    run.boot("x86_64", "noboot_x86_64.console", CLEAN[:2])
    status, out = run.summary(capsys)
    assert status == 1
    assert out[-1] == "0 passed, 3 failed, 0 skipped"
    (boot,) = run.results()["boots"]
    assert boot["booted"] is False
    assert [r["kind"] for r in boot["kernel_reports"]] == ["panic"]


def test_repeated_boots_do_not_overwrite_logs(run, capsys):
    """Two boots of one arch that report a test of the same name keep both
    logs: the second gets a per-boot file name."""
    run.boot("x86_64", "clean_x86_64.console", CLEAN)
    run.boot("x86_64", "clean_x86_64.console", CLEAN, cmdline="kvm.tdp_mmu=0")
    run.summary(capsys)
    logs = sorted(t["log"] for t in run.results()["tests"] if t["name"] == "dirty_log_perf_test")
    assert logs == [os.path.join("x86_64", "dirty_log_perf_test.boot2.log"),
                    os.path.join("x86_64", "dirty_log_perf_test.log")]


def test_summary_of_nothing(run, capsys):
    """A run with no boot recorded still writes its files and reports zero
    counts with exit 0."""
    status, out = run.summary(capsys)
    assert status == 0
    assert out[-1] == "0 passed, 0 failed, 0 skipped"
    assert run.junit().tag == "testsuites"


def test_read_plan(tmp_path):
    """The plan's test names and timeouts are the first two fields of each
    non-blank line, the command may contain anything."""
    plan = tmp_path / "p.plan"
    plan.write_text("a.1|60|kvm|a -x 1\n\na.2|90|-|a -x 1 | tee\n")
    assert ktap.read_plan(str(plan)) == [("a.1", 60), ("a.2", 90)]


def _elf(tmp_path, debug):
    """A small ELF standing in for vmlinux, with or without debug info."""
    src = tmp_path / "v.c"
    src.write_text("int main(void) { return 0; }\n")
    out = tmp_path / ("vmlinux-g" if debug else "vmlinux")
    subprocess.run(["gcc", "-o", str(out), str(src)] + (["-g"] if debug else []), check=True)
    return str(out)


def _srctree(tmp_path):
    """A source tree whose decode_stacktrace.sh stands in for the kernel's:
    it appends a file:line to each call-trace line it is given."""
    tree = tmp_path / "linux"
    (tree / "scripts").mkdir(parents=True)
    (tree / "scripts" / "decode_stacktrace.sh").write_text(
        '#!/bin/bash\n[[ -f "$1" && -d "$2" ]] || exit 2\n'
        'sed -E "s/^( *[a-z_]+\\+0x[0-9a-f]+\\/0x[0-9a-f]+)$/\\1 mm\\/vmscan.c:123/"\n')
    return str(tree)


def _boot_with_vmlinux(run, vmlinux, srctree):
    """report.py boot of the recorded WARNING console with --vmlinux and
    --srctree; returns the log of the test that warned."""
    stem = os.path.join(run.dir, "x86_64.boot1")
    with open(stem + ".console.log", "w", encoding="utf-8") as f:
        f.write(console("warning_x86_64.console"))
    with open(stem + ".plan", "w", encoding="utf-8") as f:
        for name in CLEAN:
            f.write("%s|300|kvm|%s\n" % (name, name))
    assert report.main(["boot", "--outdir", run.dir, "--arch", "x86_64", "--boot", "1",
                        "--console", stem + ".console.log", "--plan", stem + ".plan",
                        "--vmlinux", vmlinux, "--srctree", srctree]) == 0
    with open(os.path.join(run.dir, "tests.jsonl"), encoding="utf-8") as f:
        logs = [t["log"] for t in map(json.loads, f) if t["kernel_reports"]]
    with open(os.path.join(run.dir, logs[0]), encoding="utf-8") as f:
        return f.read()


def test_stack_traces_are_decoded_with_the_kernels_script(run, tmp_path):
    """With a vmlinux that has debug info, the report in the test's log is
    the output of the tree's scripts/decode_stacktrace.sh (file:line)."""
    log = _boot_with_vmlinux(run, _elf(tmp_path, True), _srctree(tmp_path))
    assert " shrink_folio_list+0x6b2/0x1230 mm/vmscan.c:123\n" in log
    assert "not decoded" not in log


def test_without_debug_info_the_log_says_why_not_decoded(run, tmp_path):
    log = _boot_with_vmlinux(run, _elf(tmp_path, False), _srctree(tmp_path))
    assert " shrink_folio_list+0x6b2/0x1230\n" in log
    assert "(stack trace not decoded: vmlinux has no debug info" in log


def test_summary_md_for_the_job_summary(run, capsys):
    """summary.md: the command, the counts per arch with the accelerator,
    then every test, failures first, a '|' in a reason escaped."""
    run.boot("arm64", "directives_arm64.console", CLEAN)
    META["accelerator"] = {"arm64": "tcg"}
    try:
        run.summary(capsys)
    finally:
        del META["accelerator"]
    with open(os.path.join(run.dir, "summary.md"), encoding="utf-8") as f:
        md = f.read().splitlines()
    assert md[0] == "### kvm-aging: ./run_tests.sh --arch all"
    assert "| arm64 | tcg | 2 | 2 | 1 |" in md
    rows = md[md.index("| arch | test | result | time | note |") + 2:]
    statuses = [r.split("|")[3].strip() for r in rows]
    assert statuses == ["TIMEOUT", "FAIL", "SKIP", "PASS", "XFAIL"]
    assert report.md_cell("a|b\nc") == "a\\|b c"
