// SPDX-License-Identifier: GPL-2.0
/*
 * aging_perf_test: what one pass of access-bit harvesting costs for a KVM
 * guest's memory, and how many secondary-MMU notifier calls it makes.
 *
 * The guest's test area (anonymous 4 KiB host pages, its own memcg and a
 * zram swap device of the test's own) is touched in full by the guest, so
 * every page is young in KVM; then one pass harvests the accessed bits:
 *
 * - aging: one multi-gen LRU aging pass (force_scan) over the memcg, the
 *   walk that batches notifier calls with capability 0x0008
 *   (LRU_GEN_SECONDARY_MMU_WALK) and makes one call per page without it;
 * - idle: one idle page tracking pass, marking every page of the area idle
 *   through page_idle/bitmap (one write per 64-PFN word), which clears each
 *   page's accessed state with the plain, unbatched clear_young call;
 * - evict: one multi-gen LRU eviction pass over the memcg's old generations
 *   (the pages were aged into them first, then touched again): the rmap
 *   walk and lru_gen_look_around(), which batches the calls for a page's
 *   neighbours with 0x0008.  Every page is young, so it is kept: a sample
 *   that evicts pages says how many.
 *
 * For each pass it reports the wall time, per GiB of guest memory, and the
 * notifier calls KVM received (the kvm_test_age_hva and kvm_age_hva
 * tracepoints), per 1000 guest pages.  The call counts are exact whatever
 * runs the test; wall times under emulation only compare configurations
 * measured side by side.  It measures 0x0008 off, and on where the kernel
 * has the series (-c auto: KERNEL_EXPECT says so, or without it the bit
 * sticks); -c on or both on a kernel where it does not stick fails.
 *
 * With -i SECONDS it measures instead how much continuous aging slows the
 * guest: a memstress guest of -v vCPUs writes its memory over and over, and
 * its progress (pages written per second, over every vCPU) while a host
 * thread runs aging passes back to back is compared with its progress in
 * the same time without aging, windows alternating, -r times:
 *   bench: config=C pass=interference sample=N progress_ratio=R pages_per_second=P aging_passes=A
 *
 * Each sample is printed as a line
 *   bench: config=C pass=P sample=N seconds_per_gib=S test_calls_per_1000=T clear_calls_per_1000=U pages=X evicted=E
 * for the runner to collect; the medians are printed at the end.
 *
 * Limits: one node, 4 KiB pages, one vCPU; the aging pass calls the
 * notifiers only where aging walks page tables (lru_gen/enabled 0x0002:
 * x86 here, not arm64 under TCG, where it reports 0 calls and eviction is
 * where 0x0008 acts).
 *
 * System state it changes: /sys/kernel/mm/lru_gen/enabled (capability
 * 0x0008 toggled); a zram swap device; a memcg, and the memory controller
 * below the root; a tracefs instance recording the kvm age events.  All of
 * it is put back when the test ends, by whatever means except SIGKILL
 * (restore_at_exit()).  It also drops the clean page cache
 * (drop_caches_drain_lru()), which cannot be undone.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bitmap.h>

#include <pthread.h>

#include "kvm_util.h"
#include "memstress.h"
#include "test_util.h"
#include "ucall_common.h"
#include "access_pattern.h"
#include "kernel_expect.h"
#include "kernel_file.h"
#include "lru_gen.h"
#include "memcg.h"
#include "mglru_test.h"
#include "page_idle.h"
#include "pagemap.h"
#include "touch_vm.h"
#include "trace_instance.h"
#include "zram_swap.h"

#define INSTANCE_NAME		"aging_perf_test"
/* Room for one event per page of the largest area, on one CPU. */
#define TRACE_BUFFER_KB		"16384"

/* Pages of the test area (-m), samples per configuration and pass (-r). */
static size_t nr_pages = 16384;
static int nr_samples = 5;

