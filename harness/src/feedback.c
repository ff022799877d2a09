#define _GNU_SOURCE
#include "feedback.h"

#include "crash_cause.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	int len;

	va_start(ap, fmt);
	len = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	t->s = realloc(t->s, t->n + (size_t)len + 1);
	memcpy(t->s + t->n, line, (size_t)len + 1);
	t->n += (size_t)len;
	free(line);
}

static char *text_take(struct text *t)
{
	return t->s ? t->s : strdup("");
}

/* "clean.c:21" for a copy's path and line, as the learner names the file. */
static char *learner_location(const struct workspace *w, const char *path, const char *line)
{
	char *joined, *shown;

	if (asprintf(&joined, "%s:%s", path, line) < 0)
		return NULL;
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
	if (strncmp(p, "wrap_", 5) == 0)	/* perturb.c's wrappers */
		p += 5;
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
	/* Frames right after the warning (no section line) are the call itself. */
	char kind[256] = "", header[512] = "the call";
	bool header_open = true, header_found = false;
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
		asprintf(summary, "%s at %s", kind, locations.s);
	else
		asprintf(summary, "%s (outside your file; see the details)", kind);
	free(locations.s);
	if (crash_tsan_cause(kind))
		text_addf(&d, "  %s\n", crash_tsan_cause(kind));
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

				asprintf(&where, "%s() at %s", fn, loc);
				free(loc);
				break;
			}
		}
		if (shown++ < 5)
			text_addf(&d, "  %ld bytes in %d allocation%s from %s\n", bytes, objects,
				  objects == 1 ? "" : "s", where ? where : "outside your file");
		if (!first_where && where)
			first_where = strdup(where);
		free(where);
	}
	if (total > 0)
		asprintf(summary, "%ld bytes of heap never freed%s%s", total,
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
		if (asprintf(&path, "%s/%s", dir, file) < 0)
			return NULL;
		if (workspace_is_learner_file(w, path)) {
			char *where = learner_location(w, path, line);

			free(path);
			*fn_out = strdup(fn ? fn : "?");
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
	return out.s ? out.s : strdup("");
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
		asprintf(summary, "%s%s%s", kind && !strcmp(kind, "Race") ? "possible data race" :
			 (what ? what : (kind ? kind : "error")),
			 nlocations ? " at " : "", nlocations ? locations.s : "");
		/* "Thread #9's call to pthread_mutex_lock failed\n   with error code 22": one line. */
		one_line(*summary);
		if (what && strstr(what, "error code 22"))
			text_addf(&d, "  %s\n", crash_tsan_cause("use of an invalid mutex"));
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
	*list = realloc(*list, (*n + 1) * sizeof(**list));
	(*list)[*n].where = where;
	(*list)[*n].threads = 1;
	(*n)++;
}

/* One frame of an eu-stack dump. */
struct frame {
	char fn[256];
	char path[1024];	/* "" when eu-stack printed no source line */
	char line[32];
};

/*
 * Reads the next thread of an eu-stack dump (from "TID n:" to the next one)
 * into frames (innermost first); returns where the dump goes on, or NULL
 * at its end. *n gets the number of frames (at most max).
 */
static const char *next_thread(const char *rest, struct frame *frames, size_t max, size_t *n)
{
	char buf[2048], tid[32];
	bool started = false;

	*n = 0;
	while (rest && *rest) {
		const char *here = rest;
		char loc[1100];

		rest = next_line(rest, buf, sizeof(buf));
		if (sscanf(buf, "TID %31[0-9]:", tid) == 1) {
			if (started)
				return here;
			started = true;
			continue;
		}
		if (buf[0] != '#' || *n >= max)
			continue;
		if (sscanf(buf, "#%*d %*s %255s", frames[*n].fn) != 1)
			continue;
		clean_function_name(frames[*n].fn);
		frames[*n].path[0] = frames[*n].line[0] = '\0';
		/* eu-stack -s prints the frame's source line on the next line. */
		if (rest && strncmp(rest, "    ", 4) == 0) {
			rest = next_line(rest, loc, sizeof(loc));
			if (sscanf(loc, " %1023[^:]:%31[0-9]", frames[*n].path, frames[*n].line) != 2)
				frames[*n].path[0] = '\0';
		}
		(*n)++;
	}
	return started || *n ? rest : NULL;
}

/* What one thread's stack says about the learner's code. */
struct thread_view {
	long learner;		/* index of the innermost learner frame, or -1 */
	bool crashed;		/* the signal handler is on this stack */
	char called[256];	/* the public call the learner frame is in, or "" */
	bool routine;		/* the learner frame is a thread's start routine */
};

static void view_thread(const struct workspace *w, const struct frame *f, size_t n,
			struct thread_view *v)
{
	size_t from = 0;

	memset(v, 0, sizeof(*v));
	v->learner = -1;
	for (size_t i = 0; i < n; i++)
		if (crash_is_signal_frame(f[i].fn) && strcmp(f[i].fn, "nanosleep") &&
		    strcmp(f[i].fn, "clock_nanosleep") && strcmp(f[i].fn, "sleep_ms")) {
			v->crashed = v->crashed || strcmp(f[i].fn, "on_fatal_signal") == 0;
			if (strcmp(f[i].fn, "restore_rt") == 0)
				from = i + 1;	/* frames inside the handler are not the cause */
		}
	if (!v->crashed)
		from = 0;
	for (size_t i = from; i < n; i++) {
		if (f[i].path[0] && workspace_is_learner_file(w, f[i].path)) {
			v->learner = (long)i;
			/* Started by pthread_create: the outermost learner frame is the routine. */
			for (size_t k = i; k + 1 < n && !v->routine; k++)
				v->routine = strcmp(f[k + 1].fn, "start_thread") == 0 && f[k].path[0] &&
					     workspace_is_learner_file(w, f[k].path);
			break;
		}
		/* The outermost non-helper call inside the learner's frame wins. */
		{
			const char *pub = crash_public_name(f[i].fn);

			if (pub && *pub)
				snprintf(v->called, sizeof(v->called), "%s", pub);
			else if (!pub && !crash_is_signal_frame(f[i].fn))
				snprintf(v->called, sizeof(v->called), "%s", f[i].fn);
		}
	}
}

char *stacks_reduce(const struct workspace *w, const char *dump)
{
	struct text t = { 0 };
	struct parked *list = NULL;
	size_t n = 0, nframes;
	struct frame *frames = calloc(256, sizeof(*frames));

	for (const char *rest = dump; frames && rest && *rest;) {
		struct thread_view v;
		char *where, *entry;

		rest = next_thread(rest, frames, 256, &nframes);
		view_thread(w, frames, nframes, &v);
		if (v.learner < 0)
			continue;
		where = learner_location(w, frames[v.learner].path, frames[v.learner].line);
		if (v.crashed)
			entry = NULL, asprintf(&entry, "%s() at %s, crashed %s%s",
					       frames[v.learner].fn, where, v.called[0] ? "in " : "here",
					       v.called);
		else
			entry = NULL, asprintf(&entry, "%s() at %s%s%s", frames[v.learner].fn,
					       where, v.called[0] ? ", waiting in " : ", running",
					       v.called);
		if (entry)
			park(&list, &n, entry);
		free(where);
	}
	free(frames);
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

char *stacks_crash_cause(const struct workspace *w, const char *dump, int sig)
{
	struct frame *frames = calloc(256, sizeof(*frames));
	char *cause = NULL;
	size_t nframes;

	for (const char *rest = dump; frames && rest && *rest && !cause;) {
		struct thread_view v;

		rest = next_thread(rest, frames, 256, &nframes);
		view_thread(w, frames, nframes, &v);
		if (v.crashed)
			cause = crash_cause(sig, v.called, v.learner >= 0 && v.routine);
	}
	free(frames);
	return cause ? cause : crash_cause(sig, NULL, false);
}
