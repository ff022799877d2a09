/*
 * build.c - the workspace's binaries: the compiler command, one flavour's
 * flags and sources, the cache of the harness's objects, and installing
 * what was built where the learner's runs cannot replace it
 */
#define _GNU_SOURCE
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "../lib/heapcount.h"
#include "../lib/perturb.h"
#include "files.h"
#include "proc.h"
#include "stamp.h"

#define BUILD_TIMEOUT_S 120

const struct flavor_info flavor_table[FLAVOR_COUNT] = {
	[FLAVOR_SUITE] = { "suite", "the Criterion suite" },
	[FLAVOR_TSAN] = { "tsan_driver", "the ThreadSanitizer driver" },
	[FLAVOR_HELGRIND] = { "helgrind_driver", "the Helgrind driver" },
	[FLAVOR_BENCH] = { "bench", "the benchmark" },
	[FLAVOR_TSAN_BENCH] = { "tsan_bench", "the ThreadSanitizer benchmark" },
	[FLAVOR_LEAKS] = { "leak_driver", "the leak driver" },
	[FLAVOR_COLLIDER] = { "collider_driver", "the full-speed race driver" },
};

static void push_path(struct argv_list *a, const char *dir, const char *name)
{
	char *path;

	path = xasprintf("%s/%s", dir, name);
	argv_push_owned(a, path);
}

static const char *compiler(void)
{
	const char *cc = getenv("CC");

	return cc && *cc ? cc : "cc";
}

void workspace_compiler(struct argv_list *a, const struct workspace *w)
{
	static const char *const dirs[] = { "harness/world", "harness/lib", "harness/bench" };

	argv_push(a, compiler());
	argv_push(a, "-std=gnu11");
	argv_push(a, "-pthread");
	argv_push(a, "-I");
	argv_push_owned(a, xstrdup(w->chapter->header_dir));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		argv_push(a, "-I");
		argv_push_owned(a, xasprintf("%s/%s", w->root, dirs[i]));
	}
}

/* The compiler command of every build: warnings on, plain diagnostics. */
static void push_common_flags(struct argv_list *a, const struct workspace *w)
{
	workspace_compiler(a, w);
	argv_push(a, "-Wall");
	argv_push(a, "-Wextra");
	argv_push(a, "-fdiagnostics-color=never");
}

static void push_learner_sources(struct argv_list *a, const struct workspace *w)
{
	for (size_t i = 0; i < w->chapter->nsources; i++)
		push_path(a, w->src_dir, w->chapter->sources[i]);
}

static bool run_compiler(struct workspace *w, struct argv_list *a, bool sees_hidden_tests,
			 char **log)
{
	struct proc_opts o = {
		.timeout_s = BUILD_TIMEOUT_S,
		.cwd = w->out_dir,
		.output_cap = 32 * 1024,
		.big_address_space = true,
		.sandbox = sees_hidden_tests ? &w->build_sandbox : &w->sandbox,
	};
	struct proc_result r;
	bool ok;

	proc_run(a->items, &o, &r);
	ok = r.end == PROC_EXITED && r.code == 0;
	*log = workspace_rewrite(w, r.output ? r.output : "");
	if (r.end == PROC_NOT_STARTED) {
		free(*log);
		*log = xasprintf("the C compiler '%s' could not be started", compiler());
	} else if (r.end == PROC_TIMED_OUT) {
		free(*log);
		*log = xasprintf("the compiler timed out after %d s", BUILD_TIMEOUT_S);
	}
	proc_result_free(&r);
	return ok;
}

bool workspace_check_compiles(struct workspace *w, char **log)
{
	struct argv_list a = { 0 };
	bool ok;

	push_common_flags(&a, w);
	argv_push(&a, "-fsyntax-only");
	push_learner_sources(&a, w);
	ok = run_compiler(w, &a, false, log);
	argv_free(&a);
	return ok;
}

static void push_flavor_flags(struct argv_list *a, enum flavor f)
{
	switch (f) {
	case FLAVOR_SUITE:
	case FLAVOR_COLLIDER:	/* plain: only the learner's file is instrumented */
		argv_push(a, "-O1");
		break;
	case FLAVOR_TSAN:
	case FLAVOR_TSAN_BENCH:
		argv_push(a, "-O1");
		argv_push(a, "-fsanitize=thread");
		break;
	case FLAVOR_HELGRIND:
		argv_push(a, "-O0");
		break;
	case FLAVOR_LEAKS:
		argv_push(a, "-O1");
		argv_push(a, "-fsanitize=leak");
		/* Whole allocation stacks through the heap counter's wrappers. */
		argv_push(a, "-fno-omit-frame-pointer");
		break;
	default:
		argv_push(a, "-O2");
		break;
	}
	argv_push(a, "-g");
}

