/*
 * 08-pipelines.c - scenarios for chapter 08 (pipeline.h)
 *
 * The channel scenarios drive one struct channel from the scenario thread
 * and a helper thread. The pipeline scenarios run submissions through fresh
 * simulated services (epro.h) whose concurrency limits are the worker
 * counts, and check one clause each. epro_hold() parks one chosen call to
 * force an interleaving; the scenario sends SIGTERM to its own process.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "census.h"
#include "clock.h"
#include "perturb.h"
#include "pipeline.h"
#include "scenario.h"

#define MS 1000000u
#define VALIDATE_NS (1 * MS)
#define SCORE_NS (1 * MS)
#define PERSIST_NS (2 * MS)
#define RELAXED memory_order_relaxed

/* Polls cond every millisecond for up to ms milliseconds; true if it held. */
#define WAIT_UNTIL(cond, ms)                                              \
	({                                                                \
		uint64_t until_ = world_now_ns() + (uint64_t)(ms) * MS;   \
		while (!(cond) && world_now_ns() < until_)                \
			world_sleep_ns(MS);                               \
		(bool)(cond);                                             \
	})

/* channel scenarios ------------------------------------------------------ */

struct channel_helper {
	struct channel *ch;
	size_t nitems;		/* items to send, or to receive */
	atomic_size_t done;	/* sends or receives that returned 0 */
	atomic_int last_err;	/* the last return value */
	void *received;
};

static void *send_items(void *arg)
{
	struct channel_helper *h = arg;

	for (size_t i = 0; i < h->nitems; i++) {
		int err = channel_send(h->ch, (void *)(uintptr_t)(i + 1));

		atomic_exchange_explicit(&h->last_err, err, RELAXED);
		if (err)
			break;
		atomic_fetch_add_explicit(&h->done, 1, RELAXED);
	}
	return NULL;
}

static void *receive_one(void *arg)
{
	struct channel_helper *h = arg;
	int err = channel_recv(h->ch, &h->received);

	atomic_exchange_explicit(&h->last_err, err, RELAXED);
	if (!err)
		atomic_fetch_add_explicit(&h->done, 1, RELAXED);
	return NULL;
}

/*
 * The helper's counters are read with read-modify-write operations only:
 * Helgrind reports plain atomic loads that race with a store.
 */
static size_t helper_done(struct channel_helper *h)
{
	return atomic_fetch_add_explicit(&h->done, 0, RELAXED);
}

static int helper_err(struct channel_helper *h)
{
	return atomic_fetch_add_explicit(&h->last_err, 0, RELAXED);
}

/*
 * R1a, R1b under contention: 3 senders and 3 receivers on a channel of
 * capacity 1, in tight loops, so that a woken thread often finds that a
 * newcomer got to the slot first (a stolen wake-up). Every item must come
 * out exactly once, and no receiver may see EPIPE before the close.
 */
#define CROWD_SIDE 3

struct crowded_channel {
	struct channel *ch;
	size_t per_sender;
	_Atomic uint32_t *seen;		/* per item id */
	atomic_bool closing;		/* set just before channel_close() */
	atomic_uint early_epipe;	/* EPIPE from recv while still open */
	atomic_uint send_errors;
	atomic_uint bad_items;
	atomic_uint next_sender;
	atomic_size_t received;
	atomic_uint receivers_done;
};

static void *crowd_sender(void *arg)
{
	struct crowded_channel *k = arg;
	size_t base = atomic_fetch_add(&k->next_sender, 1) * k->per_sender;

	for (size_t i = 0; i < k->per_sender; i++)
		if (channel_send(k->ch, (void *)(uintptr_t)(base + i + 1)))
			atomic_fetch_add(&k->send_errors, 1);
	return NULL;
}

static void *crowd_receiver(void *arg)
{
	struct crowded_channel *k = arg;
	size_t total = k->per_sender * CROWD_SIDE;

	for (;;) {
		void *item = NULL;
		int err = channel_recv(k->ch, &item);
		size_t id = (size_t)(uintptr_t)item;

		if (err) {
			if (atomic_load(&k->closing)) {
				atomic_fetch_add(&k->receivers_done, 1);
				return NULL;
			}
			/* Open channel: note it and keep receiving. */
			atomic_fetch_add(&k->early_epipe, 1);
			continue;
		}
		if (id == 0 || id > total)
			atomic_fetch_add(&k->bad_items, 1);
		else
			atomic_fetch_add_explicit(&k->seen[id - 1], 1, RELAXED);
		atomic_fetch_add(&k->received, 1);
	}
}

