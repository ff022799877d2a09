/*
 * zoo: queue_push() signals not_empty only when it puts a job into an empty
 * queue: with several workers idle, quick pushes wake only one of them and
 * the others sleep with jobs queued
 * breaks: R2b
 * loses: correctness throughput
 * may-lose: tsan helgrind leaks
 *
 * pool.c - the nightly import: a bounded queue of records, and a pool of
 * workers that store them
 *
 * The calling thread is the producer: it feeds the batch into the queue and
 * waits whenever the queue is full. Each worker takes one record at a time
 * out of the queue and stores it over its own database connection.
 */
#include "pool.h"

#include <errno.h>
#include <stdlib.h>

int queue_init(struct job_queue *q, size_t capacity)
{
	int err;

	if (capacity == 0)
		return EINVAL;
	q->slots = calloc(capacity, sizeof(*q->slots));
	if (!q->slots)
		return ENOMEM;
	q->capacity = capacity;
	q->head = 0;
	q->len = 0;
	q->closed = false;
	err = pthread_mutex_init(&q->lock, NULL);
	if (err)
		goto out_free;
	err = pthread_cond_init(&q->not_full, NULL);
	if (err)
		goto out_destroy_lock;
	err = pthread_cond_init(&q->not_empty, NULL);
	if (err)
		goto out_destroy_not_full;
	return 0;

out_destroy_not_full:
	pthread_cond_destroy(&q->not_full);
out_destroy_lock:
	pthread_mutex_destroy(&q->lock);
out_free:
	free(q->slots);
	q->slots = NULL;
	return err;
}

void queue_destroy(struct job_queue *q)
{
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	pthread_mutex_destroy(&q->lock);
	free(q->slots);
	q->slots = NULL;
}

int queue_push(struct job_queue *q, const struct record *job)
{
	pthread_mutex_lock(&q->lock);
	while (q->len == q->capacity && !q->closed)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		return EPIPE;
	}
	q->slots[(q->head + q->len) % q->capacity] = job;
	if (q->len++ == 0)
		pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

bool queue_pop(struct job_queue *q, const struct record **job)
{
	pthread_mutex_lock(&q->lock);
	while (q->len == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->len == 0) {
		pthread_mutex_unlock(&q->lock);
		return false;
	}
	*job = q->slots[q->head];
	q->head = (q->head + 1) % q->capacity;
	q->len--;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return true;
}

void queue_close(struct job_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	/* Every sleeper must see the flag: a signal would wake only one. */
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}

/* One worker: its thread, the shared queue, and its own count. */
struct store_worker {
	pthread_t tid;
	struct job_queue *queue;
	size_t stored;		/* written by this worker only, read after the join */
};

static void *store_worker(void *arg)
{
	struct store_worker *w = arg;
	const struct record *r;

	while (queue_pop(w->queue, &r)) {
		store_record(r);
		w->stored++;
	}
	return NULL;
}

int store_all(const struct record *records, size_t n, unsigned workers,
	      size_t queue_capacity, struct store_report *report)
{
	struct job_queue q;
	struct store_worker *pool;
	size_t nthreads, started;
	int err;

	if (workers == 0 || queue_capacity == 0)
		return EINVAL;
	report->stored = 0;
	/* A fixed pool: one thread per database connection, not per record. */
	nthreads = n < workers ? n : workers;
	if (nthreads == 0)
		return 0;
	pool = calloc(nthreads, sizeof(*pool));
	if (!pool)
		return ENOMEM;
	err = queue_init(&q, queue_capacity);
	if (err)
		goto out_free;
	for (started = 0; started < nthreads; started++) {
		pool[started].queue = &q;
		err = pthread_create(&pool[started].tid, NULL, store_worker, &pool[started]);
		if (err)
			break;
	}

	for (size_t i = 0; i < n && !err; i++)
		err = queue_push(&q, &records[i]);
	/* The workers leave their loop only once the queue is closed and drained. */
	queue_close(&q);
	for (size_t i = 0; i < started; i++) {
		pthread_join(pool[i].tid, NULL);
		report->stored += pool[i].stored;
	}
	queue_destroy(&q);
out_free:
	free(pool);
	return err;
}
