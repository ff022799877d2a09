/*
 * transfer.c - moving patients between trial sites
 *
 * Each site has a lock around its patient count; the registry has one
 * around the trial's enrolled count. A transfer holds both sites while it
 * updates the roster, so nobody sees the patient in two places. A batch of
 * moves runs on worker threads that send each result back over a one-slot
 * mailbox, as the Go version did with an unbuffered results channel.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "transfer.h"

int site_init(struct site *s, unsigned id, unsigned patients)
{
	s->id = id;
	s->patients = patients;
	return pthread_mutex_init(&s->lock, NULL);
}

void site_destroy(struct site *s)
{
	pthread_mutex_destroy(&s->lock);
}

int registry_init(struct registry *r, unsigned long enrolled)
{
	r->enrolled = enrolled;
	return pthread_mutex_init(&r->lock, NULL);
}

void registry_destroy(struct registry *r)
{
	pthread_mutex_destroy(&r->lock);
}

int transfer_patient(struct site *from, struct site *to)
{
	int err;

	if (from == to)
		return EINVAL;
	pthread_mutex_lock(&from->lock);
	if (from->patients == 0) {
		pthread_mutex_unlock(&from->lock);
		return ENOENT;
	}
	err = site_roster_discharge(from->id);
	if (err) {
		pthread_mutex_unlock(&from->lock);
		return err;
	}
	pthread_mutex_lock(&to->lock);
	err = site_roster_admit(to->id);
	if (!err) {
		from->patients--;
		to->patients++;
	} else {
		site_roster_admit(from->id);
	}
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
	return err;
}

int enrol_patient(struct registry *reg, struct site *site)
{
	int err;

	pthread_mutex_lock(&reg->lock);
	pthread_mutex_lock(&site->lock);
	err = site_roster_admit(site->id);
	if (!err) {
		site->patients++;
		reg->enrolled++;
	}
	pthread_mutex_unlock(&site->lock);
	pthread_mutex_unlock(&reg->lock);
	return err;
}

int site_report(struct registry *reg, struct site *site, struct site_report *out)
{
	int err;

	pthread_mutex_lock(&site->lock);
	err = site_roster_audit(site->id);
	if (!err) {
		pthread_mutex_lock(&reg->lock);
		out->site = site->id;
		out->patients = site->patients;
		out->enrolled = reg->enrolled;
		pthread_mutex_unlock(&reg->lock);
	}
	pthread_mutex_unlock(&site->lock);
	return err;
}

/* A one-slot mailbox: put waits until the slot is empty, take until it is full. */
struct mailbox {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool full;
	int value;
};

static void mailbox_put(struct mailbox *m, int value)
{
	pthread_mutex_lock(&m->lock);
	while (m->full)
		pthread_cond_wait(&m->changed, &m->lock);
	m->value = value;
	m->full = true;
	pthread_cond_broadcast(&m->changed);
	pthread_mutex_unlock(&m->lock);
}

static int mailbox_take(struct mailbox *m)
{
	int value;

	pthread_mutex_lock(&m->lock);
	while (!m->full)
		pthread_cond_wait(&m->changed, &m->lock);
	value = m->value;
	m->full = false;
	pthread_cond_broadcast(&m->changed);
	pthread_mutex_unlock(&m->lock);
	return value;
}

struct batch {
	struct site *sites;
	const struct move *moves;
	size_t n;
	pthread_mutex_t lock;		/* guards next */
	size_t next;
	struct mailbox results;
};

static void *batch_worker(void *arg)
{
	struct batch *b = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&b->lock);
		i = b->next++;
		pthread_mutex_unlock(&b->lock);
		if (i >= b->n)
			return NULL;
		mailbox_put(&b->results, transfer_patient(&b->sites[b->moves[i].from],
							  &b->sites[b->moves[i].to]));
	}
}

int transfer_batch(struct site *sites, size_t nsites, const struct move *moves, size_t n,
		   unsigned workers, size_t *done)
{
	struct batch b = { .sites = sites, .moves = moves, .n = n };
	pthread_t *tids;
	unsigned started = 0;
	size_t ok = 0;
	int err = 0;

	if (done)
		*done = 0;
	if (workers == 0)
		return EINVAL;
	for (size_t i = 0; i < n; i++)
		if (moves[i].from >= nsites || moves[i].to >= nsites)
			return EINVAL;
	if (workers > n)
		workers = (unsigned)n;
	tids = malloc(sizeof(*tids) * (workers ? workers : 1));
	if (!tids)
		return ENOMEM;
	pthread_mutex_init(&b.lock, NULL);
	pthread_mutex_init(&b.results.lock, NULL);
	pthread_cond_init(&b.results.changed, NULL);
	for (; started < workers; started++) {
		err = pthread_create(&tids[started], NULL, batch_worker, &b);
		if (err)
			break;
	}
	if (started == 0) {
		ok = 0;
	} else {
		err = 0;
		for (size_t i = 0; i < n; i++) {
			int result = mailbox_take(&b.results);

			if (result) {
				err = result;
				break;
			}
			ok++;
		}
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_cond_destroy(&b.results.changed);
	pthread_mutex_destroy(&b.results.lock);
	pthread_mutex_destroy(&b.lock);
	free(tids);
	if (done)
		*done = ok;
	return err;
}
