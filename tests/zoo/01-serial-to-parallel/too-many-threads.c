/*
 * zoo: a joined thread per record, counts under a mutex: correct counts,
 * but far more calls in flight than the services accept
 * breaks: R3
 * loses: correctness throughput
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct clean_task {
	const struct record *record;
	struct clean_report *report;
	pthread_mutex_t *lock;
};

static void *clean_thread(void *arg)
{
	struct clean_task *task = arg;
	bool ok = validate_record(task->record);

	if (ok)
		store_record(task->record);
	pthread_mutex_lock(task->lock);
	if (ok)
		task->report->stored++;
	else
		task->report->rejected++;
	pthread_mutex_unlock(task->lock);
	return NULL;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct clean_task *tasks;
	pthread_t *tids;

	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	tasks = calloc(n + 1, sizeof(*tasks));
	tids = calloc(n + 1, sizeof(*tids));
	if (!tasks || !tids) {
		free(tasks);
		free(tids);
		return ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		tasks[i] = (struct clean_task){ &records[i], report, &lock };
		pthread_create(&tids[i], NULL, clean_thread, &tasks[i]);
	}
	for (size_t i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	free(tasks);
	free(tids);
	return 0;
}
