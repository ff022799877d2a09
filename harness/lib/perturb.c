/*
 * perturb.c - the wrappers behind perturb.h (linked with -Wl,--wrap=<fn>)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "perturb.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <valgrind/helgrind.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "lockgraph.h"
#include "random.h"

/* The real functions, as the linker's --wrap names them. */
int __real_clock_gettime(clockid_t clock, struct timespec *ts);
int __real_gettimeofday(struct timeval *restrict tv, void *restrict tz);
time_t __real_time(time_t *out);
int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __real_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				  const struct timespec *abstime);
int __real_pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
				  const struct timespec *abstime);
int __real_pthread_cond_signal(pthread_cond_t *c);
int __real_pthread_cond_broadcast(pthread_cond_t *c);
int __real_pthread_rwlock_rdlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_wrlock(pthread_rwlock_t *l);
int __real_pthread_rwlock_unlock(pthread_rwlock_t *l);
int __real_sem_wait(sem_t *s);
int __real_sem_post(sem_t *s);
int __real_sem_timedwait(sem_t *s, const struct timespec *abstime);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
			  void *arg);
int __real_pthread_join(pthread_t t, void **result);
int __real_sched_yield(void);
int __real_nanosleep(const struct timespec *req, struct timespec *rem);
int __real_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
			   struct timespec *rem);
int __real_usleep(useconds_t us);
unsigned __real_sleep(unsigned s);

/*
 * Set once, before main, by perturb_init(): whether TC_SEED asked for
 * perturbation, and the seed. Read-only afterwards.
 */
static bool enabled;
static uint64_t seed_value;
static bool waits_only;		/* TC_PERTURB=waits: condition waits alone */

/* How many threads have drawn so far: numbers each thread's generator. */
static _Atomic uint64_t threads_seen;

static _Atomic uint64_t count_spurious, count_stolen, count_yields, count_sleeps;

/* One thread's generator; belongs to that thread alone. */
struct thread_state {
	uint64_t random;
	bool ready;
	bool exempt;
};
static __thread struct thread_state self;

__attribute__((constructor)) static void perturb_init(void)
{
	const char *text = getenv("TC_SEED");
	char *end;

	if (!text || !*text)
		return;
	seed_value = strtoull(text, &end, 10);
	if (*end) {
		fprintf(stderr, "perturbation: TC_SEED=%s is not a decimal number; off\n", text);
		return;
	}
	enabled = true;
	text = getenv("TC_PERTURB");
	waits_only = text && strcmp(text, "waits") == 0;
}

bool perturb_seed(uint64_t *seed)
{
	if (enabled && seed)
		*seed = seed_value;
	return enabled;
}

void perturb_exempt_thread(void)
{
	self.exempt = true;
}

void perturb_counts(struct perturb_counts *out)
{
	out->spurious = atomic_load(&count_spurious);
	out->stolen = atomic_load(&count_stolen);
	out->yields = atomic_load(&count_yields);
	out->sleeps = atomic_load(&count_sleeps);
}

/* True when the calling thread is to be perturbed at all. */
/* Set by perturb_pause(): no thread is perturbed while it is. */
static atomic_bool paused;

void perturb_pause(bool pause)
{
	/*
	 * A relaxed flag is no race, but Helgrind does not know C11 atomics:
	 * tell it to leave this byte alone (harness code, not the learner's).
	 */
	VALGRIND_HG_DISABLE_CHECKING(&paused, sizeof(paused));
	atomic_store_explicit(&paused, pause, memory_order_relaxed);
}

static inline bool active(void)
{
	return __builtin_expect(enabled, 0) && !self.exempt &&
	       !atomic_load_explicit(&paused, memory_order_relaxed);
}

/* The calling thread's next 64 random bits (active() threads only). */
static uint64_t draw(void)
{
	if (!self.ready) {
		uint64_t n = atomic_fetch_add_explicit(&threads_seen, 1, memory_order_relaxed);

		self.random = seed_value ^ ((n + 1) * 0xd1b54a32d192ed03u);
		self.ready = true;
	}
	return world_random(&self.random);
}

static void yield_now(void)
{
	atomic_fetch_add_explicit(&count_yields, 1, memory_order_relaxed);
	__real_sched_yield();
}

