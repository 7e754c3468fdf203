// SPDX-License-Identifier: GPL-2.0
/*
 * nested_aging_test: aging is exact while a VM runs a nested guest, and the
 * fast path comes back once the nested guest's shadow pages are gone (x86,
 * nested SVM with NPT).
 *
 * A VM that runs a nested guest with nested paging has two secondary MMUs
 * for its memory: the TDP MMU maps what the VM (L1) touches, and the shadow
 * MMU, which shadows L1's nested page tables, maps what the nested guest
 * (L2) touches.  An access of L2 sets an Accessed bit in a shadow MMU SPTE
 * only, which the TDP MMU cannot see.  The shadow MMU needs mmu_lock, so
 * KVM serves plain calls there under the lock and reports bitmap calls
 * unreliable (MMU_NOTIFIER_YOUNG_BITMAP_UNRELIABLE) rather than take it;
 * once the shadow pages are zapped (kvm->arch.indirect_shadow_pages is 0),
 * bitmap calls are reliable and exact again.
 *
 * L1 identity-maps its first 4 GiB with 2 MiB nested page tables and runs
 * L2 on its own page tables; either level touches a pattern of the test
 * area (its own memslot of 4 KiB host pages) on request.  Through the MMU
 * notifier test driver the test then checks, page by page:
 *
 *   shadow_plain_test_exact       L2 touched P: plain test_young sees P
 *   shadow_bitmap_test_exact_or_unreliable
 *                                 the bitmap test reports BITMAP_UNRELIABLE,
 *                                 or exactly P (never a wrong bit as reliable)
 *   shadow_plain_clear_ages_l2    plain clear_young ages what L2 touched
 *   shadow_lru_gen_walk_exact_0x0008_off, _on
 *                                 with L2 running, the multi-gen LRU's aging
 *                                 walk, which with 0x0008 asks KVM through
 *                                 bitmap calls and must fall back to plain
 *                                 ones when they are unreliable: after two
 *                                 agings cleared every page, L2 touches R,
 *                                 and one more aging must promote exactly
 *                                 |R| pages to the youngest generation, and
 *                                 evicting the old generations must swap
 *                                 out exactly the pages not in R (R: random,
 *                                 as P and Q, from another seed)
 *   shadow_page_idle_exact        idle page tracking (plain calls, page by
 *                                 page) reports not idle exactly the pages
 *                                 L2 touched after they were marked idle
 *   zapped_bitmap_test_reliable_exact
 *                                 after a memslot deletion zapped every
 *                                 shadow page, L1 touched Q: the bitmap test
 *                                 is reliable, fast and exactly Q
 *   zapped_bitmap_clear_reliable  the bitmap clear of Q is reliable, and
 *                                 ages exactly Q
 *   shadow_again_bitmap_exact_or_unreliable
 *                                 L2 runs again and touches P: as above
 *
 * The test area is charged to a memcg of the test's own, which holds only
 * it (as in lru_gen_aging_test), with a zram swap device of its own.
 *
 * Needs nested SVM with NPT (the rig's x86 guests: QEMU -cpu max), the TDP
 * MMU with Accessed bits (not kvm_amd.npt=0), and the test driver; the
 * lru_gen cases also the multi-gen LRU, a memory controller and zram swap
 * (they skip, or fail as KERNEL_EXPECT says, without).
 *
 * System state it changes: /sys/kernel/mm/lru_gen/enabled, a zram swap
 * device, a memcg: put back at exit, as in lru_gen_aging_test.  It also
 * drops the clean page cache (drop_caches_drain_lru()), which cannot be
 * undone.
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
#include "ucall_common.h"
#include "access_pattern.h"
#include "guest_tlb.h"
#include "kernel_expect.h"
#include "kernel_file.h"
#include "lru_gen.h"
#include "mglru_test.h"
#include "page_idle.h"
#include "pagemap.h"
#include "tmny.h"
#include "touch_vm.h"

#if defined(__x86_64__) && defined(HAVE_TMNY_UAPI)

#include "processor.h"
#include "svm_util.h"

#define NR_PAGES		512
#define AREA_GPA		0x40000000UL
#define AREA_SLOT		1
/* A memslot created and deleted only to make KVM zap all shadow pages. */
#define SCRATCH_GPA		0x80000000UL
#define SCRATCH_SLOT		2
/* Nested page tables: identity map of [0, 4 GiB) with 2 MiB pages. */
#define NPT_GIB			4
#define NPT_PAGES		(2 + NPT_GIB)	/* PML4, PDPT, one PD per GiB */
#define NPT_TABLE		(PTE_PRESENT_MASK | PTE_WRITABLE_MASK | PTE_USER_MASK)
#define NPT_2M			(NPT_TABLE | PTE_LARGE_MASK)
#define L2_STACK_WORDS		256

