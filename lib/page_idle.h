/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Idle page tracking helpers: host virtual address to PFN through
 * /proc/self/pagemap, and marking and reading the idle bit of a PFN through
 * /sys/kernel/mm/page_idle/bitmap (Documentation/admin-guide/mm/idle_page_tracking.rst).
 *
 * Idle page tracking only sees folios on the LRU: pages still in a per-CPU
 * LRU batch are neither marked nor reported.  drop_caches_drain_lru() puts
 * them on the LRU.
 */
#ifndef SELFTEST_KVM_PAGE_IDLE_H
#define SELFTEST_KVM_PAGE_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_IDLE_BITMAP_PATH	"/sys/kernel/mm/page_idle/bitmap"

/* Fields of a /proc/pid/pagemap entry (Documentation/admin-guide/mm/pagemap.rst). */
#define PAGEMAP_PRESENT		(1ULL << 63)
#define PAGEMAP_SWAPPED		(1ULL << 62)
#define PAGEMAP_PFN_MASK	((1ULL << 55) - 1)

/* Pure decoding of a pagemap entry; unit-tested on the host. */
static inline bool page_idle_entry_present(uint64_t entry)
{
	return entry & PAGEMAP_PRESENT;
}

static inline bool page_idle_entry_swapped(uint64_t entry)
{
	return !(entry & PAGEMAP_PRESENT) && (entry & PAGEMAP_SWAPPED);
}

/* The PFN of a present entry, 0 if not present (or if not root). */
static inline uint64_t page_idle_entry_pfn(uint64_t entry)
{
	return page_idle_entry_present(entry) ? entry & PAGEMAP_PFN_MASK : 0;
}

/* Whether page_idle/bitmap and pagemap can be used (to skip if not). */
bool page_idle_available(void);

/* The pagemap entry of the page at @hva in this process. */
uint64_t page_idle_pagemap_entry(const void *hva);

/* The PFN of the page at @hva; asserts that the page is present. */
uint64_t page_idle_hva_to_pfn(const void *hva);

/*
 * page_idle_bitmap_read() and _write() only count whole 64-page chunks below
 * max_pfn: a PFN in the last, partial chunk of memory reads and writes as 0
 * bytes, so idle page tracking cannot be used for it (at most
 * PAGE_IDLE_CHUNK_PAGES - 1 PFNs).  The "__" variants report that.
 */
#define PAGE_IDLE_CHUNK_PAGES	64

/* Mark @pfn idle; false if the kernel cannot track it (see above). */
bool __page_idle_mark(uint64_t pfn);

/*
 * Mark the @nr pages of @pfns idle and assert that each reads idle right
 * after (else it is not on the LRU).  Returns how many of them the kernel
 * cannot track (see above), asserted to be fewer than PAGE_IDLE_CHUNK_PAGES.
 */
size_t page_idle_mark_all(const uint64_t *pfns, size_t nr);

/*
 * Whether @pfn is idle, not accessed since it was marked: 1 or 0, or -1 if
 * the kernel cannot track it (see above).
 */
int __page_idle_is_idle(uint64_t pfn);

/*
 * Put the pages of every per-CPU LRU batch on the LRU, so that idle page
 * tracking sees them, by writing 1 to /proc/sys/vm/drop_caches (which calls
 * lru_add_drain_all()).  A side effect on the whole system, which cannot
 * be undone: the clean page cache of every process is dropped.
 */
void drop_caches_drain_lru(void);

#endif /* SELFTEST_KVM_PAGE_IDLE_H */
