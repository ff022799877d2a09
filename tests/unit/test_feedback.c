/*
 * test_feedback.c - tool reports reduced to the learner's file and line
 *
 * The fixtures are shortened copies of real reports from this machine's
 * gcc ThreadSanitizer, Valgrind 3.19 Helgrind, eu-stack and LeakSanitizer.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "feedback.h"

static struct workspace ws = {
	.src_dir = "/ws/src",
	.display_dir = "chapters/01-serial-to-parallel",
};

static const char tsan_log[] =
	"==================\n"
	"WARNING: ThreadSanitizer: data race (pid=2367)\n"
	"  Write of size 8 at 0x7ffd8 by main thread:\n"
	"    #0 clean_records /ws/src/clean.c:44 (tsan_driver+0x1242)\n"
	"    #1 batch_start /wb/harness/scenarios/01.c:40 (tsan_driver+0x1000)\n"
	"\n"
	"  Previous read of size 8 at 0x7ffd8 by thread T2:\n"
	"    #0 clean_thread /ws/src/clean.c:28 (tsan_driver+0x11e8)\n"
	"\n"
	"  Location is stack of main thread.\n"
	"\n"
	"  Thread T2 (tid=2370, running) created by main thread at:\n"
	"    #0 pthread_create ../tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)\n"
	"    #1 clean_records /ws/src/clean.c:43 (tsan_driver+0x1233)\n"
	"\n"
	"SUMMARY: ThreadSanitizer: data race /ws/src/clean.c:44 in clean_records\n"
	"==================\n"
	"==================\n"
	"WARNING: ThreadSanitizer: data race (pid=2367)\n"
	"==================\n";

Test(tsan, names_both_accesses_in_the_learners_file)
{
	char *summary, *details;
	int n = tsan_reduce(&ws, tsan_log, &summary, &details);

	cr_assert_eq(n, 2);
	cr_assert_str_eq(summary, "data race at chapters/01-serial-to-parallel/clean.c:44 and "
			 "chapters/01-serial-to-parallel/clean.c:28");
	cr_assert(strstr(details, "Write of size 8 by main thread: clean_records() at "
			 "chapters/01-serial-to-parallel/clean.c:44"), "%s", details);
	cr_assert(strstr(details, "Previous read of size 8 by thread T2: clean_thread()"),
		  "%s", details);
	cr_assert(strstr(details, "Location is stack of main thread."), "%s", details);
	cr_assert_null(strstr(details, "pthread_create"), "thread creation is noise: %s", details);
	cr_assert(strstr(details, "2 reports in all"), "%s", details);
	free(summary);
	free(details);
}

Test(tsan, a_clean_log_has_no_report)
{
	char *summary, *details;

	cr_assert_eq(tsan_reduce(&ws, "scenario ok\n", &summary, &details), 0);
	cr_assert_null(summary);
}

static const char helgrind_xml[] =
	"<?xml version=\"1.0\"?>\n<valgrindoutput>\n<protocolversion>4</protocolversion>\n"
	"<error><unique>0x0</unique><tid>1</tid><kind>Race</kind>\n"
	"<xwhat><text>Possible data race during read of size 4 at 0x10C024 by thread #1</text>"
	"<hthreadid>1</hthreadid></xwhat>\n"
	"<stack><frame><ip>0x1</ip><obj>/x</obj><fn>main_loop</fn><dir>/ws/src</dir>"
	"<file>clean.c</file><line>3</line></frame></stack>\n"
	"<xauxwhat><text>This conflicts with a previous write of size 4 by thread #2</text>"
	"</xauxwhat>\n"
	"<stack><frame><ip>0x2</ip><obj>/x</obj><fn>worker</fn><dir>/ws/src</dir>"
	"<file>clean.c</file><line>2</line></frame>"
	"<frame><ip>0x3</ip><obj>/lib/libc.so.6</obj><fn>start_thread</fn></frame></stack>\n"
	"</error>\n"
	"<error><unique>0x1</unique><tid>1</tid><kind>Race</kind></error>\n"
	"</valgrindoutput>\n";

Test(helgrind, names_both_accesses_in_the_learners_file)
{
	char *summary, *details;
	int canaries = -1;

	cr_assert_eq(helgrind_reduce(&ws, helgrind_xml, "tc_canary", &canaries, &summary,
				     &details), 2);
	cr_assert_eq(canaries, 0);
	cr_assert_str_eq(summary, "possible data race at chapters/01-serial-to-parallel/clean.c:3 "
			 "and chapters/01-serial-to-parallel/clean.c:2");
	cr_assert(strstr(details, "previous write of size 4 by thread #2: worker() at "
			 "chapters/01-serial-to-parallel/clean.c:2"), "%s", details);
	free(summary);
	free(details);
}

Test(helgrind, the_harness_canary_is_counted_apart)
{
	char *summary, *details;
	int canaries = -1;

	/* The first error's stack names main_loop: call that the canary. */
	cr_assert_eq(helgrind_reduce(&ws, helgrind_xml, "main_loop", &canaries, &summary,
				     &details), 1);
	cr_assert_eq(canaries, 1);
	free(summary);
	free(details);
}

