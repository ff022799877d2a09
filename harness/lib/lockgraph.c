/*
 * lockgraph.c - the held/waiting table behind lockgraph.h
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "lockgraph.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/helgrind.h>

#include "channel.h"

#define SLOTS 512
#define HELD 16
#define NAMES 64
#define NAME_LEN 48
#define RELAXED memory_order_relaxed

/* One thread's entry; written by that thread only, read by the watchdog. */
struct slot {
	atomic_int used;			/* 0 free, 1 taken */
	atomic_int tid;
	_Atomic(uintptr_t) waiting, wait_site;	/* 0: not waiting */
	atomic_uint nheld;
	struct {
		_Atomic(uintptr_t) lock, site;
	} held[HELD];
};

static struct slot slots[SLOTS];
static __thread struct slot *mine;
static __thread bool no_slot;			/* the table was full, or the thread is ending */
static pthread_key_t exit_key;

static struct {
	_Atomic(uintptr_t) lock;
	atomic_int rank;		/* 0: none */
	char name[NAME_LEN];
} names[NAMES];
static atomic_int nnames;

/* The first acquisition against the ranks: the lock taken, the one held. */
static _Atomic(uintptr_t) order_taken, order_held;

/* At thread exit: the slot goes back to the table. */
static void release_slot(void *arg)
{
	struct slot *s = arg;

	atomic_store_explicit(&s->nheld, 0, RELAXED);
	atomic_store_explicit(&s->waiting, 0, RELAXED);
	atomic_store_explicit(&s->used, 0, memory_order_release);
	/* Runs in the exiting thread: its later lock calls, if any, go untracked. */
	mine = NULL;
	no_slot = true;
}

/*
 * Runs before main(), so before any thread exists: every thread's first
 * lock call sees the key through thread creation (no pthread_once, whose
 * fast path Helgrind cannot order).
 */
__attribute__((constructor)) static void make_key(void)
{
	/*
	 * Harness bookkeeping, synchronised by atomics Helgrind does not know:
	 * tell it to leave the table alone (it is not the learner's memory).
	 */
	VALGRIND_HG_DISABLE_CHECKING(slots, sizeof(slots));
	VALGRIND_HG_DISABLE_CHECKING(names, sizeof(names));
	pthread_key_create(&exit_key, release_slot);
}

/* The calling thread's slot, claimed on first use; NULL when all are taken. */
static struct slot *self_slot(void)
{
	if (mine || no_slot)
		return mine;
	for (int i = 0; i < SLOTS; i++) {
		int free_ = 0;

		if (atomic_load_explicit(&slots[i].used, RELAXED) == 0 &&
		    atomic_compare_exchange_strong(&slots[i].used, &free_, 1)) {
			mine = &slots[i];
			atomic_store_explicit(&mine->tid, (int)gettid(), RELAXED);
			atomic_store_explicit(&mine->nheld, 0, RELAXED);
			atomic_store_explicit(&mine->waiting, 0, RELAXED);
			pthread_setspecific(exit_key, mine);
			return mine;
		}
	}
	no_slot = true;
	return NULL;
}

void lockgraph_waiting(const void *lock, const void *site)
{
	struct slot *s = self_slot();

	if (!s)
		return;
	atomic_store_explicit(&s->wait_site, (uintptr_t)site, RELAXED);
	atomic_store_explicit(&s->waiting, (uintptr_t)lock, RELAXED);
}

/* The rank given to lock, or 0. */
static int rank_of(uintptr_t lock)
{
	int n = atomic_load_explicit(&nnames, RELAXED);

	for (int i = 0; i < n && i < NAMES; i++)
		if (atomic_load_explicit(&names[i].lock, RELAXED) == lock)
			return atomic_load_explicit(&names[i].rank, RELAXED);
	return 0;
}

/* Keeps the first blocking acquisition of lock while s holds a higher rank. */
static void check_order(struct slot *s, uintptr_t lock, unsigned n)
{
	int rank;

	if (atomic_load_explicit(&nnames, RELAXED) == 0 ||
	    atomic_load_explicit(&order_taken, RELAXED) || (rank = rank_of(lock)) == 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		uintptr_t held = atomic_load_explicit(&s->held[i].lock, RELAXED), none = 0;

		if (rank_of(held) > rank &&
		    atomic_compare_exchange_strong(&order_taken, &none, lock)) {
			atomic_store(&order_held, held);
			return;
		}
	}
}

/* Pushes lock on s's held list. */
static void push_held(struct slot *s, const void *lock, const void *site)
{
	unsigned n = atomic_load_explicit(&s->nheld, RELAXED);

	if (n >= HELD)
		return;
	atomic_store_explicit(&s->held[n].lock, (uintptr_t)lock, RELAXED);
	atomic_store_explicit(&s->held[n].site, (uintptr_t)site, RELAXED);
	atomic_store_explicit(&s->nheld, n + 1, RELAXED);
}

unsigned lockgraph_waiters(const void *lock)
{
	unsigned n = 0;

	for (int i = 0; i < SLOTS; i++)
		if (atomic_load_explicit(&slots[i].used, memory_order_acquire) &&
		    atomic_load_explicit(&slots[i].waiting, RELAXED) == (uintptr_t)lock)
			n++;
	return n;
}

