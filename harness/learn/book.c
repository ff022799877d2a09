/* book.c - the chapters of the workbook, and small file helpers. */
#define _GNU_SOURCE
#include "learn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct chapter *)a)->id, ((const struct chapter *)b)->id);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Fills ch's learner file and header from its folder; false if either is missing. */
static bool chapter_files(struct chapter *ch)
{
	DIR *d = opendir(ch->dir);
	struct dirent *e;

	ch->source[0] = ch->header[0] = '\0';
	if (!d)
		return false;
	while ((e = readdir(d))) {
		char *slot = ends_with(e->d_name, ".c") ? ch->source :
			     ends_with(e->d_name, ".h") ? ch->header : NULL;

		/* The alphabetically first of each kind, so the choice is stable. */
		if (slot && (!*slot || strcmp(strrchr(slot, '/') + 1, e->d_name) > 0))
			snprintf(slot, sizeof(ch->source), "%s/%s", ch->dir, e->d_name);
	}
	closedir(d);
	return ch->source[0] && ch->header[0];
}

size_t book_chapters(struct chapter *out, size_t max)
{
	DIR *d = opendir("chapters");
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || strlen(e->d_name) >= sizeof(out->id))
			continue;
		snprintf(out[n].id, sizeof(out[n].id), "%s", e->d_name);
		snprintf(out[n].dir, sizeof(out[n].dir), "chapters/%s", e->d_name);
		if (chapter_files(&out[n]))
			n++;
	}
	closedir(d);
	qsort(out, n, sizeof(*out), by_id);
	return n;
}

bool book_find(const char *name, struct chapter *out)
{
	struct chapter all[MAX_CHAPTERS];
	size_t n = book_chapters(all, MAX_CHAPTERS);
	char *end;
	long num = strtol(name, &end, 10);

	for (size_t i = 0; i < n; i++) {
		bool match = strcmp(all[i].id, name) == 0 ||
			     (*name && *end == '\0' && atol(all[i].id) == num);

		if (match) {
			*out = all[i];
			return true;
		}
	}
	fprintf(stderr, "no chapter \"%s\"; the chapters are:", name);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %s", all[i].id);
	fprintf(stderr, "\n");
	return false;
}

char *read_stream(FILE *f, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, used = 0, got;

	do {
		if (used + 4096 + 1 > cap) {
			char *bigger = realloc(buf, cap = cap * 2 + 8192);

			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
		}
		got = fread(buf + used, 1, cap - used - 1, f);
		used += got;
	} while (got > 0);
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
}

char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f)
		return NULL;
	buf = read_stream(f, len);
	fclose(f);
	return buf;
}

int write_text(const char *path, const char *text, size_t len)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	f = fopen(tmp, "wb");
	if (!f)
		return -1;
	if (fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		unlink(tmp);
		return -1;
	}
	return rename(tmp, path);
}

int write_json(const char *path, json_t *v, size_t flags, const char *who)
{
	char *text = json_dumps(v, flags);
	int rc = text ? write_text(path, text, strlen(text)) : -1;

	free(text);
	if (rc != 0)
		fprintf(stderr, "%s: cannot write %s\n", who, path);
	return rc;
}

int make_dirs(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	return mkdir(buf, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int copy_file(const char *from, const char *to)
{
	size_t len;
	char *text = read_text(from, &len);
	struct stat st;
	int rc;

	if (!text)
		return -1;
	rc = write_text(to, text, len);
	free(text);
	if (rc == 0 && stat(from, &st) == 0)
		chmod(to, st.st_mode & 07777);
	return rc;
}

void now_text(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

int backup_file(const char *src, const struct chapter *ch, const char *why,
		char *path, size_t size)
{
	char dir[512], stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(dir, sizeof(dir), "%s/%s", BACKUP_DIR, ch->id);
	if (make_dirs(dir) != 0)
		return -1;
	/* Two backups in one second get a counter, never overwrite each other. */
	for (int i = 0; i < 100; i++) {
		if (i == 0)
			snprintf(path, size, "%s/%s.%s%s%s", dir, base, stamp, why ? "." : "", why ? why : "");
		else
			snprintf(path, size, "%s/%s.%s-%d%s%s", dir, base, stamp, i, why ? "." : "", why ? why : "");
		if (access(path, F_OK) != 0)
			return copy_file(src, path);
	}
	return -1;
}
