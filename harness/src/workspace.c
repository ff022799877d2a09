#define _GNU_SOURCE
#include "workspace.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/heapcount.h"
#include "../lib/perturb.h"
#include "proc.h"

#define MAX_SOURCE_BYTES (1 << 20)
#define BUILD_TIMEOUT_S 120

const struct flavor_info flavor_table[FLAVOR_COUNT] = {
	[FLAVOR_SUITE] = { "suite", "the Criterion suite" },
	[FLAVOR_TSAN] = { "tsan_driver", "the ThreadSanitizer driver" },
	[FLAVOR_HELGRIND] = { "helgrind_driver", "the Helgrind driver" },
	[FLAVOR_BENCH] = { "bench", "the benchmark" },
	[FLAVOR_TSAN_BENCH] = { "tsan_bench", "the ThreadSanitizer benchmark" },
	[FLAVOR_LEAKS] = { "leak_driver", "the leak driver" },
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Opens path for reading without following a link or blocking on a FIFO;
 * returns the descriptor of a regular file, or -1 (errno says why).
 */
static int open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISLNK(st.st_mode) ? ELOOP : EINVAL;
		return -1;
	}
	return fd;
}

/* Reads up to cap bytes of fd; *got gets how many. malloc'd (cap + 1). */
static char *read_bounded(int fd, size_t cap, size_t *got)
{
	char *data = malloc(cap + 1);
	ssize_t n;

	*got = 0;
	if (!data)
		return NULL;
	while (*got < cap && (n = read(fd, data + *got, cap - *got)) > 0)
		*got += (size_t)n;
	data[*got] = '\0';
	return data;
}

char *read_text(const char *path, size_t cap)
{
	int fd = open_regular(path);
	char *data;
	size_t got;

	if (fd < 0)
		return NULL;
	data = read_bounded(fd, cap, &got);
	close(fd);
	return data;
}

int make_dirs(const char *path)
{
	char *copy = strdup(path);

	if (!copy)
		return ENOMEM;
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(copy, 0755);
		*p = '/';
	}
	free(copy);
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : errno;
}

/*
 * Copies a learner's file: only a regular file, opened without following a
 * link (a submission is not trusted to name anything else), at most 1 MiB.
 */
static bool copy_file(const char *from, const char *to, char *why, size_t size,
		      const char *shown)
{
	int in = open_regular(from), out;
	char *data;
	size_t got;

	if (in < 0) {
		if (errno == ELOOP)
			snprintf(why, size, "%s is a symbolic link; submit the file itself (links "
				 "are not followed)", shown);
		else if (errno == EINVAL)
			snprintf(why, size, "%s is not a regular file", shown);
		else
			snprintf(why, size, "%s: %s", shown, strerror(errno));
		return false;
	}
	data = read_bounded(in, MAX_SOURCE_BYTES + 1, &got);
	close(in);
	if (!data || got > MAX_SOURCE_BYTES) {
		snprintf(why, size, "%s is larger than 1 MiB", shown);
		free(data);
		return false;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0 || write(out, data, got) != (ssize_t)got) {
		snprintf(why, size, "cannot write %s", to);
		if (out >= 0)
			close(out);
		free(data);
		return false;
	}
	close(out);
	free(data);
	return true;
}

/* The learner's path as people should see it: relative to cwd if inside. */
static char *display_path(const char *path)
{
	char *real = realpath(path, NULL), cwd[4096];
	size_t n;

	if (!real)
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) && (n = strlen(cwd)) &&
	    strncmp(real, cwd, n) == 0 && real[n] == '/') {
		char *rel = strdup(real + n + 1);

		free(real);
		return rel;
	}
	return real;
}

/* nftw() takes no context pointer: chown_tree() serialises its use. */
static pthread_mutex_t chown_lock = PTHREAD_MUTEX_INITIALIZER;
static uid_t chown_uid;	/* guarded by chown_lock */

