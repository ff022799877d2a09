/*
 * 12-single-flight.c - scenarios for chapter 12 (sitecache.h)
 *
 * The scenarios run a site cache in front of the simulated site directory
 * (site_directory_ctl.h) and force the situations they test: to see whether
 * concurrent misses share one lookup, the directory holds the lookup of one
 * site until every caller has arrived, so the callers certainly overlap.
 * "Arrived" is read from the cache's own bookkeeping, under its lock, as
 * the header describes it (the users of the site's flight), or, for code
 * that makes a lookup per caller, from the directory's count of held
 * lookups. A caller that is never woken is reported after a bound, and
 * left where it is (with the cache it uses) rather than hang the test.
 *
 * Helper threads share with the scenario only atomics written by
 * read-modify-write operations (as the directory does) and data read after
 * pthread_join(), so they add no happens-before edge that could hide a race
 * in the learner's code from ThreadSanitizer or Helgrind. Every time bound
 * is multiplied by the gate's slow-down factor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "perturb.h"
#include "scenario.h"
#include "site_directory_ctl.h"
#include "sitecache.h"

#define MS 1000000ull
#define RELAXED memory_order_relaxed
#define LATENCY_NS (1 * MS)

enum { NOT_YET = -1000 };

/* Seconds scaled by the gate's slow-down factor, in nanoseconds. */
static uint64_t scaled_ns(double seconds)
{
	return (uint64_t)(seconds * scenario_timeout_factor() * 1e9);
}

/*
 * What *out holds before a get: a pattern no answer has, so that a get that
 * returns ENOENT or an error can be seen to have left *out untouched.
 */
#define OUT_PATTERN 0xa5

static void fill_out(struct site_info *info)
{
	memset(info, OUT_PATTERN, sizeof(*info));
}

static bool out_untouched(const struct site_info *info)
{
	const unsigned char *b = (const unsigned char *)info;

	for (size_t i = 0; i < sizeof(*info); i++)
		if (b[i] != OUT_PATTERN)
			return false;
	return true;
}

/* ---- callers: threads that ask the cache, as the dashboards do ---- */

struct caller {
	pthread_t thread;
	struct site_cache *cache;
	unsigned site;
	atomic_int result;		/* NOT_YET until site_cache_get() returned */
	struct site_info info;		/* written by the caller; read after the join */
};

static void *caller_main(void *arg)
{
	struct caller *k = arg;
	struct site_info info;
	int err;

	fill_out(&info);
	err = site_cache_get(k->cache, k->site, &info);
	k->info = info;
	atomic_exchange_explicit(&k->result, err, RELAXED);
	return NULL;
}

/* Starts n callers of site; returns how many started. */
static size_t callers_start(struct caller *k, size_t n, struct site_cache *cache, unsigned site)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fill_out(&k[i].info);
		k[i].cache = cache;
		k[i].site = site;
		atomic_init(&k[i].result, NOT_YET);
		if (pthread_create(&k[i].thread, NULL, caller_main, &k[i]))
			break;
	}
	return i;
}

/* Whether caller i of the array ctx has returned (a scenario_holds). */
static bool caller_returned(void *ctx, size_t i)
{
	struct caller *k = ctx;

	return atomic_load_explicit(&k[i].result, RELAXED) != NOT_YET;
}

/* Waits up to `seconds` (scaled) for all n callers to return; how many did. */
static size_t callers_wait(struct caller *k, size_t n, double seconds)
{
	return n - scenario_wait_all(n, caller_returned, k, seconds);
}

/* Users of site's flight, read under the cache's lock (0: no flight). */
static unsigned flight_users(struct site_cache *cache, unsigned site)
{
	unsigned users = 0;

	pthread_mutex_lock(&cache->lock);
	for (struct site_flight *f = cache->flights; f; f = f->next)
		if (f->site == site) {
			users = f->users;
			break;
		}
	pthread_mutex_unlock(&cache->lock);
	return users;
}

/*
 * Waits up to `seconds` (scaled) until n callers of site have arrived: as
 * users of its flight (then every one but the lookup's maker is asleep on
 * the flight: it let go of the lock only to wait), or as lookups held in the
 * directory. Returns how many had arrived.
 */
static unsigned wait_arrived(struct site_cache *cache, unsigned site, unsigned n, double seconds)
{
	uint64_t deadline = world_now_ns() + scaled_ns(seconds);
	unsigned arrived = 0;

	for (;;) {
		unsigned users = flight_users(cache, site);
		unsigned held = site_directory_held_calls(site);

		arrived = users > held ? users : held;
		if (arrived >= n || world_now_ns() >= deadline)
			return arrived;
		world_sleep_ns(MS / 2);
	}
}

/*
 * A fresh world and cache: the site directory reset to `sites` listed sites
 * (LATENCY_NS a lookup), then site_cache_init(cache, ttl, negative_ttl).
 * False, with the check failed for clause, when either failed.
 */
