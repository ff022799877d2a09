/*
 * records.h - deterministic clinical records for the exercises
 *
 * A record is one set of vital signs from one patient, as the EDC system
 * receives it. records_generate() always produces the same records for the
 * same seed, so a test can know in advance how many records are valid.
 *
 * Safety: the functions keep no state; they are thread-safe.
 */
#ifndef WORLD_RECORDS_H
#define WORLD_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct record {
	uint32_t id;		/* position in the batch: 0, 1, 2, ... */
	uint32_t patient_id;
	int systolic;		/* mmHg */
	int diastolic;		/* mmHg */
	int heart_rate;		/* beats per minute */
};

/*
 * Fills out[0..n-1] with records whose id equals their index. The same seed
 * gives the same records. About one record in eight is implausible (a typing
 * error such as a systolic pressure of 1200).
 */
void records_generate(struct record *out, size_t n, uint64_t seed);

#endif
