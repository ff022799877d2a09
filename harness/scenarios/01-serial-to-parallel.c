/*
 * 01-serial-to-parallel.c - scenarios for chapter 01 (clean.h)
 *
 * Each scenario runs one batch on fresh simulated services and checks one
 * clause of clean.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "census.h"
#include "clean.h"
#include "scenario.h"

#define MS 1000000u

struct batch_run {
	struct record *records;
	size_t n;
	unsigned parallelism;
	struct clean_report report;
	int ret;
	int threads_before, threads_after;
};

/*
 * Runs one batch of n records on services that accept `parallelism` calls at
 * once, and records what the harness can observe afterwards.
 */
static int batch_start(struct batch_run *run, size_t n, unsigned parallelism,
		       uint64_t latency_ns)
{
	run->n = n;
	run->parallelism = parallelism;
	run->records = calloc(n + 1, sizeof(*run->records));
	if (!run->records)
		return ENOMEM;
	records_generate(run->records, n, 0xc1ea4 + n);
	service_init(&validation_api, "the hospital validation API", latency_ns,
		     parallelism, n);
	service_init(&records_db, "the records database", latency_ns,
		     parallelism, n);
	run->report = (struct clean_report){ 12345, 54321 };
	run->threads_before = census_threads();
	run->ret = clean_records(run->records, n, parallelism, &run->report);
	run->threads_after = census_settle(run->threads_before, 300);
	return 0;
}

/*
 * Frees what the batch used, unless threads of the learner's code are still
 * running: those may still read the records and call the services, so they
 * are left allocated for the rest of this process.
 */
static void batch_finish(struct batch_run *run)
{
	if (census_threads() > run->threads_before)
		return;
	service_destroy(&validation_api);
	service_destroy(&records_db);
	free(run->records);
}

static uint32_t once(size_t item, void *ctx)
{
	(void)item;
	(void)ctx;
	return 1;
}

static uint32_t once_if_plausible(size_t item, void *ctx)
{
	const struct record *records = ctx;

	return record_is_plausible(&records[item]) ? 1 : 0;
}

static void every_record_validated_once(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;
	uint32_t seen = 0;
	size_t bad;

	if (batch_start(&run, env->small ? 16 : 64, 4, 1 * MS))
		return check_fail(c, "R1", "out of memory in the harness");
	bad = service_first_mismatch(&validation_api, once, NULL, &seen);
	if (bad != (size_t)-1)
		check_fail(c, "R1",
			   "record %zu was validated %u times by the time clean_records() "
			   "returned; expected exactly once (n=%zu, parallelism=%u)",
			   bad, seen, run.n, run.parallelism);
	else if (service_unknown_items(&validation_api))
		check_fail(c, "R1", "validate_record() was called with %llu records that "
			   "are not in the batch (a stale or shared pointer?)",
			   (unsigned long long)service_unknown_items(&validation_api));
	batch_finish(&run);
}

static void plausible_records_stored_once(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;
	uint32_t seen = 0;
	size_t bad;

	if (batch_start(&run, env->small ? 16 : 64, 4, 1 * MS))
		return check_fail(c, "R1", "out of memory in the harness");
	bad = service_first_mismatch(&records_db, once_if_plausible, run.records, &seen);
	if (bad != (size_t)-1)
		check_fail(c, "R1",
			   "record %zu (%s) was stored %u times by the time clean_records() "
			   "returned; expected %u",
			   bad, record_is_plausible(&run.records[bad]) ? "plausible" : "implausible",
			   seen, once_if_plausible(bad, run.records));
	batch_finish(&run);
}

static void report_counts_add_up(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;
	size_t plausible;

	if (batch_start(&run, env->small ? 16 : 64, 4, 1 * MS))
		return check_fail(c, "R2", "out of memory in the harness");
	plausible = records_count_plausible(run.records, run.n);
	if (run.report.stored != plausible || run.report.rejected != run.n - plausible)
		check_fail(c, "R2",
			   "report says stored=%zu rejected=%zu; expected stored=%zu "
			   "rejected=%zu",
			   run.report.stored, run.report.rejected, plausible, run.n - plausible);
	batch_finish(&run);
}

