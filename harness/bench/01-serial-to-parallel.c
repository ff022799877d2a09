/*
 * 01-serial-to-parallel.c - throughput workload for chapter 01 (clause R6)
 *
 * 160 records, 2 ms per validation and 2 ms per insert, parallelism 8.
 * Serial: about 160 * 4 ms (less for the rejected records, which skip the
 * insert); ideal: that divided by 8.
 */
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "bench.h"
#include "census.h"
#include "clean.h"

#define N 160
#define PARALLELISM 8
#define LATENCY_NS 2000000u

static struct record *records;
static size_t plausible;
static struct clean_report report;
static int threads_before;
static int ret;

static bool setup(void)
{
	records = calloc(N, sizeof(*records));
	if (!records)
		return false;
	records_generate(records, N, 2026);
	plausible = records_count_plausible(records, N);
	return service_init(&validation_api, "validation", LATENCY_NS, PARALLELISM, N) == 0 &&
	       service_init(&records_db, "database", LATENCY_NS, PARALLELISM, N) == 0;
}

static void run_baseline(void)
{
	for (size_t i = 0; i < N; i++)
		if (validate_record(&records[i]))
			store_record(&records[i]);
}

static void run_submission(void)
{
	threads_before = census_threads();
	ret = clean_records(records, N, PARALLELISM, &report);
}

static bool verify(char *problem, size_t size)
{
	if (ret != 0)
		snprintf(problem, size, "clean_records() returned %d", ret);
	else if (service_calls(&validation_api) != N || service_calls(&records_db) != plausible)
		snprintf(problem, size, "when clean_records() returned, %llu of %d records "
			 "were validated and %llu of %zu stored: unfinished work is not fast",
			 (unsigned long long)service_calls(&validation_api), N,
			 (unsigned long long)service_calls(&records_db), plausible);
	else if (service_violations(&validation_api) || service_violations(&records_db))
		snprintf(problem, size, "more than %d calls in flight at once", PARALLELISM);
	else if (census_settle(threads_before, 300) > threads_before)
		snprintf(problem, size, "threads still running after clean_records() returned");
	else
		return true;
	return false;
}

/* Every record validated, the plausible ones stored, p at a time. */
static double ideal_s(void)
{
	return (double)(N + plausible) * LATENCY_NS / 1e9 / PARALLELISM;
}

static void teardown(void)
{
	/* Stragglers of a broken submission may still use these: keep them. */
	if (census_threads() > threads_before && threads_before)
		return;
	service_destroy(&validation_api);
	service_destroy(&records_db);
	free(records);
}


/* ---- the harness's own parallel version (run_reference) ---- */

/*
 * P threads take the next item from one shared atomic index: no item waits
 * behind a slow one, and nothing is held across a call.
 */
static atomic_size_t ref_next;

static void *ref_worker(void *arg)
{
	size_t i;

	(void)arg;
	while ((i = atomic_fetch_add(&ref_next, 1)) < N)
		if (validate_record(&records[i]))
			store_record(&records[i]);
	return NULL;
}

/* PARALLELISM threads over the shared index, then joined. */
static void run_reference(void)
{
	pthread_t tids[PARALLELISM];
	unsigned started = 0;

	atomic_store(&ref_next, 0);
	while (started < PARALLELISM && pthread_create(&tids[started], NULL, ref_worker, NULL) == 0)
		started++;
	if (started == 0)
		ref_worker(NULL);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
}

const struct bench chapter_bench = {
	.workload = "160 records, 2 ms validate + 2 ms store each, parallelism 8",
	.ideal_s = ideal_s,
	.setup = setup,
	.run_baseline = run_baseline,
	.run_reference = run_reference,
	.run_submission = run_submission,
	.verify = verify,
	.teardown = teardown,
};
