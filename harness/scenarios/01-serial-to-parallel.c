/*
 * 01-serial-to-parallel.c - scenarios for chapter 01 (clean.h)
 *
 * Each scenario runs one batch on fresh simulated services and checks one
 * clause sentence of clean.h (R1a, R1b, ...). What "before it returns" and
 * "has ended when it returns" promise is read at the moment of the return,
 * not after a grace period: the service counts and the thread count are
 * taken first thing after clean_records() comes back. Sizes include 0, 1,
 * primes, fewer records than threads, and counts that are no multiple of
 * the parallelism.
 */
#include <errno.h>
#include <stdlib.h>

#include "census.h"
#include "clean.h"
#include "perturb.h"
#include "records_oracle.h"
#include "scenario.h"

#define MS 1000000u

struct batch_run {
	struct record *records;
	size_t n;
	unsigned parallelism;
	struct clean_report report;
	int ret;
	struct census_span threads;	/* around the call */
	/* read first thing after clean_records() returned */
	uint64_t validations_at_return, stores_at_return;
	size_t first_unvalidated;	/* (size_t)-1: each record validated once */
	uint32_t validated_times;
	unsigned long created, joined;	/* threads the call started and joined */
};

/*
 * Runs one batch of n records on services that accept `parallelism` calls at
 * once, and records what the harness can observe afterwards.
 */
static int batch_start(struct batch_run *run, size_t n, unsigned parallelism,
		       uint64_t latency_ns)
{
	unsigned long created0, joined0;

	run->n = n;
	run->parallelism = parallelism;
	/*
	 * Guard records after the batch, ids n, n+1, ...: a slice that runs past
	 * records[n-1] validates an id the services do not know.
	 */
	run->records = calloc(n + 2 * (size_t)parallelism + 1, sizeof(*run->records));
	if (!run->records)
		return ENOMEM;
	records_generate(run->records, n + 2 * (size_t)parallelism + 1, 0xc1ea4 + n);
	service_init(&validation_api, "the hospital validation API", latency_ns,
		     parallelism, n);
	service_init(&records_db, "the records database", latency_ns,
		     parallelism, n);
	run->report = (struct clean_report){ 12345, 54321 };
	census_span_start(&run->threads);
	perturb_thread_counts(&created0, &joined0);
	run->ret = clean_records(run->records, n, parallelism, &run->report);
	perturb_thread_counts(&run->created, &run->joined);
	run->created -= created0;
	run->joined -= joined0;
	run->validations_at_return = service_calls(&validation_api);
	run->stores_at_return = service_calls(&records_db);
	run->validated_times = 0;
	run->first_unvalidated = service_first_not_once(&validation_api, &run->validated_times);
	census_span_end(&run->threads);
	return 0;
}

/*
 * Frees what the batch used, unless threads of the learner's code are still
 * running: those may still read the records and call the services, so they
 * are left allocated for the rest of this process.
 */
static void batch_finish(struct batch_run *run)
{
	if (census_span_outlived(&run->threads))
		return;
	service_destroy(&validation_api);
	service_destroy(&records_db);
	free(run->records);
}

static uint32_t once_if_plausible(size_t item, void *ctx)
{
	const struct record *records = ctx;

	return record_is_plausible(&records[item]) ? 1 : 0;
}

static void every_record_validated_once(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	/* a prime count of records over 4 threads: slices of unequal length */
	if (batch_start(&run, env->small ? 17 : 61, 4, 1 * MS))
		return check_fail(c, "R1a", "out of memory in the harness");
	if (run.first_unvalidated != (size_t)-1)
		check_fail(c, "R1a",
			   "record %zu had been validated %u times when clean_records() "
			   "returned; expected exactly once (n=%zu, parallelism=%u)",
			   run.first_unvalidated, run.validated_times, run.n, run.parallelism);
	else if (service_calls(&validation_api) != run.validations_at_return)
		check_fail(c, "R1a", "validate_record() was called %llu more times after "
			   "clean_records() returned",
			   (unsigned long long)(service_calls(&validation_api) -
						run.validations_at_return));
	else if (service_unknown_items(&validation_api))
		check_fail(c, "R1a", "validate_record() was called with %llu records that "
			   "are not in the batch (a stale or shared pointer?)",
			   (unsigned long long)service_unknown_items(&validation_api));
	batch_finish(&run);
}

