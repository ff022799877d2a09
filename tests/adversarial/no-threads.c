/*
 * attack: no threads at all: correct, and serial
 * cheats: throughput
 * reason: efficiency
 */
#include "clean.h"

#include <errno.h>

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	for (size_t i = 0; i < n; i++) {
		if (validate_record(&records[i])) {
			store_record(&records[i]);
			report->stored++;
		} else {
			report->rejected++;
		}
	}
	return 0;
}
