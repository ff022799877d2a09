/*
 * test_policy.c - which names and headers learner code may use
 *
 * The policy is an allow-list: these tests pin both sides of it, so that a
 * name slipping onto the list (or an exercise's need falling off it) shows.
 */
#include <criterion/criterion.h>

#include "policy.h"

Test(policy, refuses_names_outside_the_exercise)
{
	static const char *const refused[] = {
		"fork", "execve", "system", "socket", "connect", "fopen", "open", "openat",
		"dlsym", "dlopen", "syscall", "setrlimit", "ptrace", "clock_settime",
		"__tsan_acquire", "AnnotateBenignRaceSized", "__lsan_disable",
		"__sanitizer_set_report_path", "posix_spawnp", "getenv", "environ", "kill",
		"unlink", "linkat", "symlinkat", "mkfifo", "mkstemp", "tmpfile", "atexit",
		"on_exit", "pthread_atfork", "setjmp", "longjmp",
		"mmap", "mprotect", "fdopen", "freopen", "sem_open", "records_db",
		"service_call", "tc_channel_send", "verdict_run", "check_fail",
		"perturb_exempt_thread", "__real_pthread_mutex_lock", "__wrap_sem_post",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		cr_assert_not(policy_libc_allowed(refused[i]), "%s should be refused",
			      refused[i]);
}

Test(policy, allows_what_the_exercises_need)
{
	static const char *const allowed[] = {
		"pthread_create", "pthread_join", "pthread_mutex_lock", "pthread_cond_timedwait",
		"pthread_rwlock_rdlock", "pthread_sigmask", "sem_wait", "sem_timedwait",
		"malloc", "free", "calloc", "printf", "fprintf", "stderr", "__fprintf_chk",
		"clock_gettime", "nanosleep", "pipe", "eventfd", "close", "read", "write",
		"sigwait", "abort", "raise", "memcpy", "strlen", "__atomic_load_16",
		"__errno_location", "__assert_fail", "__stack_chk_fail", "sched_yield",
	};

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		cr_assert(policy_libc_allowed(allowed[i]), "%s should be allowed", allowed[i]);
}

Test(policy, includes_only_standard_headers_by_name)
{
	cr_assert(policy_header_allowed("pthread.h"));
	cr_assert(policy_header_allowed("stdatomic.h"));
	cr_assert(policy_header_allowed("sys/time.h"));
	cr_assert_not(policy_header_allowed("valgrind/helgrind.h"));
	cr_assert_not(policy_header_allowed("valgrind/valgrind.h"));
	cr_assert_not(policy_header_allowed("sanitizer/tsan_interface.h"));
	cr_assert_not(policy_header_allowed("sanitizer/lsan_interface.h"));
	cr_assert_not(policy_header_allowed("dlfcn.h"));
	cr_assert_not(policy_header_allowed("fcntl.h"));
	cr_assert_not(policy_header_allowed("sys/syscall.h"));
}
