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
 *  R1. (a) Before clean_records() returns, every record has been validated
 *      exactly once (validate_record). (b) Before it returns, every record
 *      it found plausible has been stored exactly once (store_record), and
 *      no record it found implausible has been stored.
 *  R2. On return, report->stored is the number of records stored and
 *      report->rejected the number found implausible; they add up to n.
 *  R3. At most `parallelism` records are in flight at any moment: the
 *      hospital API and the database each accept that many concurrent
 *      calls, no more.
 *  R4. Every thread clean_records() starts has ended when it returns (the
 *      grader counts the process's threads as soon as it has returned, and
 *      checks that each thread started was joined: only pthread_join()
 *      tells you a thread has ended, not a "done" it sent before exiting).
 *  R5. (a) clean_records() returns 0 and does the whole batch for any n: n
 *      may be 0, may be smaller than parallelism, and need not be a
 *      multiple of it. (b) It returns EINVAL, and calls no service, when
 *      parallelism is 0, whatever n is (n == 0 included: EINVAL wins).
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
 * Returns 0, EINVAL (parallelism == 0, even when n == 0), or ENOMEM / an
 * error from pthread_create: then it has joined every thread it did start,
 * the report counts the records those threads finished, and the rest are
 * untouched.
 */
int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report);

#endif
