/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host stand-in for the KVM selftests' test_util.h, for building the pure
 * parts of lib/ (access_pattern.c, kernel_file.c) into the tests' drivers:
 * only what they use.  guest_random_u32() is the KVM selftests' generator (a
 * Park-Miller LCG), so the host sees the very patterns a guest touches.
 */
#ifndef TESTS_SHIM_TEST_UTIL_H
#define TESTS_SHIM_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TEST_ASSERT(cond, fmt, ...)						\
do {										\
	if (!(cond)) {								\
		fprintf(stderr, "assertion failed: %s: " fmt "\n", #cond,	\
			##__VA_ARGS__);						\
		exit(2);							\
	}									\
} while (0)

#define TEST_FAIL(fmt, ...)	TEST_ASSERT(false, fmt, ##__VA_ARGS__)

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

struct guest_random_state {
	uint32_t seed;
};

static inline struct guest_random_state new_guest_random_state(uint32_t seed)
{
	struct guest_random_state s = { .seed = seed };

	return s;
}

static inline uint32_t guest_random_u32(struct guest_random_state *state)
{
	state->seed = (uint64_t)state->seed * 48271 % ((uint32_t)(1 << 31) - 1);
	return state->seed;
}

static inline bool guest_random_bool(struct guest_random_state *state)
{
	return guest_random_u32(state) % 100 < 50;
}

#endif /* TESTS_SHIM_TEST_UTIL_H */
