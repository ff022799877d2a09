/*
 * 04-context-cancellation.c - scenarios for chapter 04 (context.h)
 *
 * Each scenario checks one clause sentence of context.h (R1a, R6b, ...). Threads that the scenario
 * expects to be woken run in a runner (scenario.h), which records when they
 * returned, so a scenario can wait for them with a bound and report the
 * latency it measured instead of hanging. When learner threads are still blocked after
 * that bound and nothing can release them, the memory they use is left
 * allocated for the rest of the process.
 *
 * "R10" (throughput) is checked by harness/bench/04-context-cancellation.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "context.h"
#include "perturb.h"
#include "records_oracle.h"
#include "scenario.h"
#include "wearables.h"

#define MS 1000000ull
#define BOUND_MS 50.0		/* "promptly" in context.h */
#define GIVE_UP_NS (1000 * MS)	/* how long a scenario waits for a wake-up */
#define ROOT_DEADLINE_MS 100	/* first_cause_wins: the parent's deadline */

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static const char *errname(int err)
{
	const char *name = err ? strerrorname_np(err) : "0";

	return name ? name : "an unknown error";
}

static int op_ctx_wait(void *arg)
{
	return ctx_wait(arg);
}

struct queue_op {
	struct queue *q;
	size_t item;
};

static int op_push(void *arg)
{
	struct queue_op *o = arg;

	return queue_push(o->q, o->item);
}

static int op_pop(void *arg)
{
	struct queue_op *o = arg;

	return queue_pop(o->q, &o->item);
}

/* ---- R1: cancel -------------------------------------------------------- */

#define WAITERS 3

struct waiters {
	struct ctx c;
	struct runner r[WAITERS];
};

static void cancel_wakes_every_waiter(struct check *c, const struct scenario_env *env)
{
	struct waiters *w = calloc(1, sizeof(*w));
	uint64_t t0, worst = 0;
	int i, err, first_bad = -1, bad_ret = 0;

	(void)env;
	if (!w || ctx_init(&w->c, NULL))
		return check_fail(c, "R1a", "harness set-up failed");
	for (i = 0; i < WAITERS; i++)
		runner_start(&w->r[i], op_ctx_wait, &w->c);
	for (i = 0; i < WAITERS; i++)
		runner_wait_blocked(&w->r[i]);
	t0 = world_now_ns();
	ctx_cancel(&w->c);
	for (i = 0; i < WAITERS; i++) {
		uint64_t end;

		if (!runner_wait_until(&w->r[i], t0 + GIVE_UP_NS)) {
			/* Nothing else can wake them: leave w allocated. */
			return check_fail(c, "R1a", "a thread blocked in ctx_wait() was still "
					  "blocked %.0f ms after ctx_cancel(); expected it to "
					  "return ECANCELED within %.0f ms", ms(GIVE_UP_NS), BOUND_MS);
		}
		runner_finished(&w->r[i], &err, &end);
		if (end - t0 > worst)
			worst = end - t0;
		if (err != ECANCELED && first_bad < 0) {
			first_bad = i;
			bad_ret = err;
		}
	}
	for (i = 0; i < WAITERS; i++)
		runner_join(&w->r[i]);
	if (first_bad >= 0)
		check_fail(c, "R1a", "ctx_wait() returned %s after ctx_cancel(); expected ECANCELED",
			   errname(bad_ret));
	else if (ms(worst) > BOUND_MS)
		check_fail(c, "R1a", "the last of %d threads blocked in ctx_wait() returned %.1f ms "
			   "after ctx_cancel(); expected within %.0f ms", WAITERS, ms(worst),
			   BOUND_MS);
	else if ((err = ctx_err(&w->c)) != ECANCELED)
		check_fail(c, "R1a", "ctx_err() returned %s after ctx_cancel(); expected ECANCELED",
			   errname(err));
	ctx_destroy(&w->c);
	free(w);
}

static void first_cause_wins(struct check *c, const struct scenario_env *env)
{
	struct ctx d, root, child;
	int err, after, child_err;
	uint64_t t_root;
	bool child_first;

	(void)env;
	if (ctx_init_timeout(&d, NULL, 20 * MS))
		return check_fail(c, "R1b", "harness set-up failed");
	ctx_cancel(&d);
	ctx_cancel(&d);
	err = ctx_wait(&d);
	/*
	 * A child cancelled before its parent's deadline keeps its own cause.
	 * The deadline is far enough off for a preempted thread (or a slow
	 * ctx_init) to cancel the child first; if even so the cancel returned
	 * after it, the parent's ETIMEDOUT may rightly have come first.
	 */
	t_root = world_now_ns();
	if (ctx_init_timeout(&root, NULL, ROOT_DEADLINE_MS * MS) || ctx_init(&child, &root))
		return check_fail(c, "R1b", "harness set-up failed");
	ctx_cancel(&child);
	child_first = world_now_ns() < t_root + ROOT_DEADLINE_MS * MS;
	world_sleep_ns((ROOT_DEADLINE_MS + 20) * MS);
	after = ctx_err(&d);
	child_err = ctx_err(&child);
	ctx_destroy(&child);
	ctx_destroy(&root);
	ctx_destroy(&d);
	EXPECT(c, err == ECANCELED || err == ETIMEDOUT, "R1b",
	       "ctx_wait() returned %s on a cancelled ctx; expected ECANCELED", errname(err));
	EXPECT(c, after == err, "R1b", "a ctx cancelled before its 20 ms deadline: ctx_wait() "
	       "returned %s, but once the deadline had passed ctx_err() returned %s; "
	       "expected the first cause to stay", errname(err), errname(after));
	EXPECT(c, !child_first || child_err == ECANCELED, "R1b", "a child cancelled before its "
	       "parent's %d ms deadline: once the deadline had passed, ctx_err(child) "
	       "returned %s; expected ECANCELED, its first cause", ROOT_DEADLINE_MS,
	       errname(child_err));
}

/* A ctx that is already done answers at once, and a second cancel is harmless. */
static void done_ctx_answers_at_once(struct check *c, const struct scenario_env *env)
{
	struct timed_waiter {
		struct ctx c;
		struct runner r;
	} *t = calloc(1, sizeof(*t));
	uint64_t t0, end;
	int err;

	(void)env;
	if (!t || ctx_init(&t->c, NULL))
		return check_fail(c, "R1c", "harness set-up failed");
	ctx_cancel(&t->c);
	ctx_cancel(&t->c);
	/* No injected spurious wake-up may rescue a wait that sleeps first. */
	perturb_pause(true);
	t0 = world_now_ns();
	runner_start(&t->r, op_ctx_wait, &t->c);
	if (!runner_wait_until(&t->r, t0 + GIVE_UP_NS)) {
		perturb_pause(false);
		/* Nothing can wake it: leave t allocated. */
		return check_fail(c, "R1c", "ctx_wait() on a ctx cancelled (twice) before the "
				  "call was still blocked %.0f ms later; expected it to return "
				  "ECANCELED at once", ms(GIVE_UP_NS));
	}
	perturb_pause(false);
	runner_finished(&t->r, &err, &end);
	runner_join(&t->r);
	ctx_destroy(&t->c);
	free(t);
	EXPECT(c, err == ECANCELED, "R1c", "ctx_wait() on a ctx cancelled twice returned %s; "
	       "expected ECANCELED", errname(err));
	EXPECT(c, ms(end - t0) <= BOUND_MS, "R1c", "ctx_wait() on a ctx already cancelled "
	       "took %.1f ms to return; expected at once (within %.0f ms)", ms(end - t0),
	       BOUND_MS);
}

