/*
 * histories.c - the patient-history database of the monthly report
 *
 * The hold is shared by the harness thread and the caller's threads without
 * any lock; read-modify-write operations only, because Helgrind reports
 * plain atomic loads and stores that race, but not locked instructions.
 */
#include "histories.h"

#include <errno.h>
#include <stdatomic.h>

#include "clock.h"
#include "random.h"

#define RELAXED memory_order_relaxed
#define HOLD_POLL_NS 200000u

struct service histories_db;
size_t histories_withdrawn_every;

static atomic_uint hold_on;		/* 1 while a hold is set */
static atomic_size_t hold_patient;
static atomic_uint hold_reached;

bool histories_withdrawn(size_t patient)
{
	size_t k = histories_withdrawn_every;

	return k != 0 && patient % k == k - 1;
}

struct patient_history histories_expected(size_t patient)
{
	uint64_t state = 0x0915 + (uint64_t)patient * 7919u;
	uint64_t r = world_random(&state);

	return (struct patient_history){
		.patient = (uint32_t)patient,
		.visits = 1 + (unsigned)(r % 6),
		.adverse_events = (unsigned)((r >> 8) % 3),
	};
}

/* Waits while the harness holds this patient's query (relaxed polling). */
static void wait_if_held(size_t patient)
{
	if (!atomic_fetch_or_explicit(&hold_on, 0, RELAXED) ||
	    atomic_fetch_or_explicit(&hold_patient, 0, RELAXED) != patient)
		return;
	atomic_exchange_explicit(&hold_reached, 1, RELAXED);
	while (atomic_fetch_or_explicit(&hold_on, 0, RELAXED))
		world_sleep_ns(HOLD_POLL_NS);
}

int query_history(size_t patient, struct patient_history *out)
{
	wait_if_held(patient);
	service_call(&histories_db, patient);
	if (histories_withdrawn(patient))
		return ENOENT;
	*out = histories_expected(patient);
	return 0;
}

void histories_hold(size_t patient)
{
	atomic_exchange_explicit(&hold_reached, 0, RELAXED);
	atomic_exchange_explicit(&hold_patient, patient, RELAXED);
	atomic_exchange_explicit(&hold_on, 1, RELAXED);
}

bool histories_hold_reached(void)
{
	return atomic_fetch_or_explicit(&hold_reached, 0, RELAXED) != 0;
}

void histories_release(void)
{
	atomic_exchange_explicit(&hold_on, 0, RELAXED);
}
