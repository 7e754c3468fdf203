#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Collect the samples of aging_perf_test from run_tests.sh result
directories, summarise them and compare every configuration with the
unpatched kernel.

  bench.py --out DIR RUN_DIR...

Each RUN_DIR is one run of RIG_TEST_LIST=bench.list ./run_tests.sh (the
series, the baseline with --baseline).  Writes DIR/bench.json (every
sample, with its run's provenance and the guests' facts, and the summary),
DIR/bench.png (per arch and pass: median with min-max bars, per
configuration) when matplotlib is there, and prints the table of medians
and ratios against the baseline.

A configuration that could not be measured (its test failed, timed out or
skipped, or printed no sample) is an error (exit 1) that names it:
numbers for a different configuration are worse than none.
"""

import argparse
import json
import os
import re
import statistics
import sys

SCHEMA = 1
TEST_PREFIX = "aging_perf_test"
METRICS = ("seconds_per_gib", "calls_per_1000")
# The interference pass measures the guest's progress while aging runs.
PASS_METRICS = {"interference": ("progress_ratio",)}


def metrics_of(pas):
    return PASS_METRICS.get(pas, METRICS)
BASELINE = "baseline/0x0008_off"
_SAMPLE = re.compile(r"^\s*bench: (?P<fields>.*)$")


class BenchError(Exception):
    pass


def parse_samples(lines):
    """The samples of an aging_perf_test log: one dict per 'bench:' line,
    numbers as numbers; calls_per_1000 is test + clear calls."""
    out = []
    for line in lines:
        m = _SAMPLE.match(line)
        if not m:
            continue
        rec = {}
        for field in m.group("fields").split():
            key, _, value = field.partition("=")
            if not key or not value:
                raise BenchError("malformed sample field %r in %r" % (field, line.strip()))
            try:
                rec[key] = int(value) if value.isdigit() else float(value)
            except ValueError:
                rec[key] = value
        needed = ["config", "pass", "sample"]
        if rec.get("pass") in PASS_METRICS:
            needed += list(PASS_METRICS[rec["pass"]])
        else:
            needed += ["seconds_per_gib", "test_calls_per_1000", "clear_calls_per_1000"]
        for key in needed:
            if key not in rec:
                raise BenchError("sample without %s: %r" % (key, line.strip()))
        if "test_calls_per_1000" in rec:
            rec["calls_per_1000"] = round(rec["test_calls_per_1000"] +
                                          rec["clear_calls_per_1000"], 2)
        out.append(rec)
    return out


def config_name(kernel, cmdline, cap):
    """'series/0x0008_on', 'series+npt0/0x0008_on', 'baseline/0x0008_off'."""
    mmu = "+npt0" if "kvm_amd.npt=0" in (cmdline or "") else ""
    return "%s%s/%s" % (kernel, mmu, cap)


def kernel_of(meta, env):
    """'series' or 'baseline': what the guest's kernel was built with (its
    KERNEL_EXPECT lists the series' capability), else whether the run
    applied the series (a --kernel-src tree may hold it either way)."""
    expect = env.get("kernel_expect")
    if expect is not None:
        return "series" if "lru_gen_secondary_mmu_walk" in expect.split(",") else "baseline"
    return "baseline" if meta.get("series_hash", "none") == "none" else "series"


def load_run(run_dir):
    """(provenance, samples) of one run directory."""
    with open(os.path.join(run_dir, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    path = os.path.join(run_dir, "tests.jsonl")
    if not os.path.exists(path):
        raise BenchError("%s has no tests.jsonl: not a finished run" % run_dir)
    with open(path, encoding="utf-8") as f:
        tests = [json.loads(l) for l in f if l.strip()]
    boots = {}
    bpath = os.path.join(run_dir, "boots.jsonl")
    if os.path.exists(bpath):
        with open(bpath, encoding="utf-8") as f:
            for b in map(json.loads, filter(str.strip, f)):
                boots[(b["arch"], str(b["boot"]))] = b.get("env", {})
    samples = []
    for t in tests:
        if not t["name"].startswith(TEST_PREFIX):
            continue
        env = boots.get((t["arch"], str(t["boot"])), {})
        kernel = kernel_of(meta, env)
        where = "%s %s %s [%s]" % (kernel, t["arch"], t["name"], t.get("cmdline") or "-")
        if t["status"] != "pass":
            raise BenchError("%s could not be measured: %s: %s" % (where, t["status"], t["reason"]))
        with open(os.path.join(run_dir, t["log"]), encoding="utf-8") as f:
            found = parse_samples(f)
        if not found:
            raise BenchError("%s printed no sample" % where)
        for s in found:
            s.update(arch=t["arch"], kernel=kernel,
                     configuration=config_name(kernel, t.get("cmdline"), s["config"]),
                     guest_kernel=env.get("kernel"), lru_gen_enabled=env.get("lru_gen_enabled"))
            samples.append(s)
    if not samples:
        raise BenchError("%s holds no %s result" % (run_dir, TEST_PREFIX))
    prov = {k: meta.get(k) for k in ("rig_commit", "date", "source", "series_hash",
                                      "qemu_version", "accelerator", "config_sha256")}
    prov.update(run_dir=os.path.abspath(run_dir),
                kernel=sorted({s["kernel"] for s in samples}))
    return prov, samples


def summarise(samples):
    """[{arch, configuration, pass, metric, n, min, median, max, ratio}],
    ratio being the median over the baseline's median (same arch and pass;
    None without a baseline, or where the baseline's median is 0)."""
    groups = {}
    for s in samples:
        for metric in metrics_of(s["pass"]):
            key = (s["arch"], s["configuration"], s["pass"], metric)
            groups.setdefault(key, []).append(s[metric])
    rows = []
    for (arch, conf, pas, metric), values in sorted(groups.items()):
        rows.append({"arch": arch, "configuration": conf, "pass": pas, "metric": metric,
                     "n": len(values), "min": min(values),
                     "median": statistics.median(values), "max": max(values)})
    base = {(r["arch"], r["pass"], r["metric"]): r["median"]
            for r in rows if r["configuration"] == BASELINE}
    for r in rows:
        b = base.get((r["arch"], r["pass"], r["metric"]))
        r["ratio"] = round(r["median"] / b, 3) if b else None
    return rows


