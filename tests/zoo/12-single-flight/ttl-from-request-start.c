/*
 * zoo: the time is read once at the top of site_cache_get() and used for the
 * entry's expiry, so the ttl runs from the start of the lookup, not its return
 * loses: correctness throughput
 * breaks: R3
 *
 * sitecache.c - the site cache: cache-aside in front of the site directory,
 * with one lookup per missing site (single flight)
 *
 * A get looks for a fresh entry; failing that, for a flight of the same site
 * to join; failing that, it starts the flight itself, lets go of the lock,
 * asks the directory, and takes the lock again to keep the outcome, wake the
 * waiters and hand the flight over to them.
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

/* Keeps outcome err (0 or ENOENT) of site. Lock held; no entry of site exists. */
static void keep(struct site_cache *c, unsigned site, int err, const struct site_info *info,
		 uint64_t now)
{
	struct site_entry *e = malloc(sizeof(*e));

	if (!e)
		return;		/* not kept: the next get asks again */
	e->site = site;
	e->err = err;
	if (err == 0)
		e->info = *info;
	e->expires_ns = now + (err == 0 ? c->ttl_ns : c->negative_ttl_ns);
	e->next = c->entries;
	c->entries = e;
}

static struct site_flight *find_flight(struct site_cache *c, unsigned site)
{
	struct site_flight *f = c->flights;

	while (f && f->site != site)
		f = f->next;
	return f;
}

static void unlink_flight(struct site_cache *c, struct site_flight *f)
{
	struct site_flight **link = &c->flights;

	while (*link != f)
		link = &(*link)->next;
	*link = f->next;
}

/*
 * Reads f's outcome into *out and lets go of f: the last user frees it.
 * Lock held; f is done.
 */
static int collect(struct site_flight *f, struct site_info *out)
{
	int err = f->err;

	if (err == 0)
		*out = f->info;
	if (--f->users == 0) {
		pthread_cond_destroy(&f->landed);
		free(f);
	}
	return err;
}

int site_cache_get(struct site_cache *c, unsigned site, struct site_info *out)
{
	struct site_entry *e;
	struct site_flight *f;
	struct site_info info;
	uint64_t now = world_now_ns();
	int err;

	pthread_mutex_lock(&c->lock);
	e = fresh_entry(c, site, now);
	if (e) {
		err = e->err;
		if (err == 0)
			*out = e->info;
		pthread_mutex_unlock(&c->lock);
		return err;
	}
	f = find_flight(c, site);
	if (f) {
		f->users++;
		while (!f->done)
			pthread_cond_wait(&f->landed, &c->lock);
		err = collect(f, out);
		pthread_mutex_unlock(&c->lock);
		return err;
	}
	f = calloc(1, sizeof(*f));
	if (!f || pthread_cond_init(&f->landed, NULL) != 0) {
		free(f);
		pthread_mutex_unlock(&c->lock);
		return ENOMEM;
	}
	f->site = site;
	f->users = 1;
	f->next = c->flights;
	c->flights = f;
	pthread_mutex_unlock(&c->lock);

	err = site_directory_lookup(site, &info);

	pthread_mutex_lock(&c->lock);
	f->done = true;
	f->err = err;
	if (err == 0)
		f->info = info;
	unlink_flight(c, f);
	if (err == 0 || err == ENOENT)
		keep(c, site, err, &info, now);
	pthread_cond_broadcast(&f->landed);
	err = collect(f, out);
	pthread_mutex_unlock(&c->lock);
	return err;
}
