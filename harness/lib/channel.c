#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "channel.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_MAX 64

static int channel_fd = -1;
static char token[TOKEN_MAX + 1];

extern char **environ;

/* Wipes every "NAME=..." entry of the environment in place. */
static void wipe_variable(const char *name)
{
	size_t len = strlen(name);

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			memset(*e, 0, strlen(*e));
}

bool tc_channel_open(void)
{
	const char *path = getenv("TC_CHANNEL"), *tok = getenv("TC_TOKEN");
	int fd;

	if (channel_fd >= 0)
		return true;
	if (!path || !tok || strlen(tok) < 16 || strlen(tok) > TOKEN_MAX)
		return false;
	strcpy(token, tok);
	wipe_variable("TC_TOKEN");
	/* The grader holds the read end: this never blocks. */
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	fcntl(fd, F_SETFL, 0);
	channel_fd = fd;
	return true;
}

bool tc_channel_ready(void)
{
	return channel_fd >= 0;
}

/* Writes v in decimal at out; returns the length. Async-signal-safe. */
static size_t put_unsigned(char *out, unsigned long v)
{
	char digits[24];
	size_t n = 0, len;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	len = n;
	while (n > 0)
		*out++ = digits[--n];
	return len;
}

static void send_one(const char *kind, size_t index, const char *text, size_t len)
{
	char message[CHANNEL_MAX_MESSAGE];
	size_t used = 0, klen = strlen(kind), tlen = strlen(token);

	memcpy(message, token, tlen);
	used = tlen;
	message[used++] = ' ';
	memcpy(message + used, kind, klen);
	used += klen;
	message[used++] = ' ';
	used += put_unsigned(message + used, index);
	message[used++] = ' ';
	used += put_unsigned(message + used, len);
	message[used++] = '\n';
	memcpy(message + used, text, len);
	used += len;
	if (write(channel_fd, message, used) < 0) {
		/* The grader treats a missing message as a failure. */
	}
}

void tc_channel_send(const char *kind, size_t index, const char *text, size_t len)
{
	size_t room = CHANNEL_MAX_MESSAGE - TOKEN_MAX - 64;

	if (channel_fd < 0)
		return;
	do {
		size_t part = len < room ? len : room;

		send_one(kind, index, text, part);
		text += part;
		len -= part;
	} while (len > 0);
}

void tc_channel_send_text(const char *kind, size_t index, const char *text)
{
	tc_channel_send(kind, index, text, strlen(text));
}

size_t tc_child_output(pid_t child, int fd, char *buf, size_t cap, int polls)
{
	size_t used = 0;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; child > 0 && i < polls; i++) {
		ssize_t got = read(fd, buf + used, cap - 1 - used);
		struct timespec ts = { 0, 20000000L };

		if (got > 0) {
			used += (size_t)got;
			continue;
		}
		if (got == 0 && waitpid(child, NULL, WNOHANG) != 0) {
			child = 0;
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	close(fd);
	buf[used] = '\0';
	return used;
}
