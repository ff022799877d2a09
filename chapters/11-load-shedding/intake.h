/*
 * intake.h - the ePRO intake under overload: a submit that sheds load
 * instead of stalling the app, and a circuit breaker in front of the
 * scoring service
 *
 * Usage:
 *	struct intake in;
 *	intake_start(&in, 8, 64, 5, 2 * BILLION);
 *			(8 workers, room for 64 waiting submissions; the breaker
 *			opens after 5 failures in a row and cools down for 2 s)
 *	the app, per questionnaire:
 *		err = intake_submit(&in, r);	(never waits)
 *		0: accepted, it will be scored; EAGAIN: shed, tell the patient
 *		to try again in a minute
 *	struct intake_report report;
 *	intake_stop(&in, &report);		(drains, joins, reports)
 *
 *	the breaker on its own, around any call:
 *	struct breaker b;
 *	breaker_init(&b, 5, 2 * BILLION);
 *	err = breaker_call(&b, fn, arg);	(fn's result, or EBUSY: not called)
 *	breaker_destroy(&b);
 *
 * Contract of the intake:
 *  R1. (a) intake_submit() never waits for room: on a full queue it returns
 *      EAGAIN at once and queues nothing (the submission is shed), even while
 *      every worker is stuck in a slow call; "at once" is well under 100 ms
 *      here. (b) The queue never holds more than `capacity` submissions: with
 *      every worker busy, exactly `capacity` submissions more are accepted.
 *  R2. (a) Every accepted submission is sent through the breaker exactly once
 *      before intake_stop() returns (stats_score() is called for it, or
 *      the breaker refuses it), and a shed submission is never sent. Every
 *      thread intake_start() started has ended when intake_stop() returns.
 *      (b) The report counts every submission once: accepted + shed is the
 *      number of intake_submit() calls, and scored + failed + refused is
 *      accepted (scored: the service answered 0; failed: it answered an
 *      error; refused: the breaker said EBUSY and the service was not called).
 *  R3. Under an overload of ten times what the workers can score, an
 *      accepted submission waits in the queue for at most about
 *      capacity / workers service calls before a worker sends it: the queue
 *      bounds its latency, and the submissions it cannot take are shed, not
 *      piled up.
 *
 * Contract of the breaker:
 *  R4. (a) Closed (its state after breaker_init()), breaker_call() calls fn
 *      and returns fn's result; a call that returns 0 resets the count of
 *      failures, so only failures in a row count. (b) The threshold-th
 *      failure in a row opens the breaker: exactly `threshold` calls reach a
 *      failing fn, and every later call returns EBUSY at once, without
 *      calling fn, until the cool-down has passed.
 *  R5. Its state and its count change only under its lock: callers on many
 *      threads at once lose no failure and no transition, and at most
 *      threshold + T - 1 calls reach a failing fn, T being the number of
 *      concurrent callers (calls already let through when the breaker opens
 *      may still fail). Such a call changes nothing when it returns after the
 *      breaker opened: its success does not close the breaker, and its
 *      failure neither opens it again nor restarts the cool-down.
 *  R6. (a) Once cooldown_ns has passed since it opened, the breaker is
 *      half-open: the next call is let through as the single probe, and
 *      while that probe is in flight every other call returns EBUSY at once,
 *      however many threads call. (b) The probe decides: if fn returns 0,
 *      the breaker closes (count at zero, every call goes through again); if
 *      fn fails, it opens again for another full cool-down.
 *  R7. The cool-down is measured on CLOCK_MONOTONIC (world_now_ns()):
 *      setting the wall clock, forwards or back, neither ends it early nor
 *      makes it longer.
 *  R8. breaker_init() returns EINVAL for a threshold of 0, and
 *      intake_start() for 0 workers, a capacity of 0 or a threshold of 0;
 *      when a worker cannot be started, intake_start() returns that
 *      pthread_create() error once the workers it did start have ended.
 *      Either way, nothing is left running.
 *  R9. (throughput) The breaker's lock is never held while fn runs, nor the
 *      intake's while a submission is scored: with a healthy service, n
 *      submissions offered to an intake of W workers (the app retrying the
 *      shed ones) are scored in close to n * L / W, L being one call.
 *
 * Safety:
 *  Field tags: I = set by intake_start() or breaker_init() and read-only
 *  afterwards; L = read and written only with that struct's lock held.
 *  intake_submit() may be called from any number of threads at once, between
 *  intake_start() and intake_stop(); it blocks only for the queue's lock,
 *  never for room or for a worker. intake_stop() must be called once, by one
 *  thread, after every intake_submit() has returned; it blocks until the
 *  queue is drained and the workers have ended. breaker_call() may be called
 *  from any number of threads; it holds no lock while fn runs, and fn may not
 *  call back into the same breaker. Records belong to the caller and must
 *  outlive intake_stop(). Lock order: an intake's lock and its breaker's lock
 *  are never held together.
 */
