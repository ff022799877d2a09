/*
 * zoo: connection_open() reports any push_connect() failure as
 * ECONNREFUSED, so socket(2)'s errno (EMFILE, ENFILE) is thrown away
 * loses: correctness throughput
 * breaks: R5a
 *
 * notifier.c - per-connection reminder pushes for the ePRO app
 *
 * Each patient connection gets a notifier thread, so that the request
 * handler can queue a reminder and go on serving the patient while the
 * gateway round trip happens in the background. The notifier's life is
 * tied to the connection's: connection_close() tells it to stop, joins it,
 * and only then releases the socket and the memory it used.
 */
#include "notifier.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct reminder {
	size_t id;
	struct reminder *next;
};

/*
 * Field tags:
 *   I: set by connection_open(), read-only afterwards
 *   L: protected by lock
 */
struct connection {
	pthread_mutex_t lock;
	pthread_cond_t arrived;		/* L: signalled when a reminder is queued
					 * or the connection is closed */
	struct reminder *head, *tail;	/* L: FIFO of reminders not yet pushed */
	bool closed;			/* L: set once by connection_close() */
	int sock;			/* I: the WebSocket to the patient's app */
	pthread_t notifier;		/* I: joined by connection_close() */
};

static void connection_free(struct connection *conn)
{
	pthread_cond_destroy(&conn->arrived);
	pthread_mutex_destroy(&conn->lock);
	free(conn);
}

/*
 * Pushes the connection's reminders, in order, until it is closed and
 * nothing is left to push.
 */
static void *notifier(void *arg)
{
	struct connection *conn = arg;

	pthread_mutex_lock(&conn->lock);
	for (;;) {
		struct reminder *r;

		/* Wake for a reminder or for the close, whichever comes. */
		while (!conn->head && !conn->closed)
			pthread_cond_wait(&conn->arrived, &conn->lock);
		if (!conn->head)
			break;
		r = conn->head;
		conn->head = r->next;
		if (!conn->head)
			conn->tail = NULL;
		pthread_mutex_unlock(&conn->lock);

		push_send(conn->sock, r->id);
		free(r);

		pthread_mutex_lock(&conn->lock);
	}
	pthread_mutex_unlock(&conn->lock);
	return NULL;
}

int connection_open(size_t patient, struct connection **out)
{
	struct connection *conn = calloc(1, sizeof(*conn));
	int err;

	if (!conn)
		return ENOMEM;
	conn->sock = push_connect(patient);
	if (conn->sock < 0) {
		free(conn);
		return ECONNREFUSED;
	}
	err = pthread_mutex_init(&conn->lock, NULL);
	if (err)
		goto no_lock;
	err = pthread_cond_init(&conn->arrived, NULL);
	if (err)
		goto no_cond;
	err = pthread_create(&conn->notifier, NULL, notifier, conn);
	if (err)
		goto no_thread;
	*out = conn;
	return 0;

	/* Undo what was set up, newest first: nothing is left behind (R5). */
no_thread:
	pthread_cond_destroy(&conn->arrived);
no_cond:
	pthread_mutex_destroy(&conn->lock);
no_lock:
	close(conn->sock);
	free(conn);
	return err;
}

int connection_notify(struct connection *conn, size_t reminder)
{
	struct reminder *r = malloc(sizeof(*r));

	if (!r)
		return ENOMEM;
	r->id = reminder;
	r->next = NULL;

	pthread_mutex_lock(&conn->lock);
	if (conn->tail)
		conn->tail->next = r;
	else
		conn->head = r;
	conn->tail = r;
	pthread_cond_signal(&conn->arrived);
	pthread_mutex_unlock(&conn->lock);
	return 0;
}

void connection_close(struct connection *conn)
{
	pthread_mutex_lock(&conn->lock);
	conn->closed = true;
	pthread_cond_signal(&conn->arrived);
	pthread_mutex_unlock(&conn->lock);

	/* The notifier pushes what is queued, sees closed, and returns. */
	pthread_join(conn->notifier, NULL);
	/* Nothing uses the socket or conn any more: release them. */
	close(conn->sock);
	connection_free(conn);
}