/* ---- R2: propagation --------------------------------------------------- */

struct family {
	struct ctx root, child, grandchild;
	struct runner on_child, on_grandchild[2];
};

static void parent_cancel_reaches_grandchild(struct check *c, const struct scenario_env *env)
{
	struct family *f = calloc(1, sizeof(*f));
	struct runner *all[3];
	uint64_t t0, worst = 0, end;
	bool woken = true;
	int err, bad = 0;

	(void)env;
	if (!f || ctx_init(&f->root, NULL) || ctx_init(&f->child, &f->root) ||
	    ctx_init(&f->grandchild, &f->child))
		return check_fail(c, "R2a", "harness set-up failed");
	all[0] = &f->on_child;
	all[1] = &f->on_grandchild[0];
	all[2] = &f->on_grandchild[1];
	runner_start(all[0], op_ctx_wait, &f->child);
	runner_start(all[1], op_ctx_wait, &f->grandchild);
	runner_start(all[2], op_ctx_wait, &f->grandchild);
	for (int i = 0; i < 3; i++)
		runner_wait_blocked(all[i]);
	t0 = world_now_ns();
	ctx_cancel(&f->root);
	for (int i = 0; i < 3; i++) {
		if (!runner_wait_until(all[i], t0 + GIVE_UP_NS)) {
			woken = false;
			break;
		}
		runner_finished(all[i], &err, &end);
		if (end - t0 > worst)
			worst = end - t0;
		if (err != ECANCELED)
			bad = err;
	}
	if (!woken) {
		/* Release them by hand, to report instead of hanging. */
		ctx_cancel(&f->grandchild);
		ctx_cancel(&f->child);
		for (int i = 0; i < 3; i++)
			if (!runner_wait_until(all[i], world_now_ns() + GIVE_UP_NS))
				return check_fail(c, "R2a", "ctx_wait() did not return even "
						  "after its own ctx was cancelled");
	}
	for (int i = 0; i < 3; i++)
		runner_join(all[i]);
	if (!woken)
		check_fail(c, "R2a", "threads blocked in ctx_wait() on a child and a grandchild "
			   "were still blocked %.0f ms after ctx_cancel() on the root; expected "
			   "them to return ECANCELED within %.0f ms (is the child linked to its "
			   "parent?)", ms(GIVE_UP_NS), BOUND_MS);
	else if (bad)
		check_fail(c, "R2a", "ctx_wait() on a descendant returned %s after the root was "
			   "cancelled; expected ECANCELED", errname(bad));
	else if (ms(worst) > BOUND_MS)
		check_fail(c, "R2a", "the descendants' waiters returned %.1f ms after the root "
			   "was cancelled; expected within %.0f ms", ms(worst), BOUND_MS);
	ctx_destroy(&f->grandchild);
	ctx_destroy(&f->child);
	ctx_destroy(&f->root);
	free(f);
}

static void done_flows_down_not_up(struct check *c, const struct scenario_env *env)
{
	struct ctx root, child, late;
	int root_err, child_err, late_err;

	(void)env;
	if (ctx_init(&root, NULL) || ctx_init(&child, &root))
		return check_fail(c, "R2c", "harness set-up failed");
	ctx_cancel(&child);
	root_err = ctx_err(&root);
	child_err = ctx_err(&child);
	ctx_cancel(&root);
	if (ctx_init(&late, &root))
		return check_fail(c, "R2c", "harness set-up failed");
	late_err = ctx_err(&late);
	ctx_destroy(&late);
	ctx_destroy(&child);
	ctx_destroy(&root);
	EXPECT(c, child_err == ECANCELED && root_err == 0, "R2c",
	       "after ctx_cancel(child): ctx_err(child) = %s, ctx_err(parent) = %s; "
	       "expected ECANCELED and 0 (done flows down, never up)",
	       errname(child_err), errname(root_err));
	EXPECT(c, late_err == ECANCELED, "R2b",
	       "a child created under a cancelled parent: ctx_err() = %s; expected "
	       "ECANCELED from the start", errname(late_err));
}

/*
 * Waits for r, running op_ctx_wait on ctx, to return by t0 + GIVE_UP_NS.
 * True when it did: *err and *end are what it returned and when, and r is
 * joined. False when it did not: ctx is cancelled to end the wait, and then
 * either r returned and is joined (*stuck false), or it did not return
 * within GIVE_UP_NS more (*stuck true: r still runs, and what it uses must
 * stay allocated).
 */
static bool ctx_wait_returned(struct runner *r, struct ctx *ctx, uint64_t t0, int *err,
			      uint64_t *end, bool *stuck)
{
	*stuck = false;
	if (!runner_wait_until(r, t0 + GIVE_UP_NS)) {
		ctx_cancel(ctx);
		*stuck = !runner_wait_until(r, world_now_ns() + GIVE_UP_NS);
		if (!*stuck)
			runner_join(r);
		return false;
	}
	runner_finished(r, err, end);
	runner_join(r);
	return true;
}

/*
 * A waiter: a thread (waiter) in ctx_wait() on a context c whose deadline
 * was set at t0, on c itself or on its parent root (has_root). On the heap,
 * so that a waiter that never returns can be left with what it uses.
 */
struct timed {
	struct ctx root, c;
	struct runner waiter;
	bool has_root;
	uint64_t t0;
};

/*
 * Starts a waiter whose deadline is timeout_ns from now: on c itself, or
 * with on_parent on a parent that c is the child of. Returns it; NULL with
 * the check failed for clause when set-up failed (a half-made one is left
 * allocated: the learner's ctx_init may have handed it out). Free with
 * timed_free once ctx_wait() returned.
 */
static struct timed *timed_start(struct check *c, const char *clause, uint64_t timeout_ns,
				 bool on_parent)
{
	struct timed *t = calloc(1, sizeof(*t));
	int err;

	if (!t) {
		check_fail(c, clause, "harness set-up failed");
		return NULL;
	}
	t->has_root = on_parent;
	t->t0 = world_now_ns();
	if (on_parent)
		err = ctx_init_timeout(&t->root, NULL, timeout_ns) || ctx_init(&t->c, &t->root);
	else
		err = ctx_init_timeout(&t->c, NULL, timeout_ns);
	if (err) {
		check_fail(c, clause, "harness set-up failed");
		return NULL;
	}
	runner_start(&t->waiter, op_ctx_wait, &t->c);
	return t;
}

/*
 * Waits for t's ctx_wait() to return (ctx_wait_returned). True when it did
 * in time: *err and *end are what it returned and when. False when it did
 * not: it was cancelled, and either returned then (t can be freed) or,
 * stuck, did not (the check has failed for clause; t must stay allocated
 * and *stuck is true).
 */
static bool timed_returned(struct check *c, const char *clause, struct timed *t, int *err,
			   uint64_t *end, bool *stuck)
{
	if (ctx_wait_returned(&t->waiter, &t->c, t->t0, err, end, stuck))
		return true;
	if (*stuck)
		check_fail(c, clause, "ctx_wait() did not return even after its ctx was "
			   "cancelled");
	return false;
}

/* Destroys and frees t, whose ctx_wait() has returned. */
static void timed_free(struct timed *t)
{
	ctx_destroy(&t->c);
	if (t->has_root)
		ctx_destroy(&t->root);
	free(t);
}

