#define _GNU_SOURCE
#include "feedback.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* A growing text, one line at a time. */
struct text {
	char *s;
	size_t n;
};

static void text_addf(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_addf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char *line;
	size_t len;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	len = strlen(line);
	t->s = xrealloc(t->s, t->n + len + 1);
	memcpy(t->s + t->n, line, len + 1);
	t->n += len;
	free(line);
}

static char *text_take(struct text *t)
{
	return t->s ? t->s : xstrdup("");
}

/* "clean.c:21" for a copy's path and line, as the learner names the file. */
static char *learner_location(const struct workspace *w, const char *path, const char *line)
{
	char *joined, *shown;

	joined = xasprintf("%s:%s", path, line);
	shown = workspace_rewrite(w, joined);
	free(joined);
	return shown;
}

/* Strips the glibc decorations: "__pthread_mutex_lock@GLIBC_2.2.5" -> "pthread_mutex_lock". */
static void clean_function_name(char *name)
{
	char *at = strchr(name, '@'), *p = name;

	if (at)
		*at = '\0';
	while (*p == '_')
		p++;
	if (strncmp(p, "GI_", 3) == 0)
		p += 3;
	while (*p == '_')
		p++;
	memmove(name, p, strlen(p) + 1);
}

/*
 * One ThreadSanitizer stack frame line: "    #0 fn /path/file.c:21:5 (bin+0x1)".
 * Fills fn, path and line; returns false if it is not a frame.
 */
static bool parse_tsan_frame(const char *s, char *fn, char *path, char *line)
{
	char location[1024], *colon;
	int used = 0;

	while (*s == ' ')
		s++;
	if (*s != '#')
		return false;
	/* LeakSanitizer writes "#1 0x55d1 in fn /path:3"; TSan "#1 fn /path:3 (...)". */
	if (sscanf(s, "#%*d 0x%*x in %n", &used) == 0 && used > 0)
		s += used;
	else if (sscanf(s, "#%*d %n", &used) == 0 && used > 0)
		s += used;
	if (sscanf(s, "%255s %1023s", fn, location) != 2)
		return false;
	colon = strchr(location, ':');
	if (!colon)
		return false;
	*colon = '\0';
	strcpy(path, location);
	snprintf(line, 32, "%d", atoi(colon + 1));
	return true;
}

int tsan_reduce(const struct workspace *w, const char *log, char **summary,
		char **details)
{
	const char *first = strstr(log, "WARNING: ThreadSanitizer: ");
	struct text d = { 0 }, locations = { 0 };
	char kind[256] = "", header[512] = "";
	bool header_open = false, header_found = false;
	int count = 0, nlocations = 0;
	const char *p = log;

	while ((p = strstr(p, "WARNING: ThreadSanitizer: ")) != NULL) {
		count++;
		p++;
	}
	*summary = NULL;
	*details = NULL;
	if (!first)
		return 0;
	sscanf(first, "WARNING: ThreadSanitizer: %255[^(\n]", kind);
	if (strlen(kind) && kind[strlen(kind) - 1] == ' ')
		kind[strlen(kind) - 1] = '\0';

	for (const char *line = strchr(first, '\n'); line && *line; line = strchr(line, '\n')) {
		char buf[2048], fn[256], path[1024], lineno[32];
		size_t len;
		const char *end;

		line++;
		end = strchr(line, '\n');
		len = end ? (size_t)(end - line) : strlen(line);
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (strncmp(buf, "==================", 18) == 0 || strncmp(buf, "SUMMARY:", 8) == 0)
			break;
		if (strncmp(buf, "  ", 2) == 0 && buf[2] != ' ' && buf[2] != '#') {
			/* A section: "Write of size 8 at 0x... by thread T2:" */
			char *at = strstr(buf, " at 0x"), *by = strstr(buf, " by ");
			bool interesting = strncmp(buf + 2, "Thread T", 8) != 0;

			if (at && by && by > at) {
				memmove(at, by, strlen(by) + 1);
			}
			if (buf[strlen(buf) - 1] == ':')
				buf[strlen(buf) - 1] = '\0';
			snprintf(header, sizeof(header), "%.500s", buf + 2);
			header_open = interesting;
			header_found = false;
			if (strncmp(buf + 2, "Location is", 11) == 0 && !strstr(buf, "<null>")) {
				text_addf(&d, "  %s\n", header);
			}
			if (strncmp(buf + 2, "Location is", 11) == 0)
				header_open = false;
			continue;
		}
		if (header_open && !header_found && parse_tsan_frame(buf, fn, path, lineno) &&
		    workspace_is_learner_file(w, path)) {
			char *where = learner_location(w, path, lineno);

			text_addf(&d, "  %s: %s() at %s\n", header, fn, where ? where : path);
			if (nlocations < 2) {
				text_addf(&locations, "%s%s", nlocations ? " and " : "", where);
				nlocations++;
			}
			free(where);
			header_found = true;
		}
	}
	if (nlocations)
		*summary = xasprintf("%s at %s", kind, locations.s);
	else
		*summary = xasprintf("%s (outside your file; see the details)", kind);
	free(locations.s);
	if (count > 1)
		text_addf(&d, "  (%d reports in all; the first is shown)\n", count);
	*details = text_take(&d);
	return count;
}

