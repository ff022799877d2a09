#define _GNU_SOURCE
#include "report.h"
#include "course.h"
#include "hidden.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <jansson.h>
#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static const char *status_word(const struct chapter_result *c, int i)
{
	const struct gate_result *g = &c->gates[i];

	if (!g->applies)
		return "n/a";
	if (!g->ran)
		return "--";
	if (g->max_score == 0)	/* feedback only (the course policy) */
		return g->tool_passed ? "ok" : "note";
	if (g->score == g->max_score)
		return "PASS";
	if (g->tool_passed)
		return "HELD";	/* clean, but correctness must pass first */
	return "FAIL";
}

/* Prints text with every line indented by `indent` spaces. */
static void print_indented(FILE *out, const char *text, int indent)
{
	while (text && *text) {
		const char *end = strchr(text, '\n');
		int len = end ? (int)(end - text) : (int)strlen(text);

		fprintf(out, "%*s%.*s\n", indent, "", len, text);
		text = end ? end + 1 : NULL;
	}
}

int report_open(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
}

int report_dump_json(const json_t *root, const char *path, size_t flags)
{
	int fd = report_open(path), ret;

	if (fd < 0)
		return -1;
	ret = json_dumpfd(root, fd, flags);
	if (close(fd) != 0)
		ret = -1;
	return ret;
}

void report_print_header(FILE *out, const char *id)
{
	fprintf(out, "== %s ==\n", id);
}

void report_print_gate(FILE *out, const struct chapter_result *c, enum gate i, bool details)
{
	const struct gate_result *g = &c->gates[i];

	if (!g->applies)
		return;
	fprintf(out, "  %-12s %-4s %3d/%-3d %s", gate_name(i), status_word(c, i),
		g->score, g->max_score, g->summary ? g->summary : "");
	if (g->tool_passed && g->score < g->max_score && gate_table[i].gated)
		fprintf(out, " (counts once correctness passes)");
	if (g->ran)
		fprintf(out, " [%.1f s]", g->seconds);
	fputc('\n', out);
	if (details && g->details && (g->score < g->max_score || gate_table[i].figures))
		print_indented(out, g->details, 6);
}

void report_print_total(FILE *out, const struct chapter_result *c, bool details)
{
	fprintf(out, "  %-12s %d/%d%s\n", "total", c->score, c->max_score,
		c->partial ? " (partial run: not a grade)" : "");
	if (c->sandbox && (details || strstr(c->sandbox, "missing")))
		fprintf(out, "  sandbox: %s\n", c->sandbox);
}

void report_print_chapter(FILE *out, const struct chapter_result *c, bool details)
{
	report_print_header(out, c->id);
	for (int i = 0; i < GATE_COUNT; i++)
		report_print_gate(out, c, i, details);
	report_print_total(out, c, details);
}

void report_print_table(FILE *out, const struct chapter_result *c, size_t n)
{
	int score = 0, max = 0;

	fprintf(out, "\n%-28s", "chapter");
	for (int i = 0; i < GATE_COUNT; i++)
		fprintf(out, " %-14s", gate_name(i));
	fprintf(out, " %s\n", "total");
	for (size_t k = 0; k < n; k++) {
		fprintf(out, "%-28s", c[k].id);
		for (int i = 0; i < GATE_COUNT; i++) {
			char cell[32];

			if (c[k].gates[i].applies)
				snprintf(cell, sizeof(cell), "%s %d/%d", status_word(&c[k], i),
					 c[k].gates[i].score, c[k].gates[i].max_score);
			else
				snprintf(cell, sizeof(cell), "n/a");
			fprintf(out, " %-14s", cell);
		}
		fprintf(out, " %d/%d\n", c[k].score, c[k].max_score);
		score += c[k].score;
		max += c[k].max_score;
	}
	fprintf(out, "%-28s %d/%d\n", "TOTAL", score, max);
}

static json_t *gate_json(const struct gate_result *g, int i)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(gate_name(i)));
	json_object_set_new(o, "score", json_integer(g->score));
	json_object_set_new(o, "max_score", json_integer(g->max_score));
	json_object_set_new(o, "passed", json_boolean(g->score == g->max_score));
	json_object_set_new(o, "tool_passed", json_boolean(g->tool_passed));
	json_object_set_new(o, "ran", json_boolean(g->ran));
	json_object_set_new(o, "summary", json_string(g->summary ? g->summary : ""));
	json_object_set_new(o, "details", json_string(g->details ? g->details : ""));
	json_object_set_new(o, "seconds", json_real(g->seconds));
	if (g->figures)
		json_object_update(o, g->figures);
	return o;
}

