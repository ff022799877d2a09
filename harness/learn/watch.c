/*
 * watch.c - make watch [CH=NN]: re-grade the chapter on every save.
 *
 * inotify on the chapter's folder (editors save by rename, so the folder, not
 * the file); a burst of events (2-3 per save) is one save once 150 ms pass
 * without another. Each grading clears the screen and shows the grader's
 * lines as they arrive: the grader writes to a pseudo-terminal, so its stdio
 * is line-buffered and every gate line comes through as soon as it is
 * printed. A save during a grading stops that grading and starts again.
 *
 * Without CH it follows the first chapter not at full marks (progress). At
 * full marks it says so, shows solutions/NN/NOTES.md when this copy has it,
 * and moves to the next chapter (grading it on its first save, or on Enter).
 *
 * Ctrl-C leaves cleanly: the grader runs in a process group of its own and
 * starts more of them for the learner's code, so watch makes itself a child
 * subreaper (orphans come back to it) and kills every descendant, group by
 * group, until none is left.
 */
#define _GNU_SOURCE
#include "learn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define QUIET_MS 150
#define WATCH_REPORT "build/learn/watch-report.json"
#define WATCH_BUILD "build/learn/watch"

struct watch {
	struct chapter ch;
	bool follow;		/* no CH: move on at full marks */
	bool stay;		/* --stay: never move on (the benchmark) */
	bool stamps;		/* THREADCLINIC_WATCH_STAMPS: each line with its time */
	bool waiting_next;	/* at full marks, the next chapter not graded yet */
	int inotify, wd, sig;
	pid_t grader;		/* 0 when no grading runs */
	int out;		/* the grader's pseudo-terminal, -1 when none */
	char line[8192];
	size_t line_len;
	sigset_t old_mask;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void say(struct watch *w, const char *text, size_t len)
{
	if (w->stamps)
		printf("[%.3f] ", now_s());
	printf("%.*s\n", (int)len, text);
	fflush(stdout);
}

/* Every process below us: pids[] (up to max); returns how many. */
static size_t descendants(pid_t *pids, size_t max)
{
	static pid_t pid_of[65536], ppid_of[65536];
	size_t n = 0, all = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d)) && all < 65536) {
		char path[300], buf[512], *close_paren;
		FILE *f;
		int ppid;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')) &&
		    sscanf(close_paren + 2, "%*c %d", &ppid) == 1) {
			pid_of[all] = atoi(e->d_name);
			ppid_of[all++] = ppid;
		}
		fclose(f);
	}
	closedir(d);
	pids[n] = getpid();
	/* Breadth first from ourselves; pids[0] is us and is dropped at the end. */
	for (size_t i = 0, found = 1; i < found && found < max; i++)
		for (size_t k = 0; k < all && found < max; k++)
			if (ppid_of[k] == pids[i])
				pids[found++] = pid_of[k], n = found;
	if (n == 0)
		return 0;
	memmove(pids, pids + 1, (n - 1) * sizeof(*pids));
	return n - 1;
}

