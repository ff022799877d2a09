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

/*
 * Builds in the background: starts building flavours[0..n) of w with
 * helper builders only (up to build_pool_width() at a time, never as the
 * workspace's sandbox uid, never in its out dir), and returns at once, so
 * that the caller may run the learner's code as the sandbox uid meanwhile.
 * ok, logs and flavours must stay valid, and w must not change, until
 * build_pool_finish(). Returns NULL (nothing started) when n is 0 or no
 * thread can be had; build_pool_finish(NULL, ...) then builds them all.
 */
struct build_pool;
struct build_pool *build_pool_start(struct workspace *w, const enum flavor *flavours,
				    size_t n, bool *ok, char **logs);

/*
 * Waits for the builds bp started and frees bp; any flavour left unbuilt
 * (a helper that could not start) is built now in the calling thread, as
 * the workspace itself: call it only when no run of the sandbox uid is
 * going on. With bp NULL, builds flavours[0..n) of w that way. Returns true
 * when every build succeeded.
 */
bool build_pool_finish(struct build_pool *bp, struct workspace *w,
		       const enum flavor *flavours, size_t n, bool *ok, char **logs);

#endif
