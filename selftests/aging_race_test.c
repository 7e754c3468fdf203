// SPDX-License-Identifier: GPL-2.0
/*
 * aging_race_test: aging without the exclusive mmu_lock loses no race.
 *
 * With the series, KVM ages guest memory while vCPUs fault and other threads
 * change the same page table entries: on x86 the TDP MMU clears Accessed bits
 * with a cmpxchg and no mmu_lock at all, on arm64 the stage-2 age walker runs
 * as a shared walker, beside the vCPUs' permission and access faults, with
 * mmu_lock held for read.  A lost race must read as young, never as old, and
 * must never undo what the other side did.
 *
 * One vCPU writes every page of a small test area (16 pages: the fewer the
 * pages, the more often each one's entry changes), over and over, each pass
 * writing the pass number and publishing it when done, dropping its own
 * translation of each page first so that every access reaches the
 * secondary MMU.  The memslot logs dirty pages, and a host thread harvests
 * the log (KVM_GET_DIRTY_LOG) whenever the guest has completed a whole pass
 * since the previous harvest, which write-protects the pages again: each
 * pass then faults on every page.  Meanwhile the main thread, in rounds for
 * a few seconds, waits for two more passes (every page young again) and
 * clears the accessed state of each page with a single-page call (plain and
 * bitmap calls alternating; -p: plain calls only), through the MMU notifier
 * test driver.  It clears for -t seconds, and on until it has seen a race,
 * for at most -T seconds: a stress that races rarely is given the time to,
 * so that races_hit fails only where races do not happen.  The cases:
 *
 *   clears_report_young: every such clear returns YOUNG; the page was
 *                        young, and a clear that lost a race must say so;
 *   dirty_log_complete:  every harvest after a whole pass reports every
 *                        page dirty; an aging store that undid a write
 *                        protection leaves a page writable but unlogged;
 *   vcpu_progress:       the guest completes its passes (a fault that never
 *                        resolves, e.g. a permission fault that always loses
 *                        to aging, stops it) and no write is lost: at the
 *                        end every page holds the number of the last pass;
 *   races_hit:           the stress raced at all, or it proved nothing.
 *                        x86: clears that returned YOUNG without the
 *                        kvm_tdp_mmu_spte_changed event of their own cmpxchg
 *                        (it lost to a vCPU's fault or the harvester).
 *                        arm64: permission faults taken again at once on
 *                        the same page with no harvest since the first,
 *                        i.e. the fault's update lost to aging (aging's
 *                        own retries are not traced).  A harvest between
 *                        the two write-protected the page again: the
 *                        harvester marks each one in the trace.
 *
 * The counts are read from tracepoints in a tracefs instance of the test's
 * own, filtered to the thread that makes the events (x86: the main thread;
 * arm64: the vCPU's).  A second instance keeps the vCPU's last exits to
 * KVM (and on x86 the exceptions KVM injected), which the test prints if
 * the vCPU exits to it unexpectedly: a triple fault's SHUTDOWN leaves an
 * SVM vCPU in its reset state, so only the trace says where the guest
 * was.  Both are set up before the guest first runs, so that no probe is
 * added while its tracepoint fires.
 *
 * Needs the test driver and a fast path (KVM ages without the exclusive
 * lock: arm64, x86 with the TDP MMU and Accessed bits); elsewhere aging
 * holds mmu_lock for write and nothing can race, so the test skips.
 *
 * -C runs the same stress without the clears, as a control: the vCPU's
 * faults and the dirty log harvests alone, for -t seconds.
 * clears_report_young skips, and races_hit becomes
 * no_race_without_clears: the counter must count nothing there, or what
 * it counts is not aging's races.  A failure of the other cases there
 * did not need aging at all.  The control needs neither the driver nor a
 * fast path, so it also runs on a kernel without the series: whether a
 * failure needs the series at all.
 *
 * Limits: one vCPU; 4 KiB pages (dirty logging maps no huge pages); arm64's
 * aging retries and x86's vCPU-side losses are not counted.
 *
 * System state it changes: two tracefs instances recording kvm events.
 * All of it is put back when the test ends, by whatever means except
 * SIGKILL (restore_at_exit()).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bitmap.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "access_pattern.h"
#include "guest_tlb.h"
#include "kernel_expect.h"
#include "tmny.h"
#include "touch_vm.h"
#include "trace_instance.h"

#define TEST_PAGE_SIZE		4096UL
#define MAX_PAGES		512
#define TEST_SLOT		1
#define TEST_GPA		0x40000000UL
#define INSTANCE_NAME		"aging_race_test"
#define TRACE_BUFFER_KB		"16384"
#define EXITS_INSTANCE_NAME	"aging_race_test_exits"
/* The harvester's marks in the trace, around each KVM_GET_DIRTY_LOG. */
#define HARVEST_BEGIN		"harvest begin"
#define HARVEST_END		"harvest end"
/* The vCPU's last exits: a small ring buffer, and the tail printed. */
#define EXITS_BUFFER_KB		"64"
#define EXITS_PRINTED		24
/* Rounds between two reads of the trace buffer: well within its size. */
#define ROUNDS_PER_READ		128
/* How long the threads that wait for the guest sleep between two looks. */
#define POLL_US			1000
/* How long the guest may take for two passes before it counts as stuck. */
#define PROGRESS_TIMEOUT_S	30

