/*
 * 02-waitgroups.c - scenarios for chapter 02 (waitgroup.h)
 *
 * The first scenarios drive the wait group directly: waiter threads block in
 * waitgroup_wait() while the scenario calls waitgroup_done() step by step,
 * and record whether they returned before the last done call had started.
 * The others run the nightly batch on a fresh simulated vendor, with some
 * devices offline, and check one clause each.
 *
 * Each scenario checks one clause sentence (R2b, R3c, ...). Batch sizes
 * include 0, 1, primes, fewer patients than threads, and counts that are no
 * multiple of the parallelism; "has ended when it returns" is read as the
 * batch returns (10 ms for the kernel to remove a joined thread).
 *
 * The batch runs with the calling thread pinned to one CPU (the threads it
 * starts inherit that), so a task only runs once the batch's own thread
 * blocks or is preempted: a wait that does not count the tasks it started
 * returns early on almost every wave, instead of once in a while.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "clock.h"
#include "scenario.h"
#include "perturb.h"
#include "waitgroup.h"

#define MS 1000000u
#define MAX_WAITERS 8

/* ---- the wait group on its own ---------------------------------------- */

/*
 * A wait group under test and the waiter threads blocked on it. The probe's
 * own lock and condition variable only carry the waiters' reports to the
 * scenario; they never touch the group.
 */
struct probe {
	struct waitgroup wg;
	pthread_mutex_t lock;
	pthread_cond_t moved;	/* broadcast when entered or returned grows */
	int started;		/* waiter threads started */
	int entered;		/* waiters about to call waitgroup_wait() */
	int returned;		/* waiters back from waitgroup_wait() */
	int early;		/* of those, back before the last done began */
	int dones;		/* waitgroup_done() calls the scenario has made */
	bool last_done;		/* the call that brings the count to zero began */
	bool humble;		/* waiters lower their priority (nice 19) */
	pid_t os_tid[MAX_WAITERS];	/* lock: kernel ids, in the order they entered */
	pthread_t tids[MAX_WAITERS];
};

static double factor(void)
{
	return scenario_timeout_factor();
}

/* Gives the other threads `ms` milliseconds (scaled) to get where they go. */
static void pause_ms(unsigned ms)
{
	world_sleep_ns((uint64_t)((double)ms * MS * factor()));
}

static struct probe *probe_new(void)
{
	struct probe *p = calloc(1, sizeof(*p));
	pthread_condattr_t attr;

	if (!p)
		return NULL;
	if (waitgroup_init(&p->wg)) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->moved, &attr);
	pthread_condattr_destroy(&attr);
	return p;
}

static void *waiter_thread(void *arg)
{
	struct probe *p = arg;

	/*
	 * A humble waiter rarely preempts the scenario's thread on a shared
	 * CPU: what the scenario does right after a done happens before the
	 * woken waiters run, every time rather than once in a while.
	 */
	if (p->humble)
		setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
	pthread_mutex_lock(&p->lock);
	if (p->entered < MAX_WAITERS)
		p->os_tid[p->entered] = gettid();
	p->entered++;
	pthread_cond_broadcast(&p->moved);
	pthread_mutex_unlock(&p->lock);

	waitgroup_wait(&p->wg);

	pthread_mutex_lock(&p->lock);
	p->returned++;
	if (!p->last_done)
		p->early++;
	pthread_cond_broadcast(&p->moved);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Starts k waiters and returns once each is about to call waitgroup_wait(). */
static bool probe_start_waiters(struct probe *p, int k)
{
	for (int i = 0; i < k && p->started < MAX_WAITERS; i++) {
		if (pthread_create(&p->tids[p->started], NULL, waiter_thread, p))
			return false;
		p->started++;
	}
	return true;
}

/*
 * Waits up to `seconds` (scaled) until *counter reaches `want`; returns the
 * value it reached.
 */
static int probe_await(struct probe *p, const int *counter, int want, double seconds)
{
	struct timespec deadline;
	uint64_t ns = (uint64_t)(seconds * factor() * 1e9);
	int got;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)(ns / 1000000000u);
	deadline.tv_nsec += (long)(ns % 1000000000u);
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	while (*counter < want &&
	       pthread_cond_timedwait(&p->moved, &p->lock, &deadline) != ETIMEDOUT)
		;
	got = *counter;
	pthread_mutex_unlock(&p->lock);
	return got;
}

