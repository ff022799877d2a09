/*
 * test_policy.c - which calls learner code may make
 */
#include <criterion/criterion.h>

#include "policy.h"

Test(policy, denies_calls_that_reach_outside_the_exercise)
{
	static const char *const denied[] = {
		"fork", "execve", "system", "socket", "connect", "fopen", "open",
		"dlsym", "syscall", "setrlimit", "ptrace", "clock_settime",
		"__tsan_acquire", "__lsan_disable", "posix_spawnp", "getenv", "kill",
		"perturb_exempt_thread", "__real_pthread_mutex_lock", "__wrap_sem_post",
	};

	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		cr_assert(policy_call_denied(denied[i]), "%s should be denied", denied[i]);
}

Test(policy, allows_what_the_exercises_need)
{
	static const char *const allowed[] = {
		"pthread_create", "pthread_join", "pthread_mutex_lock", "pthread_cond_timedwait",
		"pthread_rwlock_rdlock", "sem_wait", "malloc", "free", "calloc", "printf",
		"fprintf", "clock_gettime", "nanosleep", "pipe", "eventfd", "close", "read",
		"write", "pthread_sigmask", "sigwait", "abort", "raise", "memcpy",
		"store_record", "validate_record",
	};

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		cr_assert_not(policy_call_denied(allowed[i]), "%s should be allowed", allowed[i]);
}
