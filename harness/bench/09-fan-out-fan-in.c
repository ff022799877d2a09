/*
 * 09-fan-out-fan-in.c - throughput workload for chapter 09 (clause R8), and
 * the cost of one hand-off
 *
 * Graded: the monthly report over 200 patients, 2 ms per history query, 10
 * workers (the database's connections); every 10th patient withdrew.
 * Serial: 200 * 2 ms = 400 ms; ideal: that divided by 10, 40 ms.
 *
 * Reported, not graded: nanoseconds per hand-off through the learner's
 * struct schan (one sender thread, one receiver) against a harness mailbox
 * with the same promise built on one mutex and two condition variables,
 * timed in alternating rounds after the first valid trial. The figures are
 * part of the workload line, which the grader prints with the throughput.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "census.h"
#include "clock.h"
#include "fanout.h"

#define N 200
#define WORKERS 10
#define LATENCY_NS 2000000u
#define WITHDRAWN_EVERY 10
#define HANDOFFS 2000
#define HANDOFF_ROUNDS 3

static struct monthly_report report;
static int threads_before;
static int ret;
static char workload[320] =
	"200 patients, 2 ms per history query, 10 workers (connections); "
	"hand-off cost not measured";
static bool handoff_measured;

static bool setup(void)
{
	histories_withdrawn_every = WITHDRAWN_EVERY;
	histories_release();
	threads_before = 0;
	return service_init(&histories_db, "history database", LATENCY_NS, WORKERS, N) == 0;
}

static void run_baseline(void)
{
	struct patient_history h;

	for (size_t p = 0; p < N; p++)
		query_history(p, &h);
}

static int run_submission(void)
{
	threads_before = census_threads();
	ret = monthly_report(N, WORKERS, &report);
	return ret;
}

static uint32_t once(size_t item, void *ctx)
{
	(void)item;
	(void)ctx;
	return 1;
}

static struct monthly_report expected(void)
{
	struct monthly_report want = { 0 };

	for (size_t p = 0; p < N; p++) {
		struct patient_history h = histories_expected(p);

		if (histories_withdrawn(p)) {
			want.withdrawn++;
		} else {
			want.included++;
			want.visits += h.visits;
			want.adverse_events += h.adverse_events;
		}
	}
	return want;
}

/* ---- the cost of one hand-off ---- */

/* The harness's own synchronous mailbox: one slot, the sender waits for the taker. */
struct mailbox {
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* an item was put, or taken */
	void *item;
	bool full;
	unsigned long puts, takes;
};

static void mailbox_send(struct mailbox *m, void *item)
{
	unsigned long mine;

	pthread_mutex_lock(&m->lock);
	while (m->full)
		pthread_cond_wait(&m->changed, &m->lock);
	m->item = item;
	m->full = true;
	mine = ++m->puts;
	pthread_cond_broadcast(&m->changed);
	while (m->takes < mine)
		pthread_cond_wait(&m->changed, &m->lock);
	pthread_mutex_unlock(&m->lock);
}

static void *mailbox_recv(struct mailbox *m)
{
	void *item;

	pthread_mutex_lock(&m->lock);
	while (!m->full)
		pthread_cond_wait(&m->changed, &m->lock);
	item = m->item;
	m->full = false;
	m->takes++;
	pthread_cond_broadcast(&m->changed);
	pthread_mutex_unlock(&m->lock);
	return item;
}

static void *mailbox_sender(void *arg)
{
	for (uintptr_t i = 1; i <= HANDOFFS; i++)
		mailbox_send(arg, (void *)i);
	return NULL;
}

static void *schan_sender(void *arg)
{
	for (uintptr_t i = 1; i <= HANDOFFS; i++)
		if (schan_send(arg, (void *)i))
			break;
	return NULL;
}

/* ns per hand-off through the harness mailbox; 0 on a harness failure. */
static double mailbox_round(void)
{
	struct mailbox m = { .full = false };
	uint64_t start;
	pthread_t tid;

	pthread_mutex_init(&m.lock, NULL);
	pthread_cond_init(&m.changed, NULL);
	start = world_now_ns();
	if (pthread_create(&tid, NULL, mailbox_sender, &m))
		return 0;
	for (size_t i = 0; i < HANDOFFS; i++)
		mailbox_recv(&m);
	pthread_join(tid, NULL);
	start = world_now_ns() - start;
	pthread_cond_destroy(&m.changed);
	pthread_mutex_destroy(&m.lock);
	return (double)start / HANDOFFS;
}

