#define _GNU_SOURCE
#include "policy.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "inspect.h"
#include "proc.h"

/* The fixed part of the allow-list; a trailing '*' matches a prefix. */
static const char *const libc_allowed[] = {
	/* threads and synchronisation */
	"pthread_*", "sem_init", "sem_destroy", "sem_wait", "sem_trywait", "sem_timedwait",
	"sem_clockwait", "sem_post", "sem_getvalue", "sched_yield", "__atomic_*", "__sync_*",
	"sysconf", "get_nprocs", "get_nprocs_conf", "getpid", "gettid",
	/* memory */
	"malloc", "calloc", "realloc", "reallocarray", "free", "aligned_alloc",
	"posix_memalign", "memalign",
	/* strings and conversions */
	"memcpy", "memmove", "memset", "memcmp", "memchr", "memrchr", "memmem", "mempcpy",
	"__memcpy_chk", "__memmove_chk", "__memset_chk", "__mempcpy_chk", "strlen", "strnlen",
	"strcpy", "strncpy", "strcat", "strncat", "strcmp", "strncmp", "strchr", "strrchr",
	"strchrnul", "strstr", "strcasestr", "strtok", "strtok_r", "strspn", "strcspn",
	"strpbrk", "strcasecmp", "strncasecmp", "strerror_r", "strsep", "strdup", "strndup",
	"strtol", "strtoul", "strtoll", "strtoull", "strtod", "strtof", "strtold", "strcoll",
	"__strcpy_chk", "__strncpy_chk", "__strcat_chk", "__strncat_chk", "__strdup",
	"__strndup", "stpcpy", "stpncpy", "__stpcpy_chk", "__rawmemchr",
	"__xpg_strerror_r", "strerror", "atoi", "atol", "atoll", "sscanf", "__isoc99_sscanf",
	"vsscanf", "__isoc99_vsscanf", "abs", "labs", "llabs", "div", "ldiv", "qsort",
	"qsort_r", "bsearch", "rand", "rand_r", "srand", "random", "srandom", "tolower",
	"toupper", "__ctype_b_loc", "__ctype_tolower_loc", "__ctype_toupper_loc",
	/* formatting to stdout and stderr */
	"printf", "fprintf", "vprintf", "vfprintf", "puts", "fputs", "putchar", "fputc",
	"putc", "_IO_putc", "fwrite", "fflush", "perror", "snprintf", "sprintf",
	"vsnprintf", "vsprintf", "flockfile", "funlockfile", "putchar_unlocked",
	"fputc_unlocked", "fwrite_unlocked", "__printf_chk", "__fprintf_chk",
	"__vprintf_chk", "__vfprintf_chk", "__snprintf_chk", "__sprintf_chk",
	"__vsnprintf_chk", "__vsprintf_chk", "__overflow", "stdout", "stderr",
	/* time */
	"clock_gettime", "clock_getres", "nanosleep", "clock_nanosleep", "usleep", "sleep",
	"time", "gettimeofday", "difftime", "localtime_r", "gmtime_r", "mktime", "strftime",
	/* ending */
	"exit", "_exit", "_Exit", "abort", "__assert_fail", "__stack_chk_fail",
	"__errno_location",
	/* signals within the process (chapter 08), self-pipes */
	"sigemptyset", "sigfillset", "sigaddset", "sigdelset", "sigismember", "sigwait",
	"sigwaitinfo", "sigtimedwait", "sigprocmask", "sigaction", "signal", "raise", "pause",
	"pipe", "pipe2", "eventfd", "read", "write", "close", "poll",
	/* maths, and what the compiler calls for it */
	"sqrt", "pow", "fabs", "floor", "ceil", "round", "lround", "log", "exp", "fmin", "fmax",
	"__udivti3", "__umodti3", "__divti3", "__modti3", "__muloti4", "__popcountdi2",
	NULL,
};

/* Standard headers a learner file may include by name. */
static const char *const headers_allowed[] = {
	"assert.h", "ctype.h", "errno.h", "inttypes.h", "limits.h", "math.h", "pthread.h",
	"sched.h", "semaphore.h", "signal.h", "stdalign.h", "stdarg.h", "stdatomic.h",
	"stdbool.h", "stddef.h", "stdint.h", "stdio.h", "stdlib.h", "stdnoreturn.h",
	"string.h", "strings.h", "time.h", "unistd.h", "sys/types.h", "sys/time.h",
	"sys/sysinfo.h", "sys/eventfd.h", "poll.h", "iso646.h", "float.h", "threads.h",
	NULL,
};

bool in_list(const char *const *list, const char *name)
{
	for (const char *const *d = list; *d; d++) {
		size_t len = strlen(*d);

		if ((*d)[len - 1] == '*' ? strncmp(name, *d, len - 1) == 0 : strcmp(name, *d) == 0)
			return true;
	}
	return false;
}

