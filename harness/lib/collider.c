/*
 * collider.c - the runtime behind collider.h: every __tsan_ hook gcc's
 * -fsanitize=thread emits, without ThreadSanitizer
 *
 * The fast path of a plain access is one global load and a thread-local
 * countdown. The slow path runs when some access is watched (the canary's
 * phase counts as one) or when the countdown runs out (every 128th access
 * or so): it checks the table, and a countdown's end makes the access a
 * candidate for watching, which its call site's count in a small
 * per-thread cache decides (the first 3 samples of a site, then one in 4:
 * about one access in 500 of a hot site). A thread pauses only while
 * another thread that ran learner code is alive (a lone thread could meet
 * nobody), at most THREAD_PAUSES times, and all at most SCENARIO_PAUSES
 * times per scenario.
 *
 * The hooks' cost is measured once at start-up (measure_hook_cost), and the
 * slow path times itself, so that the learner's clocks can discount both
 * (tc_collider_clock_gettime).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "collider.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "channel.h"
#include "collider_table.h"
#include "lockgraph.h"

#define PAUSE_NS 200000L		/* one watched access */
#define CANARY_WAIT_NS 10000000000LL	/* the canary's, at most (a loaded machine) */
#define PERIOD 128			/* the countdown: 1..2*PERIOD accesses */
#define FIRST 3				/* samples of a site always watched */
#define EVERY 4				/* then one sample in EVERY */
#define THREAD_PAUSES 32		/* pauses a thread may take */
#define SCENARIO_PAUSES 400		/* pauses all threads may take per scenario */
#define SITES 256			/* the per-thread site cache */
#define FOUND 16			/* races kept (distinct pairs of sites) */
#define ATOMIC_EVERY 16			/* about one atomic load in ATOMIC_EVERY pauses */
#define ATOMIC_PAUSES 32		/* such pauses a thread may take */
#define SCENARIO_ATOMIC_PAUSES 200	/* and all threads per scenario */

static struct collider_table table;
static _Atomic(uintptr_t) canary_lo, canary_len;
static atomic_int budget = SCENARIO_PAUSES;
static atomic_int atomic_budget = SCENARIO_ATOMIC_PAUSES;
static atomic_uint next_tid;
static atomic_bool canary_caught;	/* a race on the canary's range is kept */
static atomic_bool canary_armed;	/* table.armed holds one extra for the canary */
static atomic_int live;			/* threads that ran learner code and still run */
static atomic_int inside;		/* threads inside an instrumented function now */
static atomic_int peak;			/* the most of them at once (tc_collider_peak_reset) */
static __thread int depth;		/* this thread's instrumented frames */
static __thread bool counted;		/* this thread is counted in `inside` */
static void count_inside(void);
static pthread_key_t live_key;

/* Distinct races found: the watched access and the one that met it. */
static struct {
	atomic_int ready;		/* 0 free, 1 being written, 2 complete */
	struct collider_access watched, met;
	bool canary;
} found[FOUND];
static atomic_int nfound;
static int reported;			/* the driver's main thread only */

static __thread unsigned self_tid;
static __thread bool harness_thread;	/* the driver's main thread: not watched */
static __thread int countdown;
static __thread unsigned paused, rng;
static __thread long long hooks_done;	/* calls before the current countdown */
static __thread int countdown_set;	/* what the current countdown started from */
static __thread long long slow_ns;	/* time this thread spent on the slow path */
static __thread long long paused_ns;	/* of which asleep, watching */
static __thread long long last_mono_ns, last_cpu_ns;	/* the last discounted times it read */
static long long hook_cost_ps;		/* one hook call, in picoseconds */
static __thread int atomic_countdown;
static __thread unsigned atomic_paused;
static __thread uintptr_t site_key[SITES];
static __thread unsigned site_count[SITES];

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void thread_ends(void *arg)
{
	(void)arg;
	atomic_fetch_sub(&live, 1);
	if (counted) {
		counted = false;
		atomic_fetch_sub(&inside, 1);
	}
}

/* Runs before main(): before any thread exists. */
__attribute__((constructor)) static void make_live_key(void)
{
	pthread_key_create(&live_key, thread_ends);
}

static unsigned tid(void)
{
	if (!self_tid) {
		self_tid = atomic_fetch_add(&next_tid, 1) + 1;
		rng = self_tid * 2654435761u | 1;
		atomic_fetch_add(&live, 1);
		pthread_setspecific(live_key, &live);
	}
	return self_tid;
}

