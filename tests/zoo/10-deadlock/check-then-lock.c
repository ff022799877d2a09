/*
 * zoo: a transfer checks that `from` has a patient under from's lock alone,
 * lets it go, then takes both locks in order and moves without checking
 * again: two moves from a site with one patient both succeed
 * loses: correctness throughput
 * may-lose: tsan helgrind
 * breaks: R1a R1b
 *
 * transfer.c - moving patients between trial sites
 *
 * One lock order for the whole module (R4): the registry's lock, then site
 * locks by increasing id. A transfer takes its two sites in that order,
 * whichever direction the patient goes; a report takes the registry's lock
 * before the site's, as an enrolment does. A batch gives each move its own
 * result slot, so a worker never waits for anybody to collect it: nothing
 * is sent that nobody receives.
 */
#include <errno.h>
#include <pthread.h>
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
	struct site *first, *second;
	unsigned have;
	int err;

	if (from == to)
		return EINVAL;
	pthread_mutex_lock(&from->lock);
	have = from->patients;
	pthread_mutex_unlock(&from->lock);
	if (have == 0)
		return ENOENT;
	first = from->id < to->id ? from : to;
	second = first == from ? to : from;
	pthread_mutex_lock(&first->lock);
	pthread_mutex_lock(&second->lock);
	if ((err = site_roster_discharge(from->id)) == 0) {
		err = site_roster_admit(to->id);
		if (!err) {
			from->patients--;
			to->patients++;
		} else {
			site_roster_admit(from->id);	/* undo the discharge */
		}
	}
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
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

	pthread_mutex_lock(&reg->lock);
	pthread_mutex_lock(&site->lock);
	out->site = site->id;
	out->patients = site->patients;
	out->enrolled = reg->enrolled;
	/* The snapshot is taken: enrolments need not wait for the audit. */
	pthread_mutex_unlock(&reg->lock);
	err = site_roster_audit(site->id);
	pthread_mutex_unlock(&site->lock);
	return err;
}

struct batch {
	struct site *sites;
	const struct move *moves;
	size_t n;
	int *results;			/* one slot per move, written by its worker */
	pthread_mutex_t lock;		/* guards next */
	size_t next;
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
		b->results[i] = transfer_patient(&b->sites[b->moves[i].from],
						 &b->sites[b->moves[i].to]);
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
	if (n == 0)
		return 0;
	if (workers > n)
		workers = (unsigned)n;
	tids = malloc(sizeof(*tids) * workers);
	b.results = malloc(sizeof(*b.results) * n);
	if (!tids || !b.results) {
		free(tids);
		free(b.results);
		return ENOMEM;
	}
	pthread_mutex_init(&b.lock, NULL);
	for (; started < workers; started++) {
		err = pthread_create(&tids[started], NULL, batch_worker, &b);
		if (err)
			break;
	}
	if (started == 0) {
		pthread_mutex_destroy(&b.lock);
		free(tids);
		free(b.results);
		return err;
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	/* Joined: every result is written, and the join made it visible. */
	err = 0;
	for (size_t i = 0; i < n; i++) {
		if (b.results[i] == 0)
			ok++;
		else if (!err)
			err = b.results[i];
	}
	pthread_mutex_destroy(&b.lock);
	free(tids);
	free(b.results);
	if (done)
		*done = ok;
	return err;
}