static bool cache_start(struct check *c, struct site_cache *cache, unsigned sites, uint64_t ttl,
			uint64_t negative_ttl, const char *clause)
{
	int err;

	if (site_directory_reset(LATENCY_NS, sites)) {
		check_fail(c, clause, "harness set-up failed (memory)");
		return false;
	}
	err = site_cache_init(cache, ttl, negative_ttl);
	if (err)
		check_fail(c, clause, "site_cache_init(ttl %.0f ms, negative ttl %.0f ms) returned "
			   "%d (%s); expected 0", ttl / 1e6, negative_ttl / 1e6, err, strerror(err));
	return err == 0;
}

/* One get from the scenario's thread; the lookups of site it made go to *looked. */
static int get_counting(struct site_cache *cache, unsigned site, struct site_info *info,
			unsigned *looked)
{
	unsigned before = site_directory_calls(site);
	int err;

	fill_out(info);
	err = site_cache_get(cache, site, info);
	*looked = site_directory_calls(site) - before;
	return err;
}

/*
 * The first get of site from a fresh cache, which must return 0 after one
 * lookup (R3). True when it did, with the answer in *info; false after
 * failing the check.
 */
static bool first_get_looks_up_once(struct check *c, struct site_cache *cache, unsigned site,
				    struct site_info *info)
{
	unsigned looked;
	int err = get_counting(cache, site, info, &looked);

	if (err || looked != 1) {
		check_fail(c, "R3", "the first site_cache_get() of site %u returned %d after %u "
			   "lookups; expected 0 after one", site, err, looked);
		return false;
	}
	return true;
}

/*
 * A fresh cache of 8 sites (cache_start: set-up failures count against
 * clause) that already keeps site's answer, from one lookup
 * (first_get_looks_up_once), in *info. False after a failed check, with
 * nothing left to destroy.
 */
static bool cache_keeping(struct check *c, struct site_cache *cache, uint64_t ttl,
			  uint64_t negative_ttl, const char *clause, unsigned site,
			  struct site_info *info)
{
	if (!cache_start(c, cache, 8, ttl, negative_ttl, clause))
		return false;
	if (first_get_looks_up_once(c, cache, site, info))
		return true;
	site_cache_destroy(cache);
	return false;
}

/* ---- R1, R2: one flight, every waiter woken with its outcome ---- */

/*
 * N callers miss on one held site at once; the directory answers `answer`
 * (0 or EIO) once they have all arrived. Checks one lookup (R1a), every
 * caller woken (R1b) with the same outcome (R1b, R2a). On success returns
 * true with the cache still up; on a failure the cache is destroyed when
 * that is safe.
 */
static bool one_flight(struct check *c, struct site_cache *cache, size_t n, unsigned site,
		       int answer)
{
	const char *clause = answer == ENOENT ? "R4" : answer ? "R2a" : "R1a";
	struct caller *k = calloc(n, sizeof(*k));
	size_t started, returned;
	unsigned arrived, lookups;
	uint64_t serial = 0;

	if (!k) {
		check_fail(c, clause, "harness set-up failed (memory)");
		return false;
	}
	site_directory_set_failing(answer != 0 && answer != ENOENT);
	site_directory_hold(site, true);
	started = callers_start(k, n, cache, site);
	if (started < n) {
		site_directory_hold(site, false);
		for (size_t i = 0; i < started; i++)
			pthread_join(k[i].thread, NULL);
		free(k);
		check_fail(c, clause, "harness set-up failed (pthread_create)");
		return false;
	}
	arrived = wait_arrived(cache, site, (unsigned)n, 1.0);
	site_directory_hold(site, false);
	returned = callers_wait(k, n, 0.5);
	if (returned < n) {
		check_fail(c, "R1b", "%zu of %zu callers of site %u were still waiting %.1f s after "
			   "the one lookup of it returned%s; expected every caller that waited for a "
			   "lookup woken when it lands", n - returned, n, site,
			   0.5 * scenario_timeout_factor(),
			   answer ? " (with an error)" : "");
		/* They are asleep in the cache: leave it, and them, as they are. */
		return false;
	}
	for (size_t i = 0; i < n; i++)
		pthread_join(k[i].thread, NULL);
	site_directory_set_failing(false);
	lookups = site_directory_calls(site);
	if (lookups != 1) {
		check_fail(c, clause, "%zu threads asked the cache for site %u at once (a miss) and "
			   "the directory was asked %u times%s; expected exactly once, every other "
			   "caller waiting for that lookup (single flight)", n, site, lookups,
			   arrived < n ? "" : " while the first lookup was still in flight");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		int err = atomic_load_explicit(&k[i].result, RELAXED);

		if (err != answer) {
			check_fail(c, answer == ENOENT ? "R4" : answer ? "R2a" : "R1b", "caller %zu of %zu of site %u got %d from "
				   "site_cache_get(); the one lookup answered %d, which every caller that "
				   "waited for it must get", i + 1, n, site, err, answer);
			goto fail;
		}
		if (answer && !out_untouched(&k[i].info)) {
			check_fail(c, answer == ENOENT ? "R4" : "R2a", "caller %zu of %zu of site %u "
				   "got %d from site_cache_get(), and its *out was written (site %u, "
				   "answer serial %llu); expected *out untouched when the answer is %s",
				   i + 1, n, site, err, k[i].info.site,
				   (unsigned long long)k[i].info.answer,
				   answer == ENOENT ? "ENOENT" : "an error");
			goto fail;
		}
		if (answer)
			continue;
		if (k[i].info.site != site || k[i].info.answer == 0) {
			check_fail(c, "R1b", "caller %zu of %zu of site %u got 0 and an info for site %u "
				   "(answer serial %llu); expected the lookup's answer", i + 1, n, site,
				   k[i].info.site, (unsigned long long)k[i].info.answer);
			goto fail;
		}
		if (serial && k[i].info.answer != serial) {
			check_fail(c, "R1b", "callers of site %u got different answers (serials %llu and "
				   "%llu) from one lookup; expected each a copy of the same", site,
				   (unsigned long long)serial, (unsigned long long)k[i].info.answer);
			goto fail;
		}
		serial = k[i].info.answer;
	}
	free(k);
	return true;
fail:
	free(k);
	site_cache_destroy(cache);
	return false;
}

