/*
 * heapcount.h - heap bytes in use, as counted at the allocation calls
 *
 * The leak driver is linked with -Wl,--wrap for malloc, calloc, realloc,
 * reallocarray, aligned_alloc, posix_memalign, strdup, strndup and free:
 * every such call in the linked objects (the learner's, the world's, the
 * harness's) adds or subtracts malloc_usable_size() of its block. Memory
 * the C library allocates inside itself is not seen. LeakSanitizer finds
 * blocks nothing points to; this finds blocks still pointed to (from a
 * static, say) that a scenario should have freed.
 *
 * Safety: thread-safe (one relaxed atomic counter).
 */
#ifndef HARNESS_HEAPCOUNT_H
#define HARNESS_HEAPCOUNT_H

#include <stddef.h>

/* Bytes allocated through the wrapped calls and not yet freed. */
long long heapcount_in_use(void);

/* The linker flags that route the calls through the counter. */
#define HEAPCOUNT_LINK_FLAGS \
	"-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=reallocarray," \
	"--wrap=aligned_alloc,--wrap=posix_memalign,--wrap=strdup,--wrap=strndup,--wrap=free"

#endif
