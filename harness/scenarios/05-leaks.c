/*
 * 05-leaks.c - scenarios for chapter 05 (notifier.h)
 *
 * Each scenario opens and closes connections on a fresh simulated push
 * gateway and checks one clause of notifier.h. What a connection leaves
 * behind is counted the way an operator would: threads in /proc/self/task
 * (the census), descriptors in /proc/self/fd. Leftover threads are described
 * by where the kernel has them parked, grouped like a goroutine dump.
 *
 * The chapter is also graded on leaks (its manifest's "leaks_gate"): the leak
 * driver runs these scenarios under LeakSanitizer and compares the thread
 * and descriptor counts around each one.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "census.h"
#include "clock.h"
#include "descriptors.h"
#include "notifier.h"
#include "perturb.h"
#include "push_gateway_ctl.h"
#include "scenario.h"

#define MS 1000000u
#define MAX_HANDLERS 16

/* What the process held before a scenario opened anything. */
struct baseline {
	int threads;
	int descriptors;
	struct census_tids tids;
};

/*
 * Describes the threads that are not in `before`, grouped by where they are
 * parked: "12 threads parked in futex_do_wait (a condition variable or
 * mutex wait)".
 */
static void describe_leftovers(const struct census_tids *before, char *out, size_t size)
{
	struct { char where[64]; int count; } groups[8];
	struct census_tids now;
	int ngroups = 0;
	size_t used = 0;

	out[0] = '\0';
	census_tids_take(&now);
	for (int i = 0; i < now.n; i++) {
		char where[64];
		int g;

		if (census_tids_has(before, now.tid[i]))
			continue;
		census_thread_wchan(now.tid[i], where, sizeof(where));
		if (!where[0] || strcmp(where, "0") == 0)
			snprintf(where, sizeof(where), "%s", "no wait (running)");
		for (g = 0; g < ngroups; g++)
			if (strcmp(groups[g].where, where) == 0)
				break;
		if (g == ngroups && ngroups < 8) {
			snprintf(groups[g].where, sizeof(groups[g].where), "%s", where);
			groups[g].count = 0;
			ngroups++;
		}
		if (g < ngroups)
			groups[g].count++;
	}
	for (int g = 0; g < ngroups && used < size; g++) {
		int n = snprintf(out + used, size - used, "%s%d thread%s parked in %s%s",
				 g ? "; " : "", groups[g].count, groups[g].count == 1 ? "" : "s",
				 groups[g].where,
				 strncmp(groups[g].where, "futex", 5) == 0 ?
				 " (a condition variable or mutex wait nobody ends)" : "");

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/*
 * Waits up to timeout_ms until every thread not in `before` is blocked on a
 * futex: the notifier has finished what it was doing and is waiting for the
 * next reminder. A thread still running (or sleeping in the gateway) is
 * not parked yet.
 */
static void wait_new_threads_parked(const struct census_tids *before, unsigned timeout_ms)
{
	uint64_t deadline = world_now_ns() + (uint64_t)timeout_ms * MS;

	while (world_now_ns() < deadline) {
		struct census_tids now;
		bool all_parked = true;

		census_tids_take(&now);
		for (int i = 0; i < now.n && all_parked; i++) {
			char where[64];

			if (census_tids_has(before, now.tid[i]))
				continue;
			census_thread_wchan(now.tid[i], where, sizeof(where));
			all_parked = strncmp(where, "futex", 5) == 0;
		}
		if (all_parked)
			return;
		world_sleep_ns(1 * MS);
	}
}

/* Prepares a gateway for reminder ids 0..nreminders-1, latency_ms per push. */
static int gateway_start_slow(struct baseline *b, size_t nreminders, size_t refuse_every,
			      unsigned latency_ms)
{
	push_refuse_every = refuse_every;
	push_reset();
	b->threads = census_threads();
	b->descriptors = descriptors_open();
	census_tids_take(&b->tids);
	return service_init(&push_gateway, "the push gateway", (uint64_t)latency_ms * MS,
			    SERVICE_NO_LIMIT, nreminders);
}

/* A gateway for reminder ids 0..nreminders-1, 1 ms per push. */
static int gateway_start(struct baseline *b, size_t nreminders, size_t refuse_every)
{
	return gateway_start_slow(b, nreminders, refuse_every, 1);
}

/*
 * Gateway tables kept alive for leaked notifiers. Listed here so that they
 * stay reachable: LeakSanitizer should blame the learner's leaks, not these.
 */
void *gateway_kept_tables[64];
size_t gateway_nkept;

/*
 * Frees the gateway's table, unless notifier threads are still alive: they
 * may wake up and push later, so the table stays for the rest of the process.
 */
static void gateway_finish(const struct baseline *b)
{
	push_refuse_every = 0;
	push_connect_fail_with(0);
	push_hold_next(0);
	push_hold_release();
	if (census_threads() > b->threads) {
		if (gateway_nkept < sizeof(gateway_kept_tables) / sizeof(gateway_kept_tables[0]))
			gateway_kept_tables[gateway_nkept++] = (void *)push_gateway.per_item;
		return;
	}
	service_destroy(&push_gateway);
}

/*
 * Checks R1 on the gateway: every reminder pushed once (clause), on an open
 * socket (R1b).
 */
static void check_pushed_once(struct check *c, const char *clause, size_t nreminders,
			      size_t nconnections)
{
	uint32_t seen = 0;
	size_t bad;

	if (push_bad_sends())
		return check_fail(c, "R1b", "%llu reminders were pushed on a closed socket "
				  "(push_send returned EBADF); the socket must stay open "
				  "until the notifier is done with it",
				  (unsigned long long)push_bad_sends());
	bad = service_first_not_once(&push_gateway, &seen);
	if (bad != (size_t)-1)
		check_fail(c, clause, "reminder %zu was pushed %u times by the time "
			   "connection_close() returned; expected exactly once (%zu "
			   "reminders over %zu connections)", bad, seen, nreminders,
			   nconnections);
}

/* One patient's session: open, queue `reminders` reminders, close. */
static int session(size_t patient, size_t first_reminder, size_t reminders)
{
	struct connection *conn;
	int err = connection_open(patient, &conn);

	if (err)
		return err;
	for (size_t m = 0; m < reminders && !err; m++)
		err = connection_notify(conn, first_reminder + m);
	connection_close(conn);
	return err;
}

/*
 * How many handlers a clinic runs at once. Under Helgrind, one: glibc hands
 * the stack (and descriptor) of a joined thread to the next pthread_create()
 * under an internal lock Helgrind cannot see, so notifiers created by two
 * handlers in turn look like a race inside pthread_create() (seen in about
 * one Helgrind run in five, on correct code). What Helgrind must judge, a
 * connection's handler and its notifier, is the same with one handler.
 */
static unsigned clinic_handlers(unsigned wanted)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload_helgrind") ? 1 : wanted;
}

/* The load of a clinic: handlers serving sessions one after another. */
struct clinic {
	unsigned handlers;
	size_t sessions;	/* per handler */
	size_t reminders;	/* per session */
};

struct handler_job {
	const struct clinic *clinic;
	unsigned index;
	int err;
};

static void *handler(void *arg)
{
	struct handler_job *job = arg;
	const struct clinic *k = job->clinic;

	for (size_t s = 0; s < k->sessions && !job->err; s++) {
		size_t number = job->index * k->sessions + s;

		job->err = session(number + 1, number * k->reminders, k->reminders);
	}
	return NULL;
}

/*
 * Runs the clinic's handlers at once and joins them. Returns 0, the first
 * error a session returned, or an error from pthread_create.
 */
static int clinic_run(const struct clinic *k)
{
	struct handler_job jobs[MAX_HANDLERS];
	pthread_t tids[MAX_HANDLERS];
	unsigned started;
	int err = 0;

	for (started = 0; started < k->handlers && started < MAX_HANDLERS; started++) {
		jobs[started] = (struct handler_job){ .clinic = k, .index = started };
		err = pthread_create(&tids[started], NULL, handler, &jobs[started]);
		if (err)
			break;
	}
	for (unsigned i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		if (!err)
			err = jobs[i].err;
	}
	return err;
}

/*
 * Five connections: one never gets a reminder, one gets exactly one, and a
 * prime number of reminders is dealt round-robin over the other three, so
 * they do not get the same count. All are closed with reminders queued.
 */
static void every_reminder_pushed_once(struct check *c, const struct scenario_env *env)
{
	struct connection *conns[5];
	struct baseline b;
	size_t n = env->small ? 13 : 61, opened;
	int err = 0;

	if (gateway_start(&b, n + 1, 0))
		return check_fail(c, "R1a", "out of memory in the harness");
	for (opened = 0; opened < 5 && !err; opened++)
		err = connection_open(opened + 1, &conns[opened]);
	if (err) {
		opened--;
		check_fail(c, "R1a", "connection_open(patient %zu) returned %d; expected 0",
			   opened + 1, err);
	}
	/* Reminder n goes alone to connection 1; connection 0 gets none. */
	if (!err) {
		err = connection_notify(conns[1], n);
		if (err)
			check_fail(c, "R1a", "connection_notify(reminder %zu) returned %d; "
				   "expected 0", n, err);
	}
	for (size_t i = 0; i < n && !err; i++) {
		err = connection_notify(conns[2 + i % 3], i);
		if (err)
			check_fail(c, "R1a", "connection_notify(reminder %zu) returned %d; "
				   "expected 0", i, err);
	}
	for (size_t k = 0; k < opened; k++)
		connection_close(conns[k]);
	if (!c->failed)
		check_pushed_once(c, "R1a", n + 1, 5);
	gateway_finish(&b);
}

/*
 * One connection gets its reminders one at a time, each only once the
 * notifier has pushed the previous one and gone back to waiting: every one
 * must go out (R1a). A notifier whose wait can end with nothing to do
 * (a condition wait may return with no signal) and that then stops, loses
 * every later reminder.
 */
static void reminders_after_idle_waits_all_go_out(struct check *c, const struct scenario_env *env)
{
	struct census_tids before;
	struct connection *conn;
	struct baseline b;
	size_t n = env->small ? 8 : 16, queued = 0;
	int err;

	if (gateway_start(&b, n, 0))
		return check_fail(c, "R1a", "out of memory in the harness");
	census_tids_take(&before);
	err = connection_open(1, &conn);
	if (err) {
		check_fail(c, "R1a", "connection_open(patient 1) returned %d; expected 0", err);
		gateway_finish(&b);
		return;
	}
	for (size_t i = 0; i < n && !c->failed; i++) {
		uint64_t deadline;

		wait_new_threads_parked(&before, (unsigned)(200 * scenario_timeout_factor()));
		err = connection_notify(conn, i);
		if (err) {
			check_fail(c, "R1a", "connection_notify(reminder %zu) returned %d; "
				   "expected 0", i, err);
			break;
		}
		queued++;
		deadline = world_now_ns() + scenario_scaled_ns(0.5);
		while (service_calls(&push_gateway) < queued && world_now_ns() < deadline)
			world_sleep_ns(1 * MS);
		if (service_calls(&push_gateway) < queued)
			check_fail(c, "R1a", "reminder %zu, queued while the notifier was waiting "
				   "(%zu reminders pushed before it, one at a time), was not "
				   "pushed within %.1f s; expected the notifier to keep waiting "
				   "until a reminder or the close comes, and to push it", i, i,
				   0.5 * scenario_timeout_factor());
	}
	connection_close(conn);
	if (!c->failed)
		check_pushed_once(c, "R1a", n, 1);
	gateway_finish(&b);
}

/*
 * A connection whose notifier is in a 200 ms push gets 40 more reminders:
 * each connection_notify() must return at once (R1c), neither waiting for
 * the push in progress (a lock held across push_send()) nor for room in the
 * mailbox (a cap on what may be queued).
 */
#define NOTIFY_DURING_PUSH 40

static void notify_does_not_wait_for_a_push(struct check *c, const struct scenario_env *env)
{
	double factor = scenario_timeout_factor(), worst_ms = 0;
	struct connection *conn;
	struct baseline b;
	uint64_t deadline;
	size_t worst = 0, sent = 0;
	bool held;
	int err;

	(void)env;
	if (gateway_start(&b, NOTIFY_DURING_PUSH + 1, 0))
		return check_fail(c, "R1c", "out of memory in the harness");
	err = connection_open(1, &conn);
	if (err) {
		check_fail(c, "R1c", "connection_open(patient 1) returned %d; expected 0", err);
		gateway_finish(&b);
		return;
	}
	push_hold_next(200 * MS);
	err = connection_notify(conn, 0);
	deadline = world_now_ns() + scenario_scaled_ns(1.0);
	while (!err && !push_holding() && world_now_ns() < deadline)
		world_sleep_ns(1 * MS);
	held = push_holding();
	for (size_t m = 1; m <= NOTIFY_DURING_PUSH && !err; m++) {
		uint64_t start = world_now_ns();
		double took_ms;

		err = connection_notify(conn, m);
		took_ms = (double)(world_now_ns() - start) / 1e6;
		if (took_ms > worst_ms) {
			worst_ms = took_ms;
			worst = m;
		}
		sent = m;
	}
	push_hold_release();
	connection_close(conn);
	push_hold_next(0);
	if (err)
		check_fail(c, "R1c", "connection_notify(reminder %zu) returned %d; expected 0",
			   sent, err);
	else if (held && worst_ms > 50 * factor)
		check_fail(c, "R1c", "connection_notify() took %.0f ms (reminder %zu of %d "
			   "queued while the notifier was in a 200 ms push); expected each "
			   "call to return within 50 ms: it must not wait for the push (no "
			   "lock it needs held during push_send()) nor for room in the "
			   "mailbox (no cap on the reminders queued)", worst_ms, worst,
			   NOTIFY_DURING_PUSH);
	else
		check_pushed_once(c, "R1a", NOTIFY_DURING_PUSH + 1, 1);
	gateway_finish(&b);
}

/*
 * Sessions with 2, 0, 1, ... reminders on a slow gateway (50 ms a push):
 * right after each connection_close() the thread count must be back where
 * it was, allowing only the moment the kernel takes to drop a joined thread
 * (R2 says 20 ms). A notifier that was let go to finish on its own is still
 * pushing then.
 */
static void notifier_ends_with_its_connection(struct check *c, const struct scenario_env *env)
{
	static const size_t reminders[] = { 2, 0, 1, 2, 0, 1, 2 };
	struct baseline b;
	int rounds = env->small ? 3 : 7, err = 0;
	char where[512];

	if (gateway_start_slow(&b, (size_t)rounds * 2, 0, 50))
		return check_fail(c, "R2", "out of memory in the harness");
	for (int r = 0; r < rounds && !err && !c->failed; r++) {
		int after;

		err = session((size_t)r + 1, (size_t)r * 2, reminders[r]);
		after = census_settle(b.threads, 20);
		if (err) {
			check_fail(c, "R2", "a session (open, %zu reminders, close) returned "
				   "%d; expected 0", reminders[r], err);
		} else if (after > b.threads) {
			describe_leftovers(&b.tids, where, sizeof(where));
			check_fail(c, "R2", "%d threads were still running 20 ms after "
				   "connection_close() returned (session %d, %zu reminders; "
				   "threads before: %d, after: %d): %s; expected the notifier "
				   "to have ended before connection_close() returned",
				   after - b.threads, r + 1, reminders[r], b.threads, after,
				   where);
		}
	}
	gateway_finish(&b);
}

static void socket_closed_with_its_connection(struct check *c, const struct scenario_env *env)
{
	struct baseline b;
	int rounds = env->small ? 3 : 10, after, err = 0;

	if (gateway_start(&b, (size_t)rounds * 2, 0))
		return check_fail(c, "R3", "out of memory in the harness");
	after = b.descriptors;
	for (int r = 0; r < rounds && !err && after == b.descriptors; r++) {
		err = session((size_t)r + 1, (size_t)r * 2, (size_t)r % 3);
		after = descriptors_open();
	}
	if (err)
		check_fail(c, "R3", "a session (open, 0-2 reminders, close) returned %d; "
			   "expected 0", err);
	else if (after != b.descriptors)
		check_fail(c, "R3", "%d descriptors were still open after connection_close() "
			   "returned (counted at once, over up to %d connections; before: "
			   "%d, after: %d); expected each connection's socket to be closed "
			   "before connection_close() returns", after - b.descriptors, rounds, b.descriptors, after);
	gateway_finish(&b);
}

/*
 * Closes connections whose notifier is parked waiting: one that never got
 * a reminder, and one whose only reminder is already pushed. The notifier
 * is known to be parked before the close, so a close that cannot wake it
 * hangs here every time.
 */
static void close_wakes_a_waiting_notifier(struct check *c, const struct scenario_env *env)
{
	double factor = scenario_timeout_factor();
	struct baseline b;

	(void)env;
	if (gateway_start(&b, 2, 0))
		return check_fail(c, "R4a", "out of memory in the harness");
	for (size_t k = 0; k < 2 && !c->failed; k++) {
		struct connection *conn;
		struct census_tids before;
		uint64_t start;
		double took_ms;
		int err;

		census_tids_take(&before);
		err = connection_open(k + 1, &conn);
		if (err) {
			check_fail(c, "R4a", "connection_open(patient %zu) returned %d; expected 0",
				   k + 1, err);
			break;
		}
		if (k == 1) {
			uint64_t deadline = world_now_ns() + (uint64_t)(1000 * factor) * MS;

			connection_notify(conn, 1);
			while (service_calls(&push_gateway) < 1 && world_now_ns() < deadline)
				world_sleep_ns(1 * MS);
		}
		wait_new_threads_parked(&before, (unsigned)(1000 * factor));
		start = world_now_ns();
		connection_close(conn);
		took_ms = (double)(world_now_ns() - start) / 1e6;
		if (took_ms > 250 * factor)
			check_fail(c, "R4a", "connection_close() took %.0f ms on a connection "
				   "whose notifier was waiting (%s); expected it to return at "
				   "once", took_ms, k ? "its one reminder already pushed" :
				   "no reminder ever came");
	}
	gateway_finish(&b);
}

/* CPU time of the whole process so far, in ms. */
static double process_cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/*
 * An idle connection (its notifier parked, no reminder pending) is left for
 * 400 ms: the process must not burn CPU meanwhile (R4b says under 60 ms). A
 * notifier that polls for reminders instead of sleeping on a wait burns a
 * whole core.
 */
static void idle_notifier_sleeps(struct check *c, const struct scenario_env *env)
{
	double factor = scenario_timeout_factor(), cpu_ms;
	struct connection *conn;
	struct census_tids before;
	struct baseline b;
	int err;

	(void)env;
	if (gateway_start(&b, 1, 0))
		return check_fail(c, "R4b", "out of memory in the harness");
	census_tids_take(&before);
	err = connection_open(1, &conn);
	if (err) {
		check_fail(c, "R4b", "connection_open(patient 1) returned %d; expected 0", err);
		gateway_finish(&b);
		return;
	}
	wait_new_threads_parked(&before, (unsigned)(200 * factor));
	cpu_ms = process_cpu_ms();
	world_sleep_ns(400 * MS);
	cpu_ms = process_cpu_ms() - cpu_ms;
	connection_close(conn);
	if (cpu_ms >= 60)
		check_fail(c, "R4b", "an idle connection (no reminder pending) cost %.0f ms of "
			   "CPU time over 400 ms; expected under 60 ms: a notifier with "
			   "nothing to push must sleep on a wait, not poll", cpu_ms);
	gateway_finish(&b);
}

static void refused_connection_leaves_nothing(struct check *c, const struct scenario_env *env)
{
	struct connection *sentinel = (struct connection *)&sentinel, *conn = sentinel;
	struct baseline b;
	int err, threads, fds;

	(void)env;
	if (gateway_start(&b, 1, 4))
		return check_fail(c, "R5a", "out of memory in the harness");
	for (size_t patient = 4; patient <= 12 && !c->failed; patient += 4) {
		err = connection_open(patient, &conn);
		if (err != ECONNREFUSED)
			check_fail(c, "R5a", "connection_open(patient %zu) returned %d when the "
				   "app refused the connection; expected ECONNREFUSED (%d)",
				   patient, err, ECONNREFUSED);
		else if (conn != sentinel)
			check_fail(c, "R5a", "connection_open(patient %zu) failed but changed "
				   "*out; expected it untouched", patient);
	}
	threads = census_settle(b.threads, 300);
	fds = descriptors_open();
	if (threads > b.threads)
		check_fail(c, "R5b", "%d threads were running after 3 refused "
			   "connection_open() calls (before: %d); expected none left behind",
			   threads - b.threads, b.threads);
	else if (fds != b.descriptors)
		check_fail(c, "R5b", "%d descriptors were open after 3 refused "
			   "connection_open() calls (before: %d, after: %d); expected none "
			   "left behind", fds - b.descriptors, b.descriptors, fds);
	if (service_calls(&push_gateway))
		check_fail(c, "R5b", "%llu reminders were pushed with no connection open",
			   (unsigned long long)service_calls(&push_gateway));
	gateway_finish(&b);
}

/* A harness thread that does nothing: it takes one pthread_create() call. */
static void *no_op(void *arg)
{
	return arg;
}

/*
 * Makes the next pthread_create() of the process fail with EAGAIN, once
 * (perturb.h counts from the call after the one it lets through: the
 * harness's own no-op thread takes that one). Returns false when the
 * harness could not start its thread.
 */
static bool fail_next_thread_start(void)
{
	pthread_t t;

	perturb_fail_create_after(1);
	if (pthread_create(&t, NULL, no_op, NULL) != 0) {
		perturb_fail_create_after(0);
		return false;
	}
	pthread_join(t, NULL);
	return true;
}

/*
 * One connection_open() that must fail with `want`, checked for R5: the
 * error returned, *out untouched, no thread and no descriptor left (counted
 * against before_threads and before_fds, what the process held just before
 * the call). `what` says why it fails, for the messages.
 */
static void open_must_fail(struct check *c, size_t patient, int got, bool out_touched,
			   int want, const char *what, int before_threads, int before_fds)
{
	int threads = census_settle(before_threads, 300), fds = descriptors_open();

	if (got != want)
		check_fail(c, "R5a", "connection_open(patient %zu) returned %d when %s; "
			   "expected that error (%d), returned as is", patient, got, what,
			   want);
	else if (out_touched)
		check_fail(c, "R5a", "connection_open(patient %zu) failed (%s) but changed "
			   "*out; expected it untouched", patient, what);
	else if (threads > before_threads)
		check_fail(c, "R5b", "%d thread%s running after connection_open(patient %zu) "
			   "failed (%s); expected none left behind", threads - before_threads,
			   threads - before_threads == 1 ? " was" : "s were", patient, what);
	else if (fds != before_fds)
		check_fail(c, "R5b", "%d descriptor%s open after connection_open(patient %zu) "
			   "failed (%s; before: %d, after: %d); expected none left behind: "
			   "close the socket on every failure path", fds - before_fds,
			   fds - before_fds == 1 ? " was" : "s were", patient, what,
			   before_fds, fds);
}

/*
 * The notifier cannot be started: pthread_create() fails with EAGAIN in
 * connection_open(), with no other connection open, then with one and with
 * two (each with a reminder queued). Each failed open must return EAGAIN
 * and leave nothing behind (R5); the connections that did open still
 * deliver their reminders and close cleanly.
 */
#define CREATE_FAILURES 3

static void failed_thread_start_leaves_nothing(struct check *c, const struct scenario_env *env)
{
	struct connection *sentinel = (struct connection *)&sentinel;
	struct connection *open[CREATE_FAILURES];
	size_t nopen = 0, patient = 1;
	struct baseline b;

	(void)env;
	if (gateway_start(&b, CREATE_FAILURES, 0))
		return check_fail(c, "R5a", "out of memory in the harness");
	for (size_t round = 0; round < CREATE_FAILURES && !c->failed; round++) {
		struct connection *conn = sentinel;
		int threads, fds, err;
		char what[128];

		/* The failed open comes with `round` other connections open. */
		while (nopen < round && !c->failed) {
			err = connection_open(patient, &open[nopen]);
			if (err) {
				check_fail(c, "R5a", "connection_open(patient %zu) returned %d; "
					   "expected 0", patient, err);
				break;
			}
			err = connection_notify(open[nopen], nopen);
			if (err)
				check_fail(c, "R1a", "connection_notify(reminder %zu) returned "
					   "%d; expected 0", nopen, err);
			nopen++;
			patient++;
		}
		if (c->failed)
			break;
		threads = census_settle(b.threads + (int)nopen, 300);
		fds = descriptors_open();
		if (!fail_next_thread_start()) {
			check_fail(c, "R5a", "the harness could not start its thread");
			break;
		}
		err = connection_open(patient, &conn);
		perturb_fail_create_after(0);
		if (err == 0 && conn != sentinel) {
			/* The error was handled some other way (a retry): fine if it works. */
			err = connection_notify(conn, nopen);
			if (err)
				check_fail(c, "R1a", "connection_notify(reminder %zu) returned %d; "
					   "expected 0", nopen, err);
			open[nopen++] = conn;
			patient++;
			continue;
		}
		snprintf(what, sizeof(what), "its pthread_create() failed with EAGAIN, %zu "
			 "other connection%s open", nopen, nopen == 1 ? "" : "s");
		open_must_fail(c, patient, err, conn != sentinel, EAGAIN, what, threads, fds);
		patient++;
	}
	for (size_t k = 0; k < nopen; k++)
		connection_close(open[k]);
	if (!c->failed && nopen == CREATE_FAILURES)
		check_pushed_once(c, "R1a", CREATE_FAILURES, nopen);
	else if (!c->failed && service_calls(&push_gateway) != nopen)
		check_fail(c, "R1a", "%llu reminders were pushed for %zu queued on the "
			   "connections that opened; expected each pushed once",
			   (unsigned long long)service_calls(&push_gateway), nopen);
	gateway_finish(&b);
}

/*
 * push_connect() fails the way socket(2) does at the descriptor limits:
 * EMFILE (the process's table is full), then ENFILE (the system's).
 * connection_open() must return that errno, not a refusal, and leave
 * nothing behind (R5); once the limit is gone, a connection opens again.
 */
static void socket_failure_is_reported(struct check *c, const struct scenario_env *env)
{
	static const struct { int err; const char *what; } limits[] = {
		{ EMFILE, "push_connect() failed with EMFILE (the descriptor table full)" },
		{ ENFILE, "push_connect() failed with ENFILE (the system's file table full)" },
	};
	struct connection *sentinel = (struct connection *)&sentinel;
	struct baseline b;

	(void)env;
	if (gateway_start(&b, 1, 0))
		return check_fail(c, "R5a", "out of memory in the harness");
	for (size_t k = 0; k < 2 && !c->failed; k++) {
		struct connection *conn = sentinel;
		int threads = census_threads(), fds = descriptors_open(), err;

		push_connect_fail_with(limits[k].err);
		err = connection_open(k + 1, &conn);
		push_connect_fail_with(0);
		if (err == 0 && conn != sentinel) {
			connection_close(conn);
			check_fail(c, "R5a", "connection_open(patient %zu) returned 0 when %s; "
				   "expected that error (%d)", k + 1, limits[k].what,
				   limits[k].err);
			break;
		}
		open_must_fail(c, k + 1, err, conn != sentinel, limits[k].err, limits[k].what,
			       threads, fds);
	}
	if (!c->failed) {
		int err = session(3, 0, 1);

		if (err)
			check_fail(c, "R5a", "after push_connect() worked again, a session (open, "
				   "1 reminder, close) returned %d; expected 0", err);
		else
			check_pushed_once(c, "R1a", 1, 1);
	}
	gateway_finish(&b);
}

static void many_sessions_leave_no_trace(struct check *c, const struct scenario_env *env)
{
	struct clinic k = {
		.handlers = clinic_handlers(env->small ? 3 : 7),
		.sessions = env->small ? 5 : 23,
		.reminders = 2,
	};
	size_t connections = k.handlers * k.sessions;
	struct baseline b;
	int err, threads, fds;
	char where[512];

	if (gateway_start(&b, connections * k.reminders, 0))
		return check_fail(c, "R6", "out of memory in the harness");
	err = clinic_run(&k);
	threads = census_settle(b.threads, 300);
	fds = descriptors_open();
	describe_leftovers(&b.tids, where, sizeof(where));
	if (err)
		check_fail(c, "R6", "a session returned %d; expected 0", err);
	else if (threads > b.threads)
		check_fail(c, "R6", "after %zu connections were opened and closed by %u "
			   "handlers, %d threads were left running (threads before: %d, "
			   "after: %d): %s; expected the count back where it started",
			   connections, k.handlers, threads - b.threads, b.threads, threads,
			   where);
	else if (fds != b.descriptors)
		check_fail(c, "R6", "after %zu connections were opened and closed by %u "
			   "handlers, %d descriptors were left open (before: %d, after: %d); "
			   "expected the count back where it started", connections,
			   k.handlers, fds - b.descriptors, b.descriptors, fds);
	gateway_finish(&b);
}

/* R7: the throughput workload in small, checked for correctness. */
static void busy_clinic_workload_is_right(struct check *c, const struct scenario_env *env)
{
	struct clinic k = {
		.handlers = clinic_handlers(env->small ? 4 : 8),
		.sessions = env->small ? 2 : 6,
		.reminders = env->small ? 3 : 5,
	};
	size_t connections = k.handlers * k.sessions;
	struct baseline b;
	int err;

	if (gateway_start(&b, connections * k.reminders, 0))
		return check_fail(c, "R7", "out of memory in the harness");
	err = clinic_run(&k);
	if (err)
		check_fail(c, "R7", "a session returned %d; expected 0", err);
	else
		check_pushed_once(c, "R7", connections * k.reminders, connections);
	gateway_finish(&b);
}

CHAPTER_SCENARIOS(
	SCENARIO(every_reminder_pushed_once, "R1a R1b"),
	SCENARIO(reminders_after_idle_waits_all_go_out, "R1a"),
	SCENARIO(notify_does_not_wait_for_a_push, "R1c"),
	SCENARIO(notifier_ends_with_its_connection, "R2"),
	SCENARIO(socket_closed_with_its_connection, "R3"),
	SCENARIO(close_wakes_a_waiting_notifier, "R4a"),
	SCENARIO(idle_notifier_sleeps, "R4b"),
	SCENARIO(refused_connection_leaves_nothing, "R5a R5b"),
	SCENARIO(failed_thread_start_leaves_nothing, "R5a R5b"),
	SCENARIO(socket_failure_is_reported, "R5a R5b"),
	SCENARIO(many_sessions_leave_no_trace, "R6"),
	SCENARIO(busy_clinic_workload_is_right, "R7")
);
