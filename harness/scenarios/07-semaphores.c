/*
 * 07-semaphores.c - scenarios for chapter 07 (permits.h)
 *
 * The first scenarios drive the semaphore alone. They force the schedules
 * they need instead of hoping for them: a thread counts as blocked once
 * /proc shows it asleep several times in a row, and the race for the last
 * permit is set up by holding the semaphore's own lock while two threads
 * arrive. The other scenarios run one screening batch each, on fresh
 * simulated services, in a helper thread, so that a batch that never ends
 * is reported in words instead of by the watchdog.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "clock.h"
#include "permits.h"
#include "perturb.h"
#include "scenario.h"

#define MS 1000000u
#define RELAXED memory_order_relaxed

/* Nanoseconds to wait for something that normally takes milliseconds. */
static uint64_t patience_ns(double seconds)
{
	return (uint64_t)(seconds * scenario_timeout_factor() * 1e9);
}

/*
 * A thread that takes one permit. The harness shares only atomics written by
 * read-modify-write operations with it, so it adds no happens-before edge
 * the race tools could mistake for the learner's synchronisation.
 */
struct acquirer {
	struct semaphore *sem;
	pthread_t thread;
	atomic_int tid;		/* 0 until the thread runs */
	atomic_int returned;	/* 1 once semaphore_acquire() has returned */
	bool started;
};

static void *acquirer_main(void *arg)
{
	struct acquirer *a = arg;

	atomic_exchange_explicit(&a->tid, (int)syscall(SYS_gettid), RELAXED);
	semaphore_acquire(a->sem);
	atomic_exchange_explicit(&a->returned, 1, RELAXED);
	return NULL;
}

/*
 * Starts k acquirers of sem. False, with the check failed for clause, when
 * a thread could not be started (the ones that did are marked started).
 */
static bool acquirers_start(struct check *c, const char *clause, struct acquirer *a, size_t k,
			    struct semaphore *sem)
{
	size_t started = 0;

	for (size_t i = 0; i < k; i++) {
		a[i].sem = sem;
		atomic_init(&a[i].tid, 0);
		atomic_init(&a[i].returned, 0);
		a[i].started = pthread_create(&a[i].thread, NULL, acquirer_main, &a[i]) == 0;
		started += a[i].started;
	}
	if (started != k)
		check_fail(c, clause, "pthread_create() failed in the harness");
	return started == k;
}

static size_t acquirers_returned(struct acquirer *a, size_t k)
{
	size_t n = 0;

	for (size_t i = 0; i < k; i++)
		n += atomic_load_explicit(&a[i].returned, RELAXED) != 0;
	return n;
}

/*
 * Waits until every acquirer has returned or is asleep (blocked in the
 * semaphore), seen on three polls in a row, 1 ms apart. Gives up after
 * `seconds` (times the timeout factor); returns whether they settled.
 */
static bool acquirers_settle(struct acquirer *a, size_t k, double seconds)
{
	uint64_t deadline = world_now_ns() + patience_ns(seconds);
	int calm = 0;

	while (world_now_ns() < deadline) {
		bool all = true;

		for (size_t i = 0; i < k && all; i++) {
			int tid = atomic_load_explicit(&a[i].tid, RELAXED);

			all = atomic_load_explicit(&a[i].returned, RELAXED) ||
			      !a[i].started || (tid && census_thread_state(tid) == 'S');
		}
		calm = all ? calm + 1 : 0;
		if (calm == 3)
			return true;
		world_sleep_ns(1 * MS);
	}
	return false;
}

/* Waits until at least `want` acquirers have returned; false after `seconds`. */
static bool acquirers_await(struct acquirer *a, size_t k, size_t want, double seconds)
{
	uint64_t deadline = world_now_ns() + patience_ns(seconds);

	while (acquirers_returned(a, k) < want) {
		if (world_now_ns() >= deadline)
			return false;
		world_sleep_ns(1 * MS);
	}
	return true;
}

/* A semaphore on the heap, so that it can outlive a scenario if it must. */
static struct semaphore *semaphore_new(unsigned count)
{
	struct semaphore *sem = malloc(sizeof(*sem));

	if (sem && semaphore_init(sem, count) != 0) {
		free(sem);
		return NULL;
	}
	return sem;
}

static void semaphore_free(struct semaphore *sem)
{
	semaphore_destroy(sem);
	free(sem);
}

/*
 * A semaphore of `count` permits (semaphore_new) and k acquirers for it,
 * not started. Returns the acquirers, and the semaphore in *sem; NULL, with
 * the check failed for clause and nothing left allocated, when either could
 * not be made.
 */
