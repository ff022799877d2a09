/*
 * epro.h - ePRO questionnaire submissions and the three services that
 * process them: validation, medical scoring and persistence (simulated)
 *
 * A patient answers an eight-item depression questionnaire (PHQ-8) in the
 * app: each answer is 0..3, and the medical score is their sum (0..24). A
 * questionnaire with an unanswered item is incomplete: it is validated,
 * never scored, and persisted as rejected, so that the audit trail holds
 * every submission the clinic accepted.
 *
 * Each step is a call to a remote service (struct service): the harness sets
 * the latencies and concurrency limits. Persistence is the slow, I/O-bound
 * step (a database write with its audit entry).
 *
 * Usage (learner code):
 *	if (validate_submission(s))
 *		score = score_submission(s);
 *	else
 *		score = EPRO_REJECTED;
 *	persist_submission(s, score);
 *
 * Safety: every function is thread-safe and takes no lock; the services use
 * relaxed atomics only (see service.h). epro_hold() and epro_release() are
 * for the harness: they make one call wait, to force an interleaving.
 */
#ifndef WORLD_EPRO_H
#define WORLD_EPRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service.h"

#define EPRO_ITEMS 8
#define EPRO_UNANSWERED 9	/* an answer the patient skipped */
#define EPRO_REJECTED (-1)	/* the score persisted for an incomplete one */

struct epro_submission {
	uint32_t id;			/* position in the batch: 0, 1, 2, ... */
	uint32_t patient_id;
	uint8_t answers[EPRO_ITEMS];	/* 0..3, or EPRO_UNANSWERED */
};

/* The services behind the three steps; configured by the harness. */
extern struct service epro_validator;
extern struct service epro_scorer;
extern struct service epro_store;

/*
 * Fills out[0..n-1] with submissions whose id equals their index. The same
 * seed gives the same submissions; about one in eight is incomplete.
 */
void epro_generate(struct epro_submission *out, size_t n, uint64_t seed);

/* The completeness rule itself, without latency (for predictions). */
bool epro_is_complete(const struct epro_submission *s);

/* The score persist_submission() expects for s: the sum, or EPRO_REJECTED. */
int epro_expected_score(const struct epro_submission *s);

/* How many of s[0..n-1] are complete. */
size_t epro_count_complete(const struct epro_submission *s, size_t n);

/*
 * Validates s with the remote service (one round trip on epro_validator).
 * Returns true when the questionnaire is complete and may be scored.
 */
bool validate_submission(const struct epro_submission *s);

/*
 * Scores a complete questionnaire (one round trip on epro_scorer) and
 * returns its score, 0..24. Scoring an incomplete one is counted as a
 * wrong call (epro_wrong_calls()) and returns EPRO_REJECTED.
 */
int score_submission(const struct epro_submission *s);

/*
 * Writes s and its score to the clinical database (one round trip on
 * epro_store, the slow one). A score that is not epro_expected_score(s) is
 * counted by epro_wrong_calls().
 */
void persist_submission(const struct epro_submission *s, int score);

/* Calls with a wrong argument since epro_reset(): bad scores, scoring an
 * incomplete questionnaire. */
uint64_t epro_wrong_calls(void);

/* Clears the wrong-call count and any hold. Call before a run. */
void epro_reset(void);

/*
 * Makes the next call on `stage` (one of the three services) about item
 * `id` wait, before it reaches the service, until epro_release(). Only one
 * hold at a time.
 */
void epro_hold(const struct service *stage, uint32_t id);

/* True once the held call has started waiting. */
bool epro_hold_reached(void);

/* Lets the held call go on. */
void epro_release(void);

#endif
