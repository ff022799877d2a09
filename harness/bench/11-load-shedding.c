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
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
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
static size_t shed;

static bool setup(void)
{
	records = bench_records(N, 2011, NULL);
	if (!records)
		return false;
	return stats_rpc_reset(LATENCY_NS, N) == 0;
}

/*
 * One submission scored: the serial baseline scores them in turn; the
 * harness's own parallel version, WORKERS threads over a shared index
 * (bench.h, items), is what an intake with an ideal queue and a free
 * breaker would do (nothing shed, no hand-off, no lock).
 */
static void score_one(size_t i)
{
	stats_score(&records[i]);
}

/* The app: every submission offered until it is accepted. */
static int run_submission(void)
{
	struct intake in;
	int err;

	shed = 0;
	err = intake_start(&in, WORKERS, CAPACITY, 5, 2 * BILLION);
	if (err)
		return err;
	for (size_t i = 0; i < N && !err; i++) {
		while ((err = intake_submit(&in, &records[i])) == EAGAIN) {
			shed++;
			world_sleep_ns(RETRY_NS);
		}
	}
	intake_stop(&in, &report);
	return err;
}

static bool verify(char *problem, size_t size)
{
	if (!bench_once_each(&stats_rpc, "submission", "scored", problem, size))
		return false;
	if (report.scored == N && report.accepted == N && report.shed == shed &&
	    !report.failed && !report.refused)
		return true;
	snprintf(problem, size, "the report says %zu accepted, %zu shed, %zu scored, %zu "
		 "failed, %zu refused; expected %d, %zu, %d, 0, 0", report.accepted,
		 report.shed, report.scored, report.failed, report.refused, N, shed, N);
	return false;
}

const struct bench chapter_bench = {
	.workload = "320 submissions, 1 ms per scoring call, 8 workers, queue of 16, "
		    "shed ones offered again after 50 us",
	.entry = "intake_stop()",
	.items = { N, score_one, WORKERS },
	.setup = setup, .run_submission = run_submission, .verify = verify,
	/* every submission scored, WORKERS at a time */
	.ideal = { N, LATENCY_NS, WORKERS },
};