/* Sleeps 10-200 us, chosen by r. */
static void short_sleep(uint64_t r)
{
	struct timespec ts = { 0, (long)(10 + r % 191) * 1000L };

	atomic_fetch_add_explicit(&count_sleeps, 1, memory_order_relaxed);
	__real_nanosleep(&ts, NULL);
}

/* The common perturbation point: rarely a short sleep, often a yield. */
static void maybe_pause(void)
{
	uint64_t r;

	if (waits_only)
		return;
	r = draw();

	if ((r & 1023) == 0)
		short_sleep(r >> 10);
	else if ((r >> 10 & 7) == 0)
		yield_now();
}

/*
 * Before a condition wait: true (and the mutex released, a yield, the mutex
 * taken again) when this wait is to return at once as a spurious wake-up.
 */
static bool spurious_wakeup(pthread_mutex_t *m)
{
	if ((draw() & 3) != 0)
		return false;
	atomic_fetch_add_explicit(&count_spurious, 1, memory_order_relaxed);
	__real_pthread_mutex_unlock(m);
	__real_sched_yield();
	__real_pthread_mutex_lock(m);
	return true;
}

/*
 * After a condition wait that returned holding m: sometimes lets go of m
 * for a yield, as if another thread had taken it first (a stolen wake-up).
 */
static void maybe_steal(pthread_mutex_t *m)
{
	uint64_t r = draw();

	if ((r & 3) != 0)
		return;
	atomic_fetch_add_explicit(&count_stolen, 1, memory_order_relaxed);
	__real_pthread_mutex_unlock(m);
	if ((r >> 2 & 63) == 0)
		short_sleep(r >> 8);
	else
		__real_sched_yield();
	__real_pthread_mutex_lock(m);
}

/* The wall clock step, in nanoseconds, added to CLOCK_REALTIME. */
static _Atomic int64_t wallclock_offset_ns;

void perturb_wallclock_step(int64_t ns)
{
	atomic_fetch_add(&wallclock_offset_ns, ns);
}

int64_t perturb_wallclock_offset(void)
{
	return atomic_load_explicit(&wallclock_offset_ns, memory_order_relaxed);
}

/* *ts moved by offset ns, normalised (0 <= tv_nsec < 1e9). */
static void shift_timespec(struct timespec *ts, int64_t offset)
{
	int64_t ns = (int64_t)ts->tv_nsec + offset % 1000000000;

	ts->tv_sec += (time_t)(offset / 1000000000);
	if (ns < 0) {
		ns += 1000000000;
		ts->tv_sec--;
	} else if (ns >= 1000000000) {
		ns -= 1000000000;
		ts->tv_sec++;
	}
	ts->tv_nsec = (long)ns;
}

/* ---- the monotonic warp (perturb_monotonic_step) ---- */

/* Set by perturb_warp_arm(); the monotonic clocks' step so far (ns, >= 0). */
static atomic_bool warp_armed;
static _Atomic int64_t monotonic_offset_ns;

/* The longest real wait or sleep a warped wait makes before it looks again. */
#define WARP_SLICE_NS 5000000

void perturb_warp_arm(void)
{
	VALGRIND_HG_DISABLE_CHECKING(&warp_armed, sizeof(warp_armed));
	VALGRIND_HG_DISABLE_CHECKING(&monotonic_offset_ns, sizeof(monotonic_offset_ns));
	atomic_store(&warp_armed, true);
}

/* What the steps since the warp was armed added to the wall clock. */
static _Atomic int64_t warp_wall_ns;

void perturb_warp_disarm(void)
{
	atomic_store(&warp_armed, false);
	atomic_fetch_sub(&wallclock_offset_ns, atomic_exchange(&warp_wall_ns, 0));
}

void perturb_monotonic_step(int64_t ns)
{
	perturb_warp_arm();
	if (ns > 0) {
		/* The wall clock first: no reader sees the monotonic clock ahead of it. */
		atomic_fetch_add(&wallclock_offset_ns, ns);
		atomic_fetch_add(&warp_wall_ns, ns);
		atomic_fetch_add(&monotonic_offset_ns, ns);
	}
}

static bool is_monotonic(clockid_t clock)
{
	return clock == CLOCK_MONOTONIC || clock == CLOCK_MONOTONIC_RAW ||
	       clock == CLOCK_MONOTONIC_COARSE || clock == CLOCK_BOOTTIME;
}

