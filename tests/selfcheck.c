/*
 * selfcheck.c - proves that the grader can fail and can pass
 *
 * For every chapter:
 *  - the reference solution (solutions/<id>/) gets full marks on every gate;
 *  - the starter (chapters/<id>/) loses exactly the gates its README names on
 *    its "The starter fails:" line (and perhaps those on "It may also fail:");
 *  - every bug-zoo variant (the .c files of tests/zoo/<id>/) loses the gates on its
 *    "loses:" line, perhaps those on its "may-lose:" line, and no other.
 * A gate is lost when its own tool did not pass it (tool_passed is false;
 * the throughput gate is not measured until correctness passes, so it is
 * lost then too). Structural checks: headers identical in both trees, every
 * clause Rn of a header cited by a scenario, at least 4 zoo variants a
 * chapter, and every gate lost by at least one variant.
 *
 * With --adversarial, instead: every submission in tests/adversarial/ (an
 * attack on the grader, for chapter 01) must be graded within its bound
 * ("bound:", 120 s by default), with the cheated gate ("cheats:") at zero
 * points and the expected reason ("reason:") in that gate's feedback.
 *
 * Usage: selfcheck GRADER ROOT [RUNS] [CHAPTER...]
 *        selfcheck GRADER ROOT --adversarial [NAME...]
 * Prints one line per case and a closing "N passed, N failed" line; with
 * RUNS > 1, the pass rate of each case. Exit status 1 if anything failed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_GATES 8

static const char *grader, *root;
static int passed, failed;

struct expectation {
	char loses[MAX_GATES][32];
	int nloses;
	char may_lose[MAX_GATES][32];
	int nmay;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (getdelim(&data, &n, '\0', f) < 0) {
		free(data);
		data = NULL;
	}
	fclose(f);
	return data;
}

/* Parses gate names after `key` on its line: "loses: a b", "fails: a, b." */
static int parse_gates(const char *text, const char *key, char out[][32])
{
	const char *p = text ? strstr(text, key) : NULL;
	int n = 0;

	if (!p)
		return 0;
	p += strlen(key);
	while (*p && *p != '\n' && n < MAX_GATES) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!isalpha((unsigned char)*p))
			break;
		int len = 0;

		while (isalpha((unsigned char)p[len]) && len < 31)
			len++;
		memcpy(out[n], p, (size_t)len);
		out[n++][len] = '\0';
		p += len;
	}
	return n;
}