/* -i: seconds per window of the interference measurement (0: passes); -v. */
static int interference_seconds;
static int nr_vcpus = 2;

/* Pages the memstress guest has written, and whether the aging thread runs. */
static uint64_t pages_written;
static bool aging_running;
static uint64_t aging_passes;

/* Which 0x0008 settings to measure (-c): auto, off, on, or both. */
static const char *cap_option = "auto";
static bool measure_off, measure_on;

/* The test area of the passes. */
static struct touch_vm *area;

/* lru_gen/enabled as found, with the multi-gen LRU on; the memcg. */
static unsigned int caps;
static const char *memcg_path;
static int memcg_id;

/*
 * The words of page_idle/bitmap that cover the area's pages, with the
 * area's bits set: an idle page tracking pass writes each once, as a user
 * marking a whole range idle would, not once per page.
 */
struct idle_word {
	uint64_t index;
	uint64_t bits;
};
static struct idle_word *idle_words;
static size_t nr_idle_words;
static int idle_fd;

/* Every page of the area. */
static unsigned long *all_pages;

enum pass { PASS_AGING, PASS_IDLE, PASS_EVICT, NR_PASSES };
static const char * const pass_names[NR_PASSES] = { "aging", "idle", "evict" };

struct sample {
	double seconds;
	unsigned long test_calls;
	unsigned long clear_calls;
	size_t evicted;
};

static struct trace_instance ti;

/* Record the two KVM aging tracepoints, and nothing else, in our own instance. */
static void trace_setup(void)
{
	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_KVM, tracefs_has_event("kvm/kvm_age_hva") &&
			     tracefs_has_event("kvm/kvm_test_age_hva"),
			     "no tracepoints kvm:kvm_age_hva, kvm:kvm_test_age_hva in %s (CONFIG_FTRACE, tracefs)",
			     TRACEFS_DIR);
	trace_instance_create(&ti, INSTANCE_NAME);
	trace_instance_write(&ti, "buffer_size_kb", TRACE_BUFFER_KB);
	trace_instance_write(&ti, "events/kvm/kvm_age_hva/enable", "1");
	trace_instance_write(&ti, "events/kvm/kvm_test_age_hva/enable", "1");
}

static void trace_start(void)
{
	trace_instance_start(&ti);
}

static void count_call(const char *line, void *arg)
{
	struct sample *s = arg;

	if (strstr(line, " kvm_test_age_hva: "))
		s->test_calls++;
	else if (strstr(line, " kvm_age_hva: "))
		s->clear_calls++;
}

/*
 * Stop tracing and count the calls recorded since trace_start().  Lost
 * events would make the counts wrong: the buffer holds the largest area's
 * per-page calls, and trace_instance_for_each() fails a trace that lost any.
 */
static void trace_stop(struct sample *s)
{
	size_t events;

	trace_instance_stop(&ti);
	s->test_calls = s->clear_calls = 0;
	events = trace_instance_for_each(&ti, count_call, s);
	TEST_ASSERT_EQ(s->test_calls + s->clear_calls, events);
}