json_t *report_chapter_json(const struct chapter_result *c)
{
	json_t *ch = json_object(), *checks = json_array();

	for (int i = 0; i < GATE_COUNT; i++)
		if (c->gates[i].applies)
			json_array_append_new(checks, gate_json(&c->gates[i], i));
	json_object_set_new(ch, "id", json_string(c->id));
	json_object_set_new(ch, "score", json_integer(c->score));
	if (c->sandbox)
		json_object_set_new(ch, "sandbox", json_string(c->sandbox));
	json_object_set_new(ch, "seed", json_string(c->seed));
	if (c->hidden)
		json_object_set_new(ch, "hidden_tests", json_integer((json_int_t)json_array_size(c->hidden)));
	json_object_set_new(ch, "max_score", json_integer(c->max_score));
	json_object_set_new(ch, "seconds", json_real(c->seconds));
	if (c->partial)
		json_object_set_new(ch, "partial", json_string(c->partial));
	json_object_set_new(ch, "checks", checks);
	return ch;
}

int report_write_json(const char *path, const struct chapter_result *c, size_t n)
{
	json_t *root = json_object(), *chapters = json_array();
	int score = 0, max = 0, ret;

	for (size_t k = 0; k < n; k++) {
		json_array_append_new(chapters, report_chapter_json(&c[k]));
		score += c[k].score;
		max += c[k].max_score;
	}
	json_object_set_new(root, "score", json_integer(score));
	json_object_set_new(root, "max_score", json_integer(max));
	for (size_t k = 0; k < n; k++)
		if (c[k].partial)
			json_object_set_new(root, "partial", json_true());
	json_object_set_new(root, "chapters", chapters);
	ret = report_dump_json(root, path, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (ret != 0)
		fprintf(stderr, "grade: cannot write the report to %s\n", path);
	json_decref(root);
	return ret;
}

void report_count(const struct chapter_result *c, size_t n, int *passed, int *failed)
{
	*passed = *failed = 0;
	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < GATE_COUNT; i++) {
			const struct gate_result *g = &c[k].gates[i];

			if (!g->applies)
				continue;
			if (g->score == g->max_score)
				(*passed)++;
			else
				(*failed)++;
		}
}

/* "summary\n\ndetails" for one gate, as shown on an autograding platform. */
static char *gate_output(const struct gate_result *g)
{
	char *text;

	text = xasprintf("%s%s%s%s", g->summary ? g->summary : "",
			 g->tool_passed && g->score < g->max_score ?
			 " (counts once correctness passes)" : "",
			 g->details ? "\n\n" : "", g->details ? g->details : "");
	return text;
}

static int dump(json_t *root, const char *path)
{
	int ret = report_dump_json(root, path, JSON_INDENT(2) | JSON_ENSURE_ASCII);

	if (ret != 0)
		fprintf(stderr, "grade: cannot write %s\n", path);
	json_decref(root);
	return ret;
}

/*
 * The instructor's view of chapter c's hidden tests: what was withheld from
 * the other tests, under the course policy's visibility; worth no points
 * of its own (they are counted in the gates).
 */
static json_t *hidden_test(const struct chapter_result *c, const char *withheld, size_t k,
			   int number)
{
	char *name, *output, num[48];
	json_t *t;

	name = xasprintf("%s: hidden tests", c->id);
	output = xasprintf("%zu hidden scenarios. What the student's results do not show:\n%s",
			   json_array_size(c->hidden), withheld ? withheld : "(nothing)\n");
	snprintf(num, sizeof(num), "%zu.%d", k, number);
	t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "name", name,
		      "number", num, "status", withheld && strstr(withheld, "FAIL") ?
		      "failed" : "passed", "visibility", course_hidden_visibility(),
		      "output", output, "tags", "hidden");
	free(name);
	free(output);
	return t;
}

/* A gate with figures at full points puts its efficiency on the leaderboard. */
static void leaderboard_add(json_t *board, const char *id, int i, const struct gate_result *g)
{
	json_t *e;
	char *label;

	if (!gate_table[i].figures || !g->figures || g->score != g->max_score)
		return;
	e = json_object_get(g->figures, "efficiency");
	if (!e)
		return;
	label = xasprintf("%s efficiency (%%)", id);
	json_array_append_new(board, json_pack("{s:s, s:f, s:s}", "name", label, "value",
					       (double)(int)(json_real_value(e) * 1000) / 10.0,
					       "order", "desc"));
	free(label);
}

