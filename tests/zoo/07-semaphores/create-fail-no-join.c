/*
 * zoo: when a pthread_create() fails midway, the batch jumps straight to its
 * clean-up: the threads already started are not joined and keep using the
 * batch's stack frame after the return
 * loses: correctness throughput
 * may-lose: tsan helgrind
 * breaks: R10 R11
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
	size_t next;			/* L: the next submission to take */
	struct screening_report report;	/* L */
	struct semaphore permits;	/* one per concurrent model call */
};

static void count_outcome(struct screening *b, enum screening_outcome outcome)
{
	pthread_mutex_lock(&b->lock);
	if (outcome == SCREENING_CLEAR)
		b->report.clear++;
	else if (outcome == SCREENING_ADVERSE)
		b->report.adverse++;
	else
		b->report.unchecked++;
	pthread_mutex_unlock(&b->lock);
}

/* Screens one submission with the model and files the outcome. */
static void screen_one(struct screening *b, const struct record *r)
{
	enum screening_outcome outcome;
	bool adverse;
	int err;

	semaphore_acquire(&b->permits);
	err = ai_screen(r, &adverse);
	/* Return the permit at once, on every path: filing needs no model call. */
	semaphore_release(&b->permits);
	if (err) {
		file_screening(r, SCREENING_UNCHECKED);
		count_outcome(b, SCREENING_UNCHECKED);
		return;
	}
	outcome = adverse ? SCREENING_ADVERSE : SCREENING_CLEAR;
	file_screening(r, outcome);
	count_outcome(b, outcome);
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
			return NULL;
		screen_one(b, &b->subs[i]);
	}
}

int screen_submissions(const struct record *subs, size_t n, unsigned nthreads,
		       unsigned max_calls, struct screening_report *report)
{
	struct screening b = { .subs = subs, .n = n };
	pthread_t *tids;
	unsigned started;
	int err;

	if (nthreads == 0 || max_calls == 0)
		return EINVAL;
	tids = calloc(nthreads, sizeof(*tids));
	if (!tids)
		return ENOMEM;
	err = pthread_mutex_init(&b.lock, NULL);
	if (err)
		goto out_free;
	/* As many permits as the model allows calls, not one per thread. */
	err = semaphore_init(&b.permits, max_calls);
	if (err)
		goto out_destroy_lock;

	for (started = 0; started < nthreads; started++) {
		err = pthread_create(&tids[started], NULL, screen_thread, &b);
		if (err)
			goto out_destroy_sem;
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	*report = b.report;

out_destroy_sem:
	semaphore_destroy(&b.permits);
out_destroy_lock:
	pthread_mutex_destroy(&b.lock);
out_free:
	free(tids);
	return err;
}