static void parent_deadline_ends_child(struct check *c, const struct scenario_env *env)
{
	struct timed *f;
	uint64_t end;
	int err, parent_err;
	bool stuck;

	(void)env;
	f = timed_start(c, "R2a", 30 * MS, true);
	if (!f)
		return;
	if (!timed_returned(c, "R2a", f, &err, &end, &stuck)) {
		if (stuck)
			return;
		parent_err = ctx_err(&f->root);
		timed_free(f);
		return check_fail(c, "R2a", "the parent's 30 ms deadline passed (ctx_err(parent) "
				  "= %s), but ctx_wait(child) was still blocked after %.0f ms; "
				  "expected it to return ETIMEDOUT with its parent",
				  errname(parent_err), ms(GIVE_UP_NS));
	}
	end -= f->t0;
	timed_free(f);
	EXPECT(c, err == ETIMEDOUT, "R2a", "ctx_wait(child) returned %s when the parent's "
	       "deadline passed; expected ETIMEDOUT, the parent's error", errname(err));
	EXPECT(c, ms(end) >= 30.0 && ms(end) <= 30.0 + BOUND_MS, "R2a",
	       "ctx_wait(child) returned ETIMEDOUT %.1f ms after the parent was given a "
	       "30 ms deadline; expected between 30 and %.0f ms", ms(end), 30.0 + BOUND_MS);
}

/* ---- R3: deadlines ----------------------------------------------------- */

static void deadline_fires_on_time(struct check *c, const struct scenario_env *env)
{
	struct timed *t;
	uint64_t end;
	int err;
	bool stuck;

	(void)env;
	t = timed_start(c, "R3a", 40 * MS, false);
	if (!t)
		return;
	if (!timed_returned(c, "R3a", t, &err, &end, &stuck)) {
		if (stuck)
			return;
		timed_free(t);
		return check_fail(c, "R3a", "a 40 ms deadline had not fired after %.0f ms "
				  "(ctx_wait() still blocked): is the deadline on a different "
				  "clock than the condition variable?", ms(GIVE_UP_NS));
	}
	end -= t->t0;
	timed_free(t);
	EXPECT(c, err == ETIMEDOUT, "R3a", "ctx_wait() returned %s at the deadline; expected "
	       "ETIMEDOUT", errname(err));
	EXPECT(c, ms(end) >= 40.0, "R3a", "ctx_wait() returned ETIMEDOUT %.2f ms after "
	       "ctx_init_timeout(40 ms): the deadline fired %.1f ms too early (which "
	       "clock does the condition variable read the deadline on?)", ms(end),
	       40.0 - ms(end));
	EXPECT(c, ms(end) <= 40.0 + BOUND_MS, "R3a", "ctx_wait() returned ETIMEDOUT "
	       "%.1f ms after ctx_init_timeout(40 ms); expected by %.0f ms", ms(end),
	       40.0 + BOUND_MS);
}

/*
 * R3a with a deadline longer than a scenario can wait (30 s, the batch's
 * budget in the lesson): the monotonic clock is stepped forwards
 * (perturb.h's warp), as a machine that slept would show it. 20 s in the
 * ctx is not done yet; 35 s in, ctx_wait() returns ETIMEDOUT.
 */
static void long_deadline_fires_armed(struct check *c, const struct scenario_env *env)
{
	const int64_t second = 1000 * (int64_t)MS;
	struct timed *t;
	uint64_t end;
	int err, early;
	bool stuck, returned;

	(void)env;
	t = timed_start(c, "R3a", 30 * (uint64_t)second, false);
	if (!t)
		return;
	world_sleep_ns(10 * MS);
	perturb_monotonic_step(20 * second);
	world_sleep_ns(20 * MS);
	early = ctx_err(&t->c);
	if (!early)
		perturb_monotonic_step(15 * second);
	returned = ctx_wait_returned(&t->waiter, &t->c, world_now_ns(), &err, &end, &stuck);
	if (stuck)
		return check_fail(c, "R3a", "ctx_wait() did not return even after its ctx was "
				  "cancelled");
	timed_free(t);
	if (early)
		return check_fail(c, "R3a", "20 s after ctx_init_timeout(30 s), ctx_err() was %s; "
				  "expected 0 until the deadline", errname(early));
	if (!returned)
		return check_fail(c, "R3a", "35 s after ctx_init_timeout(30 s) (the clock stepped "
				  "forwards, as after a machine's sleep), ctx_wait() was still "
				  "blocked %.0f ms later; expected ETIMEDOUT however far away the "
				  "deadline was", ms(GIVE_UP_NS));
	EXPECT(c, err == ETIMEDOUT, "R3a", "ctx_wait() returned %s 35 s after "
	       "ctx_init_timeout(30 s); expected ETIMEDOUT", errname(err));
}

/* The round above with the warp armed, then disarmed for the scenarios after it. */
static void long_deadline_fires(struct check *c, const struct scenario_env *env)
{
	perturb_warp_arm();
	long_deadline_fires_armed(c, env);
	perturb_warp_disarm();
}

/*
 * One wall-clock round: the wall clock is stepped by `before` just before
 * ctx_init_timeout(60 ms) and by `during` 20 ms into the wait. The deadline
 * must still fire between 60 and 110 ms on CLOCK_MONOTONIC.
 */
static void wall_clock_round(struct check *c, int64_t before, int64_t during)
{
	struct timed *t;
	uint64_t end;
	int err;
	bool stuck, returned;

	perturb_wallclock_step(before);
	t = timed_start(c, "R3b", 60 * MS, false);
	if (!t) {
		perturb_wallclock_step(-before);
		return;
	}
	world_sleep_ns(20 * MS);
	perturb_wallclock_step(during);
	returned = timed_returned(c, "R3b", t, &err, &end, &stuck);
	perturb_wallclock_step(-before - during);
	if (!returned) {
		if (stuck)
			return;
		timed_free(t);
		return check_fail(c, "R3b", "the wall clock was set %+.0f s before "
				  "ctx_init_timeout(60 ms) and %+.0f s 20 ms later: the deadline "
				  "had not fired after %.0f ms; expected it at 60 ms (a deadline "
				  "must be kept on CLOCK_MONOTONIC)", (double)before / 1e9,
				  (double)during / 1e9, ms(GIVE_UP_NS));
	}
	end -= t->t0;
	timed_free(t);
	EXPECT(c, err == ETIMEDOUT && ms(end) >= 60.0 && ms(end) <= 60.0 + BOUND_MS,
	       "R3b", "the wall clock was set %+.0f s before ctx_init_timeout(60 ms) and "
	       "%+.0f s 20 ms later: ctx_wait() returned %s after %.1f ms; expected "
	       "ETIMEDOUT between 60 and %.0f ms (setting the wall clock must change "
	       "nothing)", (double)before / 1e9, (double)during / 1e9, errname(err),
	       ms(end), 60.0 + BOUND_MS);
}

static void wall_clock_steps_change_nothing(struct check *c, const struct scenario_env *env)
{
	const int64_t hour = 3600ll * 1000000000ll;

	(void)env;
	/* forward an hour, then back to the true time mid-wait */
	wall_clock_round(c, hour, -hour);
	/* back an hour, then forward to the true time mid-wait */
	if (!c->failed)
		wall_clock_round(c, -hour, hour);
}

/* ---- R4: no polling ---------------------------------------------------- */

