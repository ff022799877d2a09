/*
 * argv.c - a growing, NULL-ended argument vector (argv.h)
 */
#include "argv.h"

#include <stdlib.h>

#include "alloc.h"

void argv_push(struct argv_list *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->items = xrealloc(a->items, a->cap * sizeof(*a->items));
	}
	a->items[a->n++] = s;
	a->items[a->n] = NULL;
}

void argv_push_owned(struct argv_list *a, char *s)
{
	a->owned = xrealloc(a->owned, (a->nowned + 1) * sizeof(*a->owned));
	a->owned[a->nowned++] = s;
	argv_push(a, s);
}

void argv_free(struct argv_list *a)
{
	for (size_t i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	free(a->owned);
	free(a->items);
}
