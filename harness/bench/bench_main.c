/*
 * bench_main.c - runs chapter_bench and reports the throughput figures
 *
 * Usage: bench --target-efficiency=E --trials=N
 * E and N come from the chapter's manifest (the grader passes them). The
 * throughput gate runs the plain build and keeps the times; the tsan gate
 * runs the ThreadSanitizer build the same way and keeps only the verdicts,
 * so the learner's code sees the same calls, in the same order, in both.
 *
 * Sends {"baseline_s", "reference_s", "measured_s", "ideal_s", "speedup",
 * "efficiency", "target_efficiency", "workload", "valid", "problem",
 * "trials", "heap_left", "entry"} as one "bench" message on the channel
 * (harness/lib/channel.h), never through a file, and prints one line for
 * people. The learner's code runs in a thread confined by the seccomp
 * filter (confine.h). Exit status 0 when the figures were sent.
 *
 * Each trial times the harness's own parallel version (when the chapter has
 * one) and the learner's code, one after the other, so both see the same
 * machine load; the medians are reported. The serial baseline, the sum of
 * its simulated round trips, is timed once, in the first trial (it anchors
 * zero points and the speedup; sleeping does not vary with the load the way
 * computing does). heap_left is the most heap (bytes, lib/heapcount.h) a
 * trial of the learner's code left in use after the chapter's teardown: the
 * grader counts it as a leak in chapters with the leaks gate.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "census.h"
#include "channel.h"
#include "clock.h"
#include "confine.h"
#include "heapcount.h"
#include "records_oracle.h"
#include "service.h"

#define MAX_TRIALS 16

/* How long the learner's threads may take to go once its function returned (ms). */
#ifdef __SANITIZE_THREAD__
#define SETTLE_MS 1500		/* ThreadSanitizer's thread exits are slow */
#else
#define SETTLE_MS 300
#endif

/* What bench_records() gave the current set-up, until the teardown frees it. */
static struct record *records_given;

struct record *bench_records(size_t n, uint64_t seed, size_t *plausible)
{
	struct record *records = calloc(n ? n : 1, sizeof(*records));

	if (!records)
		return NULL;
	records_given = records;
	records_generate(records, n, seed);
	if (plausible)
		*plausible = records_count_plausible(records, n);
	return records;
}

double bench_ideal_s(double calls, uint64_t latency_ns, unsigned parallelism)
{
	return calls * (double)latency_ns / 1e9 / parallelism;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *values, unsigned n)
{
	qsort(values, n, sizeof(*values), compare_doubles);
	return values[n / 2];
}

static double time_once(void (*run)(void))
{
	uint64_t start = world_now_ns();

	run();
	return (double)(world_now_ns() - start) / 1e9;
}

struct figures {
	double baseline[MAX_TRIALS], reference[MAX_TRIALS], measured[MAX_TRIALS], ideal;
	unsigned trials;
	bool valid, harness_failed;
	long long heap_left;	/* the most heap a trial left after teardown */
	char problem[512];
	char confined[300];
};

/* How many services the bench lists (bench.h). */
static size_t service_count(const struct bench *b)
{
	size_t n = 0;

	while (n < BENCH_SERVICES && b->services[n].s)
		n++;
	return n;
}

/* The chapter's setup, then its services; false on harness error. */
static bool setup(const struct bench *b)
{
	if (!b->setup())
		return false;
	for (size_t i = 0; i < service_count(b); i++) {
		const struct bench_service *s = &b->services[i];

		if (service_init(s->s, s->name, s->latency_ns, s->limit, s->items))
			return false;
	}
	return true;
}

/*
 * The chapter's teardown, when it has one, then its services and its
 * bench_records() (after: the teardown may end threads of the chapter's
 * own, such as chapter 04's deadline timer).
 */
static void teardown(const struct bench *b)
{
	if (b->teardown)
		b->teardown();
	for (size_t i = 0; i < service_count(b); i++)
		service_destroy(b->services[i].s);
	free(records_given);
	records_given = NULL;
}

/* The watched service's highest calls in flight over the learner's runs, and its limit. */
static unsigned watched_peak, watched_limit;

/*
 * The learner's code, once, after set-up: *seconds gets its time. Returns
 * true when its work is right (its return value, the chapter's verify(), no
 * thread left running), else false with the problem in problem. Tears down
 * unless threads are left running (they may still use the world).
 */