static void plausible_records_stored_once(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;
	uint32_t seen = 0;
	size_t bad, plausible;

	if (batch_start(&run, env->small ? 19 : 67, 4, 1 * MS))
		return check_fail(c, "R1b", "out of memory in the harness");
	plausible = records_count_plausible(run.records, run.n);
	bad = service_first_mismatch(&records_db, once_if_plausible, run.records, &seen);
	if (run.stores_at_return != plausible)
		check_fail(c, "R1b", "%llu records had been stored when clean_records() "
			   "returned; %zu of the %zu are plausible",
			   (unsigned long long)run.stores_at_return, plausible, run.n);
	else if (bad != (size_t)-1)
		check_fail(c, "R1b",
			   "record %zu (%s) was stored %u times; expected %u",
			   bad, record_is_plausible(&run.records[bad]) ? "plausible" : "implausible",
			   seen, once_if_plausible(bad, run.records));
	batch_finish(&run);
}

static void report_counts_add_up(struct check *c, const struct scenario_env *env)
{
	/* a prime batch, then an empty one (the report must still be written) */
	size_t sizes[] = { env->small ? 23 : 71, 0 };

	for (size_t k = 0; k < 2 && !c->failed; k++) {
		struct batch_run run;
		size_t plausible;

		if (batch_start(&run, sizes[k], 4, 1 * MS))
			return check_fail(c, "R2", "out of memory in the harness");
		plausible = records_count_plausible(run.records, run.n);
		if (run.report.stored != plausible || run.report.rejected != run.n - plausible)
			check_fail(c, "R2",
				   "n=%zu: report says stored=%zu rejected=%zu; expected "
				   "stored=%zu rejected=%zu", run.n, run.report.stored,
				   run.report.rejected, plausible, run.n - plausible);
		batch_finish(&run);
	}
}

static void parallelism_is_a_limit(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	if (batch_start(&run, env->small ? 25 : 97, 3, 1 * MS))
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

	/* 10 ms calls, 13 records over 4 threads: the last slice is the longest */
	(void)env;
	if (batch_start(&run, 13, 4, 10 * MS))
		return check_fail(c, "R4", "out of memory in the harness");
	if (run.threads.at_return > run.threads.before)
		check_fail(c, "R4", "%d threads were still running when clean_records() "
			   "returned (before: %d, at the return: %d); join every thread you "
			   "start", run.threads.at_return - run.threads.before,
			   run.threads.before, run.threads.at_return);
	else if (run.joined < run.created)
		check_fail(c, "R4", "clean_records() started %lu threads and joined %lu of "
			   "them before it returned; a thread that has said it is done may "
			   "still be running (and be counted) after that: only "
			   "pthread_join() tells you it has ended", run.created, run.joined);
	batch_finish(&run);
}

static void zero_parallelism_is_einval(struct check *c, const struct scenario_env *env)
{
	/* parallelism 0 is EINVAL whatever n is, an empty batch included */
	static const size_t sizes[] = { 8, 0 };

	(void)env;
	for (size_t k = 0; k < 2 && !c->failed; k++) {
		struct batch_run run;

		if (batch_start(&run, sizes[k], 0, 1 * MS))
			return check_fail(c, "R5b", "out of memory in the harness");
		if (run.ret != EINVAL)
			check_fail(c, "R5b", "clean_records(n=%zu, parallelism=0) returned %d; "
				   "expected EINVAL (%d)", run.n, run.ret, EINVAL);
		else if (service_calls(&validation_api) || service_calls(&records_db))
			check_fail(c, "R5b", "clean_records(n=%zu, parallelism=0) called a service "
				   "%llu times; expected none", run.n,
				   (unsigned long long)(service_calls(&validation_api) +
							service_calls(&records_db)));
		batch_finish(&run);
	}
}

/*
 * The (pos+1)th pthread_create() of the batch fails with EAGAIN, for several
 * positions: the second, one in the middle, the eighth. clean_records() must
 * return that error after joining the threads it did start, with a report
 * that counts what those threads finished. A position the code never reaches
 * (it started fewer threads) checks nothing.
 */
