/*
 * interview.c - make interview CH=NN [MINUTES=45]: the chapter from nothing.
 *
 * The learner's file is backed up, then replaced by a blank implementation
 * of the chapter's header: every function the header declares, each doing
 * nothing and returning an error (ENOSYS for an int, NULL, false, 0). The
 * prototypes come from the compiler, not from a list kept per chapter:
 * `cc -aux-info` names every function declared in the header and the line
 * it starts on; the definition reuses the header's own text from that line
 * (so parameter names and typedefs stay the learner's to read).
 *
 * A clock starts (.threadclinic/interview.json); every grading of that
 * chapter (make grade, make watch) prints the time left, and the first one
 * at full marks writes the time taken into progress. make reset CH=NN
 * restores the learner's file.
 */
#define _GNU_SOURCE
#include "learn.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct buf {
	char *text;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->text ? b->text + b->len : NULL, b->text ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->text && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->text = realloc(b->text, b->cap);
		if (!b->text)
			abort();
	}
}

/* Removes blanks: "struct a *" and "struct a*" compare equal. */
static void squeeze(char *dst, const char *src, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && src[i]; i++)
		if (!isspace((unsigned char)src[i]))
			dst[k++] = src[i];
	dst[k] = '\0';
}

/* Splits params (without the parentheses) at top-level commas. */
static size_t split_params(const char *s, size_t len, const char **start, size_t *plen, size_t max)
{
	size_t n = 0, from = 0;
	int depth = 0;

	for (size_t i = 0; i <= len && n < max; i++) {
		if (i == len || (s[i] == ',' && depth == 0)) {
			while (from < i && isspace((unsigned char)s[from]))
				from++;
			start[n] = s + from;
			plen[n] = i - from;
			while (plen[n] && isspace((unsigned char)start[n][plen[n] - 1]))
				plen[n]--;
			n++;
			from = i + 1;
		} else if (s[i] == '(' || s[i] == '[') {
			depth++;
		} else if (s[i] == ')' || s[i] == ']') {
			depth--;
		}
	}
	return n;
}

/* The parameter's name in a declaration like "const char *names[]" or "void (*fn)(int)". */
static void param_name(const char *p, size_t len, char *name, size_t size)
{
	const char *star = NULL, *end;

	for (size_t i = 0; i + 1 < len; i++)
		if (p[i] == '(' && p[i + 1] == '*') {
			star = p + i + 2;
			break;
		}
	if (star) {
		end = star;
		while (end < p + len && (isalnum((unsigned char)*end) || *end == '_'))
			end++;
		snprintf(name, size, "%.*s", (int)(end - star), star);
		return;
	}
	end = p + len;
	if (end > p && end[-1] == ']')
		while (end > p && *end != '[')
			end--;
	const char *begin = end;
	while (begin > p && (isalnum((unsigned char)begin[-1]) || begin[-1] == '_'))
		begin--;
	snprintf(name, size, "%.*s", (int)(end - begin), begin);
}

static const char *blank_return(const char *type, char *buf, size_t size)
{
	char t[256];

	squeeze(t, type, strlen(type));
	if (strcmp(t, "void") == 0)
		return NULL;
	if (strchr(t, '*'))
		return "NULL";
	if (strcmp(t, "_Bool") == 0 || strcmp(t, "bool") == 0)
		return "false";
	if (strcmp(t, "int") == 0)
		return "ENOSYS";
	snprintf(buf, size, "(%.*s){0}", (int)(strlen(type) - (strlen(type) && type[strlen(type) - 1] == ' ')), type);
	return buf;
}

/*
 * Appends the blank definition of the prototype that starts at header line
 * `line` (aux: the compiler's view of it: "<ret> <name> (<types>)").
 */
