/*
 * build.h - the compiler command, in the one place that makes it
 *
 * workspace_build() (workspace.h) and the symbol policy (policy.c) start
 * every compiler run with workspace_compiler(): the compiler ($CC, or cc),
 * the language, and the include paths of the chapter and the harness.
 *
 * Not thread-safe per list; different lists may be used in different
 * threads at once.
 */
#ifndef GRADER_BUILD_H
#define GRADER_BUILD_H

#include <stddef.h>

#include "argv.h"
#include "workspace.h"


/*
 * Pushes the compiler and the flags every compiler run of workspace w
 * shares: the language, -pthread, and -I for the chapter's headers, the
 * world, harness/lib and harness/bench. No warning flags: callers that
 * read the compiler's output (the policy's -E) must see only that.
 */
void workspace_compiler(struct argv_list *a, const struct workspace *w);

#endif
