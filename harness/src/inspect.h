/*
 * inspect.h - what policy.c (the text of a learner's file) and inspect.c
 * (what the compiler makes of it) share; private to the two
 *
 * Strings returned are malloc'd and belong to the caller; a message is a
 * refusal for the learner ("<file>:<line>: ..."), NULL when all is well.
 * Thread-safe: no shared state.
 */
#ifndef GRADER_INSPECT_H
#define GRADER_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

#define PP_CAP (16u << 20)	/* the most compiler output a check reads */

/* True when name is in the NULL-ended list; a trailing '*' matches a prefix. */
bool in_list(const char *const *list, const char *name);

/* A letter, a digit or '_'. */
bool is_ident_char(char c);

/* The text of the files in dir whose names end in suffix, concatenated. */
char *concat_dir(const char *dir, const char *suffix);

/* text with its C comments blanked out, lines kept. */
void strip_comments(char *text);

/* True when text has `name` as a whole identifier. */
bool mentions(const char *text, const char *name);

/* Line number of the first use of identifier `name` in source, or 0. */
int line_of(const char *source, const char *name);

/* Runs a tool in the sandbox; its output (malloc'd), or NULL on failure. */
char *tool_output(const struct workspace *w, const char *const *argv, size_t cap);

/* src (shown as `shown`) as each build's preprocessor sees it. */
char *check_preprocessed(const struct workspace *w, const char *src, const char *shown);

/*
 * The text of the chapter's headers and of the world headers they include
 * directly: the world functions it mentions are the ones a learner may call.
 */
char *allowed_world_text(const struct workspace *w);

/* src compiled at optimisation `level`: what its object defines and calls. */
char *check_compiled(const struct workspace *w, const char *src, const char *shown,
		     const char *level, const char *source, const char *headers,
		     const char *world_text, const char *world_symbols);

/*
 * src (shown as `shown`) as clang's syntax tree: refuses a conversion
 * between a pointer and a number, a view of a pointer's bytes as numbers,
 * and %p (pointer_values.c). A message naming the line, or NULL.
 */
char *check_pointer_values(const struct workspace *w, const char *src, const char *shown);

/*
 * The same check on a dump already read (`dump`: clang's -ast-dump text;
 * `learner`: the path clang was given for the file). For tests.
 */
char *scan_pointer_values(const char *dump, const char *learner, const char *shown);

#endif