static struct acquirer *acquirers_new(struct check *c, const char *clause, unsigned count,
				      size_t k, struct semaphore **sem)
{
	struct acquirer *a = calloc(k, sizeof(*a));

	*sem = semaphore_new(count);
	if (!*sem || !a) {
		if (*sem)
			semaphore_free(*sem);
		free(a);
		check_fail(c, clause, "semaphore_init() failed in the harness");
		return NULL;
	}
	return a;
}
/*
 * Releases `extra` permits so that every acquirer can return, joins them,
 * and frees a and sem. A thread that still has not returned after a second
 * is left running, and then a and sem stay allocated. (Only threads known
 * to have returned are joined, with pthread_join, which the race tools
 * understand.)
 */
static void acquirers_finish(struct acquirer *a, size_t k, struct semaphore *sem, size_t extra)
{
	bool all = true;

	for (size_t i = 0; i < extra; i++)
		semaphore_release(sem);
	acquirers_await(a, k, k, 1.0);
	for (size_t i = 0; i < k; i++) {
		if (!a[i].started)
			continue;
		if (atomic_load_explicit(&a[i].returned, RELAXED)) {
			pthread_join(a[i].thread, NULL);
		} else {
			pthread_detach(a[i].thread);
			all = false;
		}
	}
	if (all) {
		semaphore_free(sem);
		free(a);
	}
}


static void permits_are_counted(struct check *c, const struct scenario_env *env)
{
	struct semaphore *sem = semaphore_new(3), *none = semaphore_new(0);
	unsigned v;

	(void)env;
	if (!sem || !none)
		return check_fail(c, "R1", "semaphore_init() failed in the harness");
	v = semaphore_value(sem);
	if (v != 3) {
		check_fail(c, "R1", "semaphore_value() is %u right after semaphore_init(s, 3); "
			   "expected 3", v);
		goto out;
	}
	for (unsigned taken = 1; taken <= 3; taken++) {
		semaphore_acquire(sem);
		v = semaphore_value(sem);
		if (v != 3 - taken) {
			check_fail(c, "R1", "semaphore_value() is %u after %u acquires on a "
				   "semaphore of 3; expected %u", v, taken, 3 - taken);
			goto out;
		}
	}
	semaphore_release(sem);
	semaphore_release(sem);
	v = semaphore_value(sem);
	if (v != 2) {
		check_fail(c, "R1", "semaphore_value() is %u after 3 acquires and 2 releases "
			   "on a semaphore of 3; expected 2", v);
		goto out;
	}
	v = semaphore_value(none);
	if (v != 0)
		check_fail(c, "R1", "semaphore_value() is %u right after semaphore_init(s, 0); "
			   "expected 0", v);
out:
	semaphore_free(sem);
	semaphore_free(none);
}

static void acquire_blocks_until_release(struct check *c, const struct scenario_env *env)
{
	struct semaphore *sem;
	struct acquirer *a;
	size_t k = 3, released = 0, got;
	unsigned v;

	(void)env;
	a = acquirers_new(c, "R2a", 0, k, &sem);
	if (!a)
		return;
	if (!acquirers_start(c, "R2a", a, k, sem))
		goto out;
	acquirers_settle(a, k, 1.0);
	got = acquirers_returned(a, k);
	if (got) {
		check_fail(c, "R2a", "%zu of 3 threads returned from semaphore_acquire() on a "
			   "semaphore created with 0 permits and never released; expected "
			   "all 3 to block", got);
		goto out;
	}
	semaphore_release(sem);
	released++;
	if (!acquirers_await(a, k, 1, 1.0)) {
		check_fail(c, "R2a", "after one semaphore_release(), none of the 3 blocked "
			   "threads continued within 1 s; expected one to wake up with the "
			   "permit (a release that wakes nobody?)");
		goto out;
	}
	acquirers_settle(a, k, 1.0);
	got = acquirers_returned(a, k);
	if (got != 1) {
		check_fail(c, "R2a", "one semaphore_release() let %zu of the 3 blocked threads "
			   "return from semaphore_acquire(); expected exactly 1 (a woken "
			   "thread must check again that a permit is still free)", got);
		goto out;
	}
	semaphore_release(sem);
	semaphore_release(sem);
	released += 2;
	if (!acquirers_await(a, k, 3, 1.0)) {
		check_fail(c, "R2a", "3 releases let only %zu of the 3 blocked threads "
			   "continue within 1 s; expected all 3 (a lost wake-up?)",
			   acquirers_returned(a, k));
		goto out;
	}
	v = semaphore_value(sem);
	if (v != 0)
		check_fail(c, "R2a", "semaphore_value() is %u after 3 releases taken by 3 "
			   "waiters; expected 0", v);
out:
	acquirers_finish(a, k, sem, k - released);
}

