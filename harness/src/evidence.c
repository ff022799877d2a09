#define _GNU_SOURCE
#include "evidence.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Sets *slot to text, or appends it when the kind comes in parts. */
static void keep(char **slot, const char *text, size_t len, bool append)
{
	size_t old = *slot ? strlen(*slot) : 0;
	char *grown;

	if (*slot && !append)
		return;
	grown = xrealloc(*slot, old + len + 1);
	memcpy(grown + old, text, len);
	grown[old + len] = '\0';
	*slot = grown;
}

/* The kinds that belong to one scenario: the field each fills, and whether it comes in parts. */
#define KIND(name, parts) { #name, offsetof(struct scenario_evidence, name), parts }
static const struct scenario_kind {
	const char *name;
	size_t offset;		/* of its char * in struct scenario_evidence */
	bool parts;
} scenario_kinds[] = {
	KIND(begin, false), KIND(end, false), KIND(crash, false), KIND(timeout, false),
	KIND(early, false), KIND(stacks, true), KIND(leak, false), KIND(heap, false),
	KIND(cycle, false), KIND(leakstacks, true),
};
#undef KIND
#define NKINDS (sizeof(scenario_kinds) / sizeof(scenario_kinds[0]))

/* The field of s that kind k fills. */
static char **field(struct scenario_evidence *s, const struct scenario_kind *k)
{
	return (char **)((char *)s + k->offset);
}

static void take(struct evidence *e, const char *kind, size_t index, const char *text,
		 size_t len)
{
	struct scenario_evidence *s = index < EVIDENCE_MAX ? &e->at[index] : NULL;

	if (!strcmp(kind, "bench"))
		keep(&e->bench, text, len, true);
	else if (!strcmp(kind, "seccomp"))
		keep(&e->seccomp, text, len, false);
	else if (!strcmp(kind, "canary"))
		e->canary = true;
	else if (!strcmp(kind, "collider"))
		keep(&e->collider, text, len, true);
	else if (!strcmp(kind, "collidercanary"))
		e->collider_canary = true;
	else if (!strcmp(kind, "colliderpeak")) {
		char number[16];

		snprintf(number, sizeof(number), "%.*s", (int)(len < 15 ? len : 15), text);
		e->collider_peak = atoi(number);
	}
	else if (!strcmp(kind, "done")) {
		e->done = true;
		e->done_count = strtoul(text, NULL, 10);
	} else if (s) {
		for (size_t k = 0; k < NKINDS; k++)
			if (!strcmp(kind, scenario_kinds[k].name))
				keep(field(s, &scenario_kinds[k]), text, len, scenario_kinds[k].parts);
	}
}

void evidence_parse(const char *data, size_t len, size_t dropped, const char *token,
		    struct evidence *e)
{
	size_t tlen = strlen(token);
	const char *p = data, *end = data + len;

	memset(e, 0, sizeof(*e));
	e->collider_peak = -1;
	e->overflowed = dropped > 0;
	if (!data || tlen < 16)
		return;
	while (p < end && (p = memmem(p, (size_t)(end - p), token, tlen)) != NULL) {
		char kind[16];
		unsigned long index, length;
		int header = 0;

		if (sscanf(p + tlen, " %15[a-z] %lu %lu%n", kind, &index, &length, &header) != 3 ||
		    header == 0 || p[tlen + header] != '\n' ||
		    length > (size_t)(end - p) || p + tlen + ++header + length > end) {
			p += tlen;
			continue;
		}
		take(e, kind, index, p + tlen + header, length);
		p += tlen + header + length;
	}
}

void evidence_free(struct evidence *e)
{
	for (size_t i = 0; i < EVIDENCE_MAX; i++) {
		for (size_t k = 0; k < NKINDS; k++)
			free(*field(&e->at[i], &scenario_kinds[k]));
	}
	free(e->bench);
	free(e->seccomp);
	free(e->collider);
	memset(e, 0, sizeof(*e));
}