static unsigned next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static bool in_canary(const struct collider_access *a)
{
	uintptr_t lo = atomic_load_explicit(&canary_lo, memory_order_relaxed);
	uintptr_t len = atomic_load_explicit(&canary_len, memory_order_relaxed);

	return len && a->addr < lo + len && lo < a->addr + a->size;
}

/* Keeps the race of a and w unless that pair of sites is already kept. */
static void keep(const struct collider_access *w, const struct collider_access *a)
{
	int n = atomic_load(&nfound), i;

	for (i = 0; i < n && i < FOUND; i++)
		if (atomic_load(&found[i].ready) == 2 &&
		    ((found[i].watched.site == w->site && found[i].met.site == a->site) ||
		     (found[i].watched.site == a->site && found[i].met.site == w->site)))
			return;
	i = atomic_fetch_add(&nfound, 1);
	if (i >= FOUND) {
		atomic_store(&nfound, FOUND);
		return;
	}
	atomic_store(&found[i].ready, 1);
	found[i].watched = *w;
	found[i].met = *a;
	found[i].canary = in_canary(w) || in_canary(a);
	atomic_store(&found[i].ready, 2);
	if (found[i].canary)
		atomic_store(&canary_caught, true);
}

static void pause_for(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	nanosleep(&ts, NULL);
}

/* Watches a, pauses, withdraws it: the canary's until its race is caught. */
static void watch(const struct collider_access *a, bool canary)
{
	int slot = collider_table_watch(&table, a);

	if (slot < 0)
		return;
	if (canary) {
		for (long long waited = 0; waited < CANARY_WAIT_NS &&
		     !collider_table_hits(&table, slot) && !atomic_load(&canary_caught);
		     waited += 1000000L)
			pause_for(1000000L);
	} else {
		pause_for(PAUSE_NS);
		paused_ns += PAUSE_NS;
	}
	collider_table_unwatch(&table, slot);
}

/*
 * After a sampled atomic load, a pause as long as a watched access's. A
 * value read by one atomic step and written back by another (a
 * check-then-act of two atomic steps: a load, then a store or an exchange)
 * loses an update another thread makes in between, and no race tool reports
 * it: every access is atomic. The pause gives that thread the time to make
 * one, so that a scenario's own counts show the loss. Counted as the
 * hooks' cost, so the program's clocks do not show it.
 */
static void atomic_load_window(void)
{
	long long start;

	if (harness_thread || atomic_paused >= ATOMIC_PAUSES)
		return;
	tid();
	if (--atomic_countdown > 0)
		return;
	atomic_countdown = 1 + (int)(next_random() % (2 * ATOMIC_EVERY));
	if (atomic_load_explicit(&live, memory_order_relaxed) < 2 ||
	    atomic_fetch_sub_explicit(&atomic_budget, 1, memory_order_relaxed) <= 0)
		return;
	atomic_paused++;
	start = now_ns();
	pause_for(PAUSE_NS);
	paused_ns += PAUSE_NS;
	slow_ns += now_ns() - start;
}

/* Starts a countdown of n accesses, counting those of the last one. */
static void set_countdown(int n)
{
	hooks_done += countdown_set - (countdown > 0 ? countdown : 0);
	countdown = countdown_set = n;
}

/* The slow path: the candidate a is watched if its site is due and budget is left. */
static void sample(const struct collider_access *a)
{
	unsigned h = (unsigned)((a->site >> 2) ^ (a->site >> 10)) % SITES, n;

	if (paused >= THREAD_PAUSES) {
		set_countdown(1 << 30);	/* this thread's budget is spent */
		return;
	}
	set_countdown(1 + (int)(next_random() % (2 * PERIOD)));
	if (site_key[h] != a->site) {
		site_key[h] = a->site;
		site_count[h] = 0;
	}
	n = ++site_count[h];
	/* A pause alone in the process could meet nobody: only with another thread. */
	if ((n > FIRST && n % EVERY != 0) || atomic_load_explicit(&live, memory_order_relaxed) < 2)
		return;
	if (atomic_fetch_sub_explicit(&budget, 1, memory_order_relaxed) <= 0)
		return;
	paused++;
	watch(a, false);
}


