// SPDX-License-Identifier: GPL-2.0
/*
 * young_multi_test: bitmap-based test_young and clear_young over more than
 * one secondary mapping of a range.
 *
 * two_vms_*: one process runs two VMs whose memslots map the same host
 * memory, so its mm has two MMU notifier subscribers.  VM A touches pattern
 * P, VM B pattern Q.  A bitmap test must return the union of what every
 * subscriber finds young (the plain test may stop at the first young
 * answer, its result is the same), and a clear must reach every subscriber.
 *
 *   two_vms_bitmap_test_is_the_union    bitmap test == P | Q
 *   two_vms_plain_test_is_the_union     plain test, page by page == P | Q
 *   two_vms_bitmap_clear_reaches_both   clear S, then test == (P | Q) & ~S
 *   two_vms_plain_clear_reaches_both    clear all, then nothing is young
 *
 * split_slots_*: one VM whose test area is two memslots with different
 * HVA-to-GPA offsets, the first half of the host memory at a guest address
 * above the second half, so that a bit index computed with the offset of
 * the wrong memslot, or in GPA order, lands on another page.  Ranges are
 * the whole area and windows across the boundary between the memslots.
 *
 *   split_slots_bitmap_test             bitmap tests == P on each range
 *   split_slots_bitmap_clear            clear S, then test == P & ~S
 *
 * Every result mask must be exactly YOUNG|FAST (some page young) or 0 where
 * KVM has a fast path (arm64; x86 with the TDP MMU and Accessed bits), the
 * only boots this test is listed for.
 *
 * System state it changes: none that outlives it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <linux/bitmap.h>

#include "kvm_util.h"
#include "test_util.h"
#include "access_pattern.h"
#include "kernel_expect.h"
#include "tmny.h"
#include "touch_vm.h"

#ifdef HAVE_TMNY_UAPI

#define NR_PAGES		1024
#define SPLIT			(NR_PAGES / 2)
#define WORDS			(NR_PAGES / 64)
#define MAX_REPORTED		8

static int tmny_fd = -1;
static uint32_t seed = 1;
static size_t page_size;
static bool case_failed;

/*
 * Word-wise bitmap operations: the selftests do not link tools/lib/bitmap.c,
 * where bitmap_or() and friends live for bitmaps longer than a word.
 */
static void or_pages(unsigned long *dst, const unsigned long *a, const unsigned long *b)
{
	size_t w;

	for (w = 0; w < BITS_TO_LONGS(NR_PAGES); w++)
		dst[w] = a[w] | b[w];
}

static void andnot_pages(unsigned long *dst, const unsigned long *a, const unsigned long *b)
{
	size_t w;

	for (w = 0; w < BITS_TO_LONGS(NR_PAGES); w++)
		dst[w] = a[w] & ~b[w];
}

static bool pages_intersect(const unsigned long *a, const unsigned long *b)
{
	size_t w;

	for (w = 0; w < BITS_TO_LONGS(NR_PAGES); w++)
		if (a[w] & b[w])
			return true;
	return false;
}

static uint64_t hva(char *mem, size_t page)
{
	return (uint64_t)(uintptr_t)(mem + page * page_size);
}

static int call(unsigned long cmd, uint64_t start, uint64_t end, uint64_t *bitmap)
{
	int r = tmny_call(tmny_fd, cmd, start, end, bitmap);

	TEST_ASSERT(r >= 0, "test driver ioctl 0x%lx on [0x%lx, 0x%lx): %s", cmd,
		    start, end, strerror(-r));
	return r;
}

/* Check a result mask: YOUNG|FAST if any page is young, else 0. */
static void check_result(const char *what, int r, bool any_young)
{
	int want = any_young ? TMNY_YOUNG | TMNY_YOUNG_FAST : 0;

	if (r == want)
		return;
	ksft_print_msg("  %s: result 0x%x, expected 0x%x\n", what, r, want);
	case_failed = true;
}