long lsan_reduce(const struct workspace *w, const char *log, char **summary,
		 char **details)
{
	struct text d = { 0 };
	long total = 0;
	int shown = 0;
	char *first_where = NULL;

	*summary = NULL;
	*details = NULL;
	for (const char *p = log; (p = strstr(p, " leak of ")) != NULL; p++) {
		long bytes = 0;
		int objects = 0;
		char *where = NULL;

		if (sscanf(p, " leak of %ld byte(s) in %d object(s)", &bytes, &objects) != 2)
			continue;
		total += bytes;
		/* The allocation stack follows, up to the next blank line. */
		for (const char *line = strchr(p, '\n'); line && line[1] && line[1] != '\n';
		     line = strchr(line + 1, '\n')) {
			char buf[2048], fn[256], path[1024], lineno[32];
			const char *end = strchr(line + 1, '\n');
			size_t len = end ? (size_t)(end - line - 1) : strlen(line + 1);

			if (len >= sizeof(buf))
				len = sizeof(buf) - 1;
			memcpy(buf, line + 1, len);
			buf[len] = '\0';
			if (parse_tsan_frame(buf, fn, path, lineno) &&
			    workspace_is_learner_file(w, path)) {
				char *loc = learner_location(w, path, lineno);

				where = xasprintf("%s() at %s", fn, loc);
				free(loc);
				break;
			}
		}
		if (shown++ < 5)
			text_addf(&d, "  %ld bytes in %d allocation%s from %s\n", bytes, objects,
				  objects == 1 ? "" : "s", where ? where : "outside your file");
		if (!first_where && where)
			first_where = xstrdup(where);
		free(where);
	}
	if (total > 0)
		*summary = xasprintf("%ld bytes of heap never freed%s%s", total,
				     first_where ? ", first allocated by " : "", first_where ? first_where : "");
	free(first_where);
	*details = text_take(&d);
	return total;
}

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

char *drop_reports(const char *log, const char *begin, const char *end, const char *canary,
		   int *found)
{
	struct text out = { 0 };
	const char *p = log;

	*found = 0;
	for (;;) {
		const char *start = strstr(p, begin), *stop;
		size_t len;

		if (!start) {
			text_addf(&out, "%s", p);
			break;
		}
		stop = strstr(start + strlen(begin), end);
		stop = stop ? stop : start + strlen(start);
		len = (size_t)(stop - start);
		if (memmem(start, len, canary, strlen(canary))) {
			(*found)++;
			text_addf(&out, "%.*s", (int)(start - p), p);
		} else {
			text_addf(&out, "%.*s", (int)(stop - p), p);
		}
		p = stop;
	}
	return out.s ? out.s : xstrdup("");
}

