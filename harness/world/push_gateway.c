#include "push_gateway.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/socket.h>

struct service push_gateway;
size_t push_refuse_every;

static atomic_ulong bad_sends;

bool push_refused(size_t patient)
{
	return push_refuse_every && patient % push_refuse_every == 0;
}

int push_connect(size_t patient)
{
	if (push_refused(patient)) {
		errno = ECONNREFUSED;
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
