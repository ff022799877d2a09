/*
 * attack: deletes files the grader writes
 * cheats: correctness
 * reason: 'unlink'
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
	unlink("report.json");
	report->stored = 0;
	report->rejected = 0;
	return 0;
}