static int chown_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (lchown(path, chown_uid, chown_uid) != 0) {
		/* The sandboxed run will say what it could not write. */
	}
	return 0;
}

/* Gives path and everything below it to uid (chown -R). */
static void chown_tree(const char *path, uid_t uid)
{
	pthread_mutex_lock(&chown_lock);
	chown_uid = uid;
	nftw(path, chown_entry, 16, FTW_PHYS);
	pthread_mutex_unlock(&chown_lock);
}

void workspace_own(const struct workspace *w, const char *path)
{
	if (w->sandbox.uid)
		chown_tree(path, w->sandbox.uid);
}

/*
 * True when uid can reach the workbook and the build directory (a checkout
 * under /root, mode 0700, cannot be read by another user). Asked once per
 * process, in a child that takes that uid.
 */
static bool uid_can_reach(unsigned uid, const char *root, const char *build_dir)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int answer = -1;	/* guarded by lock */
	int status = 0;
	pid_t child;

	pthread_mutex_lock(&lock);
	if (answer < 0) {
		child = fork();
		if (child == 0) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/harness/world", root);
			if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0)
				_exit(1);
			_exit(access(path, R_OK | X_OK) == 0 && access(build_dir, X_OK) == 0 ? 0 : 1);
		}
		answer = child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
			 WEXITSTATUS(status) == 0;
		if (!answer)
			fprintf(stderr, "grade: note: a separate sandbox user cannot read %s (a "
				"directory on the way is private); learner code runs as this user, "
				"without a process limit. Clone the workbook somewhere readable, "
				"e.g. /srv or /opt, for the full sandbox.\n", root);
	}
	pthread_mutex_unlock(&lock);
	return answer == 1;
}

/*
 * A uid no other process uses: one per grader process and slot, so that
 * "every process of this uid" is exactly one run's processes.
 */
static unsigned sandbox_uid(unsigned slot)
{
	return 200000u + (unsigned)(getpid() % 100000) * 16u + slot % 16u;
}

static void setup_sandbox(struct workspace *w, const char *root, const char *build_root,
			  const char *submission_root, unsigned slot)
{
	static const char *const hide[] = { "solutions", "tests", ".git", "harness/hidden" };
	size_t n = 0, nb = 0;

	for (size_t i = 0; i < sizeof(hide) / sizeof(hide[0]); i++) {
		char *path;
		struct stat st;

		if (asprintf(&path, "%s/%s", root, hide[i]) < 0)
			continue;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			w->owned_paths[n] = path;
			w->hidden[n++] = path;
			/* The combined build compiles the hidden tests themselves. */
			if (strcmp(hide[i], "harness/hidden") != 0)
				w->build_hidden[nb++] = path;
		} else {
			free(path);
		}
	}
	if (submission_root) {
		w->hidden[n++] = submission_root;
		w->build_hidden[nb++] = submission_root;
	}
	w->hidden[n] = NULL;
	w->build_hidden[nb] = NULL;
	w->sandbox.hide = w->hidden;
	w->sandbox.uid = geteuid() == 0 && !getenv("THREADCLINIC_NO_SANDBOX_USER") &&
			 uid_can_reach(sandbox_uid(slot), root, build_root) ? sandbox_uid(slot) : 0;
	/* A fresh /tmp would hide a workbook or a build directory kept there. */
	w->sandbox.private_tmp = strncmp(root, "/tmp/", 5) && strncmp(build_root, "/tmp/", 5) &&
				 strncmp(root, "/dev/shm/", 9) && strncmp(build_root, "/dev/shm/", 9);
	w->sandbox.max_tasks = 2048;
	w->sandbox.max_memory_mb = 1024;
	w->build_sandbox = w->sandbox;
	w->build_sandbox.hide = w->build_hidden;
}

