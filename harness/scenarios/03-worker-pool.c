/*
 * 03-worker-pool.c - scenarios for chapter 03 (pool.h)
 *
 * The queue scenarios drive a struct job_queue with helper threads of their
 * own (producers and workers whose progress the scenario can read), and put
 * those threads to sleep inside the queue before the step under test, so
 * that a missing wake-up shows every time rather than once in a while. The
 * batch scenarios run store_all() on a fresh simulated database and check
 * one clause sentence each (R1a, R3c, ...). Sizes include 0, 1, primes, fewer
 * records than workers, counts that are no multiple of the workers or of the
 * capacity, and queues of one slot; "before it returns" and "has ended when
 * it returns" are read as store_all() returns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "census.h"
#include "clock.h"
#include "perturb.h"
#include "pool.h"
#include "scenario.h"

#define MS 1000000u

/* ---- helper threads that use a queue ---- */

/*
 * A producer pushes jobs[0..limit-1] in order and stops at the first error;
 * a worker pops until it has popped `limit` jobs or queue_pop() says false.
 * The fields under `lock` are how the scenario watches them.
 */
struct actor {
	pthread_t thread;
	bool producer;
	struct job_queue *q;
	const struct record *jobs;	/* producer: what to push */
	size_t limit;
	uint32_t *got;			/* worker: ids popped, in order (limit entries) */

	pthread_mutex_t lock;		/* protects the fields below */
	pid_t tid;			/* kernel thread id, 0 until it runs */
	size_t count;			/* pushes that returned 0, pops that returned true */
	int push_err;			/* first non-zero queue_push() result */
	bool finished;			/* its last queue call has returned */
	bool humble;			/* set before it starts: nice 19 */
};

/*
 * Set by a scenario's own thread around actor_start() (each actor copies it
 * before it starts): those actors lower their priority (nice 19), so that on the scenario's one CPU a
 * woken actor runs only once the scenario's thread blocks, and what the
 * scenario does in a row happens before any of them moves.
 */
static bool actors_humble;