/*
 * A fresh cache (set-up failures count against clause), one_flight() of
 * site answering `answer`, then one more get of site from this thread,
 * whose result goes to *err and the lookups it made to *looked. False when
 * the check failed before that get (the cache is then as one_flight() left
 * it); true otherwise: the caller checks the get and destroys the cache.
 */
static bool flight_then_get(struct check *c, const struct scenario_env *env, const char *clause,
			    struct site_cache *cache, unsigned site, int answer, int *err,
			    unsigned *looked)
{
	struct site_info info;

	if (!cache_start(c, cache, 8, 10 * BILLION, BILLION, clause))
		return false;
	if (!one_flight(c, cache, env->small ? 4 : 8, site, answer))
		return false;
	*err = get_counting(cache, site, &info, looked);
	return true;
}

static void concurrent_misses_one_lookup(struct check *c, const struct scenario_env *env)
{
	struct site_cache cache;
	unsigned looked;
	int err;

	/* Then kept: a hit, no lookup. */
	if (!flight_then_get(c, env, "R1a", &cache, 3, 0, &err, &looked))
		return;
	if (err || looked)
		check_fail(c, "R3", "right after the lookup of site 3, site_cache_get() returned %d "
			   "and asked the directory %u times; expected 0 from the kept answer, no "
			   "lookup", err, looked);
	site_cache_destroy(&cache);
}

static void error_reaches_every_waiter(struct check *c, const struct scenario_env *env)
{
	struct site_cache cache;
	unsigned looked;
	int err;

	/* Then the directory is back; the error was not kept. */
	if (!flight_then_get(c, env, "R2a", &cache, 5, EIO, &err, &looked))
		return;
	if (looked != 1 || err != 0)
		check_fail(c, "R2b", "after a lookup of site 5 failed with EIO and the directory "
			   "recovered, the next site_cache_get() returned %d and asked the directory "
			   "%u times; expected a new lookup (errors are not kept) and 0", err, looked);
	site_cache_destroy(&cache);
}

/*
 * *out untouched on ENOENT: for the callers of a flight that finds the
 * site missing (the maker and its waiters), and for a later get that finds
 * "site not found" kept (R4). Errors are checked by one_flight() as well
 * (error_reaches_every_waiter).
 */
static void not_found_leaves_out_untouched(struct check *c, const struct scenario_env *env)
{
	enum { MISSING = 6 };
	struct site_cache cache;
	struct site_info info;
	unsigned looked;
	int err;

	if (!cache_start(c, &cache, 8, 10 * BILLION, 10 * BILLION, "R4"))
		return;
	site_directory_unlist(MISSING);
	if (!one_flight(c, &cache, env->small ? 4 : 8, MISSING, ENOENT))
		return;
	err = get_counting(&cache, MISSING, &info, &looked);
	if (err != ENOENT || looked)
		check_fail(c, "R4", "right after a lookup found site %d missing, site_cache_get() "
			   "returned %d after %u lookups; expected ENOENT (%d) from the kept \"site "
			   "not found\", no lookup", MISSING, err, looked, ENOENT);
	else if (!out_untouched(&info))
		check_fail(c, "R4", "site_cache_get() of site %d returned ENOENT from the kept "
			   "\"site not found\", and its *out was written (site %u, answer serial "
			   "%llu); expected *out untouched", MISSING, info.site,
			   (unsigned long long)info.answer);
	site_cache_destroy(&cache);
}

