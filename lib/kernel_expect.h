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
 */
#ifndef SELFTEST_KVM_KERNEL_EXPECT_H
#define SELFTEST_KVM_KERNEL_EXPECT_H

#include <stdbool.h>

#define KERNEL_EXPECT_ENV		"KERNEL_EXPECT"

#define KERNEL_EXPECT_KVM		"kvm"			/* CONFIG_KVM */
#define KERNEL_EXPECT_THP		"thp"			/* CONFIG_TRANSPARENT_HUGEPAGE */
#define KERNEL_EXPECT_HUGETLB		"hugetlb"		/* CONFIG_HUGETLBFS */
#define KERNEL_EXPECT_PAGE_IDLE		"page_idle"		/* CONFIG_IDLE_PAGE_TRACKING */
#define KERNEL_EXPECT_PAGEMAP		"pagemap"		/* CONFIG_PROC_PAGE_MONITOR */
#define KERNEL_EXPECT_LRU_GEN		"lru_gen"		/* CONFIG_LRU_GEN, DEBUG_FS */
#define KERNEL_EXPECT_MEMCG		"memcg"			/* CONFIG_MEMCG */
#define KERNEL_EXPECT_ZRAM_SWAP		"zram_swap"		/* CONFIG_ZRAM, SWAP */
/* The series: lru_gen/enabled capability 0x0008, and the test driver. */
#define KERNEL_EXPECT_SECONDARY_WALK	"lru_gen_secondary_mmu_walk"
#define KERNEL_EXPECT_TEST_DRIVER	"test_mmu_notifier_young"

/* Whether KERNEL_EXPECT lists @feature. */
bool kernel_expects(const char *feature);

/*
 * Report the case named by @fmt as skipped because @feature is missing (@why
 * says how), or as failed if the kernel is expected to have @feature.
 */
void ksft_test_result_missing(const char *feature, const char *why,
			      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Unless @cond, end the test: a skip naming what is missing, or a failure
 * if the kernel is expected to have @feature.  For what the whole test
 * needs, like __TEST_REQUIRE().
 */
#define TEST_REQUIRE_FEATURE(feature, cond, fmt, ...)				\
do {										\
	if (!(cond))								\
		__kernel_missing_exit(feature, fmt, ##__VA_ARGS__);		\
} while (0)

void __kernel_missing_exit(const char *feature, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif /* SELFTEST_KVM_KERNEL_EXPECT_H */
