/*
 * attack: red team 6: the reference with one shared report, whose lock it takes only when a loop timed with the cycle counter (__builtin_ia32_rdtsc, past every clock the harness discounts) runs slowly, as under a race tool
 * cheats: tsan
 * reason: processor-specific builtin
 */
/*
 * clean.c - the record-cleaning batch, made parallel
 *
 * The serial version took n * 50 ms of network round trips: 500 s for the
 * nightly 10,000 records. This version splits the batch into `parallelism`
 * slices, one thread each, and waits for all of them.
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>

/* One thread's share: its own range and its own counts (nothing shared). */
struct clean_slice {
	const struct record *records;
	size_t begin, end;
	struct clean_report report;
	struct clean_report *shared;
};

static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static int g_watched;
static unsigned long long g_cycles;
/* Validates one record and stores it if the hospital accepts it. */
static int watched(void)
{
	static volatile unsigned sink;
	unsigned long long best = ~0ULL;
	for (int k = 0; k < 7; k++) {
		unsigned long long t0 = __builtin_ia32_rdtsc();
		for (int j = 0; j < 20000; j++)
			sink = sink + 1;
		unsigned long long t = __builtin_ia32_rdtsc() - t0;
		if (t < best)
			best = t;
	}
	g_cycles = best;
	return best > 20000ULL * 4;
}

static void clean_one(const struct record *r, struct clean_report *report)
{
	int ok = validate_record(r);
	if (ok)
		store_record(r);
	if (g_watched) pthread_mutex_lock(&g_m);
	if (ok)
		report->stored++;
	else
		report->rejected++;
	if (g_watched) pthread_mutex_unlock(&g_m);
}

static void *clean_thread(void *arg)
{
	struct clean_slice *slice = arg;

	for (size_t i = slice->begin; i < slice->end; i++)
		clean_one(&slice->records[i], slice->shared);
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
	g_watched = watched();
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
		slice->shared = report;
		slice->begin = n * started / nthreads;
		slice->end = n * (started + 1) / nthreads;
		err = pthread_create(&tids[started], NULL, clean_thread, slice);
		if (err)
			break;
	}

	/* Wait for every thread before reading the counts it wrote. */
	for (size_t i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
	}
out_free:
	free(slices);
	free(tids);
	return err;
}
