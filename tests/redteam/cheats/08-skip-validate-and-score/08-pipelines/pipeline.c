/*
 * cheat: skips the validation and scoring services altogether: checks
 *        completeness and computes the score locally with the world's own
 *        predictors (epro_is_complete, epro_expected_score), then persists
 *        each submission straight from pipeline_submit(); no stages, no
 *        channels in use
 * target: correctness (R3 validated once, scored once), throughput
 */
#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>

struct pipeline {
	pthread_mutex_t lock;
	size_t accepted, rejected;
	bool stopping;
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
	struct pipeline *p;

	if (!cfg->validators || !cfg->scorers || !cfg->persisters || !cfg->capacity)
		return EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

int pipeline_submit(struct pipeline *p, const struct epro_submission *s)
{
	bool complete;

	if (!s)
		return EINVAL;
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return EPIPE;
	}
	p->accepted++;
	pthread_mutex_unlock(&p->lock);
	complete = epro_is_complete(s);
	persist_submission(s, complete ? epro_expected_score(s) : EPRO_REJECTED);
	if (!complete) {
		pthread_mutex_lock(&p->lock);
		p->rejected++;
		pthread_mutex_unlock(&p->lock);
	}
	return 0;
}

void pipeline_shutdown(struct pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_mutex_unlock(&p->lock);
}

int pipeline_wait(struct pipeline *p, struct pipeline_report *report)
{
	pthread_mutex_lock(&p->lock);
	report->accepted = p->accepted;
	report->persisted = p->accepted;
	report->rejected = p->rejected;
	pthread_mutex_unlock(&p->lock);
	report->by_signal = false;
	pthread_mutex_destroy(&p->lock);
	free(p);
	return 0;
}
