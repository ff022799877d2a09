/*
 * site_roster_harness.h - the harness's side of the roster service
 * (site_roster.h): set-up, counters, and a test hook. Learner code never
 * includes this header, so the policy never lets it call these.
 *
 * Test hook: site_roster_gather() makes the next few roster calls wait for
 * each other, so that a test can hold threads at one point of the code
 * under test (say, between its two lock calls) without adding any
 * synchronisation to it.
 *
 * Safety: site_roster_reset(), site_roster_close() and site_roster_gather()
 * are for the harness, between runs; the counters may be read any time.
 */
#ifndef WORLD_SITE_ROSTER_HARNESS_H
#define WORLD_SITE_ROSTER_HARNESS_H

#include <stdint.h>

#include "service.h"
#include "site_roster.h"

/* The service behind the calls (latency, call counts per site). */
extern struct service site_roster;

/* Sites 0..sites-1 known, every count zeroed. 0 or an errno value. */
int site_roster_reset(unsigned sites, uint64_t latency_ns);

/* Frees what site_roster_reset() took. */
void site_roster_close(void);

/* Calls that started while another call about the same site ran. */
uint64_t site_roster_overlaps(void);

/* Admissions minus discharges at site since the reset. */
long site_roster_net(unsigned site);

/*
 * The next n calls each wait, before their round trip, until all n
 * have arrived or timeout_ns has passed since that call arrived. 0 disarms.
 * Returns how many calls arrived since the last arming.
 */
unsigned site_roster_gather(unsigned n, uint64_t timeout_ns);

#endif
