/*
 * 06-races.c - scenarios for chapter 06 (site_cache.h)
 *
 * Each scenario starts from an empty cache and a fresh simulated registry,
 * runs a crowd of harness threads against the cache, joins them all, and
 * checks one clause of site_cache.h. The threads are released together by a
 * barrier; the race that no tool reports (two first enrolments at a new site,
 * each in its own critical section) is forced with the registry's gather
 * hook, not left to luck.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "clock.h"
#include "scenario.h"
#include "site_cache.h"

#define US 1000u
#define MS 1000000u
#define LISTED_SITES 64

/* Fresh cache, fresh registry listing sites 0..LISTED_SITES-1. */
static int world_start(uint64_t latency_ns)
{
	int err = service_init(&site_registry, "the site registry", latency_ns,
			       SERVICE_NO_LIMIT, LISTED_SITES);

	if (err)
		return err;
	site_registry_gather(0, 0);
	return site_cache_init();
}

static void world_finish(void)
{
	site_registry_gather(0, 0);
	site_cache_destroy();
	service_destroy(&site_registry);
}

/* R1: many threads enrolling at the same sites at once. */
struct hammer {
	unsigned per_thread;
	atomic_uint errors;
};

#define HAMMER_SITES 3

static void hammer_enrol(struct crowd *k, unsigned index)
{
	struct hammer *h = k->ctx;

	for (unsigned i = 0; i < h->per_thread; i++)
		if (site_enrol((index + i) % HAMMER_SITES) != 0)
			atomic_fetch_add(&h->errors, 1);
}

static void concurrent_enrolments_all_count(struct check *c, const struct scenario_env *env)
{
	unsigned nthreads = env->small ? 3 : 7;
	struct hammer h = { .per_thread = env->small ? 600 : 6000 };
	unsigned expected[HAMMER_SITES] = { 0 };

	if (world_start(1 * MS))
		return check_fail(c, "R1", "the harness could not set up the registry");
	/* Each site gets its entry first, so the crowd only increments. */
	for (unsigned s = 0; s < HAMMER_SITES; s++) {
		site_enrol(s);
		expected[s]++;
	}
	for (unsigned t = 0; t < nthreads; t++)
		for (unsigned i = 0; i < h.per_thread; i++)
			expected[(t + i) % HAMMER_SITES]++;
	if (crowd_run(nthreads, hammer_enrol, &h))
		check_fail(c, "R1", "the harness could not start its threads");
	else if (atomic_load(&h.errors))
		check_fail(c, "R1", "site_enrol() failed %u times for listed sites; "
			   "expected it to return 0 every time", atomic_load(&h.errors));
	for (unsigned s = 0; s < HAMMER_SITES && !c->failed; s++) {
		unsigned got = site_enrolled(s);

		if (got != expected[s])
			check_fail(c, "R1", "after %u threads enrolled %u patients at site %u "
				   "at once, site_enrolled(%u) says %u; expected %u (%u "
				   "enrolments lost)", nthreads, expected[s], s, s, got,
				   expected[s], expected[s] > got ? expected[s] - got : 0);
	}
	world_finish();
}

/*
 * A dashboard that polls site_cache_sites() while enrolments run, until
 * `racers` of them have returned (or the bound passes). It keeps the lowest
 * and highest values it saw and whether one went down. Its counter and
 * flags are relaxed atomics, so it orders nothing the cache does: a
 * site_cache_sites() that reads without the lock stays visible to the race
 * tools.
 */
struct sites_poll {
	unsigned racers;
	atomic_uint returned;
	uint64_t until_ns;
	size_t lowest, highest, polls;
	bool went_down;
};

static void sites_poll_run(struct sites_poll *p)
{
	size_t prev = 0;

	p->lowest = (size_t)-1;
	while (atomic_load_explicit(&p->returned, memory_order_relaxed) < p->racers &&
	       world_now_ns() < p->until_ns) {
		size_t n = site_cache_sites();

		if (p->polls++ && n < prev)
			p->went_down = true;
		if (n < p->lowest)
			p->lowest = n;
		if (n > p->highest)
			p->highest = n;
		prev = n;
		world_sleep_ns(100 * US);
	}
}

