/*
 * 11-load-shedding.c - scenarios for chapter 11 (intake.h)
 *
 * The intake scenarios run an intake against the simulated scoring service
 * (stats_rpc_ctl.h), and force the situation they test instead of hoping for
 * it: to see whether intake_submit() waits for room, the service is stalled
 * so that every worker is stuck in a call, and the submissions are made by a
 * helper thread that the scenario can watch and, if it never returns, free
 * by ending the stall. The breaker scenarios call breaker_call() with
 * functions of their own: one that fails, one that succeeds, and one that
 * holds the caller until the scenario lets it go, so that a probe is
 * certainly in flight while other threads call.
 *
 * Helper threads share with the scenario only atomics written by
 * read-modify-write operations (as the simulated services do), so they add
 * no happens-before edge that could hide a race in the learner's code from
 * ThreadSanitizer or Helgrind. Every time bound is multiplied by the gate's
 * slow-down factor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census.h"
#include "clock.h"
#include "intake.h"
#include "perturb.h"
#include "scenario.h"
#include "stats_rpc_ctl.h"

#define MS 1000000ull
#define RELAXED memory_order_relaxed

/*
 * A breaker's cool-down in the scenarios that wait for one to pass: 100 ms,
 * not scaled under the race tools, since the run waits for it four times
 * and a failing run under a race tool has 4 s in all. What must happen
 * "before the cool-down has passed" is the very next call, microseconds
 * later even under Helgrind.
 */
static uint64_t short_cooldown_ns(void)
{
	return 100 * MS;
}

static double ms_of(uint64_t ns)
{
	return (double)ns / 1e6;
}

static struct record *make_records(size_t n)
{
	struct record *records = calloc(n + 1, sizeof(*records));

	if (records)
		records_generate(records, n, 0x1100 + n);
	return records;
}

/* ---- submitters: threads that offer submissions, as the app does ---- */

enum { NOT_YET = -1 };

struct submitter {
	pthread_t thread;
	struct intake *in;
	const struct record *records;
	size_t first, count;		/* records[first .. first+count-1] */
	uint64_t burst_pause_ns;	/* 0: no pause; else after every `burst` */
	size_t burst;
	atomic_int *result;		/* per record: NOT_YET, then what submit returned */
	_Atomic uint64_t *accepted_ns;	/* per record: when an accepted submit returned */
	_Atomic uint64_t slowest_ns;	/* the longest intake_submit() call */
	atomic_size_t done;		/* submits that have returned */
};

static void *submitter_main(void *arg)
{
	struct submitter *s = arg;

	for (size_t k = 0; k < s->count; k++) {
		size_t i = s->first + k;
		uint64_t start = world_now_ns(), took, seen;
		int err = intake_submit(s->in, &s->records[i]);
		uint64_t end = world_now_ns();

		took = end - start;
		seen = atomic_load_explicit(&s->slowest_ns, RELAXED);
		while (took > seen && !atomic_compare_exchange_weak_explicit(&s->slowest_ns, &seen,
									     took, RELAXED, RELAXED))
			;
		if (err == 0 && s->accepted_ns)
			atomic_exchange_explicit(&s->accepted_ns[i], end, RELAXED);
		atomic_exchange_explicit(&s->result[i], err, RELAXED);
		atomic_fetch_add_explicit(&s->done, 1, RELAXED);
		if (s->burst_pause_ns && (k + 1) % s->burst == 0)
			world_sleep_ns(s->burst_pause_ns);
	}
	return NULL;
}

static void submitter_prepare(struct submitter *s, struct intake *in,
			      const struct record *records, size_t first, size_t count,
			      atomic_int *result)
{
	memset(s, 0, sizeof(*s));
	s->in = in;
	s->records = records;
	s->first = first;
	s->count = count;
	s->result = result;
	atomic_init(&s->slowest_ns, 0);
	atomic_init(&s->done, 0);
}

static int submitter_start(struct submitter *s, struct intake *in, const struct record *records,
			   size_t first, size_t count, atomic_int *result)
{
	submitter_prepare(s, in, records, first, count, result);
	return pthread_create(&s->thread, NULL, submitter_main, s);
}

/* Waits up to `seconds` (scaled) for s to finish; true when it did. */
static bool submitter_wait(struct submitter *s, double seconds)
{
	uint64_t deadline = world_now_ns() + scenario_scaled_ns(seconds);

	while (atomic_load_explicit(&s->done, RELAXED) < s->count) {
		if (world_now_ns() > deadline)
			return false;
		world_sleep_ns(MS / 2);
	}
	return true;
}

static atomic_int *make_results(size_t n)
{
	atomic_int *result = calloc(n ? n : 1, sizeof(*result));

	for (size_t i = 0; result && i < n; i++)
		atomic_init(&result[i], NOT_YET);
	return result;
}

/* Waiting submissions, read under the intake's lock (as a worker would). */
static size_t intake_waiting(struct intake *in)
{
	size_t len;

	pthread_mutex_lock(&in->lock);
	len = in->len;
	pthread_mutex_unlock(&in->lock);
	return len;
}

/*
 * Waits until the queue has stayed empty for 20 ms in a row (every worker
 * has taken its submission), or `seconds` (scaled) have passed.
 */
static bool wait_queue_taken(struct intake *in, double seconds)
{
	uint64_t deadline = world_now_ns() + scenario_scaled_ns(seconds);
	int streak = 0;

	while (streak < 20 && world_now_ns() < deadline) {
		streak = intake_waiting(in) == 0 ? streak + 1 : 0;
		world_sleep_ns(MS);
	}
	return streak >= 20;
}

/*
 * Checks R2a's and R2b's accounting after intake_stop(): `result` says what
 * each of records[0..n-1] got from intake_submit().
 */