static void channel_under_contention(struct check *c, const struct scenario_env *env)
{
	struct crowded_channel k = { .per_sender = env->small ? 400 : 4000 };
	pthread_t senders[CROWD_SIDE], receivers[CROWD_SIDE];
	size_t total = k.per_sender * CROWD_SIDE, missing = 0, doubled = 0, first = 0;
	struct channel ch;

	k.ch = &ch;
	k.seen = calloc(total, sizeof(*k.seen));
	if (!k.seen || channel_init(&ch, 1)) {
		free(k.seen);
		return check_fail(c, "R1a", "channel_init(capacity 1) failed");
	}
	for (int i = 0; i < CROWD_SIDE; i++) {
		pthread_create(&receivers[i], NULL, crowd_receiver, &k);
		pthread_create(&senders[i], NULL, crowd_sender, &k);
	}
	for (int i = 0; i < CROWD_SIDE; i++)
		pthread_join(senders[i], NULL);
	/* Let the receivers empty the channel before it is closed. */
	WAIT_UNTIL(atomic_load(&k.received) >= total, 2000);
	atomic_store(&k.closing, true);
	channel_close(&ch);
	if (!WAIT_UNTIL(atomic_load(&k.receivers_done) == CROWD_SIDE,
			1000 * scenario_timeout_factor())) {
		/* Leave them, with what they use: they may wake up later. */
		for (int i = 0; i < CROWD_SIDE; i++)
			pthread_detach(receivers[i]);
		return check_fail(c, "R2", "%u of 3 receivers waiting on an empty channel "
				  "were still waiting 1 s after channel_close(); expected "
				  "every waiter to wake up with EPIPE",
				  CROWD_SIDE - atomic_load(&k.receivers_done));
	}
	for (int i = 0; i < CROWD_SIDE; i++)
		pthread_join(receivers[i], NULL);
	for (size_t i = 0; i < total; i++) {
		uint32_t n = atomic_load_explicit(&k.seen[i], RELAXED);

		if (n != 1 && !missing && !doubled)
			first = i + 1;
		missing += n == 0;
		doubled += n > 1;
	}
	if (atomic_load(&k.early_epipe))
		check_fail(c, "R1b", "channel_recv() returned EPIPE %u times on an open "
			   "channel (3 senders, 3 receivers, capacity 1); expected it to keep "
			   "waiting while the channel is empty and open, also when a woken "
			   "receiver finds the item already taken",
			   atomic_load(&k.early_epipe));
	else if (atomic_load(&k.send_errors) || missing || doubled || atomic_load(&k.bad_items))
		check_fail(c, "R1a", "3 senders sent %zu items through a channel of capacity 1 "
			   "to 3 receivers: %u sends failed, %zu items never came out, %zu came "
			   "out more than once (first: item %zu), %u unknown items; expected "
			   "each exactly once (a sender woken when the slot is taken again "
			   "must wait again)", total, atomic_load(&k.send_errors), missing,
			   doubled, first, atomic_load(&k.bad_items));
	channel_destroy(&ch);
	free(k.seen);
}

static void channel_is_a_bounded_fifo(struct check *c, const struct scenario_env *env)
{
	struct channel ch;
	struct channel_helper h = { .ch = &ch, .nitems = 7 };
	pthread_t tid;
	size_t sent;

	(void)env;
	if (channel_init(&ch, 3))
		return check_fail(c, "R1a", "channel_init(capacity 3) failed");
	pthread_create(&tid, NULL, send_items, &h);
	WAIT_UNTIL(helper_done(&h) >= 3, 1000);
	world_sleep_ns(30 * MS);
	sent = helper_done(&h);
	/* Every item is received, also after a failure: the sender must end. */
	for (size_t i = 0; i < h.nitems; i++) {
		void *item = NULL;
		int err = channel_recv(&ch, &item);

		if ((err || item != (void *)(uintptr_t)(i + 1)) && !c->failed)
			check_fail(c, "R1c", "receive %zu returned %d with item %zu; expected 0 "
				   "with item %zu (items come out in the order they went in)",
				   i + 1, err, (size_t)(uintptr_t)item, i + 1);
	}
	pthread_join(tid, NULL);
	if (!c->failed && sent != 3)
		check_fail(c, "R1a", "a sender had sent %zu items into a channel of capacity 3 "
			   "that nobody read; expected it to wait after 3", sent);
	if (!c->failed) {
		/* A receiver on an empty channel waits until an item arrives. */
		struct channel_helper r = { .ch = &ch };

		pthread_create(&tid, NULL, receive_one, &r);
		world_sleep_ns(30 * MS);
		if (helper_done(&r))
			check_fail(c, "R1b", "channel_recv() on an empty, open channel returned "
				   "%d without an item; expected it to wait",
				   helper_err(&r));
		channel_send(&ch, (void *)(uintptr_t)42);
		pthread_join(tid, NULL);
		if (!c->failed && (helper_done(&r) != 1 || r.received != (void *)(uintptr_t)42))
			check_fail(c, "R1b", "a waiting receiver got %d and item %zu after a send "
				   "of item 42; expected 0 and 42", helper_err(&r),
				   (size_t)(uintptr_t)r.received);
	}
	channel_destroy(&ch);
}

/* Like EXPECT, but jumps to the scenario's clean-up instead of returning. */
#define EXPECT_OR_OUT(c, cond, clause, ...)                   \
	do {                                                  \
		if (!(cond)) {                                \
			check_fail((c), (clause), __VA_ARGS__); \
			goto out;                             \
		}                                             \
	} while (0)