/* Guest side: the pages, the last pass completed, the stop request. */
static uint64_t guest_nr_pages;
static uint64_t guest_passes;
static bool guest_stop;

static void guest_code(void)
{
	uint64_t pass, page, gva;

	for (pass = 1; !READ_ONCE(guest_stop); pass++) {
		for (page = 0; page < guest_nr_pages; page++) {
			gva = TEST_GPA + page * TEST_PAGE_SIZE;
			guest_drop_translation(gva);
			WRITE_ONCE(*(uint64_t *)gva, pass);
		}
		WRITE_ONCE(guest_passes, pass);
	}
	GUEST_SYNC(0);
}

static size_t nr_pages = 16;
static int seconds = 10;
static int max_seconds = 120;
static bool plain_only;
static bool control;
static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;
static char *mem;
static uint64_t *passes;		/* host view of guest_passes (READ_ONCE) */
static bool *stop;		/* host view of guest_stop (WRITE_ONCE) */
static struct trace_instance ti, exits_ti;
static int tmny_fd = -1;
static pid_t vcpu_tid;
static pthread_barrier_t vcpu_go;

/* What the harvester found. */
static struct {
	pthread_t thread;
	size_t harvests, incomplete;
	bool done;
} harvester;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the guest has completed pass @pass; false if it got stuck. */
static bool wait_for_pass(uint64_t pass)
{
	uint64_t deadline = now_ms() + PROGRESS_TIMEOUT_S * 1000;

	while (READ_ONCE(*passes) < pass) {
		if (now_ms() > deadline)
			return false;
		usleep(POLL_US);
	}
	return true;
}

/*
 * Run the guest until it stops (its GUEST_SYNC), once the main thread has
 * set up the tracing of this thread's events.
 */
static void *vcpu_thread(void *arg)
{
	vcpu_tid = syscall(SYS_gettid);
	pthread_barrier_wait(&vcpu_go);
	pthread_barrier_wait(&vcpu_go);
	vcpu_run_to_sync(vcpu);
	return NULL;
}

/*
 * Harvest the dirty log after every whole pass of the guest: a pass that
 * started after the previous harvest returned and ended before this one
 * began wrote every page, so every page must be reported dirty.
 */
