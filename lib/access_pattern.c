// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic guest access patterns; see access_pattern.h.
 */
#include <stdio.h>
#include <string.h>
#include <linux/bitmap.h>

#include "test_util.h"
#include "access_pattern.h"

static const char * const access_pattern_names[NR_ACCESS_PATTERNS] = {
	[PATTERN_NONE]		= "none",
	[PATTERN_ALL]		= "all",
	[PATTERN_FIRST]		= "first",
	[PATTERN_LAST]		= "last",
	[PATTERN_ALTERNATING]	= "alternating",
	[PATTERN_HEAD]		= "head",
	[PATTERN_TRIANGULAR]	= "triangular",
	[PATTERN_RANDOM]	= "random",
};

const char *access_pattern_name(enum access_pattern pattern)
{
	TEST_ASSERT(pattern < NR_ACCESS_PATTERNS, "Bad access pattern %d", pattern);
	return access_pattern_names[pattern];
}

void access_pattern_print_names(void)
{
	enum access_pattern pattern;

	for (pattern = 0; pattern < NR_ACCESS_PATTERNS; pattern++)
		printf(" %s", access_pattern_names[pattern]);
}

enum access_pattern access_pattern_parse(const char *name)
{
	enum access_pattern pattern;

	for (pattern = 0; pattern < NR_ACCESS_PATTERNS; pattern++) {
		if (!strcmp(name, access_pattern_names[pattern]))
			break;
	}
	return pattern;
}

/*
 * The selftests' generator is a Park-Miller LCG modulo 2^31 - 1: a seed that
 * is a multiple of it (0, 2^31 - 1) would stay 0 forever and make
 * PATTERN_RANDOM every page.  Such seeds stand for another one.
 */
#define LCG_MODULUS		0x7fffffffU
#define LCG_STALLED_SEED	0x2545f491U

void access_pattern_fill(unsigned long *bitmap, size_t nr_pages,
			 enum access_pattern pattern, uint32_t seed)
{
	struct guest_random_state rng =
		new_guest_random_state(seed % LCG_MODULUS ? seed : LCG_STALLED_SEED);
	size_t page, step;

	TEST_ASSERT(nr_pages, "An access pattern needs at least one page");
	bitmap_zero(bitmap, nr_pages);

	switch (pattern) {
	case PATTERN_NONE:
		break;
	case PATTERN_ALL:
		bitmap_fill(bitmap, nr_pages);
		break;
	case PATTERN_FIRST:
		__set_bit(0, bitmap);
		break;
	case PATTERN_LAST:
		__set_bit(nr_pages - 1, bitmap);
		break;
	case PATTERN_ALTERNATING:
		for (page = 0; page < nr_pages; page += 2)
			__set_bit(page, bitmap);
		break;
	case PATTERN_HEAD:
		for (page = 0; page < (nr_pages + 3) / 4; page++)
			__set_bit(page, bitmap);
		break;
	case PATTERN_TRIANGULAR:
		for (page = 0, step = 1; page < nr_pages; page += step++)
			__set_bit(page, bitmap);
		break;
	case PATTERN_RANDOM:
		for (page = 0; page < nr_pages; page++) {
			if (guest_random_bool(&rng))
				__set_bit(page, bitmap);
		}
		break;
	default:
		TEST_FAIL("Bad access pattern %d", pattern);
	}

	/* Keep the bits past the area clear, whatever bitmap_fill() did. */
	if (nr_pages % BITS_PER_LONG)
		bitmap[nr_pages / BITS_PER_LONG] &= BITMAP_LAST_WORD_MASK(nr_pages);
}

/*
 * Open-coded: the selftests do not link tools/lib/bitmap.c, where
 * bitmap_weight() lives for bitmaps longer than a word.
 */
size_t access_pattern_weight(const unsigned long *bitmap, size_t nr_pages)
{
	size_t page, weight = 0;

	for (page = 0; page < nr_pages; page++)
		weight += test_bit(page, bitmap);
	return weight;
}
