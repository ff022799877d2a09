/*
 * inspect.c - the symbol policy's checks of what the compiler sees: the
 * preprocessed text of each build and the objects it compiles to
 */
#define _GNU_SOURCE
#include "inspect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "build.h"
#include "chapter.h"
#include "proc.h"

/* Builtins that reach into the caller's frames. */
static const char *const banned_identifiers[] = {
	"asm", "__asm", "__asm__", "_Pragma", "__builtin_frame_address",
	"__builtin_return_address", "__builtin_extract_return_addr", "__builtin_longjmp",
	"__builtin_setjmp", "__builtin_apply", "__builtin_apply_args", "__builtin_dwarf_cfa",
	"__builtin_unwind_init", "__builtin_eh_return", NULL,
};

/* Attributes that change what runs, where code lives, or what tools see. */
static const char *const banned_attributes[] = {
	"constructor", "destructor", "section", "alias", "weakref", "weak", "ifunc", "symver",
	"no_sanitize", "no_sanitize_thread", "no_sanitize_address", "no_sanitize_undefined",
	"no_instrument_function", "optimize", "target", "target_clones", "naked",
	"no_split_stack", "externally_visible", "retain", NULL,
};

/* The builds the gates make, as the preprocessor sees them. */
static const struct build_flags {
	const char *name;
	const char *flags[2];
} builds[] = {
	{ "the plain build", { "-O1", NULL } },
	{ "the Helgrind build (-O0)", { "-O0", NULL } },
	{ "the benchmark build (-O2)", { "-O2", NULL } },
	{ "the ThreadSanitizer build", { "-O1", "-fsanitize=thread" } },
	{ "the LeakSanitizer build", { "-O1", "-fsanitize=leak" } },
};

/* The compiler command of every build (build.h), then extra and src. */
static char *run_compiler_tool(const struct workspace *w, const char *const *extra,
			       const char *src)
{
	struct argv_list a = { 0 };
	char *out;

	workspace_compiler(&a, w);
	for (size_t i = 0; extra[i]; i++)
		argv_push(&a, extra[i]);
	argv_push(&a, src);
	out = tool_output(w, a.items, PP_CAP);
	argv_free(&a);
	return out;
}

/* What a preprocessed file says about its own lines and its includes. */
struct preprocessed {
	char *learner;		/* "<line>\t<text>\n" for each of the learner's lines */
	char *problem;		/* an include that is not allowed, or NULL */
};

/* True when path is one of the workbook's headers the learner may use. */
static bool workbook_header(const struct workspace *w, const char *path)
{
	char world[4096];
	size_t hl = strlen(w->chapter->header_dir);

	snprintf(world, sizeof(world), "%s/harness/world/", w->root);
	return (strncmp(path, w->chapter->header_dir, hl) == 0 && path[hl] == '/' &&
		!strchr(path + hl + 1, '/')) ||
	       (strncmp(path, world, strlen(world)) == 0 && !strchr(path + strlen(world), '/'));
}

/* "stdio.h" for "/usr/include/stdio.h", "sys/time.h" for a multiarch path. */
static const char *system_name(const char *path)
{
	const char *p = NULL;

	for (const char *q = path; (q = strstr(q, "/include/")) != NULL; q++)
		p = q + 9;
	if (!p)
		return path;
	if (strncmp(p, "x86_64-linux-gnu/", 17) == 0)
		p += 17;
	else if (strncmp(p, "aarch64-linux-gnu/", 18) == 0)
		p += 18;
	return p;
}

/*
 * Reads gcc -E output: keeps the learner's own lines (with their numbers)
 * and checks every file it pulls in.
 */
