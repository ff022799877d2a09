/*
 * sitecache.h - a cache in front of the site directory: one lookup per
 * missing site however many callers want it at once (single flight),
 * answers and "site not found" kept for a while (cache-aside)
 *
 * Usage:
 *	struct site_cache cache;
 *	site_cache_init(&cache, 30 * BILLION, 2 * BILLION);
 *			(answers kept 30 s; "site not found" kept 2 s)
 *	any number of threads, any number of times:
 *		struct site_info info;
 *		err = site_cache_get(&cache, site, &info);
 *		0: info is the directory's answer (fresh or kept);
 *		ENOENT: the site does not exist; EIO (or another error): the
 *		directory failed this time, ask again later
 *	site_cache_destroy(&cache);	(once every site_cache_get() has returned)
 *
 * Contract:
 *  R1. (a) Single flight: while a lookup of a site is in flight, every other
 *      site_cache_get() of that site waits for it instead of making its own:
 *      N callers that miss on one site at once make exactly one
 *      site_directory_lookup() call. (b) When the lookup returns, every
 *      caller that waited for it is woken and returns that lookup's outcome:
 *      the same value and, for 0, the same site_info (the same `answer`
 *      serial), each into its own *out.
 *  R2. (a) An error from the directory (anything but 0 and ENOENT) is
 *      returned to the caller that made the lookup and to every caller that
 *      waited for it, once, with no further lookup. (b) Errors are not
 *      kept: the first site_cache_get() of that site after the flight makes
 *      a new lookup.
 *  R3. An answer (0) is kept for ttl_ns from the moment its lookup
 *      returned, and no longer: until then, site_cache_get() of that site
 *      returns a copy of it without a lookup, however often it is asked;
 *      once ttl_ns has passed, the next site_cache_get() of that site makes a
 *      new lookup (one, as in R1).
 *  R4. "Site not found" (ENOENT) is kept too, for negative_ttl_ns, and no
 *      longer: until then, site_cache_get() of that site returns ENOENT
 *      without a lookup, so a storm of requests for a site that does not
 *      exist reaches the directory once; once negative_ttl_ns has passed,
 *      the next site_cache_get() of that site asks the directory again (the
 *      site may have been added).
 *  R5. No lock is held while site_directory_lookup() runs: (a) a get that
 *      finds a kept entry returns at once (well under 100 ms here) while a
 *      lookup of another site is in flight, however slow; (b) a miss on
 *      another site starts its own lookup at once, without waiting for the
 *      slow one.
 *  R6. Ages are measured on CLOCK_MONOTONIC (world_now_ns()): setting the
 *      wall clock, forwards or back, neither expires an entry early nor keeps
 *      it longer.
 *  R7. Nothing the cache allocates outlives it: each in-flight record is
 *      freed once the last caller that used it has read its outcome, and
 *      site_cache_destroy() frees every entry.
 *  R8. Every field tagged L below is read and written with the cache's lock
 *      held, on the path of a hit too: many threads getting, keeping and
 *      dropping entries at once make no data race (ThreadSanitizer and
 *      Helgrind report none).
 *  R9. (throughput) T threads looking up K sites, each site wanted by several
 *      threads at once, finish in close to K * L / T, L being one lookup:
 *      each site is looked up once, and lookups of different sites overlap.
 *
 * Safety:
 *  Field tags: I = set by site_cache_init() and read-only afterwards; L =
 *  read and written only with the cache's lock held; F = set by the caller
 *  that creates the record, before any other thread can see it.
 *  site_cache_get() may be called from any number of threads at once, between
 *  site_cache_init() and site_cache_destroy(); it blocks for the cache's lock
 *  (held for list walks and copies only), for the lookup it makes, or for the
 *  flight it waits for, never for a lookup of another site. The caller owns
 *  *out. site_cache_destroy() must be called once, by one thread, after
 *  every site_cache_get() has returned. The grader reads the L fields, with
 *  the lock held, to see how many callers share a flight.
 */
#ifndef SITECACHE_H
#define SITECACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "site_directory.h"

#define BILLION 1000000000ull

/* One lookup in progress, shared by the caller that makes it and its waiters. */
struct site_flight {
	unsigned site;			/* F: the site being looked up */
	pthread_cond_t landed;		/* waiters sleep here, with the cache's lock */
	bool done;			/* L: the lookup has returned; err and info are set */
	int err;			/* L: the lookup's result (0, ENOENT, EIO, ...) */
	struct site_info info;		/* L: the answer, when err is 0 */
	unsigned users;			/* L: callers that still have to read the outcome */
	struct site_flight *next;	/* L: the cache's list of flights */
};

/* A kept outcome: an answer, or "site not found". */
struct site_entry {
	unsigned site;			/* L */
	int err;			/* L: 0 (info holds the answer) or ENOENT */
	struct site_info info;		/* L: when err is 0 */
	uint64_t expires_ns;		/* L: world_now_ns() at which it stops counting */
	struct site_entry *next;	/* L */
};

struct site_cache {
	pthread_mutex_t lock;
	uint64_t ttl_ns;		/* I: how long an answer is kept */
	uint64_t negative_ttl_ns;	/* I: how long "site not found" is kept */
	struct site_entry *entries;	/* L: kept outcomes, at most one per site */
	struct site_flight *flights;	/* L: lookups in flight, at most one per site */
};

/*
 * Prepares an empty cache that keeps answers for ttl_ns and "site not found"
 * for negative_ttl_ns; both must be above 0, and negative_ttl_ns at most
 * ttl_ns. Returns 0 or the error of pthread_mutex_init().
 */
int site_cache_init(struct site_cache *c, uint64_t ttl_ns, uint64_t negative_ttl_ns);

/*
 * Frees every entry and the lock. No thread may be in site_cache_get(), and
 * none may call it afterwards.
 */
void site_cache_destroy(struct site_cache *c);

/*
 * The directory's word on site: a kept outcome while it is fresh (R3, R4),
 * else the outcome of the one lookup in flight for it (R1), which this call
 * makes if there is none. Returns 0 with *out filled; ENOENT (site not
 * found; *out untouched); the directory's error (R2; *out untouched); or
 * ENOMEM. Thread-safe; holds no lock while the directory is asked (R5);
 * blocks until that lookup has returned.
 */
int site_cache_get(struct site_cache *c, unsigned site, struct site_info *out);

#endif
