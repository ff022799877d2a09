/*
 * test_proc.c - the grader's child runner: deadlines, groups, capped output
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

static void run_sh(const char *script, double timeout, struct proc_result *r, size_t cap)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct proc_opts o = { .timeout_s = timeout, .output_cap = cap };

	proc_run(argv, &o, r);
}

Test(proc, reports_exit_status_and_output)
{
	struct proc_result r;

	run_sh("echo hello; exit 3", 10, &r, 0);
	cr_assert_eq(r.end, PROC_EXITED);
	cr_assert_eq(r.code, 3);
	cr_assert_str_eq(r.output, "hello\n");
	proc_result_free(&r);
}

Test(proc, reports_the_killing_signal)
{
	struct proc_result r;
	char text[64];

	run_sh("kill -SEGV $$", 10, &r, 0);
	cr_assert_eq(r.end, PROC_SIGNALED);
	cr_assert_eq(r.sig, SIGSEGV);
	cr_assert_str_eq(proc_describe(&r, text, sizeof(text)), "crashed (SIGSEGV)");
	proc_result_free(&r);
}

Test(proc, kills_a_hang_at_the_deadline, .timeout = 10)
{
	struct proc_result r;

	run_sh("sleep 30", 0.5, &r, 0);
	cr_assert_eq(r.end, PROC_TIMED_OUT);
	cr_assert_lt(r.wall_s, 3.0);
	proc_result_free(&r);
}

Test(proc, kills_the_whole_group_even_a_daemonised_child, .timeout = 20)
{
	struct proc_result r;
	char cmd[128];

	/* The child leaves a grandchild behind that holds the output pipe open. */
	run_sh("(sleep 40 &) ; echo started", 5, &r, 0);
	cr_assert_eq(r.end, PROC_EXITED);
	cr_assert_lt(r.wall_s, 4.0, "the grader waited for the grandchild");
	proc_result_free(&r);
	usleep(200000);
	snprintf(cmd, sizeof(cmd), "pgrep -f '^sleep 40$' >/dev/null");
	cr_assert_neq(system(cmd), 0, "the grandchild outlived its run");
}

Test(proc, caps_a_flood_of_output, .timeout = 20)
{
	struct proc_result r;

	run_sh("yes threadclinic | head -c 5000000", 10, &r, 1000);
	cr_assert_eq(r.end, PROC_EXITED);
	cr_assert_eq(strlen(r.output), 1000);
	cr_assert_eq(r.output_dropped, 5000000 - 1000);
	proc_result_free(&r);
}

Test(proc, gives_a_clean_environment)
{
	struct proc_result r;
	const char *argv[] = { "sh", "-c", "echo \"[$SECRET_TOKEN][$TC_X]\"", NULL };
	const char *env[] = { "TC_X=1", NULL };
	struct proc_opts o = { .timeout_s = 10, .env = env };

	setenv("SECRET_TOKEN", "leak", 1);
	proc_run(argv, &o, &r);
	cr_assert_str_eq(r.output, "[][1]\n");
	proc_result_free(&r);
}

Test(proc, says_when_a_program_cannot_start)
{
	struct proc_result r;
	const char *argv[] = { "/nonexistent/threadclinic-program", NULL };
	struct proc_opts o = { .timeout_s = 10 };

	proc_run(argv, &o, &r);
	cr_assert_eq(r.end, PROC_NOT_STARTED);
	proc_result_free(&r);
}
