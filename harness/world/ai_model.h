/*
 * ai_model.h - the third-party AI model that screens submissions for
 * adverse events (simulated)
 *
 * Every questionnaire a patient submits is sent to an external model that
 * reads it for signs of an adverse event. The vendor's contract allows a
 * fixed number of concurrent calls (10 in production); the harness sets that
 * limit, the latency, and which calls fail, before a test. A call that starts
 * while the limit is in use counts as a violation (the vendor would refuse it
 * and, if it happens often, block the client).
 *
 * Safety: ai_screen() is thread-safe and takes no lock.
 */
#ifndef WORLD_AI_MODEL_H
#define WORLD_AI_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "records.h"
#include "service.h"

/* The service behind ai_screen(); configured by the harness. */
extern struct service ai_model;

/*
 * Calls about submissions whose id is a multiple of this fail (0: none do).
 * Set by the harness before a run; read-only while the learner code runs.
 */
extern size_t ai_model_fail_every;

/* True when the call about submission `id` fails (ai_screen returns an error). */
bool ai_model_fails(size_t id);

/*
 * The model's verdict for r, without any latency: true when the vitals
 * suggest an adverse event (a resting heart rate of 105 or more, or a
 * systolic pressure of 160 mmHg or more). Tests use it to predict results.
 */
bool ai_model_expected(const struct record *r);

/*
 * Asks the model whether submission r shows an adverse event. Blocks for one
 * simulated round trip, failing or not. Returns 0 and sets *adverse, or
 * ETIMEDOUT when the model did not answer (then *adverse is untouched).
 */
int ai_screen(const struct record *r, bool *adverse);

#endif
