/*
 * attack: registers an exit handler to run code after the harness has reported
 * cheats: correctness
 * reason: 'atexit'
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <stdlib.h>
static void after(void)
{
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	atexit(after);
	return 0;
}
