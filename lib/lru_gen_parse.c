// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers of the multi-gen LRU's text interfaces; see lru_gen.h.  Pure
 * functions of their input that need only libc: tests/test_lib_parsers.py
 * builds this file on the host and feeds it recorded guest output.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lru_gen.h"

static int parse_error(char *err, size_t err_size, int line_nr, const char *line,
		       const char *fmt, ...)
{
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(err, err_size, "line %d: %s: '%s'", line_nr, what, line);
	else
		snprintf(err, err_size, "%s", what);
	return -1;
}

/*
 * Parse up to @max unsigned decimal numbers separated by blanks from @s into
 * @vals.  Returns how many, or -1 if anything else is on the line.
 */
static int parse_numbers(const char *s, uint64_t *vals, int max)
{
	int n = 0;

	for (;;) {
		char *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (!isdigit((unsigned char)*s) || n == max)
			return -1;
		errno = 0;
		vals[n++] = strtoull(s, &end, 10);
		if (errno || (*end && *end != ' ' && *end != '\t'))
			return -1;
		s = end;
	}
}

/* Check that the lruvec just finished has generations; -1 if not. */
static int lruvec_done(const struct lru_gen_lruvec *lruvec, char *err, size_t err_size)
{
	if (lruvec && !lruvec->nr_gens)
		return parse_error(err, err_size, 0, NULL,
				   "memcg %d node %d has no generations",
				   lruvec->memcg_id, lruvec->nid);
	return 0;
}

int lru_gen_parse(const char *buf, struct lru_gen_lruvec *lruvecs, int max,
		  char *err, size_t err_size)
{
	struct lru_gen_lruvec *cur = NULL;
	char memcg_path[sizeof(cur->memcg_path)] = "";
	int memcg_id = -1, nr = 0, line_nr = 0;
	const char *p = buf;
	char line[512];

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		uint64_t vals[4];
		char *s;
		int n;

		line_nr++;
		if (len >= sizeof(line))
			return parse_error(err, err_size, line_nr, NULL,
					   "line %d: longer than %zu characters",
					   line_nr, sizeof(line) - 1);
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);

		for (s = line; *s == ' '; s++)
			;
		if (!*s)
			return parse_error(err, err_size, line_nr, line, "empty line");

		if (!strncmp(s, "memcg ", 6)) {
			char *end;
			long id;

			if (lruvec_done(cur, err, err_size))
				return -1;
			cur = NULL;
			for (s += 6; *s == ' '; s++)
				;
			errno = 0;
			id = strtol(s, &end, 10);
			if (end == s || errno || id < 0 || id > 65535 || (*end && *end != ' '))
				return parse_error(err, err_size, line_nr, line,
						   "expected 'memcg ID PATH'");
			memcg_id = id;
			s = *end ? end + 1 : end;
			if (strlen(s) >= sizeof(memcg_path))
				return parse_error(err, err_size, line_nr, line,
						   "memcg path too long");
			strcpy(memcg_path, s);
		} else if (!strncmp(s, "node ", 5)) {
			if (lruvec_done(cur, err, err_size))
				return -1;
			if (memcg_id < 0)
				return parse_error(err, err_size, line_nr, line,
						   "node before any memcg");
			if (parse_numbers(s + 5, vals, 1) != 1 || vals[0] > 65535)
				return parse_error(err, err_size, line_nr, line,
						   "expected 'node ID'");
			if (nr == max)
				return parse_error(err, err_size, line_nr, line,
						   "more than %d lruvecs", max);
			cur = &lruvecs[nr++];
			memset(cur, 0, sizeof(*cur));
			cur->memcg_id = memcg_id;
			strcpy(cur->memcg_path, memcg_path);
			cur->nid = vals[0];
		} else {
			struct lru_gen_gen *gen;

			n = parse_numbers(s, vals, 4);
			if (n != 4)
				return parse_error(err, err_size, line_nr, line,
						   "expected 'memcg', 'node' or 'SEQ AGE_MS NR_ANON NR_FILE'");
			if (!cur)
				return parse_error(err, err_size, line_nr, line,
						   "generation before any node");
			if (cur->nr_gens == LRU_GEN_MAX_NR_GENS)
				return parse_error(err, err_size, line_nr, line,
						   "more than %d generations", LRU_GEN_MAX_NR_GENS);
			if (cur->nr_gens && vals[0] != cur->gens[cur->nr_gens - 1].seq + 1)
				return parse_error(err, err_size, line_nr, line,
						   "generation %llu does not follow %llu",
						   (unsigned long long)vals[0],
						   (unsigned long long)cur->gens[cur->nr_gens - 1].seq);
			gen = &cur->gens[cur->nr_gens++];
			gen->seq = vals[0];
			gen->age_ms = vals[1];
			gen->nr_anon = vals[2];
			gen->nr_file = vals[3];
		}
	}

	if (lruvec_done(cur, err, err_size))
		return -1;
	if (!nr)
		return parse_error(err, err_size, 0, NULL, "no lruvec in the input");
	return nr;
}

const struct lru_gen_lruvec *lru_gen_find(const struct lru_gen_lruvec *lruvecs,
					  int nr, const char *memcg_path, int nid)
{
	int i;

	for (i = 0; i < nr; i++) {
		if (lruvecs[i].nid == nid && !strcmp(lruvecs[i].memcg_path, memcg_path))
			return &lruvecs[i];
	}
	return NULL;
}

uint64_t lru_gen_nr_anon(const struct lru_gen_lruvec *lruvec)
{
	uint64_t nr = 0;
	int i;

	for (i = 0; i < lruvec->nr_gens; i++)
		nr += lruvec->gens[i].nr_anon;
	return nr;
}

int lru_gen_parse_caps(const char *buf, unsigned int *caps, char *err, size_t err_size)
{
	unsigned long val;
	char *end;

	if (strncmp(buf, "0x", 2) || !isxdigit((unsigned char)buf[2]))
		return parse_error(err, err_size, 1, buf, "expected a hex value like 0x000f");
	errno = 0;
	val = strtoul(buf, &end, 16);
	if (errno || val > 0xffff || (*end && strcmp(end, "\n")))
		return parse_error(err, err_size, 1, buf, "expected a hex value like 0x000f");
	*caps = val;
	return 0;
}
