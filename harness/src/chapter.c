#define _GNU_SOURCE
#include "chapter.h"
#include "layout.h"
#include "workspace.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_chapter_name(const char *name)
{
	return isdigit((unsigned char)name[0]) && isdigit((unsigned char)name[1]) &&
	       name[2] == '-' && name[3] != '\0';
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Sorted list of entries of dir accepted by keep(). */
static int list_dir(const char *dir, bool (*keep)(const char *), char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t count = 0;

	if (!d)
		return errno;
	while ((e = readdir(d)) != NULL) {
		char **grown;

		if (!keep(e->d_name))
			continue;
		grown = realloc(names, (count + 1) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[count++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, count, sizeof(*names), compare_strings);
	*out = names;
	*n = count;
	return 0;
}

static bool is_c_source(const char *name)
{
	return name[0] != '.' && ends_with(name, ".c");
}

/* Points learner_dir at wherever the submission's layout keeps the files. */
static bool chapter_use_layout(struct chapter *c, const char *submission)
{
	char *found = layout_find(submission, c->id, c->sources, c->nsources);

	if (!found)
		return false;
	free(c->learner_dir);
	c->learner_dir = found;
	return true;
}

int chapters_discover(const char *root, const char *submission,
		      struct chapter **out, size_t *n)
{
	char *dir, **ids;
	size_t count;
	struct chapter *chapters;
	int err;

	if (asprintf(&dir, "%s/chapters", root) < 0)
		return ENOMEM;
	err = list_dir(dir, is_chapter_name, &ids, &count);
	if (err) {
		free(dir);
		return err;
	}
	chapters = calloc(count ? count : 1, sizeof(*chapters));
	if (!chapters) {
		free(dir);
		return ENOMEM;
	}
	for (size_t i = 0; i < count; i++) {
		struct chapter *c = &chapters[i];

		c->id = ids[i];
		if (asprintf(&c->header_dir, "%s/chapters/%s", root, c->id) < 0 ||
		    asprintf(&c->learner_dir, "%s/%s", submission ? submission : dir,
			     c->id) < 0 ||
		    asprintf(&c->scenarios, "%s/harness/scenarios/%s.c", root, c->id) < 0 ||
		    asprintf(&c->bench, "%s/harness/bench/%s.c", root, c->id) < 0)
			return ENOMEM;
		list_dir(c->header_dir, is_c_source, &c->sources, &c->nsources);
		if (submission && !chapter_use_layout(c, submission))
			return ENOMEM;
	}
	free(ids);
	free(dir);
	*out = chapters;
	*n = count;
	return 0;
}

bool chapter_matches(const struct chapter *c, const char *selector)
{
	char *end;
	long number = strtol(selector, &end, 10);

	if (strcmp(selector, c->id) == 0)
		return true;
	if (end != selector && *end == '\0')
		return number == strtol(c->id, NULL, 10);
	return false;
}

void chapters_free(struct chapter *chapters, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct chapter *c = &chapters[i];

		free(c->id);
		free(c->header_dir);
		free(c->learner_dir);
		for (size_t k = 0; k < c->nsources; k++)
			free(c->sources[k]);
		free(c->sources);
		free(c->scenarios);
		free(c->bench);
	}
	free(chapters);
}

bool chapter_has_leaks_gate(const struct chapter *c)
{
	char *text = read_text(c->scenarios, 1 << 20);
	bool leaks = text && strstr(text, "const bool chapter_checks_leaks = true;");

	free(text);
	return leaks;
}
