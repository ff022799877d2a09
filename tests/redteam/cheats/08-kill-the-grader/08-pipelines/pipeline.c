/*
 * cheat: tries to crash the grader: sends SIGKILL to its parent process and
 *        to its own process group, and SIGSTOP to the parent, from
 *        pipeline_start(); the rest is a stub
 * target: the grader itself (a crash or a hang), all gates
 */
#include "pipeline.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

struct pipeline {
	size_t accepted;
};

int channel_init(struct channel *ch, size_t capacity)
{
	(void)ch;
	return capacity ? 0 : EINVAL;
}

void channel_destroy(struct channel *ch)
{
	(void)ch;
}

int channel_send(struct channel *ch, void *item)
{
	(void)ch;
	(void)item;
	return 0;
}

int channel_recv(struct channel *ch, void **item)
{
	(void)ch;
	(void)item;
	return EPIPE;
}

int channel_close(struct channel *ch)
{
	(void)ch;
	return 0;
}

int pipeline_start(struct pipeline **out, const struct pipeline_config *cfg)
{
	(void)cfg;
	kill(getppid(), SIGSTOP);
	kill(getppid(), SIGKILL);
	kill(0, SIGKILL);
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : ENOMEM;
}

int pipeline_submit(struct pipeline *p, const struct epro_submission *s)
{
	if (!s)
		return EINVAL;
	p->accepted++;
	return 0;
}

void pipeline_shutdown(struct pipeline *p)
{
	(void)p;
}

int pipeline_wait(struct pipeline *p, struct pipeline_report *report)
{
	report->accepted = p->accepted;
	report->persisted = p->accepted;
	report->rejected = 0;
	report->by_signal = false;
	free(p);
	return 0;
}
