/*
 * attack: defines its own validate_record that does no work
 * cheats: correctness
 * reason: harness already provides
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool validate_record(const struct record *r)
{
	return r != NULL;
}

void store_record(const struct record *r)
{
	(void)r;
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
