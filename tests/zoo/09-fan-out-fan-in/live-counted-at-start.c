/*
 * zoo: each worker queries a stride of the patients and counts itself live
 * when its thread starts running: a worker whose thread starts late finds
 * the results channel already closed by the others, and its results are
 * refused
 * loses: correctness throughput
 * may-lose: tsan helgrind
 * breaks: R5a
 *
 * fanout.c - the synchronous hand-off, and the monthly report built on it
 *
 * The channel is one slot. A sender waits for the slot to be free, puts its
 * item there, numbers it (puts), and sleeps until the count of items taken
 * (takes) has reached its number: only then has a receiver taken *its*
 * item. A close wakes every sleeper on all three conditions; a sender whose
 * item is still in the slot takes it back and reports EPIPE.
 *
 * The report starts min(patients, workers) workers; worker k queries
 * patients k, k + workers, ... into the patient's own entry of a table,
 * and sends a pointer to that entry. The workers count how many of them
 * are running, and the last one to leave closes the results channel; the
 * calling thread collects until the close, then joins the workers.
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
	unsigned long mine;

	pthread_mutex_lock(&ch->lock);
	while (ch->full && !ch->closed)
		pthread_cond_wait(&ch->slot_free, &ch->lock);
	if (ch->closed) {
		pthread_mutex_unlock(&ch->lock);
		return EPIPE;
	}
	ch->slot = item;
	ch->full = true;
	mine = ++ch->puts;
	pthread_cond_signal(&ch->offered);
	/* The slot holds only our item until it is taken: takes reaches mine. */
	while (ch->takes < mine && !ch->closed)
		pthread_cond_wait(&ch->taken, &ch->lock);
	if (ch->takes < mine) {
		/* Closed with our item still on offer: take it back. */
		ch->full = false;
		ch->slot = NULL;
		pthread_cond_signal(&ch->slot_free);
		pthread_mutex_unlock(&ch->lock);
		return EPIPE;
	}
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

int schan_recv(struct schan *ch, void **item)
{
	pthread_mutex_lock(&ch->lock);
	while (!ch->full && !ch->closed)
		pthread_cond_wait(&ch->offered, &ch->lock);
	if (ch->closed) {
		pthread_mutex_unlock(&ch->lock);
		return EPIPE;
	}
	*item = ch->slot;
	ch->slot = NULL;
	ch->full = false;
	ch->takes++;
	/*
	 * The sender of this item sleeps on `taken` (perhaps with an earlier
	 * sender not yet back from its own wake-up): wake them all, each checks
	 * its own number. One more sender may now put.
	 */
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

/* What the workers share. */
struct fan {
	pthread_mutex_t lock;
	unsigned live;			/* under lock: workers still running */
	struct schan results;
};

/* One worker of the report. */
struct report_worker {
	pthread_t tid;
	size_t first;			/* its patients: first, first + stride, ... */
	size_t stride;
	size_t patients;
	size_t withdrawn;		/* written by this worker only, read after the join */
	struct patient_history *table;
	struct fan *fan;
};

static void *report_worker(void *arg)
{
	struct report_worker *w = arg;
	struct fan *f = w->fan;
	bool last;

	pthread_mutex_lock(&f->lock);
	f->live++;
	pthread_mutex_unlock(&f->lock);
	for (size_t p = w->first; p < w->patients; p += w->stride) {
		if (query_history(p, &w->table[p]) == ENOENT) {
			w->withdrawn++;
			continue;
		}
		schan_send(&f->results, &w->table[p]);
	}
	/* The last worker out closes the results. */
	pthread_mutex_lock(&f->lock);
	last = --f->live == 0;
	pthread_mutex_unlock(&f->lock);
	if (last)
		schan_close(&f->results);
	return NULL;
}

int monthly_report(size_t patients, unsigned workers, struct monthly_report *report)
{
	struct patient_history *table;
	struct report_worker *pool;
	struct fan f = { .live = 0 };
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
	err = schan_init(&f.results);
	if (err)
		goto out_free;
	pthread_mutex_init(&f.lock, NULL);
	for (started = 0; started < nthreads; started++) {
		struct report_worker *w = &pool[started];

		w->first = started;
		w->stride = nthreads;
		w->patients = patients;
		w->table = table;
		w->fan = &f;
		err = pthread_create(&w->tid, NULL, report_worker, w);
		if (err)
			break;
	}
	if (started == 0)
		schan_close(&f.results);
	while (schan_recv(&f.results, &item) == 0) {
		const struct patient_history *h = item;

		report->included++;
		report->visits += h->visits;
		report->adverse_events += h->adverse_events;
	}
	for (size_t i = 0; i < started; i++) {
		pthread_join(pool[i].tid, NULL);
		report->withdrawn += pool[i].withdrawn;
	}
	pthread_mutex_destroy(&f.lock);
	schan_destroy(&f.results);
out_free:
	free(pool);
	free(table);
	return err;
}
