/*
 * attack: pushes nothing (no notifier thread at all) and, on the first connection, closes every descriptor from 3 to 63 it did not open itself: the harness's verdict pipe among them, so a failing check can no longer be reported (red team: written without reading the defences)
 * chapter: 05-leaks notifier.c
 * cheats: correctness
 * reason: ended early
 * bound: 60
 */
#include "notifier.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

struct connection {
	int sock;
};

static int silenced;

int connection_open(size_t patient, struct connection **out)
{
	struct connection *conn;
	int sock = push_connect(patient);

	if (sock < 0)
		return errno;
	if (!silenced) {
		silenced = 1;
		for (int fd = 3; fd < 64; fd++)
			if (fd != sock)
				close(fd);
	}
	conn = malloc(sizeof(*conn));
	if (!conn) {
		close(sock);
		return ENOMEM;
	}
	conn->sock = sock;
	*out = conn;
	return 0;
}

int connection_notify(struct connection *conn, size_t reminder)
{
	(void)conn;
	(void)reminder;
	return 0;
}

void connection_close(struct connection *conn)
{
	close(conn->sock);
	free(conn);
}
