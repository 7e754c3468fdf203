// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel under test is known to have; see kernel_expect.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"
#include "test_util.h"
#include "kernel_expect.h"

bool kernel_expects(const char *feature)
{
	const char *list = getenv(KERNEL_EXPECT_ENV);
	size_t len = strlen(feature);
	const char *p;

	for (p = list; p && *p; p += strcspn(p, ",")) {
		p += strspn(p, ",");
		if (!strncmp(p, feature, len) && (p[len] == ',' || !p[len]))
			return true;
	}
	return false;
}

static void missing_message(char *buf, size_t size, const char *feature,
			    const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);

	if (n >= 0 && (size_t)n < size && kernel_expects(feature))
		snprintf(buf + n, size - n, ", but the kernel was built with %s (%s=%s)",
			 feature, KERNEL_EXPECT_ENV, getenv(KERNEL_EXPECT_ENV));
}

void ksft_test_result_missing(const char *feature, const char *why,
			      const char *fmt, ...)
{
	char name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	name[strcspn(name, "\n")] = '\0';
	if (kernel_expects(feature)) {
		ksft_print_msg("%s: %s, but the kernel was built with %s\n", name, why, feature);
		ksft_test_result_fail("%s\n", name);
	} else {
		ksft_test_result_skip("%s: %s\n", name, why);
	}
}

void __kernel_missing_exit(const char *feature, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	missing_message(msg, sizeof(msg), feature, fmt, ap);
	va_end(ap);
	if (kernel_expects(feature))
		ksft_exit_fail_msg("%s\n", msg);
	print_skip("%s", msg);
	exit(KSFT_SKIP);
}
