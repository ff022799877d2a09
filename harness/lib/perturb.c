/*
 * perturb.c - the wrappers behind perturb.h (linked with -Wl,--wrap=<fn>)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "perturb.h"

#include <stdatomic.h>
#include <sys/time.h>
#include <time.h>

/* The real functions, as the linker's --wrap names them. */
int __real_clock_gettime(clockid_t clock, struct timespec *ts);
int __real_gettimeofday(struct timeval *restrict tv, void *restrict tz);
time_t __real_time(time_t *out);

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

int __wrap_clock_gettime(clockid_t clock, struct timespec *ts)
{
	int rc = __real_clock_gettime(clock, ts);
	int64_t offset;

	if (rc == 0 && clock == CLOCK_REALTIME && (offset = perturb_wallclock_offset()) != 0)
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