int helgrind_reduce(const struct workspace *w, const char *xml, const char *canary,
		    int *canaries, char **summary, char **details)
{
	xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "helgrind.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING | XML_PARSE_RECOVER);
	xmlNode *root;
	xmlNode *first = NULL;
	struct text d = { 0 }, locations = { 0 };
	int count = 0, nlocations = 0;
	const char *label = "";

	*summary = NULL;
	*details = NULL;
	if (!doc)
		return -1;
	root = xmlDocGetRootElement(doc);
	*canaries = 0;
	for (xmlNode *n = root ? root->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "error") == 0) {
			if (error_names(n, canary)) {
				(*canaries)++;
				continue;
			}
			if (!first)
				first = n;
			count++;
		}
	if (!first) {
		xmlFreeDoc(doc);
		return count;
	}
	for (xmlNode *c = first->children; c; c = c->next) {
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
				text_addf(&d, "  %s: %s() at %s\n", label, fn, where);
				if (nlocations < 2)
					text_addf(&locations, "%s%s", nlocations++ ? " and " : "", where);
			} else {
				text_addf(&d, "  %s (not in your file)\n", label);
			}
			free(fn);
			free(where);
		}
	}
	{
		const char *kind = child_text(first, "kind");
		const char *what = child_text(first, "what");
		xmlNode *x = NULL;

		for (xmlNode *c = first->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "xwhat"))
				x = c;
		if (!what && x)
			what = child_text(x, "text");
		*summary = xasprintf("%s%s%s", kind && !strcmp(kind, "Race") ? "possible data race" :
				     (what ? what : (kind ? kind : "error")),
				     nlocations ? " at " : "", nlocations ? locations.s : "");
	}
	if (count > 1)
		text_addf(&d, "  (%d errors in all; the first is shown)\n", count);
	free(locations.s);
	*details = text_take(&d);
	xmlFreeDoc(doc);
	return count;
}

/* Next line of text into buf (truncated to size); returns the rest, or NULL. */
static const char *next_line(const char *text, char *buf, size_t size)
{
	const char *end = strchr(text, '\n');
	size_t len = end ? (size_t)(end - text) : strlen(text);

	if (len >= size)
		len = size - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return end ? end + 1 : NULL;
}

struct parked {
	char *where;	/* "clean_thread() at clean.c:18, waiting in pthread_join" */
	int threads;
};

static int by_threads_desc(const void *a, const void *b)
{
	return ((const struct parked *)b)->threads - ((const struct parked *)a)->threads;
}

/* Counts one more thread at `where` (groups threads parked at one line). */
static void park(struct parked **list, size_t *n, char *where)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i].where, where) == 0) {
			(*list)[i].threads++;
			free(where);
			return;
		}
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[*n].where = where;
	(*list)[*n].threads = 1;
	(*n)++;
}

char *stacks_reduce(const struct workspace *w, const char *dump)
{
	struct text t = { 0 };
	struct parked *list = NULL;
	char inner[256] = "";
	bool found = false;
	size_t n = 0;

	for (const char *rest = dump; rest && *rest;) {
		char buf[2048], fn[256], loc[1100], path[1024], lineno[32], tid[32];

		rest = next_line(rest, buf, sizeof(buf));
		if (sscanf(buf, "TID %31[0-9]:", tid) == 1) {
			found = false;
			inner[0] = '\0';
			continue;
		}
		if (found || buf[0] != '#' || sscanf(buf, "#%*d %*s %255s", fn) != 1)
			continue;
		clean_function_name(fn);
		/* eu-stack -s prints the frame's source line on the next line. */
		if (rest && strncmp(rest, "    ", 4) == 0) {
			rest = next_line(rest, loc, sizeof(loc));
			if (sscanf(loc, " %1023[^:]:%31[0-9]", path, lineno) == 2 &&
			    workspace_is_learner_file(w, path)) {
				char *where = learner_location(w, path, lineno), *entry;

				entry = xasprintf("%s() at %s%s%s", fn, where,
						  inner[0] ? ", waiting in " : ", running", inner);
				park(&list, &n, entry);
				free(where);
				found = true;
			}
		}
		snprintf(inner, sizeof(inner), "%s", fn);
	}
	qsort(list, n, sizeof(*list), by_threads_desc);
	for (size_t i = 0; i < n; i++) {
		if (i < 8)
			text_addf(&t, "  %d %s: %s\n", list[i].threads,
				  list[i].threads == 1 ? "thread" : "threads", list[i].where);
		free(list[i].where);
	}
	if (n > 8)
		text_addf(&t, "  (and %zu more places)\n", n - 8);
	free(list);
	if (!t.s)
		text_addf(&t, "  no thread was inside your file when it was stopped\n");
	return text_take(&t);
}