/* The step the calling thread sees on clock (the watchdog sees none). */
static int64_t warp_of(clockid_t clock)
{
	if (self.exempt || !is_monotonic(clock))
		return 0;
	return atomic_load_explicit(&monotonic_offset_ns, memory_order_relaxed);
}

/* True when waits and sleeps of the calling thread must follow the warp. */
static bool warping(void)
{
	return !self.exempt && atomic_load_explicit(&warp_armed, memory_order_relaxed);
}

/* True when a monotonic deadline of the calling thread needs translating. */
static bool warped(void)
{
	return warping() || warp_of(CLOCK_MONOTONIC) != 0;
}

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static struct timespec timespec_of(int64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000),
				  .tv_nsec = (long)(ns % 1000000000) };
}

/* Now on clock as the calling thread sees it (warp included), in ns. */
static int64_t seen_now(clockid_t clock)
{
	struct timespec ts;

	__real_clock_gettime(clock, &ts);
	return ns_of(&ts) + warp_of(clock);
}

/*
 * A condition wait until abstime on clock (as the caller sees the clock),
 * under the warp: the deadline moved back by the step so far, and while the
 * warp is armed one real wait of at most WARP_SLICE_NS, then ETIMEDOUT when
 * the deadline has passed (a step may have moved it), else the real wait's
 * result (0 after a slice: a spurious wake-up, which POSIX allows). With
 * timed, through pthread_cond_timedwait() (c's own clock is `clock`), else
 * pthread_cond_clockwait(): the call the program made, which the race tools
 * know.
 */
static int warped_cond_wait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
			    const struct timespec *abstime, bool timed)
{
	int64_t deadline = ns_of(abstime), now = seen_now(clock), real_until;
	struct timespec until;
	int rc;

	if (now >= deadline)
		return ETIMEDOUT;
	real_until = (!warping() || deadline - now < WARP_SLICE_NS ? deadline :
		      now + WARP_SLICE_NS) - warp_of(clock);
	until = timespec_of(real_until);
	rc = timed ? __real_pthread_cond_timedwait(c, m, &until) :
		     __real_pthread_cond_clockwait(c, m, clock, &until);
	if (rc == ETIMEDOUT)
		rc = seen_now(clock) >= deadline ? ETIMEDOUT : 0;
	return rc;
}

/* The clock a condition variable's timed waits use (glibc keeps it in __wrefs bit 1). */
static clockid_t cond_clock(const pthread_cond_t *c)
{
	return (c->__data.__wrefs & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

/* Sleeps until `target` on clock as the caller sees it, in slices. */
static int warped_sleep_until(clockid_t clock, int64_t target, struct timespec *rem)
{
	int64_t now;

	while ((now = seen_now(clock)) < target) {
		struct timespec slice = timespec_of(!warping() || target - now < WARP_SLICE_NS ?
						    target - now : WARP_SLICE_NS);

		if (__real_nanosleep(&slice, NULL) != 0) {
			if (rem)
				*rem = timespec_of(target - seen_now(clock) > 0 ?
						   target - seen_now(clock) : 0);
			return -1;	/* errno from nanosleep (EINTR) */
		}
	}
	return 0;
}

int __wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!warping() || !req || req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
		return __real_nanosleep(req, rem);
	return warped_sleep_until(CLOCK_MONOTONIC, seen_now(CLOCK_MONOTONIC) + ns_of(req), rem);
}

int __wrap_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
			   struct timespec *rem)
{
	int64_t target;

	if (!warped() || !is_monotonic(clock) || !req || req->tv_nsec < 0 ||
	    req->tv_nsec >= 1000000000)
		return __real_clock_nanosleep(clock, flags, req, rem);
	target = (flags & TIMER_ABSTIME) ? ns_of(req) : seen_now(clock) + ns_of(req);
	return warped_sleep_until(clock, target, (flags & TIMER_ABSTIME) ? NULL : rem) ?
	       errno : 0;
}

int __wrap_usleep(useconds_t us)
{
	struct timespec ts = timespec_of((int64_t)us * 1000);

	return warping() ? __wrap_nanosleep(&ts, NULL) : __real_usleep(us);
}

