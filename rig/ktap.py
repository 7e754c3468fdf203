# SPDX-License-Identifier: GPL-2.0
"""KTAP parsing and kernel-report scanning for the test guest's console.

The guest (rig/guest-init.sh) prints a KTAP document on the serial console,
interleaved with kernel messages.  Each test's own output is indented by
four spaces, so a kselftest that prints KTAP itself shows up as a nested
subtest list.  The console may end anywhere: a guest that crashes or hangs
leaves a truncated document, and the tests it never reported are results
too ("crash").

Lines that are neither KTAP nor kernel reports are kept as a test's log but
otherwise ignored, as kunit_parser.py does.
"""

import re
from dataclasses import dataclass, field
from typing import List, Optional

# Statuses, in the words of results.json.
PASS, FAIL, SKIP, XFAIL, TIMEOUT, CRASH = (
    "pass", "fail", "skip", "xfail", "timeout", "crash")
FAILED_STATUSES = (FAIL, TIMEOUT, CRASH)

# The kernel prefixes console lines with "[   12.345678] " (PRINTK_TIME).
_TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
_RESULT = re.compile(
    r"^(?P<indent>\s*)(?P<ok>ok|not ok)\s+(?P<num>\d+)"
    r"(?:\s+-)?(?:\s+(?P<name>[^#]*?))?\s*(?:#\s*(?P<directive>.*))?$")
_PLAN = re.compile(r"^(?P<indent>\s*)1\.\.(?P<count>\d+)")
_BEGIN = re.compile(r"^# rig: begin (?P<num>\d+) (?P<name>\S+)")
_END = re.compile(r"^# rig: end (?P<num>\d+) \S+ rc=(?P<rc>\S+) duration=(?P<dur>[\d.]+)")
_ENV = re.compile(r"^# env: (?P<key>[^=]+)=(?P<value>.*)$")

# Start of a kernel report that must fail the run, and what it is called.
# A report starts a kernel message line (the printk timestamp stripped),
# possibly after the prefix of the subsystem that detected it; a test's own
# output is indented, so a selftest that prints "BUG:" is not a report.
_PREFIX = r"^(?:(?:watchdog|rcu|kmemleak|lockdep): )?"
_REPORTS = [
    # First: "Kernel panic - not syncing: Oops: Fatal exception" is a panic.
    (re.compile(_PREFIX + r"Kernel panic - not syncing"), "panic"),
    (re.compile(_PREFIX + r"WARNING: .*(circular locking|lock state|suspicious RCU|"
                r"held lock|recursive locking|possible .*lock|unlock balance|"
                r"lock held|[Nn]ested lock|irq lock inversion)"), "lockdep"),
    (re.compile(_PREFIX + r"BUG: KASAN"), "KASAN"),
    (re.compile(_PREFIX + r"BUG: soft lockup"), "soft lockup"),
    (re.compile(_PREFIX + r"UBSAN: "), "UBSAN"),
    (re.compile(_PREFIX + r"WARNING:"), "WARNING"),
    (re.compile(_PREFIX + r"kernel BUG at "), "BUG"),
    (re.compile(_PREFIX + r"BUG:"), "BUG"),
    (re.compile(_PREFIX + r"(Oops[:\s]|Internal error: )"), "Oops"),
    (re.compile(_PREFIX + r"Unable to handle kernel "), "Oops"),
    (re.compile(_PREFIX + r"INFO: task .* blocked for more than"), "hung task"),
    (re.compile(_PREFIX + r"INFO: rcu_\w+ (self-)?detected (expedited )?stalls?"), "RCU stall"),
    (re.compile(_PREFIX + r"unreferenced object 0x[0-9a-f]+ \(size \d+\)"), "kmemleak"),
]
_REPORT_END = re.compile(r"---\[ end (trace|Kernel panic)")
REPORT_MAX_LINES = 60

# What differs between repeats of one report: numbers (CPU, PID, addresses,
# sizes, seconds) and the task's name after "Comm:".
_VOLATILE = re.compile(r"0x[0-9a-fA-F]+|[0-9]+")


def report_key(kind, first_line):
    """The identity of a report: repeats of one report (the same WARN on
    every notifier call) share it."""
    line = re.sub(r"Comm: \S+", "Comm: *", first_line)
    line = re.sub(r"task \S+ blocked", "task * blocked", line)
    return kind, _VOLATILE.sub("#", line)


@dataclass
class KernelReport:
    kind: str
    first_line: str
    excerpt: List[str]
    test_num: Optional[int]    # the test running when it was printed
    count: int = 1             # how often it was printed (repeats folded)
    decoded: Optional[List[str]] = None     # the excerpt, stack decoded to file:line

    def summary(self):
        times = " (%d times)" % self.count if self.count > 1 else ""
        return "kernel %s: %s%s" % (self.kind, self.first_line, times)


