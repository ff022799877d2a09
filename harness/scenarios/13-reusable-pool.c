/*
 * 13-reusable-pool.c - scenarios for chapter 13 (workpool.h)
 *
 * Each task the scenarios submit is one patient's export to the sponsor's
 * gateway (sponsor_export.h), which counts the calls per patient and the
 * peak in flight. A task's argument is a `job`: it notes, with atomics,
 * how often fn ran and how often done was called and with what, so that
 * "settled exactly once" is checked per task, not from the pool's own
 * figures. The scenarios force the situations they test: to see whether
 * pool_metrics() waits for the lock, the scenario holds p->lock itself; to
 * see whether a cancel drops the queue, two tasks sit in the workers until
 * the token is cancelled, with thousands queued behind them.
 *
 * Every pool lives on the heap, and pool_shutdown() runs in a watched
 * runner thread: when a shutdown never returns, the scenario reports it
 * and leaves the pool (and what its threads use) allocated, instead of
 * hanging or freeing memory a stuck thread still uses.
 *
 * Helper threads share with the scenario only atomics written by
 * read-modify-write operations, so they add no happens-before edge that
 * could hide a race in the learner's code from ThreadSanitizer or Helgrind.
 * Every time bound is multiplied by the gate's slow-down factor.
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
#include "perturb.h"
#include "scenario.h"
#include "sponsor_export.h"
#include "workpool.h"

#define MS 1000000ull
#define US 1000ull
#define RELAXED memory_order_relaxed

/* Seconds scaled by the gate's slow-down factor, in nanoseconds. */
static uint64_t scaled_ns(double seconds)
{
	return (uint64_t)(seconds * scenario_timeout_factor() * 1e9);
}

static double scaled_s(double seconds)
{
	return seconds * scenario_timeout_factor();
}

/* ---- jobs: what the tasks do, and what they note ---- */

enum job_kind {
	JOB_EXPORT,		/* one call to the gateway, then `answer` */
	JOB_UNTIL_CANCELLED,	/* waits for the token (or a long give-up), then ECANCELED */
	JOB_SPIN_UNTIL_CANCELLED, /* the same, looking at the token without a pause */
};

struct job {
	size_t id;			/* the patient: the gateway's item */
	enum job_kind kind;		/* set before submit */
	int answer;			/* set before submit: what fn returns */
	atomic_uint ran;		/* fn calls */
	atomic_uint reported;		/* done calls */
	atomic_int result;		/* the last done's result */
	atomic_uint saw_cancel;		/* fn found the token cancelled as it ended */
	atomic_int submit;		/* what pool_submit() returned; NOT_YET before */
	_Atomic uint64_t submit_ns;	/* when its pool_submit() call began; 0 before */
};

enum { NOT_YET = -1000 };

/* How long a JOB_UNTIL_CANCELLED task waits for the token at most. */
static uint64_t give_up_ns(void)
{
	return scaled_ns(3.0);
}

static int job_fn(void *arg, const struct cancel_token *token)
{
	struct job *j = arg;
	int answer = j->answer;

	atomic_fetch_add_explicit(&j->ran, 1, RELAXED);
	if (j->kind == JOB_UNTIL_CANCELLED || j->kind == JOB_SPIN_UNTIL_CANCELLED) {
		uint64_t until = world_now_ns() + give_up_ns();

		while (!token_cancelled(token) && world_now_ns() < until)
			if (j->kind == JOB_UNTIL_CANCELLED)
				world_sleep_ns(200 * US);
		answer = ECANCELED;
	} else {
		sponsor_export_send(j->id);
	}
	if (token_cancelled(token))
		atomic_fetch_add_explicit(&j->saw_cancel, 1, RELAXED);
	return answer;
}

static void job_done(void *arg, int result)
{
	struct job *j = arg;

	atomic_exchange_explicit(&j->result, result, RELAXED);
	atomic_fetch_add_explicit(&j->reported, 1, RELAXED);
}

static struct job *make_jobs(size_t n)
{
	struct job *jobs = calloc(n ? n : 1, sizeof(*jobs));

	for (size_t i = 0; jobs && i < n; i++) {
		jobs[i].id = i;
		jobs[i].kind = JOB_EXPORT;
		jobs[i].answer = 0;
		atomic_init(&jobs[i].ran, 0);
		atomic_init(&jobs[i].reported, 0);
		atomic_init(&jobs[i].result, NOT_YET);
		atomic_init(&jobs[i].saw_cancel, 0);
		atomic_init(&jobs[i].submit, NOT_YET);
		atomic_init(&jobs[i].submit_ns, 0);
	}
	return jobs;
}

static unsigned ran(struct job *j)
{
	return atomic_load_explicit(&j->ran, RELAXED);
}

/*
 * Checks R1 for jobs[0..n-1] once the pool has shut down: an accepted job
 * (submit 0) ran once and was reported once with its answer, or, when
 * `cancelled_ok`, never ran and was reported once with ECANCELED; a refused
 * one (ESHUTDOWN) neither ran nor was reported.
 */
static void check_settled(struct check *c, struct job *jobs, size_t n, bool cancelled_ok)
{
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		int submit = atomic_load_explicit(&j->submit, RELAXED);
		unsigned r = ran(j), told = atomic_load_explicit(&j->reported, RELAXED);
		int result = atomic_load_explicit(&j->result, RELAXED);

		if (submit == ESHUTDOWN) {
			if (r || told)
				return check_fail(c, "R3", "task %zu was refused (ESHUTDOWN), and fn ran "
						  "%u times and done was called %u times; expected "
						  "neither", i, r, told);
			continue;
		}
		if (submit != 0)
			return check_fail(c, "R1", "pool_submit() returned %d for task %zu; expected "
					  "0 (or ESHUTDOWN once the shutdown had begun)", submit, i);
		if (r == 1 && told == 1 && result == (j->kind == JOB_EXPORT ? j->answer : ECANCELED))
			continue;
		if (cancelled_ok && r == 0 && told == 1 && result == ECANCELED)
			continue;
		if (r == 0 && told == 0)
			return check_fail(c, "R1", "task %zu was accepted and, when pool_shutdown() "
					  "returned, had neither run nor been reported cancelled; "
					  "expected one or the other, once", i);
		if (r > 1 || told > 1)
			return check_fail(c, "R1", "task %zu: fn ran %u times and done was called %u "
					  "times; expected each once (or, for a task dropped by a "
					  "cancel, done once with ECANCELED)", i, r, told);
		if (r == 1 && told == 1)
			return check_fail(c, "R1", "task %zu: fn returned %d but done was told %d; "
					  "expected fn's result", i,
					  j->kind == JOB_EXPORT ? j->answer : ECANCELED, result);
		if (r == 1 && told == 0)
			return check_fail(c, "R1", "task %zu ran but done was never called for it by "
					  "the time pool_shutdown() returned", i);
		if (r == 0 && result == ECANCELED)
			return check_fail(c, "R1", "task %zu never ran and was reported cancelled, in "
					  "a POOL_DRAIN shutdown; expected it run", i);
		return check_fail(c, "R1", "task %zu never ran, and done was told %d; expected "
				  "ECANCELED (%d)", i, result, ECANCELED);
	}
}

