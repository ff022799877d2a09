/*
 * selfcheck.c - proves that the grader can fail and can pass
 *
 * For every chapter, as its manifest (harness/manifests/<id>.json, read with
 * harness/src/manifest.c, the grader's own reader) describes it:
 *  - the reference solution (solutions/<id>/) gets full marks on every gate;
 *  - the interview blank (learn blank: the header's functions doing nothing)
 *    scores 0 on every gate;
 *  - the starter passes the scenarios of "starter.passes" (which earn no
 *    points) and scores below full marks;
 *  - the starter (chapters/<id>/) loses exactly the gates of the manifest's
 *    "starter.loses" (and perhaps those of "starter.may_lose"), and each
 *    gate's report contains every symptom the manifest declares for it
 *    (unless that gate's run was cut short after correctness was lost);
 *  - the lesson states them: its starter section (from "The starter fails:"
 *    to the next heading) names the same gates on that line and contains
 *    every declared symptom, word for word (blanks and line breaks aside);
 *  - every bug-zoo variant (the .c files of tests/zoo/<id>/) loses the gates on its
 *    "loses:" line, perhaps those on its "may-lose:" line, and no other.
 * A gate is lost when its own tool did not pass it (tool_passed is false;
 * the throughput gate is not measured until correctness passes, so it is
 * lost then too). Structural checks: headers identical in both trees, at
 * least 4 zoo variants a chapter, every gate lost by at least one variant,
 * and the clause table:
 *  - a header's clause ids: Rn, or Rna, Rnb, ... when clause Rn's text
 *    carries "(a)", "(b)", ... sentence markers;
 *  - every id is cited in the clause field of a scenario (the table in
 *    harness/scenarios/<id>.c; a field may list several ids, "R3a R3b"), or,
 *    for a "(throughput)" clause, by the benchmark;
 *  - every id except a throughput clause is broken by at least one zoo
 *    variant, as its "breaks: R3b R4" header line says; every variant has
 *    such a line, and every id it and every scenario cites is in the header.
 * The table (clause -> scenarios -> zoo variants) is printed, a row a check.
 *
 * With --adversarial, instead: every submission in tests/adversarial/ (an
 * attack on the grader, for chapter 01) must be graded within its bound
 * ("bound:", 120 s by default), with the cheated gate ("cheats:") at zero
 * points and the expected reason ("reason:") in that gate's feedback. An
 * attack is on chapter 01 unless a "chapter:" line names another chapter
 * and its module file ("chapter: 03-worker-pool pool.c"). A "tries: N"
 * line lets a defence that samples take up to N gradings.
 *
 * Every case is graded through the grader's batch mode (--batch): three
 * gradings at a time (SELFCHECK_JOBS=N: N) for the build, correctness and race gates, then the
 * throughput gates one at a time, so that timing stays fair while both
 * cores work.
 *
 * Usage: selfcheck GRADER ROOT [RUNS] [CHAPTER...]
 *        selfcheck GRADER ROOT --adversarial [NAME...]
 * Prints one line per case and a closing "N passed, N failed" line; with
 * RUNS > 1, the pass rate of each case. Exit status 1 if anything failed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "manifest.h"

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

/* True when the chapter's correctness gate was lost. */
static bool correctness_lost(json_t *chapter)
{
	json_t *check;
	size_t i;

	json_array_foreach(json_object_get(chapter, "checks"), i, check)
		if (strcmp(json_string_value(json_object_get(check, "name")), "correctness") == 0)
			return !json_is_true(json_object_get(check, "tool_passed"));
	return false;
}

/*
 * Compares one graded chapter with what was expected. Writes the mismatches
 * into why and returns true when there are none. Once correctness is lost,
 * the race and leak gates only give feedback (their points are held, and a
 * program that hangs under the tests is not run under the tools, or is cut
 * short): a loss there is tolerated unless declared.
 */
static bool matches(json_t *chapter, const struct expectation *e, bool full_marks,
		    char *why, size_t size, bool lost_seen[], char gate_names[][32],
		    int *ngates)
{
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
			snprintf(gate_names[i], 32, "%s", name ? name : "?");
			*ngates = (int)i + 1;
			if (lost && lost_seen)
				lost_seen[i] = true;
		}
		bool held = correctness_lost(chapter) && name &&
			    (!strcmp(name, "tsan") || !strcmp(name, "helgrind") ||
			     !strcmp(name, "leaks"));

		if (lost && !held && !listed(e->loses, e->nloses, name) &&
		    !listed(e->may_lose, e->nmay, name)) {
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

/* Collapses every run of blanks and line breaks in s to one space, in place. */
static void squeeze(char *s)
{
	char *out = s;
	bool blank = false;

	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			blank = true;
			continue;
		}
		if (blank && out != s)
			*out++ = ' ';
		blank = false;
		*out++ = *s;
	}
	*out = '\0';
}