/* Compare the young pages [first, first + n) with the expected ones. */
static void check_pages(const char *what, const unsigned long *got,
			const unsigned long *want, size_t first, size_t n)
{
	size_t page, diffs = 0;

	for (page = first; page < first + n; page++) {
		if (!!test_bit(page, got) == !!test_bit(page, want))
			continue;
		if (diffs++ < MAX_REPORTED)
			ksft_print_msg("  %s: page %zu is %s, expected %s\n", what, page,
				       test_bit(page, got) ? "young" : "old",
				       test_bit(page, want) ? "young" : "old");
	}
	if (diffs) {
		ksft_print_msg("  %s: %zu of %zu pages differ\n", what, diffs, n);
		case_failed = true;
	}
}

/*
 * Bitmap test of the pages [first, first + n) of @mem; the young pages land
 * in @young (natural order, bits of other pages untouched).
 */
static void test_bitmap_call(const char *what, char *mem, size_t first, size_t n,
			unsigned long *young, const unsigned long *want)
{
	uint64_t bits[WORDS];
	bool any = false;
	size_t page;
	int r;

	memset(bits, 0, sizeof(bits));
	r = call(TMNY_TEST_YOUNG_BITMAP, hva(mem, first), hva(mem, first + n), bits);
	tmny_bits_to_pages(bits, first, n, young);
	for (page = first; page < first + n; page++)
		any |= test_bit(page, want);
	check_result(what, r, any);
	check_pages(what, young, want, first, n);
}

/* Bitmap clear of the pages of @select in [first, first + n) of @mem. */
static int clear_bitmap_call(char *mem, size_t first, size_t n, const unsigned long *select)
{
	uint64_t bits[WORDS];

	tmny_bits_from_pages(select, first, n, bits);
	return call(TMNY_CLEAR_YOUNG_BITMAP, hva(mem, first), hva(mem, first + n), bits);
}

static void plain_test(char *mem, unsigned long *young)
{
	size_t page;

	for (page = 0; page < NR_PAGES; page++) {
		if (call(TMNY_TEST_YOUNG, hva(mem, page), hva(mem, page + 1), NULL) & TMNY_YOUNG)
			__set_bit(page, young);
		else
			__clear_bit(page, young);
	}
}

static void plain_clear_all(char *mem)
{
	call(TMNY_CLEAR_YOUNG, hva(mem, 0), hva(mem, NR_PAGES), NULL);
}

static void begin_case(void)
{
	case_failed = false;
}

static void end_case(const char *name)
{
	ksft_test_result(!case_failed, "%s\n", name);
}

static void two_vms(void)
{
	unsigned long *p = bitmap_zalloc(NR_PAGES), *q = bitmap_zalloc(NR_PAGES);
	unsigned long *s = bitmap_zalloc(NR_PAGES), *want = bitmap_zalloc(NR_PAGES);
	unsigned long *young = bitmap_zalloc(NR_PAGES), *all = bitmap_zalloc(NR_PAGES);
	size_t size = NR_PAGES * page_size;
	struct touch_vm *a, *b;
	char *mem;
	int r;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap(%zu)", size);
	TEST_ASSERT(!madvise(mem, size, MADV_NOHUGEPAGE), "madvise(MADV_NOHUGEPAGE)");
	a = __touch_vm_create(NR_PAGES, mem, 0);
	b = __touch_vm_create(NR_PAGES, mem, 0);

	access_pattern_fill(all, NR_PAGES, PATTERN_ALL, seed);
	access_pattern_fill(p, NR_PAGES, PATTERN_RANDOM, seed);
	access_pattern_fill(q, NR_PAGES, PATTERN_TRIANGULAR, seed);
	access_pattern_fill(s, NR_PAGES, PATTERN_RANDOM, seed + 1);
	or_pages(want, p, q);

	/* Both VMs map every page, then everything is aged. */
	touch_vm_touch(a, all);
	touch_vm_touch(b, all);
	plain_clear_all(mem);

	touch_vm_touch(a, p);
	touch_vm_touch(b, q);

	begin_case();
	test_bitmap_call("two_vms_bitmap_test_is_the_union", mem, 0, NR_PAGES, young, want);
	end_case("two_vms_bitmap_test_is_the_union");

	begin_case();
	plain_test(mem, young);
	check_pages("two_vms_plain_test_is_the_union", young, want, 0, NR_PAGES);
	end_case("two_vms_plain_test_is_the_union");

	begin_case();
	r = clear_bitmap_call(mem, 0, NR_PAGES, s);
	check_result("two_vms_bitmap_clear_reaches_both: clear", r, pages_intersect(want, s));
	andnot_pages(want, want, s);
	plain_test(mem, young);
	check_pages("two_vms_bitmap_clear_reaches_both", young, want, 0, NR_PAGES);
	end_case("two_vms_bitmap_clear_reaches_both");

	begin_case();
	plain_clear_all(mem);
	bitmap_zero(want, NR_PAGES);
	test_bitmap_call("two_vms_plain_clear_reaches_both", mem, 0, NR_PAGES, young, want);
	end_case("two_vms_plain_clear_reaches_both");

	touch_vm_destroy(b);
	touch_vm_destroy(a);
	munmap(mem, size);
	free(all);
	free(young);
	free(want);
	free(s);
	free(q);
	free(p);
}