@dataclass
class TestResult:
    num: int
    name: str
    status: str
    reason: str = ""
    duration: Optional[float] = None
    rc: Optional[str] = None
    log: List[str] = field(default_factory=list)
    subtests: List["TestResult"] = field(default_factory=list)
    reports: List[KernelReport] = field(default_factory=list)


@dataclass
class Boot:
    """What one boot of the guest reported."""
    env: dict = field(default_factory=dict)
    planned: Optional[int] = None
    tests: List[TestResult] = field(default_factory=list)
    reports: List[KernelReport] = field(default_factory=list)
    booted: bool = False
    completed: bool = False     # "# rig: done" seen


def strip_console(line):
    """A console line without its carriage return and printk timestamp."""
    return _TIMESTAMP.sub("", line.rstrip("\r\n").replace("\r", ""))


# A kernel message that started in the middle of a line of the test's
# output (the console interleaves them), at its printk timestamp.
_EMBEDDED_TIMESTAMP = re.compile(r"(?<=\S)(?=\[\s*\d+\.\d{6}\] )")


class ConsoleLines:
    """The stripped lines of a console, fed one raw line at a time, a
    kernel message that began in the middle of another line split onto a
    line of its own.

    The rest of the line it interrupted follows the kernel message on the
    console (the UART sends the guest's output in chunks; printk writes
    between them): "ok 3 mmu_lock_te[ 1.85] clocksource: ...", then
    "st.ept0 # SKIP ...".  That rest, the next line that is not a kernel
    message, is joined to its start, and the kernel message comes first.
    A line of the rig's own ("# rig: end ...") is never a rest: a test
    whose last line had no newline is followed by it on the same line, and
    a kernel message printed there must not swallow the rig's marker."""

    def __init__(self):
        self.held = None    # the start of an interrupted line, waiting for its rest

    def feed(self, raw):
        """The lines that RAW (one line of the console) completes."""
        lines = []
        raw = raw.replace("\r", "")
        if self.held is not None and not _TIMESTAMP.match(raw):
            if not raw.startswith("# rig: "):
                raw = self.held + raw
            else:
                lines.append(strip_console(self.held))
            self.held = None
        parts = _EMBEDDED_TIMESTAMP.split(raw)
        if len(parts) > 1 and not _TIMESTAMP.match(parts[0]):
            self.held, parts = parts[0], parts[1:]
        lines.extend(strip_console(part) for part in parts)
        return lines

    def flush(self):
        """The start of a line whose rest never came (the console ended)."""
        held, self.held = self.held, None
        return [] if held is None else [strip_console(held)]


def console_lines(text):
    """The stripped lines of a whole console log (see ConsoleLines)."""
    split = ConsoleLines()
    lines = []
    for raw in text.splitlines():
        lines.extend(split.feed(raw))
    return lines + split.flush()


def parse_directive(ok, directive):
    """Map a KTAP result line's ok/not ok and directive to (status, reason)."""
    directive = (directive or "").strip()
    word, _, rest = directive.partition(" ")
    word = word.upper()
    if word == "SKIP":
        return SKIP, rest.strip() or "skipped without a reason"
    if word == "XFAIL":
        return XFAIL, rest.strip()
    if word == "TIMEOUT":
        return TIMEOUT, directive
    if word == "TODO" and not ok:
        return XFAIL, rest.strip()
    if ok:
        return PASS, ""
    return FAIL, directive


def parse_results(lines, indent=0):
    """Parse KTAP results at one nesting level (used for the subtests of a
    test's log).  Lines deeper than INDENT are taken as nested subtests."""
    results = []
    pending = []
    seen = set()
    prefix = " " * indent
    for line in lines:
        if not line.startswith(prefix):
            continue
        body = line[indent:]
        m = _RESULT.match(body)
        if m and not m.group("indent"):
            # A test that forks with its stdout in a pipe (fully buffered)
            # prints its results again from every child's copy of the
            # buffer (cgroup's test_memcontrol): keep each result once.
            if body in seen and not pending:
                continue
            seen.add(body)
            status, reason = parse_directive(m.group("ok") == "ok", m.group("directive"))
            res = TestResult(int(m.group("num")), (m.group("name") or "").strip(),
                             status, reason)
            res.subtests = parse_results(pending, indent + 4) if pending else []
            res.log = pending
            results.append(res)
            pending = []
        elif body.startswith("    ") or body.startswith("\t"):
            pending.append(line)
    return results