enum guest_cmd {
	CMD_L1_TOUCH = 1,
	CMD_L2_TOUCH,
};

/* Shared with the guest. */
static uint64_t guest_cmd;
static uint64_t npt_cr3;
static unsigned long guest_pattern[BITS_TO_LONGS(NR_PAGES)];

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;
static char *area;
static char *scratch;
static int tmny_fd = -1;
static uint32_t seed = 1;

/* The lru_gen cases: why they cannot run, or the memcg that holds the area. */
static const char *mglru_why, *mglru_feature;
static unsigned int caps;
static const char *memcg_path;
static int memcg_id;

static void touch_pattern(uint64_t round)
{
	uint64_t page;

	for (page = 0; page < NR_PAGES; page++) {
		uint64_t gva = AREA_GPA + page * PAGE_SIZE;

		if (!test_bit(page, guest_pattern))
			continue;
		guest_drop_translation(gva);
		WRITE_ONCE(*(uint64_t *)gva, round);
	}
}

static void l2_guest_code(void)
{
	uint64_t round;

	for (round = 1;; round++) {
		touch_pattern(round);
		vmmcall();
	}
}

static void l1_guest_code(struct svm_test_data *svm)
{
	unsigned long l2_stack[L2_STACK_WORDS];
	struct vmcb *vmcb = svm->vmcb;
	uint64_t round;

	generic_svm_setup(svm, l2_guest_code, &l2_stack[L2_STACK_WORDS]);
	vmcb->control.nested_ctl |= SVM_NESTED_CTL_NP_ENABLE;
	vmcb->control.nested_cr3 = npt_cr3;

	for (round = 1;; round++) {
		GUEST_SYNC(round);
		if (READ_ONCE(guest_cmd) == CMD_L2_TOUCH) {
			run_guest(vmcb, svm->vmcb_gpa);
			GUEST_ASSERT_EQ(vmcb->control.exit_code, SVM_EXIT_VMMCALL);
			/* Resume L2 after its VMMCALL next time (0f 01 d9). */
			vmcb->save.rip += 3;
		} else {
			touch_pattern(round);
		}
	}
}

/* Let L1 or L2 touch @pattern. */
static void guest_touch(enum guest_cmd cmd, const unsigned long *pattern)
{
	guest_cmd = cmd;
	memcpy(guest_pattern, pattern, sizeof(guest_pattern));
	sync_global_to_guest(vm, guest_cmd);
	sync_global_to_guest(vm, guest_pattern);
	vcpu_run_to_sync(vcpu);
}