/* R2: the first enrolments at a new site, forced to overlap. */
struct first_race {
	unsigned site;
	atomic_uint errors;
	int first_ret;			/* of a failed call: written before `returned` */
	struct sites_poll poll;		/* member 0 polls; 1..racers enrol */
};

static void first_enrol(struct crowd *k, unsigned index)
{
	struct first_race *r = k->ctx;
	int ret;

	if (index == 0)
		return sites_poll_run(&r->poll);
	ret = site_enrol(r->site);
	if (ret != 0 && atomic_fetch_add(&r->errors, 1) == 0)
		r->first_ret = ret;
	atomic_fetch_add_explicit(&r->poll.returned, 1, memory_order_relaxed);
}

static void first_enrolments_add_one_entry(struct check *c, const struct scenario_env *env)
{
	static const unsigned racers[] = { 2, 3 };
	size_t rounds = env->small ? 1 : 2;

	if (world_start(1 * MS))
		return check_fail(c, "R2a", "the harness could not set up the registry");
	for (size_t round = 0; round < rounds && !c->failed; round++) {
		struct first_race r = { .site = 10 + (unsigned)round };
		unsigned n = racers[round], got;
		size_t before = site_cache_sites(), sites;

		r.poll.racers = n;
		r.poll.until_ns = world_now_ns() + scenario_scaled_ns(2.0);
		/*
		 * Every racer that asks the registry about the new site waits
		 * there until all of them have asked (or 300 ms): if the code
		 * lets them all look and miss before any adds, they all add.
		 * A dashboard polls site_cache_sites() meanwhile.
		 */
		site_registry_gather(n, 300 * MS);
		if (crowd_run(n + 1, first_enrol, &r)) {
			check_fail(c, "R2a", "the harness could not start its threads");
			break;
		}
		site_registry_gather(0, 0);
		sites = site_cache_sites() - before;
		got = site_enrolled(r.site);
		if (atomic_load(&r.errors))
			check_fail(c, "R2a", "%u of %u first enrolments at site %u failed "
				   "(the first returned %d); expected all to return 0",
				   atomic_load(&r.errors), n, r.site, r.first_ret);
		else if (sites != 1)
			check_fail(c, "R2a", "%u threads enrolled the first patients of new "
				   "site %u at the same moment and the cache gained %zu "
				   "entries; expected exactly 1 (look-up and add must be one "
				   "step)", n, r.site, sites);
		else if (r.poll.went_down || (r.poll.polls &&
			 (r.poll.lowest < before || r.poll.highest > before + 1)))
			check_fail(c, "R2a", "while %u threads enrolled the first patients of "
				   "new site %u, a dashboard polling site_cache_sites() saw "
				   "values from %zu to %zu%s; expected %zu, then %zu once the "
				   "site was added", n, r.site, r.poll.lowest, r.poll.highest,
				   r.poll.went_down ? ", going down" : "", before, before + 1);
		else if (got != n)
			check_fail(c, "R2b", "%u threads enrolled the first patients of new "
				   "site %u at the same moment; site_enrolled(%u) says %u, "
				   "expected %u", n, r.site, r.site, got, n);
	}
	world_finish();
}

/* R3, one thread: what a read returns. */
static void reads_return_the_count(struct check *c, const struct scenario_env *env)
{
	unsigned got;

	(void)env;
	if (world_start(1 * MS))
		return check_fail(c, "R3a", "the harness could not set up the registry");
	got = site_enrolled(3);
	if (got != 0) {
		check_fail(c, "R3a", "site_enrolled(3) on an empty cache returned %u; "
			   "expected 0", got);
		goto out;
	}
	for (unsigned i = 0; i < 3; i++)
		site_enrol(3);
	site_enrol(4);
	got = site_enrolled(3);
	if (got != 3)
		check_fail(c, "R3a", "after 3 enrolments at site 3, site_enrolled(3) "
			   "returned %u; expected 3", got);
	else if ((got = site_enrolled(5)) != 0)
		check_fail(c, "R3a", "site_enrolled(5), a site never enrolled, returned "
			   "%u; expected 0", got);
	else if (site_cache_sites() != 2)
		check_fail(c, "R3a", "after enrolments at sites 3 and 4 and reads of sites "
			   "3 and 5, "
			   "site_cache_sites() returned %zu; expected 2", site_cache_sites());
out:
	world_finish();
}

