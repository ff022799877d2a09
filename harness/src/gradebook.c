#define _GNU_SOURCE
#include "gradebook.h"
#include "alloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

#define MAX_GIT_FILE (1 << 20)		/* HEAD, a ref, packed-refs */
#define MAX_HASHED_FILE (1 << 24)

char *gradebook_default_prefix(const char *build_root, time_t when)
{
	struct tm tm;
	char stamp[32];

	gmtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	return xasprintf("%s/gradebook-%s", build_root, stamp);
}

int gradebook_reserve(const char *csv_path, const char *json_path)
{
	const char *paths[2] = { csv_path, json_path };

	for (int i = 0; i < 2; i++) {
		int fd = open(paths[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

		if (fd < 0) {
			fprintf(stderr, "grade: %s: %s; a gradebook is never replaced: choose "
				"another GRADEBOOK= (--gradebook) or move the old one away\n",
				paths[i], errno == EEXIST ? "already exists" : strerror(errno));
			if (i == 1)
				unlink(csv_path);
			return -1;
		}
		close(fd);
	}
	return 0;
}

void gradebook_csv_field(FILE *out, const char *field)
{
	/* A spreadsheet runs a cell starting with one of these as a formula. */
	if (field[0] && strchr("=+-@\t\r", field[0])) {
		char *safe = xasprintf("'%s", field);

		gradebook_csv_field(out, safe);
		free(safe);
		return;
	}
	if (!field[strcspn(field, ",\"\r\n")]) {
		fputs(field, out);
		return;
	}
	fputc('"', out);
	for (const char *p = field; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

/* The whole of a small file without following a link, or NULL. */
static char *slurp(const char *path, size_t limit, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	char *data;
	size_t got = 0;
	ssize_t r;

	struct stat st;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	data = xmalloc(limit + 1);
	while (got < limit && (r = read(fd, data + got, limit - got)) > 0)
		got += (size_t)r;
	close(fd);
	data[got] = '\0';
	if (len)
		*len = got;
	return data;
}

static bool is_sha(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == 40 && (s[n] == '\0' || isspace((unsigned char)s[n]));
}

/* The git directory of a clone at dir (malloc'd), or NULL. */
static char *git_dir(const char *dir)
{
	char *path, *text, *found = NULL;

	path = xasprintf("%s/.git", dir);
	text = slurp(path, 4096, NULL);
	if (!text) {		/* a folder, or nothing */
		struct stat st;

		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return path;
		free(path);
		return NULL;
	}
	if (strncmp(text, "gitdir: ", 8) == 0) {
		text[strcspn(text, "\r\n")] = '\0';
		if (text[8] == '/')
			found = xstrdup(text + 8);
		else
			found = xasprintf("%s/%s", dir, text + 8);
	}
	free(text);
	free(path);
	return found;
}

/* The commit `ref` ("refs/heads/main") names in gitdir, into out. */
static void resolve_ref_in(const char *gitdir, const char *ref, char *out, size_t size)
{
	char *path, *text, *line;

	path = xasprintf("%s/%s", gitdir, ref);
	text = slurp(path, MAX_GIT_FILE, NULL);
	free(path);
	if (text && is_sha(text))
		snprintf(out, size, "%.40s", text);
	free(text);
	if (*out)
		return;
	path = xasprintf("%s/packed-refs", gitdir);
	text = slurp(path, MAX_GIT_FILE, NULL);
	free(path);
	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		size_t n = strlen(ref);

		if (is_sha(line) && line[40] == ' ' && strncmp(line + 41, ref, n) == 0 &&
		    (line[41 + n] == '\n' || line[41 + n] == '\r' || line[41 + n] == '\0')) {
			snprintf(out, size, "%.40s", line);
			break;
		}
	}
	free(text);
}

/* resolve_ref_in() in gitdir, then in its commondir (a linked worktree's). */
static void resolve_ref(const char *gitdir, const char *ref, char *out, size_t size)
{
	char *path, *common, *dir = NULL;

	resolve_ref_in(gitdir, ref, out, size);
	if (*out)
		return;
	path = xasprintf("%s/commondir", gitdir);
	common = slurp(path, 4096, NULL);
	free(path);
	if (common) {
		common[strcspn(common, "\r\n")] = '\0';
		dir = common[0] == '/' ? xstrdup(common) : xasprintf("%s/%s", gitdir, common);
		resolve_ref_in(dir, ref, out, size);
		free(dir);
	}
	free(common);
}

void gradebook_git_commit(const char *dir, char *out, size_t size)
{
	char *gitdir = git_dir(dir), *path, *head;

	if (size)
		*out = '\0';
	if (!gitdir)
		return;
	path = xasprintf("%s/HEAD", gitdir);
	head = slurp(path, 4096, NULL);
	free(path);
	if (head && is_sha(head)) {
		snprintf(out, size, "%.40s", head);
	} else if (head && strncmp(head, "ref: ", 5) == 0) {
		head[strcspn(head, "\r\n")] = '\0';
		resolve_ref(gitdir, head + 5, out, size);
	}
	free(head);
	free(gitdir);
}

/* "sha256:<hex>" of the file, or "missing" (malloc'd). */
static char *file_hash(const char *path)
{
	size_t len;
	char *data = slurp(path, MAX_HASHED_FILE, &len);
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	char hex[2 * SHA256_DIGEST_SIZE + 1];

	if (!data)
		return xstrdup("missing");
	sha256_init(&ctx);
	sha256_update(&ctx, len, (const uint8_t *)data);
	sha256_digest(&ctx, sizeof(digest), digest);
	free(data);
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return xasprintf("sha256:%s", hex);
}

/* {"<module>.c": "sha256:..."} for the files graded of chapter c. */
static json_t *files_json(const struct chapter *c)
{
	json_t *files = json_object();

	for (size_t i = 0; i < c->nsources; i++) {
		char *path = xasprintf("%s/%s", c->learner_dir, c->sources[i]);
		char *hash = file_hash(path);

		free(path);
		json_object_set_new(files, c->sources[i], json_string(hash));
		free(hash);
	}
	return files;
}

/* The chapter object of the JSON gradebook: the report's, with files. */
static json_t *chapter_json(const struct chapter *c, const struct chapter_result *r)
{
	json_t *o = report_chapter_json(r);

	json_object_set_new(o, "files", files_json(c));
	return o;
}

/* The JSON gradebook: {"graded_at", "submissions": [...]}. */
static json_t *book_json(const struct gradebook_entry *entries, size_t n, const char *when)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct gradebook_entry *e = &entries[i];
		json_t *chapters = json_array();
		char commit[48];
		int score = 0, max = 0;

		for (size_t k = 0; k < e->n; k++) {
			json_array_append_new(chapters, chapter_json(e->chapters[k], &e->results[k]));
			score += e->results[k].score;
			max += e->results[k].max_score;
		}
		gradebook_git_commit(e->dir, commit, sizeof(commit));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}",
			"name", e->name, "commit", commit, "graded_at", when, "score", score,
			"max_score", max, "chapters", chapters));
	}
	return json_pack("{s:s, s:o}", "graded_at", when, "submissions", list);
}