/*
 * The collider flavour (lib/collider.h): -fsanitize=thread instruments the
 * accesses of the learner's file (as in the ThreadSanitizer build, so it
 * preprocesses the same) and of the driver, whose collider calls
 * -DTC_COLLIDER turns on (never given to the learner's file); the link has
 * no -fsanitize, so ThreadSanitizer's runtime stays out.
 */
static void collider_instrument(struct argv_list *a)
{
	argv_push(a, "-fsanitize=thread");
	argv_push(a, "-DTC_COLLIDER");
}

/*
 * The harness's own sources that go into flavour f for this chapter, as
 * paths relative to the workbook: the simulated world, then the driver and
 * the chapter's scenarios (or benchmark), then hidden tests.
 */
static size_t harness_sources(const struct workspace *w, enum flavor f, char ***out)
{
	char *pattern, **list = NULL;
	size_t n = 0, rootlen = strlen(w->root) + 1;
	glob_t g;

#define ADD(path) do { list = xrealloc(list, (n + 1) * sizeof(*list)); list[n++] = (path); } while (0)
	pattern = xasprintf("%s/harness/world/*.c", w->root);
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			ADD(xstrdup(g.gl_pathv[i] + rootlen));
		globfree(&g);
	}
	free(pattern);
	ADD(xstrdup("harness/lib/channel.c"));
	ADD(xstrdup("harness/lib/confine.c"));
	if (f == FLAVOR_LEAKS || f == FLAVOR_BENCH || f == FLAVOR_TSAN_BENCH)
		ADD(xstrdup("harness/lib/heapcount.c"));
	if (f == FLAVOR_COLLIDER) {
		ADD(xstrdup("harness/lib/collider.c"));
		ADD(xstrdup("harness/lib/collider_table.c"));
	}
	if (f == FLAVOR_BENCH || f == FLAVOR_TSAN_BENCH) {
		ADD(xstrdup("harness/bench/bench_main.c"));
		ADD(xstrdup(w->chapter->bench + rootlen));
	} else {
		ADD(xstrdup("harness/lib/scenario.c"));
		ADD(xstrdup("harness/lib/verdict.c"));
		ADD(xstrdup("harness/lib/perturb.c"));
		ADD(xstrdup("harness/lib/lockgraph.c"));
		ADD(xstrdup(f == FLAVOR_SUITE ? "harness/suites/chapter_suite.c"
					      : "harness/drivers/race_driver.c"));
		ADD(xstrdup(w->chapter->scenarios + rootlen));
		if (w->hidden_tests)
			ADD(xstrdup(w->hidden_tests + rootlen));
	}
#undef ADD
	*out = list;
	return n;
}

/*
 * The object file for one trusted source in flavour f, compiled on first
 * use into the cache (to a temporary name, then renamed, so that concurrent
 * graders never see half an object). Returns its path, or NULL with *log.
 * One lock per flavour: the threads of this grader that need the same
 * flavour's objects wait for each other instead of compiling one twice,
 * and different flavours compile side by side (a cold cache fills about
 * twice as fast on two cores).
 */
