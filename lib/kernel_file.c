// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's small text files; see kernel_file.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "kernel_file.h"

ssize_t __kernel_file_read(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	TEST_ASSERT(size, "No room to read %s into", path);
	buf[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	if (len < 0)
		len = -errno;
	else
		buf[len] = '\0';
	close(fd);
	return len;
}

size_t kernel_file_read(const char *path, char *buf, size_t size)
{
	ssize_t len = __kernel_file_read(path, buf, size);

	TEST_ASSERT(len >= 0, "read %s: %s", path, strerror(-len));
	TEST_ASSERT(len > 0, "read %s: empty", path);
	return len;
}

int __kernel_file_write(const char *path, const char *val)
{
	int fd, ret = 0;
	ssize_t len = strlen(val), written;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	written = write(fd, val, len);
	if (written < 0)
		ret = -errno;
	else if (written != len)
		ret = -EIO;
	close(fd);
	return ret;
}

void kernel_file_write(const char *path, const char *val)
{
	int ret = __kernel_file_write(path, val);

	TEST_ASSERT(!ret, "write '%s' to %s: %s", val, path, strerror(-ret));
}

#define MAX_RESTORES	8

static void (*restores[MAX_RESTORES])(void);
static int nr_restores;

static void run_restores(void)
{
	while (nr_restores > 0)
		restores[--nr_restores]();
}

static void restore_on_signal(int sig)
{
	run_restores();
	signal(sig, SIG_DFL);
	raise(sig);
}

void restore_at_exit(void (*restore)(void))
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa = { .sa_handler = restore_on_signal };
	static bool registered;
	size_t i;

	TEST_ASSERT(nr_restores < MAX_RESTORES, "More than %d restores at exit", MAX_RESTORES);
	if (!registered) {
		atexit(run_restores);
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < ARRAY_SIZE(signals); i++)
			sigaction(signals[i], &sa, NULL);
		registered = true;
	}
	restores[nr_restores++] = restore;
}

void drop_caches_drain_lru(void)
{
	kernel_file_write("/proc/sys/vm/drop_caches", "1");
}
