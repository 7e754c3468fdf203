# SPDX-License-Identifier: GPL-2.0
"""The pure parsers of the selftest library (lib/lru_gen_parse.c and the
inline decoders of lib/pagemap.h and lib/zram_swap.h), built on the host
with tests/lib_parsers_driver.c and fed output recorded from the guests
(tests/data/lru_gen/; each fixture's leading '#' lines say where it comes
from) and malformed input that must be rejected with a clear error."""

import os
import subprocess

import pytest

from conftest import DATA, build_driver

FIXTURES = os.path.join(DATA, "lru_gen")


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    return build_driver(tmp_path_factory, "lib_parsers_driver", ["lru_gen_parse.c"])


def run(driver, *args):
    proc = subprocess.run([driver, *args], capture_output=True, text=True, timeout=30)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, proc.stdout.strip().splitlines()


def lru_gen(driver, name):
    return run(driver, "lru_gen", os.path.join(FIXTURES, name))


def test_fresh_memcg(driver):
    rc, out = lru_gen(driver, "x86_64_fresh.txt")
    assert rc == 0
    assert out == [
        "memcg 1 / node 0 gens 0:5732:0:0 1:5732:0:0 2:5732:2985:0 3:5732:40:0"
        " anon 3025 youngest 3 oldest 0",
        "memcg 2 /capture node 0 gens 0:108:0:0 1:108:0:0 2:108:2048:0 3:108:0:0"
        " anon 2048 youngest 3 oldest 0",
    ]


def test_aged_memcg_generations_move_up(driver):
    rc, out = lru_gen(driver, "x86_64_aged.txt")
    assert rc == 0
    assert out[1] == ("memcg 2 /capture node 0 gens 3:172:2048:0 4:24:0:0 5:16:0:0 6:12:0:0"
                      " anon 2048 youngest 6 oldest 3")


def test_arm64_fresh_and_aged(driver):
    rc, out = lru_gen(driver, "arm64_fresh.txt")
    assert rc == 0
    assert out == [
        "memcg 1 / node 0 gens 0:7860:0:0 1:7860:0:1 2:7860:3691:0 3:7860:36:0"
        " anon 3727 youngest 3 oldest 0",
        "memcg 2 /capture node 0 gens 0:96:0:0 1:96:0:0 2:96:2049:0 3:96:8:0"
        " anon 2057 youngest 3 oldest 0",
    ]
    rc, out = lru_gen(driver, "arm64_aged.txt")
    assert rc == 0
    assert out[1] == ("memcg 2 /capture node 0 gens 3:156:2050:0 4:28:0:0 5:20:1:0 6:12:7:0"
                      " anon 2058 youngest 6 oldest 3")


def test_evicted_pages_leave_the_oldest_generation(driver):
    rc, out = lru_gen(driver, "x86_64_evicted.txt")
    assert rc == 0
    assert "gens 3:208:1536:0 " in out[1] and "anon 1536" in out[1]


def test_mglru_disabled_reads_zero(driver):
    rc, out = lru_gen(driver, "x86_64_disabled.txt")
    assert rc == 0
    assert [line.split(" anon ")[1].split()[0] for line in out] == ["0", "0"]


def test_multi_node(driver):
    rc, out = lru_gen(driver, "multi_node_derived.txt")
    assert rc == 0
    assert [line.split(" gens ")[0] for line in out] == [
        "memcg 1 / node 0", "memcg 1 / node 1",
        "memcg 2 /capture node 0", "memcg 2 /capture node 1"]
    assert out[3] == "memcg 2 /capture node 1 gens 4:30:100:0 5:20:50:0 6:10:25:0 anon 175 youngest 6 oldest 4"


@pytest.mark.parametrize("name, error", [
    ("bad_empty.txt", "error: no lruvec in the input"),
    ("bad_gap_in_gens.txt", "error: line 4: generation 5 does not follow 3"),
    ("bad_gen_before_node.txt", "error: line 2: generation before any node"),
    ("bad_node_before_memcg.txt", "error: line 1: node before any memcg"),
    ("bad_node_without_gens.txt", "error: memcg 2 node 0 has no generations"),
    ("bad_not_a_number.txt", "error: line 3: expected 'memcg', 'node' or 'SEQ AGE_MS NR_ANON NR_FILE': '          3        172       2x48"),
    ("bad_too_many_gens.txt", "error: line 7: more than 4 generations"),
    ("bad_truncated.txt", "error: line 4: expected 'memcg', 'node' or 'SEQ AGE_MS NR_ANON NR_FILE': '          4         24'"),
    ("x86_64_full_format.txt", "error: line 4: expected 'memcg', 'node' or 'SEQ AGE_MS NR_ANON NR_FILE'"),
])
def test_malformed_is_rejected(driver, name, error):
    rc, out = lru_gen(driver, name)
    assert rc == 1
    assert len(out) == 1 and out[0].startswith(error), out


@pytest.mark.parametrize("text, expected", [
    ("0x000f\n", "0x000f"),     # x86_64 with the series
    ("0x0007\n", "0x0007"),     # x86_64 without it
    ("0x0009\n", "0x0009"),     # arm64 with it
    ("0x0000\n", "0x0000"),     # disabled
])
def test_caps(driver, text, expected):
    assert run(driver, "caps", text) == (0, [expected])


@pytest.mark.parametrize("text", ["0x00zz", "15", "", "0x", "0x10000", "0x000f junk"])
def test_caps_malformed_is_rejected(driver, text):
    rc, out = run(driver, "caps", text)
    assert rc == 1 and out[0].startswith("error: line 1: expected a hex value like 0x000f")


@pytest.mark.parametrize("entry, expected", [
    # recorded in the x86_64 guest: a test page swapped out to zram
    ("0x400000000000cd00", "present 0 swapped 1 pfn 0x0"),
    # constructed from pagemap.rst: present, exclusively mapped (bit 56),
    # soft-dirty (bit 55) and file/shared (bit 61) flags must not leak
    # into the PFN
    ("0x8100000000012345", "present 1 swapped 0 pfn 0x12345"),
    ("0xa1800000000abcde", "present 1 swapped 0 pfn 0xabcde"),
    ("0x0", "present 0 swapped 0 pfn 0x0"),
])
def test_pagemap_entry(driver, entry, expected):
    assert run(driver, "pagemap", entry) == (0, [expected])


def test_swap_header(driver):
    assert run(driver, "swap_header", "4096", str(64 << 20)) == (
        0, ["version 1 last_page 16383 nr_badpages 0 magic SWAPSPACE2 boot_zero 1"])
