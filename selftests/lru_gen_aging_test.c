// SPDX-License-Identifier: GPL-2.0
/*
 * lru_gen_aging_test: the multi-gen LRU finds exactly the pages a KVM guest
 * touched, with capability 0x0008 (LRU_GEN_SECONDARY_MMU_WALK, the series'
 * batched secondary-MMU aging) on and off.
 *
 * The test runs in a memcg of its own with a zram swap device of its own
 * (without swap MGLRU leaves anon pages alone).  It creates the VM and
 * faults in the stack and heap it uses later first, and moves into the
 * memcg after, so the memcg holds the guest's test area (its own memslot
 * of anonymous 4 KiB host pages) and nothing else: the guest's code, stack
 * and page tables, and the test process's own pages, are charged outside.
 * Every count below is then exact (each case checks that the memcg holds
 * exactly the test pages): a generation that holds one page more than the
 * guest touched holds a test page the kernel left young.  The guest drops its
 * own translation of each page before touching it, because clearing accessed
 * state does not flush TLBs.  For each pattern and each setting of 0x0008:
 *
 * walk_<pattern> (only where aging walks page tables, i.e. lru_gen/enabled
 * shows 0x0002; x86 here): age twice with force_scan, so that the accessed
 * state is cleared and the test pages sit below the youngest generation;
 * the guest touches the pattern; age once more with force_scan.  The
 * youngest generation must gain exactly the touched pages.  Then
 * evicting every generation but the two youngest must swap out exactly the
 * untouched pages (pagemap), which proves that the pages the walk promoted
 * are the touched ones, not just as many.
 *
 * evict_<pattern> (every arch; the only way MGLRU sees guest accesses where
 * aging does not walk page tables, as on arm64 here): age three times so the
 * test pages sit in generations eviction may take and (where aging walks)
 * their accessed state is cleared; where aging does not walk, clear it with
 * one eviction pass, which must keep every page since all were just touched,
 * and age three times more; let the guest touch the pattern, and evict every
 * generation but the two youngest.  Eviction checks each
 * page through the rmap (folio_referenced() and lru_gen_look_around(), which
 * with 0x0008 tests the neighbours in one bitmap call and clears them with a
 * trimmed one): exactly the untouched pages must be swapped out, and the
 * touched pages must have moved to the two youngest generations.
 *
 * walk_again_<pattern>, evict_again_<pattern>: the pass that found the
 * touched pages young must also have cleared their accessed state, in the
 * secondary MMU too; with 0x0008 that is one bitmap call per batch,
 * trimmed to the pages found young (DESIGN.md, defect D1).  So with the
 * guest idle, one more walk must find none of them young (the youngest
 * generation gains nothing), and once aged down again without walking page
 * tables (0x0002 off, on every arch, so that no walk clears what eviction
 * left young), one more eviction pass must take every test page.
 *
 * With 0x0008 off the kernel must behave as 6.12: VMs are still walked and
 * their accesses still found, page by page (the *_0x0008_off cases; they
 * also pass on a kernel without the series).  Cases with 0x0008 on skip where
 * the bit does not stick (a kernel without the series).  On x86, the same
 * test under kvm_amd.npt=0 checks the shadow MMU, whose bitmap calls are
 * unreliable, so MGLRU must fall back to per-page calls without losing any
 * access.
 *
 * Limits: one node (node 0); 4 KiB pages; the generations are checked
 * through page counts, and page identity only through what eviction leaves
 * resident.
 *
 * System state it changes: /sys/kernel/mm/lru_gen/enabled; a zram swap
 * device; a memcg, and the memory controller below the root.  All of it is
 * put back when the test ends, by whatever means except SIGKILL
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

/* Patterns to run, and how many. */
static enum access_pattern patterns[NR_ACCESS_PATTERNS] = {
	PATTERN_ALTERNATING, PATTERN_TRIANGULAR, PATTERN_RANDOM,
};
static int nr_patterns = 3;

/* The memcg's lruvec name and id. */
static const char *memcg_path;
static int memcg_id;

/* lru_gen/enabled as found, with the multi-gen LRU itself turned on. */
static unsigned int caps;

/* PATTERN_ALL and PATTERN_NONE, allocated before the test moves into its memcg. */
static unsigned long *all_pages, *no_pages;

static void read_lruvec(struct lru_gen_lruvec *lruvec)
{
	lru_gen_read(memcg_path, MGLRU_NID, lruvec);
}

/* Age once with force_scan; returns the new lruvec. */
static void age(struct lru_gen_lruvec *lruvec)
{
	mglru_age(memcg_path, memcg_id);
	read_lruvec(lruvec);
}

/* Evict every generation but the two youngest. */
static void evict_old(void)
{
	mglru_evict_old(memcg_path, memcg_id, 2 * nr_pages);
}

/*
 * Bring every test page back in (after an eviction) and onto the LRU: the
 * memcg must hold exactly the test pages.
 */