static void closed_channel_drains_then_reports_closed(struct check *c,
						      const struct scenario_env *env)
{
	struct channel ch;
	void *item = NULL;
	int err;

	(void)env;
	if (channel_init(&ch, 4))
		return check_fail(c, "R2", "channel_init(capacity 4) failed");
	for (uintptr_t i = 1; i <= 3; i++)
		channel_send(&ch, (void *)i);
	err = channel_close(&ch);
	EXPECT_OR_OUT(c, err == 0, "R2", "the first channel_close() returned %d; expected 0", err);
	err = channel_send(&ch, (void *)(uintptr_t)99);
	EXPECT_OR_OUT(c, err == EPIPE, "R2", "channel_send() on a closed channel returned %d; "
	       "expected EPIPE (%d)", err, EPIPE);
	for (uintptr_t i = 1; i <= 3; i++) {
		err = channel_recv(&ch, &item);
		EXPECT_OR_OUT(c, err == 0 && item == (void *)i, "R2",
		       "receive %zu after close returned %d with item %zu; expected 0 with "
		       "item %zu: a closed channel still hands out what was queued",
		       (size_t)i, err, (size_t)(uintptr_t)item, (size_t)i);
	}
	for (int k = 0; k < 2; k++) {
		err = channel_recv(&ch, &item);
		EXPECT_OR_OUT(c, err == EPIPE, "R2", "channel_recv() on a closed, drained channel "
		       "returned %d; expected EPIPE (%d)", err, EPIPE);
	}
	err = channel_close(&ch);
	EXPECT_OR_OUT(c, err == EPIPE, "R2", "closing a closed channel returned %d; expected "
	       "EPIPE (%d)", err, EPIPE);
out:
	/* Also after a failed check: the leaks gate must blame only the learner. */
	channel_destroy(&ch);
}

static void close_wakes_waiting_senders_and_receivers(struct check *c,
						      const struct scenario_env *env)
{
	struct channel ch;
	struct channel_helper r = { .ch = &ch }, s = { .ch = &ch, .nitems = 3 };
	pthread_t tid;
	void *item;
	int err;

	(void)env;
	/* A receiver waiting on an empty channel. */
	if (channel_init(&ch, 2))
		return check_fail(c, "R2", "channel_init(capacity 2) failed");
	atomic_init(&r.last_err, -1);
	pthread_create(&tid, NULL, receive_one, &r);
	world_sleep_ns(20 * MS);
	channel_close(&ch);
	if (!WAIT_UNTIL(helper_err(&r) != -1, 1000)) {
		/* Never returned: leave it and the channel alone. */
		return check_fail(c, "R2", "a receiver waiting on an empty channel was still "
				  "waiting 1 s after channel_close(); expected EPIPE at once");
	}
	pthread_join(tid, NULL);
	channel_destroy(&ch);
	EXPECT(c, helper_err(&r) == EPIPE, "R2", "a receiver waiting on an empty "
	       "channel got %d when it was closed; expected EPIPE (%d)",
	       helper_err(&r), EPIPE);

	/* A sender waiting on a full channel. */
	if (channel_init(&ch, 2))
		return check_fail(c, "R2", "channel_init(capacity 2) failed");
	atomic_init(&s.last_err, -1);
	pthread_create(&tid, NULL, send_items, &s);
	WAIT_UNTIL(helper_done(&s) >= 2, 1000);
	world_sleep_ns(20 * MS);
	channel_close(&ch);
	if (!WAIT_UNTIL(helper_err(&s) == EPIPE || helper_done(&s) == 3, 1000))
		return check_fail(c, "R2", "a sender waiting on a full channel was still "
				  "waiting 1 s after channel_close(); expected EPIPE at once");
	pthread_join(tid, NULL);
	EXPECT(c, helper_done(&s) == 2 && helper_err(&s) == EPIPE, "R2",
	       "a sender waiting on a full channel got %d when it was closed (%zu of 3 "
	       "sends succeeded); expected EPIPE after 2", helper_err(&s),
	       helper_done(&s));
	for (int k = 0; k < 2; k++) {
		err = channel_recv(&ch, &item);
		EXPECT(c, err == 0, "R2", "receive %d of the 2 queued items returned %d; "
		       "expected 0", k + 1, err);
	}
	err = channel_recv(&ch, &item);
	EXPECT(c, err == EPIPE, "R2", "the closed channel gave a third item (%d); the "
	       "refused send must not be queued", err);
	channel_destroy(&ch);
}

/* pipeline scenarios ----------------------------------------------------- */

struct run {
	struct epro_submission *subs;
	size_t n;
	struct pipeline_config cfg;
	struct pipeline *p;
	struct pipeline_report report;
	int *submit_ret;
	size_t accepted;		/* submissions that got 0 */
	int start_ret, wait_ret;
	int threads_before, threads_running, threads_after;
	uint64_t wait_ns;		/* time pipeline_wait() took */
};

/* Fresh services whose limits are the worker counts, and n submissions. */
static int run_prepare(struct run *run, size_t n, unsigned validators, unsigned scorers,
		       unsigned persisters, size_t capacity)
{
	memset(run, 0, sizeof(*run));
	run->n = n;
	run->cfg = (struct pipeline_config){ validators, scorers, persisters, capacity };
	run->subs = calloc(n + 1, sizeof(*run->subs));
	run->submit_ret = calloc(n + 1, sizeof(*run->submit_ret));
	if (!run->subs || !run->submit_ret)
		return ENOMEM;
	for (size_t i = 0; i <= n; i++)
		run->submit_ret[i] = -1;	/* not submitted */
	epro_generate(run->subs, n, 0xe960 + n);
	epro_reset();
	if (service_init(&epro_validator, "the validation service", VALIDATE_NS,
			 validators, n) ||
	    service_init(&epro_scorer, "the scoring service", SCORE_NS, scorers, n) ||
	    service_init(&epro_store, "the clinical database", PERSIST_NS, persisters, n))
		return ENOMEM;
	run->threads_before = census_threads();
	return 0;
}

static int run_start(struct run *run)
{
	run->start_ret = pipeline_start(&run->p, &run->cfg);
	run->threads_running = census_threads();
	return run->start_ret;
}

