#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>

#define MAX_WIDTH 8

struct shared {
	void (*item)(void *arg, size_t i, unsigned slot);
	void *arg;
	size_t n;
	atomic_size_t next;	/* the next item to take */
};

struct slot {
	struct shared *s;
	unsigned slot;
};

static void *run_slot(void *arg)
{
	struct slot *t = arg;
	size_t i;

	while ((i = atomic_fetch_add(&t->s->next, 1)) < t->s->n)
		t->s->item(t->s->arg, i, t->slot);
	return NULL;
}

void parallel_for(size_t n, unsigned width, void (*item)(void *arg, size_t i, unsigned slot),
		  void *arg)
{
	struct shared s = { .item = item, .arg = arg, .n = n };
	pthread_t threads[MAX_WIDTH];
	struct slot slots[MAX_WIDTH];
	unsigned started = 0;

	atomic_init(&s.next, 0);
	if (width > MAX_WIDTH)
		width = MAX_WIDTH;
	for (unsigned t = 0; t < width && t < n; t++) {
		slots[started] = (struct slot){ &s, started };
		if (pthread_create(&threads[started], NULL, run_slot, &slots[started]) == 0)
			started++;
	}
	if (started == 0)
		run_slot(&(struct slot){ &s, 0 });
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}
