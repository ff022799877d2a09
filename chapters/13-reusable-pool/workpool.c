/*
 * workpool.c - the reusable worker pool
 *
 * Tasks wait in a list under the pool's lock; `workers` threads take them
 * one at a time. pool_shutdown() tells the workers to stop and joins them.
 * The counters live next to the queue, so a dashboard can read them
 * directly.
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
	pthread_cond_t wake;		/* a task arrived, or the pool is stopping */
	struct task *head, *tail;	/* the queue, oldest first */
	bool stopping;
	pthread_t *threads;
	unsigned started;
	struct pool_metrics counts;
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

static void *worker_main(void *arg)
{
	struct pool *p = arg;
	struct pool_state *s = p->state;

	for (;;) {
		struct task *t;
		int result;

		pthread_mutex_lock(&p->lock);
		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->wake, &p->lock);
		t = s->head;
		if (!t) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		s->head = t->next;
		if (!s->head)
			s->tail = NULL;
		s->counts.queued--;
		s->counts.running++;
		pthread_mutex_unlock(&p->lock);

		result = t->fn(t->arg, &p->token);

		pthread_mutex_lock(&p->lock);
		s->counts.running--;
		if (result == 0)
			s->counts.done++;
		else
			s->counts.failed++;
		pthread_mutex_unlock(&p->lock);
		if (t->done)
			t->done(t->arg, result);
		free(t);
	}
}

int pool_init(struct pool *p, unsigned workers)
{
	struct pool_state *s;
	int err = 0;

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
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	token_init(&p->token);
	p->workers = workers;
	p->state = s;
	for (; s->started < workers; s->started++) {
		err = pthread_create(&s->threads[s->started], NULL, worker_main, p);
		if (err)
			break;
	}
	if (err) {
		pthread_mutex_lock(&p->lock);
		s->stopping = true;
		pthread_cond_broadcast(&s->wake);
		pthread_mutex_unlock(&p->lock);
		for (unsigned i = 0; i < s->started; i++)
			pthread_join(s->threads[i], NULL);
		pool_destroy(p);
	}
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
	if (s->tail)
		s->tail->next = t;
	else
		s->head = t;
	s->tail = t;
	s->counts.queued++;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void pool_metrics(struct pool *p, struct pool_metrics *out)
{
	*out = p->state->counts;
}

void pool_shutdown(struct pool *p, enum pool_stop how)
{
	struct pool_state *s = p->state;

	if (how == POOL_CANCEL)
		token_cancel(&p->token);
	pthread_mutex_lock(&p->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < s->started; i++)
		pthread_join(s->threads[i], NULL);
}

void pool_destroy(struct pool *p)
{
	struct pool_state *s = p->state;

	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&p->lock);
	free(s->threads);
	free(s);
	p->state = NULL;
}
