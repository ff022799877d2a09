#include "stats_rpc.h"
#include "stats_rpc_ctl.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "clock.h"

#define RELAXED memory_order_relaxed

struct service stats_rpc;

static atomic_bool failing, stalled;
static atomic_ulong failures;
static atomic_uint waiting;		/* calls held by the stall now */
static _Atomic uint64_t *first_call;	/* per item: when its first call started */
static size_t first_call_items;
static bool initialised;

int stats_rpc_reset(uint64_t latency_ns, size_t nitems)
{
	if (initialised) {
		service_destroy(&stats_rpc);
		free((void *)first_call);
		first_call = NULL;
		initialised = false;
	}
	first_call = calloc(nitems ? nitems : 1, sizeof(*first_call));
	if (!first_call)
		return ENOMEM;
	if (service_init(&stats_rpc, "stats-rpc, the scoring service", latency_ns,
			 SERVICE_NO_LIMIT, nitems)) {
		free((void *)first_call);
		first_call = NULL;
		return ENOMEM;
	}
	first_call_items = nitems;
	/* Exchanges, not stores: Helgrind treats a plain store as a race. */
	atomic_exchange_explicit(&failing, false, RELAXED);
	atomic_exchange_explicit(&stalled, false, RELAXED);
	atomic_exchange_explicit(&failures, 0, RELAXED);
	atomic_exchange_explicit(&waiting, 0, RELAXED);
	initialised = true;
	return 0;
}

void stats_rpc_set_failing(bool on)
{
	atomic_exchange_explicit(&failing, on, RELAXED);
}

void stats_rpc_set_stalled(bool on)
{
	atomic_exchange_explicit(&stalled, on, RELAXED);
}

uint64_t stats_rpc_failures(void)
{
	return atomic_load_explicit(&failures, RELAXED);
}

uint64_t stats_rpc_first_call_ns(size_t item)
{
	if (!first_call || item >= first_call_items)
		return 0;
	return atomic_load_explicit(&first_call[item], RELAXED);
}

unsigned stats_rpc_stalled_calls(void)
{
	return atomic_load_explicit(&waiting, RELAXED);
}

int stats_score(const struct record *r)
{
	uint64_t none = 0;
	bool fail;

	if (first_call && r->id < first_call_items)
		atomic_compare_exchange_strong_explicit(&first_call[r->id], &none, world_now_ns(),
							RELAXED, RELAXED);
	if (atomic_load_explicit(&stalled, RELAXED)) {
		atomic_fetch_add_explicit(&waiting, 1, RELAXED);
		while (atomic_load_explicit(&stalled, RELAXED))
			world_sleep_ns(200000);
		atomic_fetch_sub_explicit(&waiting, 1, RELAXED);
	}
	/* Whether it fails is decided as the round trip starts. */
	fail = atomic_load_explicit(&failing, RELAXED);
	service_call(&stats_rpc, r->id);
	if (fail) {
		atomic_fetch_add_explicit(&failures, 1, RELAXED);
		return EIO;
	}
	return 0;
}