/* Build L1's nested page tables in guest memory; returns their root. */
static uint64_t npt_build(void)
{
	/* Physically contiguous, like every vm_vaddr_alloc(). */
	vm_paddr_t base = addr_gva2gpa(vm, vm_vaddr_alloc_pages(vm, NPT_PAGES));
	uint64_t *pml4 = addr_gpa2hva(vm, base);
	uint64_t *pdpt = addr_gpa2hva(vm, base + PAGE_SIZE);
	int gib, i;

	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	pml4[0] = (base + PAGE_SIZE) | NPT_TABLE;
	for (gib = 0; gib < NPT_GIB; gib++) {
		vm_paddr_t pd_gpa = base + (2 + gib) * PAGE_SIZE;
		uint64_t *pd = addr_gpa2hva(vm, pd_gpa);

		pdpt[gib] = pd_gpa | NPT_TABLE;
		for (i = 0; i < 512; i++)
			pd[i] = ((uint64_t)gib << 30) + ((uint64_t)i << 21) + NPT_2M;
	}
	return base;
}

/* Make KVM zap every shadow page: delete a memslot (fast zap of all). */
static void zap_all(void)
{
	vm_set_user_memory_region(vm, SCRATCH_SLOT, 0, SCRATCH_GPA, PAGE_SIZE, scratch);
	vm_set_user_memory_region(vm, SCRATCH_SLOT, 0, SCRATCH_GPA, 0, NULL);
}

static uint64_t page_hva(size_t page)
{
	return (uint64_t)(uintptr_t)(area + page * PAGE_SIZE);
}

static int call(unsigned long cmd, uint64_t start, uint64_t end, uint64_t *bitmap)
{
	int r = tmny_call(tmny_fd, cmd, start, end, bitmap);

	TEST_ASSERT(r >= 0, "test driver ioctl 0x%lx: %s", cmd, strerror(-r));
	return r;
}

/* The pages plain test_young finds young, one call per page. */
static void plain_test(unsigned long *young)
{
	size_t page;

	bitmap_zero(young, NR_PAGES);
	for (page = 0; page < NR_PAGES; page++)
		if (call(TMNY_TEST_YOUNG, page_hva(page), page_hva(page) + PAGE_SIZE, NULL) &
		    TMNY_YOUNG)
			__set_bit(page, young);
}

/* The bitmap test over the whole area: result mask, young pages. */
static int bitmap_test(unsigned long *young)
{
	uint64_t bits[NR_PAGES / 64];
	int r;

	memset(bits, 0, sizeof(bits));
	r = call(TMNY_TEST_YOUNG_BITMAP, page_hva(0), page_hva(NR_PAGES), bits);
	tmny_bits_to_pages(bits, 0, NR_PAGES, young);
	return r;
}

/* Compare @got with @want; print the first differences.  True if equal. */
static bool same_pages(const char *what, const unsigned long *got, const unsigned long *want)
{
	size_t page, diffs = 0;

	for (page = 0; page < NR_PAGES; page++) {
		if (!!test_bit(page, got) == !!test_bit(page, want))
			continue;
		if (diffs++ < 8)
			ksft_print_msg("  %s: page %zu is %s, but it was %s\n", what, page,
				       test_bit(page, got) ? "young" : "old",
				       test_bit(page, want) ? "touched" : "not touched");
	}
	if (diffs)
		ksft_print_msg("  %s: %zu of %d pages differ\n", what, diffs, NR_PAGES);
	return !diffs;
}

/* A bitmap test while shadow pages may exist: unreliable, or exact. */
static void check_bitmap_exact_or_unreliable(const char *name, const unsigned long *want)
{
	unsigned long *young = bitmap_zalloc(NR_PAGES);
	int r = bitmap_test(young);
	bool ok;

	ksft_print_msg("%s: result 0x%x\n", name, r);
	if (r & TMNY_YOUNG_BITMAP_UNRELIABLE)
		ok = !(r & TMNY_YOUNG_FAST);
	else
		ok = r == (TMNY_YOUNG | TMNY_YOUNG_FAST) && same_pages(name, young, want);
	ksft_test_result(ok, "%s\n", name);
	free(young);
}

