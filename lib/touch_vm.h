/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM with one vCPU whose guest touches chosen pages of a test area, for the
 * end-to-end access tracking tests (idle page tracking, MGLRU).
 *
 * The test area is its own memslot over anonymous host memory of the test
 * (4 KiB pages: MADV_NOHUGEPAGE), identity mapped in the guest.  On each
 * touch_vm_touch() the guest writes to every page of a pattern (natural
 * order, see access_pattern.h), dropping its own translation of the page
 * first so that the access reaches the secondary MMU, then reports back.
 *
 * touch_vm_create() runs the guest once, touching nothing, before it
 * returns: every page the guest needs besides the test area (code, stack,
 * page tables, ucall) is then faulted in and charged to the memcg the
 * process was in at that point.  A test that moves into a memcg after
 * touch_vm_create() gets only the test area charged there, as the guest
 * first touches it.
 */
#ifndef SELFTEST_KVM_TOUCH_VM_H
#define SELFTEST_KVM_TOUCH_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest test area, in pages. */
#define TOUCH_VM_MAX_PAGES	16384

struct touch_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	char *mem;		/* host mapping of the test area */
	size_t nr_pages;
	size_t page_size;
	bool owns_mem;		/* mem was mapped by touch_vm_create() */
};

struct touch_vm *touch_vm_create(size_t nr_pages);

/*
 * The same, with a choice of memory and layout.  @mem, if not NULL, is the
 * host memory of the test area (@nr_pages pages; the caller maps and unmaps
 * it, so several VMs can share it).  @split, if not 0, splits the area into
 * two memslots: its first @split pages at a guest address above the rest,
 * so the two memslots have different HVA-to-GPA offsets and their GPA
 * order is the reverse of their HVA order.  Pages are still numbered in
 * HVA order, patterns included.
 */
struct touch_vm *__touch_vm_create(size_t nr_pages, char *mem, size_t split);

void touch_vm_destroy(struct touch_vm *t);

/*
 * Run @vcpu until its guest's next GUEST_SYNC and return the value synced;
 * a guest assertion or any other exit fails the test (any other exit after
 * printing the vCPU's registers, for a triple fault's SHUTDOWN, and
 * calling vcpu_unexpected_exit_report if the test set it).
 */
uint64_t vcpu_run_to_sync(struct kvm_vcpu *vcpu);

/*
 * A test's own account of an unexpected exit (e.g. the exits it traced
 * before it: KVM resets an SVM vCPU at a SHUTDOWN, so its registers are
 * the reset state by then); NULL: none.
 */
extern void (*vcpu_unexpected_exit_report)(struct kvm_vcpu *vcpu);

/* Let the guest touch the pages of @pattern (@t->nr_pages bits). */
void touch_vm_touch(struct touch_vm *t, const unsigned long *pattern);

/* The host address of page @page of the test area. */
static inline void *touch_vm_hva(struct touch_vm *t, size_t page)
{
	return t->mem + page * t->page_size;
}

#endif /* SELFTEST_KVM_TOUCH_VM_H */
