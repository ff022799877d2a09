/*
 * zoo: site_cache_destroy() empties the list head and the count but frees
 * no entry: every site's memory stays allocated
 * loses: correctness throughput
 * breaks: R8
 *
 * site_cache.c - the site enrolment cache
 *
 * A linked list of sites with their enrolment counts. The dashboards look
 * their site up under the read lock, all at once; an enrolment takes the
 * write lock for the look-up and the increment, so nothing can slip in
 * between. No lock is held during a registry round trip: a first enrolment
 * asks the registry unlocked and looks again under the write lock before it
 * adds the site.
 */
#include "site_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct site_entry {
	struct site_entry *next;	/* L */
	unsigned site;			/* set before the entry is added */
	unsigned enrolled;		/* L: patients enrolled at this site */
};

/*
 * Field tags:
 *   L: protected by cache.lock
 */
static struct {
	pthread_rwlock_t lock;
	struct site_entry *sites;	/* L: newest first */
	size_t nsites;			/* L */
} cache = { .lock = PTHREAD_RWLOCK_INITIALIZER };

/* Every site_enrol() and site_enrolled() call, for the API statistics. */
static atomic_ulong api_calls;	/* one indivisible add per call, no lock */

/* The entry of site, or NULL. Called with cache.lock held. */
static struct site_entry *site_find(unsigned site)
{
	for (struct site_entry *e = cache.sites; e; e = e->next)
		if (e->site == site)
			return e;
	return NULL;
}

int site_cache_init(void)
{
	cache.sites = NULL;
	cache.nsites = 0;
	atomic_store(&api_calls, 0);
	return 0;
}

void site_cache_destroy(void)
{
	cache.sites = NULL;
	cache.nsites = 0;
}

int site_enrol(unsigned site)
{
	struct site_entry *e, *fresh;

	atomic_fetch_add(&api_calls, 1);
	/* A site already cached: the increment under the write lock, nothing else. */
	pthread_rwlock_wrlock(&cache.lock);
	e = site_find(site);
	if (e)
		e->enrolled++;
	pthread_rwlock_unlock(&cache.lock);
	if (e)
		return 0;

	/*
	 * A new site: ask the registry with no lock held, so that nobody waits
	 * for our round trip, and prepare the entry outside the lock too.
	 */
	if (!site_registry_lists(site))
		return ENOENT;
	fresh = calloc(1, sizeof(*fresh));
	if (!fresh)
		return ENOMEM;
	fresh->site = site;

	/* Look again: another first enrolment may have added it meanwhile. */
	pthread_rwlock_wrlock(&cache.lock);
	e = site_find(site);
	if (!e) {
		fresh->next = cache.sites;
		cache.sites = fresh;
		cache.nsites++;
		e = fresh;
		fresh = NULL;
	}
	e->enrolled++;
	pthread_rwlock_unlock(&cache.lock);
	free(fresh);
	return 0;
}

unsigned site_enrolled(unsigned site)
{
	struct site_entry *e;
	unsigned n = 0;

	atomic_fetch_add(&api_calls, 1);
	/* Readers share the lock, and only for the look-up. */
	pthread_rwlock_rdlock(&cache.lock);
	e = site_find(site);
	if (e)
		n = e->enrolled;
	pthread_rwlock_unlock(&cache.lock);
	/* The registry round trip with no lock held: enrolments go on meanwhile. */
	if (e && !site_registry_lists(site))
		n = 0;
	return n;
}

size_t site_cache_sites(void)
{
	size_t n;

	pthread_rwlock_rdlock(&cache.lock);
	n = cache.nsites;
	pthread_rwlock_unlock(&cache.lock);
	return n;
}

unsigned long site_cache_api_calls(void)
{
	return atomic_load(&api_calls);
}
