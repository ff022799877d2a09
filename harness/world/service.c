#include "service.h"

#include <errno.h>
#include <stdlib.h>

#include "clock.h"

#define RELAXED memory_order_relaxed

/* The services alive now (service_init to service_destroy), for service_busy_now(). */
#define MAX_LIVE 64
static struct service *_Atomic live[MAX_LIVE];

unsigned service_busy_now(const char **name)
{
	unsigned busy = 0;

	for (size_t i = 0; i < MAX_LIVE; i++) {
		struct service *s = atomic_load(&live[i]);
		unsigned n = s ? atomic_load(&s->in_flight) : 0;

		if (n && name)
			*name = s->name;
		busy += n;
	}
	return busy;
}

/* Services destroyed while a call was still in flight, and the last one's name. */
static atomic_ulong destroyed_busy;
static const char *_Atomic destroyed_busy_name;

unsigned long service_destroyed_busy(const char **name)
{
	if (name)
		*name = atomic_load(&destroyed_busy_name);
	return atomic_load(&destroyed_busy);
}

int service_init(struct service *s, const char *name, uint64_t latency_ns,
		 unsigned limit, size_t nitems)
{
	s->name = name;
	s->latency_ns = latency_ns;
	s->limit = limit;
	s->nitems = nitems;
	s->per_item = calloc(nitems ? nitems : 1, sizeof(*s->per_item));
	if (!s->per_item)
		return ENOMEM;
	atomic_init(&s->in_flight, 0);
	atomic_init(&s->peak, 0);
	atomic_init(&s->calls, 0);
	atomic_init(&s->violations, 0);
	atomic_init(&s->unknown_items, 0);
	atomic_init(&s->calls_after_mark, 0);
	atomic_init(&s->mark_ns, 0);
	for (size_t i = 0; i < MAX_LIVE; i++) {
		struct service *none = NULL;

		if (atomic_compare_exchange_strong(&live[i], &none, s))
			break;
	}
	return 0;
}

void service_destroy(struct service *s)
{
	for (size_t i = 0; i < MAX_LIVE; i++) {
		struct service *mine = s;

		if (atomic_compare_exchange_strong(&live[i], &mine, NULL))
			break;
	}
	if (atomic_load(&s->in_flight) > 0) {
		atomic_store(&destroyed_busy_name, s->name);
		atomic_fetch_add(&destroyed_busy, 1);
	}
	free((void *)s->per_item);
	s->per_item = NULL;
}

static void raise_peak(struct service *s, unsigned now)
{
	unsigned seen = atomic_load_explicit(&s->peak, RELAXED);

	while (now > seen &&
	       !atomic_compare_exchange_weak_explicit(&s->peak, &seen, now,
						      RELAXED, RELAXED))
		;
}

void service_call(struct service *s, size_t item)
{
	unsigned now = atomic_fetch_add_explicit(&s->in_flight, 1, RELAXED) + 1;
	uint64_t mark = atomic_load_explicit(&s->mark_ns, RELAXED);

	raise_peak(s, now);
	if (s->limit != SERVICE_NO_LIMIT && now > s->limit)
		atomic_fetch_add_explicit(&s->violations, 1, RELAXED);
	if (mark && world_now_ns() >= mark)
		atomic_fetch_add_explicit(&s->calls_after_mark, 1, RELAXED);
	atomic_fetch_add_explicit(&s->calls, 1, RELAXED);
	if (item < s->nitems)
		atomic_fetch_add_explicit(&s->per_item[item], 1, RELAXED);
	else
		atomic_fetch_add_explicit(&s->unknown_items, 1, RELAXED);

	world_sleep_ns(s->latency_ns);

	atomic_fetch_sub_explicit(&s->in_flight, 1, RELAXED);
}

void service_mark(struct service *s)
{
	/* An exchange, not a store: Helgrind treats a plain store as a race. */
	atomic_exchange_explicit(&s->mark_ns, world_now_ns(), RELAXED);
}

unsigned service_peak(const struct service *s)
{
	return atomic_load_explicit(&s->peak, RELAXED);
}

unsigned service_in_flight(const struct service *s)
{
	return atomic_load_explicit(&s->in_flight, RELAXED);
}

uint64_t service_calls(const struct service *s)
{
	return atomic_load_explicit(&s->calls, RELAXED);
}

uint64_t service_violations(const struct service *s)
{
	return atomic_load_explicit(&s->violations, RELAXED);
}

uint64_t service_unknown_items(const struct service *s)
{
	return atomic_load_explicit(&s->unknown_items, RELAXED);
}

uint64_t service_calls_after_mark(const struct service *s)
{
	return atomic_load_explicit(&s->calls_after_mark, RELAXED);
}

uint32_t service_calls_for(const struct service *s, size_t item)
{
	if (item >= s->nitems)
		return 0;
	return atomic_load_explicit(&s->per_item[item], RELAXED);
}

size_t service_first_mismatch(const struct service *s,
			      uint32_t (*expected)(size_t item, void *ctx),
			      void *ctx, uint32_t *observed)
{
	for (size_t i = 0; i < s->nitems; i++) {
		uint32_t got = service_calls_for(s, i);

		if (got != expected(i, ctx)) {
			*observed = got;
			return i;
		}
	}
	return (size_t)-1;
}

static uint32_t exactly_once(size_t item, void *ctx)
{
	(void)item;
	(void)ctx;
	return 1;
}

size_t service_first_not_once(const struct service *s, uint32_t *observed)
{
	return service_first_mismatch(s, exactly_once, NULL, observed);
}
