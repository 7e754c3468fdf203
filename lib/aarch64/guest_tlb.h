/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64 guest TLB helper of the aging selftests.
 */
#ifndef SELFTEST_KVM_AARCH64_GUEST_TLB_H
#define SELFTEST_KVM_AARCH64_GUEST_TLB_H

#include <stdint.h>

/*
 * Guest side: drop the guest's own cached translation of @gva before
 * touching it.  Clearing accessed bits does not flush TLBs, so an access
 * served from a cached translation sets no accessed bit in the secondary
 * MMU; after this, the access walks the page tables again and is seen.
 * TLBI VAAE1IS: by VA, all ASIDs, Inner Shareable; the VA field is bits
 * [55:12] of @gva, shifted down by 12.
 */
static inline void guest_drop_translation(uint64_t gva)
{
	asm volatile("dsb ishst\n\t"
		     "tlbi vaae1is, %0\n\t"
		     "dsb ish\n\t"
		     "isb"
		     : : "r"(gva >> 12) : "memory");
}

#endif /* SELFTEST_KVM_AARCH64_GUEST_TLB_H */
