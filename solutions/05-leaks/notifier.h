/*
 * notifier.h - a patient's live connection to the ePRO app, with a notifier
 * thread that pushes reminders to it
 *
 * Usage (one request handler serving one patient):
 *	struct connection *conn;
 *	int err = connection_open(patient, &conn);
 *	if (err)
 *		return err;
 *	connection_notify(conn, reminder);	(returns at once)
 *	...
 *	connection_close(conn);	(the queued reminders go out, the notifier
 *				 ends, the socket is closed, conn is freed)
 *
 * Contract:
 *  R1. (a) Every reminder passed to connection_notify() is pushed to the
 *      patient's app (push_send) exactly once before connection_close()
 *      returns, whatever the number of reminders (none, one, or many) and
 *      however they are spread over connections. (b) Every push happens on
 *      the connection's socket while it is still open. (c)
 *      connection_notify() does not wait for pushes: it returns within 50 ms
 *      even while the connection's notifier is in the middle of a push that
 *      takes 200 ms (no lock it needs is held during push_send()).
 *  R2. When connection_close() returns, the connection's notifier thread has
 *      already ended: the process runs as many threads as before
 *      connection_open() (counted at once; the kernel may list a joined
 *      thread for up to 20 ms more, nothing longer is allowed).
 *  R3. When connection_close() returns, the connection's socket is already
 *      closed: the process holds as many descriptors as before
 *      connection_open() (counted at once).
 *  R4. (a) connection_close() returns within 250 ms when no reminder is
 *      pending, even if none ever came: it tells the waiting notifier to
 *      stop, rather than waiting for a reminder that will never be sent.
 *      (b) A notifier with nothing to push sleeps: over 400 ms of waiting,
 *      an idle connection costs the process under 60 ms of CPU time.
 *  R5. When connection_open() fails, it (a) returns the cause and leaves
 *      *out untouched: ECONNREFUSED when the app refuses the connection,
 *      socket(2)'s error (errno) when push_connect() fails otherwise,
 *      pthread_create's error when the notifier cannot be started; and (b)
 *      leaves nothing behind: no thread, no descriptor, no memory.
 *  R6. Any number of connections, opened and closed by many handlers at
 *      once, leave the thread and descriptor counts where they started, and
 *      no memory allocated.
 *  R7. (throughput) Handlers of different patients do not wait for each
 *      other: each connection's reminders go out on its own notifier thread,
 *      and no lock shared between connections is held while push_send() is
 *      in progress.
 *
 * Safety:
 *  A connection belongs to the handler that opened it: connection_notify()
 *  and connection_close() are called from that thread (or from threads it
 *  hands the connection to, one at a time), never after connection_close()
 *  has begun. The connection owns its socket, its notifier thread and its
 *  memory, and releases all three in connection_close(). The notifier and
 *  the handler share only the mailbox, under the connection's lock, which
 *  is never held during push_send(). Connections share nothing with each
 *  other. connection_close() blocks until the pending reminders are sent.
 */
#ifndef NOTIFIER_H
#define NOTIFIER_H

#include <stddef.h>

#include "push_gateway.h"

struct connection;

/*
 * Connects to patient's app (push_connect) and starts the connection's
 * notifier thread. On success stores the connection in *out and returns 0.
 * Otherwise returns ECONNREFUSED (the app refused), ENOMEM, or an error of
 * socket(2) or pthread_create, with nothing left behind (R5).
 */
int connection_open(size_t patient, struct connection **out);

/*
 * Queues reminder for the notifier, which pushes it in the background.
 * Does not wait for the push. Returns 0, or ENOMEM (nothing queued).
 */
int connection_notify(struct connection *conn, size_t reminder);

/*
 * Closes conn: waits until every queued reminder has been pushed (R1),
 * stops and joins the notifier (R2, R4), closes the socket (R3) and frees
 * conn. conn must not be used afterwards.
 */
void connection_close(struct connection *conn);

#endif
