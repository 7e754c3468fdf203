// SPDX-License-Identifier: GPL-2.0
/*
 * lru_gen_reclaim_test: reclaim of a memcg keeps the pages a KVM guest keeps
 * touching and swaps out the others first, with capability 0x0008
 * (LRU_GEN_SECONDARY_MMU_WALK) on and off.
 *
 * The test runs in a memcg of its own with a zram swap device of its own.
 * The guest's test area (anonymous 4 KiB host pages, charged to the memcg;
 * the guest's code, stack and page tables are charged outside) is split
 * into a hot set, an access pattern (default: random, seeded), and the cold
 * rest.  The test then alternates: the guest touches every hot page
 * (dropping its own translation first, since clearing accessed state does
 * not flush TLBs), then memory.reclaim asks for 1/STEPS of the cold set,
 * until MIN_COLD_EVICTED_PCT percent of the cold pages are swapped out
 * (pagemap).  No hot page may be evicted on the way, and the cold share must
 * be reached within MAX_STEPS rounds, or the test proved nothing.
 *
 * Reclaim finds the hot pages young through the rmap (folio_referenced(),
 * then lru_gen_look_around(), which with 0x0008 tests up to 64 neighbours in
 * one bitmap call and ages the young ones with a bitmap trimmed to them) and,
 * where aging walks page tables (x86), through the aging walk's batches.  A
 * hot set interleaved with cold pages makes those bitmaps sparse.
 *
 * reclaim_takes_cooled_hot_set: then the guest stops touching.  What the
 * rounds found young they also cleared, with 0x0008 the neighbours through
 * one bitmap call trimmed to the young ones (DESIGN.md, defect D1), sparse
 * here.  Once an eviction pass cleared what the last round left young and
 * the pages are aged down, one more eviction pass must take every test
 * page, hot or cold: a page left young in the secondary MMU would be kept
 * for good.  No aging pass walks page tables there (0x0002 off), so that
 * on every arch eviction alone has to clear what it found.
 *
 * Why the bound on cold pages: memory.reclaim is best effort (-EAGAIN when it
 * reclaims less than asked), and the multi-gen LRU may keep cold pages it
 * has not yet aged into a generation it evicts; what matters is that it
 * never takes a hot page while doing so.  The hot pages are touched before
 * every reclaim round, so each round finds all of them young.
 *
 * Limits: one node; 4 KiB pages; the touches and reclaim alternate rather
 * than run concurrently, so that the result is deterministic.
 *
 * System state it changes: /sys/kernel/mm/lru_gen/enabled; a zram swap
 * device; a memcg, and the memory controller below the root.  All of it is
 * put back when the test ends, by whatever means except SIGKILL
 * (restore_at_exit()).  It also drops the clean page cache
 * (drop_caches_drain_lru()), which cannot be undone.
 */
#include <errno.h>
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

/*
 * Each reclaim round asks for 1/STEPS of the cold set, for at most
 * MAX_STEPS rounds.  Rounds stop as soon as MIN_COLD_EVICTED_PCT percent of
 * the cold set is out: asking for more than the cold set would rightly
 * evict hot pages too, and memory.reclaim may overshoot a round by a batch.
 */
#define STEPS			16
#define MAX_STEPS		(2 * STEPS)

/* At least this share of the cold pages must end up swapped out. */
#define MIN_COLD_EVICTED_PCT	50

/* Pages of the test area. */
static size_t nr_pages = 2048;

/* Seed of PATTERN_RANDOM. */
static uint32_t seed = 1;

/* The hot set. */
static enum access_pattern hot_pattern = PATTERN_RANDOM;

/* lru_gen/enabled as found, with the multi-gen LRU itself turned on. */
static unsigned int caps;

/* The test's memcg, as debugfs lru_gen names it, and its id. */
static const char *memcg_path;
static int memcg_id;

/* Age MAX_NR_GENS times, so that pages not found young sit in the oldest generation. */
static void age_all_down(void)
{
	int i;

	for (i = 0; i < LRU_GEN_MAX_NR_GENS; i++)
		mglru_age(memcg_path, memcg_id);
}

/* Evict every generation but the two youngest. */
static void evict_old(void)
{
	mglru_evict_old(memcg_path, memcg_id, 2 * nr_pages);
}

/*
 * Count the evicted hot and cold pages.  Print the first hot pages that are
 * not as @want_hot_evicted says: evicted, or resident.
 */
static void count_evicted(struct touch_vm *t, const unsigned long *hot, bool want_hot_evicted,
			  size_t *hot_evicted, size_t *cold_evicted)
{
	size_t nr_hot = access_pattern_weight(hot, nr_pages);
	size_t hot_wrong = pagemap_check_resident(t->mem, t->page_size, nr_pages, hot,
						  !want_hot_evicted, "the hot set");
	size_t evicted = pagemap_check_resident(t->mem, t->page_size, nr_pages, NULL, true, NULL);

	*hot_evicted = want_hot_evicted ? nr_hot - hot_wrong : hot_wrong;
	*cold_evicted = evicted - *hot_evicted;
}