/* One waitgroup_done() by the scenario; `last` when it brings the count to 0. */
static void probe_done(struct probe *p, bool last)
{
	pthread_mutex_lock(&p->lock);
	p->dones++;
	if (last)
		p->last_done = true;
	pthread_mutex_unlock(&p->lock);
	waitgroup_done(&p->wg);
}

static int probe_read(struct probe *p, const int *counter)
{
	int v;

	pthread_mutex_lock(&p->lock);
	v = *counter;
	pthread_mutex_unlock(&p->lock);
	return v;
}

/*
 * Joins the waiters and frees the probe, unless a waiter is still blocked in
 * waitgroup_wait(): then the waiters are detached and the probe stays
 * allocated for the rest of the process, since that waiter still uses it.
 */
static void probe_finish(struct probe *p)
{
	if (probe_read(p, &p->returned) < p->started) {
		for (int i = 0; i < p->started; i++)
			pthread_detach(p->tids[i]);
		return;
	}
	for (int i = 0; i < p->started; i++)
		pthread_join(p->tids[i], NULL);
	waitgroup_destroy(&p->wg);
	pthread_cond_destroy(&p->moved);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/*
 * Starts k more waiters on p and waits (2 s) until `want` waiters in all
 * have entered waitgroup_wait(). When they could not be started or did
 * not enter: fails the check for clause, brings the group's count of 2 to
 * zero (two waitgroup_done() calls) so that those waiting return, finishes
 * p (probe_finish) and returns false.
 */
static bool waiters_entered(struct check *c, const char *clause, struct probe *p, int k,
			    int want)
{
	if (probe_start_waiters(p, k) && probe_await(p, &p->entered, want, 2.0) >= want)
		return true;
	check_fail(c, clause, "the harness could not start its waiter threads");
	probe_done(p, false);
	probe_done(p, true);
	probe_finish(p);
	return false;
}

static void waiter_stays_blocked_until_last_done(struct check *c,
						  const struct scenario_env *env)
{
	struct probe *p = probe_new();
	const int tasks = 3, waiters = 2;

	(void)env;
	if (!p)
		return check_fail(c, "R1", "waitgroup_init() failed, or the harness is out of memory");
	waitgroup_add(&p->wg, tasks);
	if (!probe_start_waiters(p, waiters))
		check_fail(c, "R1", "the harness could not start its waiter threads");
	else if (probe_await(p, &p->entered, waiters, 2.0) < waiters)
		check_fail(c, "R1", "the harness's waiter threads did not start");
	pause_ms(20);
	/* Every done but the last: no waiter may come back. */
	for (int k = 1; k < tasks; k++) {
		probe_done(p, false);
		pause_ms(20);
		if (probe_read(p, &p->early))
			check_fail(c, "R1", "%d of %d waiters returned from waitgroup_wait() "
				   "after %d of %d waitgroup_done() calls (count %d); expected "
				   "them to stay blocked until the count reached zero",
				   probe_read(p, &p->early), waiters, k, tasks, tasks - k);
	}
	probe_done(p, true);
	if (probe_await(p, &p->returned, waiters, 2.0) < waiters)
		check_fail(c, "R1", "%d of %d waiters returned from waitgroup_wait() within "
			   "2 s of the last waitgroup_done(); expected all of them",
			   probe_read(p, &p->returned), waiters);
	probe_finish(p);
}

static void every_waiter_released_at_zero(struct check *c, const struct scenario_env *env)
{
	struct probe *p = probe_new();
	const int waiters = 4;
	int back;

	(void)env;
	if (!p)
		return check_fail(c, "R2a", "waitgroup_init() failed, or the harness is out of memory");
	waitgroup_add(&p->wg, 2);
	if (!waiters_entered(c, "R2a", p, waiters, waiters))
		return;
	pause_ms(20);
	probe_done(p, false);
	probe_done(p, true);
	back = probe_await(p, &p->returned, waiters, 2.0);
	if (back < waiters)
		check_fail(c, "R2a", "%d waiters were blocked in waitgroup_wait(); when the "
			   "count fell to zero, %d of them returned within 2 s; expected all "
			   "%d (wake every waiter, not one)", waiters, back, waiters);
	probe_finish(p);
}

/* Pins the calling thread to the CPU it runs on; *saved gets the old mask. */
static bool pin_to_one_cpu(cpu_set_t *saved);

/*
 * scenario_holds over a probe: waiter i sleeps in a futex (inside
 * waitgroup_wait(), on its mutex or condition variable), not merely on its
 * way there: "entered" is counted before the call, and a nice-19 waiter on a
 * busy CPU may take a while to reach it.
 */
static bool waiter_in_futex(void *ctx, size_t i)
{
	struct probe *p = ctx;
	char where[64];
	pid_t tid;

	pthread_mutex_lock(&p->lock);
	tid = p->os_tid[i];
	pthread_mutex_unlock(&p->lock);
	if (!tid)
		return false;
	census_thread_wchan(tid, where, sizeof(where));
	return strncmp(where, "futex", 5) == 0;
}

/*
 * One round of R2b: returns how many of `waiters` waiters, blocked when the
 * count fell to zero, returned within 2 s though waitgroup_add(1) followed
 * at once; -1 when the harness could not set the round up.
 */
static int reuse_round(int waiters)
{
	struct probe *p = probe_new();
	cpu_set_t saved;
	bool pinned;
	int back;

	if (!p)
		return -1;
	/* The waiters share this thread's CPU and yield it to this thread. */
	perturb_pause(true);	/* the order below is the test: nothing may reorder it */
	pinned = pin_to_one_cpu(&saved);
	p->humble = true;
	waitgroup_add(&p->wg, 1);
	if (!probe_start_waiters(p, waiters) ||
	    probe_await(p, &p->entered, waiters, 2.0) < waiters) {
		probe_done(p, true);
		if (pinned)
			sched_setaffinity(0, sizeof(saved), &saved);
		perturb_pause(false);
		probe_finish(p);
		return -1;
	}
	pause_ms(20);
	/*
	 * Only a waiter already blocked in waitgroup_wait() must be released by
	 * the zero below; one that calls it after the add belongs to the next
	 * round. Wait (up to 1 s) until each is asleep in a futex.
	 */
	scenario_wait_all_steady((size_t)waiters, waiter_in_futex, p, 1.0);
	/* The count reaches zero, and the next round begins at once. */
	probe_done(p, true);
	waitgroup_add(&p->wg, 1);
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	back = probe_await(p, &p->returned, waiters, 2.0);
	perturb_pause(false);
	/* The second round's task is done too, so that any waiter left returns. */
	waitgroup_done(&p->wg);
	probe_await(p, &p->returned, waiters, 2.0);
	probe_finish(p);
	return back;
}

/*
 * Whether a woken waiter runs before the next waitgroup_add() is up to the
 * scheduler even on one CPU (a wake-up may preempt the waker), so the
 * round is played up to eight times: one round with a waiter left behind
 * is the failure; a correct group passes every round in about 25 ms each.
 */
static void reuse_at_once_releases_every_waiter(struct check *c, const struct scenario_env *env)
{
	const int waiters = 2;

	(void)env;
	for (int round = 0; round < 8; round++) {
		int back = reuse_round(waiters);

		if (back < 0)
			return check_fail(c, "R2b", "waitgroup_init() failed, or the harness could "
					  "not start its waiter threads");
		if (back < waiters)
			return check_fail(c, "R2b", "%d waiters were blocked when the count fell "
					  "to zero, and waitgroup_add(1) followed at once; %d of them "
					  "returned within 2 s; expected all %d (they were released at "
					  "zero: a generation counter tells them so)", waiters, back,
					  waiters);
	}
}

static void zero_count_returns_at_once(struct check *c, const struct scenario_env *env)
{
	struct probe *p = probe_new();

	(void)env;
	if (!p)
		return check_fail(c, "R3a", "waitgroup_init() failed, or the harness is out of memory");
	/* A fresh group: the count is zero, the wait must not block. */
	p->last_done = true;
	/* No injected spurious wake-up may end a wait that should never start. */
	perturb_pause(true);
	if (!probe_start_waiters(p, 1) || probe_await(p, &p->returned, 1, 2.0) < 1)
		check_fail(c, "R3a", "waitgroup_wait() on a fresh group (count 0) did not "
			   "return within 2 s; expected it to return at once");
	perturb_pause(false);
	probe_finish(p);
}

static void group_is_reusable(struct check *c, const struct scenario_env *env)
{
	struct probe *p = probe_new();
	int want = 0;

	(void)env;
	if (!p)
		return check_fail(c, "R3b", "waitgroup_init() failed, or the harness is out of memory");
	/* Three rounds on the same group: add 2, two waiters, done twice. */
	for (int round = 1; round <= 3; round++) {
		want += 2;
		pthread_mutex_lock(&p->lock);
		p->last_done = false;
		pthread_mutex_unlock(&p->lock);
		waitgroup_add(&p->wg, 2);
		if (!waiters_entered(c, "R3b", p, 2, want))
			return;
		pause_ms(10);
		probe_done(p, false);
		pause_ms(10);
		probe_done(p, true);
		if (probe_await(p, &p->returned, want, 2.0) < want) {
			check_fail(c, "R3b", "round %d of using the group (add 2, two waiters, "
				   "done twice): %d of 2 waiters returned within 2 s of the count "
				   "reaching zero", round, probe_read(p, &p->returned) - (want - 2));
			return probe_finish(p);
		}
		if (probe_read(p, &p->early)) {
			check_fail(c, "R3b", "round %d of using the group: a waiter returned "
				   "while the count was still 1", round);
			return probe_finish(p);
		}
	}
	probe_finish(p);
}

static void extra_done_leaves_count_at_zero(struct check *c, const struct scenario_env *env)
{
	struct probe *p = probe_new();

	(void)env;
	if (!p)
		return check_fail(c, "R3c", "waitgroup_init() failed, or the harness is out of memory");
	/* One done too many on a fresh group, then a normal round. */
	waitgroup_done(&p->wg);
	waitgroup_add(&p->wg, 1);
	if (!probe_start_waiters(p, 1) || probe_await(p, &p->entered, 1, 2.0) < 1) {
		check_fail(c, "R3c", "the harness could not start its waiter thread");
		probe_done(p, true);
		return probe_finish(p);
	}
	pause_ms(20);
	if (probe_read(p, &p->early))
		check_fail(c, "R3c", "after one waitgroup_done() too many on a fresh group, "
			   "waitgroup_add(1) and a wait: the wait returned with the task not "
			   "done; expected the extra done to leave the count at 0, so that "
			   "the add makes it 1 (did it wrap around?)");
	probe_done(p, true);
	if (!c->failed && probe_await(p, &p->returned, 1, 2.0) < 1)
		check_fail(c, "R3c", "after one waitgroup_done() too many, add(1) and done(): "
			   "the waiter did not return within 2 s");
	probe_finish(p);
}

/*
 * A task that writes its result, calls waitgroup_done() and ends. The
 * scenario sees it end in /proc (the thread count), which orders nothing
 * for ThreadSanitizer or Helgrind: the only thing that orders the result
 * before the scenario's read is waitgroup_wait() itself.
 */
struct late_wait {
	struct waitgroup wg;
	long result;		/* written by the task before its done */
};

static void *late_task(void *arg)
{
	struct late_wait *w = arg;

	w->result = 42;
	waitgroup_done(&w->wg);
	return NULL;
}

static void wait_after_the_last_done_orders_the_results(struct check *c,
							 const struct scenario_env *env)
{
	struct late_wait *w = calloc(1, sizeof(*w));
	int before = census_threads();
	pthread_t tid;
	long seen;

	(void)env;
	if (!w || waitgroup_init(&w->wg)) {
		free(w);
		return check_fail(c, "R3a", "waitgroup_init() failed, or the harness is out of memory");
	}
	waitgroup_add(&w->wg, 1);
	if (pthread_create(&tid, NULL, late_task, w)) {
		waitgroup_done(&w->wg);
		waitgroup_destroy(&w->wg);
		free(w);
		return check_fail(c, "R3a", "the harness could not start its task thread");
	}
	/* the task's done is over, and its thread gone, before the wait begins */
	if (census_settle(before, (unsigned)(2000 * factor())) > before) {
		pthread_detach(tid);
		return check_fail(c, "R3a", "the task thread (one waitgroup_done()) had not "
				  "ended within 2 s");
	}
	waitgroup_wait(&w->wg);
	seen = w->result;
	pthread_join(tid, NULL);
	if (seen != 42)
		check_fail(c, "R3a", "after waitgroup_wait() returned, the task's result read "
			   "%ld; the task wrote 42 before its waitgroup_done()", seen);
	waitgroup_destroy(&w->wg);
	free(w);
}

/* ---- the nightly batch ------------------------------------------------ */

struct batch_run {
	size_t n;
	unsigned parallelism;
	int ret;
	struct census_span threads;	/* around the call */
	unsigned long reports;
	struct nightly_report report;	/* the first one filed */
	uint64_t started_at_report;	/* fetches started when it was filed */
	unsigned in_flight_at_report;	/* fetches in flight when it was filed */
};

/* Pins the calling thread to the CPU it runs on; *saved gets the old mask. */
static bool pin_to_one_cpu(cpu_set_t *saved)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	if (sched_getaffinity(0, sizeof(*saved), saved) || cpu < 0 || !CPU_ISSET(cpu, saved))
		return false;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) == 0;
}

