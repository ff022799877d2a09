/*
 * scenario.h - one definition of each graded scenario, run by every gate
 *
 * A chapter's scenarios live in harness/scenarios/NN-slug.c. Each one drives
 * the learner's code through a situation and checks one numbered clause of
 * the chapter's contract header (R1, R2, ...). The same table is run by:
 *  - the Criterion suite (harness/suites/chapter_suite.c), one test each;
 *  - the race driver (harness/drivers/race_driver.c) under ThreadSanitizer
 *    and under Helgrind, which Criterion's own threads make unusable there.
 *
 * Usage, in a scenario file:
 *	static void every_record_once(struct check *c, const struct scenario_env *env)
 *	{
 *		...
 *		EXPECT(c, got == want, "R1", "expected %zu, observed %zu", want, got);
 *	}
 *	CHAPTER_SCENARIOS(
 *		SCENARIO(every_record_once, "R1"),
 *		SCENARIO_T(slow_but_bounded, "R2", 10.0)
 *	);
 *
 * Safety: a struct check belongs to the thread running the scenario; EXPECT
 * is only for that thread.
 */
#ifndef HARNESS_SCENARIO_H
#define HARNESS_SCENARIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct check {
	bool failed;
	char clause[16];	/* the contract clause that failed, e.g. "R2" */
	char message[1024];	/* expected vs observed, in words */
};

struct scenario_env {
	bool small;		/* a lighter workload (race tools are slow) */
};

typedef void scenario_fn(struct check *c, const struct scenario_env *env);

struct scenario {
	const char *name;	/* a test name: what must hold */
	const char *clause;	/* the clause it checks */
	double timeout_s;	/* before the timeout factor is applied */
	scenario_fn *run;
};

/* Provided by the chapter's scenario file, through CHAPTER_SCENARIOS. */
extern const struct scenario chapter_scenarios[];
extern const size_t chapter_scenario_count;

/* The usual timeout of one scenario, in seconds, before the timeout factor. */
#define SCENARIO_TIMEOUT_S 3.0

/*
 * One row of the table: the scenario function fn, named after itself in
 * reports and TEST= filters, checking `clause` ("R3a R3b"), with the usual
 * timeout (SCENARIO) or its own (SCENARIO_T). tests/selfcheck.c reads these
 * rows as text: keep one SCENARIO per row, the clause a string literal.
 */
#define SCENARIO(fn, clause) { #fn, (clause), SCENARIO_TIMEOUT_S, (fn) }
#define SCENARIO_T(fn, clause, timeout_s) { #fn, (clause), (timeout_s), (fn) }

/*
 * Defines the chapter's table, chapter_scenarios[], from the rows given (in
 * the order the reports list them), and chapter_scenario_count from their
 * number. Use once per scenario file, at file scope.
 */
#define CHAPTER_SCENARIOS(...)                                                  \
	const struct scenario chapter_scenarios[] = { __VA_ARGS__ };           \
	const size_t chapter_scenario_count =                                   \
		sizeof(chapter_scenarios) / sizeof(chapter_scenarios[0])

/*
 * An instructor's hidden scenarios (harness/hidden/<chapter>.c, shipped only
 * in a graded bundle) define these too. Both are weak references: when no
 * file defines them, their addresses are null and there are none.
 */
extern const struct scenario hidden_scenarios[] __attribute__((weak));
extern const size_t hidden_scenario_count __attribute__((weak));

/* All scenarios: the chapter's, then the hidden ones. */
size_t scenario_total(void);
const struct scenario *scenario_get(size_t index);

