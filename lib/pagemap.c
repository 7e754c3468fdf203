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

static int pagemap_fd = -1;

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
