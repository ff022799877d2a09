/*
 * collider_table.c - the watched-access table behind collider_table.h
 *
 * Each slot is a seqlock: its owner makes seq odd, changes the fields,
 * makes seq even again; a reader takes seq, the fields, then seq again and
 * uses the fields only when both are the same even number.
 */
#include "collider_table.h"

#define RELAXED memory_order_relaxed

/* Starts (seq odd) or ends (seq even) a change of slot s by its owner. */
static void change(struct collider_slot *s)
{
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
}

int collider_table_watch(struct collider_table *t, const struct collider_access *a)
{
	for (int i = 0; i < COLLIDER_SLOTS; i++) {
		struct collider_slot *s = &t->slot[i];
		unsigned free_slot = 0;

		if (atomic_load_explicit(&s->owner, RELAXED) != 0 ||
		    !atomic_compare_exchange_strong(&s->owner, &free_slot, 1))
			continue;
		change(s);
		atomic_store_explicit(&s->addr, a->addr, RELAXED);
		atomic_store_explicit(&s->size, a->size, RELAXED);
		atomic_store_explicit(&s->write, a->write, RELAXED);
		atomic_store_explicit(&s->tid, a->tid, RELAXED);
		atomic_store_explicit(&s->site, a->site, RELAXED);
		atomic_store_explicit(&s->hits, 0, RELAXED);
		atomic_store_explicit(&s->active, 1, RELAXED);
		change(s);
		atomic_fetch_add(&t->armed, 1);
		return i;
	}
	return -1;
}

unsigned collider_table_unwatch(struct collider_table *t, int slot)
{
	struct collider_slot *s = &t->slot[slot];
	unsigned hits;

	atomic_fetch_sub(&t->armed, 1);
	change(s);
	atomic_store_explicit(&s->active, 0, RELAXED);
	change(s);
	hits = atomic_load(&s->hits);
	atomic_store_explicit(&s->owner, 0, memory_order_release);
	return hits;
}

unsigned collider_table_hits(struct collider_table *t, int slot)
{
	return atomic_load_explicit(&t->slot[slot].hits, memory_order_acquire);
}

bool collider_table_check(struct collider_table *t, const struct collider_access *a,
			  struct collider_access *other)
{
	for (int i = 0; i < COLLIDER_SLOTS; i++) {
		struct collider_slot *s = &t->slot[i];
		struct collider_access w;
		unsigned before = atomic_load_explicit(&s->seq, memory_order_acquire), active;

		if (before & 1)
			continue;
		active = atomic_load_explicit(&s->active, RELAXED);
		w.addr = atomic_load_explicit(&s->addr, RELAXED);
		w.size = atomic_load_explicit(&s->size, RELAXED);
		w.write = atomic_load_explicit(&s->write, RELAXED);
		w.tid = atomic_load_explicit(&s->tid, RELAXED);
		w.site = atomic_load_explicit(&s->site, RELAXED);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&s->seq, RELAXED) != before || !active)
			continue;
		if (w.tid == a->tid || !(w.write || a->write) ||
		    w.addr >= a->addr + a->size || a->addr >= w.addr + w.size)
			continue;
		atomic_fetch_add_explicit(&s->hits, 1, memory_order_release);
		if (other)
			*other = w;
		return true;
	}
	return false;
}
