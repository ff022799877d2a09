#include "sponsor_export.h"

#include <errno.h>
#include <stdatomic.h>

#include "clock.h"

#define RELAXED memory_order_relaxed

struct service sponsor_export;

static atomic_bool holding;
static atomic_uint held;		/* calls waiting in the hold now */
static bool initialised;

int sponsor_export_reset(uint64_t latency_ns, unsigned limit, size_t npatients)
{
	if (initialised) {
		service_destroy(&sponsor_export);
		initialised = false;
	}
	if (service_init(&sponsor_export, "the sponsor's export gateway", latency_ns, limit,
			 npatients))
		return ENOMEM;
	/* Exchanges, not stores: Helgrind treats a plain store as a race. */
	atomic_exchange_explicit(&holding, false, RELAXED);
	atomic_exchange_explicit(&held, 0, RELAXED);
	initialised = true;
	return 0;
}

void sponsor_export_hold(bool hold)
{
	atomic_exchange_explicit(&holding, hold, RELAXED);
}

unsigned sponsor_export_held(void)
{
	return atomic_load_explicit(&held, RELAXED);
}

void sponsor_export_send(size_t patient)
{
	if (atomic_load_explicit(&holding, RELAXED)) {
		atomic_fetch_add_explicit(&held, 1, RELAXED);
		while (atomic_load_explicit(&holding, RELAXED))
			world_sleep_ns(200000);
		atomic_fetch_sub_explicit(&held, 1, RELAXED);
	}
	service_call(&sponsor_export, patient);
}
