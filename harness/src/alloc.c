/*
 * alloc.c - allocations that end the grader instead of returning NULL
 */
#define _GNU_SOURCE
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reports and exits; the message needs no memory. */
static void *out_of_memory(void)
{
	static const char message[] = "grade: out of memory\n";

	if (write(2, message, sizeof(message) - 1) < 0) {
		/* Nothing else can be said. */
	}
	exit(GRADE_EXIT_COULD_NOT_RUN);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	return p ? p : out_of_memory();
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	return p ? p : out_of_memory();
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	return q ? q : out_of_memory();
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	return p ? p : out_of_memory();
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	return p ? p : out_of_memory();
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *text;

	return vasprintf(&text, fmt, ap) < 0 ? out_of_memory() : text;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	return text;
}