static void check_accounting(struct check *c, const struct intake_report *rep,
			     const atomic_int *result, size_t n)
{
	size_t accepted = 0, shed = 0, sent = 0;

	for (size_t i = 0; i < n; i++) {
		int err = atomic_load_explicit(&result[i], RELAXED);
		uint32_t calls = service_calls_for(&stats_rpc, i);

		if (err == 0) {
			accepted++;
			sent += calls;
			if (calls > 1)
				return check_fail(c, "R2a", "accepted submission %zu was sent to the "
						  "scoring service %u times; expected once", i, calls);
		} else if (err == EAGAIN) {
			shed++;
			if (calls)
				return check_fail(c, "R2a", "submission %zu was shed (EAGAIN) and was "
						  "still sent to the scoring service %u times; "
						  "expected never", i, calls);
		} else {
			return check_fail(c, "R1a", "intake_submit() returned %d for submission "
					  "%zu; expected 0 or EAGAIN (%d)", err, i, EAGAIN);
		}
	}
	if (rep->accepted != accepted || rep->shed != shed)
		return check_fail(c, "R2b", "the report says %zu accepted and %zu shed; "
				  "intake_submit() returned 0 %zu times and EAGAIN %zu times",
				  rep->accepted, rep->shed, accepted, shed);
	if (rep->scored + rep->failed + rep->refused != rep->accepted)
		return check_fail(c, "R2b", "the report says %zu scored + %zu failed + %zu "
				  "refused = %zu; expected the %zu accepted", rep->scored,
				  rep->failed, rep->refused,
				  rep->scored + rep->failed + rep->refused, rep->accepted);
	if (rep->scored + rep->failed != sent)
		return check_fail(c, "R2b", "the report says %zu scored + %zu failed; the "
				  "scoring service was called %zu times about accepted "
				  "submissions", rep->scored, rep->failed, sent);
}

/*
 * The set-up the intake scenarios share: the scoring service reset for n
 * calls of latency_ns each, then intake_start(in, workers, capacity,
 * threshold, a 10 s cool-down). own[0..n_own-1] are the scenario's
 * allocations, each NULL when it failed. False, with the check failed for
 * clause and every own[] freed, when any of that failed.
 */
static bool intake_setup(struct check *c, const char *clause, struct intake *in,
			 uint64_t latency_ns, size_t n, unsigned workers, size_t capacity,
			 unsigned threshold, void *own[], size_t n_own)
{
	bool have_all = true;
	int err;

	for (size_t i = 0; i < n_own; i++)
		have_all = have_all && own[i];
	if (!have_all || stats_rpc_reset(latency_ns, n)) {
		check_fail(c, clause, "harness set-up failed (memory)");
	} else {
		err = intake_start(in, workers, capacity, threshold, 10 * BILLION);
		if (!err)
			return true;
		check_fail(c, clause, "intake_start(workers=%u, capacity=%zu, threshold=%u) "
			   "returned %d; expected 0", workers, capacity, threshold, err);
	}
	for (size_t i = 0; i < n_own; i++)
		free(own[i]);
	return false;
}

/* ---- R1: the submit never waits ---- */

static void full_queue_sheds_at_once(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 3, CAP = 4, EXTRA = 5, N = WORKERS + CAP + EXTRA };
	struct record *records = make_records(N);
	atomic_int *result = make_results(N);
	struct intake in;
	struct intake_report rep;
	struct submitter sub;
	size_t accepted = 0;
	int err;

	(void)env;
	if (!intake_setup(c, "R1a", &in, 1 * MS, N, WORKERS, CAP, 100,
			  (void *[]){ records, result }, 2))
		return;
	/* Every worker takes one submission and sticks in the stalled service. */
	stats_rpc_set_stalled(true);
	for (size_t i = 0; i < WORKERS; i++) {
		err = intake_submit(&in, &records[i]);
		atomic_exchange_explicit(&result[i], err, RELAXED);
		if (err) {
			check_fail(c, "R1a", "intake_submit() into an empty queue returned %d; "
				   "expected 0", err);
			goto out;
		}
	}
	if (!wait_queue_taken(&in, 1.0)) {
		check_fail(c, "R2a", "%d workers left submissions waiting in the queue for 1 s "
			   "while they were idle", WORKERS);
		goto out;
	}
	/* Now the queue has `CAP` free slots and nobody takes anything. */
	if (submitter_start(&sub, &in, records, WORKERS, CAP + EXTRA, result)) {
		check_fail(c, "R1a", "harness set-up failed (pthread_create)");
		goto out;
	}
	if (!submitter_wait(&sub, 0.2)) {
		check_fail(c, "R1a", "intake_submit() was still blocked %.1f s later, after %zu "
			   "submissions, with the queue full (capacity %d) and every worker stuck "
			   "in a slow call; expected EAGAIN at once (shed, never wait)",
			   0.2 * scenario_timeout_factor(),
			   (size_t)atomic_load_explicit(&sub.done, RELAXED), CAP);
		stats_rpc_set_stalled(false);
		pthread_join(sub.thread, NULL);
		goto out;
	}
	pthread_join(sub.thread, NULL);
	for (size_t i = WORKERS; i < N; i++)
		accepted += atomic_load_explicit(&result[i], RELAXED) == 0;
	if (accepted > CAP)
		check_fail(c, "R1b", "with every worker busy, %zu of %d submissions were "
			   "accepted into a queue of capacity %d; expected %d (the rest shed)",
			   accepted, CAP + EXTRA, CAP, CAP);
	else if (accepted < CAP)
		check_fail(c, "R1b", "with every worker busy, only %zu of %d submissions were "
			   "accepted into an empty queue of capacity %d; expected %d", accepted,
			   CAP + EXTRA, CAP, CAP);
	else if (atomic_load_explicit(&sub.slowest_ns, RELAXED) > scenario_scaled_ns(0.1))
		check_fail(c, "R1a", "an intake_submit() call took %.1f ms on a full queue; "
			   "expected EAGAIN at once (under %.0f ms)",
			   ms_of(atomic_load_explicit(&sub.slowest_ns, RELAXED)),
			   100 * scenario_timeout_factor());
