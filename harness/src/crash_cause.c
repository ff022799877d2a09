#define _GNU_SOURCE
#include "crash_cause.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* glibc's internal names (underscores stripped) and what the learner called. */
static const char *const public_names[][2] = {
	{ "pthread_clockjoin_ex", "pthread_join" },
	{ "pthread_join", "pthread_join" },
	{ "pthread_timedjoin_ex", "pthread_join" },
	{ "pthread_cond_wait_common", "pthread_cond_wait" },
	{ "pthread_cond_wait", "pthread_cond_wait" },
	{ "pthread_cond_timedwait", "pthread_cond_timedwait" },
	{ "pthread_cond_clockwait", "pthread_cond_timedwait" },
	{ "pthread_mutex_lock_full", "pthread_mutex_lock" },
	{ "pthread_mutex_lock", "pthread_mutex_lock" },
	{ "pthread_mutex_cond_lock", "pthread_cond_wait" },
	{ "pthread_mutex_unlock_usercnt", "pthread_mutex_unlock" },
	{ "pthread_mutex_unlock_full", "pthread_mutex_unlock" },
	{ "pthread_mutex_unlock", "pthread_mutex_unlock" },
	{ "pthread_rwlock_rdlock_full", "pthread_rwlock_rdlock" },
	{ "pthread_rwlock_wrlock_full", "pthread_rwlock_wrlock" },
	{ "new_sem_wait_slow", "sem_wait" },
	{ "new_sem_wait", "sem_wait" },
	{ "sem_wait_common", "sem_wait" },
	{ "sem_clockwait", "sem_timedwait" },
	{ "nanosleep64", "nanosleep" },
	{ "clock_nanosleep", "nanosleep" },
	{ "libc_malloc", "malloc" },
	{ "libc_free", "free" },
	{ "int_free", "free" },
	{ "int_malloc", "malloc" },
};

/* Internal helpers that stand for the call around them. */
static const char *const helpers[] = {
	"futex_do_wait", "futex_abstimed_wait_common", "futex_abstimed_wait_common64",
	"futex_wait", "futex_wait_simple", "lll_lock_wait", "lll_lock_wait_private",
	"futex_lock_pi64", "syscall_cancel", "internal_syscall_cancel", "syscall_cancel_arch",
	"libc_do_syscall", "pthread_disable_asynccancel", "pthread_enable_asynccancel",
	"GI___futex_abstimed_wait_cancelable64", "futex_abstimed_wait_cancelable64",
	"futex_wake", "lll_lock_wake", "malloc_printerr", "int_free_merge_chunk",
};

const char *crash_public_name(const char *internal)
{
	/* The perturbation layer's wrappers (harness/lib/perturb.h) stand for the call. */
	if (strncmp(internal, "wrap_", 5) == 0)
		internal += 5;
	for (size_t i = 0; i < sizeof(public_names) / sizeof(public_names[0]); i++)
		if (strcmp(internal, public_names[i][0]) == 0)
			return public_names[i][1];
	for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
		if (strcmp(internal, helpers[i]) == 0)
			return "";
	return NULL;
}

bool crash_is_signal_frame(const char *fn)
{
	static const char *const frames[] = {
		"on_fatal_signal", "restore_rt", "pthread_kill_implementation",
		"pthread_kill_internal", "pthread_kill", "raise", "abort", "request_dump",
		"sleep_ms", "nanosleep", "clock_nanosleep",
	};

	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		if (strcmp(fn, frames[i]) == 0)
			return true;
	return false;
}

static const char routine_cause[] = "a thread you started crashed on memory it was handed: does its "
	"argument point to a local variable (a loop counter, an array on the stack) of a "
	"function that has returned since? Did you join before returning?";

char *crash_cause(int sig, const char *called, bool in_thread_routine)
{
	const char *cause = NULL;

	if (called && strcmp(called, "pthread_join") == 0)
		cause = "pthread_join() crashed: is a thread joined twice, or joined after "
			"pthread_detach(), or is the pthread_t one that was never started (a "
			"failed pthread_create leaves it unset)?";
	else if (called && (strncmp(called, "pthread_mutex_", 14) == 0 ||
			    strncmp(called, "pthread_cond_", 13) == 0 ||
			    strncmp(called, "pthread_rwlock_", 15) == 0 ||
			    strncmp(called, "sem_", 4) == 0))
		cause = "the crash is inside a lock or wait call: is that mutex, condition "
			"variable or semaphore destroyed or never initialised, or freed with the "
			"wait group or queue that holds it (used after its destroy function)?";
	else if (called && (strcmp(called, "free") == 0 || strcmp(called, "malloc") == 0) &&
		 sig == SIGABRT)
		cause = "the C library stopped the program inside malloc() or free(): is a "
			"block freed twice, or written past its end, or freed while a thread "
			"still uses it?";
	else if (in_thread_routine && (sig == SIGSEGV || sig == SIGBUS))
		cause = routine_cause;
	else if (sig == SIGSEGV || sig == SIGBUS)
		cause = "your code used memory it does not own: a pointer that is NULL, freed, "
			"or into the stack of a function that returned (did you join before "
			"returning?)";
	if (!cause)
		return NULL;
	/* A thread of the learner's crashed: its argument is the usual suspect too. */
	if (in_thread_routine && (sig == SIGSEGV || sig == SIGBUS) && cause != routine_cause)
		return xasprintf("likely cause: %s Or: %s", cause, routine_cause);
	return xasprintf("likely cause: %s", cause);
}

const char *crash_tsan_cause(const char *kind)
{
	static const char *const causes[][2] = {
		{ "use of an invalid mutex", "likely cause: the mutex is destroyed or was never "
		  "initialised, or the wait group or queue holding it was used after its "
		  "destroy function (or freed): destroy only after every thread that uses it "
		  "has been joined" },
		{ "destroy of a locked mutex", "likely cause: a mutex destroyed while a thread "
		  "still holds it: join the threads that use it before destroying it" },
		{ "unlock of an unlocked mutex", "likely cause: a mutex unlocked twice, or by a "
		  "thread that does not hold it (every unlock must pair with this thread's "
		  "own lock)" },
		{ "double lock of a mutex", "likely cause: a thread locks a mutex it already "
		  "holds (a non-recursive mutex): it deadlocks on itself" },
		{ "heap-use-after-free", "likely cause: memory used after free(): is something "
		  "freed (a wait group, a queue, a job) while a thread still uses it? Join "
		  "first, free after" },
		{ "thread leak", "likely cause: a thread that is neither joined nor detached" },
		{ "lock-order-inversion", "likely cause: two mutexes taken in opposite orders "
		  "by two threads: take them in one order everywhere" },
		{ "data race", NULL },
	};

	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (strncmp(kind, causes[i][0], strlen(causes[i][0])) == 0)
			return causes[i][1];
	return NULL;
}