static void *harvester_thread(void *arg)
{
	unsigned long *bmap = bitmap_zalloc(nr_pages);
	uint64_t after, before;
	size_t missing, page;

	kvm_vm_get_dirty_log(vm, TEST_SLOT, bmap);
	after = READ_ONCE(*passes);
	while (!READ_ONCE(harvester.done)) {
		before = READ_ONCE(*passes);
		if (before < after + 2) {
			usleep(POLL_US);
			continue;
		}
		/* Only while tracing is on: lost marks do not matter. */
		trace_instance_mark(&ti, HARVEST_BEGIN);
		kvm_vm_get_dirty_log(vm, TEST_SLOT, bmap);
		trace_instance_mark(&ti, HARVEST_END);
		after = READ_ONCE(*passes);
		harvester.harvests++;
		missing = nr_pages - access_pattern_weight(bmap, nr_pages);
		if (!missing || harvester.incomplete++ >= 4)
			continue;
		for (page = 0; test_bit(page, bmap); page++)
			;
		ksft_print_msg("  harvest %zu (after pass %lu): %zu pages not dirty, the first page %zu\n",
			       harvester.harvests, before, missing, page);
	}
	free(bmap);
	return NULL;
}

/* The races in the trace of a batch of rounds. */
struct race_count {
	const bool *young;	/* whether each clear of the batch said young */
	size_t nr_results;
	size_t call;		/* clears seen so far (kvm_age_hva events) */
	bool changed;		/* the current clear cleared an SPTE */
	size_t races;
	/* arm64: the IPA of the current run of faults, its permission faults */
	uint64_t run_ipa;
	size_t run_perms;
	/* arm64: a harvest is going on; one began since the last such fault */
	bool harvesting, harvested;
};

#if defined(__x86_64__)
#define RACE_EVENTS	{ "kvm/kvm_age_hva", "kvmmmu/kvm_tdp_mmu_spte_changed" }
#define EXIT_EVENTS	{ "kvm/kvm_exit", "kvm/kvm_inj_exception" }

static void end_call(struct race_count *rc)
{
	if (rc->call && !rc->changed && rc->young[rc->call - 1])
		rc->races++;
}

/*
 * On the main thread, a clear emits kvm_age_hva, then one
 * kvm_tdp_mmu_spte_changed per SPTE whose Accessed bit its cmpxchg cleared;
 * it returns YOUNG without one when the SPTE changed under it.
 */
static void count_race(const char *line, void *arg)
{
	struct race_count *rc = arg;

	if (strstr(line, "kvm_age_hva:")) {
		end_call(rc);
		TEST_ASSERT(rc->call < rc->nr_results,
			    "More kvm_age_hva events than clears (%zu)", rc->nr_results);
		rc->call++;
		rc->changed = false;
	} else if (strstr(line, "kvm_tdp_mmu_spte_changed:")) {
		rc->changed = true;
	}
}

static void end_count(struct race_count *rc)
{
	end_call(rc);
	TEST_ASSERT(rc->call == rc->nr_results,
		    "%zu kvm_age_hva events for %zu clears", rc->call, rc->nr_results);
}

static pid_t traced_tid(void)
{
	return getpid();
}

/*
 * The guest's own page table entries for @gva, as the host sees them: the
 * trace of a triple fault showed a reserved-bit page fault on an
 * instruction fetch, and this tells whether the guest's tables had one.
 */
static void print_guest_walk(const char *what, uint64_t gva)
{
	uint64_t *table = addr_gpa2hva(vm, vm->pgd), entry;
	int level, index;

	fprintf(stderr, "  the guest's page table walk of %s (0x%lx):\n", what, gva);
	for (level = 4; level >= 1; level--) {
		index = (gva >> (PAGE_SHIFT + 9 * (level - 1))) & 0x1ff;
		entry = table[index];
		fprintf(stderr, "    level %d [%d] 0x%016lx\n", level, index, entry);
		if (!(entry & PTE_PRESENT_MASK) || (level > 1 && (entry & PTE_LARGE_MASK)))
			break;
		table = addr_gpa2hva(vm, PTE_GET_PA(entry));
	}
}
#elif defined(__aarch64__)
#define RACE_EVENTS	{ "kvm/kvm_guest_fault" }
#define EXIT_EVENTS	{ "kvm/kvm_exit" }

#define ESR_FSC_MASK		0x3fUL
#define ESR_FSC_PERM_L0		0x0cUL

