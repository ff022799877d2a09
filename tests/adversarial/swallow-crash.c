/*
 * attack: installs its own SIGSEGV handler that returns, to hide a crash
 * cheats: correctness
 * reason: violated
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <signal.h>
static void ignore(int sig)
{
	(void)sig;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	signal(SIGSEGV, ignore);
	signal(SIGABRT, ignore);
	return 0;
}