static void touch_all(struct touch_vm *t)
{
	struct lru_gen_lruvec lruvec;

	touch_vm_touch(t, all_pages);
	drop_caches_drain_lru();

	read_lruvec(&lruvec);
	TEST_ASSERT(lru_gen_nr_anon(&lruvec) == nr_pages,
		    "The memcg has %lu anon pages, expected exactly the %zu test pages",
		    lru_gen_nr_anon(&lruvec), nr_pages);
}

/* Those of @touched resident, the others swapped out; returns how many are not. */
static size_t check_resident(struct touch_vm *t, const unsigned long *touched)
{
	return mglru_check_resident(t->mem, t->page_size, nr_pages, touched);
}

static bool run_walk(struct touch_vm *t, const unsigned long *touched)
{
	uint64_t nr_touched = access_pattern_weight(touched, nr_pages), gained, max_seq;
	struct lru_gen_lruvec lruvec;
	bool pass = true;

	touch_all(t);
	age(&lruvec);
	age(&lruvec);
	max_seq = lru_gen_youngest(&lruvec)->seq;
	if (!mglru_aged_down(&lruvec))
		return false;

	/*
	 * The walk moves the pages it finds young to the youngest generation,
	 * max_seq, and then adds a new, empty one: they end up in max_seq - 1.
	 */
	touch_vm_touch(t, touched);
	age(&lruvec);
	TEST_ASSERT_EQ(lru_gen_youngest(&lruvec)->seq, max_seq + 1);
	gained = mglru_nr_anon_from(&lruvec, max_seq);
	if (gained != nr_touched) {
		ksft_print_msg("  the youngest generation gained %lu pages; the guest touched %lu\n",
			       gained, nr_touched);
		pass = false;
	}

	evict_old();
	return !check_resident(t, touched) && pass;
}

/*
 * After run_walk(): the walk that found the touched pages young must also
 * have cleared their accessed state, in the secondary MMU too, so with the
 * guest idle one more walk must find none of them young: the youngest
 * generation gains nothing.  With 0x0008 that clear is one bitmap
 * call per batch, trimmed to the pages found young, whose bits count from
 * the trimmed end; a bitmap not shifted with it ages the wrong pages and
 * leaves these young (DESIGN.md, defect D1).
 */
static bool run_walk_again(void)
{
	struct lru_gen_lruvec lruvec;
	uint64_t max_seq, gained;

	read_lruvec(&lruvec);
	max_seq = lru_gen_youngest(&lruvec)->seq;
	age(&lruvec);
	gained = mglru_nr_anon_from(&lruvec, max_seq);
	if (!gained)
		return true;
	ksft_print_msg("  with the guest idle, the youngest generation gained %lu pages: the previous walk left them young\n",
		       gained);
	return false;
}

static bool run_evict(struct touch_vm *t, const unsigned long *touched)
{
	uint64_t nr_touched = access_pattern_weight(touched, nr_pages), young;
	struct lru_gen_lruvec lruvec;
	bool pass = true;

	touch_all(t);
	age(&lruvec);
	age(&lruvec);
	age(&lruvec);
	if (!(caps & LRU_GEN_CAP_MM_WALK)) {
		/*
		 * Aging that does not walk page tables leaves the accessed
		 * state of the pages alone.  Clear it with an eviction pass:
		 * every page was just touched, so it must find every page
		 * young, keep it and clear its accessed state.  Then age the
		 * pages back down to where eviction takes them.
		 */
		evict_old();
		if (check_resident(t, all_pages)) {
			ksft_print_msg("  eviction took pages the guest had touched\n");
			return false;
		}
		age(&lruvec);
		age(&lruvec);
		age(&lruvec);
	}
	if (!mglru_aged_down(&lruvec))
		return false;

	touch_vm_touch(t, touched);
	evict_old();

	read_lruvec(&lruvec);
	young = mglru_nr_anon_from(&lruvec, lru_gen_youngest(&lruvec)->seq - 1);
	if (young != nr_touched) {
		ksft_print_msg("  the two youngest generations hold %lu pages; the guest touched %lu\n",
			       young, nr_touched);
		pass = false;
	}
	return !check_resident(t, touched) && pass;
}

/*
 * After run_evict(): the eviction that found the touched pages young must
 * also have cleared their accessed state, the page it checked through the
 * rmap with a per-page call and its young neighbours with lru_gen_look_around()'s
 * batch, which with 0x0008 is one bitmap call trimmed to them (DESIGN.md,
 * defect D1).  So with the guest idle, once the pages are aged down again,
 * one eviction pass must take every test page.  The aging passes do not
 * walk page tables (0x0002 off), on every arch: a walk would clear what the
 * eviction left young and hide it.
 */
