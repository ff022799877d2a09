/*
 * 07-semaphores.c - throughput workload for chapter 07
 *
 * 200 submissions, 2 ms per AI model call (one in 16 fails, after the same
 * 2 ms), then 3 ms to file the outcome. 32 threads, at most 10 model calls
 * at once. Serial: 200 * 5 ms = 1 s. Ideal: the model's 10 slots are the
 * bottleneck, 200 * 2 ms / 10 = 40 ms (the 32 threads alone would allow
 * 200 * 5 ms / 32 = 31 ms). A permit held while filing stretches each slot to
 * 5 ms: 100 ms.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "permits.h"

#define N 200
#define NTHREADS 32
#define MAX_CALLS 10
#define CALL_NS 2000000u
#define FILE_NS 3000000u
#define FAIL_EVERY 16

static struct record *subs;
static struct screening_report want, report;

static bool setup(void)
{
	subs = bench_records(N, 2027, NULL);
	if (!subs)
		return false;
	ai_model_fail_every = FAIL_EVERY;
	want = (struct screening_report){ 0, 0, 0 };
	for (size_t i = 0; i < N; i++) {
		if (ai_model_fails(i))
			want.unchecked++;
		else if (ai_model_expected(&subs[i]))
			want.adverse++;
		else
			want.clear++;
	}
	report = (struct screening_report){ 0, 0, 0 };
	safety_desk_reset();
	return true;
}

static void run_baseline(void)
{
	for (size_t i = 0; i < N; i++) {
		bool adverse;
		enum screening_outcome outcome = SCREENING_UNCHECKED;

		if (ai_screen(&subs[i], &adverse) == 0)
			outcome = adverse ? SCREENING_ADVERSE : SCREENING_CLEAR;
		file_screening(&subs[i], outcome);
	}
}

/*
 * The harness's own version, for the reference time: NTHREADS threads take
 * submissions from a shared index (bench_share()); a POSIX semaphore with
 * MAX_CALLS permits is held around the model call only.
 */
static sem_t ref_permits;

static void ref_item(size_t i)
{
	enum screening_outcome outcome = SCREENING_UNCHECKED;
	bool adverse;
	int err;

	while (sem_wait(&ref_permits) != 0)
		;
	err = ai_screen(&subs[i], &adverse);
	sem_post(&ref_permits);
	if (err == 0)
		outcome = adverse ? SCREENING_ADVERSE : SCREENING_CLEAR;
	file_screening(&subs[i], outcome);
}

static void run_reference(void)
{
	if (sem_init(&ref_permits, 0, MAX_CALLS) != 0)
		return;
	bench_share(NTHREADS, N, ref_item);
	sem_destroy(&ref_permits);
}

static int run_submission(void)
{
	return screen_submissions(subs, N, NTHREADS, MAX_CALLS, &report);
}

static bool verify(char *problem, size_t size)
{
	uint32_t seen = 0;

	if (service_first_not_once(&ai_model, &seen) != (size_t)-1 ||
		 service_first_not_once(&safety_desk, &seen) != (size_t)-1)
		snprintf(problem, size, "when screen_submissions() returned, %llu model calls "
			 "and %llu filings had been made for %d submissions; expected one of "
			 "each per submission",
			 (unsigned long long)service_calls(&ai_model),
			 (unsigned long long)service_calls(&safety_desk), N);
	else if (service_violations(&ai_model))
		snprintf(problem, size, "up to %u model calls in flight at once; the vendor "
			 "allows %d", service_peak(&ai_model), MAX_CALLS);
	else if (report.clear != want.clear || report.adverse != want.adverse ||
		 report.unchecked != want.unchecked)
		snprintf(problem, size, "report says clear=%zu adverse=%zu unchecked=%zu; "
			 "expected %zu, %zu and %zu", report.clear, report.adverse,
			 report.unchecked, want.clear, want.adverse, want.unchecked);
	else
		return true;
	return false;
}

/* The model's slots or the threads, whichever is the tighter bound. */
static double ideal_s(void)
{
	double calls = (double)N * CALL_NS / MAX_CALLS;
	double threads = (double)N * (CALL_NS + FILE_NS) / NTHREADS;

	return (calls > threads ? calls : threads) / 1e9;
}

const struct bench chapter_bench = {
	.workload = "200 submissions, 2 ms AI model call + 3 ms filing each, 32 threads, "
		    "at most 10 model calls at once",
	.entry = "screen_submissions()",
	.services = {
		{ &ai_model, "AI model", CALL_NS, MAX_CALLS, N },
		{ &safety_desk, "safety desk", FILE_NS, SERVICE_NO_LIMIT, N },
	},
	BENCH_FUNCTIONS,
	.ideal_s = ideal_s,
	.watched = &ai_model,
};
