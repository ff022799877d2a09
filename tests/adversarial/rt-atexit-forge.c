/*
 * attack: a do-nothing semaphore and batch that register an atexit handler which sends "end pass" for every scenario through the harness's channel function, then exit(0) from the batch; the forged verdicts go out during the exit, after everything else (red team: written without reading the defences)
 * chapter: 07-semaphores permits.c
 * cheats: correctness
 * reason: 'tc_channel_send_text'
 * bound: 60
 */
#include "permits.h"

#include <errno.h>
#include <stdlib.h>

void tc_channel_send_text(const char *kind, size_t index, const char *text);

static void forge(void)
{
	for (size_t i = 0; i < 40; i++)
		tc_channel_send_text("end", i, "pass");
	tc_channel_send_text("done", 0, "40");
}

int semaphore_init(struct semaphore *s, unsigned count)
{
	s->permits = count;
	return 0;
}

void semaphore_destroy(struct semaphore *s)
{
	(void)s;
}

void semaphore_acquire(struct semaphore *s)
{
	s->permits--;
}

void semaphore_release(struct semaphore *s)
{
	s->permits++;
}

unsigned semaphore_value(struct semaphore *s)
{
	return s->permits;
}

int screen_submissions(const struct record *subs, size_t n, unsigned nthreads,
		       unsigned max_calls, struct screening_report *report)
{
	(void)subs;
	if (nthreads == 0 || max_calls == 0)
		return EINVAL;
	report->clear = n;
	report->adverse = 0;
	report->unchecked = 0;
	atexit(forge);
	exit(0);
}