static void *actor_main(void *arg)
{
	struct actor *a = arg;
	const struct record *r;

	if (a->humble)
		setpriority(PRIO_PROCESS, (id_t)gettid(), 19);

	pthread_mutex_lock(&a->lock);
	a->tid = gettid();
	pthread_mutex_unlock(&a->lock);
	for (size_t i = 0; i < a->limit; i++) {
		int err = 0;
		bool popped = false;

		if (a->producer)
			err = queue_push(a->q, &a->jobs[i]);
		else
			popped = queue_pop(a->q, &r);
		pthread_mutex_lock(&a->lock);
		if (a->producer && err)
			a->push_err = err;
		else if (a->producer || popped)
			a->count++;
		if (popped)
			a->got[i] = r->id;
		pthread_mutex_unlock(&a->lock);
		if (err || (!a->producer && !popped))
			break;
	}
	pthread_mutex_lock(&a->lock);
	a->finished = true;
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static int actor_start(struct actor *a, bool producer, struct job_queue *q,
		       const struct record *jobs, size_t limit)
{
	memset(a, 0, sizeof(*a));
	a->producer = producer;
	a->q = q;
	a->jobs = jobs;
	a->limit = limit;
	if (!producer && !(a->got = calloc(limit ? limit : 1, sizeof(*a->got))))
		return ENOMEM;
	a->humble = actors_humble;
	pthread_mutex_init(&a->lock, NULL);
	return pthread_create(&a->thread, NULL, actor_main, a);
}

static void actor_read(struct actor *a, pid_t *tid, size_t *count, int *push_err,
		       bool *finished)
{
	pthread_mutex_lock(&a->lock);
	if (tid)
		*tid = a->tid;
	if (count)
		*count = a->count;
	if (push_err)
		*push_err = a->push_err;
	if (finished)
		*finished = a->finished;
	pthread_mutex_unlock(&a->lock);
}

static size_t actor_count(struct actor *a)
{
	size_t count;

	actor_read(a, NULL, &count, NULL, NULL);
	return count;
}

static bool actor_finished(struct actor *a)
{
	bool finished;

	actor_read(a, NULL, NULL, NULL, &finished);
	return finished;
}

/* Joins a finished actor; its fields can then be read without the lock. */
static void actor_join(struct actor *a)
{
	pthread_join(a->thread, NULL);
	pthread_mutex_destroy(&a->lock);
}

/* Waits up to `seconds` (scaled) for a's count to reach `at_least`. */
static bool wait_count(struct actor *a, size_t at_least, double seconds)
{
	uint64_t deadline = world_now_ns() + scenario_scaled_ns(seconds);

	while (actor_count(a) < at_least) {
		if (world_now_ns() > deadline)
			return false;
		world_sleep_ns(MS / 2);
	}
	return true;
}

/* scenario_holds over an array of actors: actor i has finished. */
static bool finished_at(void *actors, size_t i)
{
	return actor_finished(&((struct actor *)actors)[i]);
}

/* scenario_holds over an array of actors: actor i sleeps in the kernel (in the queue). */
static bool asleep_at(void *actors, size_t i)
{
	pid_t tid;

	actor_read(&((struct actor *)actors)[i], &tid, NULL, NULL, NULL);
	return tid && census_thread_state(tid) == 'S';
}

/*
 * Wakes whoever the learner's queue left asleep, so that a failing scenario
 * can still join its threads: marks the queue closed and wakes everyone.
 */
static void rescue(struct job_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}

/* Closes q, makes sure every actor ends, joins them, destroys q. */
static void finish_queue(struct job_queue *q, struct actor *actors, size_t n)
{
	queue_close(q);
	if (scenario_wait_all(n, finished_at, actors, 0.5))
		rescue(q);
	for (size_t i = 0; i < n; i++)
		actor_join(&actors[i]);
	queue_destroy(q);
}

static size_t queue_len(struct job_queue *q)
{
	size_t len;

	pthread_mutex_lock(&q->lock);
	len = q->len;
	pthread_mutex_unlock(&q->lock);
	return len;
}

static struct record *make_records(size_t n)
{
	struct record *records = calloc(n + 1, sizeof(*records));

	if (records)
		records_generate(records, n, 0x9001 + n);
	return records;
}

/*
 * A queue scenario's set-up: n records (make_records) and q initialised with
 * room for `capacity`. NULL, after failing the check for clause, when either
 * cannot be had; otherwise the records, which the caller frees.
 */
static struct record *queue_setup(struct check *c, const char *clause, struct job_queue *q,
				  size_t n, size_t capacity)
{
	struct record *records = make_records(n);

	if (!records || queue_init(q, capacity)) {
		free(records);
		check_fail(c, clause, "harness set-up failed (memory, or queue_init)");
		return NULL;
	}
	return records;
}

/* ---- the queue ---- */

/* One round of the back-pressure scenario on a queue of capacity cap. */
static void full_queue_round(struct check *c, size_t cap)
{
	size_t jobs = cap + 3;
	struct record *records;
	struct job_queue q;
	struct actor producer;
	const struct record *first = NULL;
	size_t pushed, len;

	records = queue_setup(c, "R1a", &q, jobs, cap);
	if (!records)
		return;
	if (actor_start(&producer, true, &q, records, jobs)) {
		queue_destroy(&q);
		free(records);
		return check_fail(c, "R1a", "harness set-up failed (pthread_create)");
	}
	if (!wait_count(&producer, cap, 1.0)) {
		check_fail(c, "R1a", "the producer queued only %zu jobs in 1 s into an empty "
			   "queue of capacity %zu; expected %zu pushes to return at once",
			   actor_count(&producer), cap, cap);
		goto out;
	}
	/* Give a non-blocking push every chance to show, then look. */
	scenario_wait_all_steady(1, asleep_at, &producer, 0.3);
	pushed = actor_count(&producer);
	len = queue_len(&q);
	if (pushed > cap) {
		check_fail(c, "R1a", "queue_push() returned 0 for %zu jobs into a queue of "
			   "capacity %zu while no worker took any; expected the push after "
			   "the %zuth to block until a worker makes room (back-pressure)",
			   pushed, cap, cap);
		goto out;
	}
	if (len > cap) {
		check_fail(c, "R1a", "the queue held %zu jobs; its capacity is %zu", len, cap);
		goto out;
	}
	if (!queue_pop(&q, &first) || first != &records[0]) {
		check_fail(c, "R2a", "queue_pop() on a full queue did not return the first job "
			   "pushed (record 0); got %s %d",
			   first ? "record" : "no record", first ? (int)first->id : -1);
		goto out;
	}
	if (!wait_count(&producer, cap + 1, 1.0))
		check_fail(c, "R1b", "a worker took a job out of the full queue (capacity %zu), "
			   "and the producer blocked in queue_push() was still asleep 1 s "
			   "later; expected it to wake and queue its job", cap);
out:
	finish_queue(&q, &producer, 1);
	free(records);
}

static void full_queue_blocks_the_producer(struct check *c, const struct scenario_env *env)
{
	(void)env;
	full_queue_round(c, 1);
	if (!c->failed)
		full_queue_round(c, 4);
}

/* Pins the calling thread to the CPU it runs on; *saved gets the old mask. */
static bool pin_to_one_cpu(cpu_set_t *saved)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	if (sched_getaffinity(0, sizeof(*saved), saved) || cpu < 0 || !CPU_ISSET(cpu, saved))
		return false;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) == 0;
}

