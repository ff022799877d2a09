#define _GNU_SOURCE
#include "result.h"
#include "course.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

const char *gate_name(enum gate g)
{
	return gate_table[g].name;
}

int gate_points(enum gate g, bool with_leaks)
{
	return with_leaks ? gate_table[g].points_with_leaks : gate_table[g].points;
}

void chapter_result_init(struct chapter_result *c, const char *id, bool with_leaks)
{
	memset(c, 0, sizeof(*c));
	c->id = xstrdup(id);
	for (int i = 0; i < GATE_COUNT; i++)
		c->gates[i].applies = (!gate_table[i].opt_in || with_leaks) &&
				      course_mode(id, i) != COURSE_OFF;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one. */
static size_t utf8_length(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
		   c >= 0xf0 && c <= 0xf4 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong three- or four-byte forms, no surrogates, nothing past U+10FFFF. */
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

/*
 * Makes text fit for every report (JSON strings, XML text): each byte of an
 * invalid UTF-8 sequence and each control character but tab and newline
 * becomes '?', in place. A program's output reaches the reports through
 * here, and one stray byte must not cost a report (jansson refuses the
 * string, libxml2 writes a file no parser reads).
 */
static void scrub(char *text)
{
	unsigned char *p = (unsigned char *)text;

	while (*p) {
		size_t n = utf8_length(p);

		if (n == 0 || (*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

void gate_set_summary(struct gate_result *g, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	scrub(text);
	free(g->summary);
	g->summary = text;
}

void gate_add_detail(struct gate_result *g, const char *fmt, ...)
{
	va_list ap;
	char *line, *joined;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	scrub(line);
	joined = xasprintf("%s%s\n", g->details ? g->details : "", line);
	free(line);
	free(g->details);
	g->details = joined;
}

void chapter_result_score(struct chapter_result *c, enum gate i)
{
	struct gate_result *g = &c->gates[i];

	if (!g->applies)
		return;
	g->max_score = gate_points(i, c->gates[GATE_LEAKS].applies);
	g->score = (int)floor(g->fraction * g->max_score + 1e-9);
	if (g->tool_passed)
		g->score = g->max_score;
	if (gate_table[i].gated && !c->gates[GATE_CORRECTNESS].tool_passed)
		g->score = 0;
	if (!g->summary)
		gate_set_summary(g, "not run");
	course_score_gate(c, i);
}

void chapter_result_finish(struct chapter_result *c)
{
	c->score = 0;
	c->max_score = 0;
	for (int i = 0; i < GATE_COUNT; i++) {
		if (!c->gates[i].applies)
			continue;
		chapter_result_score(c, i);
		c->score += c->gates[i].score;
		c->max_score += c->gates[i].max_score;
	}
}

void gate_result_clear(struct gate_result *g)
{
	bool applies = g->applies;

	free(g->summary);
	free(g->details);
	json_decref(g->figures);
	memset(g, 0, sizeof(*g));
	g->applies = applies;
}

void chapter_result_free(struct chapter_result *c)
{
	free(c->sandbox);
	c->sandbox = NULL;
	free(c->partial);
	for (int i = 0; i < GATE_COUNT; i++)
		gate_result_clear(&c->gates[i]);
	json_decref(c->hidden);
	free(c->id);
	memset(c, 0, sizeof(*c));
}
