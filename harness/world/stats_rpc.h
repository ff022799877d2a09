/*
 * stats_rpc.h - stats-rpc, the scoring service that every ePRO submission is
 * sent to (simulated)
 *
 * Scoring a questionnaire is a remote call: one round trip to a service the
 * intake does not own. On a bad day that service fails every call it gets
 * (a stuck query, a restart) and then recovers; the harness decides when.
 * The service takes any number of calls at once, and it counts each one.
 *
 * Safety: stats_score() is thread-safe and takes no lock.
 */
#ifndef WORLD_STATS_RPC_H
#define WORLD_STATS_RPC_H

#include "records.h"

/*
 * Sends submission r to the scoring service and waits for its answer: one
 * simulated round trip, failing or not. Returns 0 when r was scored, or EIO
 * when the service is failing (nothing was scored). Blocks the calling thread
 * only; takes no lock.
 */
int stats_score(const struct record *r);

#endif
