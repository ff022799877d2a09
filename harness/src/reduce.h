/*
 * reduce.h - what the report reducers (feedback.c, helgrind.c) share;
 * private to them
 *
 * Thread-safe: no shared state. Strings returned are malloc'd.
 */
#ifndef GRADER_REDUCE_H
#define GRADER_REDUCE_H

#include <stddef.h>

#include "workspace.h"

/* A growing text, one line at a time; zero-initialise it. */
struct text {
	char *s;
	size_t n;
};

/* Appends to t (printf-style). */
void text_addf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The text, handed over ("" when nothing was added); t is spent. */
char *text_take(struct text *t);

/* "clean.c:21" for a copy's path and line, as the learner names the file. */
char *learner_location(const struct workspace *w, const char *path, const char *line);

/* Next line of text into buf (truncated to size); returns the rest, or NULL. */
const char *next_line(const char *text, char *buf, size_t size);

#endif
