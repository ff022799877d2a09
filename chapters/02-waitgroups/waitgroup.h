/*
 * waitgroup.h - a wait group (a counter of unfinished tasks that threads can
 * wait on), and the nightly vitals batch that uses one
 *
 * Usage:
 *	struct waitgroup wg;
 *	waitgroup_init(&wg);
 *	for each task:
 *		waitgroup_add(&wg, 1);		(before the task can start)
 *		start the task, handing it &wg	(a pointer, never a copy)
 *	... each task calls waitgroup_done(&wg) once, on every path ...
 *	waitgroup_wait(&wg);			(every task added is done)
 *	waitgroup_destroy(&wg);
 *
 *	int err = vitals_nightly_batch(npatients, 8);
 *	(every patient fetched, one summary report filed)
 *
 * Contract of the wait group:
 *  R1. waitgroup_wait() does not return while the count is above zero: a
 *      waiter stays blocked until the last task added has called
 *      waitgroup_done(), however many earlier done calls there were.
 *  R2. (a) When the count falls to zero, every thread blocked in
 *      waitgroup_wait() returns, not just one of them. (b) Each of them
 *      returns even when the group is used again at once: a
 *      waitgroup_add() made right after the done that reached zero, before
 *      the waiters have run, sends none of them back to sleep.
 *  R3. (a) waitgroup_wait() returns at once when the count is zero, on a
 *      fresh group too. (b) A group whose wait has returned can be used
 *      again: add, done, wait, as often as needed. (c) A waitgroup_done()
 *      with the count already at zero is the caller's bug (Go panics): the
 *      count stays at zero; it does not wrap around.
 *
 * Contract of the batch:
 *  R4. (a) Before vitals_nightly_batch() returns, every patient
 *      0..npatients-1 has been fetched exactly once with fetch_vitals(), for
 *      any npatients, a multiple of parallelism or not. (b) An offline
 *      device (EIO) does not stop the batch: the patients after it are
 *      fetched too, even when every device is offline.
 *  R5. (a) It files exactly one summary (nightly_report_write), and only
 *      after every fetch has returned. (b) The summary counts every patient:
 *      synced + offline = patients, abnormal = synced patients for which
 *      vitals_abnormal() holds, heart_rate_sum = the synced patients'
 *      resting heart rates added up.
 *  R6. At most `parallelism` fetches are in flight at any moment: the vendor
 *      accepts that many concurrent calls, no more.
 *  R7. Every thread the batch starts has ended when it returns (the grader
 *      counts the process's threads as it returns, allowing 10 ms for the
 *      kernel to remove a thread that has been joined).
 *  R8. (a) It returns 0; npatients may be 0 (a summary of zeros is filed)
 *      and may be smaller than parallelism. (b) It returns EINVAL, and
 *      neither fetches nor files anything, when parallelism is 0, whatever
 *      npatients is (npatients == 0 included: EINVAL wins).
 *
 *  R9. (throughput) The batch takes close to npatients * fetch latency /
 *      parallelism, not npatients * fetch latency.
 *
 * Safety:
 *  Field tags: L = protected by lock. A struct waitgroup must not be copied
 *  once initialised: every task and waiter uses the same one, through a
 *  pointer. waitgroup_add(), waitgroup_done() and waitgroup_wait() are
 *  thread-safe; only waitgroup_wait() blocks. The group takes no other lock,
 *  so there is no lock order. vitals_nightly_batch() is not re-entrant (one
 *  batch at a time) and blocks until the batch is done.
 */
#ifndef WAITGROUP_H
#define WAITGROUP_H

#include <pthread.h>
#include <stddef.h>

#include "nightly_report.h"
#include "wearables.h"

struct waitgroup {
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* L: broadcast when count reaches zero */
	unsigned long count;		/* L: tasks added and not yet done */
	unsigned long generation;	/* L: times the count has reached zero */
};

/* Prepares wg with a count of zero. Returns 0 or an errno value. */
int waitgroup_init(struct waitgroup *wg);

/*
 * Releases wg. The count must be zero, and no thread may be inside
 * waitgroup_wait(), not even one that has been woken and not yet returned:
 * destroy the group only after every waiter's wait has returned.
 */
void waitgroup_destroy(struct waitgroup *wg);

/*
 * Adds n tasks to the count. Call it before the task can run (before
 * pthread_create), never from inside the task: a waiter that finds the count
 * at zero returns at once. Does not block beyond the group's lock.
 */
void waitgroup_add(struct waitgroup *wg, unsigned long n);

/*
 * Marks one task done: the count falls by one; when it reaches zero, every
 * waiter is woken (R2). Each task calls it exactly once, on its error paths
 * too. Calling it more often than waitgroup_add() counted is a bug (Go
 * panics there): the count stays at zero (R3c), and a line goes to stderr.
 * Does not block beyond the group's lock.
 */
void waitgroup_done(struct waitgroup *wg);

/*
 * Blocks until the count is zero (R1, R2), or returns at once if it already
 * is (R3a). A waiter released by the count reaching zero returns even if
 * the group is reused before it runs (R2b). The caller must not hold
 * wg->lock.
 */
void waitgroup_wait(struct waitgroup *wg);

/*
 * The nightly batch: fetches the vitals of patients 0..npatients-1 with up
 * to `parallelism` fetches in flight (R4, R6), waits for all of them, then
 * files one summary with nightly_report_write() (R5). Blocks until done.
 * Returns 0, EINVAL (parallelism == 0, even when npatients == 0), or an
 * errno value from thread or memory allocation; after such an error it
 * still waits for the fetches it started and joins its threads, and files
 * no summary.
 */
int vitals_nightly_batch(size_t npatients, unsigned parallelism);

#endif
