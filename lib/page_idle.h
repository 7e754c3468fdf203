/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Idle page tracking helpers: marking and reading the idle bit of a PFN
 * (pagemap_hva_to_pfn() of pagemap.h gives it) through
 * /sys/kernel/mm/page_idle/bitmap (Documentation/admin-guide/mm/idle_page_tracking.rst).
 *
 * Idle page tracking only sees folios on the LRU: pages still in a per-CPU
 * LRU batch are neither marked nor reported.  drop_caches_drain_lru() of
 * kernel_file.h puts them on the LRU.
 */
#ifndef SELFTEST_KVM_PAGE_IDLE_H
#define SELFTEST_KVM_PAGE_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_IDLE_BITMAP_PATH	"/sys/kernel/mm/page_idle/bitmap"

/* Whether page_idle/bitmap and pagemap can be used (to skip if not). */
bool page_idle_available(void);

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

#endif /* SELFTEST_KVM_PAGE_IDLE_H */