/* Submits subs[from..to-1]; stops at the first refusal. Returns it, or 0. */
static int run_submit(struct run *run, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		run->submit_ret[i] = pipeline_submit(run->p, &run->subs[i]);
		if (run->submit_ret[i])
			return run->submit_ret[i];
		run->accepted++;
	}
	return 0;
}

static void run_wait(struct run *run)
{
	uint64_t start = world_now_ns();

	run->report = (struct pipeline_report){ 12345, 54321, 777, false };
	run->wait_ret = pipeline_wait(run->p, &run->report);
	run->wait_ns = world_now_ns() - start;
	run->threads_after = census_settle(run->threads_before, 300);
}

/*
 * Prepares a run (run_prepare), parks the call for submission 0 in `held`
 * when it is not NULL (epro_hold), starts the pipeline and submits all n.
 * False, with the check failed for clause, when the harness ran out of
 * memory or pipeline_start() failed.
 */
static bool run_submitted(struct check *c, const char *clause, struct run *run, size_t n,
			  unsigned validators, unsigned scorers, unsigned persisters,
			  size_t capacity, struct service *held)
{
	if (run_prepare(run, n, validators, scorers, persisters, capacity)) {
		check_fail(c, clause, "out of memory in the harness");
		return false;
	}
	if (held)
		epro_hold(held, 0);
	if (run_start(run)) {
		check_fail(c, clause, "pipeline_start() returned %d", run->start_ret);
		return false;
	}
	run_submit(run, 0, n);
	return true;
}

/* The whole batch: start, submit everything, shut down, wait. */
static int run_batch(struct run *run, size_t n, unsigned validators, unsigned scorers,
		     unsigned persisters, size_t capacity)
{
	if (run_prepare(run, n, validators, scorers, persisters, capacity))
		return ENOMEM;
	if (run_start(run))
		return 0;
	run_submit(run, 0, n);
	pipeline_shutdown(run->p);
	run_wait(run);
	return 0;
}

/*
 * Frees what the run used, unless threads of the learner's code are still
 * running: they may still read the submissions and call the services.
 */
static void run_finish(struct run *run)
{
	epro_release();
	if (census_threads() > run->threads_before)
		return;
	service_destroy(&epro_validator);
	service_destroy(&epro_scorer);
	service_destroy(&epro_store);
	free(run->subs);
	free(run->submit_ret);
}

/*
 * Checks R3 for every submission of the run that was accepted (and that
 * the others were not processed). Returns false after check_fail().
 */
static bool each_accepted_processed_once(struct check *c, const char *clause,
					 const struct run *run, size_t submitted)
{
	for (size_t i = 0; i < run->n; i++) {
		bool accepted = i < submitted && run->submit_ret[i] == 0;
		bool complete = epro_is_complete(&run->subs[i]);
		uint32_t v = service_calls_for(&epro_validator, i);
		uint32_t s = service_calls_for(&epro_scorer, i);
		uint32_t w = service_calls_for(&epro_store, i);

		if (v != accepted || w != accepted || s != (accepted && complete)) {
			check_fail(c, clause, "submission %zu (%s, %s) was validated %u, scored "
				   "%u and persisted %u times by the time pipeline_wait() "
				   "returned; expected %u, %u and %u", i,
				   accepted ? "accepted" : "refused",
				   complete ? "complete" : "incomplete", v, s, w,
				   accepted, accepted && complete, accepted);
			return false;
		}
	}
	if (epro_wrong_calls()) {
		check_fail(c, clause, "%llu calls had a wrong argument (a wrong score "
			   "persisted, or an incomplete questionnaire scored)",
			   (unsigned long long)epro_wrong_calls());
		return false;
	}
	return true;
}

static void every_submission_processed_once(struct check *c, const struct scenario_env *env)
{
	struct run run;
	size_t n = env->small ? 24 : 96;

	if (run_batch(&run, n, 2, 2, 4, 4))
		return check_fail(c, "R3", "out of memory in the harness");
	if (run.start_ret)
		check_fail(c, "R3", "pipeline_start() returned %d; expected 0", run.start_ret);
	else if (run.accepted != n)
		check_fail(c, "R3", "pipeline_submit() refused submission %zu (%d) before any "
			   "shutdown; expected all %zu accepted", run.accepted,
			   run.submit_ret[run.accepted], n);
	else
		each_accepted_processed_once(c, "R3", &run, n);
	run_finish(&run);
}

static void report_counts_what_the_collector_received(struct check *c,
						       const struct scenario_env *env)
{
	struct run run;
	size_t n = env->small ? 24 : 80, complete;

	if (run_batch(&run, n, 2, 3, 4, 2))
		return check_fail(c, "R4", "out of memory in the harness");
	complete = epro_count_complete(run.subs, n);
	if (run.start_ret || run.wait_ret)
		check_fail(c, "R4", "pipeline_start() returned %d and pipeline_wait() %d; "
			   "expected 0 and 0", run.start_ret, run.wait_ret);
	else if (run.report.accepted != n || run.report.persisted != n ||
		 run.report.rejected != n - complete)
		check_fail(c, "R4", "the report says accepted=%zu persisted=%zu rejected=%zu; "
			   "expected %zu, %zu and %zu (every result reaches the collector)",
			   run.report.accepted, run.report.persisted, run.report.rejected,
			   n, n, n - complete);
	else if (run.report.by_signal)
		check_fail(c, "R4", "the report says the shutdown came from SIGTERM; it came "
			   "from pipeline_shutdown()");
	run_finish(&run);
}