static int blank_function(struct buf *b, char **lines, size_t nlines, long line,
			  const char *aux)
{
	char text[4096] = "", name[128], ret[256], auxtypes[2048];
	const char *open_paren, *aux_paren = strstr(aux, " (");
	size_t tlen = 0;
	const char *ps[32], *as[32];
	size_t pl[32], al[32], np, na;
	int depth = 0;
	const char *close_paren = NULL;

	if (!aux_paren || line < 1 || (size_t)line > nlines)
		return -1;
	/* aux: "int queue_init (struct job_queue *, size_t)" */
	const char *name_end = aux_paren, *name_start = aux_paren;
	while (name_start > aux && name_start[-1] != ' ' && name_start[-1] != '*')
		name_start--;
	snprintf(name, sizeof(name), "%.*s", (int)(name_end - name_start), name_start);
	snprintf(ret, sizeof(ret), "%.*s", (int)(name_start - aux), aux);
	snprintf(auxtypes, sizeof(auxtypes), "%s", aux_paren + 2);
	auxtypes[strlen(auxtypes) > 0 ? strlen(auxtypes) - 1 : 0] = '\0';	/* the ')' */
	/* The header's text from that line to the ';'. */
	for (size_t i = (size_t)line - 1; i < nlines && tlen + strlen(lines[i]) + 2 < sizeof(text); i++) {
		tlen += (size_t)snprintf(text + tlen, sizeof(text) - tlen, "%s\n", lines[i]);
		if (strchr(lines[i], ';'))
			break;
	}
	open_paren = strstr(text, name);
	if (!open_paren)
		return -1;
	open_paren = strchr(open_paren + strlen(name), '(');
	if (!open_paren)
		return -1;
	for (const char *c = open_paren; *c; c++) {
		if (*c == '(')
			depth++;
		else if (*c == ')' && --depth == 0) {
			close_paren = c;
			break;
		}
	}
	if (!close_paren)
		return -1;
	np = split_params(open_paren + 1, (size_t)(close_paren - open_paren - 1), ps, pl, 32);
	na = split_params(auxtypes, strlen(auxtypes), as, al, 32);
	/* The definition: the header's words up to '(', then the parameters, named. */
	const char *head = text;
	if (strncmp(head, "extern ", 7) == 0)
		head += 7;
	put(b, "%.*s(", (int)(open_paren - head), head);
	char names[32][128];
	size_t nnames = 0;
	for (size_t i = 0; i < np; i++) {
		char sp[512], sa[512];

		squeeze(sp, ps[i], pl[i]);
		if (np == 1 && strcmp(sp, "void") == 0) {
			put(b, "void");
			break;
		}
		squeeze(sa, i < na ? as[i] : "", i < na ? al[i] : 0);
		put(b, "%s", i ? ", " : "");
		if (strcmp(sp, sa) == 0) {	/* unnamed in the header: give it one */
			snprintf(names[nnames], sizeof(names[0]), "arg%zu", i + 1);
			put(b, "%.*s %s", (int)pl[i], ps[i], names[nnames]);
		} else {
			param_name(ps[i], pl[i], names[nnames], sizeof(names[0]));
			put(b, "%.*s", (int)pl[i], ps[i]);
		}
		if (strcmp(sp, "...") != 0 && names[nnames][0])
			nnames++;
	}
	put(b, ")\n{\n");
	for (size_t i = 0; i < nnames; i++)
		put(b, "\t(void)%s;\n", names[i]);
	char rbuf[300];
	const char *r = blank_return(ret, rbuf, sizeof(rbuf));
	if (r)
		put(b, "\treturn %s;\n", r);
	put(b, "}\n\n");
	return 0;
}

int interview_blank(const struct chapter *ch, char **out)
{
	char aux_path[] = "/tmp/threadclinic-aux-XXXXXX", cmd[2048], *aux, *header, *save;
	char **lines = NULL;
	size_t nlines = 0, functions = 0;
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	struct buf b = { 0 };
	const char *hname = strrchr(ch->header, '/') + 1;
	int fd = mkstemp(aux_path);

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s -std=gnu11 -pthread -fsyntax-only -aux-info %s -I %s "
		 "-I harness/world -I harness/lib -x c %s", cc, aux_path, ch->dir, ch->header);
	if (system(cmd) != 0 || !(aux = read_text(aux_path, NULL))) {
		fprintf(stderr, "interview: %s does not compile on its own: %s\n", ch->header, cmd);
		unlink(aux_path);
		return -1;
	}
	unlink(aux_path);
	header = read_text(ch->header, NULL);
	if (!header) {
		free(aux);
		return -1;
	}
	for (char *l = header; l; ) {
		char *nl = strchr(l, '\n');

		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		lines[nlines++] = l;
		if (nl)
			*nl = '\0';
		l = nl ? nl + 1 : NULL;
	}
	put(&b, "/*\n * %s - interview mode: a blank implementation of %s.\n"
	    " *\n * Every function of the contract is here and does nothing yet. Write them\n"
	    " * from the header's clauses; make grade CH=%.2s (or make watch) shows the\n"
	    " * clock. make reset CH=%.2s brings back the file you had before.\n */\n"
	    "#include <errno.h>\n#include <stdbool.h>\n#include <stddef.h>\n\n#include \"%s\"\n\n",
	    strrchr(ch->source, '/') + 1, hname, ch->id, ch->id, hname);
	char marker[512];
	snprintf(marker, sizeof(marker), "/* %s:", ch->header);
	for (char *l = strtok_r(aux, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *decl;
		long line;

		/* "/" "* chapters/03-worker-pool/pool.h:101:NC *" "/ extern int queue_init (...);" */
		if (strncmp(l, marker, strlen(marker)) != 0 || !strstr(l, ":NC */ extern "))
			continue;
		line = strtol(l + strlen(marker), NULL, 10);
		decl = strstr(l, ":NC */ extern ") + strlen(":NC */ extern ");
		decl[strcspn(decl, ";")] = '\0';
		if (blank_function(&b, lines, nlines, line, decl) != 0) {
			fprintf(stderr, "interview: cannot read the prototype at %s:%ld\n", ch->header, line);
			continue;
		}
		functions++;
	}
	free(lines);
	free(header);
	free(aux);
	if (functions == 0) {
		fprintf(stderr, "interview: %s declares no function\n", ch->header);
		free(b.text);
		return -1;
	}
	*out = b.text;
	return 0;
}
static void clock_text(char *buf, size_t size, long secs)
{
	if (secs < 0)
		secs = -secs;
	snprintf(buf, size, "%ld:%02ld", secs / 60, secs % 60);
}

