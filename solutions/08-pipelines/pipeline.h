/*
 * pipeline.h - ePRO processing as a pipeline: validate -> score -> persist,
 * stages joined by bounded channels, several workers per stage, fan-in of
 * the results, graceful shutdown on a call or on SIGTERM
 *
 * Usage:
 *	struct pipeline_config cfg = { .validators = 2, .scorers = 2,
 *				       .persisters = 8, .capacity = 16 };
 *	struct pipeline *p;
 *	struct pipeline_report report;
 *
 *	pipeline_start(&p, &cfg);		(SIGTERM is now blocked here)
 *	while (... a submission s arrives ...)
 *		if (pipeline_submit(p, s) == EPIPE)
 *			break;			(shutting down: refuse it)
 *	pipeline_shutdown(p);			(or: kill -TERM <pid>)
 *	pipeline_wait(p, &report);		(drained, joined, freed)
 *
 *	intake --> validators --> validated --> scorers --> scored -->
 *	persisters --> results --> collector (fan-in: the report)
 *
 * Contract:
 *  R1. (a) A channel holds at most `capacity` items: channel_send() blocks
 *      while it is full, and every item sent comes out exactly once, however
 *      many senders and receivers share it. (b) channel_recv() blocks while
 *      the channel is empty and open: it never returns EPIPE before
 *      channel_close(), also when a woken receiver finds that another one
 *      took the item first. (c) Items come out in the order they went in.
 *  R2. The sender closes. channel_close() marks the channel closed; closing
 *      it again returns EPIPE. A closed channel drains: channel_recv() still
 *      returns every queued item, in order, then EPIPE; a receiver waiting
 *      on an empty channel wakes up with EPIPE. channel_send() on a closed
 *      channel returns EPIPE and queues nothing, also for a sender that was
 *      waiting on a full channel when it was closed. Never a crash.
 *  R3. Every submission pipeline_submit() accepted (returned 0) has, by the
 *      time pipeline_wait() returns, been validated once, scored once if
 *      complete and never if incomplete, and persisted exactly once with its
 *      score (EPRO_REJECTED for an incomplete one).
 *  R4. Fan-in: one collector receives every result; pipeline_wait() returns
 *      once it has drained them, with report->accepted the number of
 *      submissions accepted, report->persisted the results received (the
 *      same number) and report->rejected the incomplete ones among them.
 *  R5. Each stage has its own workers: at most cfg->validators validations,
 *      cfg->scorers scorings and cfg->persisters writes are in flight at
 *      once (the services accept no more).
 *  R6. Each stage closes its output channel once, after its last worker has
 *      finished: an item still held by a slow worker of the stage is never
 *      refused downstream, and the collector ends when the last persister
 *      has sent its last result.
 *  R7. pipeline_shutdown() stops the intake: once it has returned,
 *      pipeline_submit() returns EPIPE. Everything already accepted, queued
 *      or inside a worker, is still persisted (drained, never dropped), and
 *      pipeline_wait() returns as soon as that drain is done (the scenarios
 *      allow 1 s for drains that need a few tens of ms); every thread the
 *      pipeline started has ended by then.
 *  R8. SIGTERM: (a) pipeline_start() blocks SIGTERM in the calling thread
 *      before it creates any thread, so all of its threads inherit the
 *      mask, and one of them waits for the signal (sigwait). (b) A SIGTERM
 *      sent to the process then acts as pipeline_shutdown(), and
 *      report->by_signal is true; it is false when pipeline_shutdown() came
 *      first (a SIGTERM arriving during that drain is taken by the
 *      pipeline and changes nothing). (c) The block is undone: when
 *      pipeline_wait() returns in the thread that called pipeline_start(),
 *      or pipeline_start() fails, that thread's signal mask is what it was
 *      before pipeline_start().
 *  R9. pipeline_start() returns EINVAL, and starts no thread, when a worker
 *      count or the capacity is 0; pipeline_submit(p, NULL) returns EINVAL.
 *      If a thread cannot be started, pipeline_start() returns that error
 *      once every thread it did start has ended.
 *  R10. (throughput) n submissions take close to
 *      n * max over the stages of (latency / workers): the slowest stage,
 *      with all its workers busy, sets the pace.
 *
 * Safety:
 *  A channel is thread-safe: any number of senders and receivers. It stores
 *  pointers and never frees what they point to. channel_destroy() needs
 *  every sender and receiver gone.
 *  pipeline_submit() and pipeline_shutdown() are thread-safe and may be
 *  called from any thread until pipeline_wait() is called; the caller of
 *  pipeline_wait() makes sure no pipeline_submit() is still running (it
 *  frees p). pipeline_submit() blocks while the intake is full
 *  (back-pressure). The submission stays owned by the caller and must stay
 *  valid and unchanged until pipeline_wait() returns.
 *  Signals: SIGTERM stays blocked in the thread that called
 *  pipeline_start() until pipeline_wait() returns there (R8c). Threads the
 *  process created before that call must
 *  block SIGTERM themselves (best: block it in main() before creating any
 *  thread), or the kernel may deliver the signal to one of them and its
 *  default action ends the process. One pipeline at a time may wait for
 *  SIGTERM.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "epro.h"

/*
 * Field tags: I = set by channel_init(), read-only afterwards;
 * L = protected by lock.
 */
