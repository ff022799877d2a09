/*
 * alloc.h - the grader's one out-of-memory policy
 *
 * Every allocation in harness/src goes through these. When memory runs
 * out they print "grade: out of memory" on stderr and end the grader with
 * exit status 2, the status main.c documents for "the grader itself could
 * not run" (GRADE_EXIT_COULD_NOT_RUN): a grading with half its messages
 * missing would be worse than none. They never return NULL.
 *
 * Thread-safe. Not for a child between fork() and exec() (it must not
 * allocate at all).
 */
#ifndef GRADER_ALLOC_H
#define GRADER_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* The grader's exit status when it could not run (main.c's usage says so). */
#define GRADE_EXIT_COULD_NOT_RUN 2

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);	/* p may be NULL */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* printf-style formatting into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
