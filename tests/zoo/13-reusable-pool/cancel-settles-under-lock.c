/*
 * zoo: POOL_CANCEL calls done(arg, ECANCELED) for the dropped tasks while it
 * still holds p->lock, so a done that takes the lock or submits deadlocks
 * loses: correctness throughput
 * breaks: R5
 *
 * workpool.c - the reusable worker pool
 *
 * A queue of tasks under the pool's lock, `workers` threads that take the
 * next task as soon as they are free, a shutdown that either drains the
 * queue or cancels the token and settles the queue as cancelled, and
 * counters kept as C11 atomics so that a dashboard reads them without the
 * lock.
 *
 * States of a task: queued (on the list, counted in `queued`) -> running
 * (taken by a worker under the lock, counted in `running`) -> done or failed
 * (after fn returned); or queued -> cancelled (taken off the list by a
 * POOL_CANCEL shutdown). Each arrow is taken by exactly one thread, and the
 * task's memory is freed by the thread that takes the last one.
 */
#include "workpool.h"

#include <errno.h>
#include <stdlib.h>

struct task {
	pool_task_fn *fn;
	pool_done_fn *done;
	void *arg;
	struct task *next;
};

struct pool_state {
	pthread_cond_t wake;		/* L: a task arrived, or the pool is stopping */
	struct task *head, *tail;	/* L: the queue, oldest first */
	bool stopping;			/* L: pool_shutdown() has been called */
	pthread_t *threads;		/* I */
	unsigned started;		/* I: threads to join */
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
	/* An exchange, not a store: every write is a read-modify-write. */
	atomic_exchange(&t->cancelled, true);
}

bool token_cancelled(const struct cancel_token *t)
{
	return atomic_load(&t->cancelled);
}

/* One task, start to finish, on a worker. No lock held. */
static void run_task(struct pool *p, struct task *t)
{
	struct pool_state *s = p->state;
	int result = t->fn(t->arg, &p->token);

	atomic_fetch_sub(&s->running, 1);
	atomic_fetch_add(result == 0 ? &s->done : &s->failed, 1);
	if (t->done)
		t->done(t->arg, result);
	free(t);
}

static void *worker_main(void *arg)
{
	struct pool *p = arg;
	struct pool_state *s = p->state;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct task *t;

		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->wake, &p->lock);
		t = s->head;
		if (!t)
			break;		/* stopping, and nothing left to run */
		s->head = t->next;
		if (!s->head)
			s->tail = NULL;
		/* Both under the lock: a reader never sees one task in neither. */
		atomic_fetch_sub(&s->queued, 1);
		atomic_fetch_add(&s->running, 1);
		pthread_mutex_unlock(&p->lock);
		run_task(p, t);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Tells every worker to stop once the queue is empty, and joins them. */
static void stop_workers(struct pool *p)
{
	struct pool_state *s = p->state;

	pthread_mutex_lock(&p->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < s->started; i++)
		pthread_join(s->threads[i], NULL);
}

static void free_state(struct pool *p)
{
	struct pool_state *s = p->state;

	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&p->lock);
	free(s->threads);
	free(s);
	p->state = NULL;
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
	s->threads = calloc(workers, sizeof(*s->threads));
	if (!s->threads) {
		free(s);
		return ENOMEM;
	}
	err = pthread_mutex_init(&p->lock, NULL);
	if (err)
		goto out_threads;
	err = pthread_cond_init(&s->wake, NULL);
	if (err)
		goto out_lock;
	atomic_init(&s->queued, 0);
	atomic_init(&s->running, 0);
	atomic_init(&s->done, 0);
	atomic_init(&s->failed, 0);
	atomic_init(&s->cancelled, 0);
	token_init(&p->token);
	p->workers = workers;
	p->state = s;
	for (; s->started < workers; s->started++) {
		err = pthread_create(&s->threads[s->started], NULL, worker_main, p);
		if (err)
			break;
	}
	if (!err)
		return 0;
	/* The workers that did start are idle: stop them, then undo the rest. */
	stop_workers(p);
	free_state(p);
	return err;
out_lock:
	pthread_mutex_destroy(&p->lock);
out_threads:
	free(s->threads);
	free(s);
	return err;
}

int pool_submit(struct pool *p, pool_task_fn *fn, pool_done_fn *done, void *arg)
{
	struct pool_state *s = p->state;
	struct task *t;

	if (!fn)
		return EINVAL;
	t = malloc(sizeof(*t));
	if (!t)
		return ENOMEM;
	t->fn = fn;
	t->done = done;
	t->arg = arg;
	t->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (s->stopping) {
		pthread_mutex_unlock(&p->lock);
		free(t);
		return ESHUTDOWN;
	}
	if (s->tail)
		s->tail->next = t;
	else
		s->head = t;
	s->tail = t;
	atomic_fetch_add(&s->queued, 1);
	pthread_cond_signal(&s->wake);
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
	struct task *dropped = NULL;

	pthread_mutex_lock(&p->lock);
	s->stopping = true;
	if (how == POOL_CANCEL) {
		/* The whole queue at once: no worker can start any of it now. */
		dropped = s->head;
		s->head = s->tail = NULL;
		/*
		 * Then the token, still under the lock: a task that ends because
		 * of it lets its worker look at the queue, which must be empty by
		 * then.
		 */
		token_cancel(&p->token);
	}
	while (dropped) {
		struct task *t = dropped;

		dropped = t->next;
		atomic_fetch_sub(&s->queued, 1);
		atomic_fetch_add(&s->cancelled, 1);
		if (t->done)
			t->done(t->arg, ECANCELED);
		free(t);
	}
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < s->started; i++)
		pthread_join(s->threads[i], NULL);
}

void pool_destroy(struct pool *p)
{
	struct pool_state *s = p->state;

	/* After a shutdown the queue is empty; free anything left regardless. */
	while (s->head) {
		struct task *t = s->head;

		s->head = t->next;
		free(t);
	}
	free_state(p);
}
