/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host stand-in for tools/include/linux/bitmap.h: the few helpers that the
 * pure parts of lib/ use, with the same semantics.
 */
#ifndef TESTS_SHIM_LINUX_BITMAP_H
#define TESTS_SHIM_LINUX_BITMAP_H

#include <stdbool.h>
#include <string.h>

#define BITS_PER_LONG		(8 * (int)sizeof(long))
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define BITMAP_LAST_WORD_MASK(n) (~0UL >> (-(n) & (BITS_PER_LONG - 1)))

static inline void bitmap_zero(unsigned long *map, unsigned int nbits)
{
	memset(map, 0, BITS_TO_LONGS(nbits) * sizeof(long));
}

static inline void bitmap_fill(unsigned long *map, unsigned int nbits)
{
	memset(map, 0xff, BITS_TO_LONGS(nbits) * sizeof(long));
}

static inline void __set_bit(unsigned long nr, unsigned long *map)
{
	map[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}

static inline bool test_bit(unsigned long nr, const unsigned long *map)
{
	return map[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG) & 1;
}

#endif /* TESTS_SHIM_LINUX_BITMAP_H */