/* ---- R3: answers kept for ttl ---- */

/*
 * Kept for ttl from the first lookup's return, and no longer: hits spread
 * over the ttl (a hit does not make the answer younger), then one lookup.
 */
static void answers_kept_for_ttl(struct check *c, const struct scenario_env *env)
{
	const uint64_t ttl = scaled_ns(0.2);
	static const double at[] = { 0.0, 0.3, 0.6, 0.85 };	/* of the ttl */
	struct site_cache cache;
	struct site_info first, info;
	unsigned looked;
	uint64_t returned, asked;
	bool renewed = false;	/* a late get made the new lookup already */
	int err;

	(void)env;
	if (!cache_start(c, &cache, 8, ttl, ttl / 2, "R3"))
		return;
	asked = world_now_ns();
	err = get_counting(&cache, 2, &first, &looked);
	returned = world_now_ns();
	if (err || looked != 1 || first.site != 2) {
		check_fail(c, "R3", "the first site_cache_get() of site 2 returned %d with an info "
			   "for site %u after %u lookups; expected 0, site 2, one lookup", err,
			   first.site, looked);
		goto out;
	}
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		uint64_t when = returned + (uint64_t)(at[i] * (double)ttl), now = world_now_ns();

		if (when > now)
			world_sleep_ns(when - now);
		err = get_counting(&cache, 2, &info, &looked);
		/*
		 * The answer is surely kept only for a get that ended within ttl
		 * of the first call (its lookup returned after that); a later one
		 * (the scenario's sleep overshot, or the get was preempted) may
		 * rightly look again: nothing is judged then.
		 */
		if (world_now_ns() >= asked + ttl) {
			renewed |= !err && looked == 1 && info.answer != first.answer;
			continue;
		}
		if (err || looked || info.answer != first.answer) {
			check_fail(c, "R3", "a get of site 2 %.0f ms after its lookup returned (ttl "
				   "%.0f ms) returned %d, answer serial %llu, after %u lookups; expected "
				   "0 and the kept answer (serial %llu) without a lookup",
				   (world_now_ns() - returned) / 1e6, ttl / 1e6, err,
				   (unsigned long long)info.answer, looked,
				   (unsigned long long)first.answer);
			goto out;
		}
	}
	world_sleep_ns(returned + ttl + 20 * MS - world_now_ns());
	err = get_counting(&cache, 2, &info, &looked);
	if (!renewed && (err || looked != 1 || info.answer == first.answer))
		check_fail(c, "R3", "%.0f ms after site 2's lookup returned (ttl %.0f ms; the "
			   "last hit was at %.0f ms), site_cache_get() returned %d (answer serial "
			   "%llu, the kept one %llu) after %u lookups; expected one new lookup and "
			   "its answer: a hit does not make an answer younger",
			   (world_now_ns() - returned) / 1e6, ttl / 1e6, 0.85 * ttl / 1e6, err,
			   (unsigned long long)info.answer, (unsigned long long)first.answer, looked);
out:
	site_cache_destroy(&cache);
}

/*
 * Kept for ttl from the moment the lookup *returned*: a lookup that takes
 * most of the ttl (the directory holds it) still leaves an answer that
 * hits for ttl after its return.
 */
static void ttl_counts_from_the_lookups_return(struct check *c, const struct scenario_env *env)
{
	enum { SITE = 4 };
	const uint64_t ttl = scaled_ns(0.2);
	static const double at[] = { 0.3, 0.6 };	/* of the ttl, after the return */
	struct site_cache cache;
	struct caller maker;
	struct site_info info;
	uint64_t released, deadline;
	unsigned looked;
	int err;

	(void)env;
	if (!cache_start(c, &cache, 8, ttl, ttl / 2, "R3"))
		return;
	site_directory_hold(SITE, true);
	if (callers_start(&maker, 1, &cache, SITE) < 1) {
		site_directory_hold(SITE, false);
		check_fail(c, "R3", "harness set-up failed (pthread_create)");
		goto out;
	}
	deadline = world_now_ns() + scaled_ns(1.0);
	while (site_directory_held_calls(SITE) < 1 && world_now_ns() < deadline &&
	       atomic_load_explicit(&maker.result, RELAXED) == NOT_YET)
		world_sleep_ns(MS / 2);
	/* The lookup has been in flight for 0.8 of the ttl when it returns. */
	world_sleep_ns((uint64_t)(0.8 * (double)ttl));
	released = world_now_ns();
	site_directory_hold(SITE, false);
	if (callers_wait(&maker, 1, 1.0) < 1) {
		/* Asleep in the cache: leave it, and the caller, as they are. */
		return check_fail(c, "R1b", "the caller of site %d was still waiting %.1f s after "
				  "its lookup returned; expected it to return", SITE,
				  scenario_timeout_factor());
	}
	pthread_join(maker.thread, NULL);
	err = atomic_load_explicit(&maker.result, RELAXED);
	if (err || site_directory_calls(SITE) != 1) {
		check_fail(c, "R3", "the first site_cache_get() of site %d returned %d after %u "
			   "lookups; expected 0 after one", SITE, err, site_directory_calls(SITE));
		goto out;
	}
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		uint64_t when = released + (uint64_t)(at[i] * (double)ttl), now = world_now_ns();

		if (when > now)
			world_sleep_ns(when - now);
		err = get_counting(&cache, SITE, &info, &looked);
		/* Judged only when the get ended within ttl of the lookup's return. */
		if (world_now_ns() >= released + ttl)
			break;
		if (err || looked || info.answer != maker.info.answer) {
			check_fail(c, "R3", "a get of site %d %.0f ms after its lookup returned (ttl "
				   "%.0f ms; the lookup took %.0f ms) returned %d, answer serial %llu, "
				   "after %u lookups; expected 0 and the kept answer (serial %llu) "
				   "without a lookup: the ttl runs from the lookup's return, not from "
				   "the get that started it", SITE,
				   (world_now_ns() - released) / 1e6, ttl / 1e6, 0.8 * ttl / 1e6, err,
				   (unsigned long long)info.answer, looked,
				   (unsigned long long)maker.info.answer);
			goto out;
		}
	}
