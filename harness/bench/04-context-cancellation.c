/*
 * 04-context-cancellation.c - throughput workload for chapter 04 (clause R10)
 *
 * The nightly batch under its 30-second budget, which it never reaches: 240
 * records, 1 ms per validation, 8 workers. Serial: about 240 ms; ideal:
 * 240 * 1 ms / 8 = 30 ms. The ctx stays live, so cancellation costs only the
 * checks and wake-ups that a correct design adds.
 */
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "bench.h"
#include "context.h"
#include "records_oracle.h"

#define N 240
#define WORKERS 8
#define LATENCY_NS 1000000u

static struct record *records;
static size_t plausible;
static struct batch_report report;
static struct ctx budget;
static bool budget_live;

static bool setup(void)
{
	records = bench_records(N, 2604, &plausible);
	budget_live = false;
	return records != NULL;
}

static void run_baseline(void)
{
	for (size_t i = 0; i < N; i++)
		validate_record(&records[i]);
}

static int run_submission(void)
{
	int ret = ctx_init_timeout(&budget, NULL, 30 * CTX_SECOND);

	if (ret)
		return ret;
	budget_live = true;
	return batch_validate(&budget, records, N, WORKERS, &report);
}

static bool verify(char *problem, size_t size)
{
	uint32_t seen;

	if (service_calls(&validation_api) != N ||
	    service_first_not_once(&validation_api, &seen) != (size_t)-1)
		snprintf(problem, size, "when batch_validate() returned, %llu validations "
			 "had been made for %d records: skipped or repeated work is not fast",
			 (unsigned long long)service_calls(&validation_api), N);
	else if (report.accepted != plausible || report.rejected != N - plausible)
		snprintf(problem, size, "report says accepted=%zu rejected=%zu; expected %zu "
			 "and %zu", report.accepted, report.rejected, plausible, N - plausible);
	else
		return bench_within_limit(&validation_api, "validations", problem, size);
	return false;
}

static void teardown(void)
{
	if (budget_live)
		ctx_destroy(&budget);
	budget_live = false;
}


/* ---- the harness's own parallel version (run_reference) ---- */

static atomic_bool ref_stop;	/* the reference's own "ctx": never set here */

static void ref_item(size_t i)
{
	if (!atomic_load(&ref_stop))
		validate_record(&records[i]);
}

/*
 * WORKERS threads over a shared index (bench_share()), each checking a stop
 * flag before every record (the cheapest cancellation there is).
 */
static void run_reference(void)
{
	atomic_store(&ref_stop, false);
	bench_share(WORKERS, N, ref_item);
}

const struct bench chapter_bench = {
	.workload = "240 records, 1 ms per validation, 8 workers, a live 30 s deadline",
	.entry = "batch_validate()",
	.kept_threads = 1,	/* the live deadline's timer, until teardown */
	.services = { { &validation_api, "validation", LATENCY_NS, WORKERS, N } },
	BENCH_FUNCTIONS, .teardown = teardown,
	/* every record validated once, WORKERS at a time */
	.ideal = { N, LATENCY_NS, WORKERS },
	.watched = &validation_api,
};