bool policy_libc_allowed(const char *name)
{
	return strcmp(name, "pthread_atfork") != 0 && in_list(libc_allowed, name);
}

bool policy_header_allowed(const char *name)
{
	return in_list(headers_allowed, name);
}

bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

char *concat_dir(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *all = NULL;
	size_t n = 0, slen = strlen(suffix);
	FILE *out = open_memstream(&all, &n);

	while (out && d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *path, *text;

		if (len <= slen || strcmp(e->d_name + len - slen, suffix))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		text = read_text(path, 1 << 20);
		if (text)
			fputs(text, out);
		free(text);
		free(path);
	}
	if (d)
		closedir(d);
	if (out)
		fclose(out);
	return all;
}

void strip_comments(char *text)
{
	for (char *p = text; p && *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			char *end = strstr(p + 2, "*/");
			char *stop = end ? end + 2 : p + strlen(p);

			for (char *q = p; q < stop; q++)
				if (*q != '\n')
					*q = ' ';
			p = stop - 1;
		} else if (p[0] == '/' && p[1] == '/') {
			while (*p && *p != '\n')
				*p++ = ' ';
			p--;
		}
	}
}

bool mentions(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = text; p && (p = strstr(p, name)) != NULL; p += len)
		if ((p == text || !is_ident_char(p[-1])) && !is_ident_char(p[len]))
			return true;
	return false;
}

int line_of(const char *source, const char *name)
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

static int line_at(const char *source, const char *p)
{
	int line = 1;

	for (const char *q = source; q < p; q++)
		line += *q == '\n';
	return line;
}

char *tool_output(const struct workspace *w, const char *const *argv, size_t cap)
{
	struct proc_opts o = { .timeout_s = 60, .output_cap = cap, .cwd = w->out_dir,
			       .big_address_space = true, .sandbox = &w->sandbox };
	struct proc_result r;
	char *out;

	proc_run(argv, &o, &r);
	out = r.end == PROC_EXITED && r.code == 0 && !r.output_dropped ? r.output : NULL;
	if (!out)
		free(r.output);
	free(r.stacks);
	return out;
}

/*
 * Includes in the text may name system headers and the chapter's and the
 * world's headers, never a path with ".." or a leading '/'.
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
				message = xasprintf("%s:%d: includes %.*s; include only system "
						    "headers and the chapter's own headers by name", shown,
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
		message = xasprintf("%s:%d: uses '%s', which exercises may not use (sanitizer "
				    "switches, inline assembly, constructors and section tricks would "
				    "change what the grader measures)", shown, line_at(source, hit),
				    *b);
		return message;
	}
	return NULL;
}

/* The learner's file i of the workspace: its copy, its shown name, its text. */
struct learner_file {
	char *src;		/* the copy in the workspace */
	char *shown;		/* the name the learner knows */
	char *source;		/* its text, comments blanked out; NULL if unreadable */
};

static void learner_file_open(const struct workspace *w, size_t i, struct learner_file *f)
{
	f->src = xasprintf("%s/%s", w->src_dir, w->chapter->sources[i]);
	f->shown = xasprintf("%s/%s", w->display_dir, w->chapter->sources[i]);
	f->source = read_text(f->src, 1 << 20);
	if (f->source)
		strip_comments(f->source);	/* a comment may say anything */
}

static void learner_file_close(struct learner_file *f)
{
	free(f->source);
	free(f->src);
	free(f->shown);
}

char *policy_check_source(const struct workspace *w)
{
	char *message = NULL;

	for (size_t i = 0; i < w->chapter->nsources && !message; i++) {
		struct learner_file f;

		learner_file_open(w, i, &f);
		message = f.source ? check_source_text(f.shown, f.source) : NULL;
		learner_file_close(&f);
	}
	return message;
}

char *policy_check(struct workspace *w)
{
	char *headers = concat_dir(w->chapter->header_dir, ".h");
	char *world_text = allowed_world_text(w);
	char *world_symbols = workspace_world_symbols(w), *message = NULL;

	if (!world_symbols)
		message = xstrdup("the grader could not list the simulated world's functions "
				  "(not your code: report it)");
	for (size_t i = 0; i < w->chapter->nsources && !message; i++) {
		struct learner_file f;

		learner_file_open(w, i, &f);
		message = f.source ? check_source_text(f.shown, f.source) : xstrdup("cannot read");
		if (!message)
			message = check_preprocessed(w, f.src, f.shown);
		if (!message)
			message = check_pointer_values(w, f.src, f.shown);
		if (!message)
			message = check_compiled(w, f.src, f.shown, "-O0", f.source, headers,
						 world_text, world_symbols);
		if (!message)
			message = check_compiled(w, f.src, f.shown, "-O2", f.source, headers,
						 world_text, world_symbols);
		learner_file_close(&f);
	}
	free(headers);
	free(world_text);
	free(world_symbols);
	return message;
}