static double elapsed_seconds(struct timespec start)
{
	struct timespec ts = timespec_elapsed(start);

	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One pass over the area, every page of it young; returns its sample. */
static struct sample run_pass(struct touch_vm *t, enum pass pass)
{
	struct lru_gen_lruvec lruvec;
	struct timespec start;
	struct sample s;
	int i;

	if (pass == PASS_EVICT) {
		/* Into the old generations, which eviction scans. */
		for (i = 0; i < LRU_GEN_MAX_NR_GENS - 1; i++)
			mglru_age(memcg_path, memcg_id);
	}
	touch_vm_touch(t, all_pages);
	if (pass != PASS_IDLE)
		lru_gen_read(memcg_path, MGLRU_NID, &lruvec);
	trace_start();
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (pass == PASS_AGING) {
		lru_gen_age(memcg_id, MGLRU_NID, lru_gen_youngest(&lruvec)->seq,
			    MGLRU_ANON_ONLY, true);
	} else if (pass == PASS_EVICT) {
		lru_gen_evict(memcg_id, MGLRU_NID, lru_gen_youngest(&lruvec)->seq - LRU_GEN_MIN_NR_GENS,
			      MGLRU_ANON_ONLY, nr_pages);
	} else {
		size_t w;

		for (w = 0; w < nr_idle_words; w++)
			TEST_ASSERT(pwrite(idle_fd, &idle_words[w].bits, 8, idle_words[w].index * 8) >= 0,
				    "Cannot write " PAGE_IDLE_BITMAP_PATH);
	}
	s.seconds = elapsed_seconds(start);
	trace_stop(&s);
	s.evicted = pass != PASS_EVICT ? 0 :
		    pagemap_check_resident(t->mem, t->page_size, nr_pages, NULL, true, NULL);
	if (s.evicted)
		touch_vm_touch(t, all_pages);	/* back in, for the next sample */
	return s;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Gather the area's PFNs into the words of page_idle/bitmap. */
static void idle_words_setup(struct touch_vm *t)
{
	uint64_t *pfns = calloc(nr_pages, sizeof(*pfns));
	size_t page;

	TEST_ASSERT(pfns && (idle_words = calloc(nr_pages, sizeof(*idle_words))), "calloc()");
	for (page = 0; page < nr_pages; page++)
		pfns[page] = pagemap_hva_to_pfn(touch_vm_hva(t, page));
	qsort(pfns, nr_pages, sizeof(*pfns), cmp_u64);
	for (page = 0; page < nr_pages; page++) {
		if (!nr_idle_words || idle_words[nr_idle_words - 1].index != pfns[page] / 64)
			idle_words[nr_idle_words++].index = pfns[page] / 64;
		idle_words[nr_idle_words - 1].bits |= 1ULL << (pfns[page] % 64);
	}
	free(pfns);
	idle_fd = open(PAGE_IDLE_BITMAP_PATH, O_RDWR);
	TEST_ASSERT(idle_fd >= 0, "Cannot open " PAGE_IDLE_BITMAP_PATH);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void measure_passes(const char *config)
{
	double gib = (double)nr_pages * getpagesize() / (1UL << 30);
	double per_gib[nr_samples];
	enum pass pass;
	int i;

	pr_info("capability 0x0008 %s:\n", strstr(config, "_on") ? "on" : "off");
	for (pass = 0; pass < NR_PASSES; pass++) {
		for (i = 0; i < nr_samples; i++) {
			struct sample s = run_pass(area, pass);

			per_gib[i] = s.seconds / gib;
			printf("bench: config=%s pass=%s sample=%d seconds_per_gib=%.6f test_calls_per_1000=%.2f clear_calls_per_1000=%.2f pages=%zu evicted=%zu\n",
			       config, pass_names[pass], i + 1, per_gib[i],
			       s.test_calls * 1000.0 / nr_pages, s.clear_calls * 1000.0 / nr_pages,
			       nr_pages, s.evicted);
		}
		qsort(per_gib, nr_samples, sizeof(*per_gib), cmp_double);
		pr_info("%-30s: %.6fs per GiB (median of %d)\n", pass_names[pass],
			per_gib[nr_samples / 2], nr_samples);
	}
}

/* Run a vCPU of the memstress guest until told to stop, counting its pages. */
static void interference_vcpu(struct memstress_vcpu_args *vcpu_args)
{
	struct kvm_vcpu *vcpu = vcpu_args->vcpu;

	while (!READ_ONCE(memstress_args.stop_vcpus)) {
		vcpu_run(vcpu);
		TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_SYNC);
		__atomic_add_fetch(&pages_written, vcpu_args->pages, __ATOMIC_RELAXED);
	}
}

/* Age the memcg back to back until told to stop. */
static void *aging_thread(void *arg)
{
	while (__atomic_load_n(&aging_running, __ATOMIC_ACQUIRE)) {
		mglru_age(memcg_path, memcg_id);
		__atomic_add_fetch(&aging_passes, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The guest's pages per second over the next @seconds. */
static double progress(int seconds)
{
	uint64_t before = __atomic_load_n(&pages_written, __ATOMIC_RELAXED);
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	sleep(seconds);
	return (__atomic_load_n(&pages_written, __ATOMIC_RELAXED) - before) /
	       elapsed_seconds(start);
}

static void measure_interference(const char *config)
{
	double quiet, aging, ratios[nr_samples];
	pthread_t thread;
	uint64_t passes;
	int i;

	for (i = 0; i < nr_samples; i++) {
		quiet = progress(interference_seconds);
		passes = aging_passes;
		__atomic_store_n(&aging_running, true, __ATOMIC_RELEASE);
		pthread_create(&thread, NULL, aging_thread, NULL);
		aging = progress(interference_seconds);
		__atomic_store_n(&aging_running, false, __ATOMIC_RELEASE);
		pthread_join(thread, NULL);
		TEST_ASSERT(quiet > 0, "The guest made no progress in %ds", interference_seconds);
		ratios[i] = aging / quiet;
		printf("bench: config=%s pass=interference sample=%d progress_ratio=%.4f pages_per_second=%.0f aging_passes=%lu\n",
		       config, i + 1, ratios[i], quiet,
		       (unsigned long)(aging_passes - passes));
	}
	qsort(ratios, nr_samples, sizeof(*ratios), cmp_double);
	pr_info("%-30s: %.3f of the progress without aging (median of %d)\n",
		"progress while aging", ratios[nr_samples / 2], nr_samples);
}

/*
 * Run @measure with 0x0008 off and on, as -c asked: numbers for the wrong
 * configuration are worse than none, so one that cannot be set fails.
 */
static void measure_caps(void (*measure)(const char *config))
{
	if (measure_off) {
		TEST_ASSERT(mglru_set_secondary_walk(caps, false), "Cannot turn 0x0008 off");
		measure(mglru_cap_name(false));
	}
	if (measure_on) {
		TEST_ASSERT(mglru_set_secondary_walk(caps, true), "%s: cannot measure 0x0008 on",
			    MGLRU_NO_CAP);
		measure(mglru_cap_name(true));
	}
}

/*
 * A memstress guest of nr_vcpus vCPUs in the test's memcg, writing its
 * memory continuously; the interference with 0x0008 off and on.
 */
static void run_interference(void)
{
	struct lru_gen_lruvec lruvec;
	struct kvm_vm *vm;
	char name[64];

	snprintf(name, sizeof(name), "aging_perf_test.%d", getpid());
	memcg_path = memcg_create(name);
	lru_gen_read(memcg_path, MGLRU_NID, &lruvec);
	memcg_id = lruvec.memcg_id;
	memcg_enter();
	vm = memstress_create_vm(VM_MODE_DEFAULT, nr_vcpus,
				 nr_pages * getpagesize() / nr_vcpus, 1,
				 VM_MEM_SRC_ANONYMOUS, true);
	memstress_start_vcpu_threads(nr_vcpus, interference_vcpu);
	pr_info("%d vCPUs writing %zu MiB, %d s windows, %d samples, lru_gen/enabled 0x%04x\n",
		nr_vcpus, nr_pages * 4 / 1024, interference_seconds, nr_samples, caps);
	/* Until every page was written once, progress also measures faults. */
	while (__atomic_load_n(&pages_written, __ATOMIC_RELAXED) < nr_pages)
		usleep(10000);
	measure_caps(measure_interference);
	WRITE_ONCE(memstress_args.stop_vcpus, true);
	memstress_join_vcpu_threads(nr_vcpus);
	memcg_leave();
	memstress_destroy_vm(vm);
	zram_swap_remove();
}

static void help(const char *name)
{
	puts("");
	printf("usage: %s [-h] [-m MiB] [-r samples] [-c auto|off|on|both] [-i seconds [-v vcpus]]\n",
	       name);
	puts("");
	printf(" -m: guest memory to harvest, in MiB (4 to %d; default: %zu)\n",
	       TOUCH_VM_MAX_PAGES * 4 / 1024, nr_pages * 4 / 1024);
	printf(" -r: samples of each pass per configuration (default: %d)\n", nr_samples);
	puts(" -c: capability 0x0008 of lru_gen/enabled to measure: off, on, both, or");
	puts("     auto: off, and on where the kernel has the series (default: auto)");
	puts(" -i: measure the guest's progress under continuous aging instead, in");
	puts("     windows of this many seconds with and without aging (default: off)");
	printf(" -v: vCPUs of the guest for -i (default: %d)\n", nr_vcpus);
	puts("");
	exit(0);
}

int main(int argc, char *argv[])
{
	int opt;

	while ((opt = getopt(argc, argv, "hm:r:c:i:v:")) != -1) {
		switch (opt) {
		case 'm':
			nr_pages = (size_t)atoi_positive("Memory (MiB)", optarg) * 256;
			break;
		case 'r':
			nr_samples = atoi_positive("Samples", optarg);
			break;
		case 'c':
			cap_option = optarg;
			TEST_ASSERT(!strcmp(optarg, "auto") || !strcmp(optarg, "on") ||
				    !strcmp(optarg, "off") || !strcmp(optarg, "both"),
				    "-c takes auto, off, on or both, not '%s'", optarg);
			break;
		case 'i':
			interference_seconds = atoi_positive("Seconds", optarg);
			break;
		case 'v':
			nr_vcpus = atoi_positive("vCPUs", optarg);
			TEST_ASSERT(nr_vcpus <= KVM_MAX_VCPUS, "-v takes at most %d", KVM_MAX_VCPUS);
			break;
		case 'h':
		default:
			help(argv[0]);
		}
	}
	TEST_ASSERT(nr_pages >= 1024 && nr_pages <= TOUCH_VM_MAX_PAGES,
		    "-m takes 4 to %d MiB", TOUCH_VM_MAX_PAGES * 4 / 1024);

	caps = mglru_test_setup(2 * nr_pages);
	measure_off = strcmp(cap_option, "on");
	measure_on = strcmp(cap_option, "off");
	if (!strcmp(cap_option, "auto"))
		measure_on = getenv(KERNEL_EXPECT_ENV) ? kernel_expects(KERNEL_EXPECT_SECONDARY_WALK) :
			     lru_gen_cap_sticks(LRU_GEN_CAP_SECONDARY_MMU_WALK);
	if (interference_seconds) {
		run_interference();
		return 0;
	}
	TEST_REQUIRE_FEATURE(KERNEL_EXPECT_PAGE_IDLE, page_idle_available(),
			     "no idle page tracking (%s)", PAGE_IDLE_BITMAP_PATH);
	trace_setup();
	all_pages = bitmap_zalloc(nr_pages);
	access_pattern_fill(all_pages, nr_pages, PATTERN_ALL, 0);
	memcg_path = mglru_test_create("aging_perf_test", nr_pages, &area, &memcg_id);
	touch_vm_touch(area, all_pages);
	drop_caches_drain_lru();
	idle_words_setup(area);
	pr_info("%zu pages (%zu MiB, %zu words of page_idle/bitmap), %d samples, lru_gen/enabled 0x%04x, memcg %s\n",
		nr_pages, nr_pages * 4 / 1024,
		nr_idle_words, nr_samples, caps, memcg_path);

	measure_caps(measure_passes);

	trace_instance_destroy(&ti);
	close(idle_fd);
	free(idle_words);
	free(all_pages);
	mglru_test_destroy(area);
	return 0;
}