/*
 * Runs one batch of n patients, every `offline_every`-th device offline (0:
 * none), on a vendor that accepts `parallelism` calls at once, and records
 * what the harness can observe afterwards.
 */
static int batch_start(struct batch_run *run, size_t n, unsigned parallelism,
		       size_t offline_every)
{
	cpu_set_t saved;
	bool pinned;

	*run = (struct batch_run){ .n = n, .parallelism = parallelism };
	if (service_init(&wearables_api, "the wearables vendor", 1 * MS, parallelism, n))
		return ENOMEM;
	wearables_offline_every = offline_every;
	nightly_report_reset();
	census_span_start(&run->threads);
	pinned = pin_to_one_cpu(&saved);
	run->ret = vitals_nightly_batch(n, parallelism);
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	census_span_end(&run->threads);
	run->reports = nightly_report_writes();
	nightly_report_first(&run->report, &run->started_at_report, &run->in_flight_at_report);
	return 0;
}

/*
 * Frees the vendor's tables, unless threads of the learner's code are still
 * running: those may still call fetch_vitals(), so the tables stay.
 */
static void batch_finish(struct batch_run *run)
{
	if (census_span_outlived(&run->threads))
		return;
	service_destroy(&wearables_api);
}

/* The summary a correct batch of n patients files. */
static struct nightly_report expected_report(size_t n)
{
	struct nightly_report r = { .patients = n };

