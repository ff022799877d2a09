/*
 * safety_desk.h - the trial's safety desk, where every screened submission
 * is filed (simulated)
 *
 * After the AI model has answered, the submission's outcome is filed with
 * the safety desk: an audit-trail entry and, for an adverse event, a page to
 * the research nurse. Filing takes a while but does not involve the AI model,
 * and the desk accepts any number of filings at once.
 *
 * Safety: file_screening() is thread-safe and takes no lock.
 */
#ifndef WORLD_SAFETY_DESK_H
#define WORLD_SAFETY_DESK_H

#include "records.h"
#include "service.h"

enum screening_outcome {
	SCREENING_CLEAR,	/* the model found no sign of an adverse event */
	SCREENING_ADVERSE,	/* the model flagged a possible adverse event */
	SCREENING_UNCHECKED,	/* the model failed: a person must review it */
};

/* The service behind file_screening(); configured by the harness. */
extern struct service safety_desk;

/*
 * Files the outcome of screening submission r. Blocks for one simulated
 * round trip; needs no permit of the AI model.
 */
void file_screening(const struct record *r, enum screening_outcome outcome);

/* How many filings so far had this outcome (for the harness). */
unsigned long safety_desk_filed(enum screening_outcome outcome);

/* Forgets the outcome counts; call with no filing in flight (harness). */
void safety_desk_reset(void);

#endif
