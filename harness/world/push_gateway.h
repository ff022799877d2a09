/*
 * push_gateway.h - the gateway that pushes reminders to a patient's ePRO app
 * over its WebSocket (simulated)
 *
 * Usage (learner code):
 *	int sock = push_connect(patient);	(a new descriptor, or -1)
 *	push_send(sock, reminder);		(one network round trip)
 *	close(sock);
 *
 * Each reminder has an id (0..nitems-1 of the service); the harness checks
 * with push_gateway's accounting that every reminder went out exactly once.
 * Patients whose app refuses the connection are chosen by
 * push_refuse_every, so tests can predict them.
 *
 * Safety: push_connect() and push_send() are thread-safe and take no lock.
 * The socket push_connect() returns belongs to the caller, who must close it.
 */
#ifndef WORLD_PUSH_GATEWAY_H
#define WORLD_PUSH_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service.h"

/* The service behind push_send(); configured by the harness. */
extern struct service push_gateway;

/*
 * Patients whose index is a multiple of this refuse the connection (0: none
 * does). Set by the harness before a run; read-only while learner code runs.
 */
extern size_t push_refuse_every;

/* True when patient's app refuses connections (push_connect fails). */
bool push_refused(size_t patient);

/*
 * Opens a socket to patient's app. Returns a new descriptor, which the
 * caller owns and must close(), or -1 with errno set: ECONNREFUSED when
 * the app refuses (push_refused), or the error of socket(2). Does not block.
 */
int push_connect(size_t patient);

/*
 * Pushes reminder `reminder` over sock. Blocks the calling thread for one
 * simulated round trip. Returns 0, or EBADF when sock is not an open
 * descriptor: then nothing is delivered and the attempt is counted by
 * push_bad_sends().
 */
int push_send(int sock, size_t reminder);

/* Sends attempted on a closed descriptor since the harness last reset it. */
uint64_t push_bad_sends(void);

/* Sets the bad-send count back to 0; call with no send in flight. */
void push_reset(void);

#endif
