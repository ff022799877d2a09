/*
 * bug: waitgroup_done() signals one waiter instead of broadcasting
 * breaks: R2 (every blocked waiter returns)
 * should lose: correctness
 */
/*
 * waitgroup.c - a wait group, and the nightly vitals batch that uses it
 *
 * Every night the batch pulls the vitals of thousands of patients from the
 * wearables vendor, one task per patient, `parallelism` tasks at a time,
 * and files one summary once every patient is done.
 */
#include "waitgroup.h"

#include <errno.h>
#include <stdbool.h>
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
	wg->count--;
	pthread_cond_signal(&wg->changed);
	pthread_mutex_unlock(&wg->lock);
}

void waitgroup_wait(struct waitgroup *wg)
{
	pthread_mutex_lock(&wg->lock);
	/* A wake-up only means the count changed: check it again. */
	while (wg->count > 0)
		pthread_cond_wait(&wg->changed, &wg->lock);
	pthread_mutex_unlock(&wg->lock);
}

/* What one patient's task brings back. */
struct patient_result {
	int err;
	struct vitals vitals;
	bool abnormal;
};

struct fetch_task {
	size_t patient;
	struct patient_result *result;
	struct waitgroup *wg;
};

/* Fetches one patient's vitals and flags them; always marks the task done. */
static void fetch_patient(struct fetch_task *t, struct waitgroup *wg)
{
	struct patient_result *r = t->result;

	r->err = fetch_vitals(t->patient, &r->vitals);
	if (r->err)
		goto out;
	r->abnormal = vitals_abnormal(&r->vitals);
out:
	waitgroup_done(wg);
}

static void *fetch_thread(void *arg)
{
	struct fetch_task *t = arg;

	fetch_patient(t, t->wg);
	return NULL;
}

/* Adds up the results; called once every task is done. */
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
	struct waitgroup wg;
	struct fetch_task *tasks;
	struct patient_result *results;
	struct nightly_report report;
	int err = 0;

	if (parallelism == 0)
		return EINVAL;
	err = waitgroup_init(&wg);
	if (err)
		return err;
	tasks = calloc(npatients ? npatients : 1, sizeof(*tasks));
	results = calloc(npatients ? npatients : 1, sizeof(*results));
	if (!tasks || !results) {
		err = ENOMEM;
		goto out_free;
	}

	/* One task per patient, `parallelism` at a time: a wave, then a wait. */
	for (size_t first = 0; first < npatients && !err; first += parallelism) {
		size_t last = first + parallelism < npatients ? first + parallelism : npatients;

		for (size_t i = first; i < last; i++) {
			pthread_t tid;

			tasks[i] = (struct fetch_task){ i, &results[i], &wg };
			/* Count the task before it can run, so the wait cannot miss it. */
			waitgroup_add(&wg, 1);
			err = pthread_create(&tid, NULL, fetch_thread, &tasks[i]);
			if (err) {
				waitgroup_done(&wg);
				break;
			}
			pthread_detach(tid);
		}
		waitgroup_wait(&wg);
	}
	if (!err) {
		summarize(results, npatients, &report);
		nightly_report_write(&report);
	}

out_free:
	free(results);
	free(tasks);
	waitgroup_destroy(&wg);
	return err;
}
