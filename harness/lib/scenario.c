#define _GNU_SOURCE
#include "scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "clock.h"

#define RUNNER_BLOCKED_WAIT_NS 1000000000ull	/* runner_wait_blocked()'s bound */
#define SCENARIO_POLL_NS 1000000u	/* scenario_wait_all_steady()'s poll */
#define STEADY_POLLS 5			/* polls in a row it wants */

size_t scenario_total(void)
{
	return chapter_scenario_count + (&hidden_scenario_count ? hidden_scenario_count : 0);
}

const struct scenario *scenario_get(size_t index)
{
	if (index < chapter_scenario_count)
		return &chapter_scenarios[index];
	return &hidden_scenarios[index - chapter_scenario_count];
}

void check_fail(struct check *c, const char *clause, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	snprintf(c->clause, sizeof(c->clause), "%s", clause);
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

double scenario_timeout_factor(void)
{
	const char *text = getenv("TC_TIMEOUT_FACTOR");
	double factor = text ? strtod(text, NULL) : 1.0;

	return factor > 0 ? factor : 1.0;
}

uint64_t scenario_scaled_ns(double seconds)
{
	return (uint64_t)(seconds * scenario_timeout_factor() * 1e9);
}

/* How many of holds(ctx, 0..n-1) are false now. */
static size_t count_not_holding(size_t n, scenario_holds *holds, void *ctx)
{
	size_t left = 0;

	for (size_t i = 0; i < n; i++)
		left += !holds(ctx, i);
	return left;
}

size_t scenario_count_holding(size_t n, scenario_holds *holds, void *ctx)
{
	return n - count_not_holding(n, holds, ctx);
}

size_t scenario_wait_all(size_t n, scenario_holds *holds, void *ctx, double seconds)
{
	uint64_t deadline = world_now_ns() + scenario_scaled_ns(seconds);
	size_t left;

	for (;;) {
		left = count_not_holding(n, holds, ctx);
		if (left == 0 || world_now_ns() > deadline)
			return left;
		world_sleep_ns(SCENARIO_POLL_NS / 2);
	}
}

bool scenario_wait_all_steady(size_t n, scenario_holds *holds, void *ctx, double seconds)
{
	uint64_t deadline = world_now_ns() + scenario_scaled_ns(seconds);
	int streak = 0;

	while (streak < STEADY_POLLS && world_now_ns() < deadline) {
		bool all = true;

		for (size_t i = 0; i < n && all; i++)
			all = holds(ctx, i);
		streak = all ? streak + 1 : 0;
		world_sleep_ns(SCENARIO_POLL_NS);
	}
	return streak >= STEADY_POLLS;
}

static void *runner_main(void *p)
{
	struct runner *r = p;
	int ret;

	pthread_mutex_lock(&r->lock);
	r->os_tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	ret = r->op(r->arg);
	pthread_mutex_lock(&r->lock);
	r->ret = ret;
	r->end_ns = world_now_ns();
	r->finished = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int runner_start(struct runner *r, int (*op)(void *), void *arg)
{
	pthread_condattr_t attr;

	memset(r, 0, sizeof(*r));
	r->op = op;
	r->arg = arg;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &attr);
	pthread_condattr_destroy(&attr);
	return pthread_create(&r->tid, NULL, runner_main, r);
}

bool runner_wait_until(struct runner *r, uint64_t until_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(until_ns / 1000000000u),
		.tv_nsec = (long)(until_ns % 1000000000u),
	};
	bool finished;

	pthread_mutex_lock(&r->lock);
	while (!r->finished &&
	       pthread_cond_timedwait(&r->cond, &r->lock, &ts) != ETIMEDOUT)
		;
	finished = r->finished;
	pthread_mutex_unlock(&r->lock);
	return finished;
}

void runner_wait_blocked(struct runner *r)
{
	uint64_t until = world_now_ns() + RUNNER_BLOCKED_WAIT_NS;
	pid_t tid;
	bool finished;

	pthread_mutex_lock(&r->lock);
	while (!r->os_tid)
		pthread_cond_wait(&r->cond, &r->lock);
	tid = r->os_tid;
	pthread_mutex_unlock(&r->lock);
	do {
		pthread_mutex_lock(&r->lock);
		finished = r->finished;
		pthread_mutex_unlock(&r->lock);
		if (finished || census_thread_state(tid) == 'S')
			return;
		world_sleep_ns(1000000u);
	} while (world_now_ns() < until);
}

void runner_join(struct runner *r)
{
	pthread_join(r->tid, NULL);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

bool runner_finished(struct runner *r, int *ret, uint64_t *end_ns)
{
	bool finished;

	pthread_mutex_lock(&r->lock);
	finished = r->finished;
	*ret = r->ret;
	*end_ns = r->end_ns;
	pthread_mutex_unlock(&r->lock);
	return finished;
}

bool scenario_selected(size_t index)
{
	const char *only = getenv("TC_ONLY");

	if (!only || !*only)
		return true;
	for (const char *p = only; *p;) {
		char *end;
		unsigned long long at = strtoull(p, &end, 10);

		if (end == p)
			return false;
		if (at == index)
			return true;
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return false;
	}
	return false;
}

static void *crowd_thread(void *arg)
{
	struct crowd_member *m = arg;

	pthread_barrier_wait(&m->k->start);
	m->k->fn(m->k, m->index);
	return NULL;
}

int crowd_run(unsigned n, crowd_fn *fn, void *ctx)
{
	struct crowd k = { .fn = fn, .ctx = ctx };
	pthread_t tids[CROWD_MAX];
	int err;

	if (n == 0 || n > CROWD_MAX)
		return EINVAL;
	err = pthread_barrier_init(&k.start, NULL, n);
	if (err)
		return err;
	for (unsigned i = 0; i < n; i++) {
		k.members[i].k = &k;
		k.members[i].index = i;
		if (pthread_create(&tids[i], NULL, crowd_thread, &k.members[i]))
			abort();
	}
	for (unsigned i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	pthread_barrier_destroy(&k.start);
	return 0;
}

size_t crew_run(size_t n, void *(*fn)(void *), void *first, size_t size)
{
	pthread_t tids[CREW_MAX];
	size_t started = 0;

	while (started < n && started < CREW_MAX &&
	       pthread_create(&tids[started], NULL, fn, (char *)first + started * size) == 0)
		started++;
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return started;
}

struct watched {
	crowd_work_fn *work;
	void (*watch)(void *ctx);
	void *ctx;
	atomic_uint workers_left;	/* the last worker to return sets done */
	atomic_bool done;
};

static void watched_member(struct crowd *k, unsigned index)
{
	struct watched *w = k->ctx;

	if (index == 0) {
		do
			w->watch(w->ctx);
		while (!atomic_load(&w->done));
		return;
	}
	w->work(w->ctx, index);
	if (atomic_fetch_sub(&w->workers_left, 1) == 1)
		atomic_store(&w->done, true);
}

int crowd_run_watched(unsigned workers, crowd_work_fn *work, void (*watch)(void *ctx),
		      void *ctx)
{
	struct watched w = { .work = work, .watch = watch, .ctx = ctx };

	if (workers == 0)
		return EINVAL;
	atomic_init(&w.workers_left, workers);
	atomic_init(&w.done, false);
	return crowd_run(workers + 1, watched_member, &w);
}