#ifndef INTAKE_H
#define INTAKE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "records.h"
#include "stats_rpc.h"

#define BILLION 1000000000ull

enum breaker_state {
	BREAKER_CLOSED,		/* calls go through; failures in a row are counted */
	BREAKER_OPEN,		/* calls fail fast until the cool-down has passed */
	BREAKER_HALF_OPEN,	/* one probe is let through; its outcome decides */
};

struct breaker {
	pthread_mutex_t lock;
	unsigned threshold;		/* I: failures in a row that open it, >= 1 */
	uint64_t cooldown_ns;		/* I: how long it stays open */
	enum breaker_state state;	/* L */
	unsigned failures;		/* L: failures in a row while closed */
	uint64_t opened_ns;		/* L: world_now_ns() when it last opened */
	bool probing;			/* L: the half-open probe is in flight */
};

struct intake_report {
	size_t accepted;		/* intake_submit() returned 0 */
	size_t shed;			/* intake_submit() returned EAGAIN */
	size_t scored;			/* the service answered 0 */
	size_t failed;			/* the service answered an error */
	size_t refused;			/* the breaker answered EBUSY */
};

struct intake {
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* L: a submission arrived, one was taken, or the intake stopped */
	const struct record **slots;	/* I: a ring of `capacity` entries */
	size_t capacity;		/* I */
	size_t head;			/* L: slot of the oldest waiting submission */
	size_t len;			/* L: waiting submissions, 0..capacity */
	bool stopping;			/* L: set by intake_stop() */
	struct intake_report counts;	/* L */
	struct breaker breaker;		/* its own lock */
	pthread_t *workers;		/* I */
	unsigned nworkers;		/* I */
};

/*
 * Prepares a closed breaker. Returns 0, EINVAL when threshold is 0, or the
 * error of pthread_mutex_init().
 */
int breaker_init(struct breaker *b, unsigned threshold, uint64_t cooldown_ns);

/* Frees what breaker_init() took. No thread may be in breaker_call(). */
void breaker_destroy(struct breaker *b);

/*
 * Calls fn(arg) if the breaker lets the call through (R4, R6) and returns
 * its result: 0 for a success, any other value (an errno, never EBUSY) for a
 * failure, which is counted. Returns EBUSY, without calling fn, when the
 * breaker is open or its probe is already out. Thread-safe; holds no lock
 * while fn runs; blocks only for the breaker's lock and for fn.
 */
int breaker_call(struct breaker *b, int (*fn)(void *arg), void *arg);

/*
 * Starts an intake: a queue of `capacity` slots, `workers` threads that send
 * each submission to stats_score() through a breaker built from
 * threshold and cooldown_ns. Returns 0; EINVAL when workers, capacity or
 * threshold is 0; or an error from an allocation or a pthread_* function
 * (then nothing is left running or allocated).
 */
int intake_start(struct intake *in, unsigned workers, size_t capacity,
		 unsigned threshold, uint64_t cooldown_ns);

/*
 * Offers submission r. Returns 0 when it is queued (a worker will send it),
 * or EAGAIN at once when the queue is full (it is shed: not queued, never
 * sent). Never waits for room (R1). Thread-safe between intake_start() and
 * intake_stop().
 */
int intake_submit(struct intake *in, const struct record *r);

/*
 * Stops the intake: every submission already queued is still sent (R2), the
 * workers end and are joined, *report gets the final counts, and everything
 * intake_start() took is freed. Blocks until then. Call it once, after the
 * last intake_submit() has returned.
 */
void intake_stop(struct intake *in, struct intake_report *report);

#endif
