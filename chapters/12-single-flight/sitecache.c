/*
 * sitecache.c - the site cache: cache-aside in front of the site directory
 *
 * Read the cache; on a hit, answer from it. On a miss, ask the directory and
 * keep the answer for next time. The cache's lock is never held while the
 * directory is asked: a lookup takes a whole round trip, and the other
 * sites' readers must not wait for it.
 */
#include "sitecache.h"

#include <errno.h>
#include <stdlib.h>

int site_cache_init(struct site_cache *c, uint64_t ttl_ns, uint64_t negative_ttl_ns)
{
	c->ttl_ns = ttl_ns;
	c->negative_ttl_ns = negative_ttl_ns;
	c->entries = NULL;
	c->flights = NULL;
	return pthread_mutex_init(&c->lock, NULL);
}

void site_cache_destroy(struct site_cache *c)
{
	struct site_entry *e = c->entries, *next;

	for (; e; e = next) {
		next = e->next;
		free(e);
	}
	c->entries = NULL;
	pthread_mutex_destroy(&c->lock);
}

/* The entry of site, or NULL. Lock held. */
static struct site_entry *find(struct site_cache *c, unsigned site)
{
	struct site_entry *e = c->entries;

	while (e && e->site != site)
		e = e->next;
	return e;
}

int site_cache_get(struct site_cache *c, unsigned site, struct site_info *out)
{
	struct site_entry *e;
	struct site_info info;
	int err;

	pthread_mutex_lock(&c->lock);
	e = find(c, site);
	if (e && world_now_ns() < e->expires_ns) {
		*out = e->info;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	pthread_mutex_unlock(&c->lock);

	/* A miss: ask the directory, without the lock. */
	err = site_directory_lookup(site, &info);
	if (err)
		return err;

	pthread_mutex_lock(&c->lock);
	e = find(c, site);
	if (!e) {
		e = malloc(sizeof(*e));
		if (!e) {
			pthread_mutex_unlock(&c->lock);
			return ENOMEM;
		}
		e->site = site;
		e->next = c->entries;
		c->entries = e;
	}
	e->err = 0;
	e->info = info;
	e->expires_ns = world_now_ns() + c->ttl_ns;
	*out = info;
	pthread_mutex_unlock(&c->lock);
	return 0;
}
