/*
 * zoo: detached workers and a countdown of counted outcomes instead of
 * joins; an outcome is counted before it is filed, so the batch returns
 * while the last filings (and their threads) are still under way
 * loses: correctness tsan helgrind throughput
 * breaks: R10
 *
 * permits.c - a counting semaphore, and the adverse-event screening batch
 *
 * The AI model's vendor allows 10 concurrent calls. The batch runs more
 * threads than that, so that filing outcomes never waits, and hands out the
 * model's capacity as semaphore permits.
 */
#include "permits.h"

#include <errno.h>
#include <stdlib.h>

int semaphore_init(struct semaphore *s, unsigned count)
{
	int err = pthread_mutex_init(&s->lock, NULL);

	if (err)
		return err;
	err = pthread_cond_init(&s->available, NULL);
	if (err) {
		pthread_mutex_destroy(&s->lock);
		return err;
	}
	s->permits = count;
	return 0;
}

void semaphore_destroy(struct semaphore *s)
{
	pthread_cond_destroy(&s->available);
	pthread_mutex_destroy(&s->lock);
}

void semaphore_acquire(struct semaphore *s)
{
	/* Check and take in one critical section: no one can take it in between. */
	pthread_mutex_lock(&s->lock);
	while (s->permits == 0)
		pthread_cond_wait(&s->available, &s->lock);
	s->permits--;
	pthread_mutex_unlock(&s->lock);
}

void semaphore_release(struct semaphore *s)
{
	pthread_mutex_lock(&s->lock);
	s->permits++;
	pthread_cond_signal(&s->available);
	pthread_mutex_unlock(&s->lock);
}

unsigned semaphore_value(struct semaphore *s)
{
	unsigned value;

	pthread_mutex_lock(&s->lock);
	value = s->permits;
	pthread_mutex_unlock(&s->lock);
	return value;
}

/* One batch: the submissions, a shared cursor, the totals and the permits. */
struct screening {
	const struct record *subs;
	size_t n;
	pthread_mutex_t lock;
	pthread_cond_t all_counted;	/* signalled when counted reaches n */
	size_t next;			/* L: the next submission to take */
	size_t counted;			/* L: outcomes counted so far */
	unsigned refs;			/* L: the threads and the caller using it */
	struct screening_report report;	/* L */
	struct semaphore permits;	/* one per concurrent model call */
};

/* Drops one reference to b; the last one frees it. */
static void screening_put(struct screening *b)
{
	bool last;

	pthread_mutex_lock(&b->lock);
	last = --b->refs == 0;
	pthread_mutex_unlock(&b->lock);
	if (!last)
		return;
	semaphore_destroy(&b->permits);
	pthread_cond_destroy(&b->all_counted);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

static void count_outcome(struct screening *b, enum screening_outcome outcome)
{
	pthread_mutex_lock(&b->lock);
	if (outcome == SCREENING_CLEAR)
		b->report.clear++;
	else if (outcome == SCREENING_ADVERSE)
		b->report.adverse++;
	else
		b->report.unchecked++;
	if (++b->counted == b->n)
		pthread_cond_broadcast(&b->all_counted);
	pthread_mutex_unlock(&b->lock);
}

/* Screens one submission with the model, counts the outcome and files it. */
static void screen_one(struct screening *b, const struct record *r)
{
	enum screening_outcome outcome = SCREENING_UNCHECKED;
	bool adverse;
	int err;

	semaphore_acquire(&b->permits);
	err = ai_screen(r, &adverse);
	/* Return the permit at once, on every path: filing needs no model call. */
	semaphore_release(&b->permits);
	if (!err)
		outcome = adverse ? SCREENING_ADVERSE : SCREENING_CLEAR;
	count_outcome(b, outcome);
	file_screening(r, outcome);
}

static void *screen_thread(void *arg)
{
	struct screening *b = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&b->lock);
		i = b->next;
		if (i < b->n)
			b->next++;
		pthread_mutex_unlock(&b->lock);
		if (i >= b->n)
			break;
		screen_one(b, &b->subs[i]);
	}
	screening_put(b);
	return NULL;
}

int screen_submissions(const struct record *subs, size_t n, unsigned nthreads,
		       unsigned max_calls, struct screening_report *report)
{
	struct screening *b;
	unsigned started;
	int err;

	if (nthreads == 0 || max_calls == 0)
		return EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return ENOMEM;
	b->subs = subs;
	b->n = n;
	b->refs = 1;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->all_counted, NULL);
	/* As many permits as the model allows calls, not one per thread. */
	err = semaphore_init(&b->permits, max_calls);
	if (err) {
		pthread_cond_destroy(&b->all_counted);
		pthread_mutex_destroy(&b->lock);
		free(b);
		return err;
	}

	/* Detached workers: the batch is over when every outcome is counted. */
	for (started = 0; started < nthreads; started++) {
		pthread_t tid;

		pthread_mutex_lock(&b->lock);
		b->refs++;
		pthread_mutex_unlock(&b->lock);
		err = pthread_create(&tid, NULL, screen_thread, b);
		if (err) {
			b->refs--;
			break;
		}
		pthread_detach(tid);
	}
	pthread_mutex_lock(&b->lock);
	while (started && b->counted < b->n)
		pthread_cond_wait(&b->all_counted, &b->lock);
	*report = b->report;
	pthread_mutex_unlock(&b->lock);
	screening_put(b);
	return err;
}