struct idle {
	struct ctx c, pending;
	struct queue full, empty;
	struct queue_op push, pop;
	struct runner waiter, pusher, popper, late[2];
};

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The voluntary context switches (wake-ups after a sleep) of thread tid, or -1. */
static long thread_wakeups(int tid)
{
	char path[64], line[128];
	long n = -1, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1)
			n = v;
	fclose(f);
	return n;
}

#define IDLE_MAX_TIDS 256
#define IDLE_WINDOW_MS 300
#define IDLE_WAKES_PER_THREAD 3

/*
 * The threads that were not there before the scenario began (its runners
 * and whatever the learner's code started: a deadline's watcher, say), with
 * their wake-ups so far.
 */
struct idle_threads {
	int n;
	int tid[IDLE_MAX_TIDS];
	long wakes[IDLE_MAX_TIDS];
};

static void idle_threads_take(struct idle_threads *t, const struct census_tids *before)
{
	int tids[IDLE_MAX_TIDS];
	int n = census_thread_ids(tids, IDLE_MAX_TIDS);

	t->n = 0;
	for (int i = 0; i < n; i++) {
		if (census_tids_has(before, tids[i]) || tids[i] == (int)gettid())
			continue;
		t->tid[t->n] = tids[i];
		t->wakes[t->n++] = thread_wakeups(tids[i]);
	}
}

static void blocked_waits_use_no_cpu(struct check *c, const struct scenario_env *env)
{
	struct idle *s = calloc(1, sizeof(*s));
	struct census_tids *before = calloc(1, sizeof(*before));
	struct idle_threads *t0s = calloc(1, sizeof(*t0s));
	struct runner *all[5];
	double cpu0, cpu1, wall;
	long worst = 0;
	int worst_tid = 0;
	uint64_t t0;

	(void)env;
	if (!s || !before || !t0s) {
		free(s);
		free(before);
		free(t0s);
		return check_fail(c, "R4", "harness set-up failed");
	}
	census_tids_take(before);
	if (ctx_init(&s->c, NULL) || ctx_init_timeout(&s->pending, NULL, 10000 * MS) ||
	    queue_init(&s->full, 1, &s->c) || queue_init(&s->empty, 1, &s->c) ||
	    queue_push(&s->full, 7))
		return check_fail(c, "R4", "harness set-up failed");
	s->push.q = &s->full;
	s->pop.q = &s->empty;
	all[0] = &s->waiter;
	all[1] = &s->pusher;
	all[2] = &s->popper;
	all[3] = &s->late[0];
	all[4] = &s->late[1];
	runner_start(&s->waiter, op_ctx_wait, &s->c);
	runner_start(&s->pusher, op_push, &s->push);
	runner_start(&s->popper, op_pop, &s->pop);
	/* two threads wait on the ctx with a (10 s) deadline */
	runner_start(&s->late[0], op_ctx_wait, &s->pending);
	runner_start(&s->late[1], op_ctx_wait, &s->pending);
	for (int i = 0; i < 5; i++)
		runner_wait_blocked(all[i]);

	idle_threads_take(t0s, before);
	cpu0 = cpu_ms();
	t0 = world_now_ns();
	world_sleep_ns(IDLE_WINDOW_MS * MS);
	cpu1 = cpu_ms();
	wall = ms(world_now_ns() - t0);
	for (int i = 0; i < t0s->n; i++) {
		long w = thread_wakeups(t0s->tid[i]);

		if (w >= 0 && t0s->wakes[i] >= 0 && w - t0s->wakes[i] > worst) {
			worst = w - t0s->wakes[i];
			worst_tid = t0s->tid[i];
		}
	}

	ctx_cancel(&s->c);
	ctx_cancel(&s->pending);
	for (int i = 0; i < 5; i++) {
		if (runner_wait_until(all[i], world_now_ns() + GIVE_UP_NS))
			continue;
		/* Not woken by the cancel (R6's business): release by hand. */
		queue_close(&s->empty);
		queue_close(&s->full);
		if (!runner_wait_until(all[i], world_now_ns() + GIVE_UP_NS))
			return check_fail(c, "R4", "a blocked thread did not return after "
					  "ctx_cancel() and queue_close()");
	}
	for (int i = 0; i < 5; i++)
		runner_join(all[i]);
	queue_destroy(&s->full);
	queue_destroy(&s->empty);
	ctx_destroy(&s->pending);
	ctx_destroy(&s->c);
	free(s);
	free(before);
	free(t0s);
	EXPECT(c, cpu1 - cpu0 <= IDLE_WINDOW_MS / 10.0, "R4", "while threads were blocked in "
	       "ctx_wait() (on a live ctx and on one with a 10 s deadline), queue_push() on "
	       "a full queue and queue_pop() on an empty one, the process used %.1f ms of "
	       "CPU in %.0f ms; expected almost none (under %.0f ms): something polls "
	       "instead of sleeping on a condition variable", cpu1 - cpu0, wall,
	       IDLE_WINDOW_MS / 10.0);
	/*
	 * A poller that sleeps between looks uses little CPU but wakes at every
	 * look: each thread is counted on its own (the harness's threads that
	 * were there before are left out), so the number of pollers does not
	 * matter, and a look every 10 or 20 ms is as visible as one every 1 ms.
	 */
	EXPECT(c, worst <= IDLE_WAKES_PER_THREAD, "R4", "while threads were blocked in "
	       "ctx_wait() (on a live ctx and on one with a 10 s deadline), queue_push() on "
	       "a full queue and queue_pop() on an empty one, one thread (tid %d) woke %ld "
	       "times in %.0f ms; expected at most %d: a thread asleep on a condition "
	       "variable does not wake until it is signalled or its deadline passes, so "
	       "something polls (sleeps or waits with a short timeout, and looks again)",
	       worst_tid, worst, wall, IDLE_WAKES_PER_THREAD);
}

/* ---- R5: the queue ----------------------------------------------------- */

struct fifo_run {
	struct ctx c;
	struct queue q;
	size_t n;
	size_t *got[2];
	size_t ngot[2];
	int ret[2];
};

struct consumer {
	struct fifo_run *run;
	int index;
};

static void *consume(void *arg)
{
	struct consumer *k = arg;
	struct fifo_run *run = k->run;
	size_t item;
	int err;

	while ((err = queue_pop(&run->q, &item)) == 0)
		if (run->ngot[k->index] < run->n)
			run->got[k->index][run->ngot[k->index]++] = item;
	run->ret[k->index] = err;
	return NULL;
}

