/*
 * zoo: pipeline_start() blocks SIGTERM first thing, before checking its
 * arguments, and its EINVAL and ENOMEM returns leave it blocked
 * loses: correctness throughput
 * breaks: R8c
 *
 * pipeline.c - the ePRO pipeline: bounded channels, a pool of workers per
 * stage, a collector, and a thread that turns SIGTERM into a shutdown
 *
 * A submission travels as a job (the submission and what the stages found
 * out about it) from one channel to the next; the collector frees it.
 */
#include "pipeline.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

/* channel ---------------------------------------------------------------- */

int channel_init(struct channel *ch, size_t capacity)
{
	if (capacity == 0)
		return EINVAL;
	int err;

	ch->slots = calloc(capacity, sizeof(*ch->slots));
	if (!ch->slots)
		return ENOMEM;
	err = pthread_mutex_init(&ch->lock, NULL);
	if (err)
		goto no_lock;
	err = pthread_cond_init(&ch->not_empty, NULL);
	if (err)
		goto no_not_empty;
	err = pthread_cond_init(&ch->not_full, NULL);
	if (err)
		goto no_not_full;
	ch->capacity = capacity;
	ch->head = 0;
	ch->count = 0;
	ch->closed = false;
	return 0;

no_not_full:
	pthread_cond_destroy(&ch->not_empty);
no_not_empty:
	pthread_mutex_destroy(&ch->lock);
no_lock:
	free(ch->slots);
	ch->slots = NULL;
	return err;
}

void channel_destroy(struct channel *ch)
{
	pthread_cond_destroy(&ch->not_full);
	pthread_cond_destroy(&ch->not_empty);
	pthread_mutex_destroy(&ch->lock);
	free(ch->slots);
	ch->slots = NULL;
}

int channel_send(struct channel *ch, void *item)
{
	int err = 0;

	pthread_mutex_lock(&ch->lock);
	while (!ch->closed && ch->count == ch->capacity)
		pthread_cond_wait(&ch->not_full, &ch->lock);
	if (ch->closed) {
		err = EPIPE;
	} else {
		ch->slots[(ch->head + ch->count) % ch->capacity] = item;
		ch->count++;
		pthread_cond_signal(&ch->not_empty);
	}
	pthread_mutex_unlock(&ch->lock);
	return err;
}

int channel_recv(struct channel *ch, void **item)
{
	int err = 0;

	pthread_mutex_lock(&ch->lock);
	while (!ch->closed && ch->count == 0)
		pthread_cond_wait(&ch->not_empty, &ch->lock);
	if (ch->count == 0) {
		err = EPIPE;
	} else {
		*item = ch->slots[ch->head];
		ch->head = (ch->head + 1) % ch->capacity;
		ch->count--;
		pthread_cond_signal(&ch->not_full);
	}
	pthread_mutex_unlock(&ch->lock);
	return err;
}

int channel_close(struct channel *ch)
{
	int err = 0;

	pthread_mutex_lock(&ch->lock);
	if (ch->closed) {
		err = EPIPE;
	} else {
		ch->closed = true;
		pthread_cond_broadcast(&ch->not_empty);
		pthread_cond_broadcast(&ch->not_full);
	}
	pthread_mutex_unlock(&ch->lock);
	return err;
}

/* pipeline --------------------------------------------------------------- */

struct pipeline_job {
	const struct epro_submission *sub;
	bool complete;
	int score;
};

typedef void stage_step_fn(struct pipeline_job *job);

/*
 * One stage: its workers take jobs from `in`, do `step` and pass them on to
 * `out`. Field tags: I = set before the workers start; L = pipeline lock.
 */
struct stage {
	struct pipeline *p;		/* I */
	struct channel *in, *out;	/* I */
	stage_step_fn *step;		/* I */
	unsigned live;			/* L: workers not finished yet */
};

/*
 * Field tags: I = set by pipeline_start() before any thread starts,
 * read-only afterwards; L = protected by lock; C = the collector's,
 * read by others only after joining it.
 */
