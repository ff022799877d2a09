/*
 * attack: (the helgrind gate, red team 6: a race the full-speed run saw fails helgrind too) the reference with one shared report, whose lock it takes only when a timing loop at start-up runs slowly (ThreadSanitizer and Valgrind slow code 5-50x): it races in every plain run and behaves while a slow race tool watches
 * cheats: helgrind
 * reason: a race seen at full speed by the tsan gate's full-speed run
 * tries: 3
 * bound: 90
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

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

static struct clean_report *shared_report;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static int watched = -1;		/* -1: not timed yet; 1: a race tool is slowing us down */
static volatile unsigned spin;

/* The fastest of five loops of 1e6 increments, in ms: ~0.25 plain, 5+ under TSan, 10+ Valgrind. */
static double loop_ms(void)
{
	double best = 1e9;

	for (int t = 0; t < 5; t++) {
		struct timespec a, b;
		double ms;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (unsigned i = 0; i < 1000000; i++)
			spin++;
		clock_gettime(CLOCK_MONOTONIC, &b);
		ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
		if (ms < best)
			best = ms;
	}
	return best;
}

#define LOCKED(stmt) do { if (watched) pthread_mutex_lock(&report_lock); stmt; \
			  if (watched) pthread_mutex_unlock(&report_lock); } while (0)

static void *clean_thread(void *arg)
{
	struct clean_slice *slice = arg;

	for (size_t i = slice->begin; i < slice->end; i++)
		LOCKED(clean_one(&slice->records[i], shared_report));
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
	report->stored = 0;
	report->rejected = 0;
	shared_report = report;
	if (watched < 0)
		watched = loop_ms() > 2.5;
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
		(void)slices[i];
	}
out_free:
	free(slices);
	free(tids);
	return err;
}
