/*
 * 02-waitgroups.c - throughput workload for chapter 02 (clause R9)
 *
 * 96 patients, 10 ms per fetch, parallelism 8, every 10th device offline.
 * Serial: 96 * 10 ms = 960 ms; ideal: that divided by 8, 120 ms. A batch
 * that runs in waves of 8 pays each wave's slowest fetch plus thread
 * start-up; 8 workers that each take the next patient do not.
 */
#include <pthread.h>
#include <stdio.h>

#include "bench.h"
#include "waitgroup.h"

#define N 96
#define PARALLELISM 8
#define LATENCY_NS 10000000u
#define OFFLINE_EVERY 10

static bool setup(void)
{
	wearables_offline_every = OFFLINE_EVERY;
	nightly_report_reset();
	return true;
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

static int run_submission(void)
{
	return vitals_nightly_batch(N, PARALLELISM);
}

static bool verify(char *problem, size_t size)
{
	struct nightly_report got;
	uint64_t started;
	unsigned in_flight;

	if (!bench_once_each(&wearables_api, "patient", "fetched", problem, size) ||
	    !bench_within_limit(&wearables_api, "fetches", problem, size))
		return false;
	if (nightly_report_writes() != 1 ||
	    !nightly_report_first(&got, &started, &in_flight) ||
	    started != N || in_flight != 0 || got.patients != N ||
	    got.synced + got.offline != N) {
		snprintf(problem, size, "the summary was not filed once, after every fetch, "
			 "counting all %d patients", N);
		return false;
	}
	return true;
}

/* ---- the harness's own parallel version (run_reference) ---- */

static pthread_mutex_t ref_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nightly_report ref_report;	/* under ref_lock */

static void ref_item(size_t i)
{
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

/* PARALLELISM threads over a shared index (bench_share()), then the summary. */
static void run_reference(void)
{
	ref_report = (struct nightly_report){ .patients = N };
	bench_share(PARALLELISM, N, ref_item);
	nightly_report_write(&ref_report);
}

const struct bench chapter_bench = {
	.workload = "96 patients, 10 ms per fetch, parallelism 8, every 10th device offline",
	.entry = "vitals_nightly_batch()",
	.services = { { &wearables_api, "wearables", LATENCY_NS, PARALLELISM, N } },
	BENCH_FUNCTIONS,
	/* every patient fetched, p at a time */
	.ideal = { N, LATENCY_NS, PARALLELISM },
	.watched = &wearables_api,
};
