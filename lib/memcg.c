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
#include "memcg.h"

/* The memcg of this test: absolute and relative path; empty if none. */
static char memcg_dir[PATH_MAX];
static char memcg_rel[PATH_MAX];

static void memcg_write(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	int fd, len = strlen(val);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	TEST_ASSERT(fd >= 0, "open(%s): %s", path, strerror(errno));
	TEST_ASSERT(write(fd, val, len) == len, "write('%s' to %s): %s",
		    val, path, strerror(errno));
	close(fd);
}

bool memcg_available(void)
{
	char buf[256] = "";
	ssize_t len;
	int fd;

	fd = open(MEMCG_ROOT "/cgroup.controllers", O_RDONLY);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
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
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/memory.current", memcg_dir);
	fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open(%s): %s", path, strerror(errno));
	len = read(fd, buf, sizeof(buf) - 1);
	TEST_ASSERT(len > 0, "read(%s): %s", path, strerror(errno));
	close(fd);
	buf[len] = '\0';
	TEST_ASSERT(sscanf(buf, "%llu", &val) == 1, "%s: '%s'", path, buf);
	return val;
}

int memcg_reclaim(uint64_t bytes)
{
	char path[PATH_MAX], val[32];
	int fd, len, ret = 0;

	snprintf(path, sizeof(path), "%s/memory.reclaim", memcg_dir);
	len = snprintf(val, sizeof(val), "%llu", (unsigned long long)bytes);
	fd = open(path, O_WRONLY);
	TEST_ASSERT(fd >= 0, "open(%s): %s", path, strerror(errno));
	if (write(fd, val, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}
