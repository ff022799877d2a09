/*
 * attack: turns ThreadSanitizer's reports off
 * cheats: correctness
 * reason: __tsan_default_options
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *__tsan_default_options(void)
{
	return "report_bugs=0";
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
