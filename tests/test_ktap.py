# SPDX-License-Identifier: GPL-2.0
"""Parsing of the guest console (rig/ktap.py): KTAP results, nested
kselftest output, directives, truncated consoles and kernel reports.

The fixtures in tests/data/ are QEMU serial consoles in the format
rig/guest-init.sh prints: CRLF line endings, printk timestamps on kernel
lines, test output indented by four spaces."""

import os
import re

import pytest

import ktap
from conftest import DATA, console

CLEAN_NAMES = ["access_tracking_perf_test", "kvm_create_max_vcpus",
               "memslot_modification_stress_test", "dirty_log_perf_test",
               "demand_paging_test"]


def by_name(boot):
    return {t.name: t for t in boot.tests}


def statuses(boot):
    return [(t.num, t.name, t.status) for t in boot.tests]


# --- strip_console / parse_directive --------------------------------------

@pytest.mark.parametrize("raw, stripped", [
    ("[   12.345678] kvm: vcpu 0: hello\r\n", "kvm: vcpu 0: hello"),
    ("[12345.000001] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x0\r", "WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x0"),
    ("[    0.000000]  dump_stack_lvl+0x68/0xa0", " dump_stack_lvl+0x68/0xa0"),
    ("[   61.234567] ", ""),
    ("ok 1 foo\r\n", "ok 1 foo"),
    ("    ok 2 bar # SKIP why\r\n", "    ok 2 bar # SKIP why"),
    ("# rig: begin 1 x\r\r\n", "# rig: begin 1 x"),
])
def test_strip_console(raw, stripped):
    """A console line loses its CR/LF and its printk timestamp (one space
    after it, so deeper kernel indentation survives); guest lines, which
    carry no timestamp, keep their indentation."""
    assert ktap.strip_console(raw) == stripped


@pytest.mark.parametrize("ok, directive, expected", [
    (True, None, ("pass", "")),
    (True, "", ("pass", "")),
    (False, "exit status 1", ("fail", "exit status 1")),
    (False, None, ("fail", "")),
    (True, "SKIP /dev/kvm is absent (KVM did not initialise)",
     ("skip", "/dev/kvm is absent (KVM did not initialise)")),
    (True, "SKIP", ("skip", "skipped without a reason")),
    (False, "skip lower case too", ("skip", "lower case too")),
    (False, "XFAIL known race", ("xfail", "known race")),
    (True, "XFAIL", ("xfail", "")),
    (False, "TIMEOUT after 300s", ("timeout", "TIMEOUT after 300s")),
    (False, "TODO not implemented", ("xfail", "not implemented")),
    (True, "TODO not implemented", ("pass", "")),
])
def test_parse_directive(ok, directive, expected):
    """ok/not ok plus the KTAP directive map to the results.json status and
    reason: SKIP and XFAIL whatever the ok, TIMEOUT as its own failure,
    a skip without a reason still gets one."""
    assert ktap.parse_directive(ok, directive) == expected


# --- whole consoles --------------------------------------------------------

def test_clean_boot():
    """A complete, clean x86_64 boot: every result, its duration and rc,
    the environment, the plan, and no kernel report (the boot's harmless
    "Spectre V2 : WARNING: ..." line is not one)."""
    text = console("clean_x86_64.console")
    assert "\r\n" in text and "\x1b" in text     # the fixture is a raw console
    boot = ktap.parse_console(text, CLEAN_NAMES)
    assert boot.booted and boot.completed
    assert boot.planned == 5
    assert statuses(boot) == [
        (1, "access_tracking_perf_test", "skip"),
        (2, "kvm_create_max_vcpus", "pass"),
        (3, "memslot_modification_stress_test", "pass"),
        (4, "dirty_log_perf_test", "pass"),
        (5, "demand_paging_test", "pass"),
    ]
    t = by_name(boot)
    assert t["access_tracking_perf_test"].reason == "/sys/kernel/mm/page_idle/bitmap is absent"
    assert t["access_tracking_perf_test"].rc == "skip"
    assert t["access_tracking_perf_test"].duration == 0.0
    assert t["kvm_create_max_vcpus"].duration == pytest.approx(21.07)
    assert t["kvm_create_max_vcpus"].rc == "0"
    assert t["kvm_create_max_vcpus"].log[0] == "    # kvm_create_max_vcpus"
    assert boot.reports == []
    assert all(not r.reports and not r.subtests for r in boot.tests)
    assert boot.env["machine"] == "x86_64"
    assert boot.env["cmdline"] == ("console=ttyS0 panic=-1 loglevel=7 "
                                   "transparent_hugepage=madvise")
    assert boot.env["thp"] == "always [madvise] never"
    assert boot.env["kvm_param.kvm_amd.nested"] == "1"
    assert ktap.exit_status([r.status for r in boot.tests]) == 0


