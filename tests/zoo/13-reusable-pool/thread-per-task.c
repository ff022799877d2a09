/*
 * zoo: Go's "go task()" in C: every submit starts a thread of its own, and
 * the shutdown joins them all; nothing limits how many run at once, and
 * there is never a queue for a cancel to drop
 * loses: correctness throughput
 * breaks: R2 R6c
 *
 * workpool.c - the reusable worker pool, one thread per task
 *
 * Threads are cheap enough: each submitted task gets one, which runs it,
 * reports it and ends. The shutdown joins every thread started so far.
 */
#include "workpool.h"

#include <errno.h>
#include <stdlib.h>

struct task {
	struct pool *p;
	pool_task_fn *fn;
	pool_done_fn *done;
	void *arg;
};

struct pool_state {
	bool stopping;			/* L */
	pthread_t *threads;		/* L: every thread started, to join */
	size_t nthreads, cap;		/* L */
	atomic_size_t queued;		/* A */
	atomic_size_t running;		/* A */
	atomic_size_t done;		/* A */
	atomic_size_t failed;		/* A */
	atomic_size_t cancelled;	/* A */
};

void token_init(struct cancel_token *t)
{
	atomic_init(&t->cancelled, false);
}

void token_cancel(struct cancel_token *t)
{
	atomic_exchange(&t->cancelled, true);
}

bool token_cancelled(const struct cancel_token *t)
{
	return atomic_load(&t->cancelled);
}

static void *task_main(void *arg)
{
	struct task *t = arg;
	struct pool_state *s = t->p->state;
	int result;

	atomic_fetch_add(&s->running, 1);
	result = t->fn(t->arg, &t->p->token);
	atomic_fetch_sub(&s->running, 1);
	atomic_fetch_add(result == 0 ? &s->done : &s->failed, 1);
	if (t->done)
		t->done(t->arg, result);
	free(t);
	return NULL;
}

int pool_init(struct pool *p, unsigned workers)
{
	struct pool_state *s;
	int err;

	if (workers == 0)
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	err = pthread_mutex_init(&p->lock, NULL);
	if (err) {
		free(s);
		return err;
	}
	atomic_init(&s->queued, 0);
	atomic_init(&s->running, 0);
	atomic_init(&s->done, 0);
	atomic_init(&s->failed, 0);
	atomic_init(&s->cancelled, 0);
	token_init(&p->token);
	p->workers = workers;
	p->state = s;
	return 0;
}

int pool_submit(struct pool *p, pool_task_fn *fn, pool_done_fn *done, void *arg)
{
	struct pool_state *s = p->state;
	struct task *t;
	int err;

	if (!fn)
		return EINVAL;
	t = malloc(sizeof(*t));
	if (!t)
		return ENOMEM;
	t->p = p;
	t->fn = fn;
	t->done = done;
	t->arg = arg;
	pthread_mutex_lock(&p->lock);
	if (s->stopping) {
		pthread_mutex_unlock(&p->lock);
		free(t);
		return ESHUTDOWN;
	}
	if (s->nthreads == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		pthread_t *more = realloc(s->threads, cap * sizeof(*more));

		if (!more) {
			pthread_mutex_unlock(&p->lock);
			free(t);
			return ENOMEM;
		}
		s->threads = more;
		s->cap = cap;
	}
	err = pthread_create(&s->threads[s->nthreads], NULL, task_main, t);
	if (err) {
		pthread_mutex_unlock(&p->lock);
		free(t);
		return err;
	}
	s->nthreads++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void pool_metrics(struct pool *p, struct pool_metrics *out)
{
	struct pool_state *s = p->state;

	out->queued = atomic_load(&s->queued);
	out->running = atomic_load(&s->running);
	out->done = atomic_load(&s->done);
	out->failed = atomic_load(&s->failed);
	out->cancelled = atomic_load(&s->cancelled);
}

void pool_shutdown(struct pool *p, enum pool_stop how)
{
	struct pool_state *s = p->state;

	if (how == POOL_CANCEL)
		token_cancel(&p->token);
	pthread_mutex_lock(&p->lock);
	s->stopping = true;
	pthread_mutex_unlock(&p->lock);
	/* No submit can add a thread now. */
	for (size_t i = 0; i < s->nthreads; i++)
		pthread_join(s->threads[i], NULL);
}

void pool_destroy(struct pool *p)
{
	pthread_mutex_destroy(&p->lock);
	free(p->state->threads);
	free(p->state);
	p->state = NULL;
}
