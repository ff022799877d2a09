/*
 * 12-single-flight.c - throughput workload for chapter 12 (clause R8)
 *
 * 96 sites, 2 ms per directory lookup, 8 dashboard threads that each ask
 * the cache for every site twice, each thread starting at a different site
 * (so that, at any moment, several threads want the same site, and several
 * sites are wanted). With one lookup per site and lookups of different
 * sites overlapping, the 96 lookups take about 96 * 2 ms / 8 = 24 ms; a
 * cache that holds its lock across the lookup needs 96 * 2 ms, as does the
 * serial baseline (one thread asking the directory for each site once).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "clock.h"
#include "site_directory_ctl.h"
#include "sitecache.h"

#define SITES 96
#define THREADS 8
#define ROUNDS 2
#define LATENCY_NS 2000000u

static struct site_cache cache;
static atomic_uint wrong;		/* gets that returned something else than the site's info */
static atomic_int first_error;

static bool setup(void)
{
	atomic_exchange(&wrong, 0);
	atomic_exchange(&first_error, 0);
	return site_directory_reset(LATENCY_NS, SITES) == 0;
}

static void run_baseline(void)
{
	struct site_info info;

	for (unsigned s = 0; s < SITES; s++)
		site_directory_lookup(s, &info);
}

/* One dashboard: every site, ROUNDS times, from its own first site. */
static void *dashboard(void *arg)
{
	unsigned first = (unsigned)(size_t)arg;

	for (unsigned r = 0; r < ROUNDS; r++)
		for (unsigned i = 0; i < SITES; i++) {
			unsigned site = (first + i) % SITES;
			struct site_info info;
			int err = site_cache_get(&cache, site, &info);

			if (err || info.site != site) {
				atomic_fetch_add(&wrong, 1);
				atomic_store(&first_error, err ? err : -1);
			}
		}
	return NULL;
}

static int run_submission(void)
{
	pthread_t threads[THREADS];
	unsigned started;
	int err;

	err = site_cache_init(&cache, 60 * BILLION, BILLION);
	if (err)
		return err;
	for (started = 0; started < THREADS; started++)
		if (pthread_create(&threads[started], NULL, dashboard,
				   (void *)(size_t)(started * SITES / THREADS)))
			break;
	if (started < THREADS)
		dashboard((void *)(size_t)0);
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	site_cache_destroy(&cache);
	return 0;
}

static bool verify(char *problem, size_t size)
{
	unsigned bad = atomic_load(&wrong);

	if (bad) {
		snprintf(problem, size, "%u of %d site_cache_get() calls did not return their site's "
			 "info (one returned %d)", bad, THREADS * ROUNDS * SITES,
			 atomic_load(&first_error));
		return false;
	}
	return bench_once_each(&site_directory, "site", "looked up", problem, size);
}

/* Every site looked up once, THREADS lookups at a time. */
static double ideal_s(void)
{
	return (double)SITES * LATENCY_NS / 1e9 / THREADS;
}

static void teardown(void)
{
}

/* ---- the harness's own parallel version (run_reference) ---- */

static void look_up(size_t i)
{
	struct site_info info;

	site_directory_lookup((unsigned)i, &info);
}

/*
 * THREADS threads over a shared index of sites: what a perfect single
 * flight achieves (each site once, THREADS lookups at a time, the repeats
 * free).
 */
static void run_reference(void)
{
	bench_share(THREADS, SITES, look_up);
}

const struct bench chapter_bench = {
	.workload = "96 sites, 2 ms per directory lookup, 8 threads each asking for every site "
		    "twice from a different first site",
	.entry = "the dashboards' site_cache_get() calls",
	BENCH_FUNCTIONS,
};