static bool run_reclaim(struct touch_vm *t, const unsigned long *hot)
{
	size_t nr_hot = access_pattern_weight(hot, nr_pages), nr_cold = nr_pages - nr_hot;
	uint64_t chunk = nr_cold * t->page_size / STEPS, before, after;
	size_t hot_evicted = 0, cold_evicted = 0;
	unsigned long *all = bitmap_zalloc(nr_pages);
	int step, ret, nr_eagain = 0;

	/*
	 * Everything resident and on the LRU, then aged into the oldest
	 * generation, so that reclaim evicts from a generation holding both hot
	 * and cold pages and has to tell them apart page by page, through the
	 * rmap and lru_gen_look_around().  (Without this history a fresh memcg
	 * needs two agings within one memory.reclaim, and the second finds
	 * nothing young: the single touch before it was used up by the first.)
	 */
	access_pattern_fill(all, nr_pages, PATTERN_ALL, seed);
	touch_vm_touch(t, all);
	drop_caches_drain_lru();
	free(all);
	age_all_down();
	if (!(caps & LRU_GEN_CAP_MM_WALK)) {
		/*
		 * Aging that does not walk page tables left the accessed state
		 * of every page set, and the first reclaim round would use it
		 * up.  Clear it with an eviction pass (every page was just
		 * touched, so it keeps them all) and age the pages back down.
		 */
		evict_old();
		age_all_down();
	}

	before = memcg_current();
	for (step = 0; step < MAX_STEPS; step++) {
		touch_vm_touch(t, hot);
		ret = memcg_reclaim(chunk);
		TEST_ASSERT(!ret || ret == -EAGAIN, "memory.reclaim of %lu bytes: %s",
			    chunk, strerror(-ret));
		nr_eagain += ret == -EAGAIN;
		count_evicted(t, hot, false, &hot_evicted, &cold_evicted);
		if (hot_evicted || cold_evicted * 100 >= nr_cold * MIN_COLD_EVICTED_PCT)
			break;
	}
	after = memcg_current();

	ksft_print_msg("  %d rounds of %lu KiB (%d -EAGAIN): memory.current %lu -> %lu KiB; %zu of %zu cold and %zu of %zu hot pages evicted\n",
		       step + 1, chunk >> 10, nr_eagain, before >> 10, after >> 10,
		       cold_evicted, nr_cold, hot_evicted, nr_hot);
	if (cold_evicted * 100 < nr_cold * MIN_COLD_EVICTED_PCT)
		ksft_print_msg("  fewer than %d%% of the cold pages evicted: reclaim did not push the memcg down\n",
			       MIN_COLD_EVICTED_PCT);
	return !hot_evicted && cold_evicted * 100 >= nr_cold * MIN_COLD_EVICTED_PCT;
}

/*
 * After run_reclaim(), with the guest no longer touching the hot set.  The
 * reclaim rounds found the hot pages young and cleared their accessed state:
 * the page reclaim checked through the rmap with a per-page call, its young
 * neighbours with lru_gen_look_around()'s batch, which with 0x0008 is one
 * bitmap call trimmed to them, its bits following the trimmed end
 * (DESIGN.md, defect D1), and sparse here, hot and cold pages interleaving.
 * A page left young would be kept for good.  So once what the last round
 * left young is cleared by an eviction pass (every page it finds young it
 * keeps and clears, through the rmap and look-around too) and the pages are
 * aged down, one more eviction pass must take every test page.  The aging
 * passes do not walk page tables (0x0002 off, on every arch): a walk would
 * clear what the eviction passes left young and hide it.
 */
static bool run_cooled(struct touch_vm *t, const unsigned long *hot)
{
	size_t hot_evicted, cold_evicted, nr_hot = access_pattern_weight(hot, nr_pages);
	unsigned int caps_before = mglru_without_mm_walk();

	age_all_down();
	evict_old();
	age_all_down();
	evict_old();
	mglru_restore_caps(caps_before);

	count_evicted(t, hot, true, &hot_evicted, &cold_evicted);
	if (hot_evicted == nr_hot && cold_evicted == nr_pages - nr_hot)
		return true;
	ksft_print_msg("  with the guest idle, eviction kept %zu of %zu hot and %zu of %zu cold pages: found young\n",
		       nr_hot - hot_evicted, nr_hot, nr_pages - nr_hot - cold_evicted,
		       nr_pages - nr_hot);
	return false;
}

static void help(const char *name)
{
	puts("");
	printf("usage: %s [-h] [-n pages] [-p pattern] [-r seed]\n", name);
	printf(" -n: pages in the guest's test area, 64 to %d (default: %zu)\n",
	       TOUCH_VM_MAX_PAGES, nr_pages);
	printf(" -p: the hot set, an access pattern other than none and all (default: %s); of:",
	       access_pattern_name(hot_pattern));
	access_pattern_print_names();
	printf("\n -r: seed of the random pattern (default: %u)\n", seed);
	puts("");
	exit(0);
}

int main(int argc, char *argv[])
{
	unsigned long *hot;
	struct touch_vm *t;
	int on;

	mglru_test_options(argc, argv, &nr_pages, &hot_pattern, &seed, help);

	caps = mglru_test_setup(4 * nr_pages);

	ksft_print_header();
	ksft_set_plan(4);
	hot = bitmap_zalloc(nr_pages);
	access_pattern_fill(hot, nr_pages, hot_pattern, seed);
	ksft_print_msg("seed %u, %zu pages, hot set %s (%zu pages), lru_gen/enabled 0x%04x\n",
		       seed, nr_pages, access_pattern_name(hot_pattern),
		       access_pattern_weight(hot, nr_pages), caps);

	memcg_path = mglru_test_create("lru_gen_reclaim_test", nr_pages, &t, &memcg_id);

	for (on = 0; on < 2; on++) {
		const char *cap_name = mglru_cap_name(on);

		if (!mglru_set_secondary_walk(caps, on)) {
			ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
						 "reclaim_keeps_hot_set_%s", cap_name);
			ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
						 "reclaim_takes_cooled_hot_set_%s", cap_name);
			continue;
		}
		ksft_test_result(run_reclaim(t, hot), "reclaim_keeps_hot_set_%s\n", cap_name);
		ksft_test_result(run_cooled(t, hot), "reclaim_takes_cooled_hot_set_%s\n", cap_name);
	}

	free(hot);
	mglru_test_destroy(t);
	ksft_finished();
}
