/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A swap device of the test's own on a new zram device, so that the
 * multi-gen LRU ages and evicts anon pages (without swap it leaves them
 * alone) on machines with no swap, and the test knows where they go.
 */
#ifndef SELFTEST_KVM_ZRAM_SWAP_H
#define SELFTEST_KVM_ZRAM_SWAP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Add a zram device of @size bytes, write a swap header to it and swapon it.
 * Returns 0, or a reason why it cannot be done on this machine (no zram,
 * no swap support), to skip with; asserts on other failures.  The device
 * is swapped off and removed at exit if zram_swap_remove() was not called.
 */
const char *__zram_swap_add(size_t size);

/* Swap off and remove the device added by __zram_swap_add(), if any. */
void zram_swap_remove(void);

/*
 * Write the swap header (version 1, no bad pages) of a device of @size bytes
 * into @page, of @page_size bytes: what mkswap writes, which busybox may not
 * have.  Pure, for the host unit tests.
 */
static inline void zram_swap_header(void *page, size_t page_size, size_t size)
{
	/* struct swap_header's info part, after 1024 bytes of boot bits */
	uint32_t *info = (uint32_t *)((char *)page + 1024);

	memset(page, 0, page_size);
	info[0] = 1;				/* version */
	info[1] = size / page_size - 1;		/* last_page */
	info[2] = 0;				/* nr_badpages */
	memcpy((char *)page + page_size - 10, "SWAPSPACE2", 10);
}

#endif /* SELFTEST_KVM_ZRAM_SWAP_H */
