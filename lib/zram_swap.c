// SPDX-License-Identifier: GPL-2.0
/*
 * A zram swap device for the test; see zram_swap.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/swap.h>
#include <unistd.h>

#include "test_util.h"
#include "kernel_file.h"
#include "zram_swap.h"

#define ZRAM_CONTROL	"/sys/class/zram-control"

/* The zram device this test added, or -1. */
static int zram_swap_id = -1;

const char *__zram_swap_add(size_t size)
{
	char path[PATH_MAX], buf[32];
	size_t page_size = getpagesize();
	void *header;
	int fd, ret;

	TEST_ASSERT(zram_swap_id < 0, "One zram swap device at a time");
	if (access(ZRAM_CONTROL "/hot_add", R_OK))
		return "no zram (" ZRAM_CONTROL "/hot_add), CONFIG_ZRAM?";
	kernel_file_read(ZRAM_CONTROL "/hot_add", buf, sizeof(buf));
	zram_swap_id = atoi(buf);
	restore_at_exit(zram_swap_remove);

	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", zram_swap_id);
	snprintf(buf, sizeof(buf), "%zu", size);
	ret = __kernel_file_write(path, buf);
	TEST_ASSERT(!ret, "write %s to %s: %s", buf, path, strerror(-ret));

	snprintf(path, sizeof(path), "/dev/zram%d", zram_swap_id);
	fd = open(path, O_RDWR);
	TEST_ASSERT(fd >= 0, "open(%s): %s", path, strerror(errno));
	header = calloc(1, page_size);
	TEST_ASSERT(header, "calloc(%zu)", page_size);
	zram_swap_header(header, page_size, size);
	TEST_ASSERT(pwrite(fd, header, page_size, 0) == (ssize_t)page_size,
		    "write the swap header to %s: %s", path, strerror(errno));
	free(header);
	TEST_ASSERT(!fsync(fd), "fsync(%s): %s", path, strerror(errno));
	close(fd);

	if (swapon(path, 0)) {
		if (errno == ENOSYS)
			return "no swap support (swapon() returns ENOSYS), CONFIG_SWAP?";
		TEST_FAIL("swapon(%s): %s", path, strerror(errno));
	}
	return NULL;
}

void zram_swap_remove(void)
{
	char path[PATH_MAX], id[16];
	int ret;

	if (zram_swap_id < 0)
		return;
	snprintf(path, sizeof(path), "/dev/zram%d", zram_swap_id);
	if (swapoff(path) && errno != EINVAL)
		fprintf(stderr, "swapoff(%s): %s\n", path, strerror(errno));
	snprintf(id, sizeof(id), "%d", zram_swap_id);
	ret = __kernel_file_write(ZRAM_CONTROL "/hot_remove", id);
	if (ret)
		fprintf(stderr, "remove zram%d: %s\n", zram_swap_id, strerror(-ret));
	zram_swap_id = -1;
}
