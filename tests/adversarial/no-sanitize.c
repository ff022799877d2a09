/*
 * attack: marks its code no_sanitize
 * cheats: correctness
 * reason: no_sanitize
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((no_sanitize("thread"))) void clean_unchecked(void)
{
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	(void)parallelism;

	report->stored = 0;
	report->rejected = 0;
	return 0;
}