out:
	site_cache_destroy(&cache);
}

/* ---- R4: "site not found" kept briefly ---- */

struct stormer {
	struct site_cache *cache;
	unsigned site, loops;
	atomic_uint wrong;		/* answers other than ENOENT */
	atomic_int last_wrong;
};

static void *stormer_main(void *arg)
{
	struct stormer *s = arg;

	for (unsigned i = 0; i < s->loops; i++) {
		struct site_info info;
		int err = site_cache_get(s->cache, s->site, &info);

		if (err != ENOENT) {
			atomic_fetch_add_explicit(&s->wrong, 1, RELAXED);
			atomic_exchange_explicit(&s->last_wrong, err, RELAXED);
		}
	}
	return NULL;
}

static void not_found_kept_briefly(struct check *c, const struct scenario_env *env)
{
	enum { STORMERS = 4, MISSING = 6, LISTED = 1 };
	const uint64_t negative_ttl = scaled_ns(0.25);
	struct stormer s[STORMERS];
	struct site_cache cache;
	struct site_info info, listed;
	unsigned looked, calls, loops = env->small ? 5 : 25;
	int err;

	if (!cache_start(c, &cache, 8, 100 * negative_ttl, negative_ttl, "R4"))
		return;
	site_directory_unlist(MISSING);
	if (!first_get_looks_up_once(c, &cache, LISTED, &listed))
		goto out;
	err = get_counting(&cache, MISSING, &info, &looked);
	if (err != ENOENT || looked != 1) {
		check_fail(c, "R4", "site_cache_get() of site %d, which the directory does not list, "
			   "returned %d after %u lookups; expected ENOENT (%d) after one", MISSING,
			   err, looked, ENOENT);
		goto out;
	}
	/* The storm: every thread asks again and again for the missing site. */
	for (size_t i = 0; i < STORMERS; i++) {
		s[i].cache = &cache;
		s[i].site = MISSING;
		s[i].loops = loops;
		atomic_init(&s[i].wrong, 0);
		atomic_init(&s[i].last_wrong, 0);
	}
	if (crew_run(STORMERS, stormer_main, s, sizeof(*s)) < STORMERS) {
		check_fail(c, "R4", "harness set-up failed (pthread_create)");
		goto out;
	}
	calls = site_directory_calls(MISSING);
	for (size_t i = 0; i < STORMERS; i++)
		if (atomic_load_explicit(&s[i].wrong, RELAXED)) {
			check_fail(c, "R4", "a storm of site_cache_get() calls for site %d, which does "
				   "not exist, got %d; expected ENOENT (%d) every time", MISSING,
				   atomic_load_explicit(&s[i].last_wrong, RELAXED), ENOENT);
			goto out;
		}
	if (calls != 1) {
		check_fail(c, "R4", "%d threads asked for site %d, which does not exist, %u times "
			   "each within its negative ttl (%.0f ms), and the directory was asked %u "
			   "times in all; expected once: \"site not found\" is kept too (cache "
			   "penetration)", STORMERS, MISSING, loops, negative_ttl / 1e6, calls);
		goto out;
	}
	world_sleep_ns(negative_ttl + 20 * MS);
	err = get_counting(&cache, MISSING, &info, &looked);
	if (err != ENOENT || looked != 1) {
		check_fail(c, "R4", "once the negative ttl (%.0f ms) of site %d had passed, "
			   "site_cache_get() returned %d after %u lookups; expected a new lookup "
			   "(the site may exist by now) and ENOENT (%d)", negative_ttl / 1e6,
			   MISSING, err, looked, ENOENT);
		goto out;
	}
	err = get_counting(&cache, LISTED, &info, &looked);
	if (err || looked || info.answer != listed.answer)
		check_fail(c, "R3", "site %d's answer, %.0f ms old with a ttl of %.0f ms, was not "
			   "used: site_cache_get() returned %d after %u lookups; expected the kept "
			   "answer without a lookup (only \"site not found\" is kept briefly)", LISTED,
			   (negative_ttl + 20 * MS) / 1e6, 100 * negative_ttl / 1e6, err, looked);
out:
	site_cache_destroy(&cache);
}

