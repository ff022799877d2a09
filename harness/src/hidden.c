#define _GNU_SOURCE
#include "hidden.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "course.h"

void hidden_record(struct chapter_result *c, const struct scenario_list *list)
{
	json_decref(c->hidden);
	c->hidden = NULL;
	if (list->nhidden == 0)
		return;
	c->hidden = json_array();
	for (size_t i = 0; i < list->nhidden; i++)
		json_array_append_new(c->hidden, json_string(list->hidden[i]));
}

/* Where the first hidden scenario name starts in line, or NULL. */
static const char *first_mention(const struct chapter_result *c, const char *line, size_t len)
{
	char *copy = xstrndup(line, len);
	size_t i, first = len;
	json_t *name;

	json_array_foreach(c->hidden, i, name) {
		const char *at = strstr(copy, json_string_value(name));

		if (at && (size_t)(at - copy) < first)
			first = (size_t)(at - copy);
	}
	free(copy);
	return first < len ? line + first : NULL;
}

static void append(char **buf, const char *text, size_t len)
{
	char *grown = xasprintf("%s%.*s\n", *buf ? *buf : "", (int)len, text);

	free(*buf);
	*buf = grown;
}

char *hidden_redact(const struct chapter_result *c, const char *text, char **withheld)
{
	const char *generic = strcmp(course_hidden_visibility(), "hidden") == 0 ?
		"a hidden test (its name and message stay with the instructor)" :
		"a hidden test (its name and message are shown once grades are published)";
	char *out = NULL;
	bool dropping = false;

	if (!text)
		return NULL;
	if (!c->hidden || json_array_size(c->hidden) == 0)
		return xstrdup(text);
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		const char *at = first_mention(c, p, len);
		char *line = xstrndup(p, len);
		bool frame = strstr(line, "harness/hidden/") != NULL;

		free(line);
		if (frame) {	/* a stack frame or path in a hidden file: all of it */
			if (withheld)
				append(withheld, p, len);
			append(&out, "    (a frame in a hidden test)", 30);
		} else if (at || (dropping && (*p == ' ' || *p == '\t'))) {
			if (withheld)
				append(withheld, p, len);
			if (at && strncmp(p, "PASS ", 5) == 0)
				append(&out, "PASS a hidden test", 18);
			else if (at) {
				char *line = xasprintf("%.*s%s", (int)(at - p), p, generic);

				append(&out, line, strlen(line));
				free(line);
			}
			dropping = true;
		} else {
			append(&out, p, len);
			dropping = false;
		}
		p += len + (p[len] == '\n');
	}
	if (out && text[0] && text[strlen(text) - 1] != '\n')
		out[strlen(out) - 1] = '\0';
	return out ? out : xstrdup("");
}