static bool listed(const char list[][32], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static void record(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void record(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

/* Grades chapter `id` with the learner file(s) from dir; returns the report. */
static json_t *grade(const char *id, const char *submission, double *seconds)
{
	char report[] = "/tmp/threadclinic-selfcheck-XXXXXX";
	int fd = mkstemp(report);
	char *cmd;
	json_t *json = NULL;
	struct timespec a, b;

	if (fd < 0)
		return NULL;
	close(fd);
	if (asprintf(&cmd, "'%s' --root '%s' --build '%s/build/selfcheck' --chapters '%s' "
		     "%s%s%s --report '%s' >/dev/null 2>&1", grader, root, root, id,
		     submission ? "--submission '" : "", submission ? submission : "",
		     submission ? "'" : "", report) < 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (system(cmd) == 0)
		json = json_load_file(report, 0, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	free(cmd);
	unlink(report);
	return json;
}

/*
 * Compares one graded chapter with what was expected. Writes the mismatches
 * into why and returns true when there are none.
 */
static bool matches(json_t *report, const struct expectation *e, bool full_marks,
		    char *why, size_t size, bool lost_seen[], const char *gate_names[],
		    int *ngates)
{
	json_t *chapter = json_array_get(json_object_get(report, "chapters"), 0);
	json_t *checks = json_object_get(chapter, "checks"), *check;
	size_t i;
	bool ok = true;

	why[0] = '\0';
	if (!chapter) {
		snprintf(why, size, "the grader wrote no report");
		return false;
	}
	if (full_marks && json_integer_value(json_object_get(chapter, "score")) !=
	    json_integer_value(json_object_get(chapter, "max_score")))
		ok = false;
	json_array_foreach(checks, i, check) {
		const char *name = json_string_value(json_object_get(check, "name"));
		bool lost = !json_is_true(json_object_get(check, "tool_passed"));
		size_t used = strlen(why);

		if (i < MAX_GATES && gate_names) {
			static char names[MAX_GATES][32];

			snprintf(names[i], sizeof(names[i]), "%s", name ? name : "?");
			gate_names[i] = names[i];
			*ngates = (int)i + 1;
			if (lost && lost_seen)
				lost_seen[i] = true;
		}
		if (lost && !listed(e->loses, e->nloses, name) && !listed(e->may_lose, e->nmay, name)) {
			snprintf(why + used, size - used, " %s lost unexpectedly (%s);", name,
				 json_string_value(json_object_get(check, "summary")));
			ok = false;
		} else if (!lost && listed(e->loses, e->nloses, name)) {
			snprintf(why + used, size - used, " %s should have been lost;", name);
			ok = false;
		}
	}
	return ok;
}

static void check_case(const char *id, const char *label, const char *submission,
		       const struct expectation *e, bool full_marks, int runs,
		       bool lost_seen[], const char *gate_names[], int *ngates)
{
	int good = 0;
	double worst = 0;
	char why[2048] = "";

	for (int r = 0; r < runs; r++) {
		double seconds = 0;
		json_t *report = grade(id, submission, &seconds);
		char this_why[2048];

		if (seconds > worst)
			worst = seconds;
		if (report && matches(report, e, full_marks, this_why, sizeof(this_why),
				      lost_seen, gate_names, ngates))
			good++;
		else
			snprintf(why, sizeof(why), "%s", report ? this_why : "the grader failed");
		json_decref(report);
	}
	record(good == runs, "%s %s: %d/%d runs as declared (slowest %.1f s)%s%s", id, label,
	       good, runs, worst, good == runs ? "" : ":", good == runs ? "" : why);
}

/* Copies one file into <tmp>/<id>/<name> to make a one-file submission. */
static char *make_submission(const char *id, const char *name, const char *from)
{
	char *dir, *chapter_dir, *to, *text = slurp(from);
	char templ[] = "/tmp/threadclinic-zoo-XXXXXX";
	FILE *f;

	if (!text || !mkdtemp(templ))
		return NULL;
	dir = strdup(templ);
	if (asprintf(&chapter_dir, "%s/%s", dir, id) < 0 ||
	    asprintf(&to, "%s/%s", chapter_dir, name) < 0)
		return NULL;
	mkdir(chapter_dir, 0755);
	f = fopen(to, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(text);
	free(chapter_dir);
	free(to);
	return dir;
}

static void remove_submission(char *dir)
{
	char *cmd;

	if (dir && asprintf(&cmd, "rm -rf '%s'", dir) >= 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "selfcheck: could not remove %s\n", dir);
		free(cmd);
	}
	free(dir);
}

/* The chapter's learner file: the one .c file in chapters/<id>/. */
static bool learner_file(const char *id, char *name, size_t size)
{
	char *dir;
	DIR *d;
	struct dirent *e;
	int count = 0;

	if (asprintf(&dir, "%s/chapters/%s", root, id) < 0)
		return false;
	d = opendir(dir);
	free(dir);
	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 2 && strcmp(e->d_name + len - 2, ".c") == 0) {
			snprintf(name, size, "%s", e->d_name);
			count++;
		}
	}
	if (d)
		closedir(d);
	return count == 1;
}

static void structure_checks(const char *id)
{
	char *chapter_dir, *solution_dir, *scenarios, *bench, *text, *bench_text;
	DIR *d;
	struct dirent *e;

	if (asprintf(&chapter_dir, "%s/chapters/%s", root, id) < 0 ||
	    asprintf(&solution_dir, "%s/solutions/%s", root, id) < 0 ||
	    asprintf(&scenarios, "%s/harness/scenarios/%s.c", root, id) < 0 ||
	    asprintf(&bench, "%s/harness/bench/%s.c", root, id) < 0)
		return;
	text = slurp(scenarios);
	bench_text = slurp(bench);
	d = opendir(chapter_dir);
	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *a, *b, *ta, *tb;

		if (len < 3 || strcmp(e->d_name + len - 2, ".h"))
			continue;
		if (asprintf(&a, "%s/%s", chapter_dir, e->d_name) < 0 ||
		    asprintf(&b, "%s/%s", solution_dir, e->d_name) < 0)
			continue;
		ta = slurp(a);
		tb = slurp(b);
		record(ta && tb && strcmp(ta, tb) == 0, "%s %s is identical in chapters/ and solutions/",
		       id, e->d_name);
		/* Every clause "Rn." of the header is cited by a scenario. */
		for (const char *p = ta; p && (p = strstr(p, "\n *")) != NULL; p++) {
			int number, used = 0;
			char cite[16];

			/* A clause opens a comment line: " *  R3. ..." */
			if (sscanf(p, "\n * R%d.%n", &number, &used) != 1 || used == 0)
				continue;
			snprintf(cite, sizeof(cite), "\"R%d\"", number);
			if (text && strstr(text, cite)) {
				record(true, "%s clause R%d of %s is cited by a scenario", id, number,
				       e->d_name);
				continue;
			}
			/* A throughput clause is checked by the benchmark instead. */
			snprintf(cite, sizeof(cite), "R%d", number);
			record(bench_text && strstr(bench_text, cite),
			       "%s clause R%d of %s is cited by a scenario or the benchmark", id,
			       number, e->d_name);
		}
		free(ta);
		free(tb);
		free(a);
		free(b);
	}
	if (d)
		closedir(d);
	{
		char *notes;

		if (asprintf(&notes, "%s/NOTES.md", solution_dir) >= 0) {
			record(access(notes, R_OK) == 0, "%s solutions/%s/NOTES.md exists", id, id);
			free(notes);
		}
	}
	free(text);
	free(bench_text);
	free(chapter_dir);
	free(solution_dir);
	free(scenarios);
	free(bench);
}

static void check_chapter(const char *id, int runs)
{
	char name[256], *readme_path, *readme, *zoo_dir, *solutions;
	struct expectation all = { .nloses = 0 }, starter = { .nloses = 0 };
	bool lost_seen[MAX_GATES] = { false };
	const char *gate_names[MAX_GATES] = { NULL };
	int ngates = 0, variants = 0;
	DIR *d;
	struct dirent *e;

	if (!learner_file(id, name, sizeof(name))) {
		record(false, "%s has exactly one learner .c file", id);
		return;
	}
	structure_checks(id);
	if (asprintf(&solutions, "%s/solutions", root) < 0)
		return;
	check_case(id, "solution", solutions, &all, true, runs, NULL, gate_names, &ngates);
	free(solutions);

	if (asprintf(&readme_path, "%s/chapters/%s/README.md", root, id) < 0)
		return;
	readme = slurp(readme_path);
	starter.nloses = parse_gates(readme, "The starter fails:", starter.loses);
	starter.nmay = parse_gates(readme, "It may also fail:", starter.may_lose);
	record(starter.nloses > 0, "%s README names the gates the starter fails", id);
	check_case(id, "starter", NULL, &starter, false, runs, NULL, NULL, NULL);
	free(readme);
	free(readme_path);

	if (asprintf(&zoo_dir, "%s/tests/zoo/%s", root, id) < 0)
		return;
	d = opendir(zoo_dir);
	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *path, *text, *sub, label[300];
		struct expectation x = { .nloses = 0 };

		if (len < 3 || strcmp(e->d_name + len - 2, ".c"))
			continue;
		if (asprintf(&path, "%s/%s", zoo_dir, e->d_name) < 0)
			continue;
		text = slurp(path);
		x.nloses = parse_gates(text, "loses:", x.loses);
		x.nmay = parse_gates(text, "may-lose:", x.may_lose);
		snprintf(label, sizeof(label), "zoo/%s", e->d_name);
		if (x.nloses == 0) {
			record(false, "%s %s declares the gates it loses", id, label);
		} else {
			sub = make_submission(id, name, path);
			check_case(id, label, sub, &x, false, runs, lost_seen, gate_names, &ngates);
			remove_submission(sub);
		}
		variants++;
		free(text);
		free(path);
	}
	if (d)
		closedir(d);
	free(zoo_dir);
	record(variants >= 4, "%s has %d bug-zoo variants (at least 4)", id, variants);
	for (int i = 0; i < ngates; i++)
		record(lost_seen[i], "%s gate %s is lost by at least one zoo variant", id,
		       gate_names[i] ? gate_names[i] : "?");
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The text after "key" on its line, trimmed, into out. */
static void field(const char *text, const char *key, char *out, size_t size)
{
	const char *p = text ? strstr(text, key) : NULL;
	size_t len;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen(key);
	while (*p == ' ')
		p++;
	len = strcspn(p, "\n");
	snprintf(out, size, "%.*s", (int)len, p);
}

static void check_attack(const char *dir, const char *file)
{
	static const char chapter[] = "01-serial-to-parallel";
	char *path, *text, *sub, cheats[64], reason[256], bound_text[32];
	double seconds = 0, bound;
	json_t *report, *checks, *check;
	const char *why = NULL;
	bool found = false;
	size_t i;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return;
	text = slurp(path);
	field(text, "cheats:", cheats, sizeof(cheats));
	field(text, "reason:", reason, sizeof(reason));
	field(text, "bound:", bound_text, sizeof(bound_text));
	bound = bound_text[0] ? atof(bound_text) : 120;
	sub = make_submission(chapter, "clean.c", path);
	report = grade(chapter, sub, &seconds);
	remove_submission(sub);
	checks = json_object_get(json_array_get(json_object_get(report, "chapters"), 0), "checks");
	json_array_foreach(checks, i, check) {
		const char *summary = json_string_value(json_object_get(check, "summary"));
		const char *details = json_string_value(json_object_get(check, "details"));

		if (strcmp(json_string_value(json_object_get(check, "name")), cheats) != 0)
			continue;
		found = true;
		if (json_integer_value(json_object_get(check, "score")) != 0)
			why = "the cheated gate scored points";
		else if (!(summary && strstr(summary, reason)) && !(details && strstr(details, reason)))
			why = "the expected reason is not in the feedback";
	}
	if (!report)
		why = "the grader did not finish with a report";
	else if (!found)
		why = "the cheated gate is not in the report";
	else if (seconds > bound)
		why = "grading took longer than the bound";
	record(!why, "adversarial %s: %s scores 0 (\"%s\") in %.1f s (bound %.0f s)%s%s", file,
	       cheats, reason, seconds, bound, why ? ": " : "", why ? why : "");
	json_decref(report);
	free(text);
	free(path);
}

static int run_adversarial(int argc, char **argv)
{
	char *dir, *names[200];
	int n = 0;
	DIR *d;
	struct dirent *e;

	if (asprintf(&dir, "%s/tests/adversarial", root) < 0)
		return 2;
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL && n < 200) {
		size_t len = strlen(e->d_name);
		bool wanted = argc <= 4;

		if (len < 3 || strcmp(e->d_name + len - 2, ".c"))
			continue;
		for (int i = 4; i < argc; i++)
			if (strncmp(e->d_name, argv[i], strlen(argv[i])) == 0)
				wanted = true;
		if (wanted)
			names[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, (size_t)n, sizeof(*names), compare_names);
	for (int i = 0; i < n; i++) {
		check_attack(dir, names[i]);
		free(names[i]);
	}
	free(dir);
	printf("adversarial: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}


int main(int argc, char **argv)
{
	int runs;
	char *chapters_dir, *ids[100];
	int n = 0;
	DIR *d;
	struct dirent *e;

	if (argc < 3) {
		fprintf(stderr, "usage: selfcheck GRADER ROOT [RUNS] [CHAPTER...]\n");
		return 2;
	}
	grader = argv[1];
	root = argv[2];
	if (argc > 3 && strcmp(argv[3], "--adversarial") == 0)
		return run_adversarial(argc, argv);
	runs = argc > 3 ? atoi(argv[3]) : 1;
	if (runs < 1)
		runs = 1;
	if (asprintf(&chapters_dir, "%s/chapters", root) < 0)
		return 2;
	d = opendir(chapters_dir);
	while (d && (e = readdir(d)) != NULL && n < 100) {
		bool wanted = argc <= 4;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		for (int i = 4; i < argc; i++)
			if (strncmp(e->d_name, argv[i], strlen(argv[i])) == 0)
				wanted = true;
		if (wanted)
			ids[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(ids, (size_t)n, sizeof(*ids), compare_names);
	for (int i = 0; i < n; i++) {
		check_chapter(ids[i], runs);
		free(ids[i]);
	}
	free(chapters_dir);
	printf("selfcheck: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
