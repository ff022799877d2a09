/*
 * editor.c - compile_commands.json, so clangd (VS Code, Codespaces, any
 * editor with a language server) resolves every include of a chapter file:
 * the chapter's own header, the world headers (harness/world) and the
 * harness's (harness/lib, harness/bench), with the flags the grader uses.
 */
#define _GNU_SOURCE
#include "learn.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void add_entry(json_t *list, const char *root, const char *dir, const char *file)
{
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	json_t *args = json_pack("[s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s]", cc, "-std=gnu11", "-pthread",
				 "-Wall", "-Wextra", "-I", dir, "-I", "harness/world", "-I",
				 "harness/lib", "-I", "harness/bench", "-c", file, "-fsyntax-only");

	json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "directory", root, "file", file,
					      "arguments", args));
}

/* Every .c file of the folders under top (chapters/ or solutions/). */
static void add_tree(json_t *list, const char *root, const char *top)
{
	DIR *d = opendir(top);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char dir[512], file[1024];
		DIR *sub;
		struct dirent *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", top, e->d_name);
		if (!(sub = opendir(dir)))
			continue;
		while ((f = readdir(sub))) {
			size_t len = strlen(f->d_name);

			if (len > 2 && strcmp(f->d_name + len - 2, ".c") == 0 && f->d_name[0] != '.') {
				snprintf(file, sizeof(file), "%s/%s", dir, f->d_name);
				add_entry(list, root, dir, file);
			}
		}
		closedir(sub);
	}
	closedir(d);
}

int editor_compile_commands(const char *out_path)
{
	char root[PATH_MAX];
	json_t *list = json_array();
	int rc;

	if (!getcwd(root, sizeof(root)))
		return -1;
	add_tree(list, root, "chapters");
	add_tree(list, root, "solutions");	/* absent from a classroom copy */
	rc = write_json(out_path, list, JSON_INDENT(2), "compile-commands");
	json_decref(list);
	return rc;
}
