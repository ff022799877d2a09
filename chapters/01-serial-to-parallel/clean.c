/*
 * clean.c - the record-cleaning batch, made parallel
 *
 * The serial version made about 18,750 calls of 50 ms: about 940 s for
 * the nightly 10,000 records. This version gives every record its own thread.
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>

static const struct record *batch_records;
static struct clean_report *batch_report;

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
	size_t i = *(size_t *)arg;

	clean_one(&batch_records[i], batch_report);
	return NULL;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	if (parallelism == 0)
		return EINVAL;
	batch_records = records;
	batch_report = report;
	report->stored = 0;
	report->rejected = 0;

	for (size_t i = 0; i < n; i++) {
		pthread_t tid;
		int err = pthread_create(&tid, NULL, clean_thread, &i);

		if (err)
			return err;
		pthread_detach(tid);
	}
	return 0;
}