static void queue_is_fifo_exactly_once(struct check *c, const struct scenario_env *env)
{
	struct fifo_run run = { .n = env->small ? 60 : 400 };
	struct consumer k[2] = { { &run, 0 }, { &run, 1 } };
	pthread_t tid[2];
	unsigned *seen;
	int push_err = 0, late;

	seen = calloc(run.n, sizeof(*seen));
	run.got[0] = calloc(run.n, sizeof(size_t));
	run.got[1] = calloc(run.n, sizeof(size_t));
	if (!seen || !run.got[0] || !run.got[1] || ctx_init(&run.c, NULL) ||
	    queue_init(&run.q, 4, &run.c))
		return check_fail(c, "R5a", "harness set-up failed");
	for (int i = 0; i < 2; i++)
		pthread_create(&tid[i], NULL, consume, &k[i]);
	for (size_t i = 0; i < run.n && !push_err; i++)
		push_err = queue_push(&run.q, i);
	queue_close(&run.q);
	late = queue_push(&run.q, run.n);
	for (int i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	queue_destroy(&run.q);
	ctx_destroy(&run.c);

	if (push_err) {
		check_fail(c, "R5a", "queue_push() returned %s on an open queue with a live "
			   "ctx; expected 0", errname(push_err));
	} else if (late != EPIPE) {
		check_fail(c, "R5c", "queue_push() after queue_close() returned %s; expected "
			   "EPIPE", errname(late));
	} else if (run.ret[0] != EPIPE || run.ret[1] != EPIPE) {
		check_fail(c, "R5c", "queue_pop() on a closed, drained queue returned %s; "
			   "expected EPIPE", errname(run.ret[0] != EPIPE ? run.ret[0] : run.ret[1]));
	}
	for (int i = 0; i < 2 && !c->failed; i++) {
		for (size_t j = 0; j < run.ngot[i]; j++) {
			seen[run.got[i][j] < run.n ? run.got[i][j] : 0]++;
			if (j && run.got[i][j] <= run.got[i][j - 1]) {
				check_fail(c, "R5a", "one consumer popped item %zu after item %zu; "
					   "expected the order of the pushes", run.got[i][j],
					   run.got[i][j - 1]);
				break;
			}
		}
	}
	for (size_t i = 0; i < run.n && !c->failed; i++)
		if (seen[i] != 1)
			check_fail(c, "R5a", "item %zu was popped %u times (of %zu pushed by one "
				   "producer to two consumers); expected exactly once", i,
				   seen[i], run.n);
	free(seen);
	free(run.got[0]);
	free(run.got[1]);
}

/* ---- R6: the queue answers to its ctx ---------------------------------- */

struct blocked_queue {
	struct ctx c;
	struct queue q;
	struct queue_op op;
	struct runner r;
};

/*
 * A push on a full queue (push = true) or a pop on an empty one, blocked
 * when the ctx is cancelled.
 */
static void blocked_queue_op(struct check *c, bool push)
{
	struct blocked_queue *b = calloc(1, sizeof(*b));
	const char *what = push ? "queue_push() on a full queue" : "queue_pop() on an empty queue";
	uint64_t t0, end;
	size_t item;
	int err, after;

	if (!b || ctx_init(&b->c, NULL) || queue_init(&b->q, 2, &b->c))
		return check_fail(c, "R6b", "harness set-up failed");
	if (push && (queue_push(&b->q, 1) || queue_push(&b->q, 2)))
		return check_fail(c, "R6b", "queue_push() failed on a queue with room");
	b->op.q = &b->q;
	b->op.item = 3;
	runner_start(&b->r, push ? op_push : op_pop, &b->op);
	runner_wait_blocked(&b->r);
	if (runner_finished(&b->r, &err, &end)) {
		/* It did not wait for room or for an item at all. */
		runner_join(&b->r);
		queue_destroy(&b->q);
		ctx_destroy(&b->c);
		free(b);
		return check_fail(c, "R5b", "%s with a live ctx returned %s without blocking; "
				  "expected it to block until %s", what, errname(err),
				  push ? "there is room" : "an item arrives");
	}
	t0 = world_now_ns();
	ctx_cancel(&b->c);
	if (!runner_wait_until(&b->r, t0 + GIVE_UP_NS)) {
		/* Release it by hand, to report instead of hanging. */
		if (push)
			queue_pop(&b->q, &item);
		queue_close(&b->q);
		if (!runner_wait_until(&b->r, world_now_ns() + GIVE_UP_NS))
			return check_fail(c, "R6b", "%s stayed blocked even after room was made "
					  "and the queue was closed", what);
		runner_join(&b->r);
		queue_destroy(&b->q);
		ctx_destroy(&b->c);
		free(b);
		return check_fail(c, "R6b", "%s was still blocked %.0f ms after ctx_cancel(); "
				  "expected it to return ECANCELED within %.0f ms (the cancel "
				  "must wake the condition variable it sleeps on)", what,
				  ms(GIVE_UP_NS), BOUND_MS);
	}
	runner_finished(&b->r, &err, &end);
	runner_join(&b->r);
	after = push ? queue_pop(&b->q, &item) : queue_push(&b->q, 4);
	queue_destroy(&b->q);
	ctx_destroy(&b->c);
	free(b);
	EXPECT(c, err == ECANCELED, "R6b", "%s returned %s when its ctx was cancelled; "
	       "expected ECANCELED", what, errname(err));
	EXPECT(c, ms(end - t0) <= BOUND_MS, "R6b", "%s returned %.1f ms after ctx_cancel(); "
	       "expected within %.0f ms", what, ms(end - t0), BOUND_MS);
	EXPECT(c, after == ECANCELED, "R6a", "after the cancel, %s returned %s; expected "
	       "ECANCELED even though it could proceed",
	       push ? "queue_pop() on a queue holding items" : "queue_push() on a queue with room",
	       errname(after));
}

static void blocked_push_wakes_on_cancel(struct check *c, const struct scenario_env *env)
{
	(void)env;
	blocked_queue_op(c, true);
}

static void blocked_pop_wakes_on_cancel(struct check *c, const struct scenario_env *env)
{
	(void)env;
	blocked_queue_op(c, false);
}

/* Once the ctx is done, its error wins over room, items and a close. */
static void done_ctx_wins_over_room_items_and_close(struct check *c,
						    const struct scenario_env *env)
{
	struct ctx ctx;
	struct queue open_q, closed_q;
	size_t item = 99;
	int push_err, pop_err, closed_push, closed_pop;

	(void)env;
	if (ctx_init(&ctx, NULL) || queue_init(&open_q, 3, &ctx) ||
	    queue_init(&closed_q, 3, &ctx))
		return check_fail(c, "R6a", "harness set-up failed");
	if (queue_push(&open_q, 1) || queue_push(&closed_q, 2))
		return check_fail(c, "R5a", "queue_push() failed on a queue with room");
	queue_close(&closed_q);
	ctx_cancel(&ctx);
	push_err = queue_push(&open_q, 3);
	pop_err = queue_pop(&open_q, &item);
	closed_push = queue_push(&closed_q, 4);
	closed_pop = queue_pop(&closed_q, &item);
	queue_destroy(&closed_q);
	queue_destroy(&open_q);
	ctx_destroy(&ctx);
	EXPECT(c, push_err == ECANCELED, "R6a", "after ctx_cancel(), queue_push() on a queue "
	       "with room returned %s; expected ECANCELED", errname(push_err));
	EXPECT(c, pop_err == ECANCELED, "R6a", "after ctx_cancel(), queue_pop() on a queue "
	       "holding an item returned %s; expected ECANCELED", errname(pop_err));
	EXPECT(c, closed_push == ECANCELED && closed_pop == ECANCELED, "R6a",
	       "on a queue both closed and cancelled (one item left), queue_push() returned "
	       "%s and queue_pop() %s; expected ECANCELED from both (the ctx's error wins "
	       "over EPIPE)", errname(closed_push), errname(closed_pop));
}

/* ---- R7: the error group ----------------------------------------------- */

#define SIBLINGS 3
#define SIBLING_CALL_MS 2	/* the wearables vendor's latency in group_returns_first_error */
#define SIBLING_CALLS_IN_BOUND ((int)(BOUND_MS / SIBLING_CALL_MS) + 2)

struct group_run {
	pthread_mutex_t lock;
	pthread_cond_t started;		/* lock: a sibling made its first call */
	unsigned nstarted;		/* lock */
	unsigned rounds;		/* I: calls a sibling makes if never cancelled */
	uint64_t failed_ns;		/* lock: when the failing task returned */
	unsigned nreturned;		/* lock: tasks that have returned */
	unsigned ran[8];		/* each task's own slot */
};

struct group_arg {
	struct group_run *run;
	unsigned index;
};

/* Counts a task's return in its run; returns err. */
static int task_returns(struct group_arg *a, int err)
{
	pthread_mutex_lock(&a->run->lock);
	a->run->nreturned++;
	pthread_mutex_unlock(&a->run->lock);
	return err;
}

/* Fetches vitals until its ctx is done; tells the run after the first call. */
static int sibling_body(struct ctx *ctx, void *arg)
{
	struct group_arg *a = arg;
	struct vitals v;

	for (unsigned k = 0; k < a->run->rounds; k++) {
		int err = ctx_err(ctx);

		if (err)
			return err;
		fetch_vitals(1 + a->index, &v);
		if (k == 0) {
			pthread_mutex_lock(&a->run->lock);
			a->run->nstarted++;
			pthread_cond_broadcast(&a->run->started);
			pthread_mutex_unlock(&a->run->lock);
		}
	}
	return 0;
}

static int sibling_task(struct ctx *ctx, void *arg)
{
	return task_returns(arg, sibling_body(ctx, arg));
}

/* Waits until every sibling is busy, then fails like an offline device. */
static int failing_task(struct ctx *ctx, void *arg)
{
	struct group_arg *a = arg;

	(void)ctx;
	pthread_mutex_lock(&a->run->lock);
	while (a->run->nstarted < SIBLINGS)
		pthread_cond_wait(&a->run->started, &a->run->lock);
	service_mark(&wearables_api);
	a->run->failed_ns = world_now_ns();
	pthread_mutex_unlock(&a->run->lock);
	return task_returns(a, EIO);
}

static void group_returns_first_error(struct check *c, const struct scenario_env *env)
{
	struct group_run run = { .rounds = env->small ? 40 : 150 };
	struct group_arg args[SIBLINGS + 1];
	struct group g;
	uint64_t end, failed;
	unsigned returned;
	int err, threads_before = census_threads();

	pthread_mutex_init(&run.lock, NULL);
	pthread_cond_init(&run.started, NULL);
	wearables_offline_every = 0;
	if (service_init(&wearables_api, "the wearables vendor", SIBLING_CALL_MS * MS,
			 SERVICE_NO_LIMIT, 16) ||
	    group_init(&g, NULL))
		return check_fail(c, "R7b", "harness set-up failed");
	for (unsigned i = 0; i <= SIBLINGS; i++) {
		args[i] = (struct group_arg){ &run, i };
		if (group_go(&g, i < SIBLINGS ? sibling_task : failing_task, &args[i]))
			return check_fail(c, "R7b", "group_go() failed");
	}
	err = group_wait(&g);
	end = world_now_ns();
	pthread_mutex_lock(&run.lock);
	failed = run.failed_ns;
	returned = run.nreturned;
	pthread_mutex_unlock(&run.lock);
	EXPECT(c, returned == SIBLINGS + 1, "R7a", "group_wait() returned when %u of its %d "
	       "tasks had returned; expected it to wait for every one", returned,
	       SIBLINGS + 1);
	group_destroy(&g);
	if (census_settle(threads_before, 10) > threads_before)
		return check_fail(c, "R7a", "threads of the group were still running after "
				  "group_wait() returned");
	EXPECT(c, err == EIO, "R7b", "group_wait() returned %s; expected EIO, the error of "
	       "the first task that failed (the siblings it cancelled return ECANCELED "
	       "afterwards: that must not replace the first error)", errname(err));
	/*
	 * R7c allows the siblings 50 ms to stop: in that time each may start a
	 * call every SIBLING_CALL_MS, plus the one it was in and one more as the
	 * cancel lands. A group that never cancels makes rounds - 1 each.
	 */
	EXPECT(c, service_calls_after_mark(&wearables_api) <= SIBLING_CALLS_IN_BOUND * SIBLINGS,
	       "R7c", "the %d siblings started %llu calls after the first task failed; "
	       "expected at most %d each (a %d ms call, for the %.0f ms they have to stop): "
	       "the failure must cancel the group's ctx", SIBLINGS,
	       (unsigned long long)service_calls_after_mark(&wearables_api),
	       SIBLING_CALLS_IN_BOUND, SIBLING_CALL_MS, BOUND_MS);
	EXPECT(c, ms(end - failed) <= BOUND_MS, "R7c", "group_wait() returned %.1f ms after "
	       "the first failure; expected within %.0f ms (the siblings should stop)",
	       ms(end - failed), BOUND_MS);
	service_destroy(&wearables_api);
	pthread_cond_destroy(&run.started);
	pthread_mutex_destroy(&run.lock);
}

static int counting_task(struct ctx *ctx, void *arg)
{
	struct group_arg *a = arg;

	(void)ctx;
	a->run->ran[a->index]++;
	return 0;
}

static void group_of_successes_returns_zero(struct check *c, const struct scenario_env *env)
{
	struct group_run run = { .rounds = 0 };
	struct group_arg args[8];
	struct group g;
	int err, threads_before = census_threads();

	(void)env;
	if (group_init(&g, NULL))
		return check_fail(c, "R7b", "harness set-up failed");
	for (unsigned i = 0; i < 8; i++) {
		args[i] = (struct group_arg){ &run, i };
		if (group_go(&g, counting_task, &args[i]))
			return check_fail(c, "R7b", "group_go() failed");
	}
	err = group_wait(&g);
	group_destroy(&g);
	EXPECT(c, census_settle(threads_before, 10) <= threads_before, "R7a",
	       "threads of the group were still running after group_wait() returned");
	EXPECT(c, err == 0, "R7b", "group_wait() returned %s when every task returned 0; "
	       "expected 0", errname(err));
	for (unsigned i = 0; i < 8; i++)
		EXPECT(c, run.ran[i] == 1, "R7a", "task %u had run %u times when group_wait() "
		       "returned; expected exactly once", i, run.ran[i]);
}

/* A task that waits until the group's ctx is done and returns its error. */
static int waiting_task(struct ctx *ctx, void *arg)
{
	(void)arg;
	return ctx_wait(ctx);
}

/* A task that gives up on its own: it returns ECANCELED at once. */
static int giving_up_task(struct ctx *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	return ECANCELED;
}

static int op_group_wait(void *arg)
{
	return group_wait(arg);
}

/*
 * Runs group_wait(g) on a runner, bounded; a group still waiting after
 * GIVE_UP_NS fails c (clause, what) and is released by cancelling its ctx.
 * Returns the group's result, or -1 after such a failure.
 */
static int bounded_group_wait(struct check *c, const char *clause, struct group *g,
			      const char *what)
{
	struct runner r;
	uint64_t end;
	int err;

	if (runner_start(&r, op_group_wait, g)) {
		check_fail(c, clause, "the harness could not start its thread");
		ctx_cancel(&g->ctx);
		group_wait(g);
		return -1;
	}
	if (!runner_wait_until(&r, world_now_ns() + GIVE_UP_NS)) {
		check_fail(c, clause, "%s: group_wait() had not returned %.0f ms later; a task "
			   "was still waiting on the group's ctx, which nothing had cancelled "
			   "(ECANCELED is a failure like any other: the first one cancels the "
			   "group's ctx)", what, ms(GIVE_UP_NS));
		ctx_cancel(&g->ctx);
		if (!runner_wait_until(&r, world_now_ns() + GIVE_UP_NS))
			return -1;	/* r and g stay in use: left allocated */
		runner_join(&r);
		return -1;
	}
	runner_finished(&r, &err, &end);
	runner_join(&r);
	return err;
}

static void group_counts_a_cancel_as_a_failure(struct check *c, const struct scenario_env *env)
{
	struct ctx parent;
	struct group g;
	int err;

	(void)env;
	/* (1) cancelled from its parent: every task returns ECANCELED */
	if (ctx_init(&parent, NULL) || group_init(&g, &parent))
		return check_fail(c, "R7b", "harness set-up failed");
	for (int i = 0; i < 2; i++)
		if (group_go(&g, waiting_task, NULL))
			return check_fail(c, "R7b", "group_go() failed");
	ctx_cancel(&parent);
	err = bounded_group_wait(c, "R7b", &g, "after ctx_cancel() on the group's parent");
	if (err == -1)
		return;
	group_destroy(&g);
	ctx_destroy(&parent);
	if (err != ECANCELED)
		return check_fail(c, "R7b", "a group of two tasks that return ctx_wait(ctx), "
				  "its parent cancelled: group_wait() returned %s; expected "
				  "ECANCELED, the error of the first task that failed (as Go's "
				  "errgroup returns context.Canceled)", errname(err));

	/* (2) a task returns ECANCELED of its own accord, a sibling waits on the ctx */
	if (group_init(&g, NULL))
		return check_fail(c, "R7c", "harness set-up failed");
	if (group_go(&g, waiting_task, NULL) || group_go(&g, giving_up_task, NULL))
		return check_fail(c, "R7c", "group_go() failed");
	err = bounded_group_wait(c, "R7c", &g, "a task returned ECANCELED on its own while "
				 "its sibling waited on the group's ctx");
	if (err == -1)
		return;
	group_destroy(&g);
	if (err != ECANCELED)
		check_fail(c, "R7b", "a task returned ECANCELED on its own, and its sibling "
			   "then returned the ctx's error: group_wait() returned %s; expected "
			   "ECANCELED, the first task's error", errname(err));
}

/* ---- R8, R9: the batch ------------------------------------------------- */

struct batch_run {
	struct ctx c;
	struct record *records;
	size_t n;
	unsigned workers;
	struct batch_report report;
	struct runner r;
	int threads_before;
};

static int op_batch(void *arg)
{
	struct batch_run *b = arg;

	return batch_validate(&b->c, b->records, b->n, b->workers, &b->report);
}

static struct batch_run *batch_new(size_t n, unsigned workers, uint64_t latency_ns)
{
	struct batch_run *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->records = calloc(n + 1, sizeof(*b->records));
	if (!b->records) {
		free(b);
		return NULL;
	}
	b->n = n;
	b->workers = workers;
	records_generate(b->records, n, 0xc7c + n);
	b->report = (struct batch_report){ 12345, 54321 };
	if (service_init(&validation_api, "the hospital validation API", latency_ns,
			 workers ? workers : 1, n)) {
		free(b->records);
		free(b);
		return NULL;
	}
	b->threads_before = census_threads();
	return b;
}

/* Frees b, unless threads of the learner's code may still use it. */
static void batch_free(struct batch_run *b)
{
	if (census_threads() > b->threads_before)
		return;
	service_destroy(&validation_api);
	free(b->records);
	free(b);
}

/*
 * Runs batch_validate() on b with its live ctx (b->c, initialised by the
 * caller, who destroys it after) and checks what every run must show (R8a): it returned 0, each
 * record was validated once and the report counts them. Fails the check and
 * returns false at the first that does not hold. Blocks for the batch.
 */
static bool batch_counts_right(struct check *c, struct batch_run *b)
{
	size_t plausible, bad;
	uint32_t seen = 0;
	int ret;

	ret = batch_validate(&b->c, b->records, b->n, b->workers, &b->report);
	plausible = records_count_plausible(b->records, b->n);
	bad = service_first_not_once(&validation_api, &seen);
	if (ret != 0)
		check_fail(c, "R8a", "batch_validate(n=%zu, workers=%u) returned %s with a "
			   "live ctx; expected 0", b->n, b->workers, errname(ret));
	else if (bad != (size_t)-1)
		check_fail(c, "R8a", "batch_validate(n=%zu, workers=%u): record %zu was "
			   "validated %u times by the time it returned; expected once", b->n,
			   b->workers, bad, seen);
	else if (b->report.accepted != plausible || b->report.rejected != b->n - plausible)
		check_fail(c, "R8a", "batch_validate(n=%zu, workers=%u): report says "
			   "accepted=%zu rejected=%zu; expected %zu and %zu", b->n,
			   b->workers, b->report.accepted, b->report.rejected, plausible,
			   b->n - plausible);
	return !c->failed;
}

static void batch_validates_every_record_once(struct check *c, const struct scenario_env *env)
{
	struct batch_run *b = batch_new(env->small ? 23 : 119, 4, 1 * MS);

	if (!b || ctx_init(&b->c, NULL))
		return check_fail(c, "R8a", "harness set-up failed");
	if (batch_counts_right(c, b)) {
		if (service_peak(&validation_api) > b->workers)
			check_fail(c, "R8a", "%u validations were in flight at once; expected at "
				   "most %u (workers)", service_peak(&validation_api), b->workers);
		else if (census_settle(b->threads_before, 10) > b->threads_before)
			check_fail(c, "R8a", "threads of the batch were still running after "
				   "batch_validate() returned");
	}
	ctx_destroy(&b->c);
	batch_free(b);
}

static void any_batch_size_works(struct check *c, const struct scenario_env *env)
{
	static const struct { size_t n; unsigned workers; } cases[] = {
		{ 0, 4 }, { 1, 1 }, { 1, 4 }, { 3, 8 }, { 13, 4 }, { 7, 2 },
	};

	(void)env;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]) && !c->failed; k++) {
		struct batch_run *b = batch_new(cases[k].n, cases[k].workers, 1 * MS);

		if (!b || ctx_init(&b->c, NULL))
			return check_fail(c, "R8a", "harness set-up failed");
		batch_counts_right(c, b);
		ctx_destroy(&b->c);
		batch_free(b);
	}
}