struct pipeline {
	struct channel intake, validated, scored, results;
	struct stage stages[3];		/* I (live: L) */
	pthread_t *workers;		/* I */
	size_t nworkers;		/* I: threads started in workers */
	pthread_t collector;		/* I */
	pthread_t signal_waiter;	/* I */
	bool have_collector, have_waiter;	/* I */
	pthread_t starter;		/* I: the thread that called pipeline_start() */
	sigset_t caller_mask;		/* I: its signal mask before the call */

	pthread_mutex_t lock;
	pthread_cond_t stopping_changed;	/* L: signalled when stopping is set */
	bool stopping;			/* L: a shutdown was asked for */
	bool by_signal;			/* L: ... by SIGTERM */
	size_t accepted;		/* L */

	size_t persisted, rejected;	/* C */
};

static void validate_step(struct pipeline_job *job)
{
	job->complete = validate_submission(job->sub);
}

static void score_step(struct pipeline_job *job)
{
	job->score = job->complete ? score_submission(job->sub) : EPRO_REJECTED;
}

static void persist_step(struct pipeline_job *job)
{
	persist_submission(job->sub, job->score);
}

static void *stage_worker(void *arg)
{
	struct stage *st = arg;
	void *item;
	bool last;

	/* Drain the input until it is closed AND empty: nothing queued is dropped. */
	while (channel_recv(st->in, &item) == 0) {
		st->step(item);
		/* Cannot fail: out is closed only after this worker has finished. */
		channel_send(st->out, item);
	}
	/* The stage is the sender of out: its last worker closes it, once. */
	pthread_mutex_lock(&st->p->lock);
	last = --st->live == 0;
	pthread_mutex_unlock(&st->p->lock);
	if (last)
		channel_close(st->out);
	return NULL;
}

static void *collector(void *arg)
{
	struct pipeline *p = arg;
	void *item;

	while (channel_recv(&p->results, &item) == 0) {
		struct pipeline_job *job = item;

		p->persisted++;
		if (job->score == EPRO_REJECTED)
			p->rejected++;
		free(job);
	}
	return NULL;
}

/* Stops the intake; the closing ripples down the stages as they drain. */
static void begin_shutdown(struct pipeline *p, bool by_signal)
{
	pthread_mutex_lock(&p->lock);
	if (!p->stopping) {
		p->stopping = true;
		p->by_signal = by_signal;
		pthread_cond_broadcast(&p->stopping_changed);
	}
	pthread_mutex_unlock(&p->lock);
	channel_close(&p->intake);
}

static void sigterm_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
}

/*
 * Waits for SIGTERM, which every thread of the pipeline blocks. After a
 * pipeline_shutdown(), pipeline_wait() sends this thread a SIGTERM of its
 * own to end the wait.
 */
static void *signal_waiter(void *arg)
{
	struct pipeline *p = arg;
	sigset_t set;
	int sig;

	sigterm_set(&set);
	while (sigwait(&set, &sig) != 0)
		;
	begin_shutdown(p, true);
	return NULL;
}

static void pipeline_free(struct pipeline *p)
{
	channel_destroy(&p->intake);
	channel_destroy(&p->validated);
	channel_destroy(&p->scored);
	channel_destroy(&p->results);
	pthread_cond_destroy(&p->stopping_changed);
	pthread_mutex_destroy(&p->lock);
	free(p->workers);
	free(p);
}

/* Ends and joins whatever threads were started, when start-up failed. */
static void abandon_start(struct pipeline *p)
{
	channel_close(&p->intake);
	channel_close(&p->validated);
	channel_close(&p->scored);
	channel_close(&p->results);
	for (size_t i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i], NULL);
	if (p->have_collector)
		pthread_join(p->collector, NULL);
	if (p->have_waiter) {
		pthread_kill(p->signal_waiter, SIGTERM);
		pthread_join(p->signal_waiter, NULL);
	}
	/* Every thread is gone: give the caller its own mask back (R8c). */
	pthread_sigmask(SIG_SETMASK, &p->caller_mask, NULL);
	pipeline_free(p);
}

