/*
 * zoo: a task's ECANCELED is never taken as the group's error and never
 * cancels the group's ctx; the batch falls back to ctx_err()
 * breaks: R7b R7c
 * loses: correctness throughput
 *
 * context.c - cancellation contexts, a queue that answers to one, an error
 * group, and the nightly validation batch
 *
 * The batch used to run until every record was done, even after the user
 * had closed the page or the 30-second budget was long gone. Now a ctx tells
 * every thread of the batch when to stop, including the ones that are
 * waiting on the queue.
 */
#include "context.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* Makes c done with err, then its watches and its children. c->lock held. */
static void ctx_end_locked(struct ctx *c, int err)
{
	c->err = err;
	pthread_cond_broadcast(&c->done);
	for (struct ctx_watch *w = c->watches; w; w = w->next)
		w->fn(w->arg, err);
	/* Parent before child: the lock order of context.h. */
	for (struct ctx *child = c->children; child; child = child->sibling) {
		pthread_mutex_lock(&child->lock);
		if (!child->err)
			ctx_end_locked(child, err);
		pthread_mutex_unlock(&child->lock);
	}
}

static int ctx_init_common(struct ctx *c, struct ctx *parent)
{
	pthread_condattr_t attr;
	int err;

	c->err = 0;
	c->deadline_ns = 0;
	c->has_timer = false;
	c->parent = parent;
	c->children = NULL;
	c->sibling = NULL;
	c->watches = NULL;
	err = pthread_mutex_init(&c->lock, NULL);
	if (err)
		return err;
	/* Deadlines come from CLOCK_MONOTONIC: the condvar must use it too. */
	err = pthread_condattr_init(&attr);
	if (!err) {
		err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		if (!err)
			err = pthread_cond_init(&c->done, &attr);
		pthread_condattr_destroy(&attr);
	}
	if (err) {
		pthread_mutex_destroy(&c->lock);
		return err;
	}
	if (parent) {
		pthread_mutex_lock(&parent->lock);
		if (parent->err) {
			c->err = parent->err;
		} else {
			/* Linked, so that the parent's end reaches c. */
			c->sibling = parent->children;
			parent->children = c;
		}
		pthread_mutex_unlock(&parent->lock);
	}
	return 0;
}

int ctx_init(struct ctx *c, struct ctx *parent)
{
	return ctx_init_common(c, parent);
}

/* The timer thread: sleeps until the deadline or until c is done. */
static void *ctx_timer(void *arg)
{
	struct ctx *c = arg;
	struct timespec ts = {
		.tv_sec = (time_t)(c->deadline_ns / CTX_SECOND),
		.tv_nsec = (long)(c->deadline_ns % CTX_SECOND),
	};
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	while (!c->err && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c->done, &c->lock, &ts);
	if (!c->err)
		ctx_end_locked(c, ETIMEDOUT);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int ctx_init_timeout(struct ctx *c, struct ctx *parent, uint64_t timeout_ns)
{
	int err = ctx_init_common(c, parent);

	if (err)
		return err;
	c->deadline_ns = world_now_ns() + timeout_ns;
	err = pthread_create(&c->timer, NULL, ctx_timer, c);
	if (err) {
		ctx_destroy(c);
		return err;
	}
	c->has_timer = true;
	return 0;
}

void ctx_cancel(struct ctx *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->err)
		ctx_end_locked(c, ECANCELED);
	pthread_mutex_unlock(&c->lock);
}

int ctx_err(struct ctx *c)
{
	int err;

	pthread_mutex_lock(&c->lock);
	err = c->err;
	pthread_mutex_unlock(&c->lock);
	return err;
}

int ctx_wait(struct ctx *c)
{
	int err;

	pthread_mutex_lock(&c->lock);
	while (!c->err)
		pthread_cond_wait(&c->done, &c->lock);
	err = c->err;
	pthread_mutex_unlock(&c->lock);
	return err;
}

void ctx_watch(struct ctx *c, struct ctx_watch *w, ctx_watch_fn *fn, void *arg)
{
	w->fn = fn;
	w->arg = arg;
	pthread_mutex_lock(&c->lock);
	w->next = c->watches;
	c->watches = w;
	if (c->err)
		fn(arg, c->err);
	pthread_mutex_unlock(&c->lock);
}

