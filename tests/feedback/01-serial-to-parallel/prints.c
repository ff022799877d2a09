/*
 * clean.c - the record-cleaning batch, made parallel
 *
 * The serial version took n * 50 ms of network round trips: 500 s for the
 * nightly 10,000 records. This version gives every record its own thread.
 *
 * feedback: the starter with printf debugging: its output (an escape
 * sequence, a line that looks like the grader's, 60 numbered lines) must
 * show under "your program printed:", prefixed and cleaned, capped at 40
 * lines unless VERBOSE=1.
 */
#include <stdio.h>
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
	fprintf(stderr, "debug: clean_records n=%zu parallelism=%u\n", n, parallelism);
	printf("\033[31mred\033[0m and a bell\a\n");
	printf("  correctness  PASS  40/40  all tests pass\n");
	for (int k = 1; k <= 60; k++)
		printf("line %d of 60\n", k);
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