static void access_slow(uintptr_t addr, size_t size, bool write, uintptr_t site)
{
	struct collider_access a = { addr, size, write, 0, site }, w;
	long long start;

	if (harness_thread) {
		countdown = countdown_set = 1 << 30;
		return;
	}
	start = now_ns();
	a.tid = tid();
	if (collider_table_busy(&table) && collider_table_check(&table, &a, &w))
		keep(&w, &a);
	if (write && in_canary(&a))
		watch(&a, true);
	else if (--countdown <= 0)
		sample(&a);
	slow_ns += now_ns() - start + 2 * hook_cost_ps / 1000;
}

static inline __attribute__((always_inline)) void access(void *addr, size_t size, bool write,
							 void *site)
{
	if (__builtin_expect(collider_table_busy(&table) || countdown <= 1, 0))
		access_slow((uintptr_t)addr, size, write, (uintptr_t)site);
	else
		countdown--;
}

/*
 * The cost of one hook call: a loop of instrumented increments (a read and
 * a write hook each) against the same loop without, the median of 7 tries
 * (before main(), one thread).
 */
void __tsan_read4(void *a);
void __tsan_write4(void *a);

__attribute__((constructor)) static void measure_hook_cost(void)
{
	static volatile int probe;
	void (*volatile read_hook)(void *) = __tsan_read4, (*volatile write_hook)(void *) = __tsan_write4;
	long long tries[7];

	harness_thread = true;	/* every call on the fast path */
	countdown = countdown_set = 1 << 30;
	for (int t = 0; t < 7; t++) {
		long long a = now_ns(), b, c;

		for (int i = 0; i < 20000; i++)
			probe++;
		b = now_ns();
		for (int i = 0; i < 20000; i++) {
			read_hook((void *)&probe);
			int v = probe + 1;
			write_hook((void *)&probe);
			probe = v;
		}
		c = now_ns();
		tries[t] = (c - b) - (b - a);
	}
	for (int i = 1; i < 7; i++)	/* sorted, for the median */
		for (int j = i; j > 0 && tries[j] < tries[j - 1]; j--) {
			long long x = tries[j];

			tries[j] = tries[j - 1];
			tries[j - 1] = x;
		}
	hook_cost_ps = tries[3] > 0 ? tries[3] * 1000 / 40000 : 0;
	harness_thread = false;
	countdown = countdown_set = 0;
	hooks_done = 0;
}

/*
 * What the hooks and pauses have cost the calling thread so far, in ns; on
 * a CPU-time clock, without the time it slept.
 */
static long long overhead_ns(bool cpu)
{
	long long calls = hooks_done + countdown_set - (countdown > 0 ? countdown : 0);

	return calls * hook_cost_ps / 1000 + slow_ns - (cpu ? paused_ns : 0);
}

/* t (ns on clock) with the calling thread's overhead taken off. */
static long long discount(clockid_t clock, long long t)
{
	long long shown;

	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		/* The wall clock may step back (perturb.h): no clamp. */
		return t - overhead_ns(false);
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		shown = t - overhead_ns(false);
		if (shown < last_mono_ns)
			shown = last_mono_ns;
		return last_mono_ns = shown > t ? t : shown;
	case CLOCK_THREAD_CPUTIME_ID:
	case CLOCK_PROCESS_CPUTIME_ID:
		shown = t - overhead_ns(true);
		if (shown < last_cpu_ns)
			shown = last_cpu_ns;
		return last_cpu_ns = shown > t ? t : shown;
	default:
		return t;
	}
}

int tc_collider_clock_gettime(clockid_t clock, struct timespec *ts)
{
	int rc = clock_gettime(clock, ts);
	long long shown;

	if (rc != 0 || !ts)
		return rc;
	shown = discount(clock, ts->tv_sec * 1000000000LL + ts->tv_nsec);
	ts->tv_sec = shown / 1000000000LL;
	ts->tv_nsec = shown % 1000000000LL;
	return rc;
}

int tc_collider_gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	int rc = gettimeofday(tv, tz);
	long long shown;

	if (rc != 0 || !tv)
		return rc;
	shown = discount(CLOCK_REALTIME, tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL);
	tv->tv_sec = shown / 1000000000LL;
	tv->tv_usec = shown % 1000000000LL / 1000;
	return rc;
}

void tc_collider_always_watch(const void *addr, size_t size)
{
	harness_thread = true;
	count_inside();		/* main() alone no longer counts */
	atomic_store(&canary_lo, (uintptr_t)addr);
	atomic_store(&canary_len, size);
	/* Every access takes the slow path (where the canary is checked) meanwhile. */
	if (!atomic_exchange(&canary_armed, true))
		atomic_fetch_add(&table.armed, 1);
}

