/*
 * collider_table.h - the table of watched accesses behind the full-speed
 * race detector (collider.h): a few slots, each holding one access that a
 * paused thread is about to make
 *
 * A thread that is about to read or write [addr, addr + size) publishes the
 * access here (collider_table_watch), pauses, then withdraws it
 * (collider_table_unwatch) and makes the access. Every other access checks
 * the table first (collider_table_check): an overlapping watched access of
 * another thread, one of the two a write, is a conflict. It is always a
 * real race: the watched access has not happened yet and its thread does
 * nothing while paused, so no synchronisation can order the two.
 *
 * Safety: every function is thread-safe and lock-free; reads are seqlock
 * snapshots (a slot that changes while read is skipped, never mixed up).
 * A table is zero-initialised (a static, or memset to 0) before first use.
 */
#ifndef HARNESS_COLLIDER_TABLE_H
#define HARNESS_COLLIDER_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLLIDER_SLOTS 8

/* One access: where, how much, a write or a read, by which thread, from where. */
struct collider_access {
	uintptr_t addr;
	size_t size;
	bool write;
	unsigned tid;		/* the runtime's own thread number, never 0 */
	uintptr_t site;		/* the return address of the __tsan_ call */
};

struct collider_slot {
	atomic_uint owner;	/* 0: free; 1: a thread is using it */
	atomic_uint seq;	/* odd while its fields change */
	atomic_uint active;	/* 1: the access below is watched */
	atomic_uint hits;	/* conflicts found against it */
	_Atomic(uintptr_t) addr, site;
	atomic_size_t size;
	atomic_uint write, tid;
};

struct collider_table {
	atomic_uint armed;	/* how many slots are active: the fast path's test */
	struct collider_slot slot[COLLIDER_SLOTS];
};

/* True when some access is watched (one relaxed load: the fast path). */
static inline bool collider_table_busy(struct collider_table *t)
{
	return atomic_load_explicit(&t->armed, memory_order_relaxed) != 0;
}

/*
 * Publishes a as watched. Returns the slot taken (for unwatch), or -1 when
 * every slot is in use (then nothing is watched). Never blocks.
 */
int collider_table_watch(struct collider_table *t, const struct collider_access *a);

/*
 * Withdraws the access of slot (from collider_table_watch) and frees the
 * slot. Returns how many conflicts were found against it while watched.
 */
unsigned collider_table_unwatch(struct collider_table *t, int slot);

/* Conflicts found so far against slot's watched access (to end a pause early). */
unsigned collider_table_hits(struct collider_table *t, int slot);

/*
 * Checks a against every watched access: a conflict is one of another
 * thread (tid differs), overlapping bytes, at least one of the two a write.
 * On the first conflict copies the watched access into *other (may be
 * NULL), counts a hit on its slot and returns true. Never blocks.
 */
bool collider_table_check(struct collider_table *t, const struct collider_access *a,
			  struct collider_access *other);

#endif
