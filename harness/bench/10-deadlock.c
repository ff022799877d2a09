/*
 * 10-deadlock.c - throughput workload for chapter 10 (R6)
 *
 * The quarterly rebalancing: 240 patients move between 256 sites, a batch
 * run by 8 workers; each move is two roster round trips (a discharge and an
 * admission, 0.5 ms each) made while both sites are locked. Serial: 240
 * moves one after another, 240 ms; ideal: 8 at a time, 30 ms. Two moves
 * touching one site must take turns, so even a perfect lock order stays a
 * little short of the ideal; the harness's own version below, with one
 * mutex per site taken in increasing index, is the mark.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"
#include "site_roster_harness.h"
#include "transfer.h"

#define SITES 256
#define MOVES 240
#define WORKERS 8
#define PATIENTS 50
#define LATENCY_NS 500000u

static struct site sites[SITES];
static struct move moves[MOVES];
static long expected[SITES];
static size_t done;
static int ret;

static bool setup(void)
{
	uint64_t state = 2026;

	if (site_roster_reset(SITES, LATENCY_NS))
		return false;
	for (unsigned i = 0; i < SITES; i++) {
		expected[i] = 0;
		if (site_init(&sites[i], i, PATIENTS))
			return false;
	}
	for (unsigned i = 0; i < MOVES; i++) {
		state = state * 6364136223846793005u + 1442695040888963407u;
		moves[i].from = (unsigned)(state >> 33) % SITES;
		state = state * 6364136223846793005u + 1442695040888963407u;
		moves[i].to = (moves[i].from + 1 + (unsigned)(state >> 33) % (SITES - 1)) % SITES;
		expected[moves[i].from]--;
		expected[moves[i].to]++;
	}
	done = 0;
	ret = -1;
	return true;
}

/* The same moves, one after another: the roster calls are the whole cost. */
static void run_baseline(void)
{
	for (unsigned i = 0; i < MOVES; i++) {
		site_roster_discharge(moves[i].from);
		site_roster_admit(moves[i].to);
	}
}

/*
 * The harness's own version, for the reference time: 8 threads take moves
 * from a shared index (bench_share()); each move locks its two sites'
 * mutexes (a private array) in increasing index and makes its roster calls
 * under them.
 */
static pthread_mutex_t ref_locks[SITES];
static unsigned ref_patients[SITES];

static void ref_move(size_t i)
{
	unsigned lo = moves[i].from < moves[i].to ? moves[i].from : moves[i].to;
	unsigned hi = moves[i].from ^ moves[i].to ^ lo;

	pthread_mutex_lock(&ref_locks[lo]);
	pthread_mutex_lock(&ref_locks[hi]);
	site_roster_discharge(moves[i].from);
	site_roster_admit(moves[i].to);
	ref_patients[moves[i].from]--;
	ref_patients[moves[i].to]++;
	pthread_mutex_unlock(&ref_locks[hi]);
	pthread_mutex_unlock(&ref_locks[lo]);
}

static void run_reference(void)
{
	for (unsigned i = 0; i < SITES; i++) {
		pthread_mutex_init(&ref_locks[i], NULL);
		ref_patients[i] = PATIENTS;
	}
	bench_share(WORKERS, MOVES, ref_move);
	for (unsigned i = 0; i < SITES; i++)
		pthread_mutex_destroy(&ref_locks[i]);
}

static int run_submission(void)
{
	ret = transfer_batch(sites, SITES, moves, MOVES, WORKERS, &done);
	return ret;
}

static bool verify(char *problem, size_t size)
{
	if (ret != 0 || done != MOVES) {
		snprintf(problem, size, "transfer_batch() returned %d with *done = %zu; "
			 "expected 0 and %d", ret, done, MOVES);
		return false;
	}
	if (site_roster_overlaps()) {
		snprintf(problem, size, "%llu roster calls overlapped another about the same "
			 "site (made without holding the site's lock)",
			 (unsigned long long)site_roster_overlaps());
		return false;
	}
	if (service_peak(&site_roster) > WORKERS) {
		snprintf(problem, size, "%u roster calls in flight at once with %d workers",
			 service_peak(&site_roster), WORKERS);
		return false;
	}
	for (unsigned i = 0; i < SITES; i++)
		if ((long)sites[i].patients != PATIENTS + expected[i] ||
		    site_roster_net(i) != expected[i]) {
			snprintf(problem, size, "site %u holds %u patients (roster %+ld); the "
				 "moves make it %ld (%+ld)", i, sites[i].patients,
				 site_roster_net(i), PATIENTS + expected[i], expected[i]);
			return false;
		}
	return true;
}

static void teardown(void)
{
	for (unsigned i = 0; i < SITES; i++)
		site_destroy(&sites[i]);
	site_roster_close();
}

const struct bench chapter_bench = {
	.workload = "240 moves over 256 sites, 8 workers, 2 roster calls of 0.5 ms per move",
	.entry = "transfer_batch()",
	BENCH_FUNCTIONS, .teardown = teardown,
	/* the moves' roster calls, WORKERS at a time */
	.ideal = { MOVES * 2, LATENCY_NS, WORKERS },
};