static void read_preprocessed(const struct workspace *w, const char *text, const char *src,
			      const char *shown, struct preprocessed *pp)
{
	char *all = NULL, current[4096] = "", refused[4096] = "";
	size_t n = 0;
	FILE *out = open_memstream(&all, &n);
	long line = 0;

	memset(pp, 0, sizeof(*pp));
	for (const char *p = text; p && *p && out;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (p[0] == '#' && p[1] == ' ' && isdigit((unsigned char)p[2])) {
			long number = strtol(p + 2, NULL, 10);
			const char *q1 = strchr(p, '"'), *q2 = q1 ? memchr(q1 + 1, '"', len - (size_t)(q1 - p) - 1) : NULL;
			char file[4096];
			bool entering = q2 && strstr(q2, " 1") == q2 + 1;
			bool from_learner = strcmp(current, src) == 0;
			bool system = q2 && memmem(q2, len - (size_t)(q2 - p), " 3", 2);

			if (q1 && q2 && (size_t)(q2 - q1 - 1) < sizeof(file)) {
				memcpy(file, q1 + 1, (size_t)(q2 - q1 - 1));
				file[q2 - q1 - 1] = '\0';
				if (entering && !refused[0] && file[0] != '<') {
					bool ok = strcmp(file, src) == 0 || workbook_header(w, file) ||
						  (system && (!from_learner ||
							      policy_header_allowed(system_name(file))));

					if (!ok)
						snprintf(refused, sizeof(refused), "%s",
							 system ? system_name(file) : file);
				}
				/* Back in the learner's file: the include was the line before. */
				if (refused[0] && !pp->problem && strcmp(file, src) == 0 && !entering)
					pp->problem = xasprintf("%s:%ld: includes %s; a learner file "
						"may include its chapter's headers, the world's, and "
						"standard headers (threads, strings, memory, time, "
						"stdio)", shown, number - 1, refused);
				snprintf(current, sizeof(current), "%s", file);
			}
			line = number;
			p = end ? end + 1 : p + len;
			continue;
		}
		if (strcmp(current, src) == 0) {
			if (len > 0)
				fprintf(out, "%ld\t%.*s\n", line, (int)len, p);
		}
		line++;
		p = end ? end + 1 : p + len;
	}
	if (out)
		fclose(out);
	pp->learner = all;
}

/*
 * The identifier at p, at bracket depth `depth`: sets *message when it is
 * banned, or names a banned attribute inside __attribute__ or [[ ]]; an
 * __attribute__ opens one at this depth (*attr_depth). Returns its length.
 */
/* _Atomic, __atomic_*, __sync_*, __c11_atomic_*: what C11 atomics become. */
static bool atomic_word(const char *word)
{
	return !strcmp(word, "_Atomic") || !strncmp(word, "__atomic_", 9) ||
	       !strncmp(word, "__sync_", 7) || !strncmp(word, "__c11_atomic", 12);
}

/*
 * Processor-specific builtins (__builtin_ia32_rdtsc, the ARM and PowerPC
 * families) and the cycle counters: no exercise needs them, and a cycle
 * counter times a loop past every clock the harness can discount, which
 * tells a run under a race tool from a run at full speed.
 */
static bool machine_word(const char *word)
{
	static const char *const prefixes[] = {
		"__builtin_ia32_", "__builtin_arm_", "__builtin_aarch64_", "__builtin_ppc_",
		"__builtin_riscv_", "__builtin_s390_", "__builtin_readcyclecounter",
		"__builtin_readsteadycounter", "__rdtsc", "_rdtsc", "__rdpmc", "_rdpmc", NULL,
	};

	for (const char *const *p = prefixes; *p; p++)
		if (!strncmp(word, *p, strlen(*p)))
			return true;
	return false;
}

static size_t check_word(const char *p, const char *shown, long line, int depth,
			 int *attr_depth, bool atomics, char **message)
{
	char word[128], bare[128];
	size_t len = 0;

	while (is_ident_char(p[len]) && len < sizeof(word) - 1) {
		word[len] = p[len];
		len++;
	}
	word[len] = '\0';
	snprintf(bare, sizeof(bare), "%s", word);
	if (len > 4 && !strncmp(bare, "__", 2) && !strcmp(bare + len - 2, "__")) {
		memmove(bare, bare + 2, len - 4);
		bare[len - 4] = '\0';
	}
	if (!strcmp(word, "__attribute__") || !strcmp(word, "__attribute"))
		*attr_depth = depth;
	else if (!atomics && atomic_word(word))
		*message = xasprintf("%s:%ld: uses %s; this chapter's contract keeps its state under "
				     "its lock, so it does not accept C11 atomics or the __atomic and "
				     "__sync builtins (a check and an act made of two atomic steps "
				     "can interleave where neither the race tools nor the tests can "
				     "see it); take the lock", shown, line, word);
	else if (machine_word(word))
		*message = xasprintf("%s:%ld: uses %s, a processor-specific builtin, which "
				     "exercises may not use (a cycle counter can time the grader's "
				     "runs apart; use clock_gettime() for time)", shown, line, word);
	else if (in_list(banned_identifiers, word))
		*message = xasprintf("%s:%ld: uses %s, which exercises may not use (inline "
				     "assembly and frame tricks reach past the harness)",
				     shown, line, word);
	else if (*attr_depth >= 0 && depth > *attr_depth && in_list(banned_attributes, bare))
		*message = xasprintf("%s:%ld: uses the attribute '%s', which exercises may not "
				     "use (it changes what runs, where code lives, or what the "
				     "tools see)", shown, line, bare);
	return len;
}

