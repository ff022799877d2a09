/*
 * site_directory_ctl.h - the harness's controls of the site directory
 * (site_directory.h)
 *
 * Only the harness includes this header: a learner's file may call what the
 * headers of its chapter declare, and none of them declares these.
 *
 * Usage:
 *	site_directory_reset(2 * MS, 64);	(sites 0..63 listed, healthy, no calls yet)
 *	site_directory_unlist(7);		(site 7: "site not found" from now on)
 *	site_directory_set_failing(true);	(every lookup that starts returns EIO)
 *	site_directory_hold(3, true);		(lookups of site 3 wait inside the directory)
 *	... learner code calls site_directory_lookup() ...
 *	site_directory_calls(3);		(lookups of site 3 so far)
 *
 * Safety: every function is thread-safe and uses relaxed atomics only, so the
 * directory creates no happens-before edge between its callers (a race in
 * the learner's code stays visible to ThreadSanitizer and Helgrind). Call
 * site_directory_reset() with no lookup in flight.
 */
#ifndef WORLD_SITE_DIRECTORY_CTL_H
#define WORLD_SITE_DIRECTORY_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service.h"
#include "site_directory.h"

/* The counts of lookups, lookups in flight, lookups per site: service.h reads them. */
extern struct service site_directory;

/*
 * Prepares a healthy directory with nothing held: latency_ns per lookup,
 * sites 0..nsites-1 listed (any other number is not found, and counted by
 * service_unknown_items()), every count at zero and the answer serial back
 * at 1. Frees what an earlier reset took. Returns 0 or ENOMEM.
 */
int site_directory_reset(uint64_t latency_ns, size_t nsites);

/* From now on, lookups of site (< nsites) answer ENOENT, "site not found". */
void site_directory_unlist(unsigned site);

/* From now on, lookups that start fail with EIO (true) or answer (false). */
void site_directory_set_failing(bool failing);

/*
 * true: lookups of site (< nsites) that start wait inside the directory
 * until it is set false again, then take their round trip as usual; false
 * releases them.
 */
void site_directory_hold(unsigned site, bool held);

/* Lookups of site waiting in a hold right now. */
unsigned site_directory_held_calls(unsigned site);

/* Lookups of site that have started so far (held ones included). */
unsigned site_directory_calls(unsigned site);

/* Lookups of site inside the directory right now (held or in their round trip). */
unsigned site_directory_in_flight(unsigned site);

/* The serial number the directory's next answer will carry. */
uint64_t site_directory_next_answer(void);

#endif