/* Checks R6c's closing figures: queued and running 0, the rest as given. */
static void check_final_metrics(struct check *c, struct pool *p, size_t done, size_t failed,
				size_t cancelled)
{
	struct pool_metrics m;

	memset(&m, 0xff, sizeof(m));
	pool_metrics(p, &m);
	if (m.queued || m.running || m.done != done || m.failed != failed ||
	    m.cancelled != cancelled)
		check_fail(c, "R6c", "once pool_shutdown() had returned, pool_metrics() said "
			   "queued %zu, running %zu, done %zu, failed %zu, cancelled %zu; expected "
			   "0, 0, %zu, %zu, %zu", m.queued, m.running, m.done, m.failed,
			   m.cancelled, done, failed, cancelled);
}

/* ---- pools on the heap, shut down in a watched thread ---- */

static void finish_pool(struct pool *p)
{
	pool_destroy(p);
	free(p);
}

static struct pool *start_pool(struct check *c, unsigned workers, const char *clause)
{
	struct pool *p = calloc(1, sizeof(*p));
	int err;

	if (!p) {
		check_fail(c, clause, "harness set-up failed (memory)");
		return NULL;
	}
	err = pool_init(p, workers);
	if (err) {
		check_fail(c, clause, "pool_init(workers=%u) returned %d; expected 0", workers, err);
		free(p);
		return NULL;
	}
	return p;
}

/*
 * The set-up most scenarios share: the export service reset for n tasks of
 * latency_ns each on `workers` connections, then a pool of `workers` started
 * on the heap (start_pool). own[0..n_own-1] are the scenario's allocations
 * (make_jobs, calloc), each NULL when it failed. Returns the pool; or NULL
 * with the check failed for clause and every own[] freed.
 */
static struct pool *pool_setup(struct check *c, const char *clause, uint64_t latency_ns,
			       unsigned workers, size_t n, void *own[], size_t n_own)
{
	bool have_all = true;
	struct pool *p = NULL;

	for (size_t i = 0; i < n_own; i++)
		have_all = have_all && own[i];
	if (!have_all || sponsor_export_reset(latency_ns, workers, n))
		check_fail(c, clause, "harness set-up failed (memory)");
	else
		p = start_pool(c, workers, clause);
	if (!p)
		for (size_t i = 0; i < n_own; i++)
			free(own[i]);
	return p;
}

/* Submits jobs[0..n-1] to p in order, recording each pool_submit() result. */
static void submit_all(struct pool *p, struct job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int err = pool_submit(p, job_fn, job_done, &jobs[i]);

		atomic_exchange_explicit(&jobs[i].submit, err, RELAXED);
	}
}

struct stopping {
	struct pool *p;
	enum pool_stop how;
	struct runner r;
	_Atomic uint64_t called_ns;	/* when pool_shutdown() was called; 0 before */
};

static int shutdown_op(void *arg)
{
	struct stopping *s = arg;

	atomic_exchange_explicit(&s->called_ns, world_now_ns(), RELAXED);
	pool_shutdown(s->p, s->how);
	return 0;
}

static bool shutdown_begin(struct check *c, struct stopping *s, struct pool *p,
			   enum pool_stop how, const char *clause)
{
	s->p = p;
	s->how = how;
	if (runner_start(&s->r, shutdown_op, s)) {
		check_fail(c, clause, "harness set-up failed (pthread_create)");
		return false;
	}
	return true;
}

static const char *how_name(enum pool_stop how)
{
	return how == POOL_DRAIN ? "pool_shutdown(POOL_DRAIN)" : "pool_shutdown(POOL_CANCEL)";
}

/*
 * Waits up to `seconds` (scaled) for the shutdown; true when it returned
 * (and the runner is joined). When it did not, the failure is recorded
 * unless one already was, and the runner and its pool are left as they are.
 */
static bool shutdown_end(struct check *c, struct stopping *s, double seconds, const char *clause,
			 const char *situation)
{
	if (!runner_wait_until(&s->r, world_now_ns() + scaled_ns(seconds))) {
		check_fail(c, clause, "%s was still blocked %.1f s later, %s; expected it to "
			   "return", how_name(s->how), scaled_s(seconds), situation);
		return false;
	}
	runner_join(&s->r);
	return true;
}

/* Shuts p down and waits for it; on success also destroys and frees p. */
static bool shutdown_and_free(struct check *c, struct pool *p, enum pool_stop how,
			      double seconds, const char *clause, const char *situation)
{
	struct stopping *s = calloc(1, sizeof(*s));

	if (!s) {
		check_fail(c, clause, "harness set-up failed (memory)");
		return false;
	}
	if (!shutdown_begin(c, s, p, how, clause)) {
		free(s);
		return false;
	}
	if (!shutdown_end(c, s, seconds, clause, situation))
		return false;		/* s and p stay: a thread may still use them */
	free(s);
	finish_pool(p);
	return true;
}

/* Waits up to `seconds` (scaled) until at least `want` jobs of jobs[0..n-1] have started. */
static bool wait_started(struct job *jobs, size_t n, unsigned want, double seconds)
{
	uint64_t deadline = world_now_ns() + scaled_ns(seconds);

	for (;;) {
		unsigned started = 0;

		for (size_t i = 0; i < n; i++)
			started += ran(&jobs[i]) > 0;
		if (started >= want)
			return true;
		if (world_now_ns() > deadline)
			return false;
		world_sleep_ns(200 * US);
	}
}

/* ---- submitters: threads that submit jobs, as request handlers do ---- */

struct submitter {
	pthread_t thread;
	struct pool *p;
	struct job *jobs;		/* jobs[first .. first+count-1] */
	size_t first, count;
	uint64_t pause_ns;		/* between two submits */
	atomic_size_t submitted;	/* submits that have returned */
};