/* R3, dashboards reading while enrolments run. */
#define WATCHED_SITE 1

struct watch {
	unsigned enrolments;
	unsigned reads;
	atomic_uint started, returned;	/* enrolments at WATCHED_SITE */
	atomic_uint bad_reads;
	unsigned bad_value, bad_low, bad_high, bad_prev;
	atomic_flag bad_noted;
};

static void watch_thread(struct crowd *k, unsigned index)
{
	struct watch *w = k->ctx;
	unsigned prev = 0;

	if (index == 0) {
		for (unsigned i = 0; i < w->enrolments; i++) {
			atomic_fetch_add(&w->started, 1);
			site_enrol(WATCHED_SITE);
			atomic_fetch_add(&w->returned, 1);
			world_sleep_ns(100 * US);
		}
		return;
	}
	for (unsigned i = 0; i < w->reads; i++) {
		unsigned low = atomic_load(&w->returned);
		unsigned got = site_enrolled(WATCHED_SITE);
		unsigned high = atomic_load(&w->started);

		if ((got < low || got > high || got < prev) &&
		    !atomic_flag_test_and_set(&w->bad_noted)) {
			w->bad_value = got;
			w->bad_low = low;
			w->bad_high = high;
			w->bad_prev = prev;
			atomic_fetch_add(&w->bad_reads, 1);
		}
		prev = got;
		world_sleep_ns(300 * US);
	}
}

static void reads_during_enrolments(struct check *c, const struct scenario_env *env)
{
	struct watch w = {
		.enrolments = env->small ? 60 : 200,
		.reads = env->small ? 20 : 60,
		.bad_noted = ATOMIC_FLAG_INIT,
	};
	unsigned got;

	if (world_start(200 * US))
		return check_fail(c, "R3b", "the harness could not set up the registry");
	if (crowd_run(4, watch_thread, &w))
		check_fail(c, "R3b", "the harness could not start its threads");
	else if (atomic_load(&w.bad_reads))
		check_fail(c, "R3b", "a dashboard read site_enrolled(%d) = %u while %u "
			   "enrolments had returned and %u had started (its previous "
			   "read said %u); expected a value between the two, never going "
			   "down", WATCHED_SITE, w.bad_value, w.bad_low, w.bad_high, w.bad_prev);
	else if ((got = site_enrolled(WATCHED_SITE)) != w.enrolments)
		check_fail(c, "R3b", "after %u enrolments at site %d, site_enrolled(%d) "
			   "returned %u; expected %u", w.enrolments, WATCHED_SITE,
			   WATCHED_SITE, got, w.enrolments);
	world_finish();
}

/* R4: a site the registry does not list. */
static void unlisted_site_is_refused(struct check *c, const struct scenario_env *env)
{
	int ret;

	(void)env;
	if (world_start(1 * MS))
		return check_fail(c, "R4", "the harness could not set up the registry");
	ret = site_enrol(LISTED_SITES + 7);
	if (ret != ENOENT)
		check_fail(c, "R4", "site_enrol(%d), a site the registry does not list, "
			   "returned %d; expected ENOENT (%d)", LISTED_SITES + 7, ret, ENOENT);
	else if (site_cache_sites() != 0)
		check_fail(c, "R4", "after a refused enrolment the cache holds %zu "
			   "sites; expected 0", site_cache_sites());
	else if ((ret = site_enrol(6)) != 0)
		check_fail(c, "R4", "site_enrol(6), a listed site, returned %d; expected 0",
			   ret);
	else if (service_calls_for(&site_registry, 6) == 0)
		check_fail(c, "R4", "site 6 was added to the cache without asking the "
			   "registry (site_registry_lists) first");
	world_finish();
}