#define CROWD 5

/*
 * One round: a queue of capacity cap, full, and cap + 1 producers blocked
 * in queue_push() with one job each. The scenario pops cap jobs in a row
 * (on one CPU, the producers humble: none of them runs in between), so the
 * queue goes from full to empty at once: cap producers must get in.
 */
static void producers_round(struct check *c, size_t cap)
{
	size_t nprod = cap + 1, jobs = cap + nprod, in = 0;
	struct actor producers[CROWD];
	struct record *records;
	struct job_queue q;
	size_t started = 0;
	cpu_set_t saved;
	bool pinned;

	records = queue_setup(c, "R1b", &q, jobs, cap);
	if (!records)
		return;
	for (size_t i = 0; i < cap; i++)
		queue_push(&q, &records[i]);
	pinned = pin_to_one_cpu(&saved);
	actors_humble = true;
	for (; started < nprod; started++)
		if (actor_start(&producers[started], true, &q, &records[cap + started], 1))
			break;
	actors_humble = false;
	if (started < nprod) {
		check_fail(c, "R1b", "harness set-up failed (pthread_create)");
		goto out;
	}
	if (!scenario_wait_all_steady(nprod, asleep_at, producers, 1.0)) {
		check_fail(c, "R1b", "%zu producers pushing into a full queue (capacity %zu) "
			   "did not all block in queue_push() within 1 s", nprod, cap);
		goto out;
	}
	for (size_t i = 0; i < cap; i++) {
		const struct record *r;

		if (!queue_pop(&q, &r)) {
			check_fail(c, "R2a", "queue_pop() on a full open queue returned false");
			goto out;
		}
	}
	{
		uint64_t deadline = world_now_ns() + scenario_scaled_ns(1.0);

		for (;;) {
			in = 0;
			for (size_t i = 0; i < nprod; i++)
				in += actor_count(&producers[i]);
			if (in >= cap || world_now_ns() > deadline)
				break;
			world_sleep_ns(MS / 2);
		}
	}
	if (in < cap)
		check_fail(c, "R1b", "%zu producers were blocked on a full queue (capacity %zu); "
			   "%zu pops in a row made room for %zu jobs, and 1 s later only %zu of "
			   "the producers had queued theirs; expected every pop to wake a "
			   "blocked producer (not only the pop that leaves the full state)",
			   nprod, cap, cap, cap, in);
out:
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	finish_queue(&q, producers, started);
	free(records);
}

static void every_blocked_producer_gets_in(struct check *c, const struct scenario_env *env)
{
	(void)env;
	for (size_t cap = 2; cap <= 4 && !c->failed; cap++)
		producers_round(c, cap);
}

/*
 * One round: workers idle on an empty queue of capacity cap, each taking
 * one job and then stopping. The scenario pushes `jobs` (<= workers) jobs
 * in a row (on one CPU, the workers humble), so the queue goes from empty
 * to holding them all at once: every job must be taken by a worker.
 */