out:
	stats_rpc_set_stalled(false);
	intake_stop(&in, &rep);
	if (!c->failed)
		check_accounting(c, &rep, result, N);
	free(records);
	free(result);
}

/* ---- R2: every accepted submission is sent, every shed one is not ---- */

/* One overloaded run: two submitters, no pauses; the service as set. */
static void overload_round(struct check *c, size_t n, bool failing)
{
	enum { WORKERS = 4, CAP = 6, THRESHOLD = 3 };
	struct record *records = make_records(n);
	atomic_int *result = make_results(n);
	struct submitter subs[2];
	struct intake in;
	struct intake_report rep;
	int before, after, err;
	size_t started;

	if (!records || !result || stats_rpc_reset(1 * MS, n)) {
		free(records);
		free(result);
		return check_fail(c, "R2a", "harness set-up failed (memory)");
	}
	stats_rpc_set_failing(failing);
	before = census_threads();
	err = intake_start(&in, WORKERS, CAP, THRESHOLD, 10 * BILLION);
	if (err) {
		free(records);
		free(result);
		return check_fail(c, "R2a", "intake_start(workers=%d, capacity=%d, threshold=%d) "
				  "returned %d; expected 0", WORKERS, CAP, THRESHOLD, err);
	}
	for (size_t s = 0; s < 2; s++)
		submitter_prepare(&subs[s], &in, records, s * (n / 2), s ? n - n / 2 : n / 2,
				  result);
	started = crew_run(2, submitter_main, subs, sizeof(*subs));
	intake_stop(&in, &rep);
	after = census_settle(before, 10);
	if (started < 2)
		check_fail(c, "R2a", "harness set-up failed (pthread_create)");
	else if (after > before)
		check_fail(c, "R2a", "%d threads were still running when intake_stop() "
			   "returned; expected every worker joined", after - before);
	else
		check_accounting(c, &rep, result, n);
	if (c->failed)
		goto out;
	if (!failing && rep.scored != rep.accepted)
		check_fail(c, "R2a", "with a healthy service, %zu of %zu accepted submissions "
			   "were scored by the time intake_stop() returned; expected all",
			   rep.scored, rep.accepted);
	else if (failing && (rep.failed < THRESHOLD || rep.failed > THRESHOLD + WORKERS - 1))
		check_fail(c, "R4b", "with a scoring service that fails every call, the "
			   "breaker (threshold %d) let %zu calls reach it from %d workers; "
			   "expected %d to %d, then every other submission refused", THRESHOLD,
			   rep.failed, WORKERS, THRESHOLD, THRESHOLD + WORKERS - 1);
out:
	free(records);
	free(result);
}

static void accepted_sent_once_shed_never(struct check *c, const struct scenario_env *env)
{
	overload_round(c, env->small ? 40 : 160, false);
}

static void failing_service_is_cut_off(struct check *c, const struct scenario_env *env)
{
	overload_round(c, env->small ? 40 : 120, true);
}

/* ---- R3: latency under a tenfold overload ---- */

static void latency_bounded_under_overload(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 4, CAP = 8, BURST = 10 };
	const uint64_t latency = 4 * MS;
	/* The workers score 4 / 4 ms = 1 per ms; the app offers 10 per ms. */
	size_t n = env->small ? 150 : 300;
	struct record *records = make_records(n);
	atomic_int *result = make_results(n);
	_Atomic uint64_t *accepted_ns = calloc(n, sizeof(*accepted_ns));
	struct submitter sub;
	struct intake in;
	struct intake_report rep;
	uint64_t worst = 0, bound;
	size_t worst_item = 0, accepted = 0;

	if (!intake_setup(c, "R3", &in, latency, n, WORKERS, CAP, 100,
			  (void *[]){ records, result, accepted_ns }, 3))
		return;
	submitter_prepare(&sub, &in, records, 0, n, result);
	sub.burst = BURST;
	sub.burst_pause_ns = MS;
	sub.accepted_ns = accepted_ns;
	if (pthread_create(&sub.thread, NULL, submitter_main, &sub)) {
		intake_stop(&in, &rep);
		free(records);
		free(result);
		free(accepted_ns);
		return check_fail(c, "R3", "harness set-up failed (pthread_create)");
	}
	pthread_join(sub.thread, NULL);
	intake_stop(&in, &rep);

	/* A submission at the back of a full queue waits for CAP / WORKERS calls. */
	bound = (CAP / WORKERS + 2) * latency + scenario_scaled_ns(0.1);
	for (size_t i = 0; i < n; i++) {
		uint64_t at = atomic_load_explicit(&accepted_ns[i], RELAXED);
		uint64_t sent = stats_rpc_first_call_ns(i);

		if (atomic_load_explicit(&result[i], RELAXED) != 0)
			continue;
		accepted++;
		if (sent > at && sent - at > worst) {
			worst = sent - at;
			worst_item = i;
		}
	}
	if (worst > bound)
		check_fail(c, "R3", "under a tenfold overload (%zu submissions offered at 10 per "
			   "ms to %d workers of 4 ms calls, queue of %d), %zu were accepted and "
			   "submission %zu waited %.1f ms before it was sent; expected at most "
			   "%.1f ms: a bounded queue sheds what it cannot take in time", n,
			   WORKERS, CAP, accepted, worst_item, ms_of(worst), ms_of(bound));
	else if (atomic_load_explicit(&sub.slowest_ns, RELAXED) > scenario_scaled_ns(0.1))
		check_fail(c, "R3", "under a tenfold overload an intake_submit() call took "
			   "%.1f ms; expected an answer at once (under %.0f ms)",
			   ms_of(atomic_load_explicit(&sub.slowest_ns, RELAXED)),
			   100 * scenario_timeout_factor());
	else
		check_accounting(c, &rep, result, n);
	free(records);
	free(result);
	free(accepted_ns);
}

