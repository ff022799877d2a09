/*
 * channel.h - the one way harness code inside a graded process tells the
 * grader what happened
 *
 * The grader hands every process that runs learner code a pipe (descriptor
 * TC_CHANNEL_FD, default 3) and a secret token (TC_TOKEN), both through the
 * environment. tc_channel_open() reads them once and wipes the token from the
 * environment, in place, before any learner code runs, so that
 * /proc/self/environ and getenv() no longer show it. Every message is one
 * write() of at most CHANNEL_MAX_MESSAGE bytes (atomic on a pipe):
 *
 *	"<token> <kind> <index> <length>\n" followed by <length> bytes
 *
 * kinds: "begin", "end", "crash", "timeout", "stacks", "leak", "leakstacks",
 * "bench", "canary", "seccomp", "done". The grader drops any message whose
 * token is wrong, so learner code that writes to the pipe (or anywhere else)
 * cannot forge a verdict; verdicts never travel through files the learner's
 * uid could write.
 *
 * Safety: tc_channel_open() must run before the process starts any thread of
 * its own (it is called first thing by every driver). tc_channel_send() is
 * async-signal-safe and thread-safe (one write() per message; longer
 * payloads go out as several messages of the same kind, which the grader
 * joins in order).
 */
#ifndef HARNESS_CHANNEL_H
#define HARNESS_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CHANNEL_MAX_MESSAGE 4000

/* Reads TC_CHANNEL_FD and TC_TOKEN, wipes the token. False: no channel. */
bool tc_channel_open(void);

/* True once tc_channel_open() found a channel. */
bool tc_channel_ready(void);

/* Sends text (len bytes) as kind for scenario index. Async-signal-safe. */
void tc_channel_send(const char *kind, size_t index, const char *text, size_t len);

/* tc_channel_send() of a NUL-terminated string. */
void tc_channel_send_text(const char *kind, size_t index, const char *text);

/*
 * What a helper process the harness started (eu-stack, eu-addr2line)
 * printed, for sending on the channel: reads fd, the read end of the pipe
 * its stdout goes to, every 20 ms until the child exits or `polls` polls
 * have passed (then kills it), reaps it, closes fd, and leaves at most
 * cap - 1 bytes in buf, NUL-terminated. Returns their number. child <= 0
 * (fork failed): closes fd and returns 0. No malloc, no lock: usable after
 * a crash; blocks the calling thread for up to polls * 20 ms.
 */
size_t tc_child_output(pid_t child, int fd, char *buf, size_t cap, int polls);

#endif
