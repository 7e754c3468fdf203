/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86_64 guest TLB helper of the aging selftests.
 */
#ifndef SELFTEST_KVM_X86_64_GUEST_TLB_H
#define SELFTEST_KVM_X86_64_GUEST_TLB_H

#include <stdint.h>

/*
 * Guest side: drop the guest's own cached translation of @gva before
 * touching it.  Clearing accessed bits does not flush TLBs, so an access
 * served from a cached translation sets no accessed bit in the secondary
 * MMU; after this, the access walks the page tables again and is seen.
 */
static inline void guest_drop_translation(uint64_t gva)
{
	asm volatile("invlpg (%0)" : : "r"(gva) : "memory");
}

#endif /* SELFTEST_KVM_X86_64_GUEST_TLB_H */