void lockgraph_tried(const void *lock, const void *site)
{
	struct slot *s = self_slot();

	if (s)
		push_held(s, lock, site);
}

void lockgraph_acquired(const void *lock, const void *site, int acquired)
{
	struct slot *s = self_slot();

	if (!s)
		return;
	atomic_store_explicit(&s->waiting, 0, RELAXED);
	if (!acquired)
		return;
	check_order(s, (uintptr_t)lock, atomic_load_explicit(&s->nheld, RELAXED));
	push_held(s, lock, site);
}

void lockgraph_released(const void *lock)
{
	struct slot *s = self_slot();
	unsigned n;

	if (!s)
		return;
	n = atomic_load_explicit(&s->nheld, RELAXED);
	for (unsigned i = n; i-- > 0;) {
		if (atomic_load_explicit(&s->held[i].lock, RELAXED) != (uintptr_t)lock)
			continue;
		/* Keep the order of the others: the sentence names the first taken. */
		for (unsigned j = i; j + 1 < n; j++) {
			atomic_store_explicit(&s->held[j].lock,
					      atomic_load_explicit(&s->held[j + 1].lock, RELAXED),
					      RELAXED);
			atomic_store_explicit(&s->held[j].site,
					      atomic_load_explicit(&s->held[j + 1].site, RELAXED),
					      RELAXED);
		}
		atomic_store_explicit(&s->nheld, n - 1, RELAXED);
		return;
	}
}

void lockgraph_name(const void *lock, const char *name)
{
	int i = atomic_load(&nnames);

	if (i >= NAMES)
		return;
	snprintf(names[i].name, NAME_LEN, "%s", name);
	atomic_store(&names[i].lock, (uintptr_t)lock);
	atomic_store(&nnames, i + 1);
}

void lockgraph_rank(const void *lock, int rank)
{
	int n = atomic_load(&nnames);

	for (int i = 0; i < n && i < NAMES; i++)
		if (atomic_load(&names[i].lock) == (uintptr_t)lock)
			atomic_store(&names[i].rank, rank);
}

void lockgraph_forget_names(void)
{
	int n = atomic_load(&nnames);

	atomic_store(&nnames, 0);
	for (int i = 0; i < n && i < NAMES; i++)
		atomic_store(&names[i].rank, 0);
	atomic_store(&order_taken, 0);
	atomic_store(&order_held, 0);
}

/* A snapshot of one slot, taken by the watchdog. */
struct view {
	int tid;
	uintptr_t waiting, wait_site;
	unsigned nheld;
	uintptr_t lock[HELD], site[HELD];
};

static int snapshot(struct view *v)
{
	int n = 0;

	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[i];

		if (!atomic_load_explicit(&s->used, memory_order_acquire))
			continue;
		v[n].tid = atomic_load_explicit(&s->tid, RELAXED);
		v[n].waiting = atomic_load_explicit(&s->waiting, RELAXED);
		v[n].wait_site = atomic_load_explicit(&s->wait_site, RELAXED);
		v[n].nheld = atomic_load_explicit(&s->nheld, RELAXED);
		if (v[n].nheld > HELD)
			v[n].nheld = HELD;
		for (unsigned j = 0; j < v[n].nheld; j++) {
			v[n].lock[j] = atomic_load_explicit(&s->held[j].lock, RELAXED);
			v[n].site[j] = atomic_load_explicit(&s->held[j].site, RELAXED);
		}
		n++;
	}
	return n;
}

/* Index of lock in v's held list, or -1. */
static int holds(const struct view *v, uintptr_t lock)
{
	for (unsigned j = 0; j < v->nheld; j++)
		if (v->lock[j] == lock)
			return (int)j;
	return -1;
}

/*
 * Who thread t waits for: a thread holding t's lock, preferring one that
 * itself waits (a thread may hold it after a condition wait too). -1: none.
 */
static int next_of(const struct view *v, int n, int t)
{
	int any = -1;

	if (!v[t].waiting)
		return -1;
	for (int i = 0; i < n; i++) {
		if (holds(&v[i], v[t].waiting) < 0)
			continue;
		if (v[i].waiting)
			return i;
		any = i;
	}
	return any;
}

/* The lock's name as the sentence shows it. */
static void lock_name(uintptr_t lock, char *out, size_t size)
{
	int n = atomic_load(&nnames);

	for (int i = 0; i < n && i < NAMES; i++)
		if (atomic_load(&names[i].lock) == lock) {
			snprintf(out, size, "%.*s", NAME_LEN - 1, names[i].name);
			return;
		}
	snprintf(out, size, "the mutex at %#lx", (unsigned long)lock);
}

/*
 * file:line of each call site (a return address: the call is the byte
 * before it), from eu-addr2line on this process; "?" where it cannot tell.
 */