static void *submitter_main(void *arg)
{
	struct submitter *s = arg;

	for (size_t k = 0; k < s->count; k++) {
		struct job *j = &s->jobs[s->first + k];
		int err;

		atomic_exchange_explicit(&j->submit_ns, world_now_ns(), RELAXED);
		err = pool_submit(s->p, job_fn, job_done, j);

		atomic_exchange_explicit(&j->submit, err, RELAXED);
		atomic_fetch_add_explicit(&s->submitted, 1, RELAXED);
		if (s->pause_ns)
			world_sleep_ns(s->pause_ns);
	}
	return NULL;
}

/* Prepares n submitters sharing jobs[0..total-1] evenly. */
static void submitters_prepare(struct submitter *subs, size_t n, struct pool *p,
			       struct job *jobs, size_t total, uint64_t pause_ns)
{
	for (size_t i = 0; i < n; i++) {
		subs[i].p = p;
		subs[i].jobs = jobs;
		subs[i].first = i * (total / n);
		subs[i].count = i + 1 == n ? total - subs[i].first : total / n;
		subs[i].pause_ns = pause_ns;
		atomic_init(&subs[i].submitted, 0);
	}
}

/* Starts n submitters (submitters_prepare); returns how many started. */
static size_t submitters_start(struct submitter *subs, size_t n, struct pool *p,
			       struct job *jobs, size_t total, uint64_t pause_ns)
{
	size_t i;

	submitters_prepare(subs, n, p, jobs, total, pause_ns);
	for (i = 0; i < n; i++)
		if (pthread_create(&subs[i].thread, NULL, submitter_main, &subs[i]))
			break;
	return i;
}

/* ---- R1: every task settled once; R7: threads joined ---- */

static void every_task_settled_once(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 4, SUBMITTERS = 2 };
	size_t n = env->small ? 40 : 200;
	struct job *jobs = make_jobs(n);
	struct submitter subs[SUBMITTERS];
	struct pool *p;
	int before = census_threads(), after;

	p = pool_setup(c, "R1", 300 * US, WORKERS, n, (void *[]){ jobs }, 1);
	if (!p)
		return;
	for (size_t i = 0; i < n; i++)
		if (i % 5 == 3)
			jobs[i].answer = EIO;
	submitters_prepare(subs, SUBMITTERS, p, jobs, n, 0);
	if (crew_run(SUBMITTERS, submitter_main, subs, sizeof(*subs)) < SUBMITTERS)
		check_fail(c, "R1", "harness set-up failed (pthread_create)");
	if (!shutdown_and_free(c, p, POOL_DRAIN, 3.0, "R4", "with tasks queued and workers busy"))
		return;		/* the jobs stay too */
	after = census_settle(before, 10);
	if (!c->failed && after > before)
		check_fail(c, "R7", "%d threads were still running when pool_shutdown() "
			   "returned; expected every worker ended and joined", after - before);
	if (!c->failed)
		check_settled(c, jobs, n, false);
	if (!c->failed) {
		uint32_t calls;
		size_t item = service_first_not_once(&sponsor_export, &calls);

		if (item != (size_t)-1)
			check_fail(c, "R1", "patient %zu was exported %u times; expected once", item,
				   calls);
	}
	free(jobs);
}

/*
 * The same run, checking the closing metrics (R6c) before the pool is
 * destroyed: done and failed as fn answered.
 */
static void closing_metrics_add_up(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 3 };
	size_t n = env->small ? 30 : 120, fails = 0, accepted = 0;
	struct job *jobs = make_jobs(n);
	struct stopping *s = calloc(1, sizeof(*s));
	struct pool *p;

	p = pool_setup(c, "R6c", 200 * US, WORKERS, n, (void *[]){ jobs, s }, 2);
	if (!p)
		return;
	for (size_t i = 0; i < n; i++) {
		int err;

		if (i % 4 == 1) {
			jobs[i].answer = EIO;
			fails++;
		}
		err = pool_submit(p, job_fn, job_done, &jobs[i]);
		atomic_exchange_explicit(&jobs[i].submit, err, RELAXED);
		accepted += err == 0;
	}
	if (accepted != n) {
		check_fail(c, "R1", "pool_submit() refused %zu of %zu tasks on a running pool; "
			   "expected 0 for each", n - accepted, n);
	}
	if (!shutdown_begin(c, s, p, POOL_DRAIN, "R6c"))
		return;
	if (!shutdown_end(c, s, 3.0, "R4", "with tasks queued and workers busy"))
		return;
	if (!c->failed)
		check_settled(c, jobs, n, false);
	if (!c->failed)
		check_final_metrics(c, p, n - fails, fails, 0);
	finish_pool(p);
	free(s);
	free(jobs);
}

/* ---- R2 and R6b/R6c: the limit, and a reader hammering the metrics ---- */

struct reader {
	pthread_t thread;
	struct pool *p;
	size_t total;			/* tasks submitted in all */
	atomic_bool stop;
	atomic_size_t reads;
	atomic_size_t max_running;
	atomic_int problem;		/* 0, or one of the codes below */
	_Atomic size_t bad[2];		/* the figures that showed it */
};

enum { READ_OK, READ_DONE_DECREASED, READ_FAILED_DECREASED, READ_TOO_BIG };

static void reader_note(struct reader *r, int problem, size_t a, size_t b)
{
	int none = READ_OK;

	if (atomic_compare_exchange_strong_explicit(&r->problem, &none, problem, RELAXED,
						    RELAXED)) {
		atomic_exchange_explicit(&r->bad[0], a, RELAXED);
		atomic_exchange_explicit(&r->bad[1], b, RELAXED);
	}
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	size_t last_done = 0, last_failed = 0, seen = 0;

	while (!atomic_load_explicit(&r->stop, RELAXED)) {
		struct pool_metrics m;

		pool_metrics(r->p, &m);
		atomic_fetch_add_explicit(&r->reads, 1, RELAXED);
		if (m.running > seen) {
			seen = m.running;
			atomic_exchange_explicit(&r->max_running, seen, RELAXED);
		}
		if (m.done < last_done)
			reader_note(r, READ_DONE_DECREASED, last_done, m.done);
		if (m.failed < last_failed)
			reader_note(r, READ_FAILED_DECREASED, last_failed, m.failed);
		if (m.queued > r->total || m.done > r->total || m.failed > r->total ||
		    m.cancelled > r->total)
			reader_note(r, READ_TOO_BIG, m.queued > r->total ? m.queued : m.done,
				    r->total);
		last_done = m.done;
		last_failed = m.failed;
		world_sleep_ns(20 * US);
	}
	return NULL;
}

