/*
 * attack: turns LeakSanitizer off
 * cheats: correctness
 * reason: __lsan_is_turned_off
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int __lsan_is_turned_off(void)
{
	return 1;
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
