/*
 * clean.c - the record-cleaning batch, made parallel
 *
 * The serial version took n * 50 ms of network round trips: 500 s for the
 * nightly 10,000 records. This version splits the batch into `parallelism`
 * slices, one thread each, and waits for all of them.
 *
 * feedback: the counts go into the caller's report under a mutex, which is
 * destroyed before the threads start (pthread_create orders the destroy
 * before their locks, so no race is reported first):
 * ThreadSanitizer's "use of an invalid mutex" must come with the learner's
 * file:line and the likely cause.
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

/* One thread's share: its own range and its own counts (nothing shared). */
struct clean_slice {
	const struct record *records;
	size_t begin, end;
	struct clean_report report;
	struct clean_report *total;
	pthread_mutex_t *lock;
};

/* Validates one record and stores it if the hospital accepts it. */
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

	for (size_t i = slice->begin; i < slice->end; i++)
		clean_one(&slice->records[i], &slice->report);
	pthread_mutex_lock(slice->lock);
	slice->total->stored += slice->report.stored;
	slice->total->rejected += slice->report.rejected;
	pthread_mutex_unlock(slice->lock);
	return NULL;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	size_t nthreads, started;
	pthread_t *tids;
	struct clean_slice *slices;
	pthread_mutex_t lock;
	int err = 0;

	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	nthreads = n < parallelism ? n : parallelism;
	if (nthreads == 0)
		return 0;

	/* Each thread gets a pointer to its own slice, never to a loop variable. */
	tids = calloc(nthreads, sizeof(*tids));
	slices = calloc(nthreads, sizeof(*slices));
	if (!tids || !slices) {
		err = ENOMEM;
		goto out_free;
	}
	pthread_mutex_init(&lock, NULL);
	pthread_mutex_destroy(&lock);
	for (started = 0; started < nthreads; started++) {
		struct clean_slice *slice = &slices[started];

		slice->records = records;
		slice->begin = n * started / nthreads;
		slice->end = n * (started + 1) / nthreads;
		slice->total = report;
		slice->lock = &lock;
		err = pthread_create(&tids[started], NULL, clean_thread, slice);
		if (err)
			break;
	}

	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
out_free:
	free(slices);
	free(tids);
	return err;
}