/* ---- the breaker's callers ---- */

/*
 * What breaker_call() runs in these scenarios: counts the calls that reach
 * it, optionally holds them until `release` is set, then returns `answer`.
 */
struct downstream {
	atomic_int answer;		/* 0 or an errno */
	atomic_int hold;		/* 1: calls wait until it is 0 */
	atomic_uint calls;		/* calls that reached fn */
	atomic_uint inside;		/* calls in fn now */
	uint64_t latency_ns;		/* set before any call */
};

static void downstream_init(struct downstream *d, int answer, uint64_t latency_ns)
{
	atomic_init(&d->answer, answer);
	atomic_init(&d->hold, 0);
	atomic_init(&d->calls, 0);
	atomic_init(&d->inside, 0);
	d->latency_ns = latency_ns;
}

static void downstream_set(struct downstream *d, int answer)
{
	atomic_exchange_explicit(&d->answer, answer, RELAXED);
}

static unsigned downstream_calls(struct downstream *d)
{
	return atomic_load_explicit(&d->calls, RELAXED);
}

static int downstream_fn(void *arg)
{
	struct downstream *d = arg;

	atomic_fetch_add_explicit(&d->calls, 1, RELAXED);
	atomic_fetch_add_explicit(&d->inside, 1, RELAXED);
	while (atomic_load_explicit(&d->hold, RELAXED))
		world_sleep_ns(MS / 5);
	if (d->latency_ns)
		world_sleep_ns(d->latency_ns);
	atomic_fetch_sub_explicit(&d->inside, 1, RELAXED);
	return atomic_load_explicit(&d->answer, RELAXED);
}

/* One call from the scenario's thread; `want` 0 or EIO means fn must run. */
static bool call_expect(struct check *c, struct breaker *b, struct downstream *d, int want,
			const char *clause, const char *when)
{
	unsigned before = downstream_calls(d);
	int got = breaker_call(b, downstream_fn, d);
	unsigned ran = downstream_calls(d) - before;

	if (want == EBUSY && (got != EBUSY || ran))
		check_fail(c, clause, "%s: breaker_call() returned %d and %s fn; expected EBUSY "
			   "(%d) without calling fn", when, got, ran ? "called" : "did not call",
			   EBUSY);
	else if (want != EBUSY && (got != want || ran != 1))
		check_fail(c, clause, "%s: breaker_call() returned %d and called fn %u times; "
			   "expected fn called once and its result (%d) returned", when, got, ran,
			   want);
	return !c->failed;
}

/*
 * A probe with fn succeeding, made `when` (R6a), must close the breaker:
 * the call after it goes through too (R6b). False after a failed check.
 */
static bool probe_closes(struct check *c, struct breaker *b, struct downstream *d,
			 const char *when)
{
	return call_expect(c, b, d, 0, "R6a", when) &&
	       call_expect(c, b, d, 0, "R6b", "after a successful probe");
}

/*
 * A fresh downstream d (succeeding, no latency) and a breaker b of
 * `threshold` and `cooldown` opened by `threshold` failures in a row (R4b).
 * False, with the check failed, when breaker_init() failed (for clause) or
 * b did not open; b is destroyed then, when it was made.
 */
static bool open_breaker(struct check *c, struct breaker *b, struct downstream *d,
			 unsigned threshold, uint64_t cooldown, const char *clause)
{
	int err;

	downstream_init(d, 0, 0);
	err = breaker_init(b, threshold, cooldown);
	if (err) {
		check_fail(c, clause, "breaker_init() returned %d; expected 0", err);
		return false;
	}
	downstream_set(d, EIO);
	for (unsigned i = 0; i < threshold; i++)
		if (!call_expect(c, b, d, EIO, "R4b", "a closed breaker, a failing fn"))
			goto fail;
	if (call_expect(c, b, d, EBUSY, "R4b", "right after the threshold-th failure"))
		return true;
fail:
	breaker_destroy(b);
	return false;
}

/* A thread that makes one breaker call and notes what it returned. */
struct caller {
	pthread_t thread;
	struct breaker *b;
	struct downstream *d;
	pthread_barrier_t *start;
	atomic_int result;		/* NOT_YET until the call returned */
	unsigned loops;			/* calls to make (the last result is kept) */
	atomic_uint busy;		/* EBUSY answers */
};

static void *caller_main(void *arg)
{
	struct caller *k = arg;

	pthread_barrier_wait(k->start);
	for (unsigned i = 0; i < k->loops; i++) {
		int err = breaker_call(k->b, downstream_fn, k->d);

		if (err == EBUSY)
			atomic_fetch_add_explicit(&k->busy, 1, RELAXED);
		if (i + 1 == k->loops)
			atomic_exchange_explicit(&k->result, err, RELAXED);
	}
	return NULL;
}

