#define _GNU_SOURCE
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISLNK(st.st_mode) ? ELOOP : EINVAL;
		return -1;
	}
	return fd;
}

char *read_bounded(int fd, size_t cap, size_t *got)
{
	char *data = xmalloc(cap + 1);
	ssize_t n;

	*got = 0;
	while (*got < cap && (n = read(fd, data + *got, cap - *got)) > 0)
		*got += (size_t)n;
	data[*got] = '\0';
	return data;
}

char *read_text(const char *path, size_t cap)
{
	int fd = open_regular(path);
	char *data;
	size_t got;

	if (fd < 0)
		return NULL;
	data = read_bounded(fd, cap, &got);
	close(fd);
	return data;
}

int make_dirs(const char *path)
{
	char *copy = xstrdup(path);

	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(copy, 0755);
		*p = '/';
	}
	free(copy);
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : errno;
}

char *first_link_on_path(const char *base, const char *path)
{
	size_t blen = strlen(base);
	char *walk = xstrdup(path);
	/* Where checking starts: base itself, or the first folder of path. */
	size_t at = strncmp(path, base, blen) == 0 && (path[blen] == '/' || !path[blen]) ?
		    blen : 1;

	for (size_t i = at;; i++) {
		if (walk[i] == '/' || walk[i] == '\0') {
			char keep = walk[i];
			struct stat st;

			walk[i] = '\0';
			if (i > 0 && lstat(walk, &st) == 0 && S_ISLNK(st.st_mode))
				return walk;
			walk[i] = keep;
			if (!keep)
				break;
		}
	}
	free(walk);
	return NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **list_names(const char *dir, bool (*keep)(int dirfd, const char *name), size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names;
	size_t count = 0;

	if (!d)
		return NULL;
	names = xcalloc(1, sizeof(*names));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    !keep(dirfd(d), e->d_name))
			continue;
		names = xrealloc(names, (count + 2) * sizeof(*names));
		names[count++] = xstrdup(e->d_name);
		names[count] = NULL;
	}
	closedir(d);
	qsort(names, count, sizeof(*names), compare_names);
	if (n)
		*n = count;
	return names;
}
