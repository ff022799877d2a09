#include "report.h"

#include <jansson.h>
#include <string.h>

static const char *status_word(const struct chapter_result *c, int i)
{
	const struct gate_result *g = &c->gates[i];

	if (!g->applies)
		return "n/a";
	if (!g->ran)
		return "--";
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

void report_print_chapter(FILE *out, const struct chapter_result *c, bool details)
{
	fprintf(out, "== %s ==\n", c->id);
	for (int i = 0; i < GATE_COUNT; i++) {
		const struct gate_result *g = &c->gates[i];

		if (!g->applies)
			continue;
		fprintf(out, "  %-12s %-4s %3d/%-3d %s", gate_name(i), status_word(c, i),
			g->score, g->max_score, g->summary ? g->summary : "");
		if (g->tool_passed && g->score < g->max_score && i != GATE_CORRECTNESS)
			fprintf(out, " (counts once correctness passes)");
		if (g->ran)
			fprintf(out, " [%.1f s]", g->seconds);
		fputc('\n', out);
		if (details && g->details && (g->score < g->max_score || i == GATE_THROUGHPUT))
			print_indented(out, g->details, 6);
	}
	fprintf(out, "  %-12s %d/%d\n", "total", c->score, c->max_score);
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

int report_write_json(const char *path, const struct chapter_result *c, size_t n)
{
	json_t *root = json_object(), *chapters = json_array();
	int score = 0, max = 0, ret;

	for (size_t k = 0; k < n; k++) {
		json_t *ch = json_object(), *checks = json_array();

		for (int i = 0; i < GATE_COUNT; i++)
			if (c[k].gates[i].applies)
				json_array_append_new(checks, gate_json(&c[k].gates[i], i));
		json_object_set_new(ch, "id", json_string(c[k].id));
		json_object_set_new(ch, "score", json_integer(c[k].score));
		json_object_set_new(ch, "max_score", json_integer(c[k].max_score));
		json_object_set_new(ch, "checks", checks);
		json_array_append_new(chapters, ch);
		score += c[k].score;
		max += c[k].max_score;
	}
	json_object_set_new(root, "score", json_integer(score));
	json_object_set_new(root, "max_score", json_integer(max));
	json_object_set_new(root, "chapters", chapters);
	ret = json_dump_file(root, path, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (ret != 0)
		fprintf(stderr, "grade: cannot write the report to %s\n", path);
	json_decref(root);
	return ret;
}