/*
 * R4, racing: three enrolments at a site the registry does not list, at
 * the same moment (the registry holds each question until all three have
 * asked, or 300 ms), while a dashboard polls site_cache_sites(). Each must
 * return ENOENT, and the cache must never show an entry for the site, not
 * even for the length of a registry round trip: it asks before it adds.
 */
#define UNLISTED_RACERS 3

static void racing_enrolments_at_an_unlisted_site_fail(struct check *c,
						       const struct scenario_env *env)
{
	struct first_race r = { .site = LISTED_SITES + 9 };
	unsigned zero;

	(void)env;
	if (world_start(1 * MS))
		return check_fail(c, "R4", "the harness could not set up the registry");
	r.poll.racers = UNLISTED_RACERS;
	r.poll.until_ns = world_now_ns() + scenario_scaled_ns(2.0);
	site_registry_gather(UNLISTED_RACERS, 300 * MS);
	if (crowd_run(UNLISTED_RACERS + 1, first_enrol, &r)) {
		check_fail(c, "R4", "the harness could not start its threads");
		goto out;
	}
	site_registry_gather(0, 0);
	zero = UNLISTED_RACERS - atomic_load(&r.errors);
	if (zero)
		check_fail(c, "R4", "%u of %u site_enrol(%u) calls made at the same moment "
			   "returned 0, for a site the registry does not list; expected "
			   "ENOENT (%d) from each: a site the cache has not confirmed with "
			   "the registry must not be counted", zero, UNLISTED_RACERS, r.site,
			   ENOENT);
	else if (r.first_ret != ENOENT)
		check_fail(c, "R4", "site_enrol(%u), a site the registry does not list, "
			   "returned %d; expected ENOENT (%d)", r.site, r.first_ret, ENOENT);
	else if (r.poll.highest > 0)
		check_fail(c, "R4", "while %u enrolments at site %u (not listed) asked the "
			   "registry, a dashboard saw site_cache_sites() = %zu; expected 0 "
			   "throughout: ask the registry before adding the site, not after",
			   UNLISTED_RACERS, r.site, r.poll.highest);
	else if (site_cache_sites() != 0)
		check_fail(c, "R4", "after %u refused enrolments the cache holds %zu sites; "
			   "expected 0", UNLISTED_RACERS, site_cache_sites());
	else if (site_enrolled(r.site) != 0)
		check_fail(c, "R4", "after %u refused enrolments at site %u, "
			   "site_enrolled(%u) says %u; expected 0", UNLISTED_RACERS, r.site,
			   r.site, site_enrolled(r.site));
out:
	world_finish();
}

/* R5: the API-call counter, bumped by many threads, read by a monitor. */
struct tally {
	unsigned per_thread;
	unsigned workers;
	unsigned long total;
	unsigned long prev;		/* the monitor's last reading (the monitor's own) */
	atomic_uint bad_reads;
	unsigned long bad_value, bad_prev;
	atomic_flag bad_noted;
};

/* One worker's iterations in this many make a site_enrol() that fails (ENOENT). */
#define TALLY_UNLISTED_EVERY 50

/* The monitor (crowd_run_watched's watcher): reads the counter while the others run. */
static void tally_monitor(void *ctx)
{
	struct tally *t = ctx;
	unsigned long now = site_cache_api_calls();

	if ((now < t->prev || now > t->total) && !atomic_flag_test_and_set(&t->bad_noted)) {
		t->bad_value = now;
		t->bad_prev = t->prev;
		atomic_fetch_add(&t->bad_reads, 1);
	}
	t->prev = now;
	world_sleep_ns(200 * US);
}

