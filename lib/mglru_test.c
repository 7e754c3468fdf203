// SPDX-License-Identifier: GPL-2.0
/*
 * What the multi-gen LRU tests share; see mglru_test.h.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "kernel_expect.h"
#include "lru_gen.h"
#include "memcg.h"
#include "mglru_test.h"
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

unsigned int mglru_test_setup(size_t swap_pages)
{
	unsigned int caps;
	const char *why;

	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_LRU_GEN, lru_gen_usable(),
			     "no multi-gen LRU (%s), CONFIG_LRU_GEN?", LRU_GEN_ENABLED_PATH);
	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_LRU_GEN, !access(LRU_GEN_DEBUGFS, W_OK),
			     "no %s (debugfs)", LRU_GEN_DEBUGFS);
	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_MEMCG, memcg_available(),
			     "no cgroup v2 memory controller at %s", MEMCG_ROOT);
	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_PAGEMAP, !access("/proc/self/pagemap", R_OK),
			     "no /proc/self/pagemap");
	__TEST_REQUIRE(getpagesize() == 4096, "4 KiB pages only");

	caps = lru_gen_set_caps(lru_gen_get_caps() | LRU_GEN_CAP_CORE);
	mglru_cap_sticks = lru_gen_cap_sticks(LRU_GEN_CAP_SECONDARY_MMU_WALK);
	why = __zram_swap_add(swap_pages * getpagesize());
	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_ZRAM_SWAP, !why, "%s", why);
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

static void __attribute__((noinline)) mglru_prefault_stack(void)
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

const char *mglru_test_create(const char *test, size_t nr_pages, struct touch_vm **t,
			      int *memcg_id)
{
	struct lru_gen_lruvec lruvec;
	const char *memcg_path;
	char name[64];

	snprintf(name, sizeof(name), "%s.%d", test, getpid());
	memcg_path = memcg_create(name);
	lru_gen_read(memcg_path, MGLRU_NID, &lruvec);
	*memcg_id = lruvec.memcg_id;
	*t = touch_vm_create(nr_pages);
	mglru_prefault();
	memcg_enter();
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

void mglru_test_destroy(struct touch_vm *t)
{
	memcg_leave();
	touch_vm_destroy(t);
	zram_swap_remove();
}
