/*
 * bench.h - the throughput gate's driver, shared by every chapter
 *
 * A chapter's bench file (harness/bench/NN-slug.c) defines chapter_bench.
 * bench_main.c times the serial baseline and the learner's code in the same
 * process, alternating them trial by trial so both see the same machine
 * load, takes the median of each, and writes the figures as JSON.
 *
 * The target efficiency and the number of trials are the chapter's manifest's
 * (harness/manifests/NN-slug.json); the grader passes them on the command line.
 *
 * The workload is dominated by simulated I/O latency (sleeps), so the ideal
 * time n * L / p holds on a 1- or 2-core machine too.
 */
#ifndef HARNESS_BENCH_H
#define HARNESS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records.h"
#include "service.h"

#define BENCH_SERVICES 3

struct bench {
	const char *workload;		/* one line: items, latency, parallelism */
	/*
	 * The learner's function the timing covers, for messages: "store_all()"
	 * (then "store_all() returned 5", "threads still running after
	 * store_all() returned").
	 */
	const char *entry;
	/*
	 * Threads the bench's own objects keep alive after the learner's
	 * function returned, until teardown (chapter 04: the deadline of the
	 * ctx it hands over). Usually 0.
	 */
	unsigned kept_threads;
	/*
	 * The best possible time, n * L / p: `ideal` gives the figures (calls
	 * to the service that bounds the time, its latency, the parallelism);
	 * or, when the bound is not one service's (or is known only after
	 * setup), ideal_s() computes it in seconds, called after setup.
	 */
	struct bench_ideal {
		double calls;
		uint64_t latency_ns;
		unsigned parallelism;
	} ideal;
	double (*ideal_s)(void);

	/*
	 * The usual shape of the work, n independent items 0 .. n-1, each
	 * done by item(i) (which must be safe to run on several threads at
	 * once for different i). When item is set, a NULL run_baseline is
	 * item(0), item(1), ... in turn on the calling thread, and a NULL
	 * run_reference is bench_share(threads, n, item). Leave item NULL when
	 * the baseline or the reference is more than that loop.
	 */
	struct bench_items {
		size_t n;
		void (*item)(size_t i);
		unsigned threads;
	} items;

	/*
	 * The simulated services one run uses, in the order they are set up
	 * (up to BENCH_SERVICES; the first with s NULL ends the list):
	 * bench_main.c calls service_init(s, name, latency_ns, limit, items)
	 * on each after setup() returned true, and service_destroy() on each
	 * after teardown(). A service that needs more than that (set up
	 * twice, or kept past a teardown) is the chapter's own to set up and
	 * destroy, and is not listed.
	 */
	struct bench_service {
		struct service *s;
		const char *name;
		uint64_t latency_ns;
		unsigned limit;
		size_t items;
	} services[BENCH_SERVICES];

	/* Prepares the simulated world for one run; false on harness error. */
	bool (*setup)(void);
	/* The serial baseline: the same work, one item after another. */
	void (*run_baseline)(void);
	/*
	 * The harness's own well-made parallel version of the same work, at the
	 * same parallelism the learner is given (not the reference solution,
	 * which a graded bundle does not ship). Timed alongside the serial
	 * baseline and the learner's code, trial by trial: the throughput
	 * points run from the serial efficiency (0) to this one's (full marks).
	 * NULL (and no items.item): the ideal time stands in for it.
	 */
	void (*run_reference)(void);
	/*
	 * The learner's code, once. Returns what the learner's function
	 * returned: anything but 0 makes the run invalid.
	 */
	int (*run_submission)(void);
	/*
	 * After run_submission (and only when it returned 0): checks that all
	 * the work was done, exactly once, within the limits. Returns false and
	 * describes the problem otherwise, so that skipping work never looks
	 * fast. bench_main.c then checks that no thread the learner started is
	 * still running.
	 */
	bool (*verify)(char *problem, size_t size);
	/*
	 * Releases what setup() took; NULL when there is nothing to release.
	 * Not called after a submission that left threads running (they may
	 * still use it): that memory is kept, and so are the services.
	 */
	void (*teardown)(void);
	/*
	 * The service whose limit is the parallelism the learner is given, or
	 * NULL: its peak calls in flight during the learner's runs is reported
	 * ("peak", "limit"), so that a slow result can say whether the code
	 * used the parallelism it had (harness/src/throughput_cause.h).
	 */
	struct service *watched;
};

/*
 * The functions of a chapter_bench, when the bench file names its static
 * functions the usual way (setup, run_baseline, run_reference,
 * run_submission, verify; a teardown, when it has one, is named apart):
 *	const struct bench chapter_bench = {
 *		.workload = "...", .entry = "store_all()",
 *		BENCH_FUNCTIONS, .teardown = teardown,
 *		.ideal = { N, LATENCY_NS, WORKERS },	// or .ideal_s = ideal_s
 *	};
 * A bench whose work is `items` names setup, run_submission and verify
 * (and teardown) itself.
 */
#define BENCH_FUNCTIONS                                                           \
	.setup = setup, .run_baseline = run_baseline,                            \
	.run_reference = run_reference, .run_submission = run_submission,        \
	.verify = verify

/*
 * The harness's own parallel version, the usual way: `threads` threads take
 * the next item (0 .. items-1) from one shared atomic index and call
 * item(i), so no item waits behind a slow one and nothing is held across a
 * call; then they are joined. The calling thread does the work when no
 * thread can start. Blocks until every item is done.
 */
void bench_share(unsigned threads, size_t items, void (*item)(size_t i));

/*
 * Starts `threads` threads (at most 64) running fn(arg) and joins them; when
 * no thread can start, runs fn(arg) on the calling thread instead, so the
 * work is still done. Blocks until every fn returned. fn must be safe to
 * run on several threads at once with the same arg.
 */
void bench_run_threads(unsigned threads, void *(*fn)(void *), void *arg);

/*
 * verify()'s usual check: every item of s was called exactly once. True, or
 * false with the problem in problem: "when <entry> returned, <noun> 12 had
 * been <done> 0 times (expected once): unfinished or repeated work is not
 * fast".
 */
bool bench_once_each(const struct service *s, const char *noun, const char *done,
		     char *problem, size_t size);

/*
 * verify()'s usual limit check: no call to s started over its limit. True,
 * or false with "more than <limit> <calls> in flight at once".
 */
bool bench_within_limit(const struct service *s, const char *calls, char *problem, size_t size);

/*
 * setup()'s usual workload: n records from records_generate(seed), in a new
 * zeroed array; *plausible, when not NULL, gets how many of them are
 * plausible. NULL when out of memory (setup() then returns false: a harness
 * error). The array is the harness's: bench_main.c frees it after
 * teardown() (and keeps it when teardown() is skipped). At most one per
 * setup(). Not for use by the learner's code.
 */
struct record *bench_records(size_t n, uint64_t seed, size_t *plausible);

/*
 * The usual formula of the best possible time: `calls` calls of latency_ns
 * each, parallelism at a time, in seconds (n * L / p). What `ideal` gives.
 */
double bench_ideal_s(double calls, uint64_t latency_ns, unsigned parallelism);

extern const struct bench chapter_bench;

#endif