int report_write_gradescope(const char *path, const struct chapter_result *c, size_t n)
{
	json_t *root = json_object(), *tests = json_array(), *board = json_array();
	int number = 0, score = 0;
	char *withheld = NULL;

	for (size_t k = 0; k < n; k++) {
		for (int i = 0; i < GATE_COUNT; i++) {
			const struct gate_result *g = &c[k].gates[i];
			json_t *t = json_object();
			char *name, *output = gate_output(g), num[48];

			if (!g->applies) {
				json_decref(t);
				free(output);
				continue;
			}
			name = xasprintf("%s: %s", c[k].id, gate_name(i));
			{	/* no hidden test's name, clause or message (hidden.h) */
				char *shown = hidden_redact(&c[k], output, &withheld);

				free(output);
				output = shown;
			}
			snprintf(num, sizeof(num), "%zu.%d", k + 1, ++number);
			json_object_set_new(t, "name", json_string(name ? name : ""));
			json_object_set_new(t, "number", json_string(num));
			json_object_set_new(t, "score", json_integer(g->score));
			json_object_set_new(t, "max_score", json_integer(g->max_score));
			json_object_set_new(t, "status", json_string(
				(g->max_score ? g->score == g->max_score : g->tool_passed) ?
				"passed" : "failed"));
			json_object_set_new(t, "visibility",
					    json_string(course_visibility(c[k].id, i)));
			json_object_set_new(t, "output", json_string(output ? output : ""));
			json_object_set_new(t, "tags", json_pack("[s]", gate_name(i)));
			json_array_append_new(tests, t);
			score += g->score;
			leaderboard_add(board, c[k].id, i, g);
			free(name);
			free(output);
		}
		if (c[k].hidden)
			json_array_append_new(tests, hidden_test(&c[k], withheld, k + 1, ++number));
		free(withheld);
		withheld = NULL;
		number = 0;
	}
	json_object_set_new(root, "score", json_integer(score));
	json_object_set_new(root, "visibility", json_string("visible"));
	json_object_set_new(root, "stdout_visibility", json_string("hidden"));
	json_object_set_new(root, "tests", tests);
	json_object_set_new(root, "leaderboard", board);
	return dump(root, path);
}

int report_write_classroom(const char *path, const struct chapter_result *c, size_t n)
{
	json_t *root = json_object(), *tests = json_array();
	int max = 0, passed, failed;

	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < GATE_COUNT; i++) {
			const struct gate_result *g = &c[k].gates[i];
			char *name;

			if (!g->applies)
				continue;
			name = xasprintf("%s: %s", c[k].id, gate_name(i));
			json_array_append_new(tests, json_pack("{s:s, s:s, s:i, s:s, s:f}",
				"name", name, "status", g->score == g->max_score ? "pass" : "fail",
				"score", g->score, "message", g->summary ? g->summary : "",
				"execution_time", g->seconds));
			max += g->max_score;
			free(name);
		}
	report_count(c, n, &passed, &failed);
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "status", json_string(failed ? "fail" : "pass"));
	json_object_set_new(root, "max_score", json_integer(max));
	json_object_set_new(root, "tests", tests);
	return dump(root, path);
}

int report_write_junit(const char *path, const struct chapter_result *c, size_t n)
{
	int fd = report_open(path), passed, failed;
	xmlOutputBufferPtr buf = fd >= 0 ? xmlOutputBufferCreateFd(fd, NULL) : NULL;
	xmlTextWriterPtr x = buf ? xmlNewTextWriter(buf) : NULL;

	if (!x) {
		fprintf(stderr, "grade: cannot write %s\n", path);
		if (buf)
			xmlOutputBufferClose(buf);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	report_count(c, n, &passed, &failed);
	xmlTextWriterSetIndent(x, 1);
	xmlTextWriterStartDocument(x, NULL, "UTF-8", NULL);
	xmlTextWriterStartElement(x, BAD_CAST "testsuites");
	xmlTextWriterWriteFormatAttribute(x, BAD_CAST "name", "threadclinic");
	xmlTextWriterWriteFormatAttribute(x, BAD_CAST "tests", "%d", passed + failed);
	xmlTextWriterWriteFormatAttribute(x, BAD_CAST "failures", "%d", failed);
	for (size_t k = 0; k < n; k++) {
		int cp = 0, cf = 0;

		report_count(&c[k], 1, &cp, &cf);
		xmlTextWriterStartElement(x, BAD_CAST "testsuite");
		xmlTextWriterWriteAttribute(x, BAD_CAST "name", BAD_CAST c[k].id);
		xmlTextWriterWriteFormatAttribute(x, BAD_CAST "tests", "%d", cp + cf);
		xmlTextWriterWriteFormatAttribute(x, BAD_CAST "failures", "%d", cf);
		for (int i = 0; i < GATE_COUNT; i++) {
			const struct gate_result *g = &c[k].gates[i];

			if (!g->applies)
				continue;
			xmlTextWriterStartElement(x, BAD_CAST "testcase");
			xmlTextWriterWriteAttribute(x, BAD_CAST "classname", BAD_CAST c[k].id);
			xmlTextWriterWriteAttribute(x, BAD_CAST "name", BAD_CAST gate_name(i));
			xmlTextWriterWriteFormatAttribute(x, BAD_CAST "time", "%.3f", g->seconds);
			if (g->score < g->max_score) {
				char *output = gate_output(g);

				xmlTextWriterStartElement(x, BAD_CAST "failure");
				xmlTextWriterWriteFormatAttribute(x, BAD_CAST "message",
					"%d/%d: %s", g->score, g->max_score,
					g->summary ? g->summary : "");
				xmlTextWriterWriteString(x, BAD_CAST (output ? output : ""));
				xmlTextWriterEndElement(x);
				free(output);
			}
			xmlTextWriterEndElement(x);
		}
		xmlTextWriterEndElement(x);
	}
	xmlTextWriterEndElement(x);
	xmlTextWriterEndDocument(x);
	xmlFreeTextWriter(x);
	return close(fd) == 0 ? 0 : -1;
}
