// SPDX-License-Identifier: GPL-2.0
/*
 * lru_gen_calls_test: with capability 0x0008 the multi-gen LRU batches its
 * secondary MMU calls through bitmaps; without it, it calls page by page.
 *
 * Every outcome of aging with 0x0008 (which pages are found young) is also
 * reachable page by page, so the other MGLRU tests cannot tell a kernel that
 * reports 0x0008 but never batches.  This test looks at the calls
 * themselves: KVM's kvm_test_age_hva and kvm_age_hva tracepoints, which give
 * each call's HVA range, recorded in a tracefs instance of the test's own and
 * limited to its thread, while it runs one pass over a guest test area
 * (anonymous 4 KiB pages, every page just touched by the guest, in a memcg
 * of its own):
 *
 *   aging_*_0x0008_on  one aging walk (where aging walks page tables, 0x0002:
 *                      x86 here): every page of the area is tested by a
 *                      bitmap call; test calls of more than one page, at
 *                      most about 1/64 of the pages plus the batches cut at
 *                      page table boundaries; no call tests a single page
 *                      of the area more than that allows
 *   aging_*_0x0008_off the same walk calls the notifiers page by page, one
 *                      clear per page at least, as on 6.12
 *   evict_*_0x0008_on  one eviction pass over the area (the rmap and
 *                      lru_gen_look_around()): look-around probes the
 *                      neighbours with bitmap calls, and the calls number
 *                      far fewer than the pages
 *   evict_*_0x0008_off the same pass calls page by page only
 *
 * The counts only cover calls whose range intersects the test area.  Cases
 * with 0x0008 on skip where the bit does not stick (a kernel without the
 * series); the *_0x0008_off cases also pass on it.
 *
 * System state it changes: /sys/kernel/mm/lru_gen/enabled; a zram swap
 * device; a memcg, and the memory controller below the root; a tracefs
 * instance recording the kvm age events.  All of it is put back when the
 * test ends, by whatever means except SIGKILL (restore_at_exit()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bitmap.h>

#include "kvm_util.h"
#include "test_util.h"
#include "access_pattern.h"
#include "kernel_expect.h"
#include "lru_gen.h"
#include "mglru_test.h"
#include "touch_vm.h"
#include "trace_instance.h"

#define INSTANCE_NAME		"lru_gen_calls_test"
/* Room for one event per page of the largest area, on one CPU. */
#define TRACE_BUFFER_KB		"8192"

static size_t nr_pages = 2048;
static struct touch_vm *area;
static const char *memcg_path;
static int memcg_id;
static unsigned long *all_pages;
static struct trace_instance ti;

/* The calls of one pass that touched the test area. */
struct calls {
	size_t test_single, test_multi;		/* kvm_test_age_hva: 1 page, more */
	size_t clear_single, clear_multi;	/* kvm_age_hva */
	size_t tested_pages;			/* area pages some test call covered */
};

/*
 * Parse "... kvm_test_age_hva: mmu notifier test age hva: 0xS -- 0xE" (the
 * series) or "...: 0xA" (6.12, a single page) and the same for kvm_age_hva.
 */
static bool parse_call(const char *line, bool *test, uint64_t *start, uint64_t *end)
{
	const char *p = strstr(line, "mmu notifier test age hva: ");

	*test = p;
	if (!p)
		p = strstr(line, "mmu notifier age hva: ");
	if (!p)
		return false;
	p = strstr(p, "0x");
	TEST_ASSERT(p, "No address in trace line: %s", line);
	*start = strtoull(p, NULL, 16);
	p = strstr(p, " -- ");
	*end = p ? strtoull(p + 4, NULL, 16) : *start + 1;
	return true;
}

/* What count_calls() gathers, event by event. */
struct call_count {
	uint64_t area_start, area_end;
	size_t psize;
	unsigned long *tested;
	struct calls c;
};

static void count_call(const char *line, void *arg)
{
	struct call_count *cc = arg;
	uint64_t start, end, a;
	bool test;

	if (!parse_call(line, &test, &start, &end))
		return;
	if (end <= cc->area_start || start >= cc->area_end)
		return;
	if (test) {
		if (end - start > cc->psize)
			cc->c.test_multi++;
		else
			cc->c.test_single++;
		for (a = start & ~(cc->psize - 1); a < end; a += cc->psize)
			if (a >= cc->area_start && a < cc->area_end)
				__set_bit((a - cc->area_start) / cc->psize, cc->tested);
	} else if (end - start > cc->psize) {
		cc->c.clear_multi++;
	} else {
		cc->c.clear_single++;
	}
}

static struct calls count_calls(void)
{
	struct call_count cc = {
		.area_start = (uint64_t)(uintptr_t)touch_vm_hva(area, 0),
		.area_end = (uint64_t)(uintptr_t)touch_vm_hva(area, nr_pages),
		.psize = getpagesize(),
		.tested = bitmap_zalloc(nr_pages),
	};
	size_t page;

	trace_instance_for_each(&ti, count_call, &cc);
	for (page = 0; page < nr_pages; page++)
		cc.c.tested_pages += test_bit(page, cc.tested);
	free(cc.tested);
	return cc.c;
}

static struct calls trace_end(const char *name)
{
	struct calls c;

	trace_instance_stop(&ti);
	c = count_calls();
	ksft_print_msg("%s: test calls %zu of one page, %zu of more; clear calls %zu of one page, %zu of more; %zu of %zu pages tested\n",
		       name, c.test_single, c.test_multi, c.clear_single, c.clear_multi,
		       c.tested_pages, nr_pages);
	return c;
}

/*
 * The most bitmap test calls an aging walk may make over the area: one per
 * 64 pages, plus one more for each batch cut short at a page table (PMD)
 * boundary, and at the area's two ends.
 */