/*
 * R2a for as long as no permit comes, with the clocks moved on by hours: an
 * acquire that gives up after a timeout (a "safety" deadline) returns
 * without a permit. The wall clock is set an hour back just before the
 * thread starts, so a deadline it computes from CLOCK_REALTIME is already
 * past for the kernel (as when the clock jumps forwards between reading it
 * and waiting); then, once it is blocked, the monotonic clock is stepped
 * forwards by two hours (perturb.h's warp, as a machine that slept would
 * show it), which ends any wait on a monotonic deadline.
 */
static void blocked_acquire_never_gives_up(struct check *c, const struct scenario_env *env)
{
	const int64_t hour = 3600 * 1000 * (int64_t)MS;
	struct semaphore *sem;
	struct acquirer *a;
	size_t k = 2, released = 0, got;

	(void)env;
	a = acquirers_new(c, "R2a", 0, k, &sem);
	if (!a)
		return;
	perturb_warp_arm();
	perturb_wallclock_step(-hour);
	if (!acquirers_start(c, "R2a", a, k, sem))
		goto out;
	acquirers_settle(a, k, 1.0);
	world_sleep_ns(20 * MS);
	perturb_monotonic_step(2 * hour);
	world_sleep_ns(scenario_scaled_ns(0.3));
	acquirers_settle(a, k, 1.0);
	got = acquirers_returned(a, k);
	if (got)
		check_fail(c, "R2a", "%zu of 2 threads returned from semaphore_acquire() on a "
			   "semaphore created with 0 permits and never released, once the clocks "
			   "had moved on by 2 hours (semaphore_value() is %u); expected both "
			   "still blocked: an acquire returns only with a permit, however long "
			   "it waits (no timeout)", got, semaphore_value(sem));
out:
	perturb_warp_disarm();
	perturb_wallclock_step(hour);
	acquirers_finish(a, k, sem, k - released);
}

/* CPU time of the whole process so far, in ms. */
static double process_cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/*
 * Three threads blocked on a semaphore with no permit for 400 ms: the process
 * must stay nearly idle (R2b says under 60 ms of CPU time). An acquire that
 * polls the count instead of sleeping on a wait keeps cores busy.
 */
static void blocked_acquire_sleeps(struct check *c, const struct scenario_env *env)
{
	struct semaphore *sem;
	struct acquirer *a;
	size_t k = 3, released = 0;
	double cpu_ms;

	(void)env;
	a = acquirers_new(c, "R2b", 0, k, &sem);
	if (!a)
		return;
	if (!acquirers_start(c, "R2b", a, k, sem))
		goto out;
	acquirers_settle(a, k, 0.2);
	cpu_ms = process_cpu_ms();
	world_sleep_ns(400 * MS);
	cpu_ms = process_cpu_ms() - cpu_ms;
	if (cpu_ms >= 60)
		check_fail(c, "R2b", "3 threads blocked in semaphore_acquire() for 400 ms cost "
			   "%.0f ms of CPU time; expected under 60 ms: a blocked acquire must "
			   "sleep on a wait, not poll the count", cpu_ms);
	for (; released < k; released++)
		semaphore_release(sem);
	acquirers_await(a, k, k, 1.0);
out:
	acquirers_finish(a, k, sem, k - released);
}

static void last_permit_goes_to_one_thread(struct check *c, const struct scenario_env *env)
{
	struct semaphore *sem;
	struct acquirer *a;
	size_t k = 2, released = 0, got;

	(void)env;
	a = acquirers_new(c, "R3", 1, k, &sem);
	if (!a)
		return;
	/*
	 * Hold the semaphore's lock, as a thread in the middle of a release
	 * would, while both threads arrive for the one free permit.
	 */
	pthread_mutex_lock(&sem->lock);
	if (!acquirers_start(c, "R3", a, k, sem)) {
		pthread_mutex_unlock(&sem->lock);
		goto out;
	}
	acquirers_settle(a, k, 1.0);
	pthread_mutex_unlock(&sem->lock);
	if (!acquirers_await(a, k, 1, 1.0)) {
		check_fail(c, "R3", "neither of 2 threads got the one free permit within 1 s "
			   "of asking for it");
		goto out;
	}
	acquirers_settle(a, k, 1.0);
	got = acquirers_returned(a, k);
	if (got != 1) {
		check_fail(c, "R3", "2 threads asked at the same moment for the last permit "
			   "of a semaphore created with 1, and both returned from "
			   "semaphore_acquire() (semaphore_value() is now %u); expected one "
			   "to get it and the other to block until a release",
			   semaphore_value(sem));
		goto out;
	}
	semaphore_release(sem);
	released++;
	if (!acquirers_await(a, k, 2, 1.0))
		check_fail(c, "R3", "the second thread did not get the permit released by "
			   "the first within 1 s");
out:
	acquirers_finish(a, k, sem, k - released);
}

