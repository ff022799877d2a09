/*
 * 10-deadlock.c - scenarios for chapter 10 (transfer.h)
 *
 * Each scenario sets up a registry and a row of sites (sites[i] has id i,
 * except in R4d, where the ids run backwards) and a fresh roster service,
 * drives the learner's functions from harness threads released together by
 * a barrier, joins them, and checks one clause.
 * The deadlocks are not left to luck: the roster's gather hook holds two
 * threads at their roster call (between a first and a second lock call, in
 * code that takes them in the wrong order) until both are there, and the
 * census thread takes the locks in the contract's order, stopping half-way
 * for a while. Code that keeps the order of R4 finishes anyway; code that
 * does not hangs, and the watchdog names the cycle (lockgraph.h) from the
 * lock names given here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "lockgraph.h"
#include "scenario.h"
#include "service.h"
#include "site_roster_harness.h"
#include "transfer.h"

#define MS 1000000u
#define MAX_SITES 64

static struct site sites[MAX_SITES];
static struct registry reg;
static unsigned nsites;
static bool ids_reversed;		/* sites[0] has the highest id */
static char lock_names[MAX_SITES][32];

/*
 * n sites with `patients` each, a registry that counts them all, and a
 * roster of latency L. Returns false (and fails c) if something cannot be
 * set up.
 */
static bool world_open_ids(struct check *c, const char *clause, unsigned n,
			   unsigned patients, uint64_t latency_ns, bool reversed);

static bool world_open(struct check *c, const char *clause, unsigned n, unsigned patients,
		       uint64_t latency_ns)
{
	return world_open_ids(c, clause, n, patients, latency_ns, false);
}

/*
 * As world_open(), with the ids of sites[] reversed when `reversed` (sites[0]
 * has the highest id): ids then run against addresses. Every lock is ranked
 * in R4's order for lockgraph_order_error(): the registry's, then sites by id.
 */
static bool world_open_ids(struct check *c, const char *clause, unsigned n,
			   unsigned patients, uint64_t latency_ns, bool reversed)
{
	if (n > MAX_SITES || site_roster_reset(n, latency_ns)) {
		check_fail(c, clause, "the harness could not set up the roster service");
		return false;
	}
	nsites = 0;
	if (registry_init(&reg, (unsigned long)n * patients)) {
		check_fail(c, clause, "registry_init() failed");
		return false;
	}
	ids_reversed = reversed;
	lockgraph_name(&reg.lock, "the registry's lock");
	lockgraph_rank(&reg.lock, 1);
	for (; nsites < n; nsites++) {
		unsigned id = reversed ? n - 1 - nsites : nsites;

		if (site_init(&sites[nsites], id, patients)) {
			check_fail(c, clause, "site_init(%u) failed", id);
			return false;
		}
		snprintf(lock_names[nsites], sizeof(lock_names[nsites]), "site %u's lock", id);
		lockgraph_name(&sites[nsites].lock, lock_names[nsites]);
		lockgraph_rank(&sites[nsites].lock, 2 + (int)id);
	}
	return true;
}

static void world_close(void)
{
	for (unsigned i = 0; i < nsites; i++)
		site_destroy(&sites[i]);
	registry_destroy(&reg);
	site_roster_close();
	lockgraph_forget_names();
	nsites = 0;
	ids_reversed = false;
}

/* The site with id `id`. */
static struct site *site_with_id(unsigned id)
{
	return &sites[ids_reversed ? nsites - 1 - id : id];
}

/* The sum of every site's patients, read with every lock held (R4's order). */
static unsigned long census(unsigned long *enrolled)
{
	unsigned long sum = 0;

	pthread_mutex_lock(&reg.lock);
	for (unsigned id = 0; id < nsites; id++)
		pthread_mutex_lock(&site_with_id(id)->lock);
	for (unsigned i = 0; i < nsites; i++)
		sum += sites[i].patients;
	if (enrolled)
		*enrolled = reg.enrolled;
	for (unsigned id = nsites; id-- > 0;)
		pthread_mutex_unlock(&site_with_id(id)->lock);
	pthread_mutex_unlock(&reg.lock);
	return sum;
}

/* A small deterministic generator for the harness's choices. */
static unsigned next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005u + 1442695040888963407u;
	return (unsigned)(*state >> 33);
}

