#include "site_directory.h"
#include "site_directory_ctl.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"

#define RELAXED memory_order_relaxed
#define HOLD_POLL_NS 200000u

struct service site_directory;

/* Per listed-or-known site; relaxed atomics only, so they order nothing. */
struct site_state {
	atomic_bool unlisted;
	atomic_bool held;
	atomic_uint waiting;		/* lookups in the hold now */
	atomic_uint started;		/* lookups started so far */
	atomic_uint inside;		/* lookups in the directory now */
};

static struct site_state *sites;
static size_t nsites;
static atomic_bool failing;
static _Atomic uint64_t next_answer;
static bool initialised;

int site_directory_reset(uint64_t latency_ns, size_t n)
{
	if (initialised) {
		service_destroy(&site_directory);
		free(sites);
		sites = NULL;
		nsites = 0;
		initialised = false;
	}
	sites = calloc(n ? n : 1, sizeof(*sites));
	if (!sites)
		return ENOMEM;
	if (service_init(&site_directory, "the site directory", latency_ns, SERVICE_NO_LIMIT, n)) {
		free(sites);
		sites = NULL;
		return ENOMEM;
	}
	nsites = n;
	/* Exchanges, not stores: Helgrind treats a plain store as a race. */
	atomic_exchange_explicit(&failing, false, RELAXED);
	atomic_exchange_explicit(&next_answer, 1, RELAXED);
	initialised = true;
	return 0;
}

static struct site_state *state_of(unsigned site)
{
	return sites && site < nsites ? &sites[site] : NULL;
}

void site_directory_unlist(unsigned site)
{
	struct site_state *s = state_of(site);

	if (s)
		atomic_exchange_explicit(&s->unlisted, true, RELAXED);
}

void site_directory_set_failing(bool on)
{
	atomic_exchange_explicit(&failing, on, RELAXED);
}

void site_directory_hold(unsigned site, bool on)
{
	struct site_state *s = state_of(site);

	if (s)
		atomic_exchange_explicit(&s->held, on, RELAXED);
}

unsigned site_directory_held_calls(unsigned site)
{
	struct site_state *s = state_of(site);

	return s ? atomic_load_explicit(&s->waiting, RELAXED) : 0;
}

unsigned site_directory_calls(unsigned site)
{
	struct site_state *s = state_of(site);

	return s ? atomic_load_explicit(&s->started, RELAXED) : 0;
}

unsigned site_directory_in_flight(unsigned site)
{
	struct site_state *s = state_of(site);

	return s ? atomic_load_explicit(&s->inside, RELAXED) : 0;
}

uint64_t site_directory_next_answer(void)
{
	return atomic_load_explicit(&next_answer, RELAXED);
}

int site_directory_lookup(unsigned site, struct site_info *out)
{
	struct site_state *s = state_of(site);
	bool fail;

	if (s) {
		atomic_fetch_add_explicit(&s->started, 1, RELAXED);
		atomic_fetch_add_explicit(&s->inside, 1, RELAXED);
		if (atomic_load_explicit(&s->held, RELAXED)) {
			atomic_fetch_add_explicit(&s->waiting, 1, RELAXED);
			while (atomic_load_explicit(&s->held, RELAXED))
				world_sleep_ns(HOLD_POLL_NS);
			atomic_fetch_sub_explicit(&s->waiting, 1, RELAXED);
		}
	}
	/* Whether it fails is decided as the round trip starts. */
	fail = atomic_load_explicit(&failing, RELAXED);
	service_call(&site_directory, site);
	if (s)
		atomic_fetch_sub_explicit(&s->inside, 1, RELAXED);
	if (fail)
		return EIO;
	if (!s || atomic_load_explicit(&s->unlisted, RELAXED))
		return ENOENT;
	out->site = site;
	out->enrolled = 10 + (site * 7u) % 50;
	out->answer = atomic_fetch_add_explicit(&next_answer, 1, RELAXED);
	snprintf(out->name, sizeof(out->name), "Site %04u", site);
	return 0;
}
