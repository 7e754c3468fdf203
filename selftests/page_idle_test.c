// SPDX-License-Identifier: GPL-2.0
/*
 * page_idle_test: idle page tracking sees exactly the pages a KVM guest
 * touched.
 *
 * The guest's test area (anonymous 4 KiB host pages, its own memslot) is
 * faulted in and put on the LRU.  For each access pattern: every page of the
 * area is marked idle through /sys/kernel/mm/page_idle/bitmap (PFNs from
 * /proc/self/pagemap), which clears the accessed state of the host PTEs and,
 * through the MMU notifier's clear_young, of KVM's secondary MMU; the guest
 * then touches the pattern, dropping its own translation of each page first
 * (clear_young does not flush TLBs, and an access served from a cached
 * translation sets no accessed bit); and the idle bits are read back, which
 * tests the accessed state through the same notifier.  The pages reported not
 * idle must be exactly the touched ones: no tolerance.
 *
 * Every pattern runs with the multi-gen LRU disabled, enabled without
 * capability 0x0008 (LRU_GEN_SECONDARY_MMU_WALK, the series' batching), and
 * enabled with it.  Idle page tracking does not go through MGLRU, so all
 * three must agree; this catches an MMU notifier or KVM change that breaks
 * the per-page (no bitmap) test_young/clear_young, and an MGLRU that
 * changes state idle page tracking relies on.
 *
 * Limits: idle page tracking only sees pages on the LRU (the test drains the
 * per-CPU LRU batches first, and checks that every page reads idle right
 * after marking); the host must not touch the area between marking and
 * reading, so the test runs single threaded; 4 KiB pages only.
 *
 * System state it changes: /sys/kernel/mm/lru_gen/enabled (0: MGLRU off
 * while the test runs).  All of it is put back when the test ends, by
 * whatever means except SIGKILL (restore_at_exit()).  It also drops the
 * clean page cache (drop_caches_drain_lru()), which cannot be undone.
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
#include "kernel_file.h"
#include "lru_gen.h"
#include "mglru_test.h"
#include "page_idle.h"
#include "pagemap.h"
#include "touch_vm.h"

/* Pages of the test area. */
static size_t nr_pages = 1024;

/* Seed of PATTERN_RANDOM. */
static uint32_t seed = 1;

/* How the multi-gen LRU is set up for a run of the patterns. */
enum mglru_mode {
	MGLRU_OFF,
	MGLRU_ON_CAP_OFF,
	MGLRU_ON_CAP_ON,
	NR_MGLRU_MODES,
};

static const char * const mglru_mode_names[NR_MGLRU_MODES] = {
	[MGLRU_OFF]		= "mglru_off",
	[MGLRU_ON_CAP_OFF]	= "mglru_on_0x0008_off",
	[MGLRU_ON_CAP_ON]	= "mglru_on_0x0008_on",
};

/* The PFN of each test page, looked up once the area is faulted in. */
static uint64_t *pfns;

/* Most mismatching pages to print per case. */
#define MAX_REPORTED	8

/*
 * Set up @mode; NULL, or why it cannot be done here (a skip), with the
 * kernel feature that is missing in @feature.
 */
static const char *set_mglru_mode(enum mglru_mode mode, unsigned int caps,
				  const char **feature)
{
	unsigned int want;

	*feature = KERNEL_EXPECT_LRU_GEN;
	if (!lru_gen_usable())
		return mode == MGLRU_OFF ? NULL : "no multi-gen LRU (CONFIG_LRU_GEN)";

	switch (mode) {
	case MGLRU_OFF:
		want = 0;
		break;
	case MGLRU_ON_CAP_OFF:
		want = (caps | LRU_GEN_CAP_CORE) & ~LRU_GEN_CAP_SECONDARY_MMU_WALK;
		break;
	default:
		*feature = KERNEL_EXPECT_SECONDARY_WALK;
		if (!lru_gen_cap_sticks(LRU_GEN_CAP_SECONDARY_MMU_WALK))
			return MGLRU_NO_CAP;
		want = caps | LRU_GEN_CAP_CORE | LRU_GEN_CAP_SECONDARY_MMU_WALK;
		break;
	}
	TEST_ASSERT_EQ(lru_gen_set_caps(want) & (LRU_GEN_CAP_CORE | LRU_GEN_CAP_SECONDARY_MMU_WALK),
		       want & (LRU_GEN_CAP_CORE | LRU_GEN_CAP_SECONDARY_MMU_WALK));
	return NULL;
}

