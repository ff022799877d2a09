/*
 * zoo: an empty batch is treated as a bad argument: EINVAL for n == 0
 * breaks: R5a
 * loses: correctness throughput
 *
 * clean.c - the record-cleaning batch, made parallel
 *
 * The serial version made about 18,750 calls of 50 ms: about 940 s for
 * the nightly 10,000 records. This version splits the batch into `parallelism`
 * slices, one thread each, and waits for all of them.
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
	return NULL;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	size_t nthreads, started;
	pthread_t *tids;
	struct clean_slice *slices;
	int err = 0;

	if (parallelism == 0 || n == 0)
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
	for (started = 0; started < nthreads; started++) {
		struct clean_slice *slice = &slices[started];

		slice->records = records;
		slice->begin = n * started / nthreads;
		slice->end = n * (started + 1) / nthreads;
		err = pthread_create(&tids[started], NULL, clean_thread, slice);
		if (err)
			break;
	}

	/* Wait for every thread before reading the counts it wrote. */
	for (size_t i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		report->stored += slices[i].report.stored;
		report->rejected += slices[i].report.rejected;
	}
out_free:
	free(slices);
	free(tids);
	return err;
}