/* The first object of array `list` in parent whose string `key` is value, or NULL. */
static json_t *find_by(json_t *parent, const char *list, const char *key, const char *value)
{
	size_t i;
	json_t *item;

	json_array_foreach(json_object_get(parent, list), i, item)
		if (strcmp(json_string_value(json_object_get(item, key)), value) == 0)
			return item;
	return NULL;
}

/* The chapter object of submission s with id, or NULL. */
static json_t *find_chapter(json_t *s, const char *id)
{
	return find_by(s, "chapters", "id", id);
}

/* The check named gate in chapter object c, or NULL. */
static json_t *find_check(json_t *c, const char *gate)
{
	return find_by(c, "checks", "name", gate);
}

/*
 * The columns: for each chapter of the workbook anybody was graded on, its
 * score, then each gate it has, its seed and its files. `gates[c][g]` is
 * true when chapter c has gate g in some row.
 */
static void plan_columns(json_t *subs, const struct chapter *order, size_t norder,
			 bool (*gates)[GATE_COUNT], bool *used)
{
	size_t i;
	json_t *s;

	for (size_t c = 0; c < norder; c++) {
		json_array_foreach(subs, i, s) {
			json_t *ch = find_chapter(s, order[c].id);

			if (!ch)
				continue;
			used[c] = true;
			for (int g = 0; g < GATE_COUNT; g++)
				gates[c][g] |= find_check(ch, gate_name(g)) != NULL;
		}
	}
}

