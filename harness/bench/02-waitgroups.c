/*
 * 02-waitgroups.c - throughput workload for chapter 02 (clause R9)
 *
 * 96 patients, 10 ms per fetch, parallelism 8, every 10th device offline.
 * Serial: 96 * 10 ms = 960 ms; ideal: that divided by 8, 120 ms. A batch
 * that runs in waves of 8 pays each wave's slowest fetch plus thread
 * start-up; 8 workers that each take the next patient do not.
 */
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>

#include "bench.h"
#include "census.h"
#include "waitgroup.h"

#define N 96
#define PARALLELISM 8
#define LATENCY_NS 10000000u
#define OFFLINE_EVERY 10

static int threads_before;
static int ret;

static bool setup(void)
{
	wearables_offline_every = OFFLINE_EVERY;
	nightly_report_reset();
	return service_init(&wearables_api, "wearables", LATENCY_NS, PARALLELISM, N) == 0;
}

/* The serial loop: one patient after another, then the summary. */
static void run_baseline(void)
{
	struct nightly_report report = { .patients = N };

	for (size_t i = 0; i < N; i++) {
		struct vitals v;

		if (fetch_vitals(i, &v)) {
			report.offline++;
			continue;
		}
		report.synced++;
		report.abnormal += vitals_abnormal(&v);
		report.heart_rate_sum += v.resting_heart_rate;
	}
	nightly_report_write(&report);
}

static void run_submission(void)
{
	threads_before = census_threads();
	ret = vitals_nightly_batch(N, PARALLELISM);
}

static uint32_t once(size_t item, void *ctx)
{
	(void)item;
	(void)ctx;
	return 1;
}

static bool verify(char *problem, size_t size)
{
	struct nightly_report got;
	uint64_t started;
	unsigned in_flight;
	uint32_t seen = 0;
	size_t bad = service_first_mismatch(&wearables_api, once, NULL, &seen);

	if (ret != 0)
		snprintf(problem, size, "vitals_nightly_batch() returned %d", ret);
	else if (bad != (size_t)-1)
		snprintf(problem, size, "when vitals_nightly_batch() returned, patient %zu had "
			 "been fetched %u times; expected once: unfinished or repeated work is "
			 "not fast", bad, seen);
	else if (service_violations(&wearables_api))
		snprintf(problem, size, "more than %d fetches in flight at once", PARALLELISM);
	else if (nightly_report_writes() != 1 ||
		 !nightly_report_first(&got, &started, &in_flight) ||
		 started != N || in_flight != 0 || got.patients != N ||
		 got.synced + got.offline != N)
		snprintf(problem, size, "the summary was not filed once, after every fetch, "
			 "counting all %d patients", N);
	else if (census_settle(threads_before, 300) > threads_before)
		snprintf(problem, size, "threads still running after vitals_nightly_batch() "
			 "returned");
	else
		return true;
	return false;
}

/* Every patient fetched, p at a time. */
static double ideal_s(void)
{
	return (double)N * LATENCY_NS / 1e9 / PARALLELISM;
}

static void teardown(void)
{
	/* Stragglers of a broken submission may still fetch: keep the tables. */
	if (census_threads() > threads_before && threads_before)
		return;
	service_destroy(&wearables_api);
}


/* ---- the harness's own parallel version (run_reference) ---- */

/*
 * P threads take the next item from one shared atomic index: no item waits
 * behind a slow one, and nothing is held across a call.
 */
static atomic_size_t ref_next;
static pthread_mutex_t ref_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nightly_report ref_report;	/* under ref_lock */

static void *ref_worker(void *arg)
{
	size_t i;

	(void)arg;
	while ((i = atomic_fetch_add(&ref_next, 1)) < N) {
		struct vitals v;
		int offline = fetch_vitals(i, &v) != 0;

		pthread_mutex_lock(&ref_lock);
		if (offline) {
			ref_report.offline++;
		} else {
			ref_report.synced++;
			ref_report.abnormal += vitals_abnormal(&v);
			ref_report.heart_rate_sum += v.resting_heart_rate;
		}
		pthread_mutex_unlock(&ref_lock);
	}
	return NULL;
}

/* PARALLELISM threads over the shared index, joined, then the summary. */
static void run_reference(void)
{
	pthread_t tids[PARALLELISM];
	unsigned started = 0;

	atomic_store(&ref_next, 0);
	ref_report = (struct nightly_report){ .patients = N };
	while (started < PARALLELISM && pthread_create(&tids[started], NULL, ref_worker, NULL) == 0)
		started++;
	if (started == 0)
		ref_worker(NULL);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	nightly_report_write(&ref_report);
}

const struct bench chapter_bench = {
	.workload = "96 patients, 10 ms per fetch, parallelism 8, every 10th device offline",
	.ideal_s = ideal_s,
	.setup = setup,
	.run_baseline = run_baseline,
	.run_reference = run_reference,
	.run_submission = run_submission,
	.verify = verify,
	.teardown = teardown,
};
