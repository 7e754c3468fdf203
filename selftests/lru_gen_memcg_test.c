// SPDX-License-Identifier: GPL-2.0
/*
 * lru_gen_memcg_test: aging one memcg leaves alone the accessed state, in
 * KVM, of the guest pages another memcg holds, with capability 0x0008
 * (LRU_GEN_SECONDARY_MMU_WALK) on and off.
 *
 * The multi-gen LRU ages one lruvec at a time.  Walking page tables (aging)
 * or the neighbours of a page (lru_gen_look_around(), eviction), it skips
 * the pages of other memcgs.  With 0x0008 it tests up to 64 pages in one
 * bitmap call and clears the young ones it selected with one call whose
 * bitmap says which, over a range that still holds the skipped pages: a
 * secondary MMU must age only the selected pages (clear_young with a
 * bitmap).  One that ignored the bitmap would clear the other memcg's
 * pages, and that memcg's reclaim would then take pages its guest had just
 * used.
 *
 * The guest's test area (anonymous 4 KiB host pages) is split between two
 * memcgs of the test's own: the pages of a pattern (default: alternating,
 * so that every batch mixes both) are charged to memcg "other", the rest
 * to memcg "aged".  (A page is charged to the memcg of the process that
 * faults it in, so the test moves into "other" while the guest first
 * touches those pages, and back.)  The test sits in "aged", so its mm is
 * on aged's list, and only aging "aged" walks it.  Each case:
 *
 * - the guest touches every page; the accessed state is cleared and every
 *   page aged into a generation eviction takes, "other" first: by the
 *   aging walk where there is one ("aged" on x86), else by an eviction
 *   pass, which keeps every page since all were just touched;
 * - the guest touches every page again;
 * - walk_keeps_other_memcg_young (where aging walks page tables: x86):
 *   "aged" is aged with force_scan;
 *   evict_keeps_other_memcg_young: "aged"'s old generations are evicted,
 *   which must keep all of its pages, all just touched;
 * - "other"'s old generations are evicted: every one of its pages was just
 *   touched, so each must be kept.
 *
 * Cases with 0x0008 on skip where the bit does not stick (a kernel without
 * the series); with it off the kernel must behave as 6.12, per-page calls.
 *
 * Limits: one node; 4 KiB pages; "aged" is the only memcg whose aging walks
 * the VM's mm.
 *
 * System state it changes: /sys/kernel/mm/lru_gen/enabled; a zram swap
 * device; two memcgs, and the memory controller below the root.  All of it
 * is put back when the test ends, by whatever means except SIGKILL
 * (restore_at_exit()).  It also drops the clean page cache
 * (drop_caches_drain_lru()), which cannot be undone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bitmap.h>

#include "kvm_util.h"
#include "test_util.h"
#include "access_pattern.h"
#include "lru_gen.h"
#include "memcg.h"
#include "kernel_expect.h"
#include "kernel_file.h"
#include "mglru_test.h"
#include "pagemap.h"
#include "touch_vm.h"

/* Pages of the test area. */
static size_t nr_pages = 2048;

/* Seed of PATTERN_RANDOM. */
static uint32_t seed = 1;

/* The pages charged to "other". */
static enum access_pattern other_pattern = PATTERN_ALTERNATING;

/* lru_gen/enabled as found, with the multi-gen LRU itself turned on. */
static unsigned int caps;

struct memcg {
	const char *path;
	int id;
};
static struct memcg aged, other;

/* Every page; the pages of "other"; those of "aged". */
static unsigned long *all_pages, *other_pages, *aged_pages;

static void age(const struct memcg *m)
{
	mglru_age(m->path, m->id);
}

static void age_down(const struct memcg *m)
{
	int i;

	for (i = 0; i < LRU_GEN_MAX_NR_GENS - 1; i++)
		age(m);
}

/* Evict every generation of @m but the two youngest. */
static void evict_old(const struct memcg *m)
{
	mglru_evict_old(m->path, m->id, 2 * nr_pages);
}

/* The pages of @pages that are not resident; prints the first ones. */
static size_t count_evicted(struct touch_vm *t, const unsigned long *pages, const char *name)
{
	return pagemap_check_resident(t->mem, t->page_size, nr_pages, pages, true, name);
}

/*
 * Clear the accessed state of every page, the guest having just touched
 * them all, and age them into generations eviction takes.
 */
static void clear_and_age_down(const struct memcg *m, bool walks)
{
	age_down(m);
	if (!walks) {
		evict_old(m);
		age_down(m);
	}
}

