/*
 * 08-pipelines.c - throughput workload for chapter 08
 *
 * 160 submissions through validate (1 ms, 4 workers) -> score (1 ms, 4
 * workers, complete ones only) -> persist (5 ms, 10 workers: the article's
 * line-up), channels of 16. Serial: about 160 * 7 ms. Ideal: the slowest
 * stage with all its workers busy, max over the stages of
 * (calls * latency / workers): here the database, 160 * 5 ms / 10 = 80 ms.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "pipeline.h"

#define N 160
#define MS 1000000u
#define VALIDATE_NS (1 * MS)
#define SCORE_NS (1 * MS)
#define PERSIST_NS (5 * MS)
#define VALIDATORS 4
#define SCORERS 4
#define PERSISTERS 10

static const struct pipeline_config cfg = {
	.validators = VALIDATORS, .scorers = SCORERS, .persisters = PERSISTERS, .capacity = 16,
};
static struct epro_submission *subs;
static size_t complete;
static struct pipeline_report report;
static size_t accepted;

static bool setup(void)
{
	subs = calloc(N, sizeof(*subs));
	if (!subs)
		return false;
	epro_generate(subs, N, 2026);
	complete = epro_count_complete(subs, N);
	epro_reset();
	return true;
}

static void run_baseline(void)
{
	for (size_t i = 0; i < N; i++) {
		int score = EPRO_REJECTED;

		if (validate_submission(&subs[i]))
			score = score_submission(&subs[i]);
		persist_submission(&subs[i], score);
	}
}

/*
 * The harness's own version, for the reference time: the same three stages
 * with the same worker counts, joined by simple locked queues of submission
 * indices (room for all N, so a queue never blocks its sender); the last
 * worker of a stage to leave closes the next queue.
 */
struct ref_queue {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	size_t item[N], head, tail;
	bool closed;
};

struct ref_stage {
	struct ref_queue *in, *out;
	int kind;		/* 0 validate, 1 score, 2 persist */
	unsigned workers_left;	/* in->lock */
};

static struct ref_queue ref_queues[3];
static struct ref_stage ref_stages[3];
static int ref_scores[N];

static void ref_push(struct ref_queue *q, size_t i)
{
	pthread_mutex_lock(&q->lock);
	q->item[q->tail++] = i;
	pthread_cond_signal(&q->ready);
	pthread_mutex_unlock(&q->lock);
}

static void ref_close(struct ref_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->ready);
	pthread_mutex_unlock(&q->lock);
}

/* The next index from q, or false once q is closed and empty. */
static bool ref_pop(struct ref_queue *q, size_t *i)
{
	bool got;

	pthread_mutex_lock(&q->lock);
	while (q->head == q->tail && !q->closed)
		pthread_cond_wait(&q->ready, &q->lock);
	got = q->head < q->tail;
	if (got)
		*i = q->item[q->head++];
	pthread_mutex_unlock(&q->lock);
	return got;
}

static void *ref_worker(void *arg)
{
	struct ref_stage *st = arg;
	bool last;
	size_t i;

	while (ref_pop(st->in, &i)) {
		if (st->kind == 0) {
			ref_scores[i] = validate_submission(&subs[i]) ? 0 : EPRO_REJECTED;
		} else if (st->kind == 1) {
			if (ref_scores[i] != EPRO_REJECTED)
				ref_scores[i] = score_submission(&subs[i]);
		} else {
			persist_submission(&subs[i], ref_scores[i]);
		}
		if (st->out)
			ref_push(st->out, i);
	}
	pthread_mutex_lock(&st->in->lock);
	last = --st->workers_left == 0;
	pthread_mutex_unlock(&st->in->lock);
	if (last && st->out)
		ref_close(st->out);
	return NULL;
}

