/*
 * 13-reusable-pool.c - throughput workload for chapter 13 (clause R8)
 *
 * The nightly export: 400 patients, one task each, 1 ms per call to the
 * sponsor's gateway, which grants 8 connections; a pool of 8 workers. The
 * bench submits every task, then drains the pool. Serial: about 400 * 1 ms;
 * ideal: that divided by 8.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "clock.h"
#include "sponsor_export.h"
#include "workpool.h"

#define N 400
#define WORKERS 8
#define LATENCY_NS 1000000u

static size_t patients[N];
static atomic_size_t reported;
static struct pool_metrics closing;

static bool setup(void)
{
	for (size_t i = 0; i < N; i++)
		patients[i] = i;
	atomic_init(&reported, 0);
	return sponsor_export_reset(LATENCY_NS, WORKERS, N) == 0;
}

/*
 * One patient exported: the serial baseline exports them in turn; the
 * harness's own parallel version, WORKERS threads over a shared index
 * (bench.h, items), is a pool with no queue to manage, no callbacks and no
 * metrics, the best a pool of that size can do.
 */
static void export_one(size_t i)
{
	sponsor_export_send(i);
}

static int export_task(void *arg, const struct cancel_token *token)
{
	(void)token;
	sponsor_export_send(*(const size_t *)arg);
	return 0;
}

static void export_done(void *arg, int result)
{
	(void)arg;
	if (result == 0)
		atomic_fetch_add(&reported, 1);
}

/* Every patient submitted, then a drain: the pool's whole life. */
static int run_submission(void)
{
	struct pool p;
	int err;

	atomic_exchange(&reported, 0);
	err = pool_init(&p, WORKERS);
	if (err)
		return err;
	for (size_t i = 0; i < N && !err; i++)
		err = pool_submit(&p, export_task, export_done, &patients[i]);
	pool_shutdown(&p, POOL_DRAIN);
	pool_metrics(&p, &closing);
	pool_destroy(&p);
	return err;
}

static bool verify(char *problem, size_t size)
{
	if (!bench_once_each(&sponsor_export, "patient", "exported", problem, size))
		return false;
	if (!bench_within_limit(&sponsor_export, "exports", problem, size))
		return false;
	if (atomic_load(&reported) == N && closing.done == N && !closing.failed &&
	    !closing.cancelled && !closing.queued && !closing.running)
		return true;
	snprintf(problem, size, "done was told of %zu successful tasks, and the closing "
		 "metrics said done %zu, failed %zu, cancelled %zu, queued %zu, running %zu; "
		 "expected %d, %d, 0, 0, 0, 0", (size_t)atomic_load(&reported), closing.done,
		 closing.failed, closing.cancelled, closing.queued, closing.running, N, N);
	return false;
}

const struct bench chapter_bench = {
	.workload = "400 tasks, 1 ms per export call, a pool of 8 workers (8 connections), "
		    "all submitted, then a drain",
	.entry = "pool_shutdown()",
	.items = { N, export_one, WORKERS },
	.setup = setup, .run_submission = run_submission, .verify = verify,
	.ideal = { N, LATENCY_NS, WORKERS },
	.watched = &sponsor_export,
};