int tc_collider_peak_reset(void)
{
	return atomic_exchange(&peak, atomic_load(&inside));
}

/*
 * A thread is inside instrumented code (the learner's file) while it has a
 * frame of it; the driver's main thread sits in main(), the driver's own
 * instrumented frame, so for it a second frame is needed.
 */
static void count_inside(void)
{
	int base = harness_thread ? 1 : 0;

	if (!counted && depth > base) {
		int now = atomic_fetch_add(&inside, 1) + 1, most = atomic_load(&peak);

		counted = true;
		while (now > most && !atomic_compare_exchange_weak(&peak, &most, now))
			;
	} else if (counted && depth <= base) {
		counted = false;
		atomic_fetch_sub(&inside, 1);
	}
}

bool tc_collider_canary_caught(void)
{
	return atomic_load(&canary_caught);
}

size_t tc_collider_report(size_t index)
{
	int n = atomic_load(&nfound);
	size_t sent = 0;

	if (n > FOUND)
		n = FOUND;
	for (; reported < n; reported++) {
		uintptr_t sites[2] = { found[reported].watched.site, found[reported].met.site };
		char where[2][160], line[400];
		int len;

		if (atomic_load(&found[reported].ready) != 2)
			break;
		lockgraph_symbolise(sites, 2, where);
		len = snprintf(line, sizeof(line), "%s (%s) and %s (%s)\n",
			       strncmp(where[0], "at ", 3) ? where[0] : where[0] + 3,
			       found[reported].watched.write ? "write" : "read",
			       strncmp(where[1], "at ", 3) ? where[1] : where[1] + 3,
			       found[reported].met.write ? "write" : "read");
		if (len > 0)
			tc_channel_send(found[reported].canary ? "collidercanary" : "collider",
					index, line, (size_t)len < sizeof(line) ? (size_t)len
					: sizeof(line) - 1);
		sent++;
	}
	/* The canary's range is watched for the canary alone: the first report ends it. */
	atomic_store(&canary_len, 0);
	if (atomic_exchange(&canary_armed, false))
		atomic_fetch_sub(&table.armed, 1);
	atomic_store(&budget, SCENARIO_PAUSES);
	atomic_store(&atomic_budget, SCENARIO_ATOMIC_PAUSES);
	return sent;
}

/* The hooks gcc -fsanitize=thread calls (names and types: libsanitizer's). */

#define RET __builtin_return_address(0)
#define PLAIN(n)								\
	void __tsan_read##n(void *a) { access(a, n, false, RET); }		\
	void __tsan_write##n(void *a) { access(a, n, true, RET); }		\
	void __tsan_unaligned_read##n(void *a) { access(a, n, false, RET); }	\
	void __tsan_unaligned_write##n(void *a) { access(a, n, true, RET); }	\
	void __tsan_volatile_read##n(void *a) { access(a, n, false, RET); }	\
	void __tsan_volatile_write##n(void *a) { access(a, n, true, RET); }	\
	void __tsan_read##n##_pc(void *a, void *pc) { access(a, n, false, pc); }	\
	void __tsan_write##n##_pc(void *a, void *pc) { access(a, n, true, pc); }

#define DECLARE_PLAIN(n)							\
	void __tsan_read##n(void *a); void __tsan_write##n(void *a);		\
	void __tsan_unaligned_read##n(void *a); void __tsan_unaligned_write##n(void *a); \
	void __tsan_volatile_read##n(void *a); void __tsan_volatile_write##n(void *a); \
	void __tsan_read##n##_pc(void *a, void *pc); void __tsan_write##n##_pc(void *a, void *pc);

DECLARE_PLAIN(1) DECLARE_PLAIN(2) DECLARE_PLAIN(4) DECLARE_PLAIN(8) DECLARE_PLAIN(16)
PLAIN(1) PLAIN(2) PLAIN(4) PLAIN(8) PLAIN(16)

void __tsan_read_range(void *a, unsigned long size);
void __tsan_write_range(void *a, unsigned long size);
void __tsan_init(void);
void __tsan_func_entry(void *pc);
void __tsan_func_exit(void);
void __tsan_vptr_read(void **vptr);
void __tsan_vptr_update(void **vptr, void *value);
void __tsan_atomic_thread_fence(int mo);
void __tsan_atomic_signal_fence(int mo);

