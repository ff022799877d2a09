/*
 * attack: finds fopen() at run time and calls it through a pointer
 * cheats: correctness
 * reason: dlfcn.h
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <dlfcn.h>
#include <stdio.h>

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
		FILE *(*opener)(const char *, const char *) = (FILE *(*)(const char *, const char *))dlsym(RTLD_DEFAULT, "fo" "pen");

		if (opener)
			opener("report.json", "w");
	}
	return 0;
}