/* R1a: one move, an empty site, and a move to the same site, one thread. */
static void transfer_moves_one_patient(struct check *c, const struct scenario_env *env)
{
	int err;

	(void)env;
	if (!world_open(c, "R1a", 3, 2, 0))
		return world_close();
	sites[2].patients = 0;
	err = transfer_patient(&sites[0], &sites[1]);
	if (err || sites[0].patients != 1 || sites[1].patients != 3)
		check_fail(c, "R1a", "transfer_patient(site 0 -> site 1) returned %d and left "
			   "%u and %u patients; expected 0 and 1 and 3", err, sites[0].patients,
			   sites[1].patients);
	else if (site_roster_net(0) != -1 || site_roster_net(1) != 1)
		check_fail(c, "R1a", "after one move the roster shows a change of %ld at site 0 "
			   "and %ld at site 1; expected -1 and +1 (a discharge and an admission)",
			   site_roster_net(0), site_roster_net(1));
	else if ((err = transfer_patient(&sites[2], &sites[0])) != ENOENT ||
		 sites[2].patients != 0 || sites[0].patients != 1)
		check_fail(c, "R1a", "a move from a site with no patient returned %d and left "
			   "%u and %u patients; expected ENOENT and nothing changed", err,
			   sites[2].patients, sites[0].patients);
	else if ((err = transfer_patient(&sites[1], &sites[1])) != EINVAL ||
		 sites[1].patients != 3)
		check_fail(c, "R1a", "a move from site 1 to site 1 returned %d and left %u "
			   "patients; expected EINVAL and 3", err, sites[1].patients);
	else if (service_calls(&site_roster) != 2)
		check_fail(c, "R1a", "%llu roster calls for one move and two refused ones; "
			   "expected 2", (unsigned long long)service_calls(&site_roster));
	world_close();
}

/* A harness thread that holds one site's lock until told to let go. */
struct holder {
	struct site *site;
	atomic_bool holding;		/* set once it holds the lock */
	atomic_bool let_go;
};

static int hold_site(void *arg)
{
	struct holder *h = arg;

	pthread_mutex_lock(&h->site->lock);
	atomic_store(&h->holding, true);
	while (!atomic_load(&h->let_go))
		world_sleep_ns(200000);
	pthread_mutex_unlock(&h->site->lock);
	return 0;
}

static int move_2_to_1(void *arg)
{
	(void)arg;
	return transfer_patient(&sites[2], &sites[1]);
}

static int move_2_to_0(void *arg)
{
	(void)arg;
	return transfer_patient(&sites[2], &sites[0]);
}

/*
 * R1a, R1b: site 2 has one patient. A move 2 -> 1 waits for site 1's lock
 * (a harness thread holds it, alone, as R4 allows) while a move 2 -> 0 takes
 * that patient. When site 1's lock is let go, the first move must find site
 * 2 empty: ENOENT, nothing changed. Whether `from` has a patient is only
 * known while both locks are held.
 */
static void empty_site_is_seen_under_both_locks(struct check *c, const struct scenario_env *env)
{
	struct holder h = { .site = &sites[1] };
	struct runner holder, mover, other;
	uint64_t deadline, end_ns;
	int err0 = -1, err1 = -1;
	bool stuck;

	(void)env;
	if (!world_open(c, "R1a", 3, 5, 0))
		return world_close();
	sites[2].patients = 1;
	if (runner_start(&holder, hold_site, &h)) {
		check_fail(c, "R1a", "the harness could not start its threads");
		return world_close();
	}
	deadline = world_now_ns() + scenario_scaled_ns(1.0);
	while (!atomic_load(&h.holding) && world_now_ns() < deadline)
		world_sleep_ns(100000);
	if (runner_start(&mover, move_2_to_1, NULL)) {
		atomic_store(&h.let_go, true);
		runner_join(&holder);
		check_fail(c, "R1a", "the harness could not start its threads");
		return world_close();
	}
	/* The move 2 -> 1 is stuck behind site 1's lock (or done). */
	deadline = world_now_ns() + scenario_scaled_ns(1.0);
	while (lockgraph_waiters(&sites[1].lock) == 0 && !runner_finished(&mover, &err1, &end_ns) &&
	       world_now_ns() < deadline)
		world_sleep_ns(100000);
	world_sleep_ns(2 * MS);
	if (runner_start(&other, move_2_to_0, NULL)) {
		atomic_store(&h.let_go, true);
		runner_join(&holder);
		runner_wait_until(&mover, world_now_ns() + scenario_scaled_ns(2.0));
		check_fail(c, "R1a", "the harness could not start its threads");
		return;
	}
	/* It needs sites 0 and 2 only: it must not wait for site 1's holder. */
	stuck = !runner_wait_until(&other, world_now_ns() + scenario_scaled_ns(1.0));
	atomic_store(&h.let_go, true);
	runner_join(&holder);
	if (!runner_wait_until(&other, world_now_ns() + scenario_scaled_ns(2.0)) ||
	    !runner_wait_until(&mover, world_now_ns() + scenario_scaled_ns(2.0)))
		return check_fail(c, "R1a", "transfer_patient(site 2 -> site 1) or (site 2 -> "
				  "site 0) had not returned 2 s after site 1's lock was let go");
	runner_finished(&other, &err0, &end_ns);
	runner_join(&other);
	runner_finished(&mover, &err1, &end_ns);
	runner_join(&mover);
	if (stuck)
		check_fail(c, "R4c", "while another thread held site 1's lock (alone, as the "
			   "lock order allows) and transfer_patient(site 2 -> site 1) waited "
			   "for it, transfer_patient(site 2 -> site 0) did not return within "
			   "%.1f s; it needs sites 0 and 2 only: the move 2 -> 1 held site 2's "
			   "lock while it waited for site 1's (the order is by increasing id)",
			   scenario_timeout_factor());
	else if (err0 != 0)
		check_fail(c, "R1a", "site 2 held one patient and a move 2 -> 1 waited for site "
			   "1's lock (held by another thread); meanwhile transfer_patient(site 2 "
			   "-> site 0) returned %d; expected 0: the waiting move had not taken "
			   "the patient", err0);
	else if (err1 != ENOENT || sites[2].patients != 0 || sites[1].patients != 5 ||
		 sites[0].patients != 6)
		check_fail(c, "R1a", "site 2 held one patient; transfer_patient(site 2 -> "
			   "site 1) waited for site 1's lock (held by another thread) while "
			   "transfer_patient(site 2 -> site 0) moved that patient; then the "
			   "first move returned %d, and sites 0, 1 and 2 hold %u, %u and %u "
			   "patients; expected ENOENT (%d), and 6, 5 and 0: a move finds out "
			   "whether `from` has a patient while it holds both sites' locks",
			   err1, sites[0].patients, sites[1].patients, sites[2].patients, ENOENT);
	world_close();
}

