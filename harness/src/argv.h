/*
 * argv.h - a growing, NULL-ended argument vector for the programs the
 * grader runs (compilers, tools, learner binaries)
 *
 * The list owns what argv_push_owned() gave it, nothing else. Out of
 * memory ends the grader with "could not run" (alloc.h). Not thread-safe:
 * one list, one thread.
 */
#ifndef GRADER_ARGV_H
#define GRADER_ARGV_H

#include <stddef.h>

/* A NULL-ended argument vector that grows; zero-initialise it. */
struct argv_list {
	const char **items;	/* NULL-ended once something was pushed */
	size_t n, cap;
	char **owned;		/* strings to free */
	size_t nowned;
};

/* Appends s (not copied: it must outlive the list). */
void argv_push(struct argv_list *a, const char *s);

/* Appends s (malloc'd) and takes it: argv_free() frees it. */
void argv_push_owned(struct argv_list *a, char *s);

/* Frees the vector and the strings it owns. */
void argv_free(struct argv_list *a);

#endif
