/*
 * attack: red team 4: races only from the second benchmark-sized call
 * cheats: tsan
 * reason: at the benchmark's scale
 */
/*
 * ATTACK bench2race (ch01): a data race that exists only from the second
 * benchmark-shaped call (n == 160, parallelism == 8) in one process.
 * The timed benchmark calls clean_records 5 times in one process; the
 * tsan gate's "bench --once" calls it once; helgrind, leaks and the collider
 * run only the scenarios. So the racy path (all threads increment one shared
 * report without a lock) should never be watched.
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct clean_slice {
	const struct record *records;
	size_t begin, end;
	struct clean_report report;
	struct clean_report *shared;	/* racy mode: everyone writes here */
};

static unsigned bench_shaped_calls;

static void clean_one(const struct record *r, struct clean_report *report)
{
	if (validate_record(r)) {
		store_record(r);
		report->stored++;
	} else {
		report->rejected++;
	}
}

static void *clean_thread(void *arg)
{
	struct clean_slice *slice = arg;
	struct clean_report *dst = slice->shared ? slice->shared : &slice->report;

	for (size_t i = slice->begin; i < slice->end; i++)
		clean_one(&slice->records[i], dst);
	return NULL;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	size_t nthreads, started;
	pthread_t *tids;
	struct clean_slice *slices;
	int err = 0;
	int racy = 0;

	if (parallelism == 0)
		return EINVAL;
	if (n == 160 && parallelism == 8 && ++bench_shaped_calls >= 2)
		racy = 1;
	report->stored = 0;
	report->rejected = 0;
	nthreads = n < parallelism ? n : parallelism;
	if (nthreads == 0)
		return 0;

	tids = calloc(nthreads, sizeof(*tids));
	slices = calloc(nthreads, sizeof(*slices));
	if (!tids || !slices) {
		err = ENOMEM;
		goto out_free;
	}
	for (started = 0; started < nthreads; started++) {
		struct clean_slice *slice = &slices[started];

		slice->records = records;
		slice->begin = n * started / nthreads;
		slice->end = n * (started + 1) / nthreads;
		slice->shared = racy ? report : NULL;
		err = pthread_create(&tids[started], NULL, clean_thread, slice);
		if (err)
			break;
	}
	for (size_t i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		if (!racy) {
			report->stored += slices[i].report.stored;
			report->rejected += slices[i].report.rejected;
		}
	}
out_free:
	free(slices);
	free(tids);
	return err;
}