/* The first banned identifier or attribute in the learner's lines. */
static char *scan_tokens(const char *shown, const char *lines, bool atomics)
{
	char *message = NULL;
	int attr_depth = -1, depth = 0;
	long line = 0;

	for (const char *p = lines; *p && !message; p++) {
		if (p == lines || p[-1] == '\n') {
			line = strtol(p, (char **)&p, 10);
			if (strncmp(p + 1, "#pragma", 7) == 0 || strncmp(p + 1, "# pragma", 8) == 0) {
				message = xasprintf("%s:%ld: uses a #pragma, which exercises may not "
						    "use (it changes how the grader's builds treat your "
						    "code)", shown, line);
				break;
			}
			continue;
		}
		if (*p == '"' || *p == '\'') {
			char quote = *p;

			for (p++; *p && *p != quote && *p != '\n'; p++)
				if (*p == '\\' && p[1])
					p++;
			continue;
		}
		if (*p == '(' || *p == '[')
			depth++;
		if (*p == ')' || *p == ']') {
			depth--;
			if (depth <= attr_depth)
				attr_depth = -1;
		}
		if (*p == '[' && p[1] == '[')
			attr_depth = depth - 1;
		if (is_ident_char(*p) && (p == lines || !is_ident_char(p[-1])))
			p += check_word(p, shown, line, depth, &attr_depth, atomics, &message) - 1;
	}
	return message;
}

/* Preprocesses src in every build; checks includes, tokens and sameness. */
char *check_preprocessed(const struct workspace *w, const char *src, const char *shown)
{
	struct preprocessed first = { 0 };
	char *message = NULL;

	for (size_t b = 0; b < sizeof(builds) / sizeof(builds[0]) && !message; b++) {
		const char *extra[] = { "-E", builds[b].flags[0], builds[b].flags[1], NULL };
		char *text = run_compiler_tool(w, extra, src);
		struct preprocessed pp;

		if (!text) {
			message = xasprintf("%s could not be preprocessed for %s", shown,
					    builds[b].name);
			break;
		}
		read_preprocessed(w, text, src, shown, &pp);
		free(text);
		if (pp.problem) {
			message = pp.problem;
			pp.problem = NULL;
		} else if (b == 0) {
			message = scan_tokens(shown, pp.learner ? pp.learner : "",
					      chapter_allows_atomics(w->chapter));
		} else if (strcmp(pp.learner ? pp.learner : "", first.learner ? first.learner : "")) {
			const char *a = first.learner ? first.learner : "", *c = pp.learner ? pp.learner : "";

			while (*a && *a == *c)
				a++, c++;
			while (a > first.learner && a[-1] != '\n')
				a--;
			message = xasprintf("%s:%ld: reads differently in %s than in %s (code "
					    "that depends on the optimiser or on a tool, e.g. "
					    "__OPTIMIZE__ or __SANITIZE_THREAD__, would let the tools "
					    "watch other code than the one graded)", shown, strtol(a, NULL, 10),
					    builds[b].name, builds[0].name);
		}
		if (b == 0) {
			first = pp;
		} else {
			free(pp.learner);
			free(pp.problem);
		}
	}
	free(first.learner);
	free(first.problem);
	return message;
}

/*
 * The world functions the chapter's headers make available: functions (nm
 * type T) of the world's objects whose names the chapter's headers, or the
 * world headers they include directly, mention outside comments.
 */
char *allowed_world_text(const struct workspace *w)
{
	char *headers = concat_dir(w->chapter->header_dir, ".h"), *all = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&all, &n);

	if (!out)
		return headers;
	if (headers)
		fputs(headers, out);
	for (const char *p = headers; p && (p = strstr(p, "#include \"")) != NULL; p++) {
		char name[256], *path, *text;

		if (sscanf(p, "#include \"%255[^\"]\"", name) != 1 || strchr(name, '/'))
			continue;
		path = xasprintf("%s/harness/world/%s", w->root, name);
		text = read_text(path, 1 << 20);
		if (text)
			fputs(text, out);
		free(text);
		free(path);
	}
	fclose(out);
	free(headers);
	if (all)
		strip_comments(all);
	return all;
}