/*
 * The vCPU writes each page once per pass and moves on once the write went
 * through.  A page's faults come in a run, one permission fault if all
 * goes well, maybe after an access flag fault; a second permission fault
 * in the run means that the first one's update of the PTE failed (it raced
 * with the age walker), or that a harvest write-protected the page again
 * between the fault's update and the guest's retry.  Harvests hold
 * mmu_lock for write, so they never make a fault's update fail, but the
 * latter kind looks the same in the trace: a second permission fault
 * counts only if no harvest was going on or began since the first.  A
 * batch starts as if a harvest were going on, as its marks may have been
 * lost while tracing was off: nothing counts until the first mark.
 */
static void count_race(const char *line, void *arg)
{
	struct race_count *rc = arg;
	unsigned long long ipa, esr;
	const char *p = strstr(line, "kvm_guest_fault:");

	if (strstr(line, "tracing_mark_write: " HARVEST_BEGIN)) {
		rc->harvesting = rc->harvested = true;
		return;
	}
	if (strstr(line, "tracing_mark_write: " HARVEST_END)) {
		rc->harvesting = false;
		return;
	}
	if (p)
		p = strstr(p, "ipa ");
	if (!p || sscanf(p, "ipa %llx, hsr %llx", &ipa, &esr) != 2)
		return;
	if (ipa != rc->run_ipa) {
		rc->run_ipa = ipa;
		rc->run_perms = 0;
	}
	if ((esr & ESR_FSC_MASK & ~3UL) != ESR_FSC_PERM_L0)
		return;
	if (rc->run_perms++ && !rc->harvesting && !rc->harvested &&
	    ipa >= TEST_GPA && ipa < TEST_GPA + nr_pages * TEST_PAGE_SIZE)
		rc->races++;
	rc->harvested = rc->harvesting;
}

static void end_count(struct race_count *rc)
{
}

static pid_t traced_tid(void)
{
	return vcpu_tid;
}
#endif

/* At an unexpected exit of the vCPU, or when it is stuck: its last exits. */
static void print_last_exits(struct kvm_vcpu *vcpu)
{
	trace_instance_stop(&exits_ti);
	fprintf(stderr, "vCPU %u: its last exits to KVM, the latest last:\n", vcpu->id);
	if (!trace_instance_print_tail(&exits_ti, EXITS_PRINTED, "  "))
		fprintf(stderr, "  none traced\n");
#ifdef __x86_64__
	print_guest_walk("its code", (uint64_t)guest_code);
	print_guest_walk("the test area", TEST_GPA);
#endif
}

/* The races of a batch of @rounds rounds, whose clears said @young. */
static size_t read_races(const bool *young, size_t rounds)
{
	struct race_count rc = {
		.young = young,
		.nr_results = control ? 0 : rounds * nr_pages,
		.run_ipa = -1,
		.harvesting = true,
		.harvested = true,
	};

	trace_instance_stop(&ti);
	trace_instance_for_each(&ti, count_race, &rc);
	end_count(&rc);
	trace_instance_start(&ti);
	return rc.races;
}

#ifdef HAVE_TMNY_UAPI
/* One round: clear every page once, each with its own call. */
static void clear_round(int round, bool *young, size_t *not_young)
{
	uint64_t bitmap, start;
	size_t page;
	int r;

	for (page = 0; page < nr_pages; page++) {
		start = (uint64_t)(uintptr_t)(mem + page * TEST_PAGE_SIZE);
		bitmap = 1;
		if (!plain_only && (page + round) % 2)
			r = tmny_call(tmny_fd, TMNY_CLEAR_YOUNG_BITMAP, start,
				      start + TEST_PAGE_SIZE, &bitmap);
		else
			r = tmny_call(tmny_fd, TMNY_CLEAR_YOUNG, start,
				      start + TEST_PAGE_SIZE, NULL);
		TEST_ASSERT(r >= 0, "clear_young of page %zu: %s", page, strerror(-r));
		TEST_ASSERT(!(r & TMNY_YOUNG_BITMAP_UNRELIABLE),
			    "clear_young of page %zu returned 0x%x with a fast path", page, r);
		young[page] = r & TMNY_YOUNG;
		if (!young[page] && (*not_young)++ < 8)
			ksft_print_msg("  round %d: page %zu was young, clear_young returned 0x%x (%s)\n",
				       round, page, r,
				       !plain_only && (page + round) % 2 ? "bitmap" : "plain");
	}
}