/*
 * Mark the test area idle, let L2 touch @want, and read the idle flags
 * back: idle page tracking asks the secondary MMUs page by page, with the
 * plain calls, so the shadow MMU's answer must come through.  Pages whose
 * PFN idle page tracking cannot track (the last partial 64-page chunk of
 * memory, see page_idle.h) are left out.
 */
static bool page_idle_exact(const unsigned long *all, const unsigned long *want)
{
	unsigned long *young = bitmap_zalloc(NR_PAGES), *expected = bitmap_zalloc(NR_PAGES);
	uint64_t pfns[NR_PAGES];
	size_t page, untracked;
	bool ok;
	int idle;

	/* Every page back in: the lru_gen cases swapped some out. */
	guest_touch(CMD_L2_TOUCH, all);
	drop_caches_drain_lru();
	for (page = 0; page < NR_PAGES; page++)
		pfns[page] = pagemap_hva_to_pfn(area + page * PAGE_SIZE);
	untracked = page_idle_mark_all(pfns, NR_PAGES);

	guest_touch(CMD_L2_TOUCH, want);
	for (page = 0; page < NR_PAGES; page++) {
		idle = __page_idle_is_idle(pfns[page]);
		if (idle == 0)
			__set_bit(page, young);
		/* -1: untracked, left out of the comparison */
		if (idle >= 0 && test_bit(page, want))
			__set_bit(page, expected);
	}
	if (untracked)
		ksft_print_msg("  %zu pages left out: PFNs outside idle page tracking\n", untracked);
	ok = same_pages("shadow_page_idle_exact", young, expected);
	free(expected);
	free(young);
	return ok;
}

static void age_memcg(struct lru_gen_lruvec *lruvec)
{
	mglru_age(memcg_path, memcg_id);
	lru_gen_read(memcg_path, MGLRU_NID, lruvec);
}

/*
 * L2 touches @touched while the multi-gen LRU's aging walks the test area,
 * whose pages are mapped by the shadow MMU (L2) and, some, by the TDP MMU
 * (L1): the walk must find exactly the pages L2 touched, whatever its bitmap
 * calls report.
 */
static bool lru_gen_walk_exact(const unsigned long *all, const unsigned long *touched)
{
	uint64_t nr_touched = access_pattern_weight(touched, NR_PAGES), gained, max_seq;
	struct lru_gen_lruvec lruvec;
	bool pass;

	/* Every page back in (the last case swapped some out), all on the LRU. */
	guest_touch(CMD_L2_TOUCH, all);
	drop_caches_drain_lru();
	lru_gen_read(memcg_path, MGLRU_NID, &lruvec);
	if (lru_gen_nr_anon(&lruvec) != NR_PAGES) {
		ksft_print_msg("  the memcg has %lu anon pages, expected exactly the %d test pages\n",
			       lru_gen_nr_anon(&lruvec), NR_PAGES);
		return false;
	}

	age_memcg(&lruvec);
	age_memcg(&lruvec);
	if (!mglru_aged_down(&lruvec))
		return false;
	max_seq = lru_gen_youngest(&lruvec)->seq;

	guest_touch(CMD_L2_TOUCH, touched);
	age_memcg(&lruvec);
	TEST_ASSERT_EQ(lru_gen_youngest(&lruvec)->seq, max_seq + 1);
	gained = mglru_nr_anon_from(&lruvec, max_seq);
	ksft_print_msg("  L2 touched %lu pages; the youngest generation gained %lu\n",
		       nr_touched, gained);
	pass = gained == nr_touched;

	mglru_evict_old(memcg_path, memcg_id, 2 * NR_PAGES);
	return !mglru_check_resident(area, PAGE_SIZE, NR_PAGES, touched) && pass;
}

