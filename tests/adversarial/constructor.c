/*
 * attack: runs code before main() to patch the harness
 * cheats: correctness
 * reason: constructor
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void early(void)
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
