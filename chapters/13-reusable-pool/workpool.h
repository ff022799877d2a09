/*
 * workpool.h - the reusable worker pool: tasks that carry a cancellation
 * token, a graceful shutdown in two modes, and metrics read without a lock
 *
 * Usage:
 *	struct pool p;
 *	pool_init(&p, 8);			(8 workers: never more than 8 tasks at once)
 *	err = pool_submit(&p, export_patient, report_export, &patients[i]);
 *		0: queued; export_patient(&patients[i], &p.token) will run once
 *		and report_export(&patients[i], its result) is called after it,
 *		or, if the pool is cancelled first, report_export(.., ECANCELED)
 *		is called and export_patient never runs
 *		ESHUTDOWN: the pool is shutting down; nothing will happen to it
 *	a dashboard thread, at any time:
 *		struct pool_metrics m;
 *		pool_metrics(&p, &m);		(never waits for the pool's lock)
 *	pool_shutdown(&p, POOL_DRAIN);		(run what is queued, then stop)
 *	 or pool_shutdown(&p, POOL_CANCEL);	(cancel the token, drop the queue)
 *	pool_destroy(&p);
 *
 * The pool's state is yours to design: struct pool_state is defined in
 * workpool.c (the queue, the workers, the counters, whatever the contract
 * needs), and pool_init() allocates it. The grader sees only what this
 * header declares.
 *
 * Contract:
 *  R1. Every task pool_submit() accepted (it returned 0) is settled exactly
 *      once by the time pool_shutdown() returns: either fn runs once and then
 *      done is called once with fn's result, or (only in a POOL_CANCEL
 *      shutdown, for a task no worker had started) fn never runs and done is
 *      called once with ECANCELED. Never both, never neither, however many
 *      threads submit at once, and whatever submits race with the shutdown.
 *  R2. At most `workers` fn calls are in flight at any moment: the pool is
 *      the only thing between its callers and a service that allows that
 *      many connections.
 *  R3. pool_init() returns EINVAL for 0 workers, and pool_submit() for a
 *      NULL fn. Once pool_shutdown() has been called, pool_submit() returns
 *      ESHUTDOWN at once and the task is never run nor reported (done is
 *      not called for it).
 *  R4. pool_shutdown(p, POOL_DRAIN) lets every task already queued run to
 *      its end (the token is never cancelled), then ends every worker and
 *      returns. It wakes idle workers: on a pool with nothing to do it
 *      returns at once, whatever the number of workers (the grader allows
 *      0.5 s).
 *  R5. pool_shutdown(p, POOL_CANCEL) cancels p->token at once, so tasks
 *      running now see token_cancelled() become true; it settles every task
 *      still queued as cancelled (done(arg, ECANCELED), fn never called),
 *      lets no queued task start after that moment, waits for the running
 *      tasks to return, and returns. With thousands of tasks queued it still
 *      returns within about the time the running tasks take to notice the
 *      token (the grader allows 1 s).
 *  R6. (a) pool_metrics() never takes p->lock and never waits: it returns
 *      even while another thread holds p->lock. (b) Every counter it reads
 *      is a C11 atomic written with atomic operations only, so reading it
 *      while workers update it is no data race (ThreadSanitizer and Helgrind
 *      check). (c) Its figures are consistent: `running` never exceeds
 *      `workers`; `done`, `failed` and `cancelled` never decrease; a task
 *      that ran counts once in done (fn returned 0) or failed (anything
 *      else), a dropped one once in cancelled; once pool_shutdown() has
 *      returned, queued and running are 0 and done + failed + cancelled is
 *      the number of tasks accepted.
 *  R7. Nothing leaks: when pool_shutdown() returns every thread the pool
 *      started has ended and been joined, and pool_destroy() frees all that
 *      pool_init() and pool_submit() allocated (each task's memory is freed
 *      once it is settled). When a worker cannot be started, pool_init()
 *      returns that pthread_create() error once the workers it did start
 *      have ended, and leaves nothing allocated.
 *  R8. (throughput) n tasks of latency L on a pool of W workers take close
 *      to n * L / W: workers take the next task as soon as they finish one,
 *      and no lock is held while fn runs.
 *
 * Safety:
 *  Field tags: I = set by pool_init() and read-only afterwards; A = an
 *  atomic, read and written with atomic operations only. p->lock is the
 *  pool's one mutex: everything in struct pool_state that is not an atomic
 *  is read and written only with it held. pool_submit() and pool_metrics()
 *  may be called from any number of threads at once, from pool_init()'s
 *  return until pool_destroy(); pool_submit() blocks only for p->lock (the
 *  queue has no bound: the caller decides how much to queue, and the
 *  metrics show it). pool_shutdown() is called once, by one thread, and
 *  blocks until the pool has stopped. fn and done run on the pool's
 *  threads (done for a cancelled task on the thread calling
 *  pool_shutdown()), never with p->lock held; they may call pool_metrics()
 *  and pool_submit(), never pool_shutdown() or pool_destroy(). arg belongs
 *  to the caller and must outlive the task's done call.
 */
