#define _GNU_SOURCE
#include "result.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[GATE_COUNT] = {
	"correctness", "tsan", "helgrind", "leaks", "throughput",
};

static const int points[GATE_COUNT] = { 40, 20, 20, 0, 20 };
static const int points_with_leaks[GATE_COUNT] = { 40, 15, 15, 15, 15 };

const char *gate_name(enum gate g)
{
	return names[g];
}

int gate_points(enum gate g, bool with_leaks)
{
	return with_leaks ? points_with_leaks[g] : points[g];
}

void chapter_result_init(struct chapter_result *c, const char *id, bool with_leaks)
{
	memset(c, 0, sizeof(*c));
	c->id = strdup(id);
	for (int i = 0; i < GATE_COUNT; i++)
		c->gates[i].applies = i != GATE_LEAKS || with_leaks;
}

void gate_set_summary(struct gate_result *g, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	free(g->summary);
	g->summary = text;
}

void gate_add_detail(struct gate_result *g, const char *fmt, ...)
{
	va_list ap;
	char *line, *joined;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (!line)
		return;
	if (asprintf(&joined, "%s%s\n", g->details ? g->details : "", line) < 0)
		joined = NULL;
	free(line);
	if (joined) {
		free(g->details);
		g->details = joined;
	}
}

void chapter_result_finish(struct chapter_result *c)
{
	bool correct = c->gates[GATE_CORRECTNESS].tool_passed;
	bool with_leaks = c->gates[GATE_LEAKS].applies;

	c->score = 0;
	c->max_score = 0;
	for (int i = 0; i < GATE_COUNT; i++) {
		struct gate_result *g = &c->gates[i];

		if (!g->applies)
			continue;
		g->max_score = gate_points(i, with_leaks);
		g->score = (int)floor(g->fraction * g->max_score + 1e-9);
		if (g->tool_passed)
			g->score = g->max_score;
		if (i != GATE_CORRECTNESS && !correct)
			g->score = 0;
		if (!g->summary)
			gate_set_summary(g, "not run");
		c->score += g->score;
		c->max_score += g->max_score;
	}
}

void chapter_result_free(struct chapter_result *c)
{
	free(c->sandbox);
	c->sandbox = NULL;
	for (int i = 0; i < GATE_COUNT; i++) {
		free(c->gates[i].summary);
		free(c->gates[i].details);
		json_decref(c->gates[i].figures);
	}
	json_decref(c->hidden);
	free(c->id);
	memset(c, 0, sizeof(*c));
}