bool workspace_open(struct workspace *w, const char *root, const char *build_root,
		    const char *cache_root, const struct chapter *chapter,
		    const char *submission_root, unsigned slot, char *why, size_t size)
{
	memset(w, 0, sizeof(*w));
	w->root = root;
	w->cache_root = cache_root;
	w->chapter = chapter;
	setup_sandbox(w, root, build_root, submission_root, slot);
	if (asprintf(&w->hidden_tests, "%s/harness/hidden/%s.c", root, chapter->id) >= 0 &&
	    access(w->hidden_tests, R_OK) != 0) {
		free(w->hidden_tests);
		w->hidden_tests = NULL;
	}
	if (asprintf(&w->dir, "%s/%s", build_root, chapter->id) < 0 ||
	    asprintf(&w->src_dir, "%s/src", w->dir) < 0 ||
	    asprintf(&w->bin_dir, "%s/bin", w->dir) < 0 ||
	    asprintf(&w->out_dir, "%s/out", w->dir) < 0 ||
	    asprintf(&w->scratch_dir, "%s/scratch", w->dir) < 0) {
		snprintf(why, size, "out of memory");
		return false;
	}
	w->display_dir = display_path(chapter->learner_dir);
	remove_tree(w->dir);
	if (make_dirs(w->src_dir) != 0 || make_dirs(w->bin_dir) != 0 ||
	    make_dirs(w->out_dir) != 0 || make_dirs(w->scratch_dir) != 0) {
		snprintf(why, size, "cannot create %s: %s", w->dir, strerror(errno));
		return false;
	}
	for (size_t i = 0; i < chapter->nsources; i++) {
		char *from, *to, *shown;
		bool ok;

		if (asprintf(&from, "%s/%s", chapter->learner_dir, chapter->sources[i]) < 0)
			return false;
		if (asprintf(&to, "%s/%s", w->src_dir, chapter->sources[i]) < 0)
			return false;
		if (asprintf(&shown, "%s/%s", w->display_dir, chapter->sources[i]) < 0)
			return false;
		ok = copy_file(from, to, why, size, shown);
		free(from);
		free(to);
		free(shown);
		if (!ok)
			return false;
	}
	/* The learner's runs may write in scratch/ (and the compiler in out/). */
	chmod(w->dir, 0755);
	workspace_unseal(w);
	for (int f = 0; f < FLAVOR_COUNT; f++) {
		if (asprintf(&w->binaries[f], "%s/%s", w->bin_dir, flavor_table[f].binary) < 0)
			return false;
	}
	return true;
}

struct argv_list {
	const char **items;
	size_t n, cap;
	char **owned;		/* strings to free */
	size_t nowned;
};

static void push(struct argv_list *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->items = realloc(a->items, a->cap * sizeof(*a->items));
	}
	a->items[a->n++] = s;
	a->items[a->n] = NULL;
}

static void push_owned(struct argv_list *a, char *s)
{
	a->owned = realloc(a->owned, (a->nowned + 1) * sizeof(*a->owned));
	a->owned[a->nowned++] = s;
	push(a, s);
}

static void push_path(struct argv_list *a, const char *dir, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) >= 0)
		push_owned(a, path);
}

static void argv_free(struct argv_list *a)
{
	for (size_t i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	free(a->owned);
	free(a->items);
}

static const char *compiler(void)
{
	const char *cc = getenv("CC");

	return cc && *cc ? cc : "cc";
}

static void push_common_flags(struct argv_list *a, const struct workspace *w)
{
	char *inc;

	push(a, compiler());
	push(a, "-std=gnu11");
	push(a, "-pthread");
	push(a, "-Wall");
	push(a, "-Wextra");
	push(a, "-fdiagnostics-color=never");
	push(a, "-I");
	push_owned(a, strdup(w->chapter->header_dir));
	if (asprintf(&inc, "%s/harness/world", w->root) >= 0) {
		push(a, "-I");
		push_owned(a, inc);
	}
	if (asprintf(&inc, "%s/harness/lib", w->root) >= 0) {
		push(a, "-I");
		push_owned(a, inc);
	}
	if (asprintf(&inc, "%s/harness/bench", w->root) >= 0) {
		push(a, "-I");
		push_owned(a, inc);
	}
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
		if (asprintf(log, "the C compiler '%s' could not be started", compiler()) < 0)
			*log = NULL;
	} else if (r.end == PROC_TIMED_OUT) {
		free(*log);
		if (asprintf(log, "the compiler timed out after %d s", BUILD_TIMEOUT_S) < 0)
			*log = NULL;
	}
	proc_result_free(&r);
	return ok;
}