/* ---- R5: no lock across the lookup ---- */

struct get_op {
	struct site_cache *cache;
	unsigned site;
	struct site_info info;
};

static int get_op_run(void *arg)
{
	struct get_op *op = arg;

	return site_cache_get(op->cache, op->site, &op->info);
}

/*
 * Runs get(site) in a runner and waits up to `bound_ns` for it. True when it
 * returned in time with 0; else fails the check (what and why in `what`),
 * lets the slow site go, and joins.
 */
static bool prompt_get(struct check *c, struct site_cache *cache, unsigned site,
		       uint64_t bound_ns, unsigned slow, const char *clause, const char *what)
{
	struct get_op op = { .cache = cache, .site = site };
	struct runner r;
	uint64_t start, end_ns;
	int ret = 0;

	start = world_now_ns();
	if (runner_start(&r, get_op_run, &op)) {
		check_fail(c, clause, "harness set-up failed (pthread_create)");
		return false;
	}
	if (!runner_wait_until(&r, start + bound_ns)) {
		check_fail(c, clause, "%s: site_cache_get() of site %u was still blocked %.0f ms "
			   "later, while a lookup of site %u was in flight; expected it to return at "
			   "once: no lock may be held while the directory is asked", what, site,
			   bound_ns / 1e6, slow);
		site_directory_hold(slow, false);
		runner_join(&r);
		return false;
	}
	runner_finished(&r, &ret, &end_ns);
	runner_join(&r);
	if (ret != 0)
		check_fail(c, clause, "%s: site_cache_get() of site %u returned %d; expected 0",
			   what, site, ret);
	return ret == 0;
}

static void other_sites_never_wait(struct check *c, const struct scenario_env *env)
{
	enum { SLOW = 1, KEPT = 2, FRESH = 3 };
	struct site_cache cache;
	struct caller slow;
	struct site_info info;
	uint64_t deadline;

	(void)env;
	if (!cache_keeping(c, &cache, 10 * BILLION, BILLION, "R5a", KEPT, &info))
		return;
	site_directory_hold(SLOW, true);
	if (callers_start(&slow, 1, &cache, SLOW) < 1) {
		site_directory_hold(SLOW, false);
		check_fail(c, "R5a", "harness set-up failed (pthread_create)");
		goto out;
	}
	deadline = world_now_ns() + scaled_ns(1.0);
	while (site_directory_held_calls(SLOW) < 1 && world_now_ns() < deadline)
		world_sleep_ns(MS / 2);
	if (site_directory_held_calls(SLOW) < 1) {
		site_directory_hold(SLOW, false);
		pthread_join(slow.thread, NULL);
		check_fail(c, "R1a", "site_cache_get() of site %d, not kept, had not asked the "
			   "directory 1 s later; expected a lookup", SLOW);
		goto out;
	}
	/* Site SLOW's lookup now sits in the directory until released. */
	if (prompt_get(c, &cache, KEPT, scaled_ns(0.1), SLOW, "R5a", "a kept site"))
		(void)prompt_get(c, &cache, FRESH, scaled_ns(0.1) + LATENCY_NS, SLOW, "R5b",
				 "a site not kept yet (its own lookup, 1 ms)");
	site_directory_hold(SLOW, false);
	pthread_join(slow.thread, NULL);
	if (!c->failed && atomic_load_explicit(&slow.result, RELAXED) != 0)
		check_fail(c, "R1b", "the slow lookup of site %d ended and its caller got %d; "
			   "expected 0", SLOW, atomic_load_explicit(&slow.result, RELAXED));
out:
	site_cache_destroy(&cache);
}

/* ---- R6: ages on the monotonic clock ---- */

static void ttl_ignores_the_wall_clock(struct check *c, const struct scenario_env *env)
{
	const uint64_t ttl = scaled_ns(0.2);
	const int64_t hour = 3600 * (int64_t)BILLION;
	struct site_cache cache;
	struct site_info info;
	unsigned looked;
	int err;

	(void)env;
	if (!cache_keeping(c, &cache, ttl, ttl / 2, "R6", 4, &info))
		return;
	perturb_wallclock_step(hour);
	err = get_counting(&cache, 4, &info, &looked);
	perturb_wallclock_step(-hour);
	if (err || looked) {
		check_fail(c, "R6", "with the wall clock set an hour forwards right after site 4 "
			   "was looked up (ttl %.0f ms), site_cache_get() returned %d after %u lookups; "
			   "expected the kept answer, no lookup", ttl / 1e6, err, looked);
		goto out;
	}
	perturb_wallclock_step(-hour);
	world_sleep_ns(ttl + 20 * MS);
	err = get_counting(&cache, 4, &info, &looked);
	perturb_wallclock_step(hour);
	if (err || looked != 1)
		check_fail(c, "R6", "the ttl (%.0f ms) of site 4's answer passed while the wall "
			   "clock was set an hour back, and site_cache_get() returned %d after %u "
			   "lookups; expected one new lookup", ttl / 1e6, err, looked);
out:
	site_cache_destroy(&cache);
}

