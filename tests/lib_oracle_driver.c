// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side driver for the selftests' oracle (lib/access_pattern.c): the
 * access patterns the guests touch and the bit geometry the tests expect of
 * the MMU notifier's bitmaps.  test_lib_oracle.py builds it against
 * tests/shim/ and checks its output.
 *
 *   lib_oracle_driver pattern NAME PAGES SEED
 *         the pattern as PAGES characters '0'/'1', page 0 first, then the
 *         weight, then the bits of the last bitmap word past the pattern
 *         (hex, must be 0)
 *   lib_oracle_driver index PAGES
 *         young_bitmap_index() of each page, one per line
 *   lib_oracle_driver names
 *         each pattern's name, and what access_pattern_parse() makes of it
 *   lib_oracle_driver parse NAME
 *         access_pattern_parse(NAME), NR_ACCESS_PATTERNS if unknown
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bitmap.h>

#include "access_pattern.h"

static int pattern(const char *name, size_t nr_pages, uint32_t seed)
{
	enum access_pattern p = access_pattern_parse(name);
	unsigned long *bitmap;
	size_t page, words;

	if (p == NR_ACCESS_PATTERNS) {
		printf("error: unknown pattern %s\n", name);
		return 1;
	}
	words = BITS_TO_LONGS(nr_pages);
	bitmap = calloc(words, sizeof(long));
	/* Poison the bitmap: the fill must set every bit it owns. */
	memset(bitmap, 0xa5, words * sizeof(long));
	access_pattern_fill(bitmap, nr_pages, p, seed);
	for (page = 0; page < nr_pages; page++)
		putchar(test_bit(page, bitmap) ? '1' : '0');
	printf("\n%zu\n%lx\n", access_pattern_weight(bitmap, nr_pages),
	       nr_pages % BITS_PER_LONG ?
	       bitmap[words - 1] & ~BITMAP_LAST_WORD_MASK(nr_pages) : 0UL);
	free(bitmap);
	return 0;
}

int main(int argc, char *argv[])
{
	enum access_pattern p;
	size_t page, n;

	if (argc == 5 && !strcmp(argv[1], "pattern"))
		return pattern(argv[2], strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "index")) {
		n = strtoul(argv[2], NULL, 0);
		for (page = 0; page < n; page++)
			printf("%zu\n", young_bitmap_index(n, page));
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "names")) {
		for (p = 0; p < NR_ACCESS_PATTERNS; p++)
			printf("%s %d\n", access_pattern_name(p),
			       access_pattern_parse(access_pattern_name(p)));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "parse")) {
		printf("%d\n", access_pattern_parse(argv[2]));
		return 0;
	}
	fprintf(stderr, "usage: %s pattern NAME PAGES SEED | index PAGES | names | parse NAME\n",
		argv[0]);
	return 2;
}