/* Starts n callers behind one barrier; returns how many started. */
static size_t callers_start(struct caller *k, size_t n, struct breaker *b, struct downstream *d,
			    pthread_barrier_t *start, unsigned loops)
{
	size_t i;

	for (i = 0; i < n; i++) {
		k[i].b = b;
		k[i].d = d;
		k[i].start = start;
		k[i].loops = loops;
		atomic_init(&k[i].result, NOT_YET);
		atomic_init(&k[i].busy, 0);
		if (pthread_create(&k[i].thread, NULL, caller_main, &k[i]))
			break;
	}
	return i;
}

/* Whether caller i of the array ctx has returned (a scenario_holds). */
static bool caller_returned(void *ctx, size_t i)
{
	struct caller *k = ctx;

	return atomic_load_explicit(&k[i].result, RELAXED) != NOT_YET;
}

/* ---- R4: closed, then open ---- */

static void breaker_opens_after_threshold(struct check *c, const struct scenario_env *env)
{
	/* Never three failures in a row, then three. */
	static const int pattern[] = { 0, EIO, EIO, 0, EIO, EIO, 0, EIO, 0 };
	struct breaker b;
	struct downstream d;
	int err;

	(void)env;
	downstream_init(&d, 0, 0);
	err = breaker_init(&b, 3, 10 * BILLION);
	if (err)
		return check_fail(c, "R4a", "breaker_init(threshold=3) returned %d; expected 0", err);
	for (size_t i = 0; i < sizeof(pattern) / sizeof(pattern[0]); i++) {
		char when[128];

		snprintf(when, sizeof(when), "call %zu of a closed breaker (threshold 3) whose fn "
			 "answered success and failure, never three failures in a row", i + 1);
		downstream_set(&d, pattern[i]);
		if (!call_expect(c, &b, &d, pattern[i], "R4a", when))
			goto out;
	}
	/* Two failures: still closed; the third opens it. */
	downstream_set(&d, EIO);
	for (int i = 0; i < 3; i++) {
		char when[128];

		snprintf(when, sizeof(when), "failure %d in a row (threshold 3)", i + 1);
		if (!call_expect(c, &b, &d, EIO, "R4b", when))
			goto out;
	}
	downstream_set(&d, 0);
	for (int i = 0; i < 5; i++) {
		char when[128];

		snprintf(when, sizeof(when), "call %d after the third failure in a row "
			 "(threshold 3, cool-down 10 s)", i + 1);
		if (!call_expect(c, &b, &d, EBUSY, "R4b", when))
			goto out;
	}
out:
	breaker_destroy(&b);
}

/* ---- R5: many callers ---- */