static void workers_round(struct check *c, size_t nworkers, size_t jobs)
{
	struct actor workers[CROWD];
	struct record *records;
	struct job_queue q;
	size_t started = 0, taken = 0, cap = jobs;
	cpu_set_t saved;
	bool pinned;

	records = queue_setup(c, "R2b", &q, jobs, cap);
	if (!records)
		return;
	pinned = pin_to_one_cpu(&saved);
	actors_humble = true;
	for (; started < nworkers; started++)
		if (actor_start(&workers[started], false, &q, NULL, 1))
			break;
	actors_humble = false;
	if (started < nworkers) {
		check_fail(c, "R2b", "harness set-up failed (pthread_create)");
		goto out;
	}
	if (!scenario_wait_all_steady(nworkers, asleep_at, workers, 1.0)) {
		check_fail(c, "R2b", "%zu workers popping from an empty queue did not all "
			   "block in queue_pop() within 1 s", nworkers);
		goto out;
	}
	for (size_t i = 0; i < jobs; i++)
		if (queue_push(&q, &records[i])) {
			check_fail(c, "R2b", "queue_push() into an open queue with room failed");
			goto out;
		}
	{
		uint64_t deadline = world_now_ns() + scenario_scaled_ns(1.0);

		for (;;) {
			taken = 0;
			for (size_t i = 0; i < nworkers; i++)
				taken += actor_count(&workers[i]);
			if (taken >= jobs || world_now_ns() > deadline)
				break;
			world_sleep_ns(MS / 2);
		}
	}
	if (taken < jobs)
		check_fail(c, "R2b", "%zu workers were blocked in queue_pop() on an empty queue; "
			   "%zu pushes in a row queued %zu jobs, and 1 s later the workers had "
			   "taken only %zu (%zu jobs queued, workers asleep); expected every push "
			   "to wake a blocked worker (not only the push into an empty queue)",
			   nworkers, jobs, jobs, taken, queue_len(&q));
out:
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	finish_queue(&q, workers, started);
	for (size_t i = 0; i < started; i++)
		free(workers[i].got);
	free(records);
}

static void every_idle_worker_wakes_for_a_job(struct check *c, const struct scenario_env *env)
{
	(void)env;
	workers_round(c, 4, 3);
	if (!c->failed)
		workers_round(c, 5, 5);
}

static void jobs_come_out_in_order_once_each(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 4 };
	size_t jobs = env->small ? 40 : 400;
	struct record *records = make_records(jobs);
	uint32_t *seen = calloc(jobs, sizeof(*seen));
	struct job_queue q;
	struct actor workers[WORKERS], producer;
	size_t started = 0;

	if (!records || !seen || queue_init(&q, 1)) {
		free(records);
		free(seen);
		return check_fail(c, "R2a", "harness set-up failed (memory, or queue_init)");
	}
	for (; started < WORKERS; started++)
		if (actor_start(&workers[started], false, &q, NULL, jobs))
			break;
	/*
	 * The workers wait on an empty queue of one slot; each push must wake
	 * one, and a worker that arrives as another is woken may take the job
	 * first: the woken one must then find the queue empty and wait again.
	 */
	scenario_wait_all_steady(started, asleep_at, workers, 0.5);
	if (started < WORKERS || actor_start(&producer, true, &q, records, jobs)) {
		check_fail(c, "R2a", "harness set-up failed (pthread_create)");
		finish_queue(&q, workers, started);
		goto out;
	}
	if (scenario_wait_all(1, finished_at, &producer, 2.0) != 0) {
		check_fail(c, "R2b", "the producer's %zu pushes were still not done after 2 s, "
			   "with %d workers popping (%zu jobs pushed); expected a blocked "
			   "queue_pop() to wake when a job arrives", jobs, WORKERS,
			   actor_count(&producer));
		rescue(&q);
	}
	actor_join(&producer);
	finish_queue(&q, workers, WORKERS);
	if (c->failed)
		goto out;
	/* finish_queue() joined the workers: their records are safe to read. */
	for (size_t w = 0; w < WORKERS; w++) {
		for (size_t i = 0; i < workers[w].count; i++) {
			uint32_t id = workers[w].got[i];

			if (id >= jobs) {
				check_fail(c, "R2a", "queue_pop() returned a pointer that was never "
					   "pushed (id %u)", id);
				goto out;
			}
			seen[id]++;
			if (i > 0 && id < workers[w].got[i - 1]) {
				check_fail(c, "R2a", "one worker got job %u after job %u; jobs must "
					   "come out in the order they were pushed",
					   id, workers[w].got[i - 1]);
				goto out;
			}
		}
	}
	for (size_t id = 0; id < jobs; id++) {
		if (seen[id] != 1) {
			check_fail(c, "R2a", "job %zu was handed out %u times by queue_pop() after "
				   "%zu pushes and a close; expected exactly once", id, seen[id],
				   jobs);
			break;
		}
	}
