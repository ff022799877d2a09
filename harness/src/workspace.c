/*
 * workspace.c - one chapter's workspace: opening it (the learner's copies),
 * the sandbox and its uids, sealing it between phases, closing it
 */
#define _GNU_SOURCE
#include "workspace.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"

#define MAX_SOURCE_BYTES (1 << 20)

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

		path = xasprintf("%s/%s", root, hide[i]);
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

/*
 * True, with the reason in why, when a folder between base and dir is a
 * symbolic link: it would grade someone else's files (a classmate's folder,
 * solutions/), so it is refused rather than followed.
 */
static bool learner_dir_linked(const char *base, const char *dir, char *why, size_t size)
{
	char *link = first_link_on_path(base, dir);
	size_t blen = strlen(base);

	if (!link)
		return false;
	snprintf(why, size, "%s is a symbolic link to a folder; submit the files themselves "
		 "(links are not followed)", strncmp(link, base, blen) == 0 && link[blen] == '/' ?
		 link + blen + 1 : link);
	free(link);
	return true;
}

/*
 * Takes <build_root>/<id>.lock (flock, exclusive), waiting for another
 * grader process that holds it; returns the descriptor, or -1 when the file
 * cannot be had (the grading goes on unguarded, as before the lock).
 */
static int lock_workspace(const char *build_root, const char *id)
{
	char *path = xasprintf("%s/%s.lock", build_root, id);
	int fd;

	make_dirs(build_root);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "grade: another grading of %s is using %s; waiting for it to "
			"end\n", id, build_root);
		while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
			;
	}
	free(path);
	return fd;
}

bool workspace_open(struct workspace *w, const struct grade_job *job,
		    const struct chapter *chapter, char *why, size_t size)
{
	const char *root = job->root;

	memset(w, 0, sizeof(*w));
	w->root = root;
	w->cache_root = job->cache_root;
	w->chapter = chapter;
	setup_sandbox(w, root, job->build_root, job->submission_root, job->slot);
	w->hidden_tests = xasprintf("%s/harness/hidden/%s.c", root, chapter->id);
	if (access(w->hidden_tests, R_OK) != 0) {
		free(w->hidden_tests);
		w->hidden_tests = NULL;
	}
	w->dir = xasprintf("%s/%s", job->build_root, chapter->id);
	w->lock_fd = lock_workspace(job->build_root, chapter->id);
	w->src_dir = xasprintf("%s/src", w->dir);
	w->bin_dir = xasprintf("%s/bin", w->dir);
	w->out_dir = xasprintf("%s/out", w->dir);
	w->scratch_dir = xasprintf("%s/scratch", w->dir);
	w->display_dir = display_path(chapter->learner_dir);
	remove_tree(w->dir);
	if (make_dirs(w->src_dir) != 0 || make_dirs(w->bin_dir) != 0 ||
	    make_dirs(w->out_dir) != 0 || make_dirs(w->scratch_dir) != 0) {
		snprintf(why, size, "cannot create %s: %s", w->dir, strerror(errno));
		return false;
	}
	if (learner_dir_linked(job->submission_root ? job->submission_root : root,
			       chapter->learner_dir, why, size))
		return false;
	for (size_t i = 0; i < chapter->nsources; i++) {
		char *from, *to, *shown;
		bool ok;

		from = xasprintf("%s/%s", chapter->learner_dir, chapter->sources[i]);
		to = xasprintf("%s/%s", w->src_dir, chapter->sources[i]);
		shown = xasprintf("%s/%s", w->display_dir, chapter->sources[i]);
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
		w->binaries[f] = xasprintf("%s/%s", w->bin_dir, flavor_table[f].binary);
	}
	return true;
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
	if (w->lock_fd > 0)
		close(w->lock_fd);	/* ends the flock */
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
