/*
 * 04-context-cancellation.c - throughput workload for chapter 04 (clause R10)
 *
 * The nightly batch under its 30-second budget, which it never reaches: 240
 * records, 1 ms per validation, 8 workers. Serial: about 240 ms; ideal:
 * 240 * 1 ms / 8 = 30 ms. The ctx stays live, so cancellation costs only the
 * checks and wake-ups that a correct design adds.
 */
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "bench.h"
#include "census.h"
#include "context.h"

#define N 240
#define WORKERS 8
#define LATENCY_NS 1000000u

static struct record *records;
static size_t plausible;
static struct batch_report report;
static struct ctx budget;
static bool budget_live;
static int threads_before;
static int ret;

static bool setup(void)
{
	records = calloc(N, sizeof(*records));
	if (!records)
		return false;
	records_generate(records, N, 2604);
	plausible = records_count_plausible(records, N);
	budget_live = false;
	return service_init(&validation_api, "validation", LATENCY_NS, WORKERS, N) == 0;
}

static void run_baseline(void)
{
	for (size_t i = 0; i < N; i++)
		validate_record(&records[i]);
}

static void run_submission(void)
{
	threads_before = census_threads();
	ret = ctx_init_timeout(&budget, NULL, 30 * CTX_SECOND);
	if (ret)
		return;
	budget_live = true;
	ret = batch_validate(&budget, records, N, WORKERS, &report);
}

static uint32_t once(size_t item, void *ctx)
{
	(void)item;
	(void)ctx;
	return 1;
}

static bool verify(char *problem, size_t size)
{
	uint32_t seen;

	if (ret != 0)
		snprintf(problem, size, "batch_validate() returned %d with a live ctx", ret);
	else if (service_calls(&validation_api) != N || service_first_mismatch(
			 &validation_api, once, NULL, &seen) != (size_t)-1)
		snprintf(problem, size, "when batch_validate() returned, %llu validations "
			 "had been made for %d records: skipped or repeated work is not fast",
			 (unsigned long long)service_calls(&validation_api), N);
	else if (report.accepted != plausible || report.rejected != N - plausible)
		snprintf(problem, size, "report says accepted=%zu rejected=%zu; expected %zu "
			 "and %zu", report.accepted, report.rejected, plausible, N - plausible);
	else if (service_violations(&validation_api))
		snprintf(problem, size, "more than %d validations in flight at once", WORKERS);
	else if (census_settle(threads_before + 1, 300) > threads_before + 1)
		snprintf(problem, size, "threads still running after batch_validate() returned");
	else
		return true;
	return false;
}

/* Every record validated once, WORKERS at a time. */
static double ideal_s(void)
{
	return (double)N * LATENCY_NS / 1e9 / WORKERS;
}

static void teardown(void)
{
	/* Stragglers of a broken submission may still use these: keep them. */
	if (threads_before && census_threads() > threads_before + (budget_live ? 1 : 0))
		return;
	if (budget_live)
		ctx_destroy(&budget);
	budget_live = false;
	service_destroy(&validation_api);
	free(records);
}


/* ---- the harness's own parallel version (run_reference) ---- */

/*
 * P threads take the next item from one shared atomic index: no item waits
 * behind a slow one, and nothing is held across a call.
 */
static atomic_size_t ref_next;
static atomic_bool ref_stop;	/* the reference's own "ctx": never set here */

static void *ref_worker(void *arg)
{
	size_t i;

	(void)arg;
	while (!atomic_load(&ref_stop) && (i = atomic_fetch_add(&ref_next, 1)) < N)
		validate_record(&records[i]);
	return NULL;
}

/*
 * WORKERS threads over the shared index, each checking a stop flag before
 * every record (the cheapest cancellation there is), then joined.
 */
static void run_reference(void)
{
	pthread_t tids[WORKERS];
	unsigned started = 0;

	atomic_store(&ref_next, 0);
	atomic_store(&ref_stop, false);
	while (started < WORKERS && pthread_create(&tids[started], NULL, ref_worker, NULL) == 0)
		started++;
	if (started == 0)
		ref_worker(NULL);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
}

const struct bench chapter_bench = {
	.workload = "240 records, 1 ms per validation, 8 workers, a live 30 s deadline",
	.ideal_s = ideal_s,
	.setup = setup,
	.run_baseline = run_baseline,
	.run_reference = run_reference,
	.run_submission = run_submission,
	.verify = verify,
	.teardown = teardown,
};