static bool submission_once(const struct bench *b, double *seconds, char *problem,
			    size_t size, unsigned *busy_at_return, const char **busy_name)
{
	int threads_before = census_threads(), ret;
	int allowed = threads_before + (int)b->kept_threads;
	uint64_t start = world_now_ns();
	bool ok;

	ret = b->run_submission();
	*seconds = (double)(world_now_ns() - start) / 1e9;
	*busy_at_return = service_busy_now(busy_name);
	if (b->watched) {
		unsigned peak = service_peak(b->watched);

		watched_peak = peak > watched_peak ? peak : watched_peak;
		watched_limit = b->watched->limit;
	}
	if (ret != 0) {
		snprintf(problem, size, "%s returned %d", b->entry, ret);
		ok = false;
	} else {
		ok = b->verify(problem, size);
	}
	if (ok && census_settle(allowed, SETTLE_MS) > allowed) {
		snprintf(problem, size, "threads still running after %s returned", b->entry);
		ok = false;
	}
	/* Stragglers of a broken submission may still use the world: keep it. */
	if (census_threads() <= allowed)
		teardown(b);
	return ok;
}

/* One set-up, one timed run, one teardown; false when set-up failed. */
static bool timed(const struct bench *b, void (*run)(void), double *seconds)
{
	if (!setup(b))
		return false;
	*seconds = time_once(run);
	teardown(b);
	return true;
}

/* The baseline and the reference of a bench whose work is `items` (bench.h). */
static void items_baseline(void)
{
	for (size_t i = 0; i < chapter_bench.items.n; i++)
		chapter_bench.items.item(i);
}

static void items_reference(void)
{
	bench_share(chapter_bench.items.threads, chapter_bench.items.n, chapter_bench.items.item);
}

static void (*baseline_of(const struct bench *b))(void)
{
	return b->run_baseline ? b->run_baseline : items_baseline;
}

/* NULL when the bench has no reference (the ideal time stands in). */
static void (*reference_of(const struct bench *b))(void)
{
	if (b->run_reference)
		return b->run_reference;
	return b->items.item ? items_reference : NULL;
}

/* All the trials, in a thread confined like every thread of learner code. */
static void *run_trials(void *arg)
{
	struct figures *f = arg;
	const struct bench *b = &chapter_bench;
	void (*baseline)(void) = baseline_of(b), (*reference)(void) = reference_of(b);
	char why[256] = "";

	if (confine_prepare(why, sizeof(why)) && confine_thread(why, sizeof(why)))
		snprintf(f->confined, sizeof(f->confined), "on");
	else
		snprintf(f->confined, sizeof(f->confined), "off\t%s", why);
	f->valid = true;
	for (unsigned t = 0; t < f->trials && f->valid; t++) {
		/* The serial baseline is the sum of its simulated round trips:
		   one timing is enough (load only slows it, lowering the
		   zero-point anchor by as much). */
		long long heap_before;

		if ((t == 0 && !timed(b, baseline, &f->baseline[0])) ||
		    (reference && !timed(b, reference, &f->reference[t])) ||
		    ((heap_before = heapcount_in_use()), !setup(b))) {
			f->harness_failed = true;
			return NULL;
		}
		unsigned long busy = service_destroyed_busy(NULL);
		const char *busy_name = "service";
		unsigned busy_at_return;

		f->ideal = b->ideal_s ? b->ideal_s() :
			   bench_ideal_s(b->ideal.calls, b->ideal.latency_ns, b->ideal.parallelism);
		f->valid = submission_once(b, &f->measured[t], f->problem, sizeof(f->problem),
					   &busy_at_return, &busy_name);
		/* After the teardown: what the learner's code allocated and kept. */
		long long kept = heapcount_in_use() - heap_before;

		if (f->valid && kept > f->heap_left)
			f->heap_left = kept;
		if (f->valid && busy_at_return > 0) {
			f->valid = false;
			snprintf(f->problem, sizeof(f->problem), "%u call%s to the %s %s still in "
				 "progress when your function returned: work went on after the timing "
				 "stopped", busy_at_return, busy_at_return == 1 ? "" : "s", busy_name,
				 busy_at_return == 1 ? "was" : "were");
		} else if (f->valid && service_destroyed_busy(NULL) > busy) {
			f->valid = false;
			snprintf(f->problem, sizeof(f->problem), "a service call was still in "
				 "progress when your function returned: work went on after the "
				 "timing stopped");
		} else if (f->valid && f->measured[t] < f->ideal * 0.9) {
			f->valid = false;
			snprintf(f->problem, sizeof(f->problem), "it finished in %.3f s, faster than "
				 "the ideal %.3f s: some work was skipped or went on after it returned",
				 f->measured[t], f->ideal);
		}
		if (!f->valid)
			f->trials = t + 1;
	}
	return NULL;
}

