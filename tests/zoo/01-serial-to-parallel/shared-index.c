/*
 * zoo: every thread is joined, but each one reads its record through &i
 * breaks: R1a
 * loses: correctness tsan helgrind throughput
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

static const struct record *batch_records;
static struct clean_report *batch_report;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

static void *clean_thread(void *arg)
{
	size_t i = *(size_t *)arg;
	const struct record *r = &batch_records[i];
	bool ok = validate_record(r);

	if (ok)
		store_record(r);
	pthread_mutex_lock(&report_lock);
	if (ok)
		batch_report->stored++;
	else
		batch_report->rejected++;
	pthread_mutex_unlock(&report_lock);
	return NULL;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	pthread_t *tids;

	if (parallelism == 0)
		return EINVAL;
	batch_records = records;
	batch_report = report;
	report->stored = 0;
	report->rejected = 0;
	tids = calloc(parallelism, sizeof(*tids));
	if (!tids)
		return ENOMEM;
	for (size_t first = 0; first < n; first += parallelism) {
		size_t count = n - first < parallelism ? n - first : parallelism;

		for (size_t i = first; i < first + count; i++)
			pthread_create(&tids[i - first], NULL, clean_thread, &i);
		for (size_t k = 0; k < count; k++)
			pthread_join(tids[k], NULL);
	}
	free(tids);
	return 0;
}