def test_kernel_messages_interleaved_with_a_test_are_kept_in_its_log():
    """A kernel message printed while a test runs lands in that test's log
    (timestamp stripped) without disturbing its result or making a
    subtest; messages between tests belong to no test."""
    boot = ktap.parse_console(console("clean_x86_64.console"), CLEAN_NAMES)
    t = by_name(boot)
    log = t["memslot_modification_stress_test"].log
    assert "kvm: vcpu 1: requested 191999 ns lapic timer period limited to 200000 ns" in log
    assert log[-1] == "    All vCPU threads joined"
    assert t["memslot_modification_stress_test"].status == "pass"
    assert t["memslot_modification_stress_test"].subtests == []
    assert not any("crng init done" in l for r in boot.tests for l in r.log)


def test_line_endings_and_timestamps_do_not_change_the_result():
    """The same console with LF instead of CRLF, or without printk
    timestamps, parses to the same results."""
    text = console("directives_arm64.console")
    variants = [text, text.replace("\r\n", "\n"),
                re.sub(r"(?m)^\[\s*\d+\.\d+\] ", "", text)]
    parsed = [ktap.parse_console(v, CLEAN_NAMES) for v in variants]
    for boot in parsed[1:]:
        assert [(t.num, t.name, t.status, t.reason, t.duration, t.rc)
                for t in boot.tests] == \
               [(t.num, t.name, t.status, t.reason, t.duration, t.rc)
                for t in parsed[0].tests]
        assert boot.env == parsed[0].env


def test_nested_kselftest_output_becomes_subtests():
    """A kselftest that prints its own KTAP ("TAP version 13", "1..3",
    ok / not ok with "# SKIP reason" and "# XFAIL"), indented four spaces
    by the guest, is parsed as the subtests of that test; the test's own
    status still comes from its top-level result line."""
    boot = ktap.parse_console(console("directives_arm64.console"), CLEAN_NAMES)
    test = by_name(boot)["access_tracking_perf_test"]
    assert test.status == "pass"
    assert [(s.num, s.name, s.status, s.reason) for s in test.subtests] == [
        (1, "idle_page_tracking", "pass", ""),
        (2, "lru_gen_aging", "skip", "lru_gen is not enabled for this memcg"),
        (3, "parallel_young_harvest", "xfail",
         "young bits still harvested under mmu_lock"),
    ]
    assert "    TAP version 13" in test.log


def test_top_level_directives():
    """SKIP, XFAIL and TIMEOUT directives on the guest's own result lines,
    and a plain failure with its exit status as the reason."""
    boot = ktap.parse_console(console("directives_arm64.console"), CLEAN_NAMES)
    assert boot.env["machine"] == "aarch64" and boot.env["kvm_arm_mode"] == "vhe"
    got = {t.name: (t.status, t.reason, t.rc) for t in boot.tests}
    assert got == {
        "access_tracking_perf_test": ("pass", "", "0"),
        "kvm_create_max_vcpus": ("skip", "Requirement not met: KVM_CAP_MAX_VCPU_ID > nr_cpus", "4"),
        "memslot_modification_stress_test": ("xfail", "memslot deletion races aging on arm64", "1"),
        "dirty_log_perf_test": ("timeout", "TIMEOUT after 60s", "143"),
        "demand_paging_test": ("fail", "exit status 254", "254"),
    }
    assert by_name(boot)["dirty_log_perf_test"].duration == pytest.approx(60.01)
    assert "      demand_paging_test.c:104: !r" in by_name(boot)["demand_paging_test"].log
    assert boot.reports == []
    assert ktap.exit_status([t.status for t in boot.tests]) == 1


def test_parse_results_nests_by_four_spaces():
    """parse_results takes lines four spaces deeper than a result as that
    result's own subtests, recursively; plans, comments and anything
    shallower are ignored."""
    log = [
        "    TAP version 13",
        "    1..2",
        "        TAP version 13",
        "        1..2",
        "        ok 1 vcpu0",
        "        not ok 2 vcpu1 # exit status 1",
        "    not ok 1 vcpus",
        "    ok 2 - memslots # SKIP no memslots",
        "not indented: a kernel message",
        "    # Totals: pass:0 fail:1",
    ]
    res = ktap.parse_results(log, 4)
    assert [(r.num, r.name, r.status, r.reason) for r in res] == [
        (1, "vcpus", "fail", ""), (2, "memslots", "skip", "no memslots")]
    assert [(r.num, r.name, r.status, r.reason) for r in res[0].subtests] == [
        (1, "vcpu0", "pass", ""), (2, "vcpu1", "fail", "exit status 1")]
    assert res[1].subtests == []


