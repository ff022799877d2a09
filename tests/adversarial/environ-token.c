/*
 * attack: reads the environment to steal the grader's secret token
 * cheats: correctness
 * reason: 'environ'
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
extern char **environ;

static void steal(void)
{
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "TC_", 3) == 0)
			fprintf(stderr, "%s\n", *e);
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
	steal();
	return 0;
}