static void run_reference(void)
{
	unsigned counts[3] = { cfg.validators, cfg.scorers, cfg.persisters };
	pthread_t tids[64];
	unsigned started = 0;

	for (int s = 0; s < 3; s++) {
		struct ref_queue *q = &ref_queues[s];

		pthread_mutex_init(&q->lock, NULL);
		pthread_cond_init(&q->ready, NULL);
		q->head = q->tail = 0;
		q->closed = false;
		ref_stages[s] = (struct ref_stage){ q, s < 2 ? &ref_queues[s + 1] : NULL, s,
						    counts[s] };
	}
	for (int s = 0; s < 3; s++)
		for (unsigned w = 0; w < counts[s] && started < 64; w++)
			if (pthread_create(&tids[started], NULL, ref_worker, &ref_stages[s]) == 0)
				started++;
	for (size_t i = 0; i < N; i++)
		ref_push(&ref_queues[0], i);
	ref_close(&ref_queues[0]);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	for (int s = 0; s < 3; s++) {
		pthread_cond_destroy(&ref_queues[s].ready);
		pthread_mutex_destroy(&ref_queues[s].lock);
	}
}

static int run_submission(void)
{
	struct pipeline *p;
	int ret;

	accepted = 0;
	ret = pipeline_start(&p, &cfg);
	if (ret)
		return ret;
	for (size_t i = 0; i < N; i++)
		if (pipeline_submit(p, &subs[i]) == 0)
			accepted++;
	pipeline_shutdown(p);
	return pipeline_wait(p, &report);
}

static uint32_t once_if_complete(size_t item, void *ctx)
{
	(void)ctx;
	return epro_is_complete(&subs[item]) ? 1 : 0;
}

static bool verify(char *problem, size_t size)
{
	uint32_t seen = 0;
	size_t bad;

	if (accepted != N) {
		snprintf(problem, size, "only %zu of %d submissions were accepted", accepted, N);
		return false;
	}
	if ((bad = service_first_not_once(&epro_validator, &seen)) != (size_t)-1 ||
	    (bad = service_first_not_once(&epro_store, &seen)) != (size_t)-1) {
		snprintf(problem, size, "submission %zu was validated %u and persisted %u times "
			 "when pipeline_wait() returned; expected once each: unfinished work "
			 "is not fast", bad, service_calls_for(&epro_validator, bad),
			 service_calls_for(&epro_store, bad));
		return false;
	}
	if ((bad = service_first_mismatch(&epro_scorer, once_if_complete, NULL, &seen)) !=
	    (size_t)-1 || epro_wrong_calls()) {
		snprintf(problem, size, "wrong scoring: submission %zu scored %u times, %llu "
			 "calls with a wrong argument", bad == (size_t)-1 ? 0 : bad, seen,
			 (unsigned long long)epro_wrong_calls());
		return false;
	}
	if (report.persisted != N || report.rejected != N - complete) {
		snprintf(problem, size, "the collector received %zu results (%zu rejected); "
			 "expected %d (%zu)", report.persisted, report.rejected, N, N - complete);
		return false;
	}
	if (service_violations(&epro_validator) || service_violations(&epro_scorer) ||
	    service_violations(&epro_store)) {
		snprintf(problem, size, "more calls in flight than a stage has workers");
		return false;
	}
	return true;
}

/* The slowest stage, with every one of its workers busy, sets the pace. */
static double ideal_s(void)
{
	double stages[3] = {
		(double)N * VALIDATE_NS / cfg.validators,
		(double)complete * SCORE_NS / cfg.scorers,
		(double)N * PERSIST_NS / cfg.persisters,
	};
	double worst = 0;

	for (int s = 0; s < 3; s++)
		if (stages[s] > worst)
			worst = stages[s];
	return worst / 1e9;
}

static void teardown(void)
{
	free(subs);
}

const struct bench chapter_bench = {
	.workload = "160 ePRO submissions: validate 1 ms x4, score 1 ms x4, "
		    "persist 5 ms x10, channels of 16",
	.entry = "pipeline_start() or pipeline_wait()",
	.services = {
		{ &epro_validator, "validation", VALIDATE_NS, VALIDATORS, N },
		{ &epro_scorer, "scoring", SCORE_NS, SCORERS, N },
		{ &epro_store, "database", PERSIST_NS, PERSISTERS, N },
	},
	BENCH_FUNCTIONS, .teardown = teardown,
	.ideal_s = ideal_s,
};
