/*
 * parallel.h - the first phase of several gradings, a few at a time
 *
 * A whole-book grading (main.c) and a batch (batch.c) both run the first
 * part of many gradings (build, correctness, race and leak gates) on a few
 * threads, then each throughput gate alone. This is the "a few at a time"
 * part: a shared next index and one thread per slot.
 */
#ifndef GRADER_PARALLEL_H
#define GRADER_PARALLEL_H

#include <stddef.h>

/*
 * Calls item(arg, i, slot) once for every i in [0, n), on up to `width`
 * threads (at most 8); slot (0 .. width-1) names the calling thread, so
 * that two items running at once never share a slot. Items are taken in
 * order of i. Blocks until every call has returned. When no thread can be
 * started, the calling thread runs every item itself (slot 0).
 * Thread safety: item runs concurrently with itself on other slots; it must
 * guard what the items share (printing one line with one printf() needs no
 * guard).
 */
void parallel_for(size_t n, unsigned width, void (*item)(void *arg, size_t i, unsigned slot),
		  void *arg);

#endif
