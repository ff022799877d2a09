/*
 * 12-single-flight.c - throughput workload for chapter 12 (clause R9)
 *
 * 64 sites, 5 ms per directory lookup, 8 dashboard threads that each ask
 * the cache for every site twice, each thread starting at a different site
 * (so that, at any moment, several threads want the same site, and several
 * sites are wanted). With one lookup per site and lookups of different
 * sites overlapping, the 64 lookups take about 64 * 5 ms / 8 = 40 ms; a
 * cache that holds its lock across the lookup needs 64 * 5 ms, as does the
 * serial baseline (one thread asking the directory for each site once).
 * The threads start together, once all are created, so that one created
 * late does not make the others wait for the sites it was to look up first.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "clock.h"
#include "site_directory_ctl.h"
#include "sitecache.h"

#define SITES 64
#define THREADS 8
#define ROUNDS 2
#define LATENCY_NS 5000000u

static struct site_cache cache;
static atomic_bool go;			/* every dashboard thread exists */
static atomic_int state[SITES];		/* run_reference: 0 not asked, 1 in flight, 2 answered */
static atomic_uint wrong;		/* gets that returned something else than the site's info */
static atomic_int first_error;

static bool setup(void)
{
	atomic_exchange_explicit(&wrong, 0, memory_order_relaxed);
	atomic_exchange_explicit(&first_error, 0, memory_order_relaxed);
	for (unsigned s = 0; s < SITES; s++)
		atomic_exchange_explicit(&state[s], 0, memory_order_relaxed);
	return site_directory_reset(LATENCY_NS, SITES) == 0;
}

static void run_baseline(void)
{
	struct site_info info;

	for (unsigned s = 0; s < SITES; s++)
		site_directory_lookup(s, &info);
}

/* What one dashboard does for a site: run_dashboards() sets it before any thread starts. */
static void (*ask_site)(unsigned site);

/* One dashboard: every site, ROUNDS times, from its own first site, asked with ask_site. */
static void *dashboard(void *arg)
{
	unsigned first = (unsigned)(size_t)arg;

	while (!atomic_load_explicit(&go, memory_order_relaxed))
		world_sleep_ns(20000);
	for (unsigned r = 0; r < ROUNDS; r++)
		for (unsigned i = 0; i < SITES; i++)
			ask_site((first + i) % SITES);
	return NULL;
}

/* THREADS dashboards, started together, each from its own first site, asking with ask. */
static void run_dashboards(void (*ask)(unsigned site))
{
	pthread_t threads[THREADS];
	unsigned started;

	ask_site = ask;
	atomic_exchange_explicit(&go, false, memory_order_relaxed);
	for (started = 0; started < THREADS; started++)
		if (pthread_create(&threads[started], NULL, dashboard,
				   (void *)(size_t)(started * SITES / THREADS)))
			break;
	atomic_exchange_explicit(&go, true, memory_order_relaxed);
	if (started < THREADS)
		dashboard((void *)(size_t)0);
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}

/* The learner's cache asked for site; a wrong answer is counted. */
static void cache_ask(unsigned site)
{
	struct site_info info;
	int err = site_cache_get(&cache, site, &info);

	if (err || info.site != site) {
		atomic_fetch_add_explicit(&wrong, 1, memory_order_relaxed);
		atomic_exchange_explicit(&first_error, err ? err : -1, memory_order_relaxed);
	}
}

static int run_submission(void)
{
	int err = site_cache_init(&cache, 60 * BILLION, BILLION);

	if (err)
		return err;
	run_dashboards(cache_ask);
	site_cache_destroy(&cache);
	return 0;
}

static bool verify(char *problem, size_t size)
{
	unsigned bad = atomic_load_explicit(&wrong, memory_order_relaxed);

	if (bad) {
		snprintf(problem, size, "%u of %d site_cache_get() calls did not return their site's "
			 "info (one returned %d)", bad, THREADS * ROUNDS * SITES,
			 atomic_load_explicit(&first_error, memory_order_relaxed));
		return false;
	}
	return bench_once_each(&site_directory, "site", "looked up", problem, size);
}

/* ---- the harness's own parallel version (run_reference) ---- */

/*
 * A site asked of a perfect single flight without a cache's bookkeeping:
 * the first thread to claim a site (0 -> 1) looks it up and marks it
 * answered (2); the others poll every 20 us until it is. The same threads,
 * walks and start as the learner's run.
 */
static void reference_ask(unsigned site)
{
	int unclaimed = 0;

	if (atomic_compare_exchange_strong(&state[site], &unclaimed, 1)) {
		struct site_info info;

		site_directory_lookup(site, &info);
		atomic_store(&state[site], 2);
	} else {
		while (atomic_load(&state[site]) != 2)
			world_sleep_ns(20000);
	}
}

static void run_reference(void)
{
	run_dashboards(reference_ask);
}

const struct bench chapter_bench = {
	.workload = "64 sites, 5 ms per directory lookup, 8 threads each asking for every site "
		    "twice from a different first site",
	.entry = "the dashboards' site_cache_get() calls",
	BENCH_FUNCTIONS,
	.ideal = { SITES, LATENCY_NS, THREADS },
};