static void a_failed_thread_start_is_reported(struct check *c, const struct scenario_env *env)
{
	static const int positions[] = { 1, 3, 7 };

	(void)env;
	for (size_t k = 0; k < sizeof(positions) / sizeof(positions[0]) && !c->failed; k++) {
		struct batch_run run;
		uint64_t validations_after;
		int err;

		/* 48 records over 8 threads, 2 ms calls: each slice takes ~24 ms */
		bool fired;

		perturb_fail_create_after(positions[k]);
		err = batch_start(&run, 48, 8, 2 * MS);
		fired = !perturb_create_failure_pending();
		perturb_fail_create_after(0);
		if (err)
			return check_fail(c, "R4", "out of memory in the harness");
		validations_after = service_calls(&validation_api);
		if (!fired)
			;	/* fewer threads than that: nothing failed */
		else if (run.ret != EAGAIN)
			check_fail(c, "R4", "clean_records(n=48, parallelism=8) returned %d when "
				   "pthread_create() number %d failed with EAGAIN; expected that "
				   "error (%d)", run.ret, positions[k] + 1, EAGAIN);
		else if (run.threads.at_return > run.threads.before)
			check_fail(c, "R4", "%d of the threads clean_records() did start were still "
				   "running when it returned after pthread_create() number %d "
				   "failed; join them before you return",
				   run.threads.at_return - run.threads.before, positions[k] + 1);
		else if (validations_after != run.validations_at_return)
			check_fail(c, "R4", "validate_record() was called %llu more times after "
				   "clean_records() returned (pthread_create() number %d had "
				   "failed); join the threads you started before you return",
				   (unsigned long long)(validations_after - run.validations_at_return),
				   positions[k] + 1);
		else if (run.report.stored != run.stores_at_return ||
			 run.report.stored + run.report.rejected != run.validations_at_return)
			check_fail(c, "R4", "after pthread_create() number %d failed, the report "
				   "said stored=%zu rejected=%zu; the threads that did start had "
				   "validated %llu records and stored %llu", positions[k] + 1,
				   run.report.stored, run.report.rejected,
				   (unsigned long long)run.validations_at_return,
				   (unsigned long long)run.stores_at_return);
		batch_finish(&run);
	}
}

static void any_batch_size_works(struct check *c, const struct scenario_env *env)
{
	static const struct { size_t n; unsigned parallelism; } cases[] = {
		{ 0, 4 }, { 1, 1 }, { 1, 4 }, { 3, 8 }, { 7, 1 }, { 13, 4 }, { 5, 3 },
		/* a little more records than threads: slices of 1 and 2 */
		{ 10, 8 }, { 13, 6 }, { 20, 8 }, { 9, 8 },
	};

	(void)env;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct batch_run run;
		size_t plausible;

		if (batch_start(&run, cases[k].n, cases[k].parallelism, 1 * MS))
			return check_fail(c, "R5a", "out of memory in the harness");
		plausible = records_count_plausible(run.records, run.n);
		if (run.ret != 0)
			check_fail(c, "R5a", "clean_records(n=%zu, parallelism=%u) returned %d; "
				   "expected 0", run.n, run.parallelism, run.ret);
		else if (service_unknown_items(&validation_api))
			check_fail(c, "R5a", "clean_records(n=%zu, parallelism=%u) validated %llu "
				   "records past the end of the batch (records[n] or later); a "
				   "slice must end at n at the latest", run.n, run.parallelism,
				   (unsigned long long)service_unknown_items(&validation_api));
		else if (run.first_unvalidated != (size_t)-1)
			check_fail(c, "R5a", "clean_records(n=%zu, parallelism=%u): record %zu "
				   "was validated %u times; expected once", run.n,
				   run.parallelism, run.first_unvalidated, run.validated_times);
		else if (run.stores_at_return != plausible || run.report.stored != plausible ||
			 run.report.rejected != run.n - plausible)
			check_fail(c, "R5a", "clean_records(n=%zu, parallelism=%u): %llu stores, "
				   "report stored=%zu rejected=%zu; expected %zu, %zu and %zu",
				   run.n, run.parallelism,
				   (unsigned long long)run.stores_at_return, run.report.stored,
				   run.report.rejected, plausible, plausible, run.n - plausible);
		batch_finish(&run);
		if (c->failed)
			return;
	}
}

CHAPTER_SCENARIOS(
	SCENARIO(every_record_validated_once, "R1a"),
	SCENARIO(plausible_records_stored_once, "R1b"),
	SCENARIO(report_counts_add_up, "R2"),
	SCENARIO(parallelism_is_a_limit, "R3"),
	SCENARIO(no_thread_outlives_the_batch, "R4"),
	SCENARIO(any_batch_size_works, "R5a"),
	SCENARIO(zero_parallelism_is_einval, "R5b"),
	SCENARIO(a_failed_thread_start_is_reported, "R4")
);