static void never_more_than_workers(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 3 };
	size_t n = env->small ? 60 : 300;
	struct job *jobs = make_jobs(n);
	struct reader *r = calloc(1, sizeof(*r));
	struct stopping *s = calloc(1, sizeof(*s));
	struct pool *p;
	size_t reads;

	p = pool_setup(c, "R2", 500 * US, WORKERS, n, (void *[]){ jobs, r, s }, 3);
	if (!p)
		return;
	for (size_t i = 0; i < n; i++)
		if (i % 7 == 2)
			jobs[i].answer = EIO;
	r->p = p;
	r->total = n;
	atomic_init(&r->stop, false);
	atomic_init(&r->reads, 0);
	atomic_init(&r->max_running, 0);
	atomic_init(&r->problem, READ_OK);
	if (pthread_create(&r->thread, NULL, reader_main, r)) {
		check_fail(c, "R2", "harness set-up failed (pthread_create)");
		shutdown_and_free(c, p, POOL_DRAIN, 3.0, "R4", "on an idle pool");
		free(jobs);
		free(r);
		free(s);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int err = pool_submit(p, job_fn, job_done, &jobs[i]);

		atomic_exchange_explicit(&jobs[i].submit, err, RELAXED);
	}
	/* Let the reader watch the pool at work, then until it is stopped. */
	wait_started(jobs, n, (unsigned)(n / 2), 3.0);
	if (!shutdown_begin(c, s, p, POOL_DRAIN, "R2")) {
		atomic_exchange_explicit(&r->stop, true, RELAXED);
		return;
	}
	if (!shutdown_end(c, s, 3.0, "R4", "with tasks queued and workers busy")) {
		atomic_exchange_explicit(&r->stop, true, RELAXED);
		return;		/* the reader may still read p: leave it all */
	}
	atomic_exchange_explicit(&r->stop, true, RELAXED);
	pthread_join(r->thread, NULL);
	finish_pool(p);
	free(s);
	reads = atomic_load_explicit(&r->reads, RELAXED);
	if (service_violations(&sponsor_export) || service_peak(&sponsor_export) > WORKERS)
		check_fail(c, "R2", "a pool of %d workers had %u exports in flight at once at its "
			   "peak; expected at most %d", WORKERS, service_peak(&sponsor_export),
			   WORKERS);
	else if (atomic_load_explicit(&r->max_running, RELAXED) > WORKERS)
		check_fail(c, "R6c", "a thread reading pool_metrics() while the pool worked saw "
			   "running = %zu on a pool of %d workers; expected at most %d",
			   (size_t)atomic_load_explicit(&r->max_running, RELAXED), WORKERS, WORKERS);
	else if (atomic_load_explicit(&r->problem, RELAXED) == READ_DONE_DECREASED)
		check_fail(c, "R6c", "a thread reading pool_metrics() saw done go from %zu down "
			   "to %zu; expected it never to decrease",
			   (size_t)atomic_load_explicit(&r->bad[0], RELAXED),
			   (size_t)atomic_load_explicit(&r->bad[1], RELAXED));
	else if (atomic_load_explicit(&r->problem, RELAXED) == READ_FAILED_DECREASED)
		check_fail(c, "R6c", "a thread reading pool_metrics() saw failed go from %zu down "
			   "to %zu; expected it never to decrease",
			   (size_t)atomic_load_explicit(&r->bad[0], RELAXED),
			   (size_t)atomic_load_explicit(&r->bad[1], RELAXED));
	else if (atomic_load_explicit(&r->problem, RELAXED) == READ_TOO_BIG)
		check_fail(c, "R6c", "a thread reading pool_metrics() saw a count of %zu with "
			   "only %zu tasks submitted in all",
			   (size_t)atomic_load_explicit(&r->bad[0], RELAXED), n);
	else if (reads == 0)
		check_fail(c, "R6a", "a thread calling pool_metrics() in a loop while the pool "
			   "worked never got an answer");
	if (!c->failed)
		check_settled(c, jobs, n, false);
	free(jobs);
	free(r);
}

/* ---- R6a: the metrics while somebody holds the lock ---- */

struct metrics_call {
	struct pool *p;
	struct pool_metrics m;
};

static int metrics_op(void *arg)
{
	struct metrics_call *mc = arg;

	pool_metrics(mc->p, &mc->m);
	return 0;
}

static void metrics_while_lock_held(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 2, N = 5 };
	struct job *jobs = make_jobs(N);
	struct metrics_call *mc = calloc(1, sizeof(*mc));
	struct pool *p;
	bool returned;

	(void)env;
	p = pool_setup(c, "R6a", 200 * US, WORKERS, N, (void *[]){ jobs, mc }, 2);
	if (!p)
		return;
	/* Both workers sit inside an export; three tasks wait behind them. */
	sponsor_export_hold(true);
	submit_all(p, jobs, N);
	{
		uint64_t deadline = world_now_ns() + scaled_ns(2.0);

		while (sponsor_export_held() < WORKERS && world_now_ns() < deadline)
			world_sleep_ns(200 * US);
	}
	if (sponsor_export_held() < WORKERS) {
		check_fail(c, "R1", "%u of %d workers had started a task 2 s after %d tasks were "
			   "submitted; expected both busy", sponsor_export_held(), WORKERS, N);
		goto out;
	}
	mc->p = p;
	memset(&mc->m, 0xff, sizeof(mc->m));
	pthread_mutex_lock(&p->lock);
	{
		struct runner *r = calloc(1, sizeof(*r));

		if (!r || runner_start(r, metrics_op, mc)) {
			pthread_mutex_unlock(&p->lock);
			free(r);
			check_fail(c, "R6a", "harness set-up failed (pthread_create)");
			goto out;
		}
		returned = runner_wait_until(r, world_now_ns() + scaled_ns(0.3));
		pthread_mutex_unlock(&p->lock);
		runner_join(r);
		free(r);
	}
	if (!returned)
		check_fail(c, "R6a", "pool_metrics() was still blocked %.1f s later while another "
			   "thread held p->lock (the dashboard waits behind whatever holds the "
			   "lock); expected it to return at once, without the lock",
			   scaled_s(0.3));
	else if (mc->m.running != WORKERS || mc->m.queued != N - WORKERS || mc->m.done ||
		 mc->m.failed || mc->m.cancelled)
		check_fail(c, "R6c", "with both workers inside a task and %d tasks queued, "
			   "pool_metrics() said queued %zu, running %zu, done %zu, failed %zu, "
			   "cancelled %zu; expected %d, %d, 0, 0, 0", N - WORKERS, mc->m.queued,
			   mc->m.running, mc->m.done, mc->m.failed, mc->m.cancelled, N - WORKERS,
			   WORKERS);
