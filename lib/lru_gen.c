// SPDX-License-Identifier: GPL-2.0
/*
 * Multi-gen LRU helpers, kernel side; see lru_gen.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "kernel_file.h"
#include "lru_gen.h"

/* lru_gen/enabled before this test changed it; restored at exit. */
static unsigned int lru_gen_saved_caps;
static bool lru_gen_caps_saved;

/* Enough lruvecs for every memcg of a test guest. */
#define LRU_GEN_MAX_LRUVECS	256

bool lru_gen_usable(void)
{
	return !access(LRU_GEN_ENABLED_PATH, R_OK | W_OK);
}

unsigned int lru_gen_get_caps(void)
{
	char buf[32], err[128];
	unsigned int caps;

	kernel_file_read(LRU_GEN_ENABLED_PATH, buf, sizeof(buf));
	TEST_ASSERT(!lru_gen_parse_caps(buf, &caps, err, sizeof(err)),
		    "%s: %s", LRU_GEN_ENABLED_PATH, err);
	return caps;
}

static void __lru_gen_write_caps(unsigned int caps)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%04x", caps);
	kernel_file_write(LRU_GEN_ENABLED_PATH, buf);
}

/* At exit, whatever ended the test; never asserts, as it runs from exit(). */
static void lru_gen_restore_caps(void)
{
	char buf[16];
	int ret;

	if (!lru_gen_caps_saved)
		return;
	snprintf(buf, sizeof(buf), "0x%04x", lru_gen_saved_caps);
	ret = __kernel_file_write(LRU_GEN_ENABLED_PATH, buf);
	if (ret)
		fprintf(stderr, "restoring %s to %s: %s\n", LRU_GEN_ENABLED_PATH, buf,
			strerror(-ret));
}

unsigned int lru_gen_set_caps(unsigned int caps)
{
	if (!lru_gen_caps_saved) {
		lru_gen_saved_caps = lru_gen_get_caps();
		lru_gen_caps_saved = true;
		restore_at_exit(lru_gen_restore_caps);
	}
	__lru_gen_write_caps(caps);
	return lru_gen_get_caps();
}

bool lru_gen_cap_sticks(unsigned int cap)
{
	unsigned int old = lru_gen_get_caps();
	bool sticks = lru_gen_set_caps(old | cap) & cap;

	lru_gen_set_caps(old);
	return sticks;
}

/*
 * Read all of @path into a NUL-terminated buffer, reused from call to call
 * so that reading does not keep faulting in new heap pages (which a test
 * counting the pages of its memcg would see).
 */
static char *lru_gen_read_file(const char *path)
{
	static size_t cap;
	static char *buf;
	size_t size = 0;
	ssize_t len;
	int fd;

	if (!buf) {
		cap = 65536;
		buf = malloc(cap);
		TEST_ASSERT(buf, "malloc(%zu)", cap);
	}
	fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open(%s): %s", path, strerror(errno));
	while ((len = read(fd, buf + size, cap - size - 1)) > 0) {
		size += len;
		if (cap - size == 1) {
			cap *= 2;
			buf = realloc(buf, cap);
			TEST_ASSERT(buf, "realloc(%zu)", cap);
		}
	}
	TEST_ASSERT(!len, "read(%s): %s", path, strerror(errno));
	close(fd);
	buf[size] = '\0';
	return buf;
}

void lru_gen_read(const char *memcg_path, int nid, struct lru_gen_lruvec *lruvec)
{
	static struct lru_gen_lruvec lruvecs[LRU_GEN_MAX_LRUVECS];
	const struct lru_gen_lruvec *found;
	char *buf = lru_gen_read_file(LRU_GEN_DEBUGFS), err[256];
	int nr;

	nr = lru_gen_parse(buf, lruvecs, LRU_GEN_MAX_LRUVECS, err, sizeof(err));
	TEST_ASSERT(nr > 0, "%s: %s", LRU_GEN_DEBUGFS, err);
	found = lru_gen_find(lruvecs, nr, memcg_path, nid);
	TEST_ASSERT(found, "%s has no lruvec for memcg %s node %d",
		    LRU_GEN_DEBUGFS, memcg_path, nid);
	*lruvec = *found;
}

int __lru_gen_age(int memcg_id, int nid, uint64_t max_seq, int swappiness, bool force_scan)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "+ %d %d %llu %d %d", memcg_id, nid,
		 (unsigned long long)max_seq, swappiness, force_scan);
	return __kernel_file_write(LRU_GEN_DEBUGFS, cmd);
}

void lru_gen_age(int memcg_id, int nid, uint64_t max_seq, int swappiness, bool force_scan)
{
	int ret = __lru_gen_age(memcg_id, nid, max_seq, swappiness, force_scan);

	TEST_ASSERT(!ret, "'+ %d %d %llu %d %d' > %s: %s", memcg_id, nid,
		    (unsigned long long)max_seq, swappiness, force_scan,
		    LRU_GEN_DEBUGFS, strerror(-ret));
}

int __lru_gen_evict(int memcg_id, int nid, uint64_t min_seq, int swappiness,
		    uint64_t nr_to_reclaim)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "- %d %d %llu %d %llu", memcg_id, nid,
		 (unsigned long long)min_seq, swappiness,
		 (unsigned long long)nr_to_reclaim);
	return __kernel_file_write(LRU_GEN_DEBUGFS, cmd);
}

void lru_gen_evict(int memcg_id, int nid, uint64_t min_seq, int swappiness,
		   uint64_t nr_to_reclaim)
{
	int ret = __lru_gen_evict(memcg_id, nid, min_seq, swappiness, nr_to_reclaim);

	TEST_ASSERT(!ret, "'- %d %d %llu %d %llu' > %s: %s", memcg_id, nid,
		    (unsigned long long)min_seq, swappiness,
		    (unsigned long long)nr_to_reclaim, LRU_GEN_DEBUGFS, strerror(-ret));
}
