#define _GNU_SOURCE
#include "build_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "alloc.h"

struct pool {
	struct workspace *w;
	const enum flavor *flavours;
	size_t n;
	atomic_size_t next;	/* the next flavour to take */
	bool *ok;
	char **logs;
};

unsigned build_pool_width(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
}

/* One builder: the workspace itself (k == 0), or a copy with its own out dir and uid. */
struct builder {
	struct pool *pool;
	unsigned k;
};

/*
 * The grader ends every process of a run's uid when the run ends (proc.h),
 * so two compilers at once need two uids: helper k builds as the sandbox
 * uid plus k * 2000000 (outside the range sandbox uids are taken from), in
 * <dir>/out<k>, which belongs to that uid while it builds and is removed
 * after (the binaries have moved to bin/ by then).
 */
static void *worker(void *arg)
{
	struct builder *b = arg;
	struct pool *p = b->pool;
	struct workspace copy = *p->w, *w = p->w;
	char *out = NULL;
	size_t i;

	if (b->k > 0) {
		out = xasprintf("%s/out%u", p->w->dir, b->k);
		if (make_dirs(out) != 0) {
			free(out);
			return NULL;
		}
		copy.out_dir = out;
		if (copy.sandbox.uid)
			copy.sandbox.uid += b->k * 2000000u;
		workspace_own(&copy, out);
		w = &copy;
	}
	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		p->ok[i] = workspace_build(w, p->flavours[i], &p->logs[i]);
		if (w != p->w)
			p->w->stamps[p->flavours[i]] = w->stamps[p->flavours[i]];
	}
	if (out) {
		remove_tree(out);
		free(out);
	}
	return NULL;
}

struct build_pool {
	struct pool p;
	pthread_t threads[4];
	struct builder builders[4];
	size_t started;
};

struct build_pool *build_pool_start(struct workspace *w, const enum flavor *flavours,
				    size_t n, bool *ok, char **logs)
{
	struct build_pool *bp;
	size_t width = build_pool_width();

	for (size_t i = 0; i < n; i++) {
		ok[i] = false;
		logs[i] = NULL;
	}
	if (n == 0)
		return NULL;
	bp = xcalloc(1, sizeof(*bp));
	bp->p = (struct pool){ .w = w, .flavours = flavours, .n = n, .ok = ok, .logs = logs };
	atomic_init(&bp->p.next, 0);
	/* Helpers 1.. only: helper 0 would be the workspace's own uid. */
	for (unsigned k = 0; k < 4; k++)
		bp->builders[k] = (struct builder){ .pool = &bp->p, .k = k + 1 };
	while (bp->started < width && bp->started < n &&
	       pthread_create(&bp->threads[bp->started], NULL, worker,
			      &bp->builders[bp->started]) == 0)
		bp->started++;
	if (bp->started == 0) {
		free(bp);
		return NULL;
	}
	return bp;
}

bool build_pool_finish(struct build_pool *bp, struct workspace *w,
		       const enum flavor *flavours, size_t n, bool *ok, char **logs)
{
	struct pool alone = { .w = w, .flavours = flavours, .n = n, .ok = ok, .logs = logs };
	struct builder self = { .pool = bp ? &bp->p : &alone, .k = 0 };
	bool all = true;

	if (bp) {
		for (size_t i = 0; i < bp->started; i++)
			pthread_join(bp->threads[i], NULL);
	} else {
		atomic_init(&alone.next, 0);
		for (size_t i = 0; i < n; i++) {
			ok[i] = false;
			logs[i] = NULL;
		}
	}
	/* What no helper took (one could not make its out dir): built here. */
	if (atomic_load(&self.pool->next) < n)
		worker(&self);
	for (size_t i = 0; i < n; i++)
		all = all && ok[i];
	free(bp);
	return all;
}

bool build_pool_run(struct workspace *w, const enum flavor *flavours, size_t n, bool *ok,
		    char **logs, void (*beside)(void *), void *arg)
{
	struct pool p = { .w = w, .flavours = flavours, .n = n, .ok = ok, .logs = logs };
	pthread_t threads[4];
	struct builder builders[4];
	size_t started = 0, width = build_pool_width();
	unsigned first = beside ? 1 : 0;	/* beside() keeps the sandbox uid */
	bool all = true;

	atomic_init(&p.next, 0);
	for (size_t i = 0; i < n; i++) {
		ok[i] = false;
		logs[i] = NULL;
	}
	for (unsigned k = 0; k < 4; k++)
		builders[k] = (struct builder){ .pool = &p, .k = k + first };
	/* Helpers beyond the calling thread, which builds too unless busy beside. */
	while (started + 1 - first < width && started + 1 - first < n &&
	       pthread_create(&threads[started], NULL, worker, &builders[started + 1 - first]) == 0)
		started++;
	if (beside)
		beside(arg);
	else
		worker(&builders[0]);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	/* A helper that could not start its out dir left flavours unbuilt: build them here. */
	if (beside && p.next < n)
		worker(&builders[0]);
	for (size_t i = 0; i < n; i++)
		all = all && ok[i];
	return all;
}
