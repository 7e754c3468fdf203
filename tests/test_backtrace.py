# SPDX-License-Identifier: GPL-2.0
"""Selftest assertion backtraces: the guest has no addr2line, so its
stand-in (rig/guest-addr2line.sh) prints the program and the addresses, and
report.py decodes them on the host with the program's binary."""

import os
import subprocess

from conftest import REPO

import report

PROG = r"""
#include <stdio.h>
__attribute__((noinline)) void failing_assertion_site(void) { puts("x"); }
int main(void) { failing_assertion_site(); return 0; }
"""


def test_guest_addr2line_prints_program_and_addresses(tmp_path):
    """The stand-in resolves -e's /proc/PID/exe link and passes the
    addresses on, whatever options come first."""
    target = tmp_path / "rig-bin-prog"
    target.write_text("")
    link = tmp_path / "exe"
    link.symlink_to(target)
    out = subprocess.run(["sh", os.path.join(REPO, "rig", "guest-addr2line.sh"), "-s", "-e",
                          str(link), "-fpai", "401a2f", "40113b"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert out == "# rig: addr2line %s 401a2f 40113b\n" % target


def test_report_decodes_a_backtrace_with_the_host_binary(tmp_path):
    bindir = tmp_path / "selftests"
    (bindir / "x86_64").mkdir(parents=True)
    src = tmp_path / "prog.c"
    src.write_text(PROG)
    binary = bindir / "x86_64" / "prog_test"
    subprocess.run(["gcc", "-g", "-O1", "-static", "-o", str(binary), str(src)], check=True,
                   timeout=120)
    nm = subprocess.run(["nm", str(binary)], capture_output=True, text=True, check=True).stdout
    addr = next(l.split()[0] for l in nm.splitlines() if l.endswith(" failing_assertion_site"))
    log = ["# ==== Test Assertion Failure ====",
           "     1\t# rig: addr2line /rig/bin/x86_64/prog_test %x" % (int(addr, 16) + 1),
           "     1\t# rig: addr2line /rig/bin/gone_test 1234"]
    trace = report.selftest_backtraces(log, str(bindir), "")
    assert len(trace) == 2
    assert "failing_assertion_site at prog.c:3" in trace[0]
    assert trace[1] == "(not decoded: no host binary for /rig/bin/gone_test)"
    assert report.selftest_backtraces(["ok 1 - plain"], str(bindir), "") == []
