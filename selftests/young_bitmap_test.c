// SPDX-License-Identifier: GPL-2.0
/*
 * young_bitmap_test: the exact semantics of the MMU notifier's test_young and
 * clear_young, with and without a bitmap, as KVM answers them.
 *
 * The guest touches its test pages in known patterns, dropping its own
 * translation of each page first so that every access reaches the secondary
 * MMU (clear_young does not flush TLBs).  The host then calls
 * mmu_notifier_{test,clear}_young[_bitmap]() on its own mm through the test
 * driver /dev/test_mmu_notifier_young (CONFIG_TEST_MMU_NOTIFIER_YOUNG) and
 * compares the result mask and the bitmap, bit by bit, with a model of the
 * secondary MMU's accessed state.
 *
 * The model tracks one accessed bit per secondary mapping ("granule"): one
 * page for 4 KiB mappings, 512 pages for the 2 MiB mappings KVM uses for THP
 * and hugetlb backing.  A test sets the bit of every page of a young granule
 * that lies inside the range; a clear ages a granule iff at least one of its
 * pages inside the range is selected; nothing outside the range is ever read
 * or written (the driver's copy of the bitmap has guard bits after the range,
 * clear for a test and set for a clear, and any of them changed is reported
 * as a stray bit; a clear that reads them ages a mapping nothing selected).
 *
 * The test area is 16 MiB (the driver's maximum of 4096 pages) of one host
 * mapping, laid out as four 4 MiB regions: memslot A, memslot B, a hole with
 * no memslot, memslot C.  Ranges cross slot boundaries, run into the hole,
 * cover the whole area, start in the middle of huge mappings, and shrink to
 * a single page.  Each backing runs every case: by default anonymous memory
 * (4 KiB), anonymous_thp, anonymous_hugetlb_2mb (KVM maps 2 MiB), and THP with
 * dirty logging, which makes KVM map 4 KiB; -s picks backings the memstress
 * way (vm_mem_backing_src_type), -l turns dirty logging on.
 *
 * Where KVM has a fast path (x86 with the TDP MMU, arm64), results carry
 * MMU_NOTIFIER_YOUNG_FAST.  Where it has none (x86 with kvm.tdp_mmu=0 or
 * kvm_amd.npt=0), every bitmap call must return exactly
 * MMU_NOTIFIER_YOUNG_BITMAP_UNRELIABLE, and the state is observed and aged
 * through the plain per-page calls instead, as MGLRU falls back to them.
 *
 * Last, a concurrency case keeps a vCPU touching memory while host threads
 * test and clear with bitmaps and a memslot comes and goes, and checks after
 * every clear that the next access is seen.  Run it on a debug kernel
 * (lockdep, DEBUG_VM) to catch locking bugs of the lockless walks.
 *
 * Limits: one VM at a time; 4 KiB base pages; 1 GiB mappings are not tested.
 *
 * Needs: root (the driver, /proc/kpageflags); for the hugetlb backing, 8
 * free 2 MiB hugetlb pages (echo 8 > /proc/sys/vm/nr_hugepages), or its
 * cases skip.
 *
 * System state it changes: none.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/bitmap.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "access_pattern.h"
#include "guest_tlb.h"
#include "kernel_expect.h"
#include "pagemap.h"
#include "tmny.h"
#include "touch_vm.h"

#ifdef HAVE_TMNY_UAPI

/* The base page size this test is written for (see the limits above). */
#define TEST_PAGE_SIZE		4096UL

/* Layout of the test area, in 4 KiB pages: four regions of 4 MiB. */
#define REGION_PAGES		1024
#define AREA_PAGES		(4 * REGION_PAGES)
#define SLOT_A_FIRST		(0 * REGION_PAGES)
#define SLOT_B_FIRST		(1 * REGION_PAGES)
#define HOLE_FIRST		(2 * REGION_PAGES)
#define SLOT_C_FIRST		(3 * REGION_PAGES)
#define HUGE_PAGES		512	/* 4 KiB pages per 2 MiB mapping */
#define HUGE_SIZE		(HUGE_PAGES * TEST_PAGE_SIZE)

/* Memslot ids, well clear of the ones kvm_util uses. */
#define SLOT_A			10
#define SLOT_B			11
#define SLOT_C			12
#define SLOT_HOLE		13	/* only while the concurrency case runs */

/* Guest physical (and, identity-mapped, guest virtual) base of the area. */
#define TEST_GPA		(1ULL << 30)

#define BITMAP_WORDS		BITS_TO_LONGS(AREA_PAGES)

kvm_static_assert(AREA_PAGES == TMNY_MAX_PAGES, "the area is the largest range");
kvm_static_assert(sizeof(unsigned long) == sizeof(__u64), "bitmaps are __u64 arrays");

/* Pages the guest touches on its next run (natural order over the area). */
static unsigned long guest_pattern[BITMAP_WORDS];
/* Write rather than read when touching (the dirty logging backing). */
static bool guest_write;
/* Set by the host to end vCPU 1's endless loop over slot B. */
static bool guest_stop;

/*
 * A backing of the test area: its memory (-s, as the memstress tests take
 * it) and whether dirty logging is on, which makes KVM map 4 KiB.
 */
struct backing {
	enum vm_mem_backing_src_type src;
	bool dirty_log;
};

/* Without -s: every kind of mapping KVM ages. */
static const struct backing default_backings[] = {
	{ VM_MEM_SRC_ANONYMOUS },
	{ VM_MEM_SRC_ANONYMOUS_THP },
	{ VM_MEM_SRC_ANONYMOUS_HUGETLB_2MB },
	{ VM_MEM_SRC_ANONYMOUS_THP, .dirty_log = true },
};