/* Threads that take and return permits over and over, counting holders. */
struct churn {
	struct semaphore *sem;
	unsigned count;
	unsigned rounds;
	atomic_uint holders;
	atomic_uint most_holders;
	atomic_uint finished;
};

static void *churn_main(void *arg)
{
	struct churn *ch = arg;

	for (unsigned i = 0; i < ch->rounds; i++) {
		unsigned now, seen;

		semaphore_acquire(ch->sem);
		now = atomic_fetch_add_explicit(&ch->holders, 1, RELAXED) + 1;
		seen = atomic_load_explicit(&ch->most_holders, RELAXED);
		while (now > seen &&
		       !atomic_compare_exchange_weak_explicit(&ch->most_holders, &seen, now,
							      RELAXED, RELAXED))
			;
		world_sleep_ns(20000);
		atomic_fetch_sub_explicit(&ch->holders, 1, RELAXED);
		semaphore_release(ch->sem);
	}
	atomic_fetch_add_explicit(&ch->finished, 1, RELAXED);
	return NULL;
}

/*
 * Runs nthreads churn threads on a semaphore of `count` until they are done;
 * meanwhile the calling thread samples semaphore_value() when sample is set,
 * and *highest gets the highest value seen. Returns false if a thread could
 * not be started or joined (then the semaphore must be left alone).
 */