static void csv_int_or_empty(FILE *out, json_t *value)
{
	fputc(',', out);
	if (value)
		fprintf(out, "%lld", (long long)json_integer_value(value));
}

/* "clean.c=sha256:... other.c=..." for a chapter object (malloc'd). */
static char *files_cell(json_t *ch)
{
	const char *name;
	json_t *hash;
	char *cell = xstrdup(""), *grown;

	json_object_foreach(json_object_get(ch, "files"), name, hash) {
		grown = xasprintf("%s%s%s=%s", cell, *cell ? " " : "", name,
				  json_string_value(hash));
		free(cell);
		cell = grown;
	}
	return cell;
}

static void csv_header(FILE *out, const struct chapter *order, size_t norder,
		       bool (*gates)[GATE_COUNT], const bool *used)
{
	fputs("submission,commit,graded_at", out);
	for (size_t c = 0; c < norder; c++) {
		if (!used[c])
			continue;
		fprintf(out, ",%s", order[c].id);
		for (int g = 0; g < GATE_COUNT; g++)
			if (gates[c][g])
				fprintf(out, ",%s:%s", order[c].id, gate_name(g));
		fprintf(out, ",%s:seed,%s:files", order[c].id, order[c].id);
	}
	fputs(",score,max_score\r\n", out);
}

static void csv_row(FILE *out, json_t *s, const struct chapter *order, size_t norder,
		    bool (*gates)[GATE_COUNT], const bool *used)
{
	gradebook_csv_field(out, json_string_value(json_object_get(s, "name")));
	fputc(',', out);
	gradebook_csv_field(out, json_string_value(json_object_get(s, "commit")));
	fputc(',', out);
	gradebook_csv_field(out, json_string_value(json_object_get(s, "graded_at")));
	for (size_t c = 0; c < norder; c++) {
		json_t *ch = used[c] ? find_chapter(s, order[c].id) : NULL;
		char *files = ch ? files_cell(ch) : NULL;

		if (!used[c])
			continue;
		csv_int_or_empty(out, ch ? json_object_get(ch, "score") : NULL);
		for (int g = 0; g < GATE_COUNT; g++) {
			json_t *check = ch ? find_check(ch, gate_name(g)) : NULL;

			if (gates[c][g])
				csv_int_or_empty(out, check ? json_object_get(check, "score") : NULL);
		}
		fputc(',', out);
		gradebook_csv_field(out, ch ? json_string_value(json_object_get(ch, "seed")) : "");
		fputc(',', out);
		gradebook_csv_field(out, files ? files : "");
		free(files);
	}
	csv_int_or_empty(out, json_object_get(s, "score"));
	csv_int_or_empty(out, json_object_get(s, "max_score"));
	fputs("\r\n", out);
}

static int write_csv(const char *path, json_t *book, const struct chapter *order,
		     size_t norder)
{
	int fd = report_open(path);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	json_t *subs = json_object_get(book, "submissions"), *s;
	bool (*gates)[GATE_COUNT] = xcalloc(norder ? norder : 1, sizeof(*gates));
	bool *used = xcalloc(norder ? norder : 1, sizeof(*used));
	size_t i;
	int ret = 0;

	if (!out) {
		if (fd >= 0 && !out)
			close(fd);
		ret = -1;
	} else {
		plan_columns(subs, order, norder, gates, used);
		csv_header(out, order, norder, gates, used);
		json_array_foreach(subs, i, s)
			csv_row(out, s, order, norder, gates, used);
		ret = ferror(out) ? -1 : 0;
	}
	if (out && fclose(out) != 0)
		ret = -1;
	free(gates);
	free(used);
	return ret;
}

int gradebook_write(const char *csv_path, const char *json_path,
		    const struct gradebook_entry *entries, size_t n,
		    const struct chapter *order, size_t norder, time_t when)
{
	char stamp[32];
	struct tm tm;
	json_t *book;
	int ret = 0;

	gmtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	book = book_json(entries, n, stamp);
	if (write_csv(csv_path, book, order, norder) != 0) {
		fprintf(stderr, "grade: cannot write %s\n", csv_path);
		ret = -1;
	}
	if (report_dump_json(book, json_path, JSON_INDENT(2)) != 0) {
		fprintf(stderr, "grade: cannot write %s\n", json_path);
		ret = -1;
	}
	json_decref(book);
	return ret;
}
