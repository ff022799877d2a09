/*
 * policy.h - what a learner's file may contain, include, define and call
 *
 * Before anything runs, each learner file is checked; every rejection names
 * the file, the line where it can, and the reason, so that an honest
 * mistake is easy to fix:
 *  - text (before compiling): no includes of paths with ".." or a leading
 *    '/', no inline assembly, constructors or sanitizer switches;
 *  - the preprocessed file, in every build the gates use (plain, -O0,
 *    -O2, ThreadSanitizer, LeakSanitizer): the learner's own lines must
 *    come out the same in each, so code cannot behave differently under a
 *    tool; it may include only its chapter's headers, the world headers
 *    and an allow-list of standard headers (no valgrind/ or sanitizer/
 *    headers, computed includes resolved first); no asm, pragmas, section,
 *    constructor, alias or no_sanitize attributes, frame-address
 *    builtins, however spelled (token pasting and macros are expanded);
 *  - clang's syntax tree of the file: no conversion between a pointer and
 *    a number, no view of a pointer's bytes as numbers, no %p (a program
 *    that sees its addresses can tell a race tool's allocator is in use);
 *  - the object, at -O0 and -O2: it may define (with external linkage)
 *    only what its chapter's headers declare, may carry no constructor or
 *    destructor sections, and may reference only an ALLOW-list of names:
 *    the C library's memory, string, formatting (to stdout and stderr),
 *    time and exit functions, pthread, semaphores, atomics, and the
 *    functions of the world headers its chapter includes. Everything else
 *    (files, processes, sockets, the environment, the world's data such as
 *    a service's counters, the harness's own functions) is refused.
 *
 * Ownership: each check returns a malloc'd message, or NULL when the files
 * are acceptable. Not thread-safe with respect to the workspace.
 */
#ifndef GRADER_POLICY_H
#define GRADER_POLICY_H

#include "workspace.h"

/*
 * Reads each learner file's text. Runs before the first compilation, so
 * that an include of a hidden file is named as such.
 */
char *policy_check_source(const struct workspace *w);

/* The preprocessed and compiled checks above, on every learner file. */
char *policy_check(struct workspace *w);

/*
 * True when learner code may reference the C library or pthread name
 * `name` (the fixed part of the allow-list; exported for tests).
 */
bool policy_libc_allowed(const char *name);

/* True when a system header may be included by name ("stdio.h"). */
bool policy_header_allowed(const char *name);

#endif