out:
	for (size_t w = 0; w < started; w++)
		free(workers[w].got);
	free(seen);
	free(records);
}

static void closed_queue_drains_then_says_so(struct check *c, const struct scenario_env *env)
{
	struct record *records;
	struct job_queue q;
	const struct record *r = NULL;
	int err;

	(void)env;
	records = queue_setup(c, "R3a", &q, 4, 4);
	if (!records)
		return;
	for (int i = 0; i < 3; i++) {
		err = queue_push(&q, &records[i]);
		if (err) {
			check_fail(c, "R1a", "queue_push() into an open queue with room returned %d; "
				   "expected 0", err);
			goto out;
		}
	}
	queue_close(&q);
	err = queue_push(&q, &records[3]);
	if (err != EPIPE) {
		check_fail(c, "R3a", "queue_push() after queue_close() (with room for it) returned %d; expected "
			   "EPIPE (%d), and the job not queued", err, EPIPE);
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		r = NULL;
		if (!queue_pop(&q, &r) || r != &records[i]) {
			check_fail(c, "R3b", "after queue_close(), pop %d returned %s; expected "
				   "record %d, still queued from before the close", i + 1,
				   r ? "another record" : "false", i);
			goto out;
		}
	}
	for (int i = 0; i < 3; i++) {
		if (queue_pop(&q, &r)) {
			check_fail(c, "R3b", "queue_pop() on a closed, drained queue returned true "
				   "(record %d); expected false every time", (int)r->id);
			goto out;
		}
	}
out:
	queue_destroy(&q);
	free(records);
}

static void closing_twice_is_harmless(struct check *c, const struct scenario_env *env)
{
	struct record *records;
	struct job_queue q;
	const struct record *r = NULL;
	int err;

	(void)env;
	records = queue_setup(c, "R3c", &q, 3, 4);
	if (!records)
		return;
	for (int i = 0; i < 2; i++)
		if (queue_push(&q, &records[i])) {
			check_fail(c, "R1a", "queue_push() into an open queue with room failed");
			goto out;
		}
	queue_close(&q);
	queue_close(&q);
	/* After the second close, the queue behaves as after the first. */
	err = queue_push(&q, &records[2]);
	if (err != EPIPE) {
		check_fail(c, "R3c", "after queue_close() twice, queue_push() returned %d; "
			   "expected EPIPE (%d)", err, EPIPE);
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		r = NULL;
		if (!queue_pop(&q, &r) || r != &records[i]) {
			check_fail(c, "R3c", "after queue_close() twice, pop %d returned %s; "
				   "expected record %d, queued before the closes", i + 1,
				   r ? "another record" : "false", i);
			goto out;
		}
	}
	if (queue_pop(&q, &r))
		check_fail(c, "R3c", "after queue_close() twice, queue_pop() on the drained "
			   "queue returned true; expected false");
out:
	queue_destroy(&q);
	free(records);
}