/* The clears need the driver and a fast path; the control run neither. */
static void open_driver(void)
{
	tmny_fd = tmny_open();
	__TEST_REQUIRE(tmny_fast_path(),
		       "KVM ages this MMU with mmu_lock held for write: nothing can race");
}
#else /* !HAVE_TMNY_UAPI: the control run only */
static void clear_round(int round, bool *young, size_t *not_young)
{
	TEST_FAIL("No clears without the MMU notifier test driver");
}

static void open_driver(void)
{
	TMNY_REQUIRE_DRIVER();
}
#endif

/* Skip, or fail where the kernel has them, without the @nr tracepoints. */
static void require_events(const char * const *events, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		TEST_REQUIRE_FEATURE(KERNEL_EXPECT_KVM, tracefs_has_event(events[i]),
				     "no tracepoint %s in %s (CONFIG_FTRACE, tracefs)",
				     events[i], TRACEFS_DIR);
}

static void help(const char *name)
{
	puts("");
	printf("usage: %s [-h] [-C] [-n pages] [-p] [-t seconds] [-T seconds]\n", name);
	printf(" -C: control: no clears, the faults and dirty log harvests alone\n");
	printf(" -n: pages in the test area, 1 to %d (default: %zu)\n", MAX_PAGES, nr_pages);
	printf(" -p: clear with plain calls only (also where bitmap calls are unreliable)\n");
	printf(" -t: how long the clears run at least, in seconds (default: %d)\n", seconds);
	printf(" -T: how long they run at most, until a race is seen (default: %d)\n",
	       max_seconds);
	puts("");
	exit(0);
}

