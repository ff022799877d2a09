/*
 * validation_api.h - the hospital's record validation API (simulated)
 *
 * A remote HTTP service: each call costs one network round trip. The harness
 * sets its latency and how many calls it accepts at once before a test.
 *
 * Safety: validate_record() is thread-safe and takes no lock.
 */
#ifndef WORLD_VALIDATION_API_H
#define WORLD_VALIDATION_API_H

#include <stdbool.h>

#include "records.h"
#include "service.h"

/* The service behind validate_record(); configured by the harness. */
extern struct service validation_api;

/*
 * Asks the hospital whether r is plausible. Blocks for one simulated round
 * trip. Returns true when the record may be stored.
 */
bool validate_record(const struct record *r);

#endif
