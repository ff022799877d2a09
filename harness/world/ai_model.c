#include "ai_model.h"

#include <errno.h>

struct service ai_model;
size_t ai_model_fail_every;

bool ai_model_fails(size_t id)
{
	return ai_model_fail_every && id % ai_model_fail_every == 0;
}

bool ai_model_expected(const struct record *r)
{
	return r->heart_rate >= 105 || r->systolic >= 160;
}

int ai_screen(const struct record *r, bool *adverse)
{
	service_call(&ai_model, r->id);
	if (ai_model_fails(r->id))
		return ETIMEDOUT;
	*adverse = ai_model_expected(r);
	return 0;
}
