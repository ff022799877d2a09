/*
 * helgrind.c - Helgrind's XML report reduced to the learner's file:line
 */
#define _GNU_SOURCE
#include "feedback.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "crash_cause.h"
#include "reduce.h"

static const char *child_text(xmlNode *node, const char *name)
{
	for (xmlNode *c = node->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c->children ? (const char *)c->children->content : "";
	return NULL;
}

/* First frame of a Valgrind <stack> inside the learner's files, or NULL. */
static char *first_learner_frame(const struct workspace *w, xmlNode *stack, char **fn_out)
{
	for (xmlNode *f = stack->children; f; f = f->next) {
		const char *dir, *file, *line, *fn;
		char *path;

		if (f->type != XML_ELEMENT_NODE || strcmp((const char *)f->name, "frame"))
			continue;
		dir = child_text(f, "dir");
		file = child_text(f, "file");
		line = child_text(f, "line");
		fn = child_text(f, "fn");
		if (!dir || !file || !line)
			continue;
		path = xasprintf("%s/%s", dir, file);
		if (workspace_is_learner_file(w, path)) {
			char *where = learner_location(w, path, line);

			free(path);
			*fn_out = xstrdup(fn ? fn : "?");
			return where;
		}
		free(path);
	}
	return NULL;
}

/* True when a frame of any <stack> of an error names function fn. */
static bool error_names(xmlNode *error, const char *fn)
{
	for (xmlNode *c = error->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "stack"))
			continue;
		for (xmlNode *f = c->children; f; f = f->next) {
			const char *name;

			if (f->type != XML_ELEMENT_NODE || strcmp((const char *)f->name, "frame"))
				continue;
			name = child_text(f, "fn");
			if (name && strstr(name, fn))
				return true;
		}
	}
	return false;
}

/* The first <error> of Helgrind's report that is not the canary; counts both kinds. */
static xmlNode *first_error(xmlNode *root, const char *canary, int *count, int *canaries)
{
	xmlNode *first = NULL;

	for (xmlNode *n = root ? root->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "error") == 0) {
			if (error_names(n, canary)) {
				(*canaries)++;
				continue;
			}
			if (!first)
				first = n;
			(*count)++;
		}
	return first;
}

/*
 * Each stack of one error, under its label, into d; the first two places
 * in the learner's file into locations. Returns how many places it kept.
 */
static int error_stacks(const struct workspace *w, xmlNode *error, struct text *d,
			struct text *locations)
{
	const char *label = "";
	int nlocations = 0;

	for (xmlNode *c = error->children; c; c = c->next) {
		const char *name = (const char *)c->name;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp(name, "what") || !strcmp(name, "auxwhat")) {
			label = c->children ? (const char *)c->children->content : "";
		} else if (!strcmp(name, "xwhat") || !strcmp(name, "xauxwhat")) {
			const char *t = child_text(c, "text");

			label = t ? t : "";
		} else if (!strcmp(name, "stack")) {
			char *fn = NULL, *where = first_learner_frame(w, c, &fn);

			if (where) {
				text_addf(d, "  %s: %s() at %s\n", label, fn, where);
				if (nlocations < 2)
					text_addf(locations, "%s%s", nlocations++ ? " and " : "", where);
			} else {
				text_addf(d, "  %s (not in your file)\n", label);
			}
			free(fn);
			free(where);
		}
	}
	return nlocations;
}

/* Turns every run of blanks and newlines in text into one space, in place. */
static void one_line(char *text)
{
	char *out = text;

	for (const char *p = text; text && *p; p++) {
		if (isspace((unsigned char)*p)) {
			if (out > text && out[-1] != ' ')
				*out++ = ' ';
		} else {
			*out++ = *p;
		}
	}
	if (text) {
		while (out > text && out[-1] == ' ')
			out--;
		*out = '\0';
	}
}

/*
 * One line for an error: what it is, and where in the learner's file; a
 * likely cause goes to d when the error names one.
 */
static char *error_summary(xmlNode *error, const char *locations, struct text *d)
{
	const char *kind = child_text(error, "kind");
	const char *what = child_text(error, "what");
	xmlNode *x = NULL;
	char *summary;

	for (xmlNode *c = error->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "xwhat"))
			x = c;
	if (!what && x)
		what = child_text(x, "text");
	summary = xasprintf("%s%s%s", kind && !strcmp(kind, "Race") ? "possible data race" :
			    (what ? what : (kind ? kind : "error")),
			    locations ? " at " : "", locations ? locations : "");
	/* "Thread #9's call to pthread_mutex_lock failed\n   with error code 22": one line. */
	one_line(summary);
	if (what && strstr(what, "error code 22"))
		text_addf(d, "  %s\n", crash_tsan_cause("use of an invalid mutex"));
	return summary;
}

int helgrind_reduce(const struct workspace *w, const char *xml, const char *canary,
		    int *canaries, char **summary, char **details)
{
	xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "helgrind.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING | XML_PARSE_RECOVER);
	struct text d = { 0 }, locations = { 0 };
	int count = 0;
	xmlNode *first;

	*summary = NULL;
	*details = NULL;
	if (!doc)
		return -1;
	*canaries = 0;
	first = first_error(xmlDocGetRootElement(doc), canary, &count, canaries);
	if (!first) {
		xmlFreeDoc(doc);
		return count;
	}
	*summary = error_summary(first, error_stacks(w, first, &d, &locations) ?
					 locations.s : NULL, &d);
	if (count > 1)
		text_addf(&d, "  (%d errors in all; the first is shown)\n", count);
	free(locations.s);
	*details = text_take(&d);
	xmlFreeDoc(doc);
	return count;
}
