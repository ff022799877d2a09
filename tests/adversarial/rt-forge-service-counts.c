/*
 * attack: does no round trip at all: bumps the simulated services' own per-item counters (struct service is visible through validation_api.h) and computes plausibility locally (red team: written without reading the defences)
 * cheats: correctness
 * reason: 'validation_api'
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <stdatomic.h>

static void pretend_call(struct service *s, size_t item)
{
	unsigned now = atomic_fetch_add_explicit(&s->in_flight, 1, memory_order_relaxed) + 1;

	if (now > atomic_load_explicit(&s->peak, memory_order_relaxed))
		atomic_store_explicit(&s->peak, now, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->calls, 1, memory_order_relaxed);
	if (item < s->nitems)
		atomic_fetch_add_explicit(&s->per_item[item], 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&s->in_flight, 1, memory_order_relaxed);
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	for (size_t i = 0; i < n; i++) {
		pretend_call(&validation_api, records[i].id);
		if (record_is_plausible(&records[i])) {
			pretend_call(&records_db, records[i].id);
			report->stored++;
		} else {
			report->rejected++;
		}
	}
	return 0;
}