static void tally_worker(void *ctx, unsigned index)
{
	struct tally *t = ctx;

	(void)index;
	for (unsigned i = 0; i < t->per_thread; i++) {
		site_enrol(2);
		/* An unknown site: no registry round trip, just a counted call. */
		site_enrolled(LISTED_SITES + 1);
		/* Not an enrolment or a read: not counted. */
		site_cache_sites();
		/* A site the registry does not list: ENOENT, counted all the same. */
		if (i % TALLY_UNLISTED_EVERY == 0)
			site_enrol(LISTED_SITES + 2);
	}
}

/* The failing site_enrol() calls of one worker's per_thread iterations. */
static unsigned long tally_unlisted(unsigned per_thread)
{
	return (per_thread + TALLY_UNLISTED_EVERY - 1) / TALLY_UNLISTED_EVERY;
}

static void api_calls_counts_every_call(struct check *c, const struct scenario_env *env)
{
	unsigned nthreads = env->small ? 4 : 8;
	struct tally t = {
		.per_thread = env->small ? 400 : 8000,
		.bad_noted = ATOMIC_FLAG_INIT,
	};
	unsigned long got;

	if (world_start(1 * MS))
		return check_fail(c, "R5", "the harness could not set up the registry");
	site_enrol(2);
	t.workers = nthreads - 1;
	t.total = 1 + (2ul * t.per_thread + tally_unlisted(t.per_thread)) * t.workers;
	if (crowd_run_watched(t.workers, tally_worker, tally_monitor, &t))
		check_fail(c, "R5", "the harness could not start its threads");
	got = site_cache_api_calls();
	if (c->failed)
		;
	else if (atomic_load(&t.bad_reads))
		check_fail(c, "R5", "a monitor read site_cache_api_calls() = %lu after "
			   "reading %lu (total calls: %lu); expected it never to go down "
			   "or past the total: every site_enrol() and site_enrolled() call "
			   "counts once, and no other call counts", t.bad_value, t.bad_prev,
			   t.total);
	else if (got != t.total)
		check_fail(c, "R5", "%u threads made %lu site_enrol() and site_enrolled() "
			   "calls in all (%lu of them site_enrol() calls that returned "
			   "ENOENT), and %lu site_cache_sites() calls, and "
			   "site_cache_api_calls() says %lu; expected %lu (%lu %s): every "
			   "site_enrol() and site_enrolled() call counts once, whatever it "
			   "returns, and no other call counts", nthreads - 1, t.total,
			   tally_unlisted(t.per_thread) * t.workers,
			   (unsigned long)t.per_thread * t.workers, got, t.total,
			   got < t.total ? t.total - got : got - t.total,
			   got < t.total ? "calls not counted" : "too many");
	world_finish();
}

/*
 * R8: a cache filled with DESTROY_SITES sites (some enrolled twice), then
 * destroyed, must give back what it took. Measured with mallinfo2(), the
 * C library's own count of the heap in use, in the plain build only (under
 * the race tools and sanitizers the allocator is not glibc's, and the count
 * shows nothing; those runs skip the check). Everything between the two
 * readings runs on this thread.
 */
#define DESTROY_SITES 400

static void destroy_frees_every_entry(struct check *c, const struct scenario_env *env)
{
	size_t before, filled, after, took, kept;
	unsigned failed = 0;

	if (service_init(&site_registry, "the site registry", 20 * US, SERVICE_NO_LIMIT,
			 DESTROY_SITES))
		return check_fail(c, "R8", "the harness could not set up the registry");
	site_registry_gather(0, 0);
	before = mallinfo2().uordblks;
	if (site_cache_init()) {
		check_fail(c, "R8", "site_cache_init() failed; expected 0");
		service_destroy(&site_registry);
		return;
	}
	for (unsigned s = 0; s < DESTROY_SITES; s++)
		if (site_enrol(s) != 0 || (s % 4 == 0 && site_enrol(s) != 0))
			failed++;
	filled = mallinfo2().uordblks;
	site_cache_destroy();
	after = mallinfo2().uordblks;
	took = filled > before ? filled - before : 0;
	kept = after > before ? after - before : 0;
	if (failed)
		check_fail(c, "R8", "site_enrol() failed %u times for listed sites; expected 0",
			   failed);
	else if (!env->small && took >= DESTROY_SITES * 16 && kept * 2 > took)
		check_fail(c, "R8", "a cache filled with %d sites took %zu bytes of heap, and "
			   "after site_cache_destroy() %zu of them were still allocated; "
			   "expected site_cache_destroy() to free every entry", DESTROY_SITES,
			   took, kept);
	service_destroy(&site_registry);
}

