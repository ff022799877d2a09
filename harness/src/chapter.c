#define _GNU_SOURCE
#include "chapter.h"
#include "layout.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "files.h"

/* list_names()'s filter: NN-slug. */
static bool is_chapter_name(int dirfd, const char *name)
{
	(void)dirfd;
	return isdigit((unsigned char)name[0]) && isdigit((unsigned char)name[1]) &&
	       name[2] == '-' && name[3] != '\0';
}

/* Reads c's manifest and fills what comes from it; false after saying why. */
static bool load_manifest(const char *root, struct chapter *c)
{
	char error[1024], *path = manifest_path(root, c->id);
	bool ok = manifest_load(path, c->id, &c->manifest, error, sizeof(error));

	if (!ok)
		fprintf(stderr, "grade: %s\n", error);
	free(path);
	if (!ok)
		return false;
	c->sources = c->manifest.sources;
	c->nsources = c->manifest.nsources;
	c->scenarios = xasprintf("%s/%s", root, c->manifest.scenarios);
	c->bench = xasprintf("%s/%s", root, c->manifest.bench);
	c->bench_args[0] = xasprintf("--target-efficiency=%.15g", c->manifest.target_efficiency);
	c->bench_args[1] = xasprintf("--trials=%u", c->manifest.trials);
	return true;
}

/* Points learner_dir at wherever the submission's layout keeps the files. */
static void chapter_use_layout(struct chapter *c, const char *submission)
{
	free(c->learner_dir);
	c->learner_dir = layout_find(submission, c->id, c->sources, c->nsources);
}

int chapters_discover(const char *root, const char *submission,
		      struct chapter **out, size_t *n)
{
	char *dir, **ids = NULL;
	size_t count = 0;
	struct chapter *chapters;

	dir = xasprintf("%s/chapters", root);
	ids = list_names(dir, is_chapter_name, &count);
	if (!ids) {
		int err = errno;

		free(dir);
		return err;
	}
	chapters = xcalloc(count ? count : 1, sizeof(*chapters));
	for (size_t i = 0; i < count; i++) {
		struct chapter *c = &chapters[i];

		c->id = ids[i];
		c->header_dir = xasprintf("%s/chapters/%s", root, c->id);
		c->learner_dir = xasprintf("%s/%s", submission ? submission : dir, c->id);
		if (!load_manifest(root, c)) {
			for (size_t k = i + 1; k < count; k++)
				free(ids[k]);
			chapters_free(chapters, i + 1);
			free(ids);
			free(dir);
			return EINVAL;
		}
		if (submission)
			chapter_use_layout(c, submission);
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
		free(c->scenarios);
		free(c->bench);
		free(c->bench_args[0]);
		free(c->bench_args[1]);
		manifest_free(&c->manifest);
	}
	free(chapters);
}

bool chapter_has_leaks_gate(const struct chapter *c)
{
	return c->manifest.leaks_gate;
}

bool chapter_allows_atomics(const struct chapter *c)
{
	return c->manifest.atomics;
}