/* The VM under test and what the test knows about its memory. */
struct test_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[2];
	const struct backing *backing;
	char *mem;		/* host address of page 0 of the area */
	void *map;		/* the whole mapping, for munmap() */
	size_t map_size;
	size_t granule;		/* pages per secondary mapping */
	bool young[AREA_PAGES];	/* the model, per granule (indexed by its first page) */
};

/* The test driver, /dev/test_mmu_notifier_young. */
static int tmny_fd = -1;
/* Whether KVM answers bitmap calls (fast path) on this host. */
static bool fast_path;
/* Whether KVM uses 2 MiB mappings for 2 MiB host pages on this host. */
static bool huge_mappings;
/* Seed of the random patterns and selections, printed. */
static uint32_t seed = 1;
/* How long the concurrency case runs, in seconds. */
static int stress_seconds = 2;
/* Whether the current case has failed (checks keep going, to show all). */
static bool case_failed;
/* Whether the current case could not run here (it said why). */
static bool case_skipped;

/* Report a failed check of the current case and keep going. */
#define CHECK(cond, fmt, ...)							\
({										\
	bool __ok = (cond);							\
										\
	if (!__ok) {								\
		ksft_print_msg("%s:%d: " fmt "\n", __FILE__, __LINE__,		\
			       ##__VA_ARGS__);					\
		case_failed = true;						\
	}									\
	__ok;									\
})

static bool page_in_slot(size_t page)
{
	return page < HOLE_FIRST || page >= SLOT_C_FIRST;
}

static size_t granule_of(struct test_vm *t, size_t page)
{
	return page - page % t->granule;
}

static bool model_young(struct test_vm *t, size_t page)
{
	return page_in_slot(page) && t->young[granule_of(t, page)];
}

static uint64_t area_hva(struct test_vm *t, size_t page)
{
	return (uint64_t)(uintptr_t)(t->mem + page * TEST_PAGE_SIZE);
}

static void guest_code(uint64_t id)
{
	uint64_t page, gva;

	for (;;) {
		if (id == 0) {
			for (page = 0; page < AREA_PAGES; page++) {
				if (!test_bit(page, guest_pattern))
					continue;
				gva = TEST_GPA + page * TEST_PAGE_SIZE;
				guest_drop_translation(gva);
				if (guest_write)
					WRITE_ONCE(*(uint64_t *)gva, page);
				else
					(void)READ_ONCE(*(uint64_t *)gva);
			}
		} else {
			while (!READ_ONCE(guest_stop)) {
				for (page = SLOT_B_FIRST; page < HOLE_FIRST; page++) {
					gva = TEST_GPA + page * TEST_PAGE_SIZE;
					guest_drop_translation(gva);
					(void)READ_ONCE(*(uint64_t *)gva);
				}
			}
		}
		GUEST_SYNC(id);
	}
}

/* Driver calls: return the result mask, or -errno. */
static int __tmny(unsigned long cmd, uint64_t start, uint64_t end,
		  unsigned long *bitmap, struct tmny_args *out)
{
	return __tmny_call(tmny_fd, cmd, start, end, bitmap, out);
}

static int tmny(unsigned long cmd, uint64_t start, uint64_t end,
		unsigned long *bitmap, uint64_t *stray_bits)
{
	struct tmny_args args = {};
	int r;

	r = __tmny(cmd, start, end, bitmap, &args);
	TEST_ASSERT(r >= 0, "ioctl(0x%lx) on [0x%lx, 0x%lx) failed: %s",
		    cmd, start, end, strerror(-r));
	TEST_ASSERT(!(r & ~(TMNY_YOUNG | TMNY_YOUNG_FAST | TMNY_YOUNG_BITMAP_UNRELIABLE)),
		    "Unknown bits in result 0x%x", r);
	if (stray_bits)
		*stray_bits = args.stray_bits;
	return r;
}

/* The result mask a reliable call returns when it found @young pages. */
static int young_result(bool young)
{
	if (!young)
		return 0;
	return fast_path ? TMNY_YOUNG | TMNY_YOUNG_FAST : TMNY_YOUNG;
}

/* Run vCPU @id until it reports back. */
static void run_vcpu(struct test_vm *t, int id)
{
	TEST_ASSERT_EQ(vcpu_run_to_sync(t->vcpus[id]), id);
}

/*
 * Make vCPU 0 touch @pattern (natural order over the area; pages outside the
 * memslots are left out) and update the model.
 */
static void guest_touch(struct test_vm *t, const unsigned long *pattern)
{
	size_t page;

	for (page = 0; page < AREA_PAGES; page++) {
		if (test_bit(page, pattern) && page_in_slot(page))
			__set_bit(page, guest_pattern);
		else
			__clear_bit(page, guest_pattern);
	}
	sync_global_to_guest(t->vm, guest_pattern);
	run_vcpu(t, 0);

	for (page = 0; page < AREA_PAGES; page++) {
		if (test_bit(page, guest_pattern))
			t->young[granule_of(t, page)] = true;
	}
}

/* Age [first, first + nr) with one plain clear_young: the model is all old. */
static void age_range(struct test_vm *t, size_t first, size_t nr)
{
	bool young = false;
	size_t page;
	int r;

	for (page = first; page < first + nr; page++)
		young |= model_young(t, page);

	r = tmny(TMNY_CLEAR_YOUNG, area_hva(t, first), area_hva(t, first + nr), NULL, NULL);
	CHECK(r == young_result(young), "clear_young of pages [%zu, %zu) returned 0x%x, expected 0x%x",
	      first, first + nr, r, young_result(young));
	for (page = first; page < first + nr; page++)
		t->young[granule_of(t, page)] = false;
}

/* Print the first few pages where @got and the model disagree. */
static void report_mismatches(struct test_vm *t, const char *what, size_t first,
			      size_t nr, const bool *got)
{
	size_t i, shown = 0, total = 0;

	for (i = 0; i < nr; i++) {
		if (got[i] == model_young(t, first + i))
			continue;
		if (shown++ < 8)
			ksft_print_msg("  %s: page %zu (slot page %zu%s): got %s, expected %s\n",
				       what, first + i, (first + i) % REGION_PAGES,
				       page_in_slot(first + i) ? "" : ", hole",
				       got[i] ? "young" : "old",
				       model_young(t, first + i) ? "young" : "old");
		total++;
	}
	CHECK(!total, "%s: %zu of %zu pages differ from the model", what, total, nr);
}

/*
 * Check the accessed state of pages [first, first + nr) against the model.
 * With a fast path, through one test_young with a bitmap: every bit, the
 * result mask, no stray bit.  Without one, the bitmap call must say it is
 * unreliable and the state is read one page at a time with plain calls.
 */
static void observe(struct test_vm *t, const char *what, size_t first, size_t nr)
{
	unsigned long bitmap[BITMAP_WORDS];
	bool got[AREA_PAGES], any = false;
	uint64_t stray;
	size_t i;
	int r;

	for (i = 0; i < nr; i++)
		any |= model_young(t, first + i);

	memset(bitmap, 0, sizeof(bitmap));
	r = tmny(TMNY_TEST_YOUNG_BITMAP, area_hva(t, first), area_hva(t, first + nr),
		 bitmap, &stray);
	CHECK(!stray, "%s: test_young set %lu bits past the end of the range", what, stray);

	if (fast_path) {
		CHECK(r == young_result(any), "%s: test_young(bitmap) returned 0x%x, expected 0x%x",
		      what, r, young_result(any));
		for (i = 0; i < nr; i++)
			got[i] = test_bit(young_bitmap_index(nr, i), bitmap);
		report_mismatches(t, what, first, nr, got);
		return;
	}

	CHECK(r == TMNY_YOUNG_BITMAP_UNRELIABLE,
	      "%s: test_young(bitmap) without a fast path returned 0x%x, expected 0x%x",
	      what, r, TMNY_YOUNG_BITMAP_UNRELIABLE);
	for (i = 0; i < nr; i++) {
		r = tmny(TMNY_TEST_YOUNG, area_hva(t, first + i), area_hva(t, first + i + 1),
			 NULL, NULL);
		CHECK(r == TMNY_YOUNG || r == 0, "%s: plain test_young returned 0x%x", what, r);
		got[i] = r & TMNY_YOUNG;
	}
	report_mismatches(t, what, first, nr, got);
}

/*
 * Age the pages of [first, first + nr) that @select (natural order, relative
 * to @first) selects, and update the model: a granule is aged iff one of its
 * pages inside the range is selected.  Without a fast path the bitmap call
 * must say it is unreliable, and the selected pages are aged one by one with
 * plain calls, as MGLRU falls back to them.
 */
static void clear_selected(struct test_vm *t, const char *what, size_t first, size_t nr,
			   const unsigned long *select)
{
	unsigned long bitmap[BITMAP_WORDS];
	bool aged[AREA_PAGES] = { false };
	bool was_young = false;
	uint64_t stray;
	size_t i, g;
	int r, plain = 0;

	memset(bitmap, 0, sizeof(bitmap));
	for (i = 0; i < nr; i++) {
		if (!test_bit(i, select))
			continue;
		__set_bit(young_bitmap_index(nr, i), bitmap);
		if (page_in_slot(first + i))
			aged[granule_of(t, first + i)] = true;
	}
	for (g = 0; g < AREA_PAGES; g++)
		was_young |= aged[g] && t->young[g];

	r = tmny(TMNY_CLEAR_YOUNG_BITMAP, area_hva(t, first), area_hva(t, first + nr),
		 bitmap, &stray);
	CHECK(!stray, "%s: clear_young set %lu bits past the end of the range", what, stray);
	if (fast_path) {
		CHECK(r == young_result(was_young),
		      "%s: clear_young(bitmap) returned 0x%x, expected 0x%x",
		      what, r, young_result(was_young));
	} else {
		CHECK(r == TMNY_YOUNG_BITMAP_UNRELIABLE,
		      "%s: clear_young(bitmap) without a fast path returned 0x%x, expected 0x%x",
		      what, r, TMNY_YOUNG_BITMAP_UNRELIABLE);
		for (i = 0; i < nr; i++) {
			if (test_bit(i, select))
				plain |= tmny(TMNY_CLEAR_YOUNG, area_hva(t, first + i),
					      area_hva(t, first + i + 1), NULL, NULL);
		}
		CHECK(plain == young_result(was_young),
		      "%s: plain clear_young of the selected pages returned 0x%x, expected 0x%x",
		      what, plain, young_result(was_young));
	}

	for (g = 0; g < AREA_PAGES; g++) {
		if (aged[g])
			t->young[g] = false;
	}
}

/*
 * One range case: from an all-old state, the guest touches @pattern over
 * [first, first + nr); test reports exactly the young pages; clear ages
 * exactly the granules @select picks; test again shows the rest still
 * young; the whole area is then checked so that nothing outside the range
 * was aged.
 */
static void check_range(struct test_vm *t, size_t first, size_t nr,
			const unsigned long *pattern, const unsigned long *select)
{
	unsigned long touch[BITMAP_WORDS] = { 0 };
	size_t i;

	for (i = 0; i < nr; i++) {
		if (test_bit(i, pattern))
			__set_bit(first + i, touch);
	}

	age_range(t, 0, AREA_PAGES);
	observe(t, "after aging", 0, AREA_PAGES);
	guest_touch(t, touch);
	observe(t, "after touching", first, nr);
	clear_selected(t, "clear", first, nr, select);
	observe(t, "after clearing", first, nr);
	observe(t, "whole area after clearing", 0, AREA_PAGES);
}

/* Cases over memslot A with each access pattern; the selection is random. */
static void case_pattern(struct test_vm *t, enum access_pattern pattern)
{
	unsigned long touch[BITMAP_WORDS], select[BITMAP_WORDS];

	access_pattern_fill(touch, REGION_PAGES, pattern, seed);
	access_pattern_fill(select, REGION_PAGES, PATTERN_RANDOM, seed + 1);
	check_range(t, SLOT_A_FIRST, REGION_PAGES, touch, select);
}

/* A range case with a random pattern and selection over [first, first + nr). */
static void case_random_range(struct test_vm *t, size_t first, size_t nr)
{
	unsigned long touch[BITMAP_WORDS], select[BITMAP_WORDS];

	access_pattern_fill(touch, nr, PATTERN_RANDOM, seed + first);
	access_pattern_fill(select, nr, PATTERN_RANDOM, seed + first + nr);
	check_range(t, first, nr, touch, select);
}

/* Every page touched; the selection is the first page only, then nothing. */
static void case_select_one(struct test_vm *t)
{
	unsigned long touch[BITMAP_WORDS], select[BITMAP_WORDS];

	access_pattern_fill(touch, REGION_PAGES, PATTERN_ALL, seed);
	access_pattern_fill(select, REGION_PAGES, PATTERN_FIRST, seed);
	check_range(t, SLOT_B_FIRST, REGION_PAGES, touch, select);
	access_pattern_fill(select, REGION_PAGES, PATTERN_NONE, seed);
	check_range(t, SLOT_B_FIRST, REGION_PAGES, touch, select);
}

/*
 * A range that starts and ends in the middle of 2 MiB mappings, every page
 * touched, and clears that select the range's pages of one of the two
 * mappings only: the other mapping, none of whose pages inside the range is
 * selected, must stay young.  The driver passes the bits past the range set
 * to a clear (as stale bits), so a callee that reads the bits of a mapping's
 * pages before the range ages the first mapping here.  With 4 KiB mappings
 * this is a plain selection of half the range.
 */
static void case_half_mapping_selected(struct test_vm *t)
{
	unsigned long touch[BITMAP_WORDS], select[BITMAP_WORDS];
	size_t first = SLOT_A_FIRST + HUGE_PAGES / 2, nr = HUGE_PAGES, i;

	access_pattern_fill(touch, nr, PATTERN_ALL, seed);
	/* The second mapping's pages of the range, then the first mapping's. */
	bitmap_zero(select, nr);
	for (i = HUGE_PAGES / 2; i < nr; i++)
		__set_bit(i, select);
	check_range(t, first, nr, touch, select);
	bitmap_zero(select, nr);
	for (i = 0; i < HUGE_PAGES / 2; i++)
		__set_bit(i, select);
	check_range(t, first, nr, touch, select);
}

/* One page: touched, then untouched; bit 0 is that page. */
static void case_one_page(struct test_vm *t)
{
	unsigned long touch[1], select[1];

	access_pattern_fill(touch, 1, PATTERN_ALL, seed);
	access_pattern_fill(select, 1, PATTERN_ALL, seed);
	check_range(t, SLOT_C_FIRST + 7, 1, touch, select);
	access_pattern_fill(touch, 1, PATTERN_NONE, seed);
	check_range(t, SLOT_C_FIRST + 7, 1, touch, select);
}

/*
 * The plain calls behave as in 6.12: test_young tests one page, clear_young
 * ages the whole range.
 */
static void case_plain(struct test_vm *t)
{
	unsigned long touch[BITMAP_WORDS];
	size_t first = SLOT_A_FIRST + 256, nr = REGION_PAGES, page;
	bool young;
	int r;

	access_pattern_fill(touch, AREA_PAGES, PATTERN_TRIANGULAR, seed);
	age_range(t, 0, AREA_PAGES);
	guest_touch(t, touch);
	for (page = SLOT_A_FIRST; page < SLOT_B_FIRST + 64; page++) {
		r = tmny(TMNY_TEST_YOUNG, area_hva(t, page), area_hva(t, page + 1), NULL, NULL);
		CHECK(r == young_result(model_young(t, page)),
		      "plain test_young(page %zu) returned 0x%x, expected 0x%x",
		      page, r, young_result(model_young(t, page)));
	}

	young = false;
	for (page = first; page < first + nr; page++)
		young |= model_young(t, page);
	r = tmny(TMNY_CLEAR_YOUNG, area_hva(t, first), area_hva(t, first + nr), NULL, NULL);
	CHECK(r == young_result(young), "plain clear_young returned 0x%x, expected 0x%x",
	      r, young_result(young));
	for (page = first; page < first + nr; page++)
		t->young[granule_of(t, page)] = false;
	observe(t, "whole area after a plain clear", 0, AREA_PAGES);
}

/* Bad input to the driver: each gets its errno, none reaches a notifier. */
struct bad_input {
	const char *name;
	unsigned long cmd;
	int64_t start, end;	/* in pages from the area's start */
	int bitmap;		/* 0: none, 1: valid, 2: bad pointer, 3: tail bits set */
	uint32_t flags;
	bool bad_args;		/* pass a bad pointer as the argument struct */
	int err;
};

static const struct bad_input bad_inputs[] = {
	{ "unaligned_start", TMNY_CLEAR_YOUNG, -1, 8, .err = EINVAL },
	{ "unaligned_end", TMNY_CLEAR_YOUNG, 0, -1, .err = EINVAL },
	{ "empty_range", TMNY_CLEAR_YOUNG, 8, 8, .err = EINVAL },
	{ "reversed_range", TMNY_TEST_YOUNG_BITMAP, 8, 0, 1, .err = EINVAL },
	{ "oversized_range", TMNY_TEST_YOUNG_BITMAP, 0, TMNY_MAX_PAGES + 1, 1, .err = EINVAL },
	{ "range_past_user_space", TMNY_CLEAR_YOUNG, -2, -2, .err = EINVAL },
	{ "plain_test_of_two_pages", TMNY_TEST_YOUNG, 0, 2, .err = EINVAL },
	{ "bitmap_call_without_bitmap", TMNY_CLEAR_YOUNG_BITMAP, 0, 8, 0, .err = EINVAL },
	{ "plain_call_with_bitmap", TMNY_CLEAR_YOUNG, 0, 8, 1, .err = EINVAL },
	{ "unknown_flags", TMNY_TEST_YOUNG_BITMAP, 0, 8, 1, 0x1, .err = EINVAL },
	{ "unknown_command", _IOWR('Y', 0x7f, struct tmny_args), 0, 8, .err = ENOTTY },
	{ "selection_past_the_range", TMNY_CLEAR_YOUNG_BITMAP, 0, 8, 3, .err = EINVAL },
	{ "bad_bitmap_pointer_test", TMNY_TEST_YOUNG_BITMAP, 0, 8, 2, .err = EFAULT },
	{ "bad_bitmap_pointer_clear", TMNY_CLEAR_YOUNG_BITMAP, 0, 8, 2, .err = EFAULT },
	{ "bad_argument_pointer", TMNY_TEST_YOUNG_BITMAP, 0, 8, 1, .bad_args = true, .err = EFAULT },
};

static void case_bad_input(struct test_vm *t, const struct bad_input *in)
{
	unsigned long bitmap[BITMAP_WORDS] = { 0 };
	struct tmny_args args = { .flags = in->flags };
	int r;

	/* -1: a page-unaligned address inside the area; -2: past user space. */
	args.start = in->start == -1 ? area_hva(t, 0) + 64 :
		     in->start == -2 ? 0xfff0000000000000ULL : area_hva(t, in->start);
	args.end = in->end == -1 ? area_hva(t, 8) + 64 :
		   in->end == -2 ? 0xfff0000000001000ULL : area_hva(t, in->end);
	if (in->bitmap == 1)
		args.bitmap = (uint64_t)(uintptr_t)bitmap;
	else if (in->bitmap == 2)
		args.bitmap = 8;	/* never mapped */
	else if (in->bitmap == 3) {
		bitmap[0] = 1UL << 8;	/* bit 8 of an 8-page range */
		args.bitmap = (uint64_t)(uintptr_t)bitmap;
	}

	r = ioctl(tmny_fd, in->cmd, in->bad_args ? (void *)8 : (void *)&args);
	CHECK(r == -1 && errno == in->err, "%s: ioctl returned %d (%s), expected %s",
	      in->name, r, r ? strerror(errno) : "success", strerror(in->err));
}

/* The concurrency case's host threads. */
struct stress {
	struct test_vm *t;
	int id;
	pthread_t thread;
	uint64_t calls;
};

static bool stress_stop;

/* Test and clear random ranges of [slot B, end of area) with random bitmaps. */
static void *stress_notifier(void *arg)
{
	struct stress *s = arg;
	struct guest_random_state rng = new_guest_random_state(seed + s->id);
	unsigned long bitmap[BITMAP_WORDS];
	size_t first, nr, i;
	uint64_t stray;
	int r;

	while (!READ_ONCE(stress_stop)) {
		first = SLOT_B_FIRST + guest_random_u32(&rng) % (AREA_PAGES - SLOT_B_FIRST);
		nr = 1 + guest_random_u32(&rng) % (AREA_PAGES - first);
		for (i = 0; i < BITMAP_WORDS; i++)
			bitmap[i] = guest_random_u64(&rng);
		if (nr % BITS_PER_LONG)
			bitmap[nr / BITS_PER_LONG] &= BITMAP_LAST_WORD_MASK(nr);

		r = tmny(s->calls & 1 ? TMNY_CLEAR_YOUNG_BITMAP : TMNY_TEST_YOUNG_BITMAP,
			 area_hva(s->t, first), area_hva(s->t, first + nr), bitmap, &stray);
		TEST_ASSERT(!stray, "Stray bits under stress");
		TEST_ASSERT(!fast_path || !(r & TMNY_YOUNG_BITMAP_UNRELIABLE),
			    "A bitmap call with a fast path returned 0x%x", r);
		s->calls++;
	}
	return NULL;
}

/* Add and remove a memslot over the hole. */
static void *stress_memslots(void *arg)
{
	struct stress *s = arg;
	struct test_vm *t = s->t;

	while (!READ_ONCE(stress_stop)) {
		vm_set_user_memory_region(t->vm, SLOT_HOLE, 0, TEST_GPA + HOLE_FIRST * TEST_PAGE_SIZE,
					  REGION_PAGES * TEST_PAGE_SIZE, t->mem + HOLE_FIRST * TEST_PAGE_SIZE);
		vm_set_user_memory_region(t->vm, SLOT_HOLE, 0, TEST_GPA + HOLE_FIRST * TEST_PAGE_SIZE,
					  0, t->mem + HOLE_FIRST * TEST_PAGE_SIZE);
		s->calls++;
	}
	return NULL;
}

/* vCPU 1 touches slot B until told to stop. */
static void *stress_vcpu(void *arg)
{
	struct stress *s = arg;

	run_vcpu(s->t, 1);
	return NULL;
}

/*
 * While vCPU 1 touches slot B, two threads test and clear random ranges of
 * slot B, the hole and slot C with random bitmaps, and a thread adds and
 * removes a memslot over the hole, slot A goes through rounds of aging,
 * touching a random pattern and testing: every access made after a clear
 * must be reported by the next test, whatever runs beside it.
 */
static void case_concurrency(struct test_vm *t)
{
	struct stress s[4] = { { t, 0 }, { t, 1 }, { t, 2 }, { t, 3 } };
	unsigned long touch[BITMAP_WORDS] = { 0 };
	struct timespec start;
	int rounds = 0, i;

#ifdef __x86_64__
	/*
	 * By default x86 zaps every SPTE of the VM when a memslot is deleted,
	 * and with them the accessed state of slot A; make it zap only the
	 * deleted memslot's.
	 */
	if (!(kvm_check_cap(KVM_CAP_DISABLE_QUIRKS2) & KVM_X86_QUIRK_SLOT_ZAP_ALL)) {
		ksft_print_msg("concurrency: needs KVM_X86_QUIRK_SLOT_ZAP_ALL to be disabled\n");
		case_skipped = true;
		return;
	}
	vm_enable_cap(t->vm, KVM_CAP_DISABLE_QUIRKS2, KVM_X86_QUIRK_SLOT_ZAP_ALL);
#endif
	stress_stop = false;
	guest_stop = false;
	sync_global_to_guest(t->vm, guest_stop);

	pthread_create(&s[0].thread, NULL, stress_vcpu, &s[0]);
	pthread_create(&s[1].thread, NULL, stress_notifier, &s[1]);
	pthread_create(&s[2].thread, NULL, stress_notifier, &s[2]);
	pthread_create(&s[3].thread, NULL, stress_memslots, &s[3]);

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (timespec_to_ns(timespec_elapsed(start)) < stress_seconds * NSEC_PER_SEC &&
	       !case_failed) {
		access_pattern_fill(touch, REGION_PAGES, PATTERN_RANDOM, seed + rounds);
		age_range(t, SLOT_A_FIRST, REGION_PAGES);
		guest_touch(t, touch);
		observe(t, "slot A under stress", SLOT_A_FIRST, REGION_PAGES);
		rounds++;
	}

	WRITE_ONCE(stress_stop, true);
	guest_stop = true;
	sync_global_to_guest(t->vm, guest_stop);
	for (i = 0; i < 4; i++)
		pthread_join(s[i].thread, NULL);

	ksft_print_msg("concurrency: %d rounds; %lu + %lu notifier calls, %lu memslot add/remove\n",
		       rounds, s[1].calls, s[2].calls, s[3].calls);
	CHECK(rounds > 0, "no round completed in %d seconds", stress_seconds);
}

/* Whether -s takes @src: the types default_backings has. */
static bool backing_src_taken(enum vm_mem_backing_src_type src)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(default_backings); i++) {
		if (default_backings[i].src == src)
			return true;
	}
	return false;
}

