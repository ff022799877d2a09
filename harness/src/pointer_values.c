/*
 * pointer_values.c - the policy's check that a learner's file never reads
 * where its memory lies
 *
 * A program that can see an address as a number can tell the race tools'
 * allocators and stacks from the plain ones (ThreadSanitizer's heap starts
 * at 0x7b0000000000, Valgrind's thread stacks lie below 4 GiB) and behave
 * differently while it is watched. No exercise needs an address as a
 * number, so the file may not make one: clang's syntax tree of the file is
 * read, and these are refused with their line:
 *  - a conversion from a pointer to an integer, or from an integer other
 *    than the null constant to a pointer, written or implicit;
 *  - a view of a pointer's bytes as numbers: a cast from `T **` to a
 *    pointer to an arithmetic type, a `T **` handed to memcpy, memmove or
 *    memcmp, or a union with both a pointer member and an arithmetic member;
 *  - the difference of two pointers (how far apart two blocks from malloc
 *    lie tells one allocator from another: index arrays instead);
 *  - a "%p" conversion in a string (formatting a pointer into a buffer is
 *    the same number in other clothes).
 * The syntax tree is clang's text dump (`-Xclang -ast-dump`): each node is a
 * line, indented by depth, with its source range in the form clang prints
 * it (a file name only when the file changes, "line:" only when the line
 * changes, otherwise "col:"), so the reader follows that state line by line.
 */
#define _GNU_SOURCE
#include "inspect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "build.h"

/* Where the dump's reader stands: the file and line of the node it reads. */
struct dump_position {
	const char *learner;	/* the learner file's path, as clang was given it */
	bool in_learner;	/* the current node lies in the learner's file */
	long line;		/* its line, when in_learner */
};

/* A union being read: its depth, and which kinds of members it has. */
struct open_union {
	int depth;		/* -1: none */
	long line;
	bool pointer, arithmetic;
};

/*
 * Applies one location of the dump (at p: "line:N:C", "col:C", "<invalid
 * sloc>", or "<file>:N:C") to the position; returns where it ends.
 */
static const char *apply_location(struct dump_position *at, const char *p)
{
	size_t ll = strlen(at->learner);

	if (strncmp(p, "line:", 5) == 0) {
		if (at->in_learner)
			at->line = strtol(p + 5, NULL, 10);
	} else if (strncmp(p, "col:", 4) == 0 || p[0] == '<') {
		/* the same line; or no place at all */
	} else if (strncmp(p, at->learner, ll) == 0 && p[ll] == ':' && isdigit((unsigned char)p[ll + 1])) {
		at->in_learner = true;
		at->line = strtol(p + ll + 1, NULL, 10);
	} else {
		at->in_learner = false;	/* another file: a header */
	}
	return p;
}

/*
 * Reads the locations of one dump line: the range "<begin, end>" and the
 * node's own location after it. Returns the line of the node's beginning in
 * the learner's file, or 0 when it lies elsewhere.
 */
static long read_locations(struct dump_position *at, const char *line, const char *end)
{
	const char *open = memchr(line, '<', (size_t)(end - line)), *close;
	long begin_line;
	bool begin_in_learner;

	if (!open || open[1] == '<')	/* no range, or "<<invalid sloc>>" */
		return at->in_learner ? at->line : 0;
	apply_location(at, open + 1);
	begin_in_learner = at->in_learner;
	begin_line = at->line;
	close = memchr(open, '>', (size_t)(end - open));
	for (const char *c = open; c && close && (c = memmem(c, (size_t)(close - c), ", ", 2)); c += 2)
		apply_location(at, c + 2);
	if (close && close + 2 < end && close[1] == ' ' &&
	    (strncmp(close + 2, "line:", 5) == 0 || strncmp(close + 2, "col:", 4) == 0 ||
	     strncmp(close + 2, at->learner, strlen(at->learner)) == 0 || close[2] == '/'))
		apply_location(at, close + 2);
	return begin_in_learner ? begin_line : 0;
}

/* The node's depth: where its name starts after the tree's "| `-" drawing. */
static int node_depth(const char *line, const char *end)
{
	const char *p = line;

	while (p < end && strchr("|`- ", *p))
		p++;
	return (int)(p - line);
}

/*
 * The node's type, canonical when clang gives both ('uintptr_t':'unsigned
 * long' gives "unsigned long"), copied into buf.
 */
