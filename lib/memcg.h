/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup v2 memory controller helpers: a memcg of the test's own, with the
 * test process in it, removed at exit.
 *
 * Charges stay where they were made when a process moves (cgroup v2 has no
 * charge moving), and a page is charged to the memcg of the process that
 * faults it in.  So a test moves itself in after setting up what should not
 * be charged there, and before faulting in what should.
 *
 * The cgroup selftests' cgroup_util.c does this job for them; 6.12's KVM
 * selftests cannot link it (later kernels move it to cgroup/lib/ and link it
 * through libcgroup.mk).  Each helper here stands for its calls, so that a
 * newer tree can swap one for the other: memcg_create() for cg_name() and
 * cg_create() (after turning +memory on in the root's subtree_control),
 * memcg_enter() for cg_enter_current(), memcg_current() for cg_read_long()
 * of memory.current, memcg_reclaim() for cg_write() of memory.reclaim.
 */
#ifndef SELFTEST_KVM_MEMCG_H
#define SELFTEST_KVM_MEMCG_H

#include <stdbool.h>
#include <stdint.h>

#define MEMCG_ROOT	"/sys/fs/cgroup"

/* Whether cgroup v2 with the memory controller is mounted at MEMCG_ROOT. */
bool memcg_available(void);

/*
 * Create the memcg MEMCG_ROOT/@name (a child of the root; enables the memory
 * controller for the root's children), and remove it at exit after moving
 * the process back to the root; at most 4 of them.  Returns its path
 * relative to MEMCG_ROOT ("/@name"), as debugfs lru_gen names it.
 */
const char *memcg_create(const char *name);

/* Move this process (all its threads) into the memcg created last. */
void memcg_enter(void);

/* The same, into the memcg of @memcg_path, as memcg_create() returned it. */
void memcg_enter_path(const char *memcg_path);

/* Move this process back to the root cgroup. */
void memcg_leave(void);

/* memory.current of the memcg created last, in bytes. */
uint64_t memcg_current(void);

/*
 * Write @bytes to memory.reclaim of the memcg created last.  Returns 0, or
 * -errno (-EAGAIN: the kernel reclaimed less than asked).
 */
int memcg_reclaim(uint64_t bytes);

#endif /* SELFTEST_KVM_MEMCG_H */
