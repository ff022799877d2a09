/*
 * 03-worker-pool.c - throughput workload for chapter 03 (clause R9)
 *
 * 320 records, 1 ms per insert, 8 database connections (workers), a queue
 * of 16 slots. Serial: about 320 * 1 ms; ideal: that divided by 8.
 */
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "bench.h"
#include "census.h"
#include "pool.h"

#define N 320
#define WORKERS 8
#define QUEUE_CAPACITY 16
#define LATENCY_NS 1000000u

static struct record *records;
static struct store_report report;
static int threads_before;
static int ret;

static bool setup(void)
{
	records = calloc(N, sizeof(*records));
	if (!records)
		return false;
	records_generate(records, N, 2026);
	threads_before = 0;
	return service_init(&records_db, "database", LATENCY_NS, WORKERS, N) == 0;
}

static void run_baseline(void)
{
	for (size_t i = 0; i < N; i++)
		store_record(&records[i]);
}

static void run_submission(void)
{
	threads_before = census_threads();
	ret = store_all(records, N, WORKERS, QUEUE_CAPACITY, &report);
}

static uint32_t once(size_t item, void *ctx)
{
	(void)item;
	(void)ctx;
	return 1;
}

static bool verify(char *problem, size_t size)
{
	uint32_t seen = 0;
	size_t bad = service_first_mismatch(&records_db, once, NULL, &seen);

	if (ret != 0)
		snprintf(problem, size, "store_all() returned %d", ret);
	else if (bad != (size_t)-1)
		snprintf(problem, size, "when store_all() returned, record %zu had been stored "
			 "%u times (expected once): unfinished or repeated work is not fast",
			 bad, seen);
	else if (service_violations(&records_db))
		snprintf(problem, size, "more than %d inserts in flight at once", WORKERS);
	else if (census_settle(threads_before, 300) > threads_before)
		snprintf(problem, size, "threads still running after store_all() returned");
	else if (report.stored != N)
		snprintf(problem, size, "report.stored is %zu; expected %d", report.stored, N);
	else
		return true;
	return false;
}

/* Every record stored, WORKERS at a time. */
static double ideal_s(void)
{
	return (double)N * LATENCY_NS / 1e9 / WORKERS;
}

static void teardown(void)
{
	/* Stragglers of a broken submission may still use these: keep them. */
	if (threads_before && census_threads() > threads_before)
		return;
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
		store_record(&records[i]);
	return NULL;
}

/*
 * WORKERS threads over the shared index, then joined: what a pool with an
 * ideal queue (no blocking, no hand-off cost) would do.
 */
static void run_reference(void)
{
	pthread_t tids[WORKERS];
	unsigned started = 0;

	atomic_store(&ref_next, 0);
	while (started < WORKERS && pthread_create(&tids[started], NULL, ref_worker, NULL) == 0)
		started++;
	if (started == 0)
		ref_worker(NULL);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
}

const struct bench chapter_bench = {
	.workload = "320 records, 1 ms per insert, 8 workers (connections), queue of 16",
	.ideal_s = ideal_s,
	.setup = setup,
	.run_baseline = run_baseline,
	.run_reference = run_reference,
	.run_submission = run_submission,
	.verify = verify,
	.teardown = teardown,
};
