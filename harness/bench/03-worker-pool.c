/*
 * 03-worker-pool.c - throughput workload for chapter 03 (clause R9)
 *
 * 320 records, 1 ms per insert, 8 database connections (workers), a queue
 * of 16 slots. Serial: about 320 * 1 ms; ideal: that divided by 8.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "pool.h"

#define N 320
#define WORKERS 8
#define QUEUE_CAPACITY 16
#define LATENCY_NS 1000000u

static struct record *records;
static struct store_report report;

static bool setup(void)
{
	records = bench_records(N, 2026, NULL);
	return records != NULL;
}

/*
 * One record: the serial baseline stores them in turn; the harness's own
 * parallel version, WORKERS threads over a shared index (bench.h, items),
 * is what a pool with an ideal queue (no blocking, no hand-off cost) would
 * do.
 */
static void store_one(size_t i)
{
	store_record(&records[i]);
}

static int run_submission(void)
{
	return store_all(records, N, WORKERS, QUEUE_CAPACITY, &report);
}

static bool verify(char *problem, size_t size)
{
	if (!bench_once_each(&records_db, "record", "stored", problem, size) ||
	    !bench_within_limit(&records_db, "inserts", problem, size))
		return false;
	if (report.stored != N) {
		snprintf(problem, size, "report.stored is %zu; expected %d", report.stored, N);
		return false;
	}
	return true;
}

const struct bench chapter_bench = {
	.workload = "320 records, 1 ms per insert, 8 workers (connections), queue of 16",
	.entry = "store_all()",
	.items = { N, store_one, WORKERS },
	.services = { { &records_db, "database", LATENCY_NS, WORKERS, N } },
	.setup = setup, .run_submission = run_submission, .verify = verify,
	/* every record stored, WORKERS at a time */
	.ideal = { N, LATENCY_NS, WORKERS },
	.watched = &records_db,
};
