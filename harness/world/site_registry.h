/*
 * site_registry.h - the trial's site registry (simulated)
 *
 * The registry lists the investigator sites of the trial (hospitals that
 * enrol patients), numbered 0, 1, 2, ... The enrolment cache asks it whether
 * a site is listed: before it adds a site it has never seen, and each time a
 * dashboard reads a site's count (the entry is checked against the
 * registry's local replica). Each question costs one simulated round trip,
 * which stands for the cost of a lookup in the real system.
 *
 * Test hook: site_registry_gather() makes the next few questions wait for
 * each other, so that a test can hold several threads at the same point of
 * the code under test without adding any synchronisation to it.
 *
 * Safety: site_registry_lists() is thread-safe and takes no lock (relaxed
 * atomics only, so it never orders the callers' memory accesses).
 * site_registry_gather() is for the harness, between runs.
 */
#ifndef WORLD_SITE_REGISTRY_H
#define WORLD_SITE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "service.h"

/*
 * The service behind site_registry_lists(); configured by the harness. Sites
 * 0 .. nitems-1 are listed; any other site number is not.
 */
extern struct service site_registry;

/*
 * Asks the registry whether site is a listed site of the trial. Blocks for
 * one simulated round trip (also for sites that are not listed). Returns true
 * when it is listed.
 */
bool site_registry_lists(unsigned site);

/*
 * Arms the hook: the next `n` calls of site_registry_lists() each wait, before
 * their round trip, until all n have arrived or `timeout_ns` has passed since
 * that call arrived. Calls after the first n do not wait. n = 0 disarms it.
 * Returns how many calls have arrived since the last arming.
 */
unsigned site_registry_gather(unsigned n, uint64_t timeout_ns);

#endif