out:
	sponsor_export_hold(false);
	if (!shutdown_and_free(c, p, POOL_DRAIN, 3.0, "R4", "with tasks queued and workers busy"))
		return;
	if (!c->failed)
		check_settled(c, jobs, N, false);
	free(jobs);
	free(mc);
}

/* ---- R3: refusals ---- */

static void submit_after_shutdown_refused(struct check *c, const struct scenario_env *env)
{
	struct job *jobs = make_jobs(3);
	struct stopping *s = calloc(1, sizeof(*s));
	struct pool bad;
	struct pool *p;
	int err;

	(void)env;
	err = pool_init(&bad, 0);
	if (err != EINVAL) {
		check_fail(c, "R3", "pool_init(workers=0) returned %d; expected EINVAL (%d)", err,
			   EINVAL);
		if (err == 0) {
			pool_shutdown(&bad, POOL_DRAIN);
			pool_destroy(&bad);
		}
		free(jobs);
		free(s);
		return;
	}
	p = pool_setup(c, "R3", 100 * US, 2, 3, (void *[]){ jobs, s }, 2);
	if (!p)
		return;
	err = pool_submit(p, NULL, job_done, &jobs[0]);
	if (err != EINVAL)
		check_fail(c, "R3", "pool_submit() with a NULL fn returned %d; expected EINVAL "
			   "(%d)", err, EINVAL);
	err = pool_submit(p, job_fn, job_done, &jobs[1]);
	atomic_exchange_explicit(&jobs[1].submit, err, RELAXED);
	if (!shutdown_begin(c, s, p, POOL_DRAIN, "R3"))
		return;
	if (!shutdown_end(c, s, 3.0, "R4", "with one short task queued"))
		return;
	err = pool_submit(p, job_fn, job_done, &jobs[2]);
	atomic_exchange_explicit(&jobs[2].submit, err, RELAXED);
	if (!c->failed && err != ESHUTDOWN)
		check_fail(c, "R3", "pool_submit() after pool_shutdown() had returned gave %d%s; "
			   "expected ESHUTDOWN (%d): no worker is left to run it", err,
			   err == 0 ? " (the task was accepted)" : "", ESHUTDOWN);
	world_sleep_ns(5 * MS);
	if (!c->failed && (ran(&jobs[2]) || atomic_load_explicit(&jobs[2].reported, RELAXED)))
		check_fail(c, "R3", "a task refused after the shutdown ran (%u) or was reported "
			   "(%u); expected neither", ran(&jobs[2]),
			   atomic_load_explicit(&jobs[2].reported, RELAXED));
	if (!c->failed && ran(&jobs[0]))
		check_fail(c, "R3", "a task submitted with a NULL fn was run");
	if (!c->failed)
		check_settled(c, &jobs[1], 1, false);
	if (!c->failed)
		check_final_metrics(c, p, 1, 0, 0);
	finish_pool(p);
	free(s);
	free(jobs);
}

/* R1 and R3 together: submits on three threads racing the shutdown. */
static void submits_racing_shutdown(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 3, SUBMITTERS = 3 };
	size_t per = env->small ? 40 : 120, n = per * SUBMITTERS, accepted = 0, after_call = 0;
	struct job *jobs = make_jobs(n);
	struct submitter *subs = calloc(SUBMITTERS, sizeof(*subs));
	struct stopping *s = calloc(1, sizeof(*s));
	struct pool *p;
	size_t started;
	uint64_t deadline;

	p = pool_setup(c, "R1", 100 * US, WORKERS, n, (void *[]){ jobs, subs, s }, 3);
	if (!p)
		return;
	started = submitters_start(subs, SUBMITTERS, p, jobs, n, 100 * US);
	/* Shut down once each submitter is about a tenth of the way through. */
	deadline = world_now_ns() + scaled_ns(2.0);
	for (size_t i = 0; i < started; i++)
		while (atomic_load_explicit(&subs[i].submitted, RELAXED) < per / 10 &&
		       world_now_ns() < deadline)
			world_sleep_ns(200 * US);
	if (started < SUBMITTERS)
		check_fail(c, "R1", "harness set-up failed (pthread_create)");
	if (!shutdown_begin(c, s, p, POOL_DRAIN, "R1"))
		return;
	if (!shutdown_end(c, s, 3.0, "R4", "while three threads were submitting"))
		return;
	for (size_t i = 0; i < started; i++)
		pthread_join(subs[i].thread, NULL);
	/* Anything accepted after the workers ended would still be waiting. */
	world_sleep_ns(5 * MS);
	if (!c->failed)
		check_settled(c, jobs, n, false);
	/*
	 * The shutdown's thread may start late, even after the submitters are
	 * done: then every submit is rightly accepted. Judged only when a tenth
	 * of the submits or more began after pool_shutdown() was called.
	 */
	for (size_t i = 0; i < n; i++) {
		accepted += atomic_load_explicit(&jobs[i].submit, RELAXED) == 0;
		after_call += atomic_load_explicit(&jobs[i].submit_ns, RELAXED) >
			      atomic_load_explicit(&s->called_ns, RELAXED);
	}
	if (!c->failed && accepted == n && after_call >= n / 10)
		check_fail(c, "R3", "all %zu submits on three threads were accepted, %zu of them "
			   "made after pool_shutdown() had been called; expected ESHUTDOWN for "
			   "those", n, after_call);
	/* Per thread: once refused, refused for good. */
	for (size_t i = 0; i < started && !c->failed; i++) {
		bool refused = false;

		for (size_t k = 0; k < subs[i].count; k++) {
			int err = atomic_load_explicit(&jobs[subs[i].first + k].submit, RELAXED);

			if (err == ESHUTDOWN)
				refused = true;
			else if (refused) {
				check_fail(c, "R3", "a thread's submit returned ESHUTDOWN, and a later "
					   "one returned %d; expected ESHUTDOWN for every submit "
					   "once the shutdown had begun", err);
				break;
			}
		}
	}
	if (!c->failed)
		check_final_metrics(c, p, accepted, 0, 0);
	finish_pool(p);
	free(s);
	free(subs);
	free(jobs);
}

/* ---- R4: drain ---- */