/* The name of @b in case names, e.g. "anonymous_thp_dirty_log". */
static const char *backing_name(const struct backing *b, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", vm_mem_backing_src_alias(b->src)->name,
		 b->dirty_log ? "_dirty_log" : "");
	return buf;
}

/* The kernel feature @src needs (see kernel_expect.h). */
static const char *backing_feature(enum vm_mem_backing_src_type src)
{
	if (src == VM_MEM_SRC_ANONYMOUS_THP)
		return KERNEL_EXPECT_THP;
	if (is_backing_src_hugetlb(src))
		return KERNEL_EXPECT_HUGETLB;
	return KERNEL_EXPECT_KVM;
}

/*
 * Map the area with @t's backing (2 MiB aligned if huge) and fault it in; returns
 * NULL (and why in @why) if this host cannot provide it.  As vm_mem_add():
 * the alias' mmap() flags (hugetlb reserves at mmap(), so a short pool fails
 * here and never SIGBUSes later), THP over-allocated for alignment and
 * advised, anonymous memory advised not huge.
 */
static char *map_area(struct test_vm *t, const char **why)
{
	enum vm_mem_backing_src_type src = t->backing->src;
	size_t size = AREA_PAGES * TEST_PAGE_SIZE;
	char *mem;

	if (src == VM_MEM_SRC_ANONYMOUS_THP && !thp_configured()) {
		*why = "no transparent huge pages";
		return NULL;
	}
	t->map_size = size + (src == VM_MEM_SRC_ANONYMOUS_THP ? HUGE_SIZE : 0);
	t->map = mmap(NULL, t->map_size, PROT_READ | PROT_WRITE,
		      vm_mem_backing_src_alias(src)->flag, -1, 0);
	if (t->map == MAP_FAILED) {
		t->map = NULL;
		TEST_ASSERT(is_backing_src_hugetlb(src), "mmap() of the test area: %s",
			    strerror(errno));
		static char short_pool[64];

		snprintf(short_pool, sizeof(short_pool),
			 "fewer than %d free 2 MiB hugetlb pages (nr_hugepages)",
			 AREA_PAGES / HUGE_PAGES);
		*why = short_pool;
		return NULL;
	}
	mem = t->map;
	if (src == VM_MEM_SRC_ANONYMOUS_THP)
		mem = (char *)(((uintptr_t)t->map + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	if (src == VM_MEM_SRC_ANONYMOUS)
		TEST_ASSERT(!madvise(mem, size, MADV_NOHUGEPAGE), "madvise(MADV_NOHUGEPAGE)");
	else if (src == VM_MEM_SRC_ANONYMOUS_THP)
		TEST_ASSERT(!madvise(mem, size, MADV_HUGEPAGE), "madvise(MADV_HUGEPAGE)");
	memset(mem, 1, size);
	if (src == VM_MEM_SRC_ANONYMOUS_THP && !pagemap_is_thp_2mb(mem, size)) {
		*why = "the area did not get 2 MiB transparent huge pages";
		return NULL;
	}
	return mem;
}

/* Create the VM over a freshly mapped area; NULL (and why) if impossible. */
static struct test_vm *test_vm_create(const struct backing *b, const char **why)
{
	uint32_t flags = b->dirty_log ? KVM_MEM_LOG_DIRTY_PAGES : 0;
	struct test_vm *t = calloc(1, sizeof(*t));
	unsigned long all[BITMAP_WORDS];

	TEST_ASSERT(t, "calloc()");
	t->backing = b;
	t->mem = map_area(t, why);
	if (!t->mem) {
		if (t->map)
			munmap(t->map, t->map_size);
		free(t);
		return NULL;
	}
	t->granule = huge_mappings && !b->dirty_log && b->src != VM_MEM_SRC_ANONYMOUS ?
		     HUGE_PAGES : 1;

	/* Page tables for the identity map of the area: 8 + a few. */
	t->vm = __vm_create_with_vcpus(VM_SHAPE_DEFAULT, 2, 64, guest_code, t->vcpus);
	TEST_ASSERT_EQ(t->vm->page_size, TEST_PAGE_SIZE);
	vcpu_args_set(t->vcpus[0], 1, 0);
	vcpu_args_set(t->vcpus[1], 1, 1);

	vm_set_user_memory_region(t->vm, SLOT_A, flags, TEST_GPA + SLOT_A_FIRST * TEST_PAGE_SIZE,
				  REGION_PAGES * TEST_PAGE_SIZE, t->mem + SLOT_A_FIRST * TEST_PAGE_SIZE);
	vm_set_user_memory_region(t->vm, SLOT_B, flags, TEST_GPA + SLOT_B_FIRST * TEST_PAGE_SIZE,
				  REGION_PAGES * TEST_PAGE_SIZE, t->mem + SLOT_B_FIRST * TEST_PAGE_SIZE);
	vm_set_user_memory_region(t->vm, SLOT_C, flags, TEST_GPA + SLOT_C_FIRST * TEST_PAGE_SIZE,
				  REGION_PAGES * TEST_PAGE_SIZE, t->mem + SLOT_C_FIRST * TEST_PAGE_SIZE);
	virt_map(t->vm, TEST_GPA, TEST_GPA, AREA_PAGES);

	guest_write = b->dirty_log;
	sync_global_to_guest(t->vm, guest_write);

	/* Fault everything in, so that later accesses only set accessed bits. */
	access_pattern_fill(all, AREA_PAGES, PATTERN_ALL, seed);
	guest_touch(t, all);
	return t;
}

static void test_vm_destroy(struct test_vm *t)
{
	kvm_vm_free(t->vm);
	munmap(t->map, t->map_size);
	free(t);
}

/* The cases run on every backing. */
enum vm_case {
	CASE_PATTERN_FIRST,
	CASE_PATTERN_LAST = CASE_PATTERN_FIRST + NR_ACCESS_PATTERNS - 1,
	CASE_SELECT_ONE,
	CASE_STRADDLE_SLOTS,
	CASE_PARTLY_OUTSIDE,
	CASE_HOLE_BETWEEN,
	CASE_MID_HUGE,
	CASE_HALF_MAPPING,
	CASE_ONE_PAGE,
	CASE_LARGEST,
	CASE_PLAIN,
	NR_VM_CASES,
};

static const char *vm_case_name(enum vm_case c, char *buf, size_t len)
{
	static const char * const names[] = {
		[CASE_SELECT_ONE]	= "clear_selects_one_page",
		[CASE_STRADDLE_SLOTS]	= "range_straddles_two_memslots",
		[CASE_PARTLY_OUTSIDE]	= "range_partly_outside_memslots",
		[CASE_HOLE_BETWEEN]	= "range_with_hole_between_memslots",
		[CASE_MID_HUGE]		= "range_starts_and_ends_mid_mapping",
		[CASE_HALF_MAPPING]	= "clear_selects_one_of_two_half_mappings",
		[CASE_ONE_PAGE]		= "range_of_one_page",
		[CASE_LARGEST]		= "range_of_largest_size",
		[CASE_PLAIN]		= "plain_calls",
	};

	if (c <= CASE_PATTERN_LAST)
		snprintf(buf, len, "pattern_%s", access_pattern_name(c - CASE_PATTERN_FIRST));
	else
		snprintf(buf, len, "%s", names[c]);
	return buf;
}

static void run_vm_case(struct test_vm *t, enum vm_case c)
{
	if (c <= CASE_PATTERN_LAST) {
		case_pattern(t, c - CASE_PATTERN_FIRST);
		return;
	}
	switch (c) {
	case CASE_SELECT_ONE:
		case_select_one(t);
		break;
	case CASE_STRADDLE_SLOTS:
		case_random_range(t, SLOT_B_FIRST - 300, 600);
		break;
	case CASE_PARTLY_OUTSIDE:
		case_random_range(t, HOLE_FIRST - 300, 600);
		break;
	case CASE_HOLE_BETWEEN:
		case_random_range(t, SLOT_B_FIRST + 100, SLOT_C_FIRST + 200 - (SLOT_B_FIRST + 100));
		break;
	case CASE_MID_HUGE:
		/* Starts 256 pages into a 2 MiB mapping, ends 256 pages into one. */
		case_random_range(t, SLOT_A_FIRST + 256, HUGE_PAGES);
		case_random_range(t, SLOT_C_FIRST + 1, REGION_PAGES - 2);
		break;
	case CASE_HALF_MAPPING:
		case_half_mapping_selected(t);
		break;
	case CASE_ONE_PAGE:
		case_one_page(t);
		break;
	case CASE_LARGEST:
		case_random_range(t, 0, AREA_PAGES);
		break;
	case CASE_PLAIN:
		case_plain(t);
		break;
	default:
		TEST_FAIL("Bad case %d", c);
	}
}

/* The concurrency case runs on plain anonymous memory only. */
static bool runs_concurrency(const struct backing *b)
{
	return b->src == VM_MEM_SRC_ANONYMOUS && !b->dirty_log;
}

static void run_backing(const struct backing *b)
{
	const char *feature = backing_feature(b->src), *why = NULL;
	char name[96], bname[48], cname[48];
	struct test_vm *t;
	int c;

	backing_name(b, bname, sizeof(bname));
	t = test_vm_create(b, &why);
	for (c = 0; c < NR_VM_CASES; c++) {
		snprintf(name, sizeof(name), "%s_%s", bname, vm_case_name(c, cname, sizeof(cname)));
		if (!t) {
			ksft_test_result_missing(feature, why, "%s", name);
			continue;
		}
		case_failed = false;
		run_vm_case(t, c);
		ksft_test_result(!case_failed, "%s\n", name);
	}

	if (runs_concurrency(b)) {
		if (!t) {
			ksft_test_result_missing(feature, why, "concurrency");
		} else {
			case_failed = false;
			case_skipped = false;
			case_concurrency(t);
			if (case_skipped)
				ksft_test_result_skip("concurrency\n");
			else
				ksft_test_result(!case_failed, "concurrency\n");
		}
	}
	if (t)
		test_vm_destroy(t);
}

/*
 * Whether KVM maps 2 MiB of guest memory at once where the host does.  Not
 * with x86's shadow paging: the guest maps its test area with 4 KiB pages,
 * and shadow pages are never larger than the guest's.
 */
static bool detect_huge_mappings(void)
{
#if defined(__x86_64__)
	return kvm_is_tdp_enabled();
#else
	return true;
#endif
}

static void help(const char *name)
{
	size_t i;

	puts("");
	printf("usage: %s [-h] [-s mem_type]... [-l] [-r seed] [-d seconds]\n", name);
	backing_src_help("-s");
	printf("     Of these, this test takes");
	for (i = 0; i < ARRAY_SIZE(default_backings); i++) {
		if (!default_backings[i].dirty_log)
			printf(" %s", vm_mem_backing_src_alias(default_backings[i].src)->name);
	}
	printf("; -s may be repeated.\n"
	       "     (default: each of them, and %s with dirty logging)\n",
	       vm_mem_backing_src_alias(VM_MEM_SRC_ANONYMOUS_THP)->name);
	printf(" -l: with -s, turn dirty logging on in every memslot (KVM then maps 4 KiB)\n");
	printf(" -r: seed of the random patterns and selections (default: %u)\n", seed);
	printf(" -d: how long the concurrency case runs, in seconds (default: %d)\n",
	       stress_seconds);
	puts("");
	exit(0);
}

int main(int argc, char *argv[])
{
	struct backing backings[NUM_SRC_TYPES];
	const struct backing *run = default_backings;
	size_t i, nr_backings = 0, nr_run = ARRAY_SIZE(default_backings), nr_cases;
	enum vm_mem_backing_src_type src;
	bool dirty_log = false;
	struct test_vm *t;
	int opt;

	while ((opt = getopt(argc, argv, "hs:lr:d:")) != -1) {
		switch (opt) {
		case 's':
			src = parse_backing_src_type(optarg);
			TEST_ASSERT(backing_src_taken(src),
				    "-s %s: this test models private 4 KiB and 2 MiB mappings only (-h lists the types it takes)",
				    optarg);
			for (i = 0; i < nr_backings; i++)
				TEST_ASSERT(backings[i].src != src, "-s %s given twice", optarg);
			backings[nr_backings++].src = src;
			break;
		case 'l':
			dirty_log = true;
			break;
		case 'r':
			seed = atoi_non_negative("Seed", optarg);
			break;
		case 'd':
			stress_seconds = atoi_positive("Seconds", optarg);
			break;
		case 'h':
		default:
			help(argv[0]);
			break;
		}
	}
	TEST_ASSERT(!dirty_log || nr_backings, "-l needs -s: it applies to the backings -s picks");
	if (nr_backings) {
		for (i = 0; i < nr_backings; i++)
			backings[i].dirty_log = dirty_log;
		run = backings;
		nr_run = nr_backings;
	}

	__TEST_REQUIRE(getpagesize() == TEST_PAGE_SIZE, "4 KiB base pages");
	tmny_fd = tmny_open();

	fast_path = tmny_fast_path();
	huge_mappings = detect_huge_mappings();
	ksft_print_header();
	ksft_print_msg("seed %u; KVM has %s fast path for bitmap calls; %s huge mappings\n",
		       seed, fast_path ? "a" : "no", huge_mappings ? "with" : "without");
	nr_cases = ARRAY_SIZE(bad_inputs) + nr_run * NR_VM_CASES;
	for (i = 0; i < nr_run; i++)
		nr_cases += runs_concurrency(&run[i]);
	ksft_set_plan(nr_cases);

	t = test_vm_create(&default_backings[0], NULL);
	for (i = 0; i < ARRAY_SIZE(bad_inputs); i++) {
		case_failed = false;
		case_bad_input(t, &bad_inputs[i]);
		ksft_test_result(!case_failed, "bad_input_%s\n", bad_inputs[i].name);
	}
	test_vm_destroy(t);

	for (i = 0; i < nr_run; i++)
		run_backing(&run[i]);

	close(tmny_fd);
	ksft_finished();
}

#else /* !HAVE_TMNY_UAPI */

TMNY_MAIN_WITHOUT_DRIVER()

#endif /* HAVE_TMNY_UAPI */
