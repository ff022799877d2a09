/*
 * 09-fan-out-fan-in.c - scenarios for chapter 09 (fanout.h)
 *
 * The channel scenarios drive one struct schan with helper threads of their
 * own (senders and receivers whose progress the scenario reads under a
 * lock), and put those threads to sleep inside the channel before the step
 * under test, so that a missing wake-up shows on every run. A receiver that
 * arrives late notes the time it called schan_recv(); a send that returns
 * before that time did not wait for a receiver. The report scenarios run
 * monthly_report() on a fresh simulated history database (histories.h)
 * whose connection budget is the worker count; one of them parks a query
 * until the other workers have ended, to force the early-close interleaving.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "clock.h"
#include "fanout.h"
#include "perturb.h"
#include "scenario.h"

#define MS 1000000u
#define QUERY_NS (1 * MS)

/* ---- helper threads that use a channel ---- */

/*
 * A sender sends items first..first+count-1 (as pointers) and stops at the
 * first error; a receiver receives up to count items, or until an error.
 * delay_ns: how long it sleeps before its first call. The fields under
 * `lock` are how the scenario watches it.
 */
struct actor {
	pthread_t thread;
	bool sender;
	struct schan *ch;
	size_t first, count;
	uint64_t delay_ns;
	_Atomic uint32_t *seen;		/* receiver: per item id, or NULL */
	size_t nseen;
	atomic_bool *closing;		/* receiver: EPIPE is expected once set */

	pthread_mutex_t lock;		/* protects the fields below */
	pid_t tid;			/* kernel thread id, 0 until it runs */
	uint64_t called_ns;		/* when its first call started */
	uint64_t returned_ns;		/* when its last call returned */
	size_t done;			/* calls that returned 0 */
	int err;			/* first non-zero return, 0 if none */
	void *got;			/* receiver: the last item received */
	size_t early_epipe;		/* receiver: EPIPE before *closing was set */
	size_t bad_items;		/* receiver: items outside 1..nseen */
	size_t last_sent_ok;		/* sender: id of the last item sent with 0 */
	bool finished;
};

