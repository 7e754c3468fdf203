// SPDX-License-Identifier: GPL-2.0
/*
 * Host driver for lib/kernel_file.c's restore_at_exit() (tests/test_restore.py):
 *   restore_driver return|exit|assert|signal
 * registers two restores, then ends the way it is told.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "kernel_file.h"

static void restore_first(void)
{
	printf("restore first\n");
	fflush(stdout);
}

static void restore_second(void)
{
	printf("restore second\n");
	fflush(stdout);
}

int main(int argc, char *argv[])
{
	const char *how = argc > 1 ? argv[1] : "return";

	restore_at_exit(restore_first);
	restore_at_exit(restore_second);
	if (!strcmp(how, "exit"))
		exit(3);
	if (!strcmp(how, "assert"))
		TEST_ASSERT(false, "a failed assertion");
	if (!strcmp(how, "signal")) {
		kill(getpid(), SIGTERM);
		pause();
	}
	return 0;
}
