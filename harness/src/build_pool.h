/*
 * build_pool.h - builds several flavours of one workspace at once
 *
 * Each flavour is one compiler run (the learner's file compiled and linked
 * with the cached harness objects); they do not depend on each other, so on
 * a machine with two cores two of them run side by side. Nothing runs the
 * learner's code while they build.
 *
 * Ownership: logs[i] (for the flavours asked for) are malloc'd for the
 * caller, or NULL.
 * Safety: the caller owns w; build_pool_run() returns only when every build
 * it started has ended.
 */
#ifndef GRADER_BUILD_POOL_H
#define GRADER_BUILD_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "workspace.h"

/* Compiler runs at once: the machine's processors, at least 1, at most 4. */
unsigned build_pool_width(void);

/*
 * Builds flavours[0..n) of w, up to build_pool_width() at a time; ok[i] and
 * logs[i] receive workspace_build()'s result for flavours[i]. With beside
 * (may be NULL), the calling thread runs beside(arg) meanwhile, as the only
 * user of the workspace's sandbox uid (the builders take others), and
 * blocks until it and the builds have ended. Returns true when every build
 * succeeded.
 */
bool build_pool_run(struct workspace *w, const enum flavor *flavours, size_t n, bool *ok,
		    char **logs, void (*beside)(void *), void *arg);

#endif
