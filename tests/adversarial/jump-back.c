/*
 * attack: jumps back out of the harness with longjmp() before a check can fail
 * cheats: correctness
 * reason: setjmp.h
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <setjmp.h>
static jmp_buf escape;

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	if (setjmp(escape) == 0)
		longjmp(escape, 1);
	return 0;
}