struct channel {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;	/* L: an item arrived, or closed */
	pthread_cond_t not_full;	/* L: room was made, or closed */
	void **slots;			/* L: ring buffer of capacity items */
	size_t capacity;		/* I */
	size_t head;			/* L: index of the oldest item */
	size_t count;			/* L: items queued */
	bool closed;			/* L */
};

/* Prepares an open, empty channel. Returns 0, EINVAL (capacity 0) or ENOMEM. */
int channel_init(struct channel *ch, size_t capacity);

/* Frees ch's buffer. No thread may be using ch. Queued items are not freed. */
void channel_destroy(struct channel *ch);

/*
 * Queues item, waiting while the channel is full (R1). Returns 0, or EPIPE
 * when the channel is closed, or gets closed while waiting (R2).
 */
int channel_send(struct channel *ch, void *item);

/*
 * Takes the oldest item into *item, waiting while the channel is empty and
 * open (R1). Returns 0, or EPIPE once the channel is closed and empty (R2).
 */
int channel_recv(struct channel *ch, void **item);

/*
 * Closes ch and wakes every waiting sender and receiver. Only the sending
 * side closes. Returns 0, or EPIPE when ch was already closed (R2).
 */
int channel_close(struct channel *ch);

struct pipeline_config {
	unsigned validators;	/* workers of the validation stage */
	unsigned scorers;	/* workers of the scoring stage */
	unsigned persisters;	/* workers of the persistence stage (I/O-bound) */
	size_t capacity;	/* of every channel of the pipeline */
};

struct pipeline_report {
	size_t accepted;	/* pipeline_submit() calls that returned 0 */
	size_t persisted;	/* results the collector received */
	size_t rejected;	/* of those, incomplete questionnaires */
	bool by_signal;		/* the shutdown came from SIGTERM */
};

/* Defined by pipeline.c. */
struct pipeline;

/*
 * Blocks SIGTERM in the calling thread, then starts the signal waiter, the
 * workers of each stage and the collector (R5, R8), and stores the pipeline
 * in *out. Returns 0, EINVAL (R9), ENOMEM or an error of pthread_create (then
 * no thread is left running and *out is untouched).
 */
int pipeline_start(struct pipeline **out, const struct pipeline_config *cfg);

/*
 * Hands s to the validation stage, waiting while the intake is full.
 * Returns 0 (accepted: it will be persisted, R3), EPIPE once the pipeline
 * is shutting down (R7, R8), or EINVAL for a NULL s (R9).
 */
int pipeline_submit(struct pipeline *p, const struct epro_submission *s);

/*
 * Asks the pipeline to stop accepting and drain (R7). Returns at once;
 * calling it again, or after a SIGTERM, does nothing more.
 */
void pipeline_shutdown(struct pipeline *p);

/*
 * Waits until a shutdown was asked for (pipeline_shutdown() or SIGTERM) and
 * everything accepted is persisted, joins every thread the pipeline
 * started, fills *report (R4) and frees p. Returns 0.
 */
int pipeline_wait(struct pipeline *p, struct pipeline_report *report);

#endif
