// SPDX-License-Identifier: GPL-2.0
/*
 * Idle page tracking helpers; see page_idle.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "page_idle.h"
#include "pagemap.h"

/* Opened once, on first use. */
static int page_idle_fd = -1;

static int page_idle_bitmap_fd(void)
{
	if (page_idle_fd < 0) {
		page_idle_fd = open(PAGE_IDLE_BITMAP_PATH, O_RDWR);
		TEST_ASSERT(page_idle_fd >= 0, "open(%s): %s", PAGE_IDLE_BITMAP_PATH,
			    strerror(errno));
	}
	return page_idle_fd;
}

bool page_idle_available(void)
{
	return !access(PAGE_IDLE_BITMAP_PATH, R_OK | W_OK) &&
	       !access(PAGEMAP_PATH, R_OK);
}

bool __page_idle_mark(uint64_t pfn)
{
	uint64_t bits = 1ULL << (pfn % 64);
	ssize_t ret;

	ret = pwrite(page_idle_bitmap_fd(), &bits, sizeof(bits), pfn / 64 * 8);
	if (!ret)
		return false;
	TEST_ASSERT(ret == sizeof(bits), "mark PFN 0x%llx idle: %s",
		    (unsigned long long)pfn, strerror(errno));
	return true;
}

int __page_idle_is_idle(uint64_t pfn)
{
	uint64_t bits;
	ssize_t ret;

	ret = pread(page_idle_bitmap_fd(), &bits, sizeof(bits), pfn / 64 * 8);
	if (!ret)
		return -1;
	TEST_ASSERT(ret == sizeof(bits), "read the idle bit of PFN 0x%llx: %s",
		    (unsigned long long)pfn, strerror(errno));
	return !!(bits & (1ULL << (pfn % 64)));
}

size_t page_idle_mark_all(const uint64_t *pfns, size_t nr)
{
	size_t page, untracked = 0;

	for (page = 0; page < nr; page++)
		untracked += !__page_idle_mark(pfns[page]);
	TEST_ASSERT(untracked < PAGE_IDLE_CHUNK_PAGES,
		    "%zu pages cannot be marked idle; at most %d PFNs are outside idle page tracking",
		    untracked, PAGE_IDLE_CHUNK_PAGES - 1);
	for (page = 0; page < nr; page++)
		TEST_ASSERT(__page_idle_is_idle(pfns[page]) != 0,	/* -1: untracked */
			    "Page %zu (PFN 0x%lx) not idle right after marking it: not on the LRU?",
			    page, pfns[page]);
	return untracked;
}
