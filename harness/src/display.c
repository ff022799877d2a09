/*
 * display.c - the learner's paths: the grader works on copies, the learner
 * should read the names of their own files
 */
#define _GNU_SOURCE
#include "workspace.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

/* The learner's path as people should see it: relative to cwd if inside. */
char *display_path(const char *path)
{
	char *real = realpath(path, NULL), cwd[4096];
	size_t n;

	if (!real)
		return xstrdup(path);
	if (getcwd(cwd, sizeof(cwd)) && (n = strlen(cwd)) &&
	    strncmp(real, cwd, n) == 0 && real[n] == '/') {
		char *rel = xstrdup(real + n + 1);

		free(real);
		return rel;
	}
	return real;
}

char *workspace_rewrite(const struct workspace *w, const char *text)
{
	char *prefix, *out;
	size_t plen, dlen, cap, used = 0;

	prefix = xasprintf("%s/", w->src_dir);
	plen = strlen(prefix);
	dlen = strlen(w->display_dir);
	cap = strlen(text) + 1;
	out = xmalloc(cap);
	while (*text) {
		if (strncmp(text, prefix, plen) == 0) {
			cap += dlen + 1;
			out = xrealloc(out, cap);
			memcpy(out + used, w->display_dir, dlen);
			used += dlen;
			out[used++] = '/';
			text += plen;
		} else {
			out[used++] = *text++;
		}
	}
	out[used] = '\0';
	free(prefix);
	return out;
}

bool workspace_is_learner_file(const struct workspace *w, const char *path)
{
	size_t n = strlen(w->src_dir);

	return strncmp(path, w->src_dir, n) == 0 && path[n] == '/';
}