/* True when name is a world function (type T in world_symbols). */
static bool world_function(const char *world_symbols, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = world_symbols; p && (p = strstr(p, name)) != NULL; p += len)
		if ((p == world_symbols || p[-1] == '\n') && p[len] == ' ' && p[len + 1] == 'T')
			return true;
	return false;
}

/* Checks one object's symbols and sections. */
/* The first global the object defines that the chapter's headers do not declare. */
static char *undeclared_global(char *defined, const char *shown, const char *source,
			       const char *headers)
{
	for (char *save = NULL, *line = strtok_r(defined, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char sym[256], type;

		if (sscanf(line, "%255s %c", sym, &type) != 2)
			continue;
		if (sym[0] != '_' && headers && mentions(headers, sym))
			continue;
		return xasprintf("%s:%d: defines '%s', which is not declared in the chapter's "
				 "header; make it static, or rename it (a global of another name "
				 "could replace part of the harness, the clock or the C library)",
				 shown, line_of(source, sym), sym);
	}
	return NULL;
}

/* Of the names the object uses and may not, the one used first in the file. */
static char *refused_call(char *undefined, const char *shown, const char *source,
			  const char *world_text, const char *world_symbols)
{
	char first[256] = "";
	int first_line = 0;

	for (char *save = NULL, *line = strtok_r(undefined, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char sym[256];
		int at;

		if (sscanf(line, "%255s", sym) != 1 || policy_libc_allowed(sym) ||
		    (world_text && mentions(world_text, sym) && world_function(world_symbols, sym)))
			continue;
		at = line_of(source, sym);
		if (!first[0] || (at && (at < first_line || !first_line))) {
			snprintf(first, sizeof(first), "%s", sym);
			first_line = at;
		}
	}
	if (!first[0])
		return NULL;
	return xasprintf("%s:%d: uses '%s', which is not on the list of what exercises may call "
			 "(threads, semaphores, atomics, memory, strings, printing to "
			 "stdout/stderr, time, and the functions your chapter's header "
			 "includes); files, processes, the environment, the network and the "
			 "simulated world's own data are outside the exercise", shown,
			 first_line, first);
}

static char *check_object(const struct workspace *w, const char *obj, const char *shown,
			  const char *source, const char *headers, const char *world_text,
			  const char *world_symbols)
{
	const char *nm_def[] = { "nm", "-P", "--defined-only", "-g", obj, NULL };
	const char *nm_undef[] = { "nm", "-P", "-u", obj, NULL };
	const char *readelf[] = { "readelf", "-S", "-W", obj, NULL };
	char *defined = tool_output(w, nm_def, 1 << 20);
	char *undefined = tool_output(w, nm_undef, 1 << 20);
	char *sections = tool_output(w, readelf, 1 << 20);
	char *message = NULL;

	if (!defined || !undefined || !sections)
		message = xasprintf("%s could not be inspected (nm/readelf failed)", shown);
	else if (strstr(sections, ".init_array") || strstr(sections, ".ctors") ||
		 strstr(sections, ".fini_array") || strstr(sections, ".dtors") ||
		 strstr(sections, ".preinit_array"))
		message = xasprintf("%s: defines code that runs before main() or after exit() "
				    "(a constructor or destructor); exercises may not", shown);
	if (!message)
		message = undeclared_global(defined, shown, source, headers);
	if (!message)
		message = refused_call(undefined, shown, source, world_text, world_symbols);
	free(defined);
	free(undefined);
	free(sections);
	return message;
}

/* Compiles src at one optimisation level into out/ and checks the object. */
char *check_compiled(const struct workspace *w, const char *src, const char *shown,
		     const char *level, const char *source, const char *headers,
		     const char *world_text, const char *world_symbols)
{
	char *obj, *message, *ok;

	obj = xasprintf("%s/policy%s.o", w->out_dir, level);
	{
		const char *extra[] = { level, "-c", "-o", obj, NULL };

		ok = run_compiler_tool(w, extra, src);
	}
	if (!ok) {
		message = xasprintf("%s could not be compiled for inspection at %s", shown,
				    level);
	} else {
		message = check_object(w, obj, shown, source, headers, world_text, world_symbols);
	}
	free(ok);
	remove(obj);
	free(obj);
	return message;
}
