/*
 * clean.c - the record-cleaning batch
 *
 * feedback: does nothing but what the starter already does (EINVAL for no
 * parallelism, an empty report): it passes only the scenarios the starter
 * passes, so it must earn no correctness points.
 */
#include "clean.h"

#include <errno.h>

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	return 0;
}