static void concurrent_failures_open_within_threshold(struct check *c,
						      const struct scenario_env *env)
{
	enum { THREADS = 8, THRESHOLD = 4 };
	struct caller k[THREADS];
	pthread_barrier_t start;
	struct breaker b;
	struct downstream d;
	unsigned loops = env->small ? 6 : 20, calls;
	size_t started;
	int err;

	downstream_init(&d, EIO, MS / 2);
	err = breaker_init(&b, THRESHOLD, 10 * BILLION);
	if (err)
		return check_fail(c, "R5", "breaker_init() returned %d; expected 0", err);
	pthread_barrier_init(&start, NULL, THREADS);
	started = callers_start(k, THREADS, &b, &d, &start, loops);
	if (started < THREADS) {
		/* The barrier can never fill: nobody started waits on it for ever. */
		check_fail(c, "R5", "harness set-up failed (pthread_create)");
		return;
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(k[i].thread, NULL);
	pthread_barrier_destroy(&start);
	calls = downstream_calls(&d);
	if (calls > THRESHOLD + THREADS - 1)
		check_fail(c, "R5", "%d threads called a breaker (threshold %d) %u times each "
			   "around a fn that always fails; fn ran %u times; expected at most %d "
			   "(the threshold, plus calls already let through when it opened)",
			   THREADS, THRESHOLD, loops, calls, THRESHOLD + THREADS - 1);
	else if (calls < THRESHOLD)
		check_fail(c, "R5", "%d threads called a breaker (threshold %d) around a fn that "
			   "always fails, and fn ran only %u times; expected at least %d before it "
			   "opened", THREADS, THRESHOLD, calls, THRESHOLD);
	else
		call_expect(c, &b, &d, EBUSY, "R5", "after the concurrent failures");
	breaker_destroy(&b);
}

/* ---- R6: half-open ---- */

static void half_open_lets_one_probe(struct check *c, const struct scenario_env *env)
{
	enum { THREADS = 6 };
	const uint64_t cooldown = short_cooldown_ns();
	struct caller k[THREADS];
	pthread_barrier_t start;
	struct breaker b;
	struct downstream d;
	size_t started, busy = 0, returned;
	unsigned base, probes;
	uint64_t deadline;

	(void)env;
	if (!open_breaker(c, &b, &d, 2, cooldown, "R6a"))
		return;
	world_sleep_ns(cooldown + 5 * MS);
	/* The probe will succeed, but only once the scenario lets it. */
	downstream_set(&d, 0);
	atomic_exchange_explicit(&d.hold, 1, RELAXED);
	base = downstream_calls(&d);
	pthread_barrier_init(&start, NULL, THREADS);
	started = callers_start(k, THREADS, &b, &d, &start, 1);
	if (started < THREADS) {
		check_fail(c, "R6a", "harness set-up failed (pthread_create)");
		goto out;
	}
	/* Until every caller has either returned or is held inside fn. */
	deadline = world_now_ns() + scenario_scaled_ns(0.5);
	while ((returned = scenario_count_holding(THREADS, caller_returned, k)) +
	       atomic_load_explicit(&d.inside, RELAXED) < THREADS && world_now_ns() < deadline)
		world_sleep_ns(MS);
	for (size_t i = 0; i < THREADS; i++)
		busy += atomic_load_explicit(&k[i].result, RELAXED) == EBUSY;
	probes = downstream_calls(&d) - base;
	if (probes > 1)
		check_fail(c, "R6a", "%u of %d threads calling a half-open breaker at once got "
			   "through to fn; expected exactly one probe, and EBUSY for the others",
			   probes, THREADS);
	else if (returned < THREADS - 1)
		check_fail(c, "R6a", "while the probe of a half-open breaker was in flight, only "
			   "%zu of the %d other callers had returned %.1f s later; expected EBUSY "
			   "at once for each", returned, THREADS - 1, 0.5 * scenario_timeout_factor());
	else if (busy != THREADS - 1 || probes != 1)
		check_fail(c, "R6a", "%d threads called a half-open breaker at once: fn ran %u "
			   "times and %zu calls returned EBUSY; expected one probe and %d EBUSY",
			   THREADS, probes, busy, THREADS - 1);
	atomic_exchange_explicit(&d.hold, 0, RELAXED);
	for (size_t i = 0; i < started; i++)
		pthread_join(k[i].thread, NULL);
	pthread_barrier_destroy(&start);
	if (c->failed)
		goto out;
	/* The probe succeeded: closed, every call goes through. */
	for (int i = 0; i < 3; i++)
		if (!call_expect(c, &b, &d, 0, "R6b", "after a successful probe"))
			break;
out:
	breaker_destroy(&b);
}

static void failed_probe_reopens(struct check *c, const struct scenario_env *env)
{
	const uint64_t cooldown = short_cooldown_ns();
	struct breaker b;
	struct downstream d;

	(void)env;
	if (!open_breaker(c, &b, &d, 2, cooldown, "R6b"))
		return;
	world_sleep_ns(cooldown + 5 * MS);
	downstream_set(&d, EIO);
	if (!call_expect(c, &b, &d, EIO, "R6a", "the first call once the cool-down has passed "
			 "(the probe), fn failing"))
		goto out;
	downstream_set(&d, 0);
	for (int i = 0; i < 3; i++)
		if (!call_expect(c, &b, &d, EBUSY, "R6b", "right after a failed probe (the breaker "
				 "must open again for a full cool-down)"))
			goto out;
	world_sleep_ns(cooldown + 5 * MS);
	probe_closes(c, &b, &d, "a cool-down after the failed probe (the next probe), fn "
		     "succeeding");
out:
	breaker_destroy(&b);
}

/*
 * R6b's reset, over two cycles: after a successful probe the count starts at
 * zero (threshold - 1 failures leave the breaker closed), the threshold-th
 * failure opens it again, and the next cool-down ends in a probe again.
 */
static void second_cycle_after_probe(struct check *c, const struct scenario_env *env)
{
	enum { THRESHOLD = 3 };
	const uint64_t cooldown = short_cooldown_ns();
	struct breaker b;
	struct downstream d;
	char when[160];

	(void)env;
	if (!open_breaker(c, &b, &d, THRESHOLD, cooldown, "R6b"))
		return;
	world_sleep_ns(cooldown + 5 * MS);
	downstream_set(&d, 0);
	if (!call_expect(c, &b, &d, 0, "R6a", "the first call once the cool-down has passed "
			 "(the probe), fn succeeding"))
		goto out;
	downstream_set(&d, EIO);
	for (int i = 0; i < THRESHOLD - 1; i++) {
		snprintf(when, sizeof(when), "failure %d after a successful probe (threshold %d; "
			 "the probe closed the breaker with its count at zero)", i + 1, THRESHOLD);
		if (!call_expect(c, &b, &d, EIO, "R6b", when))
			goto out;
	}
	downstream_set(&d, 0);
	snprintf(when, sizeof(when), "after a successful probe and then %d failures (threshold "
		 "%d: still closed)", THRESHOLD - 1, THRESHOLD);
	if (!call_expect(c, &b, &d, 0, "R6b", when))
		goto out;
	downstream_set(&d, EIO);
	for (int i = 0; i < THRESHOLD; i++) {
		snprintf(when, sizeof(when), "failure %d in a row (threshold %d) after the breaker "
			 "closed on a successful probe", i + 1, THRESHOLD);
		if (!call_expect(c, &b, &d, EIO, "R4b", when))
			goto out;
	}
	downstream_set(&d, 0);
	if (!call_expect(c, &b, &d, EBUSY, "R4b", "right after the breaker opened a second time"))
		goto out;
	world_sleep_ns(cooldown + 5 * MS);
	if (!call_expect(c, &b, &d, 0, "R6a", "the first call once the second cool-down has "
			 "passed (the second probe), fn succeeding"))
		goto out;
	call_expect(c, &b, &d, 0, "R6b", "after the second successful probe");
out:
	breaker_destroy(&b);
}

/*
 * A straggler: one call let through while b was closed, held inside fn (its
 * own downstream s, answering `answer`) until the scenario releases it.
 * True once it is inside fn; false, with the check failed, when it could
 * not be started or did not get there (then it has been released and
 * joined).
 */
static bool straggler_start(struct check *c, struct caller *k, pthread_barrier_t *start,
			    struct breaker *b, struct downstream *s, int answer)
{
	uint64_t deadline;

	downstream_init(s, answer, 0);
	atomic_exchange_explicit(&s->hold, 1, RELAXED);
	pthread_barrier_init(start, NULL, 1);
	if (callers_start(k, 1, b, s, start, 1) < 1) {
		pthread_barrier_destroy(start);
		check_fail(c, "R5", "harness set-up failed (pthread_create)");
		return false;
	}
	deadline = world_now_ns() + scenario_scaled_ns(1.0);
	while (atomic_load_explicit(&s->inside, RELAXED) < 1 && world_now_ns() < deadline &&
	       atomic_load_explicit(&k->result, RELAXED) == NOT_YET)
		world_sleep_ns(MS);
	if (atomic_load_explicit(&s->inside, RELAXED) == 1)
		return true;
	check_fail(c, "R4a", "a call to a closed breaker (no failure yet) had not reached fn "
		   "%.1f s later (it returned %d); expected fn called",
		   1.0 * scenario_timeout_factor(), atomic_load_explicit(&k->result, RELAXED));
	atomic_exchange_explicit(&s->hold, 0, RELAXED);
	pthread_join(k->thread, NULL);
	pthread_barrier_destroy(start);
	return false;
}

/* Lets the straggler return, and joins it. */
static void straggler_end(struct caller *k, pthread_barrier_t *start, struct downstream *s)
{
	atomic_exchange_explicit(&s->hold, 0, RELAXED);
	pthread_join(k->thread, NULL);
	pthread_barrier_destroy(start);
}

/*
 * R5's stragglers: a call let through while the breaker was closed that
 * returns after it opened changes nothing. Its success does not close the
 * breaker (the next call is still EBUSY, R4b); its failure does not open it
 * again (the cool-down still ends `cooldown` after the breaker opened, and
 * the next call then is the probe, R6a).
 */
static void stragglers_change_nothing(struct check *c, const struct scenario_env *env)
{
	const uint64_t cooldown = 300 * MS;
	pthread_barrier_t start;
	struct caller k[1];
	struct breaker b;
	struct downstream d, s;
	uint64_t opened, back, now;
	int err;

	(void)env;
	/* A late success, on a breaker with a 10 s cool-down. */
	downstream_init(&d, EIO, 0);
	err = breaker_init(&b, 2, 10 * BILLION);
	if (err)
		return check_fail(c, "R5", "breaker_init() returned %d; expected 0", err);
	if (!straggler_start(c, k, &start, &b, &s, 0))
		goto out;
	for (int i = 0; i < 2 && !c->failed; i++)
		call_expect(c, &b, &d, EIO, "R4b", "a failure in a row (threshold 2) while another "
			    "call was still in fn");
	if (!c->failed)
		call_expect(c, &b, &d, EBUSY, "R4b", "right after the second failure in a row "
			    "(threshold 2, cool-down 10 s)");
	straggler_end(k, &start, &s);
	if (c->failed)
		goto out;
	downstream_set(&d, 0);
	if (!call_expect(c, &b, &d, EBUSY, "R5", "the breaker opened (cool-down 10 s) while "
			 "a call let through before was in fn; that call then returned 0, and "
			 "its success must not close the breaker"))
		goto out;
	breaker_destroy(&b);

	/* A late failure, threshold 1, cool-down 0.3 s. */
	downstream_init(&d, EIO, 0);
	err = breaker_init(&b, 1, cooldown);
	if (err)
		return check_fail(c, "R5", "breaker_init() returned %d; expected 0", err);
	if (!straggler_start(c, k, &start, &b, &s, EIO))
		goto out;
	call_expect(c, &b, &d, EIO, "R4b", "a failure (threshold 1) while another call was "
		    "still in fn");
	opened = world_now_ns();
	if (!c->failed)
		call_expect(c, &b, &d, EBUSY, "R4b", "right after the breaker opened "
			    "(threshold 1, cool-down 0.3 s)");
	if (!c->failed)
		world_sleep_ns(cooldown / 2);
	straggler_end(k, &start, &s);
	back = world_now_ns();
	if (c->failed)
		goto out;
	now = world_now_ns();
	if (now < opened + cooldown + 10 * MS)
		world_sleep_ns(opened + cooldown + 10 * MS - now);
	now = world_now_ns();
	downstream_set(&d, 0);
	{
		char when[240];

		snprintf(when, sizeof(when), "%.0f ms after the breaker opened (cool-down 300 ms), "
			 "a call let through before it opened having failed %.0f ms after it "
			 "opened (its failure must not open it again): the probe, fn succeeding",
			 ms_of(now - opened), ms_of(back - opened));
		call_expect(c, &b, &d, 0, "R5", when);
	}
out:
	breaker_destroy(&b);
}

/* ---- R7: the cool-down and the wall clock ---- */

static void cooldown_ignores_the_wall_clock(struct check *c, const struct scenario_env *env)
{
	const uint64_t cooldown = short_cooldown_ns();
	const int64_t hour = 3600 * (int64_t)BILLION;
	struct breaker b;
	struct downstream d;

	(void)env;
	if (!open_breaker(c, &b, &d, 1, cooldown, "R7"))
		return;
	downstream_set(&d, 0);
	perturb_wallclock_step(hour);
	call_expect(c, &b, &d, EBUSY, "R7", "the wall clock set an hour forwards right after "
		    "the breaker opened (cool-down 0.1 s)");
	perturb_wallclock_step(-hour);
	if (c->failed)
		goto out;
	perturb_wallclock_step(-hour);
	world_sleep_ns(cooldown + 5 * MS);
	call_expect(c, &b, &d, 0, "R7", "the cool-down passed while the wall clock was set an "
		    "hour back (the probe, fn succeeding)");
	perturb_wallclock_step(hour);
out:
	breaker_destroy(&b);
}

/*
 * R6a with a cool-down longer than a scenario can wait (30 s): the
 * monotonic clock is stepped forwards (perturb.h's warp), as a machine that
 * slept would show it. The breaker still fails fast 20 s in, and lets the
 * probe through once the 30 s have passed.
 */
static void long_cooldown_then_probe_armed(struct check *c, const struct scenario_env *env)
{
	struct breaker b;
	struct downstream d;

	(void)env;
	if (!open_breaker(c, &b, &d, 2, 30 * (uint64_t)BILLION, "R6a"))
		return;
	downstream_set(&d, 0);
	perturb_monotonic_step(20 * (int64_t)BILLION);
	if (!call_expect(c, &b, &d, EBUSY, "R6a", "20 s into a 30 s cool-down"))
		goto out;
	perturb_monotonic_step(15 * (int64_t)BILLION);
	probe_closes(c, &b, &d, "35 s after the breaker opened (cool-down 30 s; the probe, fn "
		     "succeeding)");
out:
	breaker_destroy(&b);
}

/* The round above with the warp armed, then disarmed for the scenarios after it. */
static void long_cooldown_then_probe(struct check *c, const struct scenario_env *env)
{
	perturb_warp_arm();
	long_cooldown_then_probe_armed(c, env);
	perturb_warp_disarm();
}

/* ---- R8: arguments, and a worker that cannot start ---- */

static bool failed_start_stops_workers(struct check *c, int started);

static void bad_arguments_start_nothing(struct check *c, const struct scenario_env *env)
{
	static const struct { unsigned workers; size_t capacity; unsigned threshold; } cases[] = {
		{ 0, 4, 3 }, { 2, 0, 3 }, { 2, 4, 0 },
	};
	struct breaker b;
	int before = census_threads(), err;

	(void)env;
	err = breaker_init(&b, 0, BILLION);
	if (err != EINVAL) {
		if (err == 0)
			breaker_destroy(&b);
		return check_fail(c, "R8", "breaker_init(threshold=0) returned %d; expected EINVAL "
				  "(%d)", err, EINVAL);
	}
	if (stats_rpc_reset(MS, 4))
		return check_fail(c, "R8", "harness set-up failed (memory)");
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct intake in;
		struct intake_report rep;

		err = intake_start(&in, cases[k].workers, cases[k].capacity, cases[k].threshold,
				   BILLION);
		if (err != EINVAL) {
			check_fail(c, "R8", "intake_start(workers=%u, capacity=%zu, threshold=%u) "
				   "returned %d; expected EINVAL (%d)", cases[k].workers,
				   cases[k].capacity, cases[k].threshold, err, EINVAL);
			if (err == 0)
				intake_stop(&in, &rep);
			return;
		}
		if (census_settle(before, 10) > before)
			return check_fail(c, "R8", "intake_start(workers=%u, capacity=%zu, "
					  "threshold=%u) returned EINVAL and left %d threads running",
					  cases[k].workers, cases[k].capacity, cases[k].threshold,
					  census_threads() - before);
	}
	/*
	 * The first, second, third or fourth worker cannot start: EAGAIN, as
	 * when the system is out of threads. The workers that did start linger 100 ms
	 * after they return, so that one detached, or never joined, is still
	 * running when intake_start() returns.
	 */
	for (int started = 0; started <= 3; started++) {
		if (!failed_start_stops_workers(c, started))
			return;
	}
}