	for (size_t i = 0; i < n; i++) {
		struct vitals v = wearables_expected(i);

		if (wearables_offline(i)) {
			r.offline++;
			continue;
		}
		r.synced++;
		r.abnormal += vitals_abnormal(&v);
		r.heart_rate_sum += v.resting_heart_rate;
	}
	return r;
}

/* Fails c (clause) unless every patient was fetched exactly once. */
static void check_fetched_once(struct check *c, const char *clause, const struct batch_run *run)
{
	uint32_t seen = 0;
	size_t bad = service_first_not_once(&wearables_api, &seen);

	if (bad != (size_t)-1)
		check_fail(c, clause, "patient %zu (%s) was fetched %u times by the time "
			   "vitals_nightly_batch() returned; expected exactly once (n=%zu, "
			   "parallelism=%u)", bad, wearables_offline(bad) ? "offline" : "online",
			   seen, run->n, run->parallelism);
	else if (service_unknown_items(&wearables_api))
		check_fail(c, clause, "fetch_vitals() was called for %llu patients that are "
			   "not in the batch", (unsigned long long)service_unknown_items(&wearables_api));
}

static void every_patient_fetched_once(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	/* a prime number of patients over 4 threads */
	if (batch_start(&run, env->small ? 17 : 61, 4, 5))
		return check_fail(c, "R4a", "out of memory in the harness");
	if (run.ret != 0)
		check_fail(c, "R4a", "vitals_nightly_batch() returned %d; expected 0", run.ret);
	else
		check_fetched_once(c, "R4a", &run);
	batch_finish(&run);
}