static void run_lru_gen_checks(void)
{
	unsigned long *all = bitmap_zalloc(NR_PAGES), *p = bitmap_zalloc(NR_PAGES);
	int on;

	access_pattern_fill(all, NR_PAGES, PATTERN_ALL, seed);
	access_pattern_fill(p, NR_PAGES, PATTERN_RANDOM, seed + 2);
	for (on = 0; on < 2; on++) {
		const char *cap_name = mglru_cap_name(on);

		if (mglru_why)
			ksft_test_result_missing(mglru_feature, mglru_why,
						 "shadow_lru_gen_walk_exact_%s", cap_name);
		else if (!mglru_set_secondary_walk(caps, on))
			ksft_test_result_missing(KERNEL_EXPECT_SECONDARY_WALK, MGLRU_NO_CAP,
						 "shadow_lru_gen_walk_exact_%s", cap_name);
		else if (!(caps & LRU_GEN_CAP_MM_WALK))
			ksft_test_result_skip("shadow_lru_gen_walk_exact_%s: %s (lru_gen/enabled 0x%04x)\n",
					      cap_name, MGLRU_NO_WALK, caps);
		else
			ksft_test_result(lru_gen_walk_exact(all, p), "shadow_lru_gen_walk_exact_%s\n",
					 cap_name);
	}
	free(p);
	free(all);
}

static void run_checks(void)
{
	unsigned long *p = bitmap_zalloc(NR_PAGES), *q = bitmap_zalloc(NR_PAGES);
	unsigned long *all = bitmap_zalloc(NR_PAGES), *none = bitmap_zalloc(NR_PAGES);
	unsigned long *young = bitmap_zalloc(NR_PAGES);
	uint64_t bits[NR_PAGES / 64];
	int r;

	access_pattern_fill(all, NR_PAGES, PATTERN_ALL, seed);
	access_pattern_fill(p, NR_PAGES, PATTERN_RANDOM, seed);
	access_pattern_fill(q, NR_PAGES, PATTERN_RANDOM, seed + 1);

	/* L2 maps the whole area through the shadow MMU, then ages it all. */
	guest_touch(CMD_L2_TOUCH, all);
	call(TMNY_CLEAR_YOUNG, page_hva(0), page_hva(NR_PAGES), NULL);
	plain_test(young);
	TEST_ASSERT(!access_pattern_weight(young, NR_PAGES), "Pages still young after clear_young");

	guest_touch(CMD_L2_TOUCH, p);
	plain_test(young);
	ksft_test_result(same_pages("shadow_plain_test_exact", young, p),
			 "shadow_plain_test_exact\n");

	check_bitmap_exact_or_unreliable("shadow_bitmap_test_exact_or_unreliable", p);

	r = call(TMNY_CLEAR_YOUNG, page_hva(0), page_hva(NR_PAGES), NULL);
	plain_test(young);
	ksft_test_result((r & TMNY_YOUNG) && same_pages("shadow_plain_clear_ages_l2", young, none),
			 "shadow_plain_clear_ages_l2\n");

	/*
	 * Before idle page tracking: it sets PG_young on the pages whose
	 * accessed bits it clears, and eviction takes that as a reference.
	 */
	run_lru_gen_checks();

	if (page_idle_available())
		ksft_test_result(page_idle_exact(all, p), "shadow_page_idle_exact\n");
	else
		ksft_test_result_missing(KERNEL_EXPECT_PAGE_IDLE, "no idle page tracking",
					 "shadow_page_idle_exact");

	/* Zap the shadow pages; L1 alone touches Q through the TDP MMU. */
	zap_all();
	guest_touch(CMD_L1_TOUCH, q);
	r = bitmap_test(young);
	ksft_print_msg("zapped_bitmap_test_reliable_exact: result 0x%x\n", r);
	ksft_test_result(r == (TMNY_YOUNG | TMNY_YOUNG_FAST) &&
			 same_pages("zapped_bitmap_test_reliable_exact", young, q),
			 "zapped_bitmap_test_reliable_exact\n");

	tmny_bits_from_pages(q, 0, NR_PAGES, bits);
	r = call(TMNY_CLEAR_YOUNG_BITMAP, page_hva(0), page_hva(NR_PAGES), bits);
	ksft_print_msg("zapped_bitmap_clear_reliable: result 0x%x\n", r);
	plain_test(young);
	ksft_test_result(r == (TMNY_YOUNG | TMNY_YOUNG_FAST) &&
			 same_pages("zapped_bitmap_clear_reliable", young, none),
			 "zapped_bitmap_clear_reliable\n");

	/* The nested guest comes back, and with it the shadow MMU. */
	guest_touch(CMD_L2_TOUCH, p);
	check_bitmap_exact_or_unreliable("shadow_again_bitmap_exact_or_unreliable", p);

	free(young);
	free(none);
	free(all);
	free(q);
	free(p);
}

