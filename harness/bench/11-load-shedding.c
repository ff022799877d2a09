/*
 * 11-load-shedding.c - throughput workload for chapter 11 (clause R9)
 *
 * 320 submissions, 1 ms per call to a healthy scoring service, an intake of
 * 8 workers and 16 slots. The app (this file) offers every submission and,
 * when one is shed, offers it again after 50 us, as a client retrying with
 * back-off would: so every submission is scored once in the end, and the
 * time measures how well the workers keep the service busy. Serial: about
 * 320 * 1 ms; ideal: that divided by 8.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "census.h"
#include "clock.h"
#include "intake.h"
#include "stats_rpc_ctl.h"

#define N 320
#define WORKERS 8
#define CAPACITY 16
#define LATENCY_NS 1000000u
#define RETRY_NS 50000u

static struct record *records;
static struct intake_report report;
static size_t offered, shed;
static int threads_before;
static int ret;

static bool setup(void)
{
	records = calloc(N, sizeof(*records));
	if (!records)
		return false;
	records_generate(records, N, 2011);
	threads_before = 0;
	return stats_rpc_reset(LATENCY_NS, N) == 0;
}

static void run_baseline(void)
{
	for (size_t i = 0; i < N; i++)
		stats_score(&records[i]);
}

static void run_submission(void)
{
	struct intake in;

	threads_before = census_threads();
	offered = shed = 0;
	ret = intake_start(&in, WORKERS, CAPACITY, 5, 2 * BILLION);
	if (ret)
		return;
	for (size_t i = 0; i < N; i++) {
		int err;

		while ((err = intake_submit(&in, &records[i])) == EAGAIN) {
			offered++;
			shed++;
			world_sleep_ns(RETRY_NS);
		}
		offered++;
		if (err) {
			ret = err;
			break;
		}
	}
	intake_stop(&in, &report);
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
	size_t bad = service_first_mismatch(&stats_rpc, once, NULL, &seen);

	if (ret != 0)
		snprintf(problem, size, "intake_start() or intake_submit() returned %d", ret);
	else if (bad != (size_t)-1)
		snprintf(problem, size, "when intake_stop() returned, submission %zu had been "
			 "scored %u times (expected once): unfinished or repeated work is not fast",
			 bad, seen);
	else if (census_settle(threads_before, 300) > threads_before)
		snprintf(problem, size, "threads still running after intake_stop() returned");
	else if (report.scored != N || report.accepted != N || report.shed != shed ||
		 report.failed || report.refused)
		snprintf(problem, size, "the report says %zu accepted, %zu shed, %zu scored, %zu "
			 "failed, %zu refused; expected %d, %zu, %d, 0, 0", report.accepted,
			 report.shed, report.scored, report.failed, report.refused, N, shed, N);
	else
		return true;
	return false;
}

/* Every submission scored, WORKERS at a time. */
static double ideal_s(void)
{
	return (double)N * LATENCY_NS / 1e9 / WORKERS;
}

static void teardown(void)
{
	/* Stragglers of a broken submission may still use these: keep them. */
	if (threads_before && census_threads() > threads_before)
		return;
	free(records);
}

/* ---- the harness's own parallel version (run_reference) ---- */

/*
 * WORKERS threads take the next submission from one shared atomic index and
 * score it: what an intake with an ideal queue and a free breaker would do
 * (nothing shed, no hand-off, no lock).
 */
static atomic_size_t ref_next;

static void *ref_worker(void *arg)
{
	size_t i;

	(void)arg;
	while ((i = atomic_fetch_add(&ref_next, 1)) < N)
		stats_score(&records[i]);
	return NULL;
}

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
	.workload = "320 submissions, 1 ms per scoring call, 8 workers, queue of 16, "
		    "shed ones offered again after 50 us",
	.ideal_s = ideal_s,
	.target_efficiency = 0.6,
	.trials = 5,
	.setup = setup,
	.run_baseline = run_baseline,
	.run_reference = run_reference,
	.run_submission = run_submission,
	.verify = verify,
	.teardown = teardown,
};