/* Stops the grading and everything it started; returns when none is left. */
static void stop_grading(struct watch *w)
{
	pid_t pids[4096];

	for (int round = 0; round < 200; round++) {
		size_t n = descendants(pids, 4096);

		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			pid_t group = getpgid(pids[i]);

			if (group > 0 && group != getpgrp())
				kill(-group, SIGKILL);
			kill(pids[i], SIGKILL);
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		usleep(10000);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (w->out >= 0)
		close(w->out);
	w->out = -1;
	w->grader = 0;
	w->line_len = 0;
}

static void start_grading(struct watch *w)
{
	int master, slave;
	struct termios t;
	pid_t pid;

	if (w->grader)
		stop_grading(w);
	printf("\033[H\033[2J");
	printf("make watch: %s (save to re-grade; Ctrl-C to leave)\n", w->ch.source);
	fflush(stdout);
	interview_clock(w->ch.id);
	make_dirs("build/learn");
	unlink(WATCH_REPORT);
	if (getenv("THREADCLINIC_WATCH_LOG")) {	/* the tests count gradings here */
		FILE *log = fopen(getenv("THREADCLINIC_WATCH_LOG"), "a");

		if (log) {
			fprintf(log, "grade %s\n", w->ch.id);
			fclose(log);
		}
	}
	if (openpty(&master, &slave, NULL, NULL, NULL) != 0) {
		perror("watch: openpty");
		return;
	}
	if (tcgetattr(slave, &t) == 0) {
		t.c_oflag &= ~(tcflag_t)OPOST;	/* "\n" stays "\n" */
		t.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(slave, TCSANOW, &t);
	}
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		sigprocmask(SIG_SETMASK, &w->old_mask, NULL);
		dup2(devnull, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		closefrom(3);
		/* THREADCLINIC_GRADER: another grader (the tests' stand-in). */
		const char *grader = getenv("THREADCLINIC_GRADER") ? getenv("THREADCLINIC_GRADER") : "build/bin/grade";

		execl(grader, "grade", "--root", ".", "-C", w->ch.id, "--report", WATCH_REPORT,
		      "--build", WATCH_BUILD, (char *)NULL);
		perror(grader);
		_exit(127);
	}
	close(slave);
	if (pid < 0) {
		close(master);
		perror("watch: fork");
		return;
	}
	setpgid(pid, pid);
	w->grader = pid;
	w->out = master;
	w->line_len = 0;
}

static void watch_dir(struct watch *w)
{
	if (w->wd >= 0)
		inotify_rm_watch(w->inotify, w->wd);
	w->wd = inotify_add_watch(w->inotify, w->ch.dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE);
}

static bool next_chapter(struct watch *w)
{
	struct chapter all[MAX_CHAPTERS];
	size_t n = book_chapters(all, MAX_CHAPTERS);
	json_t *p = progress_load();
	bool found = false;

	/* The first unfinished chapter after this one, then from the start. */
	for (size_t pass = 0; pass < 2 && !found; pass++)
		for (size_t i = 0; i < n && !found; i++)
			if ((pass == 1 || strcmp(all[i].id, w->ch.id) > 0) &&
			    strcmp(all[i].id, w->ch.id) != 0 && !progress_full(p, all[i].id)) {
				w->ch = all[i];
				found = true;
			}
	json_decref(p);
	return found;
}

static void show_notes(struct watch *w)
{
	char path[512], *notes;

	snprintf(path, sizeof(path), "solutions/%s/NOTES.md", w->ch.id);
	notes = read_text(path, NULL);
	if (!notes)
		return;	/* a classroom copy has no solutions: nothing to say */
	printf("\nWhy it broke (%s):\n\n%s\n", path, notes);
	free(notes);
}

static void graded(struct watch *w)
{
	json_t *r, *c;
	bool full;

	if (progress_record(WATCH_REPORT, true) != 0) {
		printf("\n(the grader gave no report; save again to retry)\n");
		fflush(stdout);
		return;
	}
	/* This grading's score, not the best one: a save can lose marks too. */
	r = json_load_file(WATCH_REPORT, 0, NULL);
	c = json_array_get(json_object_get(r, "chapters"), 0);
	full = c && json_integer_value(json_object_get(c, "score")) >=
			    json_integer_value(json_object_get(c, "max_score"));
	json_decref(r);
	if (!full) {
		printf("\nwatching %s: save to re-grade\n", w->ch.source);
		fflush(stdout);
		return;
	}
	printf("\n%s is at full marks.\n", w->ch.id);
	show_notes(w);
	if (w->stay || !next_chapter(w)) {
		printf("%s\nwatching %s: save to re-grade\n", w->stay ? "" : "Every chapter is at full marks.",
		       w->ch.source);
		fflush(stdout);
		return;
	}
	watch_dir(w);
	w->waiting_next = true;
	printf("Next: %s. Edit %s and save (or press Enter) to grade it.\n", w->ch.id, w->ch.source);
	fflush(stdout);
}

/* Shows the grader's complete lines; true at the end of its output. */
static bool pump(struct watch *w)
{
	ssize_t got = read(w->out, w->line + w->line_len, sizeof(w->line) - w->line_len - 1);
	char *nl;

	if (got <= 0) {
		if (got < 0 && errno == EINTR)
			return false;
		if (w->line_len)
			say(w, w->line, w->line_len);
		return true;	/* EIO: the pseudo-terminal's last writer has gone */
	}
	w->line_len += (size_t)got;
	while ((nl = memchr(w->line, '\n', w->line_len))) {
		size_t len = (size_t)(nl - w->line);

		say(w, w->line, len);
		memmove(w->line, nl + 1, w->line_len - len - 1);
		w->line_len -= len + 1;
	}
	if (w->line_len == sizeof(w->line) - 1) {
		say(w, w->line, w->line_len);
		w->line_len = 0;
	}
	return false;
}

/* Whether an inotify batch holds a save of a chapter file. */
static bool saved(struct watch *w)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t got = read(w->inotify, buf, sizeof(buf));
	bool any = false;

	for (char *p = buf; got > 0 && p < buf + got;) {
		struct inotify_event *e = (struct inotify_event *)p;
		size_t len = e->len ? strlen(e->name) : 0;

		if (e->wd == w->wd && len > 2 && e->name[0] != '.' &&
		    (strcmp(e->name + len - 2, ".c") == 0 || strcmp(e->name + len - 2, ".h") == 0))
			any = true;
		p += sizeof(*e) + e->len;
	}
	return any;
}

