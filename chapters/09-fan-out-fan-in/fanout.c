/*
 * fanout.c - the hand-off channel, and the monthly report that fans the
 * history queries out to workers and collects their results over it
 *
 * The channel has one slot: a sender waits until the slot is free and puts
 * its item there; a receiver waits until the slot is full and takes it.
 *
 * The report gives each worker every `workers`-th patient. A worker queries
 * its patients' histories into the report's table, one entry per patient,
 * and sends the collector a pointer to each entry it filled. The calling
 * thread is the collector: it sums what it receives until the channel is
 * closed, then joins the workers.
 */
#include "fanout.h"

#include <errno.h>
#include <stdlib.h>

int schan_init(struct schan *ch)
{
	int err;

	ch->slot = NULL;
	ch->full = false;
	ch->puts = 0;
	ch->takes = 0;
	ch->closed = false;
	err = pthread_mutex_init(&ch->lock, NULL);
	if (err)
		return err;
	err = pthread_cond_init(&ch->slot_free, NULL);
	if (err)
		goto out_lock;
	err = pthread_cond_init(&ch->offered, NULL);
	if (err)
		goto out_slot_free;
	err = pthread_cond_init(&ch->taken, NULL);
	if (err)
		goto out_offered;
	return 0;

out_offered:
	pthread_cond_destroy(&ch->offered);
out_slot_free:
	pthread_cond_destroy(&ch->slot_free);
out_lock:
	pthread_mutex_destroy(&ch->lock);
	return err;
}

void schan_destroy(struct schan *ch)
{
	pthread_cond_destroy(&ch->taken);
	pthread_cond_destroy(&ch->offered);
	pthread_cond_destroy(&ch->slot_free);
	pthread_mutex_destroy(&ch->lock);
}

int schan_send(struct schan *ch, void *item)
{
	pthread_mutex_lock(&ch->lock);
	while (ch->full && !ch->closed)
		pthread_cond_wait(&ch->slot_free, &ch->lock);
	if (ch->closed) {
		pthread_mutex_unlock(&ch->lock);
		return EPIPE;
	}
	ch->slot = item;
	ch->full = true;
	ch->puts++;
	pthread_cond_signal(&ch->offered);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

int schan_recv(struct schan *ch, void **item)
{
	pthread_mutex_lock(&ch->lock);
	while (!ch->full && !ch->closed)
		pthread_cond_wait(&ch->offered, &ch->lock);
	if (!ch->full) {
		pthread_mutex_unlock(&ch->lock);
		return EPIPE;
	}
	*item = ch->slot;
	ch->slot = NULL;
	ch->full = false;
	ch->takes++;
	pthread_cond_broadcast(&ch->taken);
	pthread_cond_signal(&ch->slot_free);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

int schan_close(struct schan *ch)
{
	int err = 0;

	pthread_mutex_lock(&ch->lock);
	if (ch->closed) {
		err = EPIPE;
	} else {
		ch->closed = true;
		pthread_cond_broadcast(&ch->slot_free);
		pthread_cond_broadcast(&ch->offered);
		pthread_cond_broadcast(&ch->taken);
	}
	pthread_mutex_unlock(&ch->lock);
	return err;
}

/* One worker of the report. */
struct report_worker {
	pthread_t tid;
	size_t first;			/* its patients: first, first + stride, ... */
	size_t stride;
	size_t patients;
	size_t withdrawn;		/* written by this worker only, read after the join */
	struct patient_history *table;
	struct schan *results;
};

static void *report_worker(void *arg)
{
	struct report_worker *w = arg;

	for (size_t p = w->first; p < w->patients; p += w->stride) {
		if (query_history(p, &w->table[p]) == ENOENT) {
			w->withdrawn++;
			continue;
		}
		schan_send(w->results, &w->table[p]);
	}
	/* This worker has nothing more to send. */
	schan_close(w->results);
	return NULL;
}

int monthly_report(size_t patients, unsigned workers, struct monthly_report *report)
{
	struct patient_history *table;
	struct report_worker *pool;
	struct schan results;
	size_t nthreads, started;
	void *item;
	int err;

	if (workers == 0)
		return EINVAL;
	*report = (struct monthly_report){ 0 };
	if (patients == 0)
		return 0;
	nthreads = patients < workers ? patients : workers;
	table = calloc(patients, sizeof(*table));
	pool = calloc(nthreads, sizeof(*pool));
	if (!table || !pool) {
		err = ENOMEM;
		goto out_free;
	}
	err = schan_init(&results);
	if (err)
		goto out_free;
	for (started = 0; started < nthreads; started++) {
		struct report_worker *w = &pool[started];

		w->first = started;
		w->stride = nthreads;
		w->patients = patients;
		w->table = table;
		w->results = &results;
		err = pthread_create(&w->tid, NULL, report_worker, w);
		if (err) {
			schan_close(&results);
			break;
		}
	}
	while (schan_recv(&results, &item) == 0) {
		const struct patient_history *h = item;

		report->included++;
		report->visits += h->visits;
		report->adverse_events += h->adverse_events;
	}
	for (size_t i = 0; i < started; i++) {
		pthread_join(pool[i].tid, NULL);
		report->withdrawn += pool[i].withdrawn;
	}
	schan_destroy(&results);
out_free:
	free(pool);
	free(table);
	return err;
}