static bool churn_run(struct churn *ch, unsigned nthreads, bool sample, unsigned *highest)
{
	pthread_t tids[8];
	unsigned started = 0;
	uint64_t deadline = world_now_ns() + patience_ns(1.5);

	*highest = 0;
	for (; started < nthreads && started < 8; started++)
		if (pthread_create(&tids[started], NULL, churn_main, ch) != 0)
			break;
	while (atomic_load_explicit(&ch->finished, RELAXED) < started &&
	       world_now_ns() < deadline) {
		if (sample) {
			unsigned v = semaphore_value(ch->sem);

			if (v > *highest)
				*highest = v;
		}
		world_sleep_ns(sample ? 100000 : 1 * MS);
	}
	if (atomic_load_explicit(&ch->finished, RELAXED) < started) {
		for (unsigned i = 0; i < started; i++)
			pthread_detach(tids[i]);
		return false;
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return started == nthreads;
}

/* A churn on the heap, so that it can outlive a scenario if it must. */
static struct churn *churn_new(unsigned count, unsigned rounds)
{
	struct churn *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->count = count;
	ch->rounds = rounds;
	ch->sem = semaphore_new(count);
	if (!ch->sem) {
		free(ch);
		return NULL;
	}
	return ch;
}

/* Frees ch, unless its threads could not be joined (they may still use it). */
static void churn_free(struct churn *ch, bool done)
{
	if (!done)
		return;
	semaphore_free(ch->sem);
	free(ch);
}

static void holders_never_exceed_count(struct check *c, const struct scenario_env *env)
{
	struct churn *ch = churn_new(2, env->small ? 40 : 200);
	unsigned highest, most;
	bool done;

	if (!ch)
		return check_fail(c, "R3", "semaphore_init() failed in the harness");
	done = churn_run(ch, 4, false, &highest);
	most = atomic_load_explicit(&ch->most_holders, RELAXED);
	if (!done)
		check_fail(c, "R3", "4 threads taking and returning permits of a semaphore "
			   "of 2, %u times each, were not done after 1.5 s (a lost wake-up?)",
			   ch->rounds);
	else if (most > ch->count)
		check_fail(c, "R3", "%u threads held a permit at the same moment, on a "
			   "semaphore created with %u", most, ch->count);
	else if (semaphore_value(ch->sem) != ch->count)
		check_fail(c, "R3", "semaphore_value() is %u after every acquire was "
			   "released; expected %u", semaphore_value(ch->sem), ch->count);
	churn_free(ch, done);
}

static void value_can_be_read_any_time(struct check *c, const struct scenario_env *env)
{
	struct churn *ch = churn_new(3, env->small ? 40 : 200);
	unsigned highest;
	bool done;

	if (!ch)
		return check_fail(c, "R4", "semaphore_init() failed in the harness");
	done = churn_run(ch, 4, true, &highest);
	if (!done)
		check_fail(c, "R4", "4 threads taking and returning permits of a semaphore "
			   "of 3, %u times each, were not done after 1.5 s", ch->rounds);
	else if (highest > ch->count)
		check_fail(c, "R4", "semaphore_value() returned %u while threads took and "
			   "returned permits of a semaphore created with %u; it must stay "
			   "between 0 and %u", highest, ch->count, ch->count);
	else if (semaphore_value(ch->sem) != ch->count)
		check_fail(c, "R4", "semaphore_value() is %u after every acquire was "
			   "released; expected %u", semaphore_value(ch->sem), ch->count);
	churn_free(ch, done);
}

/* ---- the screening batch ---- */

struct batch_run {
	struct record *subs;
	size_t n;
	unsigned nthreads, max_calls;
	struct screening_report report;
	int ret;
	int threads_before, threads_after;
	uint64_t elapsed_ns;
	bool finished;		/* screen_submissions() returned in time */
	pthread_t runner;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool done;		/* under lock: the runner is done */
};

static void *batch_runner(void *arg)
{
	struct batch_run *run = arg;
	uint64_t start = world_now_ns();
	int ret = screen_submissions(run->subs, run->n, run->nthreads, run->max_calls,
				     &run->report);

	pthread_mutex_lock(&run->lock);
	run->ret = ret;
	run->elapsed_ns = world_now_ns() - start;
	run->done = true;
	pthread_cond_signal(&run->changed);
	pthread_mutex_unlock(&run->lock);
	return NULL;
}

/*
 * Runs one batch of n submissions, with calls failing for the ids that are
 * multiples of fail_every (0: none), and waits up to 1.5 s (times the
 * timeout factor) for it. Returns NULL on a harness error.
 */
static struct batch_run *batch_start(size_t n, unsigned nthreads, unsigned max_calls,
				     uint64_t call_ns, uint64_t file_ns, size_t fail_every)
{
	struct batch_run *run = calloc(1, sizeof(*run));
	struct timespec until;
	uint64_t ns;

	if (!run)
		return NULL;
	run->n = n;
	run->nthreads = nthreads;
	run->max_calls = max_calls;
	run->subs = calloc(n + 1, sizeof(*run->subs));
	if (!run->subs) {
		free(run);
		return NULL;
	}
	records_generate(run->subs, n, 0x5e7a + n);
	ai_model_fail_every = fail_every;
	safety_desk_reset();
	if (service_init(&ai_model, "the AI model", call_ns, max_calls, n) ||
	    service_init(&safety_desk, "the safety desk", file_ns, SERVICE_NO_LIMIT, n))
		return NULL;
	run->report = (struct screening_report){ 12345, 54321, 999 };
	pthread_mutex_init(&run->lock, NULL);
	pthread_cond_init(&run->changed, NULL);
	run->threads_before = census_threads();
	if (pthread_create(&run->runner, NULL, batch_runner, run) != 0)
		return NULL;

	clock_gettime(CLOCK_REALTIME, &until);
	ns = (uint64_t)until.tv_sec * 1000000000u + (uint64_t)until.tv_nsec + patience_ns(1.5);
	until.tv_sec = (time_t)(ns / 1000000000u);
	until.tv_nsec = (long)(ns % 1000000000u);
	pthread_mutex_lock(&run->lock);
	while (!run->done)
		if (pthread_cond_timedwait(&run->changed, &run->lock, &until) == ETIMEDOUT)
			break;
	run->finished = run->done;
	pthread_mutex_unlock(&run->lock);
	if (run->finished) {
		pthread_join(run->runner, NULL);
		/* At once: only the kernel's moment to drop joined threads (R10). */
		run->threads_after = census_settle(run->threads_before, 20);
	} else {
		pthread_detach(run->runner);
	}
	return run;
}

/*
 * Frees what the batch used (nothing when run is NULL), unless it is still
 * running or threads of the learner's code are: those may still read the
 * submissions and call the services, so everything is left allocated for
 * the rest of this process.
 */
static void batch_finish(struct batch_run *run)
{
	if (!run || !run->finished || census_threads() > run->threads_before)
		return;
	service_destroy(&ai_model);
	service_destroy(&safety_desk);
	pthread_mutex_destroy(&run->lock);
	pthread_cond_destroy(&run->changed);
	free(run->subs);
	free(run);
}

/*
 * Fails c with clause when batch_start() ran out of memory (run NULL) or
 * the batch did not return in time; true when it returned.
 */
static bool batch_returned(struct check *c, const char *clause, struct batch_run *run)
{
	if (!run) {
		check_fail(c, clause, "out of memory in the harness");
		return false;
	}
	if (run->finished)
		return true;
	check_fail(c, clause, "screen_submissions(n=%zu, nthreads=%u, max_calls=%u) had not "
		   "returned after %.1f s (it normally takes a few ms); by then %llu model "
		   "calls and %llu filings had been made: threads parked for good?",
		   run->n, run->nthreads, run->max_calls, 1.5 * scenario_timeout_factor(),
		   (unsigned long long)service_calls(&ai_model),
		   (unsigned long long)service_calls(&safety_desk));
	return false;
}

static enum screening_outcome expected_outcome(const struct record *r)
{
	if (ai_model_fails(r->id))
		return SCREENING_UNCHECKED;
	return ai_model_expected(r) ? SCREENING_ADVERSE : SCREENING_CLEAR;
}

static struct screening_report expected_report(const struct batch_run *run)
{
	struct screening_report want = { 0, 0, 0 };

	for (size_t i = 0; i < run->n; i++) {
		enum screening_outcome o = expected_outcome(&run->subs[i]);

		if (o == SCREENING_CLEAR)
			want.clear++;
		else if (o == SCREENING_ADVERSE)
			want.adverse++;
		else
			want.unchecked++;
	}
	return want;
}

static bool report_is(const struct batch_run *run, struct screening_report want)
{
	return run->report.clear == want.clear && run->report.adverse == want.adverse &&
	       run->report.unchecked == want.unchecked;
}

static void every_submission_screened_and_filed(struct check *c, const struct scenario_env *env)
{
	struct batch_run *run = batch_start(env->small ? 16 : 64, 8, 4, 1 * MS, 1 * MS, 0);
	struct screening_report want;
	uint32_t seen = 0;
	size_t bad;

	if (!batch_returned(c, "R5", run))
		return batch_finish(run);
	want = expected_report(run);
	bad = service_first_not_once(&ai_model, &seen);
	if (bad != (size_t)-1) {
		check_fail(c, "R5", "submission %zu was sent to the AI model %u times by the "
			   "time screen_submissions() returned; expected exactly once", bad, seen);
	} else if (service_unknown_items(&ai_model)) {
		check_fail(c, "R5", "ai_screen() was called with %llu submissions that are "
			   "not in the batch",
			   (unsigned long long)service_unknown_items(&ai_model));
	} else if ((bad = service_first_not_once(&safety_desk, &seen)) !=
		   (size_t)-1) {
		check_fail(c, "R5", "the outcome of submission %zu was filed %u times by the "
			   "time screen_submissions() returned; expected exactly once", bad, seen);
	} else if (safety_desk_filed(SCREENING_CLEAR) != want.clear ||
		   safety_desk_filed(SCREENING_ADVERSE) != want.adverse ||
		   safety_desk_filed(SCREENING_UNCHECKED) != want.unchecked) {
		check_fail(c, "R5", "filed %lu clear, %lu adverse and %lu unchecked outcomes; "
			   "the model answered %zu clear, %zu adverse and %zu failed",
			   safety_desk_filed(SCREENING_CLEAR), safety_desk_filed(SCREENING_ADVERSE),
			   safety_desk_filed(SCREENING_UNCHECKED), want.clear, want.adverse,
			   want.unchecked);
	}
	batch_finish(run);
}

static void report_counts_outcomes(struct check *c, const struct scenario_env *env)
{
	struct batch_run *run = batch_start(env->small ? 24 : 48, 6, 8, 1 * MS, 1 * MS, 7);
	struct screening_report want, got;

	if (!batch_returned(c, "R6", run))
		return batch_finish(run);
	want = expected_report(run);
	got = run->report;
	if (run->ret != 0)
		check_fail(c, "R6", "screen_submissions() returned %d; expected 0", run->ret);
	else if (got.clear != want.clear || got.adverse != want.adverse ||
		 got.unchecked != want.unchecked)
		check_fail(c, "R6", "report says clear=%zu adverse=%zu unchecked=%zu; "
			   "expected clear=%zu adverse=%zu unchecked=%zu (n=%zu, %zu calls "
			   "failed)", got.clear, got.adverse, got.unchecked, want.clear,
			   want.adverse, want.unchecked, run->n, want.unchecked);
	batch_finish(run);
}

static void model_calls_never_exceed_max_calls(struct check *c, const struct scenario_env *env)
{
	struct batch_run *run = batch_start(env->small ? 36 : 96, 12, 3, 2 * MS, 1 * MS, 0);

	if (!batch_returned(c, "R7", run))
		return batch_finish(run);
	if (service_peak(&ai_model) > run->max_calls)
		check_fail(c, "R7", "%u calls to the AI model were in flight at once; the "
			   "vendor allows max_calls=%u (the batch ran nthreads=%u threads)",
			   service_peak(&ai_model), run->max_calls, run->nthreads);
	batch_finish(run);
}

static void permit_is_returned_before_filing(struct check *c, const struct scenario_env *env)
{
	struct batch_run *run = batch_start(3, 3, 1, 1 * MS, 60 * MS, 0);

	(void)env;
	if (!batch_returned(c, "R9", run))
		return batch_finish(run);
	if (service_peak(&safety_desk) < 2)
		check_fail(c, "R9", "with max_calls=1 and 3 threads, no two filings were ever "
			   "in flight at once: the 3 submissions took %.0f ms, for 1 ms per "
			   "model call and 60 ms per filing (expected about 62 ms); a permit "
			   "held while filing keeps every other call waiting",
			   run->elapsed_ns / 1e6);
	batch_finish(run);
}

static void no_thread_outlives_the_batch(struct check *c, const struct scenario_env *env)
{
	/* 13 submissions over 6 threads, filing slow (50 ms): a thread let go to
	 * finish on its own is still there when the batch returns. */
	struct batch_run *run = batch_start(13, 6, 3, 1 * MS, 50 * MS, 0);

	(void)env;
	if (!batch_returned(c, "R10", run))
		return batch_finish(run);
	if (run->threads_after > run->threads_before)
		check_fail(c, "R10", "%d threads were still running 20 ms after "
			   "screen_submissions() returned (before: %d, after: %d); join every "
			   "thread you start before returning", run->threads_after - run->threads_before,
			   run->threads_before, run->threads_after);
	batch_finish(run);
}

static void zero_threads_or_calls_is_einval(struct check *c, const struct scenario_env *env)
{
	static const unsigned cases[][2] = { { 0, 4 }, { 4, 0 } };

	(void)env;
	for (size_t k = 0; k < 2; k++) {
		struct batch_run *run = batch_start(8, cases[k][0], cases[k][1], 1 * MS, 1 * MS, 0);

		if (!batch_returned(c, "R11", run))
			return batch_finish(run);
		if (run->ret != EINVAL)
			check_fail(c, "R11", "screen_submissions(nthreads=%u, max_calls=%u) "
				   "returned %d; expected EINVAL (%d)", run->nthreads,
				   run->max_calls, run->ret, EINVAL);
		else if (service_calls(&ai_model) || service_calls(&safety_desk))
			check_fail(c, "R11", "screen_submissions(nthreads=%u, max_calls=%u) "
				   "called a service %llu times; expected none", run->nthreads,
				   run->max_calls,
				   (unsigned long long)(service_calls(&ai_model) +
							service_calls(&safety_desk)));
		batch_finish(run);
		if (c->failed)
			return;
	}
}

/*
 * R11 and R10 when a thread cannot be started: the (k+1)th pthread_create()
 * of the batch fails with EAGAIN (as when the system is out of threads), for
 * several k. screen_submissions() must return that error, and only once the
 * k threads it did start have screened and filed every submission and
 * ended (none screened when k is 0). Filing is slow (10 ms), so a thread
 * left running is still at work when the call returns.
 */
static void a_failed_thread_start_is_reported(struct check *c, const struct scenario_env *env)
{
	static const int fail_at[] = { 2, 0, 5 };	/* threads started before the failure */
	const size_t n = 12;
	const unsigned nthreads = 6;

	(void)env;
	for (size_t k = 0; k < sizeof(fail_at) / sizeof(fail_at[0]) && !c->failed; k++) {
		struct batch_run *run;
		uint64_t calls, filed;
		size_t want;

		/* The harness's own runner thread is the first pthread_create(). */
		perturb_fail_create_after(1 + fail_at[k]);
		run = batch_start(n, nthreads, 3, 1 * MS, 10 * MS, 0);
		perturb_fail_create_after(0);
		if (!batch_returned(c, "R11", run))
			return batch_finish(run);
		calls = service_calls(&ai_model);
		filed = service_calls(&safety_desk);
		want = fail_at[k] ? n : 0;
		if (run->ret != EAGAIN)
			check_fail(c, "R11", "screen_submissions(n=%zu, nthreads=%u) returned %d "
				   "when pthread_create() failed with EAGAIN after %d threads had "
				   "started; expected that error (%d): a thread that cannot be "
				   "started is reported", n, nthreads, run->ret, fail_at[k], EAGAIN);
		else if (run->threads_after > run->threads_before)
			check_fail(c, "R10", "screen_submissions() returned EAGAIN after %d threads "
				   "had started and the next pthread_create() failed, and %d of them "
				   "were still running; expected every started thread joined before "
				   "it returns (they use the batch's memory)", fail_at[k],
				   run->threads_after - run->threads_before);
		else if (calls != want || filed != want)
			check_fail(c, "R11", "screen_submissions(n=%zu) returned EAGAIN after %d "
				   "threads had started and the next pthread_create() failed: by then "
				   "%llu model calls and %llu filings had been made; expected %zu of "
				   "each (the threads that started screen every submission; none "
				   "when none started)", n, fail_at[k], (unsigned long long)calls,
				   (unsigned long long)filed, want);
		batch_finish(run);
	}
}

static void small_batches_work(struct check *c, const struct scenario_env *env)
{
	static const struct { size_t n; unsigned nthreads, max_calls; } cases[] = {
		{ 0, 4, 2 }, { 1, 1, 1 }, { 3, 8, 2 }, { 7, 2, 10 }, { 5, 1, 3 },
	};

	(void)env;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct batch_run *run = batch_start(cases[k].n, cases[k].nthreads,
						    cases[k].max_calls, 1 * MS, 1 * MS, 0);
		uint64_t calls, filed;

		if (!batch_returned(c, "R11", run))
			return batch_finish(run);
		calls = service_calls(&ai_model);
		filed = service_calls(&safety_desk);
		if (run->ret != 0)
			check_fail(c, "R11", "screen_submissions(n=%zu, nthreads=%u, "
				   "max_calls=%u) returned %d; expected 0", run->n, run->nthreads,
				   run->max_calls, run->ret);
		else if (calls != run->n || filed != run->n)
			check_fail(c, "R11", "screen_submissions(n=%zu, nthreads=%u, "
				   "max_calls=%u): %llu model calls and %llu filings; expected %zu "
				   "of each", run->n, run->nthreads, run->max_calls,
				   (unsigned long long)calls, (unsigned long long)filed, run->n);
		else if (!report_is(run, expected_report(run)))
			check_fail(c, "R6", "screen_submissions(n=%zu, nthreads=%u, "
				   "max_calls=%u) returned 0 with the report saying clear=%zu "
				   "adverse=%zu unchecked=%zu (it held clear=12345 adverse=54321 "
				   "unchecked=999 before the call); expected the outcomes filed, "
				   "which add up to n=%zu: the report is written on every return "
				   "of 0, an empty batch's too", run->n, run->nthreads,
				   run->max_calls, run->report.clear, run->report.adverse,
				   run->report.unchecked, run->n);
		batch_finish(run);
		if (c->failed)
			return;
	}
}

