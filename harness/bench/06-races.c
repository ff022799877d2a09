/*
 * 06-races.c - throughput workload for chapter 06
 *
 * The dashboards' morning: 8 reader threads each refresh 40 site counts
 * (every read confirms its entry with the registry: 1 ms), while one
 * enrolment thread records 24 new patients at the same 12 sites. Serial:
 * 320 reads one after another, 320 ms; ideal: the reads 8 at a time, 40 ms.
 * The enrolments are too few and too short to matter to the ideal.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "site_cache.h"

#define SITES 12
#define READERS 8
#define READS 40
#define ENROLMENTS 24
#define LATENCY_NS 1000000u

struct reader {
	pthread_t tid;
	unsigned index;
	unsigned zero_reads;	/* written by its thread, read after the join */
};

static struct reader readers[READERS + 1];
static int ret;

static bool setup(void)
{
	if (service_init(&site_registry, "registry", LATENCY_NS, SERVICE_NO_LIMIT, SITES))
		return false;
	if (site_cache_init())
		return false;
	for (unsigned s = 0; s < SITES; s++)
		if (site_enrol(s))
			return false;
	/* Count only what the timed run does. */
	service_destroy(&site_registry);
	return service_init(&site_registry, "registry", LATENCY_NS, SERVICE_NO_LIMIT,
			    SITES) == 0;
}

/* The same reads, one after another: the registry check is the whole cost. */
static void run_baseline(void)
{
	for (unsigned r = 0; r < READERS; r++)
		for (unsigned i = 0; i < READS; i++)
			site_registry_lists((r + i) % SITES);
}

/*
 * The harness's own version, for the reference time: the same threads over
 * a plain array of counts under a read-write lock, held only for the
 * look-up or the increment, never during a registry round trip.
 */
static pthread_rwlock_t ref_lock = PTHREAD_RWLOCK_INITIALIZER;
static unsigned ref_counts[SITES];

/* Thread `index`: a reader, or (index READERS) the enrolments. */
static void ref_thread(size_t index)
{
	if (index == READERS) {
		for (unsigned i = 0; i < ENROLMENTS; i++) {
			pthread_rwlock_wrlock(&ref_lock);
			ref_counts[i % SITES]++;
			pthread_rwlock_unlock(&ref_lock);
		}
		return;
	}
	for (unsigned i = 0; i < READS; i++) {
		unsigned site = (index + i) % SITES, n;

		pthread_rwlock_rdlock(&ref_lock);
		n = ref_counts[site];
		pthread_rwlock_unlock(&ref_lock);
		if (site_registry_lists(site) && n == 0)
			abort();	/* cannot happen: every site starts at 1 */
	}
}

/* READERS + 1 threads, one role each (bench_share()). */
static void run_reference(void)
{
	for (unsigned s = 0; s < SITES; s++)
		ref_counts[s] = 1;
	bench_share(READERS + 1, READERS + 1, ref_thread);
}

static void *reader_thread(void *arg)
{
	struct reader *me = arg;

	if (me->index == READERS) {
		for (unsigned i = 0; i < ENROLMENTS; i++)
			site_enrol(i % SITES);
		return NULL;
	}
	for (unsigned i = 0; i < READS; i++)
		if (site_enrolled((me->index + i) % SITES) == 0)
			me->zero_reads++;
	return NULL;
}

static int run_submission(void)
{
	unsigned started;

	ret = 0;
	for (started = 0; started <= READERS; started++) {
		readers[started].index = started;
		readers[started].zero_reads = 0;
		ret = pthread_create(&readers[started].tid, NULL, reader_thread,
				     &readers[started]);
		if (ret)
			break;
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(readers[i].tid, NULL);
	return 0;
}

static bool verify(char *problem, size_t size)
{
	unsigned zero = 0;
	unsigned long calls = site_cache_api_calls();

	for (unsigned r = 0; r < READERS; r++)
		zero += readers[r].zero_reads;
	if (ret != 0) {
		snprintf(problem, size, "the harness could not start its threads (%d)", ret);
		return false;
	}
	if (service_calls(&site_registry) != READERS * READS) {
		snprintf(problem, size, "%llu registry checks for %d dashboard reads; "
			 "expected one each", (unsigned long long)service_calls(&site_registry),
			 READERS * READS);
		return false;
	}
	if (zero) {
		snprintf(problem, size, "%u dashboard reads of enrolled sites returned 0", zero);
		return false;
	}
	if (site_cache_sites() != SITES) {
		snprintf(problem, size, "the cache holds %zu sites; expected %d",
			 site_cache_sites(), SITES);
		return false;
	}
	if (calls != SITES + READERS * READS + ENROLMENTS) {
		snprintf(problem, size, "site_cache_api_calls() says %lu; expected %d",
			 calls, SITES + READERS * READS + ENROLMENTS);
		return false;
	}
	for (unsigned s = 0; s < SITES; s++) {
		unsigned got = site_enrolled(s), want = 1 + ENROLMENTS / SITES;

		if (got != want) {
			snprintf(problem, size, "site %u shows %u patients; %u were enrolled",
				 s, got, want);
			return false;
		}
	}
	return true;
}

static void teardown(void)
{
	site_cache_destroy();
	service_destroy(&site_registry);
}

const struct bench chapter_bench = {
	.workload = "8 dashboards x 40 reads (1 ms registry check each) + 24 enrolments, "
		    "12 sites",
	.entry = "the dashboards' last read",
	BENCH_FUNCTIONS, .teardown = teardown,
	/* the reads, READERS at a time */
	.ideal = { READERS * READS, LATENCY_NS, READERS },
};