static void offline_devices_do_not_stop_the_batch(struct check *c,
						  const struct scenario_env *env)
{
	struct batch_run run;

	if (batch_start(&run, env->small ? 8 : 24, 4, 1))
		return check_fail(c, "R4b", "out of memory in the harness");
	if (run.ret != 0)
		check_fail(c, "R4b", "with every device offline, vitals_nightly_batch() "
			   "returned %d; expected 0 (an offline device is not a batch error)",
			   run.ret);
	else
		check_fetched_once(c, "R4b", &run);
	if (!c->failed && (run.reports != 1 || run.report.offline != run.n))
		check_fail(c, "R4b", "with all %zu devices offline, %lu summaries were filed, "
			   "the first counting %zu offline; expected one summary counting %zu",
			   run.n, run.reports, run.reports ? run.report.offline : 0, run.n);
	batch_finish(&run);
}

static void one_summary_after_every_fetch(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	if (batch_start(&run, env->small ? 16 : 64, 4, 6))
		return check_fail(c, "R5a", "out of memory in the harness");
	if (run.reports != 1)
		check_fail(c, "R5a", "%lu summaries were filed (nightly_report_write); "
			   "expected exactly one", run.reports);
	else if (run.started_at_report != run.n || run.in_flight_at_report != 0)
		check_fail(c, "R5a", "the summary was filed when %llu of %zu fetches had "
			   "started and %u were still in flight; expected all %zu started "
			   "and none in flight (wait for every task)",
			   (unsigned long long)run.started_at_report, run.n,
			   run.in_flight_at_report, run.n);
	batch_finish(&run);
}

