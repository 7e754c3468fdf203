// SPDX-License-Identifier: GPL-2.0
/*
 * A tracefs instance of the test's own; see trace_instance.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "kernel_file.h"
#include "trace_instance.h"

bool tracefs_has_event(const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS_DIR "/events/%s/enable", event);
	return !access(path, W_OK);
}

static void trace_instance_path(struct trace_instance *ti, const char *file,
				char *path, size_t size)
{
	TEST_ASSERT((size_t)snprintf(path, size, "%s/%s", ti->dir, file) < size,
		    "tracefs path too long: %s/%s", ti->dir, file);
}

#define MAX_INSTANCES	4

/* The instances not destroyed yet, which the test's end removes. */
static struct trace_instance *instances[MAX_INSTANCES];

/*
 * Tracing off, events off (a lock tracepoint left on slows the whole
 * system), the instance removed.  Returns 0 or -errno of the first step
 * that failed; never asserts, as it also runs at exit.
 */
static int __trace_instance_remove(struct trace_instance *ti)
{
	char path[256];
	int ret;

	if (ti->marker_fd >= 0)
		close(ti->marker_fd);
	ti->marker_fd = -1;
	snprintf(path, sizeof(path), "%s/tracing_on", ti->dir);
	ret = __kernel_file_write(path, "0");
	snprintf(path, sizeof(path), "%s/events/enable", ti->dir);
	ret = ret ?: __kernel_file_write(path, "0");
	if (!ret && rmdir(ti->dir))
		ret = -errno;
	return ret;
}

static void trace_instances_remove(void)
{
	int i, ret;

	for (i = 0; i < MAX_INSTANCES; i++) {
		if (!instances[i])
			continue;
		ret = __trace_instance_remove(instances[i]);
		if (ret)
			fprintf(stderr, "removing the tracefs instance %s: %s\n",
				instances[i]->dir, strerror(-ret));
		instances[i] = NULL;
	}
}

void trace_instance_create(struct trace_instance *ti, const char *name)
{
	static bool restore_registered;
	int i;

	for (i = 0; i < MAX_INSTANCES && instances[i]; i++)
		;
	TEST_ASSERT(i < MAX_INSTANCES, "More than %d tracefs instances", MAX_INSTANCES);
	if (!restore_registered) {
		restore_at_exit(trace_instances_remove);
		restore_registered = true;
	}
	snprintf(ti->dir, sizeof(ti->dir), TRACEFS_DIR "/instances/%s", name);
	ti->marker_fd = -1;
	if (rmdir(ti->dir))
		TEST_ASSERT(errno == ENOENT, "Cannot remove the stale tracefs instance %s", ti->dir);
	TEST_ASSERT(!mkdir(ti->dir, 0700), "Cannot create the tracefs instance %s", ti->dir);
	instances[i] = ti;
	trace_instance_write(ti, "tracing_on", "0");
	trace_instance_write(ti, "events/enable", "0");
}

void trace_instance_destroy(struct trace_instance *ti)
{
	int i, ret;

	for (i = 0; i < MAX_INSTANCES; i++)
		if (instances[i] == ti)
			instances[i] = NULL;
	ret = __trace_instance_remove(ti);
	TEST_ASSERT(!ret, "Cannot remove the tracefs instance %s: %s", ti->dir, strerror(-ret));
}

void trace_instance_write(struct trace_instance *ti, const char *file,
			  const char *val)
{
	char path[256];

	trace_instance_path(ti, file, path, sizeof(path));
	kernel_file_write(path, val);
}

