/*
 * site_cache.c - the site enrolment cache
 *
 * A linked list of sites with their enrolment counts. The dashboards only
 * read it, so reads go straight to the list; only adding a site changes the
 * list, and that is done under the lock.
 */
#include "site_cache.h"

#include <errno.h>
#include <pthread.h>
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
	pthread_mutex_t lock;
	struct site_entry *sites;	/* L: newest first */
	size_t nsites;			/* L */
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Every site_enrol() and site_enrolled() call, for the API statistics. */
static unsigned long api_calls;

/* The entry of site, or NULL. */
static struct site_entry *site_find(unsigned site)
{
	for (struct site_entry *e = cache.sites; e; e = e->next)
		if (e->site == site)
			return e;
	return NULL;
}

/*
 * The entry of site, added with a count of 0 if there is none yet and the
 * registry lists the site. NULL with *err set otherwise.
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
	pthread_mutex_lock(&cache.lock);
	e->next = cache.sites;
	cache.sites = e;
	cache.nsites++;
	pthread_mutex_unlock(&cache.lock);
	return e;
}

int site_cache_init(void)
{
	cache.sites = NULL;
	cache.nsites = 0;
	api_calls = 0;
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

	api_calls++;
	e = site_get_or_add(site, &err);
	if (!e)
		return err;
	e->enrolled++;
	return 0;
}

unsigned site_enrolled(unsigned site)
{
	struct site_entry *e;
	unsigned n = 0;

	api_calls++;
	e = site_find(site);
	if (e && site_registry_lists(site))
		n = e->enrolled;
	return n;
}

size_t site_cache_sites(void)
{
	return cache.nsites;
}

unsigned long site_cache_api_calls(void)
{
	return api_calls;
}