static void each_stage_has_its_own_workers(struct check *c, const struct scenario_env *env)
{
	struct run run;
	size_t n = env->small ? 24 : 96;
	const struct { struct service *s; unsigned workers; const char *what; } stages[] = {
		{ &epro_validator, 3, "validations" },
		{ &epro_scorer, 2, "scorings" },
		{ &epro_store, 5, "writes" },
	};

	if (run_batch(&run, n, 3, 2, 5, 4))
		return check_fail(c, "R5", "out of memory in the harness");
	for (size_t k = 0; k < 3 && !c->failed; k++)
		if (service_peak(stages[k].s) > stages[k].workers)
			check_fail(c, "R5", "%u %s were in flight at once; the stage has %u "
				   "workers and %s accepts %u", service_peak(stages[k].s),
				   stages[k].what, stages[k].workers, stages[k].s->name,
				   stages[k].workers);
	run_finish(&run);
}

static void a_slow_worker_item_is_not_refused_downstream(struct check *c,
							 const struct scenario_env *env)
{
	struct run run;
	size_t n = env->small ? 8 : 16;

	/* Submission 0 stays in one validator until the two others have ended. */
	if (!run_submitted(c, "R6", &run, n, 3, 2, 3, n, &epro_validator))
		return;
	pipeline_shutdown(run.p);
	if (!WAIT_UNTIL(epro_hold_reached() && service_calls(&epro_store) == n - 1, 1000)) {
		epro_release();
		run_wait(&run);
		check_fail(c, "R6", "with submission 0 held in one validator, %llu of the %zu "
			   "others were persisted within 1 s; expected all of them",
			   (unsigned long long)service_calls(&epro_store), n - 1);
		return run_finish(&run);
	}
	/* The two idle validators find the intake closed and empty, and end. */
	WAIT_UNTIL(census_threads() <= run.threads_running - 2, 1000);
	epro_release();
	run_wait(&run);
	if (service_calls_for(&epro_store, 0) != 1 || run.report.persisted != n)
		check_fail(c, "R6", "submission 0, held in the last running validator while "
			   "the other validators ended, was persisted %u times and the collector "
			   "received %zu of %zu results; expected once and %zu: the stage's "
			   "output must stay open until its last worker is done",
			   service_calls_for(&epro_store, 0), run.report.persisted, n, n);
	run_finish(&run);
}

static void a_slow_write_does_not_stall_validation(struct check *c,
						   const struct scenario_env *env)
{
	struct run run;
	size_t n = env->small ? 8 : 12;

	/* Submission 0 is held in the database; the others keep flowing. */
	if (!run_submitted(c, "R10", &run, n, 1, 1, 2, n, &epro_store))
		return;
	if (!WAIT_UNTIL(service_calls(&epro_validator) == n && epro_hold_reached(), 1000))
		check_fail(c, "R10", "while submission 0 was being written, %llu of %zu "
			   "submissions were validated within 1 s; expected all: the stages "
			   "work at the same time", (unsigned long long)service_calls(&epro_validator),
			   n);
	epro_release();
	pipeline_shutdown(run.p);
	run_wait(&run);
	run_finish(&run);
}

static void shutdown_drains_everything_accepted(struct check *c, const struct scenario_env *env)
{
	struct run run;
	size_t n = env->small ? 16 : 48;
	int late;

	if (!run_submitted(c, "R7", &run, n, 2, 2, 4, 8, NULL))
		return;
	/* Many submissions are still queued in the channels now. */
	pipeline_shutdown(run.p);
	late = pipeline_submit(run.p, &run.subs[n]);
	run_wait(&run);
	if (late != EPIPE)
		check_fail(c, "R7", "pipeline_submit() after pipeline_shutdown() returned %d; "
			   "expected EPIPE (%d)", late, EPIPE);
	else if (!each_accepted_processed_once(c, "R7", &run, n))
		;
	else if (run.report.persisted != run.accepted)
		check_fail(c, "R7", "the collector received %zu results of %zu accepted "
			   "submissions after the shutdown; expected all of them",
			   run.report.persisted, run.accepted);
	else if (run.wait_ns > 1000 * (uint64_t)MS)
		check_fail(c, "R7", "pipeline_wait() took %.0f ms to drain %zu submissions; "
			   "expected well under 1 s", run.wait_ns / 1e6, n);
	else if (run.threads_after > run.threads_before)
		check_fail(c, "R7", "%d threads were still running after pipeline_wait() "
			   "returned; expected every pipeline thread joined",
			   run.threads_after - run.threads_before);
	run_finish(&run);
}

/*
 * True when thread tid of this process blocks SIGTERM, or is waiting for it
 * in sigwait() (which unblocks the awaited signals while it waits), from
 * /proc: then a SIGTERM cannot end the process through it.
 */
static bool takes_sigterm_safely(pid_t tid)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	long nr = -1;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &nr) != 1)
			nr = -1;
		fclose(f);
	}
	if (nr == SYS_rt_sigtimedwait)
		return true;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return true;	/* it has ended meanwhile */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			found = true;
	fclose(f);
	return !found || (mask & (1ull << (SIGTERM - 1)));
}