def test_truncated_console_of_a_crashed_guest():
    """arm64 guest that oopsed during test 2 and panicked (the console ends
    mid-panic, without a final newline): test 1 keeps its result, test 2
    is a CRASH "no result..." naming the oops, tests 3-5 are CRASH
    "not run...".  The oops's "Internal error" line belongs to the same
    report; the panic is a second one, also during test 2."""
    names = ["kvm_create_max_vcpus", "memslot_modification_stress_test",
             "dirty_log_perf_test", "demand_paging_test", "access_tracking_perf_test"]
    boot = ktap.parse_console(console("crash_arm64.console"), names)
    assert boot.booted and not boot.completed
    assert statuses(boot) == [
        (1, "kvm_create_max_vcpus", "pass"),
        (2, "memslot_modification_stress_test", "crash"),
        (3, "dirty_log_perf_test", "crash"),
        (4, "demand_paging_test", "crash"),
        (5, "access_tracking_perf_test", "crash"),
    ]
    crashed = boot.tests[1]
    assert crashed.reason.startswith("no result: the guest died or hung during this test")
    assert ("kernel Oops: Unable to handle kernel paging request at virtual "
            "address dead000000000108") in crashed.reason
    assert "    Started all vCPUs" in crashed.log
    for t in boot.tests[2:]:
        assert t.reason == "not run: the guest died or hung before this test"
        assert t.log == [] and t.reports == []
    kinds = [(r.kind, r.test_num) for r in boot.reports]
    assert kinds == [("Oops", 2), ("panic", 2)]
    oops = boot.reports[0]
    assert any(l.startswith("Internal error: Oops:") for l in oops.excerpt)
    assert oops.excerpt[-1] == "---[ end trace 0000000000000000 ]---"
    assert boot.reports[1].first_line == "Kernel panic - not syncing: Oops: Fatal exception"
    assert [r.kind for r in crashed.reports] == ["Oops", "panic"]
    assert ktap.exit_status([t.status for t in boot.tests]) == 1


def test_truncated_console_without_a_plan_lists_only_reported_tests():
    """Without the planned names nothing can be invented: only the tests
    with a result line are listed."""
    boot = ktap.parse_console(console("crash_arm64.console"))
    assert statuses(boot) == [(1, "kvm_create_max_vcpus", "pass")]


def test_guest_that_never_booted():
    """A kernel that panics before /init: no test ran, each planned test
    is CRASH "not run: the guest did not boot", and the panic is a
    boot-level report (no test)."""
    boot = ktap.parse_console(console("noboot_x86_64.console"), CLEAN_NAMES[:3])
    assert not boot.booted and not boot.completed and boot.planned is None
    assert [(t.name, t.status, t.reason) for t in boot.tests] == [
        (n, "crash", "not run: the guest did not boot") for n in CLEAN_NAMES[:3]]
    assert [(r.kind, r.test_num, r.first_line) for r in boot.reports] == [
        ("panic", None,
         "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)")]
    assert ktap.exit_status([t.status for t in boot.tests], 1) == 1


def test_result_lines_before_the_guest_is_up_are_ignored():
    """Lines that merely look like KTAP before "# rig: guest up" (firmware,
    early kernel) are not results."""
    text = "ok 1 firmware_selftest\n1..9\n# rig: guest up after 1.00s\n1..1\nok 1 a\n"
    boot = ktap.parse_console(text, ["a"])
    assert boot.planned == 1
    assert statuses(boot) == [(1, "a", "pass")]


# --- kernel reports --------------------------------------------------------

def test_warning_inside_a_test_fails_it():
    """A WARNING splat printed between a test's begin and end markers fails
    that test although it exited 0; the reason names the WARNING and the
    excerpt runs from the WARNING line to the end-trace marker."""
    names = ["kvm_create_max_vcpus", "dirty_log_perf_test", "demand_paging_test"]
    boot = ktap.parse_console(console("warning_x86_64.console"), names)
    t = by_name(boot)
    assert t["dirty_log_perf_test"].status == "fail"
    assert t["dirty_log_perf_test"].rc == "0"
    assert t["dirty_log_perf_test"].reason == (
        "kernel WARNING: WARNING: CPU: 1 PID: 95 at mm/vmscan.c:123 "
        "lru_gen_look_around+0x5c/0x2a0")
    (rep,) = t["dirty_log_perf_test"].reports
    assert rep.kind == "WARNING" and rep.test_num == 2
    assert rep.excerpt[0].startswith("WARNING: CPU: 1 PID: 95")
    assert rep.excerpt[-1] == "---[ end trace 0000000000000000 ]---"
    assert " folio_referenced_one+0x2f2/0x3c0" in rep.excerpt
    assert t["kvm_create_max_vcpus"].status == "pass"
    assert t["demand_paging_test"].status == "pass"