/*
 * One pattern: mark idle, touch, read back.  Returns the mismatches.
 *
 * Tolerance: pages whose PFN is in the last partial 64-page chunk of memory
 * are left out, because idle page tracking ignores those PFNs (see
 * page_idle.h); there are at most PAGE_IDLE_CHUNK_PAGES - 1 of them.
 */
static size_t run_pattern(struct touch_vm *t, enum access_pattern pattern)
{
	unsigned long *touched = bitmap_zalloc(nr_pages);
	size_t page, mismatches = 0, untracked;

	access_pattern_fill(touched, nr_pages, pattern, seed);
	untracked = page_idle_mark_all(pfns, nr_pages);

	touch_vm_touch(t, touched);

	for (page = 0; page < nr_pages; page++) {
		int idle = __page_idle_is_idle(pfns[page]);

		if (idle < 0)
			continue;

		if (idle != !test_bit(page, touched)) {
			if (mismatches++ < MAX_REPORTED)
				ksft_print_msg("  page %zu (PFN 0x%lx): %s, but the guest %s it\n",
					       page, pfns[page], idle ? "idle" : "not idle",
					       test_bit(page, touched) ? "touched" : "did not touch");
		}
	}
	if (untracked)
		ksft_print_msg("  %zu pages left out: PFNs outside idle page tracking\n", untracked);
	if (mismatches)
		ksft_print_msg("  %zu of %zu pages mismatch (%zu touched)\n", mismatches,
			       nr_pages, access_pattern_weight(touched, nr_pages));
	free(touched);
	return mismatches;
}

static void help(const char *name)
{
	puts("");
	printf("usage: %s [-h] [-n pages] [-r seed]\n", name);
	printf(" -n: pages in the guest's test area, 1 to %d (default: %zu)\n",
	       TOUCH_VM_MAX_PAGES, nr_pages);
	printf(" -r: seed of the random pattern (default: %u)\n", seed);
	puts("");
	exit(0);
}

int main(int argc, char *argv[])
{
	unsigned long *all;
	enum access_pattern pattern;
	enum mglru_mode mode;
	struct touch_vm *t;
	unsigned int caps = 0;
	size_t page;
	int opt;

	while ((opt = getopt(argc, argv, "hn:r:")) != -1) {
		switch (opt) {
		case 'n':
			nr_pages = atoi_positive("Pages", optarg);
			break;
		case 'r':
			seed = atoi_non_negative("Seed", optarg);
			break;
		case 'h':
		default:
			help(argv[0]);
		}
	}
	TEST_ASSERT(nr_pages <= TOUCH_VM_MAX_PAGES, "At most %d pages", TOUCH_VM_MAX_PAGES);

	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_PAGE_IDLE, page_idle_available(),
			     "no idle page tracking (%s), CONFIG_IDLE_PAGE_TRACKING?",
			     PAGE_IDLE_BITMAP_PATH);
	__TEST_REQUIRE(getpagesize() == 4096, "4 KiB pages only");
	if (lru_gen_usable())
		caps = lru_gen_get_caps();

	ksft_print_header();
	ksft_set_plan(NR_MGLRU_MODES * NR_ACCESS_PATTERNS);
	ksft_print_msg("seed %u, %zu pages, lru_gen/enabled 0x%04x\n", seed, nr_pages, caps);

	t = touch_vm_create(nr_pages);
	all = bitmap_zalloc(nr_pages);
	access_pattern_fill(all, nr_pages, PATTERN_ALL, seed);
	touch_vm_touch(t, all);
	drop_caches_drain_lru();
	pfns = calloc(nr_pages, sizeof(*pfns));
	TEST_ASSERT(pfns, "calloc()");
	for (page = 0; page < nr_pages; page++)
		pfns[page] = pagemap_hva_to_pfn(touch_vm_hva(t, page));

	for (mode = 0; mode < NR_MGLRU_MODES; mode++) {
		const char *feature;
		const char *why = set_mglru_mode(mode, caps, &feature);

		for (pattern = 0; pattern < NR_ACCESS_PATTERNS; pattern++) {
			const char *name = access_pattern_name(pattern);

			if (why) {
				ksft_test_result_missing(feature, why, "%s_%s",
							 mglru_mode_names[mode], name);
				continue;
			}
			ksft_test_result(!run_pattern(t, pattern), "%s_%s\n",
					 mglru_mode_names[mode], name);
		}
	}

	/* The PFNs must not have changed under the test (no migration). */
	for (page = 0; page < nr_pages; page++)
		TEST_ASSERT_EQ(pagemap_hva_to_pfn(touch_vm_hva(t, page)), pfns[page]);

	free(pfns);
	free(all);
	touch_vm_destroy(t);
	ksft_finished();
}