static void parallelism_is_a_limit(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	if (batch_start(&run, env->small ? 24 : 96, 3, 1 * MS))
		return check_fail(c, "R3", "out of memory in the harness");
	if (service_peak(&validation_api) > run.parallelism)
		check_fail(c, "R3", "%u records were being validated at once; the "
			   "hospital API accepts %u (parallelism)",
			   service_peak(&validation_api), run.parallelism);
	else if (service_peak(&records_db) > run.parallelism)
		check_fail(c, "R3", "%u records were being stored at once; the database "
			   "accepts %u (parallelism)",
			   service_peak(&records_db), run.parallelism);
	batch_finish(&run);
}

static void no_thread_outlives_the_batch(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	if (batch_start(&run, env->small ? 16 : 48, 4, 1 * MS))
		return check_fail(c, "R4", "out of memory in the harness");
	if (run.threads_after > run.threads_before)
		check_fail(c, "R4", "%d threads were still running after clean_records() "
			   "returned (before: %d, after: %d); join every thread you start",
			   run.threads_after - run.threads_before, run.threads_before,
			   run.threads_after);
	batch_finish(&run);
}

static void zero_parallelism_is_einval(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	(void)env;
	if (batch_start(&run, 8, 0, 1 * MS))
		return check_fail(c, "R5", "out of memory in the harness");
	if (run.ret != EINVAL)
		check_fail(c, "R5", "clean_records(parallelism=0) returned %d; expected "
			   "EINVAL (%d)", run.ret, EINVAL);
	else if (service_calls(&validation_api) || service_calls(&records_db))
		check_fail(c, "R5", "clean_records(parallelism=0) called a service %llu "
			   "times; expected none",
			   (unsigned long long)(service_calls(&validation_api) +
						service_calls(&records_db)));
	batch_finish(&run);
}

static void small_batches_work(struct check *c, const struct scenario_env *env)
{
	static const struct { size_t n; unsigned parallelism; } cases[] = {
		{ 0, 4 }, { 1, 1 }, { 3, 8 }, { 7, 1 },
	};

	(void)env;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct batch_run run;
		size_t plausible;
		uint64_t calls;

		if (batch_start(&run, cases[k].n, cases[k].parallelism, 1 * MS))
			return check_fail(c, "R5", "out of memory in the harness");
		plausible = records_count_plausible(run.records, run.n);
		calls = service_calls(&validation_api);
		if (run.ret != 0)
			check_fail(c, "R5", "clean_records(n=%zu, parallelism=%u) returned %d; "
				   "expected 0", run.n, run.parallelism, run.ret);
		else if (calls != run.n || run.report.stored != plausible)
			check_fail(c, "R5", "clean_records(n=%zu, parallelism=%u): %llu "
				   "validations and stored=%zu; expected %zu and %zu",
				   run.n, run.parallelism, (unsigned long long)calls,
				   run.report.stored, run.n, plausible);
		batch_finish(&run);
		if (c->failed)
			return;
	}
}

const struct scenario chapter_scenarios[] = {
	{ "every_record_validated_once", "R1", 3.0, every_record_validated_once },
	{ "plausible_records_stored_once", "R1", 3.0, plausible_records_stored_once },
	{ "report_counts_add_up", "R2", 3.0, report_counts_add_up },
	{ "parallelism_is_a_limit", "R3", 3.0, parallelism_is_a_limit },
	{ "no_thread_outlives_the_batch", "R4", 3.0, no_thread_outlives_the_batch },
	{ "zero_parallelism_is_einval", "R5", 3.0, zero_parallelism_is_einval },
	{ "small_batches_work", "R5", 3.0, small_batches_work },
};
const size_t chapter_scenario_count = sizeof(chapter_scenarios) / sizeof(chapter_scenarios[0]);