static void drain_runs_the_queue(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 2 };
	size_t n = env->small ? 20 : 60;
	struct job *jobs = make_jobs(n);
	struct stopping *s = calloc(1, sizeof(*s));
	struct pool *p;
	bool early;

	p = pool_setup(c, "R4", 300 * US, WORKERS, n, (void *[]){ jobs, s }, 2);
	if (!p)
		return;
	sponsor_export_hold(true);
	submit_all(p, jobs, n);
	if (!wait_started(jobs, n, WORKERS, 2.0)) {
		check_fail(c, "R1", "fewer than %d tasks had started 2 s after %zu were submitted "
			   "to %d idle workers", WORKERS, n, WORKERS);
		sponsor_export_hold(false);
		shutdown_and_free(c, p, POOL_DRAIN, 3.0, "R4", "with tasks queued");
		free(jobs);
		free(s);
		return;
	}
	if (!shutdown_begin(c, s, p, POOL_DRAIN, "R4")) {
		sponsor_export_hold(false);
		return;
	}
	/* The workers are held inside their tasks: a drain must wait for them. */
	early = runner_wait_until(&s->r, world_now_ns() + 20 * MS);
	sponsor_export_hold(false);
	if (early) {
		check_fail(c, "R4", "pool_shutdown(POOL_DRAIN) returned while %d tasks were still "
			   "running and %zu queued; expected it to wait for all of them", WORKERS,
			   n - WORKERS);
		runner_join(&s->r);
		return;		/* tasks may still run: p, s and the jobs stay */
	}
	if (!shutdown_end(c, s, 3.0, "R4", "once its tasks could finish"))
		return;
	check_settled(c, jobs, n, false);
	for (size_t i = 0; i < n && !c->failed; i++)
		if (atomic_load_explicit(&jobs[i].saw_cancel, RELAXED))
			check_fail(c, "R4", "task %zu found the token cancelled during a "
				   "POOL_DRAIN shutdown; expected it never cancelled", i);
	if (!c->failed)
		check_final_metrics(c, p, n, 0, 0);
	finish_pool(p);
	free(s);
	free(jobs);
}

static void idle_pool_shuts_down_at_once(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 4 };
	struct pool *p;
	int before = census_threads();

	(void)env;
	p = start_pool(c, WORKERS, "R4");
	if (!p)
		return;
	/* Every worker is asleep, waiting for work. */
	world_sleep_ns(30 * MS);
	if (!shutdown_and_free(c, p, POOL_DRAIN, 0.5, "R4",
			       "on a pool of 4 idle workers that had never had a task"))
		return;
	if (census_settle(before, 10) > before)
		check_fail(c, "R7", "%d threads were still running when pool_shutdown() returned "
			   "on an idle pool; expected every worker ended and joined",
			   census_threads() - before);
}

/* ---- R5: cancel ---- */

static void cancel_drops_the_queue(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 2 };
	size_t queued = env->small ? 300 : 3000, n = WORKERS + queued, late = 0;
	struct job *jobs = make_jobs(n);
	struct stopping *s = calloc(1, sizeof(*s));
	struct pool *p;
	uint64_t t0;
	bool quick;

	p = pool_setup(c, "R5", 1 * MS, WORKERS, n, (void *[]){ jobs, s }, 2);
	if (!p)
		return;
	for (size_t i = 0; i < n; i++) {
		int err;

		if (i < WORKERS)
			jobs[i].kind = JOB_UNTIL_CANCELLED;
		err = pool_submit(p, job_fn, job_done, &jobs[i]);
		atomic_exchange_explicit(&jobs[i].submit, err, RELAXED);
		if (err) {
			check_fail(c, "R1", "pool_submit() returned %d on a running pool; expected 0",
				   err);
			break;
		}
	}
	if (!c->failed && !wait_started(jobs, WORKERS, WORKERS, 2.0))
		check_fail(c, "R1", "the first %d tasks had not both started 2 s after they were "
			   "submitted to %d idle workers", WORKERS, WORKERS);
	if (!shutdown_begin(c, s, p, POOL_CANCEL, "R5"))
		return;
	t0 = world_now_ns();
	quick = runner_wait_until(&s->r, t0 + scaled_ns(1.0));
	/* Wait for it in any case (a pool that runs the queue takes seconds). */
	if (!shutdown_end(c, s, 8.0, "R5", "with a long queue to drop"))
		return;
	for (size_t i = WORKERS; i < n; i++)
		late += ran(&jobs[i]) > 0;
	if (late)
		check_fail(c, "R5", "%zu of the %zu tasks queued behind the running ones ran after "
			   "pool_shutdown(POOL_CANCEL) was called; expected none started (each "
			   "reported cancelled)", late, queued);
	else if (!quick)
		check_fail(c, "R5", "pool_shutdown(POOL_CANCEL) was still running %.1f s later, "
			   "with %d tasks waiting for the token and %zu queued; expected it to "
			   "cancel the token, drop the queue and return", scaled_s(1.0), WORKERS,
			   queued);
	for (size_t i = 0; i < WORKERS && !c->failed; i++)
		if (!atomic_load_explicit(&jobs[i].saw_cancel, RELAXED))
			check_fail(c, "R5", "a task running when pool_shutdown(POOL_CANCEL) was "
				   "called never saw token_cancelled() become true; expected the "
				   "token cancelled at once");
	if (!c->failed)
		check_settled(c, jobs, n, true);
	if (!c->failed)
		check_final_metrics(c, p, 0, WORKERS, queued);
	finish_pool(p);
	free(s);
	free(jobs);
}

/*
 * What a done callback sees of the pool's lock, for the scenario below (one
 * at a time): `pool` is set before the first submit; the rest are atomics.
 */
static struct {
	struct pool *pool;
	atomic_int lock_held;		/* 1: trylock from done failed for 0.2 s */
	atomic_int resubmit;		/* what pool_submit() from done returned; NOT_YET */
	atomic_uint cancelled_calls;	/* done(.., ECANCELED) calls */
} done_probe;

/*
 * A done that does what Safety allows: it takes p->lock (with trylock, so
 * that a caller holding it is found out instead of deadlocked) and, when it
 * could, calls pool_submit() (ESHUTDOWN expected during a shutdown).
 */
static void lock_probing_done(void *arg, int result)
{
	uint64_t deadline = world_now_ns() + scaled_ns(0.2);
	int err;

	job_done(arg, result);
	if (result != ECANCELED)
		return;
	atomic_fetch_add_explicit(&done_probe.cancelled_calls, 1, RELAXED);
	if (atomic_load_explicit(&done_probe.lock_held, RELAXED))
		return;
	while ((err = pthread_mutex_trylock(&done_probe.pool->lock)) != 0 &&
	       world_now_ns() < deadline)
		world_sleep_ns(MS);
	if (err) {
		atomic_exchange_explicit(&done_probe.lock_held, 1, RELAXED);
		return;
	}
	pthread_mutex_unlock(&done_probe.pool->lock);
	err = pool_submit(done_probe.pool, job_fn, NULL, arg);
	atomic_exchange_explicit(&done_probe.resubmit, err, RELAXED);
}

