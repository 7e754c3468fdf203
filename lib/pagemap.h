/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/self/pagemap helpers (Documentation/admin-guide/mm/pagemap.rst):
 * whether a page of this process is resident, swapped out, its PFN, and
 * what /proc/kpageflags says of that PFN.
 */
#ifndef SELFTEST_KVM_PAGEMAP_H
#define SELFTEST_KVM_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGEMAP_PATH		"/proc/self/pagemap"
#define KPAGEFLAGS_PATH		"/proc/kpageflags"

/* Fields of a pagemap entry. */
#define PAGEMAP_PRESENT		(1ULL << 63)
#define PAGEMAP_SWAPPED		(1ULL << 62)
#define PAGEMAP_PFN_MASK	((1ULL << 55) - 1)

/* Pure decoding of a pagemap entry; unit-tested on the host. */
static inline bool pagemap_present(uint64_t entry)
{
	return entry & PAGEMAP_PRESENT;
}

static inline bool pagemap_swapped(uint64_t entry)
{
	return !(entry & PAGEMAP_PRESENT) && (entry & PAGEMAP_SWAPPED);
}

/* The PFN of a present entry, 0 if not present (or if not root). */
static inline uint64_t pagemap_pfn(uint64_t entry)
{
	return pagemap_present(entry) ? entry & PAGEMAP_PFN_MASK : 0;
}

/* The pagemap entry of the page at @hva in this process. */
uint64_t pagemap_entry(const void *hva);

/* The PFN of the page at @hva; asserts that the page is present. */
uint64_t pagemap_hva_to_pfn(const void *hva);

/*
 * Whether the @size bytes at @hva (resident, 2 MiB aligned) are 2 MiB
 * transparent huge pages: for each 2 MiB, one THP (KPF_THP of
 * /proc/kpageflags) of 2 MiB-aligned, contiguous PFNs.  Root only.
 */
bool pagemap_is_thp_2mb(const void *hva, size_t size);

/*
 * Check the residency of the pages selected in @select (NULL: all) among
 * the @nr pages at @hva, @page_size apart: each should be resident if
 * @want_resident, else evicted.  Prints the first few pages that are not,
 * naming them after @what (NULL: prints nothing), and returns their number.
 */
size_t pagemap_check_resident(const void *hva, size_t page_size, size_t nr,
			      const unsigned long *select, bool want_resident,
			      const char *what);

#endif /* SELFTEST_KVM_PAGEMAP_H */
