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
 * The memcg of this test: absolute and relative path; empty if none.  Short,
 * so that a file name fits after them in PATH_MAX.
 */
#define MEMCG_NAME_MAX	128
static char memcg_dir[sizeof(MEMCG_ROOT) + MEMCG_NAME_MAX + 1];
static char memcg_rel[MEMCG_NAME_MAX + 2];

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

static void memcg_remove(void)
{
	if (!memcg_dir[0])
		return;
	memcg_leave();
	if (rmdir(memcg_dir))
		fprintf(stderr, "rmdir(%s): %s\n", memcg_dir, strerror(errno));
	memcg_dir[0] = '\0';
}

const char *memcg_create(const char *name)
{
	TEST_ASSERT(!memcg_dir[0], "One memcg at a time (%s exists)", memcg_dir);
	TEST_ASSERT(strlen(name) <= MEMCG_NAME_MAX, "memcg name '%s' longer than %d bytes",
		    name, MEMCG_NAME_MAX);
	memcg_write(MEMCG_ROOT, "cgroup.subtree_control", "+memory");
	snprintf(memcg_dir, sizeof(memcg_dir), "%s/%s", MEMCG_ROOT, name);
	snprintf(memcg_rel, sizeof(memcg_rel), "/%s", name);
	if (mkdir(memcg_dir, 0755)) {
		int err = errno;

		memcg_dir[0] = '\0';
		TEST_FAIL("mkdir(%s/%s): %s", MEMCG_ROOT, name, strerror(err));
	}
	atexit(memcg_remove);
	return memcg_rel;
}

void memcg_enter(void)
{
	TEST_ASSERT(memcg_dir[0], "No memcg to enter");
	memcg_write(memcg_dir, "cgroup.procs", "0");
}

void memcg_leave(void)
{
	memcg_write(MEMCG_ROOT, "cgroup.procs", "0");
}

uint64_t memcg_current(void)
{
	char path[PATH_MAX], buf[32];
	unsigned long long val;

	snprintf(path, sizeof(path), "%s/memory.current", memcg_dir);
	kernel_file_read(path, buf, sizeof(buf));
	TEST_ASSERT(sscanf(buf, "%llu", &val) == 1, "%s: '%s'", path, buf);
	return val;
}

int memcg_reclaim(uint64_t bytes)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), "%s/memory.reclaim", memcg_dir);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)bytes);
	return __kernel_file_write(path, val);
}