int watch_run(const char *chapter_name, bool stay)
{
	struct watch w = { .wd = -1, .out = -1, .stay = stay };
	sigset_t mask;
	double due = 0;

	w.stamps = getenv("THREADCLINIC_WATCH_STAMPS") != NULL;
	if (chapter_name && *chapter_name) {
		if (!book_find(chapter_name, &w.ch))
			return 2;
	} else {
		struct chapter all[MAX_CHAPTERS];
		size_t n = book_chapters(all, MAX_CHAPTERS);
		json_t *p = progress_load();
		size_t i = 0;

		while (i < n && progress_full(p, all[i].id))
			i++;
		json_decref(p);
		if (n == 0) {
			fprintf(stderr, "watch: no chapter in chapters/\n");
			return 2;
		}
		w.ch = all[i < n ? i : 0];
		w.follow = true;
	}
	if (access("build/bin/grade", X_OK) != 0) {
		fprintf(stderr, "watch: build/bin/grade is missing (make watch builds it)\n");
		return 2;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &w.old_mask);
	w.sig = signalfd(-1, &mask, SFD_CLOEXEC);
	w.inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w.sig < 0 || w.inotify < 0) {
		perror("watch");
		return 1;
	}
	watch_dir(&w);
	start_grading(&w);
	for (;;) {
		struct pollfd fds[4] = {
			{ .fd = w.sig, .events = POLLIN },
			{ .fd = w.inotify, .events = POLLIN },
			{ .fd = w.out, .events = POLLIN },
			{ .fd = w.waiting_next && isatty(0) ? 0 : -1, .events = POLLIN },
		};
		int timeout = due ? (int)((due - now_s()) * 1000) + 1 : -1;

		if (due && timeout < 0)
			timeout = 0;
		if (poll(fds, 4, timeout) < 0 && errno != EINTR)
			break;
		if (fds[0].revents) {
			struct signalfd_siginfo si;

			if (read(w.sig, &si, sizeof(si)) > 0)
				break;
		}
		if (fds[1].revents && saved(&w))
			due = now_s() + QUIET_MS / 1000.0;
		if (fds[3].revents) {
			char junk[256];
			ssize_t got = read(0, junk, sizeof(junk));

			if (got > 0 && memchr(junk, '\n', (size_t)got))
				due = now_s();
		}
		if (fds[2].revents && pump(&w)) {
			int status;

			waitpid(w.grader, &status, 0);
			stop_grading(&w);	/* whatever it left */
			graded(&w);
		}
		if (due && now_s() >= due) {
			due = 0;
			w.waiting_next = false;
			start_grading(&w);
		}
	}
	if (w.grader)
		printf("\nwatch: stopping the grading\n");
	stop_grading(&w);
	printf("watch: bye\n");
	return 0;
}