struct moving {
	unsigned rounds;		/* moves per mover */
	unsigned long expected;		/* patients in all */
	atomic_uint bad_sums, checks;
	atomic_ulong last_bad;
	atomic_int errors;
};

/* The watcher: a count with every lock held. */
static void count_all(void *ctx)
{
	struct moving *m = ctx;
	unsigned long sum = census(NULL);

	atomic_fetch_add(&m->checks, 1);
	if (sum != m->expected) {
		atomic_fetch_add(&m->bad_sums, 1);
		atomic_store(&m->last_bad, sum);
	}
	world_sleep_ns(100000);
}

/* A mover (index 1..): patients moved at random. */
static void move_at_random(void *ctx, unsigned index)
{
	struct moving *m = ctx;
	uint64_t state = 77 + index;

	for (unsigned r = 0; r < m->rounds; r++) {
		unsigned a = next_random(&state) % nsites, b = next_random(&state) % nsites;
		int err;

		if (a == b)
			b = (a + 1) % nsites;
		err = transfer_patient(&sites[a], &sites[b]);
		if (err && err != ENOENT)
			atomic_store(&m->errors, err);
	}
}

/* R1b: a census holding every lock never sees the patient in transit. */
static void census_never_sees_a_move_halfway(struct check *c, const struct scenario_env *env)
{
	unsigned movers = env->small ? 3 : 5;
	struct moving m = { .rounds = env->small ? 30 : 80, .expected = 6 * 20 };
	unsigned long sum;

	if (!world_open(c, "R1b", 6, 20, 300000))
		return world_close();
	if (crowd_run_watched(movers, move_at_random, count_all, &m))
		check_fail(c, "R1b", "the harness could not start its threads");
	sum = census(NULL);
	if (c->failed)
		;
	else if (atomic_load(&m.errors))
		check_fail(c, "R1b", "transfer_patient() returned %d between two listed sites",
			   atomic_load(&m.errors));
	else if (atomic_load(&m.bad_sums))
		check_fail(c, "R1b", "%u of %u counts made while holding every site's lock "
			   "found %lu patients in all instead of %lu: a patient was between "
			   "two sites (taken off one, not yet on the other) while nobody held "
			   "their locks", atomic_load(&m.bad_sums), atomic_load(&m.checks),
			   (unsigned long)atomic_load(&m.last_bad), m.expected);
	else if (sum != m.expected)
		check_fail(c, "R1b", "after the moves the sites hold %lu patients in all; "
			   "expected %lu", sum, m.expected);
	world_close();
}

struct mixed {
	unsigned rounds;
	atomic_int errors;
};

/* Transfers among sites 0-2 and enrolments at them, from every thread. */
static void move_and_enrol(struct crowd *k, unsigned index)
{
	struct mixed *m = k->ctx;
	uint64_t state = 1234 + index;

	for (unsigned r = 0; r < m->rounds; r++) {
		unsigned a = next_random(&state) % 3;
		int err = (r + index) % 3 == 0 ? enrol_patient(&reg, &sites[a])
					       : transfer_patient(&sites[a], &sites[(a + 1 + index % 2) % 3]);

		if (err && err != ENOENT)
			atomic_store(&m->errors, err);
	}
}