static void node_type(const char *line, const char *end, char *buf, size_t size)
{
	const char *q = memchr(line, '\'', (size_t)(end - line)), *e;

	buf[0] = '\0';
	if (!q || !(e = memchr(q + 1, '\'', (size_t)(end - q - 1))))
		return;
	if (e + 2 < end && e[1] == ':' && e[2] == '\'') {
		const char *f = memchr(e + 3, '\'', (size_t)(end - e - 3));

		if (f) {
			q = e + 2;
			e = f;
		}
	}
	snprintf(buf, size, "%.*s", (int)(e - q - 1), q + 1);
}

static bool is_pointer_type(const char *type)
{
	size_t n = strlen(type);

	return (n > 0 && type[n - 1] == '*') || strstr(type, "(*)") != NULL;
}

static bool is_pointer_to_pointer(const char *type)
{
	size_t n = strlen(type);

	return n >= 2 && type[n - 1] == '*' && (type[n - 2] == '*' ||
						  (n >= 3 && type[n - 2] == ' ' && type[n - 3] == '*'));
}

/* char, int, long, unsigned ..., _Bool, float, double, an enum: a number. */
static bool is_arithmetic_type(const char *type)
{
	static const char *const words[] = {
		"char", "short", "int", "long", "unsigned", "signed", "_Bool", "float",
		"double", "__int128", "enum ", NULL,
	};

	if (is_pointer_type(type) || strchr(type, '[') || strncmp(type, "struct ", 7) == 0 ||
	    strncmp(type, "union ", 6) == 0)
		return false;
	for (const char *const *w = words; *w; w++)
		if (strstr(type, *w))
			return true;
	return false;
}

/* A pointer to a number: "unsigned long *", "char *" (not "void *"). */
static bool is_pointer_to_arithmetic(const char *type)
{
	char pointee[256];
	size_t n = strlen(type);

	if (n < 2 || type[n - 1] != '*' || is_pointer_to_pointer(type))
		return false;
	snprintf(pointee, sizeof(pointee), "%.*s", (int)(n - 1), type);
	return is_arithmetic_type(pointee);
}

/* True when a string literal's text has a %p conversion ("%p", "%#18p"). */
static bool has_pointer_conversion(const char *text, const char *end)
{
	for (const char *p = text; p < end; p++) {
		if (*p != '%')
			continue;
		p++;
		if (p < end && *p == '%')
			continue;
		while (p < end && strchr("-+ #0123456789.*'", *p))
			p++;
		if (p < end && *p == 'p')
			return true;
	}
	return false;
}

static char *refusal(const char *shown, long line, const char *what)
{
	return xasprintf("%s:%ld: %s; exercises may not turn an address into a number (a "
			 "program that can see where its memory lies can tell when a race tool "
			 "is watching). Keep pointers as pointers: to give a thread a number, "
			 "pass a pointer to a struct or an array element that holds it",
			 shown, line, what);
}

/* The calls the reader is inside: each CallExpr's depth and callee. */
struct call_stack {
	struct {
		int depth;
		char callee[64];
	} at[64];
	int n;
};

/* Follows CallExpr nodes and the first function name under each. */
static void track_calls(struct call_stack *calls, int depth, const char *text, const char *end)
{
	const char *f;

	while (calls->n > 0 && depth <= calls->at[calls->n - 1].depth)
		calls->n--;
	if (memmem(text, (size_t)(end - text), "CallExpr ", 9) && calls->n < 64) {
		calls->at[calls->n].depth = depth;
		calls->at[calls->n++].callee[0] = '\0';
	} else if (calls->n > 0 && !calls->at[calls->n - 1].callee[0] &&
		   memmem(text, (size_t)(end - text), "DeclRefExpr ", 12) &&
		   (f = memmem(text, (size_t)(end - text), " Function 0x", 12)) != NULL &&
		   (f = memchr(f, '\'', (size_t)(end - f))) != NULL) {
		const char *e = memchr(f + 1, '\'', (size_t)(end - f - 1));

		if (e)
			snprintf(calls->at[calls->n - 1].callee, 64, "%.*s", (int)(e - f - 1), f + 1);
	}
}

/* True when the innermost call is memcpy, memmove, memcmp or a variant. */
static bool inside_memory_call(const struct call_stack *calls)
{
	const char *callee = calls->n > 0 ? calls->at[calls->n - 1].callee : "";

	return strstr(callee, "memcpy") || strstr(callee, "memmove") || strstr(callee, "memcmp") ||
	       strstr(callee, "mempcpy") || strstr(callee, "bcmp") || strstr(callee, "bcopy");
}

