/*
 * zoo: the caller holds the report's mutex while it joins, and every worker
 * needs that mutex to add its counts: a deadlock
 * breaks: R1a R4
 * loses: correctness tsan helgrind throughput
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct clean_slice {
	const struct record *records;
	size_t begin, end;
	struct clean_report *report;
	pthread_mutex_t *lock;
};

static void *clean_thread(void *arg)
{
	struct clean_slice *slice = arg;

	for (size_t i = slice->begin; i < slice->end; i++) {
		bool ok = validate_record(&slice->records[i]);

		if (ok)
			store_record(&slice->records[i]);
		pthread_mutex_lock(slice->lock);
		if (ok)
			slice->report->stored++;
		else
			slice->report->rejected++;
		pthread_mutex_unlock(slice->lock);
	}
	return NULL;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	size_t nthreads = n < parallelism ? n : parallelism;
	struct clean_slice *slices;
	pthread_t *tids;

	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	if (nthreads == 0)
		return 0;
	slices = calloc(nthreads, sizeof(*slices));
	tids = calloc(nthreads, sizeof(*tids));
	if (!slices || !tids) {
		free(slices);
		free(tids);
		return ENOMEM;
	}
	pthread_mutex_lock(&lock);
	for (size_t t = 0; t < nthreads; t++) {
		slices[t] = (struct clean_slice){ records, n * t / nthreads,
						  n * (t + 1) / nthreads, report, &lock };
		pthread_create(&tids[t], NULL, clean_thread, &slices[t]);
	}
	for (size_t t = 0; t < nthreads; t++)
		pthread_join(tids[t], NULL);
	pthread_mutex_unlock(&lock);
	free(slices);
	free(tids);
	return 0;
}
