/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tracefs instance of the test's own: a trace buffer and event selection
 * that nothing else on the system shares, so a test can count the events
 * its own calls cause without disturbing, or being disturbed by, the global
 * buffer.
 */
#ifndef SELFTEST_KVM_TRACE_INSTANCE_H
#define SELFTEST_KVM_TRACE_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TRACEFS_DIR		"/sys/kernel/tracing"

struct trace_instance {
	char dir[128];
	int marker_fd;		/* its trace_marker, once written; else -1 */
};

/* Whether tracefs has the event @event ("system/name"). */
bool tracefs_has_event(const char *event);

/*
 * Create the instance @name (removing one left over by an earlier run),
 * with tracing off and no event enabled.  The test's end removes it if
 * trace_instance_destroy() did not (see restore_at_exit()); @ti must live
 * until then.
 */
void trace_instance_create(struct trace_instance *ti, const char *name);
void trace_instance_destroy(struct trace_instance *ti);

/* Write @val to the instance's file @file (e.g. "buffer_size_kb"). */
void trace_instance_write(struct trace_instance *ti, const char *file,
			  const char *val);

/*
 * Record @event ("system/name") in the instance: only the events of the
 * thread @tid (0: of every thread) that also match the event filter
 * @filter (NULL: all).  The thread goes into the event's own filter
 * ("common_pid == @tid"), never into set_event_pid: that hooks the sched
 * tracepoints, and swapping their probes as a test starts and ends races
 * with every context switch and wake-up of the system.
 */
void trace_instance_enable(struct trace_instance *ti, const char *event, pid_t tid,
			   const char *filter);

/*
 * Write @text into the instance's buffer (trace_marker: a
 * "tracing_mark_write: @text" line, ordered with the events by their
 * time stamps, across CPUs with the "global" trace_clock).  Returns 0, or
 * -errno (-EBADF while the instance's tracing is off).
 */
int trace_instance_mark(struct trace_instance *ti, const char *text);

/* Empty the instance's buffer. */
void trace_instance_clear(struct trace_instance *ti);

/* Empty the buffer and start recording; stop recording. */
void trace_instance_start(struct trace_instance *ti);
void trace_instance_stop(struct trace_instance *ti);

/*
 * Call @fn(@line, @arg) for each event in the instance's buffer, reading it
 * once; returns the number of events.  Asserts that the buffer lost no
 * event.
 */
size_t trace_instance_for_each(struct trace_instance *ti,
			       void (*fn)(const char *line, void *arg), void *arg);

/*
 * Print the last @nr events in the instance's buffer to stderr, each after
 * @prefix; for a buffer that may have overwritten older events (no
 * assertion on lost events, unlike trace_instance_for_each()).  Returns
 * the number of events read.
 */
size_t trace_instance_print_tail(struct trace_instance *ti, size_t nr, const char *prefix);

#endif /* SELFTEST_KVM_TRACE_INSTANCE_H */