void lockgraph_symbolise(const uintptr_t *sites, int n, char where[][160])
{
	char pid[24], args[2 * HELD + 8][24], *argv[2 * HELD + 16];
	char text[8192];
	int fds[2], argc = 0;
	pid_t child;

	for (int i = 0; i < n; i++)
		snprintf(where[i], 160, "at ?");
	if (n == 0 || n > 2 * HELD || pipe(fds) != 0)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	argv[argc++] = "eu-addr2line";
	argv[argc++] = "-p";
	argv[argc++] = pid;
	for (int i = 0; i < n; i++) {
		snprintf(args[i], sizeof(args[i]), "%#lx", (unsigned long)(sites[i] - 1));
		argv[argc++] = args[i];
	}
	argv[argc] = NULL;
	child = fork();
	if (child == 0) {
		close(fds[0]);
		dup2(fds[1], 1);
		execvp("eu-addr2line", argv);
		_exit(127);
	}
	close(fds[1]);
	if (child < 0) {
		close(fds[0]);
		return;
	}
	tc_child_output(child, fds[0], text, sizeof(text), 250);	/* at most 5 s */
	/*
	 * One line per address: "/path/file.c:41" or "...:41:5"; "??:0" unknown.
	 * Each becomes "at file.c:41", or "by the test itself" for the harness's
	 * own code (a file the learner has no reason to open).
	 */
	{
		char *line = text;

		for (int i = 0; i < n && line && *line; i++) {
			char *end = strchr(line, '\n'), *colon;

			if (end)
				*end = '\0';
			colon = strchr(line, ':');
			if (colon && strncmp(line, "??", 2) != 0) {
				char *second = strchr(colon + 1, ':');

				if (second)
					*second = '\0';
				*colon = '\0';
				if (strstr(line, "/harness/"))
					snprintf(where[i], 160, "by the test itself");
				else
					snprintf(where[i], 160, "at %.100s:%.40s",
						 strrchr(line, '/') ? strrchr(line, '/') + 1 : line,
						 colon + 1);
			}
			line = end ? end + 1 : NULL;
		}
	}
}

size_t lockgraph_cycle(char *out, size_t size)
{
	static struct view v[SLOTS];
	int n = snapshot(v), start = -1, cycle[SLOTS], len = 0;
	uintptr_t sites[2 * HELD] = { 0 };
	char where[2 * HELD][160];
	size_t used = 0;

	if (size == 0)
		return 0;
	out[0] = '\0';
	/* Walk from each waiting thread; n steps without an end means a cycle. */
	for (int t = 0; t < n && start < 0; t++) {
		int at = t;

		for (int step = 0; step < n && at >= 0; step++)
			at = next_of(v, n, at);
		if (at >= 0)
			start = at;	/* on the cycle: n steps from anywhere end inside it */
	}
	if (start < 0)
		return 0;
	for (int at = start; len < n && len < HELD; at = next_of(v, n, at)) {
		cycle[len++] = at;
		if (next_of(v, n, at) == start)
			break;
	}
	/* Each thread: where it took the lock the previous one waits for, where it waits. */
	for (int i = 0; i < len; i++) {
		const struct view *me = &v[cycle[i]];
		const struct view *prev = &v[cycle[(i + len - 1) % len]];
		int h = holds(me, prev->waiting);

		sites[2 * i] = h >= 0 ? me->site[h] : 0;
		sites[2 * i + 1] = me->wait_site;
	}
	lockgraph_symbolise(sites, 2 * len, where);
	used += (size_t)snprintf(out, size, "deadlock: ");
	for (int i = 0; i < len && used < size; i++) {
		const struct view *me = &v[cycle[i]];
		const struct view *prev = &v[cycle[(i + len - 1) % len]];
		char held[NAME_LEN + 32], wanted[NAME_LEN + 32];

		lock_name(prev->waiting, held, sizeof(held));
		lock_name(me->waiting, wanted, sizeof(wanted));
		if (len == 1)
			used += (size_t)snprintf(out + used, size - used,
						 "thread %d holds %s (taken %s) and waits for it "
						 "again (%s): a non-recursive mutex taken twice by "
						 "one thread", me->tid, held, where[0], where[1]);
		else
			used += (size_t)snprintf(out + used, size - used,
						 "%sthread %d holds %s (taken %s) and waits for %s "
						 "(%s)", i ? "; " : "", me->tid, held, where[2 * i],
						 wanted, where[2 * i + 1]);
	}
	return used < size ? used : size - 1;
}

size_t lockgraph_order_error(char *out, size_t size)
{
	char taken[NAME_LEN + 32], held[NAME_LEN + 32];
	uintptr_t t = atomic_load(&order_taken);
	int len;

	if (size)
		out[0] = '\0';
	if (!t || size == 0)
		return 0;
	lock_name(t, taken, sizeof(taken));
	lock_name(atomic_load(&order_held), held, sizeof(held));
	len = snprintf(out, size, "took %s while holding %s", taken, held);
	return len < 0 ? 0 : (size_t)len < size ? (size_t)len : size - 1;
}

void lockgraph_report(size_t index)
{
	static char text[4096];
	size_t len = lockgraph_cycle(text, sizeof(text));

	if (len)
		tc_channel_send("cycle", index, text, len);
}
