/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel under test is known to have.
 *
 * A selftest skips when the kernel lacks a feature it needs.  That is right
 * on a kernel built without the feature, and a false green on a kernel built
 * with it: there the feature is missing because the kernel is broken (KVM
 * failed to initialise, the series' capability does not stick).  The runner
 * knows what it built in, from the kernel's .config and source, and says so
 * in the environment variable KERNEL_EXPECT, a comma-separated list of the
 * KERNEL_EXPECT_* names below.  A feature listed there and missing is a
 * failure; without the variable (make kselftest on any kernel), a skip.
 *
 * The reporting helpers are macros: kselftest.h keeps its counters per
 * translation unit, so they must expand in the test's own.
 */
#ifndef SELFTEST_KVM_KERNEL_EXPECT_H
#define SELFTEST_KVM_KERNEL_EXPECT_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"
#include "test_util.h"

#define KERNEL_EXPECT_ENV		"KERNEL_EXPECT"

#define KERNEL_EXPECT_KVM		"kvm"			/* CONFIG_KVM */
#define KERNEL_EXPECT_THP		"thp"			/* CONFIG_TRANSPARENT_HUGEPAGE */
#define KERNEL_EXPECT_HUGETLB		"hugetlb"		/* CONFIG_HUGETLBFS */
#define KERNEL_EXPECT_PAGE_IDLE		"page_idle"		/* CONFIG_IDLE_PAGE_TRACKING */
#define KERNEL_EXPECT_PAGEMAP		"pagemap"		/* CONFIG_PROC_PAGE_MONITOR */
#define KERNEL_EXPECT_LRU_GEN		"lru_gen"		/* CONFIG_LRU_GEN, DEBUG_FS */
#define KERNEL_EXPECT_MEMCG		"memcg"			/* CONFIG_MEMCG */
#define KERNEL_EXPECT_ZRAM_SWAP		"zram_swap"		/* CONFIG_ZRAM, SWAP */
#define KERNEL_EXPECT_LOCK_TRACE	"lock_trace"		/* CONFIG_LOCKDEP, EVENT_TRACING */
/* The series: lru_gen/enabled capability 0x0008, and the test driver. */
#define KERNEL_EXPECT_SECONDARY_WALK	"lru_gen_secondary_mmu_walk"
#define KERNEL_EXPECT_TEST_DRIVER	"test_mmu_notifier_young"

/* Whether KERNEL_EXPECT lists @feature. */
static inline bool kernel_expects(const char *feature)
{
	const char *p = getenv(KERNEL_EXPECT_ENV);
	size_t len = strlen(feature);

	while (p && *p) {
		if (!strncmp(p, feature, len) && (p[len] == ',' || !p[len]))
			return true;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/*
 * Report the case named by the format string literal @fmt as skipped
 * because @feature is missing (@why says how), or as failed if the kernel
 * is expected to have @feature.
 */
#define ksft_test_result_missing(feature, why, fmt, ...)			\
do {										\
	if (kernel_expects(feature)) {						\
		ksft_print_msg(fmt ": %s, but the kernel was built with %s\n",	\
			       ##__VA_ARGS__, why, feature);			\
		ksft_test_result_fail(fmt "\n", ##__VA_ARGS__);			\
	} else {								\
		ksft_test_result_skip(fmt ": %s\n", ##__VA_ARGS__, why);	\
	}									\
} while (0)

/*
 * Unless @cond, end the test: a skip naming what is missing, or a failure
 * if the kernel is expected to have @feature.  For what the whole test
 * needs, like __TEST_REQUIRE().
 */
#define TEST_REQUIRE_FEATURE(feature, cond, fmt, ...)				\
do {										\
	if (!(cond)) {								\
		if (kernel_expects(feature))					\
			ksft_exit_fail_msg(fmt ", but the kernel was built with %s (%s=%s)\n", \
					   ##__VA_ARGS__, feature, KERNEL_EXPECT_ENV, \
					   getenv(KERNEL_EXPECT_ENV));		\
		print_skip(fmt, ##__VA_ARGS__);					\
		exit(KSFT_SKIP);						\
	}									\
} while (0)

#endif /* SELFTEST_KVM_KERNEL_EXPECT_H */