static void summary_counts_every_patient(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;
	struct nightly_report want;

	if (batch_start(&run, env->small ? 19 : 67, 4, 4))
		return check_fail(c, "R5b", "out of memory in the harness");
	want = expected_report(run.n);
	if (run.reports == 0)
		check_fail(c, "R5b", "no summary was filed; expected one");
	else if (run.report.patients != want.patients || run.report.synced != want.synced ||
		 run.report.offline != want.offline || run.report.abnormal != want.abnormal ||
		 run.report.heart_rate_sum != want.heart_rate_sum)
		check_fail(c, "R5b", "the summary says patients=%zu synced=%zu offline=%zu "
			   "abnormal=%zu heart_rate_sum=%ld; expected patients=%zu synced=%zu "
			   "offline=%zu abnormal=%zu heart_rate_sum=%ld",
			   run.report.patients, run.report.synced, run.report.offline,
			   run.report.abnormal, run.report.heart_rate_sum, want.patients,
			   want.synced, want.offline, want.abnormal, want.heart_rate_sum);
	batch_finish(&run);
}

static void parallelism_is_a_limit(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	if (batch_start(&run, env->small ? 25 : 97, 3, 7))
		return check_fail(c, "R6", "out of memory in the harness");
	if (service_peak(&wearables_api) > run.parallelism)
		check_fail(c, "R6", "%u fetches were in flight at once; the vendor accepts "
			   "%u (parallelism): a wave started before the previous one was done",
			   service_peak(&wearables_api), run.parallelism);
	batch_finish(&run);
}

