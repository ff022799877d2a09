/*
 * gather.h - a test hook that holds the first few calls of a world service
 * until all of them have come, so a scenario can make them overlap
 *
 * Harness-only: no chapter header includes it. A service keeps one static
 * struct world_gather (zero-initialised: the hook is off) and calls world_gather_point()
 * at the start of each call; the harness arms it between runs with
 * world_gather_arm().
 *
 * Safety: relaxed atomics only, so waiting at the point orders nothing the
 * learner's code does (a race stays visible to the race tools).
 */
#ifndef WORLD_GATHER_H
#define WORLD_GATHER_H

#include <stdatomic.h>
#include <stdint.h>

struct world_gather {
	atomic_uint want;		/* calls to hold; 0: the hook is off */
	atomic_uint arrived;		/* calls that reached the point since armed */
	_Atomic uint64_t timeout_ns;	/* how long one call waits at most */
};

/*
 * The point a call passes: one of the first `want` calls since world_gather_arm()
 * polls (every 50 us) until `want` calls have arrived or timeout_ns passed;
 * later calls, and every call while the hook is off, go straight on.
 * Thread-safe; blocks the calling thread only, holds no lock.
 */
void world_gather_point(struct world_gather *g);

/*
 * Arms g for the next n calls (n == 0 turns it off), each waiting up to
 * timeout_ns. Returns how many calls had arrived since the previous arming.
 * For the harness, between runs.
 */
unsigned world_gather_arm(struct world_gather *g, unsigned n, uint64_t timeout_ns);

#endif
