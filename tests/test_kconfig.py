# SPDX-License-Identifier: GPL-2.0
"""Config fragments and their verification (rig/kconfig.sh), run through
bash exactly as run_tests.sh sources them, against a tiny fake kernel
source tree.  No make, no kernel build."""

import glob
import os
import re
import textwrap

import pytest

from conftest import REPO, rig_bash

KCONFIG = textwrap.dedent("""\
    # SPDX-License-Identifier: GPL-2.0
    menu "Fake options"

    config FOO
    	bool "Foo support"
    	depends on BAR && !BAZ
    	default n
    	help
    	  Foo needs BAR.  Say N if unsure.

    config BAR
    	bool "Bar"

    config BAZ
    	bool "Baz"

    config NR_CPUS
    	int "Maximum number of CPUs"
    	range 2 512
    	default 4

    menuconfig QUX
    	tristate "Qux"
    	depends on FOO
    	depends on 64BIT

    config FOOBAR
    	bool "Not FOO"
    	depends on NEVER

    if TESTING_MENU
    config TEST_THING
    	tristate "A test driver"
    	depends on BAR
    endif

    endmenu
    """)

MM_KCONFIG = textwrap.dedent("""\
    config LRU_GEN
    	bool "Multi-Gen LRU"
    	depends on MMU
    	# make sure folio->flags has enough spare bits
    	depends on 64BIT || !SPARSEMEM || SPARSEMEM_VMEMMAP
    """)


@pytest.fixture
def tree(tmp_path):
    """A fake kernel source tree: Kconfig at the top and in mm/."""
    src = tmp_path / "linux"
    (src / "mm").mkdir(parents=True)
    (src / "Kconfig").write_text(KCONFIG)
    (src / "mm" / "Kconfig").write_text(MM_KCONFIG)
    return src


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return str(path)


def verify(tree, dotconfig, *fragments):
    return rig_bash('kconfig_verify "$@"', str(tree), dotconfig, *fragments)


def test_requested_later_fragments_win(tmp_path):
    """kconfig_requested lists each option once, in first-seen order, with
    the value of the last fragment that sets it; "# CONFIG_X is not set"
    is a request for =n; comments and blank lines are ignored."""
    a = write(tmp_path / "a.config", """\
        # SPDX-License-Identifier: GPL-2.0
        # A comment that mentions CONFIG_IGNORED=y
        CONFIG_FOO=y
        CONFIG_NR_CPUS=4

        # CONFIG_BAZ is not set
        CONFIG_CMDLINE="console=ttyS0 quiet"
        CONFIG_QUX=m
        """)
    b = write(tmp_path / "b.config", """\
        # CONFIG_FOO is not set
        CONFIG_NR_CPUS=8
        CONFIG_BAZ=y
        CONFIG_LRU_GEN=y
        """)
    out = rig_bash('kconfig_requested "$@"', a, b, check=True).stdout.splitlines()
    assert out == ["CONFIG_FOO=n", "CONFIG_NR_CPUS=8", "CONFIG_BAZ=y",
                   'CONFIG_CMDLINE="console=ttyS0 quiet"', "CONFIG_QUX=m",
                   "CONFIG_LRU_GEN=y"]
    out = rig_bash('kconfig_requested "$@"', b, a, check=True).stdout.splitlines()
    assert out[:3] == ["CONFIG_FOO=y", "CONFIG_NR_CPUS=4", "CONFIG_BAZ=n"]


def test_verify_passes_when_every_option_survived(tree, tmp_path):
    """kconfig_verify returns 0 and prints nothing when the .config has
    every requested value; a requested =n is satisfied both by "is not
    set" and by the option being absent from the .config altogether."""
    frag = write(tmp_path / "f.config", """\
        CONFIG_BAR=y
        CONFIG_FOO=y
        CONFIG_NR_CPUS=8
        # CONFIG_BAZ is not set
        # CONFIG_FOOBAR is not set
        CONFIG_CMDLINE="console=ttyS0 quiet"
        """)
    dotconfig = write(tmp_path / ".config", """\
        #
        # Automatically generated file; DO NOT EDIT.
        #
        CONFIG_BAR=y
        # CONFIG_BAZ is not set
        CONFIG_FOO=y
        CONFIG_NR_CPUS=8
        CONFIG_CMDLINE="console=ttyS0 quiet"
        """)
    proc = verify(tree, dotconfig, frag)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_verify_names_a_dropped_option_and_its_dependencies(tree, tmp_path):
    """An option olddefconfig dropped makes kconfig_verify return 1 and
    print one line naming it, its requested and actual values, and the
    "depends on" of its Kconfig entry (not those of the next entry, nor
    of FOOBAR, whose name merely starts with FOO)."""
    frag = write(tmp_path / "f.config", """\
        CONFIG_BAR=y
        CONFIG_FOO=y
        """)
    dotconfig = write(tmp_path / ".config", """\
        CONFIG_BAR=y
        # CONFIG_BAZ is not set
        """)
    proc = verify(tree, dotconfig, frag)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "CONFIG_FOO=y requested but the config has CONFIG_FOO=n (depends on: BAR && !BAZ)"]