static bool run(struct touch_vm *t, bool walk)
{
	size_t nr_other = access_pattern_weight(other_pages, nr_pages);
	size_t evicted;

	/*
	 * "other" first: clearing "aged" must not clear "other"'s pages
	 * either, but that is what the rest of the case checks.
	 */
	touch_vm_touch(t, all_pages);
	clear_and_age_down(&other, false);
	clear_and_age_down(&aged, caps & LRU_GEN_CAP_MM_WALK);
	evicted = count_evicted(t, all_pages, "aged or other");
	if (evicted) {
		ksft_print_msg("  clearing the accessed state evicted %zu pages the guest had just touched: the pass over one memcg cleared the other's\n",
			       evicted);
		return false;
	}

	touch_vm_touch(t, all_pages);
	if (walk) {
		age(&aged);
	} else {
		evict_old(&aged);
		evicted = count_evicted(t, aged_pages, "aged");
		if (evicted) {
			ksft_print_msg("  evicting \"aged\" took %zu of its pages, all just touched\n",
				       evicted);
			return false;
		}
	}

	evict_old(&other);
	evicted = count_evicted(t, other_pages, "other");
	if (!evicted)
		return true;
	ksft_print_msg("  evicting \"other\" took %zu of its %zu pages, all just touched: %s \"aged\" cleared them\n",
		       evicted, nr_other, walk ? "aging" : "evicting");
	return false;
}

static void read_memcg(struct memcg *m, size_t nr_expected)
{
	struct lru_gen_lruvec lruvec;

	lru_gen_read(m->path, MGLRU_NID, &lruvec);
	TEST_ASSERT(lru_gen_nr_anon(&lruvec) >= nr_expected &&
		    lru_gen_nr_anon(&lruvec) <= nr_expected + MGLRU_MAX_SLACK_PAGES,
		    "memcg %s has %lu anon pages, expected its %zu test pages and at most %d more",
		    m->path, lru_gen_nr_anon(&lruvec), nr_expected, MGLRU_MAX_SLACK_PAGES);
}

static void help(const char *name)
{
	puts("");
	printf("usage: %s [-h] [-n pages] [-p pattern] [-r seed]\n", name);
	printf(" -n: pages in the guest's test area, 64 to %d (default: %zu)\n",
	       TOUCH_VM_MAX_PAGES, nr_pages);
	printf(" -p: the pages charged to the other memcg, a pattern other than none and all (default: %s); of:",
	       access_pattern_name(other_pattern));
	access_pattern_print_names();
	printf("\n -r: seed of the random pattern (default: %u)\n", seed);
	puts("");
	exit(0);
}

int main(int argc, char *argv[])
{
	struct lru_gen_lruvec lruvec;
	struct touch_vm *t;
	char name[64];
	size_t page;
	int on;

	mglru_test_options(argc, argv, &nr_pages, &other_pattern, &seed, help);

	caps = mglru_test_setup(4 * nr_pages);

	ksft_print_header();
	ksft_set_plan(2 * 2);

	all_pages = bitmap_zalloc(nr_pages);
	other_pages = bitmap_zalloc(nr_pages);
	aged_pages = bitmap_zalloc(nr_pages);
	access_pattern_fill(all_pages, nr_pages, PATTERN_ALL, seed);
	access_pattern_fill(other_pages, nr_pages, other_pattern, seed);
	for (page = 0; page < nr_pages; page++) {
		if (!test_bit(page, other_pages))
			__set_bit(page, aged_pages);
	}
	ksft_print_msg("seed %u, %zu pages, %zu of them (%s) charged to the other memcg, lru_gen/enabled 0x%04x\n",
		       seed, nr_pages, access_pattern_weight(other_pages, nr_pages),
		       access_pattern_name(other_pattern), caps);

	snprintf(name, sizeof(name), "lru_gen_memcg_test.%d.other", getpid());
	other.path = memcg_create(name);
	lru_gen_read(other.path, MGLRU_NID, &lruvec);
	other.id = lruvec.memcg_id;
	aged.path = mglru_test_create("lru_gen_memcg_test", nr_pages, &t, &aged.id);

	/* Charge each page to its memcg: the first touch faults it in. */
	touch_vm_touch(t, aged_pages);
	memcg_enter_path(other.path);
	touch_vm_touch(t, other_pages);
	memcg_enter_path(aged.path);
	drop_caches_drain_lru();
	read_memcg(&aged, access_pattern_weight(aged_pages, nr_pages));
	read_memcg(&other, access_pattern_weight(other_pages, nr_pages));

	for (on = 0; on < 2; on++) {
		const char *cap_name = mglru_cap_name(on);

		if (!mglru_set_secondary_walk(caps, on)) {
			ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
						 "walk_keeps_other_memcg_young_%s", cap_name);
			ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
						 "evict_keeps_other_memcg_young_%s", cap_name);
			continue;
		}
		if (!(caps & LRU_GEN_CAP_MM_WALK))
			ksft_test_result_skip("walk_keeps_other_memcg_young_%s: %s (lru_gen/enabled 0x%04x); see evict_*\n",
					      cap_name, MGLRU_NO_WALK, caps);
		else
			ksft_test_result(run(t, true), "walk_keeps_other_memcg_young_%s\n", cap_name);
		ksft_test_result(run(t, false), "evict_keeps_other_memcg_young_%s\n", cap_name);
	}

	free(all_pages);
	free(other_pages);
	free(aged_pages);
	mglru_test_destroy(t);
	ksft_finished();
}