/* Whether one of the threads is waiting in sigwait() (from /proc). */
static bool any_in_sigwait(const struct census_tids *threads)
{
	for (int i = 0; i < threads->n; i++) {
		char path[64];
		long nr = -1;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", threads->tid[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%ld", &nr) != 1)
			nr = -1;
		fclose(f);
		if (nr == SYS_rt_sigtimedwait)
			return true;
	}
	return false;
}

/*
 * The deployment system's SIGTERM, delivered to the pipeline. A kill() of
 * the whole process could land on a thread of the test framework, which
 * does not block SIGTERM, and end the process; so the signal is sent to
 * each thread pipeline_start() created instead (all of them block it, which
 * the scenario has checked). The waiting thread takes its own with sigwait;
 * the others keep theirs pending until they end.
 */
static void send_sigterm_to(const struct census_tids *threads)
{
	for (int i = 0; i < threads->n; i++)
		syscall(SYS_tgkill, getpid(), threads->tid[i], SIGTERM);
}

static void sigterm_shuts_down_and_drains(struct check *c, const struct scenario_env *env)
{
	struct run run;
	size_t n = env->small ? 120 : 400, k = env->small ? 6 : 12;
	struct census_tids before, after, started = { 0 };
	pid_t open_tid = 0;
	int refused;

	if (run_prepare(&run, n, 2, 2, 4, 4))
		return check_fail(c, "R8b", "out of memory in the harness");
	census_tids_take(&before);
	if (run_start(&run))
		return check_fail(c, "R8b", "pipeline_start() returned %d", run.start_ret);
	census_tids_take(&after);
	for (int i = 0; i < after.n; i++) {
		if (census_tids_has(&before, after.tid[i]))
			continue;
		started.tid[started.n++] = after.tid[i];
		if (!takes_sigterm_safely(after.tid[i]))
			open_tid = after.tid[i];
	}
	if (!takes_sigterm_safely((pid_t)syscall(SYS_gettid)) || open_tid) {
		/* A SIGTERM now could end this process: shut down instead. */
		check_fail(c, "R8a", "after pipeline_start(), %s does not block SIGTERM; a "
			   "SIGTERM could be delivered to it and end the process: block it "
			   "in the caller before creating the threads",
			   open_tid ? "a thread the pipeline started" : "the calling thread");
		pipeline_shutdown(run.p);
		run_wait(&run);
		return run_finish(&run);
	}
	run_submit(&run, 0, k);
	send_sigterm_to(&started);
	refused = run_submit(&run, k, n);
	if (refused != EPIPE) {
		check_fail(c, "R8b", "after a SIGTERM, pipeline_submit() accepted %zu more "
			   "submissions and then returned %d; expected EPIPE soon after the "
			   "signal", run.accepted - k, refused);
		pipeline_shutdown(run.p);
		run_wait(&run);
		return run_finish(&run);
	}
	run_wait(&run);
	if (!each_accepted_processed_once(c, "R8b", &run, n))
		;
	else if (!run.report.by_signal)
		check_fail(c, "R8b", "report->by_signal is false after a shutdown by SIGTERM");
	else if (run.report.accepted != run.accepted || run.report.persisted != run.accepted)
		check_fail(c, "R8b", "the report says accepted=%zu persisted=%zu; %zu "
			   "submissions were accepted before the SIGTERM took effect",
			   run.report.accepted, run.report.persisted, run.accepted);
	else if (run.wait_ns > 1000 * (uint64_t)MS)
		check_fail(c, "R8b", "pipeline_wait() took %.0f ms after the SIGTERM; "
			   "expected the drain to take well under 1 s", run.wait_ns / 1e6);
	else if (run.threads_after > run.threads_before)
		check_fail(c, "R8b", "%d threads were still running after pipeline_wait() "
			   "returned", run.threads_after - run.threads_before);
	run_finish(&run);
}

/*
 * R8c: a thread that did not block SIGTERM before pipeline_start() does not
 * block it after pipeline_wait() either. (A prime number of submissions,
 * channels of capacity 1.)
 */
static void wait_restores_the_signal_mask(struct check *c, const struct scenario_env *env)
{
	sigset_t term, saved, now;
	struct run run;
	bool blocked;

	(void)env;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (run_prepare(&run, 7, 1, 2, 3, 1))
		return check_fail(c, "R8c", "out of memory in the harness");
	pthread_sigmask(SIG_UNBLOCK, &term, &saved);
	if (run_start(&run)) {
		pthread_sigmask(SIG_SETMASK, &saved, NULL);
		check_fail(c, "R8c", "pipeline_start() returned %d; expected 0", run.start_ret);
		return run_finish(&run);
	}
	run_submit(&run, 0, 7);
	pipeline_shutdown(run.p);
	run_wait(&run);
	pthread_sigmask(SIG_BLOCK, NULL, &now);
	blocked = sigismember(&now, SIGTERM) == 1;
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (each_accepted_processed_once(c, "R3", &run, 7) && blocked)
		check_fail(c, "R8c", "after pipeline_wait() returned, the thread that called "
			   "pipeline_start() still blocks SIGTERM; expected its mask as it "
			   "was before pipeline_start() (SIGTERM not blocked): save the old "
			   "mask and restore it once the pipeline's threads have ended");
	run_finish(&run);
}


/* Whether the calling thread blocks SIGTERM now. */
static bool sigterm_blocked_here(void)
{
	sigset_t now;

	pthread_sigmask(SIG_BLOCK, NULL, &now);
	return sigismember(&now, SIGTERM) == 1;
}