/* R1c, R2a: every roster call about a site is made under that site's lock. */
static void roster_calls_hold_the_site(struct check *c, const struct scenario_env *env)
{
	struct mixed m = { .rounds = env->small ? 15 : 40 };
	unsigned threads = env->small ? 3 : 4;

	if (!world_open(c, "R1c R2a", 3, 30, 200000))
		return world_close();
	if (crowd_run(threads, move_and_enrol, &m))
		check_fail(c, "R1c", "the harness could not start its threads");
	else if (atomic_load(&m.errors))
		check_fail(c, "R1c", "a transfer or an enrolment returned %d", atomic_load(&m.errors));
	else if (site_roster_overlaps())
		check_fail(c, "R1c", "the roster got %llu calls about a site while another call "
			   "about the same site was in progress: a discharge or an admission "
			   "was made without holding that site's lock",
			   (unsigned long long)site_roster_overlaps());
	for (unsigned i = 0; i < 3 && !c->failed; i++)
		if (site_roster_net((unsigned)i) != (long)sites[i].patients - 30)
			check_fail(c, "R1c", "site %u went from 30 to %u patients but the roster "
				   "shows a change of %ld: a move or an enrolment did not tell "
				   "it exactly once", i, sites[i].patients, site_roster_net(i));
	world_close();
}

struct enrolling {
	unsigned per_thread;
	unsigned enrollers;
	atomic_uint mismatches;
	atomic_long last_gap;
	atomic_int errors;
};

/* The watcher: the registry compared with the sites. */
static void compare_registry(void *ctx)
{
	struct enrolling *e = ctx;
	unsigned long enrolled, sum = census(&enrolled);

	if (enrolled != sum) {
		atomic_fetch_add(&e->mismatches, 1);
		atomic_store(&e->last_gap, (long)enrolled - (long)sum);
	}
	world_sleep_ns(50000);
}

/* An enroller (index 1..), from its own first site on. */
static void enrol_around(void *ctx, unsigned index)
{
	struct enrolling *e = ctx;

	for (unsigned r = 0; r < e->per_thread; r++) {
		int err = enrol_patient(&reg, &sites[(index + r) % 4]);

		if (err)
			atomic_store(&e->errors, err);
	}
}

/* R2a, R2b: enrolments at several sites at once all count, in both places. */
static void enrolments_all_count(struct check *c, const struct scenario_env *env)
{
	struct enrolling e = { .per_thread = env->small ? 40 : 150, .enrollers = env->small ? 3 : 6 };
	unsigned long enrolled, sum, want = 4 * 5 + (unsigned long)e.per_thread * e.enrollers;

	if (!world_open(c, "R2a R2b", 4, 5, 20000))
		return world_close();
	if (crowd_run_watched(e.enrollers, enrol_around, compare_registry, &e))
		check_fail(c, "R2b", "the harness could not start its threads");
	sum = census(&enrolled);
	if (c->failed)
		;
	else if (atomic_load(&e.errors))
		check_fail(c, "R2b", "enrol_patient() returned %d", atomic_load(&e.errors));
	else if (enrolled != want)
		check_fail(c, "R2b", "after %u enrolments from %u threads the registry counts "
			   "%lu patients; expected %lu: enrolments were lost",
			   e.per_thread * e.enrollers, e.enrollers, enrolled, want);
	else if (sum != want)
		check_fail(c, "R2a", "after the enrolments the sites hold %lu patients; "
			   "the registry says %lu", sum, want);
	else if (atomic_load(&e.mismatches))
		check_fail(c, "R2a", "%u times a thread holding the registry's lock and every "
			   "site's lock found the registry and the sites disagreeing (by %ld): "
			   "an enrolment changed one, let go, then changed the other",
			   atomic_load(&e.mismatches), atomic_load(&e.last_gap));
	world_close();
}

struct reporting {
	unsigned enrolments;		/* per enrolling thread */
	atomic_uint reports_made, skewed;
	atomic_long last_skew;
	atomic_int errors;
};

/* The watcher: a report on site 1, while the enrolments there go on. */
static void report_site_1(void *ctx)
{
	struct reporting *p = ctx;
	struct site_report r = { 0 };
	int err = site_report(&reg, &sites[1], &r);

	if (err) {
		atomic_store(&p->errors, err);
	} else if ((long)r.enrolled - (long)r.patients != 3 * 10 - 10 || r.site != 1) {
		atomic_fetch_add(&p->skewed, 1);
		atomic_store(&p->last_skew, (long)r.enrolled - (long)r.patients);
	}
	atomic_fetch_add(&p->reports_made, 1);
}

