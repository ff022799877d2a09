#define _GNU_SOURCE
#include "policy.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/* Calls that reach outside the exercise; a trailing '*' matches a prefix. */
static const char *const denied_calls[] = {
	"fork", "vfork", "clone", "clone3", "execve", "execv", "execvp", "execvpe",
	"execl", "execlp", "execle", "fexecve", "system", "popen", "posix_spawn*",
	"daemon", "socket", "socketpair", "connect", "bind", "listen", "accept*",
	"sendto", "sendmsg", "getaddrinfo", "fopen", "fopen64", "freopen*", "open",
	"open64", "openat", "openat64", "__open*", "creat", "creat64", "unlink",
	"unlinkat", "remove", "rename", "renameat*", "truncate", "ftruncate",
	"mkdir", "rmdir", "chdir", "chmod", "chown", "symlink", "link", "opendir",
	"dlopen", "dlsym", "dlvsym", "dlmopen", "syscall", "ptrace", "prctl",
	"setrlimit", "setrlimit64", "prlimit", "prlimit64", "setpriority", "nice",
	"setuid", "setgid", "seteuid", "setresuid", "unshare", "setns", "mount",
	"clock_settime", "settimeofday", "adjtime", "kill", "killpg", "__tsan_*", "__asan_*", "__lsan_*", "__msan_*", "__ubsan_*",
	"__sanitizer_*", "__interceptor_*", "getenv", "secure_getenv", "setenv",
	"putenv", "unsetenv", "mprotect", "pkey_*",
	/* The perturbation layer (harness/lib/perturb.h) and what it wraps. */
	"perturb_*", "__real_*", "__wrap_*",
	NULL,
};

bool policy_call_denied(const char *name)
{
	for (const char *const *d = denied_calls; *d; d++) {
		size_t len = strlen(*d);

		if ((*d)[len - 1] == '*' ? strncmp(name, *d, len - 1) == 0 : strcmp(name, *d) == 0)
			return true;
	}
	return false;
}

/* The text of every header in the chapter directory, concatenated. */
static char *chapter_headers(const struct workspace *w)
{
	DIR *d = opendir(w->chapter->header_dir);
	struct dirent *e;
	char *all = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&all, &n);

	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *path, *text;

		if (len < 3 || strcmp(e->d_name + len - 2, ".h"))
			continue;
		if (asprintf(&path, "%s/%s", w->chapter->header_dir, e->d_name) < 0)
			continue;
		text = read_text(path, 1 << 20);
		if (text)
			fputs(text, out);
		free(text);
		free(path);
	}
	if (d)
		closedir(d);
	fclose(out);
	return all;
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* True when text has `name` as a whole identifier (a header declares it). */
static bool declares(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = text; p && (p = strstr(p, name)) != NULL; p += len)
		if ((p == text || !is_ident_char(p[-1])) && !is_ident_char(p[len]))
			return true;
	return false;
}

/* Line number of the first use of identifier `name` in source, or 0. */
static int line_of(const char *source, const char *name)
{
	size_t len = strlen(name);
	int line = 1;

	for (const char *p = source; *p; p++) {
		if (*p == '\n')
			line++;
		if (strncmp(p, name, len) == 0 && (p == source || !is_ident_char(p[-1])) &&
		    !is_ident_char(p[len]))
			return line;
	}
	return 0;
}

/* Runs a tool and returns its output (malloc'd), or NULL on failure. */
static char *tool_output(const struct workspace *w, const char *const *argv)
{
	struct proc_opts o = { .timeout_s = 60, .output_cap = 1 << 20,
			       .big_address_space = true, .sandbox = &w->sandbox };
	struct proc_result r;
	char *out;

	proc_run(argv, &o, &r);
	out = r.end == PROC_EXITED && r.code == 0 ? r.output : NULL;
	if (!out)
		free(r.output);
	free(r.stacks);
	return out;
}

/* Line number of position p in source. */
static int line_at(const char *source, const char *p)
{
	int line = 1;

	for (const char *q = source; q < p; q++)
		line += *q == '\n';
	return line;
}

/*
 * Includes may name system headers and the chapter's and the world's
 * headers, never a path with ".." or a leading '/': the workbook's tests and
 * solutions are not for the learner's compiler to read.
 */
static char *check_includes(const char *shown, const char *source)
{
	static const char *const directives[] = {
		"include", "include_next", "__has_include", "embed", "import", NULL,
	};
	char *message = NULL;

	for (const char *const *d = directives; *d && !message; d++)
		for (const char *p = source; (p = strstr(p, *d)) != NULL; p++) {
			const char *q = p + strlen(*d), *end;

			while (*q == ' ' || *q == '\t' || *q == '(')
				q++;
			if (*q != '"' && *q != '<')
				continue;
			end = strpbrk(q + 1, *q == '"' ? "\"\n" : ">\n");
			if (!end)
				continue;
			if (q[1] == '/' || memmem(q, (size_t)(end - q), "..", 2)) {
				asprintf(&message, "%s:%d: includes %.*s; include only system headers "
					 "and the chapter's own headers by name", shown,
					 line_at(source, p), (int)(end - q + 1), q);
				break;
			}
		}
	return message;
}

