/*
 * stats_rpc_ctl.h - the harness's controls of the scoring service (stats_rpc.h)
 *
 * Only the harness includes this header: a learner's file may call what the
 * headers of its chapter declare, and none of them declares these.
 *
 * Usage:
 *	stats_rpc_reset(2 * MS, nitems);	(healthy, no calls yet)
 *	stats_rpc_set_failing(true);	(every call from now on returns EIO)
 *	stats_rpc_set_stalled(true);	(calls wait inside the service until false)
 *	... learner code calls stats_score() ...
 *	stats_rpc_first_call_ns(item);	(when the first call about item started)
 *
 * Safety: every function is thread-safe and uses relaxed atomics only, so the
 * service creates no happens-before edge between its callers (a race in the
 * learner's code stays visible to ThreadSanitizer and Helgrind). Call
 * stats_rpc_reset() with no call in flight.
 */
#ifndef WORLD_STATS_RPC_CTL_H
#define WORLD_STATS_RPC_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service.h"

/* The counts of calls, calls in flight, per-item calls: service.h reads them. */
extern struct service stats_rpc;

/*
 * Prepares a healthy, unstalled service: latency_ns per call, item ids
 * 0..nitems-1, every count at zero. Frees what an earlier reset took.
 * Returns 0 or ENOMEM.
 */
int stats_rpc_reset(uint64_t latency_ns, size_t nitems);

/* From now on, calls that start fail (true) or succeed (false). */
void stats_rpc_set_failing(bool failing);

/*
 * true: calls that start wait inside the service until it is set false
 * again; they then take their round trip as usual (and are counted by
 * service.h only from then on). For scenarios that need the workers busy.
 */
void stats_rpc_set_stalled(bool stalled);

/* Calls waiting in the stall right now. */
unsigned stats_rpc_stalled_calls(void);

/* Calls that returned EIO so far. */
uint64_t stats_rpc_failures(void);

/*
 * world_now_ns() when the first call about item started, or 0 when no call
 * about it has started (or item is out of range).
 */
uint64_t stats_rpc_first_call_ns(size_t item);

#endif