static char *cached_object(struct workspace *w, enum flavor f, const char *rel, char **log)
{
	_Static_assert(FLAVOR_COUNT == 7, "one initialiser per flavour below");
	static pthread_mutex_t locks[FLAVOR_COUNT] = {
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
		PTHREAD_MUTEX_INITIALIZER,
	};
	pthread_mutex_t *lock = &locks[f];
	char *dir, *obj, *tmp, *src, *flat = xstrdup(rel);
	struct argv_list a = { 0 };
	struct proc_opts o = { .timeout_s = BUILD_TIMEOUT_S, .output_cap = 32 * 1024,
			       .big_address_space = true };
	struct proc_result r;

	for (char *p = flat; *p; p++)
		if (*p == '/')
			*p = '_';
	dir = xasprintf("%s/%llx/%d", w->cache_root, harness_stamp(w->root), (int)f);
	obj = xasprintf("%s/%s.o", dir, flat);
	free(flat);
	if (access(obj, R_OK) == 0) {
		free(dir);
		return obj;
	}
	pthread_mutex_lock(lock);
	make_dirs(dir);
	if (access(obj, R_OK) != 0) {
		tmp = xasprintf("%s.%d.%lx.tmp", obj, (int)getpid(), (unsigned long)pthread_self());
		src = xasprintf("%s/%s", w->root, rel);

		push_common_flags(&a, w);
		push_flavor_flags(&a, f);
		if (f == FLAVOR_COLLIDER && strcmp(rel, "harness/drivers/race_driver.c") == 0)
			collider_instrument(&a);	/* its canary, in the same flavour */
		argv_push(&a, "-c");
		argv_push(&a, "-o");
		argv_push(&a, tmp);
		argv_push(&a, src);
		proc_run(a.items, &o, &r);
		if (r.end == PROC_EXITED && r.code == 0 && rename(tmp, obj) == 0) {
			free(r.output);
		} else {
			remove(tmp);
			*log = xasprintf("the harness's %s did not compile (not your code: "
					 "report it):\n%s", rel, r.output ? r.output : "");
			free(r.output);
			free(obj);
			obj = NULL;
		}
		free(r.stacks);
		argv_free(&a);
		free(tmp);
		free(src);
	}
	pthread_mutex_unlock(lock);
	free(dir);
	return obj;
}

/*
 * Moves out/<binary> into bin/ as the grader's own file (read-only to
 * everyone else) and notes what it is, so that a later run can check that
 * nothing replaced it.
 */
static bool install_binary(struct workspace *w, enum flavor f, char **log)
{
	char *built;
	struct stat st;
	int fd;
	bool ok = false;

	built = xasprintf("%s/%s", w->out_dir, flavor_table[f].binary);
	unlink(w->binaries[f]);
	fd = open(built, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    fchown(fd, geteuid(), getegid()) == 0 && fchmod(fd, 0755) == 0 &&
	    rename(built, w->binaries[f]) == 0 && fstat(fd, &st) == 0) {
		w->stamps[f] = (struct binary_stamp){
			.dev = st.st_dev, .ino = st.st_ino, .size = (unsigned long long)st.st_size,
			.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
			.built = true,
		};
		ok = true;
	}
	if (fd >= 0)
		close(fd);
	if (!ok) {
		free(*log);
		*log = xasprintf("the grader could not take over the binary it built (%s)",
				 strerror(errno));
	}
	free(built);
	return ok;
}

/* Where the world's symbol list for the current harness state is kept. */
static char *world_symbols_cache_path(const struct workspace *w)
{
	return xasprintf("%s/%llx/world-symbols.nm", w->cache_root, harness_stamp(w->root));
}

/* Writes text to path through a temporary name (concurrent graders). */
static void world_symbols_cache_store(const char *path, const char *text)
{
	char *tmp = xasprintf("%s.%d.%lx.tmp", path, (int)getpid(),
			      (unsigned long)pthread_self());
	FILE *f = fopen(tmp, "wx");

	if (f) {
		bool written = fputs(text, f) >= 0;

		if (fclose(f) == 0 && written)
			rename(tmp, path);
	}
	remove(tmp);
	free(tmp);
}

char *workspace_world_symbols(struct workspace *w)
{
	char **sources, *all = NULL, *cached = world_symbols_cache_path(w);
	size_t n, len = 0;
	FILE *out;
	bool ok;

	if ((all = read_text(cached, 4u << 20)) != NULL) {
		free(cached);
		return all;
	}
	n = harness_sources(w, FLAVOR_HELGRIND, &sources);
	out = open_memstream(&all, &len);
	ok = out != NULL;

	for (size_t i = 0; i < n; i++) {
		char *log = NULL, *obj = NULL;

		if (ok && strncmp(sources[i], "harness/world/", 14) == 0) {
			obj = cached_object(w, FLAVOR_HELGRIND, sources[i], &log);
			if (obj) {
				const char *argv[] = { "nm", "-P", "--defined-only", obj, NULL };
				struct proc_opts o = { .timeout_s = 30, .output_cap = 1 << 20 };
				struct proc_result r;

				proc_run(argv, &o, &r);
				ok = r.end == PROC_EXITED && r.code == 0 && !r.output_dropped;
				if (ok)
					fputs(r.output, out);
				proc_result_free(&r);
			} else {
				ok = false;
			}
		}
		free(obj);
		free(log);
		free(sources[i]);
	}
	free(sources);
	if (out)
		fclose(out);
	if (!ok) {
		free(all);
		all = NULL;
	} else {
		world_symbols_cache_store(cached, all);
	}
	free(cached);
	return all;
}