/* Records the first failure of c (later ones are ignored). */
void check_fail(struct check *c, const char *clause, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fails the check for clause and returns from the scenario when !cond. */
#define EXPECT(c, cond, clause, ...)                          \
	do {                                                  \
		if (!(cond)) {                                \
			check_fail((c), (clause), __VA_ARGS__); \
			return;                               \
		}                                             \
	} while (0)

/*
 * The factor every scenario timeout is multiplied by: TC_TIMEOUT_FACTOR from
 * the environment, or 1. The grader raises it under ThreadSanitizer and
 * Helgrind, which slow programs down.
 */
double scenario_timeout_factor(void);

/* seconds scaled by scenario_timeout_factor(), in nanoseconds: a bound a scenario waits for. */
uint64_t scenario_scaled_ns(double seconds);

/*
 * Whether item i of a scenario's helpers (threads it started, say) is in the
 * state waited for; ctx is the caller's array or context. Called from the
 * scenario's own thread only; it must not block.
 */
typedef bool scenario_holds(void *ctx, size_t i);

/* How many of holds(ctx, 0..n-1) hold now. Does not block (holds must not). */
size_t scenario_count_holding(size_t n, scenario_holds *holds, void *ctx);

/*
 * Polls holds(ctx, 0..n-1) every 0.5 ms until all hold or `seconds` (scaled)
 * have passed. Returns how many did not hold at the last poll (0: all did).
 * Blocks the calling thread for up to the scaled bound.
 */
size_t scenario_wait_all(size_t n, scenario_holds *holds, void *ctx, double seconds);

/*
 * Like scenario_wait_all, but polls every 1 ms and wants all n to hold on
 * 5 polls in a row (so that a thread's brief wait for a mutex does not pass
 * for a sleep in a condition wait). True when they did within `seconds`
 * (scaled).
 */
bool scenario_wait_all_steady(size_t n, scenario_holds *holds, void *ctx, double seconds);

/*
 * False when the grader asked for some scenarios only (make grade TEST=...:
 * TC_ONLY, a comma-separated list of indices, in the environment) and
 * `index` is not one of them; true otherwise. Thread-safe (reads only).
 */
bool scenario_selected(size_t index);

/*
 * A runner: a thread running one blocking operation of the learner's code
 * (op(arg)), watched by the scenario. It records when op returned and what,
 * so a scenario can wait for it with a bound and report the latency it
 * measured instead of hanging.
 *
 * Usage:
 *	struct runner r;
 *	runner_start(&r, op_ctx_wait, ctx);
 *	runner_wait_blocked(&r);		// now it really waits
 *	ctx_cancel(ctx); t0 = world_now_ns();
 *	if (!runner_wait_until(&r, t0 + GIVE_UP_NS)) ... report; leave r (and
 *		what op uses) allocated: the thread is still in op ...
 *	runner_finished(&r, &ret, &end_ns); runner_join(&r);
 *
 * Safety: one scenario thread drives a runner; the runner's own fields are
 * under its lock. The lock and condition variable are the harness's: they
 * order nothing the learner's code does with op's arguments beyond the
 * start and the end of op.
 */
struct runner {
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* CLOCK_MONOTONIC */
	int (*op)(void *arg);
	void *arg;
	pid_t os_tid;		/* lock: 0 until the thread runs */
	bool finished;		/* lock */
	int ret;		/* lock */
	uint64_t end_ns;	/* lock: world_now_ns() when op returned */
};

/* Starts a thread running op(arg) in r (r's old contents are discarded). Returns pthread_create's result. */
int runner_start(struct runner *r, int (*op)(void *), void *arg);

/* Waits until r's operation returned or world_now_ns() passed until_ns; true when it returned. */
bool runner_wait_until(struct runner *r, uint64_t until_ns);

/*
 * Waits (up to 1 s) until r's thread sleeps in the kernel, that is, blocks
 * in its operation, or has finished it.
 */
void runner_wait_blocked(struct runner *r);

/* True when r's operation returned; *ret and *end_ns get what it recorded. Does not block on op. */
bool runner_finished(struct runner *r, int *ret, uint64_t *end_ns);

/* Joins r's thread and releases r; its operation must have returned (this blocks until it does). */
void runner_join(struct runner *r);


/*
 * A crowd: up to CROWD_MAX harness threads released together through a
 * barrier, so the learner's code meets them at the same moment.
 *
 * Usage:
 *	static void hammer(struct crowd *k, unsigned index)
 *	{
 *		struct my_ctx *x = k->ctx;	// shared, read-only or own locking
 *		...
 *	}
 *	if (crowd_run(nthreads, hammer, &x)) ... the barrier could not be set up
 *
 * Safety: fn runs on n threads at once with the same k; k->ctx is whatever
 * the caller made thread-safe. crowd_run blocks until every thread returned.
 */
#define CROWD_MAX 16

struct crowd;
typedef void crowd_fn(struct crowd *k, unsigned index);

struct crowd_member {
	struct crowd *k;
	unsigned index;
};

struct crowd {
	pthread_barrier_t start;
	crowd_fn *fn;
	void *ctx;		/* the caller's, passed through */
	struct crowd_member members[CROWD_MAX];
};

/*
 * Runs fn(k, 0..n-1) on n threads at once and joins them. Returns 0, EINVAL
 * when n is 0 or over CROWD_MAX, or pthread_barrier_init's error. Aborts the
 * process when a thread cannot be started: the ones already waiting at the
 * barrier could never leave it.
 */
int crowd_run(unsigned n, crowd_fn *fn, void *ctx);

/*
 * A watched crowd: `workers` threads run work(ctx, 1..workers) while one
 * more, released with them, calls watch(ctx) again and again until the
 * last worker has returned (at least once; it may overlap that return).
 * For a watcher that checks, with the harness's own locks, that the work
 * never shows a state it must not.
 *
 * Returns as crowd_run does (EINVAL when workers is 0 or workers + 1 is
 * over CROWD_MAX). Safety: work runs on every worker at once with the
 * same ctx, and watch beside them: ctx is whatever the caller made
 * thread-safe. Blocks until every thread returned.
 */
typedef void crowd_work_fn(void *ctx, unsigned index);
int crowd_run_watched(unsigned workers, crowd_work_fn *work, void (*watch)(void *ctx),
		      void *ctx);

/*
 * A crew: up to CREW_MAX harness threads, each running fn on its own
 * element of an array (n elements of `size` bytes from `first`), started
 * one after another (not released together: see crowd_run for that), then
 * joined. Returns how many started: the first that could not start ends
 * the starting, and the elements after it never run (the caller fails its
 * check then). Safety: each thread owns its element until it is joined;
 * what the elements share is the caller's to make thread-safe. Blocks
 * until every started thread returned.
 */
#define CREW_MAX 64
size_t crew_run(size_t n, void *(*fn)(void *), void *first, size_t size);

#endif