/* The refusal for one node of the learner's file, or NULL. */
static char *check_node(const char *shown, long line, const char *text, const char *end,
			const char *next, const char *next_end, const struct call_stack *calls)
{
	char type[256], child[256];

	if (memmem(text, (size_t)(end - text), "<PointerToIntegral>", 19))
		return refusal(shown, line, "converts a pointer to an integer");
	if (memmem(text, (size_t)(end - text), "<IntegralToPointer>", 19))
		return refusal(shown, line, "converts an integer to a pointer");
	if (memmem(text, (size_t)(end - text), "<BitCast>", 9) && next) {
		node_type(text, end, type, sizeof(type));
		node_type(next, next_end, child, sizeof(child));
		if (is_pointer_to_pointer(child) && is_pointer_to_arithmetic(type))
			return refusal(shown, line, "reads a pointer's bytes as numbers");
		if (is_pointer_to_pointer(child) && inside_memory_call(calls))
			return refusal(shown, line, "copies or compares a pointer's bytes");
	}
	if (memmem(text, (size_t)(end - text), "BinaryOperator ", 15) && end - text > 4 &&
	    strncmp(end - 4, " '-'", 4) == 0 && next) {
		node_type(text, end, type, sizeof(type));
		node_type(next, next_end, child, sizeof(child));
		if (!is_pointer_type(type) && is_pointer_type(child))
			return refusal(shown, line, "subtracts two pointers (index the array "
				       "instead)");
	}
	if (memmem(text, (size_t)(end - text), "StringLiteral ", 14)) {
		const char *q = memchr(text, '"', (size_t)(end - text));

		if (q && has_pointer_conversion(q, end))
			return refusal(shown, line, "formats a pointer with %p");
	}
	return NULL;
}

/* Follows a union's members; a refusal when it mixes pointers and numbers. */
static char *check_union(struct open_union *u, const char *shown, int depth,
			 const char *text, const char *end, long line)
{
	char type[256];

	if (u->depth >= 0 && depth <= u->depth) {
		bool both = u->pointer && u->arithmetic;

		u->depth = -1;
		if (both)
			return refusal(shown, u->line, "declares a union of a pointer and a number");
	}
	if (line && memmem(text, (size_t)(end - text), "RecordDecl ", 11) &&
	    memmem(text, (size_t)(end - text), " union", 6) && u->depth < 0) {
		*u = (struct open_union){ .depth = depth, .line = line };
	} else if (u->depth >= 0 && depth == u->depth + 2 &&
		   memmem(text, (size_t)(end - text), "FieldDecl ", 10)) {
		node_type(text, end, type, sizeof(type));
		u->pointer |= is_pointer_type(type);
		u->arithmetic |= is_arithmetic_type(type);
	}
	return NULL;
}

char *scan_pointer_values(const char *dump, const char *learner, const char *shown)
{
	struct dump_position at = { .learner = learner };
	struct open_union u = { .depth = -1 };
	struct call_stack calls = { .n = 0 };
	char *message = NULL;

	for (const char *line = dump; *line && !message;) {
		const char *end = strchrnul(line, '\n');
		const char *next = *end ? end + 1 : NULL;
		const char *next_end = next ? strchrnul(next, '\n') : NULL;
		long where = read_locations(&at, line, end);
		int depth = node_depth(line, end);

		track_calls(&calls, depth, line, end);
		message = check_union(&u, shown, depth, line, end, where);
		if (!message && where)
			message = check_node(shown, where, line, end, next && *next ? next : NULL,
					     next_end, &calls);
		line = *end ? end + 1 : end;
	}
	if (!message && u.depth >= 0 && u.pointer && u.arithmetic)
		message = refusal(shown, u.line, "declares a union of a pointer and a number");
	return message;
}

char *check_pointer_values(const struct workspace *w, const char *src, const char *shown)
{
	static const char *const extra[] = {
		"-fsyntax-only", "-w", "-fno-color-diagnostics", "-Xclang", "-ast-dump", NULL,
	};
	struct argv_list a = { 0 };
	char *dump, *message;

	workspace_compiler(&a, w);
	a.items[0] = "clang";	/* the same command, read by clang */
	for (size_t i = 0; extra[i]; i++)
		argv_push(&a, extra[i]);
	argv_push(&a, src);
	dump = tool_output(w, a.items, PP_CAP);
	argv_free(&a);
	if (!dump)
		return xasprintf("%s: the grader could not read the file's syntax tree with clang "
				 "(not your code: is clang installed? `make deps`)", shown);
	message = scan_pointer_values(dump, src, shown);
	free(dump);
	return message;
}