bool workspace_binary_intact(const struct workspace *w, enum flavor f)
{
	const struct binary_stamp *b = &w->stamps[f];
	struct stat st;

	return b->built && lstat(w->binaries[f], &st) == 0 && S_ISREG(st.st_mode) &&
	       st.st_uid == geteuid() && (st.st_mode & 022) == 0 &&
	       (unsigned long long)st.st_dev == b->dev && (unsigned long long)st.st_ino == b->ino &&
	       (unsigned long long)st.st_size == b->size &&
	       (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec == b->mtime_ns;
}

/* Compiles each learner file instrumented into out/ and pushes the objects. */
static bool collider_learner_objects(struct workspace *w, struct argv_list *link, char **log)
{
	for (size_t i = 0; i < w->chapter->nsources; i++) {
		struct argv_list a = { 0 };
		char *obj = xasprintf("%s/%s.collider.o", w->out_dir, w->chapter->sources[i]);
		bool ok;

		push_common_flags(&a, w);
		push_flavor_flags(&a, FLAVOR_COLLIDER);
		/* The ThreadSanitizer build's flags exactly: no macro of its own. */
		argv_push(&a, "-fsanitize=thread");
		argv_push(&a, "-c");
		argv_push(&a, "-o");
		argv_push(&a, obj);
		push_path(&a, w->src_dir, w->chapter->sources[i]);
		ok = run_compiler(w, &a, false, log);
		argv_free(&a);
		if (ok) {
			/* Its clocks discount the hooks' cost (collider.h). */
			struct argv_list c = { 0 };

			free(*log);
			argv_push(&c, "objcopy");
			argv_push(&c, "--redefine-sym");
			argv_push(&c, "clock_gettime=tc_collider_clock_gettime");
			argv_push(&c, "--redefine-sym");
			argv_push(&c, "gettimeofday=tc_collider_gettimeofday");
			argv_push(&c, obj);
			ok = run_compiler(w, &c, false, log);
			argv_free(&c);
		}
		argv_push_owned(link, obj);
		if (!ok)
			return false;
		free(*log);
		*log = NULL;
	}
	return true;
}

bool workspace_build(struct workspace *w, enum flavor f, char **log)
{
	struct argv_list a = { 0 };
	char **sources, **objects;
	size_t n = harness_sources(w, f, &sources);
	bool ok = true;

	*log = NULL;
	objects = xcalloc(n ? n : 1, sizeof(*objects));
	for (size_t i = 0; i < n && ok; i++)
		ok = (objects[i] = cached_object(w, f, sources[i], log)) != NULL;
	if (ok) {
		push_common_flags(&a, w);
		push_flavor_flags(&a, f);
		argv_push(&a, "-o");
		push_path(&a, w->out_dir, flavor_table[f].binary);
		for (size_t i = 0; i < n; i++)
			argv_push(&a, objects[i]);
		if (f == FLAVOR_COLLIDER)
			ok = collider_learner_objects(w, &a, log);
		else
			push_learner_sources(&a, w);
		if (f != FLAVOR_BENCH && f != FLAVOR_TSAN_BENCH) {
			/* Every scenario flavour goes through perturb.h's wrappers. */
			static const char *const wrapped[] = { PERTURB_WRAPPED };

			for (size_t i = 0; i < sizeof(wrapped) / sizeof(wrapped[0]); i++) {
				char *flag;

				flag = xasprintf("-Wl,--wrap=%s", wrapped[i]);
				argv_push_owned(&a, flag);
			}
		}
		if (f == FLAVOR_SUITE)
			argv_push(&a, "-lcriterion");
		if (f == FLAVOR_BENCH || f == FLAVOR_TSAN_BENCH)
			argv_push(&a, "-ljansson");
		if (f == FLAVOR_LEAKS || f == FLAVOR_BENCH || f == FLAVOR_TSAN_BENCH)
			argv_push(&a, HEAPCOUNT_LINK_FLAGS);
		argv_push(&a, "-lseccomp");
		argv_push(&a, "-lm");
		ok = ok && run_compiler(w, &a, false, log) && install_binary(w, f, log);
	}
	for (size_t i = 0; i < n; i++) {
		free(sources[i]);
		free(objects[i]);
	}
	free(sources);
	free(objects);
	argv_free(&a);
	return ok;
}