def test_verify_forgives_an_optional_option_the_kernel_lacks(tree, tmp_path):
    """An option marked "# rig: optional" (one the patches add) may be
    absent from the kernel, as on the unpatched baseline, but an unmarked
    unknown option is still an error."""
    frag = write(tmp_path / "f.config", """\
        # rig: optional CONFIG_TEST_DRIVER (added by patches/)
        CONFIG_TEST_DRIVER=y
        CONFIG_UNKNOWN=y
        """)
    dotconfig = write(tmp_path / ".config", "CONFIG_BAR=y\n")
    proc = verify(tree, dotconfig, frag)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "CONFIG_UNKNOWN=y requested but the config has CONFIG_UNKNOWN=n"
        " (no such option in this kernel)"]


def test_verify_checks_an_optional_option_the_kernel_has(tree, tmp_path):
    """Once the kernel has the optional option, dropping it is an error
    like any other."""
    frag = write(tmp_path / "f.config", """\
        # rig: optional CONFIG_FOO
        CONFIG_FOO=y
        """)
    dotconfig = write(tmp_path / ".config", "CONFIG_BAR=y\n")
    proc = verify(tree, dotconfig, frag)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "CONFIG_FOO=y requested but the config has CONFIG_FOO=n (depends on: BAR && !BAZ)"]


def test_verify_names_the_if_block_around_a_dropped_option(tree, tmp_path):
    """An option inside "if X" ... "endif" is dropped when X is off, as
    with a "depends on"; the report names both."""
    frag = write(tmp_path / "f.config", "CONFIG_BAR=y\nCONFIG_TEST_THING=y\n")
    dotconfig = write(tmp_path / ".config", "CONFIG_BAR=y\n")
    proc = verify(tree, dotconfig, frag)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "CONFIG_TEST_THING=y requested but the config has CONFIG_TEST_THING=n"
        " (depends on: BAR;if TESTING_MENU)"]


def test_verify_reports_every_dropped_option(tree, tmp_path):
    """Several problems are all reported, one line each: a menuconfig with
    two "depends on" lines, an option in a sub-directory's Kconfig, a
    wrong value with no dependency to blame, an =n request the config
    contradicts, and an option the tree does not have at all."""
    frag = write(tmp_path / "f.config", """\
        CONFIG_QUX=y
        CONFIG_LRU_GEN=y
        CONFIG_NR_CPUS=1024
        # CONFIG_BAZ is not set
        CONFIG_NO_SUCH_OPTION=y
        """)
    dotconfig = write(tmp_path / ".config", """\
        CONFIG_NR_CPUS=512
        CONFIG_BAZ=y
        """)
    proc = verify(tree, dotconfig, frag)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "CONFIG_QUX=y requested but the config has CONFIG_QUX=n (depends on: FOO;64BIT)",
        "CONFIG_LRU_GEN=y requested but the config has CONFIG_LRU_GEN=n "
        "(depends on: MMU;64BIT || !SPARSEMEM || SPARSEMEM_VMEMMAP)",
        "CONFIG_NR_CPUS=1024 requested but the config has CONFIG_NR_CPUS=512",
        "CONFIG_BAZ=n requested but the config has CONFIG_BAZ=y",
        "CONFIG_NO_SUCH_OPTION=y requested but the config has CONFIG_NO_SUCH_OPTION=n "
        "(no such option in this kernel)",
    ]


def test_verify_uses_the_last_fragments_value(tree, tmp_path):
    """Verification checks the merged request: an option a later fragment
    turns off is expected off, not on."""
    a = write(tmp_path / "a.config", "CONFIG_FOO=y\nCONFIG_BAR=y\n")
    b = write(tmp_path / "b.config", "# CONFIG_FOO is not set\n")
    dotconfig = write(tmp_path / ".config", "CONFIG_BAR=y\n")
    proc = verify(tree, dotconfig, a, b)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_kconfig_depends_directly(tree):
    """kconfig_depends prints each "depends on" of the entry, with or
    without the CONFIG_ prefix, and nothing for an entry without any."""
    assert rig_bash('kconfig_depends "$@"', str(tree), "CONFIG_FOO",
                    check=True).stdout.splitlines() == ["BAR && !BAZ"]
    assert rig_bash('kconfig_depends "$@"', str(tree), "QUX",
                    check=True).stdout.splitlines() == ["FOO", "64BIT"]
    assert rig_bash('kconfig_depends "$@"', str(tree), "BAR", check=True).stdout == ""


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(REPO, "configs", "*.config"))))
def test_real_fragments_are_well_formed(path):
    """Every line of the project's own fragments is a comment, blank, or an
    option kconfig_requested understands, so no request is silently
    ignored by the verification."""
    option = re.compile(r"^(CONFIG_[A-Za-z0-9_]+=\S.*|# CONFIG_[A-Za-z0-9_]+ is not set)$")
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    bad = [l for l in lines
           if l.strip() and not option.match(l)
           and not (l.startswith("#") and not re.match(r"^#\s*CONFIG_", l))]
    assert bad == []
    requested = rig_bash('kconfig_requested "$@"', path, check=True).stdout.splitlines()
    keys = {re.search(r"CONFIG_[A-Za-z0-9_]+", l).group(0) for l in lines if option.match(l)}
    assert sorted(r.split("=", 1)[0] for r in requested) == sorted(keys)
