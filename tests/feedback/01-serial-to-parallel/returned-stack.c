/*
 * clean.c - the record-cleaning batch, made parallel
 *
 * feedback: each thread is handed a slice that lives on the stack of
 * start_slices(), which returns before the threads read it; the stack is
 * reused at once, so the threads crash on a NULL report pointer. The
 * crash must be explained ("did you join before returning?"), with the
 * learner's frame, and the crashed thread not called "waiting".
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#define MAX_THREADS 64

struct clean_slice {
	const struct record *records;
	size_t begin, end;
	struct clean_report *report;	/* shared: the caller's */
	pthread_mutex_t *lock;
};

static void *clean_thread(void *arg)
{
	struct clean_slice *slice = arg;
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	struct clean_report mine = { 0 };

	nanosleep(&pause, NULL);	/* let start_slices() return first */
	for (size_t i = slice->begin; i < slice->end; i++) {
		if (validate_record(&slice->records[i])) {
			store_record(&slice->records[i]);
			mine.stored++;
		} else {
			mine.rejected++;
		}
	}
	pthread_mutex_lock(slice->lock);
	slice->report->stored += mine.stored;
	slice->report->rejected += mine.rejected;
	pthread_mutex_unlock(slice->lock);
	return NULL;
}

/* Starts one thread per slice; the slices are local to this function. */
static __attribute__((noinline)) size_t start_slices(const struct record *records, size_t n,
						     size_t nthreads, pthread_t *tids,
						     struct clean_report *report,
						     pthread_mutex_t *lock)
{
	struct clean_slice slices[MAX_THREADS];
	size_t started;

	for (started = 0; started < nthreads; started++) {
		slices[started] = (struct clean_slice){ .records = records,
							.begin = n * started / nthreads,
							.end = n * (started + 1) / nthreads,
							.report = report, .lock = lock };
		if (pthread_create(&tids[started], NULL, clean_thread, &slices[started]) != 0)
			break;
	}
	return started;
}

/* Clears a scratch area (reusing the stack start_slices() left). */
static __attribute__((noinline)) void clear_scratch(void)
{
	volatile char scratch[sizeof(struct clean_slice) * MAX_THREADS * 2];

	for (size_t i = 0; i < sizeof(scratch); i++)
		scratch[i] = 0;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_t tids[MAX_THREADS];
	size_t nthreads = n < parallelism ? n : parallelism, started;

	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	started = start_slices(records, n, nthreads, tids, report, &lock);
	clear_scratch();
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return 0;
}
