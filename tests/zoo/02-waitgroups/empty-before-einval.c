/*
 * zoo: an empty batch files its zero summary and returns 0 before
 * parallelism 0 is checked
 * breaks: R8b
 * loses: correctness throughput
 *
 * waitgroup.c - a wait group, and the nightly vitals batch that uses it
 *
 * Every night the batch pulls the vitals of thousands of patients from the
 * wearables vendor with `parallelism` fetches in flight, and files one
 * summary once every patient is done.
 */
#include "waitgroup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

int waitgroup_init(struct waitgroup *wg)
{
	int err = pthread_mutex_init(&wg->lock, NULL);

	if (err)
		return err;
	err = pthread_cond_init(&wg->changed, NULL);
	if (err) {
		pthread_mutex_destroy(&wg->lock);
		return err;
	}
	wg->count = 0;
	wg->generation = 0;
	return 0;
}

void waitgroup_destroy(struct waitgroup *wg)
{
	pthread_cond_destroy(&wg->changed);
	pthread_mutex_destroy(&wg->lock);
}

void waitgroup_add(struct waitgroup *wg, unsigned long n)
{
	pthread_mutex_lock(&wg->lock);
	wg->count += n;
	pthread_mutex_unlock(&wg->lock);
}

void waitgroup_done(struct waitgroup *wg)
{
	pthread_mutex_lock(&wg->lock);
	if (wg->count == 0) {
		/* More dones than adds: keep the count sane and say so. */
		pthread_mutex_unlock(&wg->lock);
		fprintf(stderr, "waitgroup_done: the count is already zero\n");
		return;
	}
	/*
	 * Only the done that reaches zero can release anybody, so only it wakes
	 * the waiters. The generation tells them that it happened, even if an
	 * add() raises the count again before they run.
	 */
	if (--wg->count == 0) {
		wg->generation++;
		pthread_cond_broadcast(&wg->changed);
	}
	pthread_mutex_unlock(&wg->lock);
}

void waitgroup_wait(struct waitgroup *wg)
{
	unsigned long generation;

	pthread_mutex_lock(&wg->lock);
	generation = wg->generation;
	/* A wake-up alone proves nothing (it may be spurious): check again. */
	while (wg->count > 0 && wg->generation == generation)
		pthread_cond_wait(&wg->changed, &wg->lock);
	pthread_mutex_unlock(&wg->lock);
}

/* What one patient's fetch brings back. */
struct patient_result {
	int err;
	struct vitals vitals;
	bool abnormal;
};

/*
 * The batch's shared state. Each worker takes the next patient under lock,
 * fetches it with no lock held, and writes only its patient's result slot.
 */
struct batch {
	pthread_mutex_t lock;
	size_t next;			/* L: the next patient to fetch */
	size_t npatients;		/* read-only while the workers run */
	struct patient_result *results;	/* slot i: written by one worker only */
	struct waitgroup wg;		/* counts the workers still fetching */
};

/* Fetches one patient's vitals and flags them. */
static void fetch_patient(size_t patient, struct patient_result *r)
{
	r->err = fetch_vitals(patient, &r->vitals);
	if (!r->err)
		r->abnormal = vitals_abnormal(&r->vitals);
}

/* Fetches patients until none is left; always marks itself done. */
static void *fetch_worker(void *arg)
{
	struct batch *b = arg;

	for (;;) {
		size_t patient;

		pthread_mutex_lock(&b->lock);
		patient = b->next < b->npatients ? b->next++ : b->npatients;
		pthread_mutex_unlock(&b->lock);
		if (patient == b->npatients)
			break;
		/* An offline device only fails its own patient. */
		fetch_patient(patient, &b->results[patient]);
	}
	waitgroup_done(&b->wg);
	return NULL;
}

/* Adds up the results; called once every fetch has returned. */
static void summarize(const struct patient_result *results, size_t n,
		      struct nightly_report *report)
{
	*report = (struct nightly_report){ .patients = n };
	for (size_t i = 0; i < n; i++) {
		if (results[i].err) {
			report->offline++;
			continue;
		}
		report->synced++;
		report->abnormal += results[i].abnormal;
		report->heart_rate_sum += results[i].vitals.resting_heart_rate;
	}
}

int vitals_nightly_batch(size_t npatients, unsigned parallelism)
{
	struct batch b = { .npatients = npatients };
	struct nightly_report report;
	pthread_t *tids;
	size_t nworkers, started = 0;
	int err;

	if (npatients == 0) {
		/* nothing to fetch: file an empty summary */
		report = (struct nightly_report){ 0 };
		nightly_report_write(&report);
		return 0;
	}
	if (parallelism == 0)
		return EINVAL;
	nworkers = npatients < parallelism ? npatients : parallelism;
	err = pthread_mutex_init(&b.lock, NULL);
	if (err)
		return err;
	err = waitgroup_init(&b.wg);
	if (err) {
		pthread_mutex_destroy(&b.lock);
		return err;
	}
	tids = calloc(nworkers ? nworkers : 1, sizeof(*tids));
	b.results = calloc(npatients ? npatients : 1, sizeof(*b.results));
	if (!tids || !b.results) {
		err = ENOMEM;
		goto out;
	}

	/* `parallelism` workers at most, each counted before it can run. */
	for (started = 0; started < nworkers; started++) {
		waitgroup_add(&b.wg, 1);
		err = pthread_create(&tids[started], NULL, fetch_worker, &b);
		if (err) {
			waitgroup_done(&b.wg);
			/* The workers already started fetch every patient left. */
			break;
		}
	}
	waitgroup_wait(&b.wg);
	/* Every fetch has returned: the summary may be filed now. */
	if (!err) {
		summarize(b.results, npatients, &report);
		nightly_report_write(&report);
	}
	/* The workers have marked themselves done; make sure they have ended. */
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
out:
	free(b.results);
	free(tids);
	waitgroup_destroy(&b.wg);
	pthread_mutex_destroy(&b.lock);
	return err;
}
