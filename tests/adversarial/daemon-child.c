/*
 * attack: leaves a daemonised child behind
 * cheats: correctness
 * reason: spawn.h
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <spawn.h>

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	(void)parallelism;
	posix_spawn(NULL, "/bin/sleep", NULL, NULL, NULL, NULL);
	report->stored = 0;
	report->rejected = 0;
	return 0;
}