static char *check_source_text(const char *shown, const char *source)
{
	static const char *const banned[] = {
		"no_sanitize", "__asm__", "asm(", "asm (", "asm volatile", "constructor",
		"destructor", "#pragma GCC optimize", "__attribute__((section", NULL,
	};
	char *message = check_includes(shown, source);

	if (message)
		return message;
	for (const char *const *b = banned; *b; b++) {
		const char *hit = strstr(source, *b);

		if (!hit)
			continue;
		int line = 1;

		for (const char *p = source; p < hit; p++)
			line += *p == '\n';
		asprintf(&message, "%s:%d: uses '%s', which exercises may not use (sanitizer "
			 "switches, inline assembly, constructors and section tricks would "
			 "change what the grader measures)", shown, line, *b);
		return message;
	}
	return NULL;
}

char *policy_check_source(const struct workspace *w)
{
	char *message = NULL;

	for (size_t i = 0; i < w->chapter->nsources && !message; i++) {
		char *src, *shown, *source;

		if (asprintf(&src, "%s/%s", w->src_dir, w->chapter->sources[i]) < 0 ||
		    asprintf(&shown, "%s/%s", w->display_dir, w->chapter->sources[i]) < 0)
			break;
		source = read_text(src, 1 << 20);
		message = source ? check_source_text(shown, source) : NULL;
		free(source);
		free(src);
		free(shown);
	}
	return message;
}

char *policy_check(const struct workspace *w)
{
	char *headers = chapter_headers(w), *message = NULL;

	for (size_t i = 0; i < w->chapter->nsources && !message; i++) {
		const char *name = w->chapter->sources[i];
		char *src, *obj, *shown, *source, *defined, *undefined, *sections;

		if (asprintf(&src, "%s/%s", w->src_dir, name) < 0 ||
		    asprintf(&obj, "%s/policy-%zu.o", w->dir, i) < 0 ||
		    asprintf(&shown, "%s/%s", w->display_dir, name) < 0)
			break;
		source = read_text(src, 1 << 20);
		message = source ? check_source_text(shown, source) : NULL;
		if (!message) {
			char inc_world[4096], inc_lib[4096];
			const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";

			snprintf(inc_world, sizeof(inc_world), "-I%s/harness/world", w->root);
			snprintf(inc_lib, sizeof(inc_lib), "-I%s", w->chapter->header_dir);
			const char *compile[] = { cc, "-std=gnu11", "-pthread", "-c", inc_world,
						  inc_lib, "-o", obj, src, NULL };
			char *ok = tool_output(w, compile);

			free(ok);
		}
		{
			const char *nm_def[] = { "nm", "-P", "--defined-only", "-g", obj, NULL };
			const char *nm_undef[] = { "nm", "-P", "-u", obj, NULL };
			const char *readelf[] = { "readelf", "-S", "-W", obj, NULL };

			defined = message ? NULL : tool_output(w, nm_def);
			undefined = message ? NULL : tool_output(w, nm_undef);
			sections = message ? NULL : tool_output(w, readelf);
		}
		if (!message && (!defined || !undefined || !sections))
			asprintf(&message, "%s could not be inspected (nm/readelf failed)", shown);
		if (!message && (strstr(sections, ".init_array") || strstr(sections, ".ctors") ||
				 strstr(sections, ".fini_array") || strstr(sections, ".dtors")))
			asprintf(&message, "%s: defines code that runs before main() or after "
				 "exit() (a constructor or destructor); exercises may not", shown);
		for (char *save = NULL, *line = defined ? strtok_r(defined, "\n", &save) : NULL;
		     line && !message; line = strtok_r(NULL, "\n", &save)) {
			char sym[256], type;

			if (sscanf(line, "%255s %c", sym, &type) != 2)
				continue;
			if (sym[0] != '_' && headers && declares(headers, sym))
				continue;
			asprintf(&message, "%s:%d: defines '%s', which is not declared in the "
				 "chapter's header; make it static, or rename it (a global of another "
				 "name could replace part of the harness, the clock or the C library)",
				 shown, source ? line_of(source, sym) : 0, sym);
		}
		for (char *save = NULL, *line = undefined ? strtok_r(undefined, "\n", &save) : NULL;
		     line && !message; line = strtok_r(NULL, "\n", &save)) {
			char sym[256];

			if (sscanf(line, "%255s", sym) != 1)
				continue;
			if (!policy_call_denied(sym))
				continue;
			asprintf(&message, "%s:%d: calls %s(), which exercises may not use (it "
				 "reaches outside the exercise: processes, files, the network, "
				 "signals to the grader, limits or the sanitizers)", shown,
				 source ? line_of(source, sym) : 0, sym);
		}
		free(defined);
		free(undefined);
		free(sections);
		free(source);
		free(src);
		free(obj);
		free(shown);
	}
	free(headers);
	return message;
}