def test_warning_outside_any_test_is_a_boot_level_report():
    """A WARNING printed after one test's result and before the next test
    begins (here: from the guest's drop_caches) fails no test; it is a
    report with no test number, which the runner counts on its own."""
    names = ["kvm_create_max_vcpus", "dirty_log_perf_test", "demand_paging_test"]
    boot = ktap.parse_console(console("warning_x86_64.console"), names)
    boot_level = [r for r in boot.reports if r.test_num is None]
    assert [(r.kind, r.first_line) for r in boot_level] == [
        ("WARNING", "WARNING: CPU: 0 PID: 88 at mm/vmscan.c:3310 "
                    "walk_pmd_range_locked+0x21c/0x2f0")]
    assert boot_level[0].excerpt[-1] == "---[ end trace 0000000000000000 ]---"
    assert by_name(boot)["kvm_create_max_vcpus"].reports == []
    assert ktap.exit_status([t.status for t in boot.tests], len(boot_level)) == 1


def test_lockdep_report_fails_the_test():
    """lockdep's "WARNING: possible circular locking dependency detected"
    is a report of its own kind and fails the test it happened in; the
    test after it is untouched."""
    boot = ktap.parse_console(console("lockdep_x86_64.console"),
                              ["access_tracking_perf_test", "demand_paging_test"])
    first, second = boot.tests
    assert first.status == "fail"
    assert first.reason == "kernel lockdep: WARNING: possible circular locking dependency detected"
    assert [r.kind for r in boot.reports] == ["lockdep"]
    assert second.status == "pass"


def test_kasan_report_fails_the_test():
    """A KASAN slab-use-after-free, even from kswapd, fails the test that
    was running; the earlier test keeps its pass."""
    boot = ktap.parse_console(console("kasan_x86_64.console"),
                              ["kvm_create_max_vcpus", "memslot_modification_stress_test"])
    first, second = boot.tests
    assert first.status == "pass"
    assert second.status == "fail"
    assert second.reason == ("kernel KASAN: BUG: KASAN: slab-use-after-free in "
                             "kvm_mmu_notifier_clear_young+0x1a4/0x1f0")
    assert [(r.kind, r.test_num) for r in boot.reports] == [("KASAN", 2)]


def test_report_does_not_replace_an_existing_failure_reason():
    """A test that already failed keeps its own reason (and status) when a
    kernel report is also attached to it."""
    text = ("# rig: guest up after 1.00s\n1..1\n# rig: begin 1 t\n"
            "[   5.000000] WARNING: CPU: 0 PID: 9 at mm/memory.c:1 f+0x1/0x2\n"
            "[   5.000001] ---[ end trace 0000000000000000 ]---\n"
            "# rig: end 1 t rc=1 duration=1.00\nnot ok 1 t # exit status 1\n")
    (t,) = ktap.parse_console(text, ["t"]).tests
    assert (t.status, t.reason) == ("fail", "exit status 1")
    assert [r.kind for r in t.reports] == ["WARNING"]


