#define _GNU_SOURCE
#include "layout.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "files.h"

/* True when dir/name exists as a file or a link (a link is not followed). */
static bool holds(const char *dir, const char *name)
{
	char *path;
	struct stat st;
	bool there;

	path = xasprintf("%s/%s", dir, name);
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

/* list_names()'s filter: a subfolder (not a link), not hidden. */
static bool is_subfolder(int dirfd, const char *name)
{
	struct stat st;

	return name[0] != '.' && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* Depth-first, in name order: a folder whose name contains id and holds a file. */
static char *search(const char *dir, const char *id, char *const *sources, size_t n,
		    int depth)
{
	char **subs = depth < LAYOUT_MAX_DEPTH ? list_names(dir, is_subfolder, NULL) : NULL;
	char *found = NULL;

	for (size_t i = 0; subs && subs[i]; i++) {
		if (!found) {
			char *path = xasprintf("%s/%s", dir, subs[i]);

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
		path = xasprintf(patterns[i], submission, id);
		if (holds_any(path, sources, n))
			return path;
		free(path);
	}
	found = search(submission, id, sources, n, 0);
	if (found)
		return found;
	return xasprintf("%s/%s", submission, id);
}
