/*
 * zoo: cache-aside with "site not found" kept, but check-then-act: every
 * caller that misses asks the directory itself, so a crowd arriving at
 * once makes a lookup each (a thundering herd)
 * loses: correctness throughput
 * breaks: R1a
 *
 * sitecache.c - the site cache: cache-aside in front of the site directory
 *
 * A get looks for a fresh entry; failing that, it lets go of the lock, asks
 * the directory, and takes the lock again to keep the outcome: an answer for
 * the ttl, "site not found" for the negative ttl, so that a missing site does
 * not send every request through to the directory.
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

/* The entry of site, if fresh at now; a stale one is dropped. Lock held. */
static struct site_entry *fresh_entry(struct site_cache *c, unsigned site, uint64_t now)
{
	struct site_entry **link = &c->entries;

	for (; *link; link = &(*link)->next) {
		struct site_entry *e = *link;

		if (e->site != site)
			continue;
		if (now < e->expires_ns)
			return e;
		*link = e->next;
		free(e);
		return NULL;
	}
	return NULL;
}

/* Drops the entry of site, if any. Lock held. */
static void forget(struct site_cache *c, unsigned site)
{
	struct site_entry **link = &c->entries;

	for (; *link; link = &(*link)->next)
		if ((*link)->site == site) {
			struct site_entry *e = *link;

			*link = e->next;
			free(e);
			return;
		}
}

/* Keeps outcome err (0 or ENOENT) of site. Lock held; no entry of site exists. */
static void keep(struct site_cache *c, unsigned site, int err, const struct site_info *info)
{
	struct site_entry *e = malloc(sizeof(*e));

	if (!e)
		return;		/* not kept: the next get asks again */
	e->site = site;
	e->err = err;
	if (err == 0)
		e->info = *info;
	e->expires_ns = world_now_ns() + (err == 0 ? c->ttl_ns : c->negative_ttl_ns);
	e->next = c->entries;
	c->entries = e;
}

int site_cache_get(struct site_cache *c, unsigned site, struct site_info *out)
{
	struct site_entry *e;
	struct site_info info;
	int err;

	pthread_mutex_lock(&c->lock);
	e = fresh_entry(c, site, world_now_ns());
	if (e) {
		err = e->err;
		if (err == 0)
			*out = e->info;
		pthread_mutex_unlock(&c->lock);
		return err;
	}
	pthread_mutex_unlock(&c->lock);

	err = site_directory_lookup(site, &info);

	pthread_mutex_lock(&c->lock);
	/* Another caller may have kept one meanwhile: ours is newer. */
	forget(c, site);
	if (err == 0 || err == ENOENT)
		keep(c, site, err, &info);
	if (err == 0)
		*out = info;
	pthread_mutex_unlock(&c->lock);
	return err;
}
