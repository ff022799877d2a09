/*
 * site_cache.h - the site enrolment cache: how many patients each trial site
 * has enrolled, read constantly by the monitoring dashboards
 *
 * Usage:
 *	site_cache_init();
 *	site_enrol(12);				(enrolment: a patient joined site 12)
 *	unsigned n = site_enrolled(12);		(a dashboard refresh)
 *	unsigned long calls = site_cache_api_calls();
 *	site_cache_destroy();
 *
 * Contract:
 *  R1. Every site_enrol(site) that returns 0 raises that site's count by
 *      exactly one, however many threads enrol at the same site at once: no
 *      enrolment is ever lost.
 *  R2. (a) A site has at most one entry: when the first enrolments at a
 *      new site race each other, the cache still gains one entry for it
 *      (site_cache_sites() counts it once). (b) Every one of those racing
 *      enrolments counts: n of them leave the site's count at n.
 *  R3. (a) site_enrolled(site) returns the site's count, and 0 for a site
 *      never enrolled, for which it adds no entry. (b) While enrolments run,
 *      it returns a value between the number of site_enrol(site) calls that
 *      had returned before it started and the number that had started
 *      before it returned, never going down from one read to the next.
 *  R4. site_enrol(site) asks the registry (site_registry_lists) before it adds
 *      a site it has not seen; for a site the registry does not list it
 *      returns ENOENT and adds nothing.
 *  R5. site_cache_api_calls() is the number of site_enrol() and
 *      site_enrolled() calls made since site_cache_init(), each counted once,
 *      even when they run concurrently; it may be read at any moment.
 *  R6. (throughput) Dashboard reads do not wait for each other: every read
 *      confirms its entry with the registry (one round trip, L), and p
 *      threads doing n reads with rare enrolments in between take close to
 *      n * L / p, with the counts still right.
 *  R7. No lock is held during a registry round trip, so nobody waits for
 *      another thread's: (a) site_enrol() at a site already in the cache
 *      makes no registry call and returns within 20 ms even while dashboards
 *      read without pause (registry round trip 5 ms); (b) site_enrolled()
 *      returns within its own round trip plus 80 ms even while a first
 *      enrolment at another site is asking the registry.
 *  R8. site_cache_destroy() frees every entry: a cache filled with
 *      hundreds of sites and then destroyed gives back the memory it took
 *      (none of it stays allocated).
 *
 * Safety:
 *  There is one cache per process; its state is private to site_cache.c.
 *  site_enrol(), site_enrolled(), site_cache_sites() and
 *  site_cache_api_calls() are thread-safe and may be called from any number
 *  of threads at once. site_cache_init() and site_cache_destroy() are not:
 *  call them while no other cache function runs. site_enrol() and
 *  site_enrolled() block for their own registry round trip at most (R7).
 */
#ifndef SITE_CACHE_H
#define SITE_CACHE_H

#include <stddef.h>

#include "site_registry.h"

/*
 * Empties the cache and sets the API-call counter to 0. Returns 0, or an
 * errno value if a lock cannot be set up.
 */
int site_cache_init(void);

/* Frees every entry (R8). No other cache function may be running. */
void site_cache_destroy(void);

/*
 * Records one enrolment at site (R1); adds the site with a count of 1 if the
 * cache has no entry for it yet, once the registry lists it (R2, R4).
 * Returns 0, ENOENT (the registry does not list site) or ENOMEM.
 */
int site_enrol(unsigned site);

/*
 * The number of patients enrolled at site (R3), 0 if the cache has no entry
 * for it. Confirms the entry with the registry: one round trip (R6).
 */
unsigned site_enrolled(unsigned site);

/* How many sites the cache holds an entry for (R2). */
size_t site_cache_sites(void);

/* The number of site_enrol() and site_enrolled() calls so far (R5). */
unsigned long site_cache_api_calls(void);

#endif
