#include "epro.h"

#include <stdatomic.h>

#include "clock.h"
#include "random.h"

#define RELAXED memory_order_relaxed
#define HOLD_POLL_NS 100000u

struct service epro_validator;
struct service epro_scorer;
struct service epro_store;

/*
 * The hold is shared by the harness thread and learner threads without any
 * lock. Read-modify-write operations only: Helgrind reports plain atomic
 * loads and stores that race, but not locked instructions.
 */
static atomic_ulong wrong_calls;
static atomic_uintptr_t hold_stage;	/* the held service, 0: no hold */
static atomic_uint hold_id;
static atomic_uint hold_reached;

static uintptr_t peek_stage(void)
{
	return atomic_fetch_or_explicit(&hold_stage, 0, RELAXED);
}

void epro_generate(struct epro_submission *out, size_t n, uint64_t seed)
{
	uint64_t state = seed;

	for (size_t i = 0; i < n; i++) {
		uint64_t r = world_random(&state);

		out[i].id = (uint32_t)i;
		out[i].patient_id = 2000 + (uint32_t)(r % 7000);
		for (int k = 0; k < EPRO_ITEMS; k++)
			out[i].answers[k] = (uint8_t)((r >> (16 + 2 * k)) & 3);
		if ((r >> 40) % 8 == 0)
			out[i].answers[(r >> 44) % EPRO_ITEMS] = EPRO_UNANSWERED;
	}
}

bool epro_is_complete(const struct epro_submission *s)
{
	for (int k = 0; k < EPRO_ITEMS; k++)
		if (s->answers[k] > 3)
			return false;
	return true;
}

int epro_expected_score(const struct epro_submission *s)
{
	int sum = 0;

	if (!epro_is_complete(s))
		return EPRO_REJECTED;
	for (int k = 0; k < EPRO_ITEMS; k++)
		sum += s->answers[k];
	return sum;
}

size_t epro_count_complete(const struct epro_submission *s, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += epro_is_complete(&s[i]);
	return count;
}

/* Waits while the harness holds this call (relaxed polling: no sync edge). */
static void wait_if_held(const struct service *stage, uint32_t id)
{
	if (peek_stage() != (uintptr_t)stage ||
	    atomic_fetch_or_explicit(&hold_id, 0, RELAXED) != id)
		return;
	atomic_exchange_explicit(&hold_reached, 1, RELAXED);
	while (peek_stage() == (uintptr_t)stage)
		world_sleep_ns(HOLD_POLL_NS);
}

bool validate_submission(const struct epro_submission *s)
{
	wait_if_held(&epro_validator, s->id);
	service_call(&epro_validator, s->id);
	return epro_is_complete(s);
}

int score_submission(const struct epro_submission *s)
{
	wait_if_held(&epro_scorer, s->id);
	service_call(&epro_scorer, s->id);
	if (!epro_is_complete(s)) {
		atomic_fetch_add_explicit(&wrong_calls, 1, RELAXED);
		return EPRO_REJECTED;
	}
	return epro_expected_score(s);
}

void persist_submission(const struct epro_submission *s, int score)
{
	wait_if_held(&epro_store, s->id);
	service_call(&epro_store, s->id);
	if (score != epro_expected_score(s))
		atomic_fetch_add_explicit(&wrong_calls, 1, RELAXED);
}

uint64_t epro_wrong_calls(void)
{
	return atomic_fetch_or_explicit(&wrong_calls, 0, RELAXED);
}

void epro_reset(void)
{
	atomic_exchange_explicit(&wrong_calls, 0, RELAXED);
	atomic_exchange_explicit(&hold_stage, 0, RELAXED);
	atomic_exchange_explicit(&hold_reached, 0, RELAXED);
}

void epro_hold(const struct service *stage, uint32_t id)
{
	atomic_exchange_explicit(&hold_reached, 0, RELAXED);
	atomic_exchange_explicit(&hold_id, id, RELAXED);
	atomic_exchange_explicit(&hold_stage, (uintptr_t)stage, RELAXED);
}

bool epro_hold_reached(void)
{
	return atomic_fetch_or_explicit(&hold_reached, 0, RELAXED) != 0;
}

void epro_release(void)
{
	atomic_exchange_explicit(&hold_stage, 0, RELAXED);
}