/* An enroller at site 1. */
static void enrol_at_site_1(void *ctx, unsigned index)
{
	struct reporting *p = ctx;

	(void)index;
	for (unsigned r = 0; r < p->enrolments; r++) {
		int err = enrol_patient(&reg, &sites[1]);

		if (err)
			atomic_store(&p->errors, err);
	}
}

/* R3a, R3b: a report is one instant, and one audit under the site's lock. */
static void report_is_one_instant(struct check *c, const struct scenario_env *env)
{
	unsigned enrollers = env->small ? 2 : 3;
	struct reporting p = { .enrolments = env->small ? 15 : 40 };
	unsigned audits;

	if (!world_open(c, "R3a R3b", 3, 10, 200000))
		return world_close();
	if (crowd_run_watched(enrollers, enrol_at_site_1, report_site_1, &p))
		check_fail(c, "R3a", "the harness could not start its threads");
	audits = service_calls_for(&site_roster, 1) - enrollers * p.enrolments;
	if (c->failed)
		;
	else if (atomic_load(&p.errors))
		check_fail(c, "R3a", "site_report() or enrol_patient() returned %d",
			   atomic_load(&p.errors));
	else if (atomic_load(&p.skewed))
		check_fail(c, "R3a", "%u of %u reports on site 1, made while patients enrolled "
			   "there, had enrolled - patients = %ld instead of 20: the two counts "
			   "were read at different moments", atomic_load(&p.skewed),
			   atomic_load(&p.reports_made), atomic_load(&p.last_skew));
	else if (audits != atomic_load(&p.reports_made))
		check_fail(c, "R3b", "%u reports made %u roster audits of their site; expected "
			   "one each", atomic_load(&p.reports_made), audits);
	else if (site_roster_overlaps())
		check_fail(c, "R3b", "the roster got %llu calls about site 1 while another "
			   "call about it was in progress: the audit was made without holding "
			   "the site's lock", (unsigned long long)site_roster_overlaps());
	world_close();
}

struct pair {
	unsigned rounds;
	uint64_t delay_ns;		/* before thread 1 starts its call */
	atomic_int errors;
};

/* Thread 0 moves a patient from site 1 to site 2, thread 1 from 2 to 1. */
static void opposite_moves(struct crowd *k, unsigned index)
{
	struct pair *p = k->ctx;

	for (unsigned r = 0; r < p->rounds; r++) {
		int err = index ? transfer_patient(&sites[2], &sites[1])
				: transfer_patient(&sites[1], &sites[2]);

		if (err)
			atomic_store(&p->errors, err);
	}
}

/*
 * R4a's and R4b's run of a pair of threads: `held` rounds of one call each,
 * both calls made to wait in the roster until the other has come (or
 * gather_ms, scaled), then free_rounds calls each, neither held nor
 * delayed. Fails the check for clause when a crowd could not start.
 */
static void pair_rounds(struct check *c, const char *clause, crowd_fn *fn, struct pair *p,
			unsigned held, unsigned gather_ms, unsigned free_rounds)
{
	double factor = scenario_timeout_factor();

	for (unsigned r = 0; r < held && !c->failed; r++) {
		site_roster_gather(2, (uint64_t)(gather_ms * MS * factor));
		if (crowd_run(2, fn, p))
			check_fail(c, clause, "the harness could not start its threads");
	}
	site_roster_gather(0, 0);
	p->rounds = free_rounds;
	p->delay_ns = 0;
	if (!c->failed && crowd_run(2, fn, p))
		check_fail(c, clause, "the harness could not start its threads");
}

/* R4a: two moves in opposite directions at once, held at their roster call. */
static void opposite_transfers_finish(struct check *c, const struct scenario_env *env)
{
	struct pair p = { .rounds = 1 };

	if (!world_open(c, "R4a", 3, 100, 100000))
		return world_close();
	pair_rounds(c, "R4a", opposite_moves, &p, env->small ? 2 : 3, 60, env->small ? 10 : 40);
	if (c->failed)
		;
	else if (atomic_load(&p.errors))
		check_fail(c, "R4a", "transfer_patient() between sites 1 and 2 returned %d",
			   atomic_load(&p.errors));
	else if (sites[1].patients != 100 || sites[2].patients != 100)
		check_fail(c, "R4a", "after as many moves 1 -> 2 as 2 -> 1, sites 1 and 2 hold "
			   "%u and %u patients; expected 100 and 100", sites[1].patients,
			   sites[2].patients);
	world_close();
}

