/*
 * transfer.h - moving patients between trial sites, enrolling them, and a
 * site's report, each under the locks of what it touches
 *
 * Usage:
 *	struct registry reg;
 *	struct site sites[4];
 *	registry_init(&reg, 0);
 *	for (unsigned i = 0; i < 4; i++)
 *		site_init(&sites[i], i, 0);
 *	enrol_patient(&reg, &sites[0]);			(a new patient at site 0)
 *	transfer_patient(&sites[0], &sites[2]);		(moves to site 2)
 *	struct site_report r;
 *	site_report(&reg, &sites[2], &r);		(r.patients 1, r.enrolled 1)
 *	struct move moves[] = { { 2, 1 }, { 1, 3 } };
 *	size_t done;
 *	transfer_batch(sites, 4, moves, 2, 2, &done);	(two workers)
 *	... site_destroy() each site, registry_destroy(&reg) ...
 *
 * Contract:
 *  R1. transfer_patient(from, to) moves one patient. (a) It returns 0
 *      with from->patients one lower and to->patients one higher; ENOENT,
 *      changing nothing, when from has no patient; EINVAL, changing
 *      nothing and at once, when from and to are the same site. (b) The
 *      move is one step: a thread that holds every site's lock (taken in
 *      the order of R4) never finds the patient at both sites or at
 *      neither (the sum of every site's patients never changes). (c) It
 *      tells the roster (site_roster.h): site_roster_discharge(from->id)
 *      and site_roster_admit(to->id), each while holding that site's lock,
 *      so the roster never gets two calls about one site at once.
 *  R2. enrol_patient(reg, site) adds a new patient: (a) reg->enrolled and
 *      site->patients each one higher, changed together (a thread holding
 *      both locks sees both or neither), and site_roster_admit(site->id)
 *      called while holding the site's lock; (b) n enrolments running at
 *      once, at one site or several, raise reg->enrolled by exactly n.
 *  R3. site_report(reg, site, out) fills out from one instant: (a)
 *      out->patients and out->enrolled are read while both locks are held,
 *      so that with enrolments running at that site, out->enrolled -
 *      out->patients stays what it was before they started; (b) it audits
 *      the site with site_roster_audit(site->id), while holding the site's
 *      lock, once per report.
 *  R4. The lock order: a function that holds more than one lock at a time
 *      takes the registry's lock first, then site locks by increasing site
 *      id; it never waits for a lock while holding one that comes later in
 *      that order. So: (a) transfers between the same two sites in opposite
 *      directions, at the same moment, all finish; (b) reports and
 *      enrolments at the same site, at the same moment, all finish; (c)
 *      any of these functions, running while another thread takes the locks
 *      in this order (the registry's, then every site's by increasing id),
 *      finishes, and so does that thread. (d) The order is by id, not by
 *      where the structures sit in memory: with sites whose ids run against
 *      their addresses, none of these functions blocks for a lock while it
 *      holds one that comes later in the order. (e) The order holds for
 *      pthread_mutex_trylock() too: a lock tried out of order and let go
 *      when busy cannot deadlock, but Helgrind records the order of every
 *      acquisition and reports it ("lock order violated"), so the helgrind
 *      gate fails it.
 *  R5. transfer_batch(sites, nsites, moves, n, workers, done) makes the n
 *      moves (moves[i] moves one patient from sites[moves[i].from] to
 *      sites[moves[i].to], as transfer_patient() does). (a) It runs them on
 *      `workers` threads it starts (fewer when n is smaller), and returns
 *      0 with *done = n when all succeed. (b) When some moves fail, it
 *      still makes every other one, sets *done to the number that
 *      succeeded and returns the error of a failed one. (c) It returns only
 *      after every thread it started has ended, and never hangs, whatever
 *      failed. (d) workers == 0, or a move naming a site index >= nsites,
 *      returns EINVAL before any move is made.
 *  R6. (throughput) Moves between different sites do not wait for each
 *      other: 8 workers making 240 moves over 256 sites (two roster round
 *      trips of L per move) take close to 240 * 2L / 8.
 *
 * Safety:
 *  transfer_patient(), enrol_patient() and site_report() are thread-safe:
 *  any number of threads may call them at once on the same sites and
 *  registry. Each blocks for the locks it needs and for its own roster round
 *  trips, never for a wake-up. transfer_batch() is thread-safe in the same
 *  way and blocks until its moves are made. The init and destroy functions
 *  are not: call them while nothing else uses the object. The structures'
 *  fields are public so that callers (and the harness) can take the locks in
 *  the order of R4; read a field only while holding the lock that guards it.
 */
#ifndef TRANSFER_H
#define TRANSFER_H

#include <pthread.h>
#include <stddef.h>

#include "site_roster.h"

/* One investigator site of the trial. */
struct site {
	unsigned id;			/* fixed by site_init(); orders the locks (R4) */
	pthread_mutex_t lock;		/* guards patients */
	unsigned patients;		/* patients currently at this site */
};

/* The trial's enrolment registry. */
struct registry {
	pthread_mutex_t lock;		/* guards enrolled; comes before every site's (R4) */
	unsigned long enrolled;		/* patients ever enrolled in the trial */
};

/* One move of a batch: indices into the batch's sites array. */
struct move {
	unsigned from, to;
};

/* What site_report() saw (R3). */
struct site_report {
	unsigned site;			/* the site's id */
	unsigned patients;		/* at this site */
	unsigned long enrolled;		/* in the whole trial, at the same instant */
};

/*
 * Prepares s as site `id` with `patients` patients. Returns 0, or an errno
 * value if its lock cannot be set up. Not thread-safe.
 */
int site_init(struct site *s, unsigned id, unsigned patients);

/* Releases s's lock. Nothing may be using s. */
void site_destroy(struct site *s);

/* Prepares r with `enrolled` patients so far. Returns 0 or an errno value. */
int registry_init(struct registry *r, unsigned long enrolled);

/* Releases r's lock. Nothing may be using r. */
void registry_destroy(struct registry *r);

/*
 * Moves one patient from `from` to `to` (R1), taking both sites' locks in
 * the order of R4. Returns 0, ENOENT (from has no patient), EINVAL (the
 * same site), or an error from the roster (then neither site's count has
 * changed). Blocks for the two locks and two roster round trips.
 */
int transfer_patient(struct site *from, struct site *to);

/*
 * Enrols a new patient at site (R2): the registry's lock, then the site's.
 * Returns 0 or an error from the roster. Blocks for both locks and one
 * roster round trip.
 */
int enrol_patient(struct registry *reg, struct site *site);

/*
 * Fills *out with the site's patients and the trial's enrolled count, read
 * at one instant (R3), after auditing the site with the roster. Returns 0
 * or an error from the roster. Blocks for both locks and one round trip.
 */
int site_report(struct registry *reg, struct site *site, struct site_report *out);

/*
 * Makes moves[0..n-1] among sites[0..nsites-1] on up to `workers` threads
 * (R5). Returns 0, the error of a failed move (ENOENT, EINVAL), EINVAL for
 * bad arguments, or an error from pthread_create() if no thread could be
 * started. *done (may be NULL) gets the number of moves that succeeded.
 * Blocks until every move is made and every thread it started has ended.
 */
int transfer_batch(struct site *sites, size_t nsites, const struct move *moves, size_t n,
		   unsigned workers, size_t *done);

#endif
