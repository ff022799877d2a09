/*
 * hints.c - make hint CH=NN: the next tier of the lesson's own hints.
 *
 * The one source is the lesson: each <details><summary>TIER</summary> ...
 * </details> block of chapters/NN/README.md's "Hints" section, in order
 * (Nudge, Concept, Near solution). One tier per call; the count of tiers
 * seen goes into the progress store.
 */
#define _GNU_SOURCE
#include "learn.h"

#include <stdio.h>
#include <string.h>

#define OPEN "<details><summary>"

struct tier {
	const char *name, *body;
	size_t name_len, body_len;
};

/* Finds the tiers in text; returns how many (at most max). */
static size_t find_tiers(const char *text, struct tier *t, size_t max)
{
	size_t n = 0;
	const char *p = text;

	while (n < max && (p = strstr(p, OPEN))) {
		const char *name = p + strlen(OPEN), *name_end = strstr(name, "</summary>");
		const char *end;

		if (!name_end)
			break;
		end = strstr(name_end, "</details>");
		if (!end)
			break;
		t[n].name = name;
		t[n].name_len = (size_t)(name_end - name);
		t[n].body = name_end + strlen("</summary>");
		t[n].body_len = (size_t)(end - t[n].body);
		/* Blank lines around the body are markdown's, not the hint's. */
		while (t[n].body_len && (*t[n].body == '\n' || *t[n].body == '\r')) {
			t[n].body++;
			t[n].body_len--;
		}
		while (t[n].body_len && strchr("\n\r \t", t[n].body[t[n].body_len - 1]))
			t[n].body_len--;
		n++;
		p = end;
	}
	return n;
}

static char *readme_of(const struct chapter *ch)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/README.md", ch->dir);
	return read_text(path, NULL);
}

size_t hint_tiers(const struct chapter *ch)
{
	struct tier t[16];
	char *text = readme_of(ch);
	size_t n = text ? find_tiers(text, t, 16) : 0;

	free(text);
	return n;
}

int hint_next(const struct chapter *ch)
{
	struct tier t[16];
	char *text = readme_of(ch);
	size_t n, used;
	json_t *p, *c;

	if (!text) {
		fprintf(stderr, "hint: %s/README.md cannot be read\n", ch->dir);
		return -1;
	}
	n = find_tiers(text, t, 16);
	if (n == 0) {
		fprintf(stderr, "hint: the lesson of %s has no hints\n", ch->id);
		free(text);
		return -1;
	}
	p = progress_load();
	c = progress_chapter(p, ch->id);
	used = (size_t)json_integer_value(json_object_get(c, "hints"));
	if (used >= n) {
		printf("You have seen all %zu hints of %s; here is the last one again.\n\n", n, ch->id);
		used = n - 1;
	} else {
		json_object_set_new(c, "hints", json_integer((json_int_t)used + 1));
		progress_save(p);
	}
	printf("Hint %zu of %zu for %s: %.*s\n\n%.*s\n", used + 1, n, ch->id,
	       (int)t[used].name_len, t[used].name, (int)t[used].body_len, t[used].body);
	if (used + 1 < n)
		printf("\n(make hint CH=%.2s again for the next tier: %.*s)\n", ch->id,
		       (int)t[used + 1].name_len, t[used + 1].name);
	json_decref(p);
	free(text);
	return 0;
}