/*
 * One intake_start(workers=4) whose pthread_create() fails after `started`
 * calls succeeded: EAGAIN back, and no thread running at its return. The
 * intake lives on the heap and is left allocated when threads outlived the
 * call (they may still use it). False when the check failed.
 */
static bool failed_start_stops_workers(struct check *c, int started)
{
	static const char *const nth[] = { "first", "second", "third", "fourth", "fifth" };
	struct intake *in = calloc(1, sizeof(*in));
	struct intake_report rep;
	struct census_span span;
	int err;

	if (!in) {
		check_fail(c, "R8", "harness set-up failed (memory)");
		return false;
	}
	perturb_linger_threads(100 * MS);
	census_span_start(&span);
	if (started)
		perturb_fail_create_after(started);
	else
		perturb_fail_create_next();
	err = intake_start(in, 4, 4, 3, BILLION);
	perturb_fail_create_after(0);
	census_span_end(&span);
	perturb_linger_threads(0);
	if (err != EAGAIN) {
		check_fail(c, "R8", "intake_start(workers=4) returned %d when its %s "
			   "pthread_create() failed with EAGAIN; expected that error (%d)", err,
			   nth[started], EAGAIN);
		if (err == 0) {
			intake_stop(in, &rep);
			free(in);
		}
		return false;
	}
	if (span.at_return > span.before) {
		check_fail(c, "R8", "intake_start() returned EAGAIN after its %s worker could "
			   "not start, and %d of the %d workers it did start were still running "
			   "when it returned; expected them stopped and joined first",
			   nth[started], span.at_return - span.before, started);
		if (!census_span_outlived(&span))
			free(in);
		return false;
	}
	free(in);
	return true;
}

CHAPTER_SCENARIOS(
	SCENARIO(full_queue_sheds_at_once, "R1a R1b"),
	SCENARIO(accepted_sent_once_shed_never, "R2a R2b"),
	SCENARIO(failing_service_is_cut_off, "R2b R4b"),
	SCENARIO(latency_bounded_under_overload, "R3"),
	SCENARIO(breaker_opens_after_threshold, "R4a R4b"),
	SCENARIO(concurrent_failures_open_within_threshold, "R5"),
	SCENARIO(half_open_lets_one_probe, "R6a R6b"),
	SCENARIO(failed_probe_reopens, "R6a R6b"),
	SCENARIO(long_cooldown_then_probe, "R6a R6b"),
	SCENARIO(second_cycle_after_probe, "R4b R6a R6b"),
	SCENARIO(stragglers_change_nothing, "R5 R4b R6a"),
	SCENARIO(cooldown_ignores_the_wall_clock, "R7"),
	SCENARIO(bad_arguments_start_nothing, "R8")
);
