/*
 * zoo: detached threads and a counter of finished slices under a mutex
 * instead of pthread_join(): it returns once the last slice has reported,
 * while that thread may still be exiting
 * breaks: R4
 * loses: correctness throughput
 *
 * clean.c - the record-cleaning batch, made parallel
 *
 * The serial version took n * 50 ms of network round trips: 500 s for the
 * nightly 10,000 records. This version splits the batch into `parallelism`
 * slices, one thread each, and waits until every slice is done.
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

/* What the batch shares with its threads: a count of finished slices. */
struct clean_batch {
	pthread_mutex_t lock;
	pthread_cond_t all_done;
	size_t running;		/* slices not yet finished (lock) */
};

/* One thread's share: its own range and its own counts. */
struct clean_slice {
	const struct record *records;
	size_t begin, end;
	struct clean_report report;
	struct clean_batch *batch;
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
	struct clean_batch *b = slice->batch;

	for (size_t i = slice->begin; i < slice->end; i++)
		clean_one(&slice->records[i], &slice->report);

	pthread_mutex_lock(&b->lock);
	if (--b->running == 0)
		pthread_cond_broadcast(&b->all_done);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	struct clean_batch batch = { .running = 0 };
	struct clean_slice *slices;
	pthread_attr_t attr;
	size_t nthreads, started;
	int err = 0;

	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	nthreads = n < parallelism ? n : parallelism;
	if (nthreads == 0)
		return 0;

	slices = calloc(nthreads, sizeof(*slices));
	if (!slices)
		return ENOMEM;
	pthread_mutex_init(&batch.lock, NULL);
	pthread_cond_init(&batch.all_done, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

	for (started = 0; started < nthreads; started++) {
		struct clean_slice *slice = &slices[started];
		pthread_t tid;

		slice->records = records;
		slice->begin = n * started / nthreads;
		slice->end = n * (started + 1) / nthreads;
		slice->batch = &batch;
		pthread_mutex_lock(&batch.lock);
		batch.running++;
		pthread_mutex_unlock(&batch.lock);
		err = pthread_create(&tid, &attr, clean_thread, slice);
		if (err) {
			pthread_mutex_lock(&batch.lock);
			batch.running--;
			pthread_mutex_unlock(&batch.lock);
			break;
		}
	}
	pthread_attr_destroy(&attr);

	/* Wait until every slice has reported back. */
	pthread_mutex_lock(&batch.lock);
	while (batch.running > 0)
		pthread_cond_wait(&batch.all_done, &batch.lock);
	pthread_mutex_unlock(&batch.lock);

	for (size_t i = 0; i < started; i++) {
		report->stored += slices[i].report.stored;
		report->rejected += slices[i].report.rejected;
	}
	pthread_cond_destroy(&batch.all_done);
	pthread_mutex_destroy(&batch.lock);
	free(slices);
	return err;
}