static void *actor_main(void *arg)
{
	struct actor *a = arg;

	pthread_mutex_lock(&a->lock);
	a->tid = gettid();
	pthread_mutex_unlock(&a->lock);
	if (a->delay_ns)
		world_sleep_ns(a->delay_ns);
	for (size_t i = 0; i < a->count; i++) {
		void *item = NULL;
		uint64_t now = world_now_ns();
		int err;

		pthread_mutex_lock(&a->lock);
		if (!a->called_ns)
			a->called_ns = now;
		pthread_mutex_unlock(&a->lock);
		if (a->sender)
			err = schan_send(a->ch, (void *)(uintptr_t)(a->first + i));
		else
			err = schan_recv(a->ch, &item);
		now = world_now_ns();
		pthread_mutex_lock(&a->lock);
		a->returned_ns = now;
		if (err) {
			a->err = err;
			if (!a->sender && a->closing && !atomic_load(a->closing))
				a->early_epipe++;
		} else {
			a->done++;
			if (a->sender) {
				a->last_sent_ok = a->first + i;
			} else {
				size_t id = (size_t)(uintptr_t)item;

				a->got = item;
				if (a->seen && (id == 0 || id > a->nseen))
					a->bad_items++;
				else if (a->seen)
					atomic_fetch_add_explicit(&a->seen[id - 1], 1,
								  memory_order_relaxed);
			}
		}
		pthread_mutex_unlock(&a->lock);
		if (err && !(a->closing && !a->sender && !atomic_load(a->closing)))
			break;
	}
	pthread_mutex_lock(&a->lock);
	a->finished = true;
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static int actor_start(struct actor *a, bool sender, struct schan *ch, size_t first,
		       size_t count, uint64_t delay_ns)
{
	int err;

	memset(a, 0, sizeof(*a));
	a->sender = sender;
	a->ch = ch;
	a->first = first;
	a->count = count;
	a->delay_ns = delay_ns;
	pthread_mutex_init(&a->lock, NULL);
	err = pthread_create(&a->thread, NULL, actor_main, a);
	if (err)
		pthread_mutex_destroy(&a->lock);
	return err;
}

/* A copy of the actor's watched fields, read under its lock. */
static struct actor actor_view(struct actor *a)
{
	struct actor v;

	pthread_mutex_lock(&a->lock);
	v.tid = a->tid;
	v.called_ns = a->called_ns;
	v.returned_ns = a->returned_ns;
	v.done = a->done;
	v.err = a->err;
	v.got = a->got;
	v.early_epipe = a->early_epipe;
	v.bad_items = a->bad_items;
	v.last_sent_ok = a->last_sent_ok;
	v.finished = a->finished;
	pthread_mutex_unlock(&a->lock);
	return v;
}

/* scenario_holds over an array of actors: actor i has finished. */
static bool finished_at(void *actors, size_t i)
{
	return actor_view(&((struct actor *)actors)[i]).finished;
}

/* scenario_holds over an array of actors: actor i made its first call and sleeps in it. */
static bool asleep_at(void *actors, size_t i)
{
	struct actor v = actor_view(&((struct actor *)actors)[i]);

	return v.tid && v.called_ns && !v.finished && census_thread_state(v.tid) == 'S';
}

/*
 * Wakes whoever the learner's channel left asleep, so that a failing
 * scenario can still join its threads: marks the channel closed and wakes
 * every condition the header names.
 */
static void rescue(struct schan *ch)
{
	pthread_mutex_lock(&ch->lock);
	ch->closed = true;
	pthread_cond_broadcast(&ch->slot_free);
	pthread_cond_broadcast(&ch->offered);
	pthread_cond_broadcast(&ch->taken);
	pthread_mutex_unlock(&ch->lock);
}

/*
 * Ends every actor (closing ch, rescuing it if that is not enough), joins
 * them and destroys ch. Returns false when some actor would not end: then
 * nothing is joined or destroyed (they may still use ch).
 */
static bool finish_channel(struct schan *ch, struct actor *actors, size_t n)
{
	schan_close(ch);
	if (scenario_wait_all(n, finished_at, actors, 0.5)) {
		rescue(ch);
		if (scenario_wait_all(n, finished_at, actors, 1.0)) {
			for (size_t i = 0; i < n; i++)
				pthread_detach(actors[i].thread);
			return false;
		}
	}
	for (size_t i = 0; i < n; i++) {
		pthread_join(actors[i].thread, NULL);
		pthread_mutex_destroy(&actors[i].lock);
	}
	schan_destroy(ch);
	return true;
}

/*
 * A fresh channel ch with one actor a on it (a sender of item `first`, or a
 * receiver; one call, after delay_ns). False after failing the check for
 * clause when the set-up failed: then nothing is left to finish. Otherwise
 * the caller ends both with finish_channel(ch, a, 1).
 */
static bool channel_with_actor(struct check *c, const char *clause, struct schan *ch,
			       struct actor *a, bool sender, size_t first, uint64_t delay_ns)
{
	if (schan_init(ch)) {
		check_fail(c, clause, "schan_init() failed");
		return false;
	}
	if (actor_start(a, sender, ch, first, 1, delay_ns)) {
		schan_destroy(ch);
		check_fail(c, clause, "harness set-up failed (pthread_create)");
		return false;
	}
	return true;
}

/* ---- the channel ---- */

static void send_waits_for_a_receiver(struct check *c, const struct scenario_env *env)
{
	struct schan ch;
	struct actor late, lone, v;
	uint64_t start, returned;
	void *item = NULL;
	int err;

	(void)env;
	/* A receiver that comes 60 ms after the send started. */
	if (!channel_with_actor(c, "R1a", &ch, &late, false, 0, 60 * MS))
		return;
	start = world_now_ns();
	err = schan_send(&ch, (void *)(uintptr_t)7);
	returned = world_now_ns();
	v = actor_view(&late);
	if (err != 0)
		check_fail(c, "R1a", "schan_send() returned %d with a receiver coming; expected "
			   "0 once it took the item", err);
	else if (!v.called_ns || returned < v.called_ns)
		check_fail(c, "R1a", "schan_send() returned 0 after %.1f ms, before any receiver "
			   "had called schan_recv() (the receiver came after 60 ms); expected "
			   "the send to wait until a receiver took the item: \"accepted\" must "
			   "mean that the checker has the job", (returned - start) / 1e6);
	if (!finish_channel(&ch, &late, 1))
		return check_fail(c, "R1a", "a receiver was still blocked in schan_recv() after "
				  "the channel was closed");
	if (c->failed)
		return;
	/* Joined: its fields can be read without its (destroyed) lock. */
	EXPECT(c, late.done == 1 && late.got == (void *)(uintptr_t)7, "R1a",
	       "the late receiver got %zu item(s), the last one %zu; expected item 7",
	       late.done, (size_t)(uintptr_t)late.got);

	/* A sender with nobody receiving: still waiting 100 ms later. */
	if (!channel_with_actor(c, "R1a", &ch, &lone, true, 5, 0))
		return;
	world_sleep_ns(100 * MS);
	v = actor_view(&lone);
	if (v.finished) {
		check_fail(c, "R1a", "schan_send() with no receiver at all returned %d within "
			   "100 ms; expected it to wait until a receiver takes the item", v.err);
	} else {
		err = schan_recv(&ch, &item);
		if (err || item != (void *)(uintptr_t)5)
			check_fail(c, "R1a", "schan_recv() beside a waiting sender of item 5 "
				   "returned %d with item %zu; expected 0 and 5", err,
				   (size_t)(uintptr_t)item);
		else if (scenario_wait_all(1, finished_at, &lone, 1.0))
			check_fail(c, "R1a", "a sender whose item was taken was still waiting "
				   "1 s later; expected schan_send() to return 0");
		else if ((v = actor_view(&lone)).err)
			check_fail(c, "R1a", "a sender whose item was taken got %d; expected 0",
				   v.err);
	}
	if (!finish_channel(&ch, &lone, 1) && !c->failed)
		check_fail(c, "R1a", "a sender was still blocked in schan_send() after the "
			   "channel was closed");
}

static void recv_waits_for_a_sender(struct check *c, const struct scenario_env *env)
{
	struct schan ch;
	struct actor receiver, v;
	int err;

	(void)env;
	if (!channel_with_actor(c, "R1b", &ch, &receiver, false, 0, 0))
		return;
	scenario_wait_all_steady(1, asleep_at, &receiver, 1.0);
	world_sleep_ns(20 * MS);
	v = actor_view(&receiver);
	if (v.finished) {
		check_fail(c, "R1b", "schan_recv() on a channel nobody sends on returned %d; "
			   "expected it to wait for a sender", v.err);
	} else {
		err = schan_send(&ch, (void *)(uintptr_t)42);
		if (err)
			check_fail(c, "R1b", "schan_send() to a waiting receiver returned %d; "
				   "expected 0", err);
		else if (scenario_wait_all(1, finished_at, &receiver, 1.0))
			check_fail(c, "R1b", "a receiver waiting in schan_recv() was still waiting "
				   "1 s after schan_send() returned 0 to its sender");
		else if ((v = actor_view(&receiver)).err || v.got != (void *)(uintptr_t)42)
			check_fail(c, "R1b", "a waiting receiver got %d with item %zu; expected 0 "
				   "with item 42", v.err, (size_t)(uintptr_t)v.got);
	}
	if (!finish_channel(&ch, &receiver, 1) && !c->failed)
		check_fail(c, "R1b", "a receiver was still blocked in schan_recv() after the "
			   "channel was closed");
}

#define SIDE 3

struct crowd_sides {
	struct actor *senders, *receivers;
};

/* scenario_holds: the receivers have recorded as many items as were sent. */
static bool received_all_sent(void *ctx, size_t i)
{
	struct crowd_sides *sides = ctx;
	size_t sent = 0, got = 0;

	(void)i;
	for (size_t k = 0; k < SIDE; k++) {
		sent += actor_view(&sides->senders[k]).done;
		got += actor_view(&sides->receivers[k]).done;
	}
	return got >= sent;
}

/*
 * A receiver records its item just after schan_recv() returns, which may be
 * after the matching schan_send() has returned: waits (up to 1 s) until the
 * receivers have recorded as many items as the senders had sent, so that a
 * receiver preempted between the two is not taken for a lost item.
 */
static void receivers_catch_up(struct actor *senders, struct actor *receivers)
{
	scenario_wait_all(1, received_all_sent, &(struct crowd_sides){ senders, receivers }, 1.0);
}

/*
 * Tallies a crowd run: every item 1..total whose send returned 0 must have
 * been received exactly once, every other item never. Returns false after
 * check_fail().
 */
static bool tally(struct check *c, const char *clause, struct actor *senders,
		  struct actor *receivers, _Atomic uint32_t *seen, size_t per_sender)
{
	size_t total = per_sender * SIDE, lost = 0, doubled = 0, ghost = 0, first = 0;
	size_t received = 0, bad = 0;

	receivers_catch_up(senders, receivers);
	for (size_t s = 0; s < SIDE; s++) {
		struct actor v = actor_view(&senders[s]);

		for (size_t k = 0; k < per_sender; k++) {
			size_t id = senders[s].first + k;
			uint32_t n = atomic_load_explicit(&seen[id - 1], memory_order_relaxed);
			bool ok = k < v.done;	/* sends stop at the first error */

			if ((ok && n != 1) || (!ok && n != 0)) {
				if (!first)
					first = id;
				lost += ok && n == 0;
				doubled += n > 1;
				ghost += !ok && n == 1;
			}
		}
	}
	for (size_t r = 0; r < SIDE; r++) {
		struct actor v = actor_view(&receivers[r]);

		received += v.done;
		bad += v.bad_items;
	}
	if (lost || doubled || ghost || bad) {
		check_fail(c, clause, "of %zu items sent by 3 senders to 3 receivers, %zu "
			   "sends returned 0 but their item never came out, %zu items came out "
			   "more than once, %zu sends did not return 0 but their item was "
			   "received (a silent drop in reverse: refused and delivered), %zu "
			   "unknown items (first: item %zu); expected each item delivered "
			   "exactly when its send returned 0", total, lost, doubled, ghost, bad,
			   first);
		return false;
	}
	(void)received;
	return true;
}

/* Starts SIDE senders (items 1..) and SIDE receivers that expect a close. */
static size_t crowd_start(struct schan *ch, struct actor *all, size_t per_sender,
			  _Atomic uint32_t *seen, atomic_bool *closing)
{
	size_t started = 0;

	for (size_t i = 0; i < SIDE; i++) {
		struct actor *r = &all[SIDE + i];

		if (actor_start(&all[i], true, ch, 1 + i * per_sender, per_sender, 0))
			break;
		started++;
		memset(r, 0, sizeof(*r));
		r->sender = false;
		r->ch = ch;
		r->count = (size_t)-1;
		r->seen = seen;
		r->nseen = per_sender * SIDE;
		r->closing = closing;
		pthread_mutex_init(&r->lock, NULL);
		if (pthread_create(&r->thread, NULL, actor_main, r)) {
			pthread_mutex_destroy(&r->lock);
			break;
		}
		started++;
	}
	return started;
}

static void handoff_under_contention(struct check *c, const struct scenario_env *env)
{
	size_t per_sender = env->small ? 200 : 1500, total = per_sender * SIDE, early = 0;
	_Atomic uint32_t *seen = calloc(total, sizeof(*seen));
	struct actor all[2 * SIDE];
	atomic_bool closing = false;
	struct schan ch;
	size_t started;

	if (!seen || schan_init(&ch)) {
		free(seen);
		return check_fail(c, "R1c", "harness set-up failed");
	}
	started = crowd_start(&ch, all, per_sender, seen, &closing);
	if (started < 2 * SIDE) {
		check_fail(c, "R1c", "harness set-up failed (pthread_create)");
		atomic_store(&closing, true);
		if (finish_channel(&ch, all, started))
			free(seen);
		return;
	}
	if (scenario_wait_all(SIDE, finished_at, all, 6.0))
		check_fail(c, "R1c", "3 senders had not sent their %zu items each to 3 "
			   "receivers within 6 s", per_sender);
	for (size_t i = 0; i < SIDE && !c->failed; i++) {
		struct actor v = actor_view(&all[i]);

		if (v.err || v.done != per_sender)
			check_fail(c, "R1c", "a sender's schan_send() returned %d after %zu of "
				   "%zu items, on an open channel with 3 receivers; expected 0 "
				   "every time", v.err, v.done, per_sender);
	}
	for (size_t i = SIDE; i < 2 * SIDE; i++)
		early += actor_view(&all[i]).early_epipe;
	if (!c->failed && early)
		check_fail(c, "R1b", "schan_recv() returned EPIPE %zu times on an open channel "
			   "(3 senders, 3 receivers); expected it to wait for a sender", early);
	if (!c->failed)
		tally(c, "R1c", all, all + SIDE, seen, per_sender);
	atomic_store(&closing, true);
	if (!finish_channel(&ch, all, 2 * SIDE)) {
		if (!c->failed)
			check_fail(c, "R2b", "after the 3 senders were done, the 3 receivers were "
				   "still blocked 0.5 s after schan_close(); expected each to "
				   "return EPIPE");
		return;
	}
	free(seen);
}

static void close_in_flight_never_drops_silently(struct check *c,
						  const struct scenario_env *env)
{
	size_t per_sender = env->small ? 400 : 4000, total = per_sender * SIDE;
	_Atomic uint32_t *seen = calloc(total, sizeof(*seen));
	struct actor all[2 * SIDE];
	atomic_bool closing = false;
	size_t started, moved = 0;
	struct schan ch;

	if (!seen || schan_init(&ch)) {
		free(seen);
		return check_fail(c, "R2c", "harness set-up failed");
	}
	started = crowd_start(&ch, all, per_sender, seen, &closing);
	if (started == 2 * SIDE) {
		/* Close in the middle of the traffic. */
		uint64_t until = world_now_ns() + scenario_scaled_ns(1.0);

		while (moved < total / 6 && world_now_ns() < until) {
			world_sleep_ns(MS);
			moved = 0;
			for (size_t i = SIDE; i < 2 * SIDE; i++)
				moved += actor_view(&all[i]).done;
		}
	}
	atomic_store(&closing, true);
	schan_close(&ch);
	if (scenario_wait_all(started, finished_at, all, 1.0)) {
		check_fail(c, "R2c", "%zu of the 6 senders and receivers were still blocked 1 s "
			   "after schan_close() in the middle of the traffic; expected every "
			   "one to return",
			   scenario_wait_all(started, finished_at, all, 0));
		if (finish_channel(&ch, all, started))
			free(seen);
		return;
	}
	if (started < 2 * SIDE)
		check_fail(c, "R2c", "harness set-up failed (pthread_create)");
	else
		tally(c, "R2c", all, all + SIDE, seen, per_sender);
	if (finish_channel(&ch, all, started))
		free(seen);
}

static void close_answers_then_refuses(struct check *c, const struct scenario_env *env)
{
	struct schan ch;
	struct actor late[2], v;
	int first, second;

	(void)env;
	if (schan_init(&ch))
		return check_fail(c, "R2a", "schan_init() failed");
	first = schan_close(&ch);
	second = schan_close(&ch);
	if (first != 0 || second != EPIPE) {
		check_fail(c, "R2a", "schan_close() returned %d, then %d when called again; "
			   "expected 0, then EPIPE (%d)", first, second, EPIPE);
		schan_destroy(&ch);
		return;
	}
	/* A send and a receive after the close, in threads of their own. */
	if (actor_start(&late[0], true, &ch, 9, 1, 0)) {
		schan_destroy(&ch);
		return check_fail(c, "R2a", "harness set-up failed (pthread_create)");
	}
	if (actor_start(&late[1], false, &ch, 0, 1, 0)) {
		finish_channel(&ch, late, 1);
		return check_fail(c, "R2a", "harness set-up failed (pthread_create)");
	}
	if (scenario_wait_all(2, finished_at, late, 0.5)) {
		check_fail(c, "R2a", "a schan_send() or schan_recv() on a closed channel was "
			   "still blocked 0.5 s later; expected EPIPE at once");
	} else if ((v = actor_view(&late[0])).err != EPIPE) {
		check_fail(c, "R2a", "schan_send() on a closed channel returned %d; expected "
			   "EPIPE (%d)", v.err, EPIPE);
	} else if ((v = actor_view(&late[1])).err != EPIPE) {
		check_fail(c, "R2a", "schan_recv() on a closed channel returned %d (%zu items); "
			   "expected EPIPE (%d)", v.err, v.done, EPIPE);
	}
	finish_channel(&ch, late, 2);
}

/*
 * The close scenarios' first half: initialises ch, starts SIDE actors on it
 * (senders of items 1.., or receivers, one call each), waits until all of
 * them sleep in that call, closes ch and waits up to 0.5 s (scaled) for
 * them to return. Returns how many did not; SIZE_MAX after failing the check
 * for clause when the set-up failed (then nothing is left to finish).
 */
static size_t close_on_sleepers(struct check *c, const char *clause, struct schan *ch,
				struct actor *side, bool senders)
{
	size_t started = 0;

	if (schan_init(ch)) {
		check_fail(c, clause, "schan_init() failed");
		return SIZE_MAX;
	}
	for (; started < SIDE; started++)
		if (actor_start(&side[started], senders, ch, senders ? 1 + started : 0, 1, 0))
			break;
	if (started < SIDE) {
		check_fail(c, clause, "harness set-up failed (pthread_create)");
		finish_channel(ch, side, started);
		return SIZE_MAX;
	}
	scenario_wait_all_steady(SIDE, asleep_at, side, 1.0);
	schan_close(ch);
	return scenario_wait_all(SIDE, finished_at, side, 0.5);
}

/*
 * The close scenarios' checks: close_on_sleepers, then every actor must
 * have woken and returned EPIPE. True when they all did: ch and side are
 * the caller's to finish. False with the check failed for clause; ch and
 * side are finished then (or were never set up).
 */
static bool close_wakes_all(struct check *c, const char *clause, struct schan *ch,
			    struct actor *side, bool senders)
{
	const char *who = senders ? "senders" : "receivers";
	const char *call = senders ? "schan_send() (no receiver)" : "schan_recv()";
	size_t left = close_on_sleepers(c, clause, ch, side, senders);

	if (left == SIZE_MAX)
		return false;
	if (left)
		check_fail(c, clause, "%zu of 3 %s blocked in %s were still asleep %.1f s after "
			   "schan_close(); expected every one to wake and return EPIPE (a wake-up "
			   "was lost)", left, who, call, 0.5 * scenario_timeout_factor());
	for (size_t i = 0; i < SIDE && !c->failed; i++) {
		struct actor v = actor_view(&side[i]);

		if (v.err != EPIPE)
			check_fail(c, clause, "one of the %s blocked in %s returned %d when the "
				   "channel was closed; expected EPIPE (%d)%s", who, call, v.err,
				   EPIPE, senders ? ": nobody took its item" : "");
	}
	if (c->failed)
		finish_channel(ch, side, SIDE);
	return !c->failed;
}

static void close_wakes_every_receiver(struct check *c, const struct scenario_env *env)
{
	struct schan ch;
	struct actor receivers[SIDE];

	(void)env;
	/* All three must be asleep in schan_recv() before the close. */
	if (close_wakes_all(c, "R2b", &ch, receivers, false))
		finish_channel(&ch, receivers, SIDE);
}

static void close_wakes_every_sender(struct check *c, const struct scenario_env *env)
{
	struct schan ch;
	struct actor senders[SIDE];
	void *item = NULL;
	int err;

	(void)env;
	/* One offers its item and waits for a taker; two wait for the slot. */
	if (!close_wakes_all(c, "R2c", &ch, senders, true))
		return;
	err = schan_recv(&ch, &item);
	if (err != EPIPE)
		check_fail(c, "R2c", "after the close refused 3 senders, schan_recv() returned "
			   "%d with item %zu; expected EPIPE: a refused item is never delivered",
			   err, (size_t)(uintptr_t)item);
	finish_channel(&ch, senders, SIDE);
}

/*
 * R2a: a sender sleeps with its item on offer; the channel is closed and
 * schan_recv() is called at once, while the woken sender may not have run
 * yet. The receive must say EPIPE, and the item stays the sender's (its send
 * returns EPIPE). Many rounds: the woken sender races the receive.
 */
static void recv_after_close_takes_nothing(struct check *c, const struct scenario_env *env)
{
	unsigned rounds = env->small ? 15 : 40;

	for (unsigned r = 0; r < rounds && !c->failed; r++) {
		size_t id = 1 + r;
		struct schan ch;
		struct actor sender;
		void *item = NULL;
		int err;

		if (schan_init(&ch))
			return check_fail(c, "R2a", "schan_init() failed");
		if (actor_start(&sender, true, &ch, id, 1, 0)) {
			schan_destroy(&ch);
			return check_fail(c, "R2a", "harness set-up failed (pthread_create)");
		}
		scenario_wait_all_steady(1, asleep_at, &sender, 1.0);
		schan_close(&ch);
		err = schan_recv(&ch, &item);
		if (err != EPIPE)
			check_fail(c, "R2a", "schan_recv() called just after schan_close() had "
				   "returned got %d with item %zu (the item of a sender blocked "
				   "since before the close); expected EPIPE at once: once the "
				   "channel is closed nothing more is delivered (round %u)", err,
				   (size_t)(uintptr_t)item, r + 1);
		if (!finish_channel(&ch, &sender, 1)) {
			if (!c->failed)
				check_fail(c, "R2c", "a sender blocked in schan_send() was still "
					   "blocked after the channel was closed");
			return;
		}
		/* Joined: its fields can be read without its (destroyed) lock. */
		if (!c->failed && sender.err != EPIPE)
			check_fail(c, "R2c", "a sender blocked in schan_send() with nobody "
				   "receiving returned %d when the channel was closed; expected "
				   "EPIPE (%d): nobody took its item", sender.err, EPIPE);
	}
}

/* True when one of two actors has finished. */
static bool either_finished(struct actor *pair)
{
	return actor_view(&pair[0]).finished || actor_view(&pair[1]).finished;
}

/*
 * R2c, R1c: two senders block (items 1 and 2), one receive takes an item,
 * then the channel is closed. The sender whose item was taken must get 0,
 * the other EPIPE, whichever of the two gets the lock first after the
 * receive (the other one may refill the slot before the first wakes up).
 * Many rounds, each on a fresh channel.
 */
static void one_taken_of_two_then_close(struct check *c, const struct scenario_env *env)
{
	unsigned rounds = env->small ? 60 : 250;
	uint64_t until = world_now_ns() + scenario_scaled_ns(2.5);

	for (unsigned r = 0; r < rounds && !c->failed && world_now_ns() < until; r++) {
		struct schan ch;
		struct actor pair[2];
		uint64_t give_up;
		void *item = NULL;
		size_t got, mine;
		int err;

		if (schan_init(&ch))
			return check_fail(c, "R2c", "schan_init() failed");
		if (actor_start(&pair[0], true, &ch, 1, 1, 0)) {
			schan_destroy(&ch);
			return check_fail(c, "R2c", "harness set-up failed (pthread_create)");
		}
		if (actor_start(&pair[1], true, &ch, 2, 1, 0)) {
			finish_channel(&ch, pair, 1);
			return check_fail(c, "R2c", "harness set-up failed (pthread_create)");
		}
		scenario_wait_all(2, asleep_at, pair, 1.0);
		err = schan_recv(&ch, &item);
		got = (size_t)(uintptr_t)item;
		/* Give the sender of the taken item a moment to return. */
		give_up = world_now_ns() + 20 * MS;
		while (!either_finished(pair) && world_now_ns() < give_up)
			world_sleep_ns(100000);
		if (!finish_channel(&ch, pair, 2))
			return check_fail(c, "R2c", "a sender blocked in schan_send() was still "
					  "blocked after the channel was closed");
		if (err || (got != 1 && got != 2)) {
			check_fail(c, "R1b", "schan_recv() beside two blocked senders (items 1 "
				   "and 2) returned %d with item %zu; expected 0 and one of them",
				   err, got);
			break;
		}
		/* Joined: their fields can be read without their (destroyed) locks. */
		mine = got - 1;
		if (pair[mine].err != 0 || pair[1 - mine].err != EPIPE)
			check_fail(c, "R2c", "two senders blocked in schan_send() (items 1 and 2); "
				   "one receive took item %zu, then the channel was closed: the "
				   "sender of item %zu returned %d and the sender of item %zu "
				   "returned %d; expected 0 for the item received and EPIPE (%d) "
				   "for the other: an item is never both refused and delivered, "
				   "nor neither (round %u)", got, got, pair[mine].err,
				   3 - got, pair[1 - mine].err, EPIPE, r + 1);
	}
}

/* CPU time of the whole process so far, in ms. */
static double process_cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/*
 * Two senders, each blocked on a channel of its own (nobody receives), and
 * two receivers blocked on a third (nobody sends), for 400 ms: the process
 * must stay nearly idle, and its threads must not keep waking up. A thread
 * that spins uses CPU time when it gets a core, and is switched out (a
 * context switch) each time it yields one on a busy machine: the two
 * figures together catch it either way.
 */
static void blocked_threads_sleep(struct check *c, const struct scenario_env *env)
{
	struct schan out[2], in;
	struct actor senders[2], receivers[2];
	size_t s = 0, r = 0, nout = 0;
	long wakes0, wakes1;
	double cpu_ms;

	(void)env;
	for (; nout < 2; nout++)
		if (schan_init(&out[nout]))
			break;
	if (nout < 2 || schan_init(&in)) {
		for (size_t k = 0; k < nout; k++)
			schan_destroy(&out[k]);
		return check_fail(c, "R3", "schan_init() failed");
	}
	for (; s < 2; s++)
		if (actor_start(&senders[s], true, &out[s], 1 + s, 1, 0))
			break;
	for (; r < 2; r++)
		if (actor_start(&receivers[r], false, &in, 0, 1, 0))
			break;
	if (s < 2 || r < 2) {
		check_fail(c, "R3", "harness set-up failed (pthread_create)");
		goto out;
	}
	/* Each has made its call; give a poller every chance to show. */
	scenario_wait_all_steady(2, asleep_at, receivers, 0.5);
	scenario_wait_all_steady(2, asleep_at, senders, 0.5);
	world_sleep_ns(50 * MS);
	cpu_ms = process_cpu_ms();
	wakes0 = census_wakeups();
	world_sleep_ns(400 * MS);
	wakes1 = census_wakeups();
	cpu_ms = process_cpu_ms() - cpu_ms;
	if (cpu_ms >= 40)
		check_fail(c, "R3", "2 threads blocked in schan_send() and 2 in schan_recv() "
			   "for 400 ms cost %.0f ms of CPU time; expected under 40 ms: a blocked "
			   "send or receive must sleep on a condition variable, not poll",
			   cpu_ms);
	/* The harness's own threads wake about 25 times in 400 ms (the watchdog). */
	else if (wakes0 >= 0 && wakes1 - wakes0 > 100)
		check_fail(c, "R3", "while 2 threads were blocked in schan_send() and 2 in "
			   "schan_recv() for 400 ms, the process's threads were switched in and "
			   "out %ld times; a thread asleep on a condition variable does not run "
			   "until it is signalled: something polls or yields in a loop instead "
			   "of waiting", wakes1 - wakes0);
out:
	for (size_t k = 0; k < 2; k++)
		if (k < s)
			finish_channel(&out[k], &senders[k], 1);
		else
			schan_destroy(&out[k]);
	finish_channel(&in, receivers, r);
}

/* ---- the monthly report ---- */

struct report_run {
	size_t patients;
	unsigned workers;
	struct monthly_report report;
	int ret;
	int threads_before, threads_at_return;
	uint64_t queries_at_return;
};

static uint32_t once(size_t item, void *ctx)
{
	(void)item;
	(void)ctx;
	return 1;
}

/* A fresh database granting `workers` connections to `patients` histories. */
static int report_prepare(struct report_run *run, size_t patients, unsigned workers,
			  size_t withdrawn_every)
{
	memset(run, 0, sizeof(*run));
	run->patients = patients;
	run->workers = workers;
	run->report = (struct monthly_report){ 1234, 4321, 99, 77 };
	histories_withdrawn_every = withdrawn_every;
	histories_release();
	if (service_init(&histories_db, "the history database", QUERY_NS,
			 workers ? workers : 1, patients ? patients : 1))
		return ENOMEM;
	run->threads_before = census_threads();
	return 0;
}

static void report_call(struct report_run *run)
{
	run->ret = monthly_report(run->patients, run->workers, &run->report);
	run->queries_at_return = service_calls(&histories_db);
	/* A joined thread leaves /proc/self/task within microseconds: 10 ms. */
	run->threads_at_return = census_settle(run->threads_before, 10);
}

/*
 * A whole run on the scenario's thread: report_prepare, then report_call.
 * False, with the check failed for clause, when the harness ran out of
 * memory (and nothing ran).
 */
static bool report_ran(struct check *c, const char *clause, struct report_run *run,
		       size_t patients, unsigned workers, size_t withdrawn_every)
{
	if (report_prepare(run, patients, workers, withdrawn_every)) {
		check_fail(c, clause, "out of memory in the harness");
		return false;
	}
	report_call(run);
	return true;
}

/* Frees the database unless threads of the learner's code may still use it. */
static void report_finish(struct report_run *run)
{
	if (census_settle(run->threads_before, 300) > run->threads_before)
		return;
	service_destroy(&histories_db);
}

/* The report the run must produce. */
static struct monthly_report expected_report(size_t patients)
{
	struct monthly_report want = { 0 };

	for (size_t p = 0; p < patients; p++) {
		struct patient_history h = histories_expected(p);

		if (histories_withdrawn(p)) {
			want.withdrawn++;
			continue;
		}
		want.included++;
		want.visits += h.visits;
		want.adverse_events += h.adverse_events;
	}
	return want;
}

/* Checks ret, each patient queried once, and the report. False after a fail. */
static bool report_is_right(struct check *c, const char *clause, const struct report_run *run)
{
	struct monthly_report want = expected_report(run->patients);
	const struct monthly_report *got = &run->report;
	uint32_t times = 0;
	size_t bad = service_first_mismatch(&histories_db, once, NULL, &times);

	if (run->ret != 0) {
		check_fail(c, clause, "monthly_report(%zu patients, %u workers) returned %d; "
			   "expected 0", run->patients, run->workers, run->ret);
		return false;
	}
	if (run->patients && bad != (size_t)-1) {
		check_fail(c, "R4a", "patient %zu's history had been queried %u times when "
			   "monthly_report(%zu patients, %u workers) returned; expected exactly "
			   "once", bad, times, run->patients, run->workers);
		return false;
	}
	if (got->included != want.included || got->withdrawn != want.withdrawn ||
	    got->visits != want.visits || got->adverse_events != want.adverse_events) {
		check_fail(c, clause, "monthly_report(%zu patients, %u workers) reported "
			   "included=%zu withdrawn=%zu visits=%lu adverse_events=%lu; expected "
			   "%zu, %zu, %lu and %lu (every result collected once)", run->patients,
			   run->workers, got->included, got->withdrawn, got->visits,
			   got->adverse_events, want.included, want.withdrawn, want.visits,
			   want.adverse_events);
		return false;
	}
	return true;
}

/* A whole run (report_ran) whose only check is report_is_right, for clause. */
static void report_checked(struct check *c, const char *clause, size_t patients,
			   unsigned workers, size_t withdrawn_every)
{
	struct report_run run;

	if (!report_ran(c, clause, &run, patients, workers, withdrawn_every))
		return;
	report_is_right(c, clause, &run);
	report_finish(&run);
}

static void report_sums_every_patient_once(struct check *c, const struct scenario_env *env)
{
	/* The site's 50 patients (24 under the race tools); every 7th withdrew. */
	report_checked(c, "R4a", env->small ? 24 : 50, 4, 7);
}

static void withdrawn_patients_count_apart(struct check *c, const struct scenario_env *env)
{
	(void)env;
	/* Every 3rd patient withdrew: 7 of 21. */
	report_checked(c, "R4b", 21, 3, 3);
}

struct held_report {
	struct report_run run;
	atomic_bool returned;
};

static void *held_report_main(void *arg)
{
	struct held_report *h = arg;

	report_call(&h->run);
	atomic_store(&h->returned, true);
	return NULL;
}

/*
 * Patient 0's query is held until every other patient has been queried and
 * the other workers have ended: the worker holding it is then the last one
 * running, and its result must still reach the collector.
 */
static void slowest_worker_result_is_collected(struct check *c, const struct scenario_env *env)
{
	struct held_report *h = calloc(1, sizeof(*h));
	size_t n = env->small ? 9 : 12;
	unsigned workers = 3;
	uint64_t deadline;
	pthread_t tid;
	int before;

	if (!h)
		return check_fail(c, "R5a", "out of memory in the harness");
	if (report_prepare(&h->run, n, workers, 0)) {
		free(h);
		return check_fail(c, "R5a", "out of memory in the harness");
	}
	before = h->run.threads_before;
	histories_hold(0);
	if (pthread_create(&tid, NULL, held_report_main, h)) {
		histories_release();
		free(h);
		return check_fail(c, "R5a", "harness set-up failed (pthread_create)");
	}
	/* Everyone else queried; then the other workers leave. */
	deadline = world_now_ns() + scenario_scaled_ns(2.0);
	while (!(histories_hold_reached() && service_calls(&histories_db) >= n - 1) &&
	       world_now_ns() < deadline)
		world_sleep_ns(MS);
	while (census_threads() > before + 2 && world_now_ns() < deadline)
		world_sleep_ns(MS);
	world_sleep_ns(20 * MS);
	histories_release();
	deadline = world_now_ns() + scenario_scaled_ns(2.0);
	while (!atomic_load(&h->returned) && world_now_ns() < deadline)
		world_sleep_ns(MS);
	if (!atomic_load(&h->returned)) {
		pthread_detach(tid);
		return check_fail(c, "R5a", "with patient 0's query held until the other "
				  "workers had ended, monthly_report() had not returned 2 s after "
				  "the hold was released");
	}
	pthread_join(tid, NULL);
	if (report_is_right(c, "R5a", &h->run) && h->run.report.included != n)
		check_fail(c, "R5a", "the report included %zu of %zu patients",
			   h->run.report.included, n);
	report_finish(&h->run);
	free(h);
}

/*
 * Runs monthly_report() 32 KB further down the stack than its caller, and
 * returns its result: when it returns with workers still running on its
 * stack frame, the scenario's own calls that follow do not overwrite that
 * frame under them (they fail the scenario instead of crashing it).
 */
static __attribute__((noinline)) int report_far_down(struct report_run *run)
{
	volatile char pad[32 * 1024];
	int ret;

	pad[0] = 0;
	ret = monthly_report(run->patients, run->workers, &run->report);
	pad[sizeof(pad) - 1] = (char)ret;
	return ret;
}

/*
 * R6 and the return values: the 2nd, 3rd or 4th worker cannot start
 * (pthread_create() fails with EAGAIN). monthly_report() returns that error,
 * and the workers it did start have ended by then, their queries too. Every
 * patient withdrew (no history is written anywhere), so that a worker left
 * running does not write into memory the call has freed: the scenario
 * reports it rather than crashing on it.
 */
static void failed_start_leaves_nothing_running(struct check *c, const struct scenario_env *env)
{
	static const char *const nth[] = { "1st", "2nd", "3rd", "4th" };
	size_t n = env->small ? 16 : 40;
	unsigned workers = 4;

	for (unsigned ok = 1; ok < workers && !c->failed; ok++) {
		struct report_run run;

		if (report_prepare(&run, n, workers, 1))
			return check_fail(c, "R6", "out of memory in the harness");
		perturb_fail_create_after((int)ok);
		run.ret = report_far_down(&run);
		perturb_fail_create_after(0);
		run.queries_at_return = service_calls(&histories_db);
		run.threads_at_return = census_settle(run.threads_before, 10);
		if (run.ret != EAGAIN)
			check_fail(c, "R6", "monthly_report(%zu patients, %u workers) returned %d "
				   "when its %s pthread_create() failed with EAGAIN; expected that "
				   "error (%d)", n, workers, run.ret, nth[ok], EAGAIN);
		else if (run.threads_at_return > run.threads_before)
			check_fail(c, "R6", "monthly_report() returned EAGAIN after its %s worker "
				   "could not start, and %d of the %u workers it did start were "
				   "still running; expected every thread it started ended (joined) "
				   "before it returns", nth[ok],
				   run.threads_at_return - run.threads_before, ok);
		else if (service_calls(&histories_db) != run.queries_at_return)
			check_fail(c, "R6", "monthly_report() returned EAGAIN after its %s worker "
				   "could not start, and %llu queries were made after it returned; "
				   "expected every worker it started ended before it returns",
				   nth[ok], (unsigned long long)(service_calls(&histories_db) -
								 run.queries_at_return));
		report_finish(&run);
	}
}

/*
 * R5a: one worker's thread starts late: its start routine runs only once
 * the other workers have ended (a schedule the system may choose). Its
 * results must still be collected. Each worker in turn is the late one.
 */
static void late_starting_worker_is_collected(struct check *c, const struct scenario_env *env)
{
	static const char *const nth[] = { "1st", "2nd", "3rd" };
	unsigned workers = 3;
	size_t n = 9;

	(void)env;
	for (unsigned late = 0; late < workers && !c->failed; late++) {
		struct held_report *h = calloc(1, sizeof(*h));
		uint64_t deadline;
		pthread_t tid;
		int before, err;

		if (!h)
			return check_fail(c, "R5a", "out of memory in the harness");
		if (report_prepare(&h->run, n, workers, 0)) {
			free(h);
			return check_fail(c, "R5a", "out of memory in the harness");
		}
		before = h->run.threads_before;
		/* The harness's own thread is the first pthread_create(). */
		perturb_hold_start_after((int)late + 1);
		err = pthread_create(&tid, NULL, held_report_main, h);
		if (err) {
			perturb_release_start();
			free(h);
			return check_fail(c, "R5a", "harness set-up failed (pthread_create)");
		}
		/* Wait until only the caller's thread and the late worker are left. */
		deadline = world_now_ns() + scenario_scaled_ns(2.0);
		while (!atomic_load(&h->returned) && world_now_ns() < deadline &&
		       !(perturb_start_held() && census_threads() <= before + 2))
			world_sleep_ns(MS);
		world_sleep_ns(20 * MS);
		perturb_release_start();
		deadline = world_now_ns() + scenario_scaled_ns(2.0);
		while (!atomic_load(&h->returned) && world_now_ns() < deadline)
			world_sleep_ns(MS);
		if (!atomic_load(&h->returned)) {
			pthread_detach(tid);
			return check_fail(c, "R5a", "with the %s worker's start held back until the "
					  "other workers had ended, monthly_report() had not "
					  "returned 2 s after it was let go", nth[late]);
		}
		pthread_join(tid, NULL);
		if (h->run.ret == 0 && h->run.report.included != expected_report(n).included)
			check_fail(c, "R5a", "with the %s worker's thread starting late (its start "
				   "routine ran only after the other workers had ended), the report "
				   "included %zu of %zu patients; expected every result collected: "
				   "the results channel must stay open until every worker started "
				   "has sent its last result", nth[late], h->run.report.included,
				   expected_report(n).included);
		else
			report_is_right(c, "R5a", &h->run);
		report_finish(&h->run);
		free(h);
	}
}

static void collector_stops_with_no_results(struct check *c, const struct scenario_env *env)
{
	(void)env;
	/* Every patient withdrew: no worker sends anything. */
	report_checked(c, "R5b", 9, 3, 1);
}

static void queries_within_connection_budget(struct check *c, const struct scenario_env *env)
{
	struct report_run run;

	if (!report_ran(c, "R6", &run, env->small ? 20 : 40, 3, 0))
		return;
	if (report_is_right(c, "R6", &run) && service_violations(&histories_db))
		check_fail(c, "R6", "%u queries were in flight at once; the database grants "
			   "3 connections (workers = 3)", service_peak(&histories_db));
	report_finish(&run);
}

static void threads_end_by_return(struct check *c, const struct scenario_env *env)
{
	struct report_run run;

	if (!report_ran(c, "R6", &run, env->small ? 13 : 31, 5, 4))
		return;
	if (report_is_right(c, "R6", &run) && run.threads_at_return > run.threads_before)
		check_fail(c, "R6", "%d threads that monthly_report() started were still "
			   "running when it returned; expected every one joined",
			   run.threads_at_return - run.threads_before);
	else if (!c->failed && service_calls(&histories_db) != run.queries_at_return)
		check_fail(c, "R6", "%llu queries were made after monthly_report() returned",
			   (unsigned long long)(service_calls(&histories_db) -
						run.queries_at_return));
	report_finish(&run);
}

static void zero_workers_is_einval(struct check *c, const struct scenario_env *env)
{
	struct report_run run;

	(void)env;
	if (!report_ran(c, "R7", &run, 5, 0, 0))
		return;
	if (run.ret != EINVAL || run.queries_at_return != 0 ||
	    run.threads_at_return > run.threads_before)
		check_fail(c, "R7", "monthly_report(5 patients, 0 workers) returned %d after "
			   "%llu queries, with %d threads left; expected EINVAL (%d), none and "
			   "none", run.ret, (unsigned long long)run.queries_at_return,
			   run.threads_at_return - run.threads_before, EINVAL);
	report_finish(&run);
}

static void small_batches_work(struct check *c, const struct scenario_env *env)
{
	static const struct { size_t n; unsigned workers; size_t withdrawn_every; } cases[] = {
		{ 0, 3, 0 }, { 1, 4, 0 }, { 3, 8, 2 }, { 7, 3, 0 }, { 11, 2, 5 },
	};

	(void)env;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]) && !c->failed; k++) {
		struct report_run run;

		if (!report_ran(c, "R7", &run, cases[k].n, cases[k].workers, cases[k].withdrawn_every))
			return;
		report_is_right(c, "R7", &run);
		if (!c->failed && run.threads_at_return > run.threads_before)
			check_fail(c, "R6", "%d threads were still running when "
				   "monthly_report(%zu patients, %u workers) returned",
				   run.threads_at_return - run.threads_before, cases[k].n,
				   cases[k].workers);
		report_finish(&run);
	}
}

