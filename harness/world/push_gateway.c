#include "push_gateway.h"
#include "push_gateway_ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "clock.h"

struct service push_gateway;
size_t push_refuse_every;

static atomic_ulong bad_sends;

#define RELAXED memory_order_relaxed
#define HOLD_POLL_NS 200000u

/*
 * The harness's controls (push_gateway_ctl.h). Every write is an atomic
 * exchange, a locked instruction, which Helgrind does not take for a race
 * with the plain loads of the other threads (a relaxed store would be one).
 */
static atomic_int connect_error;	/* 0: push_connect() works */
static atomic_bool hold_armed;		/* the next push is to be held */
static atomic_bool holding;		/* a push waits in the hold */
static atomic_bool hold_released;
static _Atomic uint64_t hold_max_ns;

void push_connect_fail_with(int err)
{
	atomic_exchange_explicit(&connect_error, err, RELAXED);
}

void push_hold_next(uint64_t max_ns)
{
	atomic_exchange_explicit(&hold_released, false, RELAXED);
	atomic_exchange_explicit(&hold_max_ns, max_ns, RELAXED);
	atomic_exchange_explicit(&hold_armed, max_ns > 0, RELAXED);
}

bool push_holding(void)
{
	return atomic_load_explicit(&holding, RELAXED);
}

void push_hold_release(void)
{
	atomic_exchange_explicit(&hold_released, true, RELAXED);
}

/* Holds this push when the harness armed the hold and no other push took it. */
static void hold_point(void)
{
	uint64_t deadline;

	if (!atomic_load_explicit(&hold_armed, RELAXED) ||
	    !atomic_exchange_explicit(&hold_armed, false, RELAXED))
		return;
	atomic_exchange_explicit(&holding, true, RELAXED);
	deadline = world_now_ns() + atomic_load_explicit(&hold_max_ns, RELAXED);
	while (!atomic_load_explicit(&hold_released, RELAXED) && world_now_ns() < deadline)
		world_sleep_ns(HOLD_POLL_NS);
	atomic_exchange_explicit(&holding, false, RELAXED);
}

bool push_refused(size_t patient)
{
	return push_refuse_every && patient % push_refuse_every == 0;
}

int push_connect(size_t patient)
{
	int err;

	if (push_refused(patient)) {
		errno = ECONNREFUSED;
		return -1;
	}
	err = atomic_load_explicit(&connect_error, RELAXED);
	if (err) {
		errno = err;
		return -1;
	}
	return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

int push_send(int sock, size_t reminder)
{
	if (sock < 0 || fcntl(sock, F_GETFD) == -1) {
		atomic_fetch_add_explicit(&bad_sends, 1, memory_order_relaxed);
		return EBADF;
	}
	hold_point();
	service_call(&push_gateway, reminder);
	return 0;
}

uint64_t push_bad_sends(void)
{
	return atomic_load_explicit(&bad_sends, memory_order_relaxed);
}

void push_reset(void)
{
	atomic_store_explicit(&bad_sends, 0, memory_order_relaxed);
}