static void no_thread_outlives_the_batch(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	if (batch_start(&run, env->small ? 13 : 47, 4, 5))
		return check_fail(c, "R7", "out of memory in the harness");
	if (run.threads.at_return > run.threads.before)
		check_fail(c, "R7", "%d threads were still running when "
			   "vitals_nightly_batch() returned (before: %d, at the return: %d; "
			   "%d still 300 ms later): join the threads you start",
			   run.threads.at_return - run.threads.before, run.threads.before,
			   run.threads.at_return, run.threads.after - run.threads.before);
	batch_finish(&run);
}

static void zero_parallelism_is_einval(struct check *c, const struct scenario_env *env)
{
	/* parallelism 0 is EINVAL whatever npatients is, an empty batch included */
	static const size_t sizes[] = { 8, 0 };

	(void)env;
	for (size_t k = 0; k < 2 && !c->failed; k++) {
		struct batch_run run;

		if (batch_start(&run, sizes[k], 0, 3))
			return check_fail(c, "R8b", "out of memory in the harness");
		if (run.ret != EINVAL)
			check_fail(c, "R8b", "vitals_nightly_batch(npatients=%zu, parallelism=0) "
				   "returned %d; expected EINVAL (%d)", run.n, run.ret, EINVAL);
		else if (service_calls(&wearables_api) || run.reports)
			check_fail(c, "R8b", "vitals_nightly_batch(npatients=%zu, parallelism=0) "
				   "made %llu fetches and filed %lu summaries; expected none",
				   run.n, (unsigned long long)service_calls(&wearables_api),
				   run.reports);
		batch_finish(&run);
	}
}

/* One batch run by a runner thread, so that a batch that hangs is seen. */
struct failed_start {
	size_t n;
	unsigned parallelism;
	uint64_t fetches_at_return;
};

static int op_batch(void *arg)
{
	struct failed_start *f = arg;
	int ret = vitals_nightly_batch(f->n, f->parallelism);

	f->fetches_at_return = service_calls(&wearables_api);
	return ret;
}

/*
 * The (pos+1)th pthread_create() of the batch fails with EAGAIN, for several
 * positions (the second, the fourth, the eighth): the batch must return that
 * error, after waiting for the fetches it started and joining its threads,
 * and file no summary. A position the code never reaches (it started fewer
 * threads) checks nothing.
 */
static void a_failed_thread_start_is_reported(struct check *c, const struct scenario_env *env)
{
	static const int positions[] = { 1, 3, 7 };

	(void)env;
	for (size_t k = 0; k < sizeof(positions) / sizeof(positions[0]) && !c->failed; k++) {
		struct failed_start f = { .n = 50, .parallelism = 8 };
		struct runner r;
		uint64_t fetches_after, end_ns;
		int before, at_return, ret;
		bool fired, finished;

		if (service_init(&wearables_api, "the wearables vendor", 2 * MS, f.parallelism, f.n))
			return check_fail(c, "R7", "out of memory in the harness");
		wearables_offline_every = 5;
		nightly_report_reset();
		before = census_threads();
		/* the runner's own thread is the first pthread_create() */
		perturb_fail_create_after(1 + positions[k]);
		if (runner_start(&r, op_batch, &f)) {
			perturb_fail_create_after(0);
			service_destroy(&wearables_api);
			return check_fail(c, "R7", "the harness could not start its thread");
		}
		finished = runner_wait_until(&r, world_now_ns() + scenario_scaled_ns(3.0));
		fired = !perturb_create_failure_pending();
		perturb_fail_create_after(0);
		if (!finished)
			/* r, the vendor's tables: still in use by the batch, left allocated */
			return check_fail(c, "R7", "vitals_nightly_batch(npatients=50, parallelism=8) "
					  "had not returned 3 s after pthread_create() number %d failed "
					  "with EAGAIN; expected it to return that error once the tasks "
					  "it did start were done (does it wait for a task that never "
					  "started? undo its share of the count)", positions[k] + 1);
		runner_finished(&r, &ret, &end_ns);
		runner_join(&r);
		at_return = census_settle(before, 10);
		fetches_after = service_calls(&wearables_api);
		if (!fired)
			;	/* fewer threads than that: nothing failed */
		else if (ret != EAGAIN)
			check_fail(c, "R7", "vitals_nightly_batch(npatients=50, parallelism=8) "
				   "returned %d when pthread_create() number %d failed with EAGAIN; "
				   "expected that error (%d)", ret, positions[k] + 1, EAGAIN);
		else if (at_return > before)
			check_fail(c, "R7", "%d of the threads vitals_nightly_batch() did start were "
				   "still running when it returned after pthread_create() number %d "
				   "failed; join them before you return", at_return - before,
				   positions[k] + 1);
		else if (fetches_after != f.fetches_at_return)
			check_fail(c, "R7", "fetch_vitals() was called %llu more times after "
				   "vitals_nightly_batch() returned (pthread_create() number %d had "
				   "failed); wait for the tasks you started before you return",
				   (unsigned long long)(fetches_after - f.fetches_at_return),
				   positions[k] + 1);
		else if (nightly_report_writes())
			check_fail(c, "R7", "vitals_nightly_batch() filed %lu summaries after "
				   "pthread_create() number %d failed; expected none (it returns "
				   "the error instead)", nightly_report_writes(), positions[k] + 1);
		if (census_threads() <= before)
			service_destroy(&wearables_api);
	}
}