static size_t max_batches(void)
{
	return DIV_ROUND_UP(nr_pages, 64) + nr_pages / 512 + 2;
}

static void aging_case(bool on)
{
	struct lru_gen_lruvec lruvec;
	char name[64];
	struct calls c;
	bool ok;

	snprintf(name, sizeof(name), "aging_all_%s", mglru_cap_name(on));
	touch_vm_touch(area, all_pages);
	lru_gen_read(memcg_path, MGLRU_NID, &lruvec);
	trace_instance_start(&ti);
	lru_gen_age(memcg_id, MGLRU_NID, lru_gen_youngest(&lruvec)->seq, MGLRU_ANON_ONLY, true);
	c = trace_end(name);

	if (on) {
		ok = c.tested_pages == nr_pages && c.test_multi &&
		     c.test_multi + c.test_single <= max_batches() &&
		     c.clear_multi + c.clear_single <= max_batches();
		if (!ok)
			ksft_print_msg("%s: expected every page tested by at most %zu test calls, and at most %zu clear calls\n",
				       name, max_batches(), max_batches());
	} else {
		ok = !c.test_multi && !c.clear_multi && c.clear_single >= nr_pages;
		if (!ok)
			ksft_print_msg("%s: expected single-page calls only, one clear per page at least\n",
				       name);
	}
	ksft_test_result(ok, "%s\n", name);
}

static void evict_case(bool on)
{
	struct lru_gen_lruvec lruvec;
	char name[64];
	struct calls c;
	size_t calls;
	bool ok;
	int i;

	snprintf(name, sizeof(name), "evict_all_%s", mglru_cap_name(on));
	/* Into the old generations, which eviction scans; then all young. */
	for (i = 0; i < LRU_GEN_MAX_NR_GENS - 1; i++)
		mglru_age(memcg_path, memcg_id);
	touch_vm_touch(area, all_pages);
	lru_gen_read(memcg_path, MGLRU_NID, &lruvec);
	trace_instance_start(&ti);
	lru_gen_evict(memcg_id, MGLRU_NID, lru_gen_youngest(&lruvec)->seq - LRU_GEN_MIN_NR_GENS,
		      MGLRU_ANON_ONLY, nr_pages);
	c = trace_end(name);
	calls = c.test_single + c.test_multi + c.clear_single + c.clear_multi;

	if (on) {
		/* Look-around batches; measured: 88 calls per 1000 pages. */
		ok = c.test_multi && calls <= nr_pages / 4;
		if (!ok)
			ksft_print_msg("%s: expected bitmap calls from look-around, at most %zu calls\n",
				       name, nr_pages / 4);
	} else {
		/* Measured on 6.12: 1904 calls per 1000 pages. */
		ok = !c.test_multi && !c.clear_multi && calls >= nr_pages;
		if (!ok)
			ksft_print_msg("%s: expected single-page calls only, at least one per page\n",
				       name);
	}
	ksft_test_result(ok, "%s\n", name);
}

static void help(const char *name)
{
	puts("");
	printf("usage: %s [-h] [-n pages]\n", name);
	printf(" -n: pages in the guest's test area, 512 to %d (default: %zu)\n",
	       TOUCH_VM_MAX_PAGES, nr_pages);
	puts("");
	exit(0);
}

int main(int argc, char *argv[])
{
	unsigned int caps;
	int opt, i;

	while ((opt = getopt(argc, argv, "hn:")) != -1) {
		switch (opt) {
		case 'n':
			nr_pages = atoi_positive("Pages", optarg);
			break;
		case 'h':
		default:
			help(argv[0]);
		}
	}
	TEST_ASSERT(nr_pages >= 512 && nr_pages <= TOUCH_VM_MAX_PAGES,
		    "-n takes 512 to %d pages", TOUCH_VM_MAX_PAGES);

	caps = mglru_test_setup(2 * nr_pages);
	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_KVM, tracefs_has_event("kvm/kvm_age_hva") &&
			     tracefs_has_event("kvm/kvm_test_age_hva"),
			     "no tracepoints kvm:kvm_age_hva, kvm:kvm_test_age_hva in %s (CONFIG_FTRACE, tracefs)",
			     TRACEFS_DIR);

	ksft_print_header();
	ksft_set_plan(4);
	ksft_print_msg("%zu pages, lru_gen/enabled 0x%04x\n", nr_pages, caps);

	trace_instance_create(&ti, INSTANCE_NAME);
	trace_instance_write(&ti, "buffer_size_kb", TRACE_BUFFER_KB);
	trace_instance_enable(&ti, "kvm/kvm_age_hva", getpid(), NULL);
	trace_instance_enable(&ti, "kvm/kvm_test_age_hva", getpid(), NULL);

	all_pages = bitmap_zalloc(nr_pages);
	access_pattern_fill(all_pages, nr_pages, PATTERN_ALL, 0);
	memcg_path = mglru_test_create("lru_gen_calls_test", nr_pages, &area, &memcg_id);
	touch_vm_touch(area, all_pages);

	for (i = 0; i < 2; i++) {
		bool on = i;

		if (!mglru_set_secondary_walk(caps, on)) {
			ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
						 "aging_all_%s", mglru_cap_name(on));
			ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
						 "evict_all_%s", mglru_cap_name(on));
			continue;
		}
		if (caps & LRU_GEN_CAP_MM_WALK)
			aging_case(on);
		else
			ksft_test_result_skip("aging_all_%s: %s (lru_gen/enabled 0x%04x)\n",
					      mglru_cap_name(on), MGLRU_NO_WALK, caps);
		evict_case(on);
	}

	trace_instance_destroy(&ti);
	free(all_pages);
	mglru_test_destroy(area);
	ksft_finished();
}
