/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MMU notifier test driver, /dev/test_mmu_notifier_young
 * (CONFIG_TEST_MMU_NOTIFIER_YOUNG): calls mmu_notifier_test_young(),
 * mmu_notifier_clear_young() and their bitmap variants on the caller's mm.
 *
 * Its interface is not exported: like lib/test_hmm_uapi.h for the mm
 * selftests, it is included from the kernel tree the test is built in
 * (this file is installed in tools/testing/selftests/kvm/include/).
 * HAVE_TMNY_UAPI tells whether that tree has the driver.
 */
#ifndef SELFTEST_KVM_TMNY_H
#define SELFTEST_KVM_TMNY_H

#if __has_include("../../../../../lib/test_mmu_notifier_young_uapi.h")
#include "../../../../../lib/test_mmu_notifier_young_uapi.h"
#define HAVE_TMNY_UAPI 1

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/bitmap.h>

#include "kvm_util.h"
#include "processor.h"
#include "access_pattern.h"
#include "kernel_expect.h"

/*
 * Open the driver: a file descriptor, or the test ends, skipped, or failed
 * where the kernel is expected to have the driver (kernel_expect.h).
 */
static inline int tmny_open(void)
{
	int fd = open(TMNY_DEVICE_PATH, O_RDWR);

	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_TEST_DRIVER, fd >= 0,
			     "cannot open %s: %s (CONFIG_TEST_MMU_NOTIFIER_YOUNG)",
			     TMNY_DEVICE_PATH, strerror(errno));
	return fd;
}

/*
 * One call on [@start, @end) with @bitmap (NULL for the plain calls): the
 * result mask (TMNY_YOUNG...), or -errno.  @out, if not NULL, receives the
 * driver's answer in full (stray_bits).
 */
static inline int __tmny_call(int fd, unsigned long cmd, uint64_t start,
			      uint64_t end, void *bitmap, struct tmny_args *out)
{
	struct tmny_args args = {
		.start = start,
		.end = end,
		.bitmap = (uint64_t)(uintptr_t)bitmap,
	};

	if (ioctl(fd, cmd, &args))
		return -errno;
	if (out)
		*out = args;
	return args.result;
}

static inline int tmny_call(int fd, unsigned long cmd, uint64_t start,
			    uint64_t end, uint64_t *bitmap)
{
	return __tmny_call(fd, cmd, start, end, bitmap, NULL);
}

/*
 * The driver's bitmap @bits of a call on pages [@first, @first + @nr) of an
 * area, from @pages (natural order over the area): bit i is the page at
 * the end of the range - (i + 1), see young_bitmap_index().
 */
static inline void tmny_bits_from_pages(const unsigned long *pages, size_t first,
					size_t nr, uint64_t *bits)
{
	size_t page, i;

	memset(bits, 0, DIV_ROUND_UP(nr, 64) * sizeof(*bits));
	for (page = first; page < first + nr; page++) {
		if (!test_bit(page, pages))
			continue;
		i = young_bitmap_index(nr, page - first);
		bits[i / 64] |= 1ULL << (i % 64);
	}
}

/* The reverse: set or clear the bits of pages [@first, @first + @nr). */
static inline void tmny_bits_to_pages(const uint64_t *bits, size_t first, size_t nr,
				      unsigned long *pages)
{
	size_t page, i;

	for (page = first; page < first + nr; page++) {
		i = young_bitmap_index(nr, page - first);
		if (bits[i / 64] & (1ULL << (i % 64)))
			__set_bit(page, pages);
		else
			__clear_bit(page, pages);
	}
}

/*
 * Whether KVM answers bitmap calls on this host, its fast path: arm64, and
 * x86 with the TDP MMU and hardware Accessed bits (NPT, or EPT with A/D
 * bits).  Elsewhere bitmap calls report TMNY_YOUNG_BITMAP_UNRELIABLE.
 */
static inline bool tmny_fast_path(void)
{
#if defined(__x86_64__)
	if (!kvm_is_tdp_enabled() || !get_kvm_param_bool("tdp_mmu"))
		return false;
	return !host_cpu_is_intel || get_kvm_intel_param_bool("eptad");
#elif defined(__aarch64__)
	return true;
#else
	return false;
#endif
}

#else /* !HAVE_TMNY_UAPI */

#include "kernel_expect.h"

/*
 * Built in a tree without the driver: a skip, or a failure where the runner
 * knows the kernel was built with the driver.
 */
#define TMNY_REQUIRE_DRIVER()							\
	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_TEST_DRIVER, false,			\
			     "built without lib/test_mmu_notifier_young_uapi.h: "	\
			     "the kernel has no MMU notifier test driver")

/* The main() of a test that needs the driver for everything it does. */
#define TMNY_MAIN_WITHOUT_DRIVER()						\
int main(void)									\
{										\
	TMNY_REQUIRE_DRIVER();							\
}
#endif

#endif /* SELFTEST_KVM_TMNY_H */