@pytest.mark.parametrize("line, kind", [
    ("WARNING: CPU: 1 PID: 95 at mm/vmscan.c:123 lru_gen_look_around+0x5c/0x2a0", "WARNING"),
    ("WARNING: possible circular locking dependency detected", "lockdep"),
    ("WARNING: inconsistent lock state", "lockdep"),
    ("WARNING: suspicious RCU usage", "lockdep"),
    ("WARNING: possible recursive locking detected", "lockdep"),
    ("BUG: KASAN: slab-use-after-free in kvm_mmu_notifier_clear_young+0x1a4/0x1f0", "KASAN"),
    ("UBSAN: array-index-out-of-bounds in arch/x86/kvm/mmu/mmu.c:1234:5", "UBSAN"),
    ("kernel BUG at mm/vmscan.c:3310!", "BUG"),
    ("BUG: sleeping function called from invalid context at mm/vmscan.c:123", "BUG"),
    ("BUG: Bad page state in process kswapd0  pfn:10a3f", "BUG"),
    ("Oops: general protection fault, probably for non-canonical address "
     "0xdead000000000108: 0000 [#1] PREEMPT SMP NOPTI", "Oops"),
    ("Internal error: Oops: 0000000096000044 [#1] PREEMPT SMP", "Oops"),
    ("Unable to handle kernel paging request at virtual address dead000000000108", "Oops"),
    ("Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008", "Oops"),
    ("Kernel panic - not syncing: Fatal exception", "panic"),
    ("Kernel panic - not syncing: Oops: Fatal exception", "panic"),
    ("Kernel panic - not syncing: Oops - BUG: Fatal exception", "panic"),
    ("INFO: task memslot_modific:117 blocked for more than 120 seconds.", "hung task"),
    ("rcu: INFO: rcu_preempt self-detected stall on CPU", "RCU stall"),
    ("rcu: INFO: rcu_sched detected stalls on CPUs/tasks:", "RCU stall"),
    ("rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... }", "RCU stall"),
    ("watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [young_bitmap_te:131]", "soft lockup"),
    ("WARNING: bad unlock balance detected!", "lockdep"),
    ("WARNING: at mm/vmscan.c:3411 lru_gen_look_around+0x2a4/0x3c0()", "WARNING"),
    ("BUG: workqueue lockup - pool cpus=1 node=0 flags=0x0 nice=0 stuck for 31s!", "BUG"),
    ("unreferenced object 0xffff888004b1e400 (size 512):", "kmemleak"),
])
def test_report_kinds(line, kind):
    """Each kind of kernel report is recognised by its first line and
    named; lockdep and KASAN win over the generic WARNING/BUG."""
    assert ktap.find_report(line) == kind


@pytest.mark.parametrize("line", [
    "Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, "
    "data leaks possible via Spectre v2 BHB attacks!",
    "RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, "
    "data leaks possible!",
    "kvm_amd: Nested Virtualization enabled",
    "ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PCI0], AE_NOT_FOUND",
    "kasan: KernelAddressSanitizer initialized",
    "Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar",
    "reboot: Restarting system",
    "    ok 1 idle_page_tracking",
    "    # BUG: expected 3 young pages, got 2",
    "kmemleak: Kernel memory leak detector initialized (mem pool available: 15892)",
])
def test_benign_lines_are_not_reports(line):
    """Ordinary boot messages that merely contain "WARNING" or "bug" are
    not kernel reports."""
    assert ktap.find_report(line) is None


def test_scan_reports_attributes_reports_to_tests():
    """scan_reports attributes each report to the test between whose begin
    and end markers it started, and a report outside markers to none."""
    lines = [
        "WARNING: CPU: 0 PID: 1 at arch/x86/kvm/x86.c:9876 kvm_x86_vendor_init+0x1/0x2",
        "---[ end trace 0000000000000000 ]---",
        "# rig: begin 1 a",
        "WARNING: CPU: 0 PID: 9 at mm/memory.c:1 f+0x1/0x2",
        "---[ end trace 0000000000000000 ]---",
        "# rig: end 1 a rc=0 duration=1.00",
        "ok 1 a",
        "# rig: begin 2 b",
        "Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008",
        "Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP",
        "---[ end trace 0000000000000000 ]---",
    ]
    reps = ktap.scan_reports(lines)
    assert [(r.kind, r.test_num) for r in reps] == [("WARNING", None), ("WARNING", 1), ("Oops", 2)]
    assert len(reps[2].excerpt) == 3


def test_report_excerpt_is_bounded():
    """A report without an end marker stops collecting after
    REPORT_MAX_LINES lines, and a later report is found again."""
    lines = (["BUG: KASAN: slab-use-after-free in f+0x1/0x2"]
             + ["filler %d" % i for i in range(ktap.REPORT_MAX_LINES + 5)]
             + ["BUG: KASAN: use-after-free in g+0x1/0x2"])
    reps = ktap.scan_reports(lines)
    assert [r.first_line for r in reps] == [
        "BUG: KASAN: slab-use-after-free in f+0x1/0x2",
        "BUG: KASAN: use-after-free in g+0x1/0x2"]
    assert len(reps[0].excerpt) == ktap.REPORT_MAX_LINES