static void batch_zero_workers_is_einval(struct check *c, const struct scenario_env *env)
{
	struct batch_run *b = batch_new(8, 0, 1 * MS);
	int ret;

	(void)env;
	if (!b || ctx_init(&b->c, NULL))
		return check_fail(c, "R8b", "harness set-up failed");
	ret = batch_validate(&b->c, b->records, b->n, 0, &b->report);
	if (ret != EINVAL)
		check_fail(c, "R8b", "batch_validate(workers=0) returned %s; expected EINVAL",
			   errname(ret));
	else if (service_calls(&validation_api))
		check_fail(c, "R8b", "batch_validate(workers=0) validated %llu records; "
			   "expected none", (unsigned long long)service_calls(&validation_api));
	ctx_destroy(&b->c);
	batch_free(b);
}

/*
 * Runs a batch of n records on b's ctx; if cancel is set, cancels the ctx
 * once some work is under way. Checks R9 on the outcome.
 */
static void batch_cut_short(struct check *c, struct batch_run *b, bool cancel,
			    uint64_t t_init, double deadline_ms)
{
	uint64_t t0 = t_init, end;
	double latency;
	int ret;

	runner_start(&b->r, op_batch, b);
	if (cancel) {
		/* The user gives up once a few records are done. */
		while (service_calls(&validation_api) < 3 * b->workers &&
		       world_now_ns() < t_init + GIVE_UP_NS)
			world_sleep_ns(MS / 2);
		t0 = world_now_ns();
		ctx_cancel(&b->c);
		service_mark(&validation_api);
	} else {
		t0 = t_init + (uint64_t)(deadline_ms * 1e6);
	}
	if (!runner_wait_until(&b->r, t0 + GIVE_UP_NS)) {
		/* Its threads are stuck in the learner's code: leave b allocated. */
		return check_fail(c, "R9a", "batch_validate() had not returned %.0f ms after %s; "
				  "expected it to return %s within %.0f ms (is a thread blocked "
				  "on the queue without being woken?)", ms(GIVE_UP_NS),
				  cancel ? "the user cancelled" : "the deadline",
				  cancel ? "ECANCELED" : "ETIMEDOUT", BOUND_MS);
	}
	runner_finished(&b->r, &ret, &end);
	runner_join(&b->r);
	latency = end > t0 ? ms(end - t0) : -ms(t0 - end);
	if (ret != (cancel ? ECANCELED : ETIMEDOUT))
		check_fail(c, "R9a", "batch_validate() returned %s %.1f ms after %s (having "
			   "validated %llu of %zu records); expected %s within %.0f ms",
			   errname(ret), latency, cancel ? "the user cancelled" : "the deadline",
			   (unsigned long long)service_calls(&validation_api), b->n,
			   cancel ? "ECANCELED" : "ETIMEDOUT", BOUND_MS);
	else if (latency > BOUND_MS || latency < -0.001)
		check_fail(c, "R9a", "batch_validate() returned %s %.1f ms %s %s; expected "
			   "within %.0f ms after it (cancellation latency)", errname(ret),
			   latency < 0 ? -latency : latency, latency < 0 ? "before" : "after",
			   cancel ? "the cancel" : "the deadline", BOUND_MS);
	else if (cancel && service_calls_after_mark(&validation_api) > b->workers)
		check_fail(c, "R9b", "%llu validations started after the user cancelled; "
			   "expected at most %u (one per worker, for a record it had already "
			   "taken)", (unsigned long long)service_calls_after_mark(&validation_api),
			   b->workers);
	else if (b->report.accepted + b->report.rejected != service_calls(&validation_api))
		check_fail(c, "R9c", "report says accepted=%zu rejected=%zu, but %llu records "
			   "were validated; expected the report to count every one",
			   b->report.accepted, b->report.rejected,
			   (unsigned long long)service_calls(&validation_api));
	else if (census_settle(b->threads_before, 10) > b->threads_before)
		check_fail(c, "R9a", "threads of the batch were still running after "
			   "batch_validate() returned");
	ctx_destroy(&b->c);
	batch_free(b);
}

