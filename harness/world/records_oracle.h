/*
 * records_oracle.h - the validation rule without the validation service:
 * what the harness uses to predict a batch's results
 *
 * Harness-only: no chapter header includes this file, so the policy refuses
 * these names in learner code (a report computed from the oracle instead
 * of from the work done would pass the count checks without doing the
 * work). Pure functions of their arguments; thread-safe.
 */
#ifndef WORLD_RECORDS_ORACLE_H
#define WORLD_RECORDS_ORACLE_H

#include <stdbool.h>
#include <stddef.h>

#include "records.h"

/*
 * The validation rule itself, without any simulated latency: true when the
 * vitals are physiologically plausible. Tests use it to predict results.
 */
bool record_is_plausible(const struct record *r);

/* How many of records[0..n-1] are plausible. */
size_t records_count_plausible(const struct record *records, size_t n);

#endif