#ifndef WORKPOOL_H
#define WORKPOOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

/* Go's ctx.Done(), reduced to what a task needs: has somebody given up? */
struct cancel_token {
	atomic_bool cancelled;		/* A: false until token_cancel(), then true for good */
};

/* Makes t live (not cancelled). Not thread-safe: before t is shared. */
void token_init(struct cancel_token *t);

/* Marks t cancelled, for good. Thread-safe; never blocks; idempotent. */
void token_cancel(struct cancel_token *t);

/* True once t has been cancelled. Thread-safe; never blocks; no lock. */
bool token_cancelled(const struct cancel_token *t);

/*
 * A task: does its work for arg, looking at token now and then (a long task
 * stops early once it is cancelled). Returns 0 on success, anything else
 * (an errno) on failure.
 */
typedef int pool_task_fn(void *arg, const struct cancel_token *token);

/*
 * Told once how a task ended: fn's result, or ECANCELED when the task was
 * dropped from the queue unrun. Called without p->lock held.
 */
typedef void pool_done_fn(void *arg, int result);

enum pool_stop {
	POOL_DRAIN,		/* run every queued task, then stop */
	POOL_CANCEL,		/* cancel the token, drop the queue, wait for the running */
};

/* A snapshot of the counters, filled by pool_metrics(). */
struct pool_metrics {
	size_t queued;		/* accepted, not started, not dropped */
	size_t running;		/* fn in flight now, 0..workers */
	size_t done;		/* fn returned 0 */
	size_t failed;		/* fn returned anything else */
	size_t cancelled;	/* dropped unrun by a POOL_CANCEL shutdown */
};

/* Yours: defined in workpool.c. */
struct pool_state;

struct pool {
	pthread_mutex_t lock;		/* the pool's one mutex (see Safety) */
	struct cancel_token token;	/* handed to every fn; cancelled by POOL_CANCEL */
	unsigned workers;		/* I: the limit, >= 1 */
	struct pool_state *state;	/* I: the pointer; what it points to is yours */
};

/*
 * Starts a pool of `workers` threads, idle until tasks arrive: initialises
 * p->lock and p->token, allocates p->state. Returns 0; EINVAL for 0
 * workers; or an error from an allocation or a pthread_* function, and then
 * nothing is left running or allocated (R7).
 */
int pool_init(struct pool *p, unsigned workers);

/*
 * Queues a task: fn(arg, &p->token) will run on a worker, then done(arg,
 * result) is called (done may be NULL: nobody is told). Returns 0 when
 * queued; EINVAL for a NULL fn; ESHUTDOWN once pool_shutdown() has been
 * called (R3); ENOMEM. Thread-safe; blocks only for p->lock, never for a
 * worker.
 */
int pool_submit(struct pool *p, pool_task_fn *fn, pool_done_fn *done, void *arg);

/*
 * Fills *out with the pool's counters (R6). Thread-safe; takes no lock and
 * never blocks. Valid from pool_init()'s return to pool_destroy().
 */
void pool_metrics(struct pool *p, struct pool_metrics *out);

/*
 * Stops the pool, draining (R4) or cancelling (R5), refuses every later
 * submit (R3), and returns once every worker has ended and been joined and
 * every accepted task is settled (R1). Call it once, from a thread that is
 * not one of the pool's; it blocks until then.
 */
void pool_shutdown(struct pool *p, enum pool_stop how);

/*
 * Frees everything the pool still holds (R7). Call it once, after
 * pool_shutdown() has returned; pool_metrics() may not be called after it.
 */
void pool_destroy(struct pool *p);

#endif
