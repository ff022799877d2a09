/*
 * push_gateway_ctl.h - the harness's controls of the push gateway
 * (push_gateway.h)
 *
 * Only the harness includes this header: a learner's file may call what the
 * headers of its chapter declare, and none of them declares these.
 *
 * Usage:
 *	push_connect_fail_with(EMFILE);	(push_connect() fails as socket(2)
 *					 does when the descriptor table is full)
 *	push_connect_fail_with(0);	(back to normal)
 *	push_hold_next(200 * MS);	(the next push is held up to 200 ms)
 *	while (!push_holding()) ...	(a notifier is now in that push)
 *	push_hold_release();
 *
 * Safety: every function is thread-safe and uses relaxed atomics only, so the
 * gateway creates no happens-before edge between its callers (a race in the
 * learner's code stays visible to ThreadSanitizer and Helgrind).
 */
#ifndef WORLD_PUSH_GATEWAY_CTL_H
#define WORLD_PUSH_GATEWAY_CTL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * From now on, push_connect() for a patient whose app does not refuse fails
 * with err in errno, as socket(2) would (EMFILE: the process's descriptor
 * table is full; ENFILE: the system's); 0 ends that. A refusal still wins.
 */
void push_connect_fail_with(int err);

/*
 * The next push_send() to start waits, before its round trip, until
 * push_hold_release() or until max_ns have passed (a push that takes that
 * long); later pushes go through as usual. 0 cancels a hold not yet taken.
 */
void push_hold_next(uint64_t max_ns);

/* True while a push_send() waits in the hold. */
bool push_holding(void);

/* Ends the hold: a held push goes on with its round trip. */
void push_hold_release(void);

#endif
