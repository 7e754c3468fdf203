// SPDX-License-Identifier: GPL-2.0
/*
 * A VM whose guest touches chosen pages; see touch_vm.h.
 */
#include <string.h>
#include <sys/mman.h>
#include <linux/bitmap.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "access_pattern.h"
#include "guest_tlb.h"
#include "touch_vm.h"

/* Guest physical (and virtual) address of the test area, clear of slot 0. */
#define TOUCH_VM_GPA		0x40000000UL
#define TOUCH_VM_SLOT		1
/*
 * A split area: its first half at TOUCH_VM_SPLIT_GPA_FIRST, above its second
 * half at TOUCH_VM_GPA, each in a memslot of its own.
 */
#define TOUCH_VM_SPLIT_GPA_FIRST	0xc0000000UL
#define TOUCH_VM_SPLIT_SLOT		2

/* Guest copy of the pattern to touch, and the test area's layout. */
static unsigned long touch_vm_pattern[BITS_TO_LONGS(TOUCH_VM_MAX_PAGES)];
static uint64_t touch_vm_nr_pages;
static uint64_t touch_vm_page_size;
static uint64_t touch_vm_split;		/* pages of the first half, or 0 */

/* The guest address of page @page of the area. */
static uint64_t touch_vm_gva(uint64_t page)
{
	if (page < touch_vm_split)
		return TOUCH_VM_SPLIT_GPA_FIRST + page * touch_vm_page_size;
	return TOUCH_VM_GPA + (page - touch_vm_split) * touch_vm_page_size;
}

static void touch_vm_guest_code(void)
{
	uint64_t page, round = 0;

	for (;;) {
		round++;
		for (page = 0; page < touch_vm_nr_pages; page++) {
			uint64_t gva = touch_vm_gva(page);

			if (!test_bit(page, touch_vm_pattern))
				continue;
			guest_drop_translation(gva);
			WRITE_ONCE(*(uint64_t *)gva, round);
		}
		GUEST_SYNC(round);
	}
}

void (*vcpu_unexpected_exit_report)(struct kvm_vcpu *vcpu);

uint64_t vcpu_run_to_sync(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		return uc.args[1];
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		/* Where the guest was (e.g. a triple fault's SHUTDOWN): its registers. */
		fprintf(stderr, "vCPU %u: state at the unexpected exit:\n", vcpu->id);
		vcpu_dump(stderr, vcpu, 2);
		if (vcpu_unexpected_exit_report)
			vcpu_unexpected_exit_report(vcpu);
		TEST_FAIL("vCPU %u: unexpected exit %s, ucall %lu", vcpu->id,
			  exit_reason_str(vcpu->run->exit_reason), uc.cmd);
	}
	return 0;
}

void touch_vm_touch(struct touch_vm *t, const unsigned long *pattern)
{
	memcpy(touch_vm_pattern, pattern, BITS_TO_LONGS(t->nr_pages) * sizeof(long));
	sync_global_to_guest(t->vm, touch_vm_pattern);
	vcpu_run_to_sync(t->vcpu);
}

struct touch_vm *__touch_vm_create(size_t nr_pages, char *mem, size_t split)
{
	struct touch_vm *t = calloc(1, sizeof(*t));
	unsigned long none[BITS_TO_LONGS(TOUCH_VM_MAX_PAGES)] = {};
	size_t size;

	TEST_ASSERT(t, "calloc()");
	TEST_ASSERT(nr_pages && nr_pages <= TOUCH_VM_MAX_PAGES,
		    "The test area has 1 to %d pages, not %zu", TOUCH_VM_MAX_PAGES, nr_pages);
	TEST_ASSERT(split < nr_pages, "A split area needs pages on both sides, not %zu of %zu",
		    split, nr_pages);
	t->nr_pages = nr_pages;
	t->page_size = getpagesize();

	/* Page tables for the test area: one per 512 pages, and the levels above. */
	t->vm = __vm_create_with_one_vcpu(&t->vcpu, nr_pages / 512 + 16, touch_vm_guest_code);
	TEST_ASSERT_EQ(t->vm->page_size, t->page_size);

	size = nr_pages * t->page_size;
	if (mem) {
		t->mem = mem;
	} else {
		t->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		TEST_ASSERT(t->mem != MAP_FAILED, "mmap(%zu)", size);
		TEST_ASSERT(!madvise(t->mem, size, MADV_NOHUGEPAGE), "madvise(MADV_NOHUGEPAGE)");
		t->owns_mem = true;
	}
	if (split) {
		vm_set_user_memory_region(t->vm, TOUCH_VM_SPLIT_SLOT, 0, TOUCH_VM_SPLIT_GPA_FIRST,
					  split * t->page_size, t->mem);
		virt_map(t->vm, TOUCH_VM_SPLIT_GPA_FIRST, TOUCH_VM_SPLIT_GPA_FIRST, split);
	}
	vm_set_user_memory_region(t->vm, TOUCH_VM_SLOT, 0, TOUCH_VM_GPA,
				  size - split * t->page_size, t->mem + split * t->page_size);
	virt_map(t->vm, TOUCH_VM_GPA, TOUCH_VM_GPA, nr_pages - split);

	touch_vm_nr_pages = nr_pages;
	touch_vm_page_size = t->page_size;
	touch_vm_split = split;
	sync_global_to_guest(t->vm, touch_vm_nr_pages);
	sync_global_to_guest(t->vm, touch_vm_page_size);
	sync_global_to_guest(t->vm, touch_vm_split);

	/* Fault in everything but the test area, in the current memcg. */
	touch_vm_touch(t, none);
	return t;
}

struct touch_vm *touch_vm_create(size_t nr_pages)
{
	return __touch_vm_create(nr_pages, NULL, 0);
}

void touch_vm_destroy(struct touch_vm *t)
{
	kvm_vm_free(t->vm);
	if (t->owns_mem)
		munmap(t->mem, t->nr_pages * t->page_size);
	free(t);
}