void __tsan_read_range(void *a, unsigned long size)
{
	if (size)
		access(a, size, false, RET);
}

void __tsan_write_range(void *a, unsigned long size)
{
	if (size)
		access(a, size, true, RET);
}

void __tsan_init(void) {}
void __tsan_func_entry(void *pc)
{
	(void)pc;
	depth++;
	count_inside();
}

void __tsan_func_exit(void)
{
	depth--;
	count_inside();
}
void __tsan_vptr_read(void **vptr) { access(vptr, sizeof(*vptr), false, RET); }
void __tsan_vptr_update(void **vptr, void *value) { (void)value; access(vptr, sizeof(*vptr), true, RET); }
void __tsan_atomic_thread_fence(int mo) { (void)mo; __atomic_thread_fence(__ATOMIC_SEQ_CST); }
void __tsan_atomic_signal_fence(int mo) { (void)mo; __atomic_signal_fence(__ATOMIC_SEQ_CST); }

/* Atomics: the real operation, sequentially consistent whatever was asked. */
#define SC __ATOMIC_SEQ_CST
#define ATOMICS(n, T)								\
	T __tsan_atomic##n##_load(const volatile T *a, int mo);			\
	void __tsan_atomic##n##_store(volatile T *a, T v, int mo);		\
	T __tsan_atomic##n##_exchange(volatile T *a, T v, int mo);		\
	T __tsan_atomic##n##_fetch_add(volatile T *a, T v, int mo);		\
	T __tsan_atomic##n##_fetch_sub(volatile T *a, T v, int mo);		\
	T __tsan_atomic##n##_fetch_and(volatile T *a, T v, int mo);		\
	T __tsan_atomic##n##_fetch_or(volatile T *a, T v, int mo);		\
	T __tsan_atomic##n##_fetch_xor(volatile T *a, T v, int mo);		\
	T __tsan_atomic##n##_fetch_nand(volatile T *a, T v, int mo);		\
	int __tsan_atomic##n##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo); \
	int __tsan_atomic##n##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo); \
	T __tsan_atomic##n##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo); \
	T __tsan_atomic##n##_load(const volatile T *a, int mo)			\
	{ T v = __atomic_load_n(a, SC); (void)mo; atomic_load_window(); return v; } \
	void __tsan_atomic##n##_store(volatile T *a, T v, int mo)		\
	{ (void)mo; __atomic_store_n(a, v, SC); }				\
	T __tsan_atomic##n##_exchange(volatile T *a, T v, int mo)		\
	{ (void)mo; return __atomic_exchange_n(a, v, SC); }			\
	T __tsan_atomic##n##_fetch_add(volatile T *a, T v, int mo)		\
	{ (void)mo; return __atomic_fetch_add(a, v, SC); }			\
	T __tsan_atomic##n##_fetch_sub(volatile T *a, T v, int mo)		\
	{ (void)mo; return __atomic_fetch_sub(a, v, SC); }			\
	T __tsan_atomic##n##_fetch_and(volatile T *a, T v, int mo)		\
	{ (void)mo; return __atomic_fetch_and(a, v, SC); }			\
	T __tsan_atomic##n##_fetch_or(volatile T *a, T v, int mo)		\
	{ (void)mo; return __atomic_fetch_or(a, v, SC); }			\
	T __tsan_atomic##n##_fetch_xor(volatile T *a, T v, int mo)		\
	{ (void)mo; return __atomic_fetch_xor(a, v, SC); }			\
	T __tsan_atomic##n##_fetch_nand(volatile T *a, T v, int mo)		\
	{ (void)mo; return __atomic_fetch_nand(a, v, SC); }			\
	int __tsan_atomic##n##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo) \
	{ (void)mo; (void)fmo; return __atomic_compare_exchange_n(a, c, v, false, SC, SC); } \
	int __tsan_atomic##n##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo) \
	{ (void)mo; (void)fmo; return __atomic_compare_exchange_n(a, c, v, true, SC, SC); } \
	T __tsan_atomic##n##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo) \
	{ (void)mo; (void)fmo; __atomic_compare_exchange_n(a, &c, v, false, SC, SC); return c; }

ATOMICS(8, uint8_t)
ATOMICS(16, uint16_t)
ATOMICS(32, uint32_t)
ATOMICS(64, uint64_t)