static void any_batch_size_works(struct check *c, const struct scenario_env *env)
{
	static const struct { size_t n; unsigned parallelism; } cases[] = {
		{ 0, 4 }, { 1, 1 }, { 1, 4 }, { 3, 8 }, { 7, 2 }, { 13, 4 }, { 5, 3 },
	};

	(void)env;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct batch_run run;
		struct nightly_report want;

		if (batch_start(&run, cases[k].n, cases[k].parallelism, 3))
			return check_fail(c, "R8a", "out of memory in the harness");
		want = expected_report(run.n);
		if (run.ret != 0)
			check_fail(c, "R8a", "vitals_nightly_batch(n=%zu, parallelism=%u) "
				   "returned %d; expected 0", run.n, run.parallelism, run.ret);
		else if (service_calls(&wearables_api) != run.n || run.reports != 1 ||
			 run.report.patients != want.patients ||
			 run.report.synced != want.synced)
			check_fail(c, "R8a", "vitals_nightly_batch(n=%zu, parallelism=%u): %llu "
				   "fetches, %lu summaries, the first with patients=%zu "
				   "synced=%zu; expected %zu fetches and one summary with "
				   "patients=%zu synced=%zu", run.n, run.parallelism,
				   (unsigned long long)service_calls(&wearables_api), run.reports,
				   run.report.patients, run.report.synced, run.n, want.patients,
				   want.synced);
		batch_finish(&run);
		if (c->failed)
			return;
	}
}

CHAPTER_SCENARIOS(
	SCENARIO(waiter_stays_blocked_until_last_done, "R1"),
	SCENARIO(every_waiter_released_at_zero, "R2a"),
	SCENARIO(reuse_at_once_releases_every_waiter, "R2b"),
	SCENARIO(zero_count_returns_at_once, "R3a"),
	SCENARIO(wait_after_the_last_done_orders_the_results, "R3a"),
	SCENARIO(group_is_reusable, "R3b"),
	SCENARIO(extra_done_leaves_count_at_zero, "R3c"),
	SCENARIO(every_patient_fetched_once, "R4a"),
	SCENARIO(offline_devices_do_not_stop_the_batch, "R4b"),
	SCENARIO(one_summary_after_every_fetch, "R5a"),
	SCENARIO(summary_counts_every_patient, "R5b"),
	SCENARIO(parallelism_is_a_limit, "R6"),
	SCENARIO(no_thread_outlives_the_batch, "R7"),
	SCENARIO(any_batch_size_works, "R8a"),
	SCENARIO(zero_parallelism_is_einval, "R8b"),
	SCENARIO_T(a_failed_thread_start_is_reported, "R7", 10.0)
);