static void close_wakes_every_blocked_worker(struct check *c, const struct scenario_env *env)
{
	enum { WORKERS = 3 };
	struct job_queue q;
	struct actor workers[WORKERS];
	size_t started = 0, asleep;

	(void)env;
	if (queue_init(&q, 4))
		return check_fail(c, "R4a", "harness set-up failed (queue_init)");
	for (; started < WORKERS; started++)
		if (actor_start(&workers[started], false, &q, NULL, 1))
			break;
	if (started < WORKERS) {
		check_fail(c, "R4a", "harness set-up failed (pthread_create)");
		goto out;
	}
	/* All three must be asleep in queue_pop() before the close. */
	scenario_wait_all_steady(WORKERS, asleep_at, workers, 1.0);
	queue_close(&q);
	asleep = scenario_wait_all(WORKERS, finished_at, workers, 0.5);
	if (asleep) {
		check_fail(c, "R4a", "%zu of %d workers blocked in queue_pop() on an empty queue "
			   "were still asleep %.1f s after queue_close(); expected every one to "
			   "wake and get false (a wake-up was lost)", asleep, WORKERS,
			   0.5 * scenario_timeout_factor());
		goto out;
	}
	for (size_t i = 0; i < WORKERS; i++) {
		if (actor_count(&workers[i])) {
			check_fail(c, "R4a", "queue_pop() returned true on an empty queue that was "
				   "then closed; expected false");
			goto out;
		}
	}
out:
	finish_queue(&q, workers, started);
	for (size_t i = 0; i < started; i++)
		free(workers[i].got);
}

static void close_wakes_a_blocked_producer(struct check *c, const struct scenario_env *env)
{
	enum { CAP = 2 };
	struct record *records;
	struct job_queue q;
	struct actor producer;
	size_t pushed;
	int err;

	(void)env;
	records = queue_setup(c, "R4b", &q, CAP + 1, CAP);
	if (!records)
		return;
	if (actor_start(&producer, true, &q, records, CAP + 1)) {
		queue_destroy(&q);
		free(records);
		return check_fail(c, "R4b", "harness set-up failed (pthread_create)");
	}
	if (!wait_count(&producer, CAP, 1.0)) {
		check_fail(c, "R4b", "the producer queued only %zu jobs in 1 s into an empty queue "
			   "of capacity %d; expected %d pushes to return at once",
			   actor_count(&producer), CAP, CAP);
		goto out;
	}
	/* The third push must be asleep, on a full queue, before the close. */
	scenario_wait_all_steady(1, asleep_at, &producer, 1.0);
	queue_close(&q);
	if (scenario_wait_all(1, finished_at, &producer, 0.5)) {
		check_fail(c, "R4b", "a producer blocked in queue_push() on a full queue was still "
			   "asleep %.1f s after queue_close(); expected queue_push() to wake and "
			   "return EPIPE", 0.5 * scenario_timeout_factor());
		goto out;
	}
	actor_read(&producer, NULL, &pushed, &err, NULL);
	if (pushed > CAP)
		check_fail(c, "R1a", "queue_push() queued %zu jobs into a queue of capacity %d "
			   "with nobody popping; expected the third push to block (and to "
			   "return EPIPE when the queue was closed)", pushed, CAP);
	else if (pushed != CAP || err != EPIPE)
		check_fail(c, "R4b", "the producer's third push, blocked on a full queue when "
			   "queue_close() ran, returned %d with %zu jobs queued in all; expected "
			   "EPIPE (%d) with %d", err, pushed, EPIPE, CAP);
out:
	finish_queue(&q, &producer, 1);
	free(records);
}

/* ---- the batch ---- */

struct batch_run {
	struct record *records;
	size_t n;
	unsigned workers;
	size_t capacity;
	struct store_report report;
	int ret;
	struct census_span threads;	/* around the call */
	/* read first thing after store_all() returned */
	uint64_t stores_at_return;
	size_t first_unstored;		/* (size_t)-1: each record stored once */
	uint32_t stored_times;
};

/*
 * Runs store_all() over n fresh records on a database that grants
 * `workers` connections, and records what the harness can observe after.
 */
static int batch_start(struct batch_run *run, size_t n, unsigned workers, size_t capacity,
		       uint64_t latency_ns)
{
	run->n = n;
	run->workers = workers;
	run->capacity = capacity;
	run->records = make_records(n);
	if (!run->records)
		return ENOMEM;
	if (service_init(&records_db, "the records database", latency_ns, workers, n)) {
		free(run->records);
		return ENOMEM;
	}
	run->report = (struct store_report){ 12345 };
	census_span_start(&run->threads);
	run->ret = store_all(run->records, n, workers, capacity, &run->report);
	run->stores_at_return = service_calls(&records_db);
	run->stored_times = 0;
	run->first_unstored = service_first_not_once(&records_db, &run->stored_times);
	census_span_end(&run->threads);
	return 0;
}