static void help(const char *name)
{
	puts("");
	printf("usage: %s [-h] [-r seed]\n", name);
	printf(" -r: seed of the random patterns (default: %u)\n", seed);
	puts("");
	exit(0);
}

int main(int argc, char *argv[])
{
	vm_vaddr_t svm_gva;
	size_t size = NR_PAGES * PAGE_SIZE;
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

	/*
	 * Only an Intel host is a reason to skip.  On an AMD host, a KVM
	 * without nested SVM, NPT or the TDP MMU fails where the runner knows
	 * the kernel has KVM: tests.list runs this test on the default boot.
	 */
	__TEST_REQUIRE(host_cpu_is_amd, "nested SVM: needs an AMD host (or QEMU's emulation of one)");
	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_KVM, kvm_cpu_has(X86_FEATURE_SVM) &&
			     kvm_cpu_has(X86_FEATURE_NPT),
			     "KVM offers no nested SVM with NPT (kvm_amd.nested, kvm_amd.npt)");
	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_KVM, tmny_fast_path(),
			     "needs the TDP MMU with NPT (kvm.tdp_mmu=Y, kvm_amd.npt=Y)");
	tmny_fd = tmny_open();
	mglru_why = __mglru_test_setup(4 * NR_PAGES, &caps, &mglru_feature);

	ksft_print_header();
	ksft_set_plan(9);
	ksft_print_msg("seed %u, %d pages\n", seed, NR_PAGES);
	if (!mglru_why)
		memcg_path = mglru_memcg_create("nested_aging_test", &memcg_id);

	vm = __vm_create_with_one_vcpu(&vcpu, NR_PAGES / 512 + 16, l1_guest_code);
	vcpu_alloc_svm(vm, &svm_gva);
	vcpu_args_set(vcpu, 1, svm_gva);

	area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(area != MAP_FAILED, "mmap(%zu)", size);
	TEST_ASSERT(!madvise(area, size, MADV_NOHUGEPAGE), "madvise(MADV_NOHUGEPAGE)");
	vm_set_user_memory_region(vm, AREA_SLOT, 0, AREA_GPA, size, area);
	virt_map(vm, AREA_GPA, AREA_GPA, NR_PAGES);
	scratch = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(scratch != MAP_FAILED, "mmap()");

	npt_cr3 = npt_build();
	sync_global_to_guest(vm, npt_cr3);

	/* Run L1 to its first sync: SVM and nested paging are set up. */
	guest_touch(CMD_L1_TOUCH, (unsigned long[BITS_TO_LONGS(NR_PAGES)]) {});
	/* From here on, what the guest faults in is charged to the memcg: the area. */
	if (!mglru_why)
		mglru_memcg_enter();
	run_checks();

	if (!mglru_why)
		mglru_test_teardown();
	kvm_vm_free(vm);
	munmap(scratch, PAGE_SIZE);
	munmap(area, size);
	close(tmny_fd);
	ksft_finished();
}

#else

#if !defined(__x86_64__)
int main(void)
{
	print_skip("nested SVM: x86_64 only");
	exit(KSFT_SKIP);
}
#else
TMNY_MAIN_WITHOUT_DRIVER()
#endif

#endif