static void *do_nothing(void *arg)
{
	return arg;
}

/*
 * R9 and R8c when a thread cannot be started: the (k+1)th pthread_create()
 * of pipeline_start() fails with EAGAIN (as when the system is out of
 * threads), for several k (a pipeline of 2/2/2 workers starts at least 8
 * threads: the signal waiter, the workers and the collector, in whatever
 * order). pipeline_start() must return that error with every thread it did
 * start ended, *out untouched, and the caller's signal mask as it was.
 */
static void a_failed_start_leaves_nothing(struct check *c, const struct scenario_env *env)
{
	static const int fail_at[] = { 3, 1, 7, 0 };	/* threads started before the failure */
	struct run run;
	sigset_t term, saved;

	(void)env;
	if (run_prepare(&run, 4, 2, 2, 2, 4))
		return check_fail(c, "R9", "out of memory in the harness");
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &term, &saved);
	for (size_t k = 0; k < sizeof(fail_at) / sizeof(fail_at[0]) && !c->failed; k++) {
		struct pipeline *sentinel = (struct pipeline *)&run, *p = sentinel;
		int err, left;
		bool blocked;

		if (fail_at[k] == 0) {
			/* 0 would cancel: a thread of the harness takes the one success. */
			pthread_t idle;

			perturb_fail_create_after(1);
			if (pthread_create(&idle, NULL, do_nothing, NULL) == 0)
				pthread_join(idle, NULL);
		} else {
			perturb_fail_create_after(fail_at[k]);
		}
		err = pipeline_start(&p, &run.cfg);
		perturb_fail_create_after(0);
		blocked = sigterm_blocked_here();
		if (err == 0) {
			check_fail(c, "R9", "pipeline_start(validators=2, scorers=2, persisters=2) "
				   "returned 0 although pthread_create() failed with EAGAIN after "
				   "%d threads had started; expected that error (%d)", fail_at[k],
				   EAGAIN);
			run.p = p;
			pipeline_shutdown(run.p);
			run_wait(&run);
			break;
		}
		left = census_settle(run.threads_before, 50) - run.threads_before;
		pthread_sigmask(SIG_UNBLOCK, &term, NULL);
		if (err != EAGAIN)
			check_fail(c, "R9", "pipeline_start() returned %d when pthread_create() "
				   "failed with EAGAIN after %d threads had started; expected that "
				   "error (%d)", err, fail_at[k], EAGAIN);
		else if (left > 0)
			check_fail(c, "R9", "pipeline_start() returned EAGAIN after %d threads had "
				   "started and the next pthread_create() failed, and %d threads were "
				   "still running 50 ms later; expected every thread it started "
				   "ended and joined first (they use the pipeline's channels)",
				   fail_at[k], left);
		else if (p != sentinel)
			check_fail(c, "R9", "pipeline_start() returned EAGAIN and changed *out; "
				   "expected it untouched when the start fails");
		else if (blocked)
			check_fail(c, "R8c", "pipeline_start() returned EAGAIN after %d threads had "
				   "started and left SIGTERM blocked in the calling thread, which did "
				   "not block it before; expected its signal mask as it was",
				   fail_at[k]);
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	run_finish(&run);
}

/*
 * R8b: a SIGTERM that arrives during the drain of a pipeline_shutdown()
 * changes nothing. Submission 0 is held in the database, the shutdown is
 * asked for, then every pipeline thread gets a SIGTERM; once the waiting
 * thread has taken it, the write is let go. The report must still say the
 * shutdown came from the call, and everything accepted is persisted.
 */
static void sigterm_during_a_drain_changes_nothing(struct check *c,
						   const struct scenario_env *env)
{
	struct run run;
	size_t n = env->small ? 8 : 16;
	struct census_tids before, after, started = { 0 };
	bool safe = true;

	if (run_prepare(&run, n, 2, 2, 3, n))
		return check_fail(c, "R8b", "out of memory in the harness");
	epro_hold(&epro_store, 0);
	census_tids_take(&before);
	if (run_start(&run))
		return check_fail(c, "R8b", "pipeline_start() returned %d", run.start_ret);
	census_tids_take(&after);
	for (int i = 0; i < after.n; i++) {
		if (census_tids_has(&before, after.tid[i]))
			continue;
		started.tid[started.n++] = after.tid[i];
		safe = safe && takes_sigterm_safely(after.tid[i]);
	}
	run_submit(&run, 0, n);
	if (!safe || !takes_sigterm_safely((pid_t)syscall(SYS_gettid))) {
		/* A SIGTERM now could end this process (R8a has its own scenario). */
		epro_release();
		pipeline_shutdown(run.p);
		run_wait(&run);
		return run_finish(&run);
	}
	WAIT_UNTIL(epro_hold_reached() && any_in_sigwait(&started), 1000);
	pipeline_shutdown(run.p);
	send_sigterm_to(&started);
	/* The signal waiter takes it (it leaves sigwait, or ends). */
	WAIT_UNTIL(!any_in_sigwait(&started), 1000);
	world_sleep_ns(20 * MS);
	epro_release();
	run_wait(&run);
	if (!each_accepted_processed_once(c, "R8b", &run, n))
		;
	else if (run.report.by_signal)
		check_fail(c, "R8b", "report->by_signal is true after pipeline_shutdown() "
			   "followed, during the drain, by a SIGTERM; expected false: the "
			   "shutdown came from the call, and a later SIGTERM changes nothing");
	else if (run.report.persisted != run.accepted)
		check_fail(c, "R8b", "the collector received %zu results of %zu accepted "
			   "submissions; expected all of them", run.report.persisted,
			   run.accepted);
	else if (run.threads_after > run.threads_before)
		check_fail(c, "R8b", "%d threads were still running after pipeline_wait() "
			   "returned", run.threads_after - run.threads_before);
	run_finish(&run);
}