CHAPTER_SCENARIOS(
	SCENARIO(send_waits_for_a_receiver, "R1a"),
	SCENARIO(recv_waits_for_a_sender, "R1b"),
	SCENARIO_T(handoff_under_contention, "R1b R1c R2b", 10.0),
	SCENARIO(close_answers_then_refuses, "R2a"),
	SCENARIO(close_wakes_every_receiver, "R2b"),
	SCENARIO(close_wakes_every_sender, "R2c"),
	SCENARIO_T(close_in_flight_never_drops_silently, "R2c", 5.0),
	SCENARIO(recv_after_close_takes_nothing, "R2a R2c"),
	SCENARIO_T(one_taken_of_two_then_close, "R1c R2c", 6.0),
	SCENARIO(blocked_threads_sleep, "R3"),
	SCENARIO(report_sums_every_patient_once, "R4a"),
	SCENARIO(withdrawn_patients_count_apart, "R4b"),
	SCENARIO_T(slowest_worker_result_is_collected, "R5a", 5.0),
	SCENARIO_T(late_starting_worker_is_collected, "R5a", 8.0),
	SCENARIO(collector_stops_with_no_results, "R5b"),
	SCENARIO(queries_within_connection_budget, "R6"),
	SCENARIO(threads_end_by_return, "R6"),
	SCENARIO(failed_start_leaves_nothing_running, "R6"),
	SCENARIO(zero_workers_is_einval, "R7"),
	SCENARIO(small_batches_work, "R7")
);
