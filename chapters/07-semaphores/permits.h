/*
 * permits.h - a counting semaphore built from a mutex and a condition
 * variable, and the adverse-event screening batch that uses it to respect
 * the AI model's limit on concurrent calls
 *
 * Usage:
 *	struct semaphore sem;
 *	semaphore_init(&sem, 10);
 *	semaphore_acquire(&sem);	(blocks while all 10 permits are taken)
 *	... one call to the rate-limited service ...
 *	semaphore_release(&sem);	(at once, on every path)
 *	semaphore_destroy(&sem);
 *
 *	struct screening_report report;
 *	int err = screen_submissions(subs, n, 32, 10, &report);
 *	(every submission screened and filed, at most 10 model calls at once)
 *
 * Contract of the semaphore:
 *  R1. semaphore_init(s, count) creates a semaphore with `count` free
 *      permits (count may be 0). semaphore_acquire() takes one permit,
 *      semaphore_release() returns one, and semaphore_value() tells how many
 *      are free.
 *  R2. (a) semaphore_acquire() returns only with a permit. While none is
 *      free it blocks, and each semaphore_release() lets exactly one more
 *      acquire return: a blocked thread, or a newcomer that took the permit
 *      first (no FIFO, no promise about which). No release is lost: k
 *      releases let k blocked threads continue within 1 s. (b) A blocked
 *      thread sleeps rather than spins: three threads blocked for 400 ms
 *      cost the process under 60 ms of CPU time.
 *  R3. Permits are never over-issued, even when threads race for the last
 *      one: the number of acquires that have returned, minus the releases,
 *      never exceeds count; semaphore_value() never exceeds count (a free
 *      count below zero would wrap around to a huge unsigned number).
 *  R4. Every function may be called from any thread at any time between
 *      init and destroy, semaphore_value() included.
 *
 * Contract of the screening batch:
 *  R5. Before screen_submissions() returns, the AI model has been called
 *      exactly once for every submission (ai_screen), and every submission's
 *      outcome has been filed exactly once (file_screening): SCREENING_CLEAR
 *      or SCREENING_ADVERSE as the model answered, SCREENING_UNCHECKED when
 *      the call failed.
 *  R6. On return, report->clear, report->adverse and report->unchecked count
 *      the outcomes filed; they add up to n.
 *  R7. At most max_calls calls to the AI model are in flight at any moment,
 *      however many threads (nthreads) the batch runs.
 *  R8. A call that fails returns its permit like one that succeeds: a batch
 *      finishes however many of its calls fail.
 *  R9. (throughput) A permit is held around the model call only, and
 *      returned before the outcome is filed: filing one submission never
 *      holds up another's call. The batch takes close to
 *      max(n * L / max_calls, n * (L + F) / nthreads), for a call latency L
 *      and a filing latency F.
 *  R10. Every thread screen_submissions() starts has ended when it returns
 *      (counted at once: the kernel may list a joined thread for up to
 *      20 ms more, nothing longer is allowed).
 *  R11. screen_submissions() returns 0 once every submission is filed; it
 *      returns EINVAL, and calls no service, when nthreads or max_calls is
 *      0. n may be 0 (then it returns 0 and calls no service). If a thread
 *      cannot be started, it returns that error once the threads already
 *      started have screened every submission (none, if none started).
 *
 * Safety:
 *  Field tags: L = protected by the semaphore's lock, I = set by
 *  semaphore_init(). The caller owns struct semaphore and must not destroy it
 *  while a thread may still use it. semaphore_acquire() blocks; the others
 *  block only briefly on the lock. The semaphore takes no other lock, and no
 *  lock is held when its functions return. screen_submissions() is not
 *  re-entrant: one batch at a time; subs is read-only and report is written
 *  by it, both owned by the caller. It blocks until the batch is done.
 */
#ifndef PERMITS_H
#define PERMITS_H

#include <pthread.h>
#include <stddef.h>

#include "ai_model.h"
#include "records.h"
#include "safety_desk.h"

struct semaphore {
	pthread_mutex_t lock;		/* I */
	pthread_cond_t available;	/* I: signalled when a permit is returned */
	unsigned permits;		/* L: free permits, 0..count */
};

struct screening_report {
	size_t clear;
	size_t adverse;
	size_t unchecked;
};

/*
 * Prepares s with `count` free permits. Returns 0, or the error of
 * pthread_mutex_init() / pthread_cond_init().
 */
int semaphore_init(struct semaphore *s, unsigned count);

/* Frees s. No thread may be blocked on it or use it afterwards. */
void semaphore_destroy(struct semaphore *s);

/*
 * Takes one permit, blocking while none is free (R2). The caller must hold
 * no lock that a releasing thread needs. Idiom, with the release on every
 * path and as early as possible:
 *	semaphore_acquire(&sem);
 *	err = call_the_limited_service();
 *	semaphore_release(&sem);
 *	if (err) ...
 */
void semaphore_acquire(struct semaphore *s);

/*
 * Returns one permit and wakes one blocked acquirer, if any. Call it once per
 * acquire that returned; releasing more than that is a caller bug.
 */
void semaphore_release(struct semaphore *s);

/*
 * The number of free permits at the moment of the call (a snapshot: it may
 * change as soon as it is returned). For tests and monitoring.
 */
unsigned semaphore_value(struct semaphore *s);

/*
 * Screens subs[0..n-1] for adverse events with nthreads threads, at most
 * max_calls of them calling the AI model at once (R7), and files each
 * outcome. Blocks until every submission is filed (R5) and every thread has
 * ended (R10). Returns 0, EINVAL (nthreads or max_calls is 0), or an error
 * from pthread_create or the semaphore.
 */
int screen_submissions(const struct record *subs, size_t n, unsigned nthreads,
		       unsigned max_calls, struct screening_report *report);

#endif
