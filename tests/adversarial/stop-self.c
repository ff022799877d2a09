/*
 * attack: stops its own process (SIGSTOP) so that the watchdog freezes and the grader waits for ever
 * cheats: correctness
 * reason: violated
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <signal.h>

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	raise(SIGSTOP);
	return 0;
}
