#include "site_registry.h"

#include <stdatomic.h>

#include "clock.h"

#define RELAXED memory_order_relaxed
#define POLL_NS 50000u

struct service site_registry;

/* The hook's state: relaxed atomics only, so waiting orders nothing. */
static atomic_uint gather_want;
static atomic_uint gather_arrived;
static _Atomic uint64_t gather_timeout_ns;

/* Holds a call that is one of the first gather_want until all have come. */
static void gather_point(void)
{
	unsigned want = atomic_load_explicit(&gather_want, RELAXED);
	unsigned slot;
	uint64_t deadline;

	if (want == 0)
		return;
	slot = atomic_fetch_add_explicit(&gather_arrived, 1, RELAXED);
	if (slot >= want)
		return;
	deadline = world_now_ns() + atomic_load_explicit(&gather_timeout_ns, RELAXED);
	while (atomic_load_explicit(&gather_arrived, RELAXED) < want &&
	       world_now_ns() < deadline)
		world_sleep_ns(POLL_NS);
}

bool site_registry_lists(unsigned site)
{
	gather_point();
	service_call(&site_registry, site);
	return site < site_registry.nitems;
}

unsigned site_registry_gather(unsigned n, uint64_t timeout_ns)
{
	unsigned arrived = atomic_exchange_explicit(&gather_arrived, 0, RELAXED);

	atomic_store_explicit(&gather_timeout_ns, timeout_ns, RELAXED);
	atomic_store_explicit(&gather_want, n, RELAXED);
	return arrived;
}
