#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "heapcount.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_llong in_use;

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_reallocarray(void *p, size_t n, size_t size);
void *__real_aligned_alloc(size_t alignment, size_t size);
int __real_posix_memalign(void **p, size_t alignment, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void __real_free(void *p);

static void *counted(void *p)
{
	if (p)
		atomic_fetch_add_explicit(&in_use, (long long)malloc_usable_size(p),
					  memory_order_relaxed);
	return p;
}

static void uncount(void *p)
{
	if (p)
		atomic_fetch_sub_explicit(&in_use, (long long)malloc_usable_size(p),
					  memory_order_relaxed);
}

long long heapcount_in_use(void)
{
	return atomic_load_explicit(&in_use, memory_order_relaxed);
}

void *__wrap_malloc(size_t size)
{
	return counted(__real_malloc(size));
}

void *__wrap_calloc(size_t n, size_t size)
{
	return counted(__real_calloc(n, size));
}

void *__wrap_realloc(void *p, size_t size)
{
	long long before = p ? (long long)malloc_usable_size(p) : 0;
	void *q = __real_realloc(p, size);

	if (q || size == 0)
		atomic_fetch_sub_explicit(&in_use, before, memory_order_relaxed);
	return counted(q);
}

void *__wrap_reallocarray(void *p, size_t n, size_t size)
{
	long long before = p ? (long long)malloc_usable_size(p) : 0;
	void *q = __real_reallocarray(p, n, size);

	if (q)
		atomic_fetch_sub_explicit(&in_use, before, memory_order_relaxed);
	return counted(q);
}

void *__wrap_aligned_alloc(size_t alignment, size_t size)
{
	return counted(__real_aligned_alloc(alignment, size));
}

int __wrap_posix_memalign(void **p, size_t alignment, size_t size)
{
	int err = __real_posix_memalign(p, alignment, size);

	if (err == 0)
		counted(*p);
	return err;
}

char *__wrap_strdup(const char *s)
{
	return counted(__real_strdup(s));
}

char *__wrap_strndup(const char *s, size_t n)
{
	return counted(__real_strndup(s, n));
}

void __wrap_free(void *p)
{
	uncount(p);
	__real_free(p);
}