/*
 * Frees what the batch used, unless threads of the learner's code are still
 * running: those may still read the records and call the database, so they
 * stay allocated for the rest of this process.
 */
static void batch_finish(struct batch_run *run)
{
	if (census_span_outlived(&run->threads))
		return;
	service_destroy(&records_db);
	free(run->records);
}

static void every_record_stored_once(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	/* a prime count, 4 workers, a queue of 3 */
	if (batch_start(&run, env->small ? 17 : 61, 4, 3, 1 * MS))
		return check_fail(c, "R5a", "out of memory in the harness");
	if (run.ret != 0)
		check_fail(c, "R5a", "store_all(n=%zu, workers=%u, queue_capacity=%zu) returned "
			   "%d; expected 0", run.n, run.workers, run.capacity, run.ret);
	else if (run.first_unstored != (size_t)-1)
		check_fail(c, "R5a", "record %zu had been stored %u times when store_all() "
			   "returned; expected exactly once (n=%zu, workers=%u)",
			   run.first_unstored, run.stored_times, run.n, run.workers);
	else if (service_calls(&records_db) != run.stores_at_return)
		check_fail(c, "R5a", "store_record() was called %llu more times after "
			   "store_all() returned", (unsigned long long)
			   (service_calls(&records_db) - run.stores_at_return));
	else if (service_unknown_items(&records_db))
		check_fail(c, "R5a", "store_record() was called with %llu records that are not "
			   "in the batch", (unsigned long long)service_unknown_items(&records_db));
	batch_finish(&run);
}

static void report_counts_the_stored_records(struct check *c, const struct scenario_env *env)
{
	size_t sizes[] = { env->small ? 11 : 29, 0 };

	for (size_t k = 0; k < 2 && !c->failed; k++) {
		struct batch_run run;

		if (batch_start(&run, sizes[k], 4, 4, 1 * MS))
			return check_fail(c, "R5b", "out of memory in the harness");
		if (run.report.stored != run.n)
			check_fail(c, "R5b", "store_all(n=%zu) set report->stored to %zu; expected "
				   "%zu", run.n, run.report.stored, run.n);
		batch_finish(&run);
	}
}

static void connections_are_a_limit(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	if (batch_start(&run, env->small ? 25 : 97, 3, 8, 1 * MS))
		return check_fail(c, "R6", "out of memory in the harness");
	if (service_peak(&records_db) > run.workers)
		check_fail(c, "R6", "%u records were being stored at once; the database "
			   "grants %u connections (workers), and more is an outage",
			   service_peak(&records_db), run.workers);
	batch_finish(&run);
}

static void no_thread_outlives_the_batch(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;

	if (batch_start(&run, env->small ? 13 : 47, 4, 4, 1 * MS))
		return check_fail(c, "R7a", "out of memory in the harness");
	if (run.threads.at_return > run.threads.before)
		check_fail(c, "R7a", "%d threads were still running when store_all() returned "
			   "(before: %d, at the return: %d; %d still 300 ms later); join every "
			   "worker you start", run.threads.at_return - run.threads.before,
			   run.threads.before, run.threads.at_return,
			   run.threads.after - run.threads.before);
	batch_finish(&run);
}

static void zero_workers_or_capacity_is_einval(struct check *c, const struct scenario_env *env)
{
	/* EINVAL whatever n is, an empty batch included */
	static const struct { size_t n; unsigned workers; size_t capacity; } cases[] = {
		{ 8, 0, 4 }, { 8, 4, 0 }, { 0, 0, 16 }, { 0, 4, 0 },
	};

	(void)env;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct batch_run run;

		if (batch_start(&run, cases[k].n, cases[k].workers, cases[k].capacity, 1 * MS))
			return check_fail(c, "R8b", "out of memory in the harness");
		if (run.ret != EINVAL)
			check_fail(c, "R8b", "store_all(n=%zu, workers=%u, queue_capacity=%zu) "
				   "returned %d; expected EINVAL (%d)", run.n, run.workers,
				   run.capacity, run.ret, EINVAL);
		else if (service_calls(&records_db))
			check_fail(c, "R8b", "store_all(n=%zu, workers=%u, queue_capacity=%zu) stored "
				   "%llu records; expected none", run.n, run.workers, run.capacity,
				   (unsigned long long)service_calls(&records_db));
		batch_finish(&run);
		if (c->failed)
			return;
	}
}

