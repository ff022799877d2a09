/*
 * histories.h - the trial site's patient-history database (simulated), read
 * by the monthly report
 *
 * Each query holds one of the database's connections for one round trip.
 * The database grants a fixed number of connections: the harness counts a
 * query that starts while all of them are in use as a violation. Patients
 * who withdrew their consent have no history the report may use: their
 * query fails with ENOENT (after the same round trip). Which patients those
 * are is decided by histories_withdrawn() so that tests can predict it.
 *
 * Safety: query_history() and the read-only functions are thread-safe and
 * take no lock; they create no happens-before edge between two callers, so
 * a race in the caller's code stays visible to the race tools.
 */
#ifndef WORLD_HISTORIES_H
#define WORLD_HISTORIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service.h"

/* One patient's month, as the report needs it. */
struct patient_history {
	uint32_t patient;		/* the patient's index, 0..n-1 */
	unsigned visits;		/* site visits this month, 1..6 */
	unsigned adverse_events;	/* adverse events reported this month, 0..2 */
};

/* The service behind query_history(); configured by the harness. */
extern struct service histories_db;

/*
 * Patients whose index is k - 1 modulo k (k = this value) withdrew their
 * consent; 0: nobody did. Set by the harness before a run; read-only while
 * the caller's code runs.
 */
extern size_t histories_withdrawn_every;

/* True when patient withdrew consent (query_history fails for them). */
bool histories_withdrawn(size_t patient);

/*
 * Reads patient's month into *out. Blocks for one simulated round trip on
 * one connection. Returns 0, or ENOENT when the patient withdrew consent
 * (then *out is untouched).
 */
int query_history(size_t patient, struct patient_history *out);

/* The history query_history() gives for patient, without any latency. */
struct patient_history histories_expected(size_t patient);

/*
 * For the harness: holds the next query for `patient` before its round
 * trip, until histories_release(); histories_hold_reached() tells whether
 * that query has started waiting. One hold at a time.
 */
void histories_hold(size_t patient);
bool histories_hold_reached(void);
void histories_release(void);

#endif
