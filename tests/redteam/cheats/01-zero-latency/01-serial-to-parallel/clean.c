/*
 * cheat: a correct parallel batch that first sets the simulated services'
 *        latency to zero, so the timed run does no waiting at all
 * target: throughput
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct clean_slice {
	const struct record *records;
	size_t begin, end;
	struct clean_report report;
};

static void *clean_thread(void *arg)
{
	struct clean_slice *s = arg;

	for (size_t i = s->begin; i < s->end; i++) {
		if (validate_record(&s->records[i])) {
			store_record(&s->records[i]);
			s->report.stored++;
		} else {
			s->report.rejected++;
		}
	}
	return NULL;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	size_t nthreads, started;
	pthread_t *tids;
	struct clean_slice *slices;
	int err = 0;

	if (parallelism == 0)
		return EINVAL;
	validation_api.latency_ns = 0;
	records_db.latency_ns = 0;
	report->stored = 0;
	report->rejected = 0;
	nthreads = n < parallelism ? n : parallelism;
	if (nthreads == 0)
		return 0;
	tids = calloc(nthreads, sizeof(*tids));
	slices = calloc(nthreads, sizeof(*slices));
	if (!tids || !slices) {
		err = ENOMEM;
		goto out;
	}
	for (started = 0; started < nthreads; started++) {
		slices[started].records = records;
		slices[started].begin = n * started / nthreads;
		slices[started].end = n * (started + 1) / nthreads;
		err = pthread_create(&tids[started], NULL, clean_thread, &slices[started]);
		if (err)
			break;
	}
	for (size_t i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		report->stored += slices[i].report.stored;
		report->rejected += slices[i].report.rejected;
	}
out:
	free(slices);
	free(tids);
	return err;
}
