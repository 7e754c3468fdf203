/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deterministic guest access patterns, shared by the aging selftests.
 *
 * A pattern is a bitmap over the pages of a test area in natural order: bit
 * p stands for the page at offset p * page size from the start of the area.
 * (The MMU notifier's bitmaps run the other way, from the end of the range;
 * see young_bitmap_index().)  The patterns include asymmetric ones, which
 * read differently when reversed, so that a bitmap indexed from the wrong end
 * cannot pass for the right one.
 */
#ifndef SELFTEST_KVM_ACCESS_PATTERN_H
#define SELFTEST_KVM_ACCESS_PATTERN_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

enum access_pattern {
	PATTERN_NONE,		/* no page */
	PATTERN_ALL,		/* every page */
	PATTERN_FIRST,		/* the first page only */
	PATTERN_LAST,		/* the last page only */
	PATTERN_ALTERNATING,	/* every even page: 0, 2, 4, ... */
	PATTERN_HEAD,		/* the first quarter of the pages, at least one */
	PATTERN_TRIANGULAR,	/* pages 0, 1, 3, 6, 10, 15, ...: gaps grow */
	PATTERN_RANDOM,		/* each page with probability 1/2, seeded */
	NR_ACCESS_PATTERNS,
};

/* The name of @pattern, e.g. "alternating". */
const char *access_pattern_name(enum access_pattern pattern);

/* Prints the names of the patterns, each after a space, for usage texts. */
void access_pattern_print_names(void);

/*
 * Looks up a pattern by name; returns NR_ACCESS_PATTERNS if there is none.
 */
enum access_pattern access_pattern_parse(const char *name);

/*
 * Fill @bitmap (natural order, @nr_pages bits, other bits of its last word
 * cleared) with @pattern.  @seed drives PATTERN_RANDOM and is ignored by the
 * others; the same seed always gives the same pattern, and every seed a mix
 * of touched and untouched pages (0 and 2^31 - 1, which would stall the
 * generator, stand for another seed).
 */
void access_pattern_fill(unsigned long *bitmap, size_t nr_pages,
			 enum access_pattern pattern, uint32_t seed);

/* How many pages @bitmap selects. */
size_t access_pattern_weight(const unsigned long *bitmap, size_t nr_pages);

/*
 * The bit of the MMU notifier's bitmap, for a range of @nr_pages pages, that
 * stands for page @page of the range (counted from its start): bit 0 is the
 * last page.
 */
static inline size_t young_bitmap_index(size_t nr_pages, size_t page)
{
	return nr_pages - 1 - page;
}

#endif /* SELFTEST_KVM_ACCESS_PATTERN_H */
