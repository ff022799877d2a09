#include "site_roster_harness.h"

#include <errno.h>
#include <stdatomic.h>

#include "gather.h"

#define RELAXED memory_order_relaxed

struct service site_roster;

static atomic_uint busy[SITE_ROSTER_MAX_SITES];	/* calls in flight per site */
static atomic_long net[SITE_ROSTER_MAX_SITES];
static atomic_ulong overlaps;
static atomic_uint sites_known;

/* The test hook (gather.h): off until the harness arms it. */
static struct world_gather gather;

/* One round trip about site, counting an overlap with another call about it. */
static int roster_call(unsigned site, long change)
{
	if (site >= atomic_load_explicit(&sites_known, RELAXED))
		return ENOENT;
	world_gather_point(&gather);
	if (atomic_fetch_add_explicit(&busy[site], 1, RELAXED) > 0)
		atomic_fetch_add_explicit(&overlaps, 1, RELAXED);
	service_call(&site_roster, site);
	atomic_fetch_add_explicit(&net[site], change, RELAXED);
	atomic_fetch_sub_explicit(&busy[site], 1, RELAXED);
	return 0;
}

int site_roster_discharge(unsigned site)
{
	return roster_call(site, -1);
}

int site_roster_admit(unsigned site)
{
	return roster_call(site, 1);
}

int site_roster_audit(unsigned site)
{
	return roster_call(site, 0);
}

int site_roster_reset(unsigned sites, uint64_t latency_ns)
{
	if (sites > SITE_ROSTER_MAX_SITES)
		return EINVAL;
	for (unsigned i = 0; i < SITE_ROSTER_MAX_SITES; i++) {
		atomic_store_explicit(&busy[i], 0, RELAXED);
		atomic_store_explicit(&net[i], 0, RELAXED);
	}
	atomic_store_explicit(&overlaps, 0, RELAXED);
	atomic_store_explicit(&sites_known, sites, RELAXED);
	site_roster_gather(0, 0);
	return service_init(&site_roster, "roster service", latency_ns, SERVICE_NO_LIMIT,
			    sites ? sites : 1);
}

void site_roster_close(void)
{
	service_destroy(&site_roster);
	atomic_store_explicit(&sites_known, 0, RELAXED);
}

uint64_t site_roster_overlaps(void)
{
	return atomic_load_explicit(&overlaps, RELAXED);
}

long site_roster_net(unsigned site)
{
	return site < SITE_ROSTER_MAX_SITES ? atomic_load_explicit(&net[site], RELAXED) : 0;
}

unsigned site_roster_gather(unsigned n, uint64_t timeout_ns)
{
	return world_gather_arm(&gather, n, timeout_ns);
}