unsigned __wrap_sleep(unsigned s)
{
	struct timespec ts = timespec_of((int64_t)s * 1000000000), rem = { 0 };

	if (!warping())
		return __real_sleep(s);
	return __wrap_nanosleep(&ts, &rem) ? (unsigned)rem.tv_sec : 0;
}

int __wrap_clock_gettime(clockid_t clock, struct timespec *ts)
{
	int rc = __real_clock_gettime(clock, ts);
	int64_t offset;

	if (rc == 0 && clock == CLOCK_REALTIME && (offset = perturb_wallclock_offset()) != 0)
		shift_timespec(ts, offset);
	else if (rc == 0 && (offset = warp_of(clock)) != 0)
		shift_timespec(ts, offset);
	return rc;
}

int __wrap_gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	int rc = __real_gettimeofday(tv, tz);
	int64_t offset;

	if (rc == 0 && tv && (offset = perturb_wallclock_offset()) != 0) {
		struct timespec ts = { .tv_sec = tv->tv_sec, .tv_nsec = tv->tv_usec * 1000L };

		shift_timespec(&ts, offset);
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	return rc;
}

time_t __wrap_time(time_t *out)
{
	int64_t offset = perturb_wallclock_offset();
	time_t now;
	struct timespec ts;

	if (offset == 0)
		return __real_time(out);
	if (__real_clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (time_t)-1;
	shift_timespec(&ts, offset);
	now = ts.tv_sec;
	if (out)
		*out = now;
	return now;
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
	void *site = __builtin_return_address(0);	/* lockgraph.h */
	int rc;

	if (active())
		maybe_pause();
	lockgraph_waiting(m, site);
	rc = __real_pthread_mutex_lock(m);
	lockgraph_acquired(m, site, rc == 0);
	return rc;
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
	int rc;

	lockgraph_released(m);
	rc = __real_pthread_mutex_unlock(m);

	if (active())
		maybe_pause();
	return rc;
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m)
{
	int rc;

	if (active())
		maybe_pause();
	rc = __real_pthread_mutex_trylock(m);
	if (rc == 0)
		lockgraph_tried(m, __builtin_return_address(0));
	return rc;
}

int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	int rc;

	if (!active())
		return __real_pthread_cond_wait(c, m);
	if (spurious_wakeup(m))
		return 0;
	rc = __real_pthread_cond_wait(c, m);
	maybe_steal(m);
	return rc;
}

int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				  const struct timespec *abstime)
{
	int rc;

	if (warped() && abstime && cond_clock(c) == CLOCK_MONOTONIC) {
		if (active() && spurious_wakeup(m))
			return 0;
		return warped_cond_wait(c, m, CLOCK_MONOTONIC, abstime, true);
	}
	if (!active())
		return __real_pthread_cond_timedwait(c, m, abstime);
	if (spurious_wakeup(m))
		return 0;
	rc = __real_pthread_cond_timedwait(c, m, abstime);
	maybe_steal(m);
	return rc;
}

int __wrap_pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
				  const struct timespec *abstime)
{
	int rc;

	if (warped() && abstime && is_monotonic(clock)) {
		if (active() && spurious_wakeup(m))
			return 0;
		return warped_cond_wait(c, m, clock, abstime, false);
	}
	if (!active())
		return __real_pthread_cond_clockwait(c, m, clock, abstime);
	if (spurious_wakeup(m))
		return 0;
	rc = __real_pthread_cond_clockwait(c, m, clock, abstime);
	maybe_steal(m);
	return rc;
}

int __wrap_pthread_cond_signal(pthread_cond_t *c)
{
	if (active())
		maybe_pause();
	return __real_pthread_cond_signal(c);
}

int __wrap_pthread_cond_broadcast(pthread_cond_t *c)
{
	if (active())
		maybe_pause();
	return __real_pthread_cond_broadcast(c);
}

int __wrap_pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (active())
		maybe_pause();
	return __real_pthread_rwlock_rdlock(l);
}

int __wrap_pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (active())
		maybe_pause();
	return __real_pthread_rwlock_wrlock(l);
}

int __wrap_pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	int rc = __real_pthread_rwlock_unlock(l);

	if (active())
		maybe_pause();
	return rc;
}

