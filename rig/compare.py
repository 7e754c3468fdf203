#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two runs of the same tests, the baseline kernel's and the
series', per test and per KTAP case, and give each a verdict.

  compare.py --outdir D --baseline B --series S [--known FILE]

B and S are run directories (results.json of report.py).  Writes
D/results.json (both runs' provenance and the comparison), D/junit.xml
(a regression is a failure; a test that fails on both kernels is a skip
with its reason) and D/compare.md (differences first, then every test);
prints the differences and a count line on stdout; exits 1 if any
verdict is a REGRESSION, else 0.

Verdicts, from the status classes ok (pass, xfail), skip, bad (fail,
timeout, crash) and absent (not in the run):
  same        same class on both (bad on both: a known failure with its
              reason, or "no known reason" when FILE does not name it)
  REGRESSION  ok or skip on the baseline, bad on the series; ok on the
              baseline, skip on the series; ok or skip on the baseline,
              absent on the series; absent on the baseline, bad on the
              series; or any case of the test regressed
  fixed       bad on the baseline, ok on the series
  changed     any other difference (skip to ok, bad to skip, new tests)
A kernel report outside any test (a boot-level WARNING, a crash between
tests) that only the series' boots have is a REGRESSION of "kernel log".

FILE lists the known failures, one per line: NAME | ARCHES | REASON, where
NAME may be a glob over test names and ARCHES is x86_64, arm64 or both.  A
REASON starting "flaky:" marks a test that fails now and then on either
kernel under emulation: a pass on one kernel and a plain failure on the
other is then "same" with that note (a timeout or a crash, or a case
difference, still gets its verdict).
"""

import argparse
import fnmatch
import json
import os
import sys
from xml.sax.saxutils import quoteattr

OK, SKIP, BAD, ABSENT = "ok", "skip", "bad", "absent"
SAME, REGRESSION, FIXED, CHANGED = "same", "REGRESSION", "fixed", "changed"
# A known-failure reason that starts so marks a test that fails now and then.
FLAKY = "flaky:"
VERDICT_ORDER = (REGRESSION, FIXED, CHANGED, SAME)


def fail(msg):
    """An error of the comparison itself: status 2, never 1 (a regression)."""
    print("compare.py: " + msg, file=sys.stderr)
    sys.exit(2)


def status_class(status):
    if status is None:
        return ABSENT
    if status in ("pass", "xfail"):
        return OK
    if status == "skip":
        return SKIP
    return BAD


def verdict(base, series):
    """The verdict for a baseline and a series status (or None: absent)."""
    b, s = status_class(base), status_class(series)
    if b == s:
        return SAME
    if s == BAD or (b == OK and s in (SKIP, ABSENT)) or (b == SKIP and s == ABSENT):
        return REGRESSION
    if b == BAD and s == OK:
        return FIXED
    return CHANGED


def read_known(path):
    """[(name glob, set of arches, reason)] from a known-failures file."""
    known = []
    if not path:
        return known
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except OSError as e:
        fail("cannot read %s: %s" % (path, e))
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [x.strip() for x in line.rstrip("\n").split("|")]
        if len(fields) != 3 or not all(fields):
            fail("%s:%d: expected NAME | ARCHES | REASON" % (path, n))
        arches = set(fields[1].split(","))
        if not arches <= {"x86_64", "arm64"}:
            fail("%s:%d: arches must be x86_64, arm64 or both, not '%s'"
                 % (path, n, fields[1]))
        known.append((fields[0], arches, fields[2]))
    return known


def known_reason(known, arch, name):
    for glob, arches, reason in known:
        if arch in arches and fnmatch.fnmatchcase(name, glob):
            return reason
    return None


def load_run(d):
    path = os.path.join(d, "results.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail("cannot read %s: %s" % (path, e))


def cases_by_key(test):
    """The KTAP cases of TEST by name (or number), a repeated name made
    unique by its occurrence ("name (2)")."""
    out, count = {}, {}
    for c in (test or {}).get("subtests", []):
        key = c.get("name") or "#%d" % c["num"]
        count[key] = count.get(key, 0) + 1
        out[key if count[key] == 1 else "%s (%d)" % (key, count[key])] = c
    return out


def compare_cases(bt, st):
    """The per-case comparison of two runs of one test: only the cases
    whose verdict is not 'same'."""
    bcases, scases = cases_by_key(bt), cases_by_key(st)
    # A test that did not run at all on one side has no case results
    # there: its own verdict says so; do not count each case again.
    if not bcases or not scases:
        return []
    out = []
    for key in list(dict.fromkeys(list(bcases) + list(scases))):
        b, s = bcases.get(key), scases.get(key)
        bs, ss = b and b["status"], s and s["status"]
        v = verdict(bs, ss)
        if v != SAME:
            out.append({"name": key, "baseline": bs, "series": ss, "verdict": v,
                        "reason": (s or b or {}).get("reason", "")})
    return out


def compare(base_run, series_run, known):
    btests = {(t["arch"], t["name"]): t for t in base_run.get("tests", [])}
    stests = {(t["arch"], t["name"]): t for t in series_run.get("tests", [])}
    rows = []
    for key in list(dict.fromkeys(list(btests) + list(stests))):
        bt, st = btests.get(key), stests.get(key)
        bs, ss = bt and bt["status"], st and st["status"]
        v = verdict(bs, ss)
        cases = compare_cases(bt, st)
        if any(c["verdict"] == REGRESSION for c in cases):
            v = REGRESSION
        elif v == SAME and cases:
            v = CHANGED
        note = ""
        reason = known_reason(known, key[0], key[1])
        if (reason and reason.lower().startswith(FLAKY) and not cases and
                {bs, ss} <= {"pass", "fail"} and bs != ss):
            # Known to fail now and then on either kernel: a plain failure
            # on one side only is no verdict.  A timeout or a crash still is.
            v = SAME
            note = "passes on one kernel only, known to be flaky (%s)" % reason
        elif v == SAME and status_class(bs) == BAD:
            note = ("fails on both kernels (known: %s)" % reason if reason else
                    "fails on both kernels, no known reason: investigate")
        elif v != SAME or status_class(ss) == SKIP:
            note = (st or bt or {}).get("reason", "")
        rows.append({"arch": key[0], "name": key[1], "baseline": bs, "series": ss,
                     "verdict": v, "note": note, "cases": cases,
                     "baseline_reason": (bt or {}).get("reason", ""),
                     "series_reason": (st or {}).get("reason", "")})
    for arch in sorted({b["arch"] for b in base_run.get("boots", [])} |
                       {b["arch"] for b in series_run.get("boots", [])}):
        breps = {r["summary"] for b in base_run.get("boots", []) if b["arch"] == arch
                 for r in b["kernel_reports"]}
        sreps = [r["summary"] for b in series_run.get("boots", []) if b["arch"] == arch
                 for r in b["kernel_reports"]]
        new = [r for r in sreps if r not in breps]
        if new or breps:
            rows.append({"arch": arch, "name": "kernel log", "cases": [],
                         "baseline": "fail" if breps else "pass",
                         "series": "fail" if sreps else "pass",
                         "verdict": REGRESSION if new else (SAME if sreps else FIXED),
                         "note": "; ".join(new or sreps or sorted(breps)),
                         "baseline_reason": "; ".join(sorted(breps)),
                         "series_reason": "; ".join(sreps)})
    stale = []
    for glob, arches, reason in known:
        for arch in sorted(arches):
            hit = [r for r in rows if r["arch"] == arch and fnmatch.fnmatchcase(r["name"], glob)]
            if hit and not any(status_class(r["baseline"]) == BAD for r in hit):
                stale.append("%s %s: listed as a known failure (%s) but passes on the baseline"
                             % (arch, glob, reason))
    return rows, stale


def fails_on_both(row):
    return row["verdict"] == SAME and status_class(row["baseline"]) == BAD and \
        status_class(row["series"]) == BAD


def failing_without_verdict(row):
    """Bad on a kernel and still 'same': failing on both, or a known flaky
    test failing on one."""
    return row["verdict"] == SAME and BAD in (status_class(row["baseline"]),
                                              status_class(row["series"]))


def show(status):
    return (status or "absent").upper()


def table_lines(rows):
    lines = ["%-8s %-44s %-9s %-9s %-10s %s" % ("arch", "test", "baseline", "series",
                                               "verdict", "note")]
    for r in rows:
        lines.append("%-8s %-44s %-9s %-9s %-10s %s" % (
            r["arch"], r["name"], show(r["baseline"]), show(r["series"]), r["verdict"],
            r["note"]))
        for c in r["cases"]:
            lines.append("%-8s   %-42s %-9s %-9s %-10s %s" % (
                "", c["name"][:42], show(c["baseline"]), show(c["series"]), c["verdict"],
                c["reason"]))
    return lines


def counts_line(rows):
    n = {v: sum(r["verdict"] == v for r in rows) for v in VERDICT_ORDER}
    both = sum(map(fails_on_both, rows))
    return ("compare: %d regressions, %d fixed, %d changed, %d same "
            "(%d of them failing on both kernels)" % (n[REGRESSION], n[FIXED], n[CHANGED],
                                                       n[SAME], both))


def markdown(rows, stale, base_run, series_run):
    def desc(run):
        return "%s, series %s, rig %s" % (run.get("source", "?"), run.get("series_hash", "?"),
                                          run.get("rig_commit", "?"))
    out = ["# Baseline vs series", "",
           "- baseline: " + desc(base_run), "- series: " + desc(series_run), "",
           counts_line(rows), ""]
    sections = [
        ("Regressions", [r for r in rows if r["verdict"] == REGRESSION]),
        ("Fixed by the series", [r for r in rows if r["verdict"] == FIXED]),
        ("Changed", [r for r in rows if r["verdict"] == CHANGED]),
        ("Failing on both kernels, or known to be flaky",
         [r for r in rows if failing_without_verdict(r)]),
    ]
    for title, mine in sections:
        out += ["## %s (%d)" % (title, len(mine)), ""]
        if mine:
            out += ["```"] + table_lines(mine) + ["```"]
        else:
            out.append("None.")
        out.append("")
    if stale:
        out += ["## Known-failure entries that do not fail", ""] + ["- " + s for s in stale] + [""]
    out += ["## Every test", "", "```"] + table_lines(rows) + ["```", ""]
    return "\n".join(out)


def junit(rows):
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for arch in sorted({r["arch"] for r in rows}):
        mine = [r for r in rows if r["arch"] == arch]
        fails = sum(r["verdict"] == REGRESSION for r in mine)
        skips = sum(r["verdict"] != REGRESSION and status_class(r["series"]) in (BAD, SKIP, ABSENT)
                    for r in mine)
        out.append('  <testsuite name=%s tests="%d" failures="%d" skipped="%d">'
                   % (quoteattr("kvm-aging.compare." + arch), len(mine), fails, skips))
        for r in mine:
            attrs = "classname=%s name=%s" % (quoteattr("kvm-aging.compare." + arch),
                                              quoteattr(r["name"]))
            msg = "baseline %s, series %s: %s" % (show(r["baseline"]), show(r["series"]),
                                                  r["note"])
            if r["verdict"] == REGRESSION:
                out.append("    <testcase %s><failure message=%s/></testcase>"
                           % (attrs, quoteattr("REGRESSION: " + msg)))
            elif status_class(r["series"]) in (BAD, SKIP, ABSENT):
                out.append("    <testcase %s><skipped message=%s/></testcase>"
                           % (attrs, quoteattr(msg)))
            else:
                out.append("    <testcase %s/>" % attrs)
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--baseline", required=True, help="the baseline run's directory")
    ap.add_argument("--series", required=True, help="the series run's directory")
    ap.add_argument("--known", help="the known-failures file")
    args = ap.parse_args(argv)
    known = read_known(args.known)
    base_run, series_run = load_run(args.baseline), load_run(args.series)
    rows, stale = compare(base_run, series_run, known)
    status = 1 if any(r["verdict"] == REGRESSION for r in rows) else 0
    strip = ("tests", "boots")
    result = {
        "baseline": dict({k: v for k, v in base_run.items() if k not in strip},
                         dir=os.path.abspath(args.baseline)),
        "series": dict({k: v for k, v in series_run.items() if k not in strip},
                       dir=os.path.abspath(args.series)),
        "compare": rows, "stale_known_failures": stale, "exit_status": status,
    }
    with open(os.path.join(args.outdir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.outdir, "junit.xml"), "w", encoding="utf-8") as f:
        f.write(junit(rows))
    with open(os.path.join(args.outdir, "compare.md"), "w", encoding="utf-8") as f:
        f.write(markdown(rows, stale, base_run, series_run))
    diffs = [r for r in rows if r["verdict"] != SAME or failing_without_verdict(r)]
    diffs.sort(key=lambda r: VERDICT_ORDER.index(r["verdict"]))
    print("\n".join(table_lines(diffs) if diffs else ["no differences"]))
    for s in stale:
        print("note: " + s)
    print()
    print(counts_line(rows))
    return status


if __name__ == "__main__":
    sys.exit(main())