static void batch_stops_when_user_gives_up(struct check *c, const struct scenario_env *env)
{
	struct batch_run *b = batch_new(env->small ? 48 : 600, 4, 2 * MS);

	if (!b || ctx_init(&b->c, NULL))
		return check_fail(c, "R9a", "harness set-up failed");
	batch_cut_short(c, b, true, world_now_ns(), 0);
}

static void batch_stops_at_deadline(struct check *c, const struct scenario_env *env)
{
	struct batch_run *b = batch_new(env->small ? 200 : 600, 4, 2 * MS);
	uint64_t t_init = world_now_ns();

	if (!b || ctx_init_timeout(&b->c, NULL, 40 * MS))
		return check_fail(c, "R9a", "harness set-up failed");
	batch_cut_short(c, b, false, t_init, 40.0);
}

static void batch_on_a_done_ctx_does_nothing(struct check *c, const struct scenario_env *env)
{
	struct batch_run *b = batch_new(env->small ? 11 : 29, 4, 1 * MS);
	uint64_t t0, end;
	int ret;

	if (!b || ctx_init(&b->c, NULL))
		return check_fail(c, "R9b", "harness set-up failed");
	ctx_cancel(&b->c);
	t0 = world_now_ns();
	runner_start(&b->r, op_batch, b);
	if (!runner_wait_until(&b->r, t0 + GIVE_UP_NS))
		/* Its threads are stuck in the learner's code: leave b allocated. */
		return check_fail(c, "R9a", "batch_validate() on a ctx cancelled before the "
				  "call had not returned after %.0f ms; expected ECANCELED at "
				  "once", ms(GIVE_UP_NS));
	runner_finished(&b->r, &ret, &end);
	runner_join(&b->r);
	if (ret != ECANCELED)
		check_fail(c, "R9a", "batch_validate() on a ctx cancelled before the call "
			   "returned %s; expected ECANCELED", errname(ret));
	else if (service_calls(&validation_api))
		check_fail(c, "R9b", "batch_validate() on a ctx cancelled before the call "
			   "validated %llu records; expected none",
			   (unsigned long long)service_calls(&validation_api));
	else if (b->report.accepted || b->report.rejected)
		check_fail(c, "R9c", "batch_validate() on a ctx cancelled before the call "
			   "reported accepted=%zu rejected=%zu; expected 0 and 0 (nothing was "
			   "validated)", b->report.accepted, b->report.rejected);
	ctx_destroy(&b->c);
	batch_free(b);
}