void ctx_unwatch(struct ctx *c, struct ctx_watch *w)
{
	pthread_mutex_lock(&c->lock);
	for (struct ctx_watch **p = &c->watches; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

void ctx_destroy(struct ctx *c)
{
	if (c->parent) {
		pthread_mutex_lock(&c->parent->lock);
		for (struct ctx **p = &c->parent->children; *p; p = &(*p)->sibling) {
			if (*p == c) {
				*p = c->sibling;
				break;
			}
		}
		pthread_mutex_unlock(&c->parent->lock);
	}
	ctx_cancel(c);
	if (c->has_timer)
		pthread_join(c->timer, NULL);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
}

/* The queue's watch: runs under the ctx lock, takes the queue lock. */
static void queue_ctx_done(void *arg, int err)
{
	struct queue *q = arg;

	pthread_mutex_lock(&q->lock);
	q->err = err;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}

int queue_init(struct queue *q, size_t capacity, struct ctx *ctx)
{
	int err;

	if (capacity == 0)
		return EINVAL;
	q->items = calloc(capacity, sizeof(*q->items));
	if (!q->items)
		return ENOMEM;
	q->capacity = capacity;
	q->head = 0;
	q->count = 0;
	q->closed = false;
	q->err = 0;
	q->ctx = ctx;
	err = pthread_mutex_init(&q->lock, NULL);
	if (err)
		goto out_free;
	err = pthread_cond_init(&q->not_empty, NULL);
	if (err)
		goto out_lock;
	err = pthread_cond_init(&q->not_full, NULL);
	if (err)
		goto out_not_empty;
	ctx_watch(ctx, &q->watch, queue_ctx_done, q);
	return 0;

out_not_empty:
	pthread_cond_destroy(&q->not_empty);
out_lock:
	pthread_mutex_destroy(&q->lock);
out_free:
	free(q->items);
	q->items = NULL;
	return err;
}

int queue_push(struct queue *q, size_t item)
{
	int err = 0;

	pthread_mutex_lock(&q->lock);
	while (q->count == q->capacity && !q->closed && !q->err)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (q->err) {
		err = q->err;
	} else if (q->closed) {
		err = EPIPE;
	} else {
		q->items[(q->head + q->count) % q->capacity] = item;
		q->count++;
		pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

int queue_pop(struct queue *q, size_t *item)
{
	int err = 0;

	pthread_mutex_lock(&q->lock);
	while (q->count == 0 && !q->closed && !q->err)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->err) {
		err = q->err;
	} else if (q->count == 0) {
		err = EPIPE;
	} else {
		*item = q->items[q->head];
		q->head = (q->head + 1) % q->capacity;
		q->count--;
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}

void queue_destroy(struct queue *q)
{
	ctx_unwatch(q->ctx, &q->watch);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->lock);
	free(q->items);
}

struct group_task {
	struct group *group;
	group_fn *fn;
	void *arg;
	pthread_t tid;
	struct group_task *next;
};

static void *group_thread(void *arg)
{
	struct group_task *t = arg;
	struct group *g = t->group;
	int err = t->fn(&g->ctx, t->arg);

	if (err && err != ECANCELED) {
		pthread_mutex_lock(&g->lock);
		if (!g->err)
			g->err = err;	/* the first failure is the group's error */
		pthread_mutex_unlock(&g->lock);
		ctx_cancel(&g->ctx);
	}
	return NULL;
}

int group_init(struct group *g, struct ctx *parent)
{
	int err = ctx_init(&g->ctx, parent);

	if (err)
		return err;
	err = pthread_mutex_init(&g->lock, NULL);
	if (err) {
		ctx_destroy(&g->ctx);
		return err;
	}
	g->err = 0;
	g->tasks = NULL;
	return 0;
}

int group_go(struct group *g, group_fn *fn, void *arg)
{
	struct group_task *t = malloc(sizeof(*t));
	int err;

	if (!t)
		return ENOMEM;
	t->group = g;
	t->fn = fn;
	t->arg = arg;
	err = pthread_create(&t->tid, NULL, group_thread, t);
	if (err) {
		free(t);
		return err;
	}
	t->next = g->tasks;
	g->tasks = t;
	return 0;
}

int group_wait(struct group *g)
{
	int err;

	while (g->tasks) {
		struct group_task *t = g->tasks;

		pthread_join(t->tid, NULL);
		g->tasks = t->next;
		free(t);
	}
	ctx_cancel(&g->ctx);
	pthread_mutex_lock(&g->lock);
	err = g->err;
	pthread_mutex_unlock(&g->lock);
	return err;
}

void group_destroy(struct group *g)
{
	pthread_mutex_destroy(&g->lock);
	ctx_destroy(&g->ctx);
}

struct batch {
	const struct record *records;
	size_t n;
	struct queue queue;
	pthread_mutex_t lock;
	struct batch_report *report;	/* L */
};

/* Feeds every record index into the queue, then closes it. */
static int batch_produce(struct ctx *ctx, void *arg)
{
	struct batch *b = arg;

	(void)ctx;
	for (size_t i = 0; i < b->n; i++) {
		int err = queue_push(&b->queue, i);

		if (err)
			return err;
	}
	queue_close(&b->queue);
	return 0;
}

/* Validates records from the queue until it is drained or the ctx is done. */
static int batch_work(struct ctx *ctx, void *arg)
{
	struct batch *b = arg;
	size_t i;
	int err;

	(void)ctx;
	while ((err = queue_pop(&b->queue, &i)) == 0) {
		bool plausible = validate_record(&b->records[i]);

		pthread_mutex_lock(&b->lock);
		if (plausible)
			b->report->accepted++;
		else
			b->report->rejected++;
		pthread_mutex_unlock(&b->lock);
	}
	return err == EPIPE ? 0 : err;
}

int batch_validate(struct ctx *ctx, const struct record *records, size_t n,
		   unsigned workers, struct batch_report *report)
{
	struct batch b = { .records = records, .n = n, .report = report };
	struct group g;
	int err, wait_err;

	if (workers == 0)
		return EINVAL;
	report->accepted = 0;
	report->rejected = 0;
	err = group_init(&g, ctx);
	if (err)
		return err;
	err = queue_init(&b.queue, workers, &g.ctx);
	if (err) {
		group_destroy(&g);
		return err;
	}
	err = pthread_mutex_init(&b.lock, NULL);
	if (err) {
		queue_destroy(&b.queue);
		group_destroy(&g);
		return err;
	}
	err = group_go(&g, batch_produce, &b);
	for (unsigned w = 0; w < workers && !err; w++)
		err = group_go(&g, batch_work, &b);
	if (err)
		ctx_cancel(&g.ctx);
	wait_err = group_wait(&g);
	if (!err)
		err = wait_err;
	if (!err)
		err = ctx_err(ctx);
	pthread_mutex_destroy(&b.lock);
	queue_destroy(&b.queue);
	group_destroy(&g);
	return err;
}