_SUBTEST_PLAN = re.compile(r"^    1\.\.(?P<count>\d+)")

# The kernel's kselftest runner (run_kselftest.sh, `run_tests.sh
# --kselftest`) wraps a test's output in a KTAP document of its own: a
# "# selftests: COLLECTION: TEST" header, the test's lines prefixed "# ",
# then its own result line for the test.
_KSFT_HEADER = re.compile(r"^    # selftests: \S+: \S+$")
_KSFT_RESULT = re.compile(r"^    (?:not )?ok \d+ selftests: \S+: \S+")


def unwrap_kselftest(log):
    """A test's LOG as the test printed it: for a test run through the
    kselftest runner, the lines between the runner's header and its
    result line, without the runner's "# " prefix (kernel messages
    interleaved with them kept as they are), so that its cases parse as in
    a direct run; any other LOG as it is."""
    start = next((i for i, l in enumerate(log) if _KSFT_HEADER.match(l)), None)
    if start is None:
        return log
    out = []
    for line in log[start + 1:]:
        if _KSFT_RESULT.match(line):
            break
        if line.startswith("    # "):
            out.append("    " + line[6:])
        elif line.rstrip() == "    #":
            out.append("")
        else:
            out.append(line)
    return out


def cases_reason(failed, reported, planned):
    """Why a test that exited 0 failed after all, from its own KTAP cases:
    the names of the FAILED ones, or fewer REPORTED than PLANNED (None if
    no plan was seen); None if its cases agree with its exit status."""
    if failed:
        return "exited 0, but its case%s failed: %s" % (
            "s" if len(failed) > 1 else "", ", ".join(failed))
    if planned is not None and reported < planned:
        return "exited 0, but reported %d of the %d cases it planned" % (reported, planned)
    return None


def check_subtests(res, log=None):
    """A test that exited 0 although one of its own KTAP cases failed, or
    that reported fewer cases than it planned (in LOG, by default its
    log), passed by mistake: it fails, naming them."""
    if res.status != PASS:
        return
    failed = [s.name or "#%d" % s.num for s in res.subtests if s.status in FAILED_STATUSES]
    log = res.log if log is None else log
    planned = next((int(m.group("count")) for m in map(_SUBTEST_PLAN.match, log) if m), None)
    reason = cases_reason(failed, len(res.subtests), planned)
    if reason:
        res.status, res.reason = FAIL, reason


def check_result_line(res, name):
    """A result line that does not say what the guest printed must not
    pass.  The guest prints "ok N NAME" for a test NAME that exited 0 (the
    rc of its "# rig: end" marker), "ok N NAME # SKIP ..." for one that
    skipped: a line whose name is not NAME, or an "ok" without SKIP for a
    test that did not exit 0, was garbled on the way (a kernel message
    that cut "# SKIP" off would otherwise make a skip a pass).  It fails,
    under the test's own name."""
    if name is not None and res.name != name:
        res.status, res.reason = FAIL, (
            "its result line was garbled on the console (it names %r): "
            "no verdict" % res.name)
        res.name = name
    elif res.status == PASS and res.rc not in (None, "0"):
        res.status, res.reason = FAIL, (
            "its result line says ok, but the test's exit status was %s: "
            "the line was garbled on the console, no verdict" % res.rc)


def read_plan(path):
    """[(name, timeout seconds)] of a guest plan (NAME|TIMEOUT|NEEDS|COMMAND
    lines, as rig/testlist.sh writes them)."""
    with open(path, encoding="utf-8") as f:
        return [(l.split("|")[0], int(l.split("|")[1])) for l in f.read().splitlines() if l.strip()]


def find_report(line):
    for pattern, kind in _REPORTS:
        if pattern.search(line):
            return kind
    return None


def scan_reports(lines):
    """Find kernel reports in console LINES (already stripped), each with
    the test number it occurred in (from the rig's begin/end markers)."""
    reports = []
    seen = {}       # (test, report_key) -> the first such report
    current = None
    collecting = False
    skipped = 0
    cur_test = None
    for line in lines:
        m = _BEGIN.match(line)
        if m or _END.match(line):
            # A report never spans a test boundary: one without an end
            # marker (lockdep, KASAN) must not swallow the next test's.
            cur_test = int(m.group("num")) if m else None
            current = None
        kind = find_report(line)
        if current is not None and not collecting:
            # Skipping the body of a repeat, up to its end marker or as many
            # lines as an excerpt; any other report starts here.
            skipped += 1
            if _REPORT_END.search(line) or skipped >= REPORT_MAX_LINES:
                current = None
                continue
            if not kind or report_key(kind, line.strip()) == report_key(current.kind, current.first_line):
                continue
            current = None
        if current is not None:
            if kind and report_key(kind, line.strip()) == report_key(current.kind, current.first_line):
                # The same report again before this one ended (kmemleak
                # lists its objects back to back): a repeat.
                current.count += 1
                collecting, skipped = False, 0
                continue
            current.excerpt.append(line)
            if _REPORT_END.search(line) or len(current.excerpt) >= REPORT_MAX_LINES:
                current = None
            continue
        if kind:
            key = (cur_test, report_key(kind, line.strip()))
            if key in seen:
                # A repeat: counted, its excerpt skipped.
                current = seen[key]
                current.count += 1
                collecting = False
                skipped = 0
                continue
            current = KernelReport(kind, line.strip(), [line], cur_test)
            seen[key] = current
            collecting = True
            reports.append(current)
    return reports