static void any_batch_size_works(struct check *c, const struct scenario_env *env)
{
	static const struct { size_t n; unsigned workers; size_t capacity; } cases[] = {
		{ 0, 4, 4 }, { 1, 4, 1 }, { 3, 8, 2 }, { 7, 1, 1 }, { 5, 2, 16 },
		{ 13, 4, 1 }, { 11, 3, 5 },
	};

	(void)env;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct batch_run run;
		uint64_t calls;

		if (batch_start(&run, cases[k].n, cases[k].workers, cases[k].capacity, 1 * MS))
			return check_fail(c, "R8a", "out of memory in the harness");
		calls = service_calls(&records_db);
		if (run.ret != 0)
			check_fail(c, "R8a", "store_all(n=%zu, workers=%u, queue_capacity=%zu) "
				   "returned %d; expected 0", run.n, run.workers, run.capacity,
				   run.ret);
		else if (calls != run.n || run.report.stored != run.n)
			check_fail(c, "R8a", "store_all(n=%zu, workers=%u, queue_capacity=%zu): "
				   "%llu inserts and stored=%zu; expected %zu and %zu", run.n,
				   run.workers, run.capacity, (unsigned long long)calls,
				   run.report.stored, run.n, run.n);
		else if (run.threads.at_return > run.threads.before)
			check_fail(c, "R8a", "store_all(n=%zu, workers=%u, queue_capacity=%zu) left "
				   "%d threads running", run.n, run.workers, run.capacity,
				   run.threads.at_return - run.threads.before);
		batch_finish(&run);
		if (c->failed)
			return;
	}
}

static void a_failed_thread_start_is_reported(struct check *c, const struct scenario_env *env)
{
	struct batch_run run;
	int err;

	(void)env;
	perturb_fail_create_after(2);	/* the third thread cannot start: EAGAIN */
	err = batch_start(&run, 23, 6, 4, 1 * MS);
	perturb_fail_create_after(0);
	if (err)
		return check_fail(c, "R8c", "out of memory in the harness");
	if (run.ret != EAGAIN)
		check_fail(c, "R8c", "store_all(n=23, workers=6) returned %d when its third "
			   "pthread_create() failed with EAGAIN; expected that error (%d)", run.ret,
			   EAGAIN);
	else if (run.threads.at_return > run.threads.before)
		check_fail(c, "R8c", "%d of the threads store_all() did start were still running "
			   "when it returned after a failed pthread_create(); join them first",
			   run.threads.at_return - run.threads.before);
	else if (run.report.stored != run.stores_at_return)
		check_fail(c, "R8c", "after a failed pthread_create(), report->stored said %zu; "
			   "the database had seen %llu stores", run.report.stored,
			   (unsigned long long)run.stores_at_return);
	batch_finish(&run);
}

CHAPTER_SCENARIOS(
	SCENARIO(full_queue_blocks_the_producer, "R1a R1b"),
	SCENARIO(every_blocked_producer_gets_in, "R1b"),
	SCENARIO(every_idle_worker_wakes_for_a_job, "R2b"),
	SCENARIO(jobs_come_out_in_order_once_each, "R2a R2b"),
	SCENARIO(closed_queue_drains_then_says_so, "R3a R3b"),
	SCENARIO(closing_twice_is_harmless, "R3c"),
	SCENARIO(close_wakes_every_blocked_worker, "R4a"),
	SCENARIO(close_wakes_a_blocked_producer, "R4b"),
	SCENARIO(every_record_stored_once, "R5a"),
	SCENARIO(report_counts_the_stored_records, "R5b"),
	SCENARIO(connections_are_a_limit, "R6"),
	SCENARIO(no_thread_outlives_the_batch, "R7a R7b"),
	SCENARIO(any_batch_size_works, "R8a"),
	SCENARIO(zero_workers_or_capacity_is_einval, "R8b"),
	SCENARIO(a_failed_thread_start_is_reported, "R8c")
);
