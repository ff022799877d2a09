/*
 * 05-leaks.c - throughput workload for chapter 05
 *
 * 8 request handlers at once, each serving 6 patient sessions one after
 * another; a session opens a connection, queues 5 reminders and closes it.
 * Every push takes 2 ms. Serial: 240 pushes * 2 ms; ideal: that divided by
 * the 8 handlers, which holds only if the handlers never wait for each
 * other's pushes.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "descriptors.h"
#include "notifier.h"

#define HANDLERS 8
#define SESSIONS 6	/* per handler */
#define REMINDERS 5	/* per session */
#define N (HANDLERS * SESSIONS * REMINDERS)
#define LATENCY_NS 2000000u

static int descriptors_before;
static int errors[HANDLERS];

static bool setup(void)
{
	push_refuse_every = 0;
	push_reset();
	return true;
}

/* The same sessions, one push after another, on plain sockets. */
static void run_baseline(void)
{
	for (size_t s = 0; s < HANDLERS * SESSIONS; s++) {
		int sock = push_connect(s + 1);

		for (size_t m = 0; m < REMINDERS; m++)
			push_send(sock, s * REMINDERS + m);
		if (sock >= 0)
			close(sock);
	}
}

/*
 * The harness's own version, for the reference time: the same 8 handlers,
 * and the same thread per session, which is handed the session's reminders
 * at once (the handler knows them all up front) and joined at its close.
 */
struct ref_session {
	int sock;
	size_t first;
};

static void *ref_pusher(void *arg)
{
	struct ref_session *s = arg;

	for (size_t m = 0; m < REMINDERS; m++)
		push_send(s->sock, s->first + m);
	return NULL;
}

/* Handler `index`: its sessions, one after another. */
static void ref_handler(size_t index)
{
	for (size_t s = 0; s < SESSIONS; s++) {
		size_t number = index * SESSIONS + s;
		struct ref_session session = {
			.sock = push_connect(number + 1),
			.first = number * REMINDERS,
		};
		pthread_t pusher;

		if (pthread_create(&pusher, NULL, ref_pusher, &session) == 0)
			pthread_join(pusher, NULL);
		else
			ref_pusher(&session);
		if (session.sock >= 0)
			close(session.sock);
	}
}

/* HANDLERS threads, one handler each (bench_share()). */
static void run_reference(void)
{
	bench_share(HANDLERS, HANDLERS, ref_handler);
}

static void *handler(void *arg)
{
	size_t index = (size_t)(uintptr_t)arg;

	for (size_t s = 0; s < SESSIONS; s++) {
		size_t number = index * SESSIONS + s;
		struct connection *conn;
		int err = connection_open(number + 1, &conn);

		if (err) {
			errors[index] = err;
			return NULL;
		}
		for (size_t m = 0; m < REMINDERS; m++)
			connection_notify(conn, number * REMINDERS + m);
		connection_close(conn);
	}
	return NULL;
}

static int run_submission(void)
{
	pthread_t tids[HANDLERS];
	size_t started;

	descriptors_before = descriptors_open();
	for (started = 0; started < HANDLERS; started++) {
		errors[started] = 0;
		if (pthread_create(&tids[started], NULL, handler, (void *)(uintptr_t)started))
			break;
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	for (size_t i = started; i < HANDLERS; i++)
		errors[i] = -1;
	return 0;
}

static bool verify(char *problem, size_t size)
{
	for (size_t i = 0; i < HANDLERS; i++)
		if (errors[i]) {
			snprintf(problem, size, "handler %zu could not run its sessions (%d)",
				 i, errors[i]);
			return false;
		}
	if (push_bad_sends())
		snprintf(problem, size, "%llu reminders pushed on a closed socket",
			 (unsigned long long)push_bad_sends());
	else if (!bench_once_each(&push_gateway, "reminder", "pushed", problem, size))
		return false;
	else if (descriptors_open() > descriptors_before)
		snprintf(problem, size, "sockets still open after every connection was closed");
	else
		return true;
	return false;
}

const struct bench chapter_bench = {
	.workload = "8 handlers x 6 sessions x 5 reminders, 2 ms per push",
	.entry = "the handlers' last connection_close()",
	.services = { { &push_gateway, "push gateway", LATENCY_NS, SERVICE_NO_LIMIT, N } },
	BENCH_FUNCTIONS,
	/* every reminder pushed, HANDLERS sessions in flight at a time */
	.ideal = { N, LATENCY_NS, HANDLERS },
};
