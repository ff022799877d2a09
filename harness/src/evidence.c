#define _GNU_SOURCE
#include "evidence.h"

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
	else if (!strcmp(kind, "done")) {
		e->done = true;
		e->done_count = strtoul(text, NULL, 10);
	} else if (!s)
		return;
	else if (!strcmp(kind, "begin"))
		keep(&s->begin, text, len, false);
	else if (!strcmp(kind, "end"))
		keep(&s->end, text, len, false);
	else if (!strcmp(kind, "crash"))
		keep(&s->crash, text, len, false);
	else if (!strcmp(kind, "timeout"))
		keep(&s->timeout, text, len, false);
	else if (!strcmp(kind, "early"))
		keep(&s->early, text, len, false);
	else if (!strcmp(kind, "stacks"))
		keep(&s->stacks, text, len, true);
	else if (!strcmp(kind, "leak"))
		keep(&s->leak, text, len, false);
	else if (!strcmp(kind, "heap"))
		keep(&s->heap, text, len, false);
	else if (!strcmp(kind, "cycle"))
		keep(&s->cycle, text, len, false);
	else if (!strcmp(kind, "leakstacks"))
		keep(&s->leakstacks, text, len, true);
}

void evidence_parse(const char *data, size_t len, size_t dropped, const char *token,
		    struct evidence *e)
{
	size_t tlen = strlen(token);
	const char *p = data, *end = data + len;

	memset(e, 0, sizeof(*e));
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
		struct scenario_evidence *s = &e->at[i];

		free(s->begin);
		free(s->end);
		free(s->crash);
		free(s->timeout);
		free(s->stacks);
		free(s->leak);
		free(s->leakstacks);
		free(s->early);
		free(s->heap);
		free(s->cycle);
	}
	free(e->bench);
	free(e->seccomp);
	free(e->collider);
	memset(e, 0, sizeof(*e));
}