static void bad_arguments_are_einval(struct check *c, const struct scenario_env *env)
{
	static const struct pipeline_config bad[] = {
		{ 0, 1, 1, 4 }, { 1, 0, 1, 4 }, { 1, 1, 0, 4 }, { 1, 1, 1, 0 },
	};
	struct run run;
	sigset_t term, saved;
	int err;

	(void)env;
	if (run_prepare(&run, 4, 1, 1, 1, 4))
		return check_fail(c, "R9", "out of memory in the harness");
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &term, &saved);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct pipeline *p = NULL;
		bool blocked;

		err = pipeline_start(&p, &bad[k]);
		blocked = sigterm_blocked_here();
		pthread_sigmask(SIG_UNBLOCK, &term, NULL);
		if (err != EINVAL || census_threads() != run.threads_before) {
			pthread_sigmask(SIG_SETMASK, &saved, NULL);
			check_fail(c, "R9", "pipeline_start(validators=%u, scorers=%u, "
				   "persisters=%u, capacity=%zu) returned %d with %d threads "
				   "started; expected EINVAL (%d) and none", bad[k].validators,
				   bad[k].scorers, bad[k].persisters, bad[k].capacity, err,
				   census_threads() - run.threads_before, EINVAL);
			return run_finish(&run);
		}
		if (blocked) {
			pthread_sigmask(SIG_SETMASK, &saved, NULL);
			check_fail(c, "R8c", "pipeline_start(validators=%u, scorers=%u, "
				   "persisters=%u, capacity=%zu) returned EINVAL and left SIGTERM "
				   "blocked in the calling thread, which did not block it before; "
				   "expected its signal mask as it was (check the arguments before "
				   "blocking, or restore the mask on every failure)",
				   bad[k].validators, bad[k].scorers, bad[k].persisters,
				   bad[k].capacity);
			return run_finish(&run);
		}
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (run_start(&run))
		return check_fail(c, "R9", "pipeline_start() returned %d", run.start_ret);
	err = pipeline_submit(run.p, NULL);
	pipeline_shutdown(run.p);
	run_wait(&run);
	if (err != EINVAL)
		check_fail(c, "R9", "pipeline_submit(p, NULL) returned %d; expected EINVAL (%d)",
			   err, EINVAL);
	run_finish(&run);
}

static void small_runs_work(struct check *c, const struct scenario_env *env)
{
	static const struct { size_t n; unsigned v, s, w; size_t cap; } cases[] = {
		{ 0, 2, 2, 2, 2 }, { 1, 1, 1, 1, 1 }, { 5, 1, 1, 1, 1 }, { 3, 4, 4, 8, 1 },
	};

	(void)env;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]) && !c->failed; k++) {
		struct run run;

		if (run_batch(&run, cases[k].n, cases[k].v, cases[k].s, cases[k].w,
			      cases[k].cap))
			return check_fail(c, "R3", "out of memory in the harness");
		if (run.start_ret || run.accepted != cases[k].n)
			check_fail(c, "R3", "n=%zu, workers %u/%u/%u, capacity %zu: "
				   "pipeline_start() returned %d and %zu submissions were "
				   "accepted; expected 0 and all", cases[k].n, cases[k].v,
				   cases[k].s, cases[k].w, cases[k].cap, run.start_ret,
				   run.accepted);
		else if (each_accepted_processed_once(c, "R3", &run, cases[k].n) &&
			 run.report.persisted != cases[k].n)
			check_fail(c, "R4", "n=%zu, workers %u/%u/%u, capacity %zu: the "
				   "collector received %zu results; expected %zu", cases[k].n,
				   cases[k].v, cases[k].s, cases[k].w, cases[k].cap,
				   run.report.persisted, cases[k].n);
		run_finish(&run);
	}
}

CHAPTER_SCENARIOS(
	SCENARIO(channel_is_a_bounded_fifo, "R1a R1b R1c"),
	SCENARIO(channel_under_contention, "R1a R1b R2"),
	SCENARIO(closed_channel_drains_then_reports_closed, "R2"),
	SCENARIO(close_wakes_waiting_senders_and_receivers, "R2"),
	SCENARIO(every_submission_processed_once, "R3"),
	SCENARIO(small_runs_work, "R3"),
	SCENARIO(report_counts_what_the_collector_received, "R4"),
	SCENARIO(each_stage_has_its_own_workers, "R5"),
	SCENARIO(a_slow_worker_item_is_not_refused_downstream, "R6"),
	SCENARIO(shutdown_drains_everything_accepted, "R7"),
	SCENARIO(sigterm_shuts_down_and_drains, "R8a R8b"),
	SCENARIO(wait_restores_the_signal_mask, "R8c"),
	SCENARIO(sigterm_during_a_drain_changes_nothing, "R8b"),
	SCENARIO(bad_arguments_are_einval, "R9 R8c"),
	SCENARIO(a_failed_start_leaves_nothing, "R9 R8c"),
	SCENARIO(a_slow_write_does_not_stall_validation, "R10")
);