def table(rows):
    """The printed table: one line per arch, pass, configuration."""
    out = ["%-7s %-6s %-24s %26s %9s %22s %9s" % (
        "arch", "pass", "configuration", "s/GiB min/median/max", "x base",
        "calls/1000 pages", "x base")]
    by = {}
    for r in rows:
        by.setdefault((r["arch"], r["pass"], r["configuration"]), {})[r["metric"]] = r
    for (arch, pas, conf), m in sorted(by.items()):
        if pas in PASS_METRICS:
            r = m[PASS_METRICS[pas][0]]
            out.append("%-7s %-6s %-24s %26s %9s %22s" % (
                arch, pas[:6], conf, "%.3f/%.3f/%.3f" % (r["min"], r["median"], r["max"]),
                "-" if r["ratio"] is None else "%.2f" % r["ratio"],
                "(progress while aging)"))
            continue
        t, c = m["seconds_per_gib"], m["calls_per_1000"]
        out.append("%-7s %-6s %-24s %26s %9s %22s %9s" % (
            arch, pas, conf, "%.3f/%.3f/%.3f" % (t["min"], t["median"], t["max"]),
            "-" if t["ratio"] is None else "%.2f" % t["ratio"],
            "%.1f" % c["median"], "-" if c["ratio"] is None else "%.3f" % c["ratio"]))
    return out


def plot(rows, path):
    """bench.png: one panel per arch and pass for each metric, a bar per
    configuration (median, min-max bars).  Returns False without
    matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = sorted({(r["arch"], r["pass"]) for r in rows})
    fig, axes = plt.subplots(len(panels), len(METRICS), squeeze=False,
                             figsize=(6 * len(METRICS), 2.6 * len(panels)))
    for i, (arch, pas) in enumerate(panels):
        for j in range(len(METRICS)):
            ax = axes[i][j]
            if j >= len(metrics_of(pas)):
                ax.axis("off")
                continue
            metric = metrics_of(pas)[j]
            mine = [r for r in rows if (r["arch"], r["pass"], r["metric"]) == (arch, pas, metric)]
            xs = range(len(mine))
            ax.bar(xs, [r["median"] for r in mine],
                   yerr=[[r["median"] - r["min"] for r in mine],
                         [r["max"] - r["median"] for r in mine]], capsize=4)
            ax.set_xticks(list(xs))
            ax.set_xticklabels([r["configuration"] for r in mine], fontsize=7, rotation=15)
            ax.set_title("%s, %s pass: %s" % (arch, pas, metric.replace("_", " ")), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="directory for bench.json and bench.png")
    ap.add_argument("runs", nargs="+", help="run_tests.sh result directories")
    args = ap.parse_args(argv)
    try:
        loaded = [load_run(d) for d in args.runs]
    except (BenchError, OSError, ValueError, KeyError) as e:
        print("bench.py: %s" % e, file=sys.stderr)
        return 1
    samples = [s for _, ss in loaded for s in ss]
    rows = summarise(samples)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench.json"), "w", encoding="utf-8") as f:
        json.dump({"schema": SCHEMA, "runs": [p for p, _ in loaded], "samples": samples,
                   "summary": rows}, f, indent=1)
        f.write("\n")
    if not plot(rows, os.path.join(args.out, "bench.png")):
        print("bench.py: no matplotlib (python3-matplotlib): no bench.png", file=sys.stderr)
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
