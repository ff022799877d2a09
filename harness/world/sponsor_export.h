/*
 * sponsor_export.h - the sponsor's export gateway that chapter 13's tasks
 * call (simulated; the harness's side only)
 *
 * Every night the EDC system exports each patient's cleaned data set to
 * the trial's sponsor through a gateway that grants a fixed number of
 * connections. Chapter 13's scenarios and benchmark submit one pool task
 * per patient; each task sends that patient's export here. The gateway
 * counts every call per patient and the peak of calls in flight, so the
 * harness can tell whether a pool ran each task once and never went over
 * its limit. It can also hold the calls that start (they wait inside until
 * released), so that a scenario keeps the pool's workers busy for as long
 * as it needs.
 *
 * Only the harness includes this header: no chapter header does, so a
 * learner's file cannot call it (harness/src/policy.c).
 *
 * Usage:
 *	sponsor_export_reset(1 * MS, 8, npatients);	(8 connections)
 *	sponsor_export_hold(true);		(calls that start now wait)
 *	... tasks call sponsor_export_send(patient) ...
 *	sponsor_export_held();			(how many wait now)
 *	sponsor_export_hold(false);
 *	service_peak(&sponsor_export) <= 8 ...
 *
 * Safety: every function is thread-safe and uses relaxed atomics only, as
 * service.h does, so the gateway orders nothing between its callers (a race
 * in the learner's code stays visible to ThreadSanitizer and Helgrind).
 * Call sponsor_export_reset() with no call in flight.
 */
#ifndef WORLD_SPONSOR_EXPORT_H
#define WORLD_SPONSOR_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service.h"

/* Calls per patient, calls in flight, peak, violations of the limit. */
extern struct service sponsor_export;

/*
 * Prepares an idle gateway: latency_ns per call, at most `limit`
 * connections (SERVICE_NO_LIMIT: none), patient ids 0..npatients-1, every
 * count at zero, nothing held. Frees what an earlier reset took. Returns 0
 * or ENOMEM.
 */
int sponsor_export_reset(uint64_t latency_ns, unsigned limit, size_t npatients);

/*
 * Sends one patient's export and waits for the gateway's answer: while the
 * gateway holds calls, waits inside until released, then one round trip.
 * Blocks the calling thread only; takes no lock.
 */
void sponsor_export_send(size_t patient);

/* true: calls that start from now on wait inside until it is set false. */
void sponsor_export_hold(bool hold);

/* Calls waiting in the hold right now. */
unsigned sponsor_export_held(void);

#endif
