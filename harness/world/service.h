/*
 * service.h - a simulated remote service: latency, a concurrency limit and
 * exactly-once accounting
 *
 * Usage (by the harness, never by learner code):
 *	struct service db;
 *	service_init(&db, "records database", 2 * MS, 50, nitems);
 *	... learner code calls clinic functions that call service_call(&db, id) ...
 *	if (service_peak(&db) > 50) fail("too many connections");
 *	service_destroy(&db);
 *
 * Invariants the harness checks with it:
 *  - every call takes at least latency_ns (the simulated network round trip);
 *  - a call that starts while `limit` calls are already in flight is counted
 *    as a violation (the real database would refuse or fall over);
 *  - each item id is counted, so skipped or duplicated work shows.
 *
 * Safety: service_call() and the read-only queries are thread-safe. They use
 * relaxed atomics only, so the service never creates a happens-before edge
 * between two callers: a race in learner code stays visible to
 * ThreadSanitizer and Helgrind. service_init() and service_destroy() must not
 * run concurrently with anything else on the same service.
 */
#ifndef WORLD_SERVICE_H
#define WORLD_SERVICE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SERVICE_NO_LIMIT 0u

struct service {
	const char *name;		/* I: for messages */
	uint64_t latency_ns;		/* I: per call */
	unsigned limit;			/* I: max concurrent calls, 0 = none */
	size_t nitems;			/* I: valid item ids are 0..nitems-1 */
	_Atomic uint32_t *per_item;	/* A: calls per item id */
	atomic_uint in_flight;		/* A */
	atomic_uint peak;		/* A: highest in_flight seen */
	atomic_ulong calls;		/* A */
	atomic_ulong violations;	/* A: calls started over the limit */
	atomic_ulong unknown_items;	/* A: calls with id >= nitems */
	atomic_ulong calls_after_mark;	/* A: calls started after service_mark() */
	_Atomic uint64_t mark_ns;	/* A: 0 = no mark */
};

/* Prepares s. name must outlive s. Returns 0 or ENOMEM. */
int service_init(struct service *s, const char *name, uint64_t latency_ns,
		 unsigned limit, size_t nitems);

/*
 * Frees the per-item table. No call may be in flight; if one is (learner
 * code left work running after its function returned), the destruction is
 * counted, for service_destroyed_busy().
 */
void service_destroy(struct service *s);

/*
 * How many services were destroyed while a call was still in flight, ever;
 * *name (when not NULL) gets the last one's name. Thread-safe.
 */
unsigned long service_destroyed_busy(const char **name);

/*
 * Calls in flight right now over every live service (up to 64 services);
 * *name (when not NULL and some are) gets one busy service's name.
 * Thread-safe; a snapshot.
 */
unsigned service_busy_now(const char **name);

/*
 * One simulated request about item `item`: records it, sleeps latency_ns,
 * and returns. Blocks only the calling thread; takes no lock.
 */
void service_call(struct service *s, size_t item);

/*
 * Records the current time; calls that start after it are counted by
 * service_calls_after_mark() (used to check that no work starts after a
 * cancellation).
 */
void service_mark(struct service *s);

unsigned service_peak(const struct service *s);
unsigned service_in_flight(const struct service *s);
uint64_t service_calls(const struct service *s);
uint64_t service_violations(const struct service *s);
uint64_t service_unknown_items(const struct service *s);
uint64_t service_calls_after_mark(const struct service *s);
uint32_t service_calls_for(const struct service *s, size_t item);

/*
 * Finds the first item whose call count is not `expected(item)`. Returns the
 * item id, or (size_t)-1 when every item matches; *observed gets its count.
 */
size_t service_first_mismatch(const struct service *s,
			      uint32_t (*expected)(size_t item, void *ctx),
			      void *ctx, uint32_t *observed);

/*
 * The exactly-once check: the first item not called exactly once, or
 * (size_t)-1 when every item was; *observed gets its count. Thread-safe (a
 * snapshot); meant for after the work has ended.
 */
size_t service_first_not_once(const struct service *s, uint32_t *observed);

#endif