/* True when text contains want, blanks and line breaks aside. */
static bool says(const char *text, const char *want)
{
	char *a = text ? strdup(text) : NULL, *b = strdup(want);
	bool found;

	if (!a || !b) {
		free(a);
		free(b);
		return false;
	}
	squeeze(a);
	squeeze(b);
	found = strstr(a, b) != NULL;
	free(a);
	free(b);
	return found;
}

/*
 * The lesson states what its manifest declares about the starter: its
 * starter section names the gates the starter fails and contains every
 * declared symptom.
 */
static void lesson_checks(const struct chapter_manifest *m)
{
	char *path, *lesson, *section, *end, gates[MAX_GATES][32];
	int n;
	bool same;

	if (asprintf(&path, "%s/%s", root, m->lesson) < 0)
		return;
	lesson = slurp(path);
	free(path);
	section = lesson ? strstr(lesson, "The starter fails:") : NULL;
	record(section != NULL, "%s lesson has a starter section (\"The starter fails:\")",
	       m->id);
	if (!section) {
		free(lesson);
		return;
	}
	end = strstr(section, "\n#");
	if (end)
		*end = '\0';
	n = parse_gates(section, "The starter fails:", gates);
	same = n == (int)m->nloses;
	for (int i = 0; i < n && same; i++)
		same = manifest_lists(m->loses, m->nloses, gates[i]);
	record(same, "%s lesson names the gates the manifest's starter loses", m->id);
	for (size_t i = 0; i < m->nsymptoms; i++)
		record(says(section, m->symptoms[i].text), "%s lesson states the %s symptom "
		       "\"%s\"", m->id, m->symptoms[i].gate, m->symptoms[i].text);
	free(lesson);
}

static int list_names(const char *dir, bool dirs, char **names, int max);

/* ---- the clause table: clause ids -> scenarios -> zoo variants ---- */

#define MAX_IDS 64
#define MAX_REFS 24

/* One clause id of a header ("R3", or "R3b" for sentence (b) of R3). */
struct clause_id {
	char id[16];
	bool throughput;		/* "(throughput)": checked by the benchmark */
	char scenarios[MAX_REFS][64];
	int nscenarios;
	char variants[MAX_REFS][64];
	int nvariants;
};

static struct clause_id *find_id(struct clause_id *ids, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(ids[i].id, id) == 0)
			return &ids[i];
	return NULL;
}

/*
 * Reads the clause ids of a contract header. A clause opens a comment line
 * (" *  R3. ...") and runs to the next clause, a blank comment line or the
 * end of the comment. When its text carries "(a)", "(b)", ... markers, its
 * ids are R3a, R3b, ...; otherwise R3. Markers must run a, b, c in order
 * (a mistake is recorded as a failed check).
 */
static int parse_clause_ids(const char *chapter, const char *header, struct clause_id *ids)
{
	int n = 0;

	for (const char *p = header; p && (p = strstr(p, "\n *")) != NULL; p++) {
		int number, used = 0;
		const char *end, *q;
		char letter = 'a';
		bool throughput;

		if (sscanf(p, "\n * R%d.%n", &number, &used) != 1 || used == 0)
			continue;
		/* The clause text runs to the next clause, a blank line or the comment end. */
		end = p + used;
		for (;;) {
			const char *nl = strchr(end, '\n');
			int next, u2 = 0;

			if (!nl) {
				end += strlen(end);
				break;
			}
			end = nl;
			if (strncmp(nl, "\n *\n", 4) == 0 || strncmp(nl, "\n */", 4) == 0 ||
			    (sscanf(nl, "\n * R%d.%n", &next, &u2) == 1 && u2 > 0) ||
			    strncmp(nl, "\n *  ", 5) != 0)
				break;
			end = nl + 1;
		}
		throughput = false;
		for (q = p; q < end; q++)
			if (strncmp(q, "(throughput)", 12) == 0)
				throughput = true;
		for (q = p + used; q + 2 < end; q++) {
			/* "(b)" after a blank; "ctx_wait(c)" is no marker */
			if (q[0] != '(' || !islower((unsigned char)q[1]) || q[2] != ')' ||
			    (q[-1] != ' ' && q[-1] != '\n'))
				continue;
			if (q[1] != letter) {
				record(false, "%s R%d: sentence marker (%c) where (%c) was expected",
				       chapter, number, q[1], letter);
				break;
			}
			if (n < MAX_IDS) {
				memset(&ids[n], 0, sizeof(ids[n]));
				snprintf(ids[n].id, sizeof(ids[n].id), "R%d%c", number, letter);
				ids[n++].throughput = throughput;
			}
			letter++;
		}
		if (letter == 'a' && n < MAX_IDS) {
			memset(&ids[n], 0, sizeof(ids[n]));
			snprintf(ids[n].id, sizeof(ids[n].id), "R%d", number);
			ids[n++].throughput = throughput;
		}
		p = end - 1;
	}
	return n;
}

/*
 * Calls found(name, id) for every clause id ("R3", "R3b") in text[0..len),
 * a list such as "R3b R4" or "R3b, R4".
 */
