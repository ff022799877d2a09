/*
 * nightly_report.h - the clinic's report desk for the nightly vitals batch
 * (simulated), and its rule for abnormal vitals
 *
 * The batch files one summary per night with nightly_report_write(). The
 * desk keeps the first summary it receives and notes, at that moment, how
 * many calls to the wearables API (fetch_vitals) had started and how many
 * were still in flight, so a summary filed before every patient was fetched
 * shows.
 *
 * Usage (the harness):
 *	nightly_report_reset();
 *	... the learner's batch calls nightly_report_write(&summary) ...
 *	if (nightly_report_writes() != 1) fail("one report per night");
 *	nightly_report_first(&got, &started, &in_flight);
 *
 * Safety: nightly_report_write() and the queries are thread-safe and take no
 * lock (relaxed atomics only, so they never order two learner threads).
 * nightly_report_reset() must not run concurrently with anything else.
 */
#ifndef WORLD_NIGHTLY_REPORT_H
#define WORLD_NIGHTLY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wearables.h"

/* One night's summary of every patient in the batch. */
struct nightly_report {
	size_t patients;	/* in the batch */
	size_t synced;		/* patients whose vitals arrived */
	size_t offline;		/* patients whose device had not synced (EIO) */
	size_t abnormal;	/* synced patients whose vitals are abnormal */
	long heart_rate_sum;	/* resting heart rates of the synced patients */
};

/*
 * The clinic's rule: a resting heart rate of 90 or more, or a systolic
 * pressure of 140 or more, is abnormal. Pure; thread-safe.
 */
bool vitals_abnormal(const struct vitals *v);

/*
 * Files the night's summary (copies *r). Never blocks. The desk keeps the
 * first summary since nightly_report_reset() and counts every call.
 */
void nightly_report_write(const struct nightly_report *r);

/* Forgets every summary filed so far. */
void nightly_report_reset(void);

/* How many summaries were filed since nightly_report_reset(). */
unsigned long nightly_report_writes(void);

/*
 * The first summary filed since nightly_report_reset() into *out, with the
 * number of fetch_vitals() calls that had started (*fetches_started) and that
 * had not yet returned (*fetches_in_flight) when it was filed. Returns false
 * when none was filed.
 */
bool nightly_report_first(struct nightly_report *out, uint64_t *fetches_started,
			  unsigned *fetches_in_flight);

#endif
