// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v2 memory controller helpers; see memcg.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "kernel_file.h"
#include "memcg.h"

/*
 * The memcgs of this test, absolute and relative paths, the last created
 * last.  Short, so that a file name fits after them in PATH_MAX.
 */
#define MEMCG_NAME_MAX	128
#define MEMCG_MAX	4
static char memcg_dirs[MEMCG_MAX][sizeof(MEMCG_ROOT) + MEMCG_NAME_MAX + 1];
static char memcg_rels[MEMCG_MAX][MEMCG_NAME_MAX + 2];
static int nr_memcgs;
/* Whether memcg_create() enabled the memory controller below the root. */
static bool memcg_enabled_controller;
static bool memcg_restore_registered;

/* The memcg created last, which memcg_enter(), _current() and _reclaim() use. */
static const char *memcg_last(void)
{
	TEST_ASSERT(nr_memcgs, "No memcg created");
	return memcg_dirs[nr_memcgs - 1];
}

static void memcg_write(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	kernel_file_write(path, val);
}

bool memcg_available(void)
{
	char buf[256];

	if (__kernel_file_read(MEMCG_ROOT "/cgroup.controllers", buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, "memory") != NULL;
}

/*
 * At exit, whatever ended the test: leave and remove the memcgs, and turn
 * the memory controller below the root off again if the test turned it on.
 * Reports what it cannot undo; never asserts, as it runs from exit().
 */
static void memcg_remove(void)
{
	int ret;

	if (nr_memcgs) {
		ret = __kernel_file_write(MEMCG_ROOT "/cgroup.procs", "0");
		if (ret)
			fprintf(stderr, "leaving the test's memcg: %s\n", strerror(-ret));
	}
	while (nr_memcgs) {
		const char *dir = memcg_dirs[--nr_memcgs];

		if (rmdir(dir))
			fprintf(stderr, "rmdir(%s): %s\n", dir, strerror(errno));
	}
	if (memcg_enabled_controller) {
		ret = __kernel_file_write(MEMCG_ROOT "/cgroup.subtree_control", "-memory");
		if (ret)
			fprintf(stderr, "turning the memory controller off again: %s\n",
				strerror(-ret));
		memcg_enabled_controller = false;
	}
}

/* Whether the root's children have the memory controller already. */
static bool memcg_subtree_has_memory(void)
{
	char buf[256];

	return __kernel_file_read(MEMCG_ROOT "/cgroup.subtree_control", buf, sizeof(buf)) >= 0 &&
	       strstr(buf, "memory");
}

const char *memcg_create(const char *name)
{
	char *dir = memcg_dirs[nr_memcgs], *rel = memcg_rels[nr_memcgs];

	TEST_ASSERT(nr_memcgs < MEMCG_MAX, "At most %d memcgs", MEMCG_MAX);
	TEST_ASSERT(strlen(name) <= MEMCG_NAME_MAX, "memcg name '%s' longer than %d bytes",
		    name, MEMCG_NAME_MAX);
	/* Before anything changes, so that a failure below is undone too. */
	if (!memcg_restore_registered) {
		restore_at_exit(memcg_remove);
		memcg_restore_registered = true;
	}
	if (!memcg_subtree_has_memory()) {
		memcg_write(MEMCG_ROOT, "cgroup.subtree_control", "+memory");
		memcg_enabled_controller = true;
	}
	snprintf(dir, sizeof(memcg_dirs[0]), "%s/%s", MEMCG_ROOT, name);
	snprintf(rel, sizeof(memcg_rels[0]), "/%s", name);
	if (mkdir(dir, 0755))
		TEST_FAIL("mkdir(%s): %s", dir, strerror(errno));
	nr_memcgs++;
	return rel;
}

void memcg_enter(void)
{
	memcg_write(memcg_last(), "cgroup.procs", "0");
}

void memcg_enter_path(const char *memcg_path)
{
	char dir[sizeof(memcg_dirs[0])];

	TEST_ASSERT(snprintf(dir, sizeof(dir), "%s%s", MEMCG_ROOT, memcg_path) < (int)sizeof(dir),
		    "memcg path '%s' too long", memcg_path);
	memcg_write(dir, "cgroup.procs", "0");
}

void memcg_leave(void)
{
	memcg_write(MEMCG_ROOT, "cgroup.procs", "0");
}

uint64_t memcg_current(void)
{
	char path[PATH_MAX], buf[32];
	unsigned long long val;

	snprintf(path, sizeof(path), "%s/memory.current", memcg_last());
	kernel_file_read(path, buf, sizeof(buf));
	TEST_ASSERT(sscanf(buf, "%llu", &val) == 1, "%s: '%s'", path, buf);
	return val;
}

int memcg_reclaim(uint64_t bytes)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), "%s/memory.reclaim", memcg_last());
	snprintf(val, sizeof(val), "%llu", (unsigned long long)bytes);
	return __kernel_file_write(path, val);
}