static void each_id(const char *text, size_t len, void (*found)(void *, const char *), void *arg)
{
	size_t i = 0;

	while (i < len) {
		if (text[i] == 'R' && i + 1 < len && isdigit((unsigned char)text[i + 1])) {
			char id[16];
			size_t j = i + 1, k;

			while (j < len && isdigit((unsigned char)text[j]))
				j++;
			if (j < len && islower((unsigned char)text[j]))
				j++;
			k = j - i < sizeof(id) ? j - i : sizeof(id) - 1;
			memcpy(id, text + i, k);
			id[k] = '\0';
			found(arg, id);
			i = j;
		} else {
			i++;
		}
	}
}

struct cite_ctx {
	const char *chapter, *who, *what;	/* who: "scenario x" or "zoo/x.c" */
	struct clause_id *ids;
	int nids;
	bool scenario;
	int found;
};

static void cite(void *arg, const char *id)
{
	struct cite_ctx *c = arg;
	struct clause_id *k = find_id(c->ids, c->nids, id);

	c->found++;
	if (!k) {
		record(false, "%s %s %s %s, which the header does not have", c->chapter, c->who,
		       c->what, id);
		return;
	}
	if (c->scenario && k->nscenarios < MAX_REFS)
		snprintf(k->scenarios[k->nscenarios++], 64, "%s", c->who);
	else if (!c->scenario && k->nvariants < MAX_REFS)
		snprintf(k->variants[k->nvariants++], 64, "%s", c->who);
}