static bool run_evict_again(struct touch_vm *t)
{
	unsigned int caps_before = mglru_without_mm_walk();
	struct lru_gen_lruvec lruvec;

	age(&lruvec);
	age(&lruvec);
	age(&lruvec);
	evict_old();
	mglru_restore_caps(caps_before);
	if (!check_resident(t, no_pages))
		return true;
	ksft_print_msg("  with the guest idle, eviction still found pages young: the previous one left them so\n");
	return false;
}

static void parse_patterns(char *arg)
{
	char *name;

	nr_patterns = 0;
	for (name = strtok(arg, ","); name; name = strtok(NULL, ",")) {
		enum access_pattern p = access_pattern_parse(name);

		TEST_ASSERT(p < NR_ACCESS_PATTERNS, "Unknown pattern '%s' (-h lists them)", name);
		TEST_ASSERT(nr_patterns < NR_ACCESS_PATTERNS, "Too many patterns");
		patterns[nr_patterns++] = p;
	}
	TEST_ASSERT(nr_patterns, "No pattern in -p");
}

static void help(const char *name)
{
	puts("");
	printf("usage: %s [-h] [-n pages] [-p pattern[,pattern]] [-r seed]\n", name);
	printf(" -n: pages in the guest's test area, %d to %d (default: %zu)\n",
	       2 * MGLRU_MAX_SLACK_PAGES, TOUCH_VM_MAX_PAGES, nr_pages);
	printf(" -p: access patterns (default: alternating,triangular,random); of:");
	access_pattern_print_names();
	printf("\n -r: seed of the random pattern (default: %u)\n", seed);
	puts("");
	exit(0);
}

int main(int argc, char *argv[])
{
	unsigned long *touched;
	struct touch_vm *t;
	int opt, on, i;

	while ((opt = getopt(argc, argv, "hn:p:r:")) != -1) {
		switch (opt) {
		case 'n':
			nr_pages = atoi_positive("Pages", optarg);
			break;
		case 'p':
			parse_patterns(optarg);
			break;
		case 'r':
			seed = atoi_non_negative("Seed", optarg);
			break;
		case 'h':
		default:
			help(argv[0]);
		}
	}
	TEST_ASSERT(nr_pages >= 2 * MGLRU_MAX_SLACK_PAGES && nr_pages <= TOUCH_VM_MAX_PAGES,
		    "-n takes %d to %d pages", 2 * MGLRU_MAX_SLACK_PAGES, TOUCH_VM_MAX_PAGES);

	caps = mglru_test_setup(4 * nr_pages);

	ksft_print_header();
	ksft_set_plan(2 * 4 * nr_patterns);
	ksft_print_msg("seed %u, %zu pages, lru_gen/enabled 0x%04x\n", seed, nr_pages, caps);

	all_pages = bitmap_zalloc(nr_pages);
	access_pattern_fill(all_pages, nr_pages, PATTERN_ALL, seed);
	no_pages = bitmap_zalloc(nr_pages);
	touched = bitmap_zalloc(nr_pages);
	memcg_path = mglru_test_create("lru_gen_aging_test", nr_pages, &t, &memcg_id);
	touch_all(t);
	ksft_print_msg("memcg %s (id %d): %zu test pages\n", memcg_path, memcg_id, nr_pages);
	for (on = 0; on < 2; on++) {
		const char *cap_name = mglru_cap_name(on);
		bool cap_set = mglru_set_secondary_walk(caps, on);

		for (i = 0; i < nr_patterns; i++) {
			const char *pname = access_pattern_name(patterns[i]);

			access_pattern_fill(touched, nr_pages, patterns[i], seed);
			if (!cap_set) {
				ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
							 "walk_%s_%s", pname, cap_name);
				ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
							 "walk_again_%s_%s", pname, cap_name);
			} else if (!(caps & LRU_GEN_CAP_MM_WALK)) {
				ksft_test_result_skip("walk_%s_%s: %s (lru_gen/enabled 0x%04x); see evict_*\n",
						      pname, cap_name, MGLRU_NO_WALK, caps);
				ksft_test_result_skip("walk_again_%s_%s: %s (lru_gen/enabled 0x%04x); see evict_again_*\n",
						      pname, cap_name, MGLRU_NO_WALK, caps);
			} else {
				ksft_test_result(run_walk(t, touched), "walk_%s_%s\n", pname, cap_name);
				ksft_test_result(run_walk_again(), "walk_again_%s_%s\n",
						 pname, cap_name);
			}

			if (!cap_set) {
				ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
							 "evict_%s_%s", pname, cap_name);
				ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
							 "evict_again_%s_%s", pname, cap_name);
			} else {
				ksft_test_result(run_evict(t, touched), "evict_%s_%s\n", pname, cap_name);
				ksft_test_result(run_evict_again(t), "evict_again_%s_%s\n",
						 pname, cap_name);
			}
		}
	}

	free(touched);
	free(all_pages);
	free(no_pages);
	mglru_test_destroy(t);
	ksft_finished();
}
