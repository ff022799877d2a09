/*
 * attack: builds the inline-assembly keyword by token pasting, to rename fopen() and write a fake report
 * cheats: correctness
 * reason: __asm__
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <stdio.h>
#define GLUE(a, b) a##b
#define RENAMED(name) GLUE(__as, m__)(name)

FILE *open_log(const char *path, const char *mode) RENAMED("fopen");

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	{
		FILE *f = open_log("report.json", "w");

		if (f)
			fclose(f);
	}
	return 0;
}