void trace_instance_enable(struct trace_instance *ti, const char *event, pid_t tid,
			   const char *filter)
{
	char file[128], expr[512];
	int len = 0;

	if (tid && filter)
		len = snprintf(expr, sizeof(expr), "common_pid == %d && (%s)", tid, filter);
	else if (tid)
		len = snprintf(expr, sizeof(expr), "common_pid == %d", tid);
	else if (filter)
		len = snprintf(expr, sizeof(expr), "%s", filter);
	TEST_ASSERT((size_t)len < sizeof(expr), "The filter of %s is too long: %d characters",
		    event, len);
	TEST_ASSERT((size_t)snprintf(file, sizeof(file), "events/%s/filter", event) < sizeof(file),
		    "tracefs event name too long: %s", event);
	if (len)
		trace_instance_write(ti, file, expr);
	snprintf(file, sizeof(file), "events/%s/enable", event);
	trace_instance_write(ti, file, "1");
}

int trace_instance_mark(struct trace_instance *ti, const char *text)
{
	char path[256];
	ssize_t len = strlen(text), ret;

	if (ti->marker_fd < 0) {
		trace_instance_path(ti, "trace_marker", path, sizeof(path));
		ti->marker_fd = open(path, O_WRONLY);
		TEST_ASSERT(ti->marker_fd >= 0, "Cannot open %s", path);
	}
	ret = write(ti->marker_fd, text, len);
	if (ret < 0)
		return -errno;
	return ret == len ? 0 : -EIO;
}

void trace_instance_clear(struct trace_instance *ti)
{
	char path[256];
	int fd;

	trace_instance_path(ti, "trace", path, sizeof(path));
	fd = open(path, O_WRONLY | O_TRUNC);
	TEST_ASSERT(fd >= 0, "Cannot clear %s", path);
	close(fd);
}

void trace_instance_start(struct trace_instance *ti)
{
	trace_instance_clear(ti);
	trace_instance_write(ti, "tracing_on", "1");
}

void trace_instance_stop(struct trace_instance *ti)
{
	trace_instance_write(ti, "tracing_on", "0");
}

#define TRACE_LINE_MAX	1024

/*
 * Call @fn on each event line of the instance's trace (@fn may be NULL);
 * the number of events.  @lossless: fail if the ring lost any event.
 */
static size_t trace_instance_read(struct trace_instance *ti, bool lossless,
				  void (*fn)(const char *line, void *arg), void *arg)
{
	size_t count = 0;
	char path[256], line[TRACE_LINE_MAX];
	FILE *f;

	trace_instance_path(ti, "trace", path, sizeof(path));
	f = fopen(path, "r");
	TEST_ASSERT(f, "Cannot read %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			/* "# entries-in-buffer/entries-written: 5/5   #P:2" */
			unsigned long in_buffer, written;

			if (lossless &&
			    sscanf(line, "# entries-in-buffer/entries-written: %lu/%lu",
				   &in_buffer, &written) == 2)
				TEST_ASSERT(in_buffer == written,
					    "%s lost events: %lu of %lu kept", path, in_buffer, written);
			continue;
		}
		count++;
		if (fn)
			fn(line, arg);
	}
	fclose(f);
	return count;
}

size_t trace_instance_for_each(struct trace_instance *ti,
			       void (*fn)(const char *line, void *arg), void *arg)
{
	return trace_instance_read(ti, true, fn, arg);
}

/* The last @nr lines seen, in a ring. */
struct trace_tail {
	char (*lines)[TRACE_LINE_MAX];
	size_t nr, count;
};

static void trace_tail_keep(const char *line, void *arg)
{
	struct trace_tail *tail = arg;

	if (tail->nr)
		snprintf(tail->lines[tail->count % tail->nr], TRACE_LINE_MAX, "%s", line);
	tail->count++;
}

size_t trace_instance_print_tail(struct trace_instance *ti, size_t nr, const char *prefix)
{
	struct trace_tail tail = { .lines = calloc(nr ?: 1, TRACE_LINE_MAX), .nr = nr };
	size_t i;

	TEST_ASSERT(tail.lines, "calloc()");
	trace_instance_read(ti, false, trace_tail_keep, &tail);
	for (i = tail.count > nr ? tail.count - nr : 0; i < tail.count; i++)
		fprintf(stderr, "%s%s", prefix, tail.lines[i % nr]);
	free(tail.lines);
	return tail.count;
}