bool workspace_check_compiles(struct workspace *w, char **log)
{
	struct argv_list a = { 0 };
	bool ok;

	push_common_flags(&a, w);
	push(&a, "-fsyntax-only");
	push_learner_sources(&a, w);
	ok = run_compiler(w, &a, false, log);
	argv_free(&a);
	return ok;
}

static void push_flavor_flags(struct argv_list *a, enum flavor f)
{
	switch (f) {
	case FLAVOR_SUITE:
		push(a, "-O1");
		break;
	case FLAVOR_TSAN:
	case FLAVOR_TSAN_BENCH:
		push(a, "-O1");
		push(a, "-fsanitize=thread");
		break;
	case FLAVOR_HELGRIND:
		push(a, "-O0");
		break;
	case FLAVOR_LEAKS:
		push(a, "-O1");
		push(a, "-fsanitize=leak");
		/* Whole allocation stacks through the heap counter's wrappers. */
		push(a, "-fno-omit-frame-pointer");
		break;
	default:
		push(a, "-O2");
		break;
	}
	push(a, "-g");
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

#define ADD(path) do { list = realloc(list, (n + 1) * sizeof(*list)); list[n++] = (path); } while (0)
	if (asprintf(&pattern, "%s/harness/world/*.c", w->root) >= 0 &&
	    glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			ADD(strdup(g.gl_pathv[i] + rootlen));
		globfree(&g);
	}
	free(pattern);
	ADD(strdup("harness/lib/channel.c"));
	ADD(strdup("harness/lib/confine.c"));
	if (f == FLAVOR_LEAKS)
		ADD(strdup("harness/lib/heapcount.c"));
	if (f == FLAVOR_BENCH || f == FLAVOR_TSAN_BENCH) {
		ADD(strdup("harness/bench/bench_main.c"));
		ADD(strdup(w->chapter->bench + rootlen));
	} else {
		ADD(strdup("harness/lib/scenario.c"));
		ADD(strdup("harness/lib/verdict.c"));
		ADD(strdup("harness/lib/perturb.c"));
		ADD(strdup("harness/lib/lockgraph.c"));
		ADD(strdup(f == FLAVOR_SUITE ? "harness/suites/chapter_suite.c"
					     : "harness/drivers/race_driver.c"));
		ADD(strdup(w->chapter->scenarios + rootlen));
		if (w->hidden_tests)
			ADD(strdup(w->hidden_tests + rootlen));
	}
#undef ADD
	*out = list;
	return n;
}

/* Newest modification time among the files of dir (ns), at least `since`. */
static long long newest_in(const char *dir, const char *suffix, long long since)
{
	char *pattern;
	glob_t g;

	if (asprintf(&pattern, "%s/%s", dir, suffix) < 0)
		return since;
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct stat st;

			if (stat(g.gl_pathv[i], &st) == 0) {
				long long t = (long long)st.st_mtim.tv_sec * 1000000000LL +
					      st.st_mtim.tv_nsec;

				if (t > since)
					since = t;
			}
		}
		globfree(&g);
	}
	free(pattern);
	return since;
}

/*
 * A name for the current state of every trusted input: the harness's
 * sources, the chapters' headers and the grader itself. Objects compiled
 * from an older state live under another name and are never reused.
 */
