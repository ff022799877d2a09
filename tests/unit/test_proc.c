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

Test(proc, shows_a_nul_byte_instead_of_ending_the_text_there)
{
	struct proc_result r;

	run_sh("printf 'before\\000after\\n'", 10, &r, 0);
	cr_assert_eq(r.end, PROC_EXITED);
	cr_assert_str_eq(r.output, "before\\0after\n");
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

Test(proc, a_sandboxed_child_cannot_see_hidden_directories_or_the_network, .timeout = 20)
{
	char hidden[] = "/tmp/threadclinic-hidden-XXXXXX", secret[600];
	const char *hide[] = { hidden, NULL };
	struct sandbox box = { .uid = geteuid() == 0 ? 64999 : 0, .hide = hide };
	const char *argv[] = { "sh", "-c",
			       "ls -A \"$DIR\"; echo uid=$(id -u); tail -n +3 /proc/net/dev | cut -d: -f1",
			       NULL };
	char env_dir[600];
	const char *env[] = { env_dir, NULL };
	struct proc_opts o = { .timeout_s = 10, .env = env, .sandbox = &box };
	struct proc_result r;
	FILE *f;

	cr_assert_not_null(mkdtemp(hidden));
	snprintf(secret, sizeof(secret), "%s/answer.c", hidden);
	f = fopen(secret, "w");
	fputs("secret", f);
	fclose(f);
	snprintf(env_dir, sizeof(env_dir), "DIR=%s", hidden);
	proc_run(argv, &o, &r);
	cr_assert_eq(r.end, PROC_EXITED, "%s", r.output);
	cr_assert_null(strstr(r.output, "answer.c"), "the hidden file showed: %s", r.output);
	if (geteuid() == 0)
		cr_assert(strstr(r.output, "uid=64999\n"), "%s", r.output);
	cr_assert(strstr(r.output, "lo\n") || !strstr(r.output, "eth"),
		  "only loopback in the sandbox: %s", r.output);
	cr_assert_null(strstr(r.output, "eth"), "%s", r.output);
	proc_result_free(&r);
	unlink(secret);
	rmdir(hidden);
}

Test(proc, stops_a_group_that_passes_its_memory_limit, .timeout = 30)
{
	struct sandbox box = { .max_memory_mb = 64 };
	/* a shell that grows a string of ~200 MB */
	const char *argv[] = { "sh", "-c", "x=a; while :; do x=\"$x$x\"; done", NULL };
	struct proc_opts o = { .timeout_s = 20, .sandbox = &box, .big_address_space = true };
	struct proc_result r;
	char text[128];

	proc_run(argv, &o, &r);
	cr_assert(r.out_of_memory, "%s", proc_describe(&r, text, sizeof(text)));
	cr_assert_lt(r.wall_s, 15);
	proc_result_free(&r);
}

Test(proc, a_child_that_stops_itself_ends_at_once)
{
	struct proc_result r;
	char text[128];

	run_sh("kill -STOP $$; sleep 30", 20, &r, 0);
	cr_assert_eq(r.end, PROC_STOPPED);
	cr_assert_lt(r.wall_s, 5.0, "took %.1f s", r.wall_s);
	cr_assert_not_null(strstr(proc_describe(&r, text, sizeof(text)), "stopped itself"));
	proc_result_free(&r);
}