int pipeline_start(struct pipeline **out, const struct pipeline_config *cfg)
{
	unsigned counts[3] = { cfg->validators, cfg->scorers, cfg->persisters };
	stage_step_fn *steps[3] = { validate_step, score_step, persist_step };
	struct channel *channels[4];
	struct pipeline *p;
	sigset_t set, old;
	int err = 0, ready = 0;

	sigterm_set(&set);
	err = pthread_sigmask(SIG_BLOCK, &set, &old);
	if (err)
		return err;

	if (!cfg->validators || !cfg->scorers || !cfg->persisters || !cfg->capacity)
		return EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	channels[0] = &p->intake;
	channels[1] = &p->validated;
	channels[2] = &p->scored;
	channels[3] = &p->results;
	p->workers = calloc((size_t)counts[0] + counts[1] + counts[2], sizeof(*p->workers));
	err = p->workers ? 0 : ENOMEM;
	for (int c = 0; c < 4 && !err; c++) {
		err = channel_init(channels[c], cfg->capacity);
		if (!err)
			ready = c + 1;
	}
	if (!err)
		err = pthread_mutex_init(&p->lock, NULL);
	if (!err) {
		err = pthread_cond_init(&p->stopping_changed, NULL);
		if (err)
			pthread_mutex_destroy(&p->lock);
	}
	if (err) {
		/* Undo what was set up: nothing is left behind. */
		while (ready > 0)
			channel_destroy(channels[--ready]);
		free(p->workers);
		free(p);
		return err;
	}
	p->stages[0] = (struct stage){ p, &p->intake, &p->validated, steps[0], counts[0] };
	p->stages[1] = (struct stage){ p, &p->validated, &p->scored, steps[1], counts[1] };
	p->stages[2] = (struct stage){ p, &p->scored, &p->results, steps[2], counts[2] };

	p->starter = pthread_self();
	p->caller_mask = old;

	err = pthread_create(&p->signal_waiter, NULL, signal_waiter, p);
	p->have_waiter = err == 0;
	for (int s = 0; s < 3 && !err; s++) {
		for (unsigned w = 0; w < counts[s] && !err; w++) {
			err = pthread_create(&p->workers[p->nworkers], NULL, stage_worker,
					     &p->stages[s]);
			if (!err)
				p->nworkers++;
		}
	}
	if (!err) {
		err = pthread_create(&p->collector, NULL, collector, p);
		p->have_collector = err == 0;
	}
	if (err) {
		abandon_start(p);
		return err;
	}
	*out = p;
	return 0;
}

int pipeline_submit(struct pipeline *p, const struct epro_submission *s)
{
	struct pipeline_job *job;
	int err;

	if (!s)
		return EINVAL;
	job = calloc(1, sizeof(*job));
	if (!job)
		return ENOMEM;
	job->sub = s;
	err = channel_send(&p->intake, job);
	if (err) {
		free(job);
		return err;
	}
	pthread_mutex_lock(&p->lock);
	p->accepted++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void pipeline_shutdown(struct pipeline *p)
{
	begin_shutdown(p, false);
}

int pipeline_wait(struct pipeline *p, struct pipeline_report *report)
{
	bool by_signal;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping)
		pthread_cond_wait(&p->stopping_changed, &p->lock);
	by_signal = p->by_signal;
	pthread_mutex_unlock(&p->lock);

	for (size_t i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i], NULL);
	/* The last persister closed results; the collector ends once drained. */
	pthread_join(p->collector, NULL);
	if (!by_signal)
		pthread_kill(p->signal_waiter, SIGTERM);
	pthread_join(p->signal_waiter, NULL);

	pthread_mutex_lock(&p->lock);
	report->accepted = p->accepted;
	pthread_mutex_unlock(&p->lock);
	report->persisted = p->persisted;
	report->rejected = p->rejected;
	report->by_signal = by_signal;
	/* Every thread is gone: give the starter its own mask back (R8c). */
	if (pthread_equal(pthread_self(), p->starter))
		pthread_sigmask(SIG_SETMASK, &p->caller_mask, NULL);
	pipeline_free(p);
	return 0;
}