/* R6: the throughput workload in small, checked for correctness. */
#define DASH_SITES 6

struct dashboard {
	unsigned reads;
	unsigned enrolments;
	atomic_uint zero_reads;
};

static void dashboard_thread(struct crowd *k, unsigned index)
{
	struct dashboard *d = k->ctx;

	if (index == 0) {
		for (unsigned i = 0; i < d->enrolments; i++)
			site_enrol(i % DASH_SITES);
		return;
	}
	for (unsigned i = 0; i < d->reads; i++)
		if (site_enrolled((index + i) % DASH_SITES) == 0)
			atomic_fetch_add(&d->zero_reads, 1);
}

static void read_mostly_workload_is_right(struct check *c, const struct scenario_env *env)
{
	unsigned nreaders = env->small ? 3 : 6;
	struct dashboard d = { .reads = env->small ? 8 : 20, .enrolments = 2 * DASH_SITES };
	uint64_t checks;

	if (world_start(1 * MS))
		return check_fail(c, "R6", "the harness could not set up the registry");
	for (unsigned s = 0; s < DASH_SITES; s++)
		site_enrol(s);
	checks = service_calls(&site_registry);
	if (crowd_run(nreaders + 1, dashboard_thread, &d))
		check_fail(c, "R6", "the harness could not start its threads");
	checks = service_calls(&site_registry) - checks;
	if (c->failed)
		;
	else if (atomic_load(&d.zero_reads))
		check_fail(c, "R6", "%u dashboard reads of enrolled sites returned 0; "
			   "expected at least 1 each", atomic_load(&d.zero_reads));
	else if (checks != (uint64_t)nreaders * d.reads)
		check_fail(c, "R6", "%u dashboard reads made %llu registry checks; "
			   "expected one each (%u)", nreaders * d.reads,
			   (unsigned long long)checks, nreaders * d.reads);
	for (unsigned s = 0; s < DASH_SITES && !c->failed; s++) {
		unsigned got = site_enrolled(s);

		if (got != 3)
			check_fail(c, "R6", "after 3 enrolments at site %u, amid dashboard "
				   "reads, site_enrolled(%u) says %u; expected 3", s, s, got);
	}
	world_finish();
}

/* R7a: an enrolment at a cached site while dashboards read without pause. */
struct busy_reads {
	uint64_t run_ns;
	uint64_t readers_stop_ns;	/* the readers stop then, whatever happens */
	atomic_bool done;
	uint64_t worst_ns;
	unsigned enrolments;
	atomic_uint errors;
};

static void busy_reads_thread(struct crowd *k, unsigned index)
{
	struct busy_reads *r = k->ctx;

	if (index == 0) {
		uint64_t end = world_now_ns() + r->run_ns;

		/* Let the readers get going first. */
		world_sleep_ns(10 * MS);
		while (world_now_ns() < end) {
			uint64_t start = world_now_ns(), took;

			if (site_enrol(1) != 0)
				atomic_fetch_add(&r->errors, 1);
			took = world_now_ns() - start;
			if (took > r->worst_ns)
				r->worst_ns = took;
			r->enrolments++;
			world_sleep_ns(5 * MS);
		}
		atomic_store(&r->done, true);
		return;
	}
	while (!atomic_load(&r->done) && world_now_ns() < r->readers_stop_ns)
		site_enrolled(1 + index % 2);
}

