// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_lock_test: the aging MMU notifiers take kvm->mmu_lock only where they
 * must.
 *
 * Reclaim and idle page tracking age every page of a process that runs a
 * VM, most of them the VMM's own memory that no memslot maps.  For those,
 * KVM must not touch mmu_lock at all, as on 6.12; for guest memory, the x86
 * TDP MMU ages without it, arm64 takes it for read only, and a bitmap call
 * never takes it for write on any MMU.
 *
 * The test counts the acquisitions of kvm->mmu_lock that its own thread
 * makes, with lockdep's lock:lock_acquire tracepoint in a tracefs instance
 * of its own, filtered to the lock's class and to the test's thread, while
 * it calls each of the four aging calls through the MMU notifier test driver
 * on 64 pages:
 *
 *   host_memory_*:  anonymous memory of the test that no memslot maps: no
 *                   acquisition, on every arch and MMU;
 *   guest_memory_*: the guest's memory, which the guest touched just
 *                   before: x86 TDP MMU with Accessed bits, no acquisition;
 *                   x86 otherwise (kvm_amd.npt=0, kvm.tdp_mmu=0), plain
 *                   calls take it for write and bitmap calls not at all;
 *                   arm64, read acquisitions only.
 *
 * A control case first checks that the counting works: the guest's first
 * touch of its memory faults it in from the test's thread, which takes
 * mmu_lock on every MMU.
 *
 * Needs a kernel with lockdep (the rig's --debug) for the tracepoint, and
 * the test driver.  No nested guest runs: on x86 the shadow MMU is then
 * empty, and kvm->arch.indirect_shadow_pages is 0.
 *
 * System state it changes: a tracefs instance with lock:lock_acquire
 * enabled.  All of it is put back when the test ends, by whatever means
 * except SIGKILL (restore_at_exit()).
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
#include "kernel_file.h"
#include "tmny.h"
#include "touch_vm.h"
#include "trace_instance.h"

#ifdef HAVE_TMNY_UAPI

/* Pages per call: one bitmap word. */
#define NR_PAGES		64
/*
 * The lockdep class of kvm->mmu_lock is named after the expression that
 * initialised it, "&(kvm)->mmu_lock" on 6.12 (KVM_MMU_LOCK_INIT()).
 */
#define MMU_LOCK_CLASS_GLOB	"*kvm*->mmu_lock"
#define INSTANCE_NAME		"mmu_lock_test"

/* What a case allows: which acquisitions of mmu_lock, and how many. */
enum expect {
	EXPECT_NONE,		/* no acquisition at all */
	EXPECT_READ,		/* at least one, all for read */
	EXPECT_WRITE,		/* at least one for write */
};

static const char * const expect_names[] = {
	[EXPECT_NONE]	= "no acquisition",
	[EXPECT_READ]	= "read acquisitions only",
	[EXPECT_WRITE]	= "an acquisition for write",
};

static const struct call {
	const char *name;
	unsigned long cmd;
	bool bitmap;
} calls[] = {
	{ "test_young", TMNY_TEST_YOUNG, false },
	{ "clear_young", TMNY_CLEAR_YOUNG, false },
	{ "test_young_bitmap", TMNY_TEST_YOUNG_BITMAP, true },
	{ "clear_young_bitmap", TMNY_CLEAR_YOUNG_BITMAP, true },
};

static struct trace_instance ti;
static int tmny_fd = -1;

/* Acquisitions of mmu_lock recorded since the last trace_instance_start(). */
struct acquisitions {
	size_t read;
	size_t write;
};

/* The filter keeps mmu_lock only; "[try ]read NAME" for readers. */
static void count_acquisition(const char *line, void *arg)
{
	struct acquisitions *a = arg;

	if (strstr(line, " read "))
		a->read++;
	else
		a->write++;
}

static struct acquisitions trace_end(void)
{
	struct acquisitions a = {};

	trace_instance_stop(&ti);
	trace_instance_for_each(&ti, count_acquisition, &a);
	return a;
}

static bool acquisitions_match(struct acquisitions a, enum expect expect)
{
	switch (expect) {
	case EXPECT_NONE:
		return !a.read && !a.write;
	case EXPECT_READ:
		return a.read && !a.write;
	default:
		return a.write;
	}
}

/*
 * What aging guest memory acquires on this host, for plain and for bitmap
 * calls.  x86 ages without mmu_lock with the TDP MMU and hardware Accessed
 * bits (NPT has them; EPT with eptad).
 */
static void guest_memory_expect(enum expect *plain, enum expect *bitmap)
{
#if defined(__x86_64__)
	if (tmny_fast_path()) {
		*plain = *bitmap = EXPECT_NONE;
		ksft_print_msg("x86, TDP MMU with Accessed bits: guest memory is aged without mmu_lock\n");
	} else {
		*plain = EXPECT_WRITE;
		*bitmap = EXPECT_NONE;
		ksft_print_msg("x86 without the TDP MMU's lockless aging: plain calls take mmu_lock for write, bitmap calls none\n");
	}
#else
	*plain = *bitmap = EXPECT_READ;
	ksft_print_msg("arm64: guest memory is aged with mmu_lock held for read\n");
#endif
}

/* Make every page of @hva young again: touch it from the host or the guest. */
static void make_young(struct touch_vm *t, char *hva, const unsigned long *all)
{
	size_t page;

	if (t)
		touch_vm_touch(t, all);
	else
		for (page = 0; page < NR_PAGES; page++)
			WRITE_ONCE(hva[page * getpagesize()], 1);
}

/* One aging call over the NR_PAGES pages at @hva; returns its result mask. */
static int aging_call(const struct call *call, char *hva)
{
	uint64_t start = (uint64_t)(uintptr_t)hva;
	uint64_t end = start + NR_PAGES * getpagesize();
	uint64_t bitmap = 0;
	int ret = 0, r;

	if (call->cmd == TMNY_CLEAR_YOUNG_BITMAP)
		bitmap = ~0ULL;		/* age every page */

	if (call->cmd == TMNY_TEST_YOUNG) {
		/* The plain test takes one page: call it for each. */
		for (; start < end; start += getpagesize()) {
			r = tmny_call(tmny_fd, call->cmd, start, start + getpagesize(), NULL);
			TEST_ASSERT(r >= 0, "%s: %s", call->name, strerror(-r));
			ret |= r;
		}
		return ret;
	}
	r = tmny_call(tmny_fd, call->cmd, start, end, call->bitmap ? &bitmap : NULL);
	TEST_ASSERT(r >= 0, "%s: %s", call->name, strerror(-r));
	return r;
}

static void run_case(const char *region, const struct call *call, struct touch_vm *t,
		     char *hva, const unsigned long *all, enum expect expect)
{
	struct acquisitions a;
	int ret;

	make_young(t, hva, all);
	trace_instance_start(&ti);
	ret = aging_call(call, hva);
	a = trace_end();

	ksft_print_msg("%s_%s: result 0x%x, mmu_lock acquired %zu times for read, %zu for write; expected %s\n",
		       region, call->name, ret, a.read, a.write, expect_names[expect]);
	/* Memory that no memslot maps is never young in a secondary MMU. */
	if (!t && (ret & TMNY_YOUNG)) {
		ksft_test_result_fail("%s_%s: young in a secondary MMU, but no memslot maps it\n",
				      region, call->name);
		return;
	}
	ksft_test_result(acquisitions_match(a, expect), "%s_%s\n", region, call->name);
}

int main(int argc, char *argv[])
{
	enum expect guest_plain, guest_bitmap;
	unsigned long *all;
	struct acquisitions a;
	struct touch_vm *t;
	char *host_mem;
	size_t i;

	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_LOCK_TRACE, tracefs_has_event("lock/lock_acquire"),
			     "no tracepoint lock:lock_acquire in %s (CONFIG_LOCKDEP, tracefs)",
			     TRACEFS_DIR);
	tmny_fd = tmny_open();

	ksft_print_header();
	ksft_set_plan(1 + 2 * ARRAY_SIZE(calls));

	trace_instance_create(&ti, INSTANCE_NAME);
	trace_instance_enable(&ti, "lock/lock_acquire", getpid(),
			      "name ~ \"" MMU_LOCK_CLASS_GLOB "\"");

	t = touch_vm_create(NR_PAGES);
	all = bitmap_zalloc(NR_PAGES);
	access_pattern_fill(all, NR_PAGES, PATTERN_ALL, 0);
	host_mem = mmap(NULL, NR_PAGES * getpagesize(), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(host_mem != MAP_FAILED, "mmap()");

	/* Control: faulting in guest memory takes mmu_lock on every MMU. */
	trace_instance_start(&ti);
	touch_vm_touch(t, all);
	a = trace_end();
	ksft_print_msg("control: the guest's first touch of %d pages acquired mmu_lock %zu times for read, %zu for write\n",
		       NR_PAGES, a.read, a.write);
	ksft_test_result(a.read || a.write, "control_guest_faults_take_mmu_lock\n");

	for (i = 0; i < ARRAY_SIZE(calls); i++)
		run_case("host_memory", &calls[i], NULL, host_mem, all, EXPECT_NONE);

	guest_memory_expect(&guest_plain, &guest_bitmap);
	for (i = 0; i < ARRAY_SIZE(calls); i++)
		run_case("guest_memory", &calls[i], t, touch_vm_hva(t, 0), all,
			 calls[i].bitmap ? guest_bitmap : guest_plain);

	trace_instance_destroy(&ti);
	munmap(host_mem, NR_PAGES * getpagesize());
	free(all);
	touch_vm_destroy(t);
	close(tmny_fd);
	ksft_finished();
}

#else /* !HAVE_TMNY_UAPI */

TMNY_MAIN_WITHOUT_DRIVER()

#endif /* HAVE_TMNY_UAPI */
