#include "site_registry.h"

#include "gather.h"

struct service site_registry;

/* The test hook (gather.h): off until the harness arms it. */
static struct world_gather gather;

bool site_registry_lists(unsigned site)
{
	world_gather_point(&gather);
	service_call(&site_registry, site);
	return site < site_registry.nitems;
}

unsigned site_registry_gather(unsigned n, uint64_t timeout_ns)
{
	return world_gather_arm(&gather, n, timeout_ns);
}