/*
 * A POOL_CANCEL shutdown calls done(arg, ECANCELED) for the dropped tasks
 * without p->lock held (Safety): a done that takes the lock gets it, and
 * one that calls pool_submit() gets ESHUTDOWN (R3) instead of a deadlock.
 */
static void cancel_settles_outside_the_lock(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 1, QUEUED = 20, N = WORKERS + QUEUED };
	struct job *jobs = make_jobs(N);
	struct stopping *s = calloc(1, sizeof(*s));
	struct pool *p;
	int resubmit;

	(void)env;
	p = pool_setup(c, "R5", 1 * MS, WORKERS, N, (void *[]){ jobs, s }, 2);
	if (!p)
		return;
	done_probe.pool = p;
	atomic_exchange_explicit(&done_probe.lock_held, 0, RELAXED);
	atomic_exchange_explicit(&done_probe.resubmit, NOT_YET, RELAXED);
	atomic_exchange_explicit(&done_probe.cancelled_calls, 0, RELAXED);
	jobs[0].kind = JOB_UNTIL_CANCELLED;
	for (size_t i = 0; i < N && !c->failed; i++) {
		int err = pool_submit(p, job_fn, lock_probing_done, &jobs[i]);

		atomic_exchange_explicit(&jobs[i].submit, err, RELAXED);
		if (err)
			check_fail(c, "R1", "pool_submit() returned %d on a running pool; expected 0",
				   err);
	}
	if (!c->failed && !wait_started(jobs, WORKERS, WORKERS, 2.0))
		check_fail(c, "R1", "the first task had not started 2 s after it was submitted to "
			   "an idle worker");
	if (!shutdown_begin(c, s, p, POOL_CANCEL, "R5"))
		return;
	if (!shutdown_end(c, s, 8.0, "R5", "while the done callbacks of the dropped tasks "
			  "called pool_submit()"))
		return;
	resubmit = atomic_load_explicit(&done_probe.resubmit, RELAXED);
	if (!c->failed && atomic_load_explicit(&done_probe.lock_held, RELAXED))
		check_fail(c, "R5", "pool_shutdown(POOL_CANCEL) called done(arg, ECANCELED) for a "
			   "dropped task while p->lock was held: pthread_mutex_trylock(&p->lock) "
			   "from inside done failed for %.1f s; expected done called without the "
			   "pool's lock (it may call pool_submit())", scaled_s(0.2));
	else if (!c->failed && atomic_load_explicit(&done_probe.cancelled_calls, RELAXED) &&
		 resubmit != ESHUTDOWN)
		check_fail(c, "R3", "pool_submit() called from a dropped task's done during "
			   "pool_shutdown(POOL_CANCEL) returned %d; expected ESHUTDOWN (%d)",
			   resubmit, ESHUTDOWN);
	if (!c->failed)
		check_settled(c, jobs, N, true);
	finish_pool(p);
	free(s);
	free(jobs);
}

/*
 * done may be NULL (nobody is told): a POOL_CANCEL shutdown still drops
 * such queued tasks unrun, and counts them cancelled.
 */
static void cancel_drops_tasks_without_done(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 2, QUEUED = 30, N = WORKERS + QUEUED };
	struct job *jobs = make_jobs(N);
	struct stopping *s = calloc(1, sizeof(*s));
	struct pool *p;
	size_t late = 0;

	(void)env;
	p = pool_setup(c, "R5", 1 * MS, WORKERS, N, (void *[]){ jobs, s }, 2);
	if (!p)
		return;
	for (size_t i = 0; i < N && !c->failed; i++) {
		int err;

		if (i < WORKERS)
			jobs[i].kind = JOB_UNTIL_CANCELLED;
		err = pool_submit(p, job_fn, i < WORKERS || i % 2 ? job_done : NULL, &jobs[i]);
		atomic_exchange_explicit(&jobs[i].submit, err, RELAXED);
		if (err)
			check_fail(c, "R1", "pool_submit() returned %d on a running pool; expected 0",
				   err);
	}
	if (!c->failed && !wait_started(jobs, WORKERS, WORKERS, 2.0))
		check_fail(c, "R1", "the first %d tasks had not both started 2 s after they were "
			   "submitted to %d idle workers", WORKERS, WORKERS);
	if (!shutdown_begin(c, s, p, POOL_CANCEL, "R5"))
		return;
	if (!shutdown_end(c, s, 8.0, "R5", "with queued tasks whose done is NULL"))
		return;
	for (size_t i = WORKERS; i < N; i++)
		late += ran(&jobs[i]) > 0;
	if (!c->failed && late)
		check_fail(c, "R5", "%zu of the %d tasks queued behind the running ones (half of "
			   "them submitted with done NULL) ran after pool_shutdown(POOL_CANCEL) was "
			   "called; expected none started", late, QUEUED);
	for (size_t i = WORKERS + 1; i < N && !c->failed; i += 2)
		if (atomic_load_explicit(&jobs[i].reported, RELAXED) != 1 ||
		    atomic_load_explicit(&jobs[i].result, RELAXED) != ECANCELED)
			check_fail(c, "R1", "queued task %zu was not reported cancelled once by "
				   "pool_shutdown(POOL_CANCEL) (done called %u times, last with "
				   "%d); expected done(arg, ECANCELED) once", i,
				   atomic_load_explicit(&jobs[i].reported, RELAXED),
				   atomic_load_explicit(&jobs[i].result, RELAXED));
	if (!c->failed)
		check_final_metrics(c, p, 0, WORKERS, QUEUED);
	finish_pool(p);
	free(s);
	free(jobs);
}

/*
 * Workers outlast idle spells: one task at a time on a pool of 2, each
 * submitted once both workers are idle again, so that every worker waits
 * (and wakes: the perturbation adds spurious and stolen wake-ups) again and
 * again. Every task still runs, and a drain settles them all.
 */
