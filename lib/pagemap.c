// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/self/pagemap helpers; see pagemap.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <linux/bitmap.h>

#include "test_util.h"
#include "pagemap.h"

/* How many wrong pages pagemap_check_resident() prints. */
#define PAGEMAP_REPORT_PAGES	8

/* KPF_THP of include/uapi/linux/kernel-page-flags.h. */
#define KPF_THP_BIT		22

static int pagemap_fd = -1;
static int kpageflags_fd = -1;

uint64_t pagemap_entry(const void *hva)
{
	off_t off = (uintptr_t)hva / getpagesize() * sizeof(uint64_t);
	uint64_t entry;

	if (pagemap_fd < 0) {
		pagemap_fd = open(PAGEMAP_PATH, O_RDONLY);
		TEST_ASSERT(pagemap_fd >= 0, "open(%s): %s", PAGEMAP_PATH, strerror(errno));
	}
	TEST_ASSERT(pread(pagemap_fd, &entry, sizeof(entry), off) == sizeof(entry),
		    "pread(pagemap) for HVA %p: %s", hva, strerror(errno));
	return entry;
}

uint64_t pagemap_hva_to_pfn(const void *hva)
{
	uint64_t entry = pagemap_entry(hva);

	TEST_ASSERT(pagemap_present(entry), "HVA %p is not present (pagemap entry 0x%llx)",
		    hva, (unsigned long long)entry);
	TEST_ASSERT(pagemap_pfn(entry), "pagemap hides the PFN of %p: not root?", hva);
	return pagemap_pfn(entry);
}

static uint64_t kpageflags(uint64_t pfn)
{
	uint64_t flags;

	if (kpageflags_fd < 0) {
		kpageflags_fd = open(KPAGEFLAGS_PATH, O_RDONLY);
		TEST_ASSERT(kpageflags_fd >= 0, "open(%s): %s", KPAGEFLAGS_PATH, strerror(errno));
	}
	TEST_ASSERT(pread(kpageflags_fd, &flags, sizeof(flags), pfn * sizeof(flags)) ==
		    sizeof(flags), "pread(%s) for PFN 0x%llx: %s", KPAGEFLAGS_PATH,
		    (unsigned long long)pfn, strerror(errno));
	return flags;
}

bool pagemap_is_thp_2mb(const void *hva, size_t size)
{
	size_t huge = 2UL << 20, pages = huge / getpagesize(), off;
	const char *p = hva;

	TEST_ASSERT(!((uintptr_t)hva % huge) && !(size % huge),
		    "%p + 0x%zx is not 2 MiB aligned", hva, size);
	for (off = 0; off < size; off += huge) {
		uint64_t first = pagemap_hva_to_pfn(p + off);
		uint64_t last = pagemap_hva_to_pfn(p + off + huge - getpagesize());

		if (!(kpageflags(first) & (1ULL << KPF_THP_BIT)) || first % pages ||
		    last != first + pages - 1)
			return false;
	}
	return true;
}

size_t pagemap_check_resident(const void *hva, size_t page_size, size_t nr,
			      const unsigned long *select, bool want_resident,
			      const char *what)
{
	size_t page, wrong = 0;

	for (page = 0; page < nr; page++) {
		uint64_t entry;

		if (select && !test_bit(page, select))
			continue;
		entry = pagemap_entry((const char *)hva + page * page_size);
		if (pagemap_present(entry) == want_resident)
			continue;
		if (what && wrong < PAGEMAP_REPORT_PAGES)
			ksft_print_msg("  page %zu of %s: %s, expected %s (pagemap 0x%llx)\n",
				       page, what,
				       want_resident ? (pagemap_swapped(entry) ? "swapped out" :
							"evicted") : "resident",
				       want_resident ? "resident" : "evicted",
				       (unsigned long long)entry);
		wrong++;
	}
	if (what && wrong > PAGEMAP_REPORT_PAGES)
		ksft_print_msg("  ... %zu pages of %s in all\n", wrong, what);
	return wrong;
}