/* Reads a C string literal at p (after optional blanks) into out; returns past it. */
static const char *string_literal(const char *p, char *out, size_t size)
{
	size_t n = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++)
		if (n + 1 < size)
			out[n++] = *p;
	out[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

/*
 * The next row of a scenario table after p: the "(" of a SCENARIO( or
 * SCENARIO_T( (scenario.h's CHAPTER_SCENARIOS rows), or null.
 */
static const char *next_scenario_row(const char *p)
{
	while ((p = strstr(p, "SCENARIO")) != NULL) {
		const char *after = p + strlen("SCENARIO");

		if (strncmp(after, "_T(", 3) == 0)
			return after + 2;
		if (*after == '(' && !isalnum((unsigned char)p[-1]) && p[-1] != '_')
			return after;
		p = after;
	}
	return NULL;
}

/* Reads the function name of a row at its "(" into out; returns past it (at the comma). */
static const char *row_name(const char *p, char *out, size_t size)
{
	size_t n = 0;

	for (p++; *p == ' ' || *p == '\t' || *p == '\n'; p++)
		;
	for (; isalnum((unsigned char)*p) || *p == '_'; p++)
		if (n + 1 < size)
			out[n++] = *p;
	out[n] = '\0';
	return n ? p : NULL;
}

/*
 * Prints the clause table of one chapter header and records a check per
 * clause id: cited by a scenario's clause field (or, for a throughput
 * clause, by the benchmark), and broken by at least one zoo variant
 * ("breaks:" line) unless it is a throughput clause. Scenario clause fields
 * and "breaks:" ids that the header does not have are failures too.
 */
static void clause_table(const struct chapter_manifest *m, const char *header,
			 const char *scenarios, const char *bench, const char *header_name)
{
	const char *chapter = m->id;
	static struct clause_id ids[MAX_IDS];
	char *zoo_dir, *names[300];
	const char *p;
	int nids = parse_clause_ids(chapter, header, ids), nzoo;

	record(nids > 0, "%s %s has contract clauses", chapter, header_name);
	/* The scenario table: SCENARIO(fn, "R3a R3b"), SCENARIO_T(fn, "R4", 5.0), ... */
	p = scenarios ? strstr(scenarios, "CHAPTER_SCENARIOS(") : NULL;
	while (p && (p = next_scenario_row(p + 1)) != NULL) {
		char name[64], clauses[64], who[80];
		const char *q = row_name(p, name, sizeof(name));
		struct cite_ctx ctx = { chapter, who, "cites", ids, nids, true, 0 };

		if (!q || *q != ',' || !(q = string_literal(q + 1, clauses, sizeof(clauses))))
			continue;
		snprintf(who, sizeof(who), "scenario %s", name);
		each_id(clauses, strlen(clauses), cite, &ctx);
		if (ctx.found == 0)
			record(false, "%s scenario %s cites no clause id", chapter, name);
	}
	/* Zoo variants: "breaks: R3b R4". */
	if (asprintf(&zoo_dir, "%s/%s", root, m->zoo) < 0)
		return;
	nzoo = list_names(zoo_dir, false, names, 300);
	for (int i = 0; i < nzoo; i++) {
		char *path, *text, who[80];
		const char *b;
		struct cite_ctx ctx = { chapter, who, "breaks", ids, nids, false, 0 };

		snprintf(who, sizeof(who), "zoo/%s", names[i]);
		if (asprintf(&path, "%s/%s", zoo_dir, names[i]) >= 0) {
			text = slurp(path);
			b = text ? strstr(text, "breaks:") : NULL;
			if (b) {
				b += strlen("breaks:");
				each_id(b, strcspn(b, "\n"), cite, &ctx);
			}
			record(ctx.found > 0, "%s %s names the clause ids it breaks (\"breaks:\")",
			       chapter, who);
			free(text);
			free(path);
		}
		free(names[i]);
	}
	free(zoo_dir);

	printf("---- %s clause table (%s): clause -> scenarios -> zoo variants\n", chapter,
	       header_name);
	for (int i = 0; i < nids; i++) {
		struct clause_id *k = &ids[i];
		char row[4096];
		size_t used;
		bool in_bench = false;

		used = (size_t)snprintf(row, sizeof(row), "%s %-5s ->", chapter, k->id);
		for (int j = 0; j < k->nscenarios && used < sizeof(row); j++)
			used += (size_t)snprintf(row + used, sizeof(row) - used, "%s %s",
						 j ? "," : "", k->scenarios[j] + strlen("scenario "));
		if (k->throughput && bench) {
			/* The benchmark cites the clause by its id ("R6"). */
			const char *b = bench;

			while ((b = strstr(b, k->id)) != NULL) {
				if (!isalnum((unsigned char)b[strlen(k->id)])) {
					in_bench = true;
					break;
				}
				b++;
			}
			if (in_bench && used < sizeof(row))
				used += (size_t)snprintf(row + used, sizeof(row) - used, "%s benchmark",
							 k->nscenarios ? "," : "");
		}
		if (!k->nscenarios && !in_bench && used < sizeof(row))
			used += (size_t)snprintf(row + used, sizeof(row) - used, " (no scenario)");
		if (used < sizeof(row))
			used += (size_t)snprintf(row + used, sizeof(row) - used, " ->");
		for (int j = 0; j < k->nvariants && used < sizeof(row); j++)
			used += (size_t)snprintf(row + used, sizeof(row) - used, "%s %s",
						 j ? "," : "", k->variants[j]);
		if (!k->nvariants && used < sizeof(row))
			snprintf(row + used, sizeof(row) - used, " %s",
				 k->throughput ? "(throughput: the benchmark)" : "(no zoo variant)");
		/* A row fails with no scenario, or with no zoo variant unless throughput. */
		record((k->nscenarios > 0 || in_bench) && (k->throughput || k->nvariants > 0),
		       "%s", row);
	}
}

static void structure_checks(const struct chapter_manifest *m)
{
	const char *id = m->id;
	char *chapter_dir, *solution_dir, *scenarios, *bench, *text, *bench_text;

	if (asprintf(&chapter_dir, "%s/chapters/%s", root, id) < 0 ||
	    asprintf(&solution_dir, "%s/%s", root, m->solution) < 0 ||
	    asprintf(&scenarios, "%s/%s", root, m->scenarios) < 0 ||
	    asprintf(&bench, "%s/%s", root, m->bench) < 0)
		return;
	text = slurp(scenarios);
	bench_text = slurp(bench);
	for (size_t i = 0; i < m->nheaders; i++) {
		const char *header = m->headers[i];
		char *a, *b, *ta, *tb;

		if (asprintf(&a, "%s/%s", chapter_dir, header) < 0 ||
		    asprintf(&b, "%s/%s", solution_dir, header) < 0)
			continue;
		ta = slurp(a);
		tb = slurp(b);
		record(ta && tb && strcmp(ta, tb) == 0, "%s %s is identical in chapters/ and solutions/",
		       id, header);
		clause_table(m, ta, text, bench_text, header);
		free(ta);
		free(tb);
		free(a);
		free(b);
	}
	{
		char *notes;

		if (asprintf(&notes, "%s/NOTES.md", solution_dir) >= 0) {
			record(access(notes, R_OK) == 0, "%s %s/NOTES.md exists", id, m->solution);
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

/* One submission to grade and what it must show. */
struct grading_case {
	char chapter[128];
	char label[300];		/* "solution", "starter", "zoo/x.c", "attack x.c" */
	char source[4096];		/* the learner file to submit */
	char name[128];			/* its name in the chapter */
	struct expectation expect;
	bool full_marks;
	bool zero_points;		/* the interview blank: 0 on every gate */
	const struct chapter_manifest *starter_of;	/* the starter: its symptoms */
	/* adversarial cases */
	size_t chapter_index;		/* which chapter of this run, from 0 */
	bool attack;
	char cheats[32], reason[256];
	double bound;
	int tries;			/* "tries:": gradings the defence may take (sampling) */
	/* outcome over the runs */
	bool skip;			/* not graded in this pass (retry_throughput_misses) */
	int retried;			/* passed on this retry (0: no retry needed) */
	int good;
	double slowest;
	char why[2048];
};

static struct grading_case *cases;
static size_t ncases, nchapters;	/* nchapters: chapters with cases so far */
static struct chapter_manifest manifests[100];	/* one a chapter, by chapter index */

static struct grading_case *add_case(const char *chapter, const char *label, const char *source,
				     const char *name)
{
	struct grading_case *c;

	cases = realloc(cases, (ncases + 1) * sizeof(*cases));
	c = &cases[ncases++];
	memset(c, 0, sizeof(*c));
	snprintf(c->chapter, sizeof(c->chapter), "%s", chapter);
	snprintf(c->label, sizeof(c->label), "%s", label);
	snprintf(c->source, sizeof(c->source), "%s", source);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->chapter_index = nchapters ? nchapters - 1 : 0;
	return c;
}

static bool copy_into(const char *from, const char *dir, const char *name)
{
	char *text = slurp(from), *path;
	FILE *f;

	if (!text || asprintf(&path, "%s/%s", dir, name) < 0)
		return false;
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(text);
	free(path);
	return f != NULL;
}

/*
 * True when every symptom m declares for the starter is in its gate's
 * summary or details (blanks aside); appends the missing ones to why.
 */
static bool shows_symptoms(json_t *chapter, const struct chapter_manifest *m, char *why,
			   size_t size)
{
	bool ok = true;

	for (size_t k = 0; k < m->nsymptoms; k++) {
		const struct manifest_symptom *sym = &m->symptoms[k];
		json_t *check;
		size_t i;
		bool seen = false;

		json_array_foreach(json_object_get(chapter, "checks"), i, check) {
			const char *summary = json_string_value(json_object_get(check, "summary"));

			if (strcmp(json_string_value(json_object_get(check, "name")), sym->gate))
				continue;
			seen = says(summary, sym->text) ||
			       says(json_string_value(json_object_get(check, "details")), sym->text);
			/*
			 * Once correctness is lost, the grader gives the race and
			 * leak gates 4 s; on a loaded machine their run may be cut
			 * short before the tool reports anything: then the symptom
			 * could not be seen, and its absence is tolerated.
			 */
			if (!seen && correctness_lost(chapter) && summary &&
			    strstr(summary, "not finished within"))
				seen = true;
		}
		if (!seen) {
			size_t used = strlen(why);

			snprintf(why + used, size - used, " %s does not show the declared symptom "
				 "\"%s\";", sym->gate, sym->text);
			ok = false;
		}
	}
	return ok;
}

/*
 * True when the starter still scored below full marks; appends what is
 * wrong to why. A scenario its manifest says it passes ("starter"."passes":
 * they earn no correctness points) that it did not pass is printed as a note.
 */
static bool passes_what_it_claims(json_t *chapter, const struct chapter_manifest *m,
				  char *why, size_t size)
{
	const char *details = NULL;
	json_t *check;
	size_t i;
	bool ok = true;

	json_array_foreach(json_object_get(chapter, "checks"), i, check)
		if (strcmp(json_string_value(json_object_get(check, "name")), "correctness") == 0)
			details = json_string_value(json_object_get(check, "details"));
	for (size_t k = 0; k < m->nstarter_passes; k++) {
		char line[300];

		snprintf(line, sizeof(line), "PASS %s (", m->starter_passes[k]);
		/*
		 * A note, not a failure: a starter's race can cost it a listed
		 * scenario on one run in many (06's did). Listing a scenario the
		 * starter never passes shows up here on every run.
		 */
		if (!details || !strstr(details, line))
			fprintf(stderr, "note: the manifest says the starter passes %s, but this "
				"run it did not (a race in the starter, or a wrong list)\n",
				m->starter_passes[k]);
	}
	if (json_integer_value(json_object_get(chapter, "score")) >=
	    json_integer_value(json_object_get(chapter, "max_score"))) {
		size_t used = strlen(why);

		snprintf(why + used, size - used, " the starter scored full marks;");
		ok = false;
	}
	return ok;
}

/*
 * Gradings at once in phase one: SELFCHECK_JOBS (1-8), 3 by default (the
 * scenarios and the watched benchmark mostly sleep: on 2 cores three
 * gradings at once took chapters 01, 03 and 08 in 146 s against 182 s).
 */
static int jobs(void)
{
	const char *s = getenv("SELFCHECK_JOBS");
	int n = s ? atoi(s) : 3;

	return n >= 1 && n <= 8 ? n : 3;
}

/*
 * Grades every case once through the grader's batch mode and scores each
 * against its expectation.
 */
static void run_cases_once(bool lost_seen[][MAX_GATES], char gate_names[][MAX_GATES][32],
			   int ngates[])
{
	char templ[] = "/tmp/threadclinic-selfcheck-XXXXXX", *cmd;
	json_t *book, *subs, *sub;
	size_t i;

	if (!mkdtemp(templ))
		return;
	for (size_t k = 0; k < ncases; k++) {
		char *dir;

		if (cases[k].skip)
			continue;
		if (asprintf(&dir, "%s/case%04zu/%s", templ, k, cases[k].chapter) < 0)
			continue;
		if (asprintf(&cmd, "mkdir -p '%s'", dir) >= 0) {
			if (system(cmd) != 0)
				fprintf(stderr, "selfcheck: cannot create %s\n", dir);
			free(cmd);
		}
		copy_into(cases[k].source, dir, cases[k].name);
		free(dir);
	}
	if (asprintf(&cmd, "'%s' --root '%s' --build '%s/build/selfcheck' --batch '%s' "
		     "--only-submitted --jobs %d --gradebook '%s/book' >'%s/batch.log' 2>&1",
		     grader, root, root, templ, jobs(), templ, templ) < 0)
		return;
	if (system(cmd) != 0)
		fprintf(stderr, "selfcheck: the batch grading failed; see %s/batch.log\n", templ);
	free(cmd);
	if (asprintf(&cmd, "%s/book.json", templ) < 0)
		return;
	book = json_load_file(cmd, 0, NULL);
	free(cmd);
	subs = json_object_get(book, "submissions");
	for (size_t k = 0; k < ncases; k++) {
		struct grading_case *c = &cases[k];
		char name[32], why[2048] = "";
		json_t *chapter = NULL;
		bool ok;

		if (c->skip)
			continue;
		snprintf(name, sizeof(name), "case%04zu", k);
		json_array_foreach(subs, i, sub)
			if (strcmp(json_string_value(json_object_get(sub, "name")), name) == 0)
				chapter = json_array_get(json_object_get(sub, "chapters"), 0);
		if (!chapter) {
			snprintf(c->why, sizeof(c->why), "no result in the gradebook");
			continue;
		}
		if (json_real_value(json_object_get(chapter, "seconds")) > c->slowest)
			c->slowest = json_real_value(json_object_get(chapter, "seconds"));
		if (c->attack) {
			json_t *checks = json_object_get(chapter, "checks"), *check;
			const char *problem = "the cheated gate is not in the report";

			json_array_foreach(checks, i, check) {
				const char *summary = json_string_value(json_object_get(check, "summary"));
				const char *details = json_string_value(json_object_get(check, "details"));

				if (strcmp(json_string_value(json_object_get(check, "name")), c->cheats))
					continue;
				problem = NULL;
				if (json_integer_value(json_object_get(check, "score")) != 0)
					problem = "the cheated gate scored points";
				else if (!(summary && strstr(summary, c->reason)) &&
					 !(details && strstr(details, c->reason)))
					problem = "the expected reason is not in the feedback";
			}
			if (!problem && json_real_value(json_object_get(chapter, "seconds")) > c->bound)
				problem = "grading took longer than the bound";
			ok = problem == NULL;
			snprintf(why, sizeof(why), "%s", problem ? problem : "");
		} else if (c->zero_points) {
			json_int_t score = json_integer_value(json_object_get(chapter, "score"));

			ok = chapter && score == 0;
			snprintf(why, sizeof(why), "%s", !chapter ? "the grader wrote no report" :
				 ok ? "" : "a file that does nothing scored points (list the "
				 "scenarios it passes as the manifest's starter.vacuous)");
			if (chapter && !ok)
				snprintf(why + strlen(why), sizeof(why) - strlen(why), ": %lld points",
					 (long long)score);
		} else {
			size_t ci = c->chapter_index;

			ok = matches(chapter, &c->expect, c->full_marks, why, sizeof(why),
				     strncmp(c->label, "zoo/", 4) == 0 ? lost_seen[ci] : NULL,
				     gate_names[ci], &ngates[ci]);
			if (c->starter_of)
				ok = shows_symptoms(chapter, c->starter_of, why, sizeof(why)) &&
				     passes_what_it_claims(chapter, c->starter_of, why, sizeof(why)) &&
				     ok;
		}
		if (ok)
			c->good++;
		else
			snprintf(c->why, sizeof(c->why), "%s", why);
	}
	json_decref(book);
	if (asprintf(&cmd, "rm -rf '%s'", templ) >= 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "selfcheck: could not remove %s\n", templ);
		free(cmd);
	}
}

/* Copies a manifest's gate list into an expectation's. */
static int gate_list(char *const *from, size_t n, char out[][32])
{
	int k = 0;

	for (size_t i = 0; i < n && k < MAX_GATES; i++)
		snprintf(out[k++], 32, "%s", from[i]);
	return k;
}

/* Where the interview blanks are written; removed at exit. */
static char blank_dir[] = "/tmp/threadclinic-blanks-XXXXXX";

static void remove_blank_dir(void)
{
	char *cmd;

	if (asprintf(&cmd, "rm -rf '%s'", blank_dir) >= 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "selfcheck: could not remove %s\n", blank_dir);
		free(cmd);
	}
}

/*
 * The interview blank of chapter id (learn blank: every function of the
 * header, doing nothing or returning an error) must score 0 on every gate:
 * code that does nothing earns nothing. The learn program is beside the
 * grader (build/bin/learn).
 */
static void add_blank_case(const char *id, const char *name)
{
	static bool made;
	char *learn = NULL, *out = NULL, *cmd = NULL, *slash;
	struct grading_case *c;

	if (!made) {
		if (!mkdtemp(blank_dir)) {
			record(false, "%s: a folder for the interview blank: %s", id, strerror(errno));
			return;
		}
		made = true;
		atexit(remove_blank_dir);
	}
	slash = strrchr(grader, '/');
	if (asprintf(&learn, "%.*slearn", slash ? (int)(slash - grader + 1) : 0, grader) < 0 ||
	    asprintf(&out, "%s/%s-%s", blank_dir, id, name) < 0 ||
	    asprintf(&cmd, "'%s' blank '%s' > '%s'", learn, id, out) < 0) {
		free(learn);
		free(out);
		return;
	}
	if (system(cmd) != 0) {
		record(false, "%s: %s blank %s wrote the interview blank", id, learn, id);
	} else {
		c = add_case(id, "blank (make interview)", out, name);
		c->zero_points = true;
	}
	free(learn);
	free(out);
	free(cmd);
}

/* Adds the solution, the starter and the zoo of chapter id as cases. */
static void add_chapter_cases(const char *id)
{
	char *path, *zoo_dir, error[1024];
	const char *name;
	struct chapter_manifest *m = &manifests[nchapters < 100 ? nchapters : 99];
	struct grading_case *c;
	DIR *d;
	struct dirent *e;
	int variants = 0;

	path = manifest_path(root, id);
	if (!path || !manifest_load(path, id, m, error, sizeof(error))) {
		record(false, "%s has a manifest: %s", id, path ? error : "out of memory");
		free(path);
		return;
	}
	free(path);
	if (m->nsources != 1) {
		record(false, "%s has exactly one learner .c file (manifest: %zu)", id, m->nsources);
		manifest_free(m);
		return;
	}
	name = m->sources[0];
	structure_checks(m);
	lesson_checks(m);
	nchapters++;
	if (asprintf(&path, "%s/%s/%s", root, m->solution, name) < 0)
		return;
	c = add_case(id, "solution", path, name);
	c->full_marks = true;
	free(path);

	if (asprintf(&path, "%s/chapters/%s/%s", root, id, name) < 0)
		return;
	c = add_case(id, "starter", path, name);
	free(path);
	c->expect.nloses = gate_list(m->loses, m->nloses, c->expect.loses);
	c->expect.nmay = gate_list(m->may_lose, m->nmay_lose, c->expect.may_lose);
	c->starter_of = m;
	add_blank_case(id, name);

	if (asprintf(&zoo_dir, "%s/%s", root, m->zoo) < 0)
		return;
	d = opendir(zoo_dir);
	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char label[300], *text;

		if (len < 3 || strcmp(e->d_name + len - 2, ".c"))
			continue;
		if (asprintf(&path, "%s/%s", zoo_dir, e->d_name) < 0)
			continue;
		text = slurp(path);
		snprintf(label, sizeof(label), "zoo/%s", e->d_name);
		c = add_case(id, label, path, name);
		c->expect.nloses = parse_gates(text, "loses:", c->expect.loses);
		c->expect.nmay = parse_gates(text, "may-lose:", c->expect.may_lose);
		if (c->expect.nloses == 0) {
			record(false, "%s %s declares the gates it loses", id, label);
			ncases--;
		}
		variants++;
		free(text);
		free(path);
	}
	if (d)
		closedir(d);
	free(zoo_dir);
	record(variants >= 4, "%s has %d bug-zoo variants (at least 4)", id, variants);
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

/* Sorted names of the .c files (or directories, when dirs) in dir. */
static int list_names(const char *dir, bool dirs, char **names, int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL && n < max) {
		size_t len = strlen(e->d_name);

		if (dirs ? !isdigit((unsigned char)e->d_name[0]) :
		    (len < 3 || strcmp(e->d_name + len - 2, ".c") != 0))
			continue;
		names[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, (size_t)n, sizeof(*names), compare_names);
	return n;
}

static bool wanted(const char *name, int argc, char **argv, int first)
{
	if (argc <= first)
		return true;
	for (int i = first; i < argc; i++)
		if (strncmp(name, argv[i], strlen(argv[i])) == 0)
			return true;
	return false;
}

/* True when the only miss of a case was its throughput gate. */
static bool throughput_only(const char *why)
{
	const char *first = strstr(why, "lost unexpectedly");

	return first && strstr(why, " throughput lost unexpectedly") == first - 12 &&
	       !strstr(first + 1, "lost unexpectedly") && !strstr(why, "should have been lost");
}

/*
 * Grades again, up to twice, the reference and zoo cases whose only miss
 * was throughput. The grader's noise check measures again within seconds,
 * and a shared machine's load can outlast that (one CI run: three
 * references at 60-66 % of their usual efficiency); a later moment tells
 * a noisy measurement from a slow program. Likewise an attack with a
 * "tries: N" line (a defence that samples, like the collider's: caught in
 * 10 of 14 gradings by a red team) gets up to N gradings in all. A case
 * that passes on a retry passes, and its line says so. For RUNS = 1 (make
 * test) only: a soak counts pass rates instead.
 */
static void retry_throughput_misses(bool lost_seen[][MAX_GATES],
				    char gate_names[][MAX_GATES][32], int ngates[])
{
	for (int attempt = 1; attempt <= 2; attempt++) {
		size_t again = 0;

		for (size_t k = 0; k < ncases; k++) {
			struct grading_case *c = &cases[k];

			c->skip = c->good > 0 || (c->attack ? attempt >= c->tries :
				  c->starter_of || !throughput_only(c->why));
			if (!c->skip) {
				c->retried = attempt;
				again++;
			}
		}
		if (!again)
			break;
		run_cases_once(lost_seen, gate_names, ngates);
	}
	for (size_t k = 0; k < ncases; k++)
		cases[k].skip = false;
}

int main(int argc, char **argv)
{
	static bool lost_seen[100][MAX_GATES];
	static char gate_names[100][MAX_GATES][32];
	static int ngates[100];
	char *dir, *names[300];
	bool adversarial;
	int runs = 1, n, first_filter;

	if (argc < 3) {
		fprintf(stderr, "usage: selfcheck GRADER ROOT [RUNS] [CHAPTER...]\n"
			"       selfcheck GRADER ROOT --adversarial [NAME...]\n");
		return 2;
	}
	grader = argv[1];
	root = argv[2];
	adversarial = argc > 3 && strcmp(argv[3], "--adversarial") == 0;
	if (!adversarial && argc > 3)
		runs = atoi(argv[3]) > 0 ? atoi(argv[3]) : 1;
	first_filter = 4;

	if (adversarial) {
		if (asprintf(&dir, "%s/tests/adversarial", root) < 0)
			return 2;
		n = list_names(dir, false, names, 300);
		for (int i = 0; i < n; i++) {
			char *path, *text, bound[32], label[300], target[200];
			char chapter[128] = "01-serial-to-parallel", module[64] = "clean.c";
			struct grading_case *c;

			if (!wanted(names[i], argc, argv, first_filter) ||
			    asprintf(&path, "%s/%s", dir, names[i]) < 0) {
				free(names[i]);
				continue;
			}
			text = slurp(path);
			snprintf(label, sizeof(label), "attack %s", names[i]);
			/* "chapter: 03-worker-pool pool.c" aims an attack elsewhere than 01. */
			field(text, " * chapter:", target, sizeof(target));
			if (target[0])
				sscanf(target, "%127s %63s", chapter, module);
			c = add_case(chapter, label, path, module);
			c->attack = true;
			field(text, "cheats:", c->cheats, sizeof(c->cheats));
			field(text, "reason:", c->reason, sizeof(c->reason));
			field(text, "bound:", bound, sizeof(bound));
			c->bound = bound[0] ? atof(bound) : 120;
			field(text, "tries:", bound, sizeof(bound));
			c->tries = bound[0] && atoi(bound) > 1 ? atoi(bound) : 1;
			free(text);
			free(path);
			free(names[i]);
		}
	} else {
		if (asprintf(&dir, "%s/chapters", root) < 0)
			return 2;
		n = list_names(dir, true, names, 300);
		for (int i = 0; i < n; i++) {
			if (wanted(names[i], argc, argv, first_filter))
				add_chapter_cases(names[i]);
			free(names[i]);
		}
	}
	free(dir);

	for (int r = 0; r < runs; r++)
		run_cases_once(lost_seen, gate_names, ngates);
	if (runs == 1)
		retry_throughput_misses(lost_seen, gate_names, ngates);

	for (size_t k = 0; k < ncases; k++) {
		struct grading_case *c = &cases[k];

		if (c->attack)
			record(c->good == runs, "%s: %s scores 0 (\"%s\"), %d/%d runs%s, slowest "
			       "%.1f s (bound %.0f s)%s%s", c->label, c->cheats, c->reason, c->good,
			       runs, c->good == runs && c->retried ? " (on a later try: a sampled "
			       "defence)" : "", c->slowest, c->bound, c->good == runs ? "" : ": ",
			       c->good == runs ? "" : c->why);
		else
			record(c->good == runs, "%s %s: %d/%d runs as declared (slowest %.1f s)%s%s%s",
			       c->chapter, c->label, c->good, runs, c->slowest,
			       c->good == runs && c->retried ? " (throughput passed when graded "
							       "again: a noisy first measurement)" : "",
			       c->good == runs ? "" : ":", c->good == runs ? "" : c->why);
	}
	if (!adversarial) {
		/* Every gate of every chapter is lost by at least one zoo variant. */
		for (size_t k = 0; k < ncases; k++) {
			size_t ci = cases[k].chapter_index;

			if (k + 1 < ncases && cases[k + 1].chapter_index == ci)
				continue;
			for (int g = 0; g < ngates[ci]; g++)
				record(lost_seen[ci][g], "%s gate %s is lost by at least one zoo variant",
				       cases[k].chapter, gate_names[ci][g]);
		}
	}
	free(cases);
	for (size_t i = 0; i < nchapters && i < 100; i++)
		manifest_free(&manifests[i]);
	printf("%s: %d passed, %d failed\n", adversarial ? "adversarial" : "selfcheck", passed,
	       failed);
	return failed ? 1 : 0;
}