static void enrolment_does_not_wait_for_reads(struct check *c, const struct scenario_env *env)
{
	double factor = scenario_timeout_factor();
	struct busy_reads r = { .run_ns = (env->small ? 150 : 300) * (uint64_t)MS };
	unsigned readers = env->small ? 3 : 6;
	uint64_t calls;

	if (world_start(5 * MS))
		return check_fail(c, "R7a", "the harness could not set up the registry");
	site_enrol(1);
	site_enrol(2);
	calls = service_calls_for(&site_registry, 1);
	r.readers_stop_ns = world_now_ns() + r.run_ns + 50 * MS;
	if (crowd_run(readers + 1, busy_reads_thread, &r))
		check_fail(c, "R7a", "the harness could not start its threads");
	else if (atomic_load(&r.errors))
		check_fail(c, "R7a", "site_enrol(1) failed %u times; expected 0",
			   atomic_load(&r.errors));
	else if ((double)r.worst_ns / 1e6 > 20 * factor)
		check_fail(c, "R7a", "site_enrol(1), a cached site, took up to %.0f ms while "
			   "%u dashboards read sites 1 and 2 without pause (registry round "
			   "trip 5 ms); expected at most 20 ms: no lock may be held during a "
			   "registry call (a read lock held across it lets readers starve "
			   "the enrolments)", (double)r.worst_ns / 1e6, readers);
	else if (site_enrolled(1) != r.enrolments + 1)
		check_fail(c, "R1", "after %u enrolments at site 1, site_enrolled(1) says "
			   "%u", r.enrolments + 1, site_enrolled(1));
	(void)calls;
	world_finish();
}

/* R7b: a dashboard read while a first enrolment asks the registry. */
struct add_and_read {
	double read_ms;
	int add_err;
};

static void add_and_read_thread(struct crowd *k, unsigned index)
{
	struct add_and_read *a = k->ctx;

	if (index == 0) {
		a->add_err = site_enrol(20);
	} else {
		uint64_t start = world_now_ns() + 1000 * (uint64_t)MS;

		/* Read once the first enrolment is in its registry round trip. */
		while (service_in_flight(&site_registry) < 1 && world_now_ns() < start)
			world_sleep_ns(1 * MS);
		world_sleep_ns(5 * MS);
		start = world_now_ns();
		site_enrolled(1);
		a->read_ms = (double)(world_now_ns() - start) / 1e6;
	}
}

static void read_does_not_wait_for_an_add(struct check *c, const struct scenario_env *env)
{
	double factor = scenario_timeout_factor();
	struct add_and_read a = { 0 };

	(void)env;
	if (world_start(150 * MS))
		return check_fail(c, "R7b", "the harness could not set up the registry");
	site_enrol(1);
	if (crowd_run(2, add_and_read_thread, &a))
		check_fail(c, "R7b", "the harness could not start its threads");
	else if (a.add_err)
		check_fail(c, "R7b", "site_enrol(20) returned %d; expected 0", a.add_err);
	else if (a.read_ms > 150 + 80 * factor)
		check_fail(c, "R7b", "site_enrolled(1) took %.0f ms while a first enrolment "
			   "at site 20 was asking the registry (round trip 150 ms); expected "
			   "at most 230 ms: its own round trip, not someone else's too",
			   a.read_ms);
	world_finish();
}

CHAPTER_SCENARIOS(
	SCENARIO(concurrent_enrolments_all_count, "R1"),
	SCENARIO(first_enrolments_add_one_entry, "R2a R2b"),
	SCENARIO(reads_return_the_count, "R3a"),
	SCENARIO(reads_during_enrolments, "R3b"),
	SCENARIO(unlisted_site_is_refused, "R4"),
	SCENARIO(racing_enrolments_at_an_unlisted_site_fail, "R4"),
	SCENARIO(api_calls_counts_every_call, "R5"),
	SCENARIO(read_mostly_workload_is_right, "R6"),
	SCENARIO(enrolment_does_not_wait_for_reads, "R7a"),
	SCENARIO(read_does_not_wait_for_an_add, "R7b"),
	SCENARIO(destroy_frees_every_entry, "R8")
);