static long long harness_stamp(const char *root)
{
	static const char *const dirs[] = {
		"harness/world", "harness/lib", "harness/bench", "harness/suites",
		"harness/drivers", "harness/scenarios", "harness/hidden", "chapters/*",
	};
	long long stamp = 0;
	struct stat st;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *dir;

		if (asprintf(&dir, "%s/%s", root, dirs[i]) < 0)
			continue;
		stamp = newest_in(dir, i + 1 == sizeof(dirs) / sizeof(dirs[0]) ? "*.h" : "*.[ch]",
				  stamp);
		free(dir);
	}
	if (stat("/proc/self/exe", &st) == 0 &&
	    (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec > stamp)
		stamp = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return stamp;
}

/*
 * The object file for one trusted source in flavour f, compiled on first
 * use into the cache (to a temporary name, then renamed, so that concurrent
 * graders never see half an object). Returns its path, or NULL with *log.
 */
static char *cached_object(struct workspace *w, enum flavor f, const char *rel, char **log)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char *dir, *obj, *tmp, *src, *flat = strdup(rel);
	struct argv_list a = { 0 };
	struct proc_opts o = { .timeout_s = BUILD_TIMEOUT_S, .output_cap = 32 * 1024,
			       .big_address_space = true };
	struct proc_result r;

	for (char *p = flat; *p; p++)
		if (*p == '/')
			*p = '_';
	if (asprintf(&dir, "%s/%llx/%d", w->cache_root, harness_stamp(w->root), (int)f) < 0 ||
	    asprintf(&obj, "%s/%s.o", dir, flat) < 0) {
		free(flat);
		return NULL;
	}
	free(flat);
	if (access(obj, R_OK) == 0) {
		free(dir);
		return obj;
	}
	pthread_mutex_lock(&lock);
	make_dirs(dir);
	if (access(obj, R_OK) != 0 &&
	    asprintf(&tmp, "%s.%d.%lx.tmp", obj, (int)getpid(), (unsigned long)pthread_self()) >= 0 &&
	    asprintf(&src, "%s/%s", w->root, rel) >= 0) {
		push_common_flags(&a, w);
		push_flavor_flags(&a, f);
		push(&a, "-c");
		push(&a, "-o");
		push(&a, tmp);
		push(&a, src);
		proc_run(a.items, &o, &r);
		if (r.end == PROC_EXITED && r.code == 0 && rename(tmp, obj) == 0) {
			free(r.output);
		} else {
			remove(tmp);
			if (asprintf(log, "the harness's %s did not compile (not your code: "
				     "report it):\n%s", rel, r.output ? r.output : "") < 0)
				*log = NULL;
			free(r.output);
			free(obj);
			obj = NULL;
		}
		free(r.stacks);
		argv_free(&a);
		free(tmp);
		free(src);
	}
	pthread_mutex_unlock(&lock);
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

	if (asprintf(&built, "%s/%s", w->out_dir, flavor_table[f].binary) < 0)
		return false;
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
		if (asprintf(log, "the grader could not take over the binary it built (%s)",
			     strerror(errno)) < 0)
			*log = NULL;
	}
	free(built);
	return ok;
}

/* Where the world's symbol list for the current harness state is kept. */
static char *world_symbols_cache_path(const struct workspace *w)
{
	char *path;

	if (asprintf(&path, "%s/%llx/world-symbols.nm", w->cache_root,
		     harness_stamp(w->root)) < 0)
		return NULL;
	return path;
}