/* Thread 0 reports on site 1; thread 1 enrols there, a moment later. */
static void report_and_enrol(struct crowd *k, unsigned index)
{
	struct pair *p = k->ctx;
	struct site_report out;

	for (unsigned r = 0; r < p->rounds; r++) {
		int err;

		if (index == 1) {
			world_sleep_ns(p->delay_ns);
			err = enrol_patient(&reg, &sites[1]);
		} else {
			err = site_report(&reg, &sites[1], &out);
		}
		if (err)
			atomic_store(&p->errors, err);
	}
}

/* R4b: a report and an enrolment at one site, the report first. */
static void reports_and_enrolments_finish(struct check *c, const struct scenario_env *env)
{
	double factor = scenario_timeout_factor();
	struct pair p = { .rounds = 1, .delay_ns = (uint64_t)(15 * MS * factor) };
	unsigned rounds = env->small ? 2 : 3;
	unsigned long enrolled;

	if (!world_open(c, "R4b", 3, 10, 100000))
		return world_close();
	pair_rounds(c, "R4b", report_and_enrol, &p, rounds, 80, env->small ? 10 : 30);
	census(&enrolled);
	if (c->failed)
		;
	else if (atomic_load(&p.errors))
		check_fail(c, "R4b", "site_report() or enrol_patient() returned %d",
			   atomic_load(&p.errors));
	else if (enrolled != 30 + rounds + p.rounds)
		check_fail(c, "R4b", "the registry counts %lu patients after %u enrolments "
			   "(30 before); expected %u", enrolled, rounds + p.rounds,
			   30 + rounds + p.rounds);
	world_close();
}

struct halfway {
	uint64_t pause_ns;
	atomic_bool half;		/* the census holds the registry and sites 0-1 */
	unsigned step;			/* 0 transfer 3 -> 1, 1 report on 3, 2 enrol at 3 */
	atomic_int errors;
};

/*
 * Thread 0 is a census that stops half-way: the registry and sites 0 and 1
 * held, for a while, then sites 2 and 3. Thread 1, meanwhile, calls the
 * learner's function on sites 3 (and 1).
 */
static void census_halfway(struct crowd *k, unsigned index)
{
	struct halfway *h = k->ctx;
	struct site_report out;
	int err = 0;

	if (index == 0) {
		pthread_mutex_lock(&reg.lock);
		pthread_mutex_lock(&sites[0].lock);
		pthread_mutex_lock(&sites[1].lock);
		atomic_store(&h->half, true);
		world_sleep_ns(h->pause_ns);
		pthread_mutex_lock(&sites[2].lock);
		pthread_mutex_lock(&sites[3].lock);
		for (unsigned i = 4; i-- > 0;)
			pthread_mutex_unlock(&sites[i].lock);
		pthread_mutex_unlock(&reg.lock);
		return;
	}
	while (!atomic_load(&h->half))
		world_sleep_ns(100000);
	if (h->step == 0)
		err = transfer_patient(&sites[3], &sites[1]);
	else if (h->step == 1)
		err = site_report(&reg, &sites[3], &out);
	else
		err = enrol_patient(&reg, &sites[3]);
	if (err)
		atomic_store(&h->errors, err);
}

/* R4c: each function, while a census takes every lock in the contract's order. */
static void locks_in_order_beside_a_census(struct check *c, const struct scenario_env *env)
{
	static const char *const what[] = { "transfer_patient(site 3 -> site 1)",
					    "site_report(site 3)", "enrol_patient(site 3)" };
	double factor = scenario_timeout_factor();
	struct halfway h = { .pause_ns = (uint64_t)(20 * MS * factor) };

	(void)env;
	if (!world_open(c, "R4c", 4, 10, 100000))
		return world_close();
	for (h.step = 0; h.step < 3 && !c->failed; h.step++) {
		atomic_store(&h.half, false);
		if (crowd_run(2, census_halfway, &h))
			check_fail(c, "R4c", "the harness could not start its threads");
		else if (atomic_load(&h.errors))
			check_fail(c, "R4c", "%s returned %d", what[h.step], atomic_load(&h.errors));
	}
	if (!c->failed && (sites[3].patients != 10 || sites[1].patients != 11))
		check_fail(c, "R4c", "after a move 3 -> 1 and an enrolment at 3, sites 1 and 3 "
			   "hold %u and %u patients; expected 11 and 10", sites[1].patients,
			   sites[3].patients);
	world_close();
}

/*
 * R4d: one thread, sites whose ids run against their addresses (sites[0] is
 * site 3): each function in turn, with the lock graph watching the order.
 * One thread cannot deadlock, so this fails cleanly where the order is
 * broken, and the race tools see the order too (a census runs first).
 */
