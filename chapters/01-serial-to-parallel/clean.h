/*
 * clean.h - the record-cleaning batch: validate every record with the
 * hospital API, then store the plausible ones, using several threads
 *
 * Usage:
 *	struct clean_report report;
 *	int err = clean_records(records, n, 8, &report);
 *	(every record has been validated, and stored if plausible)
 *
 * Contract:
 *  R1. Before clean_records() returns, every record has been validated
 *      exactly once (validate_record), and every record it found plausible
 *      has been stored exactly once (store_record); implausible records are
 *      never stored.
 *  R2. On return, report->stored is the number of records stored and
 *      report->rejected the number found implausible; they add up to n.
 *  R3. At most `parallelism` records are in flight at any moment: the
 *      hospital API and the database each accept that many concurrent
 *      calls, no more.
 *  R4. Every thread clean_records() starts has ended when it returns.
 *  R5. clean_records() returns 0; it returns EINVAL, and calls no service,
 *      when parallelism is 0. n may be 0, and may be smaller than
 *      parallelism.
 *  R6. (throughput) The batch takes close to n * (validate latency + store
 *      latency) / parallelism: the work is spread over `parallelism` threads.
 *
 * Safety:
 *  records is read-only and owned by the caller; report is written by
 *  clean_records() and owned by the caller. clean_records() is not
 *  re-entrant: one batch at a time. It blocks until the batch is done.
 */
#ifndef CLEAN_H
#define CLEAN_H

#include <stddef.h>

#include "records.h"
#include "records_db.h"
#include "validation_api.h"

struct clean_report {
	size_t stored;
	size_t rejected;
};

/*
 * Validates and stores records[0..n-1] with up to `parallelism` threads.
 * Blocks until every record is done (R1) and every thread has ended (R4).
 * Returns 0, EINVAL (parallelism == 0), or an error from pthread_create.
 */
int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report);

#endif
