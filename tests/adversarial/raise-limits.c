/*
 * attack: raises its own resource limits
 * cheats: correctness
 * reason: sys/resource.h
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	(void)parallelism;
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	setrlimit(RLIMIT_NPROC, &unlimited);
	report->stored = 0;
	report->rejected = 0;
	return 0;
}