/* Reads "--target-efficiency=E --trials=N"; false when either is missing or wrong. */
static bool parse_args(int argc, char **argv, double *target, unsigned *trials)
{
	bool have_target = false, have_trials = false;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (strncmp(argv[i], "--target-efficiency=", 20) == 0) {
			*target = strtod(argv[i] + 20, &end);
			have_target = *end == '\0' && *target > 0 && *target <= 1;
		} else if (strncmp(argv[i], "--trials=", 9) == 0) {
			unsigned long n = strtoul(argv[i] + 9, &end, 10);

			have_trials = *end == '\0' && n >= 1 && n <= MAX_TRIALS;
			*trials = (unsigned)n;
		} else {
			return false;
		}
	}
	return have_target && have_trials;
}

int main(int argc, char **argv)
{
	const struct bench *b = &chapter_bench;
	struct figures *f = calloc(1, sizeof(*f));
	double target_efficiency = 0;
	unsigned trials = 0;
	double base_s, ref_s, meas_s;
	pthread_attr_t attr;
	pthread_t thread;
	json_t *result;
	char *text;

	tc_channel_open();
	if (!f)
		return 2;
	if (!parse_args(argc, argv, &target_efficiency, &trials)) {
		fprintf(stderr, "usage: bench --target-efficiency=E --trials=N (from the chapter's "
			"manifest, harness/manifests/)\n");
		free(f);
		return 2;
	}
	f->trials = trials;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 16u << 20);
	if (pthread_create(&thread, &attr, run_trials, f) != 0)
		return 2;
	pthread_join(thread, NULL);
	tc_channel_send_text("seccomp", 0, f->confined);
	if (f->harness_failed || f->trials == 0) {
		fprintf(stderr, "bench: harness set-up failed\n");
		return 2;
	}
	base_s = f->baseline[0];
	ref_s = reference_of(b) ? median(f->reference, f->trials) : 0;
	meas_s = median(f->measured, f->trials);
	result = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:b, s:s, s:i}",
			   "baseline_s", base_s, "reference_s", ref_s, "measured_s", meas_s,
			   "ideal_s", f->ideal, "speedup", base_s / meas_s,
			   "efficiency", f->ideal / meas_s,
			   "target_efficiency", target_efficiency,
			   "workload", b->workload, "valid", f->valid,
			   "problem", f->problem, "trials", (int)f->trials);
	if (result) {
		json_object_set_new(result, "heap_left", json_integer(f->heap_left));
		json_object_set_new(result, "entry", json_string(b->entry));
	}
	if (result && b->watched) {
		json_object_set_new(result, "peak", json_integer(watched_peak));
		json_object_set_new(result, "limit", json_integer(watched_limit));
	}
	text = result ? json_dumps(result, JSON_COMPACT) : NULL;
	if (!text) {
		fprintf(stderr, "bench: cannot format the figures\n");
		return 2;
	}
	tc_channel_send_text("bench", 0, text);
	printf("%s: baseline %.3f s, reference %.3f s, yours %.3f s, ideal %.3f s "
	       "(efficiency %.0f%%)%s%s\n", b->workload, base_s, ref_s, meas_s, f->ideal,
	       100.0 * f->ideal / meas_s, f->valid ? "" : ": INVALID: ", f->problem);
	free(text);
	json_decref(result);
	free(f);
	return 0;
}

/* ---- helpers for the chapters' bench files (bench.h) ---- */

struct share {
	atomic_size_t next;
	size_t items;
	void (*item)(size_t i);
};

static void *share_worker(void *arg)
{
	struct share *sh = arg;
	size_t i;

	while ((i = atomic_fetch_add(&sh->next, 1)) < sh->items)
		sh->item(i);
	return NULL;
}

void bench_share(unsigned threads, size_t items, void (*item)(size_t i))
{
	struct share sh = { .items = items, .item = item };

	atomic_init(&sh.next, 0);
	bench_run_threads(threads, share_worker, &sh);
}

void bench_run_threads(unsigned threads, void *(*fn)(void *), void *arg)
{
	pthread_t tids[64];
	unsigned started = 0;

	while (started < threads && started < 64 &&
	       pthread_create(&tids[started], NULL, fn, arg) == 0)
		started++;
	if (started == 0)
		fn(arg);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
}

bool bench_once_each(const struct service *s, const char *noun, const char *done,
		     char *problem, size_t size)
{
	uint32_t seen = 0;
	size_t bad = service_first_not_once(s, &seen);

	if (bad == (size_t)-1)
		return true;
	snprintf(problem, size, "when %s returned, %s %zu had been %s %u times (expected "
		 "once): unfinished or repeated work is not fast", chapter_bench.entry, noun, bad,
		 done, seen);
	return false;
}

bool bench_within_limit(const struct service *s, const char *calls, char *problem, size_t size)
{
	if (!service_violations(s))
		return true;
	snprintf(problem, size, "more than %u %s in flight at once", s->limit, calls);
	return false;
}