static void failed_calls_return_their_permits(struct check *c, const struct scenario_env *env)
{
	struct batch_run *run = batch_start(env->small ? 36 : 60, 6, 3, 1 * MS, 1 * MS, 4);
	uint64_t filed;

	if (!run)
		return check_fail(c, "R8", "out of memory in the harness");
	if (!run->finished) {
		size_t failures = (run->n + 3) / 4;

		check_fail(c, "R8", "screen_submissions(n=%zu, nthreads=%u, max_calls=%u), "
			   "with %zu of its calls failing, had not returned after %.1f s "
			   "(it normally takes a few ms); by then %llu of %zu model calls had "
			   "been made and %llu outcomes filed: the permits ran out (is one "
			   "returned when ai_screen() fails?)", run->n, run->nthreads,
			   run->max_calls, failures, 1.5 * scenario_timeout_factor(),
			   (unsigned long long)service_calls(&ai_model), run->n,
			   (unsigned long long)service_calls(&safety_desk));
		return batch_finish(run);
	}
	filed = service_calls(&safety_desk);
	if (run->ret != 0)
		check_fail(c, "R8", "screen_submissions() returned %d with some calls "
			   "failing; expected 0", run->ret);
	else if (filed != run->n || run->report.unchecked != (run->n + 3) / 4)
		check_fail(c, "R8", "with %zu of %zu calls failing, %llu outcomes were filed "
			   "and the report counts %zu unchecked; expected %zu and %zu",
			   (run->n + 3) / 4, run->n, (unsigned long long)filed,
			   run->report.unchecked, run->n, (run->n + 3) / 4);
	batch_finish(run);
}

CHAPTER_SCENARIOS(
	SCENARIO(permits_are_counted, "R1"),
	SCENARIO(acquire_blocks_until_release, "R2a"),
	SCENARIO(blocked_acquire_never_gives_up, "R2a"),
	SCENARIO(blocked_acquire_sleeps, "R2b"),
	SCENARIO(last_permit_goes_to_one_thread, "R3"),
	SCENARIO(holders_never_exceed_count, "R3"),
	SCENARIO(value_can_be_read_any_time, "R4"),
	SCENARIO(every_submission_screened_and_filed, "R5"),
	SCENARIO(report_counts_outcomes, "R6"),
	SCENARIO(model_calls_never_exceed_max_calls, "R7"),
	SCENARIO(permit_is_returned_before_filing, "R9"),
	SCENARIO(no_thread_outlives_the_batch, "R10"),
	SCENARIO(zero_threads_or_calls_is_einval, "R11"),
	SCENARIO(small_batches_work, "R11 R6"),
	SCENARIO(failed_calls_return_their_permits, "R8"),
	SCENARIO(a_failed_thread_start_is_reported, "R11 R10")
);