static void split_slots(void)
{
	/* Windows of 64 pages: the whole boundary, each side of it, off by one. */
	static const size_t windows[][2] = {
		{ 0, NR_PAGES }, { SPLIT - 32, 64 }, { SPLIT - 64, 64 }, { SPLIT, 64 },
		{ SPLIT - 1, 2 }, { SPLIT - 63, 64 }, { SPLIT - 1, 64 },
	};
	unsigned long *p = bitmap_zalloc(NR_PAGES), *s = bitmap_zalloc(NR_PAGES);
	unsigned long *want = bitmap_zalloc(NR_PAGES), *young = bitmap_zalloc(NR_PAGES);
	unsigned long *all = bitmap_zalloc(NR_PAGES);
	struct touch_vm *t = __touch_vm_create(NR_PAGES, NULL, SPLIT);
	char what[64];
	size_t i;
	int r;

	access_pattern_fill(all, NR_PAGES, PATTERN_ALL, seed);
	access_pattern_fill(p, NR_PAGES, PATTERN_RANDOM, seed + 2);
	access_pattern_fill(s, NR_PAGES, PATTERN_RANDOM, seed + 3);

	touch_vm_touch(t, all);
	plain_clear_all(t->mem);
	touch_vm_touch(t, p);

	begin_case();
	for (i = 0; i < ARRAY_SIZE(windows); i++) {
		snprintf(what, sizeof(what), "split_slots_bitmap_test [%zu, %zu)",
			 windows[i][0], windows[i][0] + windows[i][1]);
		test_bitmap_call(what, t->mem, windows[i][0], windows[i][1], young, p);
	}
	end_case("split_slots_bitmap_test");

	begin_case();
	r = clear_bitmap_call(t->mem, 0, NR_PAGES, s);
	check_result("split_slots_bitmap_clear: clear", r, pages_intersect(p, s));
	andnot_pages(want, p, s);
	plain_test(t->mem, young);
	check_pages("split_slots_bitmap_clear", young, want, 0, NR_PAGES);
	end_case("split_slots_bitmap_clear");

	touch_vm_destroy(t);
	free(all);
	free(young);
	free(want);
	free(s);
	free(p);
}

static void help(const char *name)
{
	puts("");
	printf("usage: %s [-h] [-r seed]\n", name);
	printf(" -r: seed of the random patterns and selections (default: %u)\n", seed);
	puts("");
	exit(0);
}

int main(int argc, char *argv[])
{
	int opt;

	while ((opt = getopt(argc, argv, "hr:")) != -1) {
		switch (opt) {
		case 'r':
			seed = atoi_non_negative("Seed", optarg);
			break;
		case 'h':
		default:
			help(argv[0]);
		}
	}

	page_size = getpagesize();
	tmny_fd = tmny_open();
	TEST_ASSERT(tmny_fast_path(),
		    "KVM has no fast path on this host (bitmap calls are unreliable): run this test where it has one");

	ksft_print_header();
	ksft_set_plan(6);
	ksft_print_msg("seed %u, %d pages\n", seed, NR_PAGES);

	two_vms();
	split_slots();

	close(tmny_fd);
	ksft_finished();
}

#else /* !HAVE_TMNY_UAPI */

TMNY_MAIN_WITHOUT_DRIVER()

#endif /* HAVE_TMNY_UAPI */