int main(int argc, char *argv[])
{
	static const char * const events[] = RACE_EVENTS;
	static const char * const exit_events[] = EXIT_EVENTS;
	size_t not_young = 0, races = 0, page, lost = 0;
	int opt, round = 0, batch = 0;
	bool progress = true;
	pthread_t vcpu_pthread;
	bool *young;
	uint64_t last, start, end, max_end;
	unsigned int i;

	while ((opt = getopt(argc, argv, "Chn:pt:T:")) != -1) {
		switch (opt) {
		case 'C':
			control = true;
			break;
		case 'n':
			nr_pages = atoi_positive("Pages", optarg);
			break;
		case 'p':
			plain_only = true;
			break;
		case 't':
			seconds = atoi_positive("Seconds", optarg);
			break;
		case 'T':
			max_seconds = atoi_positive("Seconds", optarg);
			break;
		case 'h':
		default:
			help(argv[0]);
		}
	}
	TEST_ASSERT(nr_pages <= MAX_PAGES, "-n takes 1 to %d pages", MAX_PAGES);
	TEST_ASSERT(max_seconds >= seconds, "-T %d is less than -t %d", max_seconds, seconds);

	if (!control)
		open_driver();
	require_events(events, ARRAY_SIZE(events));
	require_events(exit_events, ARRAY_SIZE(exit_events));

	ksft_print_header();
	ksft_set_plan(4);

	young = calloc(ROUNDS_PER_READ * nr_pages, sizeof(*young));
	TEST_ASSERT(young, "calloc()");
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT, nr_pages,
				    KVM_MEM_LOG_DIRTY_PAGES);
	virt_map(vm, TEST_GPA, TEST_GPA, nr_pages);
	mem = addr_gpa2hva(vm, TEST_GPA);
	guest_nr_pages = nr_pages;
	sync_global_to_guest(vm, guest_nr_pages);
	passes = addr_gva2hva(vm, (vm_vaddr_t)&guest_passes);
	stop = addr_gva2hva(vm, (vm_vaddr_t)&guest_stop);

	pthread_barrier_init(&vcpu_go, NULL, 2);
	pthread_create(&vcpu_pthread, NULL, vcpu_thread, NULL);
	pthread_barrier_wait(&vcpu_go);

	trace_instance_create(&ti, INSTANCE_NAME);
	trace_instance_write(&ti, "buffer_size_kb", TRACE_BUFFER_KB);
	/* The harvester's marks and the vCPU's faults, in order across CPUs. */
	trace_instance_write(&ti, "trace_clock", "global");
	for (i = 0; i < ARRAY_SIZE(events); i++)
		trace_instance_enable(&ti, events[i], traced_tid(), NULL);
	trace_instance_create(&exits_ti, EXITS_INSTANCE_NAME);
	trace_instance_write(&exits_ti, "buffer_size_kb", EXITS_BUFFER_KB);
	for (i = 0; i < ARRAY_SIZE(exit_events); i++)
		trace_instance_enable(&exits_ti, exit_events[i], vcpu_tid, NULL);
	trace_instance_start(&exits_ti);
	vcpu_unexpected_exit_report = print_last_exits;

	pthread_barrier_wait(&vcpu_go);
	TEST_ASSERT(wait_for_pass(1), "The guest completed no pass in %d s", PROGRESS_TIMEOUT_S);
	pthread_create(&harvester.thread, NULL, harvester_thread, NULL);
	trace_instance_start(&ti);

	start = now_ms();
	end = start + seconds * 1000;
	max_end = start + max_seconds * 1000;
	while (now_ms() < end || (!control && !races && now_ms() < max_end)) {
		/* Two more passes: every page written since the last clear. */
		if (!wait_for_pass(READ_ONCE(*passes) + 2)) {
			progress = false;
			break;
		}
		if (!control)
			clear_round(round, young + batch * nr_pages, &not_young);
		round++;
		if (++batch == ROUNDS_PER_READ) {
			races += read_races(young, batch);
			batch = 0;
		}
	}
	races += read_races(young, batch);

	last = READ_ONCE(*passes);
	if (progress && !wait_for_pass(last + 2))
		progress = false;
	WRITE_ONCE(harvester.done, true);
	pthread_join(harvester.thread, NULL);
	WRITE_ONCE(*stop, true);
	if (progress) {
		pthread_join(vcpu_pthread, NULL);
		last = READ_ONCE(*passes);
		for (page = 0; page < nr_pages; page++) {
			uint64_t val = *(uint64_t *)(mem + page * TEST_PAGE_SIZE);

			if (val != last && lost++ < 4)
				ksft_print_msg("  page %zu holds pass %lu, the guest's last pass was %lu\n",
					       page, val, last);
		}
	} else {
		ksft_print_msg("  the guest completed no two passes in %d s: a fault that never resolves?\n",
			       PROGRESS_TIMEOUT_S);
		print_last_exits(vcpu);
	}

	ksft_print_msg("%d rounds of %zu %s clears in %.1f s; %lu guest passes; %zu dirty log harvests; %zu races hit\n",
		       round, nr_pages,
		       control ? "(control: no)" : plain_only ? "plain" : "plain and bitmap",
		       (now_ms() - start) / 1000.0, last, harvester.harvests, races);
	if (control)
		ksft_test_result_skip("clears_report_young: control run (-C), no clears\n");
	else
		ksft_test_result(!not_young && round, "clears_report_young\n");
	ksft_test_result(!harvester.incomplete && harvester.harvests, "dirty_log_complete\n");
	ksft_test_result(progress && !lost, "vcpu_progress\n");
	if (control) {
		ksft_test_result(!races, "no_race_without_clears\n");
	} else {
		if (!races)
			ksft_print_msg("  no race in %d rounds and %d s: the stress proved nothing\n",
				       round, max_seconds);
		ksft_test_result(races, "races_hit\n");
	}

	vcpu_unexpected_exit_report = NULL;
	trace_instance_destroy(&exits_ti);
	trace_instance_destroy(&ti);
	if (progress)
		kvm_vm_free(vm);
	free(young);
	if (tmny_fd >= 0)
		close(tmny_fd);
	ksft_finished();
}