int interview_start(const struct chapter *ch, int minutes)
{
	json_t *old = json_load_file(INTERVIEW_FILE, 0, NULL), *st, *p, *c, *list;
	char saved[1024], *blank = NULL;
	time_t now = time(NULL);

	if (minutes <= 0)
		minutes = 45;
	if (old && !json_object_get(old, "finished")) {
		fprintf(stderr, "interview: an interview of %s is on; make reset CH=%.2s ends it first\n",
			json_string_value(json_object_get(old, "chapter")),
			json_string_value(json_object_get(old, "chapter")));
		json_decref(old);
		return -1;
	}
	if (old)
		printf("(your file from the interview of %s stays in %s)\n",
		       json_string_value(json_object_get(old, "chapter")),
		       json_string_value(json_object_get(old, "backup")));
	json_decref(old);
	if (interview_blank(ch, &blank) != 0)
		return -1;
	if (backup_file(ch->source, ch, "interview", saved, sizeof(saved)) != 0) {
		fprintf(stderr, "interview: cannot back up %s; nothing changed\n", ch->source);
		free(blank);
		return -1;
	}
	if (write_text(ch->source, blank, strlen(blank)) != 0) {
		fprintf(stderr, "interview: cannot write %s\n", ch->source);
		free(blank);
		return -1;
	}
	free(blank);
	st = json_pack("{s:s, s:I, s:i, s:s}", "chapter", ch->id, "started", (json_int_t)now,
		       "minutes", minutes, "backup", saved);
	make_dirs(STATE_DIR);
	json_dump_file(st, INTERVIEW_FILE, JSON_INDENT(2));
	json_decref(st);
	p = progress_load();
	c = progress_chapter(p, ch->id);
	list = json_object_get(c, "interviews");
	if (!list) {
		list = json_array();
		json_object_set_new(c, "interviews", list);
	}
	json_array_append_new(list, json_pack("{s:I, s:i}", "started", (json_int_t)now, "minutes", minutes));
	progress_save(p);
	json_decref(p);
	printf("interview of %s: %d minutes from now.\n"
	       "  your file is kept as %s\n"
	       "  %s now holds every function of %s, each doing nothing.\n"
	       "  make watch CH=%.2s (or make grade CH=%.2s) grades it and shows the clock;\n"
	       "  make reset CH=%.2s brings your file back.\n",
	       ch->id, minutes, saved, ch->source, ch->header, ch->id, ch->id, ch->id);
	return 0;
}

void interview_clock(const char *chapter_id)
{
	json_t *st = json_load_file(INTERVIEW_FILE, 0, NULL);
	const char *id = json_string_value(json_object_get(st, "chapter"));
	long started = (long)json_integer_value(json_object_get(st, "started"));
	long limit = 60L * json_integer_value(json_object_get(st, "minutes"));
	long left = started + limit - (long)time(NULL);
	char t[32], total[32];

	if (!id || json_object_get(st, "finished") || (chapter_id && strcmp(chapter_id, id) != 0)) {
		json_decref(st);
		return;
	}
	clock_text(t, sizeof(t), left);
	clock_text(total, sizeof(total), limit);
	if (left >= 0)
		printf("interview %s: %s of %s left\n", id, t, total);
	else
		printf("interview %s: time is up (%s over the %s); keep going, the time to full marks is still recorded\n",
		       id, t, total);
	fflush(stdout);
	json_decref(st);
}

void interview_full(json_t *progress, const char *id)
{
	json_t *st = json_load_file(INTERVIEW_FILE, 0, NULL), *list, *last;
	const char *sid = json_string_value(json_object_get(st, "chapter"));
	long secs;
	char t[32];

	if (!sid || strcmp(sid, id) != 0 || json_object_get(st, "finished")) {
		json_decref(st);
		return;
	}
	secs = (long)time(NULL) - (long)json_integer_value(json_object_get(st, "started"));
	json_object_set_new(st, "finished", json_integer((json_int_t)time(NULL)));
	json_object_set_new(st, "seconds_to_full", json_integer(secs));
	json_dump_file(st, INTERVIEW_FILE, JSON_INDENT(2));
	list = json_object_get(progress_chapter(progress, id), "interviews");
	if (!list) {
		list = json_array();
		json_object_set_new(progress_chapter(progress, id), "interviews", list);
	}
	last = json_array_get(list, json_array_size(list) ? json_array_size(list) - 1 : 0);
	if (!last) {
		last = json_object();
		json_array_append_new(list, last);
	}
	json_object_set_new(last, "seconds_to_full", json_integer(secs));
	clock_text(t, sizeof(t), secs);
	printf("interview %s: full marks in %s (of %lld minutes); recorded in progress\n", id, t,
	       (long long)json_integer_value(json_object_get(st, "minutes")));
	json_decref(st);
}
