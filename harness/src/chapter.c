#define _GNU_SOURCE
#include "chapter.h"
#include "layout.h"

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

/* Reads c's manifest and fills what comes from it; false after saying why. */
static bool load_manifest(const char *root, struct chapter *c)
{
	char error[1024], *path = manifest_path(root, c->id);
	bool ok = path && manifest_load(path, c->id, &c->manifest, error, sizeof(error));

	if (!ok)
		fprintf(stderr, "grade: %s\n", path ? error : "out of memory");
	free(path);
	if (!ok)
		return false;
	c->sources = c->manifest.sources;
	c->nsources = c->manifest.nsources;
	return asprintf(&c->scenarios, "%s/%s", root, c->manifest.scenarios) >= 0 &&
	       asprintf(&c->bench, "%s/%s", root, c->manifest.bench) >= 0 &&
	       asprintf(&c->bench_args[0], "--target-efficiency=%.15g",
			c->manifest.target_efficiency) >= 0 &&
	       asprintf(&c->bench_args[1], "--trials=%u", c->manifest.trials) >= 0;
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
	char *dir, **ids = NULL;
	size_t count = 0;
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
			     c->id) < 0)
			err = ENOMEM;
		else if (!load_manifest(root, c))
			err = EINVAL;
		else if (submission && !chapter_use_layout(c, submission))
			err = ENOMEM;
		if (err) {
			for (size_t k = i + 1; k < count; k++)
				free(ids[k]);
			chapters_free(chapters, i + 1);
			free(ids);
			free(dir);
			return err;
		}
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