/*
 * R3 with a ttl longer than a scenario can wait (30 s, the lesson's): the
 * monotonic clock is stepped forwards (perturb.h's warp), as a machine
 * that slept would show it. The answer is still kept 20 s in, and looked up
 * again once the 30 s have passed.
 */
static void long_ttl_kept_then_renewed_armed(struct check *c, const struct scenario_env *env)
{
	const uint64_t ttl = 30 * (uint64_t)BILLION;
	struct site_cache cache;
	struct site_info first, info;
	unsigned looked;
	int err;

	(void)env;
	if (!cache_keeping(c, &cache, ttl, ttl / 2, "R3", 5, &first))
		return;
	perturb_monotonic_step(20 * (int64_t)BILLION);
	err = get_counting(&cache, 5, &info, &looked);
	if (err || looked || info.answer != first.answer) {
		check_fail(c, "R3", "20 s after site 5 was looked up (ttl 30 s), site_cache_get() "
			   "returned %d after %u lookups; expected the kept answer, no lookup",
			   err, looked);
		goto out;
	}
	perturb_monotonic_step(15 * (int64_t)BILLION);
	err = get_counting(&cache, 5, &info, &looked);
	if (err || looked != 1 || info.answer == first.answer)
		check_fail(c, "R3", "35 s after site 5 was looked up (ttl 30 s), site_cache_get() "
			   "returned %d after %u lookups (the kept answer: %s); expected one new "
			   "lookup: an answer is kept for ttl_ns, however long that is", err, looked,
			   info.answer == first.answer ? "yes" : "no");
out:
	site_cache_destroy(&cache);
}

/* The round above with the warp armed, then disarmed for the scenarios after it. */
static void long_ttl_kept_then_renewed(struct check *c, const struct scenario_env *env)
{
	perturb_warp_arm();
	long_ttl_kept_then_renewed_armed(c, env);
	perturb_warp_disarm();
}

/* ---- R1, R3, R4 at scale: many threads, many sites ---- */

enum { MANY_SITES = 24, MANY_THREADS = 8 };

struct browser {
	struct site_cache *cache;
	unsigned first, rounds;
	/* Written by the browser, read after the join: its first outcome per site. */
	int err[MANY_SITES];
	uint64_t answer[MANY_SITES];
	unsigned site_seen[MANY_SITES];
	bool changed[MANY_SITES];	/* a later round got another outcome */
};

/* Each browser walks every site from its own first one, `rounds` times. */
static void *browser_main(void *arg)
{
	struct browser *b = arg;

	for (unsigned r = 0; r < b->rounds; r++)
		for (unsigned i = 0; i < MANY_SITES; i++) {
			unsigned site = (b->first + i) % MANY_SITES;
			struct site_info info;
			int err;

			memset(&info, 0, sizeof(info));
			err = site_cache_get(b->cache, site, &info);
			if (r == 0) {
				b->err[site] = err;
				b->answer[site] = info.answer;
				b->site_seen[site] = info.site;
			} else if (err != b->err[site] || info.answer != b->answer[site]) {
				b->changed[site] = true;
			}
		}
	return NULL;
}

/*
 * A reader that asks for a site only once the scenario's thread has kept
 * it, told by a relaxed atomic: nothing but the cache's own lock orders its
 * hit after the insert, so a hit that skips the lock is a data race on
 * every run, not only when the timing happens to line up.
 */
struct late_reader {
	pthread_t thread;
	struct site_cache *cache;
	unsigned site;
	atomic_int go;			/* 1: the site is kept */
	atomic_int result;		/* NOT_YET until its get returned */
	struct site_info info;		/* read after the join */
};

static void *late_reader_main(void *arg)
{
	struct late_reader *r = arg;
	struct site_info info;
	int err;

	while (!atomic_load_explicit(&r->go, RELAXED))
		world_sleep_ns(MS / 5);
	memset(&info, 0, sizeof(info));
	err = site_cache_get(r->cache, r->site, &info);
	r->info = info;
	atomic_exchange_explicit(&r->result, err, RELAXED);
	return NULL;
}