static void lock_order_follows_site_ids(struct check *c, const struct scenario_env *env)
{
	struct site *s3 = &sites[0], *s2 = &sites[1], *s1 = &sites[2];
	struct site_report out;
	char broke[160];
	int err = 0;

	(void)env;
	if (!world_open_ids(c, "R4d", 4, 10, 0, true))
		return world_close();
	census(NULL);
	if (lockgraph_order_error(broke, sizeof(broke)))
		check_fail(c, "R4d", "the harness's own census %s (report it)", broke);
	for (int step = 0; step < 4 && !c->failed; step++) {
		static const char *const what[] = {
			"transfer_patient(site 3 -> site 1)", "transfer_patient(site 1 -> site 3)",
			"site_report(site 2)", "enrol_patient(site 2)" };

		if (step == 0)
			err = transfer_patient(s3, s1);
		else if (step == 1)
			err = transfer_patient(s1, s3);
		else if (step == 2)
			err = site_report(&reg, s2, &out);
		else
			err = enrol_patient(&reg, s2);
		if (err)
			check_fail(c, "R4d", "%s returned %d", what[step], err);
		else if (lockgraph_order_error(broke, sizeof(broke)))
			check_fail(c, "R4d", "%s %s; the order is the registry's lock, then "
				   "site locks by increasing id (here site 3 sits first in "
				   "memory, site 0 last)", what[step], broke);
	}
	world_close();
}

/* Random moves between distinct sites of nsites_. */
static void make_moves(struct move *moves, size_t n, unsigned nsites_, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		moves[i].from = next_random(&seed) % nsites_;
		moves[i].to = (moves[i].from + 1 + next_random(&seed) % (nsites_ - 1)) % nsites_;
	}
}

/* R5a: a batch makes every move, on at most `workers` threads. */
static void batch_makes_every_move(struct check *c, const struct scenario_env *env)
{
	struct move moves[120];
	size_t n = env->small ? 40 : 120, done = 0;
	long expect[32] = { 0 };
	unsigned workers = 3;
	int err;

	if (!world_open(c, "R5a", 32, 100, 200000))
		return world_close();
	make_moves(moves, n, 32, 99);
	for (size_t i = 0; i < n; i++) {
		expect[moves[i].from]--;
		expect[moves[i].to]++;
	}
	err = transfer_batch(sites, 32, moves, n, workers, &done);
	if (err || done != n)
		check_fail(c, "R5a", "transfer_batch() of %zu moves returned %d with *done = %zu; "
			   "expected 0 and %zu", n, err, done, n);
	for (unsigned i = 0; i < 32 && !c->failed; i++)
		if ((long)sites[i].patients != 100 + expect[i] || site_roster_net(i) != expect[i])
			check_fail(c, "R5a", "site %u holds %u patients (the roster says %+ld); "
				   "the moves make it %ld (%+ld)", i, sites[i].patients,
				   site_roster_net(i), 100 + expect[i], expect[i]);
	if (!c->failed && service_peak(&site_roster) > workers)
		check_fail(c, "R5a", "%u roster calls were in flight at once with %u workers: "
			   "more threads than asked for made moves", service_peak(&site_roster),
			   workers);
	world_close();
}

/* R5b, R5c: failed moves (an empty site, a site to itself) among good ones. */
static void batch_survives_failed_moves(struct check *c, const struct scenario_env *env)
{
	struct move moves[40];
	size_t good = env->small ? 12 : 30, n = 0, done = 99;
	long expect[4] = { 0 };
	int err;

	(void)env;
	if (!world_open(c, "R5b R5c", 4, 50, 200000))
		return world_close();
	sites[0].patients = 0;
	moves[n++] = (struct move){ 0, 1 };
	moves[n++] = (struct move){ 0, 2 };
	make_moves(moves + n, good, 3, 5);
	for (size_t i = n; i < n + good; i++) {
		moves[i].from++;
		moves[i].to++;
		expect[moves[i].from]--;
		expect[moves[i].to]++;
	}
	n += good;
	moves[n++] = (struct move){ 2, 2 };
	err = transfer_batch(sites, 4, moves, n, 3, &done);
	if (err != ENOENT && err != EINVAL)
		check_fail(c, "R5b", "transfer_batch() with two moves from an empty site and "
			   "one from a site to itself returned %d; expected ENOENT or EINVAL", err);
	else if (done != good)
		check_fail(c, "R5b", "transfer_batch() set *done to %zu; %zu of its %zu moves "
			   "could be made", done, good, n);
	for (unsigned i = 1; i < 4 && !c->failed; i++)
		if ((long)sites[i].patients != 50 + expect[i])
			check_fail(c, "R5b", "site %u holds %u patients; the good moves make it "
				   "%ld: moves after the failed ones were not all made", i,
				   sites[i].patients, 50 + expect[i]);
	world_close();
}

