#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn guest console logs into results: per-test logs, results.json,
JUnit XML, a per-arch summary table and the runner's exit status.

  report.py boot --outdir D --arch A --boot N --console LOG --plan PLAN
                 [--cmdline C] [--watchdog SECONDS]
      Parse one boot's console; write D/<arch>/<test>.log for each test and
      append the results to D/tests.jsonl and D/boots.jsonl.

  report.py summary --outdir D --meta META.json
      Write D/results.json and D/junit.xml, print the summary and exit with
      the runner's status (0: all passed or skipped, 1: anything failed).
"""

import argparse
import json
import os
import re
import subprocess
import sys
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ktap  # noqa: E402


def safe_name(name):
    return "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name)


DECODE_MAX_REPORTS = 8       # per boot; each runs addr2line over its trace
DECODE_TIMEOUT = 120


class Decoder:
    """Decodes the stack traces of kernel reports to file:line with the
    kernel's own scripts/decode_stacktrace.sh and the build's vmlinux, when
    that has debug info (the --debug kernels); otherwise says why not."""

    def __init__(self, vmlinux, srctree, cross):
        self.vmlinux, self.srctree, self.cross = vmlinux, srctree, cross or ""
        self.why_not = self._check() if vmlinux and srctree else None
        self.done = 0

    def _check(self):
        script = os.path.join(self.srctree, "scripts", "decode_stacktrace.sh")
        if not os.path.exists(self.vmlinux):
            return "no %s" % self.vmlinux
        if not os.path.exists(script):
            return "no %s" % script
        try:
            out = subprocess.run([self.cross + "readelf", "-S", "-W", self.vmlinux],
                                 capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            return "cannot read %s: %s" % (self.vmlinux, e)
        if ".debug_line" not in out:
            return "vmlinux has no debug info (run_tests.sh --debug builds kernels with it)"
        return None

    def decode(self, report):
        """Set REPORT.decoded from its excerpt, where possible."""
        if not self.vmlinux or self.why_not or self.done >= DECODE_MAX_REPORTS:
            return
        self.done += 1
        env = dict(os.environ, CROSS_COMPILE=self.cross)
        try:
            proc = subprocess.run(
                ["bash", os.path.join(self.srctree, "scripts", "decode_stacktrace.sh"),
                 self.vmlinux, self.srctree], input="\n".join(report.excerpt) + "\n",
                capture_output=True, text=True, env=env, timeout=DECODE_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            return
        if proc.returncode == 0 and proc.stdout.strip():
            report.decoded = proc.stdout.rstrip("\n").splitlines()


def report_text(rep, decoder):
    """The lines of REP for a log: decoded when possible."""
    if rep.decoded:
        return rep.decoded
    note = []
    if decoder and decoder.why_not:
        note = ["(stack trace not decoded: %s)" % decoder.why_not]
    return rep.excerpt + note


# What the guest's addr2line (rig/guest-addr2line.sh) prints in place of a
# selftest's backtrace: the program and the addresses.
_ADDR2LINE = re.compile(r"# rig: addr2line (\S+)((?: [0-9a-fA-F]+)+)\s*$")
GUEST_BINDIR = "/rig/bin/"


def selftest_backtraces(log, bindir, cross):
    """The backtraces of a selftest's failed assertions, decoded with the
    host's addr2line on the program's binary in BINDIR."""
    out = []
    for line in log:
        m = _ADDR2LINE.search(line)
        if not m:
            continue
        exe, addrs = m.group(1), m.group(2).split()
        rel = exe[len(GUEST_BINDIR):] if exe.startswith(GUEST_BINDIR) else None
        binary = os.path.join(bindir, rel) if rel and bindir else None
        if not binary or not os.path.isfile(binary):
            out.append("(not decoded: no host binary for %s)" % exe)
            continue
        try:
            proc = subprocess.run([(cross or "") + "addr2line", "-s", "-e", binary, "-fpai"] + addrs,
                                  capture_output=True, text=True, timeout=DECODE_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as e:
            out.append("(not decoded: %s)" % e)
            continue
        lines = proc.stdout.splitlines() if proc.returncode == 0 else []
        if not lines:
            out.append("(not decoded: addr2line: %s)" % proc.stderr.strip())
        out += ["%6d  %s" % (i + 1, l) for i, l in enumerate(lines)]
    return out


def write_test_log(outdir, arch, res, boot_id, decoder=None, bindir=None, cross=None):
    d = os.path.join(outdir, arch)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "%s.log" % safe_name(res.name))
    if os.path.exists(path):
        path = os.path.join(d, "%s.boot%s.log" % (safe_name(res.name), boot_id))
    with open(path, "w", encoding="utf-8") as f:
        for line in ktap.fold_repeats(res.log):
            f.write((line[4:] if line.startswith("    ") else line) + "\n")
        trace = selftest_backtraces(res.log, bindir, cross)
        if trace:
            f.write("\n=== selftest backtrace (decoded on the host) ===\n" + "\n".join(trace) + "\n")
        for rep in res.reports:
            f.write("\n=== kernel %s report%s ===\n"
                    % (rep.kind, " (printed %d times; the first shown)" % rep.count
                       if rep.count > 1 else ""))
            f.write("\n".join(report_text(rep, decoder)) + "\n")
    return os.path.relpath(path, outdir)


CONSOLE_TAIL_LINES = 40


def apply_watchdog(boot, watchdog, lines):
    """The host's watchdog killed a silent guest: the test it was in hung
    (a timeout, with the end of the console in its log); or, outside any
    test, the boot failed (a boot-level report)."""
    tail = ["(last %d console lines)" % CONSOLE_TAIL_LINES] + lines[-CONSOLE_TAIL_LINES:]
    hung = [res for res in boot.tests if res.num == watchdog.get("test_num")]
    for res in hung:
        res.status = ktap.TIMEOUT
        res.reason = "TIMEOUT: %s; the watchdog killed the guest" % watchdog["reason"]
        if res.reports:
            res.reason += "; first kernel report: " + res.reports[0].summary()
        res.log = res.log + ["", "=== watchdog: %s ===" % watchdog["reason"]] + tail
    if not hung:
        boot.reports.append(ktap.KernelReport(
            "hang", "watchdog: %s" % watchdog["reason"], tail, None))


def cmd_boot(args):
    with open(args.console, encoding="utf-8", errors="replace") as f:
        text = f.read()
    names = [name for name, _ in ktap.read_plan(args.plan)]
    boot = ktap.parse_console(text, names)
    status = {}
    if args.status and os.path.exists(args.status):
        with open(args.status, encoding="utf-8") as f:
            status = json.load(f)
    watchdog = status.get("watchdog")
    if watchdog:
        apply_watchdog(boot, watchdog, ktap.console_lines(text))
    boot_errors = [r for r in boot.reports if r.test_num is None]
    decoder = Decoder(args.vmlinux, args.srctree, args.cross) if boot.reports else None
    for rep in boot.reports:
        decoder.decode(rep)
    with open(os.path.join(args.outdir, "tests.jsonl"), "a", encoding="utf-8") as f:
        for res in boot.tests:
            rec = {
                "arch": args.arch, "name": res.name, "status": res.status,
                "reason": res.reason, "duration": res.duration, "rc": res.rc,
                "boot": args.boot, "cmdline": args.cmdline,
                "log": write_test_log(args.outdir, args.arch, res, args.boot, decoder,
                                      args.bindir, args.cross),
                "subtests": [{"num": s.num, "name": s.name, "status": s.status,
                              "reason": s.reason} for s in res.subtests],
                "kernel_reports": [r.summary() for r in res.reports],
            }
            f.write(json.dumps(rec) + "\n")
    with open(os.path.join(args.outdir, "boots.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps({
            "arch": args.arch, "boot": args.boot, "cmdline": args.cmdline,
            "console": os.path.relpath(args.console, args.outdir),
            "booted": boot.booted, "completed": boot.completed,
            "watchdog": watchdog, "env": boot.env,
            "kernel_reports": [{"kind": r.kind, "summary": r.summary(), "count": r.count,
                                "excerpt": report_text(r, decoder)} for r in boot_errors],
        }) + "\n")
    for rep in boot.reports:
        print("  %s%s" % (rep.summary(),
                         "" if rep.test_num is None else " (during test %d)" % rep.test_num),
              file=sys.stderr)
        for line in report_text(rep, decoder)[:12]:
            print("  | " + line, file=sys.stderr)
    return 0


def load_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def counts(tests):
    passed = sum(t["status"] in (ktap.PASS, ktap.XFAIL) for t in tests)
    failed = sum(t["status"] in ktap.FAILED_STATUSES for t in tests)
    skipped = sum(t["status"] == ktap.SKIP for t in tests)
    return passed, failed, skipped


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def xml_text(text):
    """TEXT without the control characters XML 1.0 cannot carry."""
    return _CONTROL.sub("", text)


def junit(tests, boots):
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for arch in sorted({t["arch"] for t in tests} | {b["arch"] for b in boots}):
        mine = [t for t in tests if t["arch"] == arch]
        errs = [b for b in boots if b["arch"] == arch and b["kernel_reports"]]
        p, f, s = counts(mine)
        out.append('  <testsuite name=%s tests="%d" failures="%d" skipped="%d">'
                   % (quoteattr("kvm-aging." + arch), len(mine) + len(errs), f + len(errs), s))
        for t in mine:
            attrs = "classname=%s name=%s time=\"%.2f\"" % (
                quoteattr("kvm-aging." + arch), quoteattr(t["name"]), t["duration"] or 0)
            if t["status"] in ktap.FAILED_STATUSES:
                out.append("    <testcase %s><failure message=%s/></testcase>"
                           % (attrs, quoteattr(xml_text("%s: %s" % (t["status"], t["reason"])))))
            elif t["status"] == ktap.SKIP:
                out.append("    <testcase %s><skipped message=%s/></testcase>"
                           % (attrs, quoteattr(xml_text(t["reason"]))))
            else:
                out.append("    <testcase %s/>" % attrs)
        for b in errs:
            text = "\n".join("\n".join(r["excerpt"]) for r in b["kernel_reports"])
            out.append('    <testcase classname=%s name="kernel-log.boot%s"><failure message=%s>%s</failure></testcase>'
                       % (quoteattr("kvm-aging." + arch), b["boot"],
                          quoteattr(xml_text(b["kernel_reports"][0]["summary"])), escape(xml_text(text))))
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def md_cell(text):
    """TEXT fit for one cell of a Markdown table."""
    return (text or "").replace("|", "\\|").replace("\n", " ")


def markdown(meta, tests, boots):
    """The run as a Markdown table (summary.md; CI's job summary): the
    counts per arch first, then every test, failures first."""
    accel = meta.get("accelerator") or {}
    lines = ["### kvm-aging: %s" % md_cell(meta.get("command", "").strip()), "",
             "%s, series %s%s%s" % (md_cell(meta.get("source", "")), meta.get("series_hash", ""),
                                   ", debug config" if meta.get("debug_config") else "",
                                   ", through run_kselftest.sh" if meta.get("kselftest_runner") else ""),
             "", "| arch | accelerator | passed | failed | skipped |", "|---|---|---|---|---|"]
    for arch in sorted({t["arch"] for t in tests} | {b["arch"] for b in boots}):
        p, f, s = counts([t for t in tests if t["arch"] == arch])
        f += sum(len(b["kernel_reports"]) for b in boots if b["arch"] == arch)
        lines.append("| %s | %s | %d | %d | %d |" % (arch, accel.get(arch, "?"), p, f, s))
    lines += ["", "| arch | test | result | time | note |", "|---|---|---|---|---|"]
    order = {ktap.CRASH: 0, ktap.TIMEOUT: 0, ktap.FAIL: 0, ktap.SKIP: 1}
    for t in sorted(tests, key=lambda t: order.get(t["status"], 2)):
        dur = "%.1fs" % t["duration"] if t["duration"] is not None else "-"
        name = t["name"] + (" [%s]" % t["cmdline"] if t.get("cmdline") else "")
        lines.append("| %s | %s | %s | %s | %s |" % (t["arch"], md_cell(name), t["status"].upper(),
                                                     dur, md_cell(t["reason"])))
    for b in boots:
        for r in b["kernel_reports"]:
            lines.append("| %s | kernel log (boot %s) | FAIL | - | %s |"
                         % (b["arch"], b["boot"], md_cell(r["summary"])))
    return "\n".join(lines) + "\n"


def cmd_summary(args):
    tests = load_jsonl(os.path.join(args.outdir, "tests.jsonl"))
    boots = load_jsonl(os.path.join(args.outdir, "boots.jsonl"))
    with open(args.meta, encoding="utf-8") as f:
        meta = json.load(f)
    boot_errors = sum(len(b["kernel_reports"]) for b in boots)
    status = ktap.exit_status([t["status"] for t in tests], boot_errors)
    meta.update({"tests": tests, "boots": boots, "exit_status": status})
    with open(os.path.join(args.outdir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.outdir, "junit.xml"), "w", encoding="utf-8") as f:
        f.write(junit(tests, boots))
    with open(os.path.join(args.outdir, "summary.md"), "w", encoding="utf-8") as f:
        f.write(markdown(meta, tests, boots))

    print("%-8s %-40s %-8s %8s  %s" % ("arch", "test", "result", "time", "note"))
    for t in tests:
        dur = "%.1fs" % t["duration"] if t["duration"] is not None else "-"
        name = t["name"] + (" [%s]" % t["cmdline"] if t.get("cmdline") else "")
        print("%-8s %-40s %-8s %8s  %s" % (t["arch"], name, t["status"].upper(), dur, t["reason"]))
    for b in boots:
        for r in b["kernel_reports"]:
            print("%-8s %-40s %-8s %8s  %s" % (b["arch"], "kernel log (boot %s)" % b["boot"],
                                              "FAIL", "-", r["summary"]))
    print()
    for arch in sorted({t["arch"] for t in tests} | {b["arch"] for b in boots}):
        p, f, s = counts([t for t in tests if t["arch"] == arch])
        f += sum(len(b["kernel_reports"]) for b in boots if b["arch"] == arch)
        print("%s: %d passed, %d failed, %d skipped" % (arch, p, f, s))
    p, f, s = counts(tests)
    print("%d passed, %d failed, %d skipped" % (p, f + boot_errors, s))
    return status


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("boot")
    b.add_argument("--outdir", required=True)
    b.add_argument("--arch", required=True)
    b.add_argument("--boot", required=True)
    b.add_argument("--console", required=True)
    b.add_argument("--plan", required=True)
    b.add_argument("--cmdline", default="")
    b.add_argument("--status", help="monitor.py's status file of this boot")
    b.add_argument("--vmlinux", help="the booted kernel's vmlinux, to decode stack traces")
    b.add_argument("--srctree", help="its source tree (scripts/decode_stacktrace.sh)")
    b.add_argument("--cross", default="", help="CROSS_COMPILE prefix of its binutils")
    b.add_argument("--bindir", help="the host's copy of the guest's /rig/bin (selftest backtraces)")
    s = sub.add_parser("summary")
    s.add_argument("--outdir", required=True)
    s.add_argument("--meta", required=True)
    args = ap.parse_args(argv)
    return cmd_boot(args) if args.cmd == "boot" else cmd_summary(args)


if __name__ == "__main__":
    sys.exit(main())