Test(helgrind, a_missing_report_is_not_clean)
{
	char *summary, *details;
	int canaries = 0;

	cr_assert_eq(helgrind_reduce(&ws, "", "tc_canary", &canaries, &summary, &details), -1);
	cr_assert_eq(helgrind_reduce(&ws, "<valgrindoutput><error>", "tc_canary", &canaries,
				     &summary, &details) >= 0, canaries == 0);
}

Test(canary, tool_reports_naming_the_canary_are_dropped)
{
	const char *log = "hello\nWARNING: ThreadSanitizer: data race (pid=1)\n  #0 tc_canary_race_writer\n"
			  "==================\nWARNING: ThreadSanitizer: data race (pid=1)\n"
			  "  #0 worker clean.c:3\n==================\nend\n";
	int found = 0;
	char *kept = drop_reports(log, "WARNING: ThreadSanitizer: ", "\n==================",
				  "tc_canary_race_writer", &found);

	cr_assert_eq(found, 1);
	cr_assert_null(strstr(kept, "tc_canary"));
	cr_assert_not_null(strstr(kept, "worker clean.c:3"));
	cr_assert_not_null(strstr(kept, "hello"));
	free(kept);
}

static const char stack_dump[] =
	"PID 2959 - process\n"
	"TID 2959:\n"
	"#0  0x00007fd5aba44f16 __futex_abstimed_wait_common\n"
	"    ./nptl/futex-internal.c:57:12\n"
	"#1  0x00007fd5aba49ce3 __pthread_clockjoin_ex\n"
	"    ./nptl/pthread_join_common.c:102:14\n"
	"#2  0x00005560b56711c0 clean_records\n"
	"    /ws/src/clean.c:66:5\n"
	"TID 2961:\n"
	"#0  0x00007fd5aba4512b __GI___lll_lock_wait\n"
	"    ../sysdeps/nptl/futex-internal.h:146:13\n"
	"#1  0x00007fd5aba4b482 __pthread_mutex_lock@GLIBC_2.2.5\n"
	"    ./nptl/pthread_mutex_lock.c:48:5\n"
	"#2  0x00005560b5671174 clean_thread\n"
	"    /ws/src/clean.c:28:17\n"
	"TID 2962:\n"
	"#0  0x00007fd5aba4512b __GI___lll_lock_wait\n"
	"    ../sysdeps/nptl/futex-internal.h:146:13\n"
	"#1  0x00007fd5aba4b482 __pthread_mutex_lock@GLIBC_2.2.5\n"
	"    ./nptl/pthread_mutex_lock.c:48:5\n"
	"#2  0x00005560b5671174 clean_thread\n"
	"    /ws/src/clean.c:28:17\n"
	"TID 2963:\n"
	"#0  0x00007fd5aba4512b clock_nanosleep\n"
	"    ../sysdeps/clock_nanosleep.c:1:1\n";

Test(stacks, groups_threads_parked_at_the_same_line)
{
	char *text = stacks_reduce(&ws, stack_dump);

	cr_assert(strstr(text, "2 threads: clean_thread() at chapters/01-serial-to-parallel/"
			 "clean.c:28, waiting in pthread_mutex_lock\n"), "%s", text);
	cr_assert(strstr(text, "1 thread: clean_records() at chapters/01-serial-to-parallel/"
			 "clean.c:66, waiting in pthread_join\n"), "%s", text);
	cr_assert_null(strstr(text, "clockjoin"), "glibc's internal name is not shown: %s", text);
	cr_assert_null(strstr(text, "clock_nanosleep"), "harness threads are left out: %s", text);
	free(text);
}

static const char lsan_log[] =
	"==1==ERROR: LeakSanitizer: detected memory leaks\n"
	"\n"
	"Direct leak of 64 byte(s) in 1 object(s) allocated from:\n"
	"    #0 0x7faae5e13545 in __interceptor_malloc ../lsan_interceptors.cpp:75\n"
	"    #1 0x55add7b5215a in connection_open /ws/src/clean.c:12\n"
	"    #2 0x55add7b52000 in scenario /wb/harness/scenarios/05.c:30\n"
	"\n"
	"Indirect leak of 32 byte(s) in 2 object(s) allocated from:\n"
	"    #0 0x7faae5e13545 in __interceptor_malloc ../lsan_interceptors.cpp:75\n"
	"    #1 0x55add7b52100 in mailbox_init /ws/src/clean.c:20\n"
	"\n"
	"SUMMARY: LeakSanitizer: 96 byte(s) leaked in 3 allocation(s).\n";

Test(lsan, adds_up_leaks_and_names_the_allocation_site)
{
	char *summary, *details;

	cr_assert_eq(lsan_reduce(&ws, lsan_log, &summary, &details), 96);
	cr_assert_str_eq(summary, "96 bytes of heap never freed, first allocated by "
			 "connection_open() at chapters/01-serial-to-parallel/clean.c:12");
	cr_assert(strstr(details, "32 bytes in 2 allocations from mailbox_init() at "
			 "chapters/01-serial-to-parallel/clean.c:20"), "%s", details);
	free(summary);
	free(details);
}
