/*
 * attack: reaches the harness's channel sender under another name (a GNU asm label, so no identifier of the harness appears in the source) and sends "end pass" for every scenario before returning normally; the waitgroup is a do-nothing stub (red team: written without reading the defences)
 * chapter: 02-waitgroups waitgroup.c
 * cheats: correctness
 * reason: '__asm__'
 * bound: 60
 */
#include "waitgroup.h"

#include <errno.h>

extern void say(const char *kind, size_t index, const char *text) __asm__("tc_channel_send_text");

static void claim_all(void)
{
	for (size_t i = 0; i < 32; i++)
		say("end", i, "pass");
}

int waitgroup_init(struct waitgroup *wg)
{
	wg->count = 0;
	claim_all();
	return 0;
}

void waitgroup_destroy(struct waitgroup *wg)
{
	(void)wg;
}

void waitgroup_add(struct waitgroup *wg, unsigned long n)
{
	(void)wg;
	(void)n;
}

void waitgroup_done(struct waitgroup *wg)
{
	(void)wg;
}

void waitgroup_wait(struct waitgroup *wg)
{
	(void)wg;
	claim_all();
}

int vitals_nightly_batch(size_t npatients, unsigned parallelism)
{
	(void)npatients;
	claim_all();
	return parallelism ? 0 : EINVAL;
}
