#include "gather.h"

#include "clock.h"

#define RELAXED memory_order_relaxed
#define POLL_NS 50000u

void world_gather_point(struct world_gather *g)
{
	unsigned want = atomic_load_explicit(&g->want, RELAXED), slot;
	uint64_t deadline;

	if (want == 0)
		return;
	slot = atomic_fetch_add_explicit(&g->arrived, 1, RELAXED);
	if (slot >= want)
		return;
	deadline = world_now_ns() + atomic_load_explicit(&g->timeout_ns, RELAXED);
	while (atomic_load_explicit(&g->arrived, RELAXED) < want && world_now_ns() < deadline)
		world_sleep_ns(POLL_NS);
}

unsigned world_gather_arm(struct world_gather *g, unsigned n, uint64_t timeout_ns)
{
	unsigned arrived = atomic_exchange_explicit(&g->arrived, 0, RELAXED);

	atomic_store_explicit(&g->timeout_ns, timeout_ns, RELAXED);
	atomic_store_explicit(&g->want, n, RELAXED);
	return arrived;
}
