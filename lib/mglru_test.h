/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the multi-gen LRU tests share: their requirements, and a memcg and a
 * swap device of their own around a touch_vm.
 */
#ifndef SELFTEST_KVM_MGLRU_TEST_H
#define SELFTEST_KVM_MGLRU_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access_pattern.h"

struct touch_vm;
struct lru_gen_lruvec;

/* The node the tests' pages are on (the rig's guests have one). */
#define MGLRU_NID		0

/* Swappiness for aging and eviction: anon pages only (the memcgs have no file pages). */
#define MGLRU_ANON_ONLY		200

/*
 * Pages of a test's memcg that are not test pages: host stack and heap the
 * test process faults in after moving into the memcg, although
 * mglru_test_create() faults in stack and heap before (so there are
 * usually none).  Aging may find them young, since the process itself
 * touches them.  More than this means the setup is broken.
 */
#define MGLRU_MAX_SLACK_PAGES	16

/* Why cases skip. */
#define MGLRU_NO_CAP	"capability 0x0008 of lru_gen/enabled does not stick (the series adds it)"
#define MGLRU_NO_WALK	"aging does not walk page tables here (no 0x0002)"

/*
 * The options of the MGLRU tests that take one pattern: -n pages (64 to
 * TOUCH_VM_MAX_PAGES), -p a pattern other than none and all, -r seed.  -h
 * and anything else call @help, which exits.
 */
void mglru_test_options(int argc, char *argv[], size_t *nr_pages,
			enum access_pattern *pattern, uint32_t *seed,
			void (*help)(const char *name));

/*
 * Skip (KSFT_SKIP, naming what is missing) unless the kernel has the
 * multi-gen LRU, debugfs lru_gen, a cgroup v2 memory controller, pagemap,
 * 4 KiB pages and zram swap.  Then turn the multi-gen LRU on (restored at
 * exit) and add a zram swap device of @swap_pages pages: without swap it
 * leaves anon pages alone.  Returns lru_gen/enabled.
 */
unsigned int mglru_test_setup(size_t swap_pages);

/*
 * The same, for a test whose MGLRU cases are some of its cases: returns
 * NULL, with lru_gen/enabled in @caps, or why the cases cannot run, with
 * the KERNEL_EXPECT_* feature that is missing in @feature (for
 * ksft_test_result_missing()).
 */
const char *__mglru_test_setup(size_t swap_pages, unsigned int *caps, const char **feature);

/*
 * Set lru_gen/enabled to @caps (as mglru_test_setup() returned it) with
 * capability 0x0008 @on, and assert that it reads back so.  Returns false,
 * changing nothing, if @on and 0x0008 does not stick (a kernel without the
 * series): the cases that need it skip with MGLRU_NO_CAP.
 */
bool mglru_set_secondary_walk(unsigned int caps, bool on);

/*
 * Turn capability 0x0002 off (aging no longer walks page tables), keeping the
 * others, and return lru_gen/enabled as it was, for mglru_restore_caps().
 * For the cases that check what an eviction pass left young: an aging walk
 * in between would clear it, and hide what eviction did.
 */
unsigned int mglru_without_mm_walk(void);

/* Write back @caps, as mglru_without_mm_walk() returned them. */
void mglru_restore_caps(unsigned int caps);

/* The suffix of the cases run with 0x0008 @on or off. */
static inline const char *mglru_cap_name(bool on)
{
	return on ? "0x0008_on" : "0x0008_off";
}

/*
 * Create the memcg "@test.<pid>" and a touch_vm of @nr_pages pages, and move
 * in: the guest's test area, and nothing else of the guest, is charged to
 * the memcg, since the VM is created before, and the stack and heap the
 * process uses later are faulted in before too.  (The process stays in the
 * memcg: MGLRU walks the mms of a memcg's tasks.)  Returns the memcg's path as
 * debugfs lru_gen names it, and its id in @memcg_id.  (Reads debugfs
 * lru_gen before moving in, so its buffer is not charged to the memcg.)
 */
const char *mglru_test_create(const char *test, size_t nr_pages, struct touch_vm **t,
			      int *memcg_id);

/*
 * mglru_test_create()'s steps, for a test with a VM of its own: create the
 * memcg (before the VM), and, once the VM has run, move in.
 */
const char *mglru_memcg_create(const char *test, int *memcg_id);
void mglru_memcg_enter(void);

/* Age the memcg @memcg_path (id @memcg_id) on MGLRU_NID once, with force_scan. */
void mglru_age(const char *memcg_path, int memcg_id);

/* Evict its generations but the two youngest, at most @nr_pages pages. */
void mglru_evict_old(const char *memcg_path, int memcg_id, size_t nr_pages);

/* Anon pages of the generations of @lruvec from @seq on. */
uint64_t mglru_nr_anon_from(const struct lru_gen_lruvec *lruvec, uint64_t seq);

/*
 * Whether the test pages, all touched once, have been aged out of the two
 * youngest generations of @lruvec: else their accessed state, in the
 * primary or the secondary MMU, was not cleared by the passes that found
 * it, and a case cannot tell what the guest touches next.  Says why not.
 */
bool mglru_aged_down(const struct lru_gen_lruvec *lruvec);

/*
 * The pages eviction left of the @nr_pages at @mem: those of @touched
 * resident, the others swapped out.  Returns the number of pages that are
 * not so, and prints the first.
 */
size_t mglru_check_resident(char *mem, size_t page_size, size_t nr_pages,
			    const unsigned long *touched);

/* Undo mglru_memcg_enter() and __mglru_test_setup(). */
void mglru_test_teardown(void);

/* Undo mglru_test_create() and mglru_test_setup(). */
void mglru_test_destroy(struct touch_vm *t);

#endif /* SELFTEST_KVM_MGLRU_TEST_H */
