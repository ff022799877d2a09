/*
 * export.c - make classroom-template DIR=out: the learner's view of the
 * workbook, ready to push as a GitHub Classroom template.
 *
 * Taken: the files git knows (tracked, or new and not ignored) under
 * chapters/, harness/, .github/, .vscode/, .devcontainer/, plus Makefile,
 * README.md, .gitignore and tests/tests.mk (the Makefile includes it).
 * Never taken: solutions/, the bug zoo, the adversarial suite, the rest of
 * tests/, and any NOTES.md. The export still runs make grade.
 */
#define _GNU_SOURCE
#include "learn.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const taken_dirs[] = { "chapters/", "harness/", ".github/", ".vscode/", ".devcontainer/" };
static const char *const taken_files[] = { "Makefile", "README.md", ".gitignore", "tests/tests.mk" };

static bool taken(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (strcmp(base, "NOTES.md") == 0)
		return false;
	for (size_t i = 0; i < sizeof(taken_files) / sizeof(*taken_files); i++)
		if (strcmp(path, taken_files[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(taken_dirs) / sizeof(*taken_dirs); i++)
		if (strncmp(path, taken_dirs[i], strlen(taken_dirs[i])) == 0)
			return true;
	return false;
}

int export_template(const char *dir)
{
	FILE *list;
	char path[4096], dest[8192];
	size_t copied = 0;
	int c, len = 0, failed = 0;
	struct stat st;

	if (!dir || !*dir) {
		fprintf(stderr, "usage: make classroom-template DIR=<new folder>\n");
		return -1;
	}
	if (stat(dir, &st) == 0) {
		fprintf(stderr, "classroom-template: %s exists; name a new folder\n", dir);
		return -1;
	}
	list = popen("git ls-files -z --cached --others --exclude-standard", "r");
	if (!list) {
		fprintf(stderr, "classroom-template: needs git and a clone of the workbook\n");
		return -1;
	}
	while ((c = fgetc(list)) != EOF) {
		if (c != '\0') {
			if (len < (int)sizeof(path) - 1)
				path[len++] = (char)c;
			continue;
		}
		path[len] = '\0';
		len = 0;
		if (!taken(path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(dest, sizeof(dest), "%s/%s", dir, path);
		*strrchr(dest, '/') = '\0';
		if (make_dirs(dest) != 0) {
			failed++;
			continue;
		}
		snprintf(dest, sizeof(dest), "%s/%s", dir, path);
		if (copy_file(path, dest) != 0)
			failed++;
		else
			copied++;
	}
	if (pclose(list) != 0 || failed || copied == 0) {
		fprintf(stderr, "classroom-template: export failed (%d files not copied)\n", failed);
		return -1;
	}
	printf("classroom-template: %zu files in %s (no solutions, zoo, adversarial suite or NOTES.md)\n"
	       "  to publish: cd %s && git init -b main && git add -A && git commit -m template &&\n"
	       "  git remote add origin <new repository> && git push -u origin main; then mark the\n"
	       "  repository as a template and use it for the Classroom assignment.\n",
	       copied, dir, dir);
	return 0;
}
