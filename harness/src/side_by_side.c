/*
 * side_by_side.c - the race and leak gates of one grading side by side
 * (side_by_side.h)
 */
#include "side_by_side.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "files.h"
#include "gates.h"
#include "proc.h"

/*
 * The race and leak gates run side by side, each in a copy of the
 * workspace with a sandbox uid and a scratch directory of its own, so that
 * no run can see, signal or be ended with another (proc.h ends every
 * process of a run's uid). Their uids: the workspace's plus
 * (SIDE_UID_STEP + k) * 2000000, above the builders' (build_pool.c).
 */
#define SIDE_UID_STEP 5u

void run_gate_in(struct grading *g, const struct workspace *w, enum gate i)
{
	struct gate_result *r = &g->result.gates[i];
	double start = proc_now_s();

	proc_trace("gate %s begins", gate_table[i].name);
	gate_table[i].run(w, &g->list, &gate_table[i], r);
	r->seconds = proc_now_s() - start;
	proc_trace("gate %s done (%.2f s)", gate_table[i].name, r->seconds);
}

static void *side_gate(void *arg)
{
	struct side_run *s = arg;

	run_gate_in(s->g, &s->w, s->i);
	return NULL;
}

/*
 * Makes s->w: w with scratch-<gate>/ (fresh, the new uid's) as its runs'
 * working directory and uid + (SIDE_UID_STEP + k) * 2000000 as their user.
 * False when the directory cannot be made.
 */
static bool side_open(struct side_run *s, const struct workspace *w, unsigned k)
{
	s->w = *w;
	s->w.scratch_dir = xasprintf("%s/scratch-%s", w->dir, gate_table[s->i].name);
	remove_tree(s->w.scratch_dir);
	if (make_dirs(s->w.scratch_dir) != 0) {
		free(s->w.scratch_dir);
		s->w.scratch_dir = NULL;
		return false;
	}
	s->w.sandbox.uid += (SIDE_UID_STEP + k) * 2000000u;
	/* Its own user's alone: the other runs cannot even list it. */
	chmod(s->w.scratch_dir, 0700);
	workspace_own(&s->w, s->w.scratch_dir);
	return true;
}

void side_close(struct side_run *s)
{
	if (s->w.scratch_dir) {
		remove_tree(s->w.scratch_dir);
		free(s->w.scratch_dir);
	}
}

/*
 * Runs the gates of runs[0..n) side by side; false (nothing run) when
 * that cannot be done safely: no sandbox uid of its own to give each run,
 * or a copy or a thread that could not be made.
 */
bool run_side_by_side(struct grading *g, struct side_run *runs, size_t n)
{
	bool ok = g->w.sandbox.uid != 0 && n > 1;

	for (size_t k = 0; k < n && ok; k++)
		ok = side_open(&runs[k], &g->w, (unsigned)k);
	for (size_t k = 0; k < n && ok; k++)
		ok = runs[k].started = pthread_create(&runs[k].thread, NULL, side_gate,
						      &runs[k]) == 0;
	if (!ok) {
		for (size_t k = 0; k < n; k++) {
			if (runs[k].started)
				pthread_join(runs[k].thread, NULL);
			runs[k].started = false;
			side_close(&runs[k]);
		}
		/* A run that did start is run again, alone, with a clean result. */
		for (size_t k = 0; k < n; k++)
			gate_result_clear(&g->result.gates[runs[k].i]);
	}
	return ok;
}

