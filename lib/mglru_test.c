// SPDX-License-Identifier: GPL-2.0
/*
 * What the multi-gen LRU tests share; see mglru_test.h.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bitmap.h>

#include "test_util.h"
#include "kernel_expect.h"
#include "lru_gen.h"
#include "memcg.h"
#include "mglru_test.h"
#include "pagemap.h"
#include "touch_vm.h"
#include "zram_swap.h"

void mglru_test_options(int argc, char *argv[], size_t *nr_pages,
			enum access_pattern *pattern, uint32_t *seed,
			void (*help)(const char *name))
{
	int opt;

	while ((opt = getopt(argc, argv, "hn:p:r:")) != -1) {
		switch (opt) {
		case 'n':
			*nr_pages = atoi_positive("Pages", optarg);
			break;
		case 'p':
			*pattern = access_pattern_parse(optarg);
			TEST_ASSERT(*pattern < NR_ACCESS_PATTERNS &&
				    *pattern != PATTERN_NONE && *pattern != PATTERN_ALL,
				    "Bad pattern '%s' for -p: not none or all (-h lists them)", optarg);
			break;
		case 'r':
			*seed = atoi_non_negative("Seed", optarg);
			break;
		case 'h':
		default:
			help(argv[0]);
		}
	}
	TEST_ASSERT(*nr_pages >= 64 && *nr_pages <= TOUCH_VM_MAX_PAGES,
		    "-n takes 64 to %d pages", TOUCH_VM_MAX_PAGES);
}

/* Whether capability 0x0008 can be turned on: the kernel has the series. */
static bool mglru_cap_sticks;

const char *__mglru_test_setup(size_t swap_pages, unsigned int *caps, const char **feature)
{
	static char why[128];

	*feature = KERNEL_EXPECT_LRU_GEN;
	if (!lru_gen_usable()) {
		snprintf(why, sizeof(why), "no multi-gen LRU (%s), CONFIG_LRU_GEN?",
			 LRU_GEN_ENABLED_PATH);
		return why;
	}
	if (access(LRU_GEN_DEBUGFS, W_OK)) {
		snprintf(why, sizeof(why), "no %s (debugfs)", LRU_GEN_DEBUGFS);
		return why;
	}
	*feature = KERNEL_EXPECT_MEMCG;
	if (!memcg_available()) {
		snprintf(why, sizeof(why), "no cgroup v2 memory controller at %s", MEMCG_ROOT);
		return why;
	}
	*feature = KERNEL_EXPECT_PAGEMAP;
	if (access("/proc/self/pagemap", R_OK))
		return "no /proc/self/pagemap";
	__TEST_REQUIRE(getpagesize() == 4096, "4 KiB pages only");

	*caps = lru_gen_set_caps(lru_gen_get_caps() | LRU_GEN_CAP_CORE);
	mglru_cap_sticks = lru_gen_cap_sticks(LRU_GEN_CAP_SECONDARY_MMU_WALK);
	*feature = KERNEL_EXPECT_ZRAM_SWAP;
	return __zram_swap_add(swap_pages * getpagesize());
}

unsigned int mglru_test_setup(size_t swap_pages)
{
	const char *why, *feature;
	unsigned int caps;

	why = __mglru_test_setup(swap_pages, &caps, &feature);
	TEST_REQUIRE_FEATURE(feature, !why, "%s", why);
	return caps;
}

bool mglru_set_secondary_walk(unsigned int caps, bool on)
{
	unsigned int want = on ? caps | LRU_GEN_CAP_SECONDARY_MMU_WALK :
				 caps & ~LRU_GEN_CAP_SECONDARY_MMU_WALK;

	if (on && !mglru_cap_sticks)
		return false;
	TEST_ASSERT_EQ(lru_gen_set_caps(want), want);
	return true;
}

unsigned int mglru_without_mm_walk(void)
{
	unsigned int caps = lru_gen_get_caps();

	TEST_ASSERT_EQ(lru_gen_set_caps(caps & ~LRU_GEN_CAP_MM_WALK), caps & ~LRU_GEN_CAP_MM_WALK);
	return caps;
}

void mglru_restore_caps(unsigned int caps)
{
	TEST_ASSERT_EQ(lru_gen_set_caps(caps), caps);
}

/* Stack and heap faulted in before moving into the memcg. */
#define MGLRU_PREFAULT_STACK	(256 << 10)
#define MGLRU_PREFAULT_HEAP	(4 << 20)

