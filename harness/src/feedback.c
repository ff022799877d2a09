#define _GNU_SOURCE
#include "feedback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "crash_cause.h"
#include "reduce.h"

void text_addf(struct text *t, const char *fmt, ...)
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

char *text_take(struct text *t)
{
	return t->s ? t->s : xstrdup("");
}

char *learner_location(const struct workspace *w, const char *path, const char *line)
{
	char *joined, *shown;

	joined = xasprintf("%s:%s", path, line);
	shown = workspace_rewrite(w, joined);
	free(joined);
	return shown;
}

const char *next_line(const char *text, char *buf, size_t size)
{
	const char *end = strchr(text, '\n');
	size_t len = end ? (size_t)(end - text) : strlen(text);

	if (len >= size)
		len = size - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return end ? end + 1 : NULL;
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

/* How many times needle occurs in text. */
static int occurrences(const char *text, const char *needle)
{
	int count = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		count++;
	return count;
}

/* What tsan_reduce() has gathered so far from one report. */
struct tsan_scan {
	struct text details, locations;
	char header[512];	/* the current section, "Write of size 8 by thread T2" */
	bool header_open;	/* its first frame in the learner's file is wanted */
	bool header_found;	/* ... and was found */
	int nlocations;
};

/* A section line ("  Write of size 8 at 0x... by thread T2:"), in buf. */
static void tsan_section(struct tsan_scan *t, char *buf)
{
	char *at = strstr(buf, " at 0x"), *by = strstr(buf, " by ");

	if (at && by && by > at)
		memmove(at, by, strlen(by) + 1);
	if (buf[strlen(buf) - 1] == ':')
		buf[strlen(buf) - 1] = '\0';
	snprintf(t->header, sizeof(t->header), "%.500s", buf + 2);
	t->header_open = strncmp(buf + 2, "Thread T", 8) != 0;
	t->header_found = false;
	if (strncmp(buf + 2, "Location is", 11) == 0) {
		if (!strstr(buf, "<null>"))
			text_addf(&t->details, "  %s\n", t->header);
		t->header_open = false;
	}
}

/* A stack frame line, in buf: the section's first one in the learner's file counts. */
static void tsan_frame(struct tsan_scan *t, const struct workspace *w, const char *buf)
{
	char fn[256], path[1024], lineno[32], *where;

	if (!t->header_open || t->header_found || !parse_tsan_frame(buf, fn, path, lineno) ||
	    !workspace_is_learner_file(w, path))
		return;
	where = learner_location(w, path, lineno);
	text_addf(&t->details, "  %s: %s() at %s\n", t->header, fn, where ? where : path);
	if (t->nlocations < 2) {
		text_addf(&t->locations, "%s%s", t->nlocations ? " and " : "", where);
		t->nlocations++;
	}
	free(where);
	t->header_found = true;
}

int tsan_reduce(const struct workspace *w, const char *log, char **summary,
		char **details)
{
	const char *first = strstr(log, "WARNING: ThreadSanitizer: ");
	int count = occurrences(log, "WARNING: ThreadSanitizer: ");
	/* Frames right after the warning (no section line) are the call itself. */
	struct tsan_scan t = { .header = "the call", .header_open = true };
	char kind[256] = "";
	const char *rest;

	*summary = NULL;
	*details = NULL;
	if (!first)
		return 0;
	sscanf(first, "WARNING: ThreadSanitizer: %255[^(\n]", kind);
	if (strlen(kind) && kind[strlen(kind) - 1] == ' ')
		kind[strlen(kind) - 1] = '\0';
	rest = strchr(first, '\n');
	for (rest = rest ? rest + 1 : NULL; rest && *rest;) {
		char buf[2048];

		rest = next_line(rest, buf, sizeof(buf));
		if (strncmp(buf, "==================", 18) == 0 || strncmp(buf, "SUMMARY:", 8) == 0)
			break;
		if (strncmp(buf, "  ", 2) == 0 && buf[2] != ' ' && buf[2] != '#')
			tsan_section(&t, buf);
		else
			tsan_frame(&t, w, buf);
	}
	if (t.nlocations)
		*summary = xasprintf("%s at %s", kind, t.locations.s);
	else
		*summary = xasprintf("%s (outside your file; see the details)", kind);
	free(t.locations.s);
	if (crash_tsan_cause(kind))
		text_addf(&t.details, "  %s\n", crash_tsan_cause(kind));
	if (count > 1)
		text_addf(&t.details, "  (%d reports in all; the first is shown)\n", count);
	*details = text_take(&t.details);
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
	struct frame *frames = xcalloc(256, sizeof(*frames));

	for (const char *rest = dump; frames && rest && *rest;) {
		struct thread_view v;
		char *where, *entry;

		rest = next_thread(rest, frames, 256, &nframes);
		view_thread(w, frames, nframes, &v);
		if (v.learner < 0)
			continue;
		where = learner_location(w, frames[v.learner].path, frames[v.learner].line);
		if (v.crashed)
			entry = xasprintf("%s() at %s, crashed %s%s", frames[v.learner].fn, where,
					  v.called[0] ? "in " : "here", v.called);
		else
			entry = xasprintf("%s() at %s%s%s", frames[v.learner].fn, where,
					  v.called[0] ? ", waiting in " : ", running", v.called);
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
	struct frame *frames = xcalloc(256, sizeof(*frames));
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
