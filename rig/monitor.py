#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run one boot of the test guest and watch it.

  monitor.py --arch A --console LOG --plan PLAN --margin S --status JSON
             [--phase-log TSV] -- QEMU ARGV...

Starts QEMU with its console in LOG, follows LOG as it grows, shows the
progress on stderr and kills QEMU when the guest stops making progress:

  - from QEMU's start to "# rig: guest up": at most MARGIN seconds;
  - a test, from its "# rig: begin" marker: its own timeout from PLAN plus
    MARGIN (the guest's own timeout ends a test 10 s after its timeout; a
    guest that cannot do so is hung);
  - between tests, and from "# rig: done" to QEMU's exit: MARGIN.

So a hung kernel is reported within the test's timeout plus the margin,
not after the sum of the boot's timeouts.  A kernel report (WARNING, BUG,
lockdep, ...) is shown as it appears, once per test however often it
repeats (with the count when the test ends), and a test during which one
was printed is shown as failed even if it exited 0: what the console says
agrees with the verdict report.py gives.

Exit status: 0 QEMU exited by itself with status 0, 1 QEMU failed (exited
non-zero, or could not start), 2 the watchdog killed it.  STATUS receives
what happened, as JSON, for report.py.  QEMU dies with this process
(PR_SET_PDEATHSIG), and this process kills QEMU and exits when its parent,
the runner, is gone.
"""

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ktap  # noqa: E402

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def log(msg):
    t0 = int(os.environ.get("RIG_T0", "0") or 0)
    s = int(time.time()) - t0 if t0 else 0
    sys.stderr.write("[%02d:%02d] %s\n" % (s // 60, s % 60, msg))
    sys.stderr.flush()


class Watch:
    """What the guest has said so far, and until when it may stay silent."""

    def __init__(self, arch, plan, margin, start):
        self.arch = arch
        self.plan = plan
        self.margin = margin
        self.phase = "boot"         # boot, test, between, done
        self.test = None            # number of the running test
        self.cases = {}             # test number -> [None for a good case, or a failed one's name]
        self.planned = {}           # test number -> the cases its KTAP plan announced
        self.deadline = start + margin
        self.why = "the guest did not come up within %ds" % margin
        self.reports = {}           # test number -> {report key: [first line, kind, count]}
        self.rc = {}                # test number -> the exit status its end marker gave
        self.first_test_at = None
        self.start = start

    def total(self):
        return len(self.plan)

    def name(self, num):
        return self.plan[num - 1][0] if 0 < num <= len(self.plan) else "#%d" % num

    def line(self, line, now):
        """Take one stripped console line."""
        if line.startswith("# rig: guest up"):
            log("  %s: %s" % (self.arch, line[len("# rig: "):]))
            self.phase = "between"
            self._deadline(now, self.margin, "the guest printed nothing for %ds after it came up"
                           % self.margin)
            return
        m = ktap._BEGIN.match(line)
        if m:
            num = int(m.group("num"))
            self.phase, self.test = "test", num
            timeout = self.plan[num - 1][1] if num <= len(self.plan) else 0
            if self.first_test_at is None:
                self.first_test_at = now
                log("  %s: QEMU start to first test: %ds" % (self.arch, now - self.start))
            log("  %s [%d/%d] %s ..." % (self.arch, num, self.total(), m.group("name")))
            self._deadline(now, timeout + self.margin,
                           "test %d (%s) gave no result within its timeout of %ds + %ds"
                           % (num, self.name(num), timeout, self.margin))
            return
        m = ktap._END.match(line)
        if m:
            self.rc[int(m.group("num"))] = m.group("rc")
            # What follows belongs to no test (report.py agrees).
            self._deadline(now, self.margin, "the guest printed nothing for %ds after test %d ended"
                           % (self.margin, self.test or 0))
            self.phase, self.test = "between", None
            return
        if line.startswith("# rig: done"):
            self.phase, self.test = "done", None
            self._deadline(now, self.margin, "QEMU did not exit within %ds of the last test"
                           % self.margin)
            return
        m = ktap._RESULT.match(line)
        if m and not m.group("indent") and self.phase != "boot":
            self._result(m)
            return
        if self.phase == "test":
            # The test's own KTAP cases, as report.py checks them.
            m = ktap._RESULT.match(line[4:]) if line.startswith("    ") else None
            if m and not m.group("indent"):
                status, _ = ktap.parse_directive(m.group("ok") == "ok", m.group("directive"))
                self.cases[self.test] = self.cases.get(self.test, []) + [
                    (m.group("name") or "#" + m.group("num")).strip()
                    if status in ktap.FAILED_STATUSES else None]
            m = ktap._SUBTEST_PLAN.match(line)
            if m:
                self.planned[self.test] = int(m.group("count"))
        kind = ktap.find_report(line)
        if kind:
            self._report(kind, line.strip())

    def _deadline(self, now, seconds, why):
        self.deadline = now + seconds
        self.why = why

    def _report(self, kind, first):
        seen = self.reports.setdefault(self.test, {})
        key = ktap.report_key(kind, first)
        if key in seen:
            seen[key][2] += 1
            return
        seen[key] = [first, kind, 1]
        where = ("during %s" % self.name(self.test)) if self.test else "outside any test"
        log("  %s kernel %s %s: %s" % (self.arch, kind, where, first))

    def _result(self, m):
        num = int(m.group("num"))
        status, reason = ktap.parse_directive(m.group("ok") == "ok", m.group("directive"))
        said = ktap.TestResult(num, (m.group("name") or "").strip(), status, reason,
                               rc=self.rc.get(num))
        ktap.check_result_line(said, self.name(num))
        status, reason = said.status, said.reason
        reps = self.reports.get(num, {})
        cases = self.cases.get(num, [])
        failed = [c for c in cases if c]
        cases_why = ktap.cases_reason(failed, len(cases), self.planned.get(num))
        if reps and status not in ktap.FAILED_STATUSES:
            first, kind, _ = next(iter(reps.values()))
            status = ktap.FAIL
            reason = "kernel %s: %s" % (kind, first)
        elif status == ktap.PASS and cases_why:
            status, reason = ktap.FAIL, cases_why
        word = {ktap.PASS: "ok    ", ktap.SKIP: "skip  ", ktap.XFAIL: "xfail "}.get(status, "FAILED")
        note = reason
        repeats = sum(r[2] for r in reps.values()) - len(reps)
        if repeats:
            note += " (%d kernel reports in all, repeats folded)" % sum(r[2] for r in reps.values())
        log("  %s [%d/%d] %s %s%s" % (self.arch, num, self.total(), word, self.name(num),
                                      (": " + note) if note else ""))


def set_pdeathsig():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def kill(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def monitor(args, qemu):
    plan = ktap.read_plan(args.plan)
    parent = os.getppid()
    start = time.monotonic()
    watch = Watch(args.arch, plan, args.margin, start)
    try:
        console = open(args.console, "wb")
        proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL, stdout=console,
                                stderr=subprocess.STDOUT, preexec_fn=set_pdeathsig)
    except OSError as e:
        log("  %s: cannot start QEMU: %s" % (args.arch, e))
        return finish(args, 1, {"qemu_error": str(e)})
    console.close()

    def on_signal(signum, _frame):
        kill(proc)
        sys.exit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    pending = b""
    split = ktap.ConsoleLines()
    with open(args.console, "rb") as follow:
        while True:
            done = proc.poll() is not None
            chunk = follow.read()
            now = time.monotonic()
            if chunk:
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    for line in split.feed(raw.decode("utf-8", "replace")):
                        watch.line(line, now)
            if done:
                break
            if os.getppid() != parent:
                log("  %s: the runner is gone; stopping QEMU" % args.arch)
                kill(proc)
                return 1
            if now > watch.deadline:
                log("  %s: watchdog: %s; killing QEMU (pid %d)" % (args.arch, watch.why, proc.pid))
                kill(proc)
                return finish(args, 2, {
                    "watchdog": {"phase": watch.phase, "test_num": watch.test,
                                 "reason": watch.why, "after": round(now - start)}})
            time.sleep(POLL_SECONDS)
    rest = split.feed(pending.decode("utf-8", "replace")) if pending else []
    for line in rest + split.flush():
        watch.line(line, time.monotonic())
    if watch.first_test_at is not None and args.phase_log:
        with open(args.phase_log, "a", encoding="utf-8") as f:
            f.write("%s: boot to first test\t%d\t\n" % (args.arch, watch.first_test_at - start))
    if proc.returncode != 0:
        log("  %s: QEMU exited with status %d; see %s" % (args.arch, proc.returncode, args.console))
        return finish(args, 1, {"qemu_status": proc.returncode})
    return finish(args, 0, {})


def finish(args, status, what):
    with open(args.status, "w", encoding="utf-8") as f:
        json.dump(dict(what, exit=status), f)
        f.write("\n")
    return status


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        sys.exit("monitor.py: no QEMU command after --")
    split = argv.index("--")
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--console", required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--margin", type=int, required=True)
    ap.add_argument("--status", required=True)
    ap.add_argument("--phase-log")
    args = ap.parse_args(argv[:split])
    qemu = argv[split + 1:]
    if not qemu:
        sys.exit("monitor.py: no QEMU command after --")
    return monitor(args, qemu)


if __name__ == "__main__":
    sys.exit(main())
