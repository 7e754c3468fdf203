// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side driver for the pure parsers of lib/ (no KVM, no kernel):
 * test_lib_parsers.py builds it with lib/lru_gen_parse.c and checks its
 * output.
 *
 *   lib_parsers_driver lru_gen FILE   parse FILE (leading '#' lines are the
 *                                     fixture's comment and are skipped);
 *                                     print one line per lruvec:
 *                                     memcg ID PATH node NID gens SEQ:AGE:ANON:FILE...
 *   lib_parsers_driver caps TEXT      parse TEXT as lru_gen/enabled
 *   lib_parsers_driver pagemap HEX    decode a pagemap entry
 *   lib_parsers_driver swap_header PAGE_SIZE SIZE
 *                                     print the swap header's fields
 *
 * Errors: "error: MESSAGE" on stdout, exit status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lru_gen.h"
#include "pagemap.h"
#include "zram_swap.h"

static char *read_fixture(const char *path)
{
	static char buf[1 << 16];
	char line[1024];
	size_t len = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		exit(2);
	}
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' && !len)
			continue;
		len += snprintf(buf + len, sizeof(buf) - len, "%s", line);
	}
	fclose(f);
	return buf;
}

static int do_lru_gen(const char *path)
{
	struct lru_gen_lruvec lruvecs[16];
	char err[256];
	int nr, i, g;

	nr = lru_gen_parse(read_fixture(path), lruvecs, 16, err, sizeof(err));
	if (nr < 0) {
		printf("error: %s\n", err);
		return 1;
	}
	for (i = 0; i < nr; i++) {
		printf("memcg %d %s node %d gens", lruvecs[i].memcg_id,
		       lruvecs[i].memcg_path, lruvecs[i].nid);
		for (g = 0; g < lruvecs[i].nr_gens; g++)
			printf(" %llu:%llu:%llu:%llu",
			       (unsigned long long)lruvecs[i].gens[g].seq,
			       (unsigned long long)lruvecs[i].gens[g].age_ms,
			       (unsigned long long)lruvecs[i].gens[g].nr_anon,
			       (unsigned long long)lruvecs[i].gens[g].nr_file);
		printf(" anon %llu youngest %llu oldest %llu\n",
		       (unsigned long long)lru_gen_nr_anon(&lruvecs[i]),
		       (unsigned long long)lru_gen_youngest(&lruvecs[i])->seq,
		       (unsigned long long)lru_gen_oldest(&lruvecs[i])->seq);
	}
	return 0;
}

static int do_caps(const char *text)
{
	unsigned int caps;
	char err[256];

	if (lru_gen_parse_caps(text, &caps, err, sizeof(err))) {
		printf("error: %s\n", err);
		return 1;
	}
	printf("0x%04x\n", caps);
	return 0;
}

static int do_pagemap(const char *hex)
{
	uint64_t entry = strtoull(hex, NULL, 16);

	printf("present %d swapped %d pfn 0x%llx\n", pagemap_present(entry),
	       pagemap_swapped(entry),
	       (unsigned long long)pagemap_pfn(entry));
	return 0;
}

static int do_swap_header(size_t page_size, size_t size)
{
	unsigned char *page = malloc(page_size);
	uint32_t *info = (uint32_t *)(page + 1024);

	memset(page, 0xff, page_size);
	zram_swap_header(page, page_size, size);
	printf("version %u last_page %u nr_badpages %u magic %.10s boot_zero %d\n",
	       info[0], info[1], info[2], (char *)page + page_size - 10, page[0] == 0);
	free(page);
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc == 3 && !strcmp(argv[1], "lru_gen"))
		return do_lru_gen(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "caps"))
		return do_caps(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "pagemap"))
		return do_pagemap(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "swap_header"))
		return do_swap_header(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	fprintf(stderr, "usage: see the comment at the top of %s\n", __FILE__);
	return 2;
}
