#define _GNU_SOURCE
#include "layout.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* True when dir/name exists as a file or a link (a link is not followed). */
static bool holds(const char *dir, const char *name)
{
	char *path;
	struct stat st;
	bool there;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return false;
	there = lstat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode));
	free(path);
	return there;
}

static bool holds_any(const char *dir, char *const *sources, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (holds(dir, sources[i]))
			return true;
	return false;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted subfolders of dir (not links, not hidden); NULL-ended, malloc'd. */
static char **subfolders(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t count = 0;

	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char **grown;

		if (e->d_name[0] == '.' ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		grown = realloc(names, (count + 2) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[count++] = strdup(e->d_name);
		names[count] = NULL;
	}
	closedir(d);
	if (names)
		qsort(names, count, sizeof(*names), compare_names);
	return names;
}

/* Depth-first, in name order: a folder whose name contains id and holds a file. */
static char *search(const char *dir, const char *id, char *const *sources, size_t n,
		    int depth)
{
	char **subs = depth < LAYOUT_MAX_DEPTH ? subfolders(dir) : NULL;
	char *found = NULL;

	for (size_t i = 0; subs && subs[i]; i++) {
		char *path;

		if (!found && asprintf(&path, "%s/%s", dir, subs[i]) >= 0) {
			if (strstr(subs[i], id) && holds_any(path, sources, n))
				found = path;
			else {
				found = search(path, id, sources, n, depth + 1);
				free(path);
			}
		}
		free(subs[i]);
	}
	free(subs);
	return found;
}

char *layout_find(const char *submission, const char *id, char *const *sources, size_t n)
{
	static const char *const patterns[] = { "%s/%s", "%s/chapters/%s", "%s" };
	char *path, *found;

	for (size_t i = 0; i < sizeof(patterns) / sizeof(*patterns); i++) {
		if (asprintf(&path, patterns[i], submission, id) < 0)
			return NULL;
		if (holds_any(path, sources, n))
			return path;
		free(path);
	}
	found = search(submission, id, sources, n, 0);
	if (found)
		return found;
	if (asprintf(&path, "%s/%s", submission, id) < 0)
		return NULL;
	return path;
}