CHAPTER_SCENARIOS(
	SCENARIO(cancel_wakes_every_waiter, "R1a"),
	SCENARIO(first_cause_wins, "R1b"),
	SCENARIO(done_ctx_answers_at_once, "R1c"),
	SCENARIO(parent_cancel_reaches_grandchild, "R2a"),
	SCENARIO(done_flows_down_not_up, "R2b R2c"),
	SCENARIO(parent_deadline_ends_child, "R2a"),
	SCENARIO(deadline_fires_on_time, "R3a"),
	SCENARIO(long_deadline_fires, "R3a"),
	SCENARIO(wall_clock_steps_change_nothing, "R3b"),
	SCENARIO(blocked_waits_use_no_cpu, "R4"),
	SCENARIO(queue_is_fifo_exactly_once, "R5a R5c"),
	SCENARIO(blocked_push_wakes_on_cancel, "R5b R6b"),
	SCENARIO(blocked_pop_wakes_on_cancel, "R5b R6b"),
	SCENARIO(done_ctx_wins_over_room_items_and_close, "R6a"),
	SCENARIO(group_returns_first_error, "R7a R7b R7c"),
	SCENARIO(group_of_successes_returns_zero, "R7a R7b"),
	SCENARIO(group_counts_a_cancel_as_a_failure, "R7b R7c"),
	SCENARIO(batch_validates_every_record_once, "R8a"),
	SCENARIO(any_batch_size_works, "R8a"),
	SCENARIO(batch_zero_workers_is_einval, "R8b"),
	SCENARIO(batch_stops_when_user_gives_up, "R9a R9b R9c"),
	SCENARIO(batch_stops_at_deadline, "R9a R9c"),
	SCENARIO(batch_on_a_done_ctx_does_nothing, "R9a R9b R9c")
);