int __wrap_sem_wait(sem_t *s)
{
	if (active())
		maybe_pause();
	return __real_sem_wait(s);
}

int __wrap_sem_timedwait(sem_t *s, const struct timespec *abstime)
{
	if (active())
		maybe_pause();
	return __real_sem_timedwait(s, abstime);
}

int __wrap_sem_post(sem_t *s)
{
	int rc = __real_sem_post(s);

	if (active())
		maybe_pause();
	return rc;
}

/* pthread_create() calls left before one fails; 0: none will. */
static atomic_int create_failure_countdown;

void perturb_fail_create_after(int calls)
{
	atomic_store(&create_failure_countdown, calls > 0 ? calls + 1 : 0);
}

/* pthread_create() calls left before one's thread is held; 0: none will. */
static atomic_int hold_countdown;
static atomic_bool hold_released, hold_waiting;
/* The held thread's start routine: written before its pthread_create(). */
static void *(*held_fn)(void *);
static void *held_arg;

void perturb_hold_start_after(int calls)
{
	atomic_store(&hold_released, false);
	atomic_store(&hold_countdown, calls >= 0 ? calls + 1 : 0);
}

void perturb_release_start(void)
{
	atomic_store(&hold_countdown, 0);
	atomic_store(&hold_released, true);
}

bool perturb_start_held(void)
{
	return atomic_load(&hold_waiting);
}

static void *held_start(void *unused)
{
	void *(*fn)(void *) = held_fn;
	void *arg = held_arg;
	struct timespec ms = { 0, 1000000 };

	(void)unused;
	atomic_store(&hold_waiting, true);
	while (!atomic_load(&hold_released))
		__real_nanosleep(&ms, NULL);
	atomic_store(&hold_waiting, false);
	return fn(arg);
}

void perturb_fail_create_next(void)
{
	atomic_store(&create_failure_countdown, 1);
}

/*
 * Lingering threads (perturb_linger_threads): each gets a slot of its own,
 * written before pthread_create() and read by the new thread only (create
 * orders the two); a slot is never reused, so no two threads share one.
 */
enum { LINGER_SLOTS = 256 };

struct linger_slot {
	void *(*fn)(void *);
	void *arg;
	uint64_t ns;
};

static struct linger_slot linger_slots[LINGER_SLOTS];
static atomic_uint linger_next;
static _Atomic uint64_t linger_ns;

void perturb_linger_threads(uint64_t ns)
{
	atomic_store(&linger_ns, ns);
}

static void *linger_main(void *arg)
{
	struct linger_slot *slot = arg;
	void *result = slot->fn(slot->arg);
	struct timespec ts = {
		.tv_sec = (time_t)(slot->ns / 1000000000u),
		.tv_nsec = (long)(slot->ns % 1000000000u),
	};

	while (__real_nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	return result;
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
			  void *arg)
{
	int left = atomic_load(&create_failure_countdown), rc;
	uint64_t linger = atomic_load(&linger_ns);

	/* Counts down to 1; the call that finds 1 fails, and the countdown ends. */
	while (left > 0 && !atomic_compare_exchange_weak(&create_failure_countdown, &left,
							 left - 1))
		;
	if (left == 1)
		return EAGAIN;
	left = atomic_load(&hold_countdown);
	while (left > 0 && !atomic_compare_exchange_weak(&hold_countdown, &left, left - 1))
		;
	if (left == 1) {
		held_fn = fn;
		held_arg = arg;
		fn = held_start;
		arg = NULL;
	}
	if (linger) {
		unsigned k = atomic_fetch_add(&linger_next, 1);

		if (k < LINGER_SLOTS) {
			linger_slots[k] = (struct linger_slot){ fn, arg, linger };
			fn = linger_main;
			arg = &linger_slots[k];
		}
	}
	rc = __real_pthread_create(t, attr, fn, arg);

	if (active())
		maybe_pause();
	return rc;
}

int __wrap_pthread_join(pthread_t t, void **result)
{
	if (active())
		maybe_pause();
	return __real_pthread_join(t, result);
}

int __wrap_sched_yield(void)
{
	int rc = __real_sched_yield();

	if (active()) {
		uint64_t r = draw();

		if ((r & 63) == 0)
			short_sleep(r >> 6);
	}
	return rc;
}
