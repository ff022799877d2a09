/*
 * attack: does no work and writes the simulated services' own accounting so that every record looks validated and stored once
 * cheats: correctness
 * reason: 'validation_api'
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <stdatomic.h>

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	for (size_t i = 0; i < n; i++) {
		atomic_store(&validation_api.per_item[i], 1);
		atomic_store(&records_db.per_item[i], 1);
	}
	atomic_store(&validation_api.calls, n);
	atomic_store(&records_db.calls, n);
	return 0;
}
