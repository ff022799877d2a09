/*
 * records_db.h - the EDC records database (simulated)
 *
 * Each insert holds one database connection for the duration of one round
 * trip. The database has a fixed connection budget: the harness counts every
 * insert that starts while the budget is already in use as a violation (in
 * production the database refuses it, or falls over).
 *
 * Safety: store_record() is thread-safe and takes no lock.
 */
#ifndef WORLD_RECORDS_DB_H
#define WORLD_RECORDS_DB_H

#include "records.h"
#include "service.h"

/* The service behind store_record(); configured by the harness. */
extern struct service records_db;

/* Inserts r. Blocks for one simulated round trip. */
void store_record(const struct record *r);

#endif
