/*
 * attack: reads the scenarios through the file system
 * cheats: correctness
 * reason: 'fopen'
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	(void)parallelism;
	FILE *f = fopen("../../../tests/selfcheck.c", "r");

	if (f)
		fclose(f);
	report->stored = 0;
	report->rejected = 0;
	return 0;
}
