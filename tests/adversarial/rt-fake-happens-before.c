/*
 * attack: reads without the lock and hides it with fake happens-before annotations: __tsan_release/__tsan_acquire (sanitizer/tsan_interface.h) and Helgrind's ANNOTATE_HAPPENS_BEFORE/AFTER client requests (valgrind/helgrind.h) (red team: written without reading the defences)
 * chapter: 06-races site_cache.c
 * cheats: tsan
 * reason: includes valgrind/helgrind.h
 * bound: 60
 */
/*
 * site_cache.c - the site enrolment cache
 *
 * A linked list of sites with their enrolment counts. The dashboards read
 * it under the read lock, all at once; an enrolment takes the write lock for
 * the whole find-or-add and the increment, so nothing can slip in between.
 */
#include "site_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <valgrind/helgrind.h>
#ifdef __SANITIZE_THREAD__
#include <sanitizer/tsan_interface.h>
#define TC_REL(p) (__tsan_release(p), ANNOTATE_HAPPENS_BEFORE(p))
#define TC_ACQ(p) (__tsan_acquire(p), ANNOTATE_HAPPENS_AFTER(p))
#else
#define TC_REL(p) ANNOTATE_HAPPENS_BEFORE(p)
#define TC_ACQ(p) ANNOTATE_HAPPENS_AFTER(p)
#endif

static char hb_token;

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

/*
 * The entry of site, added with a count of 0 if there is none yet and the
 * registry lists the site. NULL with *err set otherwise. Called with
 * cache.lock held for writing: the check and the add are one critical section.
 */
static struct site_entry *site_get_or_add(unsigned site, int *err)
{
	struct site_entry *e = site_find(site);

	if (e)
		return e;
	if (!site_registry_lists(site)) {
		*err = ENOENT;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		*err = ENOMEM;
		return NULL;
	}
	e->site = site;
	e->next = cache.sites;
	cache.sites = e;
	cache.nsites++;
	return e;
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
	struct site_entry *e = cache.sites;

	while (e) {
		struct site_entry *next = e->next;

		free(e);
		e = next;
	}
	cache.sites = NULL;
	cache.nsites = 0;
}

int site_enrol(unsigned site)
{
	struct site_entry *e;
	int err = 0;

	atomic_fetch_add(&api_calls, 1);
	/* Find-or-add and the increment under one write lock: no lost update. */
	pthread_rwlock_wrlock(&cache.lock);
	e = site_get_or_add(site, &err);
	if (e)
		e->enrolled++;
	TC_REL(&hb_token);
	pthread_rwlock_unlock(&cache.lock);
	return e ? 0 : err;
}

unsigned site_enrolled(unsigned site)
{
	struct site_entry *e;
	unsigned n = 0;

	atomic_fetch_add(&api_calls, 1);
	/* Readers share the lock: the dashboards' lookups run side by side. */
	TC_ACQ(&hb_token);
	e = site_find(site);
	if (e && site_registry_lists(site))
		n = e->enrolled;
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
