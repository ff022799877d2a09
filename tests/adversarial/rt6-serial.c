/*
 * attack: red team 6: no threads at all (a plain loop), correct: race-free by construction, it kept both race gates (80 against 60 for an honest parallel version with one race)
 * cheats: tsan
 * reason: never ran in two threads at once
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
