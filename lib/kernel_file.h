/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading and writing the kernel's small text files (sysfs, procfs,
 * cgroupfs, debugfs): one read() or write() of a short value, as the
 * kernel's show/store handlers expect.
 */
#ifndef SELFTEST_KVM_KERNEL_FILE_H
#define SELFTEST_KVM_KERNEL_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read @path into @buf, @size bytes with the terminating NUL.  Returns the
 * length read, or -errno (of open() or read()).
 */
ssize_t __kernel_file_read(const char *path, char *buf, size_t size);

/* The same; asserts that @path can be read and is not empty. */
size_t kernel_file_read(const char *path, char *buf, size_t size);

/* Write @val to @path in one write().  Returns 0 or -errno. */
int __kernel_file_write(const char *path, const char *val);

/* The same; asserts. */
void kernel_file_write(const char *path, const char *val);

/*
 * Call @restore, which puts back system state the test changed (sysfs
 * settings, a swap device, cgroups, tracefs instances), when the test
 * ends, whatever ends it: a return from main(), exit() (a failed
 * TEST_ASSERT included), or SIGTERM, SIGINT or SIGHUP (a runner's timeout,
 * Ctrl-C), after which the signal is raised again so that the test still
 * dies of it.  Restores run last registered first.  A restore must not
 * assert; it reports what it cannot undo on stderr.  SIGKILL cannot be
 * caught: the state stays changed.
 */
void restore_at_exit(void (*restore)(void));

/*
 * Put the pages of every per-CPU LRU batch on the LRU, so that idle page
 * tracking and MGLRU's counters see them, by writing 1 to
 * /proc/sys/vm/drop_caches (which calls lru_add_drain_all()).  A side
 * effect on the whole system, which cannot be undone: the clean page cache
 * of every process is dropped.
 */
void drop_caches_drain_lru(void);

#endif /* SELFTEST_KVM_KERNEL_FILE_H */