def test_report_without_end_marker_does_not_hide_the_next_tests_report():
    """lockdep and KASAN reports have no "---[ end trace" line.  One such
    report in test 1 must not swallow a report that test 2 triggers
    shortly after: test 2 must fail too, with its own report."""
    lockdep = console("lockdep_x86_64.console").splitlines()
    kasan = console("kasan_x86_64.console").splitlines()
    # test 1 with its lockdep splat, then straight into test 2 and its KASAN.
    start = next(i for i, l in enumerate(lockdep) if l.startswith("# rig: begin 1"))
    end = next(i for i, l in enumerate(lockdep) if l.startswith("ok 1 "))
    k0 = next(i for i, l in enumerate(kasan) if l.startswith("# rig: begin 2"))
    text = "\n".join(["# rig: guest up after 3.15s", "1..2"] + lockdep[start:end + 1]
                     + kasan[k0:]) + "\n"
    boot = ktap.parse_console(text, ["access_tracking_perf_test",
                                     "memslot_modification_stress_test"])
    assert [(r.kind, r.test_num) for r in boot.reports] == [("lockdep", 1), ("KASAN", 2)]
    assert [t.status for t in boot.tests] == ["fail", "fail"]
    assert boot.tests[1].reason.startswith("kernel KASAN: BUG: KASAN: slab-use-after-free")


# --- exit status -----------------------------------------------------------

@pytest.mark.parametrize("statuses_, boot_errors, expected", [
    ([], 0, 0),
    (["pass", "pass"], 0, 0),
    (["pass", "skip", "xfail"], 0, 0),
    (["skip"], 0, 0),
    (["pass", "fail"], 0, 1),
    (["pass", "timeout"], 0, 1),
    (["crash", "skip"], 0, 1),
    (["pass", "skip"], 1, 1),
    ([], 2, 1),
])
def test_exit_status(statuses_, boot_errors, expected):
    """0 when every test passed, skipped or xfailed and the kernel logged
    no report outside tests; 1 on any fail/timeout/crash or boot-level
    report."""
    assert ktap.exit_status(statuses_, boot_errors) == expected


# --- the report rules, on recorded and synthetic excerpts -------------------

def _one_test_console(excerpt, status_line="ok 1 alpha"):
    """A boot whose test 1 (which exits 0) prints EXCERPT, then test 2."""
    return "\n".join([
        "[    1.000000] Linux version 6.12.117",
        "# rig: guest up after 1.00s", "KTAP version 1", "1..2",
        "# rig: begin 1 alpha", "    # alpha"] + excerpt.splitlines() + [
        "# rig: end 1 alpha rc=0 duration=1.00", status_line,
        "# rig: begin 2 beta", "# rig: end 2 beta rc=0 duration=1.00", "ok 2 beta",
        "# rig: done"]) + "\n"


