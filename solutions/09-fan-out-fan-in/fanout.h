/*
 * fanout.h - a synchronous (unbuffered) channel, and the monthly report that
 * fans the patients' history queries out to workers and their results back
 * in over one
 *
 * Usage, the hand-off ("accepted" means the checker has the job):
 *	struct schan jobs;
 *	schan_init(&jobs);
 *	API handler:	if (schan_send(&jobs, job) == 0)
 *				answer("accepted");	(a checker holds it now)
 *	checker thread:	void *job;
 *			while (schan_recv(&jobs, &job) == 0)
 *				check(job);
 *	shutdown:	schan_close(&jobs);		(both sides wake up)
 *	once every user has returned: schan_destroy(&jobs);
 *
 * Usage, the report:
 *	struct monthly_report report;
 *	int err = monthly_report(50, 8, &report);	(50 patients, 8 workers)
 *
 *	patients --> workers (query_history) --> results (a struct schan)
 *	--> collector (the calling thread): the report
 *
 * Contract:
 *  R1. (a) schan_send() returns 0 only once a receiver has taken its item:
 *      a send made while nobody is in schan_recv() waits until a receiver
 *      calls it, however long that takes. (b) schan_recv() waits while no
 *      sender offers an item, then returns 0 with the item of one send. (c)
 *      Any number of senders and receivers may share a channel: every send
 *      that returns 0 delivered its item to exactly one receive, and every
 *      receive that returns 0 got the item of a send that returns 0.
 *  R2. (a) schan_close() returns 0 the first time and EPIPE after that;
 *      once it has returned, schan_send() and schan_recv() return EPIPE at
 *      once. (b) It wakes every thread blocked in schan_recv(), however
 *      many: each returns EPIPE. (c) It wakes every thread blocked in
 *      schan_send(), however many: each returns EPIPE, and its item reaches
 *      no receiver (unless a receiver had taken it before the close: then
 *      that send returns 0). An item is never both refused and delivered,
 *      nor neither.
 *  R3. Waiting is sleeping: a thread blocked in schan_send() or schan_recv()
 *      uses no CPU and does not run while it waits (the grader keeps four
 *      threads blocked for 400 ms and allows the process 40 ms of CPU time
 *      and 100 context switches meanwhile).
 *  R4. (a) monthly_report() queries the history of every patient
 *      0..patients-1 exactly once (query_history) and fills the report with
 *      the sums over the patients whose query succeeded, each counted once.
 *      (b) A patient who withdrew consent (ENOENT) counts in
 *      report->withdrawn and in nothing else.
 *  R5. Fan-in: the workers' results reach the calling thread (the collector)
 *      through a struct schan that is closed once, after the last worker
 *      has sent its last result: (a) the result of the slowest worker is
 *      collected like any other, never refused by an early close; (b) the
 *      collector stops when the last worker is done, however many results
 *      there were (none, when every patient withdrew).
 *  R6. At most `workers` queries are in flight at once (the history
 *      database grants that many connections), and every thread
 *      monthly_report() starts has ended when it returns.
 *  R7. monthly_report() returns EINVAL, queries nothing and starts no thread
 *      when workers is 0. It returns 0 for any number of patients: 0 (an
 *      all-zero report), 1, fewer than the workers, or a number that is no
 *      multiple of them.
 *  R8. (throughput) n patients take close to n * L / workers, where L is the
 *      latency of one query: every connection is kept busy.
 *
 * Safety:
 *  Field tags of struct schan: L = read and written only with ch->lock held.
 *  A channel is thread-safe: any number of senders, receivers and closers.
 *  schan_send() and schan_recv() block (sleeping, R3) and the caller must
 *  not hold ch->lock. The channel passes pointers and never dereferences or
 *  frees them: once a send has returned 0, the item belongs to the receiver
 *  that took it, and the sender must not change what it points to.
 *  schan_init() and schan_destroy() must not run concurrently with anything
 *  else on the same channel; destroy only after every user has returned.
 *  monthly_report() owns its threads and its results channel, blocks until
 *  the report is complete, and is not re-entrant (the simulated database is
 *  global). Lock order: none; a channel has a single lock.
 */
#ifndef FANOUT_H
#define FANOUT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "histories.h"

/*
 * One slot: a sender puts its item there and waits until a receiver has
 * taken it. puts and takes count the items ever put and taken, so that a
 * sender can tell that *its* item was taken (not just that the slot is
 * empty again, perhaps refilled by another sender).
 */
struct schan {
	pthread_mutex_t lock;
	pthread_cond_t slot_free;	/* L: the slot emptied, or the channel closed */
	pthread_cond_t offered;		/* L: an item was put in the slot, or closed */
	pthread_cond_t taken;		/* L: the item in the slot was taken, or closed */
	void *slot;			/* L: the item on offer, while full */
	bool full;			/* L: an item is on offer and not taken yet */
	unsigned long puts;		/* L: items ever put in the slot */
	unsigned long takes;		/* L: items ever taken from the slot */
	bool closed;			/* L: set once, by schan_close() */
};

struct monthly_report {
	size_t included;		/* patients whose history is in the report */
	size_t withdrawn;		/* patients whose query said ENOENT */
	unsigned long visits;		/* sum over the included patients */
	unsigned long adverse_events;	/* sum over the included patients */
};

/* Prepares an open, empty channel. Returns 0 or an error of pthread_*_init. */
int schan_init(struct schan *ch);

/* Frees what schan_init() took. No thread may be using ch, or use it later. */
void schan_destroy(struct schan *ch);

/*
 * Offers item and waits until a receiver has taken it (R1); the caller must
 * not hold ch->lock. Returns 0 (taken: the receiver owns it now), or EPIPE
 * when ch is closed before, or while, the send waits; then no receiver got
 * item (R2).
 */
int schan_send(struct schan *ch, void *item);

/*
 * Waits until a sender offers an item, takes it into *item and returns 0
 * (R1); the caller must not hold ch->lock. Returns EPIPE, without touching
 * *item, once ch is closed (R2).
 */
int schan_recv(struct schan *ch, void **item);

/*
 * Closes ch: every blocked and later send and receive returns EPIPE (R2).
 * Returns 0, or EPIPE when ch was already closed. Never blocks for long.
 */
int schan_close(struct schan *ch);

/*
 * The monthly report over patients 0..patients-1: `workers` threads query
 * the histories (query_history) and send their results over a struct schan
 * to the calling thread, which sums them into *report (R4, R5). Blocks until
 * the report is complete and every thread it started has ended (R6).
 * Returns 0, EINVAL when workers is 0 (R7), or an error of schan_init,
 * malloc or pthread_create (then *report is unspecified, and no thread is
 * left running).
 */
int monthly_report(size_t patients, unsigned workers, struct monthly_report *report);

#endif