/* Runs one batch of n random moves over 8 sites of 40 patients; done may be NULL. */
static void batch_case(struct check *c, size_t n, unsigned workers, bool with_done)
{
	struct move moves[16];
	long expect[8] = { 0 };
	size_t done = 99;
	int err;

	if (!world_open(c, "R5a", 8, 40, 100000))
		return world_close();
	make_moves(moves, n, 8, 1000 + n * 10 + workers);
	for (size_t i = 0; i < n; i++) {
		expect[moves[i].from]--;
		expect[moves[i].to]++;
	}
	err = transfer_batch(sites, 8, moves, n, workers, with_done ? &done : NULL);
	if (err || (with_done && done != n))
		check_fail(c, "R5a", "transfer_batch() of %zu moves on %u workers returned %d "
			   "with *done = %zu; expected 0 and %zu", n, workers, err, done, n);
	for (unsigned i = 0; i < 8 && !c->failed; i++)
		if ((long)sites[i].patients != 40 + expect[i] || site_roster_net(i) != expect[i])
			check_fail(c, "R5a", "transfer_batch() of %zu moves on %u workers%s "
				   "returned %d; site %u holds %u patients (the roster says "
				   "%+ld); the moves make it %ld (%+ld): every move is made, "
				   "however n divides among the workers", n, workers,
				   with_done ? "" : " (done = NULL)", err, i, sites[i].patients,
				   site_roster_net(i), 40 + expect[i], expect[i]);
	world_close();
}

/* R5a: batch sizes that are no multiple of the workers, and fewer moves than workers. */
static void batch_sizes_that_do_not_divide(struct check *c, const struct scenario_env *env)
{
	static const struct { size_t n; unsigned workers; } cases[] = {
		{ 10, 4 }, { 7, 3 }, { 13, 2 }, { 5, 8 }, { 1, 3 }, { 11, 6 },
	};

	(void)env;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]) && !c->failed; k++)
		batch_case(c, cases[k].n, cases[k].workers, true);
}

/* R5a and transfer_batch()'s doc: *done may be NULL. */
static void batch_without_a_done_count(struct check *c, const struct scenario_env *env)
{
	(void)env;
	batch_case(c, 12, 3, false);
}

/* R5d: bad arguments are refused before any move. */
static void batch_refuses_bad_arguments(struct check *c, const struct scenario_env *env)
{
	struct move moves[3] = { { 0, 1 }, { 1, 2 }, { 9, 0 } };
	size_t done = 99;
	int err;

	(void)env;
	if (!world_open(c, "R5d", 3, 5, 100000))
		return world_close();
	if ((err = transfer_batch(sites, 3, moves, 2, 0, &done)) != EINVAL)
		check_fail(c, "R5d", "transfer_batch() with 0 workers returned %d; expected "
			   "EINVAL", err);
	else if ((err = transfer_batch(sites, 3, moves, 3, 2, &done)) != EINVAL)
		check_fail(c, "R5d", "transfer_batch() with a move from site index 9 of 3 "
			   "returned %d; expected EINVAL", err);
	else if (service_calls(&site_roster) != 0 || sites[0].patients != 5)
		check_fail(c, "R5d", "a refused batch made %llu roster calls (site 0 now holds "
			   "%u patients); expected none before the refusal",
			   (unsigned long long)service_calls(&site_roster), sites[0].patients);
	else if (done != 0)
		check_fail(c, "R5d", "a refused batch set *done to %zu; expected 0", done);
	world_close();
}

CHAPTER_SCENARIOS(
	SCENARIO(transfer_moves_one_patient, "R1a"),
	SCENARIO(census_never_sees_a_move_halfway, "R1b"),
	SCENARIO(empty_site_is_seen_under_both_locks, "R1a R1b R4c"),
	SCENARIO(roster_calls_hold_the_site, "R1c R2a"),
	SCENARIO(enrolments_all_count, "R2a R2b"),
	SCENARIO(report_is_one_instant, "R3a R3b"),
	SCENARIO(opposite_transfers_finish, "R4a R4e"),
	SCENARIO(reports_and_enrolments_finish, "R4b R4e"),
	SCENARIO(locks_in_order_beside_a_census, "R4c"),
	SCENARIO(lock_order_follows_site_ids, "R4d"),
	SCENARIO(batch_makes_every_move, "R5a"),
	SCENARIO(batch_sizes_that_do_not_divide, "R5a"),
	SCENARIO(batch_without_a_done_count, "R5a"),
	SCENARIO(batch_survives_failed_moves, "R5b R5c"),
	SCENARIO(batch_refuses_bad_arguments, "R5d")
);
