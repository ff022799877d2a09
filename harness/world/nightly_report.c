#include "nightly_report.h"

#include <stdatomic.h>

#define RELAXED memory_order_relaxed

static atomic_ulong writes;
static atomic_size_t first_patients, first_synced, first_offline, first_abnormal;
static atomic_long first_heart_rate_sum;
static _Atomic uint64_t first_started;
static atomic_uint first_in_flight;

bool vitals_abnormal(const struct vitals *v)
{
	return v->resting_heart_rate >= 90 || v->systolic >= 140;
}

void nightly_report_write(const struct nightly_report *r)
{
	/* Snapshot the wearables API first: that is the moment of filing. */
	unsigned in_flight = service_in_flight(&wearables_api);
	uint64_t started = service_calls(&wearables_api);

	if (atomic_fetch_add_explicit(&writes, 1, RELAXED) != 0)
		return;
	atomic_store_explicit(&first_in_flight, in_flight, RELAXED);
	atomic_store_explicit(&first_started, started, RELAXED);
	atomic_store_explicit(&first_patients, r->patients, RELAXED);
	atomic_store_explicit(&first_synced, r->synced, RELAXED);
	atomic_store_explicit(&first_offline, r->offline, RELAXED);
	atomic_store_explicit(&first_abnormal, r->abnormal, RELAXED);
	atomic_store_explicit(&first_heart_rate_sum, r->heart_rate_sum, RELAXED);
}

void nightly_report_reset(void)
{
	atomic_store_explicit(&writes, 0, RELAXED);
}

unsigned long nightly_report_writes(void)
{
	return atomic_load_explicit(&writes, RELAXED);
}

bool nightly_report_first(struct nightly_report *out, uint64_t *fetches_started,
			  unsigned *fetches_in_flight)
{
	if (!atomic_load_explicit(&writes, RELAXED))
		return false;
	out->patients = atomic_load_explicit(&first_patients, RELAXED);
	out->synced = atomic_load_explicit(&first_synced, RELAXED);
	out->offline = atomic_load_explicit(&first_offline, RELAXED);
	out->abnormal = atomic_load_explicit(&first_abnormal, RELAXED);
	out->heart_rate_sum = atomic_load_explicit(&first_heart_rate_sum, RELAXED);
	*fetches_started = atomic_load_explicit(&first_started, RELAXED);
	*fetches_in_flight = atomic_load_explicit(&first_in_flight, RELAXED);
	return true;
}