static noinline void mglru_prefault_stack(void)
{
	volatile char stack[MGLRU_PREFAULT_STACK];
	size_t i;

	for (i = 0; i < sizeof(stack); i += 1024)
		stack[i] = 0;
}

/*
 * Fault in, outside the memcg, the stack and heap the test process uses
 * later, so that its own page faults charge nothing to the memcg: stack
 * below the caller's frame, and a heap that glibc neither trims nor
 * bypasses with mmap() for large allocations.
 */
static void mglru_prefault(void)
{
	char *heap;

	mglru_prefault_stack();
	TEST_ASSERT(mallopt(M_MMAP_THRESHOLD, 2 * MGLRU_PREFAULT_HEAP) &&
		    mallopt(M_TRIM_THRESHOLD, 4 * MGLRU_PREFAULT_HEAP), "mallopt()");
	heap = malloc(MGLRU_PREFAULT_HEAP);
	TEST_ASSERT(heap, "malloc(%d)", MGLRU_PREFAULT_HEAP);
	memset(heap, 0, MGLRU_PREFAULT_HEAP);
	free(heap);
}

const char *mglru_memcg_create(const char *test, int *memcg_id)
{
	struct lru_gen_lruvec lruvec;
	const char *memcg_path;
	char name[64];

	snprintf(name, sizeof(name), "%s.%d", test, getpid());
	memcg_path = memcg_create(name);
	lru_gen_read(memcg_path, MGLRU_NID, &lruvec);
	*memcg_id = lruvec.memcg_id;
	return memcg_path;
}

void mglru_memcg_enter(void)
{
	mglru_prefault();
	memcg_enter();
}

const char *mglru_test_create(const char *test, size_t nr_pages, struct touch_vm **t,
			      int *memcg_id)
{
	const char *memcg_path = mglru_memcg_create(test, memcg_id);

	*t = touch_vm_create(nr_pages);
	mglru_memcg_enter();
	return memcg_path;
}

void mglru_age(const char *memcg_path, int memcg_id)
{
	struct lru_gen_lruvec lruvec;

	lru_gen_read(memcg_path, MGLRU_NID, &lruvec);
	lru_gen_age(memcg_id, MGLRU_NID, lru_gen_youngest(&lruvec)->seq, MGLRU_ANON_ONLY, true);
}

void mglru_evict_old(const char *memcg_path, int memcg_id, size_t nr_pages)
{
	struct lru_gen_lruvec lruvec;

	lru_gen_read(memcg_path, MGLRU_NID, &lruvec);
	lru_gen_evict(memcg_id, MGLRU_NID, lru_gen_youngest(&lruvec)->seq - LRU_GEN_MIN_NR_GENS,
		      MGLRU_ANON_ONLY, nr_pages);
}

uint64_t mglru_nr_anon_from(const struct lru_gen_lruvec *lruvec, uint64_t seq)
{
	uint64_t nr = 0;
	int i;

	for (i = 0; i < lruvec->nr_gens; i++) {
		if (lruvec->gens[i].seq >= seq)
			nr += lruvec->gens[i].nr_anon;
	}
	return nr;
}

bool mglru_aged_down(const struct lru_gen_lruvec *lruvec)
{
	uint64_t young = mglru_nr_anon_from(lruvec, lru_gen_youngest(lruvec)->seq - 1);

	if (!young)
		return true;
	ksft_print_msg("  with the guest idle, %lu test pages stay in the two youngest generations: their accessed state was not cleared\n",
		       young);
	return false;
}

size_t mglru_check_resident(char *mem, size_t page_size, size_t nr_pages,
			    const unsigned long *touched)
{
	unsigned long *untouched = bitmap_zalloc(nr_pages);
	size_t page, wrong;

	for (page = 0; page < nr_pages; page++)
		if (!test_bit(page, touched))
			__set_bit(page, untouched);
	wrong = pagemap_check_resident(mem, page_size, nr_pages, touched, true,
				       "the touched pages") +
		pagemap_check_resident(mem, page_size, nr_pages, untouched, false,
				       "the untouched pages");
	free(untouched);
	return wrong;
}

void mglru_test_teardown(void)
{
	memcg_leave();
	zram_swap_remove();
}

void mglru_test_destroy(struct touch_vm *t)
{
	memcg_leave();
	touch_vm_destroy(t);
	zram_swap_remove();
}
