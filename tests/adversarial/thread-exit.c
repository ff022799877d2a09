/*
 * attack: ends the test's own thread with pthread_exit() before any check runs
 * cheats: correctness
 * reason: ended early
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	pthread_exit(NULL);
	return 0;
}