static void workers_outlast_idle_spells(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 2 };
	size_t n = env->small ? 40 : 60, submitted = 0;
	struct job *jobs = make_jobs(n);
	struct stopping *s = calloc(1, sizeof(*s));
	struct pool *p;

	p = pool_setup(c, "R1", 1 * MS, WORKERS, n, (void *[]){ jobs, s }, 2);
	if (!p)
		return;
	for (size_t i = 0; i < n && !c->failed; i++) {
		uint64_t deadline;
		int err = pool_submit(p, job_fn, job_done, &jobs[i]);

		atomic_exchange_explicit(&jobs[i].submit, err, RELAXED);
		if (err) {
			check_fail(c, "R1", "pool_submit() returned %d on a running pool; expected 0",
				   err);
			break;
		}
		submitted++;
		deadline = world_now_ns() + scaled_ns(1.0);
		while (atomic_load_explicit(&jobs[i].reported, RELAXED) == 0 &&
		       world_now_ns() < deadline)
			world_sleep_ns(200 * US);
		if (atomic_load_explicit(&jobs[i].reported, RELAXED) == 0)
			check_fail(c, "R1", "task %zu, submitted to a pool of %d workers after %zu "
				   "tasks each run while the other worker idled, had not run %.1f s "
				   "later; expected an idle worker to take it (a worker must wait "
				   "again after a wake-up that finds nothing to do)", i, WORKERS, i,
				   scaled_s(1.0));
		world_sleep_ns(2 * MS);
	}
	if (!shutdown_begin(c, s, p, POOL_DRAIN, "R4"))
		return;
	if (!shutdown_end(c, s, 5.0, "R4", "after a series of single tasks"))
		return;
	if (!c->failed)
		check_settled(c, jobs, submitted, false);
	finish_pool(p);
	free(s);
	free(jobs);
}

/*
 * R5's "no queued task starts after that moment", over many rounds: two
 * running tasks that look at the token without a pause end the moment it
 * is cancelled, and their workers go straight back to the queue; a shutdown
 * that cancels the token before the queue is dropped lets them start a
 * queued task in between.
 */
static void cancel_starts_nothing_queued(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 2, QUEUED = 4, N = WORKERS + QUEUED };
	unsigned rounds = env->small ? 10 : 40;

	for (unsigned round = 0; round < rounds && !c->failed; round++) {
		struct job *jobs = make_jobs(N);
		struct stopping *s = calloc(1, sizeof(*s));
		struct pool *p;
		size_t late = 0;

		p = pool_setup(c, "R5", 1 * MS, WORKERS, N, (void *[]){ jobs, s }, 2);
		if (!p)
			return;
		for (size_t i = 0; i < N && !c->failed; i++) {
			int err;

			if (i < WORKERS)
				jobs[i].kind = JOB_SPIN_UNTIL_CANCELLED;
			err = pool_submit(p, job_fn, job_done, &jobs[i]);
			atomic_exchange_explicit(&jobs[i].submit, err, RELAXED);
			if (err)
				check_fail(c, "R1", "pool_submit() returned %d on a running pool; "
					   "expected 0", err);
		}
		if (!c->failed && !wait_started(jobs, WORKERS, WORKERS, 2.0))
			check_fail(c, "R1", "the first %d tasks had not both started 2 s after they "
				   "were submitted to %d idle workers", WORKERS, WORKERS);
		if (!shutdown_begin(c, s, p, POOL_CANCEL, "R5"))
			return;
		if (!shutdown_end(c, s, 5.0, "R5", "with two tasks waiting for the token"))
			return;
		for (size_t i = WORKERS; i < N; i++)
			late += ran(&jobs[i]) > 0;
		if (!c->failed && late)
			check_fail(c, "R5", "round %u: %zu of the %d tasks queued behind two running "
				   "ones ran after pool_shutdown(POOL_CANCEL) was called (the running "
				   "ones end as soon as the token is cancelled); expected none started, "
				   "each reported cancelled", round + 1, late, QUEUED);
		if (!c->failed)
			check_settled(c, jobs, N, true);
		finish_pool(p);
		free(s);
		free(jobs);
	}
}

/* ---- R7 (and R3): a pool that cannot start ---- */

/*
 * One pool_init(workers=4) whose pthread_create() fails after `started`
 * calls succeeded: EAGAIN back, and no thread running at its return. The
 * workers it did start linger 100 ms after they return (perturb.h), so that
 * one detached, or never joined, is still running when pool_init()
 * returns. The pool is left allocated when threads outlived the call (they
 * may still use it). False when the check failed.
 */
static bool failed_start_at(struct check *c, int started)
{
	static const char *const nth[] = { "first", "second", "third", "fourth", "fifth" };
	struct pool *p = calloc(1, sizeof(*p));
	struct census_span span;
	int err;

	if (!p) {
		check_fail(c, "R7", "harness set-up failed (memory)");
		return false;
	}
	perturb_linger_threads(100 * MS);
	census_span_start(&span);
	if (started)
		perturb_fail_create_after(started);
	else
		perturb_fail_create_next();
	err = pool_init(p, 4);
	perturb_fail_create_after(0);
	census_span_end(&span);
	perturb_linger_threads(0);
	if (err != EAGAIN) {
		check_fail(c, "R7", "pool_init(workers=4) returned %d when its %s "
			   "pthread_create() failed with EAGAIN; expected that error (%d)", err,
			   nth[started], EAGAIN);
		if (err == 0)
			shutdown_and_free(c, p, POOL_DRAIN, 3.0, "R4", "on an idle pool");
		else
			free(p);
		return false;
	}
	if (span.at_return > span.before) {
		check_fail(c, "R7", "pool_init() returned EAGAIN after its %s worker could not "
			   "start, and %d of the %d workers it did start were still running when "
			   "it returned; expected them stopped and joined first", nth[started],
			   span.at_return - span.before, started);
		if (!census_span_outlived(&span))
			free(p);
		return false;
	}
	free(p);
	return true;
}

/* The first, second, third or fourth worker cannot start. */
static void failed_start_leaves_nothing(struct check *c, const struct scenario_env *env)
{
	(void)env;
	for (int started = 0; started <= 3; started++)
		if (!failed_start_at(c, started))
			return;
}

CHAPTER_SCENARIOS(
	SCENARIO_T(every_task_settled_once, "R1 R7", 5.0),
	SCENARIO_T(closing_metrics_add_up, "R6c", 5.0),
	SCENARIO_T(never_more_than_workers, "R2 R6b R6c", 5.0),
	SCENARIO_T(metrics_while_lock_held, "R6a", 5.0),
	SCENARIO_T(submit_after_shutdown_refused, "R3", 5.0),
	SCENARIO_T(submits_racing_shutdown, "R1 R3", 5.0),
	SCENARIO_T(drain_runs_the_queue, "R4", 5.0),
	SCENARIO_T(idle_pool_shuts_down_at_once, "R4 R7", 5.0),
	SCENARIO_T(cancel_drops_the_queue, "R5", 12.0),
	SCENARIO_T(cancel_starts_nothing_queued, "R5", 12.0),
	SCENARIO_T(cancel_settles_outside_the_lock, "R5 R3", 12.0),
	SCENARIO_T(cancel_drops_tasks_without_done, "R5 R1", 12.0),
	SCENARIO_T(workers_outlast_idle_spells, "R1 R4", 8.0),
	SCENARIO_T(failed_start_leaves_nothing, "R7", 5.0)
);
