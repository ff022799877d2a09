/*
 * wearables.h - the wearable-device vendor's vitals API (simulated)
 *
 * The nightly batch pulls each patient's vitals from the vendor. A device
 * that has not synced makes the call fail with EIO; which patients fail is
 * decided by wearables_offline() so tests can predict it.
 *
 * Safety: fetch_vitals() is thread-safe and takes no lock.
 */
#ifndef WORLD_WEARABLES_H
#define WORLD_WEARABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "service.h"

struct vitals {
	int resting_heart_rate;	/* beats per minute */
	int systolic;		/* mmHg */
};

/* The service behind fetch_vitals(); configured by the harness. */
extern struct service wearables_api;

/*
 * Patients whose index is a multiple of this are offline (0: nobody is).
 * Set by the harness before a run; read-only while the learner code runs.
 */
extern size_t wearables_offline_every;

/* True when patient's device has not synced (fetch_vitals fails for it). */
bool wearables_offline(size_t patient);

/*
 * Fetches last night's vitals of patient (an index 0..n-1) into *out.
 * Blocks for one simulated round trip. Returns 0, or EIO when the device is
 * offline (then *out is untouched).
 */
int fetch_vitals(size_t patient, struct vitals *out);

/* The vitals fetch_vitals() returns for patient, without any latency. */
struct vitals wearables_expected(size_t patient);

#endif
