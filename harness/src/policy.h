/*
 * policy.h - what a learner's file may define and call
 *
 * Before anything runs, each learner file is compiled on its own and its
 * symbols are read with nm:
 *  - it may define (with external linkage) only the functions its chapter's
 *    headers declare: defining anything else could interpose the simulated
 *    world, the clock, a pthread function or a sanitizer hook;
 *  - it may not call functions that reach outside the exercise: process
 *    creation, exec, sockets, opening files, dynamic loading, raw system
 *    calls, resource limits, ptrace, setting the clock, sanitizer
 *    interfaces;
 *  - it may not carry ELF constructors or destructors, no_sanitize
 *    attributes, or inline assembly.
 * Each rejection names the file and line and says why, so an honest mistake
 * is easy to fix.
 *
 * Ownership: policy_check() returns a malloc'd message, or NULL when the
 * files are acceptable. Not thread-safe with respect to the workspace.
 */
#ifndef GRADER_POLICY_H
#define GRADER_POLICY_H

#include "workspace.h"

/*
 * Reads each learner file's text: includes of paths outside the chapter,
 * inline assembly, sanitizer switches, constructors. Runs before the first
 * compilation, so that an include of a hidden file is named as such.
 */
char *policy_check_source(const struct workspace *w);

/* Compiles each learner file to an object and checks its symbols. */
char *policy_check(const struct workspace *w);

/* True when name may not be called from learner code (exported for tests). */
bool policy_call_denied(const char *name);

#endif
