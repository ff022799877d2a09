/*
 * 01-serial-to-parallel.c - throughput workload for chapter 01 (clause R6)
 *
 * 160 records, 2 ms per validation and 2 ms per insert, parallelism 8.
 * Serial: about 160 * 4 ms (less for the rejected records, which skip the
 * insert); ideal: that divided by 8.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "clean.h"
#include "records_oracle.h"

#define N 160
#define PARALLELISM 8
#define LATENCY_NS 2000000u

static struct record *records;
static size_t plausible;
static struct clean_report report;

static bool setup(void)
{
	records = bench_records(N, 2026, &plausible);
	return records != NULL;
}

/*
 * One record: the serial baseline does them in turn, the harness's own
 * parallel version PARALLELISM at a time (bench.h, items).
 */
static void validate_and_store(size_t i)
{
	if (validate_record(&records[i]))
		store_record(&records[i]);
}

static int run_submission(void)
{
	return clean_records(records, N, PARALLELISM, &report);
}

static bool verify(char *problem, size_t size)
{
	if (service_calls(&validation_api) != N || service_calls(&records_db) != plausible)
		snprintf(problem, size, "when clean_records() returned, %llu of %d records "
			 "were validated and %llu of %zu stored: unfinished work is not fast",
			 (unsigned long long)service_calls(&validation_api), N,
			 (unsigned long long)service_calls(&records_db), plausible);
	else if (report.stored != plausible || report.rejected != N - plausible)
		snprintf(problem, size, "clean_records() reported %zu stored and %zu rejected; "
			 "%zu of the %d records were plausible", report.stored, report.rejected,
			 plausible, N);
	else
		return bench_within_limit(&validation_api, "calls", problem, size) &&
		       bench_within_limit(&records_db, "calls", problem, size);
	return false;
}

/* Every record validated, the plausible ones stored, p at a time. */
static double ideal_s(void)
{
	return bench_ideal_s(N + plausible, LATENCY_NS, PARALLELISM);
}

const struct bench chapter_bench = {
	.workload = "160 records, 2 ms validate + 2 ms store each, parallelism 8",
	.entry = "clean_records()",
	.items = { N, validate_and_store, PARALLELISM },
	.services = {
		{ &validation_api, "validation", LATENCY_NS, PARALLELISM, N },
		{ &records_db, "database", LATENCY_NS, PARALLELISM, N },
	},
	.setup = setup, .run_submission = run_submission, .verify = verify,
	.ideal_s = ideal_s,
	.watched = &validation_api,
};