def _excerpt(name):
    with open(os.path.join(DATA, "reports", name), encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("name, kind, first, count", [
    ("kmemleak.txt", "kmemleak", "unreferenced object 0xffff888004b1e400 (size 512):", 2),
    ("bad_unlock.txt", "lockdep", "WARNING: bad unlock balance detected!", 1),
    ("rcu_expedited_stall.txt", "RCU stall",
     "rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } "
     "21004 jiffies s: 389 root: 0x2/.", 1),
    ("soft_lockup.txt", "soft lockup",
     "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [young_bitmap_te:131]", 1),
    ("warning_plain.txt", "WARNING",
     "WARNING: mm/vmscan.c:3411 at lru_gen_look_around+0x2a4/0x3c0, CPU#0: lru_gen_aging_t/140", 1),
    ("bug_plain.txt", "BUG",
     "BUG: workqueue lockup - pool cpus=1 node=0 flags=0x0 nice=0 stuck for 31s!", 1),
    ("hung_task.txt", "hung task",
     "INFO: task young_bitmap_te:131 blocked for more than 122 seconds.", 1),
])
def test_each_kind_of_report_fails_the_test_it_occurs_in(name, kind, first, count):
    """Any line starting WARNING: or BUG: (after the printk timestamp and a
    detector's prefix), kmemleak's unreferenced objects, lockdep's bad
    unlock balance, expedited RCU stalls, soft lockups and hung tasks: the
    test that exited 0 while the kernel printed one fails, with the report
    as its reason; the next test is unaffected; the run exits 1."""
    boot = ktap.parse_console(_one_test_console(_excerpt(name)), ["alpha", "beta"])
    alpha, beta = boot.tests
    assert [(r.kind, r.first_line, r.count) for r in alpha.reports][:1] == [(kind, first, count)]
    assert alpha.status == "fail"
    assert alpha.reason.startswith("kernel %s: %s" % (kind, first))
    assert (beta.status, beta.reports) == ("pass", [])
    assert ktap.exit_status([t.status for t in boot.tests]) == 1


def test_kmemleak_after_the_last_test_fails_the_boot():
    """kmemleak's scan at the end of the boot (guest-init's kmemleak_report)
    prints its objects outside any test: a boot-level report."""
    text = _one_test_console("").replace("# rig: done", _excerpt("kmemleak.txt") + "# rig: done")
    boot = ktap.parse_console(text, ["alpha", "beta"])
    assert [t.status for t in boot.tests] == ["pass", "pass"]
    assert [(r.kind, r.test_num, r.count) for r in boot.reports] == [("kmemleak", None, 2)]


def test_a_selftests_own_bug_line_is_not_a_kernel_report():
    """A test's output is indented: a selftest printing "BUG:" or
    "WARNING:" itself does not fail as a kernel report would."""
    boot = ktap.parse_console(_one_test_console(
        "    # BUG: expected 3 young pages, got 2\n    WARNING: bitmap mismatch"), ["alpha", "beta"])
    assert boot.reports == []
    assert [t.status for t in boot.tests] == ["pass", "pass"]


def test_a_report_starting_mid_line_is_found():
    """The console interleaves a kernel message into a line of the test's
    output; the message starts at its printk timestamp."""
    boot = ktap.parse_console(_one_test_console(
        "    # touching 512 pag[   33.120001] WARNING: CPU: 0 PID: 9 at mm/rmap.c:1 f+0x1/0x2\n"
        "[   33.120300] ---[ end trace 0000000000000000 ]---"), ["alpha", "beta"])
    assert [(r.kind, r.test_num) for r in boot.reports] == [("WARNING", 1)]


def test_a_repeated_report_is_kept_once_with_its_count():
    """The same WARN on every notifier call, 500 times with different CPUs,
    PIDs and addresses: one report with count 500 and one excerpt; a
    different report after the flood is still found."""
    flood = "\n".join(
        "[   12.%06d] WARNING: CPU: %d PID: %d at mm/mmu_notifier.c:401 "
        "__mmu_notifier_clear_young+0x%x/0x90\n[   12.%06d] Call Trace:\n"
        "[   12.%06d] ---[ end trace 0000000000000000 ]---" % (i, i % 2, 100 + i, 16 + i % 3, i, i)
        for i in range(500))
    boot = ktap.parse_console(_one_test_console(
        flood + "\n[   13.000000] BUG: sleeping function called from invalid context at mm/x.c:1"),
        ["alpha", "beta"])
    assert [(r.kind, r.count, len(r.excerpt)) for r in boot.reports] == \
        [("WARNING", 500, 3), ("BUG", 1, 1)]
    assert boot.reports[0].summary().endswith("(500 times)")
    assert boot.tests[0].reason == boot.reports[0].summary()


def test_a_test_that_exits_0_with_a_failed_case_fails():
    """The exit status is not the only verdict: a KTAP case that failed
    fails the test even if the program exited 0."""
    boot = ktap.parse_console(_one_test_console(
        "    TAP version 13\n    1..2\n    ok 1 first\n    not ok 2 second"), ["alpha", "beta"])
    assert (boot.tests[0].status, boot.tests[0].reason) == \
        ("fail", "exited 0, but its case failed: second")


def test_a_test_that_exits_0_with_missing_cases_fails():
    boot = ktap.parse_console(_one_test_console(
        "    TAP version 13\n    1..3\n    ok 1 first\n    ok 2 second # SKIP no THP"),
        ["alpha", "beta"])
    assert (boot.tests[0].status, boot.tests[0].reason) == \
        ("fail", "exited 0, but reported 2 of the 3 cases it planned")


def test_a_test_with_all_its_cases_passes():
    boot = ktap.parse_console(_one_test_console(
        "    TAP version 13\n    1..2\n    ok 1 first\n    ok 2 second # SKIP no THP"),
        ["alpha", "beta"])
    assert boot.tests[0].status == "pass"


def test_fold_repeats_keeps_each_report_once_in_a_tests_log():
    """A test's log shows a repeated report once (report.py writes the
    count in its report section); what is not a report stays."""
    warn = ["WARNING: CPU: %d PID: %d at mm/x.c:1 f+0x1/0x2", "Call Trace:", " f+0x1/0x2",
            "---[ end trace 0000000000000000 ]---"]
    lines = ["    # test output"]
    for i in range(3):
        lines += [warn[0] % (i, 100 + i)] + warn[1:] + ["    # progress %d" % i]
    lines += ["BUG: sleeping function called from invalid context at mm/y.c:2", "    # done"]
    assert ktap.fold_repeats(lines) == [
        "    # test output", "WARNING: CPU: 0 PID: 100 at mm/x.c:1 f+0x1/0x2", "Call Trace:",
        " f+0x1/0x2", "---[ end trace 0000000000000000 ]---", "    # progress 0",
        "    # progress 1", "    # progress 2",
        "BUG: sleeping function called from invalid context at mm/y.c:2", "    # done"]


def test_results_repeated_by_forked_children_are_kept_once():
    """A forking test whose stdout is a pipe prints its buffered results
    again from each child: each result counts once, in order."""
    lines = ["    ok 1 test_memcg_subtree_control"] * 3 + [
        "    not ok 2 test_memcg_current_peak",
        "    not ok 3 test_memcg_low",
        "    not ok 3 test_memcg_low",
        "    ok 4 test_memcg_oom_events",
    ]
    got = [(r.num, r.name, r.status) for r in ktap.parse_results(lines, 4)]
    assert got == [(1, "test_memcg_subtree_control", ktap.PASS),
                   (2, "test_memcg_current_peak", ktap.FAIL),
                   (3, "test_memcg_low", ktap.FAIL),
                   (4, "test_memcg_oom_events", ktap.PASS)]


# --- result lines a kernel message interrupted ------------------------------

EPT0_NAMES = ["access_tracking_perf_test.ept0", "young_bitmap_test.ept0",
              "mmu_lock_test.ept0", "lru_gen_aging_test.ept0"]


def test_a_result_line_interrupted_by_a_kernel_message_is_joined():
    """Recorded on 2026-12-03 (--baseline, boot 3): printk wrote into the
    middle of "ok 3 mmu_lock_test.ept0 # SKIP ...", whose rest followed on
    the next line.  Before the two were joined, test 3 passed as
    "mmu_lock_te": a skip counted as a pass."""
    boot = ktap.parse_console(console("interrupted_x86_64.console"), EPT0_NAMES)
    assert statuses(boot) == [(i, n, "skip") for i, n in enumerate(EPT0_NAMES, 1)]
    assert by_name(boot)["mmu_lock_test.ept0"].reason == "the CPU lacks vmx"
    assert boot.reports == []


@pytest.mark.parametrize("raw, lines", [
    # The rest of the line, after one or two kernel lines.
    ("ok 3 mmu_lock_te[    1.856765] clocksource: Switched\r\nst.ept0 # SKIP why\r\n",
     ["clocksource: Switched", "ok 3 mmu_lock_test.ept0 # SKIP why"]),
    ("    # touch[    1.100000] a\n[    1.200000] b\ning 512 pages\n",
     ["a", "b", "    # touching 512 pages"]),
    # The guest's newline came after the kernel message: an empty rest.
    ("ok 1 alpha[    1.100000] a\n\n# rig: begin 2 beta\n",
     ["a", "ok 1 alpha", "# rig: begin 2 beta"]),
    # A rig marker is never the rest of a test's line (one that ended
    # without a newline); the start of the line stays as it was.
    ("    # no newline[    1.100000] a\n# rig: end 1 alpha rc=0 duration=1.00\n",
     ["a", "    # no newline", "# rig: end 1 alpha rc=0 duration=1.00"]),
    # The console ended before the rest came.
    ("ok 1 alp[    1.100000] a\n", ["a", "ok 1 alp"]),
    # A kernel line interrupted by another kernel line: nothing to join.
    ("[    1.000000] first[    1.100000] second\nok 1 alpha\n",
     ["first", "second", "ok 1 alpha"]),
])
def test_console_lines_join_an_interrupted_line_with_its_rest(raw, lines):
    assert ktap.console_lines(raw) == lines


def test_a_garbled_result_line_fails_under_the_tests_own_name():
    """Whatever the console did to a result line, one whose name is not
    the test's fails (never passes), named after the test."""
    boot = ktap.parse_console(_one_test_console("    # alpha", "ok 1 alp"), ["alpha", "beta"])
    alpha = by_name(boot)["alpha"]
    assert alpha.status == "fail"
    assert "garbled" in alpha.reason and "'alp'" in alpha.reason
    assert ktap.exit_status([t.status for t in boot.tests]) == 1


def test_ok_without_skip_for_a_test_that_did_not_exit_0_fails():
    """"# SKIP" cut off a skipped test's line leaves "ok N NAME": the exit
    status in the rig's end marker says it did not pass."""
    text = _one_test_console("    # alpha").replace(
        "# rig: end 1 alpha rc=0", "# rig: end 1 alpha rc=4")
    alpha = by_name(ktap.parse_console(text, ["alpha", "beta"]))["alpha"]
    assert (alpha.status, alpha.rc) == ("fail", "4")
    assert "exit status was 4" in alpha.reason