/* Writes text to path through a temporary name (concurrent graders). */
static void world_symbols_cache_store(const char *path, const char *text)
{
	char *tmp;
	FILE *f;

	if (asprintf(&tmp, "%s.%d.%lx.tmp", path, (int)getpid(),
		     (unsigned long)pthread_self()) < 0)
		return;
	f = fopen(tmp, "wx");
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

	if (cached && (all = read_text(cached, 4u << 20)) != NULL) {
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
	} else if (cached) {
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

bool workspace_build(struct workspace *w, enum flavor f, char **log)
{
	struct argv_list a = { 0 };
	char **sources, **objects;
	size_t n = harness_sources(w, f, &sources);
	bool ok = true;

	*log = NULL;
	objects = calloc(n ? n : 1, sizeof(*objects));
	for (size_t i = 0; i < n && ok; i++)
		ok = (objects[i] = cached_object(w, f, sources[i], log)) != NULL;
	if (ok) {
		push_common_flags(&a, w);
		push_flavor_flags(&a, f);
		push(&a, "-o");
		push_path(&a, w->out_dir, flavor_table[f].binary);
		for (size_t i = 0; i < n; i++)
			push(&a, objects[i]);
		push_learner_sources(&a, w);
		if (f != FLAVOR_BENCH && f != FLAVOR_TSAN_BENCH) {
			/* Every scenario flavour goes through perturb.h's wrappers. */
			static const char *const wrapped[] = { PERTURB_WRAPPED };

			for (size_t i = 0; i < sizeof(wrapped) / sizeof(wrapped[0]); i++) {
				char *flag;

				if (asprintf(&flag, "-Wl,--wrap=%s", wrapped[i]) >= 0)
					push_owned(&a, flag);
			}
		}
		if (f == FLAVOR_SUITE)
			push(&a, "-lcriterion");
		if (f == FLAVOR_BENCH || f == FLAVOR_TSAN_BENCH)
			push(&a, "-ljansson");
		if (f == FLAVOR_LEAKS)
			push(&a, HEAPCOUNT_LINK_FLAGS);
		push(&a, "-lseccomp");
		push(&a, "-lm");
		ok = run_compiler(w, &a, false, log) && install_binary(w, f, log);
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

char *workspace_rewrite(const struct workspace *w, const char *text)
{
	char *prefix, *out;
	size_t plen, dlen, cap, used = 0;

	if (asprintf(&prefix, "%s/", w->src_dir) < 0)
		return strdup(text);
	plen = strlen(prefix);
	dlen = strlen(w->display_dir);
	cap = strlen(text) + 1;
	out = malloc(cap);
	while (out && *text) {
		if (strncmp(text, prefix, plen) == 0) {
			cap += dlen + 1;
			out = realloc(out, cap);
			if (!out)
				break;
			memcpy(out + used, w->display_dir, dlen);
			used += dlen;
			out[used++] = '/';
			text += plen;
		} else {
			out[used++] = *text++;
		}
	}
	if (out)
		out[used] = '\0';
	free(prefix);
	return out;
}

bool workspace_is_learner_file(const struct workspace *w, const char *path)
{
	size_t n = strlen(w->src_dir);

	return strncmp(path, w->src_dir, n) == 0 && path[n] == '/';
}

void workspace_seal(const struct workspace *w)
{
	if (w->dir && w->sandbox.uid) {
		chown_tree(w->scratch_dir, 0);
		chown_tree(w->out_dir, 0);
	}
}

void workspace_unseal(const struct workspace *w)
{
	if (w->dir) {
		workspace_own(w, w->scratch_dir);
		workspace_own(w, w->out_dir);
	}
}

void workspace_close(struct workspace *w)
{
	/* Back to the grader's user: the next learner's runs cannot read it. */
	workspace_seal(w);
	for (size_t i = 0; i < sizeof(w->owned_paths) / sizeof(w->owned_paths[0]); i++)
		free(w->owned_paths[i]);
	free(w->hidden_tests);
	free(w->dir);
	free(w->src_dir);
	free(w->bin_dir);
	free(w->out_dir);
	free(w->scratch_dir);
	free(w->display_dir);
	for (int f = 0; f < FLAVOR_COUNT; f++)
		free(w->binaries[f]);
	memset(w, 0, sizeof(*w));
}
