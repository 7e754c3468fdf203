# SPDX-License-Identifier: GPL-2.0
"""The selftests' oracle, on the host: the access patterns the guests touch
(lib/access_pattern.c) and the bit geometry the tests expect of the MMU
notifier's bitmaps (young_bitmap_index()).  A broken oracle would make a
broken kernel look right, so the patterns are checked against an
independent model, for their asymmetry (a bitmap indexed from the wrong end
must not pass for the right one), and for the degenerate seeds of the
random pattern."""

import subprocess

import pytest

from conftest import build_driver

SIZES = [1, 2, 3, 4, 5, 7, 63, 64, 65, 100, 512, 1024, 4096]
NAMES = ["none", "all", "first", "last", "alternating", "head", "triangular", "random"]


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    return build_driver(tmp_path_factory, "lib_oracle_driver", ["access_pattern.c"],
                        ["-Wno-unused-parameter"])


def run(driver, *args):
    proc = subprocess.run([driver, *map(str, args)], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.split("\n")


def pattern(driver, name, n, seed=1):
    bits, weight, stray = run(driver, "pattern", name, n, seed)[:3]
    assert len(bits) == n
    assert int(weight) == bits.count("1"), "access_pattern_weight() disagrees"
    assert stray == "0", "bits set past the pattern in its last word"
    return [c == "1" for c in bits]


def lcg_random(n, seed):
    """The KVM selftests' guest_random_bool(), independently: Park-Miller;
    access_pattern_fill() replaces the seeds that would stall it."""
    state, out = seed if seed % (2**31 - 1) else 0x2545f491, []
    for _ in range(n):
        state = state * 48271 % (2**31 - 1)
        out.append(state % 100 < 50)
    return out


def model(name, n, seed):
    if name == "none":
        return [False] * n
    if name == "all":
        return [True] * n
    if name == "first":
        return [p == 0 for p in range(n)]
    if name == "last":
        return [p == n - 1 for p in range(n)]
    if name == "alternating":
        return [p % 2 == 0 for p in range(n)]
    if name == "head":
        return [p < (n + 3) // 4 for p in range(n)]
    if name == "triangular":
        marks, p, step = set(), 0, 1
        while p < n:
            marks.add(p)
            p, step = p + step, step + 1
        return [p in marks for p in range(n)]
    assert name == "random"
    return lcg_random(n, seed)


@pytest.mark.parametrize("name", NAMES)
def test_patterns_match_the_model(driver, name):
    for n in SIZES:
        assert pattern(driver, name, n) == model(name, n, 1), (name, n)


def test_names_round_trip_and_unknown_names_are_refused(driver):
    lines = [l for l in run(driver, "names") if l]
    assert [l.split()[0] for l in lines] == NAMES
    assert [int(l.split()[1]) for l in lines] == list(range(len(NAMES)))
    assert run(driver, "parse", "bogus")[0] == str(len(NAMES))


@pytest.mark.parametrize("name", ["first", "last", "head", "triangular", "random"])
def test_asymmetric_patterns_read_differently_reversed(driver, name):
    """What lets a test tell a bitmap indexed from the wrong end."""
    for n in (64, 512, 1024, 4096):
        bits = pattern(driver, name, n)
        assert bits != bits[::-1], (name, n)


def test_alternating_is_asymmetric_on_even_areas(driver):
    for n in (2, 64, 512):
        bits = pattern(driver, "alternating", n)
        assert bits != bits[::-1]


@pytest.mark.parametrize("seed", [0, 1, 2, 7, 2**31 - 1, 2**31, 2**32 - 1])
def test_random_is_a_real_mix_for_every_seed(driver, seed):
    """Seed 0 (and multiples of 2^31 - 1) stall the generator: the pattern
    would be every page, a test of nothing."""
    bits = pattern(driver, "random", 4096, seed)
    assert 1500 < sum(bits) < 2600, (seed, sum(bits))
    assert bits == model("random", 4096, seed)
    assert pattern(driver, "random", 4096, seed) == bits, "not deterministic"


def test_random_depends_on_the_seed(driver):
    assert pattern(driver, "random", 512, 1) != pattern(driver, "random", 512, 2)


@pytest.mark.parametrize("n", SIZES)
def test_bitmap_index_counts_from_the_end(driver, n):
    """Bit i of the notifier's bitmap is the page at end - (i + 1) pages."""
    index = [int(l) for l in run(driver, "index", n) if l]
    assert index == [n - 1 - p for p in range(n)]
    assert sorted(index) == list(range(n))
