/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multi-gen LRU helpers: parse /sys/kernel/debug/lru_gen, age and evict one
 * lruvec through it, and set and restore /sys/kernel/mm/lru_gen/enabled.
 *
 * The parsers (lru_gen_parse(), lru_gen_parse_caps()) are pure functions over
 * a buffer that only need libc, so that they are unit-tested on the build
 * host against recorded output (tests/test_lib_parsers.py); the rest talks to
 * the kernel and asserts.
 *
 * Upstream has the same job in lib/lru_gen_util.c since 6.16, which 6.12
 * lacks.  Names follow it where the meaning is the same (LRU_GEN_ENABLED_PATH,
 * LRU_GEN_DEBUGFS, lru_gen_usable()); where ours differ, they do because the
 * tests need one node's lruvec with its sequence numbers, which upstream's
 * per-memcg sums do not keep: lru_gen_read() stands for
 * lru_gen_read_memcg_stats(), lru_gen_age() for lru_gen_do_aging() (one
 * node, a chosen max_seq), lru_gen_nr_anon() for lru_gen_sum_memcg_stats().
 */
#ifndef SELFTEST_KVM_LRU_GEN_H
#define SELFTEST_KVM_LRU_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LRU_GEN_ENABLED_PATH	"/sys/kernel/mm/lru_gen/enabled"
#define LRU_GEN_DEBUGFS		"/sys/kernel/debug/lru_gen"

/* The bits of lru_gen/enabled (Documentation/admin-guide/mm/multigen_lru.rst). */
#define LRU_GEN_CAP_CORE		0x0001	/* the multi-gen LRU itself */
#define LRU_GEN_CAP_MM_WALK		0x0002	/* aging walks page tables */
#define LRU_GEN_CAP_NONLEAF_YOUNG	0x0004	/* ... and clears non-leaf young bits */
#define LRU_GEN_CAP_SECONDARY_MMU_WALK	0x0008	/* batched secondary MMU aging (the series) */

/* MAX_NR_GENS: a lruvec never has more generations than this. */
#define LRU_GEN_MAX_NR_GENS	4
/* MIN_NR_GENS: eviction never takes from the youngest two generations. */
#define LRU_GEN_MIN_NR_GENS	2

/* One generation line: "seq age_in_ms nr_anon_pages nr_file_pages". */
struct lru_gen_gen {
	uint64_t seq;
	uint64_t age_ms;
	uint64_t nr_anon;
	uint64_t nr_file;
};

/* One lruvec: the generations of a memcg on a node, oldest first. */
struct lru_gen_lruvec {
	int memcg_id;
	char memcg_path[256];
	int nid;
	int nr_gens;
	struct lru_gen_gen gens[LRU_GEN_MAX_NR_GENS];
};

/*
 * Parse the text of /sys/kernel/debug/lru_gen (the short format, as read from
 * the writable file) in @buf into @lruvecs, at most @max of them, in the
 * order they appear.  Returns the number of lruvecs, or -1 with a message
 * naming the offending line in @err (of @err_size bytes) if the text is not
 * in that format.
 */
int lru_gen_parse(const char *buf, struct lru_gen_lruvec *lruvecs, int max,
		  char *err, size_t err_size);

/* The lruvec of @memcg_path on node @nid in @lruvecs, or NULL. */
const struct lru_gen_lruvec *lru_gen_find(const struct lru_gen_lruvec *lruvecs,
					  int nr, const char *memcg_path, int nid);

/* The youngest generation of @lruvec (max_seq), and the oldest (min_seq). */
static inline const struct lru_gen_gen *lru_gen_youngest(const struct lru_gen_lruvec *lruvec)
{
	return &lruvec->gens[lruvec->nr_gens - 1];
}

static inline const struct lru_gen_gen *lru_gen_oldest(const struct lru_gen_lruvec *lruvec)
{
	return &lruvec->gens[0];
}

/* The anon pages of all generations of @lruvec. */
uint64_t lru_gen_nr_anon(const struct lru_gen_lruvec *lruvec);

/*
 * Parse the text of lru_gen/enabled ("0x000f\n") into @caps.  Returns 0, or
 * -1 with a message in @err.
 */
int lru_gen_parse_caps(const char *buf, unsigned int *caps, char *err, size_t err_size);

/* Kernel side; these assert unless they start with "__". */

/* Whether the kernel has the multi-gen LRU (lru_gen/enabled exists). */
bool lru_gen_usable(void);

/* The current value of lru_gen/enabled. */
unsigned int lru_gen_get_caps(void);

/*
 * Write @caps to lru_gen/enabled and return what reads back (the kernel
 * drops bits it does not know and bits the hardware cannot do).  Remembers
 * the value found before the first change and restores it at exit.
 */
unsigned int lru_gen_set_caps(unsigned int caps);

/*
 * Whether @cap can be turned on: set it, read back, restore.  This is how
 * the tests tell a kernel with the series (0x0008 sticks) from one without.
 */
bool lru_gen_cap_sticks(unsigned int cap);

/* Read, parse and find the lruvec of @memcg_path on node @nid. */
void lru_gen_read(const char *memcg_path, int nid, struct lru_gen_lruvec *lruvec);

/*
 * Aging: "+ memcg_id node_id max_gen swappiness force_scan".  @max_seq must
 * be the lruvec's current max_seq; @swappiness 0..200, or -1 for the
 * kernel's choice.  Returns 0 or -errno.
 */
int __lru_gen_age(int memcg_id, int nid, uint64_t max_seq, int swappiness, bool force_scan);
void lru_gen_age(int memcg_id, int nid, uint64_t max_seq, int swappiness, bool force_scan);

/*
 * Eviction: "- memcg_id node_id min_gen swappiness nr_to_reclaim": evict
 * generations up to @min_seq (at most max_seq - 2) until @nr_to_reclaim
 * pages are reclaimed.  Returns 0 or -errno.
 */
int __lru_gen_evict(int memcg_id, int nid, uint64_t min_seq, int swappiness,
		    uint64_t nr_to_reclaim);
void lru_gen_evict(int memcg_id, int nid, uint64_t min_seq, int swappiness,
		   uint64_t nr_to_reclaim);

#endif /* SELFTEST_KVM_LRU_GEN_H */
