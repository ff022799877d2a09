/*
 * zoo: failures are counted whatever the state, so a call let through before
 * the breaker opened that fails while it is open opens it again and
 * restarts the cool-down
 * loses: correctness throughput
 * breaks: R5 R6a
 *
 * intake.c - the ePRO intake: submissions are queued for the workers or shed
 * at once when the queue is full, and each one is sent to the scoring
 * service through a circuit breaker
 *
 * The app's threads call intake_submit() while a patient waits for the
 * answer, so it must never wait for a worker. The workers call the scoring
 * service; when that service keeps failing, the breaker stops the calls for
 * a cool-down, then lets one probe find out whether it is back.
 */
#include "intake.h"

#include <errno.h>
#include <stdlib.h>

/* ---- the breaker ---- */

int breaker_init(struct breaker *b, unsigned threshold, uint64_t cooldown_ns)
{
	if (threshold == 0)
		return EINVAL;
	b->threshold = threshold;
	b->cooldown_ns = cooldown_ns;
	b->state = BREAKER_CLOSED;
	b->failures = 0;
	b->opened_ns = 0;
	b->probing = false;
	return pthread_mutex_init(&b->lock, NULL);
}

void breaker_destroy(struct breaker *b)
{
	pthread_mutex_destroy(&b->lock);
}

/* Called with b->lock held. */
static void breaker_open(struct breaker *b)
{
	b->state = BREAKER_OPEN;
	b->opened_ns = world_now_ns();
	b->failures = 0;
}

int breaker_call(struct breaker *b, int (*fn)(void *arg), void *arg)
{
	bool probe = false;
	int err;

	pthread_mutex_lock(&b->lock);
	if (b->state == BREAKER_OPEN && world_now_ns() - b->opened_ns >= b->cooldown_ns)
		b->state = BREAKER_HALF_OPEN;
	if (b->state == BREAKER_OPEN || (b->state == BREAKER_HALF_OPEN && b->probing)) {
		pthread_mutex_unlock(&b->lock);
		return EBUSY;
	}
	if (b->state == BREAKER_HALF_OPEN) {
		b->probing = true;
		probe = true;
	}
	pthread_mutex_unlock(&b->lock);

	err = fn(arg);

	pthread_mutex_lock(&b->lock);
	if (probe) {
		b->probing = false;
		if (err) {
			breaker_open(b);
		} else {
			b->state = BREAKER_CLOSED;
			b->failures = 0;
		}
	} else if (err == 0) {
		b->failures = 0;
	} else if (++b->failures >= b->threshold) {
		breaker_open(b);
	}
	pthread_mutex_unlock(&b->lock);
	return err;
}

/* ---- the intake ---- */

static int score_one(void *arg)
{
	return stats_score(arg);
}

static void *intake_worker(void *arg)
{
	struct intake *in = arg;

	for (;;) {
		const struct record *r;
		int err;

		pthread_mutex_lock(&in->lock);
		while (in->len == 0 && !in->stopping)
			pthread_cond_wait(&in->changed, &in->lock);
		if (in->len == 0) {
			pthread_mutex_unlock(&in->lock);
			return NULL;
		}
		r = in->slots[in->head];
		in->head = (in->head + 1) % in->capacity;
		in->len--;
		pthread_mutex_unlock(&in->lock);

		err = breaker_call(&in->breaker, score_one, (void *)r);

		pthread_mutex_lock(&in->lock);
		if (err == 0)
			in->counts.scored++;
		else if (err == EBUSY)
			in->counts.refused++;
		else
			in->counts.failed++;
		pthread_mutex_unlock(&in->lock);
	}
}

int intake_start(struct intake *in, unsigned workers, size_t capacity,
		 unsigned threshold, uint64_t cooldown_ns)
{
	int err;

	if (workers == 0 || capacity == 0 || threshold == 0)
		return EINVAL;
	in->slots = calloc(capacity, sizeof(*in->slots));
	in->workers = calloc(workers, sizeof(*in->workers));
	if (!in->slots || !in->workers) {
		err = ENOMEM;
		goto out_free;
	}
	in->capacity = capacity;
	in->head = 0;
	in->len = 0;
	in->stopping = false;
	in->counts = (struct intake_report){ 0 };
	in->nworkers = 0;
	err = breaker_init(&in->breaker, threshold, cooldown_ns);
	if (err)
		goto out_free;
	err = pthread_mutex_init(&in->lock, NULL);
	if (err)
		goto out_breaker;
	err = pthread_cond_init(&in->changed, NULL);
	if (err)
		goto out_lock;
	for (; in->nworkers < workers; in->nworkers++) {
		err = pthread_create(&in->workers[in->nworkers], NULL, intake_worker, in);
		if (err)
			break;
	}
	if (!err)
		return 0;

	/* Stop the workers that did start (the queue is empty), then undo the rest. */
	pthread_mutex_lock(&in->lock);
	in->stopping = true;
	pthread_cond_broadcast(&in->changed);
	pthread_mutex_unlock(&in->lock);
	for (unsigned i = 0; i < in->nworkers; i++)
		pthread_join(in->workers[i], NULL);
	pthread_cond_destroy(&in->changed);
out_lock:
	pthread_mutex_destroy(&in->lock);
out_breaker:
	breaker_destroy(&in->breaker);
out_free:
	free(in->slots);
	free(in->workers);
	in->slots = NULL;
	in->workers = NULL;
	return err;
}

int intake_submit(struct intake *in, const struct record *r)
{
	pthread_mutex_lock(&in->lock);
	if (in->len == in->capacity) {
		in->counts.shed++;
		pthread_mutex_unlock(&in->lock);
		return EAGAIN;
	}
	in->slots[(in->head + in->len) % in->capacity] = r;
	in->len++;
	in->counts.accepted++;
	pthread_cond_signal(&in->changed);
	pthread_mutex_unlock(&in->lock);
	return 0;
}

void intake_stop(struct intake *in, struct intake_report *report)
{
	pthread_mutex_lock(&in->lock);
	in->stopping = true;
	pthread_cond_broadcast(&in->changed);
	pthread_mutex_unlock(&in->lock);
	for (unsigned i = 0; i < in->nworkers; i++)
		pthread_join(in->workers[i], NULL);
	/* The workers have ended: the counts are final and nobody else reads them. */
	*report = in->counts;
	pthread_cond_destroy(&in->changed);
	pthread_mutex_destroy(&in->lock);
	breaker_destroy(&in->breaker);
	free(in->slots);
	free(in->workers);
	in->slots = NULL;
	in->workers = NULL;
}
