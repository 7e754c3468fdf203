# SPDX-License-Identifier: GPL-2.0
"""The guest's initramfs spec (rig/guest.sh initramfs_build): test programs
in a selftest subdirectory (x86_64/, mm/) get their directory, so that they
exist in the guest instead of failing with 127."""

import gzip

from conftest import rig_bash

# A stand-in for the kernel's usr/gen_init_cpio: prints the spec it is given.
FAKE_GEN = r"""
#include <stdio.h>
int main(int argc, char **argv)
{
	FILE *f = fopen(argv[1], "r");
	int c;
	while ((c = fgetc(f)) != EOF)
		putchar(c);
	return 0;
}
"""


def test_subdirectory_programs_get_their_directories(tmp_path):
    tree = tmp_path / "linux"
    (tree / "usr").mkdir(parents=True)
    (tree / "usr" / "gen_init_cpio.c").write_text(FAKE_GEN)
    bindir = tmp_path / "bin"
    for prog in ("demand_paging_test", "x86_64/svm_vmcall_test", "x86_64/cpuid_test",
                 "mm/hmm-tests"):
        (bindir / prog).parent.mkdir(parents=True, exist_ok=True)
        (bindir / prog).write_text("")
    for f in ("plan", "expect"):
        (tmp_path / f).write_text("")
    kvmpin = tmp_path / "rig-kvm-pin"
    kvmpin.write_text("")
    kvmpin.chmod(0o755)
    out = tmp_path / "initrd.gz"
    rig_bash('source rig/guest.sh; KERNEL_TREE=$1; initramfs_build "${@:2}"', str(tree),
             str(out), "/bin/busybox", str(tmp_path / "plan"), "tests",
             str(tmp_path / "expect"), str(kvmpin), str(bindir), "demand_paging_test",
             "x86_64/svm_vmcall_test", "x86_64/cpuid_test", "mm/hmm-tests",
             env={"RIG_CACHE": str(tmp_path / "cache")}, check=True)
    spec = gzip.decompress(out.read_bytes()).decode().splitlines()
    dirs = [l.split()[1] for l in spec if l.startswith("dir /rig/bin/")]
    assert dirs == ["/rig/bin/mm", "/rig/bin/x86_64"]
    files = [l.split()[1] for l in spec if l.startswith("file /rig/bin/")]
    assert files == ["/rig/bin/demand_paging_test", "/rig/bin/x86_64/svm_vmcall_test",
                     "/rig/bin/x86_64/cpuid_test", "/rig/bin/mm/hmm-tests"]
    # Every directory comes before the files in it.
    assert max(spec.index("dir %s 0755 0 0" % d) for d in dirs) < \
        min(i for i, l in enumerate(spec) if l.startswith("file /rig/bin/"))
    assert "file /usr/bin/rig-kvm-pin %s 0755 0 0" % kvmpin in spec