/* ns per hand-off through the learner's channel; 0 when it failed. */
static double schan_round(void)
{
	struct schan ch;
	uint64_t start;
	pthread_t tid;
	size_t got = 0;
	void *item;

	if (schan_init(&ch))
		return 0;
	start = world_now_ns();
	if (pthread_create(&tid, NULL, schan_sender, &ch)) {
		schan_destroy(&ch);
		return 0;
	}
	while (got < HANDOFFS && schan_recv(&ch, &item) == 0)
		got++;
	start = world_now_ns() - start;
	schan_close(&ch);
	pthread_join(tid, NULL);
	schan_destroy(&ch);
	return got == HANDOFFS ? (double)start / HANDOFFS : 0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Times the two hand-offs, round by round, into the workload line. */
static void measure_handoff(void)
{
	double mine[HANDOFF_ROUNDS], base[HANDOFF_ROUNDS];

	handoff_measured = true;
	for (int r = 0; r < HANDOFF_ROUNDS; r++) {
		base[r] = mailbox_round();
		mine[r] = schan_round();
		if (!base[r] || !mine[r])
			return;
	}
	qsort(mine, HANDOFF_ROUNDS, sizeof(double), compare_doubles);
	qsort(base, HANDOFF_ROUNDS, sizeof(double), compare_doubles);
	snprintf(workload, sizeof(workload),
		 "200 patients, 2 ms per history query, 10 workers (connections); hand-off: "
		 "yours %.0f ns, condition-variable mailbox %.0f ns (median of %d rounds of "
		 "%d, one sender, one receiver)", mine[HANDOFF_ROUNDS / 2],
		 base[HANDOFF_ROUNDS / 2], HANDOFF_ROUNDS, HANDOFFS);
}

static bool verify(char *problem, size_t size)
{
	struct monthly_report want = expected();
	uint32_t seen = 0;
	size_t bad = service_first_mismatch(&histories_db, once, NULL, &seen);

	if (ret != 0)
		snprintf(problem, size, "monthly_report() returned %d", ret);
	else if (bad != (size_t)-1)
		snprintf(problem, size, "when monthly_report() returned, patient %zu had been "
			 "queried %u times (expected once): unfinished or repeated work is not "
			 "fast", bad, seen);
	else if (service_violations(&histories_db))
		snprintf(problem, size, "more than %d queries in flight at once", WORKERS);
	else if (census_settle(threads_before, 300) > threads_before)
		snprintf(problem, size, "threads still running after monthly_report() returned");
	else if (report.included != want.included || report.withdrawn != want.withdrawn ||
		 report.visits != want.visits || report.adverse_events != want.adverse_events)
		snprintf(problem, size, "the report says included=%zu withdrawn=%zu visits=%lu; "
			 "expected %zu, %zu and %lu", report.included, report.withdrawn,
			 report.visits, want.included, want.withdrawn, want.visits);
	else {
		if (!handoff_measured)
			measure_handoff();
		return true;
	}
	return false;
}

static void teardown(void)
{
	/* Stragglers of a broken submission may still use the database: keep it. */
	if (threads_before && census_threads() > threads_before)
		return;
	service_destroy(&histories_db);
}

/* ---- the harness's own parallel version (run_reference) ---- */

/*
 * WORKERS threads take the next patient from one shared atomic index and
 * hand every outcome to the collector (this thread) through the harness's
 * mailbox: the same fan-out and the same kind of hand-off as the learner's,
 * with a collector that knows how many outcomes to expect.
 */
static atomic_size_t ref_next;
static struct patient_history ref_table[N];
static struct mailbox ref_box;
static char ref_withdrawn;

static void *ref_worker(void *arg)
{
	size_t p;

	(void)arg;
	while ((p = atomic_fetch_add(&ref_next, 1)) < N) {
		if (query_history(p, &ref_table[p]) == 0)
			mailbox_send(&ref_box, &ref_table[p]);
		else
			mailbox_send(&ref_box, &ref_withdrawn);
	}
	return NULL;
}

static void run_reference(void)
{
	pthread_t tids[WORKERS];
	unsigned started = 0;
	unsigned long visits = 0;

	atomic_store(&ref_next, 0);
	ref_box = (struct mailbox){ .full = false };
	pthread_mutex_init(&ref_box.lock, NULL);
	pthread_cond_init(&ref_box.changed, NULL);
	while (started < WORKERS && pthread_create(&tids[started], NULL, ref_worker, NULL) == 0)
		started++;
	if (started == 0) {
		struct patient_history h;

		for (size_t p = 0; p < N; p++)
			if (query_history(p, &h) == 0)
				visits += h.visits;
	} else {
		for (size_t i = 0; i < N; i++) {
			const struct patient_history *h = mailbox_recv(&ref_box);

			if ((const void *)h != (const void *)&ref_withdrawn)
				visits += h->visits;
		}
	}
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	pthread_cond_destroy(&ref_box.changed);
	pthread_mutex_destroy(&ref_box.lock);
	(void)visits;
}

const struct bench chapter_bench = {
	.workload = workload,
	/* every history queried, WORKERS at a time */
	.ideal = { N, LATENCY_NS, WORKERS },
	.setup = setup,
	.run_baseline = run_baseline,
	.run_reference = run_reference,
	.run_submission = run_submission,
	.verify = verify,
	.teardown = teardown,
};