def fold_repeats(lines):
    """LINES (a test's log) with each kernel report kept once: the repeats
    of a report, from their first line to their end marker (or as many
    lines as an excerpt), are left out; scan_reports() counts them."""
    out, seen, skipping = [], set(), 0
    for line in lines:
        kind = find_report(line)
        key = report_key(kind, line.strip()) if kind else None
        if key is not None and key in seen:
            skipping = 1
            continue
        if skipping and key is None:
            skipping += 1
            if _REPORT_END.search(line) or skipping > REPORT_MAX_LINES:
                skipping = 0
            continue
        skipping = 0
        if key is not None:
            seen.add(key)
        out.append(line)
    return out


def parse_console(text, planned_names=None):
    """Parse a whole guest console log into a Boot.

    PLANNED_NAMES lists the tests the guest was asked to run, in order; any
    of them without a result line is reported as CRASH (the guest died or
    was killed before reporting it).
    """
    lines = console_lines(text)
    boot = Boot()
    by_num = {}
    cur = None      # [num, name, log lines]
    for line in lines:
        if line.startswith("# rig: guest up"):
            boot.booted = True
        elif line.startswith("# rig: done"):
            boot.completed = True
        m = _ENV.match(line)
        if m:
            boot.env[m.group("key")] = m.group("value")
            continue
        m = _PLAN.match(line)
        if m and not m.group("indent") and boot.planned is None and boot.booted:
            boot.planned = int(m.group("count"))
            continue
        m = _BEGIN.match(line)
        if m:
            cur = [int(m.group("num")), m.group("name"), [], None, None]
            continue
        m = _END.match(line)
        if m and cur is not None:
            cur[3] = m.group("rc")
            cur[4] = float(m.group("dur"))
            continue
        m = _RESULT.match(line)
        if m and not m.group("indent") and boot.booted:
            num = int(m.group("num"))
            status, reason = parse_directive(m.group("ok") == "ok", m.group("directive"))
            log = cur[2] if cur and cur[0] == num else []
            own = unwrap_kselftest(log)
            res = TestResult(num, (m.group("name") or "").strip(), status, reason,
                             duration=cur[4] if cur and cur[0] == num else None,
                             rc=cur[3] if cur and cur[0] == num else None,
                             log=log, subtests=parse_results(own, 4))
            check_subtests(res, own)
            planned = (planned_names[num - 1]
                       if planned_names and 0 < num <= len(planned_names) else None)
            check_result_line(res, cur[1] if cur and cur[0] == num else planned)
            by_num[num] = res
            boot.tests.append(res)
            cur = None
            continue
        if cur is not None:
            cur[2].append(line)

    boot.reports = scan_reports(lines)
    for rep in boot.reports:
        res = by_num.get(rep.test_num)
        if res is not None:
            res.reports.append(rep)
            if res.status not in FAILED_STATUSES:
                res.status = FAIL
                res.reason = rep.summary()

    for idx, name in enumerate(planned_names or [], 1):
        if idx in by_num:
            continue
        if cur is not None and cur[0] == idx:
            log, why = cur[2], "no result: the guest died or hung during this test"
        else:
            log, why = [], "not run: the guest died or hung before this test"
        if not boot.booted:
            why = "not run: the guest did not boot"
        res = TestResult(idx, name, CRASH, why, log=log)
        res.reports = [rep for rep in boot.reports if rep.test_num == idx]
        if res.reports:
            # The first report is the cause; a panic usually follows it.
            res.reason = "%s; %s" % (why, res.reports[0].summary())
        by_num[idx] = res
        boot.tests.append(res)
    boot.tests.sort(key=lambda r: r.num)
    return boot


def exit_status(statuses, boot_errors=0):
    """The runner's exit status for a run with these test STATUSES."""
    if boot_errors or any(s in FAILED_STATUSES for s in statuses):
        return 1
    return 0