/* The late reader's hit of `site`; false (and a failure) when it was not one. */
static bool late_hit(struct check *c, struct site_cache *cache, unsigned site)
{
	struct late_reader r = { .cache = cache, .site = site };
	struct site_info kept;
	unsigned looked;
	int err;

	atomic_init(&r.go, 0);
	atomic_init(&r.result, NOT_YET);
	if (pthread_create(&r.thread, NULL, late_reader_main, &r)) {
		check_fail(c, "R8", "harness set-up failed (pthread_create)");
		return false;
	}
	err = get_counting(cache, site, &kept, &looked);
	atomic_exchange_explicit(&r.go, 1, RELAXED);
	pthread_join(r.thread, NULL);
	if (err || looked != 1)
		check_fail(c, "R1a", "the first site_cache_get() of site %u returned %d after %u "
			   "lookups; expected 0 after one", site, err, looked);
	else if (atomic_load_explicit(&r.result, RELAXED) != 0 || r.info.answer != kept.answer ||
		 site_directory_calls(site) != 1)
		check_fail(c, "R3", "another thread's get of site %u, kept a moment before, "
			   "returned %d with answer serial %llu after %u lookups in all; expected 0 "
			   "and the kept answer (serial %llu) without a new lookup", site,
			   atomic_load_explicit(&r.result, RELAXED),
			   (unsigned long long)r.info.answer, site_directory_calls(site),
			   (unsigned long long)kept.answer);
	return !c->failed;
}

static bool unlisted(unsigned site)
{
	return site % 5 == 4;
}

static void many_threads_many_sites(struct check *c, const struct scenario_env *env)
{
	struct browser *b = calloc(MANY_THREADS, sizeof(*b));
	struct site_cache cache;
	unsigned threads = env->small ? 4 : MANY_THREADS;

	if (!b)
		return check_fail(c, "R1a", "harness set-up failed (memory)");
	if (!cache_start(c, &cache, MANY_SITES, 10 * BILLION, 5 * BILLION, "R1a")) {
		free(b);
		return;
	}
	for (unsigned s = 0; s < MANY_SITES; s++)
		if (unlisted(s))
			site_directory_unlist(s);
	if (!late_hit(c, &cache, MANY_SITES - 1))
		goto out;
	for (unsigned i = 0; i < threads; i++) {
		b[i].cache = &cache;
		b[i].first = i * MANY_SITES / threads;
		b[i].rounds = env->small ? 2 : 3;
	}
	if (crew_run(threads, browser_main, b, sizeof(*b)) < threads) {
		check_fail(c, "R1a", "harness set-up failed (pthread_create)");
		goto out;
	}
	for (unsigned s = 0; s < MANY_SITES && !c->failed; s++) {
		unsigned calls = site_directory_calls(s);
		int want = unlisted(s) ? ENOENT : 0;

		if (calls != 1) {
			check_fail(c, unlisted(s) ? "R4" : "R1a", "%u threads walked %d sites %u times "
				   "each, starting at different sites, and site %u%s was looked up %u "
				   "times; expected once (one flight per site, then kept)", threads,
				   MANY_SITES, b[0].rounds, s, unlisted(s) ? " (not listed)" : "", calls);
			break;
		}
		for (unsigned t = 0; t < threads; t++) {
			if (b[t].err[s] != want) {
				check_fail(c, "R1b", "thread %u got %d for site %u; expected %d", t + 1,
					   b[t].err[s], s, want);
				break;
			}
			if (b[t].changed[s]) {
				check_fail(c, "R3", "thread %u got another outcome for site %u in a "
					   "later round, within its ttl; expected the kept one", t + 1, s);
				break;
			}
			if (want == 0 && (b[t].site_seen[s] != s || b[t].answer[s] == 0 ||
					  b[t].answer[s] != b[0].answer[s])) {
				check_fail(c, "R1b", "thread %u got site %u's info as site %u, answer "
					   "serial %llu (thread 1: %llu); expected every caller the one "
					   "answer of the one lookup", t + 1, s, b[t].site_seen[s],
					   (unsigned long long)b[t].answer[s],
					   (unsigned long long)b[0].answer[s]);
				break;
			}
		}
	}
out:
	site_cache_destroy(&cache);
	free(b);
}

CHAPTER_SCENARIOS(
	SCENARIO(concurrent_misses_one_lookup, "R1a R1b"),
	SCENARIO(error_reaches_every_waiter, "R2a R2b"),
	SCENARIO(answers_kept_for_ttl, "R3"),
	SCENARIO(long_ttl_kept_then_renewed, "R3"),
	SCENARIO(ttl_counts_from_the_lookups_return, "R3"),
	SCENARIO(not_found_leaves_out_untouched, "R4 R2a"),
	SCENARIO(not_found_kept_briefly, "R4"),
	SCENARIO(other_sites_never_wait, "R5a R5b"),
	SCENARIO(ttl_ignores_the_wall_clock, "R6"),
	SCENARIO(many_threads_many_sites, "R1a R4 R7 R8")
);
